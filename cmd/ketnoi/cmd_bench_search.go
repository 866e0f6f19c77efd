package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"ketnoi/corpus"
	"ketnoi/corpus/sample"
	"ketnoi/corpus/vntext"
	"ketnoi/indexer/bleveidx"
	"ketnoi/indexer/searcheval"
	"ketnoi/server"
)

// bench search: the search targets of a 100,000-result corpus, measured end to end through the real HTTP
// server on loopback (query parsing, facets, highlights, JSON): server-side latency of typical 2–4-word
// queries one at a time, then throughput under concurrent clients, and the same queries through SQLite FTS5.

const benchSearchHelp = `
bench search đo tìm kiếm trên N bản ghi sinh ra (mặc định 100.000, như bench index; chỉ mục được gộp bằng
ketnoi compact như sau mọi lần nạp lớn) hoặc trên thư mục dữ liệu có sẵn (--data, dùng nguyên trạng). Câu hỏi: Q câu 2–4 từ lấy từ từ khoá và tiêu đề của bộ mẫu, một nửa gõ không dấu.
Máy chủ thật chạy trên 127.0.0.1; mỗi câu gửi GET /api/v1/search (có lọc/đếm theo mọi nhóm và tô sáng).
In độ trễ phía máy chủ (took_ms) p50/p95/p99 khi gửi lần lượt (không dùng bộ nhớ đệm kết quả), rồi số yêu
cầu/giây và độ trễ phía khách với --concurrency khách đồng thời trong --duration, có bộ nhớ đệm như máy chủ
thật (câu hỏi lặp lại thì trả từ bộ nhớ đệm; in tỉ lệ) hoặc không (--no-cache). --compare sqlite chạy cùng câu hỏi qua SQLite FTS5
(cần tệp bản ghi: sinh ra, hoặc --from khi dùng --data) và in tỉ lệ.`

func runBenchSearch(e *env, c *command, args []string) error {
	fs := newFlags(e, c)
	n := fs.Int("records", 100000, "số bản ghi sinh ra (bỏ qua khi có --data)")
	from := fs.String("from", "", "tệp bản ghi JSONL dùng thay dữ liệu sinh ra")
	nq := fs.Int("queries", 400, "số câu hỏi")
	conc := fs.Int("concurrency", 32, "số khách đồng thời ở phần đo tải")
	dur := fs.Duration("duration", 20*time.Second, "thời gian đo tải")
	compare := fs.String("compare", "", "so sánh với: sqlite")
	noCache := fs.Bool("no-cache", false, "tắt bộ nhớ đệm kết quả của chỉ mục: đo chính việc tìm kiếm")
	cpuprofile := fs.String("cpuprofile", "", "ghi hồ sơ CPU của phần đo tải (máy chủ và khách cùng tiến trình) ra TỆP (go tool pprof)")
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	useData := false
	fs.Visit(func(f *flag.Flag) { useData = useData || f.Name == "data" })
	switch {
	case len(pos) > 0:
		return usageError{"bench search không nhận đối số vị trí"}
	case *compare != "" && *compare != "sqlite":
		return usageError{"--compare chỉ nhận sqlite"}
	case *nq < 1 || *conc < 1 || *dur <= 0:
		return usageError{"--queries, --concurrency và --duration phải lớn hơn 0"}
	case useData && *compare == "sqlite" && *from == "":
		return usageError{"--compare sqlite với --data cần --from TỆP.jsonl (bản ghi đã nạp vào thư mục đó)"}
	}
	tmp, err := os.MkdirTemp("", "ketnoi-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	path := *from
	if path == "" && (!useData || *compare == "sqlite") {
		path = filepath.Join(tmp, "ketqua.jsonl")
		if err := writeBenchRecords(path, *n); err != nil {
			return err
		}
	}
	dataDir := e.data
	if !useData {
		dataDir = filepath.Join(tmp, "data")
		start := time.Now()
		var out, errOut bytes.Buffer
		err := runIndex(&env{stdout: &out, stderr: &errOut, data: dataDir}, []string{"--quiet", path})
		var ee exitError
		if err != nil && !errors.As(err, &ee) {
			io.Copy(e.stderr, &errOut)
			return fmt.Errorf("ketnoi index thất bại: %w", err)
		}
		fmt.Fprintf(e.stdout, "Lập chỉ mục %s trong %s\n", filepath.Base(path), time.Since(start).Round(time.Second))
		// As after any bulk load: see ketnoi compact.
		start = time.Now()
		out.Reset()
		if err := runCompact(&env{stdout: &out, stderr: &errOut, data: dataDir}, nil); err != nil {
			io.Copy(e.stderr, &errOut)
			return fmt.Errorf("ketnoi compact thất bại: %w", err)
		}
		fmt.Fprintf(e.stdout, "Gộp chỉ mục (ketnoi compact) trong %s\n", time.Since(start).Round(time.Second))
	}

	ctx := context.Background()
	d, err := openData(ctx, dataDir, nil)
	if err != nil {
		return err
	}
	defer d.close()
	warm(d.idx) // as ketnoi serve does
	type cached interface {
		SetCacheSize(int)
		CacheStats() (uint64, uint64)
	}
	cache, _ := d.idx.(cached)
	if cache != nil { // the one-at-a-time pass measures searches, not the cache
		cache.SetCacheSize(0)
	}
	count, _ := d.idx.Count()
	m, err := d.matcher("")
	if err != nil {
		return err
	}
	// Request logs would measure the terminal; warnings and errors still show.
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := &http.Server{Handler: server.New(server.DefaultConfig(), d.idx, d.store, m, log).Handler()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String() + "/api/v1/search?"

	queries, err := benchQueries(*nq)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Chỉ mục: %d tài liệu. %d câu hỏi 2–4 từ (một nửa không dấu), có lọc theo mọi nhóm và tô sáng.\n", count, len(queries))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc}, Timeout: 30 * time.Second}
	ask := func(q string) (float64, error) {
		resp, err := client.Get(base + url.Values{"q": {q}}.Encode())
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var r struct {
			TookMS float64 `json:"took_ms"`
		}
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("trả lời %d", resp.StatusCode)
		}
		err = json.NewDecoder(resp.Body).Decode(&r)
		return r.TookMS, err
	}
	// One pass to warm the caches, one measured.
	for _, q := range queries {
		ask(q)
	}
	var took []float64
	for _, q := range queries {
		t, err := ask(q)
		if err != nil {
			return fmt.Errorf("câu %q: %w", q, err)
		}
		took = append(took, t)
	}
	fmt.Fprintf(e.stdout, "Lần lượt, phía máy chủ (không bộ nhớ đệm kết quả): p50 %.1f ms, p95 %.1f ms, p99 %.1f ms\n",
		percentileOf(took, 50), percentileOf(took, 95), percentileOf(took, 99))
	if cache != nil && !*noCache {
		cache.SetCacheSize(bleveidx.DefaultCacheEntries)
	}

	// Load: conc clients, each asking the queries in its own order until the time is up.
	var mu sync.Mutex
	var lat []float64
	errs := 0
	deadline := time.Now().Add(*dur)
	var wg sync.WaitGroup
	stopProfile, err := startCPUProfile(*cpuprofile)
	if err != nil {
		return err
	}
	start := time.Now()
	for i := range *conc {
		wg.Add(1)
		go func(seed int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(seed)))
			var mine []float64
			bad := 0
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if _, err := ask(queries[rng.Intn(len(queries))]); err != nil {
					bad++
					continue
				}
				mine = append(mine, float64(time.Since(t0).Microseconds())/1000)
			}
			mu.Lock()
			lat, errs = append(lat, mine...), errs+bad
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	stopProfile()
	fmt.Fprintf(e.stdout, "%d khách đồng thời trong %s: %d yêu cầu, %.0f yêu cầu/giây, lỗi %d; phía khách p50 %.1f ms, p99 %.1f ms\n",
		*conc, dur.String(), len(lat), float64(len(lat))/secs, errs, percentileOf(lat, 50), percentileOf(lat, 99))
	if cache != nil {
		if hits, misses := cache.CacheStats(); hits+misses > 0 && !*noCache {
			fmt.Fprintf(e.stdout, "Bộ nhớ đệm kết quả: %d/%d câu trả lời lấy từ bộ nhớ đệm (%.0f%%); --no-cache để đo riêng việc tìm kiếm\n",
				hits, hits+misses, 100*float64(hits)/float64(hits+misses))
		}
	}

	if *compare == "sqlite" {
		sq, err := searcheval.OpenSQLite(filepath.Join(tmp, "fts5.db"))
		if err != nil {
			return err
		}
		defer sq.Close()
		if _, _, err := sq.LoadFile(path); err != nil {
			return err
		}
		for _, q := range queries { // warm
			sq.Search(ctx, q, 10)
		}
		var sqt []float64
		for _, q := range queries {
			t0 := time.Now()
			if _, err := sq.Search(ctx, q, 10); err != nil {
				return err
			}
			sqt = append(sqt, float64(time.Since(t0).Microseconds())/1000)
		}
		fmt.Fprintf(e.stdout, "SQLite FTS5 (mỗi câu là OR các từ, bm25, 10 kết quả, không lọc nhóm, không tô sáng): p50 %.1f ms, p95 %.1f ms, p99 %.1f ms\n",
			percentileOf(sqt, 50), percentileOf(sqt, 95), percentileOf(sqt, 99))
		fmt.Fprintf(e.stdout, "Tỉ lệ p50 ketnoi/FTS5: ×%.2f\n", percentileOf(took, 50)/max(percentileOf(sqt, 50), 0.001))
	}
	return nil
}

// percentileOf is the p-th percentile of xs (nearest rank); 0 for none.
func percentileOf(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// benchQueries makes n typical enterprise queries: sample keywords of 2–4 words and 2–4-word runs of sample
// titles, every other one without diacritics, in a fixed order.
func benchQueries(n int) ([]string, error) {
	recs, err := sample.Records()
	if err != nil {
		return nil, err
	}
	var pool []string
	for _, rec := range recs {
		r, ok := rec.(*corpus.Result)
		if !ok {
			continue
		}
		for _, k := range r.Keywords {
			if w := len(strings.Fields(k)); w >= 2 && w <= 4 {
				pool = append(pool, k)
			}
		}
		words := strings.Fields(strings.NewReplacer(",", " ", ":", " ", "(", " ", ")", " ").Replace(r.Title))
		for i := 0; i+3 <= len(words); i += 3 {
			pool = append(pool, strings.Join(words[i:i+2+i%3%2], " "))
		}
	}
	if len(pool) == 0 {
		return nil, errors.New("bộ mẫu không có từ khoá để tạo câu hỏi")
	}
	rng := rand.New(rand.NewSource(7))
	out := make([]string, n)
	for i := range out {
		q := pool[rng.Intn(len(pool))]
		if i%2 == 1 {
			q = vntext.Fold(q)
		}
		out[i] = q
	}
	return out, nil
}
