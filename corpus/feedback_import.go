package corpus

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// FeedbackRowError is one decision an import could not take: its row (or line) in the file and why.
type FeedbackRowError struct {
	Row int
	Err error
}

func (e *FeedbackRowError) Error() string { return fmt.Sprintf("dòng %d: %v", e.Row, e.Err) }

// ImportFeedback stores decisions exported from another data directory (`ketnoi export --kind feedback`)
// as they were made: their time, who made them, the score they saw; oldest first, so each pair's history
// keeps its order and the needs' states follow the decisions as they did there. rows[i] is decision i's
// row in the file, for errors. A decision already stored (same pair, time and decision) is skipped, so an
// import can be run again; a bad one is reported and skipped; the rest go in one transaction.
func (s *Store) ImportFeedback(fs []Feedback, rows []int) (added int, bad []FeedbackRowError, err error) {
	order := make([]int, len(fs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(fs[a].Time.Compare(fs[b].Time), cmp.Compare(fs[a].Seq, fs[b].Seq))
	})
	err = s.db.Update(func(tx *bolt.Tx) error {
		for _, i := range order {
			f := fs[i]
			if ferr := f.normalize(); ferr != nil {
				bad = append(bad, FeedbackRowError{rows[i], ferr})
				continue
			}
			if f.Time.IsZero() {
				bad = append(bad, FeedbackRowError{rows[i], fmt.Errorf("thiếu thời điểm quyết định (time)")})
				continue
			}
			f.Time, f.Superseded = f.Time.UTC(), false
			// A decision exported before its report was replaced is looked for, and stored, on the new version.
			if err := followReplacedTx(tx, &f); err != nil {
				return err
			}
			if dup, err := storedTx(tx, &f); err != nil {
				return err
			} else if dup {
				continue
			}
			if _, err := putFeedbackTx(tx, &f); err != nil {
				if _, ok := err.(*FeedbackError); ok {
					bad = append(bad, FeedbackRowError{rows[i], err})
					continue
				}
				return err
			}
			added++
		}
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("nhập quyết định ghép nối: %w", err)
	}
	return added, bad, nil
}

// storedTx says whether the pair already has a decision made at f's time with f's decision.
func storedTx(tx *bolt.Tx, f *Feedback) (bool, error) {
	b := tx.Bucket(bucketFeedback)
	if b == nil {
		return false, nil
	}
	pair := feedbackPrefix(f.NeedID, f.ResultID)
	c := b.Cursor()
	for k, v := c.Seek(pair); k != nil && bytes.HasPrefix(k, pair); k, v = c.Next() {
		var old Feedback
		if err := json.Unmarshal(v, &old); err != nil {
			return false, fmt.Errorf("quyết định %q hỏng trong kho: %w", k, err)
		}
		if old.Time.Equal(f.Time) && old.Decision == f.Decision {
			return true, nil
		}
	}
	return false, nil
}
