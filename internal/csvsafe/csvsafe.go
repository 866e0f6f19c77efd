// Package csvsafe writes CSV that a spreadsheet opens as data, never as formulas. Excel, LibreOffice and
// Google Sheets run a cell that starts with = + - or @ (and, in some versions, a tab or a carriage return
// before them) as a formula: a record title such as `=HYPERLINK("http://…","Xem")` or `@SUM(…)` typed by
// anyone who can submit a record would run on the desktop of whoever opens our export ("CSV injection").
// Such a cell is written with a leading single quote, which every spreadsheet shows as text and hides.
// Plain numbers ("-5", "+84", "1.5") are left alone: they are not formulas, and a quote would turn them
// into text.
//
// Every CSV the project writes goes through Writer (internal/archtest checks that no other package calls
// encoding/csv's NewWriter): use csvsafe.NewWriter wherever csv.NewWriter would be used.
package csvsafe

import (
	"encoding/csv"
	"io"
	"strings"
)

// Cell returns s as it must be written: with a leading single quote when a spreadsheet would run it.
func Cell(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) || isNumber(s) {
		return s
	}
	return "'" + s
}

// Plain undoes Cell: a cell read back from one of our exports (or typed with the same quote in a
// spreadsheet) loses the quote that kept it from running. A text that itself began with a quote and a
// formula sign comes back without the quote: as every spreadsheet shows it.
func Plain(s string) string {
	if len(s) > 1 && s[0] == '\'' && Cell(s[1:]) == s {
		return s[1:]
	}
	return s
}

// isNumber says whether s is a plain decimal number with an optional sign: digits with at most one
// decimal point or comma, nothing else.
func isNumber(s string) bool {
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	digits, seps := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case (c == '.' || c == ',') && seps == 0:
			seps++
		default:
			return false
		}
	}
	return digits > 0
}

// Writer is encoding/csv's Writer with every cell passed through Cell.
type Writer struct {
	w   *csv.Writer
	buf []string
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: csv.NewWriter(w)} }

// Write writes one record, each cell neutralised.
func (w *Writer) Write(record []string) error {
	w.buf = w.buf[:0]
	for _, c := range record {
		w.buf = append(w.buf, Cell(c))
	}
	return w.w.Write(w.buf)
}

// Flush writes any buffered data; Error reports an error of a previous Write or Flush.
func (w *Writer) Flush() { w.w.Flush() }

// Error reports any error that has occurred during a previous Write or Flush.
func (w *Writer) Error() error { return w.w.Error() }
