package corpus

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// instantKeyring reloads on every Authenticate, so that tests need not wait out the reload interval.
func instantKeyring(dir string) *Keyring {
	k := OpenKeyring(dir)
	k.every = 0
	return k
}

func TestKeyringCreateAuthenticateRevoke(t *testing.T) {
	dir := t.TempDir()
	k := instantKeyring(dir)
	staff, si, err := k.Create("  Phòng Quản lý khoa học ", RoleStaff)
	if err != nil {
		t.Fatal(err)
	}
	broker, bi, err := k.Create("Môi giới Nguyễn Văn A", RoleBroker)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(staff, KeyPrefix) || len(staff) != keyLen || staff == broker {
		t.Fatalf("keys %q, %q: want distinct %s… of length %d", staff, broker, KeyPrefix, keyLen)
	}
	if si.Name != "Phòng Quản lý khoa học" || si.Role != RoleStaff || si.Hint != staff[len(staff)-4:] || !si.Active() || si.Created.IsZero() {
		t.Errorf("info %+v", si)
	}
	tests := []struct {
		name string
		key  string
		ok   bool
		id   string
	}{
		{"staff", staff, true, si.ID},
		{"broker", broker, true, bi.ID},
		{"empty", "", false, ""},
		{"no prefix", strings.TrimPrefix(staff, KeyPrefix), false, ""},
		{"one char changed", staff[:len(staff)-1] + flip(staff[len(staff)-1]), false, ""},
		{"trailing space", staff + " ", false, ""},
		{"hash as key", KeyPrefix + strings.Repeat("A", keyLen-len(KeyPrefix)), false, ""},
	}
	for _, tt := range tests {
		got, ok := k.Authenticate(tt.key)
		if ok != tt.ok || got.ID != tt.id {
			t.Errorf("%s: Authenticate = %+v, %v; want id %q, %v", tt.name, got, ok, tt.id, tt.ok)
		}
	}
	if n, err := k.Check(); n != 2 || err != nil {
		t.Errorf("Check = %d, %v; want 2 active", n, err)
	}

	got, err := k.Revoke(si.ID[:4])
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != si.ID || got.Active() {
		t.Errorf("Revoke returned %+v", got)
	}
	if _, ok := k.Authenticate(staff); ok {
		t.Error("revoked key still authenticates")
	}
	if _, ok := k.Authenticate(broker); !ok {
		t.Error("revoking one key broke another")
	}
	if _, err := k.Revoke(si.ID); !errors.Is(err, ErrKeyRevoked) {
		t.Errorf("second revoke: %v, want ErrKeyRevoked", err)
	}
	list, err := k.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != si.ID || list[0].Active() || !list[1].Active() {
		t.Errorf("List = %+v", list)
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func TestKeyringRejectsBadInput(t *testing.T) {
	k := instantKeyring(t.TempDir())
	creates := []struct {
		name string
		role Role
	}{
		{"", RoleStaff},
		{"   ", RoleStaff},
		{"tên\ncó xuống dòng", RoleStaff},
		{strings.Repeat("ư", maxKeyName+1), RoleStaff},
		{"Ai đó", Role("root")},
		{"Ai đó", Role("")},
	}
	for _, tt := range creates {
		if _, _, err := k.Create(tt.name, tt.role); err == nil {
			t.Errorf("Create(%q, %q) succeeded", tt.name, tt.role)
		}
	}
	if l, _ := k.List(); len(l) != 0 {
		t.Errorf("rejected creates left keys: %+v", l)
	}

	// Two ids sharing a prefix: the prefix is ambiguous, a too-short prefix is refused.
	for _, name := range []string{"A", "B"} {
		if _, _, err := k.Create(name, RoleStaff); err != nil {
			t.Fatal(err)
		}
	}
	f, _, _ := readKeyFile(k.Path())
	f.Keys[0].ID, f.Keys[1].ID = "abcd1111", "abcd2222"
	writeKeyFileForTest(t, k, f)
	revokes := []struct {
		arg  string
		want error
	}{
		{"", ErrKeyNotFound},
		{"abc", ErrKeyNotFound},
		{"abcd", ErrKeyAmbiguous},
		{"ffffffff", ErrKeyNotFound},
	}
	for _, tt := range revokes {
		if _, err := k.Revoke(tt.arg); !errors.Is(err, tt.want) {
			t.Errorf("Revoke(%q) = %v, want %v", tt.arg, err, tt.want)
		}
	}
	if got, err := k.Revoke("abcd2"); err != nil || got.Name != "B" {
		t.Errorf("Revoke(abcd2) = %+v, %v", got, err)
	}
}

func writeKeyFileForTest(t *testing.T, k *Keyring, f keyFileData) {
	t.Helper()
	if err := k.update(func(g *keyFileData) error { *g = f; return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestParseRoleAndAllows(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Role
		ok   bool
	}{
		{"staff", RoleStaff, true}, {" Broker ", RoleBroker, true}, {"ADMIN", RoleAdmin, true},
		{"", "", false}, {"quản trị", "", false},
	} {
		got, err := ParseRole(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseRole(%q) = %q, %v", tt.in, got, err)
		}
	}
	for _, tt := range []struct {
		have, need Role
		ok         bool
	}{
		{RoleStaff, RoleStaff, true}, {RoleBroker, RoleBroker, true},
		{RoleStaff, RoleBroker, false}, {RoleBroker, RoleStaff, false}, {RoleStaff, RoleAdmin, false},
		{RoleAdmin, RoleStaff, true}, {RoleAdmin, RoleBroker, true}, {RoleAdmin, RoleAdmin, true},
		{Role("admin2"), RoleAdmin, false},
	} {
		if got := tt.have.Allows(tt.need); got != tt.ok {
			t.Errorf("%s.Allows(%s) = %v", tt.have, tt.need, got)
		}
	}
}

// A server holds one Keyring for its whole life while the CLI, in another process, writes through another.
func TestKeyringSeesChangesByAnotherInstance(t *testing.T) {
	dir := t.TempDir()
	server := instantKeyring(dir)
	if n, err := server.Check(); n != 0 || err != nil {
		t.Fatalf("empty dir: Check = %d, %v", n, err)
	}
	cli := OpenKeyring(dir)
	key, info, err := cli.Create("CLI", RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := server.Authenticate(key); !ok || got.ID != info.ID || got.Role != RoleAdmin {
		t.Fatalf("server does not see a key created elsewhere: %+v, %v", got, ok)
	}
	if _, err := OpenKeyring(dir).Revoke(info.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := server.Authenticate(key); ok {
		t.Fatal("server still accepts a key revoked elsewhere")
	}
}

// Within the reload interval the file is not even looked at; after it, a change is picked up.
func TestKeyringReloadInterval(t *testing.T) {
	dir := t.TempDir()
	server := OpenKeyring(dir)
	server.every = 200 * time.Millisecond
	key, info, err := OpenKeyring(dir).Create("x", RoleStaff)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := server.Authenticate(key); !ok {
		t.Fatal("first use does not load the file")
	}
	if _, err := OpenKeyring(dir).Revoke(info.ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := server.Authenticate(key); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("revocation never picked up")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestKeyringConcurrentCreatesLoseNothing(t *testing.T) {
	dir := t.TempDir()
	const writers, each = 8, 5
	var wg sync.WaitGroup
	keys := make(chan string, writers*each)
	errs := make(chan error, writers*each)
	for w := range writers {
		// Half share one Keyring, half have their own, as separate processes would.
		k := OpenKeyring(dir)
		if w%2 == 0 {
			k = nil
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			kr := k
			if kr == nil {
				kr = OpenKeyring(dir)
			}
			for i := range each {
				key, _, err := kr.Create(fmt.Sprintf("w%d-%d", w, i), RoleBroker)
				if err != nil {
					errs <- err
					return
				}
				keys <- key
			}
		}()
	}
	wg.Wait()
	close(keys)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	list, err := OpenKeyring(dir).List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != writers*each {
		t.Fatalf("%d keys listed, want %d", len(list), writers*each)
	}
	check := instantKeyring(dir)
	for key := range keys {
		if _, ok := check.Authenticate(key); !ok {
			t.Errorf("key …%s lost", key[len(key)-4:])
		}
	}
}

func TestKeyFileHoldsNoPlaintextAndIsPrivate(t *testing.T) {
	dir := t.TempDir()
	k := OpenKeyring(dir)
	key, _, err := k.Create("bí mật", RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, keysFile))
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimPrefix(key, KeyPrefix)
	if strings.Contains(string(b), secret[:len(secret)-4]) {
		t.Errorf("keys.json holds the key:\n%s", b)
	}
	if !strings.Contains(string(b), `"sha256"`) {
		t.Errorf("keys.json holds no hash:\n%s", b)
	}
	for _, name := range []string{keysFile, keysLockFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

// A damaged keys.json fails closed for readers and is never overwritten by writers.
func TestKeyringDamagedFile(t *testing.T) {
	dir := t.TempDir()
	k := instantKeyring(dir)
	key, _, err := k.Create("x", RoleStaff)
	if err != nil {
		t.Fatal(err)
	}
	damaged := []byte(`{"version":1,"keys":[{"id":`)
	if err := os.WriteFile(k.Path(), damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok := k.Authenticate(key); ok {
		t.Error("key accepted from a damaged file")
	}
	if _, err := k.Check(); err == nil {
		t.Error("Check reports no error for a damaged file")
	}
	if _, _, err := k.Create("y", RoleStaff); err == nil {
		t.Error("Create over a damaged file succeeded")
	}
	if b, _ := os.ReadFile(k.Path()); string(b) != string(damaged) {
		t.Error("damaged file was rewritten")
	}
}
