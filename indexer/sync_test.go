package indexer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"ketnoi/corpus"
)

// recordingIndex keeps what Sync applies; Apply fails once failAt batches were applied.
type recordingIndex struct {
	mu      sync.Mutex
	batches []*Batch
	seq     uint64
	failAt  int
	applied func()
}

func (x *recordingIndex) Apply(ctx context.Context, b *Batch) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.failAt > 0 && len(x.batches) == x.failAt {
		return errors.New("đĩa đầy")
	}
	x.batches = append(x.batches, b)
	x.seq = b.Seq
	if x.applied != nil {
		x.applied()
	}
	return nil
}
func (x *recordingIndex) AppliedSeq() (uint64, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.seq, nil
}
func (x *recordingIndex) Search(context.Context, *SearchRequest) (*SearchResult, error) {
	return nil, errors.New("không dùng")
}
func (x *recordingIndex) Count() (uint64, error)   { return 0, nil }
func (x *recordingIndex) DiskSize() (int64, error) { return 0, nil }
func (x *recordingIndex) Close() error             { return nil }

func putResults(t *testing.T, st *corpus.Store, n int, body string) {
	t.Helper()
	var recs []corpus.Record
	for i := 0; i < n; i++ {
		recs = append(recs, &corpus.Result{ID: fmt.Sprintf("kq-%05d", i), Kind: corpus.KindResult,
			Title: fmt.Sprintf("Kết quả số %d", i), Body: body})
		if len(recs) == 1000 {
			if _, err := st.Put(recs, "test"); err != nil {
				t.Fatal(err)
			}
			recs = recs[:0]
		}
	}
	if _, err := st.Put(recs, "test"); err != nil {
		t.Fatal(err)
	}
}

// Sync applies every change once, in sequence order, in batches bounded by count and by bytes, reading
// ahead of the index; a later Sync resumes where the index stopped.
func TestSyncBatches(t *testing.T) {
	st, err := corpus.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	putResults(t, st, 2*SyncBatch+10, "")
	idx := &recordingIndex{}
	n, err := Sync(context.Background(), st, idx, nil)
	if err != nil || n != 2*SyncBatch+10 {
		t.Fatalf("Sync: %d, %v", n, err)
	}
	if len(idx.batches) != 3 || len(idx.batches[0].Put) != SyncBatch || len(idx.batches[2].Put) != 10 {
		t.Fatalf("%d batches", len(idx.batches))
	}
	seen := map[string]bool{}
	var last uint64
	for _, b := range idx.batches {
		if b.Seq <= last {
			t.Errorf("seq %d after %d", b.Seq, last)
		}
		last = b.Seq
		for _, d := range b.Put {
			if seen[d.ID] {
				t.Errorf("%s applied twice", d.ID)
			}
			seen[d.ID] = true
		}
	}
	if top, _ := st.Seq(); last != top {
		t.Errorf("index at %d, store at %d", last, top)
	}

	// Big records: the batch is cut by bytes, after the record that reaches the limit.
	body := strings.Repeat("x", syncBatchBytes/4+1)
	putResults(t, st, 10, body) // rewrites kq-00000..09
	idx.batches = nil
	if n, err := Sync(context.Background(), st, idx, nil); err != nil || n != 10 {
		t.Fatalf("Sync of big records: %d, %v", n, err)
	}
	if len(idx.batches) != 3 || len(idx.batches[0].Put) != 4 || len(idx.batches[2].Put) != 2 {
		t.Errorf("big records in %d batches, the first of %d", len(idx.batches), len(idx.batches[0].Put))
	}
}

// An index error or a cancelled context stops Sync with the index where its last batch left it.
func TestSyncStops(t *testing.T) {
	st, err := corpus.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	putResults(t, st, 3*SyncBatch, "")
	idx := &recordingIndex{failAt: 1}
	n, err := Sync(context.Background(), st, idx, nil)
	if err == nil || !strings.Contains(err.Error(), "đĩa đầy") || n != SyncBatch {
		t.Fatalf("Sync with a failing index: %d, %v", n, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	idx = &recordingIndex{applied: cancel}
	n, err = Sync(ctx, st, idx, nil)
	if !errors.Is(err, context.Canceled) || n != SyncBatch {
		t.Fatalf("cancelled Sync: %d, %v", n, err)
	}
	// Resumed, it applies the rest.
	n, err = Sync(context.Background(), st, idx, nil)
	if err != nil || n != 2*SyncBatch {
		t.Fatalf("resumed Sync: %d, %v", n, err)
	}
}
