package extract

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/ledongthuc/pdf"
)

// pdfFile is an opened PDF: the reader and the pages found by walking the page tree ourselves (the
// library's Reader.Page loops forever on a page tree with a cycle).
type pdfFile struct {
	r     *pdf.Reader
	pages []pdf.Page
	info  pdf.Value
	fonts map[uint64]*fontInfo
}

// patchedReader presents a PDF as ledongthuc expects it: starting at "%PDF-1.x" and ending at "%%EOF",
// with a PDF 2.0 header shown as 1.7. It overlays, it does not copy.
type patchedReader struct {
	data []byte
	head []byte // replaces the first bytes
}

func (p *patchedReader) ReadAt(b []byte, off int64) (int, error) {
	if off >= int64(len(p.data)) {
		return 0, io.EOF
	}
	n := copy(b, p.data[off:])
	for i := 0; i < n && off+int64(i) < int64(len(p.head)); i++ {
		b[i] = p.head[off+int64(i)]
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// tolerantViews returns the ways to present data to the library, most likely first: as is when it is
// well formed; else trimmed of junk before the header (offsets relative to the header, as most readers
// assume, then to the file) and after the last %%EOF, with a 2.0 or odd header rewritten.
func tolerantViews(data []byte) []*patchedReader {
	start := bytes.Index(data[:min(len(data), 4096)], []byte("%PDF-"))
	if start < 0 {
		return nil
	}
	end := bytes.LastIndex(data, []byte("%%EOF"))
	if end < 0 {
		end = len(data)
	} else {
		end += len("%%EOF")
	}
	head := func(b []byte) []byte {
		// ledongthuc wants "%PDF-1.[0-7]" followed by a line break.
		h := []byte("%PDF-1.7\n")
		if len(b) < len(h) {
			return nil
		}
		if bytes.HasPrefix(b, []byte("%PDF-1.")) && b[7] >= '0' && b[7] <= '7' && (b[8] == '\n' || b[8] == '\r') {
			return nil
		}
		// Keep the byte count: overwrite "%PDF-x.y" and the byte after it only when that is whitespace
		// or a comment; otherwise the original line continues and we cannot rewrite it in place.
		if b[8] == ' ' || b[8] == '\t' || b[8] == '%' || b[8] == '\n' || b[8] == '\r' {
			return h
		}
		return nil
	}
	var views []*patchedReader
	add := func(d []byte) {
		views = append(views, &patchedReader{data: d, head: head(d)})
	}
	if start > 0 {
		add(data[start:end])
		// Offsets counted from the file's first byte: keep the junk's length, but overlay it with a
		// header and a comment, so the original header is just a comment line further on.
		if start >= 10 {
			h := make([]byte, start)
			copy(h, "%PDF-1.7\n%")
			for i := 10; i < start-1; i++ {
				h[i] = ' '
			}
			h[start-1] = '\n'
			views = append(views, &patchedReader{data: data[:end], head: h})
		}
		return views
	}
	add(data[:end])
	return views
}

// openPDF opens data with ledongthuc/pdf, trying the tolerant views in turn. A panic is an error. An
// owner-password-only file opens (the library tries the empty user password); a user password is
// ReasonEncrypted.
func openPDF(data []byte) (f *pdfFile, err error) {
	views := tolerantViews(data)
	if len(views) == 0 {
		return nil, Errorf(ReasonMalformed, "không có đầu tệp %%PDF-")
	}
	var firstErr error
	for _, v := range views {
		f, err = openView(v)
		if err == nil {
			return f, nil
		}
		var e *Error
		if errors.As(err, &e) && e.Reason == ReasonEncrypted {
			return nil, err
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

func openView(v *patchedReader) (f *pdfFile, err error) {
	defer func() {
		if x := recover(); x != nil {
			f, err = nil, Errorf(ReasonMalformed, "cấu trúc PDF hỏng, không sửa được (%v)", x)
		}
	}()
	r, err := pdf.NewReaderEncrypted(v, int64(len(v.data)), nil)
	if err != nil {
		return nil, classifyOpenError(err)
	}
	f = &pdfFile{r: r, info: r.Trailer().Key("Info"), fonts: map[uint64]*fontInfo{}}
	f.pages = collectPages(r.Trailer().Key("Root").Key("Pages"), maxPages+1)
	return f, nil
}

func classifyOpenError(err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, pdf.ErrInvalidPassword) || strings.Contains(msg, "password"):
		return &Error{Reason: ReasonEncrypted, Detail: "cần mật khẩu người dùng để mở"}
	case strings.Contains(msg, "encrypt") || strings.Contains(msg, "crypt"):
		return Errorf(ReasonUnsupported, "kiểu mã hoá không được hỗ trợ (%s)", msg)
	}
	return Errorf(ReasonMalformed, "cấu trúc PDF hỏng, không sửa được (%s)", msg)
}

// maxPages bounds a document; a page tree claiming more is cut and reported.
const maxPages = 20000

// objectID is the number and generation of the indirect object a value was read from. The library
// keeps it unexported; reflection reads it, so that a page tree or a form cycle is seen as a cycle.
func objectID(v pdf.Value) (uint64, bool) {
	p := reflect.ValueOf(v).FieldByName("ptr")
	if !p.IsValid() || p.NumField() < 2 {
		return 0, false
	}
	id, gen := p.Field(0).Uint(), p.Field(1).Uint()
	return id<<16 | gen, id != 0
}

// collectPages walks the page tree depth-first, each node once (a tree with a cycle is read as the tree
// it was meant to be), depth and count bounded.
func collectPages(node pdf.Value, limit int) []pdf.Page {
	var pages []pdf.Page
	seen := map[uint64]bool{}
	var walk func(v pdf.Value, depth int)
	walk = func(v pdf.Value, depth int) {
		if depth > 64 || len(pages) >= limit {
			return
		}
		if id, ok := objectID(v); ok && depth > 0 {
			if seen[id] {
				return
			}
			seen[id] = true
		}
		kids := v.Key("Kids")
		if v.Key("Type").Name() == "Page" || (kids.Kind() != pdf.Array && v.Key("Contents").Kind() != pdf.Null) {
			pages = append(pages, pdf.Page{V: v})
			return
		}
		for i := 0; i < kids.Len() && len(pages) < limit; i++ {
			walk(kids.Index(i), depth+1)
		}
	}
	walk(node, 0)
	return pages
}

// pageResult is what the ledongthuc rungs give for one page.
type pageResult struct {
	plain    string
	glyphs   []glyph // for the rows rung, laid out only when plain is not good enough
	images   int
	encoding string // legacy font encoding decoded on the page
	lost     int    // bytes the legacy encoding does not define
	err      error
	tooLarge bool
}

func (f *pdfFile) encrypted() bool { return f.r.Trailer().Key("Encrypt").Kind() != pdf.Null }

// readPage interprets one page; a panic in the library costs this page only.
func readPage(f *pdfFile, p pdf.Page, opt *Options) (res pageResult) {
	defer func() {
		if x := recover(); x != nil {
			res = pageResult{err: fmt.Errorf("%v", x)}
		}
	}()
	w := &pageWalker{maxGlyphs: opt.PageGlyphs, maxContent: opt.PageContentBytes, fontCache: f.fonts}
	contents := p.V.Key("Contents")
	if contents.Kind() == pdf.Null {
		return pageResult{}
	}
	res0 := p.Resources()
	w.walk(contents, res0, identity, 0)
	if w.tooLarge {
		return pageResult{tooLarge: true, images: w.images}
	}
	return pageResult{plain: plainText(w.glyphs), glyphs: w.glyphs, images: w.images, encoding: string(w.legacy), lost: w.lost}
}

// infoString reads a text string of the Info dictionary (PDFDocEncoding or UTF-16).
func infoString(info pdf.Value, key string) (s string) {
	defer func() {
		if recover() != nil {
			s = ""
		}
	}()
	return strings.TrimSpace(info.Key(key).Text())
}
