package server

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ketnoi/corpus"
)

// signInUser posts the sign-in form with a user name and password.
func (b *browser) signInUser(name, password string) page {
	b.t.Helper()
	p := b.get(loginPath)
	if p.code != http.StatusOK {
		b.t.Fatalf("sign-in page: %d", p.code)
	}
	return b.post(loginPath, url.Values{"csrf": {find(b.t, fieldCSRF, p.body)}, "name": {name}, "password": {password}})
}

// TestUserSignIn: users made by `ketnoi users` sign in with name and password, get a session exactly like
// a key's (role, CSRF, audit), and lose it when their password changes or they are removed.
func TestUserSignIn(t *testing.T) {
	e := staffServer(t)
	const brokerPW, staffPW = "Mật khẩu môi giới 1", "mật khẩu cán bộ dài"
	if _, err := e.users.Add("lan.nguyễn", corpus.RoleBroker, brokerPW); err != nil {
		t.Fatal(err)
	}
	minh, err := e.users.Add("minh", corpus.RoleStaff, staffPW)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, pw := range []string{brokerPW, staffPW} {
			if strings.Contains(e.logs.String(), pw) {
				t.Error("a password reached the logs")
			}
		}
	})

	refused := []struct{ name, user, pw string }{
		{"wrong password", "lan.nguyễn", "sai mật khẩu rồi"},
		{"unknown user", "khong-co-ai", brokerPW},
		{"password of another user", "minh", brokerPW},
		{"name without password", "lan.nguyễn", ""},
	}
	for _, tt := range refused {
		b := e.browser(t)
		p := b.signInUser(tt.user, tt.pw)
		if p.code != http.StatusUnauthorized || !strings.Contains(p.body, "Tên đăng nhập hoặc mật khẩu không đúng") ||
			cookieNamed(p.resp, sessionCookie) != nil || tt.pw != "" && strings.Contains(p.body, tt.pw) {
			t.Errorf("%s: %d, session cookie %v", tt.name, p.code, cookieNamed(p.resp, sessionCookie))
		}
	}

	// The broker signs in (name in another case, password as typed) and lands on the broker page.
	b := e.browser(t)
	p := b.signInUser("Lan.Nguyễn", brokerPW)
	sc := cookieNamed(p.resp, sessionCookie)
	if p.code != http.StatusSeeOther || p.h.Get("Location") != brokerPath || sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode {
		t.Fatalf("broker sign-in: %d → %q, cookie %+v", p.code, p.h.Get("Location"), sc)
	}
	if p = b.get("/api/v1/whoami"); p.code != http.StatusOK || !strings.Contains(p.body, `"name":"lan.nguyễn","role":"broker"`) {
		t.Errorf("whoami as the broker user: %d %s", p.code, p.body)
	}
	if p = b.get("/can-bo"); p.code != http.StatusForbidden {
		t.Errorf("staff page for a broker user: %d, want 403", p.code)
	}

	// The staff user writes through the API with the session and its CSRF token; the audit log names them.
	s := e.browser(t)
	if p = s.signInUser("minh", staffPW); p.code != http.StatusSeeOther || p.h.Get("Location") != "/can-bo" {
		t.Fatalf("staff sign-in: %d → %q", p.code, p.h.Get("Location"))
	}
	csrf := s.csrf()
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/whoami", nil)
	if p = s.do(req); p.code != http.StatusOK || !strings.Contains(p.body, `"id":"`+minh.ID+`"`) || !strings.Contains(p.body, `"role":"staff"`) {
		t.Fatalf("whoami: %d %s", p.code, p.body)
	}
	req, _ = http.NewRequest("POST", e.ts.URL+"/api/v1/jobs/job-khong-co/retry", nil)
	req.Header.Set(csrfHeader, csrf)
	if p = s.do(req); p.code != http.StatusNotFound {
		t.Fatalf("API write as a signed-in user: %d %s", p.code, p.body)
	}
	audit, _ := os.ReadFile(filepath.Join(e.dir, "audit.log"))
	if !strings.Contains(string(audit), `"key_id":"`+minh.ID+`","key_name":"minh","user":true,"role":"staff","method":"POST","path":"/api/v1/jobs/job-khong-co/retry"`) {
		t.Errorf("audit log does not name the user:\n%s", audit)
	}

	// A new password ends the sessions signed in with the old one; removal ends the others.
	if _, err := e.users.SetPassword("minh", "mật khẩu mới cho minh"); err != nil {
		t.Fatal(err)
	}
	if p = s.get("/can-bo"); p.code != http.StatusSeeOther {
		t.Errorf("staff page after passwd: %d, want a redirect to sign in", p.code)
	}
	if _, err := e.users.Remove("lan.nguyễn"); err != nil {
		t.Fatal(err)
	}
	if p = b.get(brokerPath); p.code != http.StatusSeeOther {
		t.Errorf("broker page after the user was removed: %d, want a redirect to sign in", p.code)
	}
	if p = b.get("/api/v1/whoami"); p.code != http.StatusUnauthorized {
		t.Errorf("whoami after the user was removed: %d, want 401", p.code)
	}
	if p = e.browser(t).signInUser("minh", staffPW); p.code != http.StatusUnauthorized {
		t.Errorf("old password after passwd: %d", p.code)
	}
	if p = e.browser(t).signInUser("minh", "mật khẩu mới cho minh"); p.code != http.StatusSeeOther {
		t.Errorf("new password: %d", p.code)
	}
}

// TestUserSignInIsRateLimited: failed user sign-ins count with failed keys; once over the limit even the
// right password is refused with 429.
func TestUserSignInIsRateLimited(t *testing.T) {
	e := staffServer(t)
	const pw = "mật khẩu đủ dài 42"
	if _, err := e.users.Add("minh", corpus.RoleStaff, pw); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	for i := range loginFailLimit {
		form := url.Values{"name": {"minh"}, "password": {"sai " + pw}}
		if i%2 == 1 {
			form = url.Values{"key": {corpus.KeyPrefix + "sai"}}
		}
		form.Set("csrf", find(t, fieldCSRF, b.get(loginPath).body))
		if p := b.post(loginPath, form); p.code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, p.code)
		}
	}
	p := b.signInUser("minh", pw)
	if p.code != http.StatusTooManyRequests || p.h.Get("Retry-After") == "" || cookieNamed(p.resp, sessionCookie) != nil {
		t.Errorf("right password after %d failures: %d, Retry-After %q", loginFailLimit, p.code, p.h.Get("Retry-After"))
	}
}

// TestSessionCookieSecureBehindTLS: the session and sign-in cookies are Secure when the browser reached
// the server over TLS, directly or through a trusted proxy that says so, and only then.
func TestSessionCookieSecureBehindTLS(t *testing.T) {
	const pw = "mật khẩu đủ dài 42"
	tests := []struct {
		name       string
		tls        bool
		trusted    bool
		proto      string
		wantSecure bool
	}{
		{name: "plain HTTP", wantSecure: false},
		{name: "direct TLS", tls: true, wantSecure: true},
		{name: "trusted proxy says https", trusted: true, proto: "https", wantSecure: true},
		{name: "trusted proxy says http", trusted: true, proto: "http", wantSecure: false},
		{name: "untrusted peer says https", proto: "https", wantSecure: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newWriteServer(t, serverOpts{capacity: 4, staffName: "Cán bộ A", config: func(cfg *Config) {
				if tt.trusted {
					localProxy(cfg)
				}
			}})
			if _, err := e.users.Add("minh", corpus.RoleStaff, pw); err != nil {
				t.Fatal(err)
			}
			base, client := e.ts.URL, &http.Client{}
			if tt.tls {
				ts := httptest.NewTLSServer(e.handler)
				t.Cleanup(ts.Close)
				base, client = ts.URL, ts.Client()
			}
			jar, _ := cookiejar.New(nil)
			client.Jar = jar
			client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			send := func(req *http.Request) *http.Response {
				if tt.proto != "" {
					req.Header.Set("X-Forwarded-Proto", tt.proto)
					req.Header.Set("X-Forwarded-For", "198.51.100.3")
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp
			}
			req, _ := http.NewRequest("GET", base+loginPath, nil)
			resp := send(req)
			lc := cookieNamed(resp, loginCookie)
			if lc == nil || lc.Secure != tt.wantSecure || !lc.HttpOnly {
				t.Fatalf("sign-in form cookie %+v, want Secure=%v", lc, tt.wantSecure)
			}
			form := url.Values{"csrf": {lc.Value}, "name": {"minh"}, "password": {pw}}
			req, _ = http.NewRequest("POST", base+loginPath, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(lc) // a Secure cookie is not sent back over plain HTTP by the jar: as a browser behind TLS would
			resp = send(req)
			sc := cookieNamed(resp, sessionCookie)
			if resp.StatusCode != http.StatusSeeOther || sc == nil {
				t.Fatalf("sign-in: %d, cookie %v", resp.StatusCode, sc)
			}
			if sc.Secure != tt.wantSecure || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode {
				t.Errorf("session cookie Secure=%v HttpOnly=%v SameSite=%v; want Secure=%v, HttpOnly, Lax", sc.Secure, sc.HttpOnly, sc.SameSite, tt.wantSecure)
			}
		})
	}
}
