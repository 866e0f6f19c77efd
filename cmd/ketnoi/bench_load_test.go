package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestBenchLoad runs `ketnoi bench load` for a few seconds on a small corpus: a real server process gets
// the three kinds of traffic, nothing fails, the report has its figures; a second run reuses the corpus
// and stops at its request budget.
func TestBenchLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	kept := filepath.Join(dir, "kho")
	out, err := exec.Command(bin, "bench", "load", "--results", "400", "--duration", "6s", "--concurrency", "3", "--corpus", kept).CombinedOutput()
	if err != nil {
		t.Fatalf("bench load: %v\n%s", err, out)
	}
	report := string(out)
	row := regexp.MustCompile(`(?m)^(tìm kiếm|ghép nối|tải lên|tổng)\s+(\d+)\s+([\d.]+)\s+(?:([\d.]+) ms\s+([\d.]+) ms\s+)?(\d+)$`)
	rows := map[string][]string{}
	for _, m := range row.FindAllStringSubmatch(report, -1) {
		rows[m[1]] = m
	}
	for _, kind := range []string{"tìm kiếm", "ghép nối", "tải lên"} {
		m := rows[kind]
		if m == nil {
			t.Errorf("no row for %s:\n%s", kind, report)
			continue
		}
		n, _ := strconv.Atoi(m[2])
		p50, _ := strconv.ParseFloat(m[4], 64)
		p99, _ := strconv.ParseFloat(m[5], 64)
		if n == 0 || p50 <= 0 || p99 < p50 || m[6] != "0" {
			t.Errorf("%s: %d requests, p50 %v, p99 %v, errors %s", kind, n, p50, p99, m[6])
		}
	}
	if s, _ := strconv.Atoi(rows["tìm kiếm"][2]); s < 3*atoi(rows["ghép nối"][2]) {
		t.Errorf("searches are not most of the traffic:\n%s", report)
	}
	if !regexp.MustCompile(`RSS máy chủ: đầu \d+ MB, sau 1/10 thời gian \d+ MB, cuối \d+ MB`).MatchString(report) ||
		!regexp.MustCompile(`tệp tải lên: (\d+) được nhận, (\d+) xong, 0 lỗi, 0 chưa xử lý xong`).MatchString(report) {
		t.Errorf("report lacks the memory or upload lines:\n%s", report)
	}

	out, err = exec.Command(bin, "bench", "load", "--results", "400", "--duration", "1m", "--requests", "40", "--concurrency", "4", "--corpus", kept).CombinedOutput()
	if err != nil {
		t.Fatalf("second bench load: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Dùng lại kho đo") || !regexp.MustCompile(`(?m)^tổng\s+40\s`).Match(out) {
		t.Errorf("second run: corpus not reused or request budget not kept:\n%s", out)
	}
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// TestServeJSONLogs: `serve --log-format json` writes one JSON object a line, each request line with the
// request id the client got.
func TestServeJSONLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	logPath := filepath.Join(t.TempDir(), "serve.log")
	srv, err := startLoadServer(bin, data, logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop()
	resp, err := http.Get(srv.url + "/api/v1/search?q=c%C3%A1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get("X-Request-Id")
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	found := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			continue // the human-readable lines of startup go to the same stream
		}
		if rec["msg"] == "request" && rec["request_id"] == id && rec["route"] == "/api/v1/search" {
			found = true
		}
	}
	if !found {
		b, _ := os.ReadFile(logPath)
		t.Errorf("no JSON request line with id %s:\n%s", id, b)
	}
}
