package corpus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A report's id comes from its content, so a new version of a file is a new document that replaces the
// old one (PutFiles). What refers to the old result by its id goes over to the new one in the transaction
// of the replacement — brokers' decisions (their pair's history joins the new pair's), the alert state of
// standing needs (an edited report that still qualifies does not alert again) and the alerts raised — and
// the old id is remembered as replaced, so that links to it lead to the current version.

// bucketReplaced holds old result id → Replacement JSON.
var bucketReplaced = []byte("replaced")

// Replacement says which document replaced a result, and when.
type Replacement struct {
	To string    `json:"to"`
	At time.Time `json:"at"`
}

// Replacement returns the live result that now stands for id, following a chain of versions (a report
// changed again and again); "" when id is live itself, was never replaced, or its last version was deleted
// (a deleted document is gone, not moved).
func (s *Store) Replacement(id string) (string, error) {
	var to string
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		to, err = replacementTx(tx, id)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("đọc bản thay thế của %s: %w", id, err)
	}
	return to, nil
}

func replacementTx(tx *bolt.Tx, id string) (string, error) {
	b := tx.Bucket(bucketReplaced)
	if b == nil || liveResultTx(tx, id) {
		return "", nil
	}
	seen := map[string]bool{id: true}
	for cur := id; ; {
		raw := b.Get([]byte(cur))
		if raw == nil {
			return "", nil
		}
		var r Replacement
		if err := json.Unmarshal(raw, &r); err != nil {
			return "", fmt.Errorf("bản thay thế của %s hỏng trong kho: %w", cur, err)
		}
		if seen[r.To] {
			return "", nil // versions that went back and forth, none of them live
		}
		if liveResultTx(tx, r.To) {
			return r.To, nil
		}
		seen[r.To], cur = true, r.To
	}
}

// followReplacedTx makes a decision on a replaced result one on the version that replaced it (a broker's
// page opened before the file changed, an export made before it).
func followReplacedTx(tx *bolt.Tx, f *Feedback) error {
	to, err := replacementTx(tx, f.ResultID)
	if to != "" {
		f.ResultID = to
	}
	return err
}

func liveResultTx(tx *bolt.Tx, id string) bool {
	e, err := liveRecordTx(tx, id)
	return err == nil && e.Kind == KindResult
}

// carryOverTx records the replacements old → new made in a transaction and moves what refers to each old
// id to its new one (through the transaction's own chain, when its new id was replaced in turn). Pairs
// whose old id is live again (a later change of the same transaction brought it back) or that lead to no
// live result are left alone.
func carryOverTx(tx *bolt.Tx, moved map[string]string, now time.Time) error {
	final := make(map[string]string, len(moved))
	for old, to := range moved {
		for n := 0; n < len(moved) && !liveResultTx(tx, to) && moved[to] != ""; n++ {
			to = moved[to]
		}
		if !liveResultTx(tx, old) && liveResultTx(tx, to) {
			final[old] = to
		}
	}
	moved = final
	if len(moved) == 0 {
		return nil
	}
	b, err := tx.CreateBucketIfNotExists(bucketReplaced)
	if err != nil {
		return err
	}
	for old, to := range moved {
		if err := putJSON(b, []byte(old), &Replacement{To: to, At: now}); err != nil {
			return err
		}
		// The new id is live: an earlier replacement of it (a file changed back) no longer holds.
		if err := b.Delete([]byte(to)); err != nil {
			return err
		}
	}
	if err := moveFeedbackTx(tx, moved); err != nil {
		return err
	}
	if err := moveAlertPairsTx(tx, moved); err != nil {
		return err
	}
	return moveAlertsTx(tx, moved)
}

// moveFeedbackTx gives the decisions on old results to their new ids. Keys keep their sequence numbers,
// so when the new result already had decisions for the need, the two histories merge in the order they
// were made; the need's state then follows the merged current decisions.
func moveFeedbackTx(tx *bolt.Tx, moved map[string]string) error {
	b := tx.Bucket(bucketFeedback)
	if b == nil {
		return nil
	}
	type kv struct{ k, v []byte }
	var found []kv
	err := b.ForEach(func(k, v []byte) error {
		// NEED 0x00 RESULT 0x00 SEQ(8): ids never hold 0x00, the sequence number may.
		i := bytes.IndexByte(k, 0)
		if i < 0 || len(k) < i+10 || k[len(k)-9] != 0 {
			return nil
		}
		if _, ok := moved[string(k[i+1:len(k)-9])]; ok {
			found = append(found, kv{bytes.Clone(k), bytes.Clone(v)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	fs := make([]Feedback, len(found))
	merged := map[string]string{} // need → new result, where the new pair had decisions already
	for i, e := range found {
		if err := json.Unmarshal(e.v, &fs[i]); err != nil {
			return fmt.Errorf("quyết định %q hỏng trong kho: %w", e.k, err)
		}
		to := moved[fs[i].ResultID]
		pair := feedbackPrefix(fs[i].NeedID, to)
		if k, _ := b.Cursor().Seek(pair); k != nil && bytes.HasPrefix(k, pair) {
			merged[fs[i].NeedID] = to
		}
	}
	for i, e := range found {
		f := &fs[i]
		f.ResultID = moved[f.ResultID]
		pair := feedbackPrefix(f.NeedID, f.ResultID)
		if err := b.Delete(e.k); err != nil {
			return err
		}
		if err := putJSON(b, append(pair, e.k[len(e.k)-8:]...), f); err != nil {
			return err
		}
	}
	for need, to := range merged {
		if _, err := liveNeedTx(tx, need); err != nil {
			continue // decisions of a need deleted since: no state to follow
		}
		title := to
		if e, err := liveRecordTx(tx, to); err == nil {
			if rec, err := e.Decode(); err == nil {
				title = rec.(*Result).Title
			}
		}
		if err := followDecisionsTx(tx, b, &Feedback{NeedID: need, Actor: FeedbackActor{ID: ActorSystem.ID}}, title); err != nil {
			return err
		}
	}
	return nil
}

// moveAlertPairsTx moves the qualifying pairs of standing needs to the new ids; a pair the new id has
// already stays as it is.
func moveAlertPairsTx(tx *bolt.Tx, moved map[string]string) error {
	pairs := tx.Bucket(bucketAlertPairs)
	var olds [][]byte
	err := pairs.ForEach(func(k, _ []byte) error {
		if i := bytes.IndexByte(k, 0); i >= 0 {
			if _, ok := moved[string(k[i+1:])]; ok {
				olds = append(olds, bytes.Clone(k))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range olds {
		i := bytes.IndexByte(k, 0)
		nk := pairKey(string(k[:i]), moved[string(k[i+1:])])
		if pairs.Get(nk) == nil {
			if err := pairs.Put(nk, bytes.Clone(pairs.Get(k))); err != nil {
				return err
			}
		}
		if err := pairs.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// moveAlertsTx points the alerts raised for old results at their new ids (what was said then — title,
// score, reasons — stays as it was).
func moveAlertsTx(tx *bolt.Tx, moved map[string]string) error {
	var changed []*Alert
	err := tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error {
		var a Alert
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("cảnh báo %q hỏng trong kho: %w", k, err)
		}
		if to, ok := moved[a.Result]; ok {
			a.Result = to
			changed = append(changed, &a)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, a := range changed {
		if err := putAlert(tx, a); err != nil {
			return err
		}
	}
	return nil
}
