package server

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus"
	"ketnoi/internal/csvsafe"
)

// csvOut writes CSV for spreadsheets: a UTF-8 byte order mark first (without it Excel reads UTF-8 as the
// local code page and Vietnamese comes out garbled), and every cell made safe from formula injection
// (internal/csvsafe, the one CSV writer of the project).
type csvOut struct{ w *csvsafe.Writer }

func newCSV(w io.Writer) *csvOut {
	io.WriteString(w, "\ufeff") // a failed write shows again in the writer's error
	return &csvOut{w: csvsafe.NewWriter(w)}
}

func (c *csvOut) Write(rec []string) {
	_ = c.w.Write(rec) // errors stay in the writer, returned by Flush
}

func (c *csvOut) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

// sendCSV answers a CSV download named NAME-YYYYMMDD.csv (the province's date).
func sendCSV(c echo.Context, name string, write func(io.Writer) error) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-%s.csv"`, name,
		time.Now().In(corpus.Vietnam).Format("20060102")))
	c.Response().WriteHeader(http.StatusOK)
	return write(c.Response())
}

// formatParam reads ?format=, one of allowed (the first is the default).
func formatParam(c echo.Context, allowed ...string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(c.QueryParam("format")))
	if v == "" {
		return allowed[0], nil
	}
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", apiErr(http.StatusBadRequest, "bad_format", "format chỉ nhận "+strings.Join(allowed, ", ")+".")
}

// boolParam reads a yes/no query parameter: 1, true, 0, false or nothing.
func boolParam(c echo.Context, name string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(c.QueryParam(name))) {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, apiErr(http.StatusBadRequest, "bad_"+name, name+" chỉ nhận 1 (có) hoặc 0 (không).")
}
