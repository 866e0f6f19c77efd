package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ketnoi/corpus"
)

// TestFiguresKept: statistics over the store are computed once while the store does not change, once for a
// burst of callers, and again after any write.
func TestFiguresKept(t *testing.T) {
	st, err := corpus.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var f figures[int]
	var runs atomic.Int32
	compute := func() (int, error) {
		time.Sleep(20 * time.Millisecond) // long enough for the burst below to arrive during it
		return int(runs.Add(1)), nil
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	got := make([]int, 8)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i], _ = f.get(ctx, st, compute) }()
	}
	wg.Wait()
	if v, _ := f.get(ctx, st, compute); runs.Load() != 1 || v != 1 {
		t.Fatalf("a burst of 8 and one more: %d computations, value %d, want 1 and 1", runs.Load(), v)
	}
	for i, v := range got {
		if v != 1 {
			t.Errorf("caller %d got %d", i, v)
		}
	}
	if _, err := st.Put([]corpus.Record{&corpus.Result{ID: "kq-1", Title: "Máy sấy cá"}}, "test"); err != nil {
		t.Fatal(err)
	}
	if v, _ := f.get(ctx, st, compute); v != 2 {
		t.Errorf("after a write: value %d, want a new computation (2)", v)
	}
}

// TestStatsFollowWrites: the statistics endpoints answer from the kept figures, and a record added
// shows at once.
func TestStatsFollowWrites(t *testing.T) {
	srv, st := storeServer(t, DefaultConfig(), nil)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	count := func() int {
		var r struct{ Results int }
		if code, body, _ := get(t, ts.URL+"/api/v1/stats/market"); code != http.StatusOK || json.Unmarshal(body, &r) != nil {
			t.Fatalf("stats/market: %d %.300s", code, body)
		}
		return r.Results
	}
	before := count()
	if again := count(); again != before {
		t.Fatalf("%d results, then %d with nothing written", before, again)
	}
	if _, err := st.Put([]corpus.Record{&corpus.Result{ID: "kq-moi-them", Title: "Máy bóc vỏ hạt điều"}}, "test"); err != nil {
		t.Fatal(err)
	}
	if after := count(); after != before+1 {
		t.Errorf("%d results after adding one to %d", after, before)
	}
}
