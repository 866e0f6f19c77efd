package corpus

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The intake: needs that enterprises submit on the public form, or that brokers enter for their clients,
// wait in a review queue outside the records — so the index never sees them, and they are neither
// searchable nor matchable — until staff or a broker publishes them (they become an ordinary need record,
// in the same transaction that records the decision) or rejects them with a reason. Every need that came
// through the intake, and every need whose state someone changed later, has a status: its state and the
// history of its states, which the enterprise follows through a private link. Only the SHA-256 of the
// link's token is kept, so the store holds nothing that opens the link.

var (
	bucketIntake = []byte("intake")        // need id → intakeEntry JSON
	bucketFollow = []byte("intake_follow") // hex SHA-256 of a follow token → need id
)

// States of a need.
const (
	NeedSubmitted = "submitted" // waiting in the review queue
	NeedRejected  = "rejected"  // refused at review, with a reason the enterprise sees
	NeedPublished = "published" // an ordinary need record: searchable and matchable
	NeedMatched   = "matched"   // a broker found it a result (broker feedback sets it)
	NeedClosed    = "closed"    // no longer sought: closed by staff, or its record was deleted
	NeedExpired   = "expired"   // never stored: derived from a passed deadline (NeedStatus.Effective)
)

var needStateLabels = map[string]string{
	NeedSubmitted: "Đã gửi, đang chờ duyệt",
	NeedRejected:  "Không được duyệt",
	NeedPublished: "Đã đăng",
	NeedMatched:   "Đã tìm được kết quả phù hợp",
	NeedClosed:    "Đã đóng",
	NeedExpired:   "Đã hết hạn",
}

// NeedStateLabel is a state's Vietnamese name.
func NeedStateLabel(state string) string {
	if l, ok := needStateLabels[state]; ok {
		return l
	}
	return state
}

// NeedOpen reports whether a need in the (effective) state is still sought: matching lists offer only
// these by default.
func NeedOpen(state string) bool { return state == NeedPublished || state == NeedMatched }

// Actor is who changed a need's state: an API key (its id and role), or one of the fixed actors below.
type Actor struct {
	ID   string `json:"actor"`
	Role Role   `json:"role,omitempty"`
}

// Fixed actors.
var (
	ActorPublic = Actor{ID: "web"}    // the enterprise itself, on the public form
	ActorImport = Actor{ID: "import"} // a need imported as a record, which never went through review
	ActorSystem = Actor{ID: "system"} // the store itself (a deleted record closes its need)
)

// KeyActor is the actor of a request authenticated with key k.
func KeyActor(k KeyInfo) Actor { return Actor{ID: k.ID, Role: k.Role} }

// NeedEvent is one change of a need's state.
type NeedEvent struct {
	State string    `json:"state"`
	At    time.Time `json:"at"`
	Actor
	Reason string `json:"reason,omitempty"`
}

// intakeEntry is the stored form of a need's status.
type intakeEntry struct {
	ID      string      `json:"id"`
	State   string      `json:"state"`
	Source  string      `json:"source,omitempty"`
	Token   string      `json:"token_sha256,omitempty"`
	History []NeedEvent `json:"history"`
	// Draft is the need while it is not a record (submitted, rejected); published, the record is the truth.
	Draft json.RawMessage `json:"draft,omitempty"`
}

// NeedStatus is what the store knows of a need's life.
type NeedStatus struct {
	ID      string
	State   string // as stored; Effective adds expiry
	Source  string // web, api, import
	History []NeedEvent
	// Need is the draft while the need waits or was rejected, the record once it is published; nil when
	// the record was deleted since.
	Need *Need
}

// Submitted is when the need entered the store.
func (s *NeedStatus) Submitted() time.Time { return s.History[0].At }

// Last is the latest change of state.
func (s *NeedStatus) Last() NeedEvent { return s.History[len(s.History)-1] }

// Effective is the state as the need is seen now: a need still waiting or sought whose deadline has
// passed is expired.
func (s *NeedStatus) Effective(now time.Time) string {
	switch s.State {
	case NeedSubmitted, NeedPublished, NeedMatched:
		if s.Need != nil && DeadlinePassed(s.Need.Deadline, now) {
			return NeedExpired
		}
	}
	return s.State
}

// Vietnam is the province's clock (UTC+7, no daylight saving): a deadline date ends at its midnight.
var Vietnam = time.FixedZone("ICT", 7*3600)

// VietnamTime shows an instant to people (the command line, error messages) on the province's clock, as
// the server does, whatever the zone of the machine it runs on, and with the offset, so that no reader
// takes it for their own clock. layout has no zone of its own.
func VietnamTime(t time.Time, layout string) string {
	return t.In(Vietnam).Format(layout + " UTC-07:00")
}

// DeadlinePassed reports whether a deadline (YYYY-MM-DD, meant as the end of that day in Việt Nam, or
// RFC 3339) is before now. A deadline that is not stated or not a date never passes.
func DeadlinePassed(deadline string, now time.Time) bool {
	end, ok := DeadlineEnd(deadline)
	return ok && !now.Before(end)
}

// DeadlineEnd is the moment a deadline passes (the midnight that ends a YYYY-MM-DD day in Việt Nam);
// false for a deadline that is not stated or not a date.
func DeadlineEnd(deadline string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, deadline); err == nil {
		return t.Add(time.Nanosecond), true // passed once now is after it
	}
	if t, err := time.ParseInLocation("2006-01-02", deadline, Vietnam); err == nil {
		return t.AddDate(0, 0, 1), true
	}
	if t, err := time.ParseInLocation("2006-01-02 15:04:05", deadline, Vietnam); err == nil {
		return t.Add(time.Nanosecond), true
	}
	return time.Time{}, false
}

// ErrExists means a record with the id exists already.
var ErrExists = errors.New("record exists")

// ErrNeedState means the need's state does not allow the change asked for.
var ErrNeedState = errors.New("need state does not allow this")

// NeedStateError says which state refused which change.
type NeedStateError struct {
	ID, State string
	Action    string // what was asked, in Vietnamese: "đăng", "từ chối"…
}

func (e *NeedStateError) Error() string {
	return fmt.Sprintf("nhu cầu %s đang ở trạng thái «%s» nên không %s được", e.ID, NeedStateLabel(e.State), e.Action)
}

func (e *NeedStateError) Unwrap() error { return ErrNeedState }

// NewToken is 32 random bytes, base64url (43 characters): a follow token, a session or CSRF token.
func NewToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// FollowTokenHash is what the store keeps of a follow token.
func FollowTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newNeedID is nc-YYMMDD-xxxxxxxx: the date for people, 40 random bits so that ids do not collide.
func newNeedID(now time.Time) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return "nc-" + now.In(Vietnam).Format("060102") + "-" + strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
}

// SubmitNeed stores a need in the review queue under a new id and returns its status and its follow
// token, given this once (the store keeps only its hash). With publish — a broker or staff entering a need
// they vouch for — the need becomes a record in the same transaction. The need must have passed
// CheckSubmission.
func (s *Store) SubmitNeed(n *Need, source string, by Actor, publish bool) (*NeedStatus, string, error) {
	token := NewToken()
	now := time.Now().UTC()
	var st *NeedStatus
	err := s.db.Update(func(tx *bolt.Tx) error {
		intake, records := tx.Bucket(bucketIntake), tx.Bucket(bucketRecords)
		c := *n
		c.Kind = KindNeed
		for c.ID = newNeedID(now); intake.Get([]byte(c.ID)) != nil || records.Get([]byte(c.ID)) != nil; {
			c.ID = newNeedID(now)
		}
		draft, err := json.Marshal(&c)
		if err != nil {
			return err
		}
		e := &intakeEntry{ID: c.ID, State: NeedSubmitted, Source: source, Token: FollowTokenHash(token), Draft: draft,
			History: []NeedEvent{{State: NeedSubmitted, At: now, Actor: by}}}
		if publish {
			if _, err := publishTx(tx, e, by, now); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketFollow).Put([]byte(e.Token), []byte(e.ID)); err != nil {
			return err
		}
		if err := putIntake(intake, e); err != nil {
			return err
		}
		st, err = statusTx(tx, e)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("lưu nhu cầu gửi lên: %w", err)
	}
	return st, token, nil
}

// publishTx makes the entry's draft a need record inside tx, marks the entry published and returns the
// record.
func publishTx(tx *bolt.Tx, e *intakeEntry, by Actor, now time.Time) (*Need, error) {
	rec, err := parseRecord(KindNeed, e.Draft)
	if err != nil {
		return nil, fmt.Errorf("bản nháp nhu cầu %s hỏng trong kho: %w", e.ID, err)
	}
	// Drafts were checked when they were stored; normalising again is idempotent and guards the records.
	if probs := Normalize(rec); probs.Rejected() {
		return nil, fmt.Errorf("nhu cầu %s không hợp lệ: %s", e.ID, probs.String())
	}
	if _, err := liveRecordTx(tx, e.ID); err == nil {
		return nil, fmt.Errorf("%w: đã có bản ghi mã %s", ErrExists, e.ID)
	}
	meta := tx.Bucket(bucketMeta)
	seq := getSeq(meta)
	var ps PutStats
	if err := putRecordTx(tx, rec, "intake", "", now, &seq, &ps); err != nil {
		return nil, err
	}
	if err := meta.Put(keySeq, seqKey(seq)); err != nil {
		return nil, err
	}
	e.State, e.Draft = NeedPublished, nil
	e.History = append(e.History, NeedEvent{State: NeedPublished, At: now, Actor: by})
	return rec.(*Need), nil
}

// PublishNeed makes a waiting (or rejected) need an ordinary need record, stored in the same transaction
// as its new state; the caller then syncs the index. It returns the record.
func (s *Store) PublishNeed(id string, by Actor) (*Need, error) {
	var need *Need
	err := s.updateIntake(id, func(tx *bolt.Tx, e *intakeEntry) error {
		if e.State != NeedSubmitted && e.State != NeedRejected {
			return &NeedStateError{ID: id, State: e.State, Action: "đăng"}
		}
		var err error
		need, err = publishTx(tx, e, by, time.Now().UTC())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("đăng nhu cầu %s: %w", id, err)
	}
	return need, nil
}

// RejectNeed refuses a waiting need with a reason the enterprise will read on its follow page.
func (s *Store) RejectNeed(id, reason string, by Actor) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return errors.New("cần ghi lý do từ chối để doanh nghiệp biết")
	}
	err := s.updateIntake(id, func(tx *bolt.Tx, e *intakeEntry) error {
		if e.State != NeedSubmitted {
			return &NeedStateError{ID: id, State: e.State, Action: "từ chối"}
		}
		e.State = NeedRejected
		e.History = append(e.History, NeedEvent{State: NeedRejected, At: time.Now().UTC(), Actor: by, Reason: reason})
		return nil
	})
	if err != nil {
		return fmt.Errorf("từ chối nhu cầu %s: %w", id, err)
	}
	return nil
}

// UpdateNeedDraft replaces the draft of a need that is not published yet (staff correct it before they
// publish it). The need must have passed CheckSubmission; its id and kind are the store's.
func (s *Store) UpdateNeedDraft(id string, n *Need) error {
	err := s.updateIntake(id, func(tx *bolt.Tx, e *intakeEntry) error {
		if e.State != NeedSubmitted && e.State != NeedRejected {
			return &NeedStateError{ID: id, State: e.State, Action: "sửa trong hàng đợi"}
		}
		c := *n
		c.ID, c.Kind = id, KindNeed
		draft, err := json.Marshal(&c)
		e.Draft = draft
		return err
	})
	if err != nil {
		return fmt.Errorf("sửa nhu cầu %s: %w", id, err)
	}
	return nil
}

// SetNeedState changes the state of a published need: matched (broker feedback), closed (staff), or
// published again (reopened). A need imported as a record gets a status on its first change. Setting the
// state it already has changes nothing. ErrNotFound when there is no live need record with the id.
func (s *Store) SetNeedState(id, state string, by Actor, reason string) error {
	switch state {
	case NeedPublished, NeedMatched, NeedClosed:
	default:
		return fmt.Errorf("trạng thái %q không đặt được cho một nhu cầu đã đăng (chỉ published, matched, closed)", state)
	}
	err := s.db.Update(func(tx *bolt.Tx) error { return setNeedStateTx(tx, id, state, by, reason) })
	if err != nil {
		return fmt.Errorf("đổi trạng thái nhu cầu %s: %w", id, err)
	}
	return nil
}

// setNeedStateTx is SetNeedState inside a transaction (broker feedback changes the state in the one that
// records the decision).
func setNeedStateTx(tx *bolt.Tx, id, state string, by Actor, reason string) error {
	rec, err := liveNeedTx(tx, id)
	if err != nil {
		return err
	}
	intake := tx.Bucket(bucketIntake)
	e, err := getIntake(intake, id)
	if err != nil {
		return err
	}
	if e == nil {
		e = importedEntry(rec)
	}
	switch e.State {
	case NeedPublished, NeedMatched, NeedClosed:
	default:
		return &NeedStateError{ID: id, State: e.State, Action: "đổi trạng thái"}
	}
	if e.State == state {
		return nil
	}
	e.State = state
	e.History = append(e.History, NeedEvent{State: state, At: time.Now().UTC(), Actor: by, Reason: strings.TrimSpace(reason)})
	return putIntake(intake, e)
}

// NeedStatus returns the status of need id: one that came through the intake, or any need record
// (an imported one is published since it was stored). ErrNotFound when there is neither.
func (s *Store) NeedStatus(id string) (*NeedStatus, error) {
	var st *NeedStatus
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		st, err = needStatusTx(tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("đọc trạng thái nhu cầu %s: %w", id, err)
	}
	return st, nil
}

// needStatusTx is NeedStatus inside a transaction.
func needStatusTx(tx *bolt.Tx, id string) (*NeedStatus, error) {
	e, err := getIntake(tx.Bucket(bucketIntake), id)
	if err != nil {
		return nil, err
	}
	if e == nil {
		rec, err := liveNeedTx(tx, id)
		if err != nil {
			return nil, err
		}
		e = importedEntry(rec)
	}
	return statusTx(tx, e)
}

// NeedStatusByToken returns the status of the need a follow token belongs to; ErrNotFound for a token
// the store does not know.
func (s *Store) NeedStatusByToken(token string) (*NeedStatus, error) {
	if len(token) != 43 {
		return nil, ErrNotFound
	}
	var st *NeedStatus
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketFollow).Get([]byte(FollowTokenHash(token)))
		if id == nil {
			return ErrNotFound
		}
		e, err := getIntake(tx.Bucket(bucketIntake), string(id))
		if err != nil {
			return err
		}
		if e == nil {
			return ErrNotFound
		}
		st, err = statusTx(tx, e)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("đọc nhu cầu theo đường dẫn theo dõi: %w", err)
	}
	return st, nil
}

// NeedQueue lists the needs that came through the intake and are in one of states (all when none),
// oldest submission first.
func (s *Store) NeedQueue(states ...string) ([]*NeedStatus, error) {
	var out []*NeedStatus
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketIntake).ForEach(func(k, v []byte) error {
			var e intakeEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("trạng thái nhu cầu %s hỏng trong kho: %w", k, err)
			}
			if len(states) > 0 && !slices.Contains(states, e.State) {
				return nil
			}
			st, err := statusTx(tx, &e)
			if err == nil {
				out = append(out, st)
			}
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("đọc hàng đợi nhu cầu: %w", err)
	}
	slices.SortStableFunc(out, func(a, b *NeedStatus) int { return a.Submitted().Compare(b.Submitted()) })
	return out, nil
}

// NeedState is need id's effective state now (see NeedStatus.Effective): what matching lists ask before
// offering a need.
func (s *Store) NeedState(id string, now time.Time) (string, error) {
	st, err := s.NeedStatus(id)
	if err != nil {
		return "", err
	}
	return st.Effective(now), nil
}

// NeedStates is the effective state now of every live need record, by id, read in one transaction:
// what a list of needs (reverse matching, batch matching) filters on, keeping NeedOpen ones by default.
func (s *Store) NeedStates(now time.Time) (map[string]string, error) {
	out := map[string]string{}
	err := s.db.View(func(tx *bolt.Tx) error {
		intake := tx.Bucket(bucketIntake)
		return tx.Bucket(bucketRecords).ForEach(func(k, v []byte) error {
			var rec Entry
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("bản ghi %s hỏng trong kho: %w", k, err)
			}
			if rec.Deleted || rec.Kind != KindNeed {
				return nil
			}
			e, err := getIntake(intake, rec.ID)
			if err != nil {
				return err
			}
			if e == nil {
				e = importedEntry(&rec)
			}
			st, err := statusTx(tx, e)
			if err != nil {
				return err
			}
			out[rec.ID] = st.Effective(now)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("đọc trạng thái các nhu cầu: %w", err)
	}
	return out, nil
}

// updateIntake runs fn on need id's intake entry inside one transaction and stores the entry fn leaves;
// ErrNotFound when the need did not come through the intake.
func (s *Store) updateIntake(id string, fn func(*bolt.Tx, *intakeEntry) error) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		intake := tx.Bucket(bucketIntake)
		e, err := getIntake(intake, id)
		if err != nil {
			return err
		}
		if e == nil {
			return ErrNotFound
		}
		if err := fn(tx, e); err != nil {
			return err
		}
		return putIntake(intake, e)
	})
}

// closeDeletedNeedTx closes, inside the transaction that deletes its record, a need that came through the
// intake: its follow page then says so instead of pointing at a record that is gone.
func closeDeletedNeedTx(tx *bolt.Tx, id string, now time.Time) error {
	intake := tx.Bucket(bucketIntake)
	e, err := getIntake(intake, id)
	if err != nil || e == nil || (e.State != NeedPublished && e.State != NeedMatched) {
		return err
	}
	e.State = NeedClosed
	e.History = append(e.History, NeedEvent{State: NeedClosed, At: now, Actor: ActorSystem, Reason: "Nhu cầu đã được gỡ khỏi cơ sở dữ liệu."})
	return putIntake(intake, e)
}

// liveRecordTx is the live record id, of any kind, or ErrNotFound.
func liveRecordTx(tx *bolt.Tx, id string) (*Entry, error) {
	raw := tx.Bucket(bucketRecords).Get([]byte(id))
	if raw == nil {
		return nil, ErrNotFound
	}
	var e Entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("bản ghi %s hỏng trong kho: %w", id, err)
	}
	if e.Deleted {
		return nil, ErrNotFound
	}
	return &e, nil
}

// liveNeedTx is the live need record id, or ErrNotFound.
func liveNeedTx(tx *bolt.Tx, id string) (*Entry, error) {
	e, err := liveRecordTx(tx, id)
	if err == nil && e.Kind != KindNeed {
		return nil, ErrNotFound
	}
	return e, err
}

// importedEntry is the status of a need record that never went through the intake.
func importedEntry(rec *Entry) *intakeEntry {
	return &intakeEntry{ID: rec.ID, State: NeedPublished, Source: "import",
		History: []NeedEvent{{State: NeedPublished, At: rec.Created, Actor: ActorImport}}}
}

// statusTx builds the status of an entry, with its draft or its record.
func statusTx(tx *bolt.Tx, e *intakeEntry) (*NeedStatus, error) {
	st := &NeedStatus{ID: e.ID, State: e.State, Source: e.Source, History: e.History}
	raw := e.Draft
	if raw == nil {
		rec, err := liveNeedTx(tx, e.ID)
		if errors.Is(err, ErrNotFound) {
			return st, nil
		}
		if err != nil {
			return nil, err
		}
		raw = rec.Record
	}
	rec, err := parseRecord(KindNeed, raw)
	if err != nil {
		return nil, fmt.Errorf("nhu cầu %s hỏng trong kho: %w", e.ID, err)
	}
	st.Need = rec.(*Need)
	return st, nil
}

func getIntake(b *bolt.Bucket, id string) (*intakeEntry, error) {
	raw := b.Get([]byte(id))
	if raw == nil {
		return nil, nil
	}
	var e intakeEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("trạng thái nhu cầu %s hỏng trong kho: %w", id, err)
	}
	return &e, nil
}

func putIntake(b *bolt.Bucket, e *intakeEntry) error {
	raw, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return b.Put([]byte(e.ID), raw)
}
