package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus"
)

// Exports of results, needs and brokers' decisions (staff only: needs include those only brokers may
// see, decisions the brokers' notes) as CSV and XLSX for spreadsheets, which `ketnoi index` imports
// again, and as JSONL — the record format, full text included — for another exchange to import.

// KindFeedback exports brokers' decisions.
const KindFeedback = "feedback"

var (
	exportKinds   = []string{corpus.KindResult, corpus.KindNeed, KindFeedback}
	exportFormats = []string{"csv", "xlsx", "jsonl"}
	exportTypes   = map[string]string{
		"csv":   "text/csv; charset=utf-8",
		"xlsx":  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"jsonl": "application/x-ndjson; charset=utf-8",
	}
)

// ExportError is a kind or format not offered, in Vietnamese.
func ExportError(kind, format string) error {
	if !contains(exportKinds, kind) {
		return fmt.Errorf("loại %q không xuất được: chọn %s", kind, strings.Join(exportKinds, ", "))
	}
	if !contains(exportFormats, format) {
		return fmt.Errorf("định dạng %q không xuất được: chọn %s", format, strings.Join(exportFormats, ", "))
	}
	return nil
}

// WriteExport writes every live record of kind (result, need) or every broker decision (feedback, with
// its history) in format, and says how many it wrote. Records are written (JSONL) or laid out as a row
// (CSV, XLSX) one at a time as the store is read, so that a corpus with its full text is never held whole
// in memory.
func WriteExport(w io.Writer, st *corpus.Store, kind, format string) (int, error) {
	if err := ExportError(kind, format); err != nil {
		return 0, err
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	var table *corpus.Table
	n := 0
	if kind == KindFeedback {
		rows, err := FeedbackRows(st, "", false)
		if err != nil {
			return 0, err
		}
		table, n = FeedbackTable(rows), len(rows)
		for i := range rows {
			if format == "jsonl" {
				if err := enc.Encode(&rows[i]); err != nil {
					return 0, fmt.Errorf("xuất %s dạng %s: %w", kind, format, err)
				}
			}
		}
	} else {
		table, _ = corpus.RecordTable(kind, nil)
		err := st.Each(func(e *corpus.Entry) error {
			if e.Kind != kind {
				return nil
			}
			rec, err := e.Decode()
			if err != nil {
				return err
			}
			n++
			if format == "jsonl" {
				return enc.Encode(rec)
			}
			row, err := corpus.RecordTable(kind, []corpus.Record{rec})
			if err != nil {
				return err
			}
			table.Rows = append(table.Rows, row.Rows...)
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("xuất %s dạng %s: %w", kind, format, err)
		}
	}
	var err error
	switch format {
	case "csv":
		err = table.WriteCSV(w)
	case "xlsx":
		err = table.WriteXLSX(w)
	case "jsonl":
		err = bw.Flush()
	}
	if err != nil {
		return 0, fmt.Errorf("xuất %s dạng %s: %w", kind, format, err)
	}
	return n, nil
}

// apiExport answers GET /api/v1/export?kind=result|need|feedback&format=csv|xlsx|jsonl as a download.
func (s *Server) apiExport(c echo.Context) error {
	if s.store == nil {
		return apiErr(http.StatusServiceUnavailable, "no_store", "Máy chủ này không có kho dữ liệu.")
	}
	kind := strings.ToLower(strings.TrimSpace(c.QueryParam("kind")))
	if !contains(exportKinds, kind) {
		return apiErr(http.StatusBadRequest, "bad_kind", "kind chỉ nhận "+strings.Join(exportKinds, ", ")+".")
	}
	format, err := formatParam(c, exportFormats...)
	if err != nil {
		return err
	}
	// Written to a temporary file first: an error half way must be an error response, not a truncated
	// file, and a corpus with its full text is too large to hold in memory.
	f, err := os.CreateTemp("", "ketnoi-xuat-*")
	if err != nil {
		return fmt.Errorf("tệp tạm để xuất: %w", err)
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	if _, err := WriteExport(f, s.store, kind, format); err != nil {
		var long *corpus.CellTooLongError
		if errors.As(err, &long) {
			return apiErr(http.StatusUnprocessableEntity, "cell_too_long", "Không xuất được dạng XLSX: "+long.Error()+".")
		}
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("đọc lại tệp xuất: %w", err)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="ketnoi-%s-%s.%s"`, kind,
		time.Now().In(corpus.Vietnam).Format("20060102"), format))
	return sendSliding(c, exportTypes[format], f)
}
