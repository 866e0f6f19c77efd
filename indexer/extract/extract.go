package extract

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Options are the limits and tools of extraction. The zero value is usable: Defaults fills it.
type Options struct {
	MaxFileBytes     int64         // larger files are ReasonTooLarge (default 512 MiB)
	MaxPages         int           // more pages are ReasonTooLarge (default 5000)
	FileTimeout      time.Duration // one file, all rungs but OCR (default 2 min)
	MemoryBytes      int64         // a worker process's address-space limit (default 3 GiB)
	PageGlyphs       int           // glyphs on one page (default 2,000,000)
	PageContentBytes int64         // decompressed content of one page (default 64 MiB)
	Pdftotext        string        // binary; "" finds it on PATH, "-" disables the rung
	Qpdf             string        // binary for repair; "" finds it on PATH, "-" disables repair
	NoOCR            bool          // never OCR (pages without text are reported as needing it)
	OCR              OCROptions
}

// Defaults returns o with its zero fields set to the defaults.
func (o Options) Defaults() Options {
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = 512 << 20
	}
	if o.MaxPages <= 0 {
		o.MaxPages = 5000
	}
	if o.FileTimeout <= 0 {
		o.FileTimeout = 2 * time.Minute
	}
	if o.MemoryBytes <= 0 {
		o.MemoryBytes = 3 << 30
	}
	if o.PageGlyphs <= 0 {
		o.PageGlyphs = 2_000_000
	}
	if o.PageContentBytes <= 0 {
		o.PageContentBytes = 64 << 20
	}
	if o.Pdftotext == "" {
		o.Pdftotext = "pdftotext"
	}
	if o.Qpdf == "" {
		o.Qpdf = "qpdf"
	}
	return o
}

// Sniff tells the format from the first bytes and, for ZIP containers, the name of the file.
func Sniff(head []byte, name string) (Format, error) {
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case bytes.Contains(head[:min(len(head), 1024)], []byte("%PDF-")):
		return FormatPDF, nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		switch {
		case ext == ".odt" || bytes.Contains(head, []byte("application/vnd.oasis.opendocument.text")):
			return FormatODT, nil
		case ext == ".docx" || bytes.Contains(head, []byte("word/")) || bytes.Contains(head, []byte("[Content_Types].xml")):
			return FormatDOCX, nil
		}
		return "", Errorf(ReasonUnsupported, "tệp nén ZIP không phải DOCX hoặc ODT")
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return FormatDOCX, nil // OLE container: encrypted DOCX or legacy .doc; ExtractDOCX says which
	case ext == ".pdf":
		return FormatPDF, nil // damaged header: let the PDF path report it
	case looksBinary(head):
		return "", Errorf(ReasonUnsupported, "không nhận ra định dạng tệp (%s)", ext)
	}
	return FormatText, nil
}

// looksBinary reports NUL-heavy or control-heavy bytes that are not UTF-16 text.
func looksBinary(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if len(b) >= 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF) {
		return false
	}
	var nul, odd, ctl int
	for i, c := range b {
		if c == 0 {
			nul++
			if i%2 == 1 {
				odd++
			}
		} else if c < 0x09 || (c > 0x0D && c < 0x20 && c != 0x1B) {
			ctl++
		}
	}
	// UTF-16 text has NULs in one byte position only.
	if nul > 0 && (odd == nul || odd == 0) && nul > len(b)/4 {
		return false
	}
	return nul > 0 || ctl > len(b)/10
}

// ExtractLocal extracts one file in this process: every rung but OCR. Panics are recovered, but a
// hostile file can still hang it or exhaust memory: use a Pool for files from anywhere.
func ExtractLocal(ctx context.Context, path string, opt Options) (doc *Document) {
	opt = opt.Defaults()
	doc = &Document{File: path}
	defer func() {
		if x := recover(); x != nil {
			doc.Pages = nil
			doc.Err = Errorf(ReasonMalformed, "lỗi khi đọc tệp: %v", x)
		}
	}()
	data, err := readLimited(path, opt.MaxFileBytes)
	if err != nil {
		doc.Err = asError(err)
		return doc
	}
	sum := sha256.Sum256(data)
	doc.SHA256, doc.Size = hex.EncodeToString(sum[:]), int64(len(data))
	f, err := Sniff(data[:min(len(data), 8192)], path)
	if err != nil {
		doc.Err = asError(err)
		return doc
	}
	doc.Format = f
	var got *Document
	switch f {
	case FormatPDF:
		doc.abandoned = extractPDF(ctx, doc, data, &opt)
		return doc
	case FormatDOCX:
		got, err = ExtractDOCX(bytes.NewReader(data), int64(len(data)), Limits{})
	case FormatODT:
		got, err = ExtractODT(bytes.NewReader(data), int64(len(data)), Limits{})
	default:
		got, err = ExtractText(data)
	}
	if err != nil {
		doc.Err = asError(err)
		return doc
	}
	doc.Pages, doc.Metadata, doc.Warnings = got.Pages, got.Metadata, got.Warnings
	doc.Metadata = MergeMetadata(doc.Metadata, CoverMetadata(pageTexts(doc.Pages, 3)))
	if countLetters(doc.Text()) == 0 {
		doc.Err = &Error{Reason: ReasonNoText}
	}
	return doc
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Errorf(ReasonIO, "%v", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > limit {
		return nil, Errorf(ReasonTooLarge, "%d MB, giới hạn %d MB", st.Size()>>20, limit>>20)
	} else if err == nil && st.IsDir() {
		return nil, Errorf(ReasonIO, "là một thư mục")
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, Errorf(ReasonIO, "%v", err)
	}
	if int64(len(data)) > limit {
		return nil, Errorf(ReasonTooLarge, "vượt giới hạn %d MB", limit>>20)
	}
	return data, nil
}

func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Errorf(ReasonMalformed, "%v", err)
}

func pageTexts(ps []Page, n int) []string {
	var out []string
	for i := 0; i < len(ps) && i < n; i++ {
		out = append(out, ps[i].Text)
	}
	return out
}
