package server

import (
	"context"
	"errors"
	"testing"

	"ketnoi/corpus"
	"ketnoi/internal/corpustest"
)

// TestSyncIndexOutlivesTheRequest: once the store has taken a write, the index sync finishes even when
// the request that made it ended (client gone, request timeout): otherwise a deleted document stays in
// search until the next write. Shutdown (the server's own context) still stops it.
func TestSyncIndexOutlivesTheRequest(t *testing.T) {
	_, st, idx := corpustest.Empty(t)
	s := New(DefaultConfig(), idx, st, nil, nil)
	rec := &corpus.Result{ID: "kq-dong-bo", Title: "Máy sấy cá cơm bằng năng lượng mặt trời"}
	count := func() uint64 {
		t.Helper()
		n, err := idx.Count()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	ended, end := context.WithCancel(context.Background())
	end()
	running, stop := context.WithCancel(context.Background())
	defer stop()
	if _, err := st.Put([]corpus.Record{rec}, "api"); err != nil {
		t.Fatal(err)
	}
	if err := s.syncIndex(context.WithValue(ended, serverLife{}, running)); err != nil || count() != 1 {
		t.Fatalf("sync after the request ended: %v, %d documents in the index, want 1", err, count())
	}

	// Shut down: the server's context is cancelled, and the sync stops (the next start catches up).
	stop()
	if err := st.Delete([]string{rec.ID}); err != nil {
		t.Fatal(err)
	}
	if err := s.syncIndex(context.WithValue(context.Background(), serverLife{}, running)); !errors.Is(err, context.Canceled) {
		t.Errorf("sync during shutdown: %v, want it cancelled", err)
	}
}
