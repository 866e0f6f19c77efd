package corpus

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketHarvest remembers, per harvested OAI-PMH source, where the last harvest ended and the state of one
// in progress: key (HarvestKey) → HarvestState JSON. A page of harvested records and the state that follows
// it are written in one transaction, so a harvest killed at any moment resumes from the page after the last
// one stored, never skipping one.
var bucketHarvest = []byte("harvest")

// HarvestState is what the store keeps of harvesting one source (one base URL, set and metadata format).
type HarvestState struct {
	BaseURL string `json:"base_url"`
	Set     string `json:"set,omitempty"`
	Prefix  string `json:"prefix"`
	// Last is the responseDate of the first response of the last complete harvest: the next one asks for
	// the records changed from then on.
	Last string `json:"last,omitempty"`
	// A harvest in progress: the resumption token of its next page (empty: none in progress), when that
	// token expires, the from argument it started with, and the responseDate of its first response.
	Token        string    `json:"token,omitempty"`
	TokenExpires time.Time `json:"token_expires,omitzero"`
	RunFrom      string    `json:"run_from,omitempty"`
	RunStarted   string    `json:"run_started,omitempty"`
	// Pending are full-text files of records already stored whose download and indexing had not finished.
	Pending []HarvestFile `json:"pending,omitempty"`
	Updated time.Time     `json:"updated"`
}

// HarvestFile is a full-text file a harvested record links.
type HarvestFile struct {
	ID   string   `json:"id"`   // the local record
	URLs []string `json:"urls"` // candidates, best first
}

// HarvestKey names a source's state: base URL, set and metadata format.
func HarvestKey(baseURL, set, prefix string) string { return baseURL + "\x00" + set + "\x00" + prefix }

// HarvestState returns the state of a source; found is false when it was never harvested.
func (s *Store) HarvestState(key string) (st HarvestState, found bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHarvest)
		if b == nil {
			return nil
		}
		raw := b.Get([]byte(key))
		if raw == nil {
			return nil
		}
		found = true
		return json.Unmarshal(raw, &st)
	})
	if err != nil {
		return HarvestState{}, false, fmt.Errorf("đọc trạng thái thu thập: %w", err)
	}
	return st, found, nil
}

// HarvestStates calls fn for the state of every source, in key order.
func (s *Store) HarvestStates(fn func(HarvestState) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHarvest)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var st HarvestState
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("trạng thái thu thập %q hỏng: %w", k, err)
			}
			return fn(st)
		})
	})
}

// HarvestPage is one page of a harvest to store: records to add or update, ids to delete.
type HarvestPage struct {
	Put    []Record
	Delete []string
	Source string // added to the records' sources
	// Restore writes the records staff deleted here over their tombstones; without it they stay deleted
	// (see Import) and their full-text files are dropped from the state's Pending.
	Restore bool
}

// HarvestStored is what storing a page did.
type HarvestStored struct {
	PutStats
	Deleted int      // live records deleted because the repository reported them deleted
	Kept    []string // ids of records staff deleted here that the page sent again: left deleted
}

// PutHarvest stores a page of harvested records and deletions together with the source's next state, in
// one transaction. Deleting an id that has no live record is not an error (it was never harvested here, or
// is gone already); the repository's deletions are tombstones of their source (Entry.Withdrawn), so the
// record comes back if the repository sends it again. st is the state stored: its Pending loses the files
// of the records left deleted.
func (s *Store) PutHarvest(key string, page HarvestPage, st *HarvestState) (HarvestStored, error) {
	var done HarvestStored
	now := time.Now().UTC()
	st.Updated = now
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		seq := getSeq(meta)
		var err error
		if done.Kept, err = importTx(tx, page.Put, page.Source, "", page.Restore, now, &seq, &done.PutStats); err != nil {
			return err
		}
		st.Pending = slices.DeleteFunc(st.Pending, func(f HarvestFile) bool { return slices.Contains(done.Kept, f.ID) })
		for _, id := range page.Delete {
			ok, err := deleteTx(tx, id, now, &seq, true)
			if err != nil {
				return err
			}
			if ok {
				done.Deleted++
			}
		}
		if err := meta.Put(keySeq, seqKey(seq)); err != nil {
			return err
		}
		raw, err := json.Marshal(st)
		if err != nil {
			return err
		}
		b, err := tx.CreateBucketIfNotExists(bucketHarvest)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), raw)
	})
	if err != nil {
		return HarvestStored{}, fmt.Errorf("ghi trang thu thập vào kho: %w", err)
	}
	return done, nil
}

// SetHarvestState replaces the state of a source.
func (s *Store) SetHarvestState(key string, st HarvestState) error {
	_, err := s.PutHarvest(key, HarvestPage{}, &st)
	return err
}
