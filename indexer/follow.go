package indexer

import (
	"context"
	"sync"

	"ketnoi/corpus"
)

// Follower keeps an index following its store while the caller goes on writing the store: importing records
// is one goroutine's work (reading, checking, one write transaction after another), and indexing them only
// after the last one left a core idle for that whole time. Each Kick asks for a sync; syncs run one at a time
// in the background, and a kick during a sync makes one more run after it.
//
// A follower applies full batches only (SyncBatch changes, or their bytes' worth), and leaves the rest to the
// caller's own Sync after Close. The index is then cut into the same batches, so built into the same
// segments, as by that Sync alone: an import smaller than a batch is indexed exactly as before, and search
// scores, which depend on the segments (bleve's BM25 takes a field's average length from its segments' term
// dictionaries), do not change with how fast the import ran.
//
// It changes nothing of crash safety: the index still records the sequence number each batch reaches, and
// whatever the last sync did not reach, the next Sync does.
type Follower struct {
	kick  chan struct{} // one pending kick at most
	stop  chan struct{} // closed by Close
	done  chan struct{} // closed when the last sync ended
	close sync.Once
	err   error
}

// Follow starts following st into idx until Close.
func Follow(ctx context.Context, st *corpus.Store, idx Index) *Follower {
	f := &Follower{kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	run := func() {
		if f.err != nil {
			return // no more tries: the caller's own Sync says where the index stands
		}
		top, err := st.Seq()
		if err != nil {
			f.err = err
			return
		}
		applied, err := idx.AppliedSeq()
		if err != nil {
			f.err = err
			return
		}
		if top-applied < SyncBatch {
			return // not a full batch yet (sequence numbers count changes): nothing to read
		}
		if _, err := syncIndex(ctx, st, idx, nil, true); err != nil {
			f.err = err
		}
	}
	go func() {
		defer close(f.done)
		for {
			select {
			case <-f.kick:
				run()
			case <-f.stop:
				select {
				case <-f.kick: // asked for before Close
					run()
				default:
				}
				return
			}
		}
	}()
	return f
}

// Kick asks for a sync of what the store holds now; it never blocks, and does nothing after Close.
func (f *Follower) Kick() {
	select {
	case f.kick <- struct{}{}:
	default: // one is pending already: it will see this write too
	}
}

// Close waits for the syncs asked for to end and returns the first error of one; later calls return the same.
// The index may still be behind the store after it (a write after the last kick, a failed or cancelled
// sync): the caller's own Sync follows. Close must be called before the index is closed.
func (f *Follower) Close() error {
	f.close.Do(func() {
		close(f.stop)
		<-f.done
	})
	return f.err
}
