package corpus

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"ketnoi/corpus/vntext"
)

// Brokers judge proposed matches: accept or reject a need–result pair with a reason code from the
// FeedbackReasons vocabulary. Decisions are kept in the store (bucket "feedback"), never changed or
// deleted: a later decision on the same pair supersedes the earlier one for everything that asks for
// "the" decision, and the history stays for evaluation. Each decision carries the match's score and
// components as they were when it was made, so that the matcher's weights can be evaluated against it later.
// The need's state follows the current decisions, in the transaction that records each one: a published
// need with an accepted match becomes matched, a matched need left without one is published again.

// bucketFeedback holds decisions under NEED_ID 0x00 RESULT_ID 0x00 SEQ (8 bytes, big endian): one need's
// decisions, and one pair's history, are contiguous and in order. Record ids never contain control
// characters (see Normalize), so 0x00 cannot occur inside an id.
var bucketFeedback = []byte("feedback")

// Decisions on a match.
const (
	DecisionAccept = "accept"
	DecisionReject = "reject"
)

// ReasonOther is the reason that needs a note saying what it is.
const ReasonOther = "other"

// MaxFeedbackNote bounds a decision's note, in characters.
const MaxFeedbackNote = 2000

// FeedbackActor is who made a decision: the id, name and role of the API key used (never the key itself).
type FeedbackActor struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

// Feedback is one decision on a need–result pair.
type Feedback struct {
	Seq      uint64        `json:"seq"`
	NeedID   string        `json:"need_id"`
	ResultID string        `json:"result_id"`
	Decision string        `json:"decision"`
	Reason   string        `json:"reason,omitempty"`
	Note     string        `json:"note,omitempty"`
	Time     time.Time     `json:"time"`
	Actor    FeedbackActor `json:"actor"`
	// Score, Components and Rank are the match as the matcher saw it at the time of the decision; Rank is
	// the result's place among the need's candidates, 0 when it was not one of them. Components is nil
	// when the pair could not be scored.
	Score      float64            `json:"score"`
	Components map[string]float64 `json:"components,omitempty"`
	Rank       int                `json:"rank,omitempty"`
	// Superseded is set when reading: a later decision on the same pair exists.
	Superseded bool `json:"superseded"`
}

// FeedbackError is a decision the store refuses: which field, a stable English code, a Vietnamese message.
type FeedbackError struct {
	Field, Code, Message string
}

func (e *FeedbackError) Error() string { return e.Message }

func feedbackErr(field, code, format string, args ...any) *FeedbackError {
	return &FeedbackError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)}
}

// DecisionLabel is the Vietnamese name of a decision.
func DecisionLabel(d string) string {
	switch d {
	case DecisionAccept:
		return "chấp nhận"
	case DecisionReject:
		return "từ chối"
	}
	return d
}

// ReasonFits says whether a reason code may go with a decision (the vocabulary's decisions column).
func ReasonFits(reason, decision string) bool {
	t, ok := FeedbackReasons.Lookup(reason)
	return ok && len(t.Extra) > 0 && slices.Contains(strings.Split(t.Extra[0], ","), decision)
}

func knownReason(code string) bool {
	_, ok := FeedbackReasons.Lookup(code)
	return ok
}

// ReasonsFor lists the reason codes a decision may use, in the vocabulary's order.
func ReasonsFor(decision string) []string {
	var out []string
	for _, t := range FeedbackReasons.Terms() {
		if ReasonFits(t.Code, decision) {
			out = append(out, t.Code)
		}
	}
	return out
}

// normalize brings the decision's text fields to their stored form and checks them; it does not look at
// the store.
func (f *Feedback) normalize() *FeedbackError {
	f.NeedID, f.ResultID = strings.TrimSpace(f.NeedID), strings.TrimSpace(f.ResultID)
	f.Decision, f.Reason = strings.TrimSpace(f.Decision), strings.TrimSpace(f.Reason)
	for _, id := range []struct{ field, v, what string }{{"need_id", f.NeedID, "nhu cầu"}, {"result_id", f.ResultID, "kết quả nghiên cứu"}} {
		switch {
		case id.v == "":
			return feedbackErr(id.field, "missing_"+id.field, "Thiếu mã %s (%s).", id.what, id.field)
		case len(id.v) > MaxIDBytes || strings.IndexFunc(id.v, unicode.IsControl) >= 0 || !utf8.ValidString(id.v):
			return feedbackErr(id.field, "bad_"+id.field, "Mã %s (%s) không hợp lệ: dài quá %d byte hoặc chứa ký tự điều khiển.", id.what, id.field, MaxIDBytes)
		}
	}
	if f.NeedID == f.ResultID {
		return feedbackErr("result_id", "same_id", "need_id và result_id trùng nhau (%q): một cặp ghép nối gồm một nhu cầu và một kết quả nghiên cứu.", f.NeedID)
	}
	switch f.Decision {
	case DecisionAccept, DecisionReject:
	case "":
		return feedbackErr("decision", "missing_decision", "Thiếu quyết định (decision): accept (chấp nhận) hoặc reject (từ chối).")
	default:
		return feedbackErr("decision", "bad_decision", "Quyết định (decision) %q không hợp lệ: chỉ nhận accept (chấp nhận) hoặc reject (từ chối).", f.Decision)
	}
	fits := ReasonsFor(f.Decision)
	switch {
	case f.Reason == "" && f.Decision == DecisionReject:
		return feedbackErr("reason", "missing_reason", "Từ chối cần lý do (reason), một trong: %s.", strings.Join(fits, ", "))
	case f.Reason == "":
	case !knownReason(f.Reason):
		return feedbackErr("reason", "bad_reason", "Lý do (reason) %q không có trong danh mục; khi %s chọn một trong: %s.",
			f.Reason, DecisionLabel(f.Decision), strings.Join(fits, ", "))
	case !ReasonFits(f.Reason, f.Decision):
		return feedbackErr("reason", "reason_mismatch", "Lý do %q (%s) không dùng khi %s; chọn một trong: %s.",
			f.Reason, FeedbackReasons.Label(f.Reason), DecisionLabel(f.Decision), strings.Join(fits, ", "))
	}
	f.Note = vntext.Normalize(f.Note)
	if n := utf8.RuneCountInString(f.Note); n > MaxFeedbackNote {
		return feedbackErr("note", "note_too_long", "Ghi chú (note) dài %d ký tự, tối đa %d.", n, MaxFeedbackNote)
	}
	if f.Reason == ReasonOther && f.Note == "" {
		return feedbackErr("note", "missing_note", "Lý do %q (%s) cần ghi chú (note) nói rõ lý do.", ReasonOther, FeedbackReasons.Label(ReasonOther))
	}
	return nil
}

// checkPair finds the pair's records inside tx: a live need and a live result. A result replaced by a new
// version of its file stands for that version: f is changed to name it.
func checkPair(tx *bolt.Tx, f *Feedback) (*Need, *Result, error) {
	if err := followReplacedTx(tx, f); err != nil {
		return nil, nil, err
	}
	records := tx.Bucket(bucketRecords)
	get := func(id, field, kind, what string) (Record, error) {
		raw := records.Get([]byte(id))
		var e Entry
		if raw == nil || json.Unmarshal(raw, &e) != nil || e.Deleted {
			return nil, feedbackErr(field, "unknown_"+kind, "Không có %s %q trong kho (%s).", what, id, field)
		}
		if e.Kind != kind {
			return nil, feedbackErr(field, "not_a_"+kind, "%q là %s, không phải %s (%s).", id, kindLabel(e.Kind), what, field)
		}
		return e.Decode()
	}
	n, err := get(f.NeedID, "need_id", KindNeed, "nhu cầu")
	if err != nil {
		return nil, nil, err
	}
	r, err := get(f.ResultID, "result_id", KindResult, "kết quả nghiên cứu")
	if err != nil {
		return nil, nil, err
	}
	return n.(*Need), r.(*Result), nil
}

func kindLabel(kind string) string {
	if kind == KindNeed {
		return "một nhu cầu"
	}
	return "một kết quả nghiên cứu"
}

// CheckFeedback normalises and checks a decision against the store without writing it, and returns the
// pair's records: the server checks before it spends time scoring the pair. Refusals are *FeedbackError.
func (s *Store) CheckFeedback(f *Feedback) (*Need, *Result, error) {
	if err := f.normalize(); err != nil {
		return nil, nil, err
	}
	var n *Need
	var r *Result
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		n, r, err = checkPair(tx, f)
		return err
	})
	return n, r, err
}

// AddFeedback stores a decision in one transaction (on disk when it returns), checked as CheckFeedback
// does, stamped with the time and the next sequence number. It returns the decision as stored and the one
// it supersedes, if any.
func (s *Store) AddFeedback(f Feedback) (Feedback, *Feedback, error) {
	if err := f.normalize(); err != nil {
		return Feedback{}, nil, err
	}
	f.Time, f.Superseded = time.Now().UTC(), false
	var prev *Feedback
	err := s.db.Update(func(tx *bolt.Tx) (err error) {
		prev, err = putFeedbackTx(tx, &f)
		return err
	})
	if err != nil {
		if _, ok := err.(*FeedbackError); ok {
			return Feedback{}, nil, err
		}
		return Feedback{}, nil, fmt.Errorf("ghi quyết định ghép nối: %w", err)
	}
	return f, prev, nil
}

// putFeedbackTx stores decision f (its Seq set here) after the pair's earlier ones and brings the need's
// state in line; it returns the decision f supersedes, if any.
func putFeedbackTx(tx *bolt.Tx, f *Feedback) (*Feedback, error) {
	_, res, err := checkPair(tx, f)
	if err != nil {
		return nil, err
	}
	b, err := tx.CreateBucketIfNotExists(bucketFeedback)
	if err != nil {
		return nil, err
	}
	pair := feedbackPrefix(f.NeedID, f.ResultID)
	c := b.Cursor()
	// The pair's latest decision is the last key with its prefix: seek past the prefix, step back.
	k, v := c.Seek(append(bytes.Clone(pair), 0xff))
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	var prev *Feedback
	if k != nil && bytes.HasPrefix(k, pair) {
		prev = &Feedback{}
		if err := json.Unmarshal(v, prev); err != nil {
			return nil, fmt.Errorf("quyết định %q hỏng trong kho: %w", k, err)
		}
		prev.Superseded = true
	}
	if f.Seq, err = b.NextSequence(); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	if err := b.Put(binary.BigEndian.AppendUint64(pair, f.Seq), raw); err != nil {
		return nil, err
	}
	return prev, followDecisionsTx(tx, b, f, res.Title)
}

func feedbackPrefix(needID, resultID string) []byte {
	k := append([]byte(needID), 0)
	if resultID != "" {
		k = append(append(k, resultID...), 0)
	}
	return k
}

// followDecisionsTx brings the need's state in line with the current decisions after f: matched when one
// of its results is accepted, published again when none is any more. Waiting, rejected and closed needs
// keep their state: a decision does not reopen a need staff closed.
func followDecisionsTx(tx *bolt.Tx, b *bolt.Bucket, f *Feedback, resultTitle string) error {
	accepted, err := hasAcceptedTx(b, f.NeedID)
	if err != nil {
		return err
	}
	state := NeedPublished // a need record that never went through the intake
	if e, err := getIntake(tx.Bucket(bucketIntake), f.NeedID); err != nil {
		return err
	} else if e != nil {
		state = e.State
	}
	by := Actor{ID: f.Actor.ID, Role: Role(f.Actor.Role)}
	switch {
	case accepted && state == NeedPublished:
		return setNeedStateTx(tx, f.NeedID, NeedMatched, by, "Nhà môi giới đã chọn được kết quả nghiên cứu phù hợp: «"+resultTitle+"».")
	case !accepted && state == NeedMatched:
		return setNeedStateTx(tx, f.NeedID, NeedPublished, by, "Kết quả đã chọn không còn phù hợp; nhu cầu tiếp tục được tìm kết quả.")
	}
	return nil
}

// hasAcceptedTx says whether some pair of the need has accept as its latest decision.
func hasAcceptedTx(b *bolt.Bucket, needID string) (bool, error) {
	prefix := feedbackPrefix(needID, "")
	latest := map[string]string{}
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var f Feedback
		if err := json.Unmarshal(v, &f); err != nil {
			return false, fmt.Errorf("quyết định %q hỏng trong kho: %w", k, err)
		}
		latest[f.ResultID] = f.Decision // keys are in order: the last one of a pair wins
	}
	for _, d := range latest {
		if d == DecisionAccept {
			return true, nil
		}
	}
	return false, nil
}

// EachFeedback calls fn for every decision, or for one need's when needID is not empty: need by need,
// result by result, each pair's history oldest first, with Superseded set on all but a pair's latest.
func (s *Store) EachFeedback(needID string, fn func(Feedback) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFeedback)
		if b == nil {
			return nil // no decision made yet
		}
		var prefix []byte
		if needID != "" {
			prefix = feedbackPrefix(needID, "")
		}
		var held *Feedback
		var heldPair []byte
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var f Feedback
			if err := json.Unmarshal(v, &f); err != nil || len(k) < 8 {
				return fmt.Errorf("quyết định %q hỏng trong kho: %v", k, err)
			}
			pair := k[:len(k)-8]
			if held != nil {
				held.Superseded = bytes.Equal(pair, heldPair)
				if err := fn(*held); err != nil {
					return err
				}
			}
			held, heldPair = &f, pair
		}
		if held != nil {
			return fn(*held)
		}
		return nil
	})
}

// LatestFeedback returns the current decision on each judged result of a need, by result id.
func (s *Store) LatestFeedback(needID string) (map[string]Feedback, error) {
	out := map[string]Feedback{}
	err := s.EachFeedback(needID, func(f Feedback) error {
		if !f.Superseded {
			out[f.ResultID] = f
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("đọc quyết định ghép nối của nhu cầu %s: %w", needID, err)
	}
	return out, nil
}

// HasAcceptedMatch says whether a broker's current decision on some result for the need is accept: the
// need has found its answer (and its state is matched, see followDecisionsTx).
func (s *Store) HasAcceptedMatch(needID string) (bool, error) {
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		if b := tx.Bucket(bucketFeedback); b != nil {
			ok, err = hasAcceptedTx(b, needID)
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("đọc quyết định ghép nối của nhu cầu %s: %w", needID, err)
	}
	return ok, nil
}
