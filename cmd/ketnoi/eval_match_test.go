package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"ketnoi/matcher/matcheval"
)

const (
	labelledSet = "../../matcher/testdata/labelled-needs.jsonl"
	sampleData  = "../../corpus/sample/data/"
)

// TestEvalMatchSample runs eval match over the bundled sample with the repository's labelled set: one row
// per labelled need, measures in [0, 1], the averages and the latency.
func TestEvalMatchSample(t *testing.T) {
	cases, err := matcheval.Load(labelledSet)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := ketnoi(t, "eval", "match", labelledSet)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(errOut, "CẢNH BÁO") {
		t.Errorf("labelled set does not fit the sample:\n%s", errOut)
	}
	for _, want := range []string{
		"Bộ nhãn: labelled-needs.jsonl — " + strconv.Itoa(len(cases)) + " nhu cầu",
		"Kho: bộ mẫu có sẵn — 300 kết quả, 72 nhu cầu",
		"Trọng số: mặc định",
		"Độ trễ mỗi nhu cầu: p50 ", "P@5: chỉ kết quả mức ≥ 2 tính là phù hợp",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^nhu cầu\s+nDCG@5\s+P@5\s+R@20\s+trễ`).MatchString(out) {
		t.Errorf("no table header:\n%s", out)
	}
	num := `(–|0\.\d{3}|1\.000)`
	for _, c := range cases {
		row := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(c.NeedID) + `\s+` + num + `\s+` + num + `\s+` + num + `\s+\d+\.\d ms`)
		if !row.MatchString(out) {
			t.Errorf("no well-formed row for %s", c.NeedID)
		}
	}
	mean := regexp.MustCompile(`(?m)^trung bình\s+(0\.\d{3}|1\.000)\s+(0\.\d{3}|1\.000)\s+(0\.\d{3}|1\.000)\s+\(trên (\d+), (\d+), (\d+) nhu cầu\)`)
	m := mean.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no average row:\n%s", out)
	}
	if m[4] != strconv.Itoa(len(cases)) || m[6] != strconv.Itoa(len(cases)) {
		t.Errorf("nDCG@5 and R@20 averaged over %s and %s needs, want all %d", m[4], m[6], len(cases))
	}
}

// smallSet is a labelled set over the aquaculture results: two sample needs (one with no result of grade 2)
// and one written inline.
const smallSet = `{"need": "nc-001", "relevant": {"kq-ts-052": 3, "kq-cn-047": 3, "kq-ts-053": 1}, "note": "máy sấy cá cơm"}
{"need": "nc-048", "relevant": {"kq-ts-006": 1}, "note": "không có đáp án tốt"}
{"need": {"id": "nc-t1", "kind": "need", "title": "Cần máy làm đá sệt cho tàu câu cá ngừ", "sectors": ["03"]}, "relevant": {"kq-ts-044": 3, "kq-ts-043": 2}, "note": "viết sẵn"}
`

// tempFile writes content to a new file named name and returns its path.
func tempFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	writeFile(t, p, content)
	return p
}

// TestEvalMatchAblationJSON checks the ablation over record files given with --corpus, in JSON.
func TestEvalMatchAblationJSON(t *testing.T) {
	labels := tempFile(t, "nhan.jsonl", smallSet)
	code, out, errOut := ketnoi(t, "eval", "match", "--ablation", "--json", labels,
		"--corpus", sampleData+"results-thuysan.jsonl", "--corpus", sampleData+"needs.jsonl")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	// kq-cn-047 is in another file of the sample: judged but not in this corpus.
	if !strings.Contains(errOut, "CẢNH BÁO: 1 kết quả được chấm không có trong kho") || !strings.Contains(errOut, "nc-001 → kq-cn-047") {
		t.Errorf("missing judged result not reported:\n%s", errOut)
	}
	var got struct {
		Cases      int
		Answerable int
		Corpus     struct {
			Source         string
			Results, Needs int
		}
		Configs []struct {
			ID      string
			Name    string
			Weights struct {
				Field    float64
				Synonyms bool
				PRFTerms int `json:"prf_terms"`
			}
			Overall struct {
				NDCG5, P5, R20 float64
				NP5            int `json:"n_p5"`
			}
			Needs []struct {
				ID        string
				NDCG5, P5 *float64
				R20       *float64
				Top       []struct{ ID string }
				LatencyMS float64 `json:"latency_ms"`
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if got.Cases != 3 || got.Answerable != 2 || got.Corpus.Source != "files" || got.Corpus.Results != 75 || got.Corpus.Needs != 72 {
		t.Errorf("header: %+v", got)
	}
	ids := map[string]bool{}
	for _, c := range got.Configs {
		ids[c.ID] = true
		if len(c.Needs) != 3 {
			t.Errorf("%s: %d needs scored, want 3", c.ID, len(c.Needs))
			continue
		}
		if c.Needs[1].ID != "nc-048" || c.Needs[1].P5 != nil || c.Needs[1].NDCG5 == nil || c.Overall.NP5 != 2 {
			t.Errorf("%s: a need without grade-2 results must have no P@5: %+v", c.ID, c.Needs[1])
		}
		for _, v := range []float64{c.Overall.NDCG5, c.Overall.P5, c.Overall.R20} {
			if v < 0 || v > 1 {
				t.Errorf("%s: measure %v out of [0, 1]", c.ID, v)
			}
		}
		for _, n := range c.Needs {
			if len(n.Top) == 0 || n.LatencyMS <= 0 {
				t.Errorf("%s/%s: no ranking or latency: %+v", c.ID, n.ID, n)
			}
		}
		if c.ID == "text" && (c.Weights.Field != 0 || c.Weights.Synonyms || c.Weights.PRFTerms != 0) {
			t.Errorf("text alone runs with %+v", c.Weights)
		}
	}
	for _, want := range []string{"text", "text+synonyms", "text+prf", "text+bridging", "text+structure", "full",
		"full-text", "full-topic", "full-trl", "full-synonyms", "full+prf"} {
		if !ids[want] {
			t.Errorf("ablation lacks configuration %s (has %v)", want, ids)
		}
	}
}

// TestEvalMatchDataAndWeights evaluates an existing data directory with a weights file.
func TestEvalMatchDataAndWeights(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if code, out, errOut := ketnoi(t, "index", "--data", data, sampleData+"results-thuysan.jsonl", sampleData+"needs.jsonl"); code != 0 {
		t.Fatalf("index: %d\n%s\n%s", code, out, errOut)
	}
	labels := tempFile(t, "nhan.jsonl", smallSet)
	weights := tempFile(t, "chi-van-ban.json", `{"text": 1, "field": 0, "sector": 0, "trl": 0, "transfer": 0, "budget": 0,
		"locality": 0, "freshness": 0, "completeness": 0, "synonyms": false, "prf_terms": 0}`)
	code, out, errOut := ketnoi(t, "--data", data, "eval", "match", "--weights", weights, labels)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"Kho: thư mục dữ liệu — 75 kết quả, 72 nhu cầu", "Trọng số: chi-van-ban.json", "nc-t1", "nc-048"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^nc-048\s+0\.\d{3}\s+–\s`).MatchString(out) {
		t.Errorf("nc-048 has no result of grade 2: its P@5 must show as –\n%s", out)
	}
}

func TestEvalMatchErrors(t *testing.T) {
	dir := t.TempDir()
	unknown := tempFile(t, "a.jsonl", `{"need": "nc-khong-co", "relevant": {"kq-ts-001": 2}}`+"\n")
	badGrade := tempFile(t, "b.jsonl", `{"need": "nc-001", "relevant": {"kq-ts-052": 5}}`+"\n")
	weights := tempFile(t, "w.json", `{"text": -1}`)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"eval", "match"}, 2, "cần đúng một tệp nhãn"},
		{[]string{"eval", "match", unknown, "--data", dir, "--corpus", unknown}, 2, "--data và --corpus không dùng cùng nhau"},
		{[]string{"eval", "match", filepath.Join(dir, "khong-co.jsonl")}, 1, "mở tệp nhãn"},
		{[]string{"eval", "match", badGrade}, 1, "b.jsonl dòng 1: nhu cầu nc-001: kết quả kq-ts-052 có mức 5, phải từ 1 đến 3"},
		{[]string{"eval", "match", unknown}, 1, "nc-khong-co (dòng 1) không có trong kho"},
		{[]string{"eval", "match", "--weights", weights, badGrade}, 1, "mức 5"},
		{[]string{"eval", "match", "--weights", weights, labelledSet}, 1, "trọng số text âm"},
		{[]string{"eval", "khong-co"}, 2, "eval search, eval match hoặc eval extract"},
	}
	for _, tt := range tests {
		code, out, errOut := ketnoi(t, tt.args...)
		if code != tt.code || !strings.Contains(out+errOut, tt.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", tt.args, code, out+errOut, tt.code, tt.want)
		}
	}
}
