package server

import (
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"time"

	"ketnoi/corpus"
	"ketnoi/corpus/vntext"
)

// The need form, as the public page and the staff review page both show it: what a person typed, kept
// as typed (a refused post shows it again untouched), turned into a corpus.Need, checked by
// corpus.CheckSubmission, with each problem placed next to its field.

// needFormFields are the form's fields in the order they are read; staffOnly ones are on the review page.
var needFormFields = []struct {
	name      string
	staffOnly bool
}{
	{"title", false}, {"description", false}, {"enterprise_size", false}, {"scale", false}, {"sectors", false},
	{"locality", false}, {"budget_min", false}, {"budget_max", false}, {"deadline", false},
	{"confidentiality", false}, {"enterprise", false}, {"contact", false},
	{"field_codes", true}, {"min_trl", true}, {"transfer_forms", true},
}

// formField is one field as a template shows it.
type formField struct {
	Name    string
	Value   string   // single-valued fields
	Errors  []string // next to the field
	Options []optionView
	Groups  []optionGroup // a select in groups (sectors by VSIC section)
}

type optionGroup struct {
	Label   string
	Options []optionView
}

// needForm is the form's state: the values as typed and the problems found.
type needForm struct {
	Staff   bool
	Values  url.Values
	Errors  map[string][]string // by form field
	General []string            // problems of no field of the form
}

// problemFields maps a record field to the form field that shows its problems.
var problemFields = map[string]string{
	"budget_vnd.min": "budget_min", "budget_vnd.max": "budget_max", "budget_vnd": "budget_max",
	"province": "locality", "legacy_province": "locality",
}

// need reads the form into a need — over base, a stored draft whose other fields (and the fields an
// import or a broker's API call brought that no form shows) stay as they are — and checks it; ok is false
// when it has a problem that refuses it (then f.Errors says which).
func (f *needForm) need(now time.Time, base *corpus.Need) (*corpus.Need, bool) {
	v := f.Values
	f.Errors = map[string][]string{}
	n := &corpus.Need{Kind: corpus.KindNeed}
	if base != nil {
		c := *base
		n = &c
	}
	n.Title, n.Description, n.EnterpriseSize = v.Get("title"), v.Get("description"), v.Get("enterprise_size")
	n.Scale, n.Locality, n.Deadline = v.Get("scale"), v.Get("locality"), strings.TrimSpace(v.Get("deadline"))
	n.Confidentiality, n.Enterprise, n.Contact = v.Get("confidentiality"), v.Get("enterprise"), v.Get("contact")
	n.Sectors = nonEmpty(v["sectors"])
	for _, b := range []struct {
		field string
		dst   *int64
	}{{"budget_min", &n.BudgetVND.Min}, {"budget_max", &n.BudgetVND.Max}} {
		amount, msg := parseBudget(v.Get(b.field))
		if msg != "" {
			f.Errors[b.field] = append(f.Errors[b.field], msg)
		}
		*b.dst = amount
	}
	if f.Staff {
		n.FieldCodes, n.TransferForms = nonEmpty(v["field_codes"]), nonEmpty(v["transfer_forms"])
		n.MinTRL = 0
		if s := strings.TrimSpace(v.Get("min_trl")); s != "" {
			trl, err := strconv.Atoi(s)
			if err != nil {
				f.Errors["min_trl"] = append(f.Errors["min_trl"], "Hãy chọn một mức trong danh sách.")
			}
			n.MinTRL = trl
		}
	}
	for _, p := range corpus.CheckSubmission(n, now) {
		if p.Severity != corpus.Rejected {
			continue
		}
		field := p.Field
		if m, ok := problemFields[field]; ok {
			field = m
		}
		if f.shows(field) {
			f.Errors[field] = append(f.Errors[field], p.Message)
		} else {
			f.General = append(f.General, p.String())
		}
	}
	return n, len(f.Errors) == 0 && len(f.General) == 0
}

// shows reports whether the form has the field.
func (f *needForm) shows(name string) bool {
	for _, ff := range needFormFields {
		if ff.name == name && (f.Staff || !ff.staffOnly) {
			return true
		}
	}
	return false
}

func nonEmpty(l []string) []string {
	var out []string
	for _, s := range l {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// needFormValues are a stored need's fields as the form shows them.
func needFormValues(n *corpus.Need) url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"title": n.Title, "description": n.Description, "enterprise_size": n.EnterpriseSize,
		"scale": n.Scale, "locality": n.Locality, "deadline": n.Deadline, "confidentiality": n.Confidentiality,
		"enterprise": n.Enterprise, "contact": n.Contact, "budget_min": formatBudget(n.BudgetVND.Min),
		"budget_max": formatBudget(n.BudgetVND.Max)} {
		v.Set(k, s)
	}
	if n.MinTRL > 0 {
		v.Set("min_trl", strconv.Itoa(n.MinTRL))
	}
	v["sectors"], v["field_codes"], v["transfer_forms"] = n.Sectors, n.FieldCodes, n.TransferForms
	return v
}

// fields is the form's fields for a template, with their choices from the vocabularies.
func (f *needForm) fields() map[string]*formField {
	out := map[string]*formField{}
	for _, ff := range needFormFields {
		if ff.staffOnly && !f.Staff {
			continue
		}
		fv := &formField{Name: ff.name, Value: f.Values.Get(ff.name), Errors: f.Errors[ff.name]}
		chosen := f.Values[ff.name]
		none := optionView{Value: "", Label: "(không chọn)"}
		switch ff.name {
		case "enterprise_size":
			fv.Options = choose(append([]optionView{none}, vocabOptions(corpus.EnterpriseSizes)...), chosen)
		case "confidentiality":
			fv.Options = choose(vocabOptions(corpus.Confidentialities), chosen)
			for i := range fv.Options {
				fv.Options[i].Hint = confidentialityHints[fv.Options[i].Value]
			}
		case "locality":
			fv.Groups = chooseGrouped(localityGroups(), chosen, func(v string) string { return v + " (ngoài danh mục)" })
		case "sectors":
			fv.Groups = chooseGrouped(sectorGroups(), chosen, func(v string) string { return v + " – " + corpus.SectorLabel(v) })
		case "field_codes":
			fv.Options = choose(vocabOptions(corpus.Fields), chosen)
		case "transfer_forms":
			fv.Options = choose(vocabOptions(corpus.TransferForms), chosen)
		case "min_trl":
			fv.Options = append(fv.Options, none)
			for n := 1; n <= 9; n++ {
				fv.Options = append(fv.Options, optionView{Value: strconv.Itoa(n), Label: corpus.TRLLabel(n)})
			}
			fv.Options = choose(fv.Options, chosen)
		}
		out[ff.name] = fv
	}
	return out
}

// confidentialityHints say what each level shows, in the enterprise's terms.
var confidentialityHints = map[string]string{
	corpus.ConfPublic:     "Mọi người thấy nhu cầu, tên doanh nghiệp và cách liên hệ.",
	corpus.ConfAnonymised: "Mọi người thấy nhu cầu nhưng không thấy tên doanh nghiệp và cách liên hệ; nhà môi giới liên hệ thay bạn.",
	corpus.ConfBrokerOnly: "Chỉ cán bộ và nhà môi giới thấy nhu cầu; không xuất hiện trong tìm kiếm công khai.",
}

// sectorGroups is VSIC as a grouped choice: each section, selectable as a whole, with its divisions.
func sectorGroups() []optionGroup {
	var groups []optionGroup
	for _, t := range corpus.Sectors.Terms() {
		if t.Parent == "" {
			groups = append(groups, optionGroup{Label: t.Code + ". " + t.LabelVI,
				Options: []optionView{{Value: t.Code, Label: t.LabelVI + " (cả ngành " + t.Code + ")"}}})
			continue
		}
		g := &groups[len(groups)-1]
		g.Options = append(g.Options, optionView{Value: t.Code, Label: t.Code + " – " + t.LabelVI})
	}
	return groups
}

// localityGroups are the province's localities under their former province.
func localityGroups() []optionGroup {
	groups := []optionGroup{{Label: "", Options: []optionView{{Value: "", Label: "(không chọn)"}}}}
	index := map[string]int{}
	for _, t := range corpus.Localities.Terms() {
		i, ok := index[t.Parent]
		if !ok {
			i = len(groups)
			index[t.Parent] = i
			groups = append(groups, optionGroup{Label: "Tỉnh " + corpus.Provinces.Label(t.Parent) + " cũ"})
		}
		groups[i].Options = append(groups[i].Options, optionView{Value: t.Code, Label: t.LabelVI})
	}
	return groups
}

// chooseGrouped marks the chosen options; a chosen value that is in no group (a finer VSIC code, or a
// code the lists do not have) gets a group of its own, labelled by label, so that it is shown — with its
// error, if it has one — rather than dropped.
func chooseGrouped(groups []optionGroup, chosen []string, label func(string) string) []optionGroup {
	var other []optionView
	for _, v := range chosen {
		found := v == ""
		for gi := range groups {
			for oi := range groups[gi].Options {
				if groups[gi].Options[oi].Value == v {
					groups[gi].Options[oi].Selected, found = true, true
				}
			}
		}
		if !found {
			other = append(other, optionView{Value: v, Label: label(v), Selected: true})
		}
	}
	if len(other) > 0 {
		groups = append(groups, optionGroup{Label: "Mã khác", Options: other})
	}
	return groups
}

// Budget amounts are typed in millions of đồng ("300", "1,5 tỷ", "300.000.000 đồng"): a comma is the
// decimal mark and dots group thousands, as Vietnamese write numbers.
var budgetUnits = []struct {
	words []string
	unit  int64
}{
	{[]string{"tỷ đồng", "tỉ đồng", "tỷ", "tỉ", "ty"}, 1_000_000_000},
	{[]string{"triệu đồng", "triệu", "trieu", "tr"}, 1_000_000},
	{[]string{"nghìn đồng", "ngàn đồng", "nghìn", "ngàn", "k"}, 1_000},
	{[]string{"đồng", "dong", "vnđ", "vnd", "đ", "₫"}, 1},
}

// parseBudget reads an amount typed in the form into đồng; msg says, in Vietnamese, what is wrong.
// Without a unit the amount is in millions, except a bare number of a million or more ("300000000"),
// which can only have been meant in đồng.
func parseBudget(s string) (amount int64, msg string) {
	s = strings.ToLower(vntext.Normalize(s))
	if s == "" {
		return 0, ""
	}
	bad := "Không đọc được số tiền «" + s + "»: hãy ghi số triệu đồng, ví dụ 300 hoặc 1,5 tỷ."
	unit, explicit := int64(1_000_000), false
	for _, u := range budgetUnits {
		for _, w := range u.words {
			if strings.HasSuffix(s, w) {
				s, unit, explicit = strings.TrimSpace(strings.TrimSuffix(s, w)), u.unit, true
				break
			}
		}
		if explicit {
			break
		}
	}
	num := strings.ReplaceAll(s, " ", "")
	whole, frac, hasComma := strings.Cut(num, ",")
	if groups := strings.Split(whole, "."); len(groups) > 1 {
		thousands := groups[0] != ""
		for _, g := range groups[1:] {
			thousands = thousands && len(g) == 3
		}
		switch {
		case thousands:
			whole = strings.Join(groups, "")
		case len(groups) == 2 && !hasComma:
			whole, frac = groups[0], groups[1] // "1.5": a decimal point typed the English way
		default:
			return 0, bad
		}
	}
	if whole == "" || !isDigits(whole) || frac != "" && !isDigits(frac) || len(whole) > 18 || len(frac) > 9 {
		return 0, bad
	}
	r, _ := new(big.Rat).SetString(whole + "." + frac + "0")
	if !explicit && num == whole && r.Cmp(big.NewRat(1_000_000, 1)) >= 0 {
		unit = 1 // a bare run of seven digits or more
	}
	r.Mul(r, big.NewRat(unit, 1))
	if !r.IsInt() {
		return 0, "Số tiền «" + s + "» lẻ dưới một đồng; hãy bớt chữ số sau dấu phẩy."
	}
	if !r.Num().IsInt64() {
		return 0, "Số tiền quá lớn; hãy kiểm tra lại số chữ số 0."
	}
	return r.Num().Int64(), ""
}

func isDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

// formatBudget writes an amount back as the form takes it: millions with a decimal comma when that is
// exact to a tenth of a million, đồng otherwise.
func formatBudget(n int64) string {
	switch {
	case n == 0:
		return ""
	case n%100_000 == 0:
		s := strings.TrimSuffix(corpus.FormatVND(n/1_000_000), " ₫")
		if d := n % 1_000_000 / 100_000; d != 0 {
			s += "," + strconv.FormatInt(d, 10)
		}
		return s
	}
	return strings.TrimSuffix(corpus.FormatVND(n), " ₫") + " đồng"
}
