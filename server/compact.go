package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus"
	"ketnoi/indexer"
)

// Online compaction: after a big import through the server (many uploads, `ketnoi index --server`), the
// index is left in many segments and searches are slower until they are merged. bleve merges a live index
// while it serves reads and writes, so staff need not stop the server: POST /api/v1/admin/compact starts
// one merge in the background and GET reports it. Shutdown cancels a running merge before the index
// closes; the index stays whole either way (a merge is swapped in only when complete).

// CompactStatus is the state of the server's latest compaction (GET and POST /api/v1/admin/compact).
type CompactStatus struct {
	State    string     `json:"state"` // idle (none since start), running, done, failed
	Started  *time.Time `json:"started,omitempty"`
	Finished *time.Time `json:"finished,omitempty"`
	// TookMS is the merge's duration so far, or in all once finished.
	TookMS int64 `json:"took_ms"`
	// Index size on disk before and after, in bytes (after: 0 until done).
	SizeBefore int64  `json:"size_before,omitempty"`
	SizeAfter  int64  `json:"size_after,omitempty"`
	Error      string `json:"error,omitempty"` // why it failed, for people
	By         string `json:"by,omitempty"`    // the key that started it
	// Segments is how many parts the index has now (-1 when unknown): each write adds one, merges reduce
	// them.
	Segments int `json:"segments"`
}

// Compaction states.
const (
	CompactIdle    = "idle"
	CompactRunning = "running"
	CompactDone    = "done"
	CompactFailed  = "failed"
)

// compaction is the one background merge a server runs at a time.
type compaction struct {
	mu     sync.Mutex
	st     CompactStatus
	ctx    context.Context // cancelled by stop
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newCompaction() *compaction {
	ctx, cancel := context.WithCancel(context.Background())
	return &compaction{st: CompactStatus{State: CompactIdle}, ctx: ctx, cancel: cancel}
}

func (c *compaction) status() CompactStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.st
	if st.State == CompactRunning && st.Started != nil {
		st.TookMS = time.Since(*st.Started).Milliseconds()
	}
	return st
}

// start begins a merge unless one is running (false).
func (c *compaction) start(idx indexer.Index, cp indexer.Compacter, by string, log *slog.Logger) (CompactStatus, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st.State == CompactRunning || c.ctx.Err() != nil {
		return c.st, false
	}
	now := time.Now().UTC()
	before, _ := idx.DiskSize()
	c.st = CompactStatus{State: CompactRunning, Started: &now, SizeBefore: before, By: by}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		err := cp.Compact(c.ctx)
		end := time.Now().UTC()
		after, _ := idx.DiskSize()
		c.mu.Lock()
		defer c.mu.Unlock()
		c.st.Finished, c.st.TookMS = &end, end.Sub(now).Milliseconds()
		switch {
		case errors.Is(err, context.Canceled):
			c.st.State, c.st.Error = CompactFailed, "Máy chủ dừng khi đang gộp; chỉ mục vẫn nguyên vẹn, hãy gộp lại nếu cần."
		case err != nil:
			c.st.State, c.st.Error = CompactFailed, "Gộp chỉ mục không thành; chỉ mục cũ vẫn dùng được."
		default:
			c.st.State, c.st.SizeAfter = CompactDone, after
		}
		attrs := []any{slog.String("state", c.st.State), slog.Duration("took", end.Sub(now)),
			slog.Int64("size_before", before), slog.Int64("size_after", after), slog.String("key", by)}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		log.Info("compact", attrs...)
	}()
	return c.st, true
}

// stop cancels a running merge and waits for it: called once the server has stopped taking requests, before
// the index closes.
func (c *compaction) stop() {
	c.mu.Lock() // start checks the context and adds to wg under the lock: none can start after this
	c.cancel()
	c.mu.Unlock()
	c.wg.Wait()
}

func (s *Server) apiCompactStart(c echo.Context) error {
	st, err := s.startCompaction(c)
	if err != nil {
		return err
	}
	st.Segments = s.segmentCount()
	return c.JSON(http.StatusAccepted, st)
}

// startCompaction starts the background merge for the API and the staff page alike.
func (s *Server) startCompaction(c echo.Context) (CompactStatus, *APIError) {
	cp, ok := indexer.CompacterOf(s.idx)
	if !ok {
		return CompactStatus{}, apiErr(http.StatusNotImplemented, "compact_unsupported", "Chỉ mục của máy chủ này không gộp được.")
	}
	st, started := s.compact.start(s.idx, cp, principalID(c), s.reqLog(c))
	switch {
	case started:
		return st, nil
	case st.State == CompactRunning:
		return st, apiErr(http.StatusConflict, "compact_running", "Đang gộp chỉ mục; xem trạng thái bằng GET /api/v1/admin/compact.")
	}
	return st, apiErr(http.StatusServiceUnavailable, "shutting_down", "Máy chủ đang dừng.")
}

func (s *Server) apiCompactStatus(c echo.Context) error {
	return c.JSON(http.StatusOK, s.compactStatus())
}

// compactStatus is the latest merge's status with the index's current number of segments.
func (s *Server) compactStatus() CompactStatus {
	st := s.compact.status()
	st.Segments = s.segmentCount()
	return st
}

// segmentCount is the index's number of segments, -1 when unknown.
func (s *Server) segmentCount() int {
	if sc, ok := indexer.SegmentCounterOf(s.idx); ok {
		if n, err := sc.SegmentCount(); err == nil {
			return n
		}
	}
	return -1
}

// staffCompactRoute is the staff page's button for the same merge; it sends the browser back to its section.
const (
	staffCompactRoute   = "/can-bo/gop-chi-muc"
	staffCompactSection = "/can-bo#gop-chi-muc"
)

func (s *Server) webStaffCompact(c echo.Context) error {
	if _, ae := s.startCompaction(c); ae != nil {
		msg := ae.Message
		if ae.Code == "compact_running" { // the API's message points to GET; staff just wait
			msg = "Đang gộp chỉ mục rồi; hãy chờ lần này xong."
		}
		return s.backTo(c, staffCompactSection, flash{Text: msg, Error: true})
	}
	return s.backTo(c, staffCompactSection, flash{Text: "Đã bắt đầu gộp chỉ mục; tìm kiếm và tải lên vẫn chạy bình thường.", Error: false})
}

// compactLine says the latest merge's state to staff, in the province's time like every other time they
// see (the server's own zone is often UTC).
func compactLine(st CompactStatus) string {
	at := func(t *time.Time) string {
		if t == nil {
			return "?"
		}
		return t.In(corpus.Vietnam).Format("15:04:05 02/01/2006")
	}
	took := (time.Duration(st.TookMS) * time.Millisecond).Round(100 * time.Millisecond)
	switch st.State {
	case CompactRunning:
		return fmt.Sprintf("Đang gộp (bắt đầu lúc %s, đã %s; chỉ mục %.1f MB).", at(st.Started), took, float64(st.SizeBefore)/1e6)
	case CompactDone:
		return fmt.Sprintf("Lần gộp gần nhất xong lúc %s, mất %s: %.1f MB → %.1f MB.", at(st.Finished), took,
			float64(st.SizeBefore)/1e6, float64(st.SizeAfter)/1e6)
	case CompactFailed:
		return fmt.Sprintf("Lần gộp lúc %s không xong: %s", at(st.Started), st.Error)
	}
	return "Chưa gộp lần nào từ khi máy chủ khởi động."
}

// segmentsLine says how many parts the index has, and whether merging them is worth it.
func segmentsLine(n int) string {
	switch {
	case n < 0:
		return ""
	case n == 0:
		return "Chỉ mục đang trống: chưa cần gộp."
	case n <= 2:
		return fmt.Sprintf("Chỉ mục hiện có %d phần: chưa cần gộp.", n)
	}
	return fmt.Sprintf("Chỉ mục hiện có %d phần: gộp lại sẽ tìm kiếm nhanh hơn.", n)
}
