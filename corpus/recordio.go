package corpus

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"ketnoi/corpus/vntext"
	"ketnoi/internal/csvsafe"
)

// Format of a record file.
type Format string

const (
	FormatJSON  Format = "json"  // one object, or an array of objects
	FormatJSONL Format = "jsonl" // one object per line
	FormatCSV   Format = "csv"   // a header row of field names, then one record per row
	FormatXLSX  Format = "xlsx"  // an Excel workbook: its first sheet laid out as the CSV format
)

// recordExts are the extensions of record files and their formats, in the order they are named to users.
var recordExts = []struct {
	ext    string
	format Format
}{{".csv", FormatCSV}, {".json", FormatJSON}, {".jsonl", FormatJSONL}, {".ndjson", FormatJSONL}, {".xlsx", FormatXLSX}}

// FormatOf returns the record format of a file name by its extension, or "".
func FormatOf(name string) Format {
	ext := strings.ToLower(filepath.Ext(name))
	for _, r := range recordExts {
		if r.ext == ext {
			return r.format
		}
	}
	return ""
}

// RecordExts returns the extensions FormatOf knows (".csv", ...), for forms and messages.
func RecordExts() []string {
	exts := make([]string, len(recordExts))
	for i, r := range recordExts {
		exts[i] = r.ext
	}
	return exts
}

// Parsed is one record read from a file, with its place and its problems. Record is nil when the record
// could not be read at all.
type Parsed struct {
	Record   Record
	Line     int
	Problems Problems
}

// MaxRecordBytes bounds one JSON record (a full report body included).
const MaxRecordBytes = 16 << 20

// ReadRecords reads every record of r, calling fn for each, good or bad, in order. A bad record never stops
// the file; only an error returned by fn or a failure of r itself does. name is used in problems.
func ReadRecords(name string, r io.Reader, format Format, fn func(Parsed) error) error {
	// A workbook is a zip of UTF-8 XML: no legacy encoding to guess.
	if format == FormatXLSX {
		return readXLSX(r, func(p Parsed) error { return fn(inFile(name, p)) })
	}
	// A file saved in a legacy 8-bit encoding (TCVN3, VNI, VISCII, Windows-1258) is converted first; the
	// first record carries the warning that says so.
	r, note, err := legacyToUTF8(r)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	emit := func(p Parsed) error {
		if n := note(); n != nil {
			p.Problems = append(Problems{*n}, p.Problems...)
		}
		return fn(inFile(name, p))
	}
	switch format {
	case FormatJSONL:
		return readJSONL(r, emit)
	case FormatJSON:
		return readJSON(r, emit)
	case FormatCSV:
		return readCSV(r, emit)
	}
	return fmt.Errorf("%s: định dạng bản ghi không hỗ trợ %q", name, format)
}

// inFile places a record's problems in the file.
func inFile(name string, p Parsed) Parsed {
	for i := range p.Problems {
		p.Problems[i].File = name
		if p.Problems[i].Line == 0 {
			p.Problems[i].Line = p.Line
		}
	}
	return p
}

func readJSONL(r io.Reader, emit func(Parsed) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	line := 0
	for {
		b, err := readLine(br, MaxRecordBytes)
		if err == io.EOF {
			return nil
		}
		line++
		if errors.Is(err, errLineTooLong) {
			if e := emit(Parsed{Line: line, Problems: Problems{{Severity: Rejected, Code: ProblemBadJSON, Message: fmt.Sprintf("dòng dài quá %d MB", MaxRecordBytes>>20)}}}); e != nil {
				return e
			}
			continue
		}
		if err != nil {
			return err
		}
		if line == 1 {
			b = bytes.TrimPrefix(b, utf8BOM)
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		p := DecodeRecord(b)
		p.Line = line
		if e := emit(p); e != nil {
			return e
		}
	}
}

var errLineTooLong = errors.New("line too long")

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readLine reads one line without its newline; a line longer than max is consumed and reported.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > max {
			for err == bufio.ErrBufferFull {
				_, err = br.ReadSlice('\n')
			}
			if err != nil && err != io.EOF {
				return nil, err
			}
			return nil, errLineTooLong
		}
		buf = append(buf, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(buf) > 0 {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
		return bytes.TrimRight(buf, "\r\n"), nil
	}
}

// errJSONEnd stops readJSONValues at a syntax error, which has been reported.
var errJSONEnd = errors.New("JSON hỏng")

func readJSON(r io.Reader, emit func(Parsed) error) error {
	data, err := io.ReadAll(io.LimitReader(r, 1<<30))
	if err != nil {
		return err
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		// Nothing to point at: no line.
		return emit(Parsed{Problems: Problems{{Severity: Rejected, Code: ProblemUnreadableFile, Message: "tệp rỗng, không có bản ghi nào"}}})
	}
	if trimmed[0] != '[' && json.Valid(trimmed) {
		p := DecodeRecord(trimmed)
		p.Line = 1
		return emit(p)
	}
	// A sequence of top-level values (one array, or arrays and objects one after another, as files
	// joined end to end are): each object is a record, each array's elements are, decoded one by one so
	// that one bad element loses only itself. Nothing after the first array is left unread.
	if err := readJSONValues(data, emit); err != errJSONEnd {
		return err
	}
	return nil
}

// readJSONValues reads the records of a sequence of top-level JSON values.
func readJSONValues(data []byte, emit func(Parsed) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	// valueLine is the line where the value starting at or after offset begins.
	valueLine := func(offset int64) int {
		return lineAt(data, offset+int64(len(data[offset:])-len(bytes.TrimLeft(data[offset:], " \t\r\n,"))))
	}
	emitted := false
	// startsJSON: the file opens as JSON does (an array or an object), so a syntax error is JSON broken
	// somewhere, not a file that is not JSON at all.
	first := bytes.TrimLeft(data, " \t\r\n")
	startsJSON := len(first) > 0 && (first[0] == '[' || first[0] == '{')
	// broken reports the rest of the file as unreadable and ends the reading (errJSONEnd, or emit's error);
	// broken before its first record, nothing of the file can be read: it is unreadable as a whole (with
	// the line where it breaks, and said to be no JSON at all when it does not even start as JSON).
	broken := func(offset int64, err error) error {
		line := valueLine(offset)
		pr := Problem{Severity: Rejected, Code: ProblemBadJSON, Message: "JSON hỏng từ đây đến hết tệp, phần còn lại không đọc được: " + jsonErrorText(err)}
		if !emitted {
			pr.Code = ProblemUnreadableFile
			if !startsJSON {
				pr.Message = "không phải JSON hợp lệ: " + jsonErrorText(err)
			}
		}
		if e := emit(Parsed{Line: line, Problems: Problems{pr}}); e != nil {
			return e
		}
		return errJSONEnd
	}
	// record reads the next value as one record.
	record := func() error {
		offset := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return broken(offset, err)
		}
		p := DecodeRecord(raw)
		p.Line = valueLine(offset)
		emitted = true
		return emit(p)
	}
	for {
		offset := dec.InputOffset()
		if len(bytes.TrimSpace(data[offset:])) == 0 {
			return nil
		}
		if bytes.TrimLeft(data[offset:], " \t\r\n")[0] != '[' {
			if err := record(); err != nil {
				return err
			}
			continue
		}
		if _, err := dec.Token(); err != nil {
			return broken(offset, err)
		}
		for dec.More() {
			if err := record(); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // the closing bracket
			return broken(dec.InputOffset(), err)
		}
	}
}

func lineAt(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	return bytes.Count(data[:offset], []byte{'\n'}) + 1
}

// parseRecord decodes a record of a known kind, keeping fields the type does not know in Extra; it neither
// validates nor normalises.
func parseRecord(kind string, b []byte) (Record, error) {
	var rec Record
	switch kind {
	case KindResult:
		rec = &Result{}
	case KindNeed:
		rec = &Need{}
	default:
		return nil, fmt.Errorf("loại bản ghi %q không hợp lệ", kind)
	}
	if err := json.Unmarshal(b, rec); err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	known := knownFields(rec)
	for k, raw := range fields {
		if !known[k] {
			setExtra(rec, k, raw)
		}
	}
	return rec, nil
}

// DecodeRecord reads one JSON object as a record: kind decides the type; unknown fields are kept and
// reported; a record that cannot be read is returned with Record nil and a Rejected problem.
func DecodeRecord(b []byte) Parsed {
	reject := func(code, field, msg string) Parsed {
		return Parsed{Problems: Problems{{Severity: Rejected, Code: code, Field: field, Message: msg}}}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "" {
			return reject(ProblemBadJSON, "", "bản ghi phải là một đối tượng JSON {...}")
		}
		return reject(ProblemBadJSON, "", "JSON hỏng: "+jsonErrorText(err))
	}
	id := rawString(fields["id"])
	var kind string
	if raw, ok := fields["kind"]; ok {
		if err := json.Unmarshal(raw, &kind); err != nil {
			p := reject(ProblemWrongType, "kind", "kind phải là chuỗi \"result\" hoặc \"need\"")
			p.Problems[0].ID = id
			return p
		}
	}
	var rec Record
	switch kind {
	case KindResult:
		rec = &Result{}
	case KindNeed:
		rec = &Need{}
	case "":
		p := reject(ProblemMissingField, "kind", "thiếu loại bản ghi (kind: \"result\" hoặc \"need\")")
		p.Problems[0].ID = id
		return p
	default:
		p := reject(ProblemBadValue, "kind", fmt.Sprintf("loại bản ghi %q không hợp lệ (phải là \"result\" hoặc \"need\")", kind))
		p.Problems[0].ID = id
		return p
	}
	if err := json.Unmarshal(b, rec); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			p := reject(ProblemWrongType, te.Field, fmt.Sprintf("sai kiểu dữ liệu: cần %s, gặp %s", typeName(te.Type), jsonKindName(te.Value)))
			p.Problems[0].ID = id
			return p
		}
		p := reject(ProblemBadJSON, "", "JSON hỏng: "+jsonErrorText(err))
		p.Problems[0].ID = id
		return p
	}
	var probs Problems
	known := knownFields(rec)
	for k, raw := range fields {
		if known[k] {
			continue
		}
		setExtra(rec, k, raw)
		probs = append(probs, Problem{ID: id, Field: k, Severity: Warning, Code: ProblemUnknownField, Message: "trường không có trong định dạng bản ghi; vẫn được giữ"})
	}
	probs = append(probs, Normalize(rec)...)
	if probs.Rejected() {
		return Parsed{Problems: probs}
	}
	return Parsed{Record: rec, Problems: probs}
}

func rawString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	return ""
}

func setExtra(rec Record, k string, raw json.RawMessage) {
	switch r := rec.(type) {
	case *Result:
		if r.Extra == nil {
			r.Extra = map[string]json.RawMessage{}
		}
		r.Extra[k] = raw
	case *Need:
		if r.Extra == nil {
			r.Extra = map[string]json.RawMessage{}
		}
		r.Extra[k] = raw
	}
}

var knownFieldsCache sync.Map // reflect.Type → map[string]bool

// knownFields is the set of JSON names of a record type's fields.
func knownFields(rec Record) map[string]bool {
	t := reflect.TypeOf(rec).Elem()
	if m, ok := knownFieldsCache.Load(t); ok {
		return m.(map[string]bool)
	}
	m := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = true
		}
	}
	knownFieldsCache.Store(t, m)
	return m
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "chuỗi"
	case reflect.Int, reflect.Int64:
		return "số nguyên"
	case reflect.Slice:
		return "danh sách [...]"
	case reflect.Struct:
		return "đối tượng {\"min\", \"max\"}"
	case reflect.Bool:
		return "true/false"
	}
	return t.String()
}

func jsonKindName(v string) string {
	switch v {
	case "string":
		return "chuỗi"
	case "number":
		return "số"
	case "array":
		return "danh sách"
	case "object":
		return "đối tượng"
	case "bool":
		return "true/false"
	}
	if strings.HasPrefix(v, "number") {
		return "số " + strings.TrimPrefix(v, "number ")
	}
	return v
}

func jsonErrorText(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "tệp kết thúc giữa chừng (thiếu dấu đóng } hoặc ])"
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("lỗi cú pháp ở byte %d (%s)", se.Offset, se.Error())
	}
	return err.Error()
}

// CSV columns that are lists use ";" between items; ranges use two columns, "price_vnd.min" and
// "price_vnd.max" ("price_vnd_min" is accepted too).
const csvListSep = ";"

// newCSVReader reads CSV without its byte order mark, separated as its header row is: by commas, or by
// semicolons or tabs when the header has no comma (Excel saves "CSV" with semicolons where the decimal
// mark is a comma, as in Vietnamese settings).
func newCSVReader(r io.Reader) *csv.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, utf8BOM) {
		br.Discard(3)
	}
	head, _ := br.Peek(64 << 10)
	if i := bytes.IndexAny(head, "\r\n"); i >= 0 {
		head = head[:i]
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	if !bytes.ContainsRune(head, ',') {
		if bytes.ContainsRune(head, ';') {
			cr.Comma = ';'
		} else if bytes.ContainsRune(head, '\t') {
			cr.Comma = '\t'
		}
	}
	return cr
}

func readCSV(r io.Reader, emit func(Parsed) error) error {
	cr := newCSVReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		// The header's line, which blank lines before it push down.
		line := 1
		var pe *csv.ParseError
		if errors.As(err, &pe) && pe.StartLine > 0 {
			line = pe.StartLine
		}
		return emit(Parsed{Line: line, Problems: Problems{{Severity: Rejected, Code: ProblemUnreadableFile, Message: "không đọc được dòng tiêu đề CSV: " + csvErrorText(err)}}})
	}
	header = normaliseHeader(header)
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				if e := emit(Parsed{Line: pe.StartLine, Problems: Problems{{Severity: Rejected, Code: ProblemBadCSV, Message: "dòng CSV hỏng: " + csvErrorText(pe.Err)}}}); e != nil {
					return e
				}
				continue
			}
			return err
		}
		// Only a row that was read has field positions (FieldPos panics after a parse error).
		line, _ := cr.FieldPos(0)
		if len(row) != len(header) {
			if e := emit(Parsed{Line: line, Problems: Problems{{Severity: Rejected, Code: ProblemBadCSV,
				Message: fmt.Sprintf("dòng có %d cột, tiêu đề có %d cột", len(row), len(header))}}}); e != nil {
				return e
			}
			continue
		}
		if e := emit(tableRow(header, row, line)); e != nil {
			return e
		}
	}
}

// csvErrorText says in Vietnamese what is wrong with a CSV row.
func csvErrorText(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return "dấu ngoặc kép \" nằm giữa một ô không mở bằng ngoặc kép (ô có \" phải nằm trong ngoặc kép, \" viết thành \"\")"
	case errors.Is(err, csv.ErrQuote):
		return "ô mở bằng ngoặc kép \" mà không đóng đúng chỗ (thiếu \" đóng, hoặc \" bên trong chưa viết thành \"\")"
	}
	return err.Error()
}

// normaliseHeader makes column names as the record format spells them.
func normaliseHeader(header []string) []string {
	for i := range header {
		header[i] = strings.ToLower(strings.TrimSpace(header[i]))
	}
	return header
}

// tableRow reads one row of a CSV file or a sheet with as many cells as the header.
func tableRow(header, row []string, line int) Parsed {
	obj, probs := csvRowToJSON(header, row)
	p := Parsed{Line: line, Problems: probs}
	if !probs.Rejected() {
		b, _ := json.Marshal(obj)
		d := DecodeRecord(b)
		p.Record, p.Problems = d.Record, append(p.Problems, d.Problems...)
	}
	return p
}

// csvTypes says how to read each typed CSV column; every other column is a string.
var csvTypes = map[string]string{
	"keywords": "list", "field_codes": "list", "sectors": "list", "transfer_forms": "list", "authors": "list", "links": "list",
	"trl": "int", "min_trl": "int", "year": "int", "standing": "bool",
	"price_vnd.min": "range", "price_vnd.max": "range", "budget_vnd.min": "range", "budget_vnd.max": "range",
}

func csvRowToJSON(header, row []string) (map[string]any, Problems) {
	obj := map[string]any{}
	var probs Problems
	id := ""
	for i, h := range header {
		if h == "id" {
			id = strings.TrimSpace(row[i])
		}
	}
	for i, h := range header {
		// A cell our exports quoted against formula injection comes back as it was.
		v := csvsafe.Plain(strings.TrimSpace(row[i]))
		if h == "" || v == "" {
			continue
		}
		col := strings.Replace(h, "_min", ".min", 1)
		col = strings.Replace(col, "_max", ".max", 1)
		switch csvTypes[col] {
		case "list":
			var items []string
			for _, s := range strings.Split(v, csvListSep) {
				if s = strings.TrimSpace(s); s != "" {
					items = append(items, s)
				}
			}
			obj[h] = items
		case "int":
			n, err := strconv.Atoi(v)
			if err != nil {
				probs = append(probs, Problem{ID: id, Field: h, Severity: Rejected, Code: ProblemWrongType, Message: fmt.Sprintf("cần số nguyên, gặp %q", v)})
				continue
			}
			obj[h] = n
		case "bool":
			b, ok := csvBool(v)
			if !ok {
				probs = append(probs, Problem{ID: id, Field: h, Severity: Rejected, Code: ProblemWrongType, Message: fmt.Sprintf("cần có/không (true/false), gặp %q", v)})
				continue
			}
			obj[h] = b
		case "range":
			name, bound, _ := strings.Cut(col, ".")
			n, err := strconv.ParseInt(strings.NewReplacer(".", "", ",", "", " ", "").Replace(v), 10, 64)
			if err != nil {
				probs = append(probs, Problem{ID: id, Field: h, Severity: Rejected, Code: ProblemWrongType, Message: fmt.Sprintf("cần số tiền (VND), gặp %q", v)})
				continue
			}
			m, _ := obj[name].(map[string]int64)
			if m == nil {
				m = map[string]int64{}
				obj[name] = m
			}
			m[bound] = n
		default:
			obj[h] = v
		}
	}
	return obj, probs
}

// csvBool reads a yes/no cell as people type it in a spreadsheet.
func csvBool(v string) (bool, bool) {
	switch vntext.FoldKey(v) {
	case "true", "1", "x", "yes", "co", "c":
		return true, true
	case "false", "0", "no", "khong", "k":
		return false, true
	}
	return false, false
}
