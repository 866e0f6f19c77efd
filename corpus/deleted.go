package corpus

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Records staff deleted. An import of records (a record file, a harvested page) writes by id, so without
// this rule the next import of a file or harvest of a repository that still holds the record would bring
// it back, silently undoing a deliberate deletion. The id is what staff deleted: a record sent again stays
// deleted even when its content changed since, unless restoring is asked for. A tombstone its source made
// (Entry.Withdrawn: a repository reported the record deleted, its file changed or is gone) is no such
// decision.

// KeptDeletedMessage says why an imported or harvested record with id was not stored.
func KeptDeletedMessage(id string) string {
	return fmt.Sprintf("bản ghi %s đã bị xoá; nhập hay thu thập lại không đưa nó trở lại, kể cả khi nội dung đã đổi (--restore-deleted để khôi phục)", id)
}

// Import is PutFrom for an import: a record staff deleted stays deleted, unless restore, and is counted
// in KeptDeleted; kept lists those ids, in the order of recs. The decision and the writes are one
// transaction.
func (s *Store) Import(recs []Record, source, original string, restore bool) (st PutStats, kept []string, err error) {
	now := time.Now().UTC()
	err = s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		seq := getSeq(meta)
		var err error
		if kept, err = importTx(tx, recs, source, original, restore, now, &seq, &st); err != nil {
			return err
		}
		return meta.Put(keySeq, seqKey(seq))
	})
	if err != nil {
		return PutStats{}, nil, fmt.Errorf("ghi kho dữ liệu: %w", err)
	}
	return st, kept, nil
}

// importTx stores recs inside tx, leaving the records staff deleted deleted unless restore; it returns
// their ids.
func importTx(tx *bolt.Tx, recs []Record, source, original string, restore bool, now time.Time, seq *uint64, st *PutStats) ([]string, error) {
	var kept []string
	for _, rec := range recs {
		if !restore {
			deleted, err := staffDeletedTx(tx, rec.RecordID())
			if err != nil {
				return nil, err
			}
			if deleted {
				st.KeptDeleted++
				kept = append(kept, rec.RecordID())
				continue
			}
		}
		if err := putRecordTx(tx, rec, source, original, now, seq, st); err != nil {
			return nil, err
		}
	}
	return kept, nil
}

// staffDeletedTx reports whether id is a record staff deleted (a tombstone its source did not make).
func staffDeletedTx(tx *bolt.Tx, id string) (bool, error) {
	raw := tx.Bucket(bucketRecords).Get([]byte(id))
	if raw == nil {
		return false, nil
	}
	_, deleted, err := tombstoneOf(raw)
	if err != nil {
		return false, fmt.Errorf("bản ghi %s hỏng trong kho: %w", id, err)
	}
	return deleted, nil
}
