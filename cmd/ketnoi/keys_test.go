package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"ketnoi/corpus"
)

// keys create → list → revoke, while another process (here: an open store) holds the data directory as a
// running server would.
func TestKeysCreateListRevoke(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	st, err := corpus.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	server := corpus.OpenKeyring(data)

	code, out, errOut := ketnoi(t, "keys", "create", "--name", "Phòng Quản lý khoa học", "--role", "staff", "--data", data)
	if code != 0 {
		t.Fatalf("create: exit %d\n%s\n%s", code, out, errOut)
	}
	key := strings.TrimSpace(out)
	if !strings.HasPrefix(key, corpus.KeyPrefix) || strings.Contains(key, "\n") {
		t.Fatalf("create: stdout is not just the key: %q", out)
	}
	for _, want := range []string{"CẢNH BÁO", "không bao giờ hiển thị lại", "staff"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("create: stderr lacks %q:\n%s", want, errOut)
		}
	}
	info, ok := server.Authenticate(key)
	if !ok || info.Role != corpus.RoleStaff {
		t.Fatalf("created key does not authenticate: %+v", info)
	}

	code, out, _ = ketnoi(t, "--data", data, "keys", "list")
	if code != 0 {
		t.Fatalf("list: exit %d", code)
	}
	for _, want := range []string{"MÃ", "VAI TRÒ", info.ID, "Phòng Quản lý khoa học", "…" + key[len(key)-4:], "1 khóa, 1 đang hiệu lực"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, key[len(corpus.KeyPrefix):len(key)-4]) {
		t.Errorf("list shows the key:\n%s", out)
	}

	code, out, errOut = ketnoi(t, "keys", "revoke", info.ID[:5], "--data", data)
	if code != 0 || !strings.Contains(out, "Đã thu hồi khóa "+info.ID) {
		t.Fatalf("revoke: exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = ketnoi(t, "keys", "revoke", info.ID, "--data", data)
	if code != 1 || !strings.Contains(errOut, "đã bị thu hồi") {
		t.Errorf("second revoke: exit %d\n%s", code, errOut)
	}

	code, out, _ = ketnoi(t, "keys", "list", "--json", "--data", data)
	var list []struct {
		ID      string  `json:"id"`
		Role    string  `json:"role"`
		Revoked *string `json:"revoked_at"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil || code != 0 {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	if len(list) != 1 || list[0].ID != info.ID || list[0].Revoked == nil {
		t.Errorf("list --json after revoke: %s", out)
	}
}

func TestKeysUsageErrors(t *testing.T) {
	data := t.TempDir()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"keys"}, 2, "cần lệnh con"},
		{[]string{"keys", "xoa"}, 2, "không có lệnh con"},
		{[]string{"keys", "create", "--role", "staff"}, 2, "--name"},
		{[]string{"keys", "create", "--name", "A"}, 2, "--role"},
		{[]string{"keys", "create", "--name", "A", "--role", "root"}, 2, "không hợp lệ"},
		{[]string{"keys", "create", "A", "--role", "staff"}, 2, "không nhận đối số"},
		{[]string{"keys", "list", "--role", "staff"}, 2, "không nhận cờ --role"},
		{[]string{"keys", "revoke"}, 2, "đúng một mã"},
		{[]string{"keys", "revoke", "ffffffff"}, 1, "không có khóa API"},
	}
	for _, tt := range tests {
		code, _, errOut := ketnoi(t, append(tt.args, "--data", data)...)
		if code != tt.code || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d containing %q", tt.args, code, errOut, tt.code, tt.want)
		}
	}
	code, out, _ := ketnoi(t, "keys", "list", "--data", data)
	if code != 0 || !strings.Contains(out, "Chưa có khóa API nào") {
		t.Errorf("empty list: %d %q", code, out)
	}
	code, out, _ = ketnoi(t, "keys", "--help")
	if code != 0 || !strings.Contains(out, "ketnoi keys create") {
		t.Errorf("help: %d %q", code, out)
	}
}
