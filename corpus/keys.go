package corpus

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// API keys live in their own file, not in the bbolt store, because a running server holds the store's lock
// and staff must still be able to create and revoke keys with the CLI meanwhile. The file holds only
// SHA-256 hashes: a key is 32 random bytes, so a fast hash is enough (there is nothing to brute-force).

// Role is what an API key may do.
type Role string

// The roles. Admin may do everything staff and broker may.
const (
	RoleStaff  Role = "staff"
	RoleBroker Role = "broker"
	RoleAdmin  Role = "admin"
)

// Roles lists the roles, least powerful first.
var Roles = []Role{RoleStaff, RoleBroker, RoleAdmin}

// ParseRole reads a role name as typed on the command line.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.Valid() {
		return "", fmt.Errorf("vai trò %q không hợp lệ; chọn một trong: staff, broker, admin", s)
	}
	return r, nil
}

// Valid says whether r is one of the roles.
func (r Role) Valid() bool { return r == RoleStaff || r == RoleBroker || r == RoleAdmin }

// Allows says whether a key with role r may do what needs role need.
func (r Role) Allows(need Role) bool { return r.Valid() && (r == need || r == RoleAdmin) }

// Label is the role's Vietnamese name.
func (r Role) Label() string {
	switch r {
	case RoleStaff:
		return "cán bộ"
	case RoleBroker:
		return "môi giới"
	case RoleAdmin:
		return "quản trị"
	}
	return string(r)
}

// KeyInfo describes an API key; the key itself is never kept.
type KeyInfo struct {
	ID      string
	Name    string
	Role    Role
	Created time.Time
	Revoked time.Time // zero while the key is active
	Hint    string    // the key's last 4 characters, to tell keys apart in lists
	// User is set when the caller is not a key but a user signed in with a password (UserInfo.Principal):
	// ID and Name are then the user's.
	User bool
}

// Active says whether the key has not been revoked.
func (k KeyInfo) Active() bool { return k.Revoked.IsZero() }

// KeyPrefix starts every API key, so that a leaked key is recognisable (and greppable) as ours.
const KeyPrefix = "kn_"

// keyLen is len(KeyPrefix) plus unpadded base64url of 32 bytes.
var keyLen = len(KeyPrefix) + base64.RawURLEncoding.EncodedLen(32)

const (
	keysFile     = "keys.json"
	keysLockFile = "keys.lock"
	// keysLockWait bounds how long a writer waits for another one; writers hold the lock for milliseconds.
	keysLockWait = 10 * time.Second
	maxKeyName   = 100
)

// Errors of Revoke, for errors.Is.
var (
	ErrKeyNotFound  = errors.New("không có khóa API này")
	ErrKeyAmbiguous = errors.New("mã khóa khớp nhiều khóa API")
	ErrKeyRevoked   = errors.New("khóa API đã bị thu hồi từ trước")
)

// keyFileData is keys.json.
type keyFileData struct {
	Version int         `json:"version"`
	Keys    []keyRecord `json:"keys"`
}

type keyRecord struct {
	ID      string     `json:"id"`
	Name    string     `json:"name"`
	Role    Role       `json:"role"`
	SHA256  string     `json:"sha256"` // hex of SHA-256 of the whole key, prefix included
	Hint    string     `json:"hint"`
	Created time.Time  `json:"created_at"`
	Revoked *time.Time `json:"revoked_at,omitempty"`
}

func (r keyRecord) info() KeyInfo {
	k := KeyInfo{ID: r.ID, Name: r.Name, Role: r.Role, Created: r.Created, Hint: r.Hint}
	if r.Revoked != nil {
		k.Revoked = *r.Revoked
	}
	return k
}

// keySnapshot is keys.json as last loaded, for Authenticate.
type keySnapshot struct {
	keys   []keyEntry
	active int
	err    error // why the file could not be loaded; then keys is empty (fail closed)
}

type keyEntry struct {
	info KeyInfo
	hash [sha256.Size]byte
}

// Keyring is the API keys of one data directory. It is safe for concurrent use, also across processes:
// writers serialise on an flock'ed lock file and replace keys.json atomically, and readers (the server)
// notice a replaced file by a cheap stat, at most once per reload interval.
type Keyring struct {
	dir   string
	every time.Duration // how often Authenticate looks at the file; tests shorten it

	wmu  sync.Mutex // serialises this process's writers before they take the file lock
	snap watched[*keySnapshot]
}

// OpenKeyring returns the keyring of data directory dir; nothing is read or created until it is used.
func OpenKeyring(dir string) *Keyring {
	k := &Keyring{dir: dir, every: time.Second}
	k.snap = watched[*keySnapshot]{path: k.Path(), load: loadSnapshot}
	return k
}

// Path is the keys file.
func (k *Keyring) Path() string { return filepath.Join(k.dir, keysFile) }

// Create makes a new key with the given name (who or what it is for) and role. The key is returned once;
// only its hash is stored.
func (k *Keyring) Create(name string, role Role) (string, KeyInfo, error) {
	name = strings.TrimSpace(name)
	if err := checkKeyName(name); err != nil {
		return "", KeyInfo{}, err
	}
	if !role.Valid() {
		return "", KeyInfo{}, fmt.Errorf("vai trò %q không hợp lệ; chọn một trong: staff, broker, admin", role)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", KeyInfo{}, fmt.Errorf("sinh khóa ngẫu nhiên: %w", err)
	}
	plain := KeyPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	sum := sha256.Sum256([]byte(plain))
	rec := keyRecord{Name: name, Role: role, SHA256: hex.EncodeToString(sum[:]), Hint: plain[len(plain)-4:],
		Created: time.Now().UTC().Truncate(time.Second)}
	err := k.update(func(f *keyFileData) error {
		id, err := newKeyID(f)
		if err != nil {
			return err
		}
		rec.ID = id
		f.Keys = append(f.Keys, rec)
		return nil
	})
	if err != nil {
		return "", KeyInfo{}, err
	}
	return plain, rec.info(), nil
}

// List returns every key, revoked ones included, oldest first.
func (k *Keyring) List() ([]KeyInfo, error) {
	f, _, err := readKeyFile(k.Path())
	if err != nil {
		return nil, err
	}
	out := make([]KeyInfo, 0, len(f.Keys))
	for _, r := range f.Keys {
		out = append(out, r.info())
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// Revoke revokes the key whose id is idOrPrefix, or the one key whose id starts with it (at least 4
// characters, so that a slip of the keyboard cannot pick a key at random).
func (k *Keyring) Revoke(idOrPrefix string) (KeyInfo, error) {
	want := strings.TrimSpace(idOrPrefix)
	if want == "" {
		return KeyInfo{}, fmt.Errorf("%w: chưa cho mã khóa", ErrKeyNotFound)
	}
	var info KeyInfo
	err := k.update(func(f *keyFileData) error {
		i, err := findKey(f, want)
		if err != nil {
			return err
		}
		r := &f.Keys[i]
		if r.Revoked != nil {
			info = r.info()
			return fmt.Errorf("%w: %s (lúc %s)", ErrKeyRevoked, r.ID, VietnamTime(*r.Revoked, "2006-01-02 15:04"))
		}
		now := time.Now().UTC().Truncate(time.Second)
		r.Revoked = &now
		info = r.info()
		return nil
	})
	return info, err
}

func findKey(f *keyFileData, want string) (int, error) {
	for i, r := range f.Keys {
		if r.ID == want {
			return i, nil
		}
	}
	if len(want) < 4 {
		return -1, fmt.Errorf("%w: %q (cần mã đầy đủ hoặc ít nhất 4 ký tự đầu)", ErrKeyNotFound, want)
	}
	var hits []int
	for i, r := range f.Keys {
		if strings.HasPrefix(r.ID, want) {
			hits = append(hits, i)
		}
	}
	switch len(hits) {
	case 0:
		return -1, fmt.Errorf("%w: %q", ErrKeyNotFound, want)
	case 1:
		return hits[0], nil
	}
	ids := make([]string, len(hits))
	for j, i := range hits {
		ids[j] = f.Keys[i].ID
	}
	return -1, fmt.Errorf("%w %q: %s; hãy gõ thêm ký tự", ErrKeyAmbiguous, want, strings.Join(ids, ", "))
}

// Authenticate says which active key plaintext is. It never reads the file more often than the reload
// interval, and then only when the file was replaced.
func (k *Keyring) Authenticate(plaintext string) (KeyInfo, bool) {
	// The format check leaks nothing: it is the same for every key.
	if len(plaintext) != keyLen || !strings.HasPrefix(plaintext, KeyPrefix) {
		return KeyInfo{}, false
	}
	sum := sha256.Sum256([]byte(plaintext))
	snap := k.current()
	var found KeyInfo
	match := 0
	// Compare with every key, without stopping early, so that timing says nothing about the stored hashes.
	for i := range snap.keys {
		if subtle.ConstantTimeCompare(snap.keys[i].hash[:], sum[:]) == 1 {
			found, match = snap.keys[i].info, 1
		}
	}
	if match == 0 || !found.Active() {
		return KeyInfo{}, false
	}
	return found, true
}

// Check reports how many keys are active and why keys.json could not be loaded, if it could not; then
// every key is refused. It follows the same reload rule as Authenticate.
func (k *Keyring) Check() (active int, err error) {
	snap := k.current()
	return snap.active, snap.err
}

// current returns the snapshot, reloading it if the reload interval has passed and keys.json was replaced.
func (k *Keyring) current() *keySnapshot {
	snap, err := k.snap.get(k.every)
	if err != nil {
		return &keySnapshot{err: err}
	}
	return snap
}

func loadSnapshot(path string) (*keySnapshot, os.FileInfo, error) {
	f, fi, err := readKeyFile(path)
	if err != nil {
		return nil, fi, err
	}
	s := &keySnapshot{keys: make([]keyEntry, 0, len(f.Keys))}
	for _, r := range f.Keys {
		b, err := hex.DecodeString(r.SHA256)
		if err != nil || len(b) != sha256.Size {
			return nil, fi, fmt.Errorf("tệp khóa API %s hỏng: khóa %s có mã băm sai", path, r.ID)
		}
		e := keyEntry{info: r.info()}
		copy(e.hash[:], b)
		if e.info.Active() {
			s.active++
		}
		s.keys = append(s.keys, e)
	}
	return s, fi, nil
}

// readKeyFile reads keys.json; a missing file is an empty keyring. The stat is of the file actually read.
var readKeyFile = readJSONFile("tệp khóa API", func(f *keyFileData) *int { return &f.Version })

// update is a read-modify-write of keys.json under the lock file; fn's error aborts without writing.
func (k *Keyring) update(fn func(*keyFileData) error) error {
	return updateJSON(k.dir, &k.wmu, k.Path(), "tệp khóa API", readKeyFile, fn, k.snap.forget)
}

// lockKeys takes the writers' lock. flock is released by the kernel when a process dies, so a killed
// `ketnoi keys` cannot leave a stale lock behind.
func lockKeys(path string) (unlock func(), err error) {
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("mở tệp khóa %s: %w", path, err)
	}
	deadline := time.Now().Add(keysLockWait)
	for {
		err := syscall.Flock(int(fh.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(fh.Fd()), syscall.LOCK_UN)
				fh.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			fh.Close()
			return nil, fmt.Errorf("khóa tệp %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			fh.Close()
			return nil, fmt.Errorf("tệp %s bị một tiến trình khác giữ quá %s: %w", path, keysLockWait, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// newKeyID is 8 random hex digits, unique in f: short enough to type in `ketnoi keys revoke`.
func newKeyID(f *keyFileData) (string, error) {
	for range 100 {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("sinh mã khóa: %w", err)
		}
		id := hex.EncodeToString(b[:])
		taken := false
		for _, r := range f.Keys {
			taken = taken || r.ID == id
		}
		if !taken {
			return id, nil
		}
	}
	return "", errors.New("không sinh được mã khóa mới")
}

func checkKeyName(name string) error {
	switch {
	case name == "":
		return errors.New("khóa API cần tên (người hoặc việc dùng khóa), ví dụ --name \"Phòng QLKH\"")
	case !utf8.ValidString(name):
		return errors.New("tên khóa API không phải UTF-8 hợp lệ")
	case utf8.RuneCountInString(name) > maxKeyName:
		return fmt.Errorf("tên khóa API dài quá %d ký tự", maxKeyName)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return errors.New("tên khóa API không được chứa ký tự điều khiển")
	}
	return nil
}
