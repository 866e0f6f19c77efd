// Package pdffixture builds PDFs in memory, from Go code, for the tests of PDF text extraction
// (ketnoi/indexer/extract). Each fixture carries the text a reader sees on each page, so a test can compare
// what an extractor gives with a golden text, and CI needs no LibreOffice, Word or TeX to make the files.
//
// The fixtures reproduce what real Vietnamese research reports look like inside: LibreOffice's Type0
// fonts with ToUnicode maps, Acrobat's wide bfrange maps, Word's font switching mid-word, TeX's text
// without space glyphs, legacy TCVN3 (.VnTime) and VNI fonts, scanned pages with and without an OCR text
// layer, and the broken, encrypted and hostile files a crawler meets. The low-level Builder writes the
// objects, streams, fonts, pages, cross-reference table and trailer, so a new case is a few lines.
//
// The fonts are real: the glyphs of DejaVu Sans (Debian package fonts-dejavu-core) are embedded, since
// the Go fonts lack the Vietnamese letters (U+1EA0–U+1EF9). Constructors return an error wrapping
// ErrNoFont when that font is not installed, and tests skip (or fail under KETNOI_REQUIRE_TOOLS=1).
//
// Everything is deterministic: the same code gives the same bytes, so golden files never churn.
package pdffixture

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Fixture is one PDF with what an extractor should make of it.
type Fixture struct {
	Name  string // short, file-name safe, e.g. "clean", "two-columns"
	About string // one line: what it reproduces, and for hostile files what a careful extractor does
	PDF   []byte
	// Pages is the golden text per page, as a reader sees it (NFC, lines joined by "\n"); nil when
	// WantErr is set. Compare after collapsing whitespace: line breaks are layout, not content.
	Pages []string
	// WantErr is the typed reason a careful extractor ends with ("encrypted", "malformed",
	// "unsupported", "too_large", "timeout", "no_text"), or "" when the text must come out.
	WantErr string
	// NeedsOCR is set when the text is only in an image.
	NeedsOCR bool
	// Password is the user password of an encrypted fixture, so a test can check that the file is
	// readable with it (and so that the encryption, not a broken file, is what stops a reader).
	Password string
}

// Text is the golden text of the whole file: the pages joined by form feeds, as pdftotext writes them.
func (f Fixture) Text() string { return strings.Join(f.Pages, "\f") }

// WriteAll writes NAME.pdf and NAME.txt (pages joined by "\f"; for a fixture with WantErr, the reason)
// for each fixture into dir, for manual runs of pdftotext, a viewer or the extractor.
func WriteAll(dir string, fs []Fixture) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range fs {
		if f.Name == "" || strings.ContainsAny(f.Name, `/\ `) {
			return fmt.Errorf("pdffixture: bad fixture name %q", f.Name)
		}
		txt := f.Text()
		if f.WantErr != "" {
			txt = "error: " + f.WantErr + "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name+".pdf"), f.PDF, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name+".txt"), []byte(txt), 0o644); err != nil {
			return err
		}
	}
	return nil
}
