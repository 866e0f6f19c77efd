package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// send sends one request as client (through the trusted proxy 127.0.0.1 when client is set), with key
// when not empty, and returns the response and its body.
func send(t *testing.T, method, u, client, key, body string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, u, rd)
	if client != "" {
		req.Header.Set("X-Forwarded-For", client)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// callFrom is send for the status, the decoded error when there is one, and the headers.
func callFrom(t *testing.T, method, u, client, key, body string) (int, APIError, http.Header) {
	t.Helper()
	resp, b := send(t, method, u, client, key, body)
	var e APIError
	if resp.StatusCode >= 400 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		json.Unmarshal(b, &e)
	}
	return resp.StatusCode, e, resp.Header
}

func localProxy(cfg *Config) {
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
}

func TestReadRateLimitPerClient(t *testing.T) {
	cfg := DefaultConfig()
	localProxy(&cfg)
	cfg.Rates.Read = Rate{PerSecond: 0.01, Burst: 3} // a token every 100 s: nothing refills during the test
	ts := sampleServer(t, cfg)
	search := ts.URL + "/api/v1/search?q=s%E1%BA%A5y"
	const need = `{"title": "Cần máy sấy cá"}`

	// Client A spends its burst on a mix of reads: search, a record, a match (a POST that only reads).
	steps := []struct {
		method, url, body string
	}{
		{"GET", search, ""},
		{"GET", ts.URL + "/api/v1/results/kq-xss", ""},
		{"POST", ts.URL + "/api/v1/match", need},
	}
	for _, s := range steps {
		if code, e, _ := callFrom(t, s.method, s.url, "198.51.100.1", "", s.body); code != http.StatusOK {
			t.Fatalf("%s %s within the burst: %d %+v", s.method, s.url, code, e)
		}
	}
	for _, s := range steps {
		code, e, h := callFrom(t, s.method, s.url, "198.51.100.1", "", s.body)
		retry, err := strconv.Atoi(h.Get("Retry-After"))
		if code != http.StatusTooManyRequests || e.Code != "rate_limited" || e.RequestID == "" || !strings.Contains(e.Message, "thử lại sau") ||
			err != nil || retry < 1 || retry > 100 {
			t.Errorf("%s %s over the budget: %d %+v Retry-After %q", s.method, s.url, code, e, h.Get("Retry-After"))
		}
	}
	// The web page is counted too, and answers in HTML.
	resp, err := func() (*http.Response, error) {
		req, _ := http.NewRequest("GET", ts.URL+"/?q=c%C3%A1", nil)
		req.Header.Set("X-Forwarded-For", "198.51.100.1")
		return http.DefaultClient.Do(req)
	}()
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("web page over the budget: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	tests := []struct {
		name, client, path string
		want               int
	}{
		{"another client has its own budget", "198.51.100.2", "/api/v1/search?q=a", 200},
		{"same /64 is one IPv6 client (1)", "2001:db8:1:2::1", "/api/v1/search?q=a", 200},
		{"probes are never limited", "198.51.100.1", "/healthz", 200},
		{"readiness is never limited", "198.51.100.1", "/readyz", 200},
		{"metrics are never limited", "198.51.100.1", "/metrics", 200},
		{"static files are never limited", "198.51.100.1", "/static/style.css", 200},
		{"the client's own budget is still spent", "198.51.100.1", "/api/v1/stats", 429},
		{"OAI-PMH is a read", "198.51.100.1", "/oai?verb=Identify", 429},
	}
	for _, tt := range tests {
		if code, e, _ := callFrom(t, "GET", ts.URL+tt.path, tt.client, "", ""); code != tt.want {
			t.Errorf("%s: %d %+v, want %d", tt.name, code, e, tt.want)
		}
	}
	// A POST that only reads (OAI-PMH's form) spends the read budget too.
	if code, _, _ := callFrom(t, "POST", ts.URL+"/oai", "198.51.100.1", "", "verb=Identify"); code != http.StatusTooManyRequests {
		t.Errorf("POST /oai over the read budget: %d, want 429", code)
	}
	// Two more addresses of the same /64 share its budget: 3 requests in all, then 429.
	for i, want := range []int{200, 200, 429} {
		if code, _, _ := callFrom(t, "GET", search, "2001:db8:1:2::"+strconv.Itoa(i+2), "", ""); code != want {
			t.Errorf("IPv6 /64 request %d: %d, want %d", i+2, code, want)
		}
	}
}

func TestLoopbackAndForgedHeaders(t *testing.T) {
	tests := []struct {
		name      string
		trusted   bool // 127.0.0.1 is a trusted proxy
		limitLoop bool
		forwarded []string // X-Forwarded-For of successive requests ("" for none)
		want      []int
	}{
		{name: "loopback clients are exempt by default", forwarded: []string{"", "", "", "", ""}, want: []int{200, 200, 200, 200, 200}},
		{name: "exemption can be turned off", limitLoop: true, forwarded: []string{"", "", ""}, want: []int{200, 200, 429}},
		{name: "forged X-Forwarded-For from an untrusted peer changes nothing", limitLoop: true,
			forwarded: []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"}, want: []int{200, 200, 429}},
		{name: "a trusted proxy's clients are limited even when the proxy is local", trusted: true,
			forwarded: []string{"203.0.113.1", "203.0.113.1", "203.0.113.1", "203.0.113.9"}, want: []int{200, 200, 429, 200}},
		{name: "a client cannot claim loopback through a trusted proxy's left-most hop", trusted: true,
			forwarded: []string{"127.0.0.1, 203.0.113.5", "127.0.0.1, 203.0.113.5", "127.0.0.1, 203.0.113.5"}, want: []int{200, 200, 429}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if tt.trusted {
				localProxy(&cfg)
			}
			cfg.Rates.LimitLoopback = tt.limitLoop
			cfg.Rates.Read = Rate{PerSecond: 0.01, Burst: 2}
			ts := sampleServer(t, cfg)
			for i, f := range tt.forwarded {
				if code, _, _ := callFrom(t, "GET", ts.URL+"/api/v1/search?q=a", f, "", ""); code != tt.want[i] {
					t.Errorf("request %d (X-Forwarded-For %q): %d, want %d", i+1, f, code, tt.want[i])
				}
			}
		})
	}
}

func TestWriteRateLimitAfterTheKey(t *testing.T) {
	e := newWriteServer(t, serverOpts{capacity: 8, staffName: "Cán bộ A", config: func(cfg *Config) {
		localProxy(cfg)
		cfg.Rates.Write = Rate{PerSecond: 0.01, Burst: 2}
		cfg.Rates.Read = Rate{PerSecond: 0.01, Burst: 5}
	}})
	patch := e.ts.URL + "/api/v1/results/khong-co"
	const body = `{"title": "Tên mới"}`
	const client = "198.51.100.7"
	// The budget is spent only by allowed callers: requests without a key are 401, first and always.
	for range 4 {
		if code, e, _ := callFrom(t, "PATCH", patch, client, "", body); code != http.StatusUnauthorized {
			t.Fatalf("PATCH without a key: %d %+v, want 401", code, e)
		}
	}
	// The staff key's two writes go through (to a 404: the record does not exist), the third is refused.
	for i, want := range []int{404, 404, 429} {
		code, apiE, h := callFrom(t, "PATCH", patch, client, e.staff, body)
		if code != want {
			t.Errorf("staff write %d: %d %+v, want %d", i+1, code, apiE, want)
		}
		if want == 429 && (apiE.Code != "rate_limited" || h.Get("Retry-After") == "") {
			t.Errorf("write over the budget: %+v, Retry-After %q", apiE, h.Get("Retry-After"))
		}
	}
	// Still 401 without a key, never 429.
	if code, _, _ := callFrom(t, "DELETE", patch, client, "", ""); code != http.StatusUnauthorized {
		t.Errorf("DELETE without a key after the budget is spent: %d, want 401", code)
	}
	// Reads have their own budget: the same client still reads.
	if code, _, _ := callFrom(t, "GET", e.ts.URL+"/api/v1/jobs", client, e.staff, ""); code != http.StatusOK {
		t.Errorf("read after the write budget is spent: %d", code)
	}
	// Another client writes.
	if code, _, _ := callFrom(t, "PATCH", patch, "198.51.100.8", e.staff, body); code != http.StatusNotFound {
		t.Errorf("another client's write: %d", code)
	}
}
