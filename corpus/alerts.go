package corpus

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Alerts: a need marked standing is matched again whenever results change (package alerts does the
// matching), and a result that starts to match it well becomes an alert. What a re-match pass decides is
// written here in one transaction, together with the store position it reached, so that a killed process
// neither loses an alert nor raises one twice: the next pass starts again from that position.
//
//	alert_meta      "cursor": the store sequence number up to which changes were re-matched;
//	                "next": the number of the last alert raised
//	alerts          alert number (8 bytes, big endian) → Alert
//	alert_by_need   need id, 0, alert number → nothing: each need's alerts in order
//	alert_pairs     need id, 0, result id → AlertPair: the pairs that qualify now. A pair alerts when it
//	                starts to qualify and not again while it keeps qualifying; one that drops out (the
//	                result changed and no longer qualifies, or was deleted) may alert again later.
//	alert_standing  need id → StandingNeed: the needs that are standing
//	alert_outbox    alert number → OutboxEntry: alerts not yet delivered to the webhook
var (
	bucketAlertMeta     = []byte("alert_meta")
	bucketAlerts        = []byte("alerts")
	bucketAlertByNeed   = []byte("alert_by_need")
	bucketAlertPairs    = []byte("alert_pairs")
	bucketAlertStanding = []byte("alert_standing")
	bucketAlertOutbox   = []byte("alert_outbox")
	keyAlertCursor      = []byte("cursor")
	keyAlertNext        = []byte("next")
)

// alertBuckets are created by Open.
var alertBuckets = [][]byte{bucketAlertMeta, bucketAlerts, bucketAlertByNeed, bucketAlertPairs,
	bucketAlertStanding, bucketAlertOutbox, bucketFeedTokens, bucketFeedSubjects}

// ErrAlertCursorMoved means another pass committed since this one read its starting position.
var ErrAlertCursorMoved = errors.New("một lượt ghép lại khác đã ghi trước")

// Delivery states of an alert to the webhook.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Alert is one new match of a standing need: the result, its score and explanation when it was raised.
type Alert struct {
	Seq uint64 `json:"seq"`
	// ID is the alert's permanent, globally unique id ("urn:uuid:…"): the Atom entry id, and the webhook
	// delivery id a receiver de-duplicates on.
	ID     string `json:"id"`
	Need   string `json:"need"`
	Result string `json:"result"`
	// Broker is the need's broker (its feed shows the alert); it follows the need when that changes hands.
	Broker       string             `json:"broker,omitempty"`
	Score        float64            `json:"score"`
	Components   map[string]float64 `json:"components,omitempty"`
	Reasons      []string           `json:"reasons,omitempty"`
	ResultTitle  string             `json:"result_title"`
	Organization string             `json:"organization,omitempty"`
	Created      time.Time          `json:"created"`
	// Delivery is the webhook state: pending, delivered or failed.
	Delivery      string    `json:"delivery,omitempty"`
	DeliveredAt   time.Time `json:"delivered_at,omitzero"`
	DeliveryError string    `json:"delivery_error,omitempty"`
}

// AlertPair is a need–result pair that qualifies now; Alert is the alert it raised (0 when it already
// qualified when the need became standing, which raises none).
type AlertPair struct {
	Alert uint64  `json:"alert,omitempty"`
	Score float64 `json:"score"`
}

// StandingNeed is a standing need as the re-matching knows it: since which store change, and its broker.
type StandingNeed struct {
	Since  uint64 `json:"since"`
	Broker string `json:"broker,omitempty"`
}

// AlertPass is what one re-match pass writes.
type AlertPass struct {
	// From is the cursor the pass started from, To the one it reached.
	From, To uint64
	// Standing sets (non-nil) or forgets (nil) needs.
	Standing map[string]*StandingNeed
	// DropNeeds forgets every pair of these needs; Pairs then sets (non-nil) or forgets (nil) pairs, by need
	// then result.
	DropNeeds []string
	Pairs     map[string]map[string]*AlertPair
	// Brokers gives the alerts of needs whose broker changed to the new broker (need → broker).
	Brokers map[string]string
	// Raise are the new alerts; Seq, ID, Created and Delivery are set here, and the pair of each is set.
	Raise []Alert
}

// AlertCursor is the store sequence number up to which changes were re-matched.
func (s *Store) AlertCursor() (uint64, error) {
	var n uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		n = getUint(tx.Bucket(bucketAlertMeta), keyAlertCursor)
		return nil
	})
	return n, err
}

// StandingNeeds returns the standing needs.
func (s *Store) StandingNeeds() (map[string]StandingNeed, error) {
	out := map[string]StandingNeed{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAlertStanding).ForEach(func(k, v []byte) error {
			var sn StandingNeed
			if err := json.Unmarshal(v, &sn); err != nil {
				return fmt.Errorf("nhu cầu thường trực %s hỏng trong kho: %w", k, err)
			}
			out[string(k)] = sn
			return nil
		})
	})
	return out, err
}

// AlertPairs returns the pairs of a need that qualify now, by result id.
func (s *Store) AlertPairs(need string) (map[string]AlertPair, error) {
	out := map[string]AlertPair{}
	prefix := needPrefix(need)
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAlertPairs).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var p AlertPair
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("cặp cảnh báo %q hỏng trong kho: %w", k, err)
			}
			out[string(k[len(prefix):])] = p
		}
		return nil
	})
	return out, err
}

// CommitAlertPass writes a pass in one transaction and returns the alerts it raised, numbered. It fails
// with ErrAlertCursorMoved, writing nothing, when the cursor is no longer p.From.
func (s *Store) CommitAlertPass(p *AlertPass) ([]Alert, error) {
	now := time.Now().UTC()
	var raised []Alert
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketAlertMeta)
		if getUint(meta, keyAlertCursor) != p.From {
			return ErrAlertCursorMoved
		}
		pairs, standing := tx.Bucket(bucketAlertPairs), tx.Bucket(bucketAlertStanding)
		for _, need := range p.DropNeeds {
			if err := deletePrefix(pairs, needPrefix(need)); err != nil {
				return err
			}
		}
		for need, rs := range p.Pairs {
			for rid, pair := range rs {
				if err := putOrDelete(pairs, pairKey(need, rid), pair); err != nil {
					return err
				}
			}
		}
		for need, sn := range p.Standing {
			if err := putOrDelete(standing, []byte(need), sn); err != nil {
				return err
			}
		}
		for need, broker := range p.Brokers {
			if err := moveAlerts(tx, need, broker); err != nil {
				return err
			}
		}
		next := getUint(meta, keyAlertNext)
		for _, a := range p.Raise {
			next++
			a.Seq, a.ID, a.Created, a.Delivery = next, newURN(), now, DeliveryPending
			if err := putAlert(tx, &a); err != nil {
				return err
			}
			if err := tx.Bucket(bucketAlertByNeed).Put(append(needPrefix(a.Need), seqKey(a.Seq)...), nil); err != nil {
				return err
			}
			if err := putJSON(pairs, pairKey(a.Need, a.Result), &AlertPair{Alert: a.Seq, Score: a.Score}); err != nil {
				return err
			}
			if err := putJSON(tx.Bucket(bucketAlertOutbox), seqKey(a.Seq), &OutboxEntry{Queued: now}); err != nil {
				return err
			}
			raised = append(raised, a)
		}
		if err := meta.Put(keyAlertNext, seqKey(next)); err != nil {
			return err
		}
		return meta.Put(keyAlertCursor, seqKey(p.To))
	})
	if err != nil {
		return nil, fmt.Errorf("ghi cảnh báo: %w", err)
	}
	return raised, nil
}

// moveAlerts gives every alert of a need to another broker.
func moveAlerts(tx *bolt.Tx, need, broker string) error {
	prefix := needPrefix(need)
	alerts := tx.Bucket(bucketAlerts)
	c := tx.Bucket(bucketAlertByNeed).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		a, err := getAlert(alerts, k[len(prefix):])
		if err != nil || a == nil || a.Broker == broker {
			return err
		}
		a.Broker = broker
		if err := putAlert(tx, a); err != nil {
			return err
		}
	}
	return nil
}

// AlertQuery selects alerts, newest first.
type AlertQuery struct {
	Need   string // only this need's alerts
	Broker string // only alerts of needs this broker follows
	// Before lists alerts numbered below it (paging); 0 starts from the newest.
	Before uint64
	// Limit bounds the answer (0: 100).
	Limit int
}

// Alerts returns the alerts q selects, newest first.
func (s *Store) Alerts(q AlertQuery) ([]Alert, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	before := q.Before
	if before == 0 {
		before = ^uint64(0)
	}
	var out []Alert
	err := s.db.View(func(tx *bolt.Tx) error {
		alerts := tx.Bucket(bucketAlerts)
		keep := func(seq []byte) (bool, error) {
			a, err := getAlert(alerts, seq)
			if err != nil || a == nil || (q.Broker != "" && a.Broker != q.Broker) {
				return false, err
			}
			out = append(out, *a)
			return len(out) < q.Limit, nil
		}
		if q.Need != "" {
			prefix := needPrefix(q.Need)
			c := tx.Bucket(bucketAlertByNeed).Cursor()
			for k := lastBefore(c, append(append([]byte(nil), prefix...), seqKey(before)...)); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
				if more, err := keep(k[len(prefix):]); err != nil || !more {
					return err
				}
			}
			return nil
		}
		c := alerts.Cursor()
		for k := lastBefore(c, seqKey(before)); k != nil; k, _ = c.Prev() {
			if more, err := keep(k); err != nil || !more {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("đọc cảnh báo: %w", err)
	}
	return out, nil
}

// OutboxEntry is an alert waiting for the webhook: how often delivery failed, and when to try again.
type OutboxEntry struct {
	Alert     Alert     `json:"-"`
	Queued    time.Time `json:"queued"`
	Attempts  int       `json:"attempts,omitempty"`
	Next      time.Time `json:"next,omitzero"`
	LastError string    `json:"last_error,omitempty"`
}

// OutboxDue returns up to limit outbox entries due at now, oldest first, and when the first of the others
// is due (zero when there are none).
func (s *Store) OutboxDue(now time.Time, limit int) ([]OutboxEntry, time.Time, error) {
	var due []OutboxEntry
	var next time.Time
	err := s.db.View(func(tx *bolt.Tx) error {
		alerts := tx.Bucket(bucketAlerts)
		return tx.Bucket(bucketAlertOutbox).ForEach(func(k, v []byte) error {
			var e OutboxEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("hộp thư đi %d hỏng trong kho: %w", binary.BigEndian.Uint64(k), err)
			}
			if e.Next.After(now) || len(due) >= limit {
				t := now
				if e.Next.After(now) {
					t = e.Next
				}
				if next.IsZero() || t.Before(next) {
					next = t
				}
				return nil
			}
			a, err := getAlert(alerts, k)
			if err != nil {
				return err
			}
			if a == nil { // cannot happen: both are written together; an orphan is simply dropped later
				a = &Alert{Seq: binary.BigEndian.Uint64(k)}
			}
			e.Alert = *a
			due = append(due, e)
			return nil
		})
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("đọc hộp thư đi: %w", err)
	}
	return due, next, nil
}

// DeliveryDone takes a delivered alert out of the outbox.
func (s *Store) DeliveryDone(seq uint64, at time.Time) error {
	return s.deliveryUpdate(seq, func(a *Alert, e *OutboxEntry) bool {
		a.Delivery, a.DeliveredAt, a.DeliveryError = DeliveryDelivered, at.UTC(), ""
		return false
	})
}

// DeliveryFailed records a failed attempt: the entry waits until next, or, when giveUp, leaves the outbox
// and the alert is marked failed.
func (s *Store) DeliveryFailed(seq uint64, attempts int, next time.Time, msg string, giveUp bool) error {
	return s.deliveryUpdate(seq, func(a *Alert, e *OutboxEntry) bool {
		a.DeliveryError = msg
		e.Attempts, e.Next, e.LastError = attempts, next.UTC(), msg
		if giveUp {
			a.Delivery = DeliveryFailed
		}
		return !giveUp
	})
}

// deliveryUpdate changes an alert and its outbox entry in one transaction; the entry stays when fn says so.
func (s *Store) deliveryUpdate(seq uint64, fn func(*Alert, *OutboxEntry) bool) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		box := tx.Bucket(bucketAlertOutbox)
		var e OutboxEntry
		if raw := box.Get(seqKey(seq)); raw != nil {
			if err := json.Unmarshal(raw, &e); err != nil {
				return err
			}
		}
		a, err := getAlert(tx.Bucket(bucketAlerts), seqKey(seq))
		if err != nil {
			return err
		}
		if a == nil {
			return box.Delete(seqKey(seq))
		}
		if fn(a, &e) {
			if err := putJSON(box, seqKey(seq), &e); err != nil {
				return err
			}
		} else if err := box.Delete(seqKey(seq)); err != nil {
			return err
		}
		return putAlert(tx, a)
	})
	if err != nil {
		return fmt.Errorf("ghi trạng thái gửi cảnh báo %d: %w", seq, err)
	}
	return nil
}

// lastBefore moves c to the last key below k and returns it (nil when there is none).
func lastBefore(c *bolt.Cursor, k []byte) []byte {
	if found, _ := c.Seek(k); found == nil {
		found, _ = c.Last()
		return found
	}
	found, _ := c.Prev()
	return found
}

func putAlert(tx *bolt.Tx, a *Alert) error {
	return putJSON(tx.Bucket(bucketAlerts), seqKey(a.Seq), a)
}

func getAlert(b *bolt.Bucket, seq []byte) (*Alert, error) {
	raw := b.Get(seq)
	if raw == nil {
		return nil, nil
	}
	var a Alert
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("cảnh báo %d hỏng trong kho: %w", binary.BigEndian.Uint64(seq), err)
	}
	return &a, nil
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, raw)
}

// putOrDelete stores v, or deletes the key when v is a nil pointer.
func putOrDelete[T any](b *bolt.Bucket, k []byte, v *T) error {
	if v == nil {
		return b.Delete(k)
	}
	return putJSON(b, k, v)
}

func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// needPrefix starts the keys of a need's entries: ids never hold a 0 byte (see Normalize), so one need's
// keys never run into another's.
func needPrefix(need string) []byte { return append([]byte(need), 0) }

func pairKey(need, result string) []byte { return append(needPrefix(need), result...) }

func getUint(b *bolt.Bucket, k []byte) uint64 {
	if v := b.Get(k); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// newURN returns a random (version 4) UUID as a URN.
func newURN() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
