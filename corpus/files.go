package corpus

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketFiles remembers every file an indexing run looked at: path → FileState. It is what makes a run
// incremental (a file whose size and modification time did not change is not read again) and resumable
// (a file's state is written in the same transaction as the record extracted from it, so after a kill the
// next run skips exactly the files that were finished).
var bucketFiles = []byte("files")

// Outcomes of a file.
const (
	FileIndexed = "indexed" // a record was made from it (or it was the same content as another file)
	FileFailed  = "failed"  // no text came out: Reason says why
	FileRecords = "records" // a JSON/JSONL/CSV file of records
)

// FileState is what the store knows of one file.
type FileState struct {
	Path    string `json:"path"`
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime"` // Unix nanoseconds
	// Sidecar is the modification time of the file's sidecar record (0: none): editing it re-reads the file.
	Sidecar int64 `json:"sidecar,omitempty"`
	// DocID is the record made from the file (several files with one content share it). For a failed file,
	// the one its last readable version made, which stays until a readable version replaces it.
	DocID   string `json:"doc_id,omitempty"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// NeedsOCR: pages without text were kept without OCR; a run with OCR available reads the file again.
	NeedsOCR bool `json:"needs_ocr,omitempty"`
	// Version is the extraction version that produced this state: a newer one reads failed files again.
	Version int       `json:"version,omitempty"`
	At      time.Time `json:"at"`
	// From is the file read, when the state is kept under another key than its path (an upload's label).
	From string `json:"from,omitempty"`
	// Reported is what the run that wrote the state reported for the file (added, updated, same): written in
	// the same transaction, so that an upload job stopped before it recorded its outcome reports it when it
	// runs again, rather than what it finds then (its own document).
	Reported string `json:"reported,omitempty"`
	// Warnings are the warnings that run reported for the file, kept with Reported for the same reason.
	Warnings []string `json:"warnings,omitempty"`
}

// Unchanged reports whether the file on disk (size, modification time) is the one this state describes.
func (f *FileState) Unchanged(size int64, mtime time.Time) bool {
	return f.Size == size && f.ModTime == mtime.UnixNano()
}

// FileState returns the state of path.
func (s *Store) FileState(path string) (FileState, bool, error) {
	var st FileState
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketFiles).Get([]byte(path))
		if raw == nil {
			return nil
		}
		found = true
		return json.Unmarshal(raw, &st)
	})
	if err != nil {
		return FileState{}, false, fmt.Errorf("đọc trạng thái tệp %s: %w", path, err)
	}
	return st, found, nil
}

// FileStates calls fn for every file state, in path order.
func (s *Store) FileStates(fn func(FileState) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFiles).ForEach(func(k, v []byte) error {
			var st FileState
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("trạng thái tệp %s hỏng: %w", k, err)
			}
			return fn(st)
		})
	})
}

// FileChange is one file's outcome with the record made from it, if any.
type FileChange struct {
	State    FileState
	Record   Record // nil for a failed file or one whose content another file already gave
	Original string // SHA-256 of the kept original
	// Previous is the document the file gave before (its content changed): the file's path leaves it,
	// and a document left without any path is deleted.
	Previous string
}

// PutFiles stores records and the states of the files they came from in one transaction: a record is
// never on disk without its file's state, nor a state without its record. A file's new version that
// leaves its previous document without a file replaces it: see carryOverTx.
func (s *Store) PutFiles(changes []FileChange) (PutStats, error) {
	var st PutStats
	now := time.Now().UTC()
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta, files := tx.Bucket(bucketMeta), tx.Bucket(bucketFiles)
		seq := getSeq(meta)
		moved := map[string]string{} // old document → the new version that replaced it
		for _, c := range changes {
			if c.Record != nil {
				if err := putRecordTx(tx, c.Record, c.State.Path, c.Original, now, &seq, &st); err != nil {
					return err
				}
			}
			if c.Previous != "" && c.Previous != c.State.DocID {
				gone, err := leaveTx(tx, c.Previous, c.State.Path, now, &seq)
				if err != nil {
					return err
				}
				if gone && c.State.DocID != "" {
					moved[c.Previous] = c.State.DocID
				}
			}
			c.State.At = now
			b, err := json.Marshal(c.State)
			if err != nil {
				return err
			}
			if err := files.Put([]byte(c.State.Path), b); err != nil {
				return err
			}
		}
		if err := carryOverTx(tx, moved, now); err != nil {
			return err
		}
		return meta.Put(keySeq, seqKey(seq))
	})
	if err != nil {
		return PutStats{}, fmt.Errorf("ghi kho dữ liệu: %w", err)
	}
	return st, nil
}

// ForgetFiles removes file states (files gone from disk; see the indexer's prune).
func (s *Store) ForgetFiles(paths []string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFiles)
		for _, p := range paths {
			if err := b.Delete([]byte(p)); err != nil {
				return err
			}
		}
		return nil
	})
}

// ForgetGoneFiles forgets files gone from disk, in one transaction: each path leaves the sources of the
// document it gave (a document left without a source is deleted, see leaveTx) and its state goes. It
// returns the ids deleted.
func (s *Store) ForgetGoneFiles(paths []string) ([]string, error) {
	var deleted []string
	err := s.db.Update(func(tx *bolt.Tx) (err error) {
		deleted, err = forgetGoneTx(tx, paths)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ghi kho dữ liệu: %w", err)
	}
	return deleted, nil
}

// errDryRun rolls back a transaction that only counted what it would do.
var errDryRun = errors.New("chạy thử, không ghi")

// GoneFilesWouldDelete returns the ids ForgetGoneFiles(paths) would delete, changing nothing: the same
// transaction, rolled back.
func (s *Store) GoneFilesWouldDelete(paths []string) ([]string, error) {
	var deleted []string
	err := s.db.Update(func(tx *bolt.Tx) (err error) {
		if deleted, err = forgetGoneTx(tx, paths); err != nil {
			return err
		}
		return errDryRun
	})
	if !errors.Is(err, errDryRun) {
		return nil, fmt.Errorf("đọc kho dữ liệu: %w", err)
	}
	return deleted, nil
}

func forgetGoneTx(tx *bolt.Tx, paths []string) ([]string, error) {
	var deleted []string
	now := time.Now().UTC()
	meta, files := tx.Bucket(bucketMeta), tx.Bucket(bucketFiles)
	seq := getSeq(meta)
	for _, p := range paths {
		var st FileState
		if raw := files.Get([]byte(p)); raw != nil && json.Unmarshal(raw, &st) == nil && st.DocID != "" {
			gone, err := leaveTx(tx, st.DocID, p, now, &seq)
			if err != nil {
				return nil, err
			}
			if gone {
				deleted = append(deleted, st.DocID)
			}
		}
		if err := files.Delete([]byte(p)); err != nil {
			return nil, err
		}
	}
	return deleted, meta.Put(keySeq, seqKey(seq))
}

// leaveTx takes path out of a document's sources; a document with no source left is deleted (and
// true returned). A staff edit ("api") is not a source that keeps a document alive: the document
// still comes from files, and the edits go on to the file's new version (see the indexer). That deletion
// is its source's (Entry.Withdrawn), not staff's: a file changed back to this content, or put back after
// --prune, brings the document back rather than being held as a document staff deleted.
func leaveTx(tx *bolt.Tx, id, path string, now time.Time, seq *uint64) (bool, error) {
	records := tx.Bucket(bucketRecords)
	raw := records.Get([]byte(id))
	if raw == nil {
		return false, nil
	}
	var e Entry
	if err := json.Unmarshal(raw, &e); err != nil || e.Deleted {
		return false, err
	}
	n := len(e.Sources)
	e.Sources = slices.DeleteFunc(e.Sources, func(s string) bool { return s == path })
	if len(e.Sources) == n {
		return false, nil // the path never gave this document
	}
	if !slices.ContainsFunc(e.Sources, func(s string) bool { return s != "api" }) {
		return deleteTx(tx, id, now, seq, true)
	}
	return false, putEntry(records, &e)
}
