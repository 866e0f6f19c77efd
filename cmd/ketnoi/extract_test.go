package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ketnoi/internal/pdffixture"
)

// TestExtractJSON: ketnoi extract --json prints exactly one JSON object per file, in worker processes,
// with "error" a typed reason where no text came out, and exits 1 when a file failed.
func TestExtractJSON(t *testing.T) {
	pdffixture.NeedFont(t)
	fx, err := pdffixture.BuildTextFixtures()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "bao-cao.pdf")
	bad := filepath.Join(dir, "hong.pdf")
	txt := filepath.Join(dir, "ghi-chu.txt")
	writeFile(t, good, string(fx[0].PDF))
	writeFile(t, bad, "đây không phải PDF")
	writeFile(t, txt, "Ghi chú: quy trình sấy cá cơm")
	code, out, errOut := ketnoi(t, "extract", "--json", "--no-ocr", good, bad, txt)
	if code != 1 {
		t.Errorf("exit %d, want 1; stderr %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), out)
	}
	type page struct {
		N       int     `json:"n"`
		Text    string  `json:"text"`
		Rung    string  `json:"rung"`
		Quality float64 `json:"quality"`
	}
	type doc struct {
		File     string         `json:"file"`
		Pages    []page         `json:"pages"`
		Metadata map[string]any `json:"metadata"`
		Warnings []any          `json:"warnings"`
		Error    string         `json:"error"`
	}
	var docs []doc
	for _, l := range lines {
		var one doc
		if err := json.Unmarshal([]byte(l), &one); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, l)
		}
		docs = append(docs, one)
	}
	if docs[0].File != good || docs[0].Error != "" || len(docs[0].Pages) != len(fx[0].Pages) ||
		docs[0].Pages[0].Rung != "plain" || !strings.Contains(docs[0].Pages[0].Text, "sấy cá cơm") {
		t.Errorf("clean PDF: %+v", docs[0])
	}
	if docs[0].Metadata["organization"] == nil {
		t.Errorf("no cover metadata: %v", docs[0].Metadata)
	}
	if docs[1].File != bad || docs[1].Error != "malformed" {
		t.Errorf("broken file: %+v", docs[1])
	}
	if docs[2].Error != "" || docs[2].Pages[0].Rung != "direct" {
		t.Errorf("text file: %+v", docs[2])
	}
	if !strings.Contains(errOut, "hong.pdf") {
		t.Errorf("stderr does not name the failed file: %s", errOut)
	}
}

// TestEvalExtract: eval extract scores files against X.txt references and reports pages/s and rungs.
func TestEvalExtract(t *testing.T) {
	pdffixture.NeedFont(t)
	fx, err := pdffixture.BuildTextFixtures()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := pdffixture.WriteAll(dir, fx[:3]); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := ketnoi(t, "eval", "extract", "--no-ocr", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"CER", "Tổng: 3 tệp, 3 có văn bản", "trang/giây", "CER trung bình 0.00%"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
