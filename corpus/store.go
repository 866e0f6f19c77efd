package corpus

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Store is the system of record under a data directory: every record with its history position (a sequence
// number that grows with each change), the files it came from, and tombstones for deleted records. The
// search index is derived from it and catches up by replaying changes above its own applied sequence number,
// so a crash between the two loses nothing.
//
// One process at a time holds a data directory: Open fails with ErrLocked while another process has it open.
// The lock is an OS file lock, released when its process dies, so a killed process never blocks the next run.
type Store struct {
	dir string
	db  *bolt.DB
}

// ErrLocked means another process holds the data directory.
var ErrLocked = errors.New("data directory in use")

// ErrNotFound means no live record has the id.
var ErrNotFound = errors.New("record not found")

var (
	bucketRecords = []byte("records") // id → Entry JSON
	bucketSeq     = []byte("seq")     // seq (8 bytes, big endian) → id: the latest change of each id
	bucketMeta    = []byte("meta")
	keySeq        = []byte("seq")
	keySeeded     = []byte("seeded")
)

// LockedError says which process holds the data directory.
type LockedError struct {
	Dir string
	PID int // 0 when unknown
}

func (e *LockedError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("thư mục dữ liệu %s đang được tiến trình %d (ketnoi) sử dụng", e.Dir, e.PID)
	}
	return fmt.Sprintf("thư mục dữ liệu %s đang được một tiến trình ketnoi khác sử dụng", e.Dir)
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// Open opens (creating if needed) the store in dir.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tạo thư mục dữ liệu %s: %w", dir, err)
	}
	path := filepath.Join(dir, "store.db")
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: 300 * time.Millisecond})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, &LockedError{Dir: dir, PID: readPID(dir)}
		}
		return nil, fmt.Errorf("mở kho dữ liệu %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range append([][]byte{bucketRecords, bucketSeq, bucketMeta, bucketFiles, bucketIntake, bucketFollow}, alertBuckets...) {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("khởi tạo kho dữ liệu %s: %w", path, err)
	}
	// The pid file only names the holder in messages; the lock itself is the database's.
	_ = writeFileAtomic(filepath.Join(dir, "ketnoi.pid"), []byte(strconv.Itoa(os.Getpid())+"\n"))
	return &Store{dir: dir, db: db}, nil
}

func readPID(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "ketnoi.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid > 0 && syscall.Kill(pid, 0) != nil {
		return 0
	}
	return pid
}

// Dir is the data directory.
func (s *Store) Dir() string { return s.dir }

// Close closes the store.
func (s *Store) Close() error {
	os.Remove(filepath.Join(s.dir, "ketnoi.pid"))
	return s.db.Close()
}

// Entry is a stored record with its bookkeeping.
type Entry struct {
	ID       string          `json:"id"`
	Kind     string          `json:"kind"`
	Record   json.RawMessage `json:"record,omitempty"`
	Seq      uint64          `json:"seq"`
	Created  time.Time       `json:"created"`
	Modified time.Time       `json:"modified"`
	Deleted  bool            `json:"deleted,omitempty"`
	// Withdrawn marks a tombstone its source made, not staff: an OAI-PMH repository reported the record
	// deleted, or its file changed or is gone. The record comes back when the source sends it again.
	Withdrawn bool `json:"withdrawn,omitempty"`
	// Sources are where the record came from: file paths, "sample", "api".
	Sources []string `json:"sources,omitempty"`
	// Original is the SHA-256 of the kept original file (see PutOriginal) this version was read from.
	Original string `json:"original,omitempty"`
}

// Decode returns the entry's record.
func (e *Entry) Decode() (Record, error) {
	if e.Kind != KindResult && e.Kind != KindNeed {
		return nil, fmt.Errorf("bản ghi %s: loại %q không hợp lệ", e.ID, e.Kind)
	}
	// Stored records were validated and normalised when they went in: only parse them back.
	rec, err := parseRecord(e.Kind, e.Record)
	if err != nil {
		return nil, fmt.Errorf("bản ghi %s hỏng trong kho: %w", e.ID, err)
	}
	return rec, nil
}

// PutStats counts what a Put did.
type PutStats struct {
	Added, Updated, Unchanged int
	// KeptDeleted counts records staff deleted that an import sent again: they stay deleted (see Import).
	KeptDeleted int
}

// Put stores records in one transaction: on disk when it returns. A record whose content is unchanged keeps
// its sequence number (re-importing a file changes nothing); source is added to each record's sources.
func (s *Store) Put(recs []Record, source string) (PutStats, error) {
	return s.PutFrom(recs, source, "")
}

// PutFrom is Put for records read from a kept original file (its SHA-256), which each new or changed
// record remembers. Like Put it writes over deleted records too; imports use Import, which does not.
func (s *Store) PutFrom(recs []Record, source, original string) (PutStats, error) {
	st, _, err := s.Import(recs, source, original, true)
	return st, err
}

// putRecordTx stores one record inside tx, advancing seq when its content changed.
func putRecordTx(tx *bolt.Tx, rec Record, source, original string, now time.Time, seq *uint64, st *PutStats) error {
	records, seqs := tx.Bucket(bucketRecords), tx.Bucket(bucketSeq)
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("mã hóa bản ghi %s: %w", rec.RecordID(), err)
	}
	id := rec.RecordID()
	var old Entry
	exists := false
	if raw := records.Get([]byte(id)); raw != nil {
		if err := json.Unmarshal(raw, &old); err != nil {
			return fmt.Errorf("bản ghi %s hỏng trong kho: %w", id, err)
		}
		exists = true
	}
	e := Entry{ID: id, Kind: rec.RecordKind(), Record: body, Created: now, Modified: now, Original: original}
	if exists && !old.Deleted {
		e.Created = old.Created
		e.Sources = old.Sources
		if e.Original == "" {
			e.Original = old.Original // an edit by hand keeps the file the record came from
		}
		if old.Kind == e.Kind && bytes.Equal(old.Record, body) {
			st.Unchanged++
			if source == "" || slices.Contains(old.Sources, source) {
				return nil
			}
			// Same content from one more place: remember the place, the index needs nothing.
			old.Sources = append(old.Sources, source)
			return putEntry(records, &old)
		}
		st.Updated++
	} else {
		st.Added++
	}
	if source != "" && !slices.Contains(e.Sources, source) {
		e.Sources = append(e.Sources, source)
	}
	if exists {
		if err := seqs.Delete(seqKey(old.Seq)); err != nil {
			return err
		}
	}
	*seq++
	e.Seq = *seq
	if err := putEntry(records, &e); err != nil {
		return err
	}
	return seqs.Put(seqKey(*seq), []byte(id))
}

// Delete marks records deleted (a tombstone keeps the id's place in the change history so the index drops
// it too). Unknown ids are reported with ErrNotFound after the others are deleted.
func (s *Store) Delete(ids []string) error {
	var missing []string
	now := time.Now().UTC()
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		seq := getSeq(meta)
		for _, id := range ids {
			ok, err := deleteTx(tx, id, now, &seq, false)
			if err != nil {
				return err
			}
			if !ok {
				missing = append(missing, id)
			}
		}
		return meta.Put(keySeq, seqKey(seq))
	})
	if err != nil {
		return fmt.Errorf("xóa bản ghi: %w", err)
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s", ErrNotFound, strings.Join(missing, ", "))
	}
	return nil
}

// deleteTx tombstones a live record inside tx; false when there is none. withdrawn: its source deleted it,
// not staff. Staff deleting a record its source deleted makes that deletion staff's.
func deleteTx(tx *bolt.Tx, id string, now time.Time, seq *uint64, withdrawn bool) (bool, error) {
	records, seqs := tx.Bucket(bucketRecords), tx.Bucket(bucketSeq)
	raw := records.Get([]byte(id))
	var e Entry
	if raw == nil || json.Unmarshal(raw, &e) != nil {
		return false, nil
	}
	if e.Deleted {
		if withdrawn || !e.Withdrawn {
			return false, nil
		}
		// Staff deleting what its source already took away (its file changed or is gone, its repository
		// withdrew it): the tombstone becomes staff's, so the record stays deleted when the source gives
		// it again. The index has dropped it already.
		e.Withdrawn, e.Modified = false, now
		return true, putEntry(records, &e)
	}
	if err := seqs.Delete(seqKey(e.Seq)); err != nil {
		return false, err
	}
	*seq++
	e.Seq, e.Deleted, e.Withdrawn, e.Modified, e.Record = *seq, true, withdrawn, now, nil
	if err := putEntry(records, &e); err != nil {
		return false, err
	}
	if e.Kind == KindNeed {
		if err := closeDeletedNeedTx(tx, id, now); err != nil {
			return false, err
		}
	}
	return true, seqs.Put(seqKey(*seq), []byte(id))
}

// Get returns the live record with the id, or ErrNotFound.
func (s *Store) Get(id string) (*Entry, error) {
	var e *Entry
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		e, err = getEntry(tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("đọc bản ghi %s: %w", id, err)
	}
	if e == nil || e.Deleted {
		return nil, ErrNotFound
	}
	return e, nil
}

// Record returns the live record with the id, decoded, or ErrNotFound. (The store is the matcher's
// source of records.)
func (s *Store) Record(id string) (Record, error) {
	e, err := s.Get(id)
	if err != nil {
		return nil, err
	}
	return e.Decode()
}

// Seq is the sequence number of the latest change.
func (s *Store) Seq() (uint64, error) {
	var seq uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		seq = getSeq(tx.Bucket(bucketMeta))
		return nil
	})
	return seq, err
}

// Version identifies the store's content: it changes with every write of any kind (records, need states,
// decisions, alerts), being the last committed transaction's id. For caches of figures over the whole store.
func (s *Store) Version() (uint64, error) {
	var v uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		v = uint64(tx.ID())
		return nil
	})
	return v, err
}

// Changes calls fn, in sequence order, for the latest change of every id changed after seq (live records
// and tombstones), at most limit entries (0: all). It returns the highest sequence number visited.
func (s *Store) Changes(after uint64, limit int, fn func(*Entry) error) (uint64, error) {
	last := after
	err := s.db.View(func(tx *bolt.Tx) error {
		records := tx.Bucket(bucketRecords)
		c := tx.Bucket(bucketSeq).Cursor()
		n := 0
		for k, id := c.Seek(seqKey(after + 1)); k != nil; k, id = c.Next() {
			if limit > 0 && n >= limit {
				break
			}
			e, err := changedEntry(records, id)
			if err != nil {
				return err
			}
			if err := fn(e); err != nil {
				return err
			}
			last = binary.BigEndian.Uint64(k)
			n++
		}
		return nil
	})
	return last, err
}

// Latest calls fn for the live records of kind, the most recently changed first, until fn has had n of
// them: the newest records are found without reading all the others (a feed of a large corpus).
func (s *Store) Latest(kind string, n int, fn func(*Entry) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		records := tx.Bucket(bucketRecords)
		c := tx.Bucket(bucketSeq).Cursor()
		for k, id := c.Last(); k != nil && n > 0; k, id = c.Prev() {
			e, err := changedEntry(records, id)
			if err != nil {
				return err
			}
			if e.Deleted || e.Kind != kind {
				continue
			}
			if err := fn(e); err != nil {
				return err
			}
			n--
		}
		return nil
	})
}

// changedEntry reads the entry the change history points to.
func changedEntry(records *bolt.Bucket, id []byte) (*Entry, error) {
	raw := records.Get(id)
	if raw == nil {
		return nil, fmt.Errorf("chỉ mục thay đổi trỏ tới bản ghi không tồn tại %q", id)
	}
	var e Entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("bản ghi %s hỏng trong kho: %w", id, err)
	}
	return &e, nil
}

// Each calls fn for every live record, in id order.
func (s *Store) Each(fn func(*Entry) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRecords).ForEach(func(k, v []byte) error {
			var e Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("bản ghi %s hỏng trong kho: %w", k, err)
			}
			if e.Deleted {
				return nil
			}
			return fn(&e)
		})
	})
}

// Counts returns the number of live records by kind.
func (s *Store) Counts() (map[string]int, error) {
	out := map[string]int{}
	err := s.Each(func(e *Entry) error {
		out[e.Kind]++
		return nil
	})
	return out, err
}

// Seeded reports whether the data directory was ever given its first content (the sample corpus or a first
// import); a store emptied on purpose is not seeded again.
func (s *Store) Seeded() (bool, error) {
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucketMeta).Get(keySeeded) != nil || getSeq(tx.Bucket(bucketMeta)) > 0
		return nil
	})
	return ok, err
}

// MarkSeeded records that the data directory has had its first content.
func (s *Store) MarkSeeded(how string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySeeded, []byte(how))
	})
}

func putEntry(b *bolt.Bucket, e *Entry) error {
	raw, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return b.Put([]byte(e.ID), raw)
}

func getSeq(meta *bolt.Bucket) uint64 { return getUint(meta, keySeq) }

func seqKey(n uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], n)
	return k[:]
}

// writeFileAtomic writes a file so that a crash leaves either the old or the new content: temp file in the
// same directory, fsync, rename, fsync of the directory.
func writeFileAtomic(path string, data []byte) error {
	return WriteAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFileAtomic is writeFileAtomic for other packages.
func WriteFileAtomic(path string, data []byte) error { return writeFileAtomic(path, data) }

// WriteAtomic is WriteFileAtomic for content written as it is produced (an export of the whole corpus),
// so that it never has to be held in memory. produce failing leaves path as it was.
func WriteAtomic(path string, produce func(io.Writer) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	if err := produce(bw); err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
