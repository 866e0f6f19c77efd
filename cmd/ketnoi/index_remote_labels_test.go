package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"ketnoi/indexer/extract"
)

// TestIndexServerFoldersOfTheSameName: two institutions' folders of the same name ("bao-cao", each with
// its "tong-ket.txt") sent by one key, in one run, in two runs, or as two files given by themselves, are
// two files: both reports stay searchable, run after run, and neither is ever reported replaced.
func TestIndexServerFoldersOfTheSameName(t *testing.T) {
	for _, tc := range []struct {
		name string
		runs func(a, b string) [][]string // the paths given to each run, from the two folders
	}{
		{"one run", func(a, b string) [][]string { return [][]string{{a, b}} }},
		{"two runs", func(a, b string) [][]string { return [][]string{{a}, {b}} }},
		{"files by themselves", func(a, b string) [][]string {
			return [][]string{{filepath.Join(a, "tong-ket.txt"), filepath.Join(b, "tong-ket.txt")}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startUploadTarget(t, 1<<20)
			a := filepath.Join(t.TempDir(), "vien-a", "bao-cao")
			b := filepath.Join(t.TempDir(), "truong-b", "bao-cao")
			for _, d := range []string{a, b} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			writeFile(t, filepath.Join(a, "tong-ket.txt"), "Tổng kết của viện A: quy trình nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn.")
			writeFile(t, filepath.Join(b, "tong-ket.txt"), "Tổng kết của trường B: máy bóc vỏ hạt điều bán tự động cho hợp tác xã.")
			// Twice over: a second round must change nothing (before, each run flipped the label back).
			for round := 1; round <= 2; round++ {
				for _, paths := range tc.runs(a, b) {
					code, stdout, stderr := ketnoi(t, append([]string{"index", "--server", srv.url, "--key", srv.staff, "--prune"}, paths...)...)
					if code != 0 || !strings.Contains(stdout, "0 cập nhật") || strings.Contains(stdout, "tài liệu đã xoá") {
						t.Fatalf("round %d, %v: %d\n%s\n%s", round, paths, code, stdout, stderr)
					}
				}
				if !srv.found(t, "cá bớp") || !srv.found(t, "hạt điều") {
					t.Fatalf("round %d: cá bớp %v, hạt điều %v; want both reports searchable", round, srv.found(t, "cá bớp"), srv.found(t, "hạt điều"))
				}
			}
		})
	}
}

// TestIndexServerNamesAlike: two files of one folder whose names differ only by Unicode normalisation (an
// NFC and an NFD spelling of one name) are two files: each is sent under its own exact path, both reports
// are indexed, and neither replaces the other, sent together or in runs of their own.
func TestIndexServerNamesAlike(t *testing.T) {
	srv := startUploadTarget(t, 1<<20)
	dir := filepath.Join(t.TempDir(), "bao-cao")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := []struct{ name, text string }{
		{norm.NFC.String("cá.txt"), "Quy trình nuôi cá bớp trong lồng bè."},
		{norm.NFD.String("cá.txt"), "Máy bóc vỏ hạt điều bán tự động."},
		{"nam.txt", "Chế phẩm nấm Trichoderma ủ phân chuồng."},
	}
	for _, f := range files {
		writeFile(t, filepath.Join(dir, f.name), f.text)
	}
	if names, _ := os.ReadDir(dir); len(names) != len(files) {
		t.Skip("this filesystem does not keep names that differ only by normalisation apart")
	}
	runs := [][]string{
		{filepath.Join(dir, files[1].name)}, {filepath.Join(dir, files[0].name)}, // one at a time
		{"--prune", dir}, {"--prune", dir}, // together, twice
	}
	for i, args := range runs {
		code, stdout, stderr := ketnoi(t, append([]string{"index", "--server", srv.url, "--key", srv.staff}, args...)...)
		if code != 0 || !strings.Contains(stdout, "0 cập nhật") || strings.Contains(stdout, "tài liệu đã xoá") ||
			strings.Contains(stderr, "CẢNH BÁO") {
			t.Fatalf("run %d: %d\n%s\n%s", i, code, stdout, stderr)
		}
	}
	for _, q := range []string{"cá bớp", "hạt điều", "Trichoderma"} {
		if !srv.found(t, q) {
			t.Errorf("%q not searchable", q)
		}
	}
}

// TestIndexServerInvalidLabel: a file whose label the server would refuse (a tab in its name, a path over
// 1024 bytes) is sent without a label, with a warning saying why, and indexed; it does not stop
// --server --prune for its folder, which still prunes the file removed from it.
func TestIndexServerInvalidLabel(t *testing.T) {
	srv := startUploadTarget(t, 1<<20)
	dir := filepath.Join(t.TempDir(), "bao-cao")
	deep := filepath.Join(dir, strings.Repeat("a", 250), strings.Repeat("b", 250), strings.Repeat("c", 250), strings.Repeat("d", 250))
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "ca-bop.txt"), "Quy trình nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn.")
	writeFile(t, filepath.Join(dir, "hat\tdieu.txt"), "Máy bóc vỏ hạt điều bán tự động cho hợp tác xã.")
	writeFile(t, filepath.Join(deep, "nam.txt"), "Chế phẩm nấm Trichoderma ủ phân chuồng.")
	index := func() (int, string, string) {
		return ketnoi(t, "index", "--server", srv.url, "--key", srv.staff, "--prune", dir)
	}
	code, stdout, stderr := index()
	if code != 0 || !strings.Contains(stdout, "3 mới") ||
		!strings.Contains(stderr, "CẢNH BÁO "+filepath.Join(dir, "hat\tdieu.txt")+": gửi không kèm tên tệp nguồn vì tên tệp nguồn (source_file) chứa ký tự điều khiển") ||
		!strings.Contains(stderr, "CẢNH BÁO "+filepath.Join(deep, "nam.txt")+": gửi không kèm tên tệp nguồn vì tên tệp nguồn (source_file) dài") ||
		!strings.Contains(stderr, "bản sửa sau này của tệp sẽ vào thành tài liệu riêng") {
		t.Fatalf("first run: %d\n%s\n%s", code, stdout, stderr)
	}
	for _, q := range []string{"cá bớp", "hạt điều", "Trichoderma"} {
		if !srv.found(t, q) {
			t.Fatalf("%q not indexed", q)
		}
	}
	if err := os.Remove(filepath.Join(dir, "ca-bop.txt")); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = index()
	if code != 0 || !strings.Contains(stdout, "1 tài liệu đã xoá vì tệp không còn") || strings.Contains(stderr, "KHÔNG DỌN") {
		t.Fatalf("prune: %d\n%s\n%s", code, stdout, stderr)
	}
	if srv.found(t, "cá bớp") || !srv.found(t, "hạt điều") || !srv.found(t, "Trichoderma") {
		t.Errorf("after the prune: cá bớp %v, hạt điều %v, Trichoderma %v; want only cá bớp gone",
			srv.found(t, "cá bớp"), srv.found(t, "hạt điều"), srv.found(t, "Trichoderma"))
	}
}

// TestIndexServerRefusedUpload: a file the server refuses is reported with the reason of its answer and
// its message (not "không đọc được tệp", the file was read): over the upload limit, too_large; with a
// sidecar that is not JSON, malformed.
func TestIndexServerRefusedUpload(t *testing.T) {
	srv := startUploadTarget(t, 16<<10)
	for _, tc := range []struct {
		name   string
		files  map[string]string
		reason extract.Reason
		says   string
	}{
		{"over the limit", map[string]string{"lon.txt": strings.Repeat("Máy bóc vỏ hạt điều. ", 2000)}, extract.ReasonTooLarge, "HTTP 413"},
		{"sidecar not JSON", map[string]string{"ca.txt": "Nuôi cá bớp trong lồng bè.", "ca.json": `{"trl": 6`}, extract.ReasonMalformed,
			`HTTP 400): Phần "record" không phải JSON hợp lệ`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range tc.files {
				writeFile(t, filepath.Join(dir, name), text)
			}
			rep := filepath.Join(t.TempDir(), "r.json")
			code, stdout, stderr := ketnoi(t, "index", "--server", srv.url, "--key", srv.staff, "--report", rep, dir)
			var rows []struct {
				Outcome string         `json:"outcome"`
				Reason  extract.Reason `json:"reason"`
				Message string         `json:"message"`
			}
			b, _ := os.ReadFile(rep)
			if code != 1 || json.Unmarshal(b, &rows) != nil || len(rows) != 1 || rows[0].Outcome != "failed" ||
				rows[0].Reason != tc.reason || !strings.Contains(rows[0].Message, tc.says) ||
				!strings.Contains(stderr, "["+string(tc.reason)+"]") {
				t.Fatalf("%d, report %s\n%s\n%s\nwant reason %s saying %q", code, b, stdout, stderr, tc.reason, tc.says)
			}
		})
	}
}

// TestUploadReason: what the client makes of each kind of failure to send a file.
func TestUploadReason(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want extract.Reason
	}{
		{&uploadError{status: 413, code: "file_too_large"}, extract.ReasonTooLarge},
		{&uploadError{status: 415, code: "bad_content_type"}, extract.ReasonUnsupported},
		{&uploadError{status: 400, code: "unsupported_format"}, extract.ReasonUnsupported},
		{&uploadError{status: 400, code: "bad_record"}, extract.ReasonMalformed},
		{&uploadError{status: 503, code: "busy"}, extract.ReasonTimeout},
		{&uploadError{status: 500, code: "internal"}, extract.ReasonCrashed},
		{fmt.Errorf("gửi tệp lên máy chủ: %w", errors.New("connection refused")), extract.ReasonIO},
		{&fs.PathError{Op: "open", Path: "a.pdf", Err: fs.ErrPermission}, extract.ReasonIO},
	} {
		if got := uploadReason(tc.err); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.err, got, tc.want)
		}
	}
}
