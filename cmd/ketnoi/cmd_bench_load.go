package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"ketnoi/corpus"
)

// bench load: a real `ketnoi serve` process on loopback over a corpus of generated results, driven with
// mixed traffic (search 80 %, match 15 %, uploads 5 %) for a bounded time and number of requests. It
// reports throughput, p50/p99 per kind, errors, and the server's resident memory over the run, so that a
// soak shows whether memory stays flat. Loopback clients are not rate limited, so the server's own
// limits do not shape the figures.

// loadMarker records, in a corpus directory kept with --corpus, how many results it was built with.
const loadMarker = "bench-load.json"

type loadOptions struct {
	results     int
	duration    time.Duration
	concurrency int
	requests    int64
	corpusDir   string
	timeout     time.Duration
}

func runBenchLoad(e *env, args []string) error {
	c := find("bench")
	fs := newFlags(e, c)
	var o loadOptions
	fs.IntVar(&o.results, "results", 100000, "số kết quả nghiên cứu của kho đo")
	fs.DurationVar(&o.duration, "duration", 10*time.Minute, "thời gian chạy tải")
	fs.IntVar(&o.concurrency, "concurrency", 8, "số máy khách đồng thời")
	fs.Int64Var(&o.requests, "requests", 0, "số yêu cầu tối đa (0: chỉ giới hạn theo thời gian)")
	fs.StringVar(&o.corpusDir, "corpus", "", "thư mục dữ liệu để xây và giữ kho đo (dùng lại ở lần sau); mặc định: thư mục tạm, xoá khi xong")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "thời gian chờ tối đa của một yêu cầu")
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usageError{"bench load không nhận đối số vị trí"}
	case o.results <= 0 || o.concurrency <= 0 || o.duration <= 0 || o.requests < 0 || o.timeout <= 0:
		return usageError{"--results, --concurrency, --duration và --timeout phải lớn hơn 0; --requests không âm"}
	}
	tmp, err := os.MkdirTemp("", "ketnoi-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	data := o.corpusDir
	if data == "" {
		data = filepath.Join(tmp, "data")
	}
	if err := loadCorpus(e, data, tmp, o.results); err != nil {
		return err
	}
	key, _, err := corpus.OpenKeyring(data).Create("bench load", corpus.RoleStaff)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	srv, err := startLoadServer(self, data, filepath.Join(tmp, "serve.log"))
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Fprintf(e.stdout, "Máy chủ %s (tiến trình %d) sẵn sàng; %d lõi CPU, tải trung bình lúc đầu %s (máy dùng chung: các tiến trình khác cũng chiếm CPU).\n",
		srv.url, srv.pid(), runtime.NumCPU(), loadAvg())
	mix, err := newTrafficMix(srv.url, key, o.timeout)
	if err != nil {
		return err
	}
	res := driveLoad(mix, o, srv.pid(), func(at time.Duration, rss int64) {
		fmt.Fprintf(e.stdout, "  %6s  RSS máy chủ %s\n", at.Round(time.Second), mb(rss))
	})
	jobs := waitUploads(mix, 2*time.Minute)
	scraped := srv.scrapeRSS()
	if err := srv.stop(); err != nil {
		fmt.Fprintf(e.stderr, "Dừng máy chủ: %v; nhật ký: %s\n", err, srv.logTail())
	}
	res.print(e.stdout, o, jobs, scraped)
	if res.errors() > 0 || jobs.failed > 0 {
		fmt.Fprintf(e.stderr, "Có lỗi; nhật ký máy chủ (cuối):\n%s\n", srv.logTail())
		return exitError{1}
	}
	return nil
}

// loadCorpus builds a data directory of n generated results with `ketnoi index`, or reuses one built
// before with the same n.
func loadCorpus(e *env, data, tmp string, n int) error {
	var m struct{ Results int }
	if b, err := os.ReadFile(filepath.Join(data, loadMarker)); err == nil && json.Unmarshal(b, &m) == nil && m.Results == n {
		fmt.Fprintf(e.stdout, "Dùng lại kho đo %s (%d kết quả).\n", data, n)
		return nil
	}
	if _, err := os.Stat(filepath.Join(data, "store.db")); err == nil {
		return fmt.Errorf("thư mục %s đã có dữ liệu không phải kho đo %d kết quả; chọn thư mục khác cho --corpus", data, n)
	}
	start := time.Now()
	path := filepath.Join(tmp, "ketqua.jsonl")
	if err := writeBenchRecords(path, n); err != nil {
		return err
	}
	var out, errOut bytes.Buffer
	err := runIndex(&env{stdout: &out, stderr: &errOut, data: data}, []string{"--quiet", path})
	var ee exitError
	if err != nil && !errors.As(err, &ee) {
		return fmt.Errorf("xây kho đo: %w\n%s", err, errOut.String())
	}
	os.Remove(path)
	b, _ := json.Marshal(map[string]int{"results": n})
	if err := corpus.WriteFileAtomic(filepath.Join(data, loadMarker), b); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Đã xây kho đo %d kết quả trong %s.\n", n, time.Since(start).Round(time.Second))
	return nil
}

// loadServer is the `ketnoi serve` process under load.
type loadServer struct {
	cmd     *exec.Cmd
	url     string
	logPath string
	once    sync.Once
	err     error
}

// startLoadServer starts bin (this program) as `serve` on a free loopback port, logging JSON to logPath,
// with the extra flags given.
func startLoadServer(bin, data, logPath string, flags ...string) (*loadServer, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--log-format", "json"}, flags...)...)
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	logf.Close() // the child has its own descriptor
	s := &loadServer{cmd: cmd, logPath: logPath}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if i := strings.Index(sc.Text(), "http://"); i >= 0 {
				urls <- strings.TrimRight(strings.Fields(sc.Text()[i:])[0], "/")
			}
		}
	}()
	select {
	case s.url = <-urls:
		return s, nil
	case <-time.After(5 * time.Minute):
		s.stop()
		return nil, fmt.Errorf("máy chủ không khởi động trong 5 phút; nhật ký:\n%s", s.logTail())
	}
}

func (s *loadServer) pid() int { return s.cmd.Process.Pid }

// stop ends the server with SIGTERM (it drains and closes the index), SIGKILL after a minute.
func (s *loadServer) stop() error {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- s.cmd.Wait() }()
		select {
		case s.err = <-done:
		case <-time.After(time.Minute):
			_ = s.cmd.Process.Kill()
			s.err = fmt.Errorf("máy chủ không dừng sau SIGTERM một phút: %w", <-done)
		}
	})
	return s.err
}

// logTail is the end of the server's log, for errors.
func (s *loadServer) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// scrapeRSS reads process_resident_memory_bytes from the server's /metrics (0 when unavailable).
func (s *loadServer) scrapeRSS() int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := getBody(ctx, s.url+"/metrics")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "process_resident_memory_bytes "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int64(f)
		}
	}
	return 0
}

// procStatus reads one field of /proc/PID/status in bytes (VmRSS, VmHWM); 0 when unknown.
func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, field+":"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func mb(n int64) string {
	if n <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.0f MB", float64(n)/(1<<20))
}

func getBody(ctx context.Context, url string) ([]byte, error) {
	req, err := newRequest(ctx, "GET", url, "", nil)
	if err != nil {
		return nil, err
	}
	resp, err := loadClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	return io.ReadAll(resp.Body)
}
