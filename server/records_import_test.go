package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/internal/corpustest"
)

// importRecords posts one record file to /api/v1/records with a staff key and decodes the answer.
func (u *uploadEnv) importRecords(t *testing.T, name string, content []byte, fields map[string]string) (int, recordsImportResponse, string) {
	t.Helper()
	ctype, body := multipartBody(t, name, content, fields)
	code, b, _ := u.do(t, "POST", recordsRoute, u.staff, ctype, body)
	var out recordsImportResponse
	if code == http.StatusOK {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("answer of %s: %v\n%s", name, err, b)
		}
	}
	return code, out, string(b)
}

// waitSearch polls public search (q and the other parameters of query) until it finds id (want) or no
// longer finds it, within a deadline: the index follows an import's writes.
func (u *uploadEnv) waitSearch(t *testing.T, query url.Values, id string, want bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if u.searchFinds(t, query, id) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("search %v: %s found = %v, want %v", query, id, !want, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// searchFinds runs one public search (no waiting) and says whether it finds id.
func (u *uploadEnv) searchFinds(t *testing.T, query url.Values, id string) bool {
	t.Helper()
	code, b, _ := u.do(t, "GET", "/api/v1/search?"+query.Encode(), "", "", nil)
	var res struct{ Hits []struct{ ID string } }
	if code != http.StatusOK || json.Unmarshal(b, &res) != nil {
		t.Fatalf("search: %d %s", code, b)
	}
	return slices.ContainsFunc(res.Hits, func(h struct{ ID string }) bool { return h.ID == id })
}

const importJSONL = `{"id": "kq-dieu", "kind": "result", "title": "Máy bóc vỏ hạt điều bán tự động"}
{"id": "kq-hong", "kind": "result", "title":
{"id": "kq-bop", "kind": "result", "title": "Quy trình nuôi cá bớp trong lồng bè"}
{"id": "kq-dieu", "kind": "result", "title": "Máy bóc vỏ và phân loại hạt điều bán tự động"}
`

// TestImportRecordFile: a staff key sends a JSONL file with good rows, a broken row and an id repeated; the
// answer counts them and lists the problems by line, the good rows are stored under the uploader's source
// and become searchable. A record staff deleted stays deleted when the file is sent again, and comes back
// with restore=true. The import is in the audit log.
func TestImportRecordFile(t *testing.T) {
	e := uploadServer(t, 8, false)
	label := "/home/lan/ban-ghi/ket-qua.jsonl"
	code, out, body := e.importRecords(t, "ket-qua.jsonl", []byte(importJSONL), map[string]string{"source_file": label})
	if code != http.StatusOK {
		t.Fatalf("import: %d %s", code, body)
	}
	if out.File != "ket-qua.jsonl" || out.Read != 3 || out.Added != 2 || out.Updated != 1 || out.Unchanged != 0 ||
		out.Rejected != 1 || out.Warnings != 1 || out.KeptDeleted != 0 || out.ProblemsTruncated {
		t.Errorf("counts: %s", body)
	}
	want := []struct {
		line     int
		id       string
		severity corpus.Severity
		code     string
	}{
		{2, "", corpus.Rejected, corpus.ProblemBadJSON},
		{4, "kq-dieu", corpus.Warning, corpus.ProblemDuplicateID},
	}
	if len(out.Problems) != len(want) {
		t.Fatalf("problems: %s", body)
	}
	for i, w := range want {
		p := out.Problems[i]
		if p.Line != w.line || p.ID != w.id || p.Severity != string(w.severity) || p.Code != w.code || p.Message == "" {
			t.Errorf("problem %d: %+v, want %+v", i, p, w)
		}
	}
	// The index is synced before the answer: less than a batch, which the follower leaves to that sync.
	if !e.searchFinds(t, url.Values{"q": {"cá bớp lồng bè"}}, "kq-bop") {
		t.Error("kq-bop not found by a search right after the import's answer")
	}
	en, err := e.store.Get("kq-dieu")
	if err != nil {
		t.Fatal(err)
	}
	if src := "upload:" + e.staffK.ID + "/" + label; !slices.Equal(en.Sources, []string{src}) || en.Original == "" ||
		!strings.Contains(string(en.Record), "phân loại") {
		t.Errorf("stored entry: sources %v (want %s), original %q, record %s", en.Sources, src, en.Original, en.Record)
	}

	// Deleted by staff: the same file leaves it deleted, and says which row held it.
	if code, b, _ := e.do(t, "DELETE", "/api/v1/results/kq-bop", e.staff, "", nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", code, b)
	}
	code, out, body = e.importRecords(t, "ket-qua.jsonl", []byte(importJSONL), map[string]string{"source_file": label})
	if code != http.StatusOK || out.KeptDeleted != 1 || out.Added != 0 || out.Updated != 2 || out.Rejected != 1 ||
		!slices.ContainsFunc(out.Problems, func(p importProblemJSON) bool {
			return p.Line == 3 && p.ID == "kq-bop" && p.Code == corpus.ProblemKeptDeleted && p.Message == corpus.KeptDeletedMessage("kq-bop")
		}) {
		t.Errorf("import again after the delete: %d %s", code, body)
	}
	e.waitSearch(t, url.Values{"q": {"cá bớp lồng bè"}}, "kq-bop", false)
	code, out, body = e.importRecords(t, "ket-qua.jsonl", []byte(importJSONL), map[string]string{"source_file": label, "restore": "true"})
	if code != http.StatusOK || out.KeptDeleted != 0 || out.Added != 1 {
		t.Errorf("import asking to restore: %d %s", code, body)
	}
	e.waitSearch(t, url.Values{"q": {"cá bớp lồng bè"}}, "kq-bop", true)

	// Problems beyond the first 1 000 are counted, not listed.
	broken := strings.Repeat("không phải JSON\n", maxImportProblems+5)
	code, out, body = e.importRecords(t, "hong-nhieu.jsonl", []byte(broken), nil)
	if code != http.StatusOK || out.Rejected != maxImportProblems+5 || len(out.Problems) != maxImportProblems || !out.ProblemsTruncated {
		t.Errorf("import of a file of broken rows: %d, %d rejected, %d problems, truncated %v", code, out.Rejected, len(out.Problems), out.ProblemsTruncated)
	}
	// Warnings are capped apart from errors: 1 200 warnings do not hide the row left out after them. A
	// paragraph read as an id is cut in the answer.
	var many strings.Builder
	for i := range maxImportProblems + 200 {
		fmt.Fprintf(&many, `{"id": "kq-canh-bao-%d", "kind": "result", "title": "Kết quả %d", "la": "x"}`+"\n", i, i)
	}
	long := strings.Repeat("dài ", 2000)
	fmt.Fprintf(&many, `{"id": %q, "kind": "result"}`+"\n", long)
	code, out, body = e.importRecords(t, "canh-bao.jsonl", []byte(many.String()), nil)
	last := maxImportProblems + 201
	i := slices.IndexFunc(out.Problems, func(p importProblemJSON) bool { return p.Line == last && p.Severity == string(corpus.Rejected) })
	if code != http.StatusOK || out.Rejected != 1 || out.Warnings < maxImportProblems+200 || !out.ProblemsTruncated || i < 0 {
		t.Fatalf("import of 1 200 warnings and a rejected row: %d, %d rejected, %d warnings, truncated %v, rejected row listed %v",
			code, out.Rejected, out.Warnings, out.ProblemsTruncated, i >= 0)
	}
	if n := utf8.RuneCountInString(out.Problems[i].ID) + utf8.RuneCountInString(out.Problems[i].Message); n > 2*maxProblemText+4 || len(body) > 1<<20 {
		t.Errorf("a paragraph-long id: %d characters in the problem, answer of %d bytes", n, len(body))
	}

	audit, err := os.ReadFile(filepath.Join(e.dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(audit), `"action":"records.import","target":"`+label+`"`); n != 3 || !strings.Contains(string(audit), e.staffK.ID) {
		t.Errorf("%d audit entries of the imports, want 3:\n%s", n, audit)
	}
}

// TestImportRecordFormats: CSV and XLSX files go in as JSONL does, by their file name's extension.
func TestImportRecordFormats(t *testing.T) {
	e := uploadServer(t, 8, false)
	csv := "id,kind,title,keywords\nnc-lo,need,Cần lò sấy cà phê tiết kiệm củi,cà phê;sấy\nnc-x,need\n"
	xlsx := corpustest.Workbook(t, [][]any{{"id", "kind", "title", "min_trl"},
		{"nc-dieu", "need", "Cần máy tách nhân hạt điều cho hợp tác xã", 5}})
	tests := []struct {
		name            string
		content         []byte
		read, rejected  int
		searched, found string
	}{
		{"nhu-cau.csv", []byte(csv), 1, 1, "lò sấy cà phê", "nc-lo"},
		{"nhu-cau.xlsx", xlsx, 1, 0, "tách nhân hạt điều", "nc-dieu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, body := e.importRecords(t, tt.name, tt.content, nil)
			if code != http.StatusOK || out.Read != tt.read || out.Added != tt.read || out.Rejected != tt.rejected {
				t.Fatalf("import: %d %s", code, body)
			}
			if en, err := e.store.Get(tt.found); err != nil || !slices.Equal(en.Sources, []string{"upload:" + e.staffK.ID + "/" + tt.name}) {
				t.Errorf("stored %s: %+v %v", tt.found, en, err)
			}
			e.waitSearch(t, url.Values{"kind": {"need"}, "q": {tt.searched}}, tt.found, true)
		})
	}
}

// TestImportRecordRefusals: the route is staff's; what is not one readable record file within the upload
// limit is refused with its code, and nothing is stored.
func TestImportRecordRefusals(t *testing.T) {
	e := uploadServer(t, 8, false)
	good := []byte(`{"id": "kq-x", "kind": "result", "title": "Máy bóc vỏ hạt điều bán tự động"}` + "\n")
	big := bytes.Repeat([]byte(`{"id": "kq-x", "kind": "result", "title": "Máy bóc vỏ hạt điều bán tự động"}`+"\n"), (2<<20)/70+10)
	tests := []struct {
		name     string
		key      string
		file     string
		content  []byte
		fields   map[string]string
		status   int
		code     string
		contains string
	}{
		{"no key", "", "a.jsonl", good, nil, http.StatusUnauthorized, "", ""},
		{"broker key", e.brk, "a.jsonl", good, nil, http.StatusForbidden, "", ""},
		{"not a record file", e.staff, "ghi-chu.txt", good, nil, http.StatusUnsupportedMediaType, "unsupported_format", "ghi-chu.txt"},
		{"over the limit", e.staff, "lon.jsonl", big, nil, http.StatusRequestEntityTooLarge, "file_too_large", "2 MB"},
		{"not JSON", e.staff, "hong.json", []byte("Đây không phải JSON."), nil, http.StatusBadRequest, corpus.ProblemUnreadableFile, "không phải JSON hợp lệ"},
		{"not a workbook", e.staff, "hong.xlsx", []byte("PK rác"), nil, http.StatusBadRequest, corpus.ProblemUnreadableFile, "bảng tính XLSX"},
		{"restore not a boolean", e.staff, "a.jsonl", good, map[string]string{"restore": "có lẽ"}, http.StatusBadRequest, "bad_restore", ""},
		{"a field of documents", e.staff, "a.jsonl", good, map[string]string{"title": "x"}, http.StatusBadRequest, "unknown_field", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctype, body := multipartBody(t, tt.file, tt.content, tt.fields)
			code, b, _ := e.do(t, "POST", recordsRoute, tt.key, ctype, body)
			var ae APIError
			_ = json.Unmarshal(b, &ae)
			if code != tt.status || tt.code != "" && ae.Code != tt.code || !strings.Contains(ae.Message, tt.contains) {
				t.Errorf("%d %s, want %d %s with %q", code, b, tt.status, tt.code, tt.contains)
			}
		})
	}
	if code, b, _ := e.do(t, "POST", recordsRoute, e.staff, "application/json", strings.NewReader(string(good))); code != http.StatusUnsupportedMediaType {
		t.Errorf("not multipart: %d %s", code, b)
	}
	if _, err := e.store.Get("kq-x"); err == nil {
		t.Error("a refused import stored its record")
	}
}

// A record file sent without source_file is labelled by its name, made a valid label where it is not
// (the client sends such a file without a label), never refused for it.
func TestNameLabel(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"ket-qua.jsonl", "ket-qua.jsonl"},
		{"k\xe9t-qu\xe1.jsonl", "k\uFFFDt-qu\uFFFD.jsonl"},
		{"ket\tqua\x00.csv", "ket?qua?.csv"},
		{strings.Repeat("đ", 600) + ".csv", strings.Repeat("đ", 512)},
	} {
		got := nameLabel(c.name)
		if got != c.want || indexer.CheckSourceFile(got) != nil {
			t.Errorf("nameLabel(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}
