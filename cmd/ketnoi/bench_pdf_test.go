package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"ketnoi/internal/pdffixture"
)

// TestBenchPDF runs `ketnoi bench pdf` on a few generated reports: both measurements run on every page,
// the report has its figures, and a second run reuses the files kept in --dir.
func TestBenchPDF(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	pdffixture.NeedFont(t)
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "pdf")
	// The second run also sends the files through a server.
	serverLine := regexp.MustCompile(`qua máy chủ \(index --server\): .*: \d+ trang/giây, \d+ % của chỉ trích; đỉnh RSS máy chủ và khách \d+ MB`)
	for run, generated := range []bool{true, false} {
		args := []string{"bench", "pdf", "--files", "4", "--pages", "3", "--dir", dir, "--workers", "2"}
		if !generated {
			args = append(args, "--server")
		}
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("run %d: %v\n%s", run, err, out)
		}
		report := string(out)
		if got := strings.Contains(report, "Đã sinh 4 báo cáo 3 trang"); got != generated {
			t.Errorf("run %d: generated %v, want %v:\n%s", run, got, generated, report)
		}
		for _, re := range []string{
			`chỉ trích: +12 trang, [\d.]+ MB chữ trong .*: \d+ trang/giây \(0 tệp lỗi\)`,
			`trích \+ lập chỉ mục: +.*: \d+ trang/giây; đỉnh tổng RSS cả cây tiến trình \d+ MB`,
			`tỉ lệ đường ống/chỉ trích: \d+ %`,
		} {
			if !regexp.MustCompile(re).MatchString(report) {
				t.Errorf("run %d: no line matching %s:\n%s", run, re, report)
			}
		}
		if got := serverLine.MatchString(report); got == generated {
			t.Errorf("run %d: server line %v, want %v:\n%s", run, got, !generated, report)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*.pdf")); len(files) != 4 {
		t.Errorf("%d files kept, want 4", len(files))
	}
	if code, _, _ := ketnoi(t, "bench", "pdf", "--files", "0"); code != 2 {
		t.Errorf("--files 0: exit %d, want 2", code)
	}
	// A folder with a record file would make the pipeline do work that extraction alone does not.
	writeFile(t, filepath.Join(dir, "ban-ghi.jsonl"), `{"id":"x","kind":"result","title":"Máy"}`+"\n")
	if code, _, errOut := ketnoi(t, "bench", "pdf", "--dir", dir); code == 0 || !strings.Contains(errOut, "ban-ghi.jsonl") {
		t.Errorf("a record file in --dir: exit %d, %s", code, errOut)
	}
}

// TestTreeRSS: the resident memory of a process tree counts the children.
func TestTreeRSS(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Skip(err)
	}
	defer child.Process.Kill()
	own := procStatus(os.Getpid(), "VmRSS")
	tree := treeRSS(os.Getpid())
	if kid := procStatus(child.Process.Pid, "VmRSS"); kid <= 0 || tree < own/2+kid {
		t.Errorf("tree %d, own %d, child %d", tree, own, kid)
	}
	if got := treeRSS(child.Process.Pid); got <= 0 {
		t.Errorf("child alone: %d", got)
	}
}
