// Package matcheval measures need → results matching against a labelled set: needs with the research results
// a person judged relevant to them, on a graded scale. It computes nDCG@5 with graded gains, precision@5,
// recall@20 and latency, per need and on average, and runs the same set under several matcher
// configurations (ablation) to show what each score component and each vocabulary bridge adds.
package matcheval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"ketnoi/corpus"
	"ketnoi/matcher"
)

// Grades of relevance. A result not listed for a need is not relevant to it.
const (
	GradeRelated = 1 // related, could help
	GradePartial = 2 // answers a substantial part, or usable with adaptation
	GradeDirect  = 3 // directly answers the need
)

// Case is one labelled need.
type Case struct {
	// NeedID is the need's id: the one referenced, or the inline record's.
	NeedID string
	// Inline is the need record written in the labelled file; nil when the need is referenced by id.
	Inline *corpus.Need
	// Relevant maps result ids to their grade (GradeRelated to GradeDirect).
	Relevant map[string]int
	Note     string
	// Line is the case's line in its file, for messages.
	Line int
}

// MaxGrade is the case's best grade.
func (c Case) MaxGrade() int {
	best := 0
	for _, g := range c.Relevant {
		best = max(best, g)
	}
	return best
}

// Load reads a labelled set file (JSONL, one case per line).
func Load(path string) ([]Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mở tệp nhãn: %w", err)
	}
	defer f.Close()
	return Parse(path, f)
}

// caseJSON is a line of the labelled file.
type caseJSON struct {
	Need     json.RawMessage `json:"need"`
	Relevant map[string]int  `json:"relevant"`
	Note     string          `json:"note"`
}

// Parse reads a labelled set: every line is {"need": "id" or {need record}, "relevant": {"result id":
// grade}, "note": "..."}. Blank lines are skipped. Every problem is reported with its line, all of them at
// once, so that a set can be fixed in one pass.
func Parse(name string, r io.Reader) ([]Case, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var out []Case
	var problems []string
	seen := map[string]int{}
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		c, err := parseCase(b)
		if err == nil {
			if prev, dup := seen[c.NeedID]; dup {
				err = fmt.Errorf("nhu cầu %s đã có ở dòng %d", c.NeedID, prev)
			}
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s dòng %d: %v", name, line, err))
			continue
		}
		c.Line = line
		seen[c.NeedID] = line
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("đọc %s: %w", name, err)
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s không có nhu cầu nào được chấm", name)
	}
	return out, nil
}

func parseCase(b []byte) (Case, error) {
	var cj caseJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cj); err != nil {
		return Case{}, fmt.Errorf("không đọc được dòng (cần {\"need\", \"relevant\", \"note\"}): %s", jsonProblem(err))
	}
	c := Case{Relevant: cj.Relevant, Note: cj.Note}
	need := bytes.TrimSpace(cj.Need)
	switch {
	case len(need) == 0 || string(need) == "null":
		return c, errors.New("thiếu trường need (mã nhu cầu hoặc bản ghi nhu cầu)")
	case need[0] == '"':
		if err := json.Unmarshal(need, &c.NeedID); err != nil {
			return c, fmt.Errorf("trường need: %w", err)
		}
		c.NeedID = strings.TrimSpace(c.NeedID)
		if c.NeedID == "" {
			return c, errors.New("trường need là mã rỗng")
		}
	case need[0] == '{':
		p := corpus.DecodeRecord(need)
		if p.Record == nil {
			return c, fmt.Errorf("bản ghi nhu cầu viết sẵn không hợp lệ: %s", p.Problems)
		}
		n, ok := p.Record.(*corpus.Need)
		if !ok {
			return c, errors.New("bản ghi viết sẵn trong need phải có kind \"need\"")
		}
		if strings.TrimSpace(n.ID) == "" || strings.TrimSpace(n.Title+n.Description) == "" {
			return c, errors.New("bản ghi nhu cầu viết sẵn cần id và tiêu đề hoặc mô tả")
		}
		c.NeedID, c.Inline = n.ID, n
	default:
		return c, errors.New("trường need phải là mã nhu cầu (chuỗi) hoặc bản ghi nhu cầu (đối tượng)")
	}
	if len(c.Relevant) == 0 {
		return c, fmt.Errorf("nhu cầu %s chưa có kết quả nào được chấm (relevant rỗng)", c.NeedID)
	}
	for _, id := range slices.Sorted(maps.Keys(c.Relevant)) {
		if strings.TrimSpace(id) == "" {
			return c, fmt.Errorf("nhu cầu %s: relevant có mã kết quả rỗng", c.NeedID)
		}
		if g := c.Relevant[id]; g < GradeRelated || g > GradeDirect {
			return c, fmt.Errorf("nhu cầu %s: kết quả %s có mức %d, phải từ 1 đến 3", c.NeedID, id, g)
		}
	}
	return c, nil
}

// jsonProblem says in Vietnamese what is wrong with a line the JSON decoder refused.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("JSON hỏng ở ký tự %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("trường %s sai kiểu", te.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "trường không biết " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return err.Error()
}

// Needs returns the need of every case: the inline record, or the record with its id in recs. It fails,
// naming every need it could not find, when a referenced need is missing or is not a need.
func Needs(cases []Case, recs matcher.Records) ([]*corpus.Need, error) {
	out := make([]*corpus.Need, len(cases))
	var missing []string
	for i, c := range cases {
		if c.Inline != nil {
			out[i] = c.Inline
			continue
		}
		rec, err := recs.Record(c.NeedID)
		if err != nil {
			if !errors.Is(err, corpus.ErrNotFound) {
				return nil, fmt.Errorf("đọc nhu cầu %s: %w", c.NeedID, err)
			}
			missing = append(missing, fmt.Sprintf("%s (dòng %d) không có trong kho", c.NeedID, c.Line))
			continue
		}
		n, ok := rec.(*corpus.Need)
		if !ok {
			missing = append(missing, fmt.Sprintf("%s (dòng %d) là kết quả nghiên cứu, không phải nhu cầu", c.NeedID, c.Line))
			continue
		}
		out[i] = n
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("không tìm được nhu cầu: %s", strings.Join(missing, "; "))
	}
	return out, nil
}

// MissingResults lists the judged result ids that are not results in recs ("nc-001 → kq-x"): with another
// corpus than the one the set was judged on, they can never be found and lower recall.
func MissingResults(cases []Case, recs matcher.Records) ([]string, error) {
	var out []string
	for _, c := range cases {
		for _, id := range slices.Sorted(maps.Keys(c.Relevant)) {
			rec, err := recs.Record(id)
			if err != nil && !errors.Is(err, corpus.ErrNotFound) {
				return nil, fmt.Errorf("đọc kết quả %s: %w", id, err)
			}
			if _, ok := rec.(*corpus.Result); err != nil || !ok {
				out = append(out, c.NeedID+" → "+id)
			}
		}
	}
	return out, nil
}
