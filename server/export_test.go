package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"ketnoi/corpus"
)

// TestExportAPI: staff only; each kind and format downloads with its type and a file name, the JSONL has
// one line per record; a kind not offered is bad_kind in the one error shape.
func TestExportAPI(t *testing.T) {
	e := newBrokerEnv(t)
	counts, err := e.st.Counts()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path, key string
		status          int
		contentType     string
	}{
		{"no key", "/api/v1/export?kind=result", "", http.StatusUnauthorized, ""},
		{"broker key", "/api/v1/export?kind=need", e.broker, http.StatusForbidden, ""},
		{"csv", "/api/v1/export?kind=result", e.staff, http.StatusOK, "text/csv"},
		{"xlsx", "/api/v1/export?kind=need&format=xlsx", e.staff, http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"jsonl", "/api/v1/export?kind=need&format=jsonl", e.staff, http.StatusOK, "application/x-ndjson"},
		{"feedback", "/api/v1/export?kind=feedback&format=csv", e.staff, http.StatusOK, "text/csv"},
		{"bad kind", "/api/v1/export?kind=keys", e.staff, http.StatusBadRequest, ""},
		{"bad format", "/api/v1/export?kind=result&format=pdf", e.staff, http.StatusBadRequest, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body, h := e.do(t, "GET", c.path, c.key, "")
			if code != c.status {
				t.Fatalf("%d, want %d: %.200s", code, c.status, body)
			}
			if code != http.StatusOK {
				if !bytes.Contains(body, []byte(`"code"`)) || !bytes.Contains(body, []byte(`"message"`)) {
					t.Errorf("error not in the one shape: %s", body)
				}
				return
			}
			if !strings.HasPrefix(h.Get("Content-Type"), c.contentType) || !strings.Contains(h.Get("Content-Disposition"), "attachment; filename=\"ketnoi-") {
				t.Errorf("headers %v", h)
			}
			if strings.Contains(c.path, "jsonl") {
				if n := bytes.Count(body, []byte("\n")); n != counts[corpus.KindNeed] {
					t.Errorf("%d lines, %d needs", n, counts[corpus.KindNeed])
				}
			}
		})
	}
}

// TestExportXLSXCellTooLong: a result whose summary is longer than a spreadsheet cell holds cannot be
// exported as XLSX; staff are told so (which record's field, and to take JSONL), not given a server error,
// and the other formats still export it.
func TestExportXLSXCellTooLong(t *testing.T) {
	e := newBrokerEnv(t)
	long, _ := json.Marshal(map[string]string{"summary": strings.Repeat("Quy trình chế biến cá ngừ đại dương. ", 1000)})
	if code, body, _ := e.do(t, "PATCH", "/api/v1/results/kq-ts-044", e.staff, string(long)); code != http.StatusOK {
		t.Fatalf("long summary: %d %.200s", code, body)
	}
	for _, c := range []struct {
		format string
		status int
	}{{"csv", http.StatusOK}, {"jsonl", http.StatusOK}, {"xlsx", http.StatusUnprocessableEntity}} {
		t.Run(c.format, func(t *testing.T) {
			code, body, _ := e.do(t, "GET", "/api/v1/export?kind=result&format="+c.format, e.staff, "")
			if code != c.status {
				t.Fatalf("%d, want %d: %.300s", code, c.status, body)
			}
			if code == http.StatusOK {
				return
			}
			var ae APIError
			if err := json.Unmarshal(body, &ae); err != nil || ae.Code != "cell_too_long" ||
				!strings.Contains(ae.Message, "kq-ts-044") || !strings.Contains(ae.Message, "summary") || !strings.Contains(ae.Message, "JSONL") {
				t.Errorf("refusal: %s", body)
			}
		})
	}
}
