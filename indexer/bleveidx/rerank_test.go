package bleveidx

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"

	"ketnoi/indexer"
)

func TestCountTokens(t *testing.T) {
	for _, tc := range []struct {
		texts []string
		want  int
	}{
		{nil, 0},
		{[]string{""}, 0},
		{[]string{"Máy sấy nông sản"}, 4},
		{[]string{"Máy sấy", "", "giá 55,55 triệu (27/4)"}, 8},
		{[]string{"  ,;  "}, 0},
		{[]string{"thuỷ\u0300 lợi"}, 2}, // a stray combining mark stays inside its syllable
	} {
		if got := countTokens(tc.texts...); got != tc.want {
			t.Errorf("countTokens(%q) = %d, want %d", tc.texts, got, tc.want)
		}
	}
}

func TestQueryKeys(t *testing.T) {
	for _, tc := range []struct {
		terms, phrases []string
		uni, pairs     []string
		folded         bool
	}{
		{[]string{"Máy", "sấy", "máy"}, nil, []string{"máy:2", "sấy:1"}, []string{"may_say:1", "say_may:1"}, false},
		{[]string{"may", "say"}, nil, []string{"may:1", "say:1"}, []string{"may_say:1"}, true},
		// Each phrase is a sequence of its own: no pair across it and the terms.
		{[]string{"xử", "lý"}, []string{"nước thải"}, []string{"lý:1", "nước:1", "thải:1", "xử:1"}, []string{"nuoc_thai:1", "xu_ly:1"}, false},
		// One accented word makes the whole query exact, as the first stage reads it.
		{[]string{"ca", "phê"}, nil, []string{"ca:1", "phê:1"}, []string{"ca_phe:1"}, false},
		{[]string{"27/4"}, nil, []string{"27:1", "4:1"}, []string{"27_4:1"}, true},
	} {
		uni, pairs, folded := queryKeys(tc.terms, tc.phrases)
		if got := counts(uni); !slices.Equal(got, tc.uni) {
			t.Errorf("%q %q: unigrams %v, want %v", tc.terms, tc.phrases, got, tc.uni)
		}
		if got := counts(pairs); !slices.Equal(got, tc.pairs) {
			t.Errorf("%q %q: pairs %v, want %v", tc.terms, tc.phrases, got, tc.pairs)
		}
		if folded != tc.folded {
			t.Errorf("%q %q: folded %v", tc.terms, tc.phrases, folded)
		}
	}
}

func counts(m map[string]int) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s:%d", k, v))
	}
	slices.Sort(out)
	return out
}

// rerankFixture indexes n results that all match "máy sấy", with different lengths and term counts, so that
// the first stage's order and the second stage's differ.
func rerankFixture(t *testing.T, n int) *Index {
	t.Helper()
	idx, err := OpenWith(filepath.Join(t.TempDir(), "i"), DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	filler := strings.Fields("nông sản chế biến bảo quản sau thu hoạch năng lượng mặt trời hiệu quả chi phí thấp hộ gia đình hợp tác xã")
	var docs []indexer.Doc
	for i := range n {
		var body []string
		for j := range 20 + (i*37)%400 {
			body = append(body, filler[(i+j)%len(filler)])
			if j%(3+i%17) == 0 {
				body = append(body, "máy")
			}
			if j%(5+i%11) == 0 {
				body = append(body, "sấy")
			}
		}
		docs = append(docs, indexer.Doc{ID: fmt.Sprintf("r%03d", i), Kind: indexer.KindResult,
			Title: fmt.Sprintf("Kết quả %d: %s", i, strings.Join(body[:4], " ")), Body: strings.Join(body, " ")})
	}
	if err := idx.Apply(context.Background(), &indexer.Batch{Put: docs}); err != nil {
		t.Fatal(err)
	}
	return idx
}

// TestRerankPaging: pages cut from the re-ranked window by offset, by cursor and across the window's end
// give every hit once, in one order, with scores that never rise.
func TestRerankPaging(t *testing.T) {
	idx := rerankFixture(t, 150)
	ctx := context.Background()
	q := indexer.ParseQuery("máy sấy")
	top, err := idx.Search(ctx, &indexer.SearchRequest{Query: q, Size: rerankWindow})
	if err != nil {
		t.Fatal(err)
	}
	if top.Total != 150 || len(top.Hits) != rerankWindow {
		t.Fatalf("Total %d, %d hits", top.Total, len(top.Hits))
	}
	var walked []indexer.Hit
	after := ""
	for range 20 {
		res, err := idx.Search(ctx, &indexer.SearchRequest{Query: q, Size: 30, After: after})
		if err != nil {
			t.Fatal(err)
		}
		walked = append(walked, res.Hits...)
		if after = res.Next; after == "" {
			break
		}
	}
	ids := func(hs []indexer.Hit) []string {
		var out []string
		for _, h := range hs {
			out = append(out, h.ID)
		}
		return out
	}
	if got := ids(walked); len(got) != 150 || !slices.Equal(got[:rerankWindow], ids(top.Hits)) {
		t.Fatalf("cursor walk: %d hits; first %d equal to one request: %v", len(got), rerankWindow,
			len(got) >= rerankWindow && slices.Equal(got[:rerankWindow], ids(top.Hits)))
	}
	seen := map[string]bool{}
	for i, h := range walked {
		if seen[h.ID] {
			t.Errorf("%s twice", h.ID)
		}
		seen[h.ID] = true
		if i > 0 && h.Score > walked[i-1].Score {
			t.Errorf("score rises at %d: %g after %g", i, h.Score, walked[i-1].Score)
		}
	}
	for _, from := range []int{0, 40, 90, 95, 130} {
		res, err := idx.Search(ctx, &indexer.SearchRequest{Query: q, From: from, Size: 20})
		if err != nil {
			t.Fatal(err)
		}
		if want := ids(walked[from:min(from+20, len(walked))]); !slices.Equal(ids(res.Hits), want) {
			t.Errorf("From %d: %v, want %v", from, ids(res.Hits), want)
		}
	}
	// Restricted to some documents, each keeps the score the whole query gives it, inside the window and
	// after it.
	some := []string{top.Hits[7].ID, top.Hits[0].ID, walked[120].ID}
	only, err := idx.Search(ctx, &indexer.SearchRequest{Query: q, IDs: some, Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	if want := []indexer.Hit{top.Hits[0], top.Hits[7], walked[120]}; len(only.Hits) != 3 {
		t.Errorf("restricted: %v", only.Hits)
	} else {
		for i, h := range only.Hits {
			if h.ID != want[i].ID || math.Abs(h.Score-want[i].Score) > 1e-9*want[i].Score {
				t.Errorf("restricted #%d: %s %g, want %s %g", i, h.ID, h.Score, want[i].ID, want[i].Score)
			}
		}
	}
	// Restricted to more documents than a page holds: pages of the whole query's order.
	for _, from := range []int{0, 10, 95} {
		res, err := idx.Search(ctx, &indexer.SearchRequest{Query: q, IDs: ids(top.Hits), From: from, Size: 10})
		if err != nil {
			t.Fatal(err)
		}
		want := top.Hits[from:min(from+10, len(top.Hits))]
		if !slices.Equal(ids(res.Hits), ids(want)) || res.Next != "" {
			t.Errorf("restricted to the window, from %d: %v (next %q), want %v", from, ids(res.Hits), res.Next, ids(want))
		}
	}
	// An offset cursor is bound to its order like a key cursor.
	first, _ := idx.Search(ctx, &indexer.SearchRequest{Query: q, Size: 10})
	if _, err := idx.Search(ctx, &indexer.SearchRequest{Query: q, Sort: "year", Size: 10, After: first.Next}); !errors.Is(err, indexer.ErrBadCursor) {
		t.Errorf("offset cursor with another sort: %v", err)
	}

	// The second stage changes the order (the fixture is made for that), and only the order.
	secondStage = false
	idx.cache.invalidate() // the same request again
	plain, err := idx.Search(ctx, &indexer.SearchRequest{Query: q, Size: rerankWindow})
	secondStage = true
	idx.cache.invalidate()
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(ids(plain.Hits), ids(top.Hits)) {
		t.Error("the second stage kept the first stage's order")
	}
	a, b := ids(plain.Hits), ids(top.Hits)
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Error("the second stage changed which hits make the window")
	}
}

// TestRerankEval: on the UNC development queries (where ../shared is present), the second stage ranks the
// article whose headline is the query higher than BM25 alone does.
func TestRerankEval(t *testing.T) {
	root := os.Getenv("KETNOI_EVAL")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared", "eval")
	}
	corpusFile := filepath.Join(root, "unc", "corpus.jsonl")
	if _, err := os.Stat(corpusFile); err != nil {
		t.Skipf("no UNC evaluation set at %s", corpusFile)
	}
	if testing.Short() {
		t.Skip("indexes 2,653 news articles")
	}
	docs := readEvalDocs(t, corpusFile)
	queries := readEvalQueries(t, filepath.Join(root, "unc", "queries-dev.jsonl"), 400)
	idx, err := OpenWith(filepath.Join(t.TempDir(), "i"), DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if err := idx.Apply(context.Background(), &indexer.Batch{Put: docs}); err != nil {
		t.Fatal(err)
	}
	ndcg := func() float64 {
		var sum float64
		for _, q := range queries {
			res, err := idx.Search(context.Background(), &indexer.SearchRequest{Query: indexer.ParseQuery(q.Query), Size: 10})
			if err != nil {
				t.Fatal(err)
			}
			for i, h := range res.Hits {
				if q.relevant[h.ID] {
					sum += 1 / math.Log2(float64(i+2))
					break
				}
			}
		}
		return sum / float64(len(queries))
	}
	secondStage = false
	first := ndcg()
	secondStage = true
	idx.cache.invalidate()
	both := ndcg()
	t.Logf("UNC, %d queries: nDCG@10 %.4f with BM25 alone, %.4f with the second stage", len(queries), first, both)
	if both < first+0.01 {
		t.Errorf("second stage: nDCG@10 %.4f, BM25 alone %.4f", both, first)
	}
}

// TestRerankOldIndex: an index whose mapping predates the document lengths opens, says what a rebuild would
// bring, and ranks by the first stage alone.
func TestRerankOldIndex(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "old")
	m := newIndexMapping(newLayout(DefaultOptions))
	delete(m.DefaultMapping.Properties, fTokens)
	bi, err := bleve.NewUsing(dir, m, scorch.Name, scorch.Name, scorchConfig(DefaultOptions))
	if err != nil {
		t.Fatal(err)
	}
	bi.Close()
	old, err := OpenWith(dir, DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if old.Outdated() == "" {
		t.Error("an index without document lengths does not say it is outdated")
	}
	if idx := rerankFixture(t, 30); idx.Outdated() != "" {
		t.Errorf("a new index says %q", idx.Outdated())
	}
	docs := make([]indexer.Doc, 0, 30)
	for i := range 30 {
		docs = append(docs, indexer.Doc{ID: fmt.Sprintf("d%02d", i), Kind: indexer.KindResult,
			Title: "máy sấy " + strings.Repeat("nông sản ", i%7), Body: strings.Repeat("sấy ", 1+i%5) + "cá cơm"})
	}
	if err := old.Apply(context.Background(), &indexer.Batch{Put: docs}); err != nil {
		t.Fatal(err)
	}
	order := func(idx *Index, second bool) []string {
		secondStage = second
		defer func() { secondStage = true }()
		idx.cache.invalidate()
		res, err := idx.Search(context.Background(), &indexer.SearchRequest{Query: indexer.ParseQuery("máy sấy cá"), Size: 30})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range res.Hits {
			out = append(out, fmt.Sprintf("%s %g", h.ID, h.Score))
		}
		return out
	}
	if got, want := order(old, true), order(old, false); !slices.Equal(got, want) {
		t.Errorf("old index: %v, first stage %v", got, want)
	}
	// The same documents in a new index are ordered again (or the check above would prove nothing).
	fresh, err := OpenWith(filepath.Join(t.TempDir(), "new"), DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if err := fresh.Apply(context.Background(), &indexer.Batch{Put: docs}); err != nil {
		t.Fatal(err)
	}
	if slices.Equal(order(fresh, true), order(fresh, false)) {
		t.Error("new index: the second stage kept the first stage's order")
	}
}

// TestPresentChangedHits: hits whose documents changed between the ranking search and the presentation
// search still get what a list shows; deleted ones are reported, not shown blank.
func TestPresentChangedHits(t *testing.T) {
	idx := rerankFixture(t, 30)
	ctx := context.Background()
	req := &indexer.SearchRequest{Query: indexer.ParseQuery("máy sấy"), Size: 5}
	res, err := idx.Search(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	hits := slices.Clone(res.Hits)
	deleted, edited := hits[0].ID, hits[1].ID
	if err := idx.Apply(ctx, &indexer.Batch{Delete: []string{deleted}, Put: []indexer.Doc{{ID: edited,
		Kind: indexer.KindResult, Title: "Quy trình nuôi tôm thẻ", Body: "ao nuôi tôm"}}}); err != nil {
		t.Fatal(err)
	}
	for i := range hits {
		hits[i].Title, hits[i].Kind = "", ""
	}
	st := newStats(ctx, idx.bi)
	defer st.close()
	p := idx.translate(req, st)
	gone, err := idx.present(ctx, idx.bi, p, true, true, hits)
	if err != nil {
		t.Fatal(err)
	}
	if !gone[deleted] || len(gone) != 1 {
		t.Errorf("gone %v, want only %s", gone, deleted)
	}
	if hits[1].Title != "Quy trình nuôi tôm thẻ" {
		t.Errorf("edited hit: title %q", hits[1].Title)
	}
	for _, h := range hits[2:] {
		if h.Title == "" || h.Kind != indexer.KindResult {
			t.Errorf("hit %s: title %q, kind %q", h.ID, h.Title, h.Kind)
		}
	}
}

// TestRerankCollectionLength: the collection's length is that of the live documents, deleted ones left
// out while their segment still holds them.
func TestRerankCollectionLength(t *testing.T) {
	idx, err := OpenWith(filepath.Join(t.TempDir(), "i"), DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	var docs []indexer.Doc
	for i := range 40 {
		docs = append(docs, indexer.Doc{ID: fmt.Sprintf("d%02d", i), Kind: indexer.KindResult,
			Title: "máy sấy " + strings.Repeat("cá ", i%5), Body: strings.Repeat("nông sản sau thu hoạch ", 1+i%9)})
	}
	ctx := context.Background()
	if err := idx.Apply(ctx, &indexer.Batch{Put: docs}); err != nil {
		t.Fatal(err)
	}
	var gone []string
	want := 0.0
	for i, d := range docs {
		if i%4 == 0 {
			gone = append(gone, d.ID)
			continue
		}
		want += float64(countTokens(d.Title, d.Body))
	}
	if err := idx.Apply(ctx, &indexer.Batch{Delete: gone}); err != nil {
		t.Fatal(err)
	}
	adv, err := idx.bi.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	r, err := adv.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	iid, err := r.InternalID("d01")
	if err != nil || iid == nil {
		t.Fatalf("d01: %v %v", iid, err)
	}
	c := &candidate{iid: iid}
	got, err := idx.lengths(r, []*candidate{c}, []*candidate{c})
	if err != nil {
		t.Fatal(err)
	}
	if got != want || c.length != float64(countTokens(docs[1].Title, docs[1].Body)) {
		t.Errorf("collection %g syllables, want %g; d01 %g", got, want, c.length)
	}
}
