package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// authServer is a server whose keyring is in dir, with test routes beside GET /api/v1/whoami: a staff-only
// write, an admin-only write, and a public write, each answering with how many body bytes it read.
func authServer(t *testing.T, keys *corpus.Keyring, logs io.Writer) *Server {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Keys = keys
	if logs == nil {
		logs = io.Discard
	}
	s := New(cfg, nil, nil, nil, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	readBody := func(c echo.Context) error {
		b, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]int{"read": len(b)})
	}
	api := s.e.Group("/api/v1")
	api.GET("/whoami", s.apiWhoami, s.requireRole(corpus.RoleStaff, corpus.RoleBroker, corpus.RoleAdmin))
	api.POST("/test/staff", readBody, s.requireRole(corpus.RoleStaff))
	api.POST("/test/admin", readBody, s.requireRole(corpus.RoleAdmin))
	api.POST("/test/public", readBody)
	return s
}

// countingBody counts what the server read of a request body.
type countingBody struct {
	r    io.Reader
	read int
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += n
	return n, err
}

func (b *countingBody) Close() error { return nil }

type authCall struct {
	method, path string
	header       map[string]string
	bodySize     int
	chunked      bool // no Content-Length
}

// do serves one request in-process and reports the status, the decoded error (if any) and how many body
// bytes the server read.
func do(t *testing.T, s *Server, call authCall) (*httptest.ResponseRecorder, APIError, int) {
	t.Helper()
	body := &countingBody{r: bytes.NewReader(bytes.Repeat([]byte("x"), call.bodySize))}
	req := httptest.NewRequest(call.method, call.path, nil)
	req.Body = body
	req.ContentLength = int64(call.bodySize)
	if call.chunked {
		req.ContentLength = -1
	}
	if call.bodySize > 0 {
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	}
	for k, v := range call.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	var e APIError
	if rec.Code >= 400 {
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
			t.Fatalf("%s %s: error body not JSON: %s", call.method, call.path, rec.Body)
		}
	}
	return rec, e, body.read
}

func bearer(key string) map[string]string { return map[string]string{"Authorization": "Bearer " + key} }

func TestRequireRole(t *testing.T) {
	dir := t.TempDir()
	cli := corpus.OpenKeyring(dir)
	staff, staffInfo, err := cli.Create("Phòng QLKH", corpus.RoleStaff)
	if err != nil {
		t.Fatal(err)
	}
	broker, _, _ := cli.Create("Môi giới", corpus.RoleBroker)
	admin, adminInfo, _ := cli.Create("Quản trị", corpus.RoleAdmin)
	revoked, revokedInfo, _ := cli.Create("Cũ", corpus.RoleAdmin)
	if _, err := cli.Revoke(revokedInfo.ID); err != nil {
		t.Fatal(err)
	}
	s := authServer(t, corpus.OpenKeyring(dir), nil)
	const big = 5 << 20

	tests := []struct {
		name   string
		call   authCall
		status int
		code   string
		msg    string // part of the message
		read   int    // body bytes the server may read
	}{
		{"no key", authCall{method: "GET", path: "/api/v1/whoami"}, 401, "unauthorized", "cần khóa API", 0},
		{"bad key", authCall{method: "GET", path: "/api/v1/whoami", header: bearer("kn_khong-phai-khoa")}, 401, "unauthorized", "không hợp lệ", 0},
		{"other scheme", authCall{method: "GET", path: "/api/v1/whoami", header: map[string]string{"Authorization": "Basic " + staff}}, 401, "unauthorized", "cần khóa API", 0},
		{"revoked key", authCall{method: "GET", path: "/api/v1/whoami", header: bearer(revoked)}, 401, "unauthorized", "không hợp lệ", 0},
		{"staff whoami", authCall{method: "GET", path: "/api/v1/whoami", header: bearer(staff)}, 200, "", "", 0},
		{"lower-case bearer", authCall{method: "GET", path: "/api/v1/whoami", header: map[string]string{"Authorization": "bearer " + staff}}, 200, "", "", 0},
		{"X-API-Key", authCall{method: "GET", path: "/api/v1/whoami", header: map[string]string{"X-API-Key": admin}}, 200, "", "", 0},
		{"broker on staff route", authCall{method: "POST", path: "/api/v1/test/staff", header: bearer(broker), bodySize: 10}, 403, "forbidden", "không đủ quyền", 0},
		{"staff on admin route", authCall{method: "POST", path: "/api/v1/test/admin", header: bearer(staff), bodySize: 10}, 403, "forbidden", "admin", 0},
		{"staff on staff route", authCall{method: "POST", path: "/api/v1/test/staff", header: bearer(staff), bodySize: 10}, 200, "", "", 10},
		{"admin on staff route", authCall{method: "POST", path: "/api/v1/test/staff", header: bearer(admin), bodySize: 10}, 200, "", "", 10},
		// The point of deferring the body limit: no key means 401, whatever the body, and nothing is read.
		{"huge body, no key", authCall{method: "POST", path: "/api/v1/test/staff", bodySize: big}, 401, "unauthorized", "", 0},
		{"huge chunked body, no key", authCall{method: "POST", path: "/api/v1/test/staff", bodySize: big, chunked: true}, 401, "unauthorized", "", 0},
		{"huge body, bad key", authCall{method: "POST", path: "/api/v1/test/staff", header: bearer(revoked), bodySize: big}, 401, "unauthorized", "", 0},
		{"huge body, wrong role", authCall{method: "POST", path: "/api/v1/test/admin", header: bearer(broker), bodySize: big}, 403, "forbidden", "", 0},
		{"huge body, right key", authCall{method: "POST", path: "/api/v1/test/staff", header: bearer(staff), bodySize: big}, 413, "body_too_large", "", 0},
		{"huge chunked body, right key", authCall{method: "POST", path: "/api/v1/test/staff", header: bearer(staff), bodySize: big, chunked: true}, 413, "body_too_large", "", big},
		{"huge body, public route", authCall{method: "POST", path: "/api/v1/test/public", bodySize: big}, 413, "body_too_large", "", 0},
		{"small body, public route", authCall{method: "POST", path: "/api/v1/test/public", bodySize: 10}, 200, "", "", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, e, read := do(t, s, tt.call)
			if rec.Code != tt.status || e.Code != tt.code || !strings.Contains(e.Message, tt.msg) {
				t.Fatalf("got %d %q %q, want %d %q containing %q", rec.Code, e.Code, e.Message, tt.status, tt.code, tt.msg)
			}
			if tt.status == 401 && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", rec.Header().Get("WWW-Authenticate"))
			}
			if e.Code != "" && e.RequestID == "" {
				t.Error("error without request_id")
			}
			// A limited body may be read up to the limit before it is refused; nothing is read before auth.
			if tt.read == big && (read == 0 || read >= big) || tt.read != big && read != tt.read {
				t.Errorf("server read %d body bytes, want %d", read, tt.read)
			}
		})
	}

	rec, _, _ := do(t, s, authCall{method: "GET", path: "/api/v1/whoami", header: bearer(staff)})
	var who whoamiResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &who); err != nil || who.ID != staffInfo.ID || who.Name != "Phòng QLKH" || who.Role != corpus.RoleStaff {
		t.Errorf("whoami = %s", rec.Body)
	}
	rec, _, _ = do(t, s, authCall{method: "GET", path: "/api/v1/whoami", header: bearer(admin)})
	if !strings.Contains(rec.Body.String(), adminInfo.ID) {
		t.Errorf("whoami as admin = %s", rec.Body)
	}
}

// Over a real connection too, a client sending 5 MB without a key hears 401.
func TestHugeBodyWithoutKeyOverHTTP(t *testing.T) {
	dir := t.TempDir()
	s := authServer(t, corpus.OpenKeyring(dir), nil)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	resp, err := http.Post(ts.URL+"/api/v1/test/staff", "application/json", bytes.NewReader(make([]byte, 5<<20)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e APIError
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 401 || e.Code != "unauthorized" {
		t.Errorf("got %d %q, want 401 unauthorized", resp.StatusCode, e.Code)
	}
}

func TestNoKeysConfigured(t *testing.T) {
	emptyDir := corpus.OpenKeyring(t.TempDir())
	tests := []struct {
		name string
		keys *corpus.Keyring
	}{
		{"no keyring", nil},
		{"keyring without keys", emptyDir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := authServer(t, tt.keys, nil)
			rec, e, _ := do(t, s, authCall{method: "GET", path: "/api/v1/whoami", header: bearer("kn_abc")})
			if rec.Code != 401 || e.Code != "unauthorized" || !strings.Contains(e.Message, "ketnoi keys create") {
				t.Errorf("got %d %q %q", rec.Code, e.Code, e.Message)
			}
		})
	}
}

// A key revoked with the CLI (another Keyring on the same directory) stops working within the reload
// interval of the server's Keyring.
func TestRevokedElsewhereIsPickedUp(t *testing.T) {
	dir := t.TempDir()
	cli := corpus.OpenKeyring(dir)
	key, info, err := cli.Create("tạm", corpus.RoleBroker)
	if err != nil {
		t.Fatal(err)
	}
	s := authServer(t, corpus.OpenKeyring(dir), nil)
	call := authCall{method: "GET", path: "/api/v1/whoami", header: bearer(key)}
	if rec, _, _ := do(t, s, call); rec.Code != 200 {
		t.Fatalf("before revoking: %d", rec.Code)
	}
	if _, err := corpus.OpenKeyring(dir).Revoke(info.ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		rec, _, _ := do(t, s, call)
		if rec.Code == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revoked key still answered %d after 5 s", rec.Code)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Keys, good or bad, never reach the log; the requests themselves do.
func TestKeysNotLogged(t *testing.T) {
	dir := t.TempDir()
	key, _, err := corpus.OpenKeyring(dir).Create("nhật ký", corpus.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	bad := corpus.KeyPrefix + "DayLaKhoaSaiKhongDuocGhiVaoNhatKyDauNhe123"
	var logs syncBuffer
	s := authServer(t, corpus.OpenKeyring(dir), &logs)
	calls := []authCall{
		{method: "GET", path: "/api/v1/whoami", header: bearer(key)},
		{method: "GET", path: "/api/v1/whoami", header: map[string]string{"X-API-Key": key}},
		{method: "GET", path: "/api/v1/whoami", header: bearer(bad)},
		{method: "POST", path: "/api/v1/test/staff", header: bearer(key), bodySize: 5 << 20},
		{method: "GET", path: "/api/v1/whoami?key=" + bad},
	}
	for _, c := range calls {
		do(t, s, c)
	}
	out := logs.String()
	if strings.Count(out, "msg=request") != len(calls) {
		t.Fatalf("log capture does not see the requests:\n%s", out)
	}
	for _, secret := range []string{key[len(corpus.KeyPrefix):], bad[len(corpus.KeyPrefix):], "Bearer"} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds %q:\n%s", secret, out)
		}
	}
}
