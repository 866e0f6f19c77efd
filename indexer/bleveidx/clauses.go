package bleveidx

import (
	"context"
	"math"
	"slices"
	"sort"

	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"
)

// clauseQuery is the disjunction of a query's words and other clauses, scored as bleve's DisjunctionQuery
// (the sum of the matching clauses' scores times the share of clauses that matched, at least min of them),
// with its word clauses (fieldsTermQuery) merged in place: no DocumentMatch per word and document, and
// documents compared as numbers. With bleve's disjunction around fieldsTermQuery, the disjunction itself
// was still a sixth of a search on 100,000 results.
//
// Scores equal bleve's up to the order of a floating-point sum: bleve adds the clauses in the order of
// their postings counts with ten clauses or fewer, in heap order with more; this adds them in count order.
type clauseQuery struct {
	clauses []query.Query
	min     float64
}

func newClauseQuery(clauses []query.Query, min float64) *clauseQuery {
	return &clauseQuery{clauses: clauses, min: min}
}

// disjunction is the equivalent bleve query.
func (q *clauseQuery) disjunction() *query.DisjunctionQuery { return disj(q.clauses, q.min) }

func (q *clauseQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping,
	opts search.SearcherOptions) (search.Searcher, error) {
	if !fusable(ctx, opts) || len(q.clauses) == 0 {
		return q.disjunction().Searcher(ctx, r, m, opts)
	}
	s := &clauseSearcher{min: int(q.min), clauses: make([]clause, 0, len(q.clauses))}
	for _, c := range q.clauses {
		sr, err := c.Searcher(ctx, r, m, opts)
		if err != nil {
			_ = s.Close()
			return nil, err
		}
		if sr == nil {
			continue
		}
		cl := clause{other: sr}
		if ft, ok := sr.(*fieldsTermSearcher); ok {
			cl = clause{terms: ft}
		}
		s.clauses = append(s.clauses, cl)
	}
	if len(s.clauses) == 0 {
		return searcher.NewMatchNoneSearcher(r)
	}
	sort.Sort(clausesByCount(s.clauses))
	s.SetQueryNorm(1.0 / math.Sqrt(s.Weight()))
	return s, nil
}

// clause is one clause of a clauseSearcher: word streams merged in place, or any other searcher.
type clause struct {
	terms *fieldsTermSearcher
	other search.Searcher
	cur   *search.DocumentMatch // other's current match
}

func (c *clause) searcher() search.Searcher {
	if c.terms != nil {
		return c.terms
	}
	return c.other
}

// doc returns the clause's current document, or exhausted.
func (c *clause) doc() uint64 {
	if c.terms != nil {
		return c.terms.min
	}
	if c.cur == nil {
		return exhausted
	}
	return c.cur.IndexInternalID.Value()
}

type clausesByCount []clause

func (b clausesByCount) Len() int { return len(b) }
func (b clausesByCount) Less(i, j int) bool {
	return b[i].searcher().Count() < b[j].searcher().Count()
}
func (b clausesByCount) Swap(i, j int) { b[i], b[j] = b[j], b[i] }

type clauseSearcher struct {
	clauses     []clause
	docs        []uint64  // docs[i] is clauses[i]'s current document, or exhausted
	coord       []float64 // coord[m] = m/len(clauses)
	min         int
	initialized bool
}

func (s *clauseSearcher) init(ctx *search.SearchContext) error {
	s.docs = make([]uint64, len(s.clauses))
	s.coord = coordFactors(len(s.clauses))
	for i := range s.clauses {
		c := &s.clauses[i]
		if c.terms != nil {
			if err := c.terms.init(); err != nil {
				return err
			}
		} else {
			var err error
			if c.cur, err = c.other.Next(ctx); err != nil {
				return err
			}
		}
		s.docs[i] = c.doc()
	}
	s.initialized = true
	return nil
}

func (s *clauseSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	if !s.initialized {
		if err := s.init(ctx); err != nil {
			return nil, err
		}
	}
	for {
		doc := slices.Min(s.docs)
		if doc == exhausted {
			return nil, nil
		}
		var sum float64
		var rv *search.DocumentMatch
		matched := 0
		for i, d := range s.docs {
			if d != doc {
				continue
			}
			c := &s.clauses[i]
			matched++
			if c.terms != nil {
				score, err := c.terms.take()
				if err != nil {
					return nil, err
				}
				sum += score
			} else {
				sum += c.cur.Score
				if rv == nil {
					rv = c.cur // reused as the result, as bleve's disjunction does
				} else {
					ctx.DocumentMatchPool.Put(c.cur)
				}
				var err error
				if c.cur, err = c.other.Next(ctx); err != nil {
					return nil, err
				}
			}
			s.docs[i] = c.doc()
		}
		if matched < s.min {
			if rv != nil {
				ctx.DocumentMatchPool.Put(rv)
			}
			continue
		}
		score := sum * s.coord[matched]
		if rv == nil {
			return newMatch(ctx, doc, score), nil
		}
		rv.Score = score
		return rv, nil
	}
}

func (s *clauseSearcher) Advance(ctx *search.SearchContext, id index.IndexInternalID) (*search.DocumentMatch, error) {
	if !s.initialized {
		if err := s.init(ctx); err != nil {
			return nil, err
		}
	}
	target := id.Value()
	for i, d := range s.docs {
		if d >= target { // exhausted included
			continue
		}
		c := &s.clauses[i]
		if c.terms != nil {
			if err := c.terms.skipTo(id, target); err != nil {
				return nil, err
			}
		} else {
			ctx.DocumentMatchPool.Put(c.cur)
			var err error
			if c.cur, err = c.other.Advance(ctx, id); err != nil {
				return nil, err
			}
		}
		s.docs[i] = c.doc()
	}
	return s.Next(ctx)
}

func (s *clauseSearcher) Weight() float64 {
	var sum float64
	for i := range s.clauses {
		sum += s.clauses[i].searcher().Weight()
	}
	return sum
}

func (s *clauseSearcher) SetQueryNorm(norm float64) {
	for i := range s.clauses {
		s.clauses[i].searcher().SetQueryNorm(norm)
	}
}

func (s *clauseSearcher) Close() error {
	var first error
	for i := range s.clauses {
		if err := s.clauses[i].searcher().Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (s *clauseSearcher) Count() uint64 {
	var n uint64
	for i := range s.clauses {
		n += s.clauses[i].searcher().Count()
	}
	return n
}

func (s *clauseSearcher) Min() int { return s.min }

func (s *clauseSearcher) Size() int {
	n := 64
	for i := range s.clauses {
		n += 64 + s.clauses[i].searcher().Size()
	}
	return n
}

// DocumentMatchPoolSize: one current match per other clause, and the one handed out.
func (s *clauseSearcher) DocumentMatchPoolSize() int {
	n := 1
	for i := range s.clauses {
		if c := &s.clauses[i]; c.other != nil {
			n += 1 + c.other.DocumentMatchPoolSize()
		}
	}
	return n
}
