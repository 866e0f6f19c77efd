package bleveidx

import (
	"context"
	"encoding/binary"
	"math"
	"slices"
	"sort"

	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/scorer"
	index "github.com/blevesearch/bleve_index_api"
)

// fieldsTermQuery is one term searched in several fields: the same matches and scores as a disjunction of
// one term query per field, for a fraction of the cost. Every plain query word is such a disjunction over
// the six text fields, and on 100,000 results bleve's generic disjunction of term searchers took more than
// half of a search: one scored DocumentMatch per field and posting, byte-slice id comparisons across the
// children on every step, and a second scoring pass for the coordination factor. Here the postings of the
// fields are merged by document number and each document is scored once, with bleve's own formulas in
// bleve's own order (see fieldsTermSearcher.Next), so that a ranking does not depend on which searcher ran.
//
// Searches that need more than a score (term locations for highlights, explanations, score breakdowns,
// synonyms, statistics of several indexes) or no score at all (bleve then ORs the postings bitmaps itself)
// get bleve's disjunction.
type fieldsTermQuery struct {
	term   string
	fields []string
	boost  float64
}

func newFieldsTermQuery(term string, fields []string, boost float64) *fieldsTermQuery {
	return &fieldsTermQuery{term: term, fields: fields, boost: boost}
}

// disjunction is the equivalent bleve query.
func (q *fieldsTermQuery) disjunction() *query.DisjunctionQuery {
	alts := make([]query.Query, 0, len(q.fields))
	for _, f := range q.fields {
		tq := query.NewTermQuery(q.term)
		tq.SetField(f)
		tq.SetBoost(q.boost)
		alts = append(alts, tq)
	}
	return query.NewDisjunctionQuery(alts)
}

func (q *fieldsTermQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping,
	opts search.SearcherOptions) (search.Searcher, error) {
	if !fusable(ctx, opts) {
		return q.disjunction().Searcher(ctx, r, m, opts)
	}
	docs, err := r.DocCount()
	if err != nil {
		return nil, err
	}
	if docs == 0 {
		return q.disjunction().Searcher(ctx, r, m, opts)
	}
	bm25, _ := r.(index.BM25Reader)
	s := &fieldsTermSearcher{streams: make([]termStream, 0, len(q.fields))}
	for _, f := range q.fields {
		if err := search.RecordTermSearcher(ctx); err != nil {
			_ = s.Close()
			return nil, err
		}
		tfr, err := r.TermFieldReader(ctx, []byte(q.term), f, true, true, false)
		if err != nil {
			_ = s.Close()
			return nil, err
		}
		st := termStream{r: tfr, boost: q.boost, queryWeight: 1}
		// As bleve's bm25ScoreMetrics and TermQueryScorer compute them.
		var card int
		if bm25 != nil {
			if card, err = bm25.FieldCardinality(f); err != nil {
				_ = s.Close()
				_ = tfr.Close()
				return nil, err
			}
		}
		st.avgLen = math.Ceil(float64(card) / float64(docs))
		df := tfr.Count()
		if st.avgLen > 0 {
			st.idf = math.Log(1 + (float64(docs)-float64(df)+0.5)/(float64(df)+0.5))
		} else {
			st.idf = 1.0 + math.Log(float64(docs)/float64(df+1.0))
		}
		s.streams = append(s.streams, st)
	}
	// bleve's disjunction sorts its children by postings count (an unstable sort: the same one on the same
	// counts gives the same order), and sums their scores in that order.
	sort.Sort(byCount(s.streams))
	s.SetQueryNorm(1.0 / math.Sqrt(s.Weight())) // as bleve's disjunction does on creation; an enclosing one resets it
	return s, nil
}

// fusable reports whether a search can use fieldsTermSearcher: BM25 scores and nothing else.
func fusable(ctx context.Context, opts search.SearcherOptions) bool {
	if opts.Explain || opts.IncludeTermVectors || opts.Score == "none" || ctx == nil {
		return false
	}
	model, ok := ctx.Value(search.GetScoringModelCallbackKey).(search.GetScoringModelCallbackFn)
	if !ok || model() != index.BM25Scoring {
		return false
	}
	if ctx.Value(search.BM25StatsKey) != nil || ctx.Value(search.FieldTermSynonymMapKey) != nil {
		return false
	}
	breakdown, _ := ctx.Value(search.IncludeScoreBreakdownKey).(bool)
	return !breakdown
}

// termStream is the postings of the term in one field.
type termStream struct {
	r           index.TermFieldReader
	tfd         index.TermFieldDoc
	boost       float64
	idf, avgLen float64
	queryWeight float64
	// BM25 constants of the stream, set with the query weight: idf·queryWeight·k1, k1·(1-b), k1·b/avgLen.
	weightK1, k1b, k1bAvg float64
}

// exhausted is the document number of a stream or clause that has no more: above every real one.
const exhausted = math.MaxUint64

// next moves to the stream's next posting, or the first at or after target when advance is set, and returns
// its document number.
func (st *termStream) next(target index.IndexInternalID, advance bool) (uint64, error) {
	var tfd *index.TermFieldDoc
	var err error
	if advance {
		tfd, err = st.r.Advance(target, &st.tfd)
	} else {
		tfd, err = st.r.Next(&st.tfd)
	}
	if err != nil {
		return exhausted, err
	}
	if tfd == nil {
		return exhausted, nil
	}
	return tfd.ID.Value(), nil
}

// score is TermQueryScorer.Score's, rearranged so that a posting costs two divisions rather than three: it
// may differ from bleve's in the last bit.
func (st *termStream) score() float64 {
	var tf float64
	if f := st.tfd.Freq; f < scorer.MaxSqrtCache {
		tf = scorer.SqrtCache[f]
	} else {
		tf = math.Sqrt(float64(f))
	}
	if st.avgLen > 0 {
		// idf·tf·k1 / (tf + k1·(1 - b + b·fieldLength/avgLen)), fieldLength = 1/norm²
		return st.weightK1 * tf / (tf + st.k1b + st.k1bAvg/(st.tfd.Norm*st.tfd.Norm))
	}
	return tf * st.tfd.Norm * st.idf * st.queryWeight
}

type byCount []termStream

func (b byCount) Len() int           { return len(b) }
func (b byCount) Less(i, j int) bool { return b[i].r.Count() < b[j].r.Count() }
func (b byCount) Swap(i, j int)      { b[i], b[j] = b[j], b[i] }

// fieldsTermSearcher merges the streams of a fieldsTermQuery.
type fieldsTermSearcher struct {
	streams []termStream
	// docs[i] is streams[i]'s current document, or exhausted: apart from the streams, so that the merge
	// loops read one small array.
	docs        []uint64
	coord       []float64 // coord[m] = m/len(streams), as DisjunctionQueryScorer divides
	initialized bool
	min         uint64 // the first document any stream is at, or exhausted
}

func (s *fieldsTermSearcher) Weight() float64 {
	var sum float64
	for i := range s.streams {
		w := s.streams[i].boost * s.streams[i].idf
		sum += w * w
	}
	return sum
}

func (s *fieldsTermSearcher) SetQueryNorm(norm float64) {
	for i := range s.streams {
		st := &s.streams[i]
		st.queryWeight = st.boost * st.idf * norm
		st.weightK1 = st.idf * st.queryWeight * search.BM25_k1
		st.k1b = search.BM25_k1 * (1 - search.BM25_b)
		if st.avgLen > 0 {
			st.k1bAvg = search.BM25_k1 * search.BM25_b / st.avgLen
		}
	}
}

func (s *fieldsTermSearcher) init() error {
	s.docs = make([]uint64, len(s.streams))
	s.coord = coordFactors(len(s.streams))
	for i := range s.streams {
		var err error
		if s.docs[i], err = s.streams[i].next(nil, false); err != nil {
			return err
		}
	}
	s.initialized = true
	s.min = slices.Min(append(s.docs, exhausted))
	return nil
}

// take scores s.min and moves its streams past it, finding the next s.min on the way. As
// DisjunctionQueryScorer: the sum of the matching children's scores, in the children's order, times the
// share of children that matched.
func (s *fieldsTermSearcher) take() (float64, error) {
	doc, next := s.min, uint64(exhausted)
	var sum float64
	matched := 0
	for i, d := range s.docs {
		if d == doc {
			st := &s.streams[i]
			sum += st.score()
			matched++
			var err error
			if d, err = st.next(nil, false); err != nil {
				return 0, err
			}
			s.docs[i] = d
		}
		next = min(next, d)
	}
	s.min = next
	return sum * s.coord[matched], nil
}

// skipTo moves the streams before target to their first posting at or after it.
func (s *fieldsTermSearcher) skipTo(id index.IndexInternalID, target uint64) error {
	next := uint64(exhausted)
	for i, d := range s.docs {
		if d < target {
			var err error
			if d, err = s.streams[i].next(id, true); err != nil {
				return err
			}
			s.docs[i] = d
		}
		next = min(next, d)
	}
	s.min = next
	return nil
}

func (s *fieldsTermSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	if !s.initialized {
		if err := s.init(); err != nil {
			return nil, err
		}
	}
	if s.min == exhausted {
		return nil, nil
	}
	doc := s.min
	score, err := s.take()
	if err != nil {
		return nil, err
	}
	return newMatch(ctx, doc, score), nil
}

// coordFactors returns c with c[m] = m/n, the coordination factor of m matching children out of n, divided
// as DisjunctionQueryScorer divides.
func coordFactors(n int) []float64 {
	c := make([]float64, n+1)
	for m := range c {
		c[m] = float64(m) / float64(n)
	}
	return c
}

// newMatch takes a DocumentMatch from the pool for document number doc.
func newMatch(ctx *search.SearchContext, doc uint64, score float64) *search.DocumentMatch {
	dm := ctx.DocumentMatchPool.Get()
	dm.IndexInternalID = binary.BigEndian.AppendUint64(dm.IndexInternalID[:0], doc)
	dm.Score = score
	return dm
}

func (s *fieldsTermSearcher) Advance(ctx *search.SearchContext, id index.IndexInternalID) (*search.DocumentMatch, error) {
	if !s.initialized {
		if err := s.init(); err != nil {
			return nil, err
		}
	}
	if err := s.skipTo(id, id.Value()); err != nil {
		return nil, err
	}
	return s.Next(ctx)
}

func (s *fieldsTermSearcher) Close() error {
	var first error
	for i := range s.streams {
		if err := s.streams[i].r.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (s *fieldsTermSearcher) Count() uint64 {
	var n uint64
	for i := range s.streams {
		n += s.streams[i].r.Count()
	}
	return n
}

func (s *fieldsTermSearcher) Min() int { return 0 }

func (s *fieldsTermSearcher) Size() int {
	n := 64
	for i := range s.streams {
		n += 96 + s.streams[i].r.Size()
	}
	return n
}

// DocumentMatchPoolSize: one match out at a time (bleve's disjunction of term searchers holds one per child).
func (s *fieldsTermSearcher) DocumentMatchPoolSize() int { return 1 }
