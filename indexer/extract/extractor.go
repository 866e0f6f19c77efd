package extract

import (
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"sync"
)

// Extractor is the whole ladder: parsing in a worker Pool (or in this process when there is none), then
// OCR of the PDF pages that came out with almost no text and carry an image. It is safe for concurrent
// use; OCR processes are bounded across all calls by OCR.Workers.
type Extractor struct {
	opt    Options
	pool   *Pool
	ocrSem chan struct{}

	ocrOnce sync.Once
	ocrErr  error
}

// NewExtractor makes an extractor. With newWorker nil, files are parsed in this process (tests, trusted
// input); otherwise in up to workers processes made by newWorker.
func NewExtractor(opt Options, workers int, newWorker func() *exec.Cmd) *Extractor {
	opt = opt.Defaults()
	x := &Extractor{opt: opt}
	if newWorker != nil {
		x.pool = NewPool(workers, opt, newWorker)
	}
	n := opt.OCR.Workers
	if n <= 0 {
		n = defaultOCRWorkers()
	}
	x.ocrSem = make(chan struct{}, n)
	return x
}

// Close stops the workers.
func (x *Extractor) Close() {
	if x.pool != nil {
		x.pool.Close()
	}
}

// OCRStatus is nil when OCR can run, or says what is missing.
func (x *Extractor) OCRStatus() error {
	if x.opt.NoOCR {
		return fmt.Errorf("OCR bị tắt")
	}
	x.ocrOnce.Do(func() { x.ocrErr = OCRAvailable(x.opt.OCR) })
	return x.ocrErr
}

// Extract runs the ladder on one file. The document is never nil; Err says why no text came out.
func (x *Extractor) Extract(ctx context.Context, path string) *Document {
	var doc *Document
	if x.pool != nil {
		doc = x.pool.Extract(ctx, path)
	} else {
		doc = ExtractLocal(ctx, path, x.opt)
	}
	ocred := false
	if doc.Err == nil && doc.Format == FormatPDF {
		ocred = x.ocr(ctx, doc)
	}
	if sc := SidecarPath(path); sc != "" && doc.Err == nil {
		m, err := ReadSidecar(sc)
		if err != nil {
			doc.Warn(WarnMetadata, 0, "%v", err)
		} else {
			doc.Metadata = MergeMetadata(doc.Metadata, m)
		}
	}
	if doc.Err == nil && countLetters(doc.Text()) == 0 {
		if hasWarning(doc, WarnNeedsOCR) {
			// Indexed with what it has, to be OCRed by a later run: not a failure.
			return doc
		}
		doc.Err = &Error{Reason: ReasonNoText, Detail: "không có lớp văn bản và không có ảnh trang để nhận dạng"}
		if ocred {
			doc.Err.Detail = "không có lớp văn bản, và OCR không nhận ra chữ nào trên ảnh trang"
		}
	}
	return doc
}

func hasWarning(d *Document, code string) bool {
	for _, w := range d.Warnings {
		if w.Code == code {
			return true
		}
	}
	return false
}

// ocr is the fourth rung: pages with almost no text are OCRed when they carry an image. It says
// whether any page was given to tesseract.
func (x *Extractor) ocr(ctx context.Context, doc *Document) bool {
	var weak []int
	for _, p := range doc.Pages {
		// Pages from pdftotext alone (the library could not open the file) have no image count: try them.
		if countLetters(p.Text) < minLetters && (p.Images > 0 || p.Rung == RungPdftotext) {
			weak = append(weak, p.N)
		}
	}
	if len(weak) == 0 {
		return false
	}
	if err := x.OCRStatus(); err != nil {
		doc.Warn(WarnNeedsOCR, 0, "%d trang không có lớp văn bản cần nhận dạng ký tự (OCR): %v", len(weak), err)
		return false
	}
	imgs, err := ListImages(ctx, doc.File)
	if err != nil {
		doc.Warn(WarnNeedsOCR, 0, "không liệt kê được ảnh trong tệp để OCR: %v", err)
		return false
	}
	var todo []int
	for _, n := range weak {
		if imgs[n].Count > 0 {
			todo = append(todo, n)
		}
	}
	if len(todo) == 0 {
		return false
	}
	// One call per file (one pdftoppm/pdfimages per run of pages); the tesseract processes of all files
	// share the extractor's slots, one per core, each single-threaded.
	o := x.opt.OCR
	o.Workers = cap(x.ocrSem)
	o.Slots = x.ocrSem
	results, errs := OCRPages(ctx, doc.File, todo, imgs, o)
	for _, err := range errs {
		doc.Warn(WarnPageFailed, 0, "OCR: %v", err)
	}
	low := 0
	for i := range doc.Pages {
		p := &doc.Pages[i]
		r, ok := results[p.N]
		if !ok || countLetters(r.Text) <= countLetters(p.Text) {
			continue
		}
		q, _ := TextQuality(r.Text)
		p.Why = joinWhy(p.Why, fmt.Sprintf("trang gần như không có chữ, có ảnh: OCR %.2f (chọn)", q))
		p.Text, p.Rung, p.Quality = r.Text, RungOCR, q
		p.OCRConfidence, p.LowConfidenceWords = r.Confidence, r.LowConfidenceWords
		low += r.LowConfidenceWords
	}
	if low > 0 {
		doc.Warn(WarnLowConfidence, 0, "%d từ nhận dạng với độ tin cậy thấp", low)
	}
	if len(results) > 0 {
		doc.Metadata = MergeMetadata(doc.Metadata, CoverMetadata(pageTexts(doc.Pages, 3)))
	}
	return true
}

func defaultOCRWorkers() int { return max(1, runtime.NumCPU()) }
