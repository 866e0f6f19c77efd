package server

import (
	"context"
	"slices"
	"sync"
	"time"

	"ketnoi/indexer"
)

// Public lists of needs (the search page and API with kind=need) show only the needs still sought:
// published or matched, deadline not passed (corpus.NeedOpen), as reverse and batch matching do. The state
// lives in the store and expiry comes with time, so the index cannot tell; the ids of the indexed needs
// that are no longer open are excluded in the query itself, so that totals, facets, pages and spelling
// suggestions agree with the hits. This holds for every caller: the search routes read no key, and staff
// and brokers find closed and expired needs where they work on needs (the broker page, the review queue,
// the status API, exports).

// closedNeedSet keeps the ids of the closed needs while neither the store nor the index has changed and
// no open need's deadline has passed: a public search must not list every need for each request.
type closedNeedSet struct {
	mu    sync.Mutex
	key   closedNeedKey
	until time.Time // zero: no deadline to come
	ids   []string
	has   bool
}

type closedNeedKey struct {
	version, applied uint64 // the store's version, the index's applied sequence number
}

// publicRequest is the search p asks for as the public may run it: needs at the levels of
// confidentiality anyone may see, and only those still sought.
func (s *Server) publicRequest(ctx context.Context, p *searchParams) (*indexer.SearchRequest, error) {
	req := p.request(publicConfidentiality)
	if s.store == nil || !slices.Contains(req.Kinds, indexer.KindNeed) {
		return req, nil
	}
	ids, err := s.closedNeedIDs(ctx)
	if err != nil {
		return nil, err
	}
	req.ExcludeIDs = ids
	return req, nil
}

// closedNeedIDs lists the needs the public could find in the index that are no longer sought.
func (s *Server) closedNeedIDs(ctx context.Context) ([]string, error) {
	var key closedNeedKey
	var err error
	if key.version, err = s.store.Version(); err != nil {
		return nil, err
	}
	if key.applied, err = s.idx.AppliedSeq(); err != nil {
		return nil, err
	}
	now := time.Now()
	c := &s.closedNeeds
	c.mu.Lock()
	if c.has && c.key == key && (c.until.IsZero() || now.Before(c.until)) {
		ids := c.ids
		c.mu.Unlock()
		return ids, nil
	}
	c.mu.Unlock()
	// Needs are few next to results: listing them costs a search per 100, whatever the corpus size.
	var all []string
	req := &indexer.SearchRequest{Kinds: []string{indexer.KindNeed}, Confidentiality: publicConfidentiality,
		Size: MaxSize, ScoresOnly: true}
	for {
		res, err := s.idx.Search(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, h := range res.Hits {
			all = append(all, h.ID)
		}
		if res.Next == "" || len(res.Hits) == 0 {
			break
		}
		req.After = res.Next
	}
	ids, until, err := s.store.ClosedNeeds(all, now)
	if err != nil {
		return nil, err
	}
	slices.Sort(ids) // the same set, the same request: the index's answer cache keys on it
	c.mu.Lock()
	c.key, c.until, c.ids, c.has = key, until, ids, true
	c.mu.Unlock()
	return ids, nil
}
