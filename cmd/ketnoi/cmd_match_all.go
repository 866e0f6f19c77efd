package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"ketnoi/corpus"
	"ketnoi/server"
)

// matchAllOptions are the flags of ketnoi match --all.
type matchAllOptions struct {
	size         int
	minScore     float64
	confidential bool
	csv, html    string
	json         bool
	weights, key string
	workers      int // 0: GOMAXPROCS
}

func (o matchAllOptions) check() error {
	if o.size < 1 || o.size > server.MaxSize {
		return usageError{fmt.Sprintf("--size phải từ 1 đến %d", server.MaxSize)}
	}
	if !(o.minScore >= 0 && o.minScore <= 1) { // NaN too: it would leave out every match
		return usageError{"--min-score phải từ 0 đến 1 (ví dụ 0.5)"}
	}
	// Before the batch, which may run for minutes: its result would be lost on a mistyped folder.
	for _, out := range []struct{ flag, path string }{{"--csv", o.csv}, {"--html", o.html}} {
		if out.path == "" {
			continue
		}
		if fi, err := os.Stat(filepath.Dir(out.path)); err != nil || !fi.IsDir() {
			return usageError{fmt.Sprintf("%s %s: không có thư mục %s để ghi tệp", out.flag, out.path, filepath.Dir(out.path))}
		}
	}
	return nil
}

// runMatchAll is ketnoi match --all: every open need against the results, written as CSV and a printable
// HTML report, through the running server's API when one holds the data directory.
func runMatchAll(e *env, o matchAllOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := matchAll(ctx, e, o)
	if err != nil {
		return err
	}
	return writeMatchAll(e, o, r)
}

// matchAll runs the batch locally, or asks the server holding the data directory for it.
func matchAll(ctx context.Context, e *env, o matchAllOptions) (*server.BatchReport, error) {
	bar := newProgressBar(e.stderr)
	defer bar.finish()
	start := time.Now()
	d, err := openData(ctx, e.data, nil)
	var held *errHeld
	switch {
	case errors.As(err, &held) && held.url != "":
		if o.key == "" {
			return nil, usageError{fmt.Sprintf("máy chủ %s đang giữ thư mục dữ liệu; ghép nối hàng loạt qua API cần khoá môi giới hoặc cán bộ: --key KHOÁ hoặc biến môi trường KETNOI_KEY", held.url)}
		}
		q := url.Values{"format": {"json"}, "size": {strconv.Itoa(o.size)},
			"min_score": {strconv.FormatFloat(o.minScore, 'f', -1, 64)}, "confidential": {strconv.FormatBool(o.confidential)}}
		done := make(chan struct{})
		defer close(done)
		go func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					bar.waiting("máy chủ đang ghép nối hàng loạt", start)
				}
			}
		}()
		body, err := apiCall(ctx, http.MethodGet, held.url+"api/v1/match/batch?"+q.Encode(), o.key, nil, server.BatchTimeout+2*time.Minute)
		if err != nil {
			return nil, err
		}
		var r server.BatchReport
		if err := json.Unmarshal(body, &r); err != nil {
			return nil, fmt.Errorf("đọc trả lời của máy chủ: %w", err)
		}
		return &r, nil
	case err != nil:
		return nil, err
	}
	defer d.close()
	m, err := d.matcher(o.weights)
	if err != nil {
		return nil, err
	}
	return server.RunBatch(ctx, d.store, m, server.BatchOptions{Size: o.size, MinScore: o.minScore, Confidential: o.confidential, Workers: o.workers},
		func(done, total int) { bar.count(done, total, "nhu cầu", start) })
}

// waiting shows that the command waits on something that reports no progress.
func (b *progressBar) waiting(what string, since time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if time.Since(b.last) >= b.interval {
		b.draw(0, fmt.Sprintf("%s, đã chờ %s", what, time.Since(since).Round(time.Second)))
	}
}

func writeMatchAll(e *env, o matchAllOptions, r *server.BatchReport) error {
	for _, out := range []struct {
		path, what string
		write      func(io.Writer, *server.BatchReport) error
	}{{o.csv, "bảng CSV", server.WriteBatchCSV}, {o.html, "báo cáo HTML để in", server.WriteBatchHTML}} {
		if out.path == "" {
			continue
		}
		var buf bytes.Buffer
		if err := out.write(&buf, r); err != nil {
			return err
		}
		if err := corpus.WriteFileAtomic(out.path, buf.Bytes()); err != nil {
			return fmt.Errorf("ghi %s %s: %w", out.what, out.path, err)
		}
		fmt.Fprintf(e.stderr, "Đã ghi %s: %s\n", out.what, out.path)
	}
	failed := 0
	for _, n := range r.Needs {
		if n.Error != "" {
			failed++
			fmt.Fprintf(e.stderr, "LỖI nhu cầu %s: %s\n", n.ID, n.Error)
		}
	}
	if o.json {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if err := writeJSON(e.stdout, b); err != nil {
			return err
		}
	} else {
		printMatchAll(e.stdout, r, o.csv == "" && o.html == "")
	}
	if failed > 0 {
		return fmt.Errorf("%d nhu cầu không ghép nối được (xem các dòng LỖI)", failed)
	}
	return nil
}

// printMatchAll prints the batch's summary and, when no file was asked for, every need's matches.
func printMatchAll(w io.Writer, r *server.BatchReport, each bool) {
	fmt.Fprintf(w, "Đã ghép %d nhu cầu đang mở với các kết quả nghiên cứu trong %s: %d đề xuất (tối đa %d mỗi nhu cầu).\n",
		r.OpenNeeds, (time.Duration(r.TookMS) * time.Millisecond).Round(time.Millisecond), r.MatchCount, r.Size)
	var skipped []string
	if r.SkippedNeeds > 0 {
		skipped = append(skipped, fmt.Sprintf("%d nhu cầu đã đóng hoặc hết hạn", r.SkippedNeeds))
	}
	if r.HiddenNeeds > 0 {
		skipped = append(skipped, fmt.Sprintf("%d nhu cầu chỉ dành cho môi giới (--confidential để đưa vào)", r.HiddenNeeds))
	}
	if len(skipped) > 0 {
		fmt.Fprintf(w, "Bỏ qua %s.\n", strings.Join(skipped, ", "))
	}
	if !each {
		// The files say it on the need's row and page; the summary names the needs too.
		for _, n := range r.Needs {
			if n.Note != nil {
				fmt.Fprintf(w, "Nhu cầu %s: %s\n", n.ID, n.Note.Message)
			}
		}
		return
	}
	for _, n := range r.Needs {
		fmt.Fprintf(w, "\n%s  %s\n", n.ID, n.Title)
		switch {
		case n.Note != nil:
			fmt.Fprintf(w, "    (%s)\n", n.Note.Message)
		case len(n.Matches) == 0:
			fmt.Fprintln(w, "    (chưa có kết quả phù hợp)")
		}
		for i, m := range n.Matches {
			fmt.Fprintf(w, "  %2d. %.3f  %s  [%s]\n", i+1, m.Score, m.Title, m.ID)
			if m.Feedback != nil {
				fmt.Fprintf(w, "      ⇒ %s\n", server.FeedbackText(m.Feedback))
			}
		}
	}
}

// apiCall sends a request to the running server with an API key and returns the body of a 200 or 201
// answer; any other answer becomes an error with the server's Vietnamese message.
func apiCall(ctx context.Context, method, u, key string, body []byte, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return nil, err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("gọi máy chủ: %w", err)
	}
	if resp.StatusCode == http.StatusCreated {
		resp.StatusCode = http.StatusOK
	}
	return readAPI(resp)
}
