package bleveidx

import (
	"container/list"
	"encoding/json"
	"sync"

	"ketnoi/indexer"
)

// DefaultCacheEntries is how many answers the result cache keeps: a public search page repeats itself (the
// same popular words, the next page of a list, a facet clicked and unclicked), and an answer with facets
// costs 10–40 ms of CPU on 100,000 results against microseconds from here. About 20 KB an entry.
const DefaultCacheEntries = 512

// resultCache keeps recent answers until the index changes: every write bumps the generation and empties it,
// and an answer computed before a write is never stored after it.
type resultCache struct {
	mu  sync.Mutex
	max int
	gen uint64
	lru *list.List // of *cacheEntry, most recent first
	m   map[string]*list.Element

	hits, misses uint64
}

type cacheEntry struct {
	key string
	res *indexer.SearchResult
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
	if e, ok := c.m[key]; ok {
		e.Value.(*cacheEntry).res = copyResult(res)
		c.lru.MoveToFront(e)
		return
	}
	c.m[key] = c.lru.PushFront(&cacheEntry{key: key, res: copyResult(res)})
	for c.lru.Len() > c.max {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.m, last.Value.(*cacheEntry).key)
	}
}

// invalidate forgets every answer: the index has changed.
func (c *resultCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.lru.Init()
	clear(c.m)
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
