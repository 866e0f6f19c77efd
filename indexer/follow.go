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
// A follower applies full batches only (SyncBatch changes, or fewer when their records reach
// syncBatchBytes), and only once SyncBatch changes are waiting; the rest is the caller's own Sync after
// Close. So an import of less than a batch is indexed exactly as before, in the same segments, with the
// same search scores (bleve's BM25 takes a field's average length from its segments' term dictionaries).
// A larger import is cut into the same batches as by the final Sync alone, unless the run writes a record
// again after the follower indexed it (an id repeated in the files): then both versions were indexed, the
// first one deleted. Either way the background merger's timing already varies the segments from run to run.
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

// Follow starts following st into idx until Close. With a lock (the writers' lock of a server, which its
// own syncs hold), each batch is applied holding it, so that other writes wait for one batch at most.
func Follow(ctx context.Context, st *corpus.Store, idx Index, lock sync.Locker) *Follower {
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
			return // not a full batch yet (sequence numbers count changes, a rewritten record's twice): nothing to read
		}
		if _, err := syncIndex(ctx, st, idx, nil, syncOptions{fullOnly: true, lock: lock}); err != nil {
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
