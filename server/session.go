package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus"
)

// Staff and brokers sign in on the web page by pasting their API key once, or with a name and password
// set by `ketnoi users`; the server then keeps a session in memory and gives the browser only a random
// token in a cookie. A session carries a principal exactly like a key's (corpus.KeyInfo, User set for a
// user), so every check after sign-in is the same for both.
//
//   - The key itself is not kept: a session remembers the key's id, and every request re-checks that the
//     id is still an active key in keys.json (through a cache at most keyRecheck old, the same interval at
//     which Keyring.Authenticate notices a changed file), so `ketnoi keys revoke` ends the key's sessions
//     at their next request. Keeping the plaintext to call Authenticate again would put every signed-in
//     key in the process's memory for 12 hours; the id is not a secret.
//   - A user's session remembers the user's id and password stamp: `ketnoi users remove` and
//     `ketnoi users passwd` end it at its next request, and a changed role applies at once.
//   - The cookie is HttpOnly (scripts never see it), Secure when the request came over TLS (directly, or
//     through a trusted proxy that says so in X-Forwarded-Proto: see limits.go), and
//     SameSite=Lax: the browser does not send it on cross-site POSTs, fetches or frames, and does send it
//     when a person follows a link to /can-bo from a mail or a chat. Strict would break exactly those
//     links (they would land on the sign-in form although the session is alive) and protect nothing more,
//     since every state change is a POST that also needs the CSRF token.
//   - CSRF: each session has its own random token, rendered into every form as the hidden field "csrf"
//     and into <meta name="csrf-token"> for scripts, which send it as X-CSRF-Token. Every POST of the
//     staff pages and every write of the API authenticated by the cookie must carry it; API calls with an
//     Authorization key carry no cookie and need none. The sign-in form, which has no session yet, uses a
//     double-submit token: the same random value in a cookie and in the form.
//   - Sessions live in memory only: a restart signs everyone out, which is acceptable for a handful of
//     staff and avoids writing bearer tokens to disk.

const (
	sessionCookie = "ketnoi_session"
	// loginCookie holds the sign-in form's double-submit CSRF token; it is sent to the sign-in URL only.
	loginCookie = "ketnoi_dang_nhap"
	loginPath   = "/can-bo/dang-nhap"
	sessionTTL  = 12 * time.Hour
	csrfField   = "csrf"
	csrfHeader  = "X-CSRF-Token"
	keyRecheck  = time.Second
	// maxSessions bounds memory; sign-ins beyond it first sweep expired sessions, then end the oldest.
	maxSessions = 10000

	// Failed sign-ins: at most loginFailLimit per client per loginFailWindow, then 429.
	loginFailLimit  = 10
	loginFailWindow = 10 * time.Minute
	// maxLimitedClients bounds the limiter's memory; beyond it the least recently failing client is
	// forgotten (an attacker who controls that many addresses gains nothing from the reset).
	maxLimitedClients = 10000
)

// ctxSession is where the staff page middleware leaves the request's session.
const ctxSession = "ketnoi.session"

// session is one signed-in browser.
type session struct {
	who     corpus.KeyInfo // the key or user signed in, as it was then (ID and User are what count)
	stamp   string         // a user's password stamp at sign-in
	csrf    string
	created time.Time
	expires time.Time
	flash   flash // a message for the next page shown, after a redirect
}

// flash is a one-time message: what a POST did, shown by the page it redirects to.
type flash struct {
	Text  string
	Error bool
	// Details are what Text sums up, a block each (a record file's counts and its first problems); the
	// page escapes them as it does Text.
	Details []flashDetail
}

// flashDetail is a block of a flash: a line and the lines under it.
type flashDetail struct {
	Head  string
	Lines []string
}

// sessionView is what a request may know of its session: a copy, safe to use without the lock.
type sessionView struct {
	hash [sha256.Size]byte
	key  corpus.KeyInfo
	csrf string
}

// staffState is the server's sign-in state: sessions, the key cache and the failed sign-in limiter.
type staffState struct {
	mu       sync.Mutex
	sessions map[[sha256.Size]byte]*session // by SHA-256 of the cookie value, so memory holds no token

	keysMu  sync.Mutex
	keysAt  time.Time
	keysErr error
	keysBy  map[string]corpus.KeyInfo

	limiter *rateLimiter // failed sign-ins
}

func newStaffState() *staffState {
	return &staffState{sessions: map[[sha256.Size]byte]*session{}, limiter: newRateLimiter(loginFailLimit, loginFailWindow)}
}

// randomToken is 32 random bytes, base64url: a session token or a CSRF token.
func randomToken() string { return corpus.NewToken() }

// create starts a session for principal k (with a user's password stamp) and returns its cookie value.
func (st *staffState) create(k corpus.KeyInfo, stamp string, now time.Time) (string, *session) {
	token := randomToken()
	sess := &session{who: k, stamp: stamp, csrf: randomToken(), created: now, expires: now.Add(sessionTTL)}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.sessions) >= maxSessions {
		st.sweepLocked(now)
	}
	for len(st.sessions) >= maxSessions {
		var oldest [sha256.Size]byte
		first := true
		for h, s := range st.sessions {
			if first || s.created.Before(st.sessions[oldest].created) {
				oldest, first = h, false
			}
		}
		delete(st.sessions, oldest)
	}
	st.sessions[sha256.Sum256([]byte(token))] = sess
	return token, sess
}

func (st *staffState) sweepLocked(now time.Time) {
	for h, s := range st.sessions {
		if !now.Before(s.expires) {
			delete(st.sessions, h)
		}
	}
}

func (st *staffState) end(hash [sha256.Size]byte) {
	st.mu.Lock()
	delete(st.sessions, hash)
	st.mu.Unlock()
}

// setFlash leaves a message for the session's next page.
func (st *staffState) setFlash(hash [sha256.Size]byte, f flash) {
	st.mu.Lock()
	if s := st.sessions[hash]; s != nil {
		s.flash = f
	}
	st.mu.Unlock()
}

// takeFlash returns the session's message and clears it.
func (st *staffState) takeFlash(hash [sha256.Size]byte) flash {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.sessions[hash]
	if s == nil {
		return flash{}
	}
	f := s.flash
	s.flash = flash{}
	return f
}

// activeKey says whether key id is still active, and returns its current description. keys.json is read
// at most once per keyRecheck; an unreadable file refuses every session (fail closed).
func (st *staffState) activeKey(keys *corpus.Keyring, id string, now time.Time) (corpus.KeyInfo, bool, error) {
	st.keysMu.Lock()
	defer st.keysMu.Unlock()
	_, known := st.keysBy[id]
	// A key created after the last read is not in the cache yet: read again rather than end its session.
	if now.Sub(st.keysAt) >= keyRecheck || !known && st.keysErr == nil {
		list, err := keys.List()
		st.keysAt, st.keysErr, st.keysBy = now, err, make(map[string]corpus.KeyInfo, len(list))
		for _, k := range list {
			st.keysBy[k.ID] = k
		}
	}
	if st.keysErr != nil {
		return corpus.KeyInfo{}, false, st.keysErr
	}
	k, ok := st.keysBy[id]
	return k, ok && k.Active() && k.Role.Valid(), nil
}

// currentSession returns the request's session, or nil when it has none, it expired, or its key is no
// longer active (then the session is ended). It reads only the cookie: never the body.
func (s *Server) currentSession(c echo.Context) *sessionView {
	if s.staff == nil || s.cfg.Keys == nil && s.cfg.Users == nil {
		return nil
	}
	ck, err := c.Cookie(sessionCookie)
	if err != nil || ck.Value == "" || len(ck.Value) > 64 {
		return nil
	}
	hash := sha256.Sum256([]byte(ck.Value))
	now := time.Now()
	st := s.staff
	st.mu.Lock()
	sess := st.sessions[hash]
	var who corpus.KeyInfo
	var stamp, csrf string
	if sess != nil {
		if !now.Before(sess.expires) {
			delete(st.sessions, hash)
			sess = nil
		} else {
			who, stamp, csrf = sess.who, sess.stamp, sess.csrf
		}
	}
	st.mu.Unlock()
	if sess == nil {
		return nil
	}
	k, ok, err := s.stillValid(who, stamp, now)
	if err != nil {
		s.reqLog(c).Error("keys or users unavailable", slog.String("error", err.Error()))
		return nil
	}
	if !ok {
		st.end(hash)
		return nil
	}
	return &sessionView{hash: hash, key: k, csrf: csrf}
}

// stillValid re-checks a session's principal: a key still active, or a user still there with the same
// password, and returns its current description (a changed role or name applies at once).
func (s *Server) stillValid(who corpus.KeyInfo, stamp string, now time.Time) (corpus.KeyInfo, bool, error) {
	if !who.User {
		if s.cfg.Keys == nil {
			return corpus.KeyInfo{}, false, nil
		}
		return s.staff.activeKey(s.cfg.Keys, who.ID, now)
	}
	if s.cfg.Users == nil {
		return corpus.KeyInfo{}, false, nil
	}
	u, ok, err := s.cfg.Users.Lookup(who.ID)
	if err != nil || !ok {
		return corpus.KeyInfo{}, false, err
	}
	return u.Principal(), u.Stamp == stamp && u.Role.Valid(), nil
}

// checkCSRF compares a submitted token with the session's.
func (v *sessionView) checkCSRF(token string) bool { return sameToken(token, v.csrf) }

// sameToken compares tokens in constant time, so that timing tells nothing about the expected one.
func sameToken(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// sessionPrincipal is the key of a request that carries no API key but a session cookie, for
// requireRole. A write (any method but GET, HEAD, OPTIONS) must also send the session's CSRF token in
// X-CSRF-Token; the body is not read.
func (s *Server) sessionPrincipal(c echo.Context) (corpus.KeyInfo, bool, error) {
	v := s.currentSession(c)
	if v == nil {
		return corpus.KeyInfo{}, false, nil
	}
	if !safeMethod(c.Request().Method) && !v.checkCSRF(c.Request().Header.Get(csrfHeader)) {
		return corpus.KeyInfo{}, false, apiErr(http.StatusForbidden, "csrf",
			"Thiếu hoặc sai mã chống giả mạo (tiêu đề X-CSRF-Token) cho phiên đăng nhập; hãy tải lại trang.")
	}
	return v.key, true, nil
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sessionCookieFor is the session cookie, or with maxAge < 0 its deletion.
func sessionCookieFor(c echo.Context, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: sessionCookie, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: c.Scheme() == "https", SameSite: http.SameSiteLaxMode}
}

// loginToken returns the sign-in form's CSRF token, setting its cookie when the browser has none yet.
func loginToken(c echo.Context) string { return formToken(c, loginCookie, loginPath) }

// formToken is the double-submit CSRF token of a form that has no session (the sign-in form, the public
// need form): the same random value in a cookie, sent to the form's path only, and in a hidden field.
// A page from another site can make a browser post the form, but cannot read the cookie to fill the field.
func formToken(c echo.Context, cookie, path string) string {
	if ck, err := c.Cookie(cookie); err == nil && len(ck.Value) == 43 {
		return ck.Value
	}
	t := randomToken()
	c.SetCookie(&http.Cookie{Name: cookie, Value: t, Path: path, MaxAge: int(sessionTTL.Seconds()),
		HttpOnly: true, Secure: c.Scheme() == "https", SameSite: http.SameSiteLaxMode})
	return t
}

// checkFormToken compares a form's double-submit token with its cookie.
func checkFormToken(c echo.Context, cookie string) bool {
	ck, err := c.Cookie(cookie)
	return err == nil && sameToken(ck.Value, c.FormValue(csrfField))
}

// rateLimiter counts events per client (failed sign-ins, submitted needs) and refuses a client that had
// limit of them within the last window.
type rateLimiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	events map[string][]time.Time // the client's recent events, oldest first
}

func newRateLimiter(limit int, window time.Duration) *rateLimiter {
	return &rateLimiter{limit: limit, window: window, events: map[string][]time.Time{}}
}

// wait is how long client must wait before trying again: 0 when it may try now.
func (l *rateLimiter) wait(client string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waitLocked(client, now)
}

func (l *rateLimiter) waitLocked(client string, now time.Time) time.Duration {
	f := l.recentLocked(client, now)
	if len(f) < l.limit {
		return 0
	}
	return f[len(f)-l.limit].Add(l.window).Sub(now)
}

// take counts an event of client if it is within the limit (returning 0), else returns how long to
// wait: checking and counting at once, so that concurrent requests cannot all pass the check.
func (l *rateLimiter) take(client string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := l.waitLocked(client, now); w > 0 {
		return w
	}
	l.addLocked(client, now)
	return 0
}

// add counts an event of client.
func (l *rateLimiter) add(client string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.addLocked(client, now)
}

func (l *rateLimiter) addLocked(client string, now time.Time) {
	f := l.recentLocked(client, now)
	if f == nil && len(l.events) >= maxLimitedClients {
		l.evictLocked(now)
	}
	f = append(f, now)
	if len(f) > l.limit {
		f = f[len(f)-l.limit:]
	}
	l.events[client] = f
}

// recentLocked drops client's events older than the window and returns the rest.
func (l *rateLimiter) recentLocked(client string, now time.Time) []time.Time {
	f := l.events[client]
	i := 0
	for i < len(f) && now.Sub(f[i]) >= l.window {
		i++
	}
	if i == len(f) {
		delete(l.events, client)
		return nil
	}
	f = f[i:]
	l.events[client] = f
	return f
}

// evictLocked forgets clients whose events all expired and, if that is not enough, the one whose last
// event is the oldest.
func (l *rateLimiter) evictLocked(now time.Time) {
	for k, f := range l.events {
		if now.Sub(f[len(f)-1]) >= l.window {
			delete(l.events, k)
		}
	}
	if len(l.events) < maxLimitedClients {
		return
	}
	var oldest string
	var at time.Time
	for k, f := range l.events {
		if last := f[len(f)-1]; oldest == "" || last.Before(at) {
			oldest, at = k, last
		}
	}
	delete(l.events, oldest)
}

// clientKey is what the limiter counts by: the IP address, or for IPv6 its /64, which one subscriber
// usually holds whole.
func clientKey(ip string) string {
	a := net.ParseIP(ip)
	if a == nil {
		return ip
	}
	if a.To4() == nil {
		return a.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return a.String()
}
