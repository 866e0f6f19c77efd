package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// openTimeout bounds opening a PDF (see extractPDF).
const openTimeout = 10 * time.Second

// extractPDF runs ladderPDF under the file's time limit. The PDF library can loop forever (an xref /Prev
// cycle, a cyclic structure): then its goroutine is abandoned, the file is read with pdftotext alone
// if poppler can, and the result says abandoned, so that a worker process exits after answering rather
// than keep a spinning goroutine.
func extractPDF(ctx context.Context, doc *Document, data []byte, opt *Options) (abandoned bool) {
	ctx, cancel := context.WithTimeout(ctx, opt.FileTimeout)
	defer cancel()
	work := &Document{File: doc.File, SHA256: doc.SHA256, Size: doc.Size, Format: doc.Format}
	done := make(chan struct{})
	opened := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if x := recover(); x != nil {
				work.Pages = nil
				work.Err = Errorf(ReasonMalformed, "lỗi khi đọc tệp: %v", x)
			}
		}()
		ladderPDF(ctx, work, data, opt, func() { close(opened) })
	}()
	// Opening (reading the xref chain) is quick for any honest file; a /Prev cycle makes the library
	// loop there, so it gets a shorter budget than the whole file.
	openTimer := time.NewTimer(min(opt.FileTimeout, openTimeout))
	defer openTimer.Stop()
	select {
	case <-done:
		*doc = *work
		return false
	case <-opened:
		select {
		case <-done:
			*doc = *work
			return false
		case <-ctx.Done():
		}
	case <-openTimer.C:
	case <-ctx.Done():
	}
	// A fresh, short budget for poppler: the file's own is spent.
	pctx, pcancel := context.WithTimeout(context.Background(), min(opt.FileTimeout, 30*time.Second))
	defer pcancel()
	cause := fmt.Errorf("thư viện PDF không đọc xong tệp trong thời hạn (vòng lặp trong cấu trúc tệp?)")
	if !pdftotextAll(pctx, doc, doc.File, opt, cause) {
		doc.Err = Errorf(ReasonTimeout, "quá %s khi đọc tệp", opt.FileTimeout)
	}
	return true
}

// ladderPDF runs the ladder's first three rungs on every page: our interpreter in content order
// (plain), by position (rows), then pdftotext, climbing only while the page's quality is under
// QualityGood, keeping the best. OCR, the fourth rung, is the caller's (see Extractor), because it runs
// outside the worker that parses the file.
func ladderPDF(ctx context.Context, doc *Document, data []byte, opt *Options, opened func()) {
	f, err := openPDF(data)
	opened()
	path := doc.File
	if err != nil {
		// Rewrite once with qpdf (repairs xref tables, decrypts owner-password-only files, including
		// AES-256 which the library lacks) and retry.
		repaired, rerr := repairPDF(ctx, path, opt)
		if rerr != nil {
			var e *Error
			if errors.As(rerr, &e) && e.Reason == ReasonEncrypted {
				doc.Err = e
				return
			}
			// No repair: poppler reads much the library cannot; use it for every page.
			if pdftotextAll(ctx, doc, path, opt, err) {
				return
			}
			doc.Err = asError(err)
			return
		}
		f, err = openPDF(repaired)
		if err != nil {
			if pdftotextAll(ctx, doc, path, opt, err) {
				return
			}
			doc.Err = asError(err)
			return
		}
		doc.Warn(WarnRepaired, 0, "tệp PDF hỏng cấu trúc, đã sửa bằng qpdf trước khi đọc")
	}
	if f.encrypted() {
		doc.Warn(WarnDecrypted, 0, "tệp PDF có mật khẩu chủ sở hữu, đã mở không cần mật khẩu")
	}
	if len(f.pages) > opt.MaxPages {
		doc.Err = Errorf(ReasonTooLarge, "hơn %d trang", opt.MaxPages)
		return
	}
	if len(f.pages) == 0 {
		if pdftotextAll(ctx, doc, path, opt, errors.New("không tìm thấy trang nào")) {
			return
		}
		doc.Err = Errorf(ReasonMalformed, "không tìm thấy trang nào trong cây trang")
		return
	}
	doc.Metadata = InfoMetadata(infoString(f.info, "Title"), infoString(f.info, "Author"),
		infoString(f.info, "Subject"), infoString(f.info, "Keywords"), time.Time{})

	doc.Pages = make([]Page, len(f.pages))
	var needPoppler []int
	tooLarge := 0
	for i, p := range f.pages {
		if ctx.Err() != nil {
			doc.Err = Errorf(ReasonTimeout, "quá %s ở trang %d", opt.FileTimeout, i+1)
			return
		}
		page := &doc.Pages[i]
		page.N = i + 1
		res := readPage(f, p, opt)
		page.Images = res.images
		switch {
		case res.tooLarge:
			// Not for pdftotext either: poppler would inflate the same stream.
			page.Rung, page.Why = RungPlain, "nội dung trang vượt giới hạn"
			doc.Warn(WarnPageFailed, i+1, "trang %d: nội dung vượt giới hạn (%d MB hoặc %d ký tự), bỏ qua", i+1, opt.PageContentBytes>>20, opt.PageGlyphs)
			tooLarge++
			continue
		case res.err != nil:
			page.Why = "lỗi đọc trang: " + res.err.Error()
		}
		climb(page, RungPlain, res.plain)
		if res.encoding != "" {
			page.Encoding = res.encoding
			if res.lost > 0 {
				doc.Warn(WarnLossyEncoding, i+1, "trang %d: %d ký tự phông %s không có trong Unicode", i+1, res.lost, res.encoding)
			}
		}
		if page.Quality < QualityGood {
			if rows := rowsText(res.glyphs); rows != res.plain {
				climb(page, RungRows, rows)
			}
		}
		if page.Quality < QualityGood {
			needPoppler = append(needPoppler, i)
		}
	}
	if len(needPoppler) > 0 && opt.Pdftotext != "-" {
		pages, perr := runPdftotext(ctx, path, opt)
		if perr != nil {
			for _, i := range needPoppler {
				doc.Pages[i].Why = joinWhy(doc.Pages[i].Why, "pdftotext: "+perr.Error())
			}
		} else {
			for _, i := range needPoppler {
				if i < len(pages) {
					climb(&doc.Pages[i], RungPdftotext, pages[i])
				}
			}
		}
	}
	doc.Metadata = MergeMetadata(doc.Metadata, CoverMetadata(pageTexts(doc.Pages, 3)))
	if tooLarge > 0 && countLetters(doc.Text()) == 0 {
		doc.Err = Errorf(ReasonTooLarge, "nội dung %d trang vượt giới hạn", tooLarge)
	}
}

// climb offers the text of a rung to the page: kept when it scores better than what the page has.
func climb(p *Page, r Rung, text string) {
	q, why := TextQuality(text)
	if p.Rung == "" {
		p.Text, p.Rung, p.Quality = text, r, q
		if q < QualityGood {
			p.Why = joinWhy(p.Why, fmt.Sprintf("%s %.2f: %s", r, q, why))
		}
		return
	}
	note := fmt.Sprintf("%s %.2f", r, q)
	if q > p.Quality+0.01 || (countLetters(p.Text) < minLetters && countLetters(text) >= minLetters) {
		p.Text, p.Rung, p.Quality = text, r, q
		note += " (chọn)"
	}
	p.Why = joinWhy(p.Why, note)
}

func joinWhy(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// runPdftotext runs poppler once for the whole file and splits its pages on form feeds.
func runPdftotext(ctx context.Context, path string, opt *Options) ([]string, error) {
	bin, err := exec.LookPath(opt.Pdftotext)
	if err != nil {
		return nil, errors.New("chưa cài pdftotext (gói poppler-utils)")
	}
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "-enc", "UTF-8", "-q", path, "-")
	cmd.Stdout, cmd.Stderr = &limitedBuffer{b: &out, n: opt.MaxFileBytes}, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("quá thời gian: %w", ctx.Err())
		}
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i > 0 {
			msg = msg[:i]
		}
		return nil, fmt.Errorf("%v %s", err, msg)
	}
	pages := strings.Split(out.String(), "\f")
	if n := len(pages); n > 0 && strings.TrimSpace(pages[n-1]) == "" {
		pages = pages[:n-1]
	}
	for i := range pages {
		pages[i] = cleanLines(pages[i])
	}
	return pages, nil
}

// pdftotextAll is the fallback when the library cannot open the file at all: every page from poppler.
func pdftotextAll(ctx context.Context, doc *Document, path string, opt *Options, cause error) bool {
	if opt.Pdftotext == "-" {
		return false
	}
	pages, err := runPdftotext(ctx, path, opt)
	if err != nil || len(pages) == 0 {
		return false
	}
	if len(pages) > opt.MaxPages {
		doc.Err = Errorf(ReasonTooLarge, "hơn %d trang", opt.MaxPages)
		return true
	}
	doc.Pages = make([]Page, len(pages))
	for i, t := range pages {
		q, _ := TextQuality(t)
		doc.Pages[i] = Page{N: i + 1, Text: t, Rung: RungPdftotext, Quality: q,
			Why: "thư viện PDF không mở được tệp: " + cause.Error()}
	}
	doc.Metadata = MergeMetadata(doc.Metadata, CoverMetadata(pageTexts(doc.Pages, 3)))
	return true
}

// repairPDF rewrites the file with qpdf: a fresh xref, no encryption when no user password is needed.
func repairPDF(ctx context.Context, path string, opt *Options) ([]byte, error) {
	if opt.Qpdf == "-" {
		return nil, errors.New("sửa tệp bị tắt")
	}
	bin, err := exec.LookPath(opt.Qpdf)
	if err != nil {
		return nil, errors.New("chưa cài qpdf")
	}
	tmp, err := os.CreateTemp("", "ketnoi-repair-*.pdf")
	if err != nil {
		return nil, err
	}
	name := tmp.Name()
	tmp.Close()
	defer os.Remove(name)
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "--decrypt", "--object-streams=disable", path, name)
	cmd.Stderr = &stderr
	err = cmd.Run()
	// qpdf exits 3 when it succeeded with warnings (which is what a repair is).
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 3) {
		msg := stderr.String()
		if strings.Contains(msg, "invalid password") {
			return nil, &Error{Reason: ReasonEncrypted, Detail: "cần mật khẩu người dùng để mở"}
		}
		return nil, fmt.Errorf("qpdf: %v", err)
	}
	data, err := readLimited(name, opt.MaxFileBytes)
	if err != nil {
		return nil, err
	}
	return data, nil
}

// limitedBuffer stops collecting past n bytes (a pdftotext on a hostile file may print without end).
type limitedBuffer struct {
	b *bytes.Buffer
	n int64
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if int64(l.b.Len()+len(p)) > l.n {
		return 0, errors.New("output over limit")
	}
	return l.b.Write(p)
}
