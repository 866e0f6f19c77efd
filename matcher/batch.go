package matcher

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"ketnoi/corpus"
	"ketnoi/indexer"
)

// Components lists the score components' names in their documented order.
func Components() []string {
	var out []string
	for _, c := range (Weights{}).Components() {
		out = append(out, c.Name)
	}
	return out
}

// Pair scores one result for a need exactly as Match ranks it, and says where it stands among the need's
// candidates (rank from 1). A result that is not among the candidates at all gets rank 0 and a text
// relevance of 0: the full-text search did not find it for this need.
func (m *Matcher) Pair(ctx context.Context, need *corpus.Need, result *corpus.Result) (Match, int, error) {
	all, err := m.Match(ctx, need, 0)
	if err != nil {
		return Match{}, 0, err
	}
	for i, mt := range all {
		if mt.ID == result.ID {
			return mt, i + 1, nil
		}
	}
	qt := queryText{text: cutRunes(need.Title+"\n"+need.Description, MaxNeedRunes)}
	return m.score(need, result, indexer.Hit{ID: result.ID}, 0, qt), 0, nil
}

// BatchItem is one need's outcome in a batch.
type BatchItem struct {
	Need    *corpus.Need
	Matches []Match
	Took    time.Duration
	Err     error // this need could not be matched; the others were
	Note    *Note // why nothing was searched for (Plan.Note)
}

// Batch matches every need, workers at a time (GOMAXPROCS when workers < 1), and returns the items in
// the order of needs. Matches below minScore are left out. progress, if not nil, is called after each
// need with how many are done (from several goroutines, never at once). A need that fails keeps its error
// in its item; only the context's end stops the batch.
func (m *Matcher) Batch(ctx context.Context, needs []*corpus.Need, size int, minScore float64, workers int,
	progress func(done, total int)) ([]BatchItem, error) {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	items := make([]BatchItem, len(needs))
	var next, done atomic.Int64
	var mu sync.Mutex // serialises progress calls
	var wg sync.WaitGroup
	for range min(workers, max(len(needs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(needs) {
					return
				}
				start := time.Now()
				ms, plan, err := m.MatchPlan(ctx, needs[i], size)
				kept := ms[:0]
				for _, mt := range ms {
					if mt.Score >= minScore {
						kept = append(kept, mt)
					}
				}
				items[i] = BatchItem{Need: needs[i], Matches: kept, Took: time.Since(start), Err: err, Note: plan.Note}
				if progress != nil {
					mu.Lock()
					progress(int(done.Add(1)), len(needs))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ghép nối hàng loạt bị dừng sau %d/%d nhu cầu: %w", done.Load(), len(needs), err)
	}
	return items, nil
}
