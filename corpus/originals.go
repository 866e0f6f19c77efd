package corpus

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Originals are the files records came from, kept content-addressed (SHA-256) under originals/ in the data
// directory, so that whatever was imported can be read again, re-extracted or backed up, and the same file
// under two names is stored once.

// PutOriginal copies r into the store under its SHA-256 and returns the hash. The file is written aside,
// fsynced and renamed into place, so a crash never leaves a partial original under a valid name.
func (s *Store) PutOriginal(r io.Reader) (string, error) { return s.putOriginal(r, true) }

// PutOriginalLazy is PutOriginal without its fsyncs, for batches: SyncOriginals must run before anything
// naming the hash is committed. One filesystem sync per batch instead of two fsyncs per file.
func (s *Store) PutOriginalLazy(r io.Reader) (string, error) { return s.putOriginal(r, false) }

func (s *Store) putOriginal(r io.Reader, durable bool) (string, error) {
	dir := filepath.Join(s.dir, "originals")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("tạo thư mục tệp gốc: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("lưu tệp gốc: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), r)
	if err != nil {
		tmp.Close()
		return "", fmt.Errorf("lưu tệp gốc: %w", err)
	}
	if durable {
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return "", fmt.Errorf("lưu tệp gốc: %w", err)
		}
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("lưu tệp gốc: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	final := s.OriginalPath(sum)
	// Already kept, unless what is there is cut short: a lazy copy renamed into place but never synced
	// (see SyncOriginals) may be empty or partial after a power loss, and must not stay under its name.
	if st, err := os.Stat(final); err == nil && st.Size() == n {
		return sum, nil
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return "", fmt.Errorf("lưu tệp gốc: %w", err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", fmt.Errorf("lưu tệp gốc: %w", err)
	}
	if !durable {
		return sum, nil
	}
	if d, err := os.Open(filepath.Dir(final)); err == nil {
		d.Sync()
		d.Close()
	}
	return sum, nil
}

// OriginalPath is where the original with this SHA-256 lives (it may not exist).
func (s *Store) OriginalPath(sha string) string {
	if len(sha) < 2 {
		return filepath.Join(s.dir, "originals", "invalid")
	}
	return filepath.Join(s.dir, "originals", sha[:2], sha)
}

// OpenOriginal opens a kept original by its SHA-256.
func (s *Store) OpenOriginal(sha string) (*os.File, error) {
	if _, err := hex.DecodeString(sha); err != nil || len(sha) != 64 {
		return nil, errors.New("mã băm tệp gốc không hợp lệ")
	}
	return os.Open(s.OriginalPath(sha))
}

// PurgeOriginals removes the kept originals of the given hashes that no live record was read from. It
// returns the hashes removed.
func (s *Store) PurgeOriginals(shas []string) ([]string, error) {
	inUse := map[string]bool{}
	if err := s.Each(func(e *Entry) error {
		if e.Original != "" {
			inUse[e.Original] = true
		}
		return nil
	}); err != nil {
		return nil, err
	}
	var removed []string
	for _, sha := range shas {
		if sha == "" || inUse[sha] {
			continue
		}
		err := os.Remove(s.OriginalPath(sha))
		if err == nil {
			removed = append(removed, sha)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("xoá tệp gốc %s: %w", sha, err)
		}
	}
	return removed, nil
}

// Deleted reports whether id is a record staff deleted (a tombstone, not one its source made: see
// Entry.Withdrawn), and the original file its last version was read from. A live or unknown id is not
// deleted. Only the start of a live entry is read: its record,
// which may hold a report's whole text, is not decoded (indexing runs ask this of every unchanged file).
func (s *Store) Deleted(id string) (original string, deleted bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketRecords).Get([]byte(id))
		if raw == nil {
			return nil
		}
		original, deleted, err = tombstoneOf(raw)
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("đọc bản ghi %s: %w", id, err)
	}
	return original, deleted, nil
}

// tombstoneOf reads a stored entry key by key and stops at its record: a tombstone has none (deleteTx
// drops it), so an entry with one is live. A tombstone its source made (withdrawn) is not staff's deletion.
func tombstoneOf(raw []byte) (original string, deleted bool, err error) {
	withdrawn := false
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return "", false, err
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return "", false, err
		}
		var v any
		switch k {
		case "record":
			return "", false, nil
		case "deleted":
			v = &deleted
		case "withdrawn":
			v = &withdrawn
		case "original":
			v = &original
		default:
			v = &json.RawMessage{}
		}
		if err := dec.Decode(v); err != nil {
			return "", false, err
		}
	}
	if deleted = deleted && !withdrawn; !deleted {
		original = ""
	}
	return original, deleted, nil
}

// Tombstone returns the entry of a record, deleted or not (a deleted one keeps its id and original).
func (s *Store) Tombstone(id string) (*Entry, error) {
	var e *Entry
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketRecords).Get([]byte(id))
		if raw == nil {
			return ErrNotFound
		}
		e = &Entry{}
		return json.Unmarshal(raw, e)
	})
	return e, err
}
