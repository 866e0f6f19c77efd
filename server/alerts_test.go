package server

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ketnoi/alerts"
	"ketnoi/corpus"
	"ketnoi/corpus/sample"
	"ketnoi/indexer"
	"ketnoi/indexer/bleveidx"
	"ketnoi/indexer/extract"
	"ketnoi/matcher"
)

// alertEnv is a server wired as `ketnoi serve` wires it: the sample corpus in a real store and bleve
// index, an upload queue, the re-matching runner woken by every index change, and a webhook posting to a
// receiver in the test.
type alertEnv struct {
	*uploadEnv
	logs     *syncBuffer
	received chan receivedHook
	secret   []byte
}

type receivedHook struct {
	header http.Header
	body   []byte
}

func alertServer(t *testing.T) *alertEnv {
	t.Helper()
	env := &alertEnv{logs: &syncBuffer{}, received: make(chan receivedHook, 16), secret: []byte("khoá chung của webhook")}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		env.received <- receivedHook{r.Header.Clone(), b}
	}))
	t.Cleanup(receiver.Close)

	dir := t.TempDir()
	st, err := corpus.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := sample.Records()
	if err != nil {
		t.Fatal(err)
	}
	anon := &corpus.Need{ID: "nc-an", Kind: corpus.KindNeed, Title: "Cần máy ép dầu dừa công suất nhỏ cho hợp tác xã",
		Description: "Ép dầu dừa tinh khiết từ cơm dừa tươi, giữ mùi thơm.", Enterprise: "Công ty Ẩn Danh", Contact: "0909",
		Confidentiality: corpus.ConfAnonymised}
	if _, err := st.Put(append(recs, anon), "test"); err != nil {
		t.Fatal(err)
	}
	idx, err := indexer.OpenCurrent(dir, func(d string) (indexer.Index, error) { return bleveidx.Open(d) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := indexer.Sync(context.Background(), st, idx, nil); err != nil {
		t.Fatal(err)
	}
	keys := corpus.OpenKeyring(dir)
	staff, sk, _ := keys.Create("Cán bộ A", corpus.RoleStaff)
	brk, _, _ := keys.Create("Môi giới B", corpus.RoleBroker)

	log := slog.New(slog.NewTextHandler(env.logs, nil))
	m := matcher.New(idx, st, matcher.DefaultWeights(), 2026)
	acfg := alerts.DefaultConfig()
	acfg.RematchDelayMS = 20
	hook, err := alerts.NewWebhook(receiver.URL+"/nhan", env.secret, st, acfg, "https://ketnoi.example/", log)
	if err != nil {
		t.Fatal(err)
	}
	runner := alerts.NewRunner(&alerts.Engine{Store: st, Index: idx, Matcher: m, Config: acfg}, log,
		func([]corpus.Alert) { hook.Kick() })
	watched := indexer.Notify(idx, func(*indexer.Batch) { runner.Kick() })

	cfg := DefaultConfig()
	cfg.Keys = keys
	s := New(cfg, watched, st, m, log)
	x := extract.NewExtractor(extract.Options{NoOCR: true}, 1, nil)
	p := &indexer.Pipeline{Store: st, Index: watched, Extractor: x, Workers: 1, WriteLock: s.WriteLock(), BatchDocs: 1}
	jobs, err := indexer.NewJobs(p, filepath.Join(dir, "uploads"), 8)
	if err != nil {
		t.Fatal(err)
	}
	s.WithUploads(jobs, 2<<20)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range []func(context.Context){jobs.Run, runner.Run, hook.Run} {
		wg.Go(func() { run(ctx) })
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		cancel()
		wg.Wait()
		x.Close()
		idx.Close()
		st.Close()
	})
	env.uploadEnv = &uploadEnv{dir: dir, ts: ts, staff: staff, brk: brk, jobs: jobs, keys: keys, store: st, staffK: sk}
	return env
}

// settle waits until the re-matching has caught up with every change in the store.
func (e *alertEnv) settle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		cur, _ := e.store.AlertCursor()
		seq, _ := e.store.Seq()
		if cur == seq {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("re-matching did not catch up")
}

func (e *alertEnv) json(t *testing.T, method, path, key string, body string, want int, out any) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	code, b, _ := e.do(t, method, path, key, "application/json", r)
	if code != want {
		t.Fatalf("%s %s: %d %s", method, path, code, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// upload sends a text document with its record fields and returns the result's id once indexed.
func (e *alertEnv) upload(t *testing.T, name, text string, fields map[string]string) string {
	t.Helper()
	ctype, body := multipartBody(t, name, []byte(text), fields)
	code, b, _ := e.do(t, "POST", "/api/v1/documents", e.staff, ctype, body)
	if code != http.StatusAccepted {
		t.Fatalf("upload: %d %s", code, b)
	}
	var job indexer.Job
	json.Unmarshal(b, &job)
	job = e.waitJob(t, job.ID)
	if job.State != indexer.JobDone || job.Outcome == nil || job.Outcome.DocID == "" {
		t.Fatalf("job: %+v", job)
	}
	return job.Outcome.DocID
}

func (e *alertEnv) alertsOf(t *testing.T, need string) []alerts.View {
	t.Helper()
	var out struct{ Alerts []alerts.View }
	e.json(t, "GET", "/api/v1/needs/"+need+"/alerts", e.brk, "", http.StatusOK, &out)
	return out.Alerts
}

func (e *alertEnv) feedToken(t *testing.T, path string) string {
	t.Helper()
	var tok struct{ Token, Path, URL string }
	e.json(t, "POST", path, e.staff, "", http.StatusOK, &tok)
	if !strings.HasPrefix(tok.Token, corpus.FeedTokenPrefix) || !strings.HasSuffix(tok.URL, tok.Path) || !strings.Contains(tok.Path, tok.Token) {
		t.Fatalf("feed token answer %+v", tok)
	}
	return tok.Path
}

// atom is what the tests read of a feed, parsed by encoding/xml.
type atom struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Links   []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Entries []struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Updated string `xml:"updated"`
		Link    struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Summary string `xml:"summary"`
		Content string `xml:"content"`
	} `xml:"entry"`
}

func (e *alertEnv) feed(t *testing.T, path string) (atom, string) {
	t.Helper()
	code, b, h := e.do(t, "GET", path, "", "", nil)
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("GET %s: %d %q", path, code, h.Get("Content-Type"))
	}
	var f atom
	if err := xml.Unmarshal(b, &f); err != nil {
		t.Fatalf("feed does not parse: %v\n%s", err, b)
	}
	if _, err := time.Parse(time.RFC3339, f.Updated); err != nil || !strings.HasPrefix(f.ID, "urn:uuid:") {
		t.Errorf("feed id %q, updated %q", f.ID, f.Updated)
	}
	return f, string(b)
}

var dryerFields = map[string]string{
	"title":          "Máy sấy cá cơm bằng bơm nhiệt tiết kiệm điện, sấy được mùa mưa",
	"summary":        "Máy sấy cá cơm luộc mẻ 500–800 kg bằng bơm nhiệt: đỡ tốn điện, cá khô giữ màu trắng bạc, không ám mùi khói.",
	"keywords":       "máy sấy; cá cơm; bơm nhiệt",
	"sectors":        "10",
	"field_codes":    "211",
	"trl":            "8",
	"transfer_forms": "equipment; consulting_training",
	"locality":       "hoai-nhon",
	"organization":   "Viện Cơ điện <Thử nghiệm> & Cộng sự",
	"year":           "2025",
}

const dryerText = "Báo cáo: máy sấy cá cơm bơm nhiệt cho cơ sở chế biến hải sản khô ở Tam Quan Bắc, Hoài Nhơn. " +
	"Sấy cá cơm luộc cả mùa mưa, tiết kiệm điện, cá giữ màu trắng bạc, hướng dẫn vận hành và chỉnh nhiệt tận nơi."

// TestStandingNeedAlerts: a need marked standing through the API gets an alert when a matching result is
// uploaded; the alert is listed for keys, appears in the need's and the broker's feeds, and reaches the
// webhook signed; the same result again does not alert twice; feed tokens are checked.
func TestStandingNeedAlerts(t *testing.T) {
	e := alertServer(t)
	var need corpus.Need
	// (Without the sample's deadline, which passes as the clock moves on: expired needs get no alerts.)
	e.json(t, "PATCH", "/api/v1/needs/nc-001", e.staff, `{"standing": true, "broker": "Môi giới B", "deadline": null}`, http.StatusOK, &need)
	if !need.Standing || need.Broker != "Môi giới B" {
		t.Fatalf("need after PATCH: %+v", need)
	}
	e.json(t, "PATCH", "/api/v1/needs/nc-001", e.staff, `{"standing": "có"}`, http.StatusBadRequest, nil)
	if code, b, _ := e.do(t, "GET", "/api/v1/needs/nc-001", "", "", nil); code != http.StatusOK || strings.Contains(string(b), "Môi giới B") {
		t.Errorf("public need: %d, shows its broker: %s", code, b)
	}
	e.settle(t)
	if got := e.alertsOf(t, "nc-001"); len(got) != 0 {
		t.Fatalf("alerts before any new result: %+v", got)
	}
	needFeed := e.feedToken(t, "/api/v1/needs/nc-001/feed-token")
	brokerFeed := e.feedToken(t, "/api/v1/brokers/"+url.PathEscape("Môi giới B")+"/feed-token")
	if f, _ := e.feed(t, needFeed); len(f.Entries) != 0 {
		t.Fatalf("empty feed has %d entries", len(f.Entries))
	}

	id := e.upload(t, "may-say.txt", dryerText, dryerFields)
	e.settle(t)
	list := e.alertsOf(t, "nc-001")
	if len(list) != 1 || list[0].Result.ID != id || list[0].Score < alerts.DefaultConfig().Threshold || len(list[0].Reasons) == 0 ||
		list[0].Need.Enterprise == "" || !strings.HasSuffix(list[0].Result.URL, "/ket-qua/"+id) {
		t.Fatalf("alerts after upload: %+v", list)
	}
	alert := list[0]

	// The need's feed and the broker's feed hold it, escaped, with a link to the result's page.
	for _, path := range []string{needFeed, brokerFeed} {
		f, raw := e.feed(t, path)
		if len(f.Entries) != 1 || f.Entries[0].ID != alert.ID || !strings.HasSuffix(f.Entries[0].Link.Href, "/ket-qua/"+id) ||
			!strings.Contains(f.Entries[0].Title, dryerFields["title"]) || !strings.Contains(f.Entries[0].Content, alert.Reasons[0]) {
			t.Errorf("%s: %+v", path, f)
		}
		if !strings.Contains(f.Entries[0].Content, "&lt;Thử nghiệm&gt; &amp; Cộng sự") || strings.Contains(raw, "<Thử nghiệm>") {
			t.Errorf("%s: organisation not escaped as HTML inside the XML", path)
		}
	}

	// The webhook got it, signed with the shared secret.
	select {
	case got := <-e.received:
		if sig := got.header.Get(alerts.HeaderSignature); !validSignature(e.secret, sig, got.body) {
			t.Errorf("bad signature %q", sig)
		}
		var p alerts.Payload
		if err := json.Unmarshal(got.body, &p); err != nil || p.Alert.ID != alert.ID || got.header.Get(alerts.HeaderDelivery) != alert.ID {
			t.Errorf("webhook payload %s: %v", got.body, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the webhook got nothing")
	}

	// The same result again, then a small correction: no second alert.
	e.upload(t, "may-say.txt", dryerText, dryerFields)
	e.json(t, "PATCH", "/api/v1/results/"+id, e.staff, `{"year": 2026}`, http.StatusOK, nil)
	e.settle(t)
	if list := e.alertsOf(t, "nc-001"); len(list) != 1 {
		t.Errorf("%d alerts after the same result again", len(list))
	}

	// Keys only, tokens only.
	if code, _, _ := e.do(t, "GET", "/api/v1/needs/nc-001/alerts", "", "", nil); code != http.StatusUnauthorized {
		t.Errorf("alerts without a key: %d", code)
	}
	if code, _, _ := e.do(t, "POST", "/api/v1/needs/nc-001/feed-token", e.brk, "", nil); code != http.StatusForbidden {
		t.Errorf("broker issuing a feed token: %d", code)
	}
	token := strings.TrimSuffix(strings.TrimPrefix(needFeed, "/feeds/needs/"), ".atom")
	for _, path := range []string{
		"/feeds/needs/kf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.atom",
		"/feeds/needs/" + token,             // no .atom
		"/feeds/brokers/" + token + ".atom", // a need's token on the brokers' path
		"/feeds/needs/" + token + "x.atom",  // one character more
		"/api/v1/needs/nc-001/feed-token/" + token,
	} {
		if code, _, _ := e.do(t, "GET", path, "", "", nil); code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
			t.Errorf("GET %s: %d", path, code)
		}
	}
	// A new token replaces the old one.
	renewed := e.feedToken(t, "/api/v1/needs/nc-001/feed-token")
	if code, _, _ := e.do(t, "GET", needFeed, "", "", nil); code != http.StatusNotFound {
		t.Errorf("old token after renewal: %d", code)
	}
	if f, _ := e.feed(t, renewed); len(f.Entries) != 1 {
		t.Errorf("renewed feed has %d entries", len(f.Entries))
	}
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(line, token) {
			t.Errorf("a feed token is in the request log: %s", line)
		}
	}
}

// TestAnonymisedNeedFeed: the feed of an anonymised standing need never names the enterprise.
func TestAnonymisedNeedFeed(t *testing.T) {
	e := alertServer(t)
	e.json(t, "PATCH", "/api/v1/needs/nc-an", e.staff, `{"standing": true}`, http.StatusOK, nil)
	e.settle(t)
	path := e.feedToken(t, "/api/v1/needs/nc-an/feed-token")
	id := e.upload(t, "ep-dau.txt", "Máy ép dầu dừa công suất nhỏ cho hợp tác xã: ép cơm dừa tươi, dầu tinh khiết giữ mùi thơm.",
		map[string]string{"title": "Máy ép dầu dừa tinh khiết công suất nhỏ cho hợp tác xã", "keywords": "ép dầu dừa; cơm dừa", "trl": "7"})
	e.settle(t)
	list := e.alertsOf(t, "nc-an")
	if len(list) != 1 || list[0].Result.ID != id {
		t.Fatalf("alerts: %+v", list)
	}
	if list[0].Need.Enterprise != "" {
		t.Errorf("API shows the anonymised enterprise: %+v", list[0].Need)
	}
	f, raw := e.feed(t, path)
	if len(f.Entries) != 1 || f.Entries[0].ID != list[0].ID {
		t.Fatalf("feed: %+v", f)
	}
	if strings.Contains(raw, "Công ty Ẩn Danh") || strings.Contains(raw, "0909") {
		t.Error("the anonymised need's feed names the enterprise")
	}
}

func validSignature(secret []byte, header string, body []byte) bool {
	ts, _, ok := strings.Cut(header, ",")
	if !ok {
		return false
	}
	t, err := strconv.ParseInt(strings.TrimPrefix(ts, "t="), 10, 64)
	if err != nil {
		return false
	}
	return alerts.Sign(secret, t, body) == header && time.Since(time.Unix(t, 0)) < time.Minute
}

// TestBrokerEntersStandingNeed: a need a broker enters through the API is the broker's: its alerts are in
// the broker's feed.
func TestBrokerEntersStandingNeed(t *testing.T) {
	e := alertServer(t)
	var sub struct{ ID string }
	e.json(t, "POST", "/api/v1/needs", e.brk, `{"title": "Cần dây chuyền sấy lạnh xoài xuất khẩu", "description": "Hợp tác xã trồng xoài 40 ha muốn sấy lạnh xoài cắt lát giữ màu vàng tươi để bán cho siêu thị và xuất khẩu.", "enterprise": "HTX Xoài Cam Lâm", "contact": "chị Hoa – 0905 123 456", "confidentiality": "public", "standing": true, "publish": true}`, http.StatusCreated, &sub)
	rec, err := e.store.Record(sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := rec.(*corpus.Need); !n.Standing || n.Broker != "Môi giới B" {
		t.Fatalf("need entered by the broker: %+v", n)
	}
	e.settle(t)
	path := e.feedToken(t, "/api/v1/brokers/"+url.PathEscape("Môi giới B")+"/feed-token")
	id := e.upload(t, "say-xoai.txt", "Dây chuyền sấy lạnh xoài cắt lát bằng bơm nhiệt: xoài sấy giữ màu vàng tươi, đạt chuẩn xuất khẩu.",
		map[string]string{"title": "Dây chuyền sấy lạnh xoài cắt lát giữ màu cho hợp tác xã", "keywords": "sấy lạnh; xoài; bơm nhiệt", "trl": "7"})
	e.settle(t)
	f, _ := e.feed(t, path)
	if len(f.Entries) != 1 || !strings.HasSuffix(f.Entries[0].Link.Href, "/ket-qua/"+id) || !strings.Contains(f.Entries[0].Title, "Cần dây chuyền sấy lạnh xoài") {
		t.Fatalf("broker feed: %+v", f)
	}
}
