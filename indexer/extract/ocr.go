package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"ketnoi/corpus/vntext"
)

// OCR of scanned pages with Tesseract, fed by poppler's pdfimages (to copy JPEG scans out as they are) and
// pdftoppm (to render every other page). Throughput is decided by three things, measured on 2 cores:
//   - tesseract runs single-threaded (OMP_THREAD_LIMIT=1), one process per core: with its default OpenMP
//     threading, whose threads busy-wait, one process alone was 6–7× slower in wall time, not faster,
//     and two at once 3×;
//   - no wasted work on images: a JPEG scan is copied out, not decoded and rendered again, and rendering
//     is one pdftoppm per run of consecutive pages streaming PGM (what tesseract reads fastest: no
//     decompression) rather than one process, and one PDF parse, per page;
//   - only the pages asked for are touched.

// OCROptions configures OCRPages. The zero value means the defaults.
type OCROptions struct {
	// Lang is tesseract's language list; default "vie+eng" (reports mix English terms into Vietnamese).
	Lang string
	// DPI is the resolution pages are rendered at; default 300, what tesseract is trained for.
	DPI int
	// Workers is how many tesseract processes run at once, each single-threaded; default runtime.NumCPU().
	Workers int
	// MinConfidence is the word confidence (0–100) below which a word counts as low confidence; default 60.
	MinConfidence float64
	// Tesseract, Pdftoppm and Pdfimages are the programs to run; default found in PATH by name.
	Tesseract, Pdftoppm, Pdfimages string
	// Slots, when set, is a semaphore shared by concurrent OCRPages calls (several files at once): each
	// tesseract process holds a slot while it runs, so its capacity bounds the processes across calls while
	// Workers bounds this call. Give it the number of cores and call OCRPages once per file with all its
	// pages, so that rendering stays one process per run of pages.
	Slots chan struct{} `json:"-"`

	// ompDefault leaves tesseract's OpenMP threading alone instead of forcing one thread: only for the
	// benchmark that shows why the default is wrong.
	ompDefault bool
}

func (o OCROptions) withDefaults() OCROptions {
	if o.Lang == "" {
		o.Lang = "vie+eng"
	}
	if o.DPI <= 0 {
		o.DPI = 300
	}
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.MinConfidence == 0 {
		o.MinConfidence = 60
	}
	if o.Tesseract == "" {
		o.Tesseract = "tesseract"
	}
	if o.Pdftoppm == "" {
		o.Pdftoppm = "pdftoppm"
	}
	if o.Pdfimages == "" {
		o.Pdfimages = "pdfimages"
	}
	return o
}

// ErrOCRUnavailable is wrapped by OCRAvailable's errors: the file should be indexed with the text it has and
// flagged WarnNeedsOCR, so that a later run with tesseract installed picks it up.
var ErrOCRUnavailable = errors.New("không dùng được OCR")

// OCRAvailable returns nil when tesseract, its data for every language in opts.Lang, pdftoppm and pdfimages
// are usable, or an error wrapping ErrOCRUnavailable that says in Vietnamese what is missing and which
// Debian package provides it. It starts one short tesseract process (--list-langs), so call it once per
// run or batch, not once per page.
func OCRAvailable(opts OCROptions) error {
	opts = opts.withDefaults()
	var missing []string
	if _, err := exec.LookPath(opts.Tesseract); err != nil {
		missing = append(missing, fmt.Sprintf("chưa cài tesseract (gói tesseract-ocr, %s)", langPackages(opts.Lang)))
	} else if have, err := tesseractLangs(opts.Tesseract); err != nil {
		missing = append(missing, fmt.Sprintf("không chạy được tesseract: %v", err))
	} else {
		for _, l := range strings.Split(opts.Lang, "+") {
			if l != "" && !have[l] {
				missing = append(missing, fmt.Sprintf("tesseract thiếu dữ liệu ngôn ngữ %s (gói %s)", l, langPackages(l)))
			}
		}
	}
	for _, p := range []string{opts.Pdftoppm, opts.Pdfimages} {
		if _, err := exec.LookPath(p); err != nil {
			missing = append(missing, fmt.Sprintf("chưa cài %s (gói poppler-utils)", filepath.Base(p)))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s", ErrOCRUnavailable, strings.Join(missing, "; "))
	}
	return nil
}

// langPackages names Debian's tessdata packages for a "vie+eng" language list.
func langPackages(lang string) string {
	var pkgs []string
	for _, l := range strings.Split(lang, "+") {
		if l != "" {
			pkgs = append(pkgs, "tesseract-ocr-"+strings.ReplaceAll(strings.ToLower(l), "_", "-"))
		}
	}
	return strings.Join(pkgs, ", ")
}

// tesseractLangs lists the languages tesseract has data for.
func tesseractLangs(bin string) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// tesseract 4 prints the list on stderr, 5 on stdout.
	out, err := exec.CommandContext(ctx, bin, "--list-langs").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, ocrTail(out))
	}
	have := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.ContainsAny(line, " :") {
			have[line] = true
		}
	}
	return have, nil
}

// OCRPage is the OCR result of one page.
type OCRPage struct {
	N    int    // 1-based page number
	Text string // NFC; words joined by spaces, lines by \n, paragraphs and blocks by a blank line
	// Confidence is the mean word confidence (0–100); 0 when no word was found.
	Confidence float64
	// LowConfidenceWords counts words below OCROptions.MinConfidence.
	LowConfidenceWords int
	Words              int
}

// OCRError is the failure of one page: the other pages were still OCRed.
type OCRError struct {
	Page int
	Err  error
}

func (e *OCRError) Error() string {
	return fmt.Sprintf("trang %d: không OCR được: %v", e.Page, e.Err)
}
func (e *OCRError) Unwrap() error { return e.Err }

// ocrImage is a page image waiting for tesseract.
type ocrImage struct {
	page int
	path string // a file in the temp dir, removed once OCRed
	dpi  int    // resolution to tell tesseract; 0 lets it read the file's or estimate
	err  error  // the image could not be made
}

// ocrRun is consecutive pages made by one pdftoppm or pdfimages process.
type ocrRun struct {
	pages []int // consecutive
	jpeg  bool
}

// OCRPages OCRs the given pages of a PDF and returns their text by page number. A page whose imgs entry
// says it is a single full-page JPEG (at no more than 1.25×opts.DPI) is copied out as is; every other page
// is rendered at opts.DPI in gray. opts.Workers tesseract processes run at once. Pages are independent: one
// page failing leaves the others, and its *OCRError (page number, cause wrapped) is in the returned slice,
// sorted by page. Cancelling ctx kills the running processes; the pages not done then fail with ctx's error.
// Only the pages asked for are rendered; imgs may be nil (everything is rendered).
func OCRPages(ctx context.Context, pdfPath string, pages []int, imgs map[int]PageImages, opts OCROptions) (map[int]OCRPage, []error) {
	opts = opts.withDefaults()
	pages = slices.Clone(pages)
	slices.Sort(pages)
	pages = slices.Compact(pages)
	pages = slices.DeleteFunc(pages, func(p int) bool { return p < 1 })
	res := make(map[int]OCRPage, len(pages))
	if len(pages) == 0 {
		return res, nil
	}
	var errs []error
	fail := func(pages []int, err error) []error {
		for _, p := range pages {
			errs = append(errs, &OCRError{Page: p, Err: err})
		}
		return errs
	}
	if _, err := os.Stat(pdfPath); err != nil {
		return res, fail(pages, fmt.Errorf("không đọc được tệp: %w", err))
	}
	dir, err := os.MkdirTemp("", "ketnoi-ocr-*")
	if err != nil {
		return res, fail(pages, fmt.Errorf("không tạo được thư mục tạm: %w", err))
	}
	defer os.RemoveAll(dir)

	workers := min(opts.Workers, len(pages))
	runs := planRuns(pages, imgs, opts.DPI)
	// pdftoppm takes about a tenth of tesseract's time per page: one renderer keeps four tesseracts busy.
	renderers := min(len(pages), max(1, (workers+3)/4))
	renderSize := len(pages)
	if renderers > 1 {
		renderSize = max(4, (len(pages)+2*renderers-1)/(2*renderers))
	}
	runs = splitRuns(runs, renderSize, ocrJPEGBatch)

	// Unbuffered: a renderer makes the next page while the workers are busy and then waits, so at most
	// workers+renderers page images sit in the temp dir and pdftoppm is throttled through its pipe.
	queue := make(chan ocrImage)
	runq := make(chan ocrRun, len(runs))
	for _, r := range runs {
		runq <- r
	}
	close(runq)
	var prod sync.WaitGroup
	for range renderers {
		prod.Go(func() {
			for r := range runq {
				produceRun(ctx, pdfPath, dir, r, imgs, opts, queue)
			}
		})
	}
	go func() { prod.Wait(); close(queue) }()

	var mu sync.Mutex
	var cons sync.WaitGroup
	for range workers {
		cons.Go(func() {
			for img := range queue {
				var page OCRPage
				err := img.err
				if err == nil {
					page, err = tesseractPage(ctx, img, opts)
				}
				if img.path != "" {
					os.Remove(img.path)
				}
				mu.Lock()
				if err != nil {
					errs = append(errs, &OCRError{Page: img.page, Err: err})
				} else {
					res[page.N] = page
				}
				mu.Unlock()
			}
		})
	}
	cons.Wait()
	// Pages never queued: the context ended first.
	failed := map[int]bool{}
	for _, e := range errs {
		failed[e.(*OCRError).Page] = true
	}
	for _, p := range pages {
		if _, ok := res[p]; !ok && !failed[p] {
			cause := ctx.Err()
			if cause == nil {
				cause = errors.New("trang không được xử lý") // not expected: every path queues or fails a page
			}
			errs = append(errs, &OCRError{Page: p, Err: fmt.Errorf("đã dừng: %w", cause)})
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return a.(*OCRError).Page - b.(*OCRError).Page })
	return res, errs
}

// planRuns groups the sorted pages into runs of consecutive pages made the same way.
func planRuns(pages []int, imgs map[int]PageImages, dpi int) []ocrRun {
	var runs []ocrRun
	for _, p := range pages {
		pi := imgs[p]
		// A JPEG much finer than dpi is rendered down instead: tesseract's time grows with the pixels.
		jpeg := pi.JPEG && (pi.DPI == 0 || pi.DPI*4 <= dpi*5)
		if n := len(runs); n > 0 && runs[n-1].jpeg == jpeg && runs[n-1].pages[len(runs[n-1].pages)-1] == p-1 {
			runs[n-1].pages = append(runs[n-1].pages, p)
			continue
		}
		runs = append(runs, ocrRun{pages: []int{p}, jpeg: jpeg})
	}
	return runs
}

// ocrJPEGBatch is the most pages one pdfimages -j copies out at once: the producer hands a batch's files
// over before it makes the next, so the temp dir holds a batch, not the whole file's scans.
const ocrJPEGBatch = 64

// splitRuns cuts render runs longer than renderSize, so that several renderers can share a long file, and
// JPEG runs longer than jpegSize.
func splitRuns(runs []ocrRun, renderSize, jpegSize int) []ocrRun {
	var out []ocrRun
	for _, r := range runs {
		size := renderSize
		if r.jpeg {
			size = jpegSize
		}
		for len(r.pages) > size {
			out = append(out, ocrRun{pages: r.pages[:size:size], jpeg: r.jpeg})
			r.pages = r.pages[size:]
		}
		out = append(out, r)
	}
	return out
}

// produceRun makes the images of a run and queues them. A page that stops a render run is retried alone,
// so that it fails by itself, and the rest of the run goes on in one process again: a page that breaks
// poppler costs that page only.
func produceRun(ctx context.Context, pdfPath, dir string, r ocrRun, imgs map[int]PageImages, opts OCROptions, queue chan<- ocrImage) {
	send := func(img ocrImage) bool {
		select {
		case queue <- img:
			return true
		case <-ctx.Done():
			if img.path != "" {
				os.Remove(img.path)
			}
			return false // OCRPages reports the pages never queued
		}
	}
	todo := r.pages
	if r.jpeg {
		// pdfimages failing is not reported: the pages it did not give are rendered, and that says what
		// is wrong if rendering fails too.
		got, _ := copyJPEGs(ctx, pdfPath, dir, r.pages, opts.Pdfimages)
		todo = nil
		for _, p := range r.pages {
			if path, ok := got[p]; !ok {
				todo = append(todo, p)
			} else if !send(ocrImage{page: p, path: path, dpi: imgs[p].DPI}) {
				return
			}
		}
	}
	render := func(pages []int) (int, error) {
		n := 0
		err := renderPages(ctx, pdfPath, dir, pages, opts, func(img ocrImage) bool { n++; return send(img) })
		return n, err // pdftoppm gives the pages in order: the first n are queued
	}
	for len(todo) > 0 && ctx.Err() == nil {
		run := todo[:1]
		for len(run) < len(todo) && todo[len(run)] == run[len(run)-1]+1 {
			run = todo[:len(run)+1]
		}
		n, err := render(run)
		todo = todo[n:]
		if n == len(run) || ctx.Err() != nil {
			continue
		}
		p := todo[0]
		todo = todo[1:]
		if len(run) > 1 && !fileLevel(err) {
			if m, err2 := render([]int{p}); m == 1 {
				continue
			} else {
				err = err2
			}
		}
		if err == nil {
			err = errors.New("pdftoppm không cho ảnh trang")
		}
		send(ocrImage{page: p, err: err})
		if fileLevel(err) {
			// The file cannot be opened at all: no use starting a process for each of the other pages.
			for _, p := range todo {
				send(ocrImage{page: p, err: err})
			}
			return
		}
	}
}

// tesseractPage OCRs one image with a single-threaded tesseract and reads its TSV.
func tesseractPage(ctx context.Context, img ocrImage, opts OCROptions) (OCRPage, error) {
	if opts.Slots != nil {
		select {
		case opts.Slots <- struct{}{}:
			defer func() { <-opts.Slots }()
		case <-ctx.Done():
			return OCRPage{}, fmt.Errorf("đã dừng: %w", ctx.Err())
		}
	}
	args := []string{img.path, "-"}
	if img.dpi > 0 {
		// PGM carries no resolution; without it tesseract guesses from the text height.
		args = append(args, "--dpi", strconv.Itoa(img.dpi))
	}
	args = append(args, "-l", opts.Lang, "--psm", "3", "tsv")
	cmd := exec.CommandContext(ctx, opts.Tesseract, args...)
	cmd.Env = os.Environ()
	if !opts.ompDefault {
		cmd.Env = append(cmd.Env, "OMP_THREAD_LIMIT=1")
	}
	var out bytes.Buffer
	stderr := &ocrStderr{}
	cmd.Stdout, cmd.Stderr, cmd.WaitDelay = &out, stderr, time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return OCRPage{}, fmt.Errorf("đã dừng: %w", ctx.Err())
		}
		return OCRPage{}, fmt.Errorf("tesseract lỗi: %w (%s)", err, stderr)
	}
	page := parseTSV(out.Bytes(), opts.MinConfidence)
	page.N = img.page
	return page, nil
}

// parseTSV rebuilds the page text from tesseract's TSV (level page block par line word left top width
// height conf text; words are level 5) and sums the word confidences.
func parseTSV(tsv []byte, minConf float64) OCRPage {
	var b strings.Builder
	var page OCRPage
	var sum float64
	var prev [4]int // page, block, par, line of the last word
	for _, line := range bytes.Split(tsv, []byte("\n")) {
		f := bytes.Split(bytes.TrimRight(line, "\r"), []byte("\t"))
		if len(f) < 12 || string(f[0]) != "5" {
			continue
		}
		text := strings.TrimSpace(string(f[11]))
		if text == "" {
			continue
		}
		var pos [4]int
		for i := range pos {
			pos[i], _ = strconv.Atoi(string(f[i+1]))
		}
		conf, err := strconv.ParseFloat(string(f[10]), 64)
		if err != nil || conf < 0 {
			conf = 0
		}
		if page.Words > 0 {
			switch {
			case pos[0] != prev[0] || pos[1] != prev[1] || pos[2] != prev[2]:
				b.WriteString("\n\n")
			case pos[3] != prev[3]:
				b.WriteByte('\n')
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteString(text)
		prev = pos
		page.Words++
		sum += conf
		if conf < minConf {
			page.LowConfidenceWords++
		}
	}
	if page.Words > 0 {
		page.Confidence = sum / float64(page.Words)
	}
	page.Text = vntext.Normalize(b.String())
	return page
}

// ocrStderr keeps the last 4 KiB a tool writes to stderr: enough to say what went wrong, bounded however
// much a broken file makes it complain. String gives the end of it on one line, for an error message.
type ocrStderr struct{ buf []byte }

func (l *ocrStderr) Write(p []byte) (int, error) {
	const keep = 4096
	l.buf = append(l.buf, p...)
	if len(l.buf) > keep {
		l.buf = append(l.buf[:0], l.buf[len(l.buf)-keep:]...)
	}
	return len(p), nil
}

func (l *ocrStderr) String() string { return ocrTail(l.buf) }

// ocrTail is the end of a tool's output, on one line, for an error message.
func ocrTail(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if r := []rune(s); len(r) > 300 {
		s = "…" + string(r[len(r)-300:])
	}
	if s == "" {
		return "không có thông báo"
	}
	return s
}
