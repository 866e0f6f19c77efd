package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestChangedFileIsUpdated: a report whose file changed replaces its previous version and is reported
// "cập nhật" (updated), not "mới": in its line, in the summary and in --report.
func TestChangedFileIsUpdated(t *testing.T) {
	dir := t.TempDir()
	txt := filepath.Join(dir, "ca-bop.txt")
	writeFile(t, txt, "Quy trình nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn, mật độ 5 con/m³.")
	data := filepath.Join(t.TempDir(), "data")
	index := func(extra ...string) (int, string, string) {
		return ketnoi(t, append([]string{"index", "--data", data, "--no-ocr", dir}, extra...)...)
	}
	type row struct {
		Outcome string `json:"outcome"`
		DocID   string `json:"doc_id"`
	}
	report := func(rep string) row {
		t.Helper()
		var rows []row
		b, _ := os.ReadFile(rep)
		if json.Unmarshal(b, &rows) != nil || len(rows) != 1 {
			t.Fatalf("report %s", b)
		}
		return rows[0]
	}
	rep := filepath.Join(t.TempDir(), "r.json")
	if code, stdout, stderr := index("--report", rep); code != 0 || !strings.Contains(stdout, "1 mới, 0 cập nhật") {
		t.Fatalf("first index: %d\n%s\n%s", code, stdout, stderr)
	}
	first := report(rep)

	writeFile(t, txt, "Quy trình nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn, mật độ 8 con/m³, bản sửa năm 2025.")
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(txt, later, later); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := index("--report", rep)
	second := report(rep)
	if code != 0 || second.Outcome != "updated" || second.DocID == first.DocID || second.DocID == "" {
		t.Fatalf("changed file: %d, report %+v (was %+v)\n%s\n%s", code, second, first, stdout, stderr)
	}
	if !strings.Contains(stdout, "ca-bop.txt: cập nhật "+second.DocID) ||
		!strings.Contains(regexp.MustCompile(`Báo cáo: .*`).FindString(stdout), "0 mới, 1 cập nhật") {
		t.Errorf("changed file, want it said updated:\n%s", stdout)
	}
}
