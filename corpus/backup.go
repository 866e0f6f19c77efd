package corpus

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A backup is a gzip-compressed tar archive of what cannot be rebuilt: the store (store.db, copied inside
// one read transaction, so it is a consistent snapshot even while a server writes), the kept originals the
// snapshot names, keys.json and users.json, and last a MANIFEST.json with the SHA-256 of every other member. The search
// index is not in it: it is derived from the store, and a restore rebuilds it.
//
// The manifest comes last because the members are hashed while they are streamed; a reader therefore
// keeps every member aside until the manifest has vouched for it (see Restore).

// BackupFormat is the version of the archive layout; Restore refuses other versions.
const BackupFormat = 1

// Names of the archive members (originals are "originals/ab/abcd…", as in the data directory).
const (
	backupStore    = "store.db"
	backupKeys     = keysFile
	backupUsers    = usersFile
	backupManifest = "MANIFEST.json"
	originalsDir   = "originals"
)

// accessFiles are the members that say who may do what: keys and users (hashes only, but private).
var accessFiles = []string{backupKeys, backupUsers}

// Bounds on the members that are read into memory while restoring.
const (
	maxManifestSize = 256 << 20
	maxKeysSize     = 64 << 20
)

// Manifest describes a backup: what the snapshot holds and the hash of every member.
type Manifest struct {
	Format  int       `json:"format"`
	Created time.Time `json:"created"`
	// Seq is the store sequence number of the snapshot.
	Seq uint64 `json:"seq"`
	// Records counts the live records by kind; Tombstones the deleted ones; Files the file states.
	Records    map[string]int `json:"records"`
	Tombstones int            `json:"tombstones"`
	Files      int            `json:"files"`
	Originals  int            `json:"originals"`
	// MissingOriginals are originals that live records name but that were already missing from the data
	// directory when the backup was made (damage the backup reports but cannot undo).
	MissingOriginals []string `json:"missing_originals,omitempty"`
	Members          []Member `json:"members"`
}

// Member is one file of a backup.
type Member struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Total is the number of live records.
func (m *Manifest) Total() int {
	n := 0
	for _, v := range m.Records {
		n += v
	}
	return n
}

// Backup writes a backup archive of the store to w and returns its manifest. It may run while the store
// is being written: the snapshot is what was committed when Backup began; originals are immutable and
// named by their content, so copying them after the snapshot is consistent.
func (s *Store) Backup(w io.Writer) (*Manifest, error) {
	snap, err := s.snapshot()
	if err != nil {
		return nil, err
	}
	defer snap.db.Close()
	m := snap.manifest

	gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed) // originals are mostly PDFs, which do not shrink
	tw := tar.NewWriter(gz)
	put := func(name string, size int64, mode int64, r io.Reader) (string, error) {
		hdr := &tar.Header{Name: name, Size: size, Mode: mode, ModTime: m.Created, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return "", err
		}
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(tw, h), r)
		if err != nil {
			return "", err
		}
		if n != size {
			return "", fmt.Errorf("%s đổi cỡ trong lúc sao lưu (%d thay vì %d byte)", name, n, size)
		}
		sum := hex.EncodeToString(h.Sum(nil))
		m.Members = append(m.Members, Member{Name: name, Size: size, SHA256: sum})
		return sum, nil
	}

	if _, err := snap.db.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("sao lưu kho: %w", err)
	}
	if _, err := put(backupStore, snap.dbSize, 0o644, snap.db); err != nil {
		return nil, fmt.Errorf("sao lưu kho: %w", err)
	}
	for _, name := range accessFiles {
		if b, ok := snap.access[name]; ok {
			if _, err := put(name, int64(len(b)), 0o600, bytes.NewReader(b)); err != nil {
				return nil, fmt.Errorf("sao lưu %s: %w", name, err)
			}
		}
	}
	for _, sha := range snap.originals {
		err := s.backupOriginal(sha, put)
		if errors.Is(err, fs.ErrNotExist) && !snap.live[sha] {
			continue // purged after the snapshot: no live record of the snapshot needs it
		}
		if err != nil {
			return nil, err
		}
		m.Originals++
	}
	mb, _ := json.MarshalIndent(m, "", "  ")
	err = tw.WriteHeader(&tar.Header{Name: backupManifest, Size: int64(len(mb)), Mode: 0o644, ModTime: m.Created,
		Typeflag: tar.TypeReg, Format: tar.FormatPAX})
	if err == nil {
		_, err = tw.Write(mb)
	}
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = gz.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("ghi tệp sao lưu: %w", err)
	}
	return m, nil
}

// backupOriginal adds one kept original, checking on the way that its content still has its name.
func (s *Store) backupOriginal(sha string, put func(string, int64, int64, io.Reader) (string, error)) error {
	f, err := os.Open(s.OriginalPath(sha))
	if err != nil {
		return fmt.Errorf("tệp gốc %s biến mất trong lúc sao lưu: %w", sha, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	got, err := put(originalsDir+"/"+sha[:2]+"/"+sha, fi.Size(), 0o644, f)
	if err != nil {
		return fmt.Errorf("sao lưu tệp gốc %s: %w", sha, err)
	}
	if got != sha {
		// A damaged original would make the whole archive unrestorable; say which one it is.
		return fmt.Errorf("tệp gốc %s hỏng trên đĩa (mã băm nội dung là %s); bản sao lưu dừng lại", s.OriginalPath(sha), got)
	}
	return nil
}

// snapshot is what Backup copies, fixed inside one read transaction.
type snapshot struct {
	db        *os.File // the store copy, already unlinked
	dbSize    int64
	access    map[string][]byte // keys.json and users.json, those that exist
	originals []string          // every original the snapshot names and that existed then, sorted
	live      map[string]bool
	manifest  *Manifest
}

// snapshot copies the store into an unlinked temporary file inside one read transaction (so a slow
// reader of the archive never holds the transaction open), and lists the originals it names.
func (s *Store) snapshot() (*snapshot, error) {
	tmp, err := os.CreateTemp(s.dir, ".backup-*.db")
	if err != nil {
		return nil, fmt.Errorf("sao lưu kho: %w", err)
	}
	// Unlinked at once: a killed backup leaves nothing behind, and the open file stays readable.
	os.Remove(tmp.Name())
	snap := &snapshot{db: tmp, live: map[string]bool{},
		manifest: &Manifest{Format: BackupFormat, Created: time.Now().UTC().Truncate(time.Second), Records: map[string]int{}}}
	m := snap.manifest
	err = s.db.View(func(tx *bolt.Tx) error {
		n, err := tx.WriteTo(tmp)
		if err != nil {
			return err
		}
		snap.dbSize = n
		m.Seq = getSeq(tx.Bucket(bucketMeta))
		named := map[string]bool{}
		err = tx.Bucket(bucketRecords).ForEach(func(k, v []byte) error {
			var e struct {
				Kind     string `json:"kind"`
				Deleted  bool   `json:"deleted"`
				Original string `json:"original"`
			}
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("bản ghi %s hỏng trong kho: %w", k, err)
			}
			if e.Deleted {
				m.Tombstones++
			} else {
				m.Records[e.Kind]++
			}
			if validSHA(e.Original) {
				named[e.Original] = true
				snap.live[e.Original] = snap.live[e.Original] || !e.Deleted
			}
			return nil
		})
		if err != nil {
			return err
		}
		_ = tx.Bucket(bucketFiles).ForEach(func(k, v []byte) error { // fn never fails
			m.Files++
			var st FileState
			if json.Unmarshal(v, &st) == nil && validSHA(st.SHA256) {
				named[st.SHA256] = true
			}
			return nil
		})
		// Whether each original exists is settled inside the transaction: one missing now is damage to
		// report, one that disappears later was purged after the snapshot.
		for sha := range named {
			if _, err := os.Stat(s.OriginalPath(sha)); err == nil {
				snap.originals = append(snap.originals, sha)
			} else if snap.live[sha] {
				m.MissingOriginals = append(m.MissingOriginals, sha)
			}
		}
		return nil
	})
	if err != nil {
		tmp.Close()
		return nil, fmt.Errorf("chụp kho dữ liệu: %w", err)
	}
	sort.Strings(snap.originals)
	sort.Strings(m.MissingOriginals)
	// keys.json and users.json are replaced atomically by their writers, so one read sees one whole version.
	snap.access = map[string][]byte{}
	for _, name := range accessFiles {
		b, err := os.ReadFile(filepath.Join(s.dir, name))
		switch {
		case err == nil:
			snap.access[name] = b
		case !errors.Is(err, fs.ErrNotExist):
			tmp.Close()
			return nil, fmt.Errorf("đọc %s: %w", name, err)
		}
	}
	return snap, nil
}

func validSHA(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// ErrBadBackup marks an archive that is damaged, truncated, tampered with or not a ketnoi backup.
var ErrBadBackup = errors.New("tệp sao lưu không hợp lệ")

func badBackup(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadBackup, fmt.Sprintf(format, args...))
}

// VerifyBackup reads a whole archive and checks it as Restore does (layout, every member's hash against the
// manifest, every original's content against its name), writing nothing.
func VerifyBackup(r io.Reader) (*Manifest, error) {
	// Only the store is written, to a temporary directory, to be opened and checked like a restored one.
	tmp, err := os.MkdirTemp("", "ketnoi-verify-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	m, got, err := readBackup(r, tmp, true)
	if err != nil {
		return nil, err
	}
	if err := checkSnapshot(filepath.Join(tmp, backupStore), m, got); err != nil {
		return nil, err
	}
	return m, nil
}

// Restore unpacks a backup into dir, which must be empty or not exist yet. Nothing appears under its final
// name before the whole archive has been read and checked: members are written aside (fsynced), checked
// against the manifest, the store snapshot is opened and checked against the manifest and the originals,
// and only then are they renamed into place, store.db last. A refused archive leaves dir as it was.
// The index is not restored: open the directory and rebuild it (indexer.Rebuild).
func Restore(r io.Reader, dir string) (*Manifest, error) {
	created, err := prepareEmpty(dir)
	if err != nil {
		return nil, err
	}
	stage, err := os.MkdirTemp(dir, ".restore-*")
	if err != nil {
		return nil, fmt.Errorf("khôi phục: %w", err)
	}
	done := false
	defer func() {
		if done {
			return
		}
		// dir was empty: everything in it now is ours to take back.
		for _, n := range []string{filepath.Base(stage), originalsDir, backupKeys, backupUsers, backupStore} {
			os.RemoveAll(filepath.Join(dir, n))
		}
		if created {
			os.Remove(dir)
		}
	}()
	m, got, err := readBackup(r, stage, false)
	if err != nil {
		return nil, err
	}
	if err := checkSnapshot(filepath.Join(stage, backupStore), m, got); err != nil {
		return nil, err
	}
	moves := []string{originalsDir, backupKeys, backupUsers, backupStore} // store.db last: its presence means complete
	for _, n := range moves {
		if _, err := os.Stat(filepath.Join(stage, n)); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := os.Rename(filepath.Join(stage, n), filepath.Join(dir, n)); err != nil {
			return nil, fmt.Errorf("khôi phục %s: %w", n, err)
		}
	}
	if err := SyncDir(dir); err != nil {
		return nil, fmt.Errorf("khôi phục: %w", err)
	}
	os.RemoveAll(stage)
	done = true
	return m, nil
}

// prepareEmpty makes sure dir exists and is empty; created says whether it had to be made.
func prepareEmpty(dir string) (created bool, err error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return false, fmt.Errorf("tạo thư mục %s: %w", dir, err)
		}
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("đọc thư mục %s: %w", dir, err)
	}
	if len(ents) > 0 {
		hint := ""
		if strings.HasPrefix(ents[0].Name(), ".restore-") {
			hint = "; một lần khôi phục trước đã bị dừng giữa chừng: xoá thư mục rồi chạy lại"
		}
		return false, fmt.Errorf("thư mục %s không trống (%d mục): chỉ khôi phục vào thư mục trống hoặc chưa có, để không ghi đè dữ liệu đang có%s", dir, len(ents), hint)
	}
	return false, nil
}

// Kinds of archive member.
const (
	memberOther = iota
	memberStore
	memberKeys
	memberManifest
	memberOriginal
)

// memberKind says which member a name is. Names are never used as paths as they come: only these exact
// shapes are accepted, which rules out absolute names, "..", links and anything outside the layout.
func memberKind(name string) int {
	switch name {
	case backupStore:
		return memberStore
	case backupKeys, backupUsers:
		return memberKeys
	case backupManifest:
		return memberManifest
	}
	parts := strings.Split(name, "/")
	if len(parts) == 3 && parts[0] == originalsDir && validSHA(parts[2]) && parts[1] == parts[2][:2] {
		return memberOriginal
	}
	return memberOther
}

// readBackup reads an archive, writing its members under stage (only store.db when storeOnly), and checks
// them against its manifest. got maps every member read to its size and hash.
func readBackup(r io.Reader, stage string, storeOnly bool) (*Manifest, map[string]Member, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, nil, badBackup("không phải tệp gzip (%v)", err)
	}
	tr := tar.NewReader(gz)
	got := map[string]Member{}
	var m *Manifest
	dirs := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, badBackup("tệp bị cắt cụt hoặc hỏng (%v)", err)
		}
		name := hdr.Name
		kind := memberKind(name)
		switch {
		case m != nil:
			return nil, nil, badBackup("có mục %q sau bản kê %s", name, backupManifest)
		case kind == memberOther:
			return nil, nil, badBackup("mục %q không thuộc bố cục của bản sao lưu ketnoi", name)
		case hdr.Typeflag != tar.TypeReg:
			return nil, nil, badBackup("mục %q không phải tệp thường (loại %q)", name, hdr.Typeflag)
		case hdr.Size < 0:
			return nil, nil, badBackup("mục %q có cỡ âm", name)
		}
		if _, dup := got[name]; dup {
			return nil, nil, badBackup("mục %q xuất hiện hai lần", name)
		}
		if kind == memberManifest {
			if hdr.Size > maxManifestSize {
				return nil, nil, badBackup("bản kê quá lớn (%d byte)", hdr.Size)
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, nil, badBackup("đọc bản kê: %v", err)
			}
			m = &Manifest{}
			if err := json.Unmarshal(b, m); err != nil {
				return nil, nil, badBackup("bản kê không đọc được: %v", err)
			}
			continue
		}
		if kind == memberKeys && hdr.Size > maxKeysSize {
			return nil, nil, badBackup("%s quá lớn (%d byte)", name, hdr.Size)
		}
		to := stage
		if storeOnly && kind != memberStore {
			to = ""
		}
		sum, n, err := copyMember(tr, to, name)
		if err != nil {
			return nil, nil, err
		}
		if kind == memberOriginal {
			dirs[filepath.Dir(name)] = true
		}
		got[name] = Member{Name: name, Size: n, SHA256: sum}
	}
	// Read past the tar end so that gzip checks its own checksum and length.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return nil, nil, badBackup("tệp bị cắt cụt hoặc hỏng (%v)", err)
	}
	if m == nil {
		return nil, nil, badBackup("thiếu bản kê %s (tệp bị cắt cụt?)", backupManifest)
	}
	if err := checkMembers(m, got); err != nil {
		return nil, nil, err
	}
	if !storeOnly {
		// The originals' directory entries must be durable before they are renamed into place.
		for d := range dirs {
			if err := SyncDir(filepath.Join(stage, filepath.FromSlash(d))); err != nil {
				return nil, nil, fmt.Errorf("khôi phục: %w", err)
			}
		}
		if err := SyncDir(stage); err != nil {
			return nil, nil, fmt.Errorf("khôi phục: %w", err)
		}
	}
	return m, got, nil
}

// copyMember writes one member under stage (or nowhere) and returns its hash and size.
func copyMember(r io.Reader, stage, name string) (string, int64, error) {
	h := sha256.New()
	if stage == "" {
		n, err := io.Copy(h, r)
		if err != nil {
			return "", 0, badBackup("mục %q bị cắt cụt hoặc hỏng (%v)", name, err)
		}
		return hex.EncodeToString(h.Sum(nil)), n, nil
	}
	path := filepath.Join(stage, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", 0, fmt.Errorf("khôi phục: %w", err)
	}
	mode := os.FileMode(0o644)
	if memberKind(name) == memberKeys {
		mode = 0o600
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return "", 0, fmt.Errorf("khôi phục: %w", err)
	}
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err != nil {
		f.Close()
		return "", 0, badBackup("mục %q bị cắt cụt hoặc hỏng (%v)", name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", 0, fmt.Errorf("khôi phục %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return "", 0, fmt.Errorf("khôi phục %s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// checkMembers compares what was read with the manifest: the same members, sizes and hashes, and every
// original's content matching its name.
func checkMembers(m *Manifest, got map[string]Member) error {
	if m.Format != BackupFormat {
		return badBackup("định dạng phiên bản %d, bản ketnoi này đọc phiên bản %d", m.Format, BackupFormat)
	}
	listed := map[string]bool{}
	for _, want := range m.Members {
		if listed[want.Name] {
			return badBackup("bản kê ghi %q hai lần", want.Name)
		}
		listed[want.Name] = true
		have, ok := got[want.Name]
		switch {
		case !ok:
			return badBackup("thiếu mục %q mà bản kê ghi", want.Name)
		case have.Size != want.Size || have.SHA256 != want.SHA256:
			return badBackup("mục %q không khớp bản kê (mã băm %s, bản kê ghi %s): tệp đã bị sửa hoặc hỏng", want.Name, have.SHA256, want.SHA256)
		}
	}
	for name, have := range got {
		if !listed[name] {
			return badBackup("mục %q không có trong bản kê", name)
		}
		if memberKind(name) == memberOriginal && path.Base(name) != have.SHA256 {
			return badBackup("tệp gốc %q có nội dung không khớp tên (mã băm %s)", name, have.SHA256)
		}
	}
	if _, ok := got[backupStore]; !ok {
		return badBackup("thiếu %s", backupStore)
	}
	return nil
}

// checkSnapshot opens the restored store read-only and checks it against the manifest: the same sequence
// number and record counts, and every original a live record names present (or known missing).
func checkSnapshot(path string, m *Manifest, got map[string]Member) error {
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return badBackup("%s không mở được: %v", backupStore, err)
	}
	defer db.Close()
	missing := map[string]bool{}
	for _, sha := range m.MissingOriginals {
		missing[sha] = true
	}
	return db.View(func(tx *bolt.Tx) error {
		meta, records := tx.Bucket(bucketMeta), tx.Bucket(bucketRecords)
		if meta == nil || records == nil || tx.Bucket(bucketSeq) == nil {
			return badBackup("%s không phải kho ketnoi", backupStore)
		}
		if seq := getSeq(meta); seq != m.Seq {
			return badBackup("kho ở thay đổi #%d, bản kê ghi #%d", seq, m.Seq)
		}
		counts := map[string]int{}
		err := records.ForEach(func(k, v []byte) error {
			var e Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return badBackup("bản ghi %s hỏng trong kho sao lưu: %v", k, err)
			}
			if e.Deleted {
				return nil
			}
			counts[e.Kind]++
			if validSHA(e.Original) && !missing[e.Original] {
				if _, ok := got[originalsDir+"/"+e.Original[:2]+"/"+e.Original]; !ok {
					return badBackup("thiếu tệp gốc %s của bản ghi %s", e.Original, e.ID)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !maps.Equal(counts, m.Records) {
			return badBackup("kho có %v bản ghi theo loại, bản kê ghi %v", counts, m.Records)
		}
		return nil
	})
}

// SyncDir makes a directory's entries (created, renamed, removed files) durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
