package matcheval

import (
	"strings"
	"testing"

	"ketnoi/corpus"
	"ketnoi/corpus/sample"
)

// LabelledSet is the repository's labelled set, judged on the sample corpus.
const LabelledSet = "../testdata/labelled-needs.jsonl"

// sampleRecords serves the sample corpus as matcher.Records.
type sampleRecords map[string]corpus.Record

func (s sampleRecords) Record(id string) (corpus.Record, error) {
	if r, ok := s[id]; ok {
		return r, nil
	}
	return nil, corpus.ErrNotFound
}

func loadSample(t *testing.T) sampleRecords {
	t.Helper()
	recs, err := sample.Records()
	if err != nil {
		t.Fatal(err)
	}
	out := sampleRecords{}
	for _, r := range recs {
		out[r.RecordID()] = r
	}
	return out
}

// TestLabelledSetMatchesSample keeps the labelled set true to the sample: every referenced need is a
// sample need, every judged result a sample result, inline needs do not take a sample id, and the set is
// large enough and has answerable needs.
func TestLabelledSetMatchesSample(t *testing.T) {
	cases, err := Load(LabelledSet)
	if err != nil {
		t.Fatal(err)
	}
	recs := loadSample(t)
	if len(cases) < 45 {
		t.Errorf("%d labelled needs, want at least 45", len(cases))
	}
	needs, err := Needs(cases, recs)
	if err != nil {
		t.Fatal(err)
	}
	missing, err := MissingResults(cases, recs)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("judged results not in the sample: %v", missing)
	}
	answerable := 0
	for i, c := range cases {
		if len(c.Relevant) == 0 {
			t.Errorf("%s: no judgement", c.NeedID)
		}
		if c.Inline != nil {
			if _, clash := recs[c.NeedID]; clash {
				t.Errorf("inline need %s takes the id of a sample record", c.NeedID)
			}
		} else if needs[i].ID != c.NeedID {
			t.Errorf("case %s resolved to need %s", c.NeedID, needs[i].ID)
		}
		if strings.TrimSpace(c.Note) == "" {
			t.Errorf("%s: no note saying why", c.NeedID)
		}
		if c.MaxGrade() >= GradePartial {
			answerable++
		}
	}
	// Most needs have an answer in the corpus; a few honestly do not.
	if answerable < len(cases)*2/3 || answerable == len(cases) {
		t.Errorf("%d of %d needs have a result of grade 2 or more", answerable, len(cases))
	}
}

func TestParseReportsEveryBadLine(t *testing.T) {
	in := strings.Join([]string{
		`{"need": "nc-001", "relevant": {"kq-a": 3}, "note": "tốt"}`,
		``,
		`{"need": "nc-002", "relevant": {}}`,
		`{"need": "nc-003", "relevant": {"kq-a": 4}}`,
		`{"need": "nc-001", "relevant": {"kq-b": 1}}`,
		`{"need": 7, "relevant": {"kq-a": 1}}`,
		`{"relevant": {"kq-a": 1}}`,
		`{"need": {"id": "x", "kind": "result", "title": "Máy"}, "relevant": {"kq-a": 1}}`,
		`{"need": {"kind": "need", "title": "Không mã"}, "relevant": {"kq-a": 1}}`,
		`{"need": "nc-009", "relevant": {"kq-a": 1}, "grade": 2}`,
		`{"need": "nc-010", "relevant": {"": 2}}`,
		`không phải JSON`,
	}, "\n")
	_, err := Parse("nhan.jsonl", strings.NewReader(in))
	if err == nil {
		t.Fatal("bad set accepted")
	}
	for _, want := range []string{
		"nhan.jsonl dòng 3: nhu cầu nc-002 chưa có kết quả nào",
		"dòng 4: nhu cầu nc-003: kết quả kq-a có mức 4, phải từ 1 đến 3",
		"dòng 5: nhu cầu nc-001 đã có ở dòng 1",
		"dòng 6: trường need phải là mã nhu cầu",
		"dòng 7: thiếu trường need",
		"dòng 8: bản ghi viết sẵn trong need phải có kind \"need\"",
		"dòng 9: bản ghi nhu cầu viết sẵn không hợp lệ: trường id",
		"dòng 10: không đọc được dòng (cần {\"need\", \"relevant\", \"note\"}): trường không biết \"grade\"",
		"dòng 11: nhu cầu nc-010: relevant có mã kết quả rỗng",
		"dòng 12: không đọc được dòng (cần {\"need\", \"relevant\", \"note\"}): JSON hỏng ở ký tự 1",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "dòng 1:") {
		t.Errorf("good line reported:\n%v", err)
	}
}

func TestParseInlineNeed(t *testing.T) {
	in := `{"need": {"id": "nc-x", "kind": "need", "title": "Cần máy sấy cá", "sectors": ["10"]}, "relevant": {"kq-a": 3, "kq-b": 1}, "note": "n"}`
	cases, err := Parse("a.jsonl", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	c := cases[0]
	if c.NeedID != "nc-x" || c.Inline == nil || c.Inline.Title != "Cần máy sấy cá" || c.MaxGrade() != 3 || c.Line != 1 {
		t.Errorf("inline case read as %+v", c)
	}
	needs, err := Needs(cases, sampleRecords{})
	if err != nil || needs[0] != c.Inline {
		t.Errorf("inline need not used: %v", err)
	}
}

func TestNeedsNamesWhatIsMissing(t *testing.T) {
	recs := loadSample(t)
	cases := []Case{
		{NeedID: "nc-001", Relevant: map[string]int{"kq-ts-052": 3}, Line: 1},
		{NeedID: "nc-khong-co", Relevant: map[string]int{"kq-ts-052": 3}, Line: 2},
		{NeedID: "kq-ts-052", Relevant: map[string]int{"kq-ts-001": 1, "kq-khong-co": 2}, Line: 3},
	}
	_, err := Needs(cases, recs)
	if err == nil || !strings.Contains(err.Error(), "nc-khong-co (dòng 2) không có trong kho") ||
		!strings.Contains(err.Error(), "kq-ts-052 (dòng 3) là kết quả nghiên cứu") {
		t.Errorf("Needs error: %v", err)
	}
	missing, err := MissingResults(cases, recs)
	if err != nil || strings.Join(missing, ",") != "kq-ts-052 → kq-khong-co" {
		t.Errorf("MissingResults = %v, %v", missing, err)
	}
}
