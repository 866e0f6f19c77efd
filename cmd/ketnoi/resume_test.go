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

	"ketnoi/corpus"
	"ketnoi/indexer"
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
	if recs, docs := statsOf(t, data); recs["result"] != n || docs != n {
		t.Errorf("after resume: %d records, %d in the index; want %d", recs["result"], docs, n)
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

// TestIndexKilledMidRecordsResumes: kill -9 a real `ketnoi index` of a record file while its records are
// being written to the store and, beside that, to the index (checked); the same command again leaves every
// record in the store and in the index, once, and `ketnoi check` finds them agreeing.
func TestIndexKilledMidRecordsResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	const n = 20000
	recs := filepath.Join(t.TempDir(), "ket-qua.jsonl")
	if err := writeBenchRecords(recs, n); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(bin, "index", "--data", data, "--quiet", recs)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	// Three segment files: a batch's pieces are written two at a time, so the third starts only when one of
	// the first two is in the index, while the records are still being read (checked below).
	segments := func() int {
		m, _ := filepath.Glob(filepath.Join(data, "index", "*", "store", "*.zap"))
		return len(m)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for segments() < 3 && time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatal("the first run ended before the index had three segments on disk")
		case <-time.After(5 * time.Millisecond):
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-exited
	if cmd.ProcessState.Success() {
		t.Fatal("the first run ended before the kill; the test needs it mid-run")
	}
	// The kill must have landed while the import was still writing the store and the index already held
	// some of it: what the follower does, and what this test is about.
	stored, indexed := killedState(t, data)
	if stored >= n || indexed == 0 {
		t.Fatalf("at the kill the store held %d of %d records and the index %d: not mid-import with the index following", stored, n, indexed)
	}
	t.Logf("killed with %d of %d records stored, %d indexed", stored, n, indexed)

	out, err := exec.Command(bin, "index", "--data", data, "--quiet", recs).CombinedOutput()
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), fmt.Sprintf("%d bản ghi đọc được", n)) {
		t.Errorf("second run:\n%s", out)
	}
	if recs, docs := statsOf(t, data); recs["result"] != n || docs != n {
		t.Errorf("after resume: %d records, %d in the index; want %d", recs["result"], docs, n)
	}
	if res, code := runCheckJSON(t, bin, data); !res.Consistent || code != 0 {
		t.Errorf("check after resume: consistent=%v, exit %d: %+v", res.Consistent, code, res.Report)
	}
}

// killedState opens a data directory a killed run left, without syncing anything, and returns how many
// results its store holds and how many documents its index.
func killedState(t *testing.T, data string) (stored, indexed int) {
	t.Helper()
	st, err := corpus.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	counts, err := st.Counts()
	if err != nil {
		t.Fatal(err)
	}
	idx, err := indexer.OpenCurrent(data, openIndex)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	docs, err := idx.Count()
	if err != nil {
		t.Fatal(err)
	}
	return counts[corpus.KindResult], int(docs)
}
