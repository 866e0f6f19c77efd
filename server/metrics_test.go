package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/netip"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"ketnoi/corpus"
)

// scrape reads /metrics with a real HTTP client, as Prometheus does, and parses the text format.
func scrape(t *testing.T, base, key string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, b := send(t, "GET", base+"/metrics", "", key, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v", err)
	}
	return fams
}

// series finds the metric of a family with exactly these label values (others may be present).
func series(fams map[string]*dto.MetricFamily, name string, labels map[string]string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if got[k] != v {
				continue next
			}
		}
		return m
	}
	return nil
}

func TestMetricsScrape(t *testing.T) {
	ts := newTestServer(t)
	for range 3 {
		get(t, ts.URL+"/api/v1/search?q=c%C3%A1")
	}
	get(t, ts.URL+"/api/v1/results/kq-xss")
	get(t, ts.URL+"/api/v1/results/khong-co")
	get(t, ts.URL+"/khong/co/trang/nay-12345")
	fams := scrape(t, ts.URL, "")

	var stats struct {
		Records map[string]int `json:"records"`
	}
	_, b, _ := get(t, ts.URL+"/api/v1/stats")
	if err := json.Unmarshal(b, &stats); err != nil {
		t.Fatal(err)
	}
	const hist = "ketnoi_http_request_duration_seconds"
	tests := []struct {
		name   string
		metric string
		labels map[string]string
		check  func(*dto.Metric) bool
	}{
		{"search latency by route", hist, map[string]string{"route": "/api/v1/search", "method": "GET", "status": "2xx"},
			func(m *dto.Metric) bool {
				return m.GetHistogram().GetSampleCount() == 3 && m.GetHistogram().GetSampleSum() > 0
			}},
		{"route pattern, not the raw path", hist, map[string]string{"route": "/api/v1/results/:id", "status": "2xx"},
			func(m *dto.Metric) bool { return m.GetHistogram().GetSampleCount() == 1 }},
		{"status class", hist, map[string]string{"route": "/api/v1/results/:id", "status": "4xx"},
			func(m *dto.Metric) bool { return m.GetHistogram().GetSampleCount() == 1 }},
		{"unmatched paths share one series", hist, map[string]string{"route": unmatchedRoute, "status": "4xx"},
			func(m *dto.Metric) bool { return m.GetHistogram().GetSampleCount() >= 1 }},
		{"in-flight requests (the scrape itself)", "ketnoi_http_requests_in_flight", nil,
			func(m *dto.Metric) bool { return m.GetGauge().GetValue() >= 1 }},
		{"results by kind", "ketnoi_documents", map[string]string{"kind": "result"},
			func(m *dto.Metric) bool { return int(m.GetGauge().GetValue()) == stats.Records["result"] }},
		{"needs by kind, broker_only included", "ketnoi_documents", map[string]string{"kind": "need"},
			func(m *dto.Metric) bool { return int(m.GetGauge().GetValue()) == stats.Records["need"] }},
		{"index documents", "ketnoi_index_documents", nil,
			func(m *dto.Metric) bool {
				return int(m.GetGauge().GetValue()) == stats.Records["result"]+stats.Records["need"]
			}},
		{"index size", "ketnoi_index_size_bytes", nil, func(m *dto.Metric) bool { return m.GetGauge().GetValue() > 0 }},
		{"extraction failures by reason, zero included", "ketnoi_extraction_failures", map[string]string{"reason": "encrypted"},
			func(m *dto.Metric) bool { return m.GetGauge().GetValue() == 0 }},
		{"Go runtime", "go_goroutines", nil, func(m *dto.Metric) bool { return m.GetGauge().GetValue() > 0 }},
		{"process memory", "process_resident_memory_bytes", nil, func(m *dto.Metric) bool { return m.GetGauge().GetValue() > 1<<20 }},
	}
	for _, tt := range tests {
		m := series(fams, tt.metric, tt.labels)
		if m == nil || !tt.check(m) {
			t.Errorf("%s: %s%v = %v", tt.name, tt.metric, tt.labels, m)
		}
	}
	for _, m := range fams[hist].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "route" && (l.GetValue() == "/api/v1/results/kq-xss" || l.GetValue() == "/khong/co/trang/nay-12345") {
				t.Errorf("a raw path became a label: %s", l.GetValue())
			}
		}
	}
	if s := series(fams, hist, map[string]string{"route": "/api/v1/stats"}); s != nil {
		t.Error("the stats request made after the scrape is already counted")
	}
}

func TestMetricsQueueAndFailures(t *testing.T) {
	e := uploadServer(t, 8, false) // nothing runs the queue: uploads stay in it
	for _, name := range []string{"a.txt", "b.txt"} {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		w, _ := mw.CreateFormFile("file", name)
		w.Write([]byte("Quy trình sấy cá cơm bằng năng lượng mặt trời cho hộ gia đình ven biển."))
		mw.Close()
		if code, b, _ := e.do(t, "POST", uploadRoute, e.staff, mw.FormDataContentType(), &body); code != http.StatusAccepted {
			t.Fatalf("upload: %d %s", code, b)
		}
	}
	// Files that failed, as `ketnoi index` or the job runner records them.
	var failed []corpus.FileChange
	for i, reason := range []string{"malformed", "encrypted", "encrypted"} {
		failed = append(failed, corpus.FileChange{State: corpus.FileState{Path: fmt.Sprintf("tep-%d.pdf", i), Size: 10,
			ModTime: time.Now().UnixNano(), Outcome: corpus.FileFailed, Reason: reason}})
	}
	if _, err := e.store.PutFiles(failed); err != nil {
		t.Fatal(err)
	}
	fams := scrape(t, e.ts.URL, "")
	if m := series(fams, "ketnoi_upload_queue_depth", nil); m.GetGauge().GetValue() != 2 {
		t.Errorf("queue depth %v, want 2", m)
	}
	for reason, want := range map[string]float64{"encrypted": 2, "malformed": 1, "timeout": 0} {
		if m := series(fams, "ketnoi_extraction_failures", map[string]string{"reason": reason}); m.GetGauge().GetValue() != want {
			t.Errorf("failures %s: %v, want %v", reason, m, want)
		}
	}
}

func TestMetricsAccess(t *testing.T) {
	admin := func(e *uploadEnv) string {
		k, _, err := e.keys.Create("Quản trị", corpus.RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	tests := []struct {
		name   string
		access MetricsAccess
		client string // X-Forwarded-For through the trusted local proxy; "" is a loopback client
		key    string // "staff", "admin" or ""
		want   int
	}{
		{"public by default", MetricsAccess{}, "203.0.113.4", "", 200},
		{"loopback only: local client", MetricsAccess{LoopbackOnly: true}, "", "", 200},
		{"loopback only: remote client", MetricsAccess{LoopbackOnly: true}, "203.0.113.4", "", 403},
		{"admin key: none", MetricsAccess{KeyRole: corpus.RoleAdmin}, "", "", 401},
		{"admin key: staff key", MetricsAccess{KeyRole: corpus.RoleAdmin}, "", "staff", 403},
		{"admin key: admin key", MetricsAccess{KeyRole: corpus.RoleAdmin}, "203.0.113.4", "admin", 200},
		{"disabled", MetricsAccess{Disabled: true}, "", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newWriteServer(t, serverOpts{capacity: 4, staffName: "Cán bộ A", config: func(cfg *Config) {
				cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
				cfg.Metrics = tt.access
			}})
			key := map[string]string{"staff": e.staff, "": ""}[tt.key]
			if tt.key == "admin" {
				key = admin(e)
			}
			code, _, _ := callFrom(t, "GET", e.ts.URL+"/metrics", tt.client, key, "")
			if code != tt.want {
				t.Errorf("status %d, want %d", code, tt.want)
			}
		})
	}
}
