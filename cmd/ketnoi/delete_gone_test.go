package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDeleteWhatItsSourceTookAway: a document that went with its file (--prune) may still be deleted by
// staff, and then stays deleted when the file comes back; an old version of a changed report is not
// deleted in the report's stead, the command names the current version instead.
func TestDeleteWhatItsSourceTookAway(t *testing.T) {
	dir, data := t.TempDir(), filepath.Join(t.TempDir(), "data")
	report := filepath.Join(t.TempDir(), "r.json")
	index := func(args ...string) map[string]string {
		t.Helper()
		args = append([]string{"index", "--data", data, "--no-ocr", "--report", report}, append(args, dir)...)
		if code, out, errOut := ketnoi(t, args...); code != 0 {
			t.Fatalf("index: %d %s %s", code, out, errOut)
		}
		b, _ := os.ReadFile(report)
		var rows []struct {
			Path  string `json:"path"`
			DocID string `json:"doc_id"`
		}
		if err := json.Unmarshal(b, &rows); err != nil {
			t.Fatalf("report: %v %s", err, b)
		}
		ids := map[string]string{}
		for _, r := range rows {
			ids[filepath.Base(r.Path)] = r.DocID
		}
		return ids
	}
	found := func(q, id string) bool { // among the hits (search relaxes a query that finds nothing)
		t.Helper()
		_, out, _ := ketnoi(t, "search", "--data", data, "--json", q)
		return strings.Contains(out, `"id": "`+id+`"`)
	}
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	const textA = "Quy trình làm nước mắm Sa Huỳnh theo cách truyền thống."
	writeFile(t, a, textA)
	writeFile(t, b, "Quy trình nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn.")
	ids := index()

	// Pruned, then deleted by staff: the file put back does not bring it back.
	if err := os.Remove(a); err != nil {
		t.Fatal(err)
	}
	index("--prune")
	code, _, errOut := ketnoi(t, "delete", "--data", data, ids["a.txt"])
	if code != 0 || !strings.Contains(errOut, ids["a.txt"]+": đã mất vì tệp") {
		t.Fatalf("delete of a pruned document: exit %d, %s", code, errOut)
	}
	writeFile(t, a, textA)
	index()
	if found(`"nước mắm Sa Huỳnh"`, ids["a.txt"]) {
		t.Errorf("a document staff deleted after its file was pruned came back with the file")
	}

	// Changed: the old version's id names the current one, and nothing is deleted.
	writeFile(t, b, "Quy trình nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn, bản sửa lần hai.")
	future := time.Now().Add(2 * time.Second)
	_ = os.Chtimes(b, future, future)
	now := index()["b.txt"]
	code, _, errOut = ketnoi(t, "delete", "--data", data, ids["b.txt"])
	if code != 1 || !strings.Contains(errOut, "đã được thay bằng bản mới "+now) || !found(`"bản sửa lần hai"`, now) {
		t.Errorf("delete of an old version: exit %d, %s; the current version %s must stay", code, errOut, now)
	}
}
