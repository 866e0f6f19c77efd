package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"ketnoi/corpus"
	"ketnoi/indexer"
)

// TestPruneUploads: POST /api/v1/documents/prune forgets the uploads labelled under a folder whose file
// the client no longer has and deletes their documents (gone from search, as their source's deletion: the
// content is not held as one staff deleted), leaves alone the files still there, another folder's and
// another uploader's folder of the same name, refuses an empty folder that would lose documents until
// prune_empty, and refuses bad input and a broker's key.
func TestPruneUploads(t *testing.T) {
	e := uploadServer(t, 8, true)
	other, _, err := e.keys.Create("Cán bộ viện khác", corpus.RoleStaff)
	if err != nil {
		t.Fatal(err)
	}
	upload := func(key, label, content string) string {
		t.Helper()
		ctype, body := multipartBody(t, label[strings.LastIndex(label, "/")+1:], []byte(content), map[string]string{"source_file": label})
		code, b, _ := e.do(t, "POST", "/api/v1/documents", key, ctype, body)
		var j indexer.Job
		if code != http.StatusAccepted || json.Unmarshal(b, &j) != nil {
			t.Fatalf("upload %s: %d %s", label, code, b)
		}
		if j = e.waitJob(t, j.ID); j.State != indexer.JobDone || j.Outcome == nil || j.Outcome.DocID == "" {
			t.Fatalf("job of %s: %+v", label, j)
		}
		return j.Outcome.DocID
	}
	prune := func(key, body string) (int, pruneAnswer, string) {
		t.Helper()
		code, b, _ := e.do(t, "POST", "/api/v1/documents/prune", key, "application/json", strings.NewReader(body))
		var out pruneAnswer
		if code == http.StatusOK && json.Unmarshal(b, &out) != nil {
			t.Fatalf("prune answer: %s", b)
		}
		return code, out, string(b)
	}
	found := func(q string) bool { return len(e.searchIDs(t, q)) > 0 }

	const boCa = "Quy trình nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn."
	a := upload(e.staff, "bao-cao/a.txt", boCa)
	upload(e.staff, "bao-cao/2024/b.txt", "Máy bóc vỏ hạt điều bán tự động.")
	upload(e.staff, "bao-cao-cu/c.txt", "Chế phẩm nấm Trichoderma ủ phân chuồng.")
	// Another uploader's folder of the same name: its labels are its own.
	upload(other, "bao-cao/a.txt", "Giống lúa chịu mặn cho vùng ven biển.")

	// Not a staff key: refused before anything is read or changed.
	if code, _, b := prune(e.brk, `{"root": "bao-cao", "present": []}`); code != http.StatusForbidden || !strings.Contains(b, `"forbidden"`) {
		t.Errorf("broker key: %d %s", code, b)
	}
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"no root", `{"present": ["bao-cao/a.txt"]}`, http.StatusBadRequest, "bad_root"},
		{"root with a slash", `{"root": "bao-cao/2024", "present": []}`, http.StatusBadRequest, "bad_root"},
		{"control character", `{"root": "bao-cao", "present": ["bao-cao/a\u0007.txt"]}`, http.StatusBadRequest, "bad_source_file"},
		{"label of another folder", `{"root": "bao-cao", "present": ["bao-cao-cu/c.txt"]}`, http.StatusBadRequest, "bad_source_file"},
		{"label too long", `{"root": "bao-cao", "present": ["bao-cao/` + strings.Repeat("a", indexer.MaxSourceFile) + `"]}`, http.StatusBadRequest, "bad_source_file"},
		{"unknown field", `{"root": "bao-cao", "present": [], "gone": ["bao-cao/a.txt"]}`, http.StatusBadRequest, "unknown_field"},
		{"not JSON", `root=bao-cao`, http.StatusBadRequest, "bad_json"},
		{"body over the bound", `{"root": "bao-cao", "present": ["bao-cao/` + strings.Repeat("x", maxPruneBody) + `"]}`, http.StatusRequestEntityTooLarge, "body_too_large"},
	} {
		code, _, b := prune(e.staff, tc.body)
		var ae APIError
		if code != tc.status || json.Unmarshal([]byte(b), &ae) != nil || ae.Code != tc.code || ae.Message == "" {
			t.Errorf("%s: %d %.300s, want %d %s", tc.name, code, b, tc.status, tc.code)
		}
	}
	if !found("cá bớp") || !found("hạt điều") || !found("Trichoderma") {
		t.Fatal("a refused request deleted a document")
	}

	// a.txt left the folder: its document goes; b.txt, still there, and bao-cao-cu, another folder, stay.
	code, out, b := prune(e.staff, `{"root": "bao-cao", "present": ["bao-cao/2024/b.txt", "bao-cao/ghi-chu.xlsx"]}`)
	if code != http.StatusOK || len(out.Deleted) != 1 || out.Deleted[0] != a || out.Refused != nil {
		t.Fatalf("prune: %d %s, want %s deleted", code, b, a)
	}
	if found("cá bớp") || !found("hạt điều") || !found("Trichoderma") || !found("lúa chịu mặn") {
		t.Errorf("after pruning a.txt: cá bớp %v, hạt điều %v, Trichoderma %v, lúa chịu mặn (another uploader's) %v",
			found("cá bớp"), found("hạt điều"), found("Trichoderma"), found("lúa chịu mặn"))
	}
	// Deleted as its file's, not by staff: the content is not held as a deleted document.
	sum := sha256.Sum256([]byte(boCa))
	if code, b, _ := e.do(t, "GET", "/api/v1/documents/"+hex.EncodeToString(sum[:]), e.staff, "", nil); code != http.StatusNotFound {
		t.Errorf("content of the pruned document: %d %s, want 404 (not held as deleted by staff)", code, b)
	}

	// The folder found empty: refused with the counts, nothing deleted, until prune_empty says so.
	code, out, b = prune(e.staff, `{"root": "bao-cao-cu", "present": []}`)
	if code != http.StatusOK || len(out.Deleted) != 0 || out.Refused == nil || out.Refused.Files != 1 || out.Refused.Documents != 1 {
		t.Fatalf("empty folder: %d %s, want refused with 1 file, 1 document", code, b)
	}
	if !found("Trichoderma") {
		t.Fatal("a refused prune deleted the document")
	}
	code, out, b = prune(e.staff, `{"root": "bao-cao-cu", "present": [], "prune_empty": true}`)
	if code != http.StatusOK || len(out.Deleted) != 1 || out.Refused != nil || found("Trichoderma") {
		t.Fatalf("empty folder with prune_empty: %d %s", code, b)
	}
	if !found("hạt điều") {
		t.Error("pruning bao-cao-cu deleted a document of bao-cao")
	}
}
