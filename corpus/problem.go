package corpus

import (
	"fmt"
	"strings"
)

// Severity of a problem found in a record.
type Severity string

const (
	// Warning: the record goes in as written (an unknown code is kept), and the problem is reported.
	Warning Severity = "warning"
	// Rejected: the record cannot be read and does not go in; the rest of the file does.
	Rejected Severity = "error"
)

// Problem codes: stable English identifiers, for reports and the API.
const (
	ProblemBadJSON      = "bad_json"
	ProblemBadCSV       = "bad_csv"
	ProblemMissingField = "missing_field"
	ProblemWrongType    = "wrong_type"
	ProblemBadValue     = "bad_value"
	ProblemUnknownCode  = "unknown_code"
	ProblemUnknownField = "unknown_field"
	ProblemOutOfRange   = "out_of_range"
	ProblemDuplicateID  = "duplicate_id"
	// ProblemUnreadableFile: nothing of the file could be read (not JSON, not a workbook, no CSV header).
	ProblemUnreadableFile = "unreadable_file"
	// ProblemKeptDeleted: the row holds a record staff deleted, which the import left deleted (a notice
	// of the server's import answer; see KeptDeletedMessage).
	ProblemKeptDeleted = "kept_deleted"
	// ProblemRepairedEncoding: text in a legacy Vietnamese encoding was converted to Unicode.
	ProblemRepairedEncoding = "repaired_encoding"
)

// Problem is one thing wrong with one record: where (file, line, id, field), how bad, and what.
type Problem struct {
	File     string   `json:"file,omitempty"`
	Line     int      `json:"line,omitempty"`
	ID       string   `json:"id,omitempty"`
	Field    string   `json:"field,omitempty"`
	Severity Severity `json:"severity"`
	Code     string   `json:"code"`
	// Message says what is wrong, in Vietnamese.
	Message string `json:"message"`
}

// String renders the problem for a person: "mau.csv, dòng 12 (kq-01), trường trl: ... [cảnh báo]".
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
	}
	if p.Line > 0 {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "dòng %d", p.Line)
	}
	if p.ID != "" {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "(%s)", p.ID)
	}
	if p.Field != "" {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "trường %s", p.Field)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	if p.Severity == Warning {
		b.WriteString(" [cảnh báo]")
	} else {
		b.WriteString(" [bị loại]")
	}
	return b.String()
}

// Problems is a list of problems.
type Problems []Problem

// Rejected reports whether any problem rejects the record.
func (ps Problems) Rejected() bool {
	for _, p := range ps {
		if p.Severity == Rejected {
			return true
		}
	}
	return false
}

// String is the problems, one per line.
func (ps Problems) String() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
