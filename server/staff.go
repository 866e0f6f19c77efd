package server

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/indexer/extract"
)

// The staff pages: sign in with an API key (session.go), upload files, follow the indexing jobs, retry
// failures and correct a result's metadata. Every page works as plain HTML forms; staff.js adds drag and
// drop, per-file progress and a live job table on top, through the same JSON API as other clients.

// staffUploadRoute is the staff page's multi-file upload form (its body is large, see bodyLimit).
const staffUploadRoute = "/can-bo/tai-len"

// maxFormFiles bounds the files of one form post, and so (with the per-file limit) its body.
const maxFormFiles = 20

// csrfMode says where a staff POST carries its CSRF token.
type csrfMode int

const (
	// csrfInForm: the X-CSRF-Token header or the form field "csrf", checked by staffPage.
	csrfInForm csrfMode = iota
	// csrfFirstPart: the first part of a multipart body, checked by the handler before it stores anything.
	csrfFirstPart
)

// staffPage guards the staff pages: a browser without a session goes to the sign-in form, a key without
// the staff role gets 403, and a POST without the session's CSRF token gets 403.
func (s *Server) staffPage(mode csrfMode) echo.MiddlewareFunc {
	return s.rolePage(mode, corpus.RoleStaff)
}

// rolePage is staffPage for pages open to any of roles (admin is always allowed).
func (s *Server) rolePage(mode csrfMode, roles ...corpus.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			securityHeaders(c)
			v := s.currentSession(c)
			if v == nil {
				target := loginPath + "?het-han=1"
				if safeMethod(c.Request().Method) {
					target = loginPath + "?tiep=" + url.QueryEscape(c.Request().URL.RequestURI())
				}
				return c.Redirect(http.StatusSeeOther, target)
			}
			if !slices.ContainsFunc(roles, v.key.Role.Allows) {
				return apiErr(http.StatusForbidden, "forbidden",
					"Trang này dành cho "+roleLabels(roles)+"; khóa đang đăng nhập có vai trò "+v.key.Role.Label()+".")
			}
			if err := s.limitWrite(c); err != nil {
				return err
			}
			if tooLarge, _ := c.Get(ctxBodyTooLarge).(bool); tooLarge {
				return echo.ErrStatusRequestEntityTooLarge
			}
			if !safeMethod(c.Request().Method) && mode == csrfInForm {
				tok := c.Request().Header.Get(csrfHeader)
				if tok == "" {
					tok = c.FormValue(csrfField)
				}
				if !v.checkCSRF(tok) {
					return csrfError()
				}
			}
			c.Set(ctxPrincipal, v.key)
			c.Set(ctxSession, v)
			return next(c)
		}
	}
}

func roleLabels(roles []corpus.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.Label()
	}
	return strings.Join(names, " hoặc ")
}

func csrfError() *APIError {
	return apiErr(http.StatusForbidden, "csrf", "Biểu mẫu thiếu hoặc sai mã chống giả mạo (CSRF), có thể vì trang đã mở quá lâu; hãy tải lại trang rồi thử lại.")
}

// securityHeaders: staff pages hold CSRF tokens and unpublished data, so they are never cached or
// framed, and run only the server's own script.
func securityHeaders(c echo.Context) {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
}

func sessionOf(c echo.Context) *sessionView {
	v, _ := c.Get(ctxSession).(*sessionView)
	return v
}

// staffChrome is what every staff page shows around its content (staffhead in staff.html).
type staffChrome struct {
	Title string
	CSRF  string // the session's token: hidden form fields and <meta name="csrf-token">
	User  string // the signed-in key's name; "" when nobody is signed in
	Role  string
	Staff bool // the signed-in key has the staff role (brokers see only the need queue)
	Flash flash
}

func (s *Server) chrome(c echo.Context, title string) staffChrome {
	ch := staffChrome{Title: title}
	if v := sessionOf(c); v != nil {
		ch.CSRF, ch.User, ch.Role, ch.Flash = v.csrf, v.key.Name, v.key.Role.Label(), s.staff.takeFlash(v.hash)
		ch.Staff = v.key.Role.Allows(corpus.RoleStaff)
	}
	return ch
}

// back redirects to the staff page with a message for it.
func (s *Server) back(c echo.Context, f flash) error { return s.backTo(c, "/can-bo#cong-viec", f) }

// backTo redirects to a staff page with a message for it.
func (s *Server) backTo(c echo.Context, path string, f flash) error {
	if v := sessionOf(c); v != nil {
		s.staff.setFlash(v.hash, f)
	}
	return c.Redirect(http.StatusSeeOther, path)
}

type signInView struct {
	staffChrome
	Name   string // the user name typed, shown again after a failure (never the password or the key)
	Token  string // the sign-in form's own CSRF token (double-submit cookie)
	Next   string
	Error  string
	Notice string
}

func (s *Server) webSignIn(c echo.Context) error {
	securityHeaders(c)
	view := signInView{staffChrome: staffChrome{Title: "Đăng nhập cán bộ"}, Token: loginToken(c), Next: safeNext(c.QueryParam("tiep"))}
	if v := s.currentSession(c); v != nil {
		view.CSRF, view.User, view.Role, view.Staff = v.csrf, v.key.Name, v.key.Role.Label(), v.key.Role.Allows(corpus.RoleStaff)
	}
	switch {
	case c.QueryParam("thoat") != "":
		view.Notice = "Bạn đã đăng xuất."
	case c.QueryParam("het-han") != "":
		view.Notice = "Phiên đăng nhập đã hết hạn hoặc đã kết thúc; hãy đăng nhập lại."
	}
	return s.render(c, http.StatusOK, "staff_login.html", view)
}

// webSignInPost checks a pasted key, or a user name and password. Failures of either kind count against
// the client's address (see rateLimiter); neither the key nor the password is ever logged nor shown back.
func (s *Server) webSignInPost(c echo.Context) error {
	securityHeaders(c)
	now := time.Now()
	client := clientKey(c.RealIP())
	view := signInView{staffChrome: staffChrome{Title: "Đăng nhập cán bộ"}, Next: safeNext(c.FormValue("tiep"))}
	if wait := s.staff.limiter.wait(client, now); wait > 0 {
		retryAfter(c, wait)
		view.Token = loginToken(c)
		view.Error = fmt.Sprintf("Đăng nhập sai quá nhiều lần từ địa chỉ này; hãy thử lại sau %d phút.", int(math.Ceil(wait.Minutes())))
		return s.render(c, http.StatusTooManyRequests, "staff_login.html", view)
	}
	if !checkFormToken(c, loginCookie) {
		view.Token = loginToken(c)
		view.Error = "Biểu mẫu đăng nhập đã hết hạn hoặc không hợp lệ; hãy đăng nhập lại."
		return s.render(c, http.StatusForbidden, "staff_login.html", view)
	}
	view.Token = loginToken(c)
	view.Name = strings.TrimSpace(c.FormValue("name"))
	k, stamp, ok := s.checkSignIn(strings.TrimSpace(c.FormValue("key")), view.Name, c.FormValue("password"))
	if !ok {
		s.staff.limiter.add(client, now)
		s.reqLog(c).Warn("staff sign-in refused", slog.String("client", client))
		view.Error = "Tên đăng nhập hoặc mật khẩu không đúng."
		if strings.TrimSpace(c.FormValue("key")) != "" {
			view.Error = "Khóa API không đúng hoặc đã bị thu hồi."
		}
		if s.cfg.Keys == nil && s.cfg.Users == nil {
			view.Error = "Máy chủ chưa cấu hình khóa API hay người dùng; quản trị viên tạo bằng lệnh: ketnoi users add --name TÊN --role staff"
		}
		return s.render(c, http.StatusUnauthorized, "staff_login.html", view)
	}
	// A new token at every sign-in: a token planted in the browser before it cannot become a session.
	if old := s.currentSession(c); old != nil {
		s.staff.end(old.hash)
	}
	token, _ := s.staff.create(k, stamp, now)
	c.SetCookie(sessionCookieFor(c, token, int(sessionTTL.Seconds())))
	c.Set(ctxPrincipal, k) // for the audit log
	s.reqLog(c).Info("staff signed in", slog.String("id", k.ID), slog.Bool("user", k.User))
	next := view.Next
	if next == "" {
		next = "/"
		switch {
		case k.Role.Allows(corpus.RoleStaff):
			next = "/can-bo"
		case k.Role == corpus.RoleBroker:
			next = brokerPath
		}
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// checkSignIn checks a key when one was pasted, otherwise a user name and password; it returns the
// principal and, for a user, the password stamp the session remembers.
func (s *Server) checkSignIn(key, name, password string) (corpus.KeyInfo, string, bool) {
	if key != "" {
		if s.cfg.Keys == nil {
			return corpus.KeyInfo{}, "", false
		}
		k, ok := s.cfg.Keys.Authenticate(key)
		return k, "", ok
	}
	if s.cfg.Users == nil || name == "" || password == "" {
		return corpus.KeyInfo{}, "", false
	}
	u, ok := s.cfg.Users.Verify(name, password)
	return u.Principal(), u.Stamp, ok
}

func (s *Server) webSignOut(c echo.Context) error {
	securityHeaders(c)
	if v := s.currentSession(c); v != nil {
		if !v.checkCSRF(c.FormValue(csrfField)) {
			return csrfError()
		}
		s.staff.end(v.hash)
	}
	c.SetCookie(sessionCookieFor(c, "", -1))
	return c.Redirect(http.StatusSeeOther, loginPath+"?thoat=1")
}

// safeNext keeps a post-sign-in target only if it is a path on this site, so that the sign-in form
// cannot be made to send anyone elsewhere.
func safeNext(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n\t") || len(p) > 512 {
		return ""
	}
	if u, err := url.Parse(p); err != nil || u.Host != "" || u.Scheme != "" {
		return ""
	}
	return p
}

// jobRow is a job as the table shows it; staff.js renders the same from the API's JSON.
type jobRow struct {
	ID, Name, Size, State, StateLabel string
	DocID                             string
	Pages                             int
	Rungs                             string
	NeedsOCR                          bool
	Deleted                           bool // the file is a deleted document's, left deleted (DocID)
	Warnings                          []string
	Reason, Message                   string
}

var jobStateLabels = map[string]string{indexer.JobQueued: "đang chờ", indexer.JobRunning: "đang xử lý",
	indexer.JobDone: "xong", indexer.JobFailed: "lỗi"}

var failureReasons = []extract.Reason{extract.ReasonEncrypted, extract.ReasonUnsupported, extract.ReasonMalformed,
	extract.ReasonTimeout, extract.ReasonTooLarge, extract.ReasonNoText, extract.ReasonCrashed, extract.ReasonIO}

func rowOf(j *indexer.Job) jobRow {
	r := jobRow{ID: j.ID, Name: j.Name, Size: formatSize(j.Size), State: j.State, StateLabel: jobStateLabels[j.State], Message: j.Error}
	if o := j.Outcome; o != nil {
		r.Pages, r.NeedsOCR, r.Warnings = o.Pages, o.NeedsOCR, o.Warnings
		if j.State == indexer.JobDone {
			r.DocID = o.DocID
		}
		if o.Deleted {
			// Said in the outcome column, with the way to restore it; not an error.
			r.Deleted, r.Message = true, ""
		}
		if o.Reason != "" {
			r.Reason = o.Reason.Label()
		}
		if r.Message == "" {
			r.Message = o.Message
		}
		// The extractor's message starts with the reason's label (extract.Error): shown once is enough.
		if r.Reason != "" {
			if r.Message == r.Reason {
				r.Message = ""
			}
			r.Message = strings.TrimPrefix(r.Message, r.Reason+": ")
		}
		keys := make([]string, 0, len(o.Rungs))
		for k := range o.Rungs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			keys[i] = k + " " + strconv.Itoa(o.Rungs[k])
		}
		r.Rungs = strings.Join(keys, ", ")
	}
	return r
}

// formatSize writes a byte count as Vietnamese readers expect it (decimal comma).
func formatSize(n int64) string {
	switch {
	case n >= 1<<20:
		return strings.Replace(strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64), ".", ",", 1) + " MB"
	case n >= 1<<10:
		return strconv.FormatInt((n+512)>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " B"
}

type staffView struct {
	staffChrome
	Uploads        bool
	LimitMB        int64
	Accept, Kinds  string
	RecordKinds    string // the record files' formats, imported at once rather than queued
	Jobs, Failed   []jobRow
	Pending        int
	Labels         string // JSON of the labels staff.js needs, so that they have one source
	MaxFiles       int
	UploadFieldset []uploadField
	// Compactable: the index can be merged from here (compact.go); CompactLine says the latest merge.
	Compactable, Compacting   bool
	CompactLine, SegmentsLine string
}

// uploadField is an optional field of the upload form, applied to every file of the post.
type uploadField struct{ Name, Label, Hint, Type string }

var uploadFields = []uploadField{
	{"title", "Tên kết quả", "", "text"},
	{"organization", "Tổ chức chủ trì", "", "text"},
	{"year", "Năm", "", "number"},
	{"keywords", "Từ khóa", "cách nhau bằng dấu ;", "text"},
	{"field_codes", "Mã lĩnh vực", "cách nhau bằng dấu ;", "text"},
	{"sectors", "Mã ngành kinh tế (VSIC)", "cách nhau bằng dấu ;", "text"},
}

func (s *Server) webStaff(c echo.Context) error {
	view := staffView{staffChrome: s.chrome(c, "Trang cán bộ"), Uploads: s.up != nil, MaxFiles: maxFormFiles, UploadFieldset: uploadFields}
	var exts []string
	for e := range indexer.DocumentExt {
		exts = append(exts, e)
	}
	slices.Sort(exts)
	view.Kinds = strings.ToUpper(strings.ReplaceAll(strings.Join(exts, ", "), ".", ""))
	view.RecordKinds = strings.ToUpper(strings.ReplaceAll(strings.Join(corpus.RecordExts(), ", "), ".", ""))
	view.Accept = strings.Join(slices.Concat(exts, corpus.RecordExts()), ",")
	reasons := map[string]string{}
	for _, r := range failureReasons {
		reasons[string(r)] = r.Label()
	}
	labels, _ := json.Marshal(map[string]any{"states": jobStateLabels, "reasons": reasons})
	view.Labels = string(labels)
	if s.up != nil {
		view.LimitMB = s.up.limit >> 20
		for _, j := range s.up.jobs.List(200) {
			r := rowOf(j)
			view.Jobs = append(view.Jobs, r)
			if j.State == indexer.JobFailed {
				view.Failed = append(view.Failed, r)
			}
		}
		view.Pending = s.up.jobs.Pending()
	}
	if _, ok := indexer.CompacterOf(s.idx); ok {
		st := s.compactStatus()
		view.Compactable, view.Compacting, view.CompactLine = true, st.State == CompactRunning, compactLine(st)
		view.SegmentsLine = segmentsLine(st.Segments)
	}
	return s.render(c, http.StatusOK, "staff.html", view)
}

// webStaffUpload takes the upload form: several files and optional fields applied to all of them. Every
// file is staged on disk first and the jobs are committed only once the whole post has been read, so
// that the fields apply wherever they stand in the form. A record file (JSON, JSONL, CSV, XLSX) is kept as it comes and imported once
// the whole form is read, as POST /api/v1/records imports it (the form's restore box applies, its other
// fields do not: each record carries its own); the page after the redirect shows what each import did.
func (s *Server) webStaffUpload(c echo.Context) error {
	v := sessionOf(c)
	if s.up == nil {
		return s.back(c, flash{Text: "Máy chủ này không nhận tải lên.", Error: true})
	}
	ct, params, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil || ct != "multipart/form-data" || params["boundary"] == "" {
		return apiErr(http.StatusUnsupportedMediaType, "bad_content_type", "Biểu mẫu tải lên phải gửi dạng multipart/form-data.")
	}
	uploadDeadlines(c)
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, maxFormFiles*s.up.limit+1<<20)
	mr, err := c.Request().MultipartReader()
	if err != nil {
		return csrfError()
	}
	// The CSRF token is the form's first field (browsers send fields in document order): it is checked
	// before a byte of any file is written, so that a forged post stores nothing.
	part, err := mr.NextPart()
	if err != nil || part.FormName() != csrfField {
		return csrfError()
	}
	if tok, err := readFieldPart(part, 0); err != nil || !v.checkCSRF(strings.TrimSpace(tok)) {
		return csrfError()
	}
	var staged []*indexer.Staged
	defer func() {
		for _, st := range staged {
			st.Abort()
		}
	}()
	var records []keptRecord
	fields := map[string]json.RawMessage{}
	restore := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return s.uploadFailed(c, "", uploadReadError(err))
		}
		name := part.FormName()
		switch {
		case name == "file":
			if part.FileName() == "" {
				continue // an empty file input still sends a part
			}
			if len(staged)+len(records) == maxFormFiles {
				return s.back(c, flash{Text: fmt.Sprintf("Mỗi lần tải lên tối đa %d tệp; chưa nhận tệp nào.", maxFormFiles), Error: true})
			}
			if format := corpus.FormatOf(part.FileName()); format != "" {
				sha, err := s.keepRecordFile(part)
				if err != nil {
					return s.uploadFailed(c, part.FileName(), err)
				}
				records = append(records, keptRecord{part.FileName(), format, sha})
				continue
			}
			st, err := s.stageFile(c, part)
			if err != nil {
				return s.uploadFailed(c, part.FileName(), err)
			}
			staged = append(staged, st)
		case name == restoreField:
			val, err := readFieldPart(part, len(fields))
			if err == nil {
				restore, err = parseRestore(val)
			}
			if err != nil {
				return s.uploadFailed(c, "", err)
			}
		case slices.ContainsFunc(uploadFields, func(f uploadField) bool { return f.Name == name }):
			val, err := readFieldPart(part, len(fields))
			if err != nil {
				return s.uploadFailed(c, "", err)
			}
			if strings.TrimSpace(val) != "" {
				fields[name] = formValue(name, val)
			}
		}
	}
	if len(staged)+len(records) == 0 {
		return s.back(c, flash{Text: "Chưa chọn tệp nào để tải lên.", Error: true})
	}
	// The shared fields are a report's: a form of record files only is not refused for them.
	var sidecar []byte
	if len(staged) > 0 {
		var aerr *APIError
		if sidecar, aerr = sidecarJSON(nil, fields); aerr != nil {
			return s.back(c, flash{Text: aerr.Message + " Chưa nhận tệp nào.", Error: true})
		}
	}
	var names, failed []string
	for len(staged) > 0 {
		st := staged[0]
		staged = staged[1:] // committed or aborted by Commit: never aborted again by the defer
		job, err := s.commitStaged(c, st, sidecar, restore, "")
		if err != nil {
			var ae *APIError
			if !errors.As(err, &ae) {
				return err
			}
			// The reports left are not taken (the queue is full, say); the record files still go in,
			// since they do not use the queue.
			left := []string{st.Name()}
			for _, o := range staged {
				left = append(left, o.Name())
			}
			failed = append(failed, fmt.Sprintf("%d báo cáo chưa nhận (%s): %s", len(left), strings.Join(left, ", "), ae.Message))
			break
		}
		names = append(names, job.Name)
	}
	var texts []string
	if len(names) > 0 {
		texts = append(texts, fmt.Sprintf("Đã nhận %d tệp: %s. Bảng dưới đây cho biết tiến độ.", len(names), strings.Join(names, ", ")))
	}
	var done []importedFile
	defer func() {
		if len(done) > 0 {
			noteRecordImports(c, done)
		}
	}()
	var details []flashDetail
	for i, r := range records {
		label := nameLabel(r.name)
		out, err := s.importRecordFile(c, r.name, r.format, r.sha, label, restore)
		if err != nil {
			var ae *APIError
			if !errors.As(err, &ae) {
				// Not the file's fault (the store failed): said for this file, logged, and the page still
				// tells what the form's other files did, so that nobody sends the whole form again blind.
				s.reqLog(c).Error("record import from the staff page", "file", r.name, "error", err.Error())
				ae = &APIError{Status: http.StatusInternalServerError, Message: "lỗi máy chủ khi nhập; xem nhật ký máy chủ."}
			}
			failed = append(failed, "Tệp bản ghi «"+r.name+"»: "+ae.Message)
			if ae.Status == http.StatusServiceUnavailable {
				if left := len(records) - i - 1; left > 0 {
					failed = append(failed, fmt.Sprintf("%d tệp bản ghi sau chưa nhập.", left))
				}
				break
			}
			continue
		}
		done = append(done, importedFile{label, out})
		details = append(details, importDetail(out))
	}
	if len(done) > 0 {
		texts = append(texts, fmt.Sprintf("Đã nhập %d tệp bản ghi; kết quả từng tệp ở dưới.", len(done)))
	}
	return s.back(c, flash{Text: strings.Join(slices.Concat(texts, failed), " "), Error: len(failed) > 0, Details: details})
}

// keptRecord is a record file of the upload form, kept in the store's originals until the form is read.
type keptRecord struct {
	name   string
	format corpus.Format
	sha    string
}

// keptDeletedOnPage is what the staff page says of a row whose record staff deleted and the import left
// deleted (staff.js says the same).
const keptDeletedOnPage = "bản ghi này đã bị xoá nên không được đưa lại; muốn khôi phục, tải tệp lên lại và đánh dấu ô “Khôi phục tài liệu đã bị xoá”."

// maxShownProblems bounds the problems the staff page lists under a record file's counts.
const maxShownProblems = 10

// importDetail is what the staff page says of a record file's import: its counts, then its first problems
// (errors first), each with its line.
func importDetail(out *recordsImportResponse) flashDetail {
	counts := fmt.Sprintf("%d mới, %d cập nhật, %d không đổi", out.Added, out.Updated, out.Unchanged)
	if out.KeptDeleted > 0 {
		counts += fmt.Sprintf(", %d đã bị xoá không đưa lại", out.KeptDeleted)
	}
	d := flashDetail{Head: fmt.Sprintf("Tệp bản ghi %s: %d bản ghi (%s), %d bị loại, %d cảnh báo", out.File,
		out.Added+out.Updated+out.Unchanged+out.KeptDeleted, counts, out.Rejected, out.Warnings)}
	problems := slices.Clone(out.Problems)
	warning := func(p importProblemJSON) bool { return p.Severity == string(corpus.Warning) }
	slices.SortStableFunc(problems, func(a, b importProblemJSON) int {
		return cmp.Compare(btoi(warning(a)), btoi(warning(b)))
	})
	for _, p := range problems[:min(len(problems), maxShownProblems)] {
		line, kind := fmt.Sprintf("Dòng %d", p.Line), "lỗi"
		if warning(p) {
			kind = "cảnh báo"
		}
		if p.ID != "" {
			line += " (mã " + p.ID + ")"
		}
		msg := p.Message
		if p.Code == corpus.ProblemKeptDeleted { // the shared message names the command line's flag
			msg = keptDeletedOnPage
		}
		d.Lines = append(d.Lines, line+", "+kind+": "+msg)
	}
	switch more := len(problems) - maxShownProblems; {
	case out.ProblemsTruncated:
		d.Lines = append(d.Lines, "… và nhiều vấn đề khác (xem đủ bằng ketnoi index hoặc API /api/v1/records).")
	case more > 0:
		d.Lines = append(d.Lines, fmt.Sprintf("… và %d vấn đề khác.", more))
	}
	return d
}

// btoi is 1 for true, 0 for false.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// uploadFailed reports a refused file (or field) back on the staff page; other errors are the server's.
func (s *Server) uploadFailed(c echo.Context, file string, err error) error {
	var ae *APIError
	if !errors.As(err, &ae) {
		return err
	}
	msg := ae.Message
	if file != "" {
		msg = "Tệp «" + file + "»: " + msg
	}
	return s.back(c, flash{Text: msg + " Chưa nhận tệp nào.", Error: true})
}

func (s *Server) webStaffRetry(c echo.Context) error {
	if s.up == nil {
		return apiErr(http.StatusNotFound, "not_found", "Không có công việc này.")
	}
	job, err := s.up.jobs.Retry(c.Param("id"))
	var superseded *indexer.SupersededError
	switch {
	case errors.As(err, &superseded):
		return s.back(c, flash{Text: "Công việc " + strconv.Quote(c.Param("id")) + ": " + err.Error() + ".", Error: true})
	case errors.Is(err, corpus.ErrNotFound):
		return s.back(c, flash{Text: "Không có công việc " + strconv.Quote(c.Param("id")) + ".", Error: true})
	case errors.Is(err, indexer.ErrBusy):
		return s.back(c, flash{Text: "Hàng đợi đang đầy, hãy thử lại sau ít phút.", Error: true})
	case errors.Is(err, indexer.ErrUploadGone):
		return s.back(c, flash{Text: "Công việc " + strconv.Quote(c.Param("id")) + " đã xong: " + indexer.ErrUploadGone.Error() + ".", Error: true})
	case err != nil:
		return err
	}
	return s.back(c, flash{Text: "Đã đưa tệp «" + job.Name + "» vào hàng đợi lại.", Error: false})
}
