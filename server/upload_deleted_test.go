package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"ketnoi/indexer"
)

// TestUploadOfDeletedDocument: a file whose document staff deleted, uploaded again (under another name, as
// `ketnoi index --server` or a person would), leaves it deleted: the job is done, its outcome unchanged and
// saying so, and the staff page shows it with the way back. Asked explicitly (the API's or the form's
// "restore" field), the upload brings the document back.
func TestUploadOfDeletedDocument(t *testing.T) {
	e := staffServer(t)
	content := []byte("Quy trình nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn, mật độ thả 5 con/m³.")
	upload := func(name string, fields map[string]string) indexer.Job {
		t.Helper()
		ctype, body := multipartBody(t, name, content, fields)
		code, b, _ := e.do(t, "POST", "/api/v1/documents", e.staff, ctype, body)
		var j indexer.Job
		if code != http.StatusAccepted || json.Unmarshal(b, &j) != nil {
			t.Fatalf("upload %s: %d %s", name, code, b)
		}
		return e.waitJob(t, j.ID)
	}
	remove := func(id string) {
		t.Helper()
		if code, b, _ := e.do(t, "DELETE", "/api/v1/results/"+id, e.staff, "", nil); code != http.StatusNoContent {
			t.Fatalf("delete %s: %d %s", id, code, b)
		}
	}
	first := upload("cá bớp.txt", nil)
	if first.Outcome == nil || first.Outcome.Outcome != indexer.OutcomeAdded {
		t.Fatalf("first upload: %+v", first)
	}
	id := first.Outcome.DocID
	remove(id)

	again := upload("cá bớp (bản gửi lại).txt", nil)
	if o := again.Outcome; again.State != indexer.JobDone || o == nil || o.Outcome != indexer.OutcomeUnchanged || !o.Deleted ||
		o.DocID != id || !strings.Contains(o.Message, id+" đã bị xoá") {
		t.Fatalf("upload of the deleted document's file: %+v %+v", again, again.Outcome)
	}
	if ids := e.searchIDs(t, "cá bớp"); len(ids) != 0 {
		t.Errorf("the deleted document came back: %v", ids)
	}
	b := e.browser(t)
	b.signIn(e.staff, "")
	page := b.get("/can-bo").body
	row := page[strings.Index(page, `data-job="`+again.ID+`"`):]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, "Không đưa lại: tài liệu "+id+" đã bị xoá") || !strings.Contains(row, "Khôi phục tài liệu đã bị xoá") ||
		strings.Contains(row, "/ket-qua/") || !strings.Contains(page, `name="restore"`) {
		t.Errorf("job row of the deleted document:\n%s", row)
	}

	ctype, body := multipartBody(t, "x.txt", content, map[string]string{"restore": "có lẽ"})
	if code, resp, _ := e.do(t, "POST", "/api/v1/documents", e.staff, ctype, body); code != http.StatusBadRequest || !strings.Contains(string(resp), "bad_restore") {
		t.Errorf("restore with a value that is not a boolean: %d %s", code, resp)
	}

	// Restored on purpose: through the API, then (deleted once more) through the staff page's form.
	restored := upload("cá bớp.txt", map[string]string{"restore": "true"})
	if o := restored.Outcome; o == nil || o.Outcome != indexer.OutcomeAdded || o.DocID != id || o.Deleted || !restored.Restore {
		t.Fatalf("upload asking to restore: %+v %+v", restored, restored.Outcome)
	}
	if ids := e.searchIDs(t, "cá bớp"); len(ids) != 1 || ids[0] != id {
		t.Errorf("search after restoring: %v, want %s", ids, id)
	}
	remove(id)
	if p := b.upload(b.csrf(), []upFile{{"cá bớp.txt", content}}, map[string]string{"restore": "true"}); p.code != http.StatusSeeOther {
		t.Fatalf("form upload asking to restore: %d %s", p.code, p.body)
	}
	jobs := e.waitJobs(t, 4)
	if o := jobs[0].Outcome; o == nil || o.Outcome != indexer.OutcomeAdded || o.DocID != id {
		t.Errorf("form upload asking to restore: %+v", jobs[0])
	}
	if ids := e.searchIDs(t, "cá bớp"); len(ids) != 1 {
		t.Errorf("search after restoring through the form: %v", ids)
	}
}
