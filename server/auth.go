package server

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"ketnoi/corpus"
)

// Writes need an API key (see corpus.Keyring); requireRole is the gate, added as route or group middleware
// to every route that needs one:
//
//	api.POST("/results", s.apiUpload, s.requireRole(corpus.RoleStaff))
//
// A write without a valid key must be answered 401 before anything else looks at the request. Echo runs the
// middleware of e.Use after routing but before the route's own, so the body limit (global, in New) cannot
// refuse a body by its Content-Length up front: bodyLimit below defers that refusal until the route's
// middleware — requireRole first — has run.

// ctxPrincipal is where requireRole leaves the caller's key in the echo context.
const ctxPrincipal = "ketnoi.principal"

// ctxBodyTooLarge marks a request whose Content-Length is over the limit (see bodyLimit).
const ctxBodyTooLarge = "ketnoi.body_too_large"

// principal is the key the request was authenticated with; ok is false on routes without requireRole.
func principal(c echo.Context) (corpus.KeyInfo, bool) {
	k, ok := c.Get(ctxPrincipal).(corpus.KeyInfo)
	return k, ok
}

// requireRole lets through requests carrying an active API key, or the session cookie of a key signed in
// on the web page, whose role allows one of roles (admin allows everything); it answers 401 for a
// missing, unknown or revoked key and 403 for a role that is not enough, without reading the body.
func (s *Server) requireRole(roles ...corpus.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			k, err := s.authenticate(c)
			if err != nil {
				return err
			}
			c.Set(ctxPrincipal, k) // before the role check: a refused attempt is audited with who made it
			allowed := false
			for _, r := range roles {
				allowed = allowed || k.Role.Allows(r)
			}
			if !allowed {
				return apiErr(http.StatusForbidden, "forbidden",
					"Khóa API có vai trò "+k.Role.Label()+" ("+string(k.Role)+"), không đủ quyền cho thao tác này; cần vai trò "+roleList(roles)+".")
			}
			// Only now is the client's write budget spent, and a body refused for its size: the caller is
			// known to be allowed.
			if err := s.limitWrite(c); err != nil {
				return err
			}
			if tooLarge, _ := c.Get(ctxBodyTooLarge).(bool); tooLarge {
				return echo.ErrStatusRequestEntityTooLarge
			}
			return next(c)
		}
	}
}

// optionalPrincipal authenticates a request on a public route that shows more to a caller with a key (a
// broker sees the decisions on matches): no key and no session is anonymous, a key that is wrong is 401 as
// on any other route.
func (s *Server) optionalPrincipal(c echo.Context) (corpus.KeyInfo, bool, error) {
	if _, present := requestKey(c.Request()); !present && s.currentSession(c) == nil {
		return corpus.KeyInfo{}, false, nil
	}
	k, err := s.authenticate(c)
	if err != nil {
		return corpus.KeyInfo{}, false, err
	}
	c.Set(ctxPrincipal, k)
	return k, true, nil
}

// authenticate finds the request's key. Neither the key nor any part of it goes into logs or errors.
func (s *Server) authenticate(c echo.Context) (corpus.KeyInfo, error) {
	keys := s.cfg.Keys
	if keys == nil {
		return corpus.KeyInfo{}, unauthorized(c, "", "Máy chủ chưa cấu hình khóa API nên mọi thao tác ghi đều bị từ chối; quản trị viên tạo khóa bằng lệnh: ketnoi keys create --name TÊN --role staff")
	}
	key, present := requestKey(c.Request())
	if !present {
		// A browser signed in on the staff pages sends its session cookie instead (and, for a write, the
		// session's CSRF token): see session.go. Only cookies and headers are read.
		if k, ok, err := s.sessionPrincipal(c); err != nil || ok {
			return k, err
		}
		return corpus.KeyInfo{}, unauthorized(c, "", "Thao tác này cần khóa API: gửi tiêu đề Authorization: Bearer KHÓA (hoặc X-API-Key: KHÓA).")
	}
	k, ok := keys.Authenticate(key)
	if ok {
		return k, nil
	}
	active, lerr := keys.Check()
	switch {
	case lerr != nil:
		// The operator must learn that keys.json is unreadable; the caller only that the key was refused.
		s.reqLog(c).Error("API keys unavailable", slog.String("error", lerr.Error()))
	case active == 0:
		return corpus.KeyInfo{}, unauthorized(c, `error="invalid_token"`, "Máy chủ chưa có khóa API nào đang hiệu lực; quản trị viên tạo khóa bằng lệnh: ketnoi keys create --name TÊN --role staff")
	}
	// Unknown and revoked keys get the same answer, so that it says nothing about which keys exist.
	return corpus.KeyInfo{}, unauthorized(c, `error="invalid_token"`, "Khóa API không hợp lệ hoặc đã bị thu hồi.")
}

// requestKey reads the key from Authorization: Bearer KEY or, for clients that cannot set that, X-API-Key.
// Query parameters are not accepted: URLs end up in logs and browser histories.
func requestKey(r *http.Request) (key string, present bool) {
	if h := r.Header.Get(echo.HeaderAuthorization); h != "" {
		scheme, v, _ := strings.Cut(strings.TrimSpace(h), " ")
		if !strings.EqualFold(scheme, "Bearer") {
			// Another scheme (Basic…) carries no key of ours; say it is missing rather than invalid.
			return "", false
		}
		return strings.TrimSpace(v), true
	}
	if v := strings.TrimSpace(r.Header.Get("X-API-Key")); v != "" {
		return v, true
	}
	return "", false
}

func unauthorized(c echo.Context, challenge, msg string) error {
	h := `Bearer realm="ketnoi"`
	if challenge != "" {
		h += ", " + challenge
	}
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, h)
	return apiErr(http.StatusUnauthorized, "unauthorized", msg)
}

func roleList(roles []corpus.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, " hoặc ")
}

// whoamiResponse is GET /api/v1/whoami.
type whoamiResponse struct {
	ID   string      `json:"id"`
	Name string      `json:"name"`
	Role corpus.Role `json:"role"`
}

// apiWhoami tells a client which key it is using: a cheap way to test a key and the auth path end to end.
func (s *Server) apiWhoami(c echo.Context) error {
	k, ok := principal(c)
	if !ok {
		// Registered without requireRole: a wiring mistake, not the caller's.
		return errors.New("whoami: route registered without requireRole")
	}
	return c.JSON(http.StatusOK, whoamiResponse{ID: k.ID, Name: k.Name, Role: k.Role})
}

// bodyLimit is Echo's body limit, except that a body refused by its Content-Length alone is not refused
// here but marked: requireRole refuses it after authenticating, so that a caller without a key hears 401
// and not 413, and a public route refuses it on its first read (which fails with 413, never reading a
// byte). Bodies without a Content-Length are counted as they are read, as before.
func (s *Server) bodyLimit(limit string) echo.MiddlewareFunc {
	echoLimit := middleware.BodyLimit(limit)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if c.Path() == uploadRoute || c.Path() == recordsRoute || c.Path() == staffUploadRoute || c.Path() == pruneRoute {
				return next(c) // the upload, import and prune handlers bound their own, much larger, bodies
			}
			// Echo's middleware refuses an over-long Content-Length before calling next, and otherwise
			// always calls it; whether next ran tells the two apart without parsing limit a second time.
			entered := false
			err := echoLimit(func(c echo.Context) error {
				entered = true
				return next(c)
			})(c)
			if entered || !errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
				return err
			}
			c.Set(ctxBodyTooLarge, true)
			req := c.Request()
			req.Body = tooLargeBody{req.Body}
			return next(c)
		}
	}
}

// tooLargeBody is a body already known to be over the limit: reading it fails at once.
type tooLargeBody struct{ io.Closer }

func (tooLargeBody) Read([]byte) (int, error) { return 0, echo.ErrStatusRequestEntityTooLarge }
