// Package searcheval measures search quality and speed: it runs a set of queries with known relevant
// documents through an engine (ketnoi's own index, or SQLite FTS5 as a baseline) and computes P@1, MRR@10,
// Recall@10, nDCG@10 and latency percentiles, for the queries as given and for derived slices (without
// diacritics, in NFD, with the tone mark placed the other way).
package searcheval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"ketnoi/corpus/vntext"
	"ketnoi/indexer"
)

// Query is one evaluation query with the ids of its relevant documents.
type Query struct {
	ID       string   `json:"id"`
	Query    string   `json:"query"`
	Relevant []string `json:"relevant"`
}

// LoadQueries reads a JSONL query file. Queries without text or without a relevant document cannot be
// scored: they are left out and listed in skipped ("file line N (id)").
func LoadQueries(path string) (qs []Query, skipped []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var out []Query
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var q Query
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			return nil, nil, fmt.Errorf("%s dòng %d: %w", path, line, err)
		}
		if strings.TrimSpace(q.Query) == "" || len(q.Relevant) == 0 {
			skipped = append(skipped, fmt.Sprintf("%s dòng %d (%s)", path, line, q.ID))
			continue
		}
		out = append(out, q)
	}
	return out, skipped, sc.Err()
}

// Engine answers a query with ranked document ids.
type Engine interface {
	Name() string
	Search(ctx context.Context, q string, k int) ([]string, error)
}

// IndexEngine evaluates an indexer.Index the way users query it: the text goes through ParseQuery.
type IndexEngine struct {
	Index indexer.Index
}

func (e IndexEngine) Name() string { return "ketnoi" }

func (e IndexEngine) Search(ctx context.Context, q string, k int) ([]string, error) {
	res, err := indexer.SearchOrRelax(ctx, e.Index, &indexer.SearchRequest{Query: indexer.ParseQuery(q), Size: k})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return ids, nil
}

// Slice derives a variant of each query.
type Slice struct {
	ID   string // short name for the command line
	Name string // Vietnamese label
	Fn   func(string) string
}

// Slices are the query variants every report covers.
var Slices = []Slice{
	{"given", "nguyên bản", func(s string) string { return s }},
	{"fold", "không dấu", vntext.Fold},
	{"nfd", "NFD", norm.NFD.String},
	{"tone", "đổi vị trí dấu", vntext.SwapTonePlacement},
}

// Metrics are the averages over a query set.
type Metrics struct {
	N        int
	P1       float64
	MRR10    float64
	Recall10 float64
	NDCG10   float64
	P50, P95 time.Duration
}

// Evaluate runs every query (through slice) and averages the metrics.
func Evaluate(ctx context.Context, eng Engine, queries []Query, slice func(string) string) (Metrics, error) {
	var m Metrics
	lat := make([]time.Duration, 0, len(queries))
	for _, q := range queries {
		start := time.Now()
		ids, err := eng.Search(ctx, slice(q.Query), 10)
		lat = append(lat, time.Since(start))
		if err != nil {
			return m, fmt.Errorf("%s, câu %s: %w", eng.Name(), q.ID, err)
		}
		p1, rr, rec, ndcg := score(ids, q.Relevant)
		m.P1 += p1
		m.MRR10 += rr
		m.Recall10 += rec
		m.NDCG10 += ndcg
	}
	m.N = len(queries)
	if m.N > 0 {
		n := float64(m.N)
		m.P1, m.MRR10, m.Recall10, m.NDCG10 = m.P1/n, m.MRR10/n, m.Recall10/n, m.NDCG10/n
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		m.P50 = lat[len(lat)/2]
		m.P95 = lat[min(len(lat)-1, len(lat)*95/100)]
	}
	return m, nil
}

// score computes binary-relevance P@1, reciprocal rank, recall and nDCG over the first 10 ids.
func score(ids, relevant []string) (p1, rr, recall, ndcg float64) {
	rel := map[string]bool{}
	for _, r := range relevant {
		rel[r] = true
	}
	found := 0
	dcg := 0.0
	for i, id := range ids {
		if i >= 10 {
			break
		}
		if !rel[id] {
			continue
		}
		if i == 0 {
			p1 = 1
		}
		if rr == 0 {
			rr = 1 / float64(i+1)
		}
		found++
		dcg += 1 / math.Log2(float64(i+2))
	}
	ideal := 0.0
	for i := 0; i < min(len(rel), 10); i++ {
		ideal += 1 / math.Log2(float64(i+2))
	}
	if ideal > 0 {
		ndcg = dcg / ideal
	}
	if len(rel) > 0 {
		recall = float64(found) / float64(len(rel))
	}
	return
}
