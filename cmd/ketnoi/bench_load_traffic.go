package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"ketnoi/corpus"
	"ketnoi/corpus/sample"
)

// The kinds of request of bench load, and their share of the traffic.
const (
	kindSearch = "tìm kiếm"
	kindMatch  = "ghép nối"
	kindUpload = "tải lên"
)

var loadKinds = []string{kindSearch, kindMatch, kindUpload}

// loadClient is the load's HTTP client: many connections to the one server, kept alive.
var loadClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256, IdleConnTimeout: time.Minute}}

func newRequest(ctx context.Context, method, u, ctype string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err == nil && ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return req, err
}

// trafficMix makes the requests: the queries of bench search (some with a filter), the sample needs to
// match, small text reports to upload.
type trafficMix struct {
	base, key string
	timeout   time.Duration
	queries   []string
	needs     [][]byte
	uploadSeq atomic.Int64

	mu   sync.Mutex
	jobs []string // ids of accepted uploads
}

func newTrafficMix(base, key string, timeout time.Duration) (*trafficMix, error) {
	queries, err := benchQueries(400) // the same queries as bench search
	if err != nil {
		return nil, err
	}
	m := &trafficMix{base: base, key: key, timeout: timeout, queries: queries}
	recs, err := sample.Records()
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if n, ok := r.(*corpus.Need); ok {
			b, err := json.Marshal(n)
			if err != nil {
				return nil, err
			}
			m.needs = append(m.needs, b)
		}
	}
	if len(m.queries) == 0 || len(m.needs) == 0 {
		return nil, fmt.Errorf("bộ mẫu không đủ để sinh tải")
	}
	return m, nil
}

// request makes one request of kind; ok says whether the answer was the expected one; busy marks an
// upload refused because the queue is full (503 with Retry-After: the server working as designed).
func (m *trafficMix) request(rng *rand.Rand, kind string) (ok, busy bool, status int) {
	ctx, cancel := context.WithTimeout(context.Background(), m.timeout)
	defer cancel()
	var req *http.Request
	var err error
	want := http.StatusOK
	switch kind {
	case kindSearch:
		v := url.Values{"q": {m.queries[rng.IntN(len(m.queries))]}, "size": {"10"}}
		if rng.IntN(4) == 0 {
			v.Set("year_min", fmt.Sprint(2005+rng.IntN(15)))
		}
		req, err = newRequest(ctx, "GET", m.base+"/api/v1/search?"+v.Encode(), "", nil)
	case kindMatch:
		req, err = newRequest(ctx, "POST", m.base+"/api/v1/match?size=10", "application/json",
			bytes.NewReader(m.needs[rng.IntN(len(m.needs))]))
	case kindUpload:
		want = http.StatusAccepted
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		n := m.uploadSeq.Add(1)
		w, _ := mw.CreateFormFile("file", fmt.Sprintf("bao-cao-tai-%d.txt", n))
		fmt.Fprintf(w, "Báo cáo đo tải số %d.\n%s\n", n, strings.Repeat(m.queries[rng.IntN(len(m.queries))]+". ", 40))
		mw.Close()
		req, err = newRequest(ctx, "POST", m.base+"/api/v1/documents", mw.FormDataContentType(), &body)
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+m.key)
		}
	}
	if err != nil {
		return false, false, 0
	}
	resp, err := loadClient.Do(req)
	if err != nil {
		return false, false, 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if kind == kindUpload && resp.StatusCode == http.StatusAccepted {
		var j struct{ ID string }
		if json.Unmarshal(b, &j) == nil && j.ID != "" {
			m.mu.Lock()
			m.jobs = append(m.jobs, j.ID)
			m.mu.Unlock()
		}
	}
	busy = kind == kindUpload && resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != ""
	return resp.StatusCode == want, busy, resp.StatusCode
}

// loadResult is what the load measured.
type loadResult struct {
	elapsed   time.Duration
	latencies map[string][]float64   // milliseconds, of the successful requests
	failed    map[string]map[int]int // kind → status (0: transport error) → count
	busy      int
	rss       []rssSample
	hwm       int64
}

type rssSample struct {
	at  time.Duration
	rss int64
}

func (r *loadResult) errors() int {
	n := 0
	for _, byStatus := range r.failed {
		for _, c := range byStatus {
			n += c
		}
	}
	return n
}

// driveLoad runs o.concurrency clients until the duration or the request budget is spent, sampling the
// server's RSS ten times over the run (progress is told each sample).
func driveLoad(m *trafficMix, o loadOptions, pid int, progress func(time.Duration, int64)) *loadResult {
	res := &loadResult{latencies: map[string][]float64{}, failed: map[string]map[int]int{}}
	for _, k := range loadKinds {
		res.failed[k] = map[int]int{}
	}
	start := time.Now()
	res.rss = append(res.rss, rssSample{0, procStatus(pid, "VmRSS")})
	progress(0, res.rss[0].rss)
	deadline := start.Add(o.duration)
	var issued atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w)+1, uint64(start.UnixNano())))
			lat := map[string][]float64{}
			for time.Now().Before(deadline) && (o.requests == 0 || issued.Add(1) <= o.requests) {
				kind := kindSearch
				switch p := rng.IntN(100); {
				case p >= 95:
					kind = kindUpload
				case p >= 80:
					kind = kindMatch
				}
				t0 := time.Now()
				ok, busy, status := m.request(rng, kind)
				d := time.Since(t0)
				switch {
				case ok:
					lat[kind] = append(lat[kind], float64(d.Microseconds())/1000)
				case busy:
					mu.Lock()
					res.busy++
					mu.Unlock()
				default:
					mu.Lock()
					res.failed[kind][status]++
					mu.Unlock()
				}
			}
			mu.Lock()
			for k, l := range lat {
				res.latencies[k] = append(res.latencies[k], l...)
			}
			mu.Unlock()
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(max(o.duration/10, time.Second))
	defer tick.Stop()
	for {
		select {
		case <-done:
			res.elapsed = time.Since(start)
			s := rssSample{res.elapsed, procStatus(pid, "VmRSS")}
			res.rss = append(res.rss, s)
			res.hwm = procStatus(pid, "VmHWM")
			progress(s.at, s.rss)
			return res
		case <-tick.C:
			s := rssSample{time.Since(start), procStatus(pid, "VmRSS")}
			res.rss = append(res.rss, s)
			progress(s.at, s.rss)
		}
	}
}

// jobTally is what became of the accepted uploads.
type jobTally struct{ accepted, done, failed, pending int }

// waitUploads waits (at most limit) until every accepted upload is processed, and counts the outcomes.
func waitUploads(m *trafficMix, limit time.Duration) jobTally {
	m.mu.Lock()
	ids := slices.Clone(m.jobs)
	m.mu.Unlock()
	t := jobTally{accepted: len(ids)}
	deadline := time.Now().Add(limit)
	for {
		t.done, t.failed, t.pending = 0, 0, 0
		for _, id := range ids {
			ctx, cancel := context.WithTimeout(context.Background(), m.timeout)
			req, _ := newRequest(ctx, "GET", m.base+"/api/v1/jobs/"+url.PathEscape(id), "", nil)
			req.Header.Set("Authorization", "Bearer "+m.key)
			var j struct{ State string }
			if resp, err := loadClient.Do(req); err == nil {
				json.NewDecoder(resp.Body).Decode(&j)
				resp.Body.Close()
			}
			cancel()
			switch j.State {
			case "done":
				t.done++
			case "failed":
				t.failed++
			default:
				t.pending++
			}
		}
		if t.pending == 0 || time.Now().After(deadline) {
			return t
		}
		time.Sleep(time.Second)
	}
}

// pad pads s with spaces to n letters (fmt's widths count bytes, and Vietnamese letters take several).
func pad(s string, n int) string { return s + strings.Repeat(" ", max(0, n-utf8.RuneCountInString(s))) }

func lpad(s string, n int) string {
	return strings.Repeat(" ", max(0, n-utf8.RuneCountInString(s))) + s
}

func ms(v float64) string { return fmt.Sprintf("%.1f ms", v) }

func (r *loadResult) print(w io.Writer, o loadOptions, jobs jobTally, scraped int64) {
	secs := r.elapsed.Seconds()
	fmt.Fprintf(w, "\nbench load: %d kết quả, %d máy khách, %s", o.results, o.concurrency, r.elapsed.Round(time.Second))
	if o.requests > 0 {
		fmt.Fprintf(w, " (tối đa %d yêu cầu)", o.requests)
	}
	fmt.Fprintf(w, "; tải trung bình lúc cuối %s\n", loadAvg())
	fmt.Fprintf(w, "%s %s %9s %10s %10s %s\n", pad("loại", 9), lpad("yêu cầu", 9), "yc/s", "p50", "p99", lpad("lỗi", 6))
	total, errs := 0, 0
	for _, k := range loadKinds {
		l := r.latencies[k]
		n := 0
		for _, c := range r.failed[k] {
			n += c
		}
		total += len(l) + n
		errs += n
		fmt.Fprintf(w, "%s %9d %9.1f %10s %10s %6d\n", pad(k, 9), len(l)+n, float64(len(l)+n)/secs, ms(percentileOf(l, 50)), ms(percentileOf(l, 99)), n)
	}
	fmt.Fprintf(w, "%s %9d %9.1f %10s %10s %6d\n", pad("tổng", 9), total+r.busy, float64(total+r.busy)/secs, "", "", errs)
	if r.busy > 0 {
		fmt.Fprintf(w, "tải lên bị từ chối vì hàng đợi đầy (503 + Retry-After, không tính là lỗi): %d\n", r.busy)
	}
	for _, k := range loadKinds {
		for status, c := range r.failed[k] {
			what := fmt.Sprintf("mã %d", status)
			if status == 0 {
				what = "lỗi kết nối hoặc quá thời gian"
			}
			fmt.Fprintf(w, "  lỗi %s: %s × %d\n", k, what, c)
		}
	}
	fmt.Fprintf(w, "tệp tải lên: %d được nhận, %d xong, %d lỗi, %d chưa xử lý xong\n", jobs.accepted, jobs.done, jobs.failed, jobs.pending)
	if len(r.rss) > 0 {
		first, last := r.rss[0].rss, r.rss[len(r.rss)-1].rss
		warm := first
		if len(r.rss) > 2 {
			warm = r.rss[1].rss // after the first tenth: the index's pages are in
		}
		fmt.Fprintf(w, "RSS máy chủ: đầu %s, sau 1/10 thời gian %s, cuối %s (đỉnh VmHWM %s; /metrics process_resident_memory_bytes cuối %s)\n",
			mb(first), mb(warm), mb(last), mb(r.hwm), mb(scraped))
	}
}
