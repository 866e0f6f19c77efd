package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"ketnoi/corpus"
)

// TestIndexRecordsThroughServer: `ketnoi index --server` sends a folder's record file to the server before
// its report, prints the rejected row as a local run does, counts the file in the same summary line, adds
// it to --report, and exits 1 for the rejected row. A record staff deleted stays deleted when the folder
// is sent again, and --restore-deleted brings it back.
func TestIndexRecordsThroughServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	_, _, u, key := serveWithKey(t, "staff")
	dir := t.TempDir()
	records := filepath.Join(dir, "ket-qua.jsonl")
	writeFile(t, records, `{"id": "kq-sen", "kind": "result", "title": "Quy trình bóc vỏ hạt sen bằng máy bán tự động"}
{"id": "kq-hong", "kind": "result", "title":
{"id": "kq-tieu", "kind": "result", "title": "Máy sàng phân loại hạt tiêu đen xuất khẩu"}
`)
	report := filepath.Join(dir, "ghi-chu.txt")
	writeFile(t, report, "Quy trình nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn, mật độ thả 5 con/m³.")
	rep := filepath.Join(t.TempDir(), "ket-qua.json")

	const summary = "Bản ghi: 1 tệp, 2 bản ghi đọc được; 2 mới, 0 cập nhật, 0 không đổi; 1 bị loại, 0 cảnh báo; 0 tệp bỏ qua, 0 tệp lỗi."
	code, stdout, stderr := ketnoi(t, "index", "--server", u, "--key", key, "--report", rep, dir)
	if code != 1 || !strings.Contains(stdout, summary) || !strings.Contains(stderr, "LỖI "+records+", dòng 2: JSON hỏng") ||
		!strings.Contains(stderr, "[bị loại]") || strings.Contains(stderr, "BỎ QUA") || !strings.Contains(stdout, "ghi-chu.txt: mới") {
		t.Fatalf("index --server: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// The same line as a local run of the record file.
	if _, local, _ := ketnoi(t, "index", "--data", filepath.Join(t.TempDir(), "data"), records); !strings.Contains(local, summary) {
		t.Errorf("local run's summary differs:\n%s", local)
	}
	b, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct{ Path, Outcome, Message string }
	if err := json.Unmarshal(b, &rows); err != nil || len(rows) != 2 {
		t.Fatalf("report: %v\n%s", err, b)
	}
	if rows[0].Path != records || rows[0].Outcome != "added" || !strings.Contains(rows[0].Message, "2 bản ghi (2 mới") ||
		!strings.Contains(rows[0].Message, "1 bị loại") || rows[1].Path != report || rows[1].Outcome != "added" {
		t.Errorf("report rows (the record file first, as it is sent first): %s", b)
	}
	waitFound(t, u, "hạt sen", "kq-sen", true)

	// Deleted by staff: sent again, the row is named and the record stays deleted; asked, it comes back.
	req, _ := http.NewRequest(http.MethodDelete, u+"api/v1/results/kq-sen", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v %v", resp, err)
	}
	code, stdout, stderr = ketnoi(t, "index", "--server", u, "--key", key, dir)
	if code != 1 || !strings.Contains(stdout, records+", dòng 1 (kq-sen): "+corpus.KeptDeletedMessage("kq-sen")) ||
		!strings.Contains(stdout, "0 mới, 0 cập nhật, 1 không đổi, 1 bản ghi đã bị xoá") {
		t.Errorf("sent again after the delete: exit %d\n%s\n%s", code, stdout, stderr)
	}
	waitFound(t, u, "hạt sen", "kq-sen", false)
	code, stdout, stderr = ketnoi(t, "index", "--server", u, "--key", key, "--restore-deleted", "--quiet", dir)
	if code != 1 || !strings.Contains(stdout, "1 mới, 0 cập nhật, 1 không đổi;") || strings.Contains(stdout, records+":") {
		t.Errorf("--restore-deleted --quiet: exit %d\n%s\n%s", code, stdout, stderr)
	}
	waitFound(t, u, "hạt sen", "kq-sen", true)
}

// waitFound polls the server's search for q until it finds id (or no longer does, found false): the index
// follows an import within moments.
func waitFound(t *testing.T, u, q, id string, found bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(u + "api/v1/search?q=" + url.QueryEscape(q))
		if err != nil {
			t.Fatal(err)
		}
		var res struct{ Hits []struct{ ID string } }
		_ = json.NewDecoder(resp.Body).Decode(&res)
		resp.Body.Close()
		has := false
		for _, h := range res.Hits {
			has = has || h.ID == id
		}
		if has == found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("search %q on the server: %s found = %v, want %v", q, id, has, found)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestIndexRecordsServerWithoutRoute: against a server of the previous version, which has no
// POST /api/v1/records (stood for by a proxy to a real server that sends that route to one it does not
// know, so the answer is the server's own 404), `ketnoi index --server` says once that the server does not
// take record files and what to do, sends no other record file, skips them all in the summary and in
// --report as the previous client did, still sends the report, and exits 1.
func TestIndexRecordsServerWithoutRoute(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	_, _, u, key := serveWithKey(t, "staff")
	target, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	var recordPosts atomic.Int32
	proxy := httputil.NewSingleHostReverseProxy(target)
	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(req.URL.Path, "/api/v1/records") {
			recordPosts.Add(1)
			req.URL.Path = "/api/v1/khong-co-duong-nay"
		}
		proxy.ServeHTTP(w, req)
	}))
	defer old.Close()

	dir := t.TempDir()
	jsonl := filepath.Join(dir, "ket-qua.jsonl")
	writeFile(t, jsonl, `{"id": "kq-sen", "kind": "result", "title": "Quy trình bóc vỏ hạt sen bằng máy bán tự động"}`+"\n")
	csvFile := filepath.Join(dir, "nhu-cau.csv")
	writeFile(t, csvFile, "id,kind,title\nnc-tieu,need,Cần máy sàng phân loại hạt tiêu đen\n")
	report := filepath.Join(dir, "ghi-chu.txt")
	writeFile(t, report, "Quy trình nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn, mật độ thả 5 con/m³.")
	rep := filepath.Join(t.TempDir(), "ket-qua.json")

	code, stdout, stderr := ketnoi(t, "index", "--server", old.URL, "--key", key, "--report", rep, dir)
	const once = "không nhận tệp bản ghi (phiên bản trước của ketnoi"
	if code != 1 || strings.Count(stderr, once) != 1 || !strings.Contains(stderr, "dừng máy chủ rồi chạy ketnoi index không có --server") ||
		!strings.Contains(stderr, "BỎ QUA "+jsonl+": máy chủ không nhận tệp bản ghi") || !strings.Contains(stderr, "BỎ QUA "+csvFile+": máy chủ không nhận tệp bản ghi") ||
		strings.Contains(stderr, "HTTP 404") || !strings.Contains(stdout, "Bản ghi: 0 tệp, 0 bản ghi đọc được;") ||
		!strings.Contains(stdout, "2 tệp bỏ qua, 0 tệp lỗi.") || !strings.Contains(stdout, "ghi-chu.txt: mới") {
		t.Fatalf("index --server against a server without the route: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if n := recordPosts.Load(); n != 1 {
		t.Errorf("%d record files sent; want only the first, whose 404 says the server takes none", n)
	}
	b, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct{ Path, Outcome, Reason, Message string }
	if err := json.Unmarshal(b, &rows); err != nil || len(rows) != 3 {
		t.Fatalf("report: %v\n%s", err, b)
	}
	outcomes := map[string]string{}
	for _, r := range rows {
		outcomes[r.Path] = r.Outcome + "/" + r.Reason
		if r.Outcome == "skipped" && !strings.Contains(r.Message, "không có --server") {
			t.Errorf("report row of %s: %q says not what to do", r.Path, r.Message)
		}
	}
	if outcomes[jsonl] != "skipped/unsupported" || outcomes[csvFile] != "skipped/unsupported" || outcomes[report] != "added/" {
		t.Errorf("report rows: %s", b)
	}
}

// TestIndexUnreadableRecordFileLine: a local run names the line where a JSON array whose first object is
// broken breaks, after the file's name as for a rejected row, with the words of JSON broken from there
// (not "not JSON"), and the file is a failed file.
func TestIndexUnreadableRecordFileLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "ds.json")
	writeFile(t, f, "[\n  {\"id\": \"kq-01\" \"kind\": \"result\", \"title\": \"Máy bóc vỏ hạt sen\"}\n]\n")
	code, stdout, stderr := ketnoi(t, "index", "--data", filepath.Join(t.TempDir(), "data"), f)
	if code != 1 || !strings.Contains(stderr, "LỖI "+f+", dòng 2: JSON hỏng từ đây đến hết tệp") ||
		strings.Contains(stderr, "không phải JSON") || !strings.Contains(stdout, "0 tệp bỏ qua, 1 tệp lỗi.") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}
