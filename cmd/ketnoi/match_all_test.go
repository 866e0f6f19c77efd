package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ketnoi/corpus"
)

// matchData is a data directory with the sample corpus and a few needs of our own: one open whatever the
// date with a title that tries to inject HTML, one long expired, one anonymised.
func matchData(t *testing.T) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	d, err := openOrCreateData(context.Background(), data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	d.close()
	extra := filepath.Join(t.TempDir(), "them.jsonl")
	writeFile(t, extra, `{"id": "nc-t-mo", "kind": "need", "title": "Cần máy <script>alert(1)</script> sấy cá cơm bằng bơm nhiệt", "enterprise": "Cơ sở Hải Sản Mở", "deadline": "2999-12-31"}
{"id": "nc-t-het", "kind": "need", "title": "Cần lò sấy mực", "enterprise": "Cơ sở Hết Hạn", "deadline": "2001-01-31"}
{"id": "nc-t-an", "kind": "need", "title": "Cần máy ép dầu dừa", "enterprise": "Công ty Giấu Tên", "confidentiality": "anonymised"}
`)
	if code, out, errOut := ketnoi(t, "index", "--data", data, extra); code != 0 {
		t.Fatalf("index: %d %s %s", code, out, errOut)
	}
	return data
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Errorf("%s: no byte order mark", path)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func TestMatchAllOnSample(t *testing.T) {
	data := matchData(t)
	dir := t.TempDir()
	csvPath, htmlPath := filepath.Join(dir, "ghep.csv"), filepath.Join(dir, "ghep.html")
	code, out, errOut := ketnoi(t, "match", "--all", "--data", data, "--size", "3", "--csv", csvPath, "--html", htmlPath)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "nhu cầu đang mở") || !strings.Contains(out, "đã đóng hoặc hết hạn") || !strings.Contains(errOut, "Đã ghi bảng CSV") {
		t.Errorf("summary:\n%s\n%s", out, errOut)
	}
	rows := readCSV(t, csvPath)
	needs := map[string]int{}
	for _, r := range rows[1:] {
		needs[r[0]]++
		if r[0] == "nc-t-an" && (r[2] != "(ẩn danh)" || strings.Contains(strings.Join(r, ","), "Giấu Tên")) {
			t.Errorf("anonymised need: %v", r)
		}
	}
	if needs["nc-t-mo"] != 3 || needs["nc-t-het"] != 0 || len(needs) < 40 {
		t.Errorf("csv rows by need: %v", needs)
	}
	page, _ := os.ReadFile(htmlPath)
	if bytes.Contains(page, []byte("<script>alert")) || !bytes.Contains(page, []byte("&lt;script&gt;alert(1)&lt;/script&gt;")) {
		t.Error("the report does not escape a need's title")
	}
	if n := bytes.Count(page, []byte(`<section class="need"`)); n != len(needs) {
		t.Errorf("report has %d need sections, the csv %d needs", n, len(needs))
	}
	// Without files: every need's matches on stdout; --json: the API's report.
	code, out, _ = ketnoi(t, "match", "--all", "--data", data, "--size", "2", "--min-score", "0.7")
	if code != 0 || !strings.Contains(out, "nc-t-mo") || !strings.Contains(out, "  1. 0.") {
		t.Errorf("match --all to stdout: %d\n%s", code, out)
	}
	code, out, _ = ketnoi(t, "match", "--all", "--data", data, "--size", "2", "--json")
	var r struct {
		OpenNeeds int `json:"open_needs"`
		Needs     []struct {
			ID      string
			Matches []struct{ Score float64 }
		}
	}
	if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil || r.OpenNeeds != len(needs) || len(r.Needs) != len(needs) {
		t.Errorf("--json: %d %v, %d open needs, want %d", code, err, r.OpenNeeds, len(needs))
	}
	for _, args := range [][]string{
		{"match", "--data", data, "--csv", csvPath, "nhu-cau.json"},
		{"match", "--data", data, "--all", "nhu-cau.json"},
		{"match", "--data", data, "--all", "--min-score", "2"},
		{"match", "--data", data, "--all", "--min-score", "NaN"},
		{"match", "--data", data, "--all", "--csv", filepath.Join(data, "khong-co", "x.csv")},
		{"match", "--data", data, "--all", "--html", filepath.Join(data, "store.db", "x.html")},
		{"match", "--data", data, "--all", "--size", "0"},
		{"feedback", "--data", data},
		{"feedback", "export", "--data", data, "thừa"},
	} {
		if code, _, errOut := ketnoi(t, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, %s", args, code, errOut)
		}
	}
}

// TestFeedbackShownAndExported: a decision stored for a pair shows under that match in ketnoi match and is
// exported by ketnoi feedback export, as CSV and JSON.
func TestFeedbackShownAndExported(t *testing.T) {
	data := matchData(t)
	needFile := filepath.Join(t.TempDir(), "nc.json")
	writeFile(t, needFile, `{"id": "nc-t-mo", "title": "Cần máy sấy cá cơm bằng bơm nhiệt"}`)
	code, out, _ := ketnoi(t, "match", "--data", data, "--json", "--size", "3", needFile)
	var res struct{ Matches []struct{ ID string } }
	if json.Unmarshal([]byte(out), &res); code != 0 || len(res.Matches) == 0 {
		t.Fatalf("match: %d %s", code, out)
	}
	top := res.Matches[0].ID
	st, err := corpus.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []corpus.Feedback{
		{NeedID: "nc-t-mo", ResultID: top, Decision: "reject", Reason: "price", Note: "Giá cao hơn ngân sách – cần đàm phán"},
		{NeedID: "nc-t-mo", ResultID: top, Decision: "accept", Reason: "partial_fit"},
	} {
		f.Actor = corpus.FeedbackActor{ID: "k1", Name: "Môi giới Bình", Role: "broker"}
		if _, _, err := st.AddFeedback(f); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	code, out, _ = ketnoi(t, "match", "--data", data, "--size", "3", needFile)
	if code != 0 || !strings.Contains(out, "⇒ Đã chấp nhận – "+corpus.FeedbackReasons.Label("partial_fit")+" (Môi giới Bình") {
		t.Errorf("match does not show the decision:\n%s", out)
	}
	csvPath := filepath.Join(t.TempDir(), "qd.csv")
	if code, _, errOut := ketnoi(t, "feedback", "export", "--data", data, "--csv", csvPath); code != 0 {
		t.Fatalf("export: %d %s", code, errOut)
	}
	rows := readCSV(t, csvPath)
	if len(rows) != 3 || rows[1][10] != "Giá cao hơn ngân sách – cần đàm phán" || rows[1][16] != "true" || rows[2][16] != "false" {
		t.Errorf("csv export: %v", rows)
	}
	code, out, _ = ketnoi(t, "feedback", "export", "--data", data, "--json", "--current", "--need", "nc-t-mo")
	var exp struct{ Count int }
	if json.Unmarshal([]byte(out), &exp); code != 0 || exp.Count != 1 {
		t.Errorf("json export of current decisions: %d %s", code, out)
	}
	if code, out, _ := ketnoi(t, "feedback", "reasons"); code != 0 || !strings.Contains(out, "too_early_stage") {
		t.Errorf("reasons: %d %s", code, out)
	}
}

// TestMatchAllThroughServer: while ketnoi serve holds the data directory, match --all and feedback export
// go through its API with a broker key, and say so without one.
func TestMatchAllThroughServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	_, data, u, key := serveWithKey(t, "broker")
	t.Setenv("KETNOI_KEY", "")
	if code, _, errOut := ketnoi(t, "match", "--all", "--data", data); code != 2 || !strings.Contains(errOut, "--key") || !strings.Contains(errOut, u) {
		t.Errorf("without a key: %d %s", code, errOut)
	}
	csvPath := filepath.Join(t.TempDir(), "ghep.csv")
	code, stdout, errOut := ketnoi(t, "match", "--all", "--data", data, "--key", key, "--size", "2", "--csv", csvPath)
	if code != 0 || !strings.Contains(stdout, "nhu cầu đang mở") {
		t.Fatalf("match --all through the server: %d\n%s\n%s", code, stdout, errOut)
	}
	if rows := readCSV(t, csvPath); len(rows) < 40 {
		t.Errorf("%d csv rows", len(rows))
	}
	if code, stdout, errOut := ketnoi(t, "feedback", "export", "--data", data, "--key", key); code != 0 || !strings.Contains(stdout, "0 quyết định") {
		t.Errorf("feedback export through the server: %d %s %s", code, stdout, errOut)
	}
}

func TestBenchMatch(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bench")
	code, out, errOut := ketnoi(t, "bench", "match", "--needs", "12", "--results", "300", "--dir", dir, "--size", "3")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"Đã sinh và lập chỉ mục 300 kết quả, 12 nhu cầu", "12 nhu cầu × 300 kết quả", "nhu cầu/s", "p50", "p95", "36 đề xuất"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if rows := readCSV(t, filepath.Join(dir, "bench-match.csv")); len(rows) != 1+36 {
		t.Errorf("bench csv has %d rows", len(rows))
	}
	code, out, _ = ketnoi(t, "bench", "match", "--needs", "12", "--results", "300", "--dir", dir, "--size", "3")
	if code != 0 || !strings.Contains(out, "Dùng lại dữ liệu đo") {
		t.Errorf("second run does not reuse the data: %d\n%s", code, out)
	}
	if code, _, errOut := ketnoi(t, "bench", "match", "--needs", "13", "--results", "300", "--dir", dir); code == 0 || !strings.Contains(errOut, "chọn thư mục khác") {
		t.Errorf("other sizes in the same directory: %d %s", code, errOut)
	}
	// The generated needs are 60–100 syllables, distinct, and valid records.
	b, _ := os.ReadFile(filepath.Join(dir, "bench-nhucau.jsonl"))
	seen := map[string]bool{}
	err := corpus.ReadRecords("nhu-cau", bytes.NewReader(b), corpus.FormatJSONL, func(p corpus.Parsed) error {
		n := p.Record.(*corpus.Need)
		if w := len(strings.Fields(n.Title + " " + n.Description)); len(p.Problems) > 0 || w < 60 || w > 100+len(strings.Fields(n.Title)) {
			t.Errorf("%s: %d syllables, problems %v", n.ID, w, p.Problems)
		}
		seen[n.Description] = true
		return nil
	})
	if err != nil || len(seen) != 12 {
		t.Errorf("%d distinct needs, %v", len(seen), err)
	}
}
