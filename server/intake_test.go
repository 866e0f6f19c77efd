package server

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"ketnoi/corpus"
)

// intakeServer is a real server over the sample corpus (store, bleve index, matcher) with a staff and a
// broker key; limit > 0 sets the public form's submissions per client. Its logs must never hold a
// follow token nor a key.
func intakeServer(t *testing.T, limit int) *staffEnv {
	t.Helper()
	logs := &syncBuffer{}
	u := newWriteServer(t, serverOpts{capacity: 2, staffName: "Cán bộ C", logs: logs, sample: true, config: func(c *Config) {
		if limit > 0 {
			c.IntakeLimit = limit
		}
	}})
	e := &staffEnv{uploadEnv: u, logs: logs}
	t.Cleanup(func() {
		for _, k := range []string{u.staff, u.brk} {
			if strings.Contains(logs.String(), k) {
				t.Error("an API key reached the logs")
			}
		}
		if m := tokenInText.FindString(logs.String()); m != "" {
			t.Errorf("a follow token reached the logs: %s", m)
		}
	})
	return e
}

var tokenInText = regexp.MustCompile(`theo-doi/[A-Za-z0-9_-]{43}|status/[A-Za-z0-9_-]{43}`)

// needPost is a valid need as the public form posts it.
func needPost(title string) url.Values {
	return url.Values{
		"title":           {title},
		"description":     {"Xưởng chúng tôi bóc vỏ hạt điều bằng tay, mỗi ngày 2 tấn, công nhân hay bị dầu vỏ làm phỏng tay. Cần máy bóc vỏ tự động, nhân không vỡ."},
		"enterprise_size": {"small"},
		"scale":           {"2 tấn hạt điều thô mỗi ngày, 40 công nhân"},
		"sectors":         {"10"},
		"locality":        {"an-nhon"},
		"budget_min":      {"300"},
		"budget_max":      {"1,5 tỷ"},
		"deadline":        {time.Now().AddDate(0, 6, 0).Format("2006-01-02")},
		"confidentiality": {corpus.ConfPublic},
		"enterprise":      {"Công ty TNHH Hạt điều Nhơn Hưng"},
		"contact":         {"Chị Hạnh, 0256 3 822 123"},
	}
}

// submitNeed opens the public form (for its CSRF token and cookie) and posts it.
func (b *browser) submitNeed(form url.Values) page {
	b.t.Helper()
	p := b.get(intakePath)
	if p.code != http.StatusOK {
		b.t.Fatalf("need form: %d", p.code)
	}
	form.Set("csrf", find(b.t, fieldCSRF, p.body))
	return b.post(intakePath, form)
}

// followToken is the token of the follow page a submission redirected to.
func followToken(t *testing.T, p page) string {
	t.Helper()
	loc := p.h.Get("Location")
	if p.code != http.StatusSeeOther || !strings.HasPrefix(loc, followPrefix) || !strings.HasSuffix(loc, "?moi=1") {
		t.Fatalf("submission: %d → %q\n%s", p.code, loc, p.body)
	}
	return strings.TrimSuffix(strings.TrimPrefix(loc, followPrefix), "?moi=1")
}

// apiJSON calls the API with a key (or none) and decodes the answer into out.
func (e *staffEnv) apiJSON(t *testing.T, method, path, key string, body any, out any) int {
	t.Helper()
	var r *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	} else {
		r = strings.NewReader("")
	}
	code, b, _ := e.do(t, method, path, key, "application/json", r)
	if out != nil && json.Unmarshal(b, out) != nil {
		t.Fatalf("%s %s: %d %s", method, path, code, b)
	}
	return code
}

func (e *staffEnv) followStatus(t *testing.T, token string) needStatusJSON {
	t.Helper()
	var st needStatusJSON
	if code := e.apiJSON(t, "GET", followAPI+token, "", nil, &st); code != http.StatusOK {
		t.Fatalf("status by token: %d", code)
	}
	return st
}

// searchNeeds is the ids of the needs public search finds for q.
func (e *staffEnv) searchNeeds(t *testing.T, q string) []string {
	t.Helper()
	var res struct{ Hits []struct{ ID string } }
	if code := e.apiJSON(t, "GET", "/api/v1/search?kind=need&q="+url.QueryEscape(q), "", nil, &res); code != http.StatusOK {
		t.Fatalf("search: %d", code)
	}
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	return ids
}

func hasID(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// TestIntakeEndToEnd: an enterprise submits on the public form; the need is neither searchable nor
// visible until published; a broker publishes it through the API and it is searchable and matchable at
// once, and its follow page says so. Another need is rejected on the staff page with a reason the
// follow page shows; a third is corrected and published on the staff page; staff close the first. Every
// action is in the audit log.
func TestIntakeEndToEnd(t *testing.T) {
	e := intakeServer(t, 0)
	b := e.browser(t)

	form := b.get(intakePath)
	if form.h.Get("Cache-Control") != "no-store" || !strings.Contains(form.body, `name="`+honeypotField+`"`) {
		t.Errorf("form headers %v, or no honeypot", form.h)
	}
	token := followToken(t, b.submitNeed(needPost("Cần máy bóc vỏ hạt điều tự động")))
	follow := b.get(followPrefix + token + "?moi=1")
	if follow.code != http.StatusOK || !strings.Contains(follow.body, "Đã gửi, đang chờ duyệt") || !strings.Contains(follow.body, e.ts.URL+followPrefix+token) {
		t.Fatalf("follow page: %d\n%s", follow.code, follow.body)
	}
	if follow.h.Get("Referrer-Policy") != "no-referrer" || follow.h.Get("Cache-Control") != "no-store" {
		t.Errorf("follow page headers: %v", follow.h)
	}
	st := e.followStatus(t, token)
	id := st.ID
	if st.State != corpus.NeedSubmitted || st.Need == nil || st.Need.BudgetVND != (corpus.Range{Min: 300_000_000, Max: 1_500_000_000}) || st.Need.Province != "gia-lai" {
		t.Fatalf("status: %+v", st)
	}
	for _, h := range st.History {
		if h.Actor != "" {
			t.Errorf("the public status names a key: %+v", h)
		}
	}

	// Waiting: not searchable, not visible, not matchable by id.
	if ids := e.searchNeeds(t, `"bóc vỏ hạt điều"`); hasID(ids, id) {
		t.Fatalf("a waiting need is searchable: %v", ids)
	}
	if code, _, _ := e.do(t, "GET", "/api/v1/needs/"+id, "", "", nil); code != http.StatusNotFound {
		t.Errorf("a waiting need's record: %d", code)
	}
	if code, _, _ := e.do(t, "GET", "/nhu-cau/"+id, "", "", nil); code != http.StatusNotFound {
		t.Errorf("a waiting need's page: %d", code)
	}
	var queue struct {
		Total int
		Needs []needStatusJSON
	}
	if code := e.apiJSON(t, "GET", "/api/v1/intake", e.brk, nil, &queue); code != http.StatusOK || queue.Total != 1 || queue.Needs[0].ID != id {
		t.Fatalf("queue: %d %+v", code, queue)
	}

	// A broker publishes it: searchable and matchable when the answer comes.
	if code := e.apiJSON(t, "POST", "/api/v1/intake/"+id+"/publish", e.brk, nil, &st); code != http.StatusOK || st.State != corpus.NeedPublished {
		t.Fatalf("publish: %d %+v", code, st)
	}
	if ids := e.searchNeeds(t, `"bóc vỏ hạt điều"`); !hasID(ids, id) {
		t.Fatalf("a published need is not searchable: %v", ids)
	}
	code, rec, _ := e.do(t, "GET", "/api/v1/needs/"+id, "", "", nil)
	if code != http.StatusOK {
		t.Fatalf("published need: %d %s", code, rec)
	}
	var matches struct {
		Matches []struct {
			ID         string
			Components map[string]float64
		}
	}
	code, mb, _ := e.do(t, "POST", "/api/v1/match?size=5", "", "application/json", strings.NewReader(string(rec)))
	if json.Unmarshal(mb, &matches); code != http.StatusOK || len(matches.Matches) == 0 || matches.Matches[0].Components["text"] <= 0 {
		t.Fatalf("matching the published need: %d %s", code, mb)
	}
	if e := e.stored(t, id); !strings.Contains(strings.Join(e.Sources, ","), "intake") {
		t.Errorf("published record's sources: %v", e.Sources)
	}
	follow = b.get(followPrefix + token)
	if !strings.Contains(follow.body, "Đã đăng") || !strings.Contains(follow.body, `href="/nhu-cau/`+id+`"`) || strings.Contains(follow.body, "duong-dan") {
		t.Errorf("follow page after publishing:\n%s", follow.body)
	}

	// Two more needs; staff sign in and work the queue on the staff pages.
	tokReject := followToken(t, b.submitNeed(needPost("Cần công nghệ sấy hạt điều bằng năng lượng mặt trời")))
	tokEdit := followToken(t, b.submitNeed(needPost("Cần dây chuyền phân loại nhân hạt điều theo màu")))
	rejectID, editID := e.followStatus(t, tokReject).ID, e.followStatus(t, tokEdit).ID
	sb := e.browser(t)
	sb.signIn(e.staff, "")
	list := sb.get(queuePath)
	if list.code != http.StatusOK || !strings.Contains(list.body, rejectID) || !strings.Contains(list.body, editID) {
		t.Fatalf("queue page: %d\n%s", list.code, list.body)
	}
	item := sb.get(queuePath + "/" + rejectID)
	csrf := find(t, fieldCSRF, item.body)
	if p := sb.post(queuePath+"/"+rejectID+"/tu-choi", url.Values{"csrf": {csrf}, "reason": {"  "}}); p.code != http.StatusBadRequest || !strings.Contains(p.body, "Hãy ghi lý do") {
		t.Errorf("reject without a reason: %d", p.code)
	}
	const reason = "Nhu cầu trùng với nhu cầu đã đăng của cùng doanh nghiệp."
	if p := sb.post(queuePath+"/"+rejectID+"/tu-choi", url.Values{"csrf": {csrf}, "reason": {reason}}); p.code != http.StatusSeeOther {
		t.Fatalf("reject: %d\n%s", p.code, p.body)
	}
	follow = b.get(followPrefix + tokReject)
	if !strings.Contains(follow.body, "Không được duyệt") || !strings.Contains(follow.body, reason) {
		t.Errorf("follow page after rejection:\n%s", follow.body)
	}
	if st := e.followStatus(t, tokReject); st.State != corpus.NeedRejected || st.Reason != reason {
		t.Errorf("rejected status: %+v", st)
	}

	// Corrected and published from the staff form; the form keeps what it does not show.
	edit := needFormValuesForTest(t, sb, editID)
	edit.Set("title", "Dây chuyền phân loại nhân điều bằng camera")
	edit.Set("action", "publish")
	edit["transfer_forms"] = []string{"equipment"}
	if p := sb.post(queuePath+"/"+editID, edit); p.code != http.StatusSeeOther || p.h.Get("Location") != queuePath {
		t.Fatalf("save and publish: %d %q\n%s", p.code, p.h.Get("Location"), p.body)
	}
	if ids := e.searchNeeds(t, `"phân loại nhân điều bằng camera"`); !hasID(ids, editID) {
		t.Errorf("the corrected need is not searchable under its new title: %v", ids)
	}
	if st := e.followStatus(t, tokEdit); st.State != corpus.NeedPublished || st.Need.TransferForms[0] != "equipment" || st.Need.Scale == "" {
		t.Errorf("corrected status: %+v", st)
	}
	if ids := e.searchNeeds(t, `"sấy hạt điều bằng năng lượng mặt trời"`); hasID(ids, rejectID) {
		t.Error("a rejected need is searchable")
	}

	// Staff close the first need (brokers may not); the follow page says so.
	if code := e.apiJSON(t, "POST", "/api/v1/needs/"+id+"/state", e.brk, map[string]string{"state": "closed"}, nil); code != http.StatusForbidden {
		t.Errorf("broker closing: %d", code)
	}
	if code := e.apiJSON(t, "POST", "/api/v1/needs/"+id+"/state", e.staff, map[string]string{"state": "closed", "reason": "Doanh nghiệp đã mua máy."}, &st); code != http.StatusOK || st.State != corpus.NeedClosed {
		t.Fatalf("close: %d %+v", code, st)
	}
	if follow = b.get(followPrefix + token); !strings.Contains(follow.body, "Đã đóng") || !strings.Contains(follow.body, "Doanh nghiệp đã mua máy.") {
		t.Errorf("follow page after closing:\n%s", follow.body)
	}

	// The audit log has each action, with its need and the rejection's reason, and no token.
	audit, err := os.ReadFile(filepath.Join(e.dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"need.submit": id, "need.publish": id, "need.reject": rejectID, "need.state.closed": id}
	got := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(audit)), "\n") {
		var a auditEntry
		json.Unmarshal([]byte(line), &a)
		if target, ok := want[a.Action]; ok && target == a.Target {
			got[a.Action] = true
		}
		if a.Action == "need.reject" && a.Reason != reason {
			t.Errorf("rejection audited without its reason: %+v", a)
		}
	}
	if len(got) != len(want) || tokenInText.Match(audit) {
		t.Errorf("audit log: found %v of %v (or a token)\n%s", got, want, audit)
	}
}

// needFormValuesForTest reads the staff form of a waiting need as a browser would post it back.
func needFormValuesForTest(t *testing.T, b *browser, id string) url.Values {
	t.Helper()
	p := b.get(queuePath + "/" + id)
	if p.code != http.StatusOK {
		t.Fatalf("staff need page: %d", p.code)
	}
	v := url.Values{"csrf": {find(t, fieldCSRF, p.body)}}
	for _, m := range regexp.MustCompile(`<input id="f-[^"]+" name="([^"]+)" type="(?:text|date)" value="([^"]*)"`).FindAllStringSubmatch(p.body, -1) {
		v.Set(m[1], htmlUnescape(m[2]))
	}
	for _, m := range regexp.MustCompile(`(?s)<textarea id="f-description" name="description"[^>]*>(.*?)</textarea>`).FindAllStringSubmatch(p.body, -1) {
		v.Set("description", htmlUnescape(m[1]))
	}
	for _, name := range []string{"enterprise_size", "sectors", "locality", "min_trl", "field_codes"} {
		sel := regexp.MustCompile(`(?s)<select id="f-` + name + `".*?</select>`).FindString(p.body)
		for _, m := range regexp.MustCompile(`<option value="([^"]*)" selected>`).FindAllStringSubmatch(sel, -1) {
			v.Add(name, m[1])
		}
	}
	if m := regexp.MustCompile(`name="confidentiality" value="([^"]+)" checked`).FindStringSubmatch(p.body); m != nil {
		v.Set("confidentiality", m[1])
	}
	return v
}

func htmlEscape(s string) string { return template.HTMLEscapeString(s) }

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

func (e *staffEnv) stored(t *testing.T, id string) *corpus.Entry {
	t.Helper()
	en, err := e.store.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return en
}

// TestIntakeFormValidation: each refused field gets its message next to it, everything typed comes
// back, and nothing is stored.
func TestIntakeFormValidation(t *testing.T) {
	e := intakeServer(t, 100)
	b := e.browser(t)
	tests := []struct {
		name, field, value string
		errField, message  string
	}{
		{"short title", "title", "Máy sấy", "title", "quá ngắn (7 ký tự)"},
		{"short description", "description", "Cần máy.", "description", "ít nhất 30"},
		{"contact without phone", "contact", "Chị Hạnh ở chợ An Nhơn", "contact", "số điện thoại"},
		{"budget in words", "budget_min", "ba trăm", "budget_min", "Không đọc được số tiền «ba trăm»"},
		{"budget bounds swapped", "budget_max", "100", "budget_max", "nhỏ hơn mức «từ»"},
		{"deadline passed", "deadline", "2020-01-01", "deadline", "01/01/2020 đã qua"},
		{"no confidentiality", "confidentiality", "", "confidentiality", "ai được xem"},
		{"locality forged", "locality", "ba-dinh", "locality", "không có trong danh mục địa bàn"},
		{"no enterprise", "enterprise", "", "enterprise", "tên doanh nghiệp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := needPost("Cần máy bóc vỏ hạt điều tự động")
			form.Set(tt.field, tt.value)
			p := b.submitNeed(form)
			if p.code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", p.code)
			}
			block := regexp.MustCompile(`(?s)<div class="field-error" id="loi-` + tt.errField + `">(.*?)</div>`).FindStringSubmatch(p.body)
			if block == nil || !strings.Contains(htmlUnescape(block[1]), tt.message) {
				t.Errorf("no message %q next to %s:\n%s", tt.message, tt.errField, p.body)
			}
			if n := strings.Count(p.body, `class="field-error"`); n != 1 {
				t.Errorf("%d fields marked, want 1", n)
			}
			if !strings.Contains(p.body, htmlEscape(form.Get("description"))) || !strings.Contains(p.body, `value="`+htmlEscape(form.Get("contact"))+`"`) {
				t.Error("the typed values did not come back")
			}
		})
	}
	if q, _ := e.store.NeedQueue(); len(q) != 0 {
		t.Errorf("%d refused needs were stored", len(q))
	}
}

// TestIntakeGuards: the public write's defences — the rate limit (429 with Retry-After, the text kept),
// the body limit (413, with and without a Content-Length), the honeypot (answered as a success, nothing
// stored), the CSRF token, the content type.
func TestIntakeGuards(t *testing.T) {
	const limit = 3
	e := intakeServer(t, limit)
	b := e.browser(t)
	for i := range limit {
		followToken(t, b.submitNeed(needPost("Cần máy bóc vỏ hạt điều số "+strconv.Itoa(i+1))))
	}
	p := b.submitNeed(needPost("Cần máy bóc vỏ hạt điều số bốn"))
	ra, _ := strconv.Atoi(p.h.Get("Retry-After"))
	if p.code != http.StatusTooManyRequests || ra <= 0 || ra > 3600 || !strings.Contains(p.body, "số bốn") || !strings.Contains(p.body, "thử lại sau") {
		t.Fatalf("over the limit: %d, Retry-After %q\n%s", p.code, p.h.Get("Retry-After"), p.body)
	}
	if q, _ := e.store.NeedQueue(); len(q) != limit {
		t.Fatalf("%d needs stored, want %d", len(q), limit)
	}

	// Each guard on a fresh client address would need another server; the limit is per address, so the
	// remaining checks run on a server of their own.
	e = intakeServer(t, 100)
	b = e.browser(t)
	huge := needPost("Cần máy bóc vỏ hạt điều")
	huge.Set("description", strings.Repeat("hạt điều ", 20000))
	tokenForm := b.get(intakePath)
	huge.Set("csrf", find(t, fieldCSRF, tokenForm.body))
	if p := b.post(intakePath, huge); p.code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversize body: %d", p.code)
	}
	req, _ := http.NewRequest("POST", e.ts.URL+intakePath, strings.NewReader(huge.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.ContentLength = -1 // chunked: the limit is found while reading
	if p := b.do(req); p.code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversize chunked body: %d", p.code)
	}

	bot := needPost("Cần máy bóc vỏ hạt điều")
	bot.Set(honeypotField, "http://spam.example/")
	if p := b.submitNeed(bot); p.code != http.StatusSeeOther || p.h.Get("Location") != intakeDonePath {
		t.Errorf("honeypot: %d → %q", p.code, p.h.Get("Location"))
	}
	if p := b.get(intakeDonePath); p.code != http.StatusOK {
		t.Errorf("thank-you page: %d", p.code)
	}

	forged := needPost("Cần máy bóc vỏ hạt điều")
	forged.Set("csrf", strings.Repeat("A", 43))
	if p := b.post(intakePath, forged); p.code != http.StatusForbidden || !strings.Contains(p.body, "Xưởng chúng tôi bóc vỏ") {
		t.Errorf("wrong CSRF token: %d", p.code)
	}
	if p := e.browser(t).post(intakePath, needPost("Cần máy bóc vỏ hạt điều")); p.code != http.StatusForbidden {
		t.Errorf("no CSRF cookie: %d", p.code)
	}
	req, _ = http.NewRequest("POST", e.ts.URL+intakePath, strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	if p := b.do(req); p.code != http.StatusUnsupportedMediaType {
		t.Errorf("JSON to the form: %d", p.code)
	}
	if q, _ := e.store.NeedQueue(); len(q) != 0 {
		t.Errorf("%d needs stored by refused posts", len(q))
	}
	if p := b.get(followPrefix + strings.Repeat("x", 43)); p.code != http.StatusNotFound {
		t.Errorf("unknown follow token: %d", p.code)
	}
}

// TestIntakeAPI: brokers enter needs for their clients; the queue endpoints correct, reject and
// publish them; the state of any need is there for keys, and by token for the enterprise.
func TestIntakeAPI(t *testing.T) {
	e := intakeServer(t, 0)
	need := map[string]any{
		"title": "Cần quy trình ủ phân hữu cơ từ vỏ cà phê", "description": "Hợp tác xã có 300 tấn vỏ cà phê mỗi vụ, đang đốt bỏ gây khói; muốn ủ thành phân bón cho vườn.",
		"enterprise": "HTX Cà phê Ia Grai", "contact": "anh Nam – nam.htx@example.vn", "confidentiality": "anonymised",
		"locality": "Ia Grai", "budget_vnd": map[string]int64{"min": 50_000_000, "max": 200_000_000}, "ma_noi_bo": "MG-17",
	}
	var sub submitResponse
	if code := e.apiJSON(t, "POST", "/api/v1/needs", "", need, nil); code != http.StatusUnauthorized {
		t.Errorf("without a key: %d", code)
	}
	if code := e.apiJSON(t, "POST", "/api/v1/needs", e.brk, need, &sub); code != http.StatusCreated || sub.State != corpus.NeedSubmitted || len(sub.Warnings) != 1 {
		t.Fatalf("broker submits: %d %+v", code, sub)
	}
	if !strings.HasPrefix(sub.FollowURL, e.ts.URL+followPrefix) || sub.Status.Need.Locality != "ia-grai" {
		t.Errorf("submission: %+v", sub)
	}
	if _, raw, _ := e.do(t, "GET", "/api/v1/intake/"+sub.ID, e.staff, "", nil); !strings.Contains(string(raw), `"ma_noi_bo":"MG-17"`) {
		t.Errorf("a field the record format does not know was lost: %s", raw)
	}
	if code, _, _ := e.do(t, "GET", strings.TrimPrefix(sub.FollowURL, e.ts.URL), "", "", nil); code != http.StatusOK {
		t.Errorf("follow link: %d", code)
	}
	id := sub.ID

	var apiErr APIError
	for _, tt := range []struct {
		name   string
		edit   func(m map[string]any)
		code   int
		errStr string
	}{
		{"no phone or e-mail", func(m map[string]any) { m["contact"] = "anh Nam" }, http.StatusBadRequest, "invalid_need"},
		{"id given", func(m map[string]any) { m["id"] = "nc-cua-toi" }, http.StatusBadRequest, "id_not_allowed"},
		{"publish not a boolean", func(m map[string]any) { m["publish"] = "có" }, http.StatusBadRequest, "bad_publish"},
		{"wrong type", func(m map[string]any) { m["min_trl"] = "sáu" }, http.StatusBadRequest, "invalid_need"},
		{"a result", func(m map[string]any) { m["kind"] = "result" }, http.StatusBadRequest, "not_a_need"},
	} {
		m := map[string]any{}
		for k, v := range need {
			m[k] = v
		}
		tt.edit(m)
		if code := e.apiJSON(t, "POST", "/api/v1/needs", e.brk, m, &apiErr); code != tt.code || apiErr.Code != tt.errStr || apiErr.Message == "" {
			t.Errorf("%s: %d %+v", tt.name, code, apiErr)
		}
	}

	// PATCH corrects the draft; an invalid correction changes nothing.
	var st needStatusJSON
	if code := e.apiJSON(t, "PATCH", "/api/v1/intake/"+id, e.staff, map[string]any{"title": "Ủ phân hữu cơ từ vỏ cà phê", "min_trl": 6}, &st); code != http.StatusOK || st.Need.Title != "Ủ phân hữu cơ từ vỏ cà phê" || st.Need.MinTRL != 6 {
		t.Fatalf("patch: %d %+v", code, st)
	}
	if code := e.apiJSON(t, "PATCH", "/api/v1/intake/"+id, e.staff, map[string]any{"title": "x"}, &apiErr); code != http.StatusBadRequest {
		t.Errorf("invalid patch: %d", code)
	}
	e.apiJSON(t, "GET", "/api/v1/intake/"+id, e.brk, nil, &st)
	if st.Need.Title != "Ủ phân hữu cơ từ vỏ cà phê" {
		t.Errorf("an invalid patch changed the draft: %q", st.Need.Title)
	}

	// Reject needs a reason; a rejected need cannot be rejected again, but may still be published.
	if code := e.apiJSON(t, "POST", "/api/v1/intake/"+id+"/reject", e.brk, map[string]string{"reason": ""}, &apiErr); code != http.StatusBadRequest || apiErr.Code != "missing_reason" {
		t.Errorf("reject without a reason: %d %+v", code, apiErr)
	}
	if code := e.apiJSON(t, "POST", "/api/v1/intake/"+id+"/reject", e.brk, map[string]string{"reason": "Cần ghi rõ lượng vỏ mỗi tháng."}, &st); code != http.StatusOK || st.State != corpus.NeedRejected {
		t.Fatalf("reject: %d %+v", code, st)
	}
	if code := e.apiJSON(t, "POST", "/api/v1/intake/"+id+"/reject", e.brk, map[string]string{"reason": "lần nữa"}, &apiErr); code != http.StatusConflict || apiErr.Code != "bad_state" {
		t.Errorf("reject twice: %d %+v", code, apiErr)
	}
	if code := e.apiJSON(t, "POST", "/api/v1/intake/"+id+"/publish", e.staff, nil, &st); code != http.StatusOK || st.State != corpus.NeedPublished {
		t.Fatalf("publish a rejected need: %d %+v", code, st)
	}
	// Anonymised: searchable, but the public record hides the enterprise.
	if ids := e.searchNeeds(t, `"vỏ cà phê"`); !hasID(ids, id) {
		t.Errorf("published need not searchable: %v", ids)
	}
	if _, b, _ := e.do(t, "GET", "/api/v1/needs/"+id, "", "", nil); strings.Contains(string(b), "Ia Grai\"") || strings.Contains(string(b), "nam.htx") {
		t.Errorf("anonymised need shows its enterprise or contact: %s", b)
	}

	// "publish": true skips the queue.
	need["publish"] = true
	need["title"] = "Cần máy tách vỏ cà phê tươi cho hộ nhỏ"
	if code := e.apiJSON(t, "POST", "/api/v1/needs", e.brk, need, &sub); code != http.StatusCreated || sub.State != corpus.NeedPublished {
		t.Fatalf("submit and publish: %d %+v", code, sub)
	}
	if ids := e.searchNeeds(t, `"tách vỏ cà phê tươi"`); !hasID(ids, sub.ID) {
		t.Errorf("a need published at submission is not searchable: %v", ids)
	}

	// Status: for keys with the acting keys' ids, by token without them; an imported need is published.
	st = needStatusJSON{}
	if code := e.apiJSON(t, "GET", "/api/v1/needs/"+id+"/status", e.brk, nil, &st); code != http.StatusOK || st.History[1].Actor == "" || st.Reason != "" {
		t.Errorf("status by key: %d %+v", code, st)
	}
	if code := e.apiJSON(t, "GET", "/api/v1/needs/nc-001/status", e.brk, nil, &st); code != http.StatusOK || st.State != corpus.NeedPublished && st.State != corpus.NeedExpired || st.Source != "import" {
		t.Errorf("imported need's status: %d %+v", code, st)
	}
	if code := e.apiJSON(t, "GET", "/api/v1/needs/khong-co/status", e.brk, nil, &apiErr); code != http.StatusNotFound {
		t.Errorf("missing need's status: %d", code)
	}
	if code := e.apiJSON(t, "GET", "/api/v1/intake?state=bogus", e.brk, nil, &apiErr); code != http.StatusBadRequest {
		t.Errorf("bad state filter: %d", code)
	}
	var all struct{ Total int }
	if code := e.apiJSON(t, "GET", "/api/v1/intake?state=all", e.staff, nil, &all); code != http.StatusOK || all.Total != 2 {
		t.Errorf("whole intake: %d %+v", code, all)
	}
}
