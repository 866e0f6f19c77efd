package bleveidx

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"ketnoi/indexer"
)

// TestResultCache: a repeated search is answered from the cache, a copy that callers may change, and every
// write (put, delete, compaction) is seen by the next search.
func TestResultCache(t *testing.T) {
	x := openTest(t, DefaultOptions)
	ctx := context.Background()
	doc := func(id, title string) indexer.Doc { return indexer.Doc{ID: id, Kind: indexer.KindResult, Title: title} }
	applyDocs(t, x, doc("a", "Máy sấy cá cơm"), doc("b", "Máy sấy nông sản"))
	req := func() *indexer.SearchRequest {
		return &indexer.SearchRequest{Query: indexer.ParseQuery("máy sấy"), Facets: []string{indexer.FacetKind}}
	}
	ids := func() []string {
		got, _ := hitIDs(t, x, req())
		slices.Sort(got)
		return got
	}
	if got := ids(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("first search: %v", got)
	}
	h0, _ := x.CacheStats()
	res, err := x.Search(ctx, req())
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := x.CacheStats(); h != h0+1 {
		t.Errorf("the same search again was not answered from the cache (hits %d → %d)", h0, h)
	}
	res.Hits[0].ID, res.Relaxed = "changed", []string{"x"}
	if again, _ := x.Search(ctx, req()); again.Hits[0].ID == "changed" || again.Relaxed != nil {
		t.Errorf("a caller's change to an answer reached the cache: %+v", again)
	}

	applyDocs(t, x, doc("c", "Máy sấy lạnh"))
	if got := ids(); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("after a put: %v", got)
	}
	if err := x.Apply(ctx, &indexer.Batch{Delete: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	if got := ids(); !slices.Equal(got, []string{"b", "c"}) {
		t.Errorf("after a delete: %v", got)
	}
	if err := x.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	h1, _ := x.CacheStats()
	ids()
	if h, _ := x.CacheStats(); h != h1 {
		t.Error("an answer from before the compaction was reused")
	}
	x.SetCacheSize(0)
	ids()
	ids()
	if h, _ := x.CacheStats(); h != h1 {
		t.Error("the cache answered while turned off")
	}
}

// TestResultCacheConcurrentWrites: searches racing with writes never see a document after the write that
// deleted it has returned.
func TestResultCacheConcurrentWrites(t *testing.T) {
	x := openTest(t, DefaultOptions)
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					x.Search(ctx, &indexer.SearchRequest{Query: indexer.ParseQuery("máy sấy")})
				}
			}
		}()
	}
	for i := range 30 {
		id := fmt.Sprintf("d%d", i)
		applyDocs(t, x, indexer.Doc{ID: id, Kind: indexer.KindResult, Title: "Máy sấy số " + id})
		if err := x.Apply(ctx, &indexer.Batch{Delete: []string{id}}); err != nil {
			t.Fatal(err)
		}
		if got, _ := hitIDs(t, x, &indexer.SearchRequest{Query: indexer.ParseQuery("máy sấy")}); len(got) != 0 {
			t.Fatalf("after deleting %s the search still finds %v", id, got)
		}
	}
	close(stop)
	wg.Wait()
}

// TestResultCacheBounds: the cache keeps at most its count of answers and its estimated bytes, evicting the
// least recently used, and never keeps one answer too big for its share.
func TestResultCacheBounds(t *testing.T) {
	answer := func(titleBytes int) *indexer.SearchResult {
		return &indexer.SearchResult{Hits: []indexer.Hit{{ID: "a", Title: strings.Repeat("x", titleBytes)}}}
	}
	c := newResultCache(3)
	for i := range 5 {
		_, gen := c.get(fmt.Sprint(i))
		c.put(fmt.Sprint(i), gen, answer(10))
	}
	if c.lru.Len() != 3 {
		t.Errorf("%d answers kept, want 3", c.lru.Len())
	}
	if r, _ := c.get("0"); r != nil {
		t.Error("the oldest answer was not evicted")
	}
	if r, _ := c.get("4"); r == nil {
		t.Error("the newest answer was evicted")
	}

	c = newResultCache(1000)
	for i := range 40 {
		_, gen := c.get(fmt.Sprint(i))
		c.put(fmt.Sprint(i), gen, answer(cacheBytes/16))
	}
	if c.bytes > cacheBytes || c.lru.Len() >= 40 || c.lru.Len() == 0 {
		t.Errorf("%d answers, %d bytes kept; bound %d bytes", c.lru.Len(), c.bytes, cacheBytes)
	}
	_, gen := c.get("huge")
	c.put("huge", gen, answer(cacheBytes/4))
	if r, _ := c.get("huge"); r != nil {
		t.Error("an answer of a quarter of the cache was kept")
	}
	c.invalidate()
	if c.bytes != 0 || c.lru.Len() != 0 {
		t.Errorf("after invalidate: %d answers, %d bytes", c.lru.Len(), c.bytes)
	}
}
