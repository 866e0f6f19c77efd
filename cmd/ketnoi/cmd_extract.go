package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"ketnoi/indexer/extract"
)

func init() {
	register(&command{
		name:    "extract",
		summary: "trích văn bản từ PDF, DOCX, ODT, TXT mà không lập chỉ mục",
		usage:   "[--json] [--workers N] [--timeout 2m] [--no-ocr] TỆP_HOẶC_THƯ_MỤC...",
		help: `
In văn bản trích được từ từng tệp (PDF kể cả bản quét, DOCX, ODT, văn bản thuần), trang theo trang, cùng
cách trích (bậc: plain, rows, pdftotext, ocr) và điểm chất lượng của mỗi trang, thông tin bìa (tên đề tài,
chủ nhiệm, cơ quan chủ trì, mã số, năm) và cảnh báo. Không ghi gì vào kho.
--json in đúng một đối tượng JSON mỗi tệp, mỗi dòng một đối tượng:
  {"file", "pages": [{"n", "text", "rung", "quality"}], "metadata": {...}, "warnings": [...], "error"}
"error" là lý do có kiểu (encrypted, unsupported, malformed, timeout, too_large, no_text, crashed, io)
khi không trích được văn bản. Mỗi tệp được đọc trong một tiến trình con có giới hạn bộ nhớ và thời gian,
nên tệp hỏng hay độc hại chỉ làm hỏng chính nó.
Mã thoát: 0 khi mọi tệp có văn bản; 1 khi có tệp lỗi.`,
		run: runExtract,
	})
}

// extractFlags are the extraction options shared by extract, eval extract and index.
type extractFlags struct {
	workers   *int
	timeout   *time.Duration
	noOCR     *bool
	inProcess *bool
}

func addExtractFlags(fs *flag.FlagSet) extractFlags {
	// serve has its own --timeout (per request): there the file limit is --extract-timeout.
	name := "timeout"
	if fs.Lookup("timeout") != nil {
		name = "extract-timeout"
	}
	return extractFlags{
		workers:   fs.Int("workers", defaultWorkers(), "số tiến trình trích xuất song song"),
		timeout:   fs.Duration(name, 2*time.Minute, "thời gian tối đa cho một tệp (không kể OCR)"),
		noOCR:     fs.Bool("no-ocr", false, "không nhận dạng ký tự trang quét (báo \"cần OCR\")"),
		inProcess: fs.Bool("in-process", false, "trích ngay trong tiến trình này (chỉ cho tệp tin cậy)"),
	}
}

func defaultWorkers() int { return max(1, min(8, runtime.NumCPU())) }

func (f extractFlags) extractor() *extract.Extractor {
	opt := extract.Options{FileTimeout: *f.timeout, NoOCR: *f.noOCR}
	if *f.inProcess {
		return extract.NewExtractor(opt, 0, nil)
	}
	return extract.NewExtractor(opt, *f.workers, workerCommand)
}

// workerCommand re-executes this binary as an extraction worker (see extract.Pool).
func workerCommand() *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return exec.Command(exe)
}

// extractableExt are the extensions a directory walk picks up for extraction.
var extractableExt = map[string]bool{".pdf": true, ".docx": true, ".odt": true, ".txt": true, ".doc": true}

// expandFiles lists the files named, in the order given, and those with the extensions in exts found by
// walking directories (collectFiles, in name order).
func expandFiles(paths []string, exts map[string]bool) ([]string, []string) {
	var files, problems []string
	for _, p := range paths {
		found, probs := collectFiles([]string{p})
		problems = append(problems, probs...)
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() {
			files = append(files, found...)
			continue
		}
		for _, f := range found {
			if exts[strings.ToLower(filepath.Ext(f))] {
				files = append(files, f)
			}
		}
	}
	return files, problems
}

// extractAll runs the extractor over files with n goroutines and calls emit in file order.
func extractAll(ctx context.Context, x *extract.Extractor, files []string, n int, emit func(*extract.Document, time.Duration)) {
	type result struct {
		doc *extract.Document
		dur time.Duration
	}
	out := make([]chan result, len(files))
	for i := range out {
		out[i] = make(chan result, 1)
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(1, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				t := time.Now()
				d := x.Extract(ctx, files[i])
				out[i] <- result{d, time.Since(t)}
			}
		}()
	}
	go func() {
		for i := range files {
			jobs <- i
		}
		close(jobs)
	}()
	for i := range files {
		r := <-out[i]
		emit(r.doc, r.dur)
	}
	wg.Wait()
}

func runExtract(e *env, args []string) error {
	c := find("extract")
	fs := newFlags(e, c)
	asJSON := fs.Bool("json", false, "mỗi tệp một dòng JSON")
	xf := addExtractFlags(fs)
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError{"cần ít nhất một tệp hoặc thư mục"}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	files, errs := expandFiles(pos, extractableExt)
	for _, err := range errs {
		fmt.Fprintln(e.stderr, "LỖI", err)
	}
	x := xf.extractor()
	defer x.Close()
	failed := len(errs)
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	extractAll(ctx, x, files, *xf.workers, func(d *extract.Document, _ time.Duration) {
		if d.Err != nil {
			failed++
		}
		if *asJSON {
			_ = enc.Encode(d)
			if d.Err != nil {
				fmt.Fprintf(e.stderr, "LỖI %s: [%s] %s\n", d.File, d.Err.Reason, d.Err)
			}
			return
		}
		printDocument(e, d)
	})
	if failed > 0 {
		fmt.Fprintf(e.stderr, "%d/%d tệp không trích được văn bản\n", failed, len(files)+len(errs))
		return exitError{1}
	}
	return nil
}

func printDocument(e *env, d *extract.Document) {
	w := e.stdout
	if d.Err != nil {
		fmt.Fprintf(w, "=== %s: LỖI [%s] %s\n", d.File, d.Err.Reason, d.Err)
		fmt.Fprintf(e.stderr, "LỖI %s: [%s] %s\n", d.File, d.Err.Reason, d.Err)
		return
	}
	fmt.Fprintf(w, "=== %s (%s, %d trang)\n", d.File, d.Format, len(d.Pages))
	m := d.Metadata
	for _, kv := range [][2]string{{"Tên", m.Title}, {"Chủ nhiệm", strings.Join(m.Authors, "; ")},
		{"Cơ quan chủ trì", m.Organization}, {"Mã số", m.Code}, {"Nơi", m.Place}, {"Năm", yearString(m.Year)}} {
		if kv[1] != "" {
			fmt.Fprintf(w, "%s: %s\n", kv[0], kv[1])
		}
	}
	for _, wn := range d.Warnings {
		fmt.Fprintf(w, "CẢNH BÁO [%s] %s\n", wn.Code, wn.Message)
	}
	for _, p := range d.Pages {
		fmt.Fprintf(w, "--- trang %d (%s, chất lượng %.2f)\n%s\n", p.N, p.Rung, p.Quality, p.Text)
	}
}

func yearString(y int) string {
	if y == 0 {
		return ""
	}
	return fmt.Sprint(y)
}
