package corpus

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Users sign in on the web page with a name and a password (`ketnoi users`) instead of pasting an API key;
// a user has a role exactly like a key and is used for the same checks. They live in users.json beside
// keys.json, for the same reason: the CLI changes them while a server runs. The file holds Argon2id hashes
// only (password.go).

// ErrUserNotFound and ErrUserExists are returned by the Users methods, for errors.Is.
var (
	ErrUserNotFound = errors.New("không có người dùng này")
	ErrUserExists   = errors.New("tên đăng nhập đã có")
)

const (
	usersFile    = "users.json"
	maxUserName  = 64
	userIDPrefix = "u-"
)

// UserInfo describes a user; the password is never kept, only its hash, which is not part of this.
type UserInfo struct {
	ID          string
	Name        string
	Role        Role
	Created     time.Time
	PasswordSet time.Time
	// Stamp changes with every password change: a session remembers it, so `users passwd` ends the
	// sessions signed in with the old password.
	Stamp string
}

// Principal is the user as the server's checks see a caller: like a key, with User set.
func (u UserInfo) Principal() KeyInfo {
	return KeyInfo{ID: u.ID, Name: u.Name, Role: u.Role, Created: u.Created, User: true}
}

type usersFileData struct {
	Version int          `json:"version"`
	Users   []userRecord `json:"users"`
}

type userRecord struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Role        Role      `json:"role"`
	Hash        string    `json:"password_argon2id"`
	Stamp       string    `json:"stamp"`
	Created     time.Time `json:"created_at"`
	PasswordSet time.Time `json:"password_set_at"`
}

func (r userRecord) info() UserInfo {
	return UserInfo{ID: r.ID, Name: r.Name, Role: r.Role, Created: r.Created, PasswordSet: r.PasswordSet, Stamp: r.Stamp}
}

// Users is the users of one data directory, safe for concurrent use, also across processes (see
// watched.go).
type Users struct {
	dir   string
	every time.Duration
	wmu   sync.Mutex
	file  watched[usersFileData]
}

// OpenUsers returns the users of data directory dir; nothing is read or created until it is used.
func OpenUsers(dir string) *Users {
	u := &Users{dir: dir, every: time.Second}
	u.file = watched[usersFileData]{path: u.Path(), load: readUsersFile}
	return u
}

// Path is the users file.
func (u *Users) Path() string { return filepath.Join(u.dir, usersFile) }

// userKey is how names are compared: NFC and case-folded, so "Lan" and "lan" are one user.
func userKey(name string) string { return strings.ToLower(norm.NFC.String(strings.TrimSpace(name))) }

// CheckUserName says why a sign-in name is refused, or nil. Names are letters (Vietnamese included),
// digits and . _ - @, so that they are typed the same everywhere.
func CheckUserName(name string) error {
	name = norm.NFC.String(strings.TrimSpace(name))
	switch {
	case name == "":
		return errors.New("người dùng cần tên đăng nhập, ví dụ --name lan.nguyen")
	case !utf8.ValidString(name):
		return errors.New("tên đăng nhập không phải UTF-8 hợp lệ")
	case utf8.RuneCountInString(name) > maxUserName:
		return fmt.Errorf("tên đăng nhập dài quá %d ký tự", maxUserName)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("._-@", r) && !unicode.Is(unicode.Mn, r) {
			return fmt.Errorf("tên đăng nhập %q có ký tự %q; chỉ dùng chữ, số và . _ - @", name, r)
		}
	}
	return nil
}

// Add creates a user with a role and a password.
func (u *Users) Add(name string, role Role, password string) (UserInfo, error) {
	name = norm.NFC.String(strings.TrimSpace(name))
	if err := CheckUserName(name); err != nil {
		return UserInfo{}, err
	}
	if !role.Valid() {
		return UserInfo{}, fmt.Errorf("vai trò %q không hợp lệ; chọn một trong: staff, broker, admin", role)
	}
	if err := CheckPassword(password, name); err != nil {
		return UserInfo{}, err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return UserInfo{}, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	rec := userRecord{Name: name, Role: role, Hash: hash, Stamp: randomHex(8), Created: now, PasswordSet: now}
	err = u.update(func(f *usersFileData) error {
		if i := findUser(f, name); i >= 0 {
			return fmt.Errorf("%w: %q", ErrUserExists, f.Users[i].Name)
		}
		for rec.ID == "" || findUserID(f, rec.ID) >= 0 {
			rec.ID = userIDPrefix + randomHex(4)
		}
		f.Users = append(f.Users, rec)
		return nil
	})
	if err != nil {
		return UserInfo{}, err
	}
	return rec.info(), nil
}

// SetPassword replaces a user's password; the user's sessions end at their next request.
func (u *Users) SetPassword(name, password string) (UserInfo, error) {
	if err := CheckPassword(password, norm.NFC.String(strings.TrimSpace(name))); err != nil {
		return UserInfo{}, err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return UserInfo{}, err
	}
	var info UserInfo
	err = u.update(func(f *usersFileData) error {
		i := findUser(f, name)
		if i < 0 {
			return fmt.Errorf("%w: %q", ErrUserNotFound, name)
		}
		r := &f.Users[i]
		r.Hash, r.Stamp, r.PasswordSet = hash, randomHex(8), time.Now().UTC().Truncate(time.Second)
		info = r.info()
		return nil
	})
	return info, err
}

// Remove deletes a user; the user's sessions end at their next request.
func (u *Users) Remove(name string) (UserInfo, error) {
	var info UserInfo
	err := u.update(func(f *usersFileData) error {
		i := findUser(f, name)
		if i < 0 {
			return fmt.Errorf("%w: %q", ErrUserNotFound, name)
		}
		info = f.Users[i].info()
		f.Users = append(f.Users[:i], f.Users[i+1:]...)
		return nil
	})
	return info, err
}

// List returns every user, oldest first.
func (u *Users) List() ([]UserInfo, error) {
	f, _, err := readUsersFile(u.Path())
	if err != nil {
		return nil, err
	}
	out := make([]UserInfo, 0, len(f.Users))
	for _, r := range f.Users {
		out = append(out, r.info())
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// Verify says which user name and password are. An unknown name costs the same time as a wrong password,
// and both answer the same.
func (u *Users) Verify(name, password string) (UserInfo, bool) {
	if len(password) > maxPasswordBytes || len(name) > 4*maxUserName {
		return UserInfo{}, false
	}
	f, err := u.file.get(u.every)
	i := -1
	if err == nil {
		i = findUser(&f, name)
	}
	if i < 0 {
		verifyPassword(password, dummyHash())
		return UserInfo{}, false
	}
	r := f.Users[i]
	if !r.Role.Valid() || !verifyPassword(password, r.Hash) {
		return UserInfo{}, false
	}
	return r.info(), true
}

// Lookup returns the current description of the user with this id (for sessions), reading users.json at
// most once per reload interval.
func (u *Users) Lookup(id string) (UserInfo, bool, error) {
	f, err := u.file.get(u.every)
	if err != nil {
		return UserInfo{}, false, err
	}
	if i := findUserID(&f, id); i >= 0 {
		return f.Users[i].info(), true, nil
	}
	return UserInfo{}, false, nil
}

func findUser(f *usersFileData, name string) int {
	k := userKey(name)
	for i, r := range f.Users {
		if userKey(r.Name) == k {
			return i
		}
	}
	return -1
}

func findUserID(f *usersFileData, id string) int {
	for i, r := range f.Users {
		if r.ID == id {
			return i
		}
	}
	return -1
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

// readUsersFile reads users.json; a missing file has no users.
var readUsersFile = readJSONFile("tệp người dùng", func(f *usersFileData) *int { return &f.Version })

// update is a read-modify-write of users.json under the data directory's lock file.
func (u *Users) update(fn func(*usersFileData) error) error {
	return updateJSON(u.dir, &u.wmu, u.Path(), "tệp người dùng", readUsersFile, fn, u.file.forget)
}
