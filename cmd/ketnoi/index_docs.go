package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/indexer/extract"
	"ketnoi/internal/csvsafe"
)

// indexDocuments runs the pipeline over document files with a progress display and per-file lines.
func indexDocuments(ctx context.Context, e *env, d *data, docs []string, xf extractFlags, retry, restore, quiet bool, rep *reportWriter) (indexer.Summary, error) {
	x := xf.extractor()
	defer x.Close()
	ocrErr := x.OCRStatus()
	if ocrErr != nil && !*xf.noOCR {
		fmt.Fprintf(e.stderr, "CẢNH BÁO OCR không dùng được (%v): trang quét sẽ được ghi \"cần OCR\" và đọc lại khi có tesseract\n", ocrErr)
	}
	bar := newProgressBar(e.stderr)
	p := &indexer.Pipeline{
		Store: d.store, Index: d.idx, Extractor: x, Workers: *xf.workers,
		OCRAvailable: ocrErr == nil, RetryFailed: retry,
		OnFile: func(o indexer.FileOutcome) {
			rep.add(o)
			line := outcomeLine(o)
			switch {
			case o.Outcome == indexer.OutcomeFailed:
				bar.println(e.stderr, "LỖI "+line)
			case o.Outcome == indexer.OutcomeUnchanged && o.Reason != "":
				bar.println(e.stderr, fmt.Sprintf("LỖI %s: [%s] %s (tệp không đổi từ lần trước; --retry-failed để thử lại)", o.Path, o.Reason, o.Message))
			case o.Outcome == indexer.OutcomeUnchanged:
			case !quiet:
				bar.println(e.stdout, line)
			}
			if !quiet {
				for _, w := range o.Warnings {
					bar.println(e.stderr, fmt.Sprintf("CẢNH BÁO %s: %s", o.Path, w))
				}
			}
		},
		OnProgress: bar.update,
	}
	if restore {
		p.Restore = func(string) bool { return true }
	}
	sum, err := p.Run(ctx, docs)
	bar.finish()
	return sum, err
}

func outcomeLine(o indexer.FileOutcome) string {
	switch o.Outcome {
	case indexer.OutcomeFailed:
		return fmt.Sprintf("%s: [%s] %s", o.Path, o.Reason, o.Message)
	case indexer.OutcomeSame:
		return fmt.Sprintf("%s: cùng nội dung với tài liệu %s (thêm đường dẫn)", o.Path, o.DocID)
	}
	verb := map[string]string{indexer.OutcomeAdded: "mới", indexer.OutcomeUpdated: "cập nhật"}[o.Outcome]
	extra := ""
	if o.NeedsOCR {
		extra = ", cần OCR"
	}
	return fmt.Sprintf("%s: %s %s, %d trang (%s)%s, %.1f giây", o.Path, verb, o.DocID, o.Pages, rungsText(o.Rungs), extra, o.Seconds)
}

// rungsText lists pages per extraction rung, in ladder order ("plain 12, pdftotext 2").
func rungsText(m map[string]int) string {
	ladder := []extract.Rung{extract.RungPlain, extract.RungRows, extract.RungPdftotext, extract.RungOCR, extract.RungDirect}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	rank := func(k string) int { return slices.Index(ladder, extract.Rung(k)) + 1 } // unknown rungs first, by name
	sort.Slice(keys, func(i, j int) bool {
		if ri, rj := rank(keys[i]), rank(keys[j]); ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
	}
	return strings.Join(parts, ", ")
}

func printSummary(e *env, s indexer.Summary) {
	w := e.stdout
	fmt.Fprintf(w, "Báo cáo: %d tệp — %d mới, %d cập nhật, %d không đổi, %d trùng nội dung, %d lỗi",
		s.Files, s.Added, s.Updated, s.Unchanged, s.Same, s.FailedCount())
	if s.NeedsOCR > 0 {
		fmt.Fprintf(w, ", %d cần OCR", s.NeedsOCR)
	}
	if s.Deleted > 0 {
		fmt.Fprintf(w, ", %d tệp của tài liệu đã bị xoá (không đưa lại; --restore-deleted để khôi phục)", s.Deleted)
	}
	if s.Pruned > 0 {
		fmt.Fprintf(w, ", %d tài liệu đã xoá vì tệp không còn", s.Pruned)
	}
	fmt.Fprintln(w, ".")
	if n := s.FailedCount(); n > 0 {
		var rs []string
		for r, c := range s.Failed {
			rs = append(rs, fmt.Sprintf("%s (%s) %d", r, r.Label(), c))
		}
		sort.Strings(rs)
		fmt.Fprintf(w, "Lỗi theo lý do: %s.\n", strings.Join(rs, "; "))
	}
	if s.Pages > 0 {
		fmt.Fprintf(w, "Đã đọc %d trang, %.1f MB trong %s: %.1f trang/giây; bậc trích: %s.\n", s.Pages,
			float64(s.Bytes)/(1<<20), s.Duration.Round(time.Millisecond), float64(s.Pages)/s.Duration.Seconds(), rungsText(s.Rungs))
	}
}

// progressBar draws one updating line on a terminal, and a plain line every 10 seconds otherwise.
type progressBar struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	last     time.Time
	drawn    bool
	interval time.Duration
}

func newProgressBar(w io.Writer) *progressBar {
	b := &progressBar{w: w, interval: 10 * time.Second}
	if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		b.tty, b.interval = true, 200*time.Millisecond
	}
	return b
}

func (b *progressBar) update(p indexer.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if time.Since(b.last) < b.interval {
		return
	}
	el := time.Since(p.Started)
	rate := float64(p.Pages) / el.Seconds()
	eta := "?"
	if p.Bytes > 0 && p.Total > p.Bytes {
		eta = (time.Duration(float64(el) * float64(p.Total-p.Bytes) / float64(p.Bytes))).Round(time.Second).String()
	}
	pct := 0.0
	if p.Total > 0 {
		pct = 100 * float64(p.Bytes) / float64(p.Total)
	}
	b.draw(pct, fmt.Sprintf("%d/%d tệp, %d trang, %.1f/%.1f MB (%.0f%%), %.1f trang/giây, còn %s, lỗi %d — %s",
		p.Done, p.Files, p.Pages, float64(p.Bytes)/(1<<20), float64(p.Total)/(1<<20), pct, rate, eta, p.Failed, filepath.Base(p.Current)))
}

// count shows the progress of done out of total items of one kind (unit: "nhu cầu").
func (b *progressBar) count(done, total int, unit string, started time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if time.Since(b.last) < b.interval && done < total {
		return
	}
	el := time.Since(started)
	eta := "?"
	if done > 0 {
		eta = (time.Duration(float64(el) * float64(total-done) / float64(done))).Round(time.Second).String()
	}
	b.draw(100*float64(done)/float64(max(total, 1)), fmt.Sprintf("%d/%d %s, %.1f %s/giây, còn %s",
		done, total, unit, float64(done)/el.Seconds(), unit, eta))
}

// draw shows a line with a bar filled to pct; b.mu is held.
func (b *progressBar) draw(pct float64, line string) {
	b.last = time.Now()
	if b.tty {
		width := 40
		fill := int(pct / 100 * float64(width))
		fmt.Fprintf(b.w, "\r\033[K[%s%s] %s", strings.Repeat("█", fill), strings.Repeat("·", width-fill), line)
		b.drawn = true
		return
	}
	fmt.Fprintln(b.w, "… "+line)
}

// println prints a line above the bar.
func (b *progressBar) println(w io.Writer, s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
		b.drawn = false
		b.last = time.Time{}
	}
	fmt.Fprintln(w, s)
}

func (b *progressBar) finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
	}
}

// reportWriter writes the per-file outcomes of --report, as CSV or JSON by the file's extension.
type reportWriter struct {
	path string
	rows []indexer.FileOutcome
}

func newReportWriter(path string) (*reportWriter, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".json":
	default:
		return nil, usageError{"--report cần tệp .csv hoặc .json"}
	}
	return &reportWriter{path: path}, nil
}

func (r *reportWriter) add(o indexer.FileOutcome) {
	if r != nil {
		r.rows = append(r.rows, o)
	}
}

func (r *reportWriter) close() error {
	if r == nil {
		return nil
	}
	var buf strings.Builder
	if strings.EqualFold(filepath.Ext(r.path), ".json") {
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		rows := r.rows
		if rows == nil {
			rows = []indexer.FileOutcome{}
		}
		if err := enc.Encode(rows); err != nil {
			return err
		}
	} else {
		w := csvsafe.NewWriter(&buf) // file names and messages come from outside: no formulas
		_ = w.Write([]string{"path", "outcome", "doc_id", "reason", "message", "pages", "rungs", "needs_ocr", "bytes", "seconds", "warnings"})
		for _, o := range r.rows {
			_ = w.Write([]string{o.Path, o.Outcome, o.DocID, string(o.Reason), o.Message, fmt.Sprint(o.Pages),
				rungsText(o.Rungs), fmt.Sprint(o.NeedsOCR), fmt.Sprint(o.Bytes), fmt.Sprintf("%.3f", o.Seconds), strings.Join(o.Warnings, " | ")})
		}
		w.Flush()
	}
	if err := corpus.WriteFileAtomic(r.path, []byte(buf.String())); err != nil {
		return fmt.Errorf("ghi báo cáo %s: %w", r.path, err)
	}
	return nil
}
