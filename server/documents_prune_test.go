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
// another uploader's folder of the same path, refuses an empty folder that would lose documents until
// prune_empty, and refuses bad input and a broker's key. Roots are the client's absolute paths, the
// filesystem's or a drive's root included.
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
	a := upload(e.staff, "/home/lan/bao-cao/a.txt", boCa)
	upload(e.staff, "/home/lan/bao-cao/2024/b.txt", "Máy bóc vỏ hạt điều bán tự động.")
	upload(e.staff, "/home/lan/bao-cao-cu/c.txt", "Chế phẩm nấm Trichoderma ủ phân chuồng.")
	// Another uploader's folder of the same path: its labels are its own.
	upload(other, "/home/lan/bao-cao/a.txt", "Giống lúa chịu mặn cho vùng ven biển.")

	// Not a staff key: refused before anything is read or changed.
	if code, _, b := prune(e.brk, `{"root": "/home/lan/bao-cao", "present": []}`); code != http.StatusForbidden || !strings.Contains(b, `"forbidden"`) {
		t.Errorf("broker key: %d %s", code, b)
	}
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"no root", `{"present": ["/home/lan/bao-cao/a.txt"]}`, http.StatusBadRequest, "bad_root"},
		{"blank root", `{"root": " ", "present": []}`, http.StatusBadRequest, "bad_root"},
		{"double slash", `{"root": "/home/lan//bao-cao", "present": []}`, http.StatusBadRequest, "bad_root"},
		{"only slashes", `{"root": "//", "present": []}`, http.StatusBadRequest, "bad_root"},
		{"dot", `{"root": "/home/lan/./bao-cao", "present": []}`, http.StatusBadRequest, "bad_root"},
		{"dot dot", `{"root": "/home/lan/../lan/bao-cao", "present": []}`, http.StatusBadRequest, "bad_root"},
		{"relative dot dot", `{"root": "../bao-cao", "present": []}`, http.StatusBadRequest, "bad_root"},
		{"backslashes", `{"root": "C:\\Users\\lan\\bao-cao", "present": []}`, http.StatusBadRequest, "bad_root"},
		{"control character in the root", `{"root": "/home/lan/bao\tcao", "present": []}`, http.StatusBadRequest, "bad_root"},
		{"control character", `{"root": "/home/lan/bao-cao", "present": ["/home/lan/bao-cao/a\u0007.txt"]}`, http.StatusBadRequest, "bad_source_file"},
		{"label of another folder", `{"root": "/home/lan/bao-cao", "present": ["/home/lan/bao-cao-cu/c.txt"]}`, http.StatusBadRequest, "bad_source_file"},
		{"the root itself", `{"root": "/home/lan/bao-cao", "present": ["/home/lan/bao-cao"]}`, http.StatusBadRequest, "bad_source_file"},
		{"label too long", `{"root": "/home/lan/bao-cao", "present": ["/home/lan/bao-cao/` + strings.Repeat("a", indexer.MaxSourceFile) + `"]}`, http.StatusBadRequest, "bad_source_file"},
		{"unknown field", `{"root": "/home/lan/bao-cao", "present": [], "gone": ["/home/lan/bao-cao/a.txt"]}`, http.StatusBadRequest, "unknown_field"},
		{"not JSON", `root=bao-cao`, http.StatusBadRequest, "bad_json"},
		{"body over the bound", `{"root": "/home/lan/bao-cao", "present": ["/home/lan/bao-cao/` + strings.Repeat("x", maxPruneBody) + `"]}`, http.StatusRequestEntityTooLarge, "body_too_large"},
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

	// a.txt left the folder: its document goes; b.txt, still there, and bao-cao-cu, another folder whose
	// path begins alike, stay. A trailing slash names the same folder.
	code, out, b := prune(e.staff, `{"root": "/home/lan/bao-cao/", "present": ["/home/lan/bao-cao/2024/b.txt", "/home/lan/bao-cao/ghi-chu.xlsx"]}`)
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
	code, out, b = prune(e.staff, `{"root": "/home/lan/bao-cao-cu", "present": []}`)
	if code != http.StatusOK || len(out.Deleted) != 0 || out.Refused == nil || out.Refused.Files != 1 || out.Refused.Documents != 1 {
		t.Fatalf("empty folder: %d %s, want refused with 1 file, 1 document", code, b)
	}
	if !found("Trichoderma") {
		t.Fatal("a refused prune deleted the document")
	}
	code, out, b = prune(e.staff, `{"root": "/home/lan/bao-cao-cu", "present": [], "prune_empty": true}`)
	if code != http.StatusOK || len(out.Deleted) != 1 || out.Refused != nil || found("Trichoderma") {
		t.Fatalf("empty folder with prune_empty: %d %s", code, b)
	}
	if !found("hạt điều") {
		t.Error("pruning bao-cao-cu deleted a document of bao-cao")
	}

	// The filesystem's root and a drive's: the files under them, and only those, are theirs.
	win := upload(e.staff, "C:/Users/lan/bao-cao/d.txt", "Máy sấy cá cơm bằng bơm nhiệt.")
	srv := upload(e.staff, "/srv/e.txt", "Hệ thống tưới nhỏ giọt cho cây hồ tiêu.")
	for _, tc := range []struct{ body, deleted, gone, stays string }{
		{`{"root": "/", "present": ["/home/lan/bao-cao/2024/b.txt"]}`, srv, "hồ tiêu", "cá cơm"},
		{`{"root": "C:/", "present": ["C:/Users/lan/ghi-chu.txt"]}`, win, "cá cơm", "hạt điều"},
	} {
		code, out, b = prune(e.staff, tc.body)
		if code != http.StatusOK || len(out.Deleted) != 1 || out.Deleted[0] != tc.deleted || found(tc.gone) || !found(tc.stays) {
			t.Errorf("%s: %d %s, want %s deleted and %q kept", tc.body, code, b, tc.deleted, tc.stays)
		}
	}
	if !found("lúa chịu mặn") {
		t.Error("pruning / deleted another uploader's document")
	}

	// A folder whose name ends in a space is another folder (labels are compared as they are), and a
	// Windows network share's path keeps its leading "//".
	unc := upload(e.staff, "//may-chu/chung/bao-cao/f.txt", "Quy trình làm nước mắm Sa Huỳnh theo cách truyền thống.")
	if code, out, b = prune(e.staff, `{"root": "/home/lan/bao-cao ", "present": [], "prune_empty": true}`); code != http.StatusOK ||
		len(out.Deleted) != 0 || !found("hạt điều") {
		t.Errorf("a folder named with a space after it: %d %s; bao-cao's documents must stay", code, b)
	}
	if code, out, b = prune(e.staff, `{"root": "//may-chu/chung/bao-cao", "present": [], "prune_empty": true}`); code != http.StatusOK ||
		len(out.Deleted) != 1 || out.Deleted[0] != unc || found("nước mắm") {
		t.Errorf("a network share: %d %s, want %s deleted", code, b, unc)
	}
}
