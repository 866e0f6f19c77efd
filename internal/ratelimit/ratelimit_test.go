package ratelimit

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func TestBurstThenRate(t *testing.T) {
	tests := []struct {
		rate       float64
		burst      int
		wantBurst  int           // allowed at once
		wait       time.Duration // after the burst is spent
		wantRetry  time.Duration // Retry-After right after the burst
		wantRefill int           // allowed after wait
	}{
		{rate: 1, burst: 3, wantBurst: 3, wantRetry: time.Second, wait: 2 * time.Second, wantRefill: 2},
		{rate: 10, burst: 5, wantBurst: 5, wantRetry: 100 * time.Millisecond, wait: time.Second, wantRefill: 5},
		{rate: 0.5, burst: 1, wantBurst: 1, wantRetry: 2 * time.Second, wait: 1 * time.Second, wantRefill: 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v/s burst %d", tt.rate, tt.burst), func(t *testing.T) {
			l := New(tt.rate, tt.burst, 100)
			n := 0
			for {
				ok, retry := l.Allow("a", t0)
				if !ok {
					if retry != tt.wantRetry {
						t.Errorf("retry %v, want %v", retry, tt.wantRetry)
					}
					break
				}
				n++
			}
			if n != tt.wantBurst {
				t.Errorf("burst allowed %d, want %d", n, tt.wantBurst)
			}
			// Another client has its own bucket.
			if ok, _ := l.Allow("b", t0); !ok {
				t.Error("second client refused")
			}
			n = 0
			for {
				if ok, _ := l.Allow("a", t0.Add(tt.wait)); !ok {
					break
				}
				n++
			}
			if n != tt.wantRefill {
				t.Errorf("after %v: allowed %d, want %d", tt.wait, n, tt.wantRefill)
			}
		})
	}
}

func TestMemoryIsBounded(t *testing.T) {
	l := New(1, 2, 50)
	for i := range 1000 {
		l.Allow(fmt.Sprint("client-", i), t0)
	}
	if n := l.Len(); n != 50 {
		t.Fatalf("remembered %d clients, want at most 50", n)
	}
	// The most recent clients are the ones kept: client-999 has spent a token, client-0 starts afresh.
	l.Allow("client-999", t0)
	if ok, _ := l.Allow("client-999", t0); ok {
		t.Error("recent client forgot its spent tokens")
	}
	// Once buckets have refilled (2 s at 1/s), idle clients are forgotten on the next new client.
	l.Allow("late", t0.Add(3*time.Second))
	if n := l.Len(); n != 1 {
		t.Errorf("after every bucket refilled: %d clients remembered, want 1", n)
	}
}

func TestNilAllowsAll(t *testing.T) {
	l := New(0, 10, 10)
	if l != nil {
		t.Fatal("rate 0 should disable the limiter")
	}
	for range 1000 {
		if ok, _ := l.Allow("x", t0); !ok {
			t.Fatal("nil limiter refused")
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	l := New(1, 100, 10)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				if ok, _ := l.Allow(fmt.Sprint("c", (g*100+i)%3), t0); ok {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if allowed != 300 {
		t.Errorf("allowed %d, want 3 clients × burst 100", allowed)
	}
}
