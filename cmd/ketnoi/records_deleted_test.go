package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// storedResults is the number of results `ketnoi stats` counts in data.
func storedResults(t *testing.T, data string) int {
	t.Helper()
	_, out, _ := ketnoi(t, "stats", "--data", data, "--json")
	var st struct {
		Records map[string]int `json:"records"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("stats --json: %v\n%s", err, out)
	}
	return st.Records["result"]
}

// TestIndexKeepsDeletedRecords: a record staff deleted is not brought back by its record file imported
// again — even with the row changed — in every record format: the row is reported with its line, the
// summary counts it apart, the run succeeds and the other rows are updated; --restore-deleted brings it
// back as the file has it now.
func TestIndexKeepsDeletedRecords(t *testing.T) {
	type row struct{ id, title string }
	cases := []struct {
		name   string
		file   string
		render func([]row) string
		line   int // of the deleted row
	}{
		{"csv", "ket-qua.csv", func(rs []row) string {
			s := "id,kind,title\n"
			for _, r := range rs {
				s += r.id + ",result," + r.title + "\n"
			}
			return s
		}, 3},
		{"jsonl", "ket-qua.jsonl", func(rs []row) string {
			s := ""
			for _, r := range rs {
				s += fmt.Sprintf(`{"id": %q, "kind": "result", "title": %q}`+"\n", r.id, r.title)
			}
			return s
		}, 2},
		{"json", "ket-qua.json", func(rs []row) string {
			var objs []string
			for _, r := range rs {
				objs = append(objs, fmt.Sprintf(`{"id": %q, "kind": "result", "title": %q}`, r.id, r.title))
			}
			return "[\n" + strings.Join(objs, ",\n") + "\n]\n"
		}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			data, file := filepath.Join(dir, "data"), filepath.Join(dir, c.file)
			write := func(rs ...row) {
				if err := os.WriteFile(file, []byte(c.render(rs)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write(row{"kq-a", "Máy bóc vỏ hạt điều"}, row{"kq-b", "Quy trình nuôi ốc hương"}, row{"kq-c", "Chế phẩm Trichoderma"})
			if code, out, errOut := ketnoi(t, "index", "--data", data, file); code != 0 {
				t.Fatalf("index: %d\n%s\n%s", code, out, errOut)
			}
			if code, out, errOut := ketnoi(t, "delete", "--data", data, "kq-b"); code != 0 {
				t.Fatalf("delete: %d\n%s\n%s", code, out, errOut)
			}
			// The source of the file changes the deleted row too: staff deleted the id, it stays deleted.
			write(row{"kq-a", "Máy bóc vỏ hạt điều"}, row{"kq-b", "Quy trình nuôi ốc hương (bản sửa)"}, row{"kq-c", "Chế phẩm Trichoderma ủ phân"})
			code, out, errOut := ketnoi(t, "index", "--data", data, file)
			wantLine := fmt.Sprintf("%s, dòng %d (kq-b): bản ghi kq-b đã bị xoá; nhập hay thu thập lại không đưa nó trở lại, kể cả khi nội dung đã đổi", file, c.line)
			if code != 0 || !strings.Contains(out, wantLine) ||
				!strings.Contains(out, "3 bản ghi đọc được; 0 mới, 1 cập nhật, 1 không đổi, 1 bản ghi đã bị xoá (không đưa lại; --restore-deleted để khôi phục)") {
				t.Errorf("index again: exit %d, want 0, and the line %q\n%s\n%s", code, wantLine, out, errOut)
			}
			if n := storedResults(t, data); n != 2 {
				t.Errorf("%d results after importing the file again, want 2: the deleted one came back", n)
			}
			if _, out, _ := ketnoi(t, "search", "--data", data, "--json", "ốc hương"); strings.Contains(out, "kq-b") {
				t.Errorf("the deleted record is found again:\n%s", out)
			}
			code, out, errOut = ketnoi(t, "index", "--data", data, "--restore-deleted", file)
			if code != 0 || !strings.Contains(out, "1 mới, 0 cập nhật, 2 không đổi;") || strings.Contains(out, "đã bị xoá") {
				t.Errorf("index --restore-deleted: exit %d\n%s\n%s", code, out, errOut)
			}
			if _, out, _ := ketnoi(t, "search", "--data", data, "--json", "ốc hương bản sửa"); !strings.Contains(out, `"id": "kq-b"`) {
				t.Errorf("not brought back as the file has it:\n%s", out)
			}
		})
	}
}

// TestHarvestCommandKeepsDeletedRecords: `ketnoi harvest` asking the whole repository again does not bring
// back the record staff deleted, says which and counts it; --restore-deleted does bring it back.
func TestHarvestCommandKeepsDeletedRecords(t *testing.T) {
	const head = `<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2025-06-01T10:00:00Z</responseDate><request>https://kho.example.edu.vn/oai</request>`
	record := func(n int, title string) string {
		return fmt.Sprintf(`<record><header><identifier>oai:kho.example.edu.vn:%d</identifier><datestamp>2025-05-30T08:00:00Z</datestamp></header>
<metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title>%s</dc:title></oai_dc:dc></metadata></record>`, n, title)
	}
	var mu sync.Mutex
	title := "Nuôi cá rô phi đơn tính"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "text/xml")
		if r.Form.Get("verb") == "Identify" {
			fmt.Fprint(w, head+`<Identify><repositoryName>Kho</repositoryName><baseURL>https://kho.example.edu.vn/oai</baseURL>
<protocolVersion>2.0</protocolVersion><adminEmail>a@kho.example.edu.vn</adminEmail><earliestDatestamp>2010-01-01T00:00:00Z</earliestDatestamp>
<deletedRecord>persistent</deletedRecord><granularity>YYYY-MM-DDThh:mm:ssZ</granularity></Identify></OAI-PMH>`)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprint(w, head+"<ListRecords>"+record(1, title)+record(2, "Sấy cá cơm bằng năng lượng mặt trời")+"</ListRecords></OAI-PMH>")
	}))
	defer ts.Close()
	data := filepath.Join(t.TempDir(), "data")
	harvest := func(extra ...string) (int, string, string) {
		return ketnoi(t, append([]string{"harvest", "--data", data, "--no-files"}, append(extra, ts.URL)...)...)
	}
	if code, out, errOut := harvest(); code != 0 || !strings.Contains(out, "2 mới") {
		t.Fatalf("harvest: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := ketnoi(t, "delete", "--data", data, "1"); code != 0 {
		t.Fatalf("delete: %d\n%s\n%s", code, out, errOut)
	}
	mu.Lock()
	title += " (bản sửa)"
	mu.Unlock()
	code, out, errOut := harvest("--restart")
	if code != 0 || !strings.Contains(out, "oai:kho.example.edu.vn:1: bản ghi 1 đã bị xoá") ||
		!strings.Contains(out, "0 mới, 0 cập nhật, 1 không đổi, 0 xoá, 1 bản ghi đã bị xoá (không đưa lại; --restore-deleted để khôi phục)") {
		t.Errorf("harvest again: exit %d\n%s\n%s", code, out, errOut)
	}
	if n := storedResults(t, data); n != 1 {
		t.Errorf("%d results after harvesting again, want 1: the deleted one came back", n)
	}
	code, out, errOut = harvest("--restart", "--restore-deleted")
	if code != 0 || !strings.Contains(out, "1 mới, 0 cập nhật, 1 không đổi") || storedResults(t, data) != 2 {
		t.Errorf("harvest --restore-deleted: exit %d\n%s\n%s", code, out, errOut)
	}
}
