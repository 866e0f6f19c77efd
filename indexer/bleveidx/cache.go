package bleveidx

import (
	"container/list"
	"encoding/json"
	"sync"

	"ketnoi/indexer"
)

// DefaultCacheEntries is how many answers the result cache keeps: a public search page repeats itself (the
// same popular words, the next page of a list, a facet clicked and unclicked), and an answer with facets
// costs 10–40 ms of CPU on 100,000 results against microseconds from here. A page of 10 with highlights
// and facets is about 10 KB, but a client may ask for 100 hits and 1,000 facet values, so the cache is also
// bounded in bytes.
const DefaultCacheEntries = 512

// cacheBytes bounds the estimated size of the kept answers.
const cacheBytes = 32 << 20

// resultCache keeps recent answers until the index changes: every write bumps the generation and empties it,
// and an answer computed before a write is never stored after it.
type resultCache struct {
	mu  sync.Mutex
	max int
	gen uint64
	lru *list.List // of *cacheEntry, most recent first
	m   map[string]*list.Element
	// bytes is the estimated size of the kept answers and their keys.
	bytes int

	hits, misses uint64
}

type cacheEntry struct {
	key  string
	res  *indexer.SearchResult
	size int
}

func newResultCache(max int) *resultCache {
	return &resultCache{max: max, lru: list.New(), m: map[string]*list.Element{}}
}

// cacheKey is the request's key, or "" for a request not worth keeping: matching's re-scoring of given
// documents and its candidate pools are asked once.
func cacheKey(req *indexer.SearchRequest) string {
	if len(req.IDs) > 0 || req.Query.MaxTerms > 0 || req.ScoresOnly {
		return ""
	}
	b, err := json.Marshal(req)
	if err != nil {
		return ""
	}
	return string(b)
}

// get returns a copy of the kept answer (nil if none) and the generation a new answer must be stored under.
func (c *resultCache) get(key string) (*indexer.SearchResult, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.max <= 0 {
		return nil, c.gen
	}
	if e, ok := c.m[key]; ok {
		c.hits++
		c.lru.MoveToFront(e)
		return copyResult(e.Value.(*cacheEntry).res), c.gen
	}
	c.misses++
	return nil, c.gen
}

// put keeps a copy of res, unless the index has changed since gen.
func (c *resultCache) put(key string, gen uint64, res *indexer.SearchResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || c.max <= 0 {
		return
	}
	size := len(key) + resultSize(res)
	if size > cacheBytes/8 {
		return // one answer may not crowd out the rest
	}
	if e, ok := c.m[key]; ok {
		c.remove(e)
	}
	c.m[key] = c.lru.PushFront(&cacheEntry{key: key, res: copyResult(res), size: size})
	c.bytes += size
	for c.lru.Len() > c.max || c.bytes > cacheBytes {
		c.remove(c.lru.Back())
	}
}

func (c *resultCache) remove(e *list.Element) {
	ce := e.Value.(*cacheEntry)
	c.lru.Remove(e)
	delete(c.m, ce.key)
	c.bytes -= ce.size
}

// resultSize estimates the memory an answer holds: its strings and a fixed cost per value.
func resultSize(r *indexer.SearchResult) int {
	n := 256 + len(r.Next)
	for _, h := range r.Hits {
		n += 160 + len(h.ID) + len(h.Kind) + len(h.Title) + len(h.Organization)
		for field, frs := range h.Fragments {
			n += 48 + len(field)
			for _, f := range frs {
				n += 16 + len(f)
			}
		}
		for _, t := range h.MatchedTerms {
			n += 16 + len(t)
		}
	}
	for name, counts := range r.Facets {
		n += 48 + len(name)
		for _, fc := range counts {
			n += 24 + len(fc.Value)
		}
	}
	for _, c := range r.Corrections {
		n += 32 + len(c.Word) + len(c.Suggestion)
	}
	return n
}

// invalidate forgets every answer: the index has changed.
func (c *resultCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.lru.Init()
	clear(c.m)
	c.bytes = 0
}

func (c *resultCache) resize(max int) {
	c.mu.Lock()
	c.max = max
	c.mu.Unlock()
	c.invalidate()
}

// copyResult copies what a caller may change: the result itself and its hit list (callers set fields such
// as Relaxed, or reorder hits). Fragments, facets and corrections are only read.
func copyResult(r *indexer.SearchResult) *indexer.SearchResult {
	out := *r
	out.Hits = append([]indexer.Hit(nil), r.Hits...)
	return &out
}

// SetCacheSize sets how many answers the result cache keeps; 0 turns it off (to measure searches themselves).
func (x *Index) SetCacheSize(n int) { x.cache.resize(max(n, 0)) }

// CacheStats reports the result cache's hits and misses since the index was opened, while it was on.
func (x *Index) CacheStats() (hits, misses uint64) {
	x.cache.mu.Lock()
	defer x.cache.mu.Unlock()
	return x.cache.hits, x.cache.misses
}
