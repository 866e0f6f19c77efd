package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalSearch runs eval search on a sample file, with the records' own titles as known-item queries,
// against SQLite FTS5: the table, and the same figures in full as JSON.
func TestEvalSearch(t *testing.T) {
	corpusFile := sampleData + "results-thuysan.jsonl"
	f, err := os.Open(corpusFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var queries strings.Builder
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() && n < 25 {
		var r struct{ ID, Title string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		q, _ := json.Marshal(map[string]any{"id": fmt.Sprint("q", n), "query": r.Title, "relevant": []string{r.ID}})
		queries.Write(append(q, '\n'))
		n++
	}
	qfile := filepath.Join(t.TempDir(), "q.jsonl")
	if err := os.WriteFile(qfile, []byte(queries.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"eval", "search", "--corpus", corpusFile, "--queries", qfile, "--compare", "sqlite", "--slices", "given,fold"}

	code, out, errOut := ketnoi(t, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"câu hỏi: q.jsonl (25 câu)", "nDCG@10", "SQLite FTS5", "tỉ lệ ketnoi/FTS5", "không dấu"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = ketnoi(t, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("--json: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "Bộ tài liệu:") {
		t.Errorf("--json: the description is not on stderr:\n%s", errOut)
	}
	var rows []evalRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 2 slices × 2 engines: %+v", len(rows), rows)
	}
	for i, r := range rows {
		if r.Queries != 25 || r.NDCG10 < 0 || r.NDCG10 > 1 || r.P50MS <= 0 {
			t.Errorf("row %d: %+v", i, r)
		}
		if ketnoiRow := i%2 == 0; ketnoiRow != (r.Engine == "ketnoi") || ketnoiRow != (r.NDCGRatio > 0) {
			t.Errorf("row %d: engine %q, ratio %g", i, r.Engine, r.NDCGRatio)
		}
	}
	// A record's own title finds it first nearly always.
	if r := rows[0]; r.NDCG10 < 0.9 {
		t.Errorf("known-item queries: nDCG@10 %.3f", r.NDCG10)
	}
}
