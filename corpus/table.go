package corpus

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"ketnoi/internal/csvsafe"
)

// Exports for spreadsheets and other exchanges. A Table is records as rows of text cells, in the columns
// the CSV reader (recordio.go) takes back, so an exported file imports again with `ketnoi index` into the
// same records. Spreadsheet exports carry the catalogue fields, not the full text (body, pages) nor the
// extraction details, which only the JSONL export (the record format) keeps.

// Table is a header and rows of cells.
type Table struct {
	Header []string
	Rows   [][]string
	// Lines are the rows' places in the file read (ReadTable): record numbers, the header being 1.
	Lines []int
}

// Columns of the spreadsheet exports, in the record format's field names; ranges take two columns.
var (
	ResultColumns = []string{"id", "kind", "title", "summary", "summary_en", "keywords", "applications", "advantages",
		"field_codes", "sectors", "trl", "ip_status", "transfer_forms", "price_vnd.min", "price_vnd.max", "organization",
		"authors", "year", "province", "legacy_province", "locality", "language", "updated_at"}
	NeedColumns = []string{"id", "kind", "title", "description", "enterprise", "enterprise_size", "scale", "sectors",
		"field_codes", "min_trl", "budget_vnd.min", "budget_vnd.max", "transfer_forms", "province", "legacy_province",
		"locality", "confidentiality", "contact", "deadline", "updated_at", "standing", "broker"}
)

// RecordTable lays records of one kind out in its columns: lists joined with ";", numbers and yes/no as
// the CSV reader reads them, an empty cell for a value not stated.
func RecordTable(kind string, recs []Record) (*Table, error) {
	cols := ResultColumns
	if kind == KindNeed {
		cols = NeedColumns
	}
	t := &Table{Header: cols}
	for _, rec := range recs {
		b, err := json.Marshal(rec)
		if err != nil {
			return nil, fmt.Errorf("bản ghi %s: %w", rec.RecordID(), err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("bản ghi %s: %w", rec.RecordID(), err)
		}
		row := make([]string, len(cols))
		for i, c := range cols {
			v := m[c]
			if name, bound, ok := strings.Cut(c, "."); ok {
				r, _ := m[name].(map[string]any)
				v = r[bound]
			}
			row[i] = cellText(v)
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

// cellText writes one JSON value as a cell: zero numbers and false are "not stated".
func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		if x == 0 {
			return ""
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if !x {
			return ""
		}
		return "true"
	case []any:
		items := make([]string, len(x))
		for i, it := range x {
			items[i] = cellText(it)
		}
		return strings.Join(items, csvListSep)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// WriteCSV writes the table as CSV for spreadsheets: a UTF-8 byte order mark (Excel reads UTF-8 right only
// with it), and every cell neutralised against formula injection (internal/csvsafe; the reader takes the
// quote away again).
func (t *Table) WriteCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csvsafe.NewWriter(w)
	cw.Write(t.Header)
	for _, r := range t.Rows {
		cw.Write(r)
	}
	cw.Flush()
	return cw.Error()
}

// XLSXSheet is the name of the sheet an export writes (the reader takes the first sheet, whatever its name).
const XLSXSheet = "ketnoi"

// maxXLSXCell is the most characters a spreadsheet cell holds (Excel's limit).
const maxXLSXCell = 32767

// CellTooLongError is a value longer than a spreadsheet cell holds: the table cannot be written as XLSX.
// It is the data's limit, not a failure of the writer, so that callers can say so.
type CellTooLongError struct {
	Row    int // in the sheet, the header being 1
	Column string
	Record string // the row's id, when the table has an id column first
}

func (e *CellTooLongError) Error() string {
	where := fmt.Sprintf("dòng %d", e.Row)
	if e.Record != "" {
		where = fmt.Sprintf("bản ghi %s (dòng %d)", e.Record, e.Row)
	}
	return fmt.Sprintf("%s, cột %s: ô dài hơn %d ký tự, bảng tính không chứa được (hãy xuất JSONL)", where, e.Column, maxXLSXCell)
}

// WriteXLSX writes the table as an Excel workbook of one sheet, every cell a text cell: a spreadsheet
// never runs text as a formula, and codes such as "01" keep their leading zero.
func (t *Table) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", XLSXSheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(XLSXSheet)
	if err != nil {
		return err
	}
	write := func(n int, cells []string) error {
		row := make([]any, len(cells))
		for i, c := range cells {
			if len(c) > maxXLSXCell && len([]rune(c)) > maxXLSXCell {
				e := &CellTooLongError{Row: n, Column: t.Header[i]}
				if t.Header[0] == "id" {
					e.Record = cells[0]
				}
				return e
			}
			row[i] = excelize.Cell{Value: c}
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, row)
	}
	if err := write(1, t.Header); err != nil {
		return err
	}
	for i, r := range t.Rows {
		if err := write(i+2, r); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// readXLSX reads the first sheet of a workbook as the CSV reader reads a file: a header row of field
// names, then a record per row.
func readXLSX(r io.Reader, emit func(Parsed) error) error {
	f, err := excelize.OpenReader(r)
	if err != nil {
		// Not a workbook: no line to point at.
		return emit(Parsed{Problems: Problems{{Severity: Rejected, Code: ProblemUnreadableFile, Message: "không mở được bảng tính XLSX: " + err.Error()}}})
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil
	}
	props, _ := f.GetWorkbookProps()
	date1904 := props.Date1904 != nil && *props.Date1904
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return fmt.Errorf("đọc trang %q: %w", sheets[0], err)
	}
	defer rows.Close()
	var header []string
	for line := 1; rows.Next(); line++ {
		row, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			if e := emit(Parsed{Line: line, Problems: Problems{{Severity: Rejected, Code: ProblemBadCSV, Message: "dòng bảng tính hỏng: " + err.Error()}}}); e != nil {
				return e
			}
			continue
		}
		if header == nil {
			header = normaliseHeader(row)
			continue
		}
		if len(row) > len(header) {
			if e := emit(Parsed{Line: line, Problems: Problems{{Severity: Rejected, Code: ProblemBadCSV,
				Message: fmt.Sprintf("dòng có %d cột, tiêu đề có %d cột", len(row), len(header))}}}); e != nil {
				return e
			}
			continue
		}
		if blank(row) {
			continue // spreadsheets keep empty rows that were once formatted
		}
		// A sheet leaves out the empty cells at the end of a row.
		row = append(row, make([]string, len(header)-len(row))...)
		for i, h := range header {
			if xlsxDateColumns[h] {
				row[i] = xlsxDate(row[i], date1904)
			}
		}
		if err := emit(tableRow(header, row, line)); err != nil {
			return err
		}
	}
	return rows.Error()
}

// xlsxDateColumns are the record fields that hold a date: a date typed into a sheet is stored as a
// serial day number, which the raw cell value gives.
var xlsxDateColumns = map[string]bool{"deadline": true, "updated_at": true}

// xlsxDate writes a cell holding a serial day number as the date it stands for (YYYY-MM-DD, with the
// time when it has one); any other value is left as it is.
func xlsxDate(v string, date1904 bool) string {
	n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || n <= 0 || n >= 2958466 { // 9999-12-31 is the last day a sheet knows
		return v
	}
	t, err := excelize.ExcelDateToTime(n, date1904)
	if err != nil {
		return v
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04:05")
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// ReadTable reads a CSV file or the first sheet of a workbook whole, as our exports write them: the
// header row, then the rows, each padded to the header's width, with csvsafe's quotes taken off.
func ReadTable(r io.Reader, format Format) (*Table, error) {
	var rows [][]string
	switch format {
	case FormatCSV:
		cr := newCSVReader(r)
		var err error
		if rows, err = cr.ReadAll(); err != nil {
			return nil, fmt.Errorf("đọc CSV: %w", err)
		}
	case FormatXLSX:
		f, err := excelize.OpenReader(r)
		if err != nil {
			return nil, fmt.Errorf("mở bảng tính XLSX: %w", err)
		}
		defer f.Close()
		if rows, err = f.GetRows(f.GetSheetList()[0], excelize.Options{RawCellValue: true}); err != nil {
			return nil, fmt.Errorf("đọc bảng tính XLSX: %w", err)
		}
	default:
		return nil, fmt.Errorf("định dạng bảng %q không hỗ trợ: chỉ CSV hoặc XLSX", format)
	}
	if len(rows) == 0 {
		return &Table{}, nil
	}
	t := &Table{Header: normaliseHeader(rows[0])}
	for n, row := range rows[1:] {
		if blank(row) {
			continue
		}
		for i := range row {
			row[i] = csvsafe.Plain(row[i])
		}
		t.Rows = append(t.Rows, append(row, make([]string, max(len(t.Header)-len(row), 0))...))
		t.Lines = append(t.Lines, n+2)
	}
	return t, nil
}
