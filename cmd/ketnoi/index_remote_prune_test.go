package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/indexer/extract"
	"ketnoi/server"
)

// uploadTarget is a real server in this process (store, bleve index, upload queue and its runner, as
// `ketnoi serve` sets them up) taking uploads of at most limit bytes, with a staff and a broker key.
type uploadTarget struct {
	url, staff, broker string
}

func startUploadTarget(t *testing.T, limit int64) *uploadTarget {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	d, err := openOrCreateData(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.matcher("")
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.DefaultConfig()
	cfg.Keys = corpus.OpenKeyring(dir)
	staff, _, err := cfg.Keys.Create("Cán bộ", corpus.RoleStaff)
	if err != nil {
		t.Fatal(err)
	}
	broker, _, err := cfg.Keys.Create("Môi giới", corpus.RoleBroker)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(cfg, d.idx, d.store, m, slog.New(slog.NewTextHandler(io.Discard, nil)))
	x := extract.NewExtractor(extract.Options{NoOCR: true}, 0, nil)
	p := &indexer.Pipeline{Store: d.store, Index: d.idx, Extractor: x, Workers: 1, WriteLock: srv.WriteLock()}
	jobs, err := indexer.NewJobs(p, filepath.Join(dir, "uploads"), 16)
	if err != nil {
		t.Fatal(err)
	}
	srv.WithUploads(jobs, limit)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { jobs.Run(ctx); close(done) }()
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		cancel()
		<-done
		x.Close()
		d.close()
	})
	return &uploadTarget{url: ts.URL, staff: staff, broker: broker}
}

// found reports whether a search of the server finds q.
func (u *uploadTarget) found(t *testing.T, q string) bool {
	t.Helper()
	resp, err := http.Get(u.url + "/api/v1/search?q=" + url.QueryEscape(q))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res struct{ Total int }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&res) != nil {
		t.Fatalf("search %q: %d", q, resp.StatusCode)
	}
	return res.Total > 0
}

// TestIndexServerPrune: `ketnoi index --server --prune` deletes on the server the documents of files gone
// from the folders given, once every upload of the run has its outcome, with the lines and summary of a
// local --prune: a file removed is pruned (gone from search) and the folder's other files and another
// folder's stay; a file whose upload failed is still there and keeps its document; a folder found empty is
// refused (exit 1, the folder and counts named) until --prune-empty.
func TestIndexServerPrune(t *testing.T) {
	srv := startUploadTarget(t, 16<<10)
	baoCao := filepath.Join(t.TempDir(), "bao-cao")
	khac := filepath.Join(t.TempDir(), "khac")
	for _, d := range []string{filepath.Join(baoCao, "2024"), khac} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(baoCao, "ca-bop.txt"), "Quy trình nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn.")
	writeFile(t, filepath.Join(baoCao, "2024", "hat-dieu.txt"), "Máy bóc vỏ hạt điều bán tự động cho hợp tác xã.")
	writeFile(t, filepath.Join(khac, "nam.txt"), "Chế phẩm nấm Trichoderma ủ phân chuồng.")
	index := func(args ...string) (int, string, string) {
		t.Helper()
		return ketnoi(t, append([]string{"index", "--server", srv.url, "--key", srv.staff}, args...)...)
	}
	// A broker's key is refused before anything is sent or pruned.
	if code, _, stderr := ketnoi(t, "index", "--server", srv.url, "--key", srv.broker, "--prune", baoCao); code != 1 ||
		!strings.Contains(stderr, "khoá API không phải khoá cán bộ") || srv.found(t, "cá bớp") {
		t.Errorf("broker key: %d\n%s", code, stderr)
	}
	if code, stdout, stderr := index("--prune", baoCao, khac); code != 0 {
		t.Fatalf("first run: %d\n%s\n%s", code, stdout, stderr)
	}
	for _, q := range []string{"cá bớp", "hạt điều", "Trichoderma"} {
		if !srv.found(t, q) {
			t.Fatalf("%q not indexed", q)
		}
	}

	// A file removed: pruned; the other file of the folder, and the other folder (not given), stay.
	if err := os.Remove(filepath.Join(baoCao, "ca-bop.txt")); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := index("--prune", baoCao)
	if code != 0 || !strings.Contains(stdout, "1 tài liệu đã xoá vì tệp không còn") {
		t.Fatalf("prune after a removal: %d\n%s\n%s", code, stdout, stderr)
	}
	if srv.found(t, "cá bớp") || !srv.found(t, "hạt điều") || !srv.found(t, "Trichoderma") {
		t.Errorf("after the prune: cá bớp %v, hạt điều %v, Trichoderma %v; want only cá bớp gone",
			srv.found(t, "cá bớp"), srv.found(t, "hạt điều"), srv.found(t, "Trichoderma"))
	}

	// A file whose new version the server refuses (over its upload limit) is still in the folder: its
	// document is not pruned.
	writeFile(t, filepath.Join(baoCao, "2024", "hat-dieu.txt"), strings.Repeat("Máy bóc vỏ hạt điều, bản mới. ", 1500))
	code, stdout, stderr = index("--prune", baoCao)
	if code != 1 || !strings.Contains(stderr, "LỖI") || !strings.Contains(stderr, "hat-dieu.txt") || strings.Contains(stdout, "đã xoá vì tệp") {
		t.Fatalf("failed upload: %d\n%s\n%s", code, stdout, stderr)
	}
	if !srv.found(t, "hợp tác xã") {
		t.Error("the document of a file that failed to upload was pruned")
	}

	// A folder with no file left: refused, named with its counts, exit 1; --prune-empty prunes it.
	if err := os.Remove(filepath.Join(khac, "nam.txt")); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = index("--prune", khac)
	if code != 1 || !strings.Contains(stderr, "KHÔNG DỌN "+khac+": thư mục trống hẳn (ổ mạng chưa gắn?) mà dọn sẽ xoá 1 tài liệu (1 tệp") ||
		!strings.Contains(stderr, "--prune --prune-empty") {
		t.Fatalf("empty folder: %d\n%s\n%s", code, stdout, stderr)
	}
	if !srv.found(t, "Trichoderma") {
		t.Fatal("a refused prune deleted the document")
	}
	code, stdout, stderr = index("--prune", "--prune-empty", khac)
	if code != 0 || !strings.Contains(stdout, "1 tài liệu đã xoá vì tệp không còn") || srv.found(t, "Trichoderma") {
		t.Fatalf("--prune-empty: %d\n%s\n%s", code, stdout, stderr)
	}
	if !srv.found(t, "hợp tác xã") {
		t.Error("pruning one folder deleted a document of another")
	}
}

// TestIndexServerFlags: a flag of index that has no effect through a server (the server reads files and
// matches as `ketnoi serve` was started), or --key without --server, is refused with a usage error rather
// than ignored; nothing is sent.
func TestIndexServerFlags(t *testing.T) {
	srv := startUploadTarget(t, 1<<20)
	dir := filepath.Join(t.TempDir(), "bao-cao")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "ca-bop.txt"), "Quy trình nuôi cá bớp trong lồng bè.")
	remote := []string{"index", "--server", srv.url, "--key", srv.staff, dir}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{append(remote, "--workers", "2"), "--workers không dùng cùng --server"},
		{append(remote, "--no-ocr"), "--no-ocr không dùng cùng --server"},
		{append(remote, "--timeout", "5m"), "--timeout không dùng cùng --server: máy chủ đọc tệp và ghép lại nhu cầu theo cách nó được chạy (ketnoi serve --extract-timeout)"},
		{append(remote, "--in-process"), "--in-process không dùng cùng --server"},
		{append(remote, "--weights", "w.json"), "--weights không dùng cùng --server"},
		{[]string{"index", "--data", filepath.Join(t.TempDir(), "data"), "--key", srv.staff, dir}, "--key chỉ dùng cùng --server"},
	} {
		code, stdout, stderr := ketnoi(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: %d\n%s\n%s\nwant exit 2 and %q", tc.args[len(tc.args)-2:], code, stdout, stderr, tc.want)
		}
	}
	if srv.found(t, "cá bớp") {
		t.Error("a refused command sent its file")
	}
}
