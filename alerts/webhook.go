package alerts

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"ketnoi/corpus"
)

// Webhook delivery: every alert enters the store's outbox in the transaction that raises it; Webhook posts
// the outbox's entries to the configured address, oldest first, and takes each out only once the receiver
// answered 2xx. A failed attempt (error, timeout, any other status, a redirect) is retried after a wait
// that doubles each time, up to the configured number of attempts and age; then the alert is marked failed
// and the failure logged. A process killed before or during a delivery delivers after its restart: delivery
// is at least once, and receivers de-duplicate on the X-Ketnoi-Delivery header (the alert's id).
//
// The POST body is {"event": "alert", "alert": View}. With a secret, X-Ketnoi-Signature is
// "t=UNIX_SECONDS,sha256=HEX", HEX being the HMAC-SHA256 with the secret of "UNIX_SECONDS." followed by the
// body; receivers recompute it and refuse old timestamps.

// Webhook headers.
const (
	HeaderSignature = "X-Ketnoi-Signature"
	HeaderDelivery  = "X-Ketnoi-Delivery"
	HeaderEvent     = "X-Ketnoi-Event"
)

// outboxBatch is how many due entries one round reads.
const outboxBatch = 16

// Webhook posts new alerts to one address.
type Webhook struct {
	url     string
	secret  []byte
	store   *corpus.Store
	cfg     Config
	base    string
	client  *http.Client
	log     *slog.Logger
	kick    chan struct{}
	backoff func(attempt int) time.Duration
}

// Payload is the body of a webhook POST.
type Payload struct {
	Event string `json:"event"`
	Alert View   `json:"alert"`
}

// NewWebhook checks the address and returns a webhook; base is the site's root URL for the links in the
// payload. The secret may be empty (no signature).
func NewWebhook(rawURL string, secret []byte, st *corpus.Store, cfg Config, base string, log *slog.Logger) (*Webhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("địa chỉ webhook %q không hợp lệ: cần dạng http(s)://máy/đường-dẫn, không kèm tên đăng nhập", rawURL)
	}
	if log == nil {
		log = slog.Default()
	}
	return &Webhook{url: u.String(), secret: secret, store: st, cfg: cfg, base: base, log: log,
		kick: make(chan struct{}, 1), backoff: cfg.backoff,
		client: &http.Client{Timeout: cfg.timeout(),
			// A redirect is the receiver's mistake to fix, not a reason to post the alert elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}, nil
}

// SetBase sets the site's root URL for the payload's links, when it is known only once the server
// listens; call it before Run.
func (w *Webhook) SetBase(base string) { w.base = base }

// Kick says new alerts are in the outbox; it never blocks.
func (w *Webhook) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run delivers the outbox until ctx ends: what is due at once, then the rest when it falls due or when
// Kick says there is more.
func (w *Webhook) Run(ctx context.Context) {
	for {
		due, next, err := w.store.OutboxDue(time.Now(), outboxBatch)
		if err != nil {
			w.log.Error("webhook: reading the outbox", slog.String("error", err.Error()))
			next = time.Now().Add(retryAfter)
		}
		stuck := false
		for _, e := range due {
			if ctx.Err() != nil {
				return
			}
			if err := w.deliver(ctx, e); err != nil {
				// The outcome could not be written: the store is in trouble; do not spin on it.
				w.log.Error("webhook: recording a delivery", slog.Uint64("alert", e.Alert.Seq), slog.String("error", err.Error()))
				stuck = true
				break
			}
		}
		var timer <-chan time.Time
		switch {
		case stuck:
			timer = time.After(retryAfter)
		case len(due) > 0:
			continue // read again: more may be due, and the failed ones have their next time now
		case !next.IsZero():
			timer = time.After(time.Until(next))
		}
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
		case <-timer:
		}
	}
}

// deliver makes one attempt at one outbox entry and records its outcome; the error is the recording's.
func (w *Webhook) deliver(ctx context.Context, e corpus.OutboxEntry) error {
	a := &e.Alert
	if age := time.Since(e.Queued); age > w.cfg.maxAge() {
		msg := fmt.Sprintf("quá %d giờ chưa gửi được; bỏ", w.cfg.MaxAgeHours)
		w.log.Error("webhook: alert given up", slog.Uint64("alert", a.Seq), slog.String("reason", msg))
		return w.store.DeliveryFailed(a.Seq, e.Attempts, time.Now(), msg, true)
	}
	err := w.post(ctx, a)
	if err == nil {
		return w.store.DeliveryDone(a.Seq, time.Now())
	}
	if ctx.Err() != nil {
		return nil // shutting down: not the receiver's failure; the entry stays for the next start
	}
	attempts := e.Attempts + 1
	giveUp := attempts >= w.cfg.Attempts
	next := time.Now().Add(w.backoff(attempts))
	w.log.Warn("webhook: delivery failed", slog.Uint64("alert", a.Seq), slog.Int("attempt", attempts),
		slog.Bool("given_up", giveUp), slog.Time("next", next), slog.String("error", err.Error()))
	return w.store.DeliveryFailed(a.Seq, attempts, next, err.Error(), giveUp)
}

// post sends one alert; nil only for a 2xx answer.
func (w *Webhook) post(ctx context.Context, a *corpus.Alert) error {
	need, err := storedNeed(w.store, a.Need)
	if err != nil {
		return err
	}
	body, err := json.Marshal(Payload{Event: "alert", Alert: NewView(*a, need, w.base, ForKeys)})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "ketnoi-webhook")
	req.Header.Set(HeaderEvent, "alert")
	req.Header.Set(HeaderDelivery, a.ID)
	if len(w.secret) > 0 {
		req.Header.Set(HeaderSignature, Sign(w.secret, time.Now().Unix(), body))
	}
	resp, err := w.client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() && ctx.Err() == nil {
			// A receiver that hangs: said in words, not as Go's "Client.Timeout exceeded while awaiting headers".
			return fmt.Errorf("máy nhận không trả lời trong %d giây", w.cfg.TimeoutSeconds)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the logs' context already
		}
		return fmt.Errorf("gửi không được: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("máy nhận trả lời %s", resp.Status)
	}
	return nil
}

// Sign is the X-Ketnoi-Signature value of a body sent at unix time t.
func Sign(secret []byte, t int64, body []byte) string {
	ts := strconv.FormatInt(t, 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// storedNeed reads a need from the store; nil when it is gone.
func storedNeed(st *corpus.Store, id string) (*corpus.Need, error) {
	rec, err := st.Record(id)
	if errors.Is(err, corpus.ErrNotFound) {
		return nil, nil
	}
	n, _ := rec.(*corpus.Need)
	return n, err
}
