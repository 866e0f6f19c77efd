package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ketnoi runs the command in-process and returns its exit code and outputs.
func ketnoi(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

const brokenCSV = "id,kind,title,keywords,trl,transfer_forms,province\n" +
	"kq-t1,result,Máy bóc vỏ hạt điều bán tự động,điều;bóc vỏ,6,equipment,Bình Định\n" +
	"kq-t2,result,Thiếu cột\n" +
	"kq-t3,result,Quy trình nuôi ốc hương trong bể,ốc hương,sáu,,\n" +
	"kq-t4,result,Chế phẩm Trichoderma ủ phân chuồng,phân hữu cơ,5,turnkey,gia-lai\n"

func TestIndexBrokenRowImportsTheRest(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	csv := filepath.Join(dir, "mau.csv")
	os.WriteFile(csv, []byte(brokenCSV), 0o644)

	// Flags may follow the subcommand and the file.
	code, out, errOut := ketnoi(t, "index", csv, "--data", data)
	if code != 1 {
		t.Errorf("exit code %d, want 1 (two rows rejected)\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"mau.csv, dòng 3", "mau.csv, dòng 4", "trường trl", "sáu", "turnkey", "[cảnh báo]", "[bị loại]"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if !strings.Contains(out, "2 bản ghi (2 mới") {
		t.Errorf("summary wrong:\n%s", out)
	}
	code, out, _ = ketnoi(t, "--data", data, "search", "--json", "bóc vỏ điều")
	if code != 0 || !strings.Contains(out, `"id": "kq-t1"`) {
		t.Errorf("good row not searchable: %d\n%s", code, out)
	}
	code, out, _ = ketnoi(t, "search", "--data", data, "trichoderma")
	if code != 0 || !strings.Contains(out, "kq-t4") {
		t.Errorf("row with a warning not searchable: %d\n%s", code, out)
	}
	// Re-importing the same file changes nothing and duplicates nothing.
	ketnoi(t, "index", "--data", data, csv)
	_, out, _ = ketnoi(t, "stats", "--data", data, "--json")
	var st struct {
		Records   map[string]int `json:"records"`
		IndexDocs uint64         `json:"index_documents"`
		Segments  int            `json:"index_segments"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("stats --json: %v\n%s", err, out)
	}
	if st.Records["result"] != 2 || st.IndexDocs != 2 || st.Segments < 1 {
		t.Errorf("after re-import: %+v, want 2 results, 2 documents, at least one segment", st)
	}
	if _, out, _ := ketnoi(t, "stats", "--data", data); !regexp.MustCompile(`Chỉ mục: 2 tài liệu, [\d.]+ MB, \d+ phần;`).MatchString(out) {
		t.Errorf("stats: no index line with its segments:\n%s", out)
	}
	// The imported file is kept, once, content-addressed.
	kept, _ := filepath.Glob(filepath.Join(data, "originals", "*", "*"))
	if len(kept) != 1 {
		t.Fatalf("originals kept: %v, want the one file", kept)
	}
	if b, _ := os.ReadFile(kept[0]); string(b) != brokenCSV {
		t.Error("kept original differs from the imported file")
	}
}

func TestIndexOnlyWarningsExitsZero(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "a.jsonl")
	os.WriteFile(f, []byte(`{"id":"x1","kind":"need","title":"Cần máy ép viên","transfer_forms":["turnkey"]}`+"\n"), 0o644)
	code, _, errOut := ketnoi(t, "index", "--data", filepath.Join(dir, "d"), f)
	if code != 0 || !strings.Contains(errOut, "turnkey") {
		t.Errorf("exit %d, stderr %s", code, errOut)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"khong-co"}, 2, "không có lệnh"},
		{[]string{"index"}, 2, "cần ít nhất một tệp"},
		{[]string{"search", "--size", "101", "x"}, 2, "--size phải từ 1 đến 100"},
		{[]string{"search", "--bogus"}, 2, "cờ không xác định"},
		{[]string{"index", "--help"}, 0, "Cách dùng: ketnoi index"},
		{[]string{"--help"}, 0, "Các lệnh:"},
	}
	for _, tt := range tests {
		code, out, errOut := ketnoi(t, tt.args...)
		if code != tt.code || !strings.Contains(out+errOut, tt.want) {
			t.Errorf("%v: exit %d, output %q; want %d and %q", tt.args, code, out+errOut, tt.code, tt.want)
		}
	}
}

// TestMissingDataDir: a command that reads or changes existing data refuses a data directory without a
// store and leaves no directory behind (a mistyped --data used to answer "nothing found" from a new, empty
// one); the commands that bring data in still start one.
func TestMissingDataDir(t *testing.T) {
	root := t.TempDir()
	for _, args := range [][]string{
		{"search", "máy sấy"},
		{"stats"},
		{"check"},
		{"delete", "kq-1"},
		{"export", "--kind", "result", filepath.Join(root, "kq.csv")},
		{"alerts"},
		{"reindex"},
		{"backup", filepath.Join(root, "sao-luu.tar")},
	} {
		data := filepath.Join(root, "sai-"+args[0])
		code, out, errOut := ketnoi(t, append(args, "--data", data)...)
		if code == 0 || !strings.Contains(errOut, "không có kho dữ liệu ở "+data) {
			t.Errorf("%v on a missing directory: exit %d\n%s%s", args, code, out, errOut)
		}
		if _, err := os.Stat(data); err == nil {
			t.Errorf("%v made %s", args, data)
		}
	}
	txt := filepath.Join(root, "bao-cao.txt")
	writeFile(t, txt, "Quy trình ủ phân hữu cơ vi sinh từ phụ phẩm cà phê.")
	if code, out, errOut := ketnoi(t, "index", "--data", filepath.Join(root, "moi"), txt); code != 0 {
		t.Errorf("index into a new directory: exit %d\n%s%s", code, out, errOut)
	}
}

// indexedCSV indexes a CSV of records into a new data directory and returns the directory.
func indexedCSV(t *testing.T, records string) string {
	t.Helper()
	dir := t.TempDir()
	data, csv := filepath.Join(dir, "data"), filepath.Join(dir, "records.csv")
	if err := os.WriteFile(csv, []byte(records), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := ketnoi(t, "index", "--data", data, csv); code != 0 {
		t.Fatalf("index: %d\n%s\n%s", code, out, errOut)
	}
	return data
}

// TestSearchExcludedWords: the query syntax's "-từ" (exclude a word) reaches the query from the command
// line, with or without "--" before the query, wherever the flags stand; a mistyped long flag is still an
// error.
func TestSearchExcludedWords(t *testing.T) {
	data := indexedCSV(t, "id,kind,title\n"+
		"kq-say,result,Máy sấy cá cơm bằng bơm nhiệt\n"+
		"kq-boc,result,Máy bóc vỏ hạt điều\n"+
		"kq-ep,result,Máy ép viên thức ăn cho cá\n")
	for _, args := range [][]string{
		{"máy", "-cá"},
		{"--", "máy", "-cá"},
		{"-cá", "máy", "--size", "5"},
		{"--size=5", "máy", "--", "-cá"},
	} {
		code, out, errOut := ketnoi(t, append([]string{"search", "--data", data, "--json"}, args...)...)
		var res struct {
			Hits []struct{ ID string } `json:"hits"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &res) != nil {
			t.Errorf("%q: exit %d\n%s\n%s", args, code, out, errOut)
			continue
		}
		if len(res.Hits) != 1 || res.Hits[0].ID != "kq-boc" {
			t.Errorf("%q: hits %+v, want only kq-boc", args, res.Hits)
		}
	}
	if code, _, errOut := ketnoi(t, "search", "--data", data, "--sizee", "5", "máy"); code != 2 || !strings.Contains(errOut, "cờ không xác định") {
		t.Errorf("--sizee: exit %d, %q", code, errOut)
	}
}

// TestSearchJSONIsTheAPIs: ketnoi search --json on a data directory prints what GET /api/v1/search answers:
// facets, the corrected query for a misspelt word; the text output offers the correction too, and a query
// the API refuses is refused with its message.
func TestSearchJSONIsTheAPIs(t *testing.T) {
	data := indexedCSV(t, "id,kind,title,year\n"+
		"kq-mang,result,Màng chitosan bảo quản trái cây sau thu hoạch,2021\n"+
		"kq-say,result,Máy sấy cá cơm bằng bơm nhiệt,2019\n")
	code, out, errOut := ketnoi(t, "search", "--data", data, "--json", "màng chitossan")
	var res struct {
		Total      int                          `json:"total"`
		Facets     map[string][]json.RawMessage `json:"facets"`
		Suggestion *struct{ Q string }          `json:"suggestion"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("search --json: exit %d\n%s\n%s", code, out, errOut)
	}
	if len(res.Facets["year"]) == 0 {
		t.Errorf("no year facet: %s", out)
	}
	if res.Suggestion == nil || res.Suggestion.Q != "màng chitosan" {
		t.Errorf("suggestion %+v, want màng chitosan", res.Suggestion)
	}
	if code, out, _ := ketnoi(t, "search", "--data", data, "màng chitossan"); code != 0 || !strings.Contains(out, "Có phải bạn muốn tìm: «màng chitosan»?") {
		t.Errorf("text output: exit %d\n%s", code, out)
	}
	if code, _, errOut := ketnoi(t, "search", "--data", data, strings.Repeat("cá ", 400)); code != 1 || !strings.Contains(errOut, "Câu tìm kiếm dài quá 1000 ký tự") {
		t.Errorf("a query over 1,000 characters: exit %d, %q", code, errOut)
	}
}

// TestMatchNeedFile: ketnoi match reads a need file as ketnoi index reads records, a byte order mark
// included (Windows Notepad writes one).
func TestMatchNeedFile(t *testing.T) {
	data := indexedCSV(t, "id,kind,title\nkq-say,result,Máy sấy cá cơm bằng bơm nhiệt\nkq-boc,result,Máy bóc vỏ hạt điều\n")
	dir := t.TempDir()
	for _, tc := range []struct{ name, prefix string }{{"plain", ""}, {"bom", "\ufeff"}} {
		f := filepath.Join(dir, tc.name+".json")
		os.WriteFile(f, []byte(tc.prefix+`{"title":"Cần máy sấy cá cơm"}`), 0o644)
		code, out, errOut := ketnoi(t, "match", "--data", data, "--json", f)
		var res struct {
			Matches []struct{ ID string } `json:"matches"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &res) != nil || len(res.Matches) == 0 || res.Matches[0].ID != "kq-say" {
			t.Errorf("%s: exit %d, matches %+v\n%s", tc.name, code, res.Matches, errOut)
		}
	}
}

// TestMatchNoSearchableWord: a need with no word to search by gets no match and the reason, from ketnoi
// match and from ketnoi match --all (a batch that writes files names it in its summary).
func TestMatchNoSearchableWord(t *testing.T) {
	data := indexedCSV(t, "id,kind,title,deadline\nkq-say,result,Máy sấy cá cơm bằng bơm nhiệt,\n"+
		"nc-rong,need,\"Cần các và của những, 2024!\",2999-12-31\nnc-say,need,Cần máy sấy cá cơm,2999-12-31\n")
	const why = "Nhu cầu không có từ nào để tìm"
	f := filepath.Join(t.TempDir(), "rong.json")
	os.WriteFile(f, []byte(`{"title":"Cần các và của những, 2024!"}`), 0o644)
	if code, out, errOut := ketnoi(t, "match", "--data", data, f); code != 0 || !strings.Contains(out, "0 kết quả phù hợp\n"+why) {
		t.Errorf("match: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut := ketnoi(t, "match", "--data", data, "--json", f)
	var res struct {
		Matches []json.RawMessage `json:"matches"`
		Note    struct{ Code, Message string }
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Matches == nil || len(res.Matches) != 0 ||
		res.Note.Code != "no_search_terms" || !strings.HasPrefix(res.Note.Message, why) {
		t.Errorf("match --json: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, args := range [][]string{{}, {"--csv", filepath.Join(t.TempDir(), "ghep.csv")}} {
		code, out, errOut := ketnoi(t, append([]string{"match", "--all", "--data", data}, args...)...)
		if code != 0 || !strings.Contains(out, why) || strings.Count(out, why) != 1 {
			t.Errorf("match --all %v: exit %d\n%s\n%s", args, code, out, errOut)
		}
		if len(args) == 0 && !strings.Contains(out, "kq-say") {
			t.Errorf("match --all: the ordinary need nc-say found nothing:\n%s", out)
		}
	}
}

func TestReindexSwapsAndKeepsResults(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	csv := filepath.Join(dir, "mau.csv")
	os.WriteFile(csv, []byte(brokenCSV), 0o644)
	ketnoi(t, "index", "--data", data, csv)
	before, _ := os.ReadFile(filepath.Join(data, "index", "CURRENT"))
	if code, out, errOut := ketnoi(t, "reindex", "--data", data); code != 0 {
		t.Fatalf("reindex: %d %s %s", code, out, errOut)
	}
	after, _ := os.ReadFile(filepath.Join(data, "index", "CURRENT"))
	if bytes.Equal(before, after) {
		t.Error("reindex did not switch to a new build")
	}
	entries, _ := os.ReadDir(filepath.Join(data, "index"))
	if len(entries) != 2 { // CURRENT and the one build
		t.Errorf("old builds left behind: %v", entries)
	}
	if _, out, _ := ketnoi(t, "search", "--data", data, "bóc vỏ điều"); !strings.Contains(out, "kq-t1") {
		t.Errorf("search after reindex:\n%s", out)
	}
}

// TestCompactMergesSegments: after three imports, compact succeeds and every document is still found (the
// merge itself is checked in bleveidx).
func TestCompactMergesSegments(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	titles := []string{"Máy bóc vỏ hạt điều bán tự động", "Quy trình nuôi ốc hương trong bể", "Chế phẩm Trichoderma ủ phân chuồng"}
	for i, title := range titles {
		f := filepath.Join(dir, fmt.Sprintf("p%d.csv", i))
		os.WriteFile(f, []byte(fmt.Sprintf("id,kind,title\nkq-c%d,result,%s\n", i, title)), 0o644)
		if code, out, errOut := ketnoi(t, "index", "--data", data, f); code != 0 {
			t.Fatalf("index: %d %s %s", code, out, errOut)
		}
	}
	code, out, errOut := ketnoi(t, "compact", "--data", data)
	if code != 0 || !strings.Contains(out, "Đã gộp chỉ mục") {
		t.Fatalf("compact: %d %s %s", code, out, errOut)
	}
	for i, q := range []string{"bóc vỏ điều", "ốc hương", "Trichoderma"} {
		if _, out, _ := ketnoi(t, "search", "--data", data, q); !strings.Contains(out, fmt.Sprintf("kq-c%d", i)) {
			t.Errorf("search %q after compact:\n%s", q, out)
		}
	}
}

// buildBinary builds ketnoi once for the tests that need a real process.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ketnoi")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startServe starts `ketnoi serve` on a free port and returns the process and its URL.
func startServe(t *testing.T, bin, data string) (*exec.Cmd, string) {
	t.Helper()
	return startServeWith(t, bin, data, nil)
}

// startServeWith is startServe with more environment variables and flags.
func startServeWith(t *testing.T, bin, data string, env []string, flags ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, flags...)...)
	cmd.Env = append(os.Environ(), env...)
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if i := strings.Index(sc.Text(), "http://"); i >= 0 {
				urlc <- strings.Fields(sc.Text()[i:])[0]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case u := <-urlc:
		return cmd, u
	case <-time.After(60 * time.Second):
		t.Fatalf("serve printed no URL within 60 s; stderr:\n%s", stderr.String())
	}
	return nil, ""
}

func TestServeSeedsSampleAndSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	cmd, u := startServe(t, bin, data)

	resp, err := http.Get(u + "healthz")
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Documents int }
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if h.Documents < 360 {
		t.Errorf("seeded %d documents, want the whole sample (≥ 300 results + 60 needs)", h.Documents)
	}
	// While the server holds the data directory: stats goes through its API, index says who holds it.
	out, err := exec.Command(bin, "stats", "--data", data).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Kết quả nghiên cứu:") {
		t.Errorf("stats while serving: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "index", "--data", data, os.DevNull).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "đang được") || !strings.Contains(string(out), fmt.Sprint(cmd.Process.Pid)) {
		t.Errorf("index while serving: %v\n%s", err, out)
	}
	// kill -9 leaves no lock behind: the next run opens the directory, seeds nothing twice.
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	out, err = exec.Command(bin, "stats", "--data", data, "--json").CombinedOutput()
	if err != nil {
		t.Fatalf("stats after kill -9: %v\n%s", err, out)
	}
	var st struct {
		Records   map[string]int `json:"records"`
		IndexDocs int            `json:"index_documents"`
	}
	json.Unmarshal(out, &st)
	if st.Records["result"] < 300 || st.Records["need"] < 60 || st.IndexDocs != st.Records["result"]+st.Records["need"] {
		t.Errorf("after kill -9: %+v", st)
	}
	// A second serve starts on the same directory and does not seed again.
	cmd2, u2 := startServe(t, bin, data)
	resp, err = http.Get(u2 + "healthz")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if h.Documents != st.IndexDocs {
		t.Errorf("restart: %d documents, want %d", h.Documents, st.IndexDocs)
	}
	// SIGTERM stops it cleanly, and says so once the data directory is closed.
	cmd2.Process.Signal(syscall.SIGTERM)
	if err := cmd2.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}
	if log := cmd2.Stderr.(*bytes.Buffer).String(); !strings.HasSuffix(log, "Đã dừng máy chủ: kho và chỉ mục đã đóng.\n") {
		t.Errorf("serve after SIGTERM: the last line is not the stop message; stderr:\n%s", log)
	}
}
