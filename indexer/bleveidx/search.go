package bleveidx

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"ketnoi/indexer"
)

// facetFields maps facet names to keyword fields. Year and TRL use keyword copies: bleve's numeric terms are
// prefix-coded at several precisions and a terms facet over them would count encoded noise.
var facetFields = map[string]string{
	indexer.FacetKind:         fKind,
	indexer.FacetField:        fFieldCodes,
	indexer.FacetSector:       fSectors,
	indexer.FacetYear:         fYearKey,
	indexer.FacetOrganization: fOrganization,
	indexer.FacetTRL:          fTRLKey,
	indexer.FacetIPStatus:     fIPStatus,
	indexer.FacetTransferForm: fTransferForms,
	indexer.FacetLocality:     fLocality,
	indexer.FacetProvince:     fProvince,
}

// Search runs one query: a ranking search for the page (with the facets whose own filter is unset), one
// size-0 search per facet whose own filter is set (that facet counts under every other filter), and, when
// highlights or matched terms are needed, a presentation search restricted to the page's documents with
// term locations. Locations are requested only there, so their cost is paid for the page, not for every
// matching document.
func (x *Index) Search(ctx context.Context, req *indexer.SearchRequest) (*indexer.SearchResult, error) {
	start := time.Now()
	var rescore map[string]float64
	if len(req.IDs) > 0 && req.After == "" && rerankable(req) {
		// Before taking the lock: the window is a search of its own.
		var err error
		if rescore, err = x.windowScores(ctx, req); err != nil {
			return nil, err
		}
	}
	bi, err := x.reader()
	if err != nil {
		return nil, err
	}
	defer x.mu.RUnlock()
	if !x.searched.Load() { // a load, not a store, on every search: no cache line bounced between cores
		x.searched.Store(true)
	}
	key := cacheKey(req)
	var gen uint64
	if key != "" {
		var kept *indexer.SearchResult
		if kept, gen = x.cache.get(key); kept != nil {
			kept.Took = time.Since(start)
			return kept, nil
		}
	}

	var p plan
	st := newStats(ctx, bi)
	if st != nil {
		defer st.close()
		p = x.translate(req, st)
	} else {
		p = x.translate(req, nil)
	}
	from, size := req.From, req.Size
	if size <= 0 {
		size = defaultSize
	}
	size = min(size, maxSize)
	from = max(from, 0)
	if from+size > maxWindow {
		size = max(maxWindow-from, 0)
		from = min(from, maxWindow)
	}
	facetSize := req.FacetSize
	if facetSize <= 0 {
		facetSize = defaultFacet
	}
	facetSize = min(facetSize, maxFacet)

	own := map[string]bool{}
	for _, f := range p.filters {
		own[f.facet] = true
	}

	unranked := !p.ranked()
	order := sortOrder(req.Sort, unranked)
	var after []string
	if req.After != "" {
		var off int
		if after, off, err = decodeCursor(req.After, req.Sort, order); err != nil {
			return nil, err
		}
		from = off // a cursor pages by key, at any depth, or by offset inside the re-ranked window
		size = min(req.Size, maxSize)
		if size <= 0 {
			size = defaultSize
		}
	}
	_, byScore := order[0].(*search.SortScore)
	// The second stage (rerank.go) ranks a user's query again over the first rerankWindow hits: a page that
	// starts there is cut from the whole window, fetched from the top.
	rerank := rerankable(req) && byScore && !unranked && after == nil && from < rerankWindow && len(req.IDs) == 0 &&
		st != nil
	pageFrom, pageSize := from, size
	switch {
	case rerank:
		from, size = 0, max(rerankWindow, pageFrom+pageSize)
	case rescore != nil:
		// Restricted to some documents scored as in the whole list: all of them are ranked, then cut.
		from, size = 0, min(max(len(req.IDs), pageFrom+pageSize), maxWindow)
	}
	br := bleve.NewSearchRequestOptions(p.query(""), size, from, false)
	br.SortByCustom(order)
	br.SearchAfter = after
	if !req.ScoresOnly && !rerank {
		// Re-ranked, the window's hits have none read: the page's are, with its highlights (present).
		br.Fields = listFields
	}
	if unranked && req.Sort == "" {
		br.Score = "none"
	}
	var inMain, separate []string
	seenFacet := map[string]bool{}
	for _, name := range req.Facets {
		if _, ok := facetFields[name]; !ok || seenFacet[name] {
			continue
		}
		seenFacet[name] = true
		if own[name] {
			separate = append(separate, name)
		} else {
			inMain = append(inMain, name)
		}
	}
	// Always wrapped: the tables also name the matches (see facets.go).
	counted := newTally(x.facets, inMain)
	if byScore && after == nil && br.Score != "none" {
		counted.top = newTopScores(from + size)
	}
	br.Query = &tallyQuery{inner: br.Query, c: counted}
	res, err := bi.SearchInContext(ctx, br)
	if err != nil {
		return nil, fmt.Errorf("bleveidx: search: %w", err)
	}

	page, next, err := x.pageOf(ctx, st, req, order, res.Hits, rerank, pageFrom, pageSize, size)
	if err != nil {
		return nil, err
	}
	out := &indexer.SearchResult{Total: res.Total, Hits: make([]indexer.Hit, 0, len(page)), Next: next}
	if counted.top != nil { // the collector saw only the matches that could make the page
		out.Total = counted.total
	}
	for _, h := range page {
		out.Hits = append(out.Hits, hitFromMatch(h))
	}
	if rescore != nil {
		// Restricted to some documents: each scored as in the whole query's list, its window re-ranked.
		for i := range out.Hits {
			if s, ok := rescore[out.Hits[i].ID]; ok {
				out.Hits[i].Score = s
			}
		}
		sort.SliceStable(out.Hits, func(i, j int) bool { return out.Hits[i].Score > out.Hits[j].Score })
		// No cursor: the order is no sort key's; From pages through what is a short list.
		out.Hits, out.Next = out.Hits[min(pageFrom, len(out.Hits)):min(pageFrom+pageSize, len(out.Hits))], ""
	}
	if len(seenFacet) > 0 {
		out.Facets = make(map[string][]indexer.FacetCount, len(seenFacet))
	}
	for name, counts := range counted.result() {
		out.Facets[name] = facetCounts(name, counts, facetSize)
	}
	for _, name := range separate {
		c := newTally(x.facets, []string{name})
		fr := bleve.NewSearchRequestOptions(&tallyQuery{inner: p.query(name), c: c}, 0, 0, false)
		fr.Score = "none"
		if _, err := bi.SearchInContext(ctx, fr); err != nil {
			return nil, fmt.Errorf("bleveidx: facet %s: %w", name, err)
		}
		out.Facets[name] = facetCounts(name, c.result()[name], facetSize)
	}

	if req.From == 0 && req.After == "" && req.Query.MaxTerms == 0 && len(req.Query.Expansions) == 0 && !req.ScoresOnly && len(req.IDs) == 0 {
		out.Corrections = x.suggest(ctx, bi, st, req)
	}
	if !unranked && len(page) > 0 && !req.ScoresOnly {
		gone, err := x.present(ctx, bi, p, req.Highlight, rerank, out.Hits)
		if err != nil {
			return nil, err
		}
		if len(gone) > 0 { // deleted since the ranking search: nothing to show
			out.Hits = slices.DeleteFunc(out.Hits, func(h indexer.Hit) bool { return gone[h.ID] })
		}
	}
	out.Took = time.Since(start)
	if key != "" {
		x.cache.put(key, gen, out)
	}
	return out, nil
}

// pageOf returns the page of hits and the cursor of the page after it. Without the second stage, hits is the
// page. With it, hits is the first stage's best fetched (from 0, fetched of them): the first rerankWindow
// are ranked again, and the page is cut at from. Inside the window the cursor is an offset; at its end it
// is the sort key of the window's last hit in the first stage's order, from which that order goes on.
func (x *Index) pageOf(ctx context.Context, st *readerStats, req *indexer.SearchRequest, order search.SortOrder,
	hits []*search.DocumentMatch, rerank bool, from, size, fetched int) ([]*search.DocumentMatch, string, error) {
	if !rerank {
		if n := len(hits); n > 0 && n == size {
			return hits, encodeCursor(req.Sort, order, hits[n-1]), nil
		}
		return hits, "", nil
	}
	window := hits[:min(len(hits), rerankWindow)]
	var boundary string
	if len(window) > 0 {
		boundary = encodeCursor(req.Sort, order, window[len(window)-1])
	}
	// On the snapshot the query was translated on.
	if err := x.rerank(ctx, st.r, req.Query.Terms, req.Query.Phrases, window); err != nil {
		return nil, "", err
	}
	if from >= len(hits) {
		return nil, "", nil
	}
	end := min(from+size, len(hits))
	page := hits[from:end]
	if len(page) < size {
		return page, "", nil
	}
	switch {
	case end < len(window):
		return page, encodeOffset(req.Sort, end), nil
	case end == len(window):
		if len(hits) < fetched && end == len(hits) {
			return page, "", nil // the window held every match
		}
		return page, boundary, nil
	default: // past the window, in the first stage's order
		return page, encodeCursor(req.Sort, order, page[len(page)-1]), nil
	}
}

// readerStats answers termStats from one index snapshot.
type readerStats struct {
	ctx  context.Context
	r    index.IndexReader
	docs float64
	dfs  map[string]uint64 // largest document frequency over the folded text fields
}

// newStats opens a snapshot for query translation and the second ranking stage; it returns nil if the index
// cannot be read that way, and the caller must call close.
func newStats(ctx context.Context, bi bleve.Index) *readerStats {
	adv, err := bi.Advanced()
	if err != nil {
		return nil
	}
	r, err := adv.Reader()
	if err != nil {
		return nil
	}
	n, err := r.DocCount()
	if err != nil {
		r.Close()
		return nil
	}
	return &readerStats{ctx: ctx, r: r, docs: float64(n), dfs: map[string]uint64{}}
}

func (s *readerStats) close() {
	if s != nil {
		s.r.Close()
	}
}

func (s *readerStats) maxDF(term string) uint64 {
	if n, ok := s.dfs[term]; ok {
		return n
	}
	var best uint64
	for _, f := range textFields {
		tfr, err := s.r.TermFieldReader(s.ctx, []byte(term), f.name+sufFolded, false, false, false)
		if err != nil {
			continue
		}
		best = max(best, tfr.Count())
		tfr.Close()
	}
	s.dfs[term] = best
	return best
}

func (s *readerStats) known(term string) bool { return s.maxDF(term) > 0 }

func (s *readerStats) df(term string) uint64 { return s.maxDF(term) }

func (s *readerStats) common(term string) bool {
	return s.docs >= pruneMinDocs && float64(s.maxDF(term)) > commonShare*s.docs
}

// facetCounts orders a facet's counts for display and keeps the first size: years newest first and TRL
// levels in order (every year is kept), the others by count.
func facetCounts(name string, counts map[string]int, size int) []indexer.FacetCount {
	out := make([]indexer.FacetCount, 0, len(counts))
	for v, n := range counts {
		out = append(out, indexer.FacetCount{Value: v, Count: n})
	}
	switch name {
	case indexer.FacetYear:
		sort.Slice(out, func(i, j int) bool { return atoi(out[i].Value) > atoi(out[j].Value) })
	case indexer.FacetTRL:
		sort.Slice(out, func(i, j int) bool { return atoi(out[i].Value) < atoi(out[j].Value) })
	default:
		sort.SliceStable(out, func(i, j int) bool {
			if out[i].Count != out[j].Count {
				return out[i].Count > out[j].Count
			}
			return out[i].Value < out[j].Value
		})
	}
	if name != indexer.FacetYear && len(out) > size {
		out = out[:size]
	}
	return out
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func hitFromMatch(h *search.DocumentMatch) indexer.Hit {
	hit := indexer.Hit{ID: h.ID, Score: h.Score}
	setListed(&hit, h)
	return hit
}

// setListed sets what a hit list shows (listFields) from a match's stored fields.
func setListed(hit *indexer.Hit, h *search.DocumentMatch) {
	str := func(k string) string {
		s, _ := h.Fields[k].(string)
		return s
	}
	num := func(k string) int {
		f, _ := h.Fields[k].(float64)
		return int(f)
	}
	hit.Kind, hit.Title, hit.Organization = str(fKind), str(fTitle), str(fOrganization)
	hit.Year, hit.TRL = num(fYear), num(fTRL)
}

// present fills MatchedTerms, and Fragments and Page when highlight is set, from a second search limited to
// the page's documents, with term locations and (for highlights) the stored texts; with list, also what a
// hit list shows (listFields), and it returns the hits whose documents are gone since the ranking search.
func (x *Index) present(ctx context.Context, bi bleve.Index, p plan, highlight, list bool, hits []indexer.Hit) (map[string]bool, error) {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	// A conjunction, not a filter: bleve applies a filter after the query has walked all its postings, while
	// a conjunction advances the text query straight to the page's few documents.
	q := query.NewConjunctionQuery([]query.Query{query.NewDocIDQuery(ids), p.shown})
	br := bleve.NewSearchRequestOptions(q, len(ids), 0, false)
	br.IncludeLocations = true
	if list {
		br.Fields = append(br.Fields, listFields...)
	}
	if highlight {
		for _, f := range textFields {
			if !slices.Contains(br.Fields, f.name) {
				br.Fields = append(br.Fields, f.name)
			}
		}
		br.Fields = append(br.Fields, fPageStarts)
	}
	res, err := bi.SearchInContext(ctx, br)
	if err != nil {
		return nil, fmt.Errorf("bleveidx: search for highlights: %w", err)
	}
	byID := make(map[string]*search.DocumentMatch, len(res.Hits))
	for _, h := range res.Hits {
		byID[h.ID] = h
	}
	var gone map[string]bool
	if list && len(res.Hits) < len(hits) {
		if gone, err = listMissing(ctx, bi, hits, byID); err != nil {
			return nil, err
		}
	}
	qt := newQueryTerms(p.terms)
	for i := range hits {
		h := byID[hits[i].ID]
		if h == nil { // deleted in between
			continue
		}
		if list {
			setListed(&hits[i], h)
		}
		hits[i].MatchedTerms = qt.matched(h.Locations)
		if highlight {
			hits[i].Fragments, hits[i].Page = fragments(h)
		}
	}
	return gone, nil
}

// listMissing reads what a hit list shows for the hits the presentation search did not find (byID): changed
// since the ranking search so that they no longer match what is highlighted, or deleted. It adds what it
// finds to byID, without term locations, and returns the deleted ones.
func listMissing(ctx context.Context, bi bleve.Index, hits []indexer.Hit, byID map[string]*search.DocumentMatch) (map[string]bool, error) {
	var ids []string
	for _, h := range hits {
		if byID[h.ID] == nil {
			ids = append(ids, h.ID)
		}
	}
	br := bleve.NewSearchRequestOptions(query.NewDocIDQuery(ids), len(ids), 0, false)
	br.Fields = listFields
	br.Score = "none"
	res, err := bi.SearchInContext(ctx, br)
	if err != nil {
		return nil, fmt.Errorf("bleveidx: search for the list fields: %w", err)
	}
	for _, h := range res.Hits {
		byID[h.ID] = h
	}
	gone := map[string]bool{}
	for _, id := range ids {
		if byID[id] == nil {
			gone[id] = true
		}
	}
	return gone, nil
}
