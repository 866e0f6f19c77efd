package server

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus"
)

// The needs intake on the web: the public form where an enterprise submits its technology need
// (/gui-nhu-cau), and the private page where it follows the need's state (/nhu-cau/theo-doi/TOKEN).
// The form is the one write open to the public, so it is guarded on every side: a body limit, a
// double-submit CSRF token, a hidden field that only robots fill, and a limit of submissions per client
// address. Everything works without JavaScript: a POST, then a redirect.

const (
	intakePath     = "/gui-nhu-cau"
	intakeDonePath = "/gui-nhu-cau/da-nhan"
	followPrefix   = "/nhu-cau/theo-doi/"
	followAPI      = "/api/v1/intake/status/"
	intakeCookie   = "ketnoi_gui_nhu_cau"
	// honeypotField is hidden from people (off screen, out of the tab order); robots fill every field.
	// Its name means nothing to a browser's autofill.
	honeypotField = "lien_ket_phu"
	// intakeBodyLimit bounds the form's body: the longest texts allowed, urlencoded (up to 9 bytes for a
	// Vietnamese letter), fit with room to spare.
	intakeBodyLimit = 128 << 10
	// Submissions per client address: at most IntakeLimit per IntakeWindow (Config), then 429.
	defaultIntakeLimit  = 5
	defaultIntakeWindow = time.Hour
)

// intakeView is the public form page.
type intakeView struct {
	Token   string // the form's double-submit CSRF token
	Staff   bool   // false: the public form (see needfields)
	F       map[string]*formField
	Invalid bool
	General []string
	Honey   string
	Limits  map[string]int
}

// intakeLimits are the lengths the form's fields allow (maxlength attributes; the server checks too).
var intakeLimits = map[string]int{"title": corpus.MaxNeedTitle, "description": corpus.MaxNeedDescription,
	"enterprise": corpus.MaxNeedEnterprise, "contact": corpus.MaxNeedContact, "scale": corpus.MaxNeedScale}

func (s *Server) webIntakeForm(c echo.Context) error {
	securityHeaders(c)
	return s.renderIntake(c, http.StatusOK, &needForm{Values: url.Values{}})
}

func (s *Server) renderIntake(c echo.Context, status int, f *needForm) error {
	view := intakeView{Token: formToken(c, intakeCookie, intakePath), F: f.fields(), General: f.General,
		Invalid: len(f.Errors)+len(f.General) > 0, Honey: honeypotField, Limits: intakeLimits}
	return s.render(c, status, "intake.html", view)
}

// webIntakePost takes the public form. Order matters: the body's size first (nothing is read past the
// limit), then the client's rate, the CSRF token, the honeypot, the fields; only a valid need from a
// client within its limit is stored, and counted.
func (s *Server) webIntakePost(c echo.Context) error {
	securityHeaders(c)
	req := c.Request()
	if tooLarge, _ := c.Get(ctxBodyTooLarge).(bool); tooLarge || req.ContentLength > intakeBodyLimit {
		return echo.ErrStatusRequestEntityTooLarge
	}
	if ct, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType)); ct != echo.MIMEApplicationForm {
		return apiErr(http.StatusUnsupportedMediaType, "bad_content_type", "Biểu mẫu phải gửi dạng application/x-www-form-urlencoded.")
	}
	req.Body = http.MaxBytesReader(c.Response(), req.Body, intakeBodyLimit)
	if err := req.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return echo.ErrStatusRequestEntityTooLarge
		}
		return apiErr(http.StatusBadRequest, "bad_form", "Không đọc được biểu mẫu gửi lên.")
	}
	f := &needForm{Values: req.PostForm}
	now := time.Now()
	client := clientKey(c.RealIP())
	if wait := s.intakeRate.wait(client, now); wait > 0 {
		return s.intakeLimited(c, f, wait)
	}
	if !checkFormToken(c, intakeCookie) {
		f.General = []string{"Biểu mẫu đã hết hạn hoặc được gửi từ một trang khác nên chưa được nhận. Nội dung bạn nhập vẫn còn dưới đây: hãy bấm «Gửi nhu cầu» lần nữa."}
		return s.renderIntake(c, http.StatusForbidden, f)
	}
	if strings.TrimSpace(req.PostForm.Get(honeypotField)) != "" {
		// A robot: it is counted against its address and answered as if it had succeeded, so that it
		// learns nothing; nothing is stored.
		s.intakeRate.add(client, now)
		noteAudit(c, "need.submit.dropped", "", "honeypot")
		s.log.Warn("need form: honeypot filled", slog.String("client", client),
			slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)))
		return c.Redirect(http.StatusSeeOther, intakeDonePath)
	}
	need, ok := f.need(now, nil)
	if !ok {
		return s.renderIntake(c, http.StatusBadRequest, f)
	}
	if wait := s.intakeRate.take(client, now); wait > 0 {
		return s.intakeLimited(c, f, wait)
	}
	st, token, err := s.store.SubmitNeed(need, "web", corpus.ActorPublic, false)
	if err != nil {
		return err
	}
	noteAudit(c, "need.submit", st.ID, "")
	return c.Redirect(http.StatusSeeOther, followPrefix+token+"?moi=1")
}

// intakeLimited answers a client over its submission limit: 429 with Retry-After, and the form as typed.
func (s *Server) intakeLimited(c echo.Context, f *needForm, wait time.Duration) error {
	retryAfter(c, wait)
	f.General = []string{fmt.Sprintf("Địa chỉ mạng này đã gửi nhiều nhu cầu trong thời gian ngắn; hãy thử lại sau %d phút. Nội dung bạn nhập vẫn còn dưới đây.",
		int(math.Ceil(wait.Minutes())))}
	return s.renderIntake(c, http.StatusTooManyRequests, f)
}

// webIntakeDone is where a post caught by the honeypot lands.
func (s *Server) webIntakeDone(c echo.Context) error {
	return s.render(c, http.StatusOK, "intake_done.html", nil)
}

// followHeaders: the follow page's address is its secret. It is not cached, not indexed by search
// engines, and not sent on as a Referer by the links it has.
func followHeaders(c echo.Context) {
	securityHeaders(c)
	h := c.Response().Header()
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex, nofollow")
}

// followView is the follow page.
type followView struct {
	S    needStatusJSON
	New  bool   // just submitted: the page says to keep its address
	Link string // the page's own address, to copy
}

func (s *Server) webFollow(c echo.Context) error {
	followHeaders(c)
	token := c.Param("token")
	st, err := s.statusByToken(token)
	if err != nil {
		return err
	}
	view := followView{S: statusJSON(st, time.Now(), false), New: c.QueryParam("moi") != "",
		Link: baseURL(c) + followPrefix + token}
	return s.render(c, http.StatusOK, "intake_follow.html", view)
}

func (s *Server) statusByToken(token string) (*corpus.NeedStatus, error) {
	st, err := s.store.NeedStatusByToken(token)
	if errors.Is(err, corpus.ErrNotFound) {
		return nil, apiErr(http.StatusNotFound, "not_found", "Không tìm thấy nhu cầu nào theo đường dẫn này; hãy kiểm tra lại đường dẫn đã lưu khi gửi nhu cầu.")
	}
	return st, err
}

// baseURL is the site's address as the client reached it, for the links the intake gives out.
func baseURL(c echo.Context) string { return c.Scheme() + "://" + c.Request().Host }

// redactPath hides follow tokens and feed tokens from request logs: they open the follow page or a
// feed, and the store itself keeps only their hash.
func redactPath(p string) string {
	p = redactFeedToken(p)
	for _, prefix := range []string{followPrefix, followAPI} {
		if strings.HasPrefix(p, prefix) && len(p) > len(prefix) {
			return prefix + "…"
		}
	}
	return p
}

// needStatusJSON is a need's status as the API and the pages show it.
type needStatusJSON struct {
	ID          string          `json:"id"`
	State       string          `json:"state"` // effective now: expired when the deadline has passed
	StateLabel  string          `json:"state_label"`
	StoredState string          `json:"stored_state"`
	Source      string          `json:"source"`
	SubmittedAt time.Time       `json:"submitted_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	Deadline    string          `json:"deadline,omitempty"`
	Reason      string          `json:"reason,omitempty"` // why it was rejected or closed
	URL         string          `json:"url,omitempty"`    // its public page, when it has one
	History     []needEventJSON `json:"history"`
	Need        *corpus.Need    `json:"need,omitempty"`
}

type needEventJSON struct {
	State  string    `json:"state"`
	Label  string    `json:"label"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`              // who, in words
	Actor  string    `json:"actor,omitempty"` // the key's id: for key holders only
	Reason string    `json:"reason,omitempty"`
}

// statusJSON shows a status; keys names the keys that acted, which only key holders see.
func statusJSON(st *corpus.NeedStatus, now time.Time, keys bool) needStatusJSON {
	out := needStatusJSON{ID: st.ID, State: st.Effective(now), StoredState: st.State, Source: st.Source,
		SubmittedAt: st.Submitted(), UpdatedAt: st.Last().At, Need: st.Need, History: []needEventJSON{}}
	out.StateLabel = corpus.NeedStateLabel(out.State)
	if st.Need != nil {
		out.Deadline = st.Need.Deadline
		if corpus.NeedOpen(st.State) || st.State == corpus.NeedClosed {
			if st.Need.EffectiveConfidentiality() != corpus.ConfBrokerOnly {
				out.URL = recordURL(corpus.KindNeed, st.ID)
			}
		}
	}
	if st.State == corpus.NeedRejected || st.State == corpus.NeedClosed {
		out.Reason = st.Last().Reason
	}
	for _, e := range st.History {
		ev := needEventJSON{State: e.State, Label: corpus.NeedStateLabel(e.State), At: e.At, By: actorLabel(e.Actor), Reason: e.Reason}
		if keys && e.Role != "" {
			ev.Actor = e.ID
		}
		out.History = append(out.History, ev)
	}
	return out
}

// actorLabel says who acted, without naming a key.
func actorLabel(a corpus.Actor) string {
	switch {
	case a.Role == corpus.RoleStaff:
		return "Cán bộ"
	case a.Role == corpus.RoleBroker:
		return "Nhà môi giới"
	case a.Role == corpus.RoleAdmin:
		return "Quản trị viên"
	case a == corpus.ActorPublic:
		return "Doanh nghiệp (trang gửi nhu cầu)"
	case a == corpus.ActorImport:
		return "Nhập dữ liệu"
	}
	return "Hệ thống"
}
