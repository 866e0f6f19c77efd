package corpus

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ClosedNeeds tells which of ids are need records no longer sought now (closed, expired: not NeedOpen),
// read in one transaction: what a public list of needs leaves out. Until is when the answer next changes
// with no write to the store, the earliest deadline still to pass among the others (zero when none has
// one). An id that is no live need record is neither: a list found it in the index, which soon follows.
func (s *Store) ClosedNeeds(ids []string, now time.Time) (closed []string, until time.Time, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		for _, id := range ids {
			st, err := needStatusTx(tx, id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if !NeedOpen(st.Effective(now)) {
				closed = append(closed, id)
				continue
			}
			if st.Need == nil {
				continue
			}
			if end, ok := DeadlineEnd(st.Need.Deadline); ok && (until.IsZero() || end.Before(until)) {
				until = end
			}
		}
		return nil
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("đọc trạng thái các nhu cầu: %w", err)
	}
	return closed, until, nil
}
