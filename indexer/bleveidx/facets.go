package bleveidx

import (
	"container/heap"
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Facets are counted here rather than by bleve's facet builder. bleve reads every matching document's doc
// values, decompressing their chunks, once per search: on 100,000 results with every facet that was three
// quarters of a search (doc value visits alone 63% of the CPU). Segments never change once written, so each
// segment's facet values are read once into flat arrays, and a search counts a match by indexing them. The
// counting rides on the ranking search itself (tallyQuery wraps its searcher), so the matches are walked once.
//
// The same tables name the matches. Pages are ordered by score and then document id, so that a cursor has
// a total order to resume from, and bleve's collector reads the id of every match from the stored fields,
// one scattered read each: once facets were counted from the tables, that was a third of a search's CPU.
// A match whose id is already set is not looked up again, so the wrapper sets it from the table.

// segFacets holds one segment's document ids and values of the facet fields, by local document number. The
// values of document d are vals[start[d]:start[d+1]], each the field's position in facetTables.fields in
// the top byte and the value's code in names[field] below: one contiguous run per match.
type segFacets struct {
	ids   []string
	names [][]string
	start []uint32
	vals  []uint32
	// tokens is each document's length in syllables (the "ntok" doc value; 0 where the index has none) and
	// tokenSum their sum, for the second ranking stage (rerank.go).
	tokens   []uint32
	tokenSum float64
}

const codeBits = 24 // a value code below 1<<24: sixteen million distinct values of one field in one segment

// segEntry builds a segment's table once, whichever search asks first.
type segEntry struct {
	once sync.Once
	f    *segFacets
	err  error
}

// facetTables caches the tables of an index's segments, by segment id: a segment keeps its id when scorch
// persists it, and a merge makes a new segment with a new id.
type facetTables struct {
	fields []string       // every facet field, in a fixed order
	pos    map[string]int // field → position in fields
	mu     sync.Mutex
	segs   map[uint64]*segEntry
}

func newFacetTables() *facetTables {
	t := &facetTables{pos: map[string]int{}, segs: map[uint64]*segEntry{}}
	for _, f := range facetFields {
		t.fields = append(t.fields, f)
	}
	sort.Strings(t.fields)
	t.fields = slices.Compact(t.fields)
	for i, f := range t.fields {
		t.pos[f] = i
	}
	return t
}

// snapshot returns the tables of the snapshot's segments and their global document offsets, building the
// missing ones and forgetting those of segments the snapshot no longer has.
func (t *facetTables) snapshot(is *scorch.IndexSnapshot) ([]*segFacets, []uint64, error) {
	ss := is.Segments()
	entries := make([]*segEntry, len(ss))
	t.mu.Lock()
	live := make(map[uint64]bool, len(ss))
	for i, s := range ss {
		e := t.segs[s.Id()]
		if e == nil {
			e = &segEntry{}
			t.segs[s.Id()] = e
		}
		entries[i] = e
		live[s.Id()] = true
	}
	// Forget merged-away segments once they are many: a search still running on an older snapshot holds its
	// own entries, and at worst a later search on that snapshot builds a table again.
	if len(t.segs) > 2*len(ss)+8 {
		for id := range t.segs {
			if !live[id] {
				delete(t.segs, id)
			}
		}
	}
	t.mu.Unlock()

	tables := make([]*segFacets, len(ss))
	offsets := make([]uint64, len(ss)+1)
	for i, s := range ss {
		e := entries[i]
		e.once.Do(func() { e.f, e.err = t.build(s.Segment()) })
		if e.err != nil {
			return nil, nil, e.err
		}
		tables[i] = e.f
		offsets[i+1] = offsets[i] + s.Segment().Count()
	}
	return tables, offsets, nil
}

// build reads the facet fields' doc values of every document of seg.
func (t *facetTables) build(seg segment.Segment) (*segFacets, error) {
	dv, ok := seg.(segment.DocValueVisitable)
	if !ok {
		return nil, fmt.Errorf("bleveidx: facets: segment %T has no doc values", seg)
	}
	n := seg.Count()
	f := &segFacets{ids: make([]string, n), names: make([][]string, len(t.fields)), start: make([]uint32, n+1),
		vals: make([]uint32, 0, 12*n)}
	codes := make([]map[string]uint32, len(t.fields))
	for i := range codes {
		codes[i] = map[string]uint32{}
	}
	var tooMany error
	var d uint64 // the document being visited
	f.tokens = make([]uint32, n)
	visit := func(field string, term []byte) {
		if field == fTokens {
			if v, err := strconv.ParseUint(string(term), 10, 32); err == nil {
				f.tokens[d] = uint32(v)
				f.tokenSum += float64(v)
			}
			return
		}
		i, ok := t.pos[field]
		if !ok {
			return
		}
		c, ok := codes[i][string(term)]
		if !ok {
			c = uint32(len(f.names[i]))
			if c >= 1<<codeBits {
				tooMany = fmt.Errorf("bleveidx: facets: more than %d values of %s in one segment", 1<<codeBits, field)
				return
			}
			s := string(term)
			codes[i][s] = c
			f.names[i] = append(f.names[i], s)
		}
		f.vals = append(f.vals, uint32(i)<<codeBits|c)
	}
	var state segment.DocVisitState
	fields := append(slices.Clip(t.fields), fTokens)
	for d = 0; d < n; d++ {
		id, err := seg.DocID(d)
		if err != nil {
			return nil, fmt.Errorf("bleveidx: facets: document %d: %w", d, err)
		}
		f.ids[d] = string(id)
		f.start[d] = uint32(len(f.vals))
		if state, err = dv.VisitDocValues(d, fields, visit, state); err != nil {
			return nil, fmt.Errorf("bleveidx: facets: document %d: %w", d, err)
		}
		if tooMany != nil {
			return nil, tooMany
		}
	}
	f.start[n] = uint32(len(f.vals))
	return f, nil
}

// Warm builds the facet tables of the index's segments in the background, so that the first search does not
// wait for them (0.2 s for 100,000 results): for a server, once opened. After that, each write warms the
// new segments once the index has been searched; a bulk import that never searches builds no tables.
func (x *Index) Warm() {
	x.searched.Store(true)
	x.warm()
}

func (x *Index) warm() {
	if !x.warming.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer x.warming.Store(false)
		bi, err := x.reader()
		if err != nil {
			return
		}
		defer x.mu.RUnlock()
		adv, err := bi.Advanced()
		if err != nil {
			return
		}
		// An error here is met again, and reported, by the search that needs the table.
		_ = withSnapshot(adv, func(is *scorch.IndexSnapshot) { x.facets.snapshot(is) })
	}()
}

// tally counts the facet values of the documents a search matches, and names them.
type tally struct {
	t      *facetTables
	slot   []int    // by field position in t.fields: index into names/out, or -1 when not counted
	names  []string // facet name of each counted field
	tables []*segFacets
	starts []uint64 // global number of each segment's first document, and the end
	cur    int      // segment of the last counted document; -1 before the first
	last   uint64   // the last counted document, which a searcher may hand out twice (Next, then Advance)
	any    bool
	// counts holds the current segment's counts of every field, counted or not, by base[field]+code: one
	// increment per value without a branch (the fields not asked for are counted and never read).
	counts []uint32
	base   []uint32
	out    []map[string]int
	total  uint64 // documents counted
	top    *topScores
}

func newTally(t *facetTables, facets []string) *tally {
	c := &tally{t: t, cur: -1, slot: make([]int, len(t.fields)), base: make([]uint32, len(t.fields))}
	for i := range c.slot {
		c.slot[i] = -1
	}
	for _, name := range facets {
		c.slot[t.pos[facetFields[name]]] = len(c.names)
		c.names = append(c.names, name)
		c.out = append(c.out, map[string]int{})
	}
	return c
}

// add counts the match and sets its id.
func (c *tally) add(dm *search.DocumentMatch) {
	docNum := dm.IndexInternalID.Value()
	if c.any && docNum == c.last {
		return
	}
	c.any, c.last = true, docNum
	c.total++
	if c.cur < 0 || docNum < c.starts[c.cur] || docNum >= c.starts[c.cur+1] {
		c.flush()
		c.cur = sort.Search(len(c.tables), func(i int) bool { return c.starts[i+1] > docNum })
		if c.cur >= len(c.tables) {
			c.cur = -1
			return
		}
		n := 0
		for field, names := range c.tables[c.cur].names {
			c.base[field] = uint32(n)
			n += len(names)
		}
		if cap(c.counts) >= n {
			c.counts = c.counts[:n]
			clear(c.counts)
		} else {
			c.counts = make([]uint32, n)
		}
	}
	seg := c.tables[c.cur]
	local := docNum - c.starts[c.cur]
	if dm.ID == "" {
		dm.ID = seg.ids[local]
	}
	if len(c.names) == 0 {
		return
	}
	counts, base := c.counts, c.base
	for _, v := range seg.vals[seg.start[local]:seg.start[local+1]] {
		counts[base[v>>codeBits]+v&(1<<codeBits-1)]++
	}
}

// flush moves the current segment's counts into out, by value.
func (c *tally) flush() {
	if c.cur < 0 {
		return
	}
	for field, i := range c.slot {
		if i < 0 {
			continue
		}
		names := c.tables[c.cur].names[field]
		for code, n := range c.counts[c.base[field] : int(c.base[field])+len(names)] {
			if n > 0 {
				c.out[i][names[code]] += int(n)
			}
		}
	}
}

// result returns the counts by facet name, after the search is over.
func (c *tally) result() map[string]map[string]int {
	c.flush()
	c.cur = -1
	out := make(map[string]map[string]int, len(c.names))
	for i, name := range c.names {
		out[name] = c.out[i]
	}
	return out
}

// tallyQuery is a query whose searcher passes on the matches of its inner query and counts their facets.
type tallyQuery struct {
	inner query.Query
	c     *tally
}

func (q *tallyQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping,
	opts search.SearcherOptions) (search.Searcher, error) {
	is, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil, fmt.Errorf("bleveidx: facets need a scorch index, not %T", r)
	}
	tables, starts, err := q.c.t.snapshot(is)
	if err != nil {
		return nil, err
	}
	q.c.tables, q.c.starts = tables, starts
	s, err := q.inner.Searcher(ctx, r, m, opts)
	if err != nil {
		return nil, err
	}
	return &tallySearcher{Searcher: s, c: q.c}, nil
}

// Validate lets bleve check the inner query as it would have without the wrapper.
func (q *tallyQuery) Validate() error {
	if v, ok := q.inner.(query.ValidatableQuery); ok {
		return v.Validate()
	}
	return nil
}

type tallySearcher struct {
	search.Searcher
	c *tally
}

func (s *tallySearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	dm, err := s.Searcher.Next(ctx)
	return s.pass(ctx, dm, err)
}

func (s *tallySearcher) Advance(ctx *search.SearchContext, id index.IndexInternalID) (*search.DocumentMatch, error) {
	dm, err := s.Searcher.Advance(ctx, id)
	return s.pass(ctx, dm, err)
}

// pass counts dm and hands it on, or the next match that may make the page.
func (s *tallySearcher) pass(ctx *search.SearchContext, dm *search.DocumentMatch, err error) (*search.DocumentMatch, error) {
	for dm != nil && err == nil {
		s.c.add(dm)
		if s.c.top == nil || s.c.top.admit(dm.Score) {
			return dm, nil
		}
		ctx.DocumentMatchPool.Put(dm)
		dm, err = s.Searcher.Next(ctx)
	}
	return dm, err
}

// topScores keeps the n best scores seen, so that a match that cannot reach the first n by score is
// counted (facets, total) but not handed to bleve's collector: on 100,000 results a query matches a third
// of them, and the collector's per-match work (sort keys, heap, pool) was a tenth of a search. Only for an
// order by score alone (ties then by id: a match equal to the n-th score still goes through), without a
// search_after cursor, whose dropped matches the collector alone knows.
type topScores struct {
	n      int
	scores minHeap
}

func newTopScores(n int) *topScores { return &topScores{n: n, scores: make(minHeap, 0, n)} }

// admit reports whether a match of this score may be among the n best, and records it.
func (t *topScores) admit(score float64) bool {
	switch {
	case len(t.scores) < t.n:
		heap.Push(&t.scores, score)
	case t.n == 0 || score < t.scores[0]:
		return false
	case score > t.scores[0]:
		t.scores[0] = score
		heap.Fix(&t.scores, 0)
	}
	return true
}

type minHeap []float64

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(float64)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
