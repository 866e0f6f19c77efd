package server

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/indexer/extract"
	"ketnoi/internal/pdffixture"
)

// staffEnv is a real server (store, bleve index, in-process extraction, a running job queue) with a staff
// key and a broker key, whose logs are kept to check that no key reaches them.
type staffEnv struct {
	*uploadEnv
	logs *syncBuffer
}

func staffServer(t *testing.T) *staffEnv {
	t.Helper()
	logs := &syncBuffer{}
	u := writeServer(t, 8, true, "Cán bộ <A>", logs)
	t.Cleanup(func() {
		for _, k := range []string{u.staff, u.brk} {
			if strings.Contains(logs.String(), k) || strings.Contains(logs.String(), k[len(corpus.KeyPrefix):]) {
				t.Error("an API key reached the logs")
			}
		}
	})
	return &staffEnv{uploadEnv: u, logs: logs}
}

// browser is a client with a cookie jar that does not follow redirects, so that tests see them.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (e *staffEnv) browser(t *testing.T) *browser { return newBrowser(t, e.ts.URL) }

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	code int
	body string
	h    http.Header
	resp *http.Response
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{code: resp.StatusCode, body: string(body), h: resp.Header, resp: resp}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

type upFile struct {
	name string
	data []byte
}

// upload posts the staff upload form: csrf first (when not empty), as a browser sends the form.
func (b *browser) upload(csrf string, files []upFile, fields map[string]string) page {
	b.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if csrf != "" {
		w.WriteField("csrf", csrf)
	}
	for _, f := range files {
		fw, _ := w.CreateFormFile("file", f.name)
		fw.Write(f.data)
	}
	for k, v := range fields {
		w.WriteField(k, v)
	}
	w.Close()
	req, _ := http.NewRequest("POST", b.base+staffUploadRoute, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

var (
	metaCSRF  = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)
	fieldCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

func find(t *testing.T, re *regexp.Regexp, body string) string {
	t.Helper()
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in page:\n%s", re, body)
	}
	return m[1]
}

// signIn signs in with key through the form and returns the session's CSRF token.
func (b *browser) signIn(key, next string) page {
	b.t.Helper()
	p := b.get(loginPath)
	if p.code != http.StatusOK {
		b.t.Fatalf("sign-in page: %d", p.code)
	}
	form := url.Values{"csrf": {find(b.t, fieldCSRF, p.body)}, "key": {key}}
	if next != "" {
		form.Set("tiep", next)
	}
	return b.post(loginPath, form)
}

func (b *browser) csrf() string {
	b.t.Helper()
	p := b.get("/can-bo")
	if p.code != http.StatusOK {
		b.t.Fatalf("staff page: %d %s", p.code, p.body)
	}
	return find(b.t, metaCSRF, p.body)
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestStaffSignIn: the sign-in form refuses a wrong key (and says so), needs its CSRF token, and with a
// staff key starts a session whose cookie is HttpOnly and SameSite=Lax; the session works for the JSON
// API too, writes need its CSRF token, sign-out and revocation end it.
func TestStaffSignIn(t *testing.T) {
	e := staffServer(t)
	b := e.browser(t)

	p := b.get("/can-bo")
	if p.code != http.StatusSeeOther || p.h.Get("Location") != loginPath+"?tiep=%2Fcan-bo" {
		t.Fatalf("staff page without a session: %d → %q", p.code, p.h.Get("Location"))
	}
	p = b.get(loginPath)
	lc := cookieNamed(p.resp, loginCookie)
	if p.code != http.StatusOK || lc == nil || !lc.HttpOnly || lc.SameSite != http.SameSiteLaxMode || p.h.Get("Cache-Control") != "no-store" ||
		!strings.Contains(p.h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("sign-in page: %d, cookie %+v, headers %v", p.code, lc, p.h)
	}
	token := find(t, fieldCSRF, p.body)

	// A wrong key: refused, said in Vietnamese, not echoed back, no session.
	wrong := corpus.KeyPrefix + strings.Repeat("x", len(e.staff)-len(corpus.KeyPrefix))
	p = b.post(loginPath, url.Values{"csrf": {token}, "key": {wrong}})
	if p.code != http.StatusUnauthorized || !strings.Contains(p.body, "Khóa API không đúng") || strings.Contains(p.body, wrong) ||
		cookieNamed(p.resp, sessionCookie) != nil {
		t.Fatalf("wrong key: %d %s", p.code, p.body)
	}
	// No CSRF token: 403, and the right key does not help.
	if p = b.post(loginPath, url.Values{"key": {e.staff}}); p.code != http.StatusForbidden {
		t.Fatalf("sign-in without CSRF token: %d", p.code)
	}
	// Another browser's token (without the matching cookie) is no good either.
	other := e.browser(t)
	if p = other.post(loginPath, url.Values{"csrf": {token}, "key": {e.staff}}); p.code != http.StatusForbidden {
		t.Fatalf("sign-in with a token of another browser: %d", p.code)
	}

	// The staff key: a session, cookie flags, redirect to the staff page.
	p = b.post(loginPath, url.Values{"csrf": {token}, "key": {" " + e.staff + "\n"}})
	sc := cookieNamed(p.resp, sessionCookie)
	if p.code != http.StatusSeeOther || p.h.Get("Location") != "/can-bo" || sc == nil {
		t.Fatalf("sign-in: %d → %q, cookie %v", p.code, p.h.Get("Location"), sc)
	}
	if !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Path != "/" || sc.Secure || sc.MaxAge != int(sessionTTL.Seconds()) || len(sc.Value) < 40 {
		t.Errorf("session cookie %+v", sc)
	}
	p = b.get("/can-bo")
	if p.code != http.StatusOK || !strings.Contains(p.body, "Cán bộ &lt;A&gt;") || !metaCSRF.MatchString(p.body) {
		t.Fatalf("staff page: %d %s", p.code, p.body)
	}
	csrf := find(t, metaCSRF, p.body)

	// The session works for the API: reads without more, writes with X-CSRF-Token.
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/whoami", nil)
	if p = b.do(req); p.code != http.StatusOK || !strings.Contains(p.body, `"id":"`+e.staffK.ID+`"`) {
		t.Fatalf("whoami with the session: %d %s", p.code, p.body)
	}
	req, _ = http.NewRequest("POST", e.ts.URL+"/api/v1/jobs/job-khong-co/retry", nil)
	if p = b.do(req); p.code != http.StatusForbidden || !strings.Contains(p.body, `"code":"csrf"`) {
		t.Fatalf("API write with the session, no CSRF token: %d %s", p.code, p.body)
	}
	req, _ = http.NewRequest("POST", e.ts.URL+"/api/v1/jobs/job-khong-co/retry", nil)
	req.Header.Set(csrfHeader, csrf)
	if p = b.do(req); p.code != http.StatusNotFound {
		t.Fatalf("API write with the session and its CSRF token: %d %s", p.code, p.body)
	}
	// A Bearer key needs no CSRF token, with or without a cookie.
	if code, body, _ := e.do(t, "POST", "/api/v1/jobs/job-khong-co/retry", e.staff, "", nil); code != http.StatusNotFound {
		t.Fatalf("API write with a key: %d %s", code, body)
	}

	// A target after sign-in: kept when it is a path here, dropped otherwise.
	if p = e.browser(t).signIn(e.staff, "/can-bo/sua/kq-1"); p.h.Get("Location") != "/can-bo/sua/kq-1" {
		t.Errorf("sign-in with a target: → %q", p.h.Get("Location"))
	}
	for _, evil := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example"} {
		if p = e.browser(t).signIn(e.staff, evil); p.h.Get("Location") != "/can-bo" {
			t.Errorf("sign-in with target %q: → %q", evil, p.h.Get("Location"))
		}
	}

	// Sign-out needs the token, then ends the session for pages and API alike.
	if p = b.post("/can-bo/dang-xuat", nil); p.code != http.StatusForbidden {
		t.Fatalf("sign-out without CSRF token: %d", p.code)
	}
	if p = b.post("/can-bo/dang-xuat", url.Values{"csrf": {csrf}}); p.code != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", p.code)
	}
	if p = b.get("/can-bo"); p.code != http.StatusSeeOther {
		t.Errorf("staff page after sign-out: %d", p.code)
	}
	req, _ = http.NewRequest("GET", e.ts.URL+"/api/v1/whoami", nil)
	req.AddCookie(sc)
	if p = b.do(req); p.code != http.StatusUnauthorized {
		t.Errorf("old session cookie after sign-out: %d", p.code)
	}

	// Revoking the key ends its sessions at their next request (once the key cache notices).
	b2 := e.browser(t)
	b2.signIn(e.staff, "")
	if p = b2.get("/can-bo"); p.code != http.StatusOK {
		t.Fatalf("second session: %d", p.code)
	}
	if _, err := e.keys.Revoke(e.staffK.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(keyRecheck + 100*time.Millisecond)
	if p = b2.get("/can-bo"); p.code != http.StatusSeeOther {
		t.Errorf("staff page after the key was revoked: %d", p.code)
	}
}

// TestStaffSignInRateLimit: after loginFailLimit wrong keys from one address, every attempt is 429 with
// Retry-After, even with the right key.
func TestStaffSignInRateLimit(t *testing.T) {
	e := staffServer(t)
	b := e.browser(t)
	for i := range loginFailLimit {
		if p := b.signIn("kn_sai", ""); p.code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, p.code)
		}
	}
	p := b.signIn(e.staff, "")
	ra, _ := strconv.Atoi(p.h.Get("Retry-After"))
	if p.code != http.StatusTooManyRequests || ra <= 0 || ra > int(loginFailWindow.Seconds()) || !strings.Contains(p.body, "quá nhiều lần") {
		t.Fatalf("after %d failures: %d, Retry-After %q", loginFailLimit, p.code, p.h.Get("Retry-After"))
	}
	if cookieNamed(p.resp, sessionCookie) != nil {
		t.Error("a session was started while rate-limited")
	}
}

func TestRateLimiterWindow(t *testing.T) {
	l := newRateLimiter(3, time.Minute)
	t0 := time.Now()
	for i := range 3 {
		l.add("a", t0.Add(time.Duration(i)*time.Second))
	}
	// take counts only what it lets through.
	if w := l.take("a", t0.Add(3*time.Second)); w != 57*time.Second {
		t.Errorf("take over the limit: %v", w)
	}
	if w := l.take("a", t0.Add(61*time.Second)); w != 0 {
		t.Errorf("take once the oldest left the window: %v", w)
	}
	if w := l.take("a", t0.Add(61*time.Second)); w != 0 {
		t.Errorf("a second take in the window with two events: %v", w)
	}
	if w := l.take("a", t0.Add(61*time.Second)); w != time.Second {
		t.Errorf("a third take: %v, want the wait until the event at 2 s leaves the window", w)
	}
	l = newRateLimiter(3, time.Minute)
	for i := range 3 {
		l.add("a", t0.Add(time.Duration(i)*time.Second))
	}
	if w := l.wait("a", t0.Add(3*time.Second)); w != 57*time.Second {
		t.Errorf("wait after 3 failures: %v", w)
	}
	if w := l.wait("b", t0); w != 0 {
		t.Errorf("another client waits %v", w)
	}
	if w := l.wait("a", t0.Add(time.Minute)); w != 0 {
		t.Errorf("wait after the window: %v", w)
	}
	if clientKey("2001:db8:1:2:3:4:5:6") != clientKey("2001:db8:1:2:ffff::1") || clientKey("192.0.2.1") != "192.0.2.1" {
		t.Error("clientKey: an IPv6 /64 is one client, an IPv4 address one client")
	}
}

func (e *staffEnv) waitJobs(t *testing.T, n int) []*indexer.Job {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		jobs := e.jobs.List(100)
		if len(jobs) >= n && e.jobs.Pending() == 0 {
			return jobs
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("jobs not finished: %d pending", e.jobs.Pending())
	return nil
}

// TestStaffUploadRetryEdit: through the plain forms (no script), a staff member uploads two files at
// once, sees them done in the job table, sees a broken file among the failures with its reason and
// retries it, and corrects a result's title, which search then finds. A broker is refused everywhere.
func TestStaffUploadRetryEdit(t *testing.T) {
	pdffixture.NeedFont(t)
	fx, err := pdffixture.BuildTextFixtures()
	if err != nil {
		t.Fatal(err)
	}
	e := staffServer(t)
	b := e.browser(t)
	b.signIn(e.staff, "")
	csrf := b.csrf()

	files := []upFile{{"báo cáo.pdf", fx[0].PDF}, {"<i>ủ phân.txt", []byte("Quy trình ủ phân hữu cơ từ vỏ cà phê cho hồ tiêu.")}}
	if p := b.upload("", files, nil); p.code != http.StatusForbidden || len(e.jobs.List(10)) != 0 {
		t.Fatalf("upload without CSRF token: %d, %d jobs", p.code, len(e.jobs.List(10)))
	}
	if p := b.upload("sai", files, nil); p.code != http.StatusForbidden || len(e.jobs.List(10)) != 0 {
		t.Fatalf("upload with a wrong CSRF token: %d", p.code)
	}
	p := b.upload(csrf, files, map[string]string{"year": "2023", "keywords": "nông nghiệp; chế biến", "title": ""})
	if p.code != http.StatusSeeOther || !strings.HasPrefix(p.h.Get("Location"), "/can-bo") {
		t.Fatalf("upload: %d %s", p.code, p.body)
	}
	e.waitJobs(t, 2)
	p = b.get("/can-bo")
	if !strings.Contains(p.body, "Đã nhận 2 tệp") || strings.Count(p.body, `data-state="done"`) != 2 || !strings.Contains(p.body, ">xong<") {
		t.Fatalf("staff page after upload:\n%s", p.body)
	}
	if strings.Contains(p.body, "<i>ủ phân") || !strings.Contains(p.body, "&lt;i&gt;ủ phân.txt") {
		t.Error("a file name is not escaped in the job table")
	}
	if strings.Contains(b.get("/can-bo").body, "Đã nhận 2 tệp") {
		t.Error("the message of an upload is shown more than once")
	}
	var pdfDoc string
	for _, j := range e.jobs.List(10) {
		if j.Name == "báo cáo.pdf" {
			pdfDoc = j.Outcome.DocID
		}
	}
	if pdfDoc == "" || !strings.Contains(p.body, `href="/ket-qua/`+pdfDoc+`"`) || !strings.Contains(p.body, `href="/can-bo/sua/`+pdfDoc+`"`) {
		t.Fatalf("no result link for the PDF (%q) in:\n%s", pdfDoc, p.body)
	}
	var rec corpus.Result
	_, body, _ := e.do(t, "GET", "/api/v1/results/"+pdfDoc, "", "", nil)
	json.Unmarshal(body, &rec)
	if rec.Year != 2023 || len(rec.Keywords) != 2 || rec.Title == "" {
		t.Errorf("fields of the form not applied (empty ones ignored): %+v", rec)
	}

	// A broken file: a failure with its reason, and a retry.
	b.upload(csrf, []upFile{{"hỏng.pdf", []byte("%PDF-1.4\nkhông phải PDF")}}, nil)
	e.waitJobs(t, 3)
	p = b.get("/can-bo")
	var failed *indexer.Job
	for _, j := range e.jobs.List(10) {
		if j.State == indexer.JobFailed {
			failed = j
		}
	}
	section := p.body[strings.Index(p.body, `id="that-bai"`):]
	if failed == nil || !strings.Contains(section, "hỏng.pdf") || !strings.Contains(section, extract.ReasonMalformed.Label()) ||
		!strings.Contains(section, `action="/can-bo/thu-lai/`+failed.ID+`"`) || !strings.Contains(section, "Thử lại") {
		t.Fatalf("failures section:\n%s", section)
	}
	if p = b.post("/can-bo/thu-lai/"+failed.ID, nil); p.code != http.StatusForbidden {
		t.Fatalf("retry without CSRF token: %d", p.code)
	}
	if p = b.post("/can-bo/thu-lai/"+failed.ID, url.Values{"csrf": {csrf}}); p.code != http.StatusSeeOther {
		t.Fatalf("retry: %d", p.code)
	}
	if p = b.get("/can-bo"); !strings.Contains(p.body, "Đã đưa tệp «hỏng.pdf» vào hàng đợi lại") {
		t.Errorf("no message after retry:\n%s", p.body)
	}
	if j := e.waitJob(t, failed.ID); j.State != indexer.JobFailed || j.Outcome == nil || j.Outcome.Reason != extract.ReasonMalformed {
		t.Errorf("retried job: %+v", j)
	}

	// The metadata form: the full form as shown, with only the title changed.
	p = b.get("/can-bo/sua/" + pdfDoc)
	if p.code != http.StatusOK || !strings.Contains(p.body, `name="title"`) || !strings.Contains(p.body, `value="2023"`) {
		t.Fatalf("edit form: %d %s", p.code, p.body)
	}
	raw, err := e.resultJSONForTest(pdfDoc)
	if err != nil {
		t.Fatal(err)
	}
	form := recordFormValues(raw)
	form.Set("title", "Máy sấy cá cơm lai bơm nhiệt")
	form.Set("transfer_forms", "") // as the form sends it: the hidden empty value, no box ticked
	form.Set("csrf", csrf)
	if p = b.post("/can-bo/sua/"+pdfDoc, form); p.code != http.StatusSeeOther || p.h.Get("Location") != "/ket-qua/"+pdfDoc {
		t.Fatalf("edit: %d → %q %s", p.code, p.h.Get("Location"), p.body)
	}
	_, body, _ = e.do(t, "GET", "/api/v1/results/"+pdfDoc, "", "", nil)
	rec = corpus.Result{}
	json.Unmarshal(body, &rec)
	if rec.Title != "Máy sấy cá cơm lai bơm nhiệt" || !slices.Equal(rec.Edited, []string{"title"}) || rec.Year != 2023 {
		t.Errorf("after the edit: title %q, edited %v, year %d", rec.Title, rec.Edited, rec.Year)
	}
	if ids := e.searchIDs(t, `"lai bơm nhiệt"`); len(ids) != 1 || ids[0] != pdfDoc {
		t.Errorf("search after the edit: %v", ids)
	}

	// Invalid values: shown next to their fields, nothing saved.
	p = b.post("/can-bo/sua/"+pdfDoc, url.Values{"csrf": {csrf}, "year": {"năm ngoái"}})
	if p.code != http.StatusBadRequest || !strings.Contains(p.body, `id="loi-year"`) || !strings.Contains(p.body, `value="năm ngoái"`) {
		t.Fatalf("edit with a year that is not a number: %d %s", p.code, p.body)
	}
	p = b.post("/can-bo/sua/"+pdfDoc, url.Values{"csrf": {csrf}, "title": {" "}})
	if p.code != http.StatusBadRequest || !strings.Contains(p.body, "thiếu tiêu đề") || !strings.Contains(p.body, `id="loi-title"`) {
		t.Fatalf("edit with an empty title: %d %s", p.code, p.body)
	}
	_, body, _ = e.do(t, "GET", "/api/v1/results/"+pdfDoc, "", "", nil)
	if !strings.Contains(string(body), "lai bơm nhiệt") {
		t.Error("an invalid edit changed the record")
	}
	if p = b.post("/can-bo/sua/"+pdfDoc, url.Values{"title": {"x"}}); p.code != http.StatusForbidden {
		t.Errorf("edit without CSRF token: %d", p.code)
	}
	if p = b.get("/can-bo/sua/khong-co"); p.code != http.StatusNotFound {
		t.Errorf("edit form of a missing result: %d", p.code)
	}

	// A broker signs in (to the broker page), may work the need queue, but may not use the other staff pages.
	bb := e.browser(t)
	if p = bb.signIn(e.brk, ""); p.code != http.StatusSeeOther || p.h.Get("Location") != brokerPath {
		t.Fatalf("broker sign-in: %d → %q", p.code, p.h.Get("Location"))
	}
	if p = bb.get(queuePath); p.code != http.StatusOK || strings.Contains(p.body, `href="/can-bo">`) {
		t.Errorf("broker on the need queue: %d, or it links to the staff page it may not open", p.code)
	}
	brokerCSRF := find(t, metaCSRF, bb.get(loginPath).body)
	if p = bb.get("/can-bo"); p.code != http.StatusForbidden {
		t.Errorf("broker on the staff page: %d", p.code)
	}
	if p = bb.upload(brokerCSRF, files, nil); p.code != http.StatusForbidden {
		t.Errorf("broker upload: %d", p.code)
	}
	if p = bb.post("/can-bo/sua/"+pdfDoc, url.Values{"csrf": {brokerCSRF}, "title": {"x"}}); p.code != http.StatusForbidden {
		t.Errorf("broker edit: %d", p.code)
	}
	if p = bb.post("/can-bo/thu-lai/"+failed.ID, url.Values{"csrf": {brokerCSRF}}); p.code != http.StatusForbidden {
		t.Errorf("broker retry: %d", p.code)
	}
	req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/jobs/"+failed.ID+"/retry", nil)
	req.Header.Set(csrfHeader, brokerCSRF)
	if p = bb.do(req); p.code != http.StatusForbidden {
		t.Errorf("broker API write with its session: %d", p.code)
	}
}

// resultJSONForTest reads a stored result as the edit form does.
func (e *staffEnv) resultJSONForTest(id string) (map[string]json.RawMessage, error) {
	s := &Server{store: e.store}
	return s.resultJSON(id)
}

func TestFormPatchOnlyChangedFields(t *testing.T) {
	rec := map[string]json.RawMessage{"title": json.RawMessage(`"Tên"`), "authors": json.RawMessage(`["A","B"]`),
		"year": json.RawMessage(`2020`), "keywords": json.RawMessage(`["x"]`)}
	form := recordFormValues(rec)
	form.Set("transfer_forms", "")
	if p := formPatch(form, rec); len(p) != 0 {
		t.Errorf("unchanged form gives patch %s", p)
	}
	form.Set("authors", "A\r\nB; C")
	form.Set("year", "")
	form.Set("summary", "  Tóm tắt  ")
	form["transfer_forms"] = []string{"", "license"}
	p := formPatch(form, rec)
	want := map[string]string{"authors": `["A","B","C"]`, "year": `null`, "summary": `"Tóm tắt"`, "transfer_forms": `["license"]`}
	if len(p) != len(want) {
		t.Errorf("patch %s, want %v", p, want)
	}
	for k, v := range want {
		if string(p[k]) != v {
			t.Errorf("patch[%s] = %s, want %s", k, p[k], v)
		}
	}
}
