package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus"
	"ketnoi/corpus/vntext"
)

// The metadata form of a result (/can-bo/sua/:id): the fields staff correct by hand, with the controlled
// vocabularies as choices. A post sends only the fields whose value differs from the stored record to
// editRecord, exactly as a PATCH of the API would, so that only those are remembered as edited and a
// re-extraction of the file keeps them.

// editField is one field of the form. kind: text, number, list (one line, "a; b"), lines (one value per
// line), textarea, trl and ip (choices), checks (several choices).
type editField struct {
	name, label, hint, kind string
	rows                    int
}

var editFields = []editField{
	{name: "title", label: "Tên kết quả", kind: "text"},
	{name: "summary", label: "Tóm tắt", kind: "textarea", rows: 6},
	{name: "authors", label: "Tác giả", hint: "mỗi dòng một người, hoặc cách nhau bằng dấu ;", kind: "lines", rows: 4},
	{name: "organization", label: "Tổ chức chủ trì", kind: "text"},
	{name: "year", label: "Năm", kind: "number"},
	{name: "keywords", label: "Từ khóa", hint: "cách nhau bằng dấu ;", kind: "list"},
	{name: "field_codes", label: "Mã lĩnh vực", hint: "mã theo bảng phân loại lĩnh vực KH&CN, cách nhau bằng dấu ;", kind: "list"},
	{name: "sectors", label: "Mã ngành kinh tế (VSIC)", hint: "cách nhau bằng dấu ;", kind: "list"},
	{name: "trl", label: "Mức sẵn sàng công nghệ (TRL)", kind: "trl"},
	{name: "ip_status", label: "Sở hữu trí tuệ", kind: "ip"},
	{name: "transfer_forms", label: "Hình thức chuyển giao", kind: "checks"},
	{name: "applications", label: "Khả năng ứng dụng", kind: "textarea", rows: 4},
	{name: "advantages", label: "Ưu điểm", kind: "textarea", rows: 4},
}

type fieldView struct {
	Name, Label, Hint, Kind, Value string
	Rows                           int
	Options                        []optionView
	Problems                       []string
}

type optionView struct {
	Value, Label string
	Hint         string // a sentence under a radio button's label
	Selected     bool
}

type editView struct {
	staffChrome
	ID       string
	Fields   []fieldView
	Invalid  bool
	Problems []string // problems of no field of the form
}

func (s *Server) webStaffEdit(c echo.Context) error {
	id := recordID(c)
	rec, err := s.resultJSON(id)
	if ae := (*APIError)(nil); errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		// An old link (a bookmark, the jobs table) to a report since replaced by a new version of its file.
		if to, rerr := s.store.Replacement(id); rerr != nil {
			return rerr
		} else if to != "" {
			return replacedBy(c, to)
		}
	}
	if err != nil {
		return err
	}
	return s.renderEdit(c, http.StatusOK, id, recordFormValues(rec), nil)
}

func (s *Server) webStaffEditPost(c echo.Context) error {
	id := recordID(c)
	rec, err := s.resultJSON(id)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return apiErr(http.StatusBadRequest, "bad_form", "Không đọc được biểu mẫu.")
	}
	if patch := formPatch(form, rec); len(patch) > 0 {
		updated, problems, err := s.editRecord(c.Request().Context(), corpus.KindResult, id, patch)
		if err != nil {
			return err
		}
		if updated == nil {
			// Show the form again as the person filled it, with the problems next to their fields.
			values := recordFormValues(rec)
			for _, f := range editFields {
				if v, ok := form[f.name]; ok {
					values[f.name] = v
				}
			}
			return s.renderEdit(c, http.StatusBadRequest, id, values, problems)
		}
	}
	return c.Redirect(http.StatusSeeOther, "/ket-qua/"+pathEscape(id))
}

// resultJSON is the stored JSON of result id, field by field.
func (s *Server) resultJSON(id string) (map[string]json.RawMessage, error) {
	notFound := apiErr(http.StatusNotFound, "not_found", "Không tìm thấy kết quả "+strconv.Quote(id)+".")
	if id == "" || len(id) > corpus.MaxIDBytes {
		return nil, notFound
	}
	e, err := s.store.Get(id)
	if errors.Is(err, corpus.ErrNotFound) || err == nil && e.Kind != corpus.KindResult {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(e.Record, &m); err != nil {
		return nil, err
	}
	return m, nil
}

func (s *Server) renderEdit(c echo.Context, status int, id string, values url.Values, problems corpus.Problems) error {
	title := values.Get("title")
	if title == "" {
		title = id
	}
	view := editView{staffChrome: s.chrome(c, "Sửa: "+title), ID: id, Invalid: len(problems) > 0}
	byField := map[string][]string{}
	for _, p := range problems {
		msg := p.Message
		if p.Severity == corpus.Warning {
			msg += " (cảnh báo)"
		}
		if fieldIndex(p.Field) >= 0 {
			byField[p.Field] = append(byField[p.Field], msg)
		} else {
			view.Problems = append(view.Problems, p.String())
		}
	}
	for _, f := range editFields {
		fv := fieldView{Name: f.name, Label: f.label, Hint: f.hint, Kind: f.kind, Rows: f.rows, Value: values.Get(f.name), Problems: byField[f.name]}
		switch f.kind {
		case "trl":
			fv.Options = append(fv.Options, optionView{Value: "", Label: "(chưa rõ)"})
			for n := 1; n <= 9; n++ {
				fv.Options = append(fv.Options, optionView{Value: strconv.Itoa(n), Label: corpus.TRLLabel(n)})
			}
			fv.Options = choose(fv.Options, []string{fv.Value})
		case "ip":
			fv.Options = append(fv.Options, optionView{Value: "", Label: "(chưa rõ)"})
			fv.Options = choose(append(fv.Options, vocabOptions(corpus.IPStatuses)...), []string{fv.Value})
		case "checks":
			fv.Options = choose(vocabOptions(corpus.TransferForms), values[f.name])
		}
		view.Fields = append(view.Fields, fv)
	}
	return s.render(c, status, "staff_edit.html", view)
}

func vocabOptions(v *corpus.Vocabulary) []optionView {
	var out []optionView
	for _, t := range v.Terms() {
		out = append(out, optionView{Value: t.Code, Label: t.LabelVI})
	}
	return out
}

// choose marks the selected options; a selected value not among them (a code the vocabulary does not
// know, kept by validation) is added, so that saving the form does not drop it silently.
func choose(opts []optionView, selected []string) []optionView {
	for _, v := range selected {
		if v == "" {
			continue
		}
		found := false
		for i := range opts {
			if opts[i].Value == v {
				opts[i].Selected, found = true, true
			}
		}
		if !found {
			opts = append(opts, optionView{Value: v, Label: v + " (ngoài danh mục)", Selected: true})
		}
	}
	return opts
}

func fieldIndex(name string) int {
	for i, f := range editFields {
		if f.name == name {
			return i
		}
	}
	return -1
}

// recordFormValues renders a record's fields as the form's values.
func recordFormValues(rec map[string]json.RawMessage) url.Values {
	v := url.Values{}
	for _, f := range editFields {
		raw := rec[f.name]
		switch f.kind {
		case "lines", "list", "checks":
			var l []string
			_ = json.Unmarshal(raw, &l)
			switch f.kind {
			case "checks":
				v[f.name] = l
			case "lines":
				v.Set(f.name, strings.Join(l, "\n"))
			default:
				v.Set(f.name, strings.Join(l, "; "))
			}
		case "number", "trl":
			var n int
			_ = json.Unmarshal(raw, &n)
			v.Set(f.name, "")
			if n != 0 {
				v.Set(f.name, strconv.Itoa(n))
			}
		default:
			var s string
			_ = json.Unmarshal(raw, &s)
			v.Set(f.name, s)
		}
	}
	return v
}

// formPatch compares the posted fields with the record and returns those that changed, as a PATCH
// carries them: the new value, or null for a field emptied. Fields absent from the post are left alone.
func formPatch(form url.Values, rec map[string]json.RawMessage) map[string]json.RawMessage {
	patch := map[string]json.RawMessage{}
	for _, f := range editFields {
		vals, ok := form[f.name]
		if !ok || len(vals) == 0 {
			continue
		}
		var nv any
		switch f.kind {
		case "lines", "list", "checks":
			var l []string
			for _, x := range strings.FieldsFunc(strings.Join(vals, "\n"), func(r rune) bool { return r == '\n' || r == ';' }) {
				if x = vntext.Normalize(x); x != "" {
					l = append(l, x)
				}
			}
			if len(l) > 0 {
				nv = l
			}
		case "number", "trl":
			if s := strings.TrimSpace(vals[0]); s != "" {
				nv = s // not a number: validation says so, next to the field
				if n, err := strconv.Atoi(s); err == nil {
					nv = n
				}
			}
		default:
			if s := vntext.Normalize(vals[0]); s != "" {
				nv = s
			}
		}
		b, _ := json.Marshal(nv)
		if !sameValue(b, rec[f.name]) {
			patch[f.name] = b
		}
	}
	return patch
}

// sameValue compares two JSON values, an absent or empty one ("", [], 0) being equal to null, as the
// record's omitempty fields are.
func sameValue(a, b json.RawMessage) bool {
	var x, y any
	_ = json.Unmarshal(a, &x)
	_ = json.Unmarshal(b, &y)
	return reflect.DeepEqual(emptyAsNil(x), emptyAsNil(y))
}

func emptyAsNil(v any) any {
	switch t := v.(type) {
	case string:
		if t == "" {
			return nil
		}
	case []any:
		if len(t) == 0 {
			return nil
		}
	case float64:
		if t == 0 {
			return nil
		}
	}
	return v
}
