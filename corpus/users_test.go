package corpus

import (
	"errors"
	"os"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestUsersLifecycle(t *testing.T) {
	dir := t.TempDir()
	u := OpenUsers(dir)
	u.every = 0
	const pw = "Mật khẩu đủ dài 2026"
	lan, err := u.Add("Lan.Nguyễn", RoleBroker, pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(lan.ID, userIDPrefix) || lan.Role != RoleBroker || lan.Stamp == "" {
		t.Fatalf("added %+v", lan)
	}
	// The file holds a hash, not the password, and only its owner may read it.
	b, err := os.ReadFile(u.Path())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), pw) || !strings.Contains(string(b), "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("users.json does not hold just an Argon2id hash:\n%s", b)
	}
	if fi, _ := os.Stat(u.Path()); fi.Mode().Perm() != 0o600 {
		t.Errorf("users.json mode %v, want 0600", fi.Mode().Perm())
	}

	tests := []struct {
		name, user, pw string
		ok             bool
	}{
		{"exact", "Lan.Nguyễn", pw, true},
		{"name case and spaces", "  lan.nguyễn ", pw, true},
		{"password typed decomposed (NFD)", "lan.nguyễn", norm.NFD.String(pw), true},
		{"name typed decomposed", norm.NFD.String("lan.nguyễn"), pw, true},
		{"wrong password", "Lan.Nguyễn", pw + "!", false},
		{"password case matters", "Lan.Nguyễn", strings.ToUpper(pw), false},
		{"unknown user", "minh", pw, false},
		{"empty", "", "", false},
	}
	// Another process's view: a second Users on the same directory.
	other := OpenUsers(dir)
	other.every = 0
	for _, tt := range tests {
		got, ok := other.Verify(tt.user, tt.pw)
		if ok != tt.ok || ok && got.ID != lan.ID {
			t.Errorf("%s: Verify(%q) = %+v, %v; want %v", tt.name, tt.user, got, ok, tt.ok)
		}
	}

	if _, err := u.Add("LAN.NGUYỄN", RoleStaff, "một mật khẩu khác"); !errors.Is(err, ErrUserExists) {
		t.Errorf("same name in other case: %v, want ErrUserExists", err)
	}

	// A new password: the old one stops working and the stamp (which sessions remember) changes.
	changed, err := u.SetPassword("lan.nguyễn", "mật khẩu mới tinh 123")
	if err != nil {
		t.Fatal(err)
	}
	if changed.Stamp == lan.Stamp || changed.ID != lan.ID {
		t.Errorf("after passwd: %+v (before %+v)", changed, lan)
	}
	if _, ok := other.Verify("lan.nguyễn", pw); ok {
		t.Error("old password still accepted")
	}
	if _, ok := other.Verify("lan.nguyễn", "mật khẩu mới tinh 123"); !ok {
		t.Error("new password refused")
	}
	if got, ok, err := other.Lookup(lan.ID); err != nil || !ok || got.Stamp != changed.Stamp {
		t.Errorf("Lookup after passwd: %+v %v %v", got, ok, err)
	}
	if list, err := u.List(); err != nil || len(list) != 1 || list[0].Name != "Lan.Nguyễn" {
		t.Errorf("List: %+v %v", list, err)
	}

	if _, err := u.Remove("LAN.nguyễn"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := other.Lookup(lan.ID); ok {
		t.Error("removed user still found by id")
	}
	if _, err := u.Remove("lan.nguyễn"); !errors.Is(err, ErrUserNotFound) {
		t.Errorf("removing twice: %v", err)
	}
	if _, err := u.SetPassword("ai-đó", "mật khẩu mới tinh 123"); !errors.Is(err, ErrUserNotFound) {
		t.Errorf("passwd of nobody: %v", err)
	}
}

func TestUserInputRefused(t *testing.T) {
	u := OpenUsers(t.TempDir())
	tests := []struct {
		name, user, pw string
		role           Role
		want           string
	}{
		{"short password", "lan", "ngắn", RoleStaff, "ít nhất 10"},
		{"password = name", "lan.nguyen.01", "LAN.NGUYEN.01", RoleStaff, "trùng tên"},
		{"only spaces", "lan", strings.Repeat(" ", 12), RoleStaff, "dấu cách"},
		{"name with a space", "lan nguyen", "mật khẩu đủ dài", RoleStaff, "chỉ dùng chữ"},
		{"name with a slash", "../lan", "mật khẩu đủ dài", RoleStaff, "chỉ dùng chữ"},
		{"empty name", "  ", "mật khẩu đủ dài", RoleStaff, "cần tên"},
		{"bad role", "lan", "mật khẩu đủ dài", Role("root"), "vai trò"},
	}
	for _, tt := range tests {
		_, err := u.Add(tt.user, tt.role, tt.pw)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error about %q", tt.name, err, tt.want)
		}
	}
	if _, err := os.Stat(u.Path()); !os.IsNotExist(err) {
		t.Error("refused users wrote the file")
	}
}

func TestDamagedUsersFileIsKept(t *testing.T) {
	u := OpenUsers(t.TempDir())
	damaged := []byte(`{"version": 1, "users": [`)
	if err := os.WriteFile(u.Path(), damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Add("lan", RoleStaff, "mật khẩu đủ dài"); err == nil || !strings.Contains(err.Error(), "hỏng") {
		t.Errorf("Add over a damaged file: %v", err)
	}
	if b, _ := os.ReadFile(u.Path()); string(b) != string(damaged) {
		t.Error("damaged users.json was rewritten")
	}
	if _, ok := u.Verify("lan", "mật khẩu đủ dài"); ok {
		t.Error("signed in through a damaged file")
	}
}

func TestVerifyPasswordRefusesOddHashes(t *testing.T) {
	good, err := hashPassword("mật khẩu đủ dài")
	if err != nil {
		t.Fatal(err)
	}
	if !verifyPassword("mật khẩu đủ dài", good) {
		t.Fatal("own hash refused")
	}
	parts := strings.Split(good, "$")
	tests := map[string]string{
		"bcrypt":           "$2a$10$abcdefghijklmnopqrstuvwxyz",
		"argon2i":          strings.Replace(good, "argon2id", "argon2i", 1),
		"huge memory":      strings.Join([]string{"", parts[1], parts[2], "m=4194304,t=2,p=1", parts[4], parts[5]}, "$"),
		"zero passes":      strings.Join([]string{"", parts[1], parts[2], "m=19456,t=0,p=1", parts[4], parts[5]}, "$"),
		"short key":        strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$"),
		"not base64":       strings.Join([]string{"", parts[1], parts[2], parts[3], "!!!", parts[5]}, "$"),
		"empty":            "",
		"other salt":       strings.Join([]string{"", parts[1], parts[2], parts[3], "AAAAAAAAAAAAAAAAAAAAAA", parts[5]}, "$"),
		"missing sections": "$argon2id$v=19",
	}
	for name, h := range tests {
		if verifyPassword("mật khẩu đủ dài", h) {
			t.Errorf("%s: accepted %q", name, h)
		}
	}
}
