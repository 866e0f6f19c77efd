package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"ketnoi/corpus"
	"ketnoi/internal/corpustest"
)

// TestExportAPI: staff only; each kind and format downloads with its type and a file name, the JSONL has
// one line per record; a kind not offered is bad_kind in the one error shape.
func TestExportAPI(t *testing.T) {
	tmp := t.TempDir() // where the exports are written before they are sent
	t.Setenv("TMPDIR", tmp)
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
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("exports left %d temporary files", len(left))
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

// heapProbe is a writer that, at its first write, measures the live heap: what the exporter holds by the
// time it starts writing.
type heapProbe struct {
	heap  uint64
	wrote bool
}

func (p *heapProbe) Write(b []byte) (int, error) {
	if !p.wrote {
		p.wrote = true
		p.heap = liveHeap()
	}
	return len(b), nil
}

func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestExportStreams: an export does not hold the corpus with its full text in memory — JSONL writes each
// record as it is read, CSV and XLSX keep only the rows — so a large corpus cannot exhaust the server's
// memory: the heap when writing starts is far below the text the store holds.
func TestExportStreams(t *testing.T) {
	_, st, _ := corpustest.Empty(t)
	const n, bodyBytes = 120, 250 << 10 // 30 MB of full text
	putLongResults(t, st, n, bodyBytes)
	for _, format := range []string{"jsonl", "csv", "xlsx"} {
		t.Run(format, func(t *testing.T) {
			base := liveHeap()
			p := &heapProbe{}
			if got, err := WriteExport(p, st, corpus.KindResult, format); err != nil || got != n {
				t.Fatalf("export: %d records, %v", got, err)
			}
			if held := int64(p.heap) - int64(base); held > n*bodyBytes/2 {
				t.Errorf("%d MB on the heap when the export started writing: the corpus's text is %d MB", held>>20, n*bodyBytes>>20)
			}
		})
	}
}

// putLongResults stores n results with bodyBytes of full text each, as reports extracted from PDFs have.
func putLongResults(t *testing.T, st *corpus.Store, n, bodyBytes int) {
	t.Helper()
	body := strings.Repeat("Quy trình chưng cất tinh dầu quế bằng hơi nước quy mô nông hộ. ", bodyBytes/70)
	var recs []corpus.Record
	for i := range n {
		recs = append(recs, &corpus.Result{ID: fmt.Sprintf("kq-dai-%03d", i), Kind: corpus.KindResult,
			Title: "Báo cáo dài số " + strconv.Itoa(i), Body: body + strconv.Itoa(i)})
	}
	if _, err := st.Put(recs, "test"); err != nil {
		t.Fatal(err)
	}
}
