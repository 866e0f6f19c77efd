// Package ratelimit is a token bucket per client (by any key: an address, a /64, a key id) with bounded
// memory: a client may spend up to Burst requests at once and then Rate per second. A client whose bucket
// has refilled completely is indistinguishable from one never seen, so it is forgotten; when more than
// MaxClients are remembered anyway, the least recently seen is forgotten (which only gives that client a
// full bucket again: an attacker controlling that many addresses gains nothing it did not have).
package ratelimit

import (
	"container/list"
	"math"
	"sync"
	"time"
)

// Limiter is safe for concurrent use. A nil *Limiter allows everything.
type Limiter struct {
	rate  float64 // tokens per second
	burst float64
	max   int
	// idle is how long a bucket takes to refill from empty: a client unseen for that long is forgotten.
	idle time.Duration

	mu      sync.Mutex
	clients map[string]*list.Element // of *bucket
	lru     list.List                // most recently seen at the front
}

type bucket struct {
	key    string
	tokens float64
	last   time.Time
}

// New returns a limiter allowing burst requests at once and rate per second after that, remembering at
// most maxClients clients. A rate ≤ 0 means no limit: New returns nil.
func New(rate float64, burst, maxClients int) *Limiter {
	if rate <= 0 {
		return nil
	}
	burst = max(burst, 1)
	maxClients = max(maxClients, 1)
	return &Limiter{rate: rate, burst: float64(burst), max: maxClients,
		idle:    time.Duration(float64(burst) / rate * float64(time.Second)),
		clients: make(map[string]*list.Element)}
}

// Allow spends one token of key's bucket at now. When the bucket is empty it returns false and how long
// until a token is there again.
func (l *Limiter) Allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var b *bucket
	if el, ok := l.clients[key]; ok {
		b = el.Value.(*bucket)
		if d := now.Sub(b.last); d > 0 {
			b.tokens = math.Min(l.burst, b.tokens+d.Seconds()*l.rate)
			b.last = now
		}
		l.lru.MoveToFront(el)
	} else {
		l.forgetIdleLocked(now)
		for len(l.clients) >= l.max {
			l.removeLocked(l.lru.Back())
		}
		b = &bucket{key: key, tokens: l.burst, last: now}
		l.clients[key] = l.lru.PushFront(b)
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// forgetIdleLocked drops the clients whose buckets are full again. The list is ordered by last use, so it
// stops at the first client seen more recently than a refill takes: amortised constant time.
func (l *Limiter) forgetIdleLocked(now time.Time) {
	for el := l.lru.Back(); el != nil; el = l.lru.Back() {
		if now.Sub(el.Value.(*bucket).last) < l.idle {
			return
		}
		l.removeLocked(el)
	}
}

func (l *Limiter) removeLocked(el *list.Element) {
	delete(l.clients, el.Value.(*bucket).key)
	l.lru.Remove(el)
}

// Len is the number of clients remembered.
func (l *Limiter) Len() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}
