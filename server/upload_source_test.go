package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"ketnoi/corpus"
	"ketnoi/indexer"
)

// TestUploadNamingItsFileReplacesItsLastVersion: an upload that names the file it is (source_file, as
// `ketnoi index --server` sends it) replaces the document of the last upload with that name when its
// content changed, as a changed file does in a local run: reported updated, the staff's corrections kept,
// the old id leading to the new version. The name is a label, compared byte for byte. An upload without
// it, or with another name, stands on its own.
func TestUploadNamingItsFileReplacesItsLastVersion(t *testing.T) {
	e := uploadServer(t, 8, true)
	upload := func(content string, fields map[string]string) *indexer.FileOutcome {
		t.Helper()
		return e.uploadDone(t, e.staff, "cá bớp.txt", content, fields)
	}
	label := "báo cáo/2024/cá bớp.txt"
	v1 := upload("Nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn, mật độ 5 con/m³.", map[string]string{"source_file": label})
	if v1.Outcome != indexer.OutcomeAdded {
		t.Fatalf("first version: %+v", v1)
	}
	if code, b, _ := e.do(t, "PATCH", "/api/v1/results/"+v1.DocID, e.staff, "application/json", strings.NewReader(`{"trl": 6}`)); code != http.StatusOK {
		t.Fatalf("edit: %d %s", code, b)
	}

	v2 := upload("Nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn, mật độ 8 con/m³, bản sửa.", map[string]string{"source_file": label})
	if v2.Outcome != indexer.OutcomeUpdated || v2.DocID == v1.DocID {
		t.Fatalf("second version: %+v, want it updating %s", v2, v1.DocID)
	}
	if ids := e.searchIDs(t, "cá bớp"); len(ids) != 1 || ids[0] != v2.DocID {
		t.Errorf("search after the second version: %v, want [%s]", ids, v2.DocID)
	}
	code, b, _ := e.do(t, "GET", "/api/v1/results/"+v2.DocID, "", "", nil)
	var rec struct{ TRL int }
	if code != http.StatusOK || json.Unmarshal(b, &rec) != nil || rec.TRL != 6 {
		t.Errorf("second version lost the staff's correction: %d %s", code, b)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := noFollow.Get(e.ts.URL + "/api/v1/results/" + v1.DocID); err != nil ||
		resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != "/api/v1/results/"+v2.DocID {
		t.Errorf("old id: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	// Without the label, or with another one, an upload is a file of its own: nothing is replaced. Labels
	// are compared byte for byte: the same name spelt decomposed, or with a space after it, names another
	// file (two files on most file systems).
	for _, fields := range []map[string]string{nil, {"source_file": "báo cáo/2025/cá bớp.txt"},
		{"source_file": norm.NFD.String(label)}, {"source_file": label + " "}} {
		if o := upload("Nuôi cá bớp giống trong ao đất, bản khác.", fields); o.Outcome != indexer.OutcomeAdded && o.Outcome != indexer.OutcomeSame {
			t.Errorf("upload with %v: %+v", fields, o)
		}
	}
	if ids := e.searchIDs(t, `"8 con"`); len(ids) != 1 || ids[0] != v2.DocID {
		t.Errorf("an upload of another file replaced %s: %v", v2.DocID, ids)
	}
}

// TestUploadBadSourceFile: a label that is not text, holds control characters or is too long is refused
// with the field named, and no job is made.
func TestUploadBadSourceFile(t *testing.T) {
	e := uploadServer(t, 8, false)
	for _, tc := range []struct{ name, label, says string }{
		{"not UTF-8", "a\xffb.pdf", "UTF-8"},
		{"control character", "a\x00b.pdf", "ký tự điều khiển"},
		{"new line", "a\nb.pdf", "ký tự điều khiển"},
		{"too long", strings.Repeat("ơ", indexer.MaxSourceFile), "quá giới hạn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctype, body := multipartBody(t, "a.txt", []byte("Nuôi cá bớp."), map[string]string{"source_file": tc.label})
			code, b, _ := e.do(t, "POST", "/api/v1/documents", e.staff, ctype, body)
			var ae struct{ Code, Message string }
			if code != http.StatusBadRequest || json.Unmarshal(b, &ae) != nil || ae.Code != "bad_source_file" ||
				!strings.Contains(ae.Message, "source_file") || !strings.Contains(ae.Message, tc.says) {
				t.Errorf("%d %s", code, b)
			}
		})
	}
	if jobs := e.jobs.List(10); len(jobs) != 0 {
		t.Errorf("jobs made from refused uploads: %d", len(jobs))
	}
}

// TestDocumentHeldByContent: GET /api/v1/documents/{sha} tells a staff key what the server holds of a
// file's content without the file being sent: the document indexed from it, whether the last upload
// under a label gave it, the document staff deleted; nothing for content it never saw; refused to
// other roles and for malformed input, in the one error shape.
func TestDocumentHeldByContent(t *testing.T) {
	e := uploadServer(t, 8, true)
	content := []byte("Quy trình sấy cá cơm bằng bơm nhiệt cho làng nghề Nhơn Lý.")
	sum := sha256.Sum256(content)
	sha := hex.EncodeToString(sum[:])
	ctype, body := multipartBody(t, "ca-com.txt", content, map[string]string{"source_file": "bao-cao/ca-com.txt"})
	code, b, _ := e.do(t, "POST", "/api/v1/documents", e.staff, ctype, body)
	var j indexer.Job
	if code != http.StatusAccepted || json.Unmarshal(b, &j) != nil {
		t.Fatalf("upload: %d %s", code, b)
	}
	id := e.waitJob(t, j.ID).Outcome.DocID

	type held struct {
		SHA256, ID, State string
		NeedsOCR          bool  `json:"needs_ocr"`
		Known             *bool `json:"source_file_known"`
	}
	yes, no := true, false
	check := func(t *testing.T, path, key string, code int, want held, errCode string) {
		t.Helper()
		got, b, _ := e.do(t, "GET", path, key, "", nil)
		if got != code {
			t.Fatalf("%d %s, want %d", got, b, code)
		}
		if errCode != "" {
			var ae struct{ Code, Message string }
			if json.Unmarshal(b, &ae) != nil || ae.Code != errCode || ae.Message == "" {
				t.Errorf("error %s, want code %s", b, errCode)
			}
			return
		}
		var h held
		if json.Unmarshal(b, &h) != nil || h.SHA256 != want.SHA256 || h.ID != want.ID || h.State != want.State ||
			(h.Known == nil) != (want.Known == nil) || h.Known != nil && *h.Known != *want.Known {
			t.Errorf("answer %s, want %+v", b, want)
		}
	}
	other := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name, path, key string
		code            int
		want            held
		errCode         string
	}{
		{"indexed", "/api/v1/documents/" + sha, e.staff, 200, held{SHA256: sha, ID: id, State: "indexed"}, ""},
		{"upper case", "/api/v1/documents/" + strings.ToUpper(sha), e.staff, 200, held{SHA256: sha, ID: id, State: "indexed"}, ""},
		{"its label", "/api/v1/documents/" + sha + "?source_file=bao-cao%2Fca-com.txt", e.staff, 200, held{SHA256: sha, ID: id, State: "indexed", Known: &yes}, ""},
		{"another label", "/api/v1/documents/" + sha + "?source_file=khac%2Fca-com.txt", e.staff, 200, held{SHA256: sha, ID: id, State: "indexed", Known: &no}, ""},
		{"unknown content", "/api/v1/documents/" + other, e.staff, 404, held{}, "not_found"},
		{"not a hash", "/api/v1/documents/" + sha[:10], e.staff, 400, held{}, "bad_sha256"},
		{"not hex", "/api/v1/documents/" + strings.Repeat("zz", 32), e.staff, 400, held{}, "bad_sha256"},
		{"bad label", "/api/v1/documents/" + sha + "?source_file=a%00b", e.staff, 400, held{}, "bad_source_file"},
		{"broker", "/api/v1/documents/" + sha, e.brk, 403, held{}, "forbidden"},
		{"no key", "/api/v1/documents/" + sha, "", 401, held{}, "unauthorized"},
	} {
		t.Run(tc.name, func(t *testing.T) { check(t, tc.path, tc.key, tc.code, tc.want, tc.errCode) })
	}
	if code, b, _ := e.do(t, "DELETE", "/api/v1/results/"+id, e.staff, "", nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", code, b)
	}
	check(t, "/api/v1/documents/"+sha, e.staff, 200, held{SHA256: sha, ID: id, State: "deleted"}, "")
}

// TestUploadLabelsAreEachUploadersOwn: two staff members sending folders of the same name (every
// institution has its "bao-cao") do not replace each other's reports: a label links the versions one
// uploader sends. The lookup by content answers for the asking uploader's labels too.
func TestUploadLabelsAreEachUploadersOwn(t *testing.T) {
	e := uploadServer(t, 8, true)
	other, _, err := e.keys.Create("Cán bộ C", corpus.RoleStaff)
	if err != nil {
		t.Fatal(err)
	}
	upload := func(key, content string) *indexer.FileOutcome {
		t.Helper()
		return e.uploadDone(t, key, "tong-ket.txt", content, map[string]string{"source_file": "bao-cao/tong-ket.txt"})
	}
	a := upload(e.staff, "Báo cáo tổng kết: nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn.")
	c := upload(other, "Báo cáo tổng kết: giống lúa chịu mặn cho vùng ven biển Phù Cát.")
	if a.Outcome != indexer.OutcomeAdded || c.Outcome != indexer.OutcomeAdded || a.DocID == c.DocID {
		t.Fatalf("same label from two staff members: %+v then %+v, want two new documents", a, c)
	}
	if ids := e.searchIDs(t, "cá bớp"); len(ids) != 1 || ids[0] != a.DocID {
		t.Errorf("the first uploader's report was replaced by the other's: search gives %v, want [%s]", ids, a.DocID)
	}
	sum := sha256.Sum256([]byte("Báo cáo tổng kết: nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn."))
	path := "/api/v1/documents/" + hex.EncodeToString(sum[:]) + "?source_file=bao-cao%2Ftong-ket.txt"
	for _, tc := range []struct {
		key   string
		known bool
	}{{e.staff, true}, {other, false}} {
		code, b, _ := e.do(t, "GET", path, tc.key, "", nil)
		var h struct {
			Known *bool `json:"source_file_known"`
		}
		if code != http.StatusOK || json.Unmarshal(b, &h) != nil || h.Known == nil || *h.Known != tc.known {
			t.Errorf("lookup: %d %s, want source_file_known %v", code, b, tc.known)
		}
	}
	// Each uploader's next version still replaces their own last one.
	if a2 := upload(e.staff, "Báo cáo tổng kết: nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn, bản sửa."); a2.Outcome != indexer.OutcomeUpdated {
		t.Errorf("second version of the first uploader's file: %+v", a2)
	}
	if ids := e.searchIDs(t, "lúa chịu mặn"); len(ids) != 1 || ids[0] != c.DocID {
		t.Errorf("the other uploader's report after the first one's new version: %v, want [%s]", ids, c.DocID)
	}
}

// uploadDone uploads content as a file called name with key and waits for its job to be done.
func (u *uploadEnv) uploadDone(t *testing.T, key, name, content string, fields map[string]string) *indexer.FileOutcome {
	t.Helper()
	ctype, body := multipartBody(t, name, []byte(content), fields)
	code, b, _ := u.do(t, "POST", "/api/v1/documents", key, ctype, body)
	var j indexer.Job
	if code != http.StatusAccepted || json.Unmarshal(b, &j) != nil {
		t.Fatalf("upload: %d %s", code, b)
	}
	if j = u.waitJob(t, j.ID); j.State != indexer.JobDone || j.Outcome == nil {
		t.Fatalf("job: %+v", j)
	}
	return j.Outcome
}

// TestDeleteWhatItsSourceTookAway: DELETE on a report that went with its file (pruned) makes that
// deletion staff's, so the same content uploaded again stays deleted; on an old version of a replaced
// report it answers 409 naming the current version, which stays.
func TestDeleteWhatItsSourceTookAway(t *testing.T) {
	e := uploadServer(t, 8, true)
	label := map[string]string{"source_file": "bao-cao/nuoc-mam.txt"}
	const text = "Quy trình làm nước mắm Sa Huỳnh theo cách truyền thống."
	gone := e.uploadDone(t, e.staff, "nuoc-mam.txt", text, label)
	if code, b, _ := e.do(t, "POST", "/api/v1/documents/prune", e.staff, "application/json",
		strings.NewReader(`{"root": "bao-cao", "present": [], "prune_empty": true}`)); code != http.StatusOK {
		t.Fatalf("prune: %d %s", code, b)
	}
	if code, b, _ := e.do(t, "DELETE", "/api/v1/results/"+gone.DocID, e.staff, "", nil); code != http.StatusNoContent {
		t.Fatalf("delete of a pruned report: %d %s", code, b)
	}
	if again := e.uploadDone(t, e.staff, "nuoc-mam.txt", text, label); !again.Deleted {
		t.Errorf("the content of a report staff deleted after it was pruned came back: %+v", again)
	}

	label = map[string]string{"source_file": "bao-cao/ca-bop.txt"}
	old := e.uploadDone(t, e.staff, "ca-bop.txt", "Nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn.", label)
	cur := e.uploadDone(t, e.staff, "ca-bop.txt", "Nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn, bản sửa.", label)
	code, b, _ := e.do(t, "DELETE", "/api/v1/results/"+old.DocID, e.staff, "", nil)
	var ae struct{ Code, Message string }
	if code != http.StatusConflict || json.Unmarshal(b, &ae) != nil || ae.Code != "replaced" || !strings.Contains(ae.Message, cur.DocID) {
		t.Errorf("delete of an old version: %d %s, want 409 replaced naming %s", code, b, cur.DocID)
	}
	if ids := e.searchIDs(t, "cá bớp"); len(ids) != 1 || ids[0] != cur.DocID {
		t.Errorf("the current version after a delete of the old one: %v, want [%s]", ids, cur.DocID)
	}
}

// TestRetrySupersededUpload: retrying a failed upload of a file its uploader sent again since answers
// 409 superseded, naming the newer job.
func TestRetrySupersededUpload(t *testing.T) {
	e := uploadServer(t, 8, true)
	label := map[string]string{"source_file": "/bao-cao/ca-bop.pdf"}
	ctype, body := multipartBody(t, "ca-bop.pdf", []byte("%PDF-1.4\nrác"), label)
	code, b, _ := e.do(t, "POST", "/api/v1/documents", e.staff, ctype, body)
	var j indexer.Job
	if code != http.StatusAccepted || json.Unmarshal(b, &j) != nil {
		t.Fatalf("upload: %d %s", code, b)
	}
	if j = e.waitJob(t, j.ID); j.State != indexer.JobFailed {
		t.Fatalf("broken upload: %+v", j)
	}
	e.uploadDone(t, e.staff, "ca-bop.txt", "Nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn.", label)
	code, b, _ = e.do(t, "POST", "/api/v1/jobs/"+j.ID+"/retry", e.staff, "", nil)
	var ae struct{ Code, Message string }
	if code != http.StatusConflict || json.Unmarshal(b, &ae) != nil || ae.Code != "superseded" || !strings.Contains(ae.Message, "tải lên lại") {
		t.Errorf("retry: %d %s, want 409 superseded", code, b)
	}
}
