package bleveidx

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"ketnoi/corpus/vntext"
	"ketnoi/indexer"
)

// TestEvalRanking measures ranking (MRR@10, success@10) on the public Vietnamese retrieval sets described in
// the shared eval folder's README.md, for the index options that ranking depends on (bigrams, fuzzy terms). It runs
// only when KETNOI_EVAL names that directory; KETNOI_EVAL_QUERIES caps the queries per set (default 400).
//
//	KETNOI_EVAL=../shared/eval go test ./indexer/bleveidx -run EvalRanking -v -timeout 60m
func TestEvalRanking(t *testing.T) {
	root := os.Getenv("KETNOI_EVAL")
	if root == "" {
		t.Skip("KETNOI_EVAL not set")
	}
	maxQ := 400
	if n, err := strconv.Atoi(os.Getenv("KETNOI_EVAL_QUERIES")); err == nil && n > 0 {
		maxQ = n
	}
	sets := []struct{ dir, queries string }{
		{"xquad-vi", "queries.jsonl"}, {"unc", "queries-dev.jsonl"}, {"vicov19qa", "queries-dev.jsonl"},
	}
	configs := []struct {
		name    string
		bigrams bool
		fuzzy   float64
		common  float64
	}{
		{"unigrams", false, fuzzyWeight, commonShare},
		{"unigrams-nofuzzy", false, 0, commonShare},
		{"bigrams", true, fuzzyWeight, commonShare},
		{"bigrams-noprune", true, fuzzyWeight, 0},
	}
	only := os.Getenv("KETNOI_EVAL_ONLY") // restrict to set or config names containing this
	slices := []struct {
		name string
		f    func(string) string
	}{
		{"as-given", func(s string) string { return s }},
		{"folded", vntext.Fold},
		{"nfd", norm.NFD.String},
		{"tone-swapped", vntext.SwapTonePlacement},
	}
	for _, set := range sets {
		docs := readEvalDocs(t, filepath.Join(root, set.dir, "corpus.jsonl"))
		queries := readEvalQueries(t, filepath.Join(root, set.dir, set.queries), maxQ)
		for _, cfg := range configs {
			if only != "" && !strings.Contains(set.dir+" "+cfg.name, only) {
				continue
			}
			idx, err := OpenWith(filepath.Join(t.TempDir(), set.dir+cfg.name), Options{Bigrams: cfg.bigrams})
			if err != nil {
				t.Fatal(err)
			}
			if err := idx.Apply(context.Background(), &indexer.Batch{Put: docs}); err != nil {
				t.Fatal(err)
			}
			// Size as persisted and compacted.
			if err := idx.Compact(context.Background()); err != nil {
				t.Fatal(err)
			}
			if size := settledSize(idx); size > 0 {
				t.Logf("%-10s %-17s index %.1f MB, %.2f MB per MB of text", set.dir, cfg.name,
					float64(size)/(1<<20), float64(size)/float64(textSize(docs)))
			}
			savedF, savedC := fuzzyWeight, commonShare
			fuzzyWeight, commonShare = cfg.fuzzy, cfg.common
			for _, sl := range slices {
				var rr, hit float64
				start := time.Now()
				for _, q := range queries {
					res, err := idx.Search(context.Background(), &indexer.SearchRequest{
						Query: indexer.ParseQuery(sl.f(q.Query)), Size: 10})
					if err != nil {
						t.Fatal(err)
					}
					for i, h := range res.Hits {
						if q.relevant[h.ID] {
							rr += 1 / float64(i+1)
							hit++
							break
						}
					}
				}
				n := float64(len(queries))
				t.Logf("%-10s %-17s %-13s MRR@10 %.3f  success@10 %.3f  %.1f ms/query (%d queries, %d docs)",
					set.dir, cfg.name, sl.name, rr/n, hit/n, float64(time.Since(start).Milliseconds())/n,
					len(queries), len(docs))
			}
			fuzzyWeight, commonShare = savedF, savedC
			idx.Close()
		}
	}
}

func textSize(docs []indexer.Doc) int {
	n := 0
	for _, d := range docs {
		n += len(d.Title) + len(d.Summary) + len(d.Body)
	}
	return n
}

type evalQuery struct {
	Query    string   `json:"query"`
	Relevant []string `json:"relevant"`
	relevant map[string]bool
}

func readEvalDocs(t *testing.T, path string) []indexer.Doc {
	var docs []indexer.Doc
	readJSONL(t, path, 0, func(b []byte) {
		var r struct{ ID, Kind, Title, Summary, Body string }
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, indexer.Doc{ID: r.ID, Kind: indexer.KindResult, Title: r.Title, Summary: r.Summary,
			Body: r.Body})
	})
	return docs
}

func readEvalQueries(t *testing.T, path string, max int) []evalQuery {
	var qs []evalQuery
	readJSONL(t, path, max, func(b []byte) {
		var q evalQuery
		if err := json.Unmarshal(b, &q); err != nil {
			t.Fatal(err)
		}
		q.relevant = map[string]bool{}
		for _, id := range q.Relevant {
			q.relevant[id] = true
		}
		qs = append(qs, q)
	})
	return qs
}

func readJSONL(t *testing.T, path string, max int, f func([]byte)) {
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 0; sc.Scan() && (max == 0 || n < max); n++ {
		f(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(fmt.Errorf("%s: %w", path, err))
	}
}
