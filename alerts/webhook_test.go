package alerts

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ketnoi/corpus"
)

// receiver is a webhook endpoint that fails its first failures requests, then accepts, checking each
// request's signature.
type receiver struct {
	t        *testing.T
	secret   []byte
	mu       sync.Mutex
	failures int
	tries    int
	got      []Payload
	bad      []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.tries++
	if rc.tries <= rc.failures {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	if problem := checkSignature(rc.secret, r.Header.Get(HeaderSignature), body); problem != "" {
		rc.bad = append(rc.bad, problem)
		http.Error(w, problem, http.StatusUnauthorized)
		return
	}
	var p Payload
	if err := json.Unmarshal(body, &p); err != nil {
		rc.bad = append(rc.bad, "body: "+err.Error())
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if r.Header.Get(HeaderDelivery) != p.Alert.ID || r.Header.Get(HeaderEvent) != "alert" {
		rc.bad = append(rc.bad, "headers")
	}
	rc.got = append(rc.got, p)
}

// checkSignature verifies a signature as a receiver would: recompute the HMAC of "t." + body.
func checkSignature(secret []byte, header string, body []byte) string {
	ts, sig, ok := strings.Cut(header, ",sha256=")
	if !ok || !strings.HasPrefix(ts, "t=") {
		return "signature header " + strconv.Quote(header)
	}
	t, err := strconv.ParseInt(strings.TrimPrefix(ts, "t="), 10, 64)
	if err != nil || time.Since(time.Unix(t, 0)) > time.Minute {
		return "timestamp"
	}
	want := Sign(secret, t, body)
	if !hmac.Equal([]byte(want), []byte(header)) || sig == "" {
		return "signature mismatch"
	}
	return ""
}

func (rc *receiver) delivered() []Payload {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Payload(nil), rc.got...)
}

// raiseOne makes nc-001 standing and adds a result that answers it: one alert in the outbox.
func raiseOne(t *testing.T, w *world) corpus.Alert {
	t.Helper()
	w.standing(t, "")
	w.put(t, dryer("kq-hook", "Máy sấy cá cơm bơm nhiệt tiết kiệm điện"))
	_, raised := w.pass(t)
	if len(raised) != 1 {
		t.Fatalf("raised %d", len(raised))
	}
	return raised[0]
}

// runWebhook delivers the outbox in the background until the returned stop is called.
func runWebhook(t *testing.T, w *world, url string, secret []byte, cfg Config) (stop func()) {
	t.Helper()
	hook, err := NewWebhook(url, secret, w.store, cfg, "https://ketnoi.example/", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	hook.backoff = func(int) time.Duration { return 20 * time.Millisecond }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { hook.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func alertState(t *testing.T, w *world, seq uint64) corpus.Alert {
	t.Helper()
	list, err := w.store.Alerts(corpus.AlertQuery{Before: seq + 1, Limit: 1})
	if err != nil || len(list) != 1 || list[0].Seq != seq {
		t.Fatalf("alert %d: %v %+v", seq, err, list)
	}
	return list[0]
}

// TestWebhookRetriesAndSurvivesRestart: a receiver that is down keeps the alert in the outbox, through a
// restart of the store; once it answers, the alert arrives once, correctly signed, and leaves the outbox.
func TestWebhookRetriesAndSurvivesRestart(t *testing.T) {
	w := newWorld(t)
	a := raiseOne(t, w)
	secret := []byte("bí mật chung")
	rc := &receiver{t: t, secret: secret, failures: 1 << 30}
	srv := httptest.NewServer(rc)
	defer srv.Close()

	stop := runWebhook(t, w, srv.URL+"/hook", secret, DefaultConfig())
	waitFor(t, "three failed attempts", func() bool {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		return rc.tries >= 3
	})
	stop()
	// The process dies here: the store is closed and opened again.
	w.close()
	w.open(t)
	due, _, err := w.store.OutboxDue(time.Now().Add(time.Hour), 10)
	if err != nil || len(due) != 1 || due[0].Alert.Seq != a.Seq || due[0].Attempts < 3 || due[0].LastError == "" {
		t.Fatalf("outbox after restart: %v %+v", err, due)
	}
	if st := alertState(t, w, a.Seq); st.Delivery != corpus.DeliveryPending || st.DeliveryError == "" {
		t.Fatalf("alert before delivery: %+v", st)
	}

	rc.mu.Lock()
	rc.failures = rc.tries + 2 // two more failures after the restart, then success
	rc.mu.Unlock()
	stop = runWebhook(t, w, srv.URL+"/hook", secret, DefaultConfig())
	defer stop()
	waitFor(t, "delivery", func() bool { return len(rc.delivered()) == 1 })
	waitFor(t, "the outbox to empty", func() bool {
		due, next, _ := w.store.OutboxDue(time.Now().Add(time.Hour), 10)
		return len(due) == 0 && next.IsZero()
	})
	got := rc.delivered()[0]
	if got.Event != "alert" || got.Alert.ID != a.ID || got.Alert.Need.ID != "nc-001" || got.Alert.Result.ID != "kq-hook" ||
		got.Alert.Result.URL != "https://ketnoi.example/ket-qua/kq-hook" || got.Alert.Score != a.Score || len(got.Alert.Reasons) == 0 {
		t.Errorf("payload %+v", got)
	}
	if len(rc.bad) > 0 {
		t.Errorf("receiver refused: %v", rc.bad)
	}
	if st := alertState(t, w, a.Seq); st.Delivery != corpus.DeliveryDelivered || st.DeliveredAt.IsZero() || st.DeliveryError != "" {
		t.Errorf("alert after delivery: %+v", st)
	}
}

// TestWebhookGivesUp: after the configured attempts the alert leaves the outbox marked failed; a wrong
// secret is refused by the receiver like any other failure.
func TestWebhookGivesUp(t *testing.T) {
	w := newWorld(t)
	a := raiseOne(t, w)
	rc := &receiver{t: t, secret: []byte("đúng")}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.Attempts = 3
	stop := runWebhook(t, w, srv.URL, []byte("sai"), cfg)
	defer stop()
	waitFor(t, "giving up", func() bool { return alertState(t, w, a.Seq).Delivery == corpus.DeliveryFailed })
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.tries != 3 || len(rc.got) != 0 || len(rc.bad) != 3 || rc.bad[0] != "signature mismatch" {
		t.Errorf("tries %d, delivered %d, refused %v", rc.tries, len(rc.got), rc.bad)
	}
	if due, next, _ := w.store.OutboxDue(time.Now().Add(time.Hour), 10); len(due) != 0 || !next.IsZero() {
		t.Errorf("outbox still holds %d", len(due))
	}
}

func TestNewWebhookRefusesBadURL(t *testing.T) {
	for _, u := range []string{"", "ftp://x/y", "http://", "/relative", "http://user:pw@host/"} {
		if _, err := NewWebhook(u, nil, nil, DefaultConfig(), "", nil); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

func TestBackoffDoubles(t *testing.T) {
	c := DefaultConfig()
	c.BackoffSeconds, c.BackoffMaxSeconds = 30, 200
	for n, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute, 4: 200 * time.Second, 9: 200 * time.Second} {
		if got := c.backoff(n); got != want {
			t.Errorf("backoff(%d) = %v, want %v", n, got, want)
		}
	}
}

// TestWebhookReceiverHangs: a receiver that never answers costs each attempt its timeout, no more; the
// attempts stay bounded, and the alert is marked failed with the reason in Vietnamese.
func TestWebhookReceiverHangs(t *testing.T) {
	w := newWorld(t)
	a := raiseOne(t, w)
	var mu sync.Mutex
	tries := 0
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tries++
		mu.Unlock()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	cfg := DefaultConfig()
	cfg.TimeoutSeconds, cfg.Attempts = 1, 2
	stop := runWebhook(t, w, srv.URL, nil, cfg)
	defer stop()
	waitFor(t, "giving up", func() bool { return alertState(t, w, a.Seq).Delivery == corpus.DeliveryFailed })
	mu.Lock()
	defer mu.Unlock()
	if st := alertState(t, w, a.Seq); tries != 2 || st.DeliveryError != "máy nhận không trả lời trong 1 giây" {
		t.Errorf("%d tries, delivery error %q", tries, st.DeliveryError)
	}
}
