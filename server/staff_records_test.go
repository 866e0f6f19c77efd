package server

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// staffRecordsCSV has two good rows and a row without a title (line 3), which is left out.
const staffRecordsCSV = "id,kind,title,keywords\n" +
	"kq-bop,result,Quy trình nuôi cá bớp trong lồng bè,thủy sản\n" +
	"kq-thieu,result\n" +
	"kq-dieu,result,Máy bóc vỏ hạt điều bán tự động,cơ khí\n"

// TestStaffUploadRecordFile: through the plain form, a CSV of records and a TXT report sent together: the
// records are imported at once under the signed-in user's source and found by search, the report becomes a
// job as before, and the page after the redirect shows the file's counts and its broken row by line. A
// record staff deleted stays deleted when the file comes again, unless the restore box is ticked (sent
// after the file). A record file over the upload limit, or unreadable, is refused on the page, naming it.
func TestStaffUploadRecordFile(t *testing.T) {
	e := staffServer(t)
	b := e.browser(t)
	b.signIn(e.staff, "")
	csrf := b.csrf()
	if p := b.get("/can-bo"); !strings.Contains(p.body, "CSV, JSON, JSONL, NDJSON, XLSX") || !strings.Contains(p.body, ".csv,.json,") {
		t.Errorf("the form does not say it takes record files:\n%s", p.body)
	}

	report := []byte("Quy trình ủ phân hữu cơ từ vỏ cà phê cho hồ tiêu.")
	p := b.upload(csrf, []upFile{{"ket-qua.csv", []byte(staffRecordsCSV)}, {"bao-cao.txt", report}}, map[string]string{"year": "2023"})
	if p.code != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", p.code, p.body)
	}
	// The import syncs the index before the answer: search finds the records at once.
	if !e.searchFinds(t, url.Values{"q": {"cá bớp lồng bè"}}, "kq-bop") {
		t.Error("kq-bop not found right after the form's answer")
	}
	en, err := e.store.Get("kq-dieu")
	if err != nil {
		t.Fatal(err)
	}
	if src := "upload:" + e.staffK.ID + "/ket-qua.csv"; !slices.Equal(en.Sources, []string{src}) {
		t.Errorf("sources %v, want %s", en.Sources, src)
	}
	if _, err := e.store.Get("kq-thieu"); err == nil {
		t.Error("the broken row was stored")
	}
	jobs := e.waitJobs(t, 1)
	if len(jobs) != 1 || jobs[0].Name != "bao-cao.txt" {
		t.Fatalf("jobs: %+v", jobs)
	}
	p = b.get("/can-bo")
	for _, want := range []string{
		"Đã nhận 1 tệp: bao-cao.txt.",
		"Tệp bản ghi ket-qua.csv: 2 bản ghi (2 mới, 0 cập nhật, 0 không đổi), 1 bị loại, 0 cảnh báo",
		"<li>Dòng 3, lỗi: dòng có 2 cột",
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("page after the upload lacks %q:\n%s", want, p.body)
		}
	}

	// Deleted by staff: the same file (under a name the page must escape) leaves it deleted...
	if code, body, _ := e.do(t, "DELETE", "/api/v1/results/kq-bop", e.staff, "", nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", code, body)
	}
	b.upload(csrf, []upFile{{"<i>lai.csv", []byte(staffRecordsCSV)}}, nil)
	p = b.get("/can-bo")
	if !strings.Contains(p.body, "Tệp bản ghi &lt;i&gt;lai.csv: 2 bản ghi (0 mới, ") || !strings.Contains(p.body, ", 1 đã bị xoá không đưa lại), 1 bị loại") ||
		!strings.Contains(p.body, "Dòng 2 (mã kq-bop), cảnh báo: bản ghi này đã bị xoá nên không được đưa lại; muốn khôi phục, tải tệp lên lại và đánh dấu ô") ||
		strings.Contains(p.body, "--restore-deleted") || strings.Contains(p.body, "<i>lai") {
		t.Errorf("page after the upload of a deleted record:\n%s", p.body)
	}
	if e.searchFinds(t, url.Values{"q": {"cá bớp lồng bè"}}, "kq-bop") {
		t.Error("a record staff deleted came back without the restore box")
	}
	// ...unless the restore box is ticked, whatever its place in the form.
	b.upload(csrf, []upFile{{"ket-qua.csv", []byte(staffRecordsCSV)}}, map[string]string{"restore": "true"})
	if !e.searchFinds(t, url.Values{"q": {"cá bớp lồng bè"}}, "kq-bop") {
		t.Error("a deleted record did not come back with the restore box ticked")
	}

	// Over the limit: the page's error names the file, and nothing of the form is taken.
	big := bytes.Repeat([]byte("kq-lon,result,Máy sấy nông sản dùng năng lượng mặt trời,cơ khí\n"), (2<<20)/60+10)
	p = b.upload(csrf, []upFile{{"bao-cao-2.txt", report}, {"lon.csv", append([]byte("id,kind,title,keywords\n"), big...)}}, nil)
	if p.code != http.StatusSeeOther {
		t.Fatalf("upload over the limit: %d %s", p.code, p.body)
	}
	p = b.get("/can-bo")
	if !strings.Contains(p.body, `class="flash error"`) || !strings.Contains(p.body, "Tệp «lon.csv»: Tệp vượt giới hạn 2 MB. Chưa nhận tệp nào.") {
		t.Errorf("page after a record file over the limit:\n%s", p.body)
	}
	if _, err := e.store.Get("kq-lon"); err == nil || len(e.jobs.List(10)) != 1 {
		t.Errorf("a refused form left something: kq-lon %v, %d jobs", err, len(e.jobs.List(10)))
	}

	// A record file that cannot be read at all: the page's error names it; the other record file of the
	// form still goes in.
	b.upload(csrf, []upFile{{"hong.json", []byte("Đây không phải JSON.")}, {"ket-qua.csv", []byte(staffRecordsCSV)}}, nil)
	p = b.get("/can-bo")
	if !strings.Contains(p.body, `class="flash error"`) || !strings.Contains(p.body, "Tệp bản ghi «hong.json»: ") ||
		!strings.Contains(p.body, "không đọc được") || !strings.Contains(p.body, "Tệp bản ghi ket-qua.csv: 2 bản ghi (0 mới, 0 cập nhật, 2 không đổi)") {
		t.Errorf("page after an unreadable record file:\n%s", p.body)
	}

	audit, err := os.ReadFile(filepath.Join(e.dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(audit), `"action":"records.import","target":"ket-qua.csv"`); n != 3 {
		t.Errorf("%d audit entries of the form's imports of ket-qua.csv, want 3:\n%s", n, audit)
	}
}

// A full report queue refuses the form's reports it cannot take, naming them, and still imports its record
// files, which do not use the queue. A form of record files only is not refused for a bad shared field,
// which is a report's.
func TestStaffUploadRecordsQueueFull(t *testing.T) {
	e := &staffEnv{uploadEnv: writeServer(t, 1, false, "Cán bộ", &syncBuffer{}), logs: &syncBuffer{}}
	b := e.browser(t)
	b.signIn(e.staff, "")
	csrf := b.csrf()
	report := []byte("Quy trình ủ phân hữu cơ từ vỏ cà phê cho hồ tiêu.")
	b.upload(csrf, []upFile{{"ket-qua.csv", []byte(staffRecordsCSV)}, {"mot.txt", report}, {"hai.txt", report}, {"ba.txt", report}}, nil)
	p := b.get("/can-bo")
	for _, want := range []string{"báo cáo chưa nhận (", "hai.txt, ba.txt", "Tệp bản ghi ket-qua.csv: 2 bản ghi (2 mới,"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("page after a form the queue could not all take lacks %q:\n%s", want, p.body)
		}
	}
	if _, err := e.store.Get("kq-bop"); err != nil {
		t.Errorf("the record file was not imported when the report queue was full: %v", err)
	}

	b.upload(csrf, []upFile{{"ket-qua-2.csv", []byte(strings.ReplaceAll(staffRecordsCSV, "kq-", "kq2-"))}}, map[string]string{"year": "abc"})
	if _, err := e.store.Get("kq2-bop"); err != nil {
		t.Errorf("a form of record files only was refused for a report's field: %v\n%s", err, b.get("/can-bo").body)
	}
}
