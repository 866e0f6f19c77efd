package server

import (
	"context"
	"sync"
	"time"

	"ketnoi/corpus"
)

// figures keeps one computed value of statistics over the whole store (/api/v1/stats, /api/v1/stats/market,
// /thong-ke). Computing them reads every record: seconds for 100,000 results (8 s and 5 s on 2 cores), on
// public addresses. The value is computed again only when the store has changed (any write moves its
// version), the day has turned (needs expire by date), or figuresMaxAge has passed; callers that arrive
// during a computation wait for it and share it, so a burst of requests costs one pass.
type figures[T any] struct {
	mu   sync.Mutex
	key  figuresKey
	at   time.Time
	has  bool
	val  T
	err  error
	busy chan struct{} // closed when the running computation ends; nil when none runs
}

type figuresKey struct {
	version uint64
	day     string
}

const figuresMaxAge = 5 * time.Minute

// get returns the kept value when it still holds, else computes it (or waits for the computation already
// running, and takes its result).
func (f *figures[T]) get(ctx context.Context, st *corpus.Store, compute func() (T, error)) (T, error) {
	var zero T
	v, err := st.Version()
	if err != nil {
		return zero, err
	}
	key := figuresKey{v, time.Now().In(corpus.Vietnam).Format("2006-01-02")}
	f.mu.Lock()
	if f.busy == nil && f.has && f.key == key && time.Since(f.at) < figuresMaxAge {
		val := f.val
		f.mu.Unlock()
		return val, nil
	}
	if ch := f.busy; ch != nil {
		f.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.val, f.err
	}
	ch := make(chan struct{})
	f.busy = ch
	f.mu.Unlock()
	val, err := compute()
	f.mu.Lock()
	f.val, f.err, f.busy = val, err, nil
	f.has = err == nil
	if f.has {
		f.key, f.at = key, time.Now()
	}
	f.mu.Unlock()
	close(ch)
	return val, err
}
