package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
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

// TestIndexServerNamesAlikeAfterCleaning: two files of one folder whose labels clean to the same (an NFC
// and an NFD spelling of one name) are not sent under one label: the later is sent without one, with a
// warning naming the other, so both reports are indexed and neither replaces the other, on this run or
// the next.
func TestIndexServerNamesAlikeAfterCleaning(t *testing.T) {
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
	for round := 1; round <= 2; round++ {
		code, stdout, stderr := ketnoi(t, "index", "--server", srv.url, "--key", srv.staff, "--prune", dir)
		if code != 0 || !strings.Contains(stdout, "0 cập nhật") || strings.Contains(stdout, "tài liệu đã xoá") ||
			strings.Count(stderr, "CẢNH BÁO") != 1 || !strings.Contains(stderr, "trùng tên của tệp "+dir) {
			t.Fatalf("round %d: %d\n%s\n%s", round, code, stdout, stderr)
		}
		for _, q := range []string{"cá bớp", "hạt điều", "Trichoderma"} {
			if !srv.found(t, q) {
				t.Errorf("round %d: %q not searchable", round, q)
			}
		}
	}
}
