package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"ketnoi/indexer"
	"ketnoi/internal/corpustest"
	"ketnoi/matcher"
)

// stuckIndex never answers a search by itself: it waits for the request's context, as a pathological
// query would keep bleve busy, and counts the searches cancelled by their deadline.
type stuckIndex struct {
	indexer.Index
	cancelled atomic.Int32
}

func (s *stuckIndex) Search(ctx context.Context, r *indexer.SearchRequest) (*indexer.SearchResult, error) {
	select {
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			s.cancelled.Add(1)
		}
		return nil, ctx.Err()
	case <-time.After(20 * time.Second):
		return s.Index.Search(ctx, r)
	}
}

func TestSlowRequestsAreCancelled(t *testing.T) {
	_, st, idx := corpustest.Empty(t)
	stuck := &stuckIndex{Index: idx}
	cfg := DefaultConfig()
	cfg.RequestTimeout = 300 * time.Millisecond
	srv := New(cfg, stuck, st, matcher.New(stuck, st, matcher.DefaultWeights(), 2026), nil)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	tests := []struct {
		name, method, path, body string
		html                     bool
	}{
		{name: "search API", method: "GET", path: "/api/v1/search?q=m%C3%A1y+s%E1%BA%A5y"},
		{name: "match", method: "POST", path: "/api/v1/match", body: `{"title": "Cần máy sấy cá cơm"}`},
		{name: "result → needs", method: "POST", path: "/api/v1/match/reverse", body: `{"title": "Máy sấy cá cơm bằng nhiệt mặt trời"}`},
		{name: "web search page", method: "GET", path: "/?q=m%C3%A1y", html: true},
	}
	for i, tt := range tests {
		start := time.Now()
		code, e, h := callFrom(t, tt.method, ts.URL+tt.path, "", "", tt.body)
		took := time.Since(start)
		if code != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d, want 503", tt.name, code)
		}
		if took > 5*time.Second {
			t.Errorf("%s: answered after %v; the timeout is 300 ms", tt.name, took)
		}
		if tt.html {
			if !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
				t.Errorf("%s: %s, want an HTML error page", tt.name, h.Get("Content-Type"))
			}
		} else if e.Code != "timeout" || !strings.Contains(e.Message, "quá lâu") {
			t.Errorf("%s: error %+v, want code timeout with a Vietnamese message", tt.name, e)
		}
		if n := int(stuck.cancelled.Load()); n != i+1 {
			t.Errorf("%s: %d searches cancelled by their deadline so far, want %d", tt.name, n, i+1)
		}
	}
}
