package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/internal/corpustest"
	"ketnoi/matcher"
)

// newTestServer serves the bundled sample corpus from a real store and a real bleve index.
func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	return sampleServer(t, DefaultConfig())
}

// sampleServer is a real server over the sample corpus and a few extra records (a broker_only need, an
// anonymised need, a result with HTML in its title), with the given configuration.
func sampleServer(t *testing.T, cfg Config) *httptest.Server {
	t.Helper()
	return sampleServerWith(t, cfg)
}

// sampleServerWith is sampleServer with more records.
func sampleServerWith(t *testing.T, cfg Config, more ...corpus.Record) *httptest.Server {
	t.Helper()
	ts, _ := sampleStoreServer(t, cfg, more...)
	return ts
}

// sampleStoreServer is sampleServerWith and its store.
func sampleStoreServer(t *testing.T, cfg Config, more ...corpus.Record) (*httptest.Server, *corpus.Store) {
	t.Helper()
	extra := []corpus.Record{
		&corpus.Need{ID: "nc-mat", Kind: corpus.KindNeed, Title: "Cần công nghệ bí mật xử lý vỏ sò điệp", Enterprise: "Công ty Bí Mật", Confidentiality: corpus.ConfBrokerOnly},
		&corpus.Need{ID: "nc-an", Kind: corpus.KindNeed, Title: "Cần máy ép dầu dừa", Enterprise: "Công ty Ẩn Danh", Contact: "0909", Confidentiality: corpus.ConfAnonymised},
		&corpus.Result{ID: "kq-xss", Kind: corpus.KindResult, Title: `Máy <script>alert(1)</script> sấy "an toàn"`, Summary: "Thử <b>thoát</b> HTML & ký tự"},
	}
	srv, st := storeServer(t, cfg, append(extra, more...))
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts, st
}

// storeServer is a server over the bundled sample corpus and extra records, in a real store and a real
// bleve index in a temporary data directory, with the default matcher.
func storeServer(t *testing.T, cfg Config, extra []corpus.Record) (*Server, *corpus.Store) {
	t.Helper()
	_, st, idx := corpustest.Sample(t, extra...)
	return New(cfg, idx, st, matcher.New(idx, st, matcher.DefaultWeights(), 2026), nil), st
}

func get(t *testing.T, u string) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

type apiSearch struct {
	Total      uint64 `json:"total"`
	NextCursor string `json:"next_cursor"`
	Hits       []struct {
		ID      string  `json:"id"`
		Score   float64 `json:"score"`
		Title   string  `json:"title"`
		Snippet string  `json:"snippet"`
		Kind    string  `json:"kind"`
	} `json:"hits"`
	Facets map[string][]struct {
		Value string `json:"value"`
		Label string `json:"label"`
		Count int    `json:"count"`
	} `json:"facets"`
}

func TestSearchAPI(t *testing.T) {
	ts := newTestServer(t)
	for _, q := range []string{"máy sấy cá cơm", "may say ca com"} {
		code, body, _ := get(t, ts.URL+"/api/v1/search?"+url.Values{"q": {q}, "size": {"5"}}.Encode())
		if code != 200 {
			t.Fatalf("%q: status %d: %s", q, code, body)
		}
		var r apiSearch
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		if r.Total == 0 || len(r.Hits) == 0 || len(r.Hits) > 5 {
			t.Fatalf("%q: total %d, %d hits", q, r.Total, len(r.Hits))
		}
		top := strings.ToLower(r.Hits[0].Title + " " + r.Hits[0].Snippet)
		if !strings.Contains(top, "sấy") {
			t.Errorf("%q: top hit %q is not about drying", q, r.Hits[0].Title)
		}
		if r.Hits[0].ID == "" || r.Hits[0].Score <= 0 {
			t.Errorf("%q: hit without id or score: %+v", q, r.Hits[0])
		}
		if len(r.Facets[indexer.FacetField]) == 0 {
			t.Errorf("%q: no field facet", q)
		}
		for _, h := range r.Hits {
			if h.Kind != indexer.KindResult {
				t.Errorf("%q: a %s in default search", q, h.Kind)
			}
		}
	}
}

// TestDidYouMean: a misspelt word gets a suggestion in the API and on the page, and a word known only from a
// broker_only need is never suggested.
func TestDidYouMean(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct{ q, want string }{
		{"màng chitossan", "màng chitosan"},
		{"may say ca comm", ""}, // "comm" is 4 letters: too short for distance 2, and "com" is at distance 1
		{"sò điệpp", ""},        // only the broker_only need nc-mat says "sò điệp"
		// The misspelt word is replaced where it stands as a word, not inside an earlier word that begins
		// with it; in a phrase too when the phrase was relaxed to its words.
		{"chitosan chitosa", "chitosan chitosan"},
		{`"màng chitosan" chitosa`, `"màng chitosan" chitosan`},
		{`"màng chitossan" chitossan`, `"màng chitosan" chitosan`},
	} {
		code, body, _ := get(t, ts.URL+"/api/v1/search?"+url.Values{"q": {tc.q}}.Encode())
		var r struct {
			Suggestion *struct{ Q string } `json:"suggestion"`
		}
		if code != 200 || json.Unmarshal(body, &r) != nil {
			t.Fatalf("%q: %d %s", tc.q, code, body)
		}
		got := ""
		if r.Suggestion != nil {
			got = r.Suggestion.Q
		}
		if tc.want != "" && got != tc.want || tc.want == "" && strings.Contains(got, "điệp") {
			t.Errorf("%q: suggestion %q, want %q", tc.q, got, tc.want)
		}
	}
	_, page, _ := get(t, ts.URL+"/?q="+url.QueryEscape("màng chitossan"))
	if !strings.Contains(string(page), "Có phải bạn muốn tìm") || !strings.Contains(string(page), "chitosan</a>") {
		t.Errorf("the page does not offer the corrected query")
	}
}

// TestRelaxedPhrase: a quoted phrase no document has is searched as its words, and the API and the page say
// so; a phrase that is found stays required.
func TestRelaxedPhrase(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct {
		q       string
		relaxed bool
	}{{`"cá cơm"`, false}, {`"cơm cá sấy"`, true}} {
		code, body, _ := get(t, ts.URL+"/api/v1/search?"+url.Values{"q": {tc.q}}.Encode())
		var r struct {
			Total   int      `json:"total"`
			Relaxed []string `json:"relaxed_phrases"`
		}
		if code != 200 || json.Unmarshal(body, &r) != nil {
			t.Fatalf("%s: %d %s", tc.q, code, body)
		}
		if r.Total == 0 || (len(r.Relaxed) > 0) != tc.relaxed {
			t.Errorf("%s: total %d, relaxed %q", tc.q, r.Total, r.Relaxed)
		}
		_, page, _ := get(t, ts.URL+"/?q="+url.QueryEscape(tc.q))
		if strings.Contains(string(page), "Không có kết quả chứa đúng cụm từ") != tc.relaxed {
			t.Errorf("%s: the page's notice of a relaxed phrase is wrong", tc.q)
		}
	}
}

// TestSearchAPICursor pages through every result of a query by cursor, past the from-window's reach.
func TestSearchAPICursor(t *testing.T) {
	ts := newTestServer(t)
	seen := map[string]bool{}
	var total uint64
	cursor, pages := "", 0
	for {
		v := url.Values{"q": {"công nghệ"}, "size": {"7"}, "sort": {"-year"}}
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		code, body, _ := get(t, ts.URL+"/api/v1/search?"+v.Encode())
		var r apiSearch
		if code != 200 || json.Unmarshal(body, &r) != nil {
			t.Fatalf("page %d: %d %s", pages, code, body)
		}
		total = r.Total
		for _, h := range r.Hits {
			if seen[h.ID] {
				t.Fatalf("%s seen twice", h.ID)
			}
			seen[h.ID] = true
		}
		pages++
		if cursor = r.NextCursor; cursor == "" || pages > 100 {
			break
		}
	}
	if uint64(len(seen)) != total || pages < 3 {
		t.Errorf("%d distinct hits over %d pages, total %d", len(seen), pages, total)
	}
}

func TestSearchAPIErrorsHaveOneShape(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		path   string
		status int
		code   string
	}{
		{"/api/v1/search?q=a&size=101", 400, "bad_size"},
		{"/api/v1/search?q=a&size=0", 400, "bad_size"},
		{"/api/v1/search?q=a&size=abc", 400, "bad_size"},
		{"/api/v1/search?q=" + strings.Repeat("a", 10000), 400, "query_too_long"},
		{"/api/v1/search?q=a&sort=random", 400, "bad_sort"},
		{"/api/v1/search?q=a&cursor=xyz", 400, "bad_cursor"},
		{"/api/v1/search?q=a&cursor=e30&from=10", 400, "bad_cursor"},
		{"/api/v1/search?q=a&page=1002", 400, "bad_page"},
		{"/api/v1/search?q=a&page=9223372036854775807", 400, "bad_page"},
		{"/api/v1/search?q=a&page=4611686018427387905&size=4", 400, "bad_page"},
		{"/api/v1/search?q=a&page=2&size=0", 400, "bad_size"},
		{"/api/v1/results/khong-co", 404, "not_found"},
		{"/api/v1/needs/nc-mat", 404, "not_found"}, // broker_only: same answer as a missing need
		{"/api/v1/nothing", 404, "not_found"},
	}
	for _, tt := range tests {
		code, body, h := get(t, ts.URL+tt.path)
		var e APIError
		if err := json.Unmarshal(body, &e); err != nil {
			t.Errorf("%s: not JSON: %s", tt.path, body)
			continue
		}
		if code != tt.status || e.Code != tt.code || e.Message == "" || e.RequestID == "" || e.RequestID != h.Get("X-Request-Id") {
			t.Errorf("%s: %d %+v, want %d %s with message and request id", tt.path, code, e, tt.status, tt.code)
		}
	}
}

func TestSearchAcceptsAnythingTyped(t *testing.T) {
	ts := newTestServer(t)
	for _, q := range []string{`"cá cơm`, `tác_giả:`, `năm:abc`, `:::`, `-`, `""`, `\`, `*?`, `(a OR b)`, "a\x00b"} {
		code, body, _ := get(t, ts.URL+"/api/v1/search?"+url.Values{"q": {q}}.Encode())
		if code != 200 {
			t.Errorf("%q: status %d: %s", q, code, body)
		}
	}
}

func TestRecordsAndConfidentiality(t *testing.T) {
	ts := newTestServer(t)
	code, body, _ := get(t, ts.URL+"/api/v1/results/kq-xss")
	if code != 200 || !strings.Contains(string(body), `"id":"kq-xss"`) {
		t.Fatalf("result: %d %s", code, body)
	}
	code, body, _ = get(t, ts.URL+"/api/v1/needs/nc-an")
	if code != 200 || strings.Contains(string(body), "Ẩn Danh") || strings.Contains(string(body), "0909") {
		t.Errorf("anonymised need leaks its enterprise or contact: %d %s", code, body)
	}
	// A need id asked as a result is not found.
	if code, _, _ = get(t, ts.URL+"/api/v1/results/nc-an"); code != 404 {
		t.Errorf("need served as a result: %d", code)
	}
	// broker_only needs never show in search, even asked for, nor in facets; searching the enterprise name of
	// an anonymised need does not find it.
	for _, q := range []string{"sò điệp bí mật", "Bí Mật", "Ẩn Danh"} {
		_, body, _ = get(t, ts.URL+"/api/v1/search?"+url.Values{"q": {q}, "kind": {"need"}}.Encode())
		if strings.Contains(string(body), "nc-mat") || strings.Contains(string(body), "Ẩn Danh") {
			t.Errorf("%q leaks a confidential need: %s", q, body)
		}
	}
}

func TestWebPagesEscapeAndWork(t *testing.T) {
	ts := newTestServer(t)
	code, body, h := get(t, ts.URL+"/?q=m%C3%A1y+s%E1%BA%A5y")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("search page: %d %s", code, h.Get("Content-Type"))
	}
	page := string(body)
	for _, want := range []string{`lang="vi"`, "Tìm thấy", "<mark>", `name="q"`} {
		if !strings.Contains(page, want) {
			t.Errorf("search page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>alert") {
		t.Error("search page contains an unescaped script")
	}
	code, body, _ = get(t, ts.URL+"/ket-qua/kq-xss")
	if code != 200 || strings.Contains(string(body), "<script>alert") || strings.Contains(string(body), "<b>thoát</b>") {
		t.Errorf("result page: %d, unescaped markup in %s", code, body)
	}
	code, body, _ = get(t, ts.URL+"/ket-qua/khong-co")
	if code != 404 || !strings.Contains(string(body), "Không tìm thấy") {
		t.Errorf("missing result page: %d", code)
	}
	code, _, _ = get(t, ts.URL+"/static/style.css")
	if code != 200 {
		t.Errorf("style sheet: %d", code)
	}
}

func TestMatchAPI(t *testing.T) {
	ts := newTestServer(t)
	need := `{"title": "Cần máy sấy cá cơm đỡ tốn điện", "description": "Mùa mưa phơi cá không được, sấy điện thì tốn tiền, cá bị thâm.", "sectors": ["10"], "min_trl": 6, "locality": "hoai-nhon"}`
	resp, err := http.Post(ts.URL+"/api/v1/match?size=5", "application/json", strings.NewReader(need))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Matches []struct {
			ID         string             `json:"id"`
			Score      float64            `json:"score"`
			Components map[string]float64 `json:"components"`
			Reasons    []string           `json:"reasons"`
			Title      string             `json:"title"`
		} `json:"matches"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || len(r.Matches) == 0 || len(r.Matches) > 5 {
		t.Fatalf("status %d, %d matches", resp.StatusCode, len(r.Matches))
	}
	for i, m := range r.Matches {
		if len(m.Components) < 8 || len(m.Reasons) == 0 || m.Score <= 0 || m.Score > 1 {
			t.Errorf("match %d incomplete: %+v", i, m)
		}
		for name, v := range m.Components {
			if v < 0 || v > 1 {
				t.Errorf("component %s = %v outside [0,1]", name, v)
			}
		}
		if i > 0 && m.Score > r.Matches[i-1].Score {
			t.Errorf("matches not sorted by score")
		}
	}
	if !strings.Contains(strings.ToLower(r.Matches[0].Title), "sấy") {
		t.Errorf("top match %q is not a dryer", r.Matches[0].Title)
	}
	// Bad input gets a clear error.
	for body, code := range map[string]string{`{"title": `: "bad_json", `{"kind": "result", "title": "x"}`: "not_a_need", `{"description": 5}`: "invalid_need"} {
		resp, err := http.Post(ts.URL+"/api/v1/match", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var e APIError
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != 400 || e.Code != code {
			t.Errorf("%s: %d %+v, want 400 %s", body, resp.StatusCode, e, code)
		}
	}
	// A 2 MB body is refused before it is read whole.
	resp, err = http.Post(ts.URL+"/api/v1/match", "application/json", strings.NewReader(`{"title":"`+strings.Repeat("x", 2<<20)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MB body: status %d, want 413", resp.StatusCode)
	}
}

func TestHealthz(t *testing.T) {
	ts := newTestServer(t)
	code, body, _ := get(t, ts.URL+"/healthz")
	var h healthResponse
	json.Unmarshal(body, &h)
	if code != 200 || h.Status != "ok" || h.Documents < 300 {
		t.Errorf("healthz: %d %s", code, body)
	}
}

func TestGracefulShutdownDrains(t *testing.T) {
	// Run on a real port; cancel while a request is in flight; the request must complete.
	u, cancel, done := runWrapped(t, DefaultConfig(), func(idx indexer.Index) indexer.Index {
		return &slowIndex{Index: idx, delay: 300 * time.Millisecond}
	})
	got := make(chan int, 1)
	go func() {
		resp, err := http.Get(u + "api/v1/search?q=a")
		if err != nil {
			got <- -1
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	if code := <-got; code != 200 {
		t.Errorf("in-flight request during shutdown: %d, want 200", code)
	}
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestShutdownStopsLateRequests: a request still running when the shutdown grace period is over is told to
// stop (its context ends) and Run returns, without an error, only once the request has let go of the
// index: the caller closes the index and the store as soon as Run returns.
func TestShutdownStopsLateRequests(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ShutdownTimeout = 200 * time.Millisecond
	held := &holdingIndex{entered: make(chan struct{}, 1)}
	u, cancel, done := runWrapped(t, cfg, func(idx indexer.Index) indexer.Index {
		held.Index = idx
		return held
	})
	go func() {
		if resp, err := http.Get(u + "api/v1/search?q=a"); err == nil {
			resp.Body.Close()
		}
	}()
	<-held.entered
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run with a request outlasting the grace period: %v", err)
	}
	if !held.released.Load() {
		t.Error("Run returned while a request still held the index")
	}
}

// runWrapped runs a server on a real port over an empty store and index, the index seen through wrap; stop
// cancels Run, whose error then comes on done.
func runWrapped(t *testing.T, cfg Config, wrap func(indexer.Index) indexer.Index) (u string, stop func(), done <-chan error) {
	t.Helper()
	_, st, idx := corpustest.Empty(t)
	w := wrap(idx)
	srv := New(cfg, w, st, matcher.New(w, st, matcher.DefaultWeights(), 2026), nil)
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- srv.Run(ctx, "127.0.0.1:0", func(u string) { urls <- u }) }()
	return <-urls, cancel, errc
}

// holdingIndex holds a search until its request's context ends, as a long request (a batch match, a
// backup) holds the index.
type holdingIndex struct {
	indexer.Index
	entered  chan struct{}
	released atomic.Bool
}

func (h *holdingIndex) Search(ctx context.Context, r *indexer.SearchRequest) (*indexer.SearchResult, error) {
	select {
	case h.entered <- struct{}{}:
	default:
	}
	<-ctx.Done()
	h.released.Store(true)
	return nil, ctx.Err()
}

// slowIndex delays searches, to hold a request in flight.
type slowIndex struct {
	indexer.Index
	delay time.Duration
}

func (s *slowIndex) Search(ctx context.Context, r *indexer.SearchRequest) (*indexer.SearchResult, error) {
	time.Sleep(s.delay)
	return s.Index.Search(ctx, r)
}

// TestGzipBigAnswersOnly: a search answer is compressed for a client that accepts gzip, a health check
// that fits in a packet is not, and a client that does not ask gets plain text.
func TestGzipBigAnswersOnly(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct {
		path   string
		accept bool
		gzip   bool
	}{
		{"/api/v1/search?q=m%C3%A1y+s%E1%BA%A5y&facets=field,sector,year,organization", true, true},
		{"/api/v1/search?q=m%C3%A1y+s%E1%BA%A5y", false, false},
		{"/healthz", true, false},
	} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+tc.path, nil)
		if tc.accept {
			req.Header.Set("Accept-Encoding", "gzip") // set by hand: the transport then leaves the body as sent
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get("Content-Encoding") == "gzip"; got != tc.gzip || resp.StatusCode != http.StatusOK {
			t.Errorf("%s (accept gzip %v): status %d, gzip %v, want %v", tc.path, tc.accept, resp.StatusCode, got, tc.gzip)
			continue
		}
		if tc.gzip {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			plain, err := io.ReadAll(zr)
			if err != nil || !json.Valid(plain) || len(plain) < 1400 {
				t.Errorf("%s: %d bytes unzipped to %d (%v), not the JSON answer", tc.path, len(body), len(plain), err)
			}
		}
	}
}
