package indexer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"ketnoi/corpus"
)

// putRange stores n results numbered from first on, in one write.
func putRange(t *testing.T, st *corpus.Store, first, n int) {
	t.Helper()
	recs := make([]corpus.Record, 0, n)
	for i := first; i < first+n; i++ {
		recs = append(recs, &corpus.Result{ID: fmt.Sprintf("kq-%05d", i), Kind: corpus.KindResult, Title: fmt.Sprintf("Kết quả số %d", i)})
	}
	if _, err := st.Put(recs, "test"); err != nil {
		t.Fatal(err)
	}
}

func batchSeqs(bs []*Batch) []uint64 {
	var s []uint64
	for _, b := range bs {
		s = append(s, b.Seq)
	}
	return s
}

// A Follower applies full batches only, including those written while a sync was running, each change once
// and in order; what is left is the caller's Sync, and the batches come out as a Sync alone cuts them. Once a
// sync failed it tries no more, and Close returns the error.
func TestFollower(t *testing.T) {
	st, err := corpus.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	// Less than a batch: nothing before the caller's Sync.
	idx := &recordingIndex{}
	f := Follow(context.Background(), st, idx, nil)
	putRange(t, st, 0, 10)
	f.Kick()
	if err := f.Close(); err != nil || len(idx.batches) != 0 {
		t.Fatalf("a follower applied %d batches of less than a full one (%v)", len(idx.batches), err)
	}

	// The first batch applied waits until more is written and kicked: that kick comes during a sync and
	// must still be followed.
	started, release := make(chan struct{}), make(chan struct{})
	idx.applied = func() {
		if started != nil {
			close(started)
			started = nil
			<-release
		}
	}
	wait := started
	f = Follow(context.Background(), st, idx, nil)
	putRange(t, st, 10, SyncBatch)
	f.Kick()
	<-wait
	putRange(t, st, 10+SyncBatch, 2*SyncBatch)
	f.Kick()
	f.Kick() // one pending already: no more work
	close(release)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	f.Kick() // after Close: nothing, and no panic
	if got := batchSeqs(idx.batches); !slices.Equal(got, []uint64{SyncBatch, 2 * SyncBatch, 3 * SyncBatch}) {
		t.Fatalf("follower applied batches up to %v", got)
	}
	if n, err := Sync(context.Background(), st, idx, nil); err != nil || n != 10 {
		t.Fatalf("Sync after the follower: %d, %v", n, err)
	}
	alone := &recordingIndex{}
	if _, err := Sync(context.Background(), st, alone, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := batchSeqs(idx.batches), batchSeqs(alone.batches); !slices.Equal(got, want) {
		t.Errorf("batches %v, a Sync alone cuts %v", got, want)
	}
	seen := map[string]bool{}
	for _, b := range idx.batches {
		for _, d := range b.Put {
			if seen[d.ID] {
				t.Errorf("%s applied twice", d.ID)
			}
			seen[d.ID] = true
		}
	}
	if len(seen) != 10+3*SyncBatch {
		t.Errorf("%d documents applied, want %d", len(seen), 10+3*SyncBatch)
	}

	// A failing index: the error comes out of Close, and a kick after the failure tries nothing more.
	bad := &countingIndex{recordingIndex: &recordingIndex{failAt: 1}, failed: make(chan struct{})}
	f = Follow(context.Background(), st, bad, nil)
	f.Kick()
	<-bad.failed
	f.Kick()
	err = f.Close()
	if err == nil || !strings.Contains(err.Error(), "đĩa đầy") {
		t.Fatalf("Close after a failed sync: %v", err)
	}
	if bad.calls != 2 {
		t.Errorf("%d Apply calls on a failing index, want 2 (one batch, one failure)", bad.calls)
	}
}

// countingIndex counts the Apply calls, failed ones included, and closes failed at the first failure.
type countingIndex struct {
	*recordingIndex
	calls  int
	failed chan struct{}
}

func (x *countingIndex) Apply(ctx context.Context, b *Batch) error {
	x.calls++ // Sync applies one batch at a time
	err := x.recordingIndex.Apply(ctx, b)
	if err != nil && x.calls == 2 {
		close(x.failed)
	}
	return err
}

// With a lock, a batch is applied only if the index is still where the batch was read from: a sync that
// moved it meanwhile is not undone (an older version written over a newer, the sequence number set back).
func TestSyncLockedIndexMoved(t *testing.T) {
	st, err := corpus.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	putRange(t, st, 0, 10)
	idx := &recordingIndex{}
	lock := &hookLock{}
	lock.before = func() { // between reading the batch and applying it, another writer writes and syncs
		lock.before = nil
		putRange(t, st, 10, 5)
		if _, err := Sync(context.Background(), st, idx, nil); err != nil {
			t.Fatal(err)
		}
	}
	n, err := syncIndex(context.Background(), st, idx, nil, syncOptions{lock: lock})
	if err != nil || n != 0 {
		t.Fatalf("sync whose index moved: %d applied, %v", n, err)
	}
	if top, _ := st.Seq(); idx.seq != top || len(idx.batches) != 1 {
		t.Errorf("index at %d after %d batches, store at %d", idx.seq, len(idx.batches), top)
	}
}

// hookLock runs before (once set) as Lock is called, before locking.
type hookLock struct {
	sync.Mutex
	before func()
}

func (l *hookLock) Lock() {
	if f := l.before; f != nil {
		f()
	}
	l.Mutex.Lock()
}
