package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"ketnoi/corpus"
)

func TestBenchIndex(t *testing.T) {
	code, out, errOut := ketnoi(t, "bench", "index", "--records", "300", "--compare", "sqlite")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"Dữ liệu: 300 bản ghi", "ketnoi index: 300 bản ghi trong", "bản ghi/s", "MB/s",
		"chỉ mục", "SQLite FTS5", "300 bản ghi trong", "Tỉ lệ tốc độ ketnoi/FTS5"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat("/proc/self/status"); err == nil && !strings.Contains(out, "của tiến trình bench") {
		t.Errorf("no peak RSS on Linux:\n%s", out)
	}
	if errOut != "" {
		t.Errorf("stderr: %s", errOut)
	}
}

func TestBenchSearch(t *testing.T) {
	code, out, errOut := ketnoi(t, "bench", "search", "--records", "300", "--queries", "20", "--duration", "1s",
		"--concurrency", "2", "--compare", "sqlite")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"Chỉ mục: 300 tài liệu", "20 câu hỏi", "Gộp chỉ mục (ketnoi compact)",
		"Lần lượt, phía máy chủ (không bộ nhớ đệm kết quả): p50", "2 khách đồng thời", "yêu cầu/giây, lỗi 0",
		"Bộ nhớ đệm kết quả:", "SQLite FTS5", "Tỉ lệ p50 ketnoi/FTS5"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, args := range [][]string{{"bench", "search", "--compare", "x"}, {"bench", "search", "--queries", "0"},
		{"bench", "search", "--data", t.TempDir(), "--compare", "sqlite"}} {
		if code, _, _ := ketnoi(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	qs, err := benchQueries(50)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if n := len(strings.Fields(q)); n < 2 || n > 4 {
			t.Errorf("query %q has %d words", q, n)
		}
	}
}

func TestBenchIndexFrom(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mau.jsonl")
	if err := writeBenchRecords(path, 40); err != nil {
		t.Fatal(err)
	}
	// A rejected record is reported and the rest measured.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"id": "hong", "kind": "result"` + "\n")
	f.Close()
	code, out, errOut := ketnoi(t, "bench", "index", "--from", path)
	if code != 0 || !strings.Contains(out, "mau.jsonl, 41 dòng") || !strings.Contains(out, "ketnoi index: 40 bản ghi") ||
		!strings.Contains(errOut, "dòng 41") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, args := range [][]string{{"bench"}, {"bench", "index", "--compare", "lucene"}, {"bench", "index", "thua"},
		{"bench", "index", "--records", "0"}} {
		if code, _, _ := ketnoi(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// The generated records are valid, distinct, NFC, and about 1 KB: what the throughput figures are about.
func TestBenchRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	const n = 2000
	if err := writeBenchRecords(path, n); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if avg := len(b) / n; avg < 900 || avg > 1400 {
		t.Errorf("average record %d bytes, want about 1 KB", avg)
	}
	again := filepath.Join(t.TempDir(), "r2.jsonl")
	if err := writeBenchRecords(again, n); err != nil {
		t.Fatal(err)
	}
	if b2, _ := os.ReadFile(again); !bytes.Equal(b, b2) {
		t.Error("the same n gave a different file")
	}
	ids, titles, texts := map[string]bool{}, map[string]bool{}, map[string]bool{}
	withBody, years := 0, map[int]bool{}
	err = corpus.ReadRecords(path, bytes.NewReader(b), corpus.FormatJSONL, func(p corpus.Parsed) error {
		if len(p.Problems) > 0 {
			t.Errorf("line %d: %v", p.Line, p.Problems)
			return nil
		}
		r := p.Record.(*corpus.Result)
		ids[r.ID], titles[r.Title] = true, true
		texts[r.Title+r.Summary+r.Body] = true
		years[r.Year] = true
		if r.Body != "" {
			withBody++
		}
		for _, s := range []string{r.Title, r.Summary, r.Body, r.Applications, r.Advantages} {
			if !norm.NFC.IsNormalString(s) {
				t.Errorf("%s: text not NFC", r.ID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != n || len(texts) < n*99/100 {
		t.Errorf("%d ids, %d distinct texts of %d records", len(ids), len(texts), n)
	}
	if len(titles) < n/4 || len(years) < 20 || withBody < n/2 {
		t.Errorf("too little variety: %d titles, %d years, %d with a body", len(titles), len(years), withBody)
	}
}

func TestSentences(t *testing.T) {
	got := sentences("Mục tiêu. Năng suất đạt 2.000 kg/ha, cao hơn 1,5 lần so với đối chứng. Kết quả tốt!\nGiá thành giảm 20% so với cách làm cũ của nông hộ")
	want := []string{"Năng suất đạt 2.000 kg/ha, cao hơn 1,5 lần so với đối chứng.",
		"Giá thành giảm 20% so với cách làm cũ của nông hộ"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("sentences:\n%q\nwant\n%q", got, want)
	}
}
