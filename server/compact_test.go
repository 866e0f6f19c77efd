package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"ketnoi/corpus"
	"ketnoi/corpus/sample"
	"ketnoi/indexer"
	"ketnoi/internal/corpustest"
	"ketnoi/matcher"
)

// gatedIndex holds Compact until released (or cancelled), so that a test sees a merge in progress.
type gatedIndex struct {
	indexer.Index
	entered, release chan struct{}
	once             sync.Once
}

func (g *gatedIndex) Unwrap() indexer.Index { return g.Index }

func (g *gatedIndex) Compact(ctx context.Context) error {
	g.once.Do(func() { close(g.entered) })
	select { // cancelled while held: the real merge then runs with the cancelled context
	case <-g.release:
	case <-ctx.Done():
	}
	return g.Index.(indexer.Compacter).Compact(ctx)
}

func compactServer(t *testing.T) (*Server, *gatedIndex, map[corpus.Role]string) {
	t.Helper()
	dir, st, idx := corpustest.Sample(t)
	keys := corpus.OpenKeyring(dir)
	ks := map[corpus.Role]string{}
	for _, r := range []corpus.Role{corpus.RoleStaff, corpus.RoleBroker, corpus.RoleAdmin} {
		k, _, err := keys.Create("thử "+string(r), r)
		if err != nil {
			t.Fatal(err)
		}
		ks[r] = k
	}
	// Records rewritten one by one leave the index in many segments, with deleted documents: the merge has
	// work to do.
	recs, err := sample.Records()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[:40] {
		if err := idx.Apply(context.Background(), &indexer.Batch{Put: []indexer.Doc{indexer.DocFromRecord(r)}}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := DefaultConfig()
	cfg.Keys = keys
	g := &gatedIndex{Index: idx, entered: make(chan struct{}), release: make(chan struct{})}
	return New(cfg, g, st, matcher.New(g, st, matcher.DefaultWeights(), 2026), nil), g, ks
}

func compactCall(t *testing.T, base, method, key string) (int, CompactStatus, APIError) {
	t.Helper()
	code, b, _ := call(t, method, base+"/api/v1/admin/compact", key, "", nil)
	var st CompactStatus
	var ae APIError
	var err error
	if code < 300 {
		err = json.Unmarshal(b, &st)
	} else {
		err = json.Unmarshal(b, &ae)
	}
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return code, st, ae
}

// TestAdminCompact: staff merge the live index through the API; one merge at a time; searches go on during
// it and find the same afterwards; brokers and anonymous callers may not.
func TestAdminCompact(t *testing.T) {
	srv, g, keys := compactServer(t)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	defer srv.compact.stop()

	for _, tt := range []struct {
		key    string
		status int
	}{{"", http.StatusUnauthorized}, {keys[corpus.RoleBroker], http.StatusForbidden}} {
		if code, _, _ := compactCall(t, ts.URL, http.MethodPost, tt.key); code != tt.status {
			t.Errorf("POST with key %q: %d, want %d", tt.key, code, tt.status)
		}
	}
	code, idle, _ := compactCall(t, ts.URL, http.MethodGet, keys[corpus.RoleStaff])
	// bleve's own merger may have merged some of the 41 segments meanwhile, but its budget for an index of
	// this size is two: there is always something to merge.
	if code != 200 || idle.State != CompactIdle || idle.Segments < 2 {
		t.Fatalf("before: %d %+v", code, idle)
	}
	_, before, _ := get(t, ts.URL+"/api/v1/search?q=m%C3%A1y+s%E1%BA%A5y")

	code, st, _ := compactCall(t, ts.URL, http.MethodPost, keys[corpus.RoleStaff])
	if code != http.StatusAccepted || st.State != CompactRunning || st.SizeBefore <= 0 || st.Started == nil {
		t.Fatalf("start: %d %+v", code, st)
	}
	<-g.entered
	if code, _, ae := compactCall(t, ts.URL, http.MethodPost, keys[corpus.RoleAdmin]); code != http.StatusConflict || ae.Code != "compact_running" {
		t.Errorf("second start while running: %d %+v", code, ae)
	}
	if code, _, _ := get(t, ts.URL+"/api/v1/search?q=m%C3%A1y+s%E1%BA%A5y"); code != 200 {
		t.Errorf("search during the merge: %d", code)
	}
	close(g.release)
	deadline := time.Now().Add(time.Minute)
	for st.State == CompactRunning && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		_, st, _ = compactCall(t, ts.URL, http.MethodGet, keys[corpus.RoleAdmin])
	}
	// What a merge guarantees when no write comes in: one segment, the rewritten records' old versions
	// dropped, and nothing left to happen on disk: no file the merge replaced remains and no merge of bleve's
	// own goes on, so the size reported when it ended is the size now. What the merge started from was at
	// least two complete segments (and maybe files bleve had not yet removed): larger.
	if st.State != CompactDone || st.SizeAfter <= 0 || st.SizeAfter >= st.SizeBefore || st.Finished == nil || st.By == "" || st.Error != "" {
		t.Errorf("after: %+v", st)
	}
	if st.Segments != 1 {
		t.Errorf("%d segments after the merge, %d before", st.Segments, idle.Segments)
	}
	if now, err := g.Index.DiskSize(); err != nil || now != st.SizeAfter {
		t.Errorf("index size %d (%v) now, %d when the merge ended", now, err, st.SizeAfter)
	}
	_, after, _ := get(t, ts.URL+"/api/v1/search?q=m%C3%A1y+s%E1%BA%A5y")
	var b, a apiSearch
	json.Unmarshal(before, &b)
	json.Unmarshal(after, &a)
	if b.Total == 0 || a.Total != b.Total {
		t.Errorf("search total %d before the merge, %d after", b.Total, a.Total)
	}
	// A second merge may start once the first is over.
	if code, _, _ := compactCall(t, ts.URL, http.MethodPost, keys[corpus.RoleAdmin]); code != http.StatusAccepted {
		t.Errorf("restart: %d", code)
	}
}

// TestShutdownCancelsCompaction: stopping the server abandons a running merge before Run returns (the index
// is closed after that), and the status says why.
func TestShutdownCancelsCompaction(t *testing.T) {
	srv, g, keys := compactServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, "127.0.0.1:0", func(u string) { urls <- u }) }()
	u := <-urls
	if code, _, _ := compactCall(t, u[:len(u)-1], http.MethodPost, keys[corpus.RoleStaff]); code != http.StatusAccepted {
		t.Fatalf("start: %d", code)
	}
	<-g.entered
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return with a merge in progress")
	}
	if st := srv.compact.status(); st.State != CompactFailed || st.Error == "" || st.Finished == nil {
		t.Errorf("after shutdown: %+v", st)
	}
	if _, ok := srv.compact.start(g, g, "", srv.log); ok {
		t.Error("a merge started after shutdown")
	}
}

// TestStaffPageCompact: signed-in staff start the merge from their page, which then reports it; the form
// needs its CSRF token.
func TestStaffPageCompact(t *testing.T) {
	e := staffServer(t)
	b := e.browser(t)
	b.signIn(e.staff, "/can-bo")
	if p := b.get("/can-bo"); !strings.Contains(p.body, "Chưa gộp lần nào") || !strings.Contains(p.body, `action="/can-bo/gop-chi-muc"`) ||
		!regexp.MustCompile(`Chỉ mục (hiện có \d+ phần|đang trống)`).MatchString(p.body) {
		t.Fatalf("staff page without the compaction section: %d\n%s", p.code, p.body)
	}
	if p := b.post(staffCompactRoute, url.Values{}); p.code < 400 {
		t.Errorf("POST without a CSRF token: %d", p.code)
	}
	p := b.post(staffCompactRoute, url.Values{"csrf": {b.csrf()}})
	if p.code != http.StatusSeeOther || !strings.HasSuffix(p.h.Get("Location"), "#gop-chi-muc") {
		t.Fatalf("POST: %d %s", p.code, p.h.Get("Location"))
	}
	if p := b.get("/can-bo"); !strings.Contains(p.body, "Đã bắt đầu gộp chỉ mục") {
		t.Errorf("no flash after starting:\n%s", p.body)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		p := b.get("/can-bo")
		if regexp.MustCompile(`Lần gộp gần nhất xong lúc .*: [\d.]+ MB → [\d.]+ MB\.`).MatchString(p.body) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the merge never shows as done:\n%s", p.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	brk := newBrowser(t, e.ts.URL)
	brk.signIn(e.brk, "")
	if p := brk.post(staffCompactRoute, url.Values{"csrf": {"x"}}); p.code < 400 {
		t.Errorf("broker POST: %d", p.code)
	}
}

// TestCompactLineInProvinceTime: the staff page says when the latest merge ran in the province's time, as
// it says every other time, whatever the server's own time zone.
func TestCompactLineInProvinceTime(t *testing.T) {
	local := time.Local
	time.Local = time.UTC // as on most servers
	defer func() { time.Local = local }()
	start := time.Date(2026, 11, 27, 10, 15, 0, 0, time.UTC)
	end := start.Add(90 * time.Second)
	for _, tt := range []struct {
		st   CompactStatus
		want string
	}{
		{CompactStatus{State: CompactDone, Started: &start, Finished: &end, TookMS: 90000}, "17:16:30 27/11/2026"},
		{CompactStatus{State: CompactRunning, Started: &start}, "17:15:00 27/11/2026"},
		{CompactStatus{State: CompactFailed, Started: &start, Error: "lỗi"}, "17:15:00 27/11/2026"},
	} {
		if got := compactLine(tt.st); !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, want the time %s", tt.st.State, got, tt.want)
		}
	}
}
