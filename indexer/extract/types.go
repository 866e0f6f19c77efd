// Package extract turns the files staff bring (PDF, scanned PDF, DOCX, ODT, plain text) into Unicode NFC
// Vietnamese text page by page, with the cover-page metadata of a research report, and says for every file
// how the text was obtained or, when none was, why not (a typed Reason).
//
// PDF pages climb a ladder, stopping at the first rung whose text is good: ledongthuc/pdf's plain text,
// its row-based text, pdftotext, then OCR with tesseract. Parsing untrusted files runs in worker processes
// with memory and time limits (see Pool), so a crash, a hang or a memory blow-up costs one file.
package extract

import (
	"encoding/json"
	"fmt"
)

// Format is the kind of file, sniffed from its content.
type Format string

const (
	FormatPDF  Format = "pdf"
	FormatDOCX Format = "docx"
	FormatODT  Format = "odt"
	FormatText Format = "text"
)

// Rung is how a page's text was obtained.
type Rung string

const (
	RungPlain     Rung = "plain"     // ledongthuc/pdf, text objects in content order
	RungRows      Rung = "rows"      // ledongthuc/pdf, text grouped into rows by position
	RungPdftotext Rung = "pdftotext" // poppler's pdftotext
	RungOCR       Rung = "ocr"       // tesseract on the page image
	RungDirect    Rung = "direct"    // a text-based format (DOCX, ODT, plain text): no ladder
)

// Page is the text of one page (a whole DOCX or text file is one page).
type Page struct {
	N    int    `json:"n"` // 1-based
	Text string `json:"text"`
	Rung Rung   `json:"rung"`
	// Quality is the page text's quality score in [0, 1] (see Quality); 1 is clean text.
	Quality float64 `json:"quality"`
	// Why says, when the ladder climbed past the first rung or stopped early, what decided it.
	Why string `json:"why,omitempty"`
	// Encoding names the legacy encoding (TCVN3, VNI...) the page's text was converted from, if any.
	Encoding string `json:"encoding,omitempty"`
	// Images counts the images the page draws (a page with little text and an image is OCRed).
	Images int `json:"images,omitempty"`
	// OCRConfidence is tesseract's mean word confidence (0–100) on an OCRed page.
	OCRConfidence float64 `json:"ocr_confidence,omitempty"`
	// LowConfidenceWords counts OCRed words below the confidence threshold (they may be wrong).
	LowConfidenceWords int `json:"low_confidence_words,omitempty"`
}

// Metadata is what the file says about the report. Sources names, per field (json name), where the value
// came from: "cover" (the cover page), "info" (the PDF Info dictionary: low confidence, often "User" or
// empty), "properties" (DOCX/ODT document properties), "sidecar" (a JSON record next to the file, which
// overrides any other source).
type Metadata struct {
	Title        string            `json:"title,omitempty"`
	Authors      []string          `json:"authors,omitempty"` // the project lead (chủ nhiệm) first, academic titles stripped
	Organization string            `json:"organization,omitempty"`
	Code         string            `json:"code,omitempty"` // "Mã số" of the project
	Place        string            `json:"place,omitempty"`
	Year         int               `json:"year,omitempty"`
	Abstract     string            `json:"abstract,omitempty"`
	Keywords     []string          `json:"keywords,omitempty"`
	Sources      map[string]string `json:"sources,omitempty"`
}

// Warning codes: the file was extracted, but something is worth knowing.
const (
	WarnNeedsOCR      = "needs_ocr"      // pages without a text layer and no OCR engine available
	WarnLossyEncoding = "lossy_encoding" // a legacy-encoded text had bytes without a Unicode equivalent
	WarnRepaired      = "repaired"       // the PDF could be read only after a rewrite (qpdf)
	WarnDecrypted     = "decrypted"      // owner-password-only PDF, opened without a password
	WarnLowConfidence = "low_confidence" // OCR words below the confidence threshold
	WarnPageFailed    = "page_failed"    // one page could not be read; the others were
	WarnTruncated     = "truncated"      // the text was cut at the size limit
	WarnMetadata      = "metadata"       // a metadata field was found but could not be used
)

// Warning is a problem that did not stop extraction. Message is Vietnamese, for staff.
type Warning struct {
	Code    string `json:"code"`
	Page    int    `json:"page,omitempty"`
	Message string `json:"message"`
}

// Reason is why a file gave no text: a typed skip reason, so "why was this not indexed?" has an answer.
type Reason string

const (
	ReasonEncrypted   Reason = "encrypted"   // needs a user password
	ReasonUnsupported Reason = "unsupported" // a format or PDF feature we cannot read
	ReasonMalformed   Reason = "malformed"   // broken beyond repair
	ReasonTimeout     Reason = "timeout"     // took longer than the time limit
	ReasonTooLarge    Reason = "too_large"   // file, page count or memory over the limit
	ReasonNoText      Reason = "no_text"     // read fine, but holds no text (and OCR found none)
	ReasonCrashed     Reason = "crashed"     // the worker process died on it
	ReasonIO          Reason = "io"          // the file could not be read from disk
)

var reasonVI = map[Reason]string{
	ReasonEncrypted:   "tệp được mã hoá bằng mật khẩu",
	ReasonUnsupported: "định dạng hoặc tính năng không được hỗ trợ",
	ReasonMalformed:   "tệp hỏng, không đọc được",
	ReasonTimeout:     "quá thời gian cho phép",
	ReasonTooLarge:    "vượt giới hạn kích thước hoặc bộ nhớ",
	ReasonNoText:      "không có văn bản",
	ReasonCrashed:     "tiến trình trích xuất bị dừng đột ngột",
	ReasonIO:          "không đọc được tệp",
}

// Label is the reason in Vietnamese.
func (r Reason) Label() string {
	if s, ok := reasonVI[r]; ok {
		return s
	}
	return string(r)
}

// Error is a failed extraction: a Reason and, for staff, a detail (Vietnamese where we write it).
type Error struct {
	Reason Reason
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Reason.Label()
	}
	return e.Reason.Label() + ": " + e.Detail
}

// Errorf makes an *Error with a formatted detail.
func Errorf(r Reason, format string, args ...any) *Error {
	return &Error{Reason: r, Detail: fmt.Sprintf(format, args...)}
}

// Document is everything extraction got from one file.
type Document struct {
	File     string    `json:"file"`
	SHA256   string    `json:"sha256,omitempty"`
	Size     int64     `json:"size,omitempty"`
	Format   Format    `json:"format,omitempty"`
	Pages    []Page    `json:"pages"`
	Metadata Metadata  `json:"metadata"`
	Warnings []Warning `json:"warnings"`
	// Err is set whenever no text came out.
	Err *Error `json:"-"`
	// abandoned: a goroutine is still stuck on this file (see extractPDF).
	abandoned bool
}

// Text is the pages' text joined by blank lines.
func (d *Document) Text() string {
	n := 0
	for _, p := range d.Pages {
		n += len(p.Text) + 2
	}
	b := make([]byte, 0, n)
	for i, p := range d.Pages {
		if i > 0 {
			b = append(b, '\n', '\n')
		}
		b = append(b, p.Text...)
	}
	return string(b)
}

// Warn appends a warning.
func (d *Document) Warn(code string, page int, format string, args ...any) {
	d.Warnings = append(d.Warnings, Warning{Code: code, Page: page, Message: fmt.Sprintf(format, args...)})
}

// documentJSON is the wire form: error as a typed reason plus a message, so `ketnoi extract --json` and
// the worker protocol carry the same object.
type documentJSON struct {
	File         string    `json:"file"`
	SHA256       string    `json:"sha256,omitempty"`
	Size         int64     `json:"size,omitempty"`
	Format       Format    `json:"format,omitempty"`
	Pages        []Page    `json:"pages"`
	Metadata     Metadata  `json:"metadata"`
	Warnings     []Warning `json:"warnings"`
	Error        Reason    `json:"error,omitempty"`
	ErrorMessage string    `json:"error_message,omitempty"`
}

// MarshalJSON writes the document with "error" set to the Reason when extraction failed.
func (d *Document) MarshalJSON() ([]byte, error) {
	j := documentJSON{File: d.File, SHA256: d.SHA256, Size: d.Size, Format: d.Format, Pages: d.Pages,
		Metadata: d.Metadata, Warnings: d.Warnings}
	if j.Pages == nil {
		j.Pages = []Page{}
	}
	if j.Warnings == nil {
		j.Warnings = []Warning{}
	}
	if d.Err != nil {
		j.Error, j.ErrorMessage = d.Err.Reason, d.Err.Error()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (d *Document) UnmarshalJSON(b []byte) error {
	var j documentJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*d = Document{File: j.File, SHA256: j.SHA256, Size: j.Size, Format: j.Format, Pages: j.Pages,
		Metadata: j.Metadata, Warnings: j.Warnings}
	if j.Error != "" {
		d.Err = &Error{Reason: j.Error, Detail: j.ErrorMessage}
		if p := j.Error.Label() + ": "; len(j.ErrorMessage) > len(p) && j.ErrorMessage[:len(p)] == p {
			d.Err.Detail = j.ErrorMessage[len(p):]
		} else if j.ErrorMessage == j.Error.Label() {
			d.Err.Detail = ""
		}
	}
	return nil
}
