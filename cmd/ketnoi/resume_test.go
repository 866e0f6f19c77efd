package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// numberWord spells n with syllables so that every file has a word of its own to search for.
func numberWord(n int) string {
	digits := []string{"không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"}
	var parts []string
	for _, c := range fmt.Sprintf("%04d", n) {
		parts = append(parts, digits[c-'0'])
	}
	return "mã" + strings.Join(parts, "")
}

// TestIndexKilledMidRunResumes: kill -9 a real `ketnoi index` in the middle of a folder, run the same
// command again: it finishes without redoing the files the first run finished, and store and index
// agree (every file's document is there and searchable, none twice).
func TestIndexKilledMidRunResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	const n = 1500
	for i := range n {
		body := fmt.Sprintf("Báo cáo số %d về quy trình chế biến hải sản tại Quy Nhơn. Từ khoá riêng: %s.\n", i, numberWord(i))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("bc-%04d.txt", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(bin, "index", "--data", data, "--workers", "2", "--no-ocr", dir)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	finished := map[string]bool{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if path, _, ok := strings.Cut(sc.Text(), ": mới"); ok {
			finished[path] = true
		}
		if len(finished) >= 100 {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if len(finished) < 100 || len(finished) >= n {
		t.Fatalf("the first run reported %d finished files before the kill; the test needs it mid-run", len(finished))
	}

	report := filepath.Join(t.TempDir(), "report.json")
	out, err := exec.Command(bin, "index", "--data", data, "--no-ocr", "--quiet", "--report", report, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Path, Outcome, DocID string
	}
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != n {
		t.Fatalf("report has %d rows, want %d", len(rows), n)
	}
	redone := 0
	for _, r := range rows {
		if finished[r.Path] && r.Outcome != "unchanged" {
			redone++
		}
		if r.Outcome != "unchanged" && r.Outcome != "added" {
			t.Errorf("%s: %s", r.Path, r.Outcome)
		}
	}
	if redone > 0 {
		t.Errorf("%d files finished before the kill were read again", redone)
	}
	// Store and index agree, every document once.
	out, err = exec.Command(bin, "stats", "--data", data, "--json").CombinedOutput()
	if err != nil {
		t.Fatalf("stats: %v\n%s", err, out)
	}
	var st struct {
		Records   map[string]int `json:"records"`
		IndexDocs int            `json:"index_documents"`
	}
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if st.Records["result"] != n || st.IndexDocs != n {
		t.Errorf("after resume: %d records, %d in the index; want %d", st.Records["result"], st.IndexDocs, n)
	}
	deadline := time.Now().Add(time.Minute)
	for i := 0; i < n && time.Now().Before(deadline); i += 97 {
		out, err := exec.Command(bin, "search", "--data", data, "--json", numberWord(i)).Output()
		if err != nil {
			t.Fatal(err)
		}
		var res struct{ Total int }
		json.Unmarshal(out, &res)
		if res.Total != 1 {
			t.Errorf("%s: %d hits, want 1", numberWord(i), res.Total)
		}
	}
}
