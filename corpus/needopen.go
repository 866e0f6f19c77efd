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
		return needStatusesTx(tx, ids, func(id string, st *NeedStatus) {
			if !NeedOpen(st.Effective(now)) {
				closed = append(closed, id)
				return
			}
			if st.Need == nil {
				return
			}
			if end, ok := DeadlineEnd(st.Need.Deadline); ok && (until.IsZero() || end.Before(until)) {
				until = end
			}
		})
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("đọc trạng thái các nhu cầu: %w", err)
	}
	return closed, until, nil
}

// NeedStatesOf is the effective state now (NeedStatus.Effective) of each of ids that is a live need record,
// read in one transaction: what a list of needs shown to brokers labels or leaves out. Other ids are not in
// the map.
func (s *Store) NeedStatesOf(ids []string, now time.Time) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	err := s.db.View(func(tx *bolt.Tx) error {
		return needStatusesTx(tx, ids, func(id string, st *NeedStatus) { out[id] = st.Effective(now) })
	})
	if err != nil {
		return nil, fmt.Errorf("đọc trạng thái các nhu cầu: %w", err)
	}
	return out, nil
}

// needStatusesTx calls fn with the status of each of ids that is a need the store knows, in order, and
// skips the other ids.
func needStatusesTx(tx *bolt.Tx, ids []string, fn func(id string, st *NeedStatus)) error {
	for _, id := range ids {
		st, err := needStatusTx(tx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		fn(id, st)
	}
	return nil
}
