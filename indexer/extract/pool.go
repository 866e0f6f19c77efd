package extract

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
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Pool runs extraction in worker processes, so that what recover cannot catch (a runtime out-of-memory
// fatal error, an endless loop in the PDF library) costs the file in hand, not the batch. A worker is a
// re-exec of our own binary (the command is the caller's: see WorkerEnv); it serves files one at a time
// over stdin/stdout JSON lines and lives until the pool closes or the worker dies, when a fresh one
// replaces it. A file that kills a worker or runs past its time limit is answered with ReasonCrashed,
// ReasonTooLarge (out of memory) or ReasonTimeout.
type Pool struct {
	newCmd func() *exec.Cmd
	opt    Options
	idle   chan *worker
	mu     sync.Mutex
	all    map[*worker]bool
}

// WorkerEnv is set in a worker's environment; a binary that sees it runs ServeWorker instead of its main.
const WorkerEnv = "KETNOI_EXTRACT_WORKER"

type workerRequest struct {
	Path string  `json:"path"`
	Opt  Options `json:"options"`
}

// workerResponse carries the document and whether the worker exits after this answer (a goroutine of
// it is stuck on the file: see extractPDF), so the pool does not send it the next file.
type workerResponse struct {
	Doc  *Document `json:"doc"`
	Exit bool      `json:"exit,omitempty"`
}

type worker struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *tailBuffer
	done   chan struct{} // closed when the process has exited
}

// NewPool starts no process yet: workers start on first use, up to size at once.
func NewPool(size int, opt Options, newCmd func() *exec.Cmd) *Pool {
	if size < 1 {
		size = 1
	}
	p := &Pool{newCmd: newCmd, opt: opt.Defaults(), idle: make(chan *worker, size), all: map[*worker]bool{}}
	for range size {
		p.idle <- nil // a slot without a process yet
	}
	return p
}

func (p *Pool) start() (*worker, error) {
	cmd := p.newCmd()
	cmd.Env = append(cmd.Environ(), WorkerEnv+"=1", fmt.Sprintf("KETNOI_WORKER_MEMORY=%d", p.opt.MemoryBytes))
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	w := &worker{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20), stderr: &tailBuffer{max: 16 << 10}, done: make(chan struct{})}
	cmd.Stderr = w.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("không khởi động được tiến trình trích xuất: %w", err)
	}
	go func() { _ = cmd.Wait(); close(w.done) }()
	p.mu.Lock()
	p.all[w] = true
	p.mu.Unlock()
	return w, nil
}

func (p *Pool) kill(w *worker) {
	_ = w.cmd.Process.Kill()
	<-w.done
	p.mu.Lock()
	delete(p.all, w)
	p.mu.Unlock()
}

// Extract extracts one file in a worker: every rung but OCR (see Extractor for the whole ladder).
func (p *Pool) Extract(ctx context.Context, path string) *Document {
	var w *worker
	select {
	case w = <-p.idle:
	case <-ctx.Done():
		return &Document{File: path, Err: Errorf(ReasonTimeout, "đã huỷ trước khi bắt đầu: %v", ctx.Err())}
	}
	doc, w := p.run(ctx, w, path)
	p.idle <- w
	return doc
}

// run sends one file to w (starting a worker when w is nil) and returns the answer and the worker to
// reuse, nil when it had to be killed.
func (p *Pool) run(ctx context.Context, w *worker, path string) (*Document, *worker) {
	fail := func(r Reason, format string, args ...any) *Document {
		return &Document{File: path, Err: Errorf(r, format, args...)}
	}
	if w == nil {
		var err error
		if w, err = p.start(); err != nil {
			return fail(ReasonCrashed, "%v", err), nil
		}
	}
	req, _ := json.Marshal(workerRequest{Path: path, Opt: p.opt})
	if _, err := w.in.Write(append(req, '\n')); err != nil {
		p.kill(w)
		return fail(ReasonCrashed, "không gửi được yêu cầu cho tiến trình trích xuất: %v", err), nil
	}
	type answer struct {
		line []byte
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		line, err := w.out.ReadBytes('\n')
		got <- answer{line, err}
	}()
	// The worker applies FileTimeout itself; this deadline is for when it cannot (a loop inside the
	// library), with a margin so a well-behaved worker answers first.
	timer := time.NewTimer(p.opt.FileTimeout + 10*time.Second)
	defer timer.Stop()
	select {
	case a := <-got:
		if a.err != nil {
			<-w.done
			p.mu.Lock()
			delete(p.all, w)
			p.mu.Unlock()
			return w.deathDocument(path), nil
		}
		var resp workerResponse
		if err := json.Unmarshal(a.line, &resp); err != nil || resp.Doc == nil {
			p.kill(w)
			return fail(ReasonCrashed, "câu trả lời của tiến trình trích xuất không đọc được: %v", err), nil
		}
		if resp.Exit {
			p.kill(w)
			return resp.Doc, nil
		}
		return resp.Doc, w
	case <-timer.C:
		p.kill(w)
		return fail(ReasonTimeout, "quá %s, đã dừng tiến trình trích xuất", p.opt.FileTimeout+10*time.Second), nil
	case <-ctx.Done():
		p.kill(w)
		return fail(ReasonTimeout, "đã huỷ: %v", ctx.Err()), nil
	}
}

// deathDocument explains a worker that died on a file, from its exit and the end of its stderr, without
// passing a Go stack trace on to users.
func (w *worker) deathDocument(path string) *Document {
	tail := w.stderr.String()
	first := ""
	for _, l := range strings.Split(tail, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "fatal error:") || strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "runtime:") {
			first = l
			break
		}
	}
	state := exitText(w.cmd.ProcessState)
	if strings.Contains(tail, "out of memory") || strings.Contains(tail, "cannot allocate memory") {
		return &Document{File: path, Err: Errorf(ReasonTooLarge, "hết bộ nhớ cho phép khi đọc tệp (%s)", state)}
	}
	if first != "" {
		return &Document{File: path, Err: Errorf(ReasonCrashed, "%s (%s)", first, state)}
	}
	return &Document{File: path, Err: Errorf(ReasonCrashed, "%s", state)}
}

// exitText says in Vietnamese how a worker process ended.
func exitText(ps *os.ProcessState) string {
	if ps == nil {
		return "tiến trình trích xuất đã dừng"
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("tiến trình trích xuất bị dừng bởi tín hiệu %d", int(ws.Signal()))
	}
	return fmt.Sprintf("tiến trình trích xuất thoát với mã %d", ps.ExitCode())
}

// Close stops the workers.
func (p *Pool) Close() {
	p.mu.Lock()
	ws := make([]*worker, 0, len(p.all))
	for w := range p.all {
		ws = append(ws, w)
	}
	p.mu.Unlock()
	for _, w := range ws {
		_ = w.in.Close() // the worker exits at EOF
		select {
		case <-w.done:
		case <-time.After(5 * time.Second):
			_ = w.cmd.Process.Kill()
			<-w.done
		}
	}
}

// ServeWorker is the worker's main: it reads requests from stdin and answers each with one JSON line on
// stdout until stdin closes. It limits its own memory first (see limitMemory).
func ServeWorker(stdin io.Reader, stdout io.Writer) error {
	if v := os.Getenv("KETNOI_WORKER_MEMORY"); v != "" {
		var n int64
		if _, err := fmt.Sscan(v, &n); err == nil && n > 0 {
			limitMemory(n)
			debug.SetMemoryLimit(n / 2)
		}
	}
	in := bufio.NewReaderSize(stdin, 64<<10)
	out := bufio.NewWriter(stdout)
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var req workerRequest
			if jerr := json.Unmarshal(line, &req); jerr != nil {
				return fmt.Errorf("yêu cầu không hợp lệ: %w", jerr)
			}
			doc := ExtractLocal(context.Background(), req.Path, req.Opt)
			b, merr := json.Marshal(workerResponse{Doc: doc, Exit: doc.abandoned})
			if merr != nil {
				return merr
			}
			out.Write(append(b, '\n'))
			if ferr := out.Flush(); ferr != nil {
				return ferr
			}
			if doc.abandoned {
				return errAbandoned // a goroutine spins on the last file: let the pool start a fresh worker
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

var errAbandoned = errors.New("tiến trình trích xuất dừng sau một tệp làm treo thư viện PDF")

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
