package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ketnoi/corpus"
	"ketnoi/server"
)

// storeRecords reads every live record of a data directory by id, as JSON, with the fields a format does
// not carry taken out.
func storeRecords(t *testing.T, data string, drop ...string) map[string]map[string]any {
	t.Helper()
	st, err := corpus.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string]map[string]any{}
	err = st.Each(func(e *corpus.Entry) error {
		rec, err := e.Decode()
		if err != nil {
			return err
		}
		b, _ := json.Marshal(rec)
		var m map[string]any
		json.Unmarshal(b, &m)
		for _, d := range drop {
			delete(m, d)
		}
		out[e.ID] = m
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestExportImportRoundTrip: results and needs exported as CSV, XLSX and JSONL import with ketnoi index
// into a fresh data directory as the same records (CSV and XLSX without the full text, which only JSONL
// carries), including a title a spreadsheet would run as a formula and codes with leading zeros.
func TestExportImportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	extra := filepath.Join(dir, "extra.jsonl")
	writeFile(t, extra, `{"id":"kq-cong-thuc","kind":"result","title":"=HYPERLINK(\"http://x\";\"Xem\") máy sấy","keywords":["sấy","-lạnh"],"sectors":["01"],"body":"Toàn văn báo cáo; có dấu chấm phẩy.","trl":4,"price_vnd":{"min":0,"max":5000000},"year":2024}
{"id":"nc-cong-thuc","kind":"need","title":"@SUM(1) cần máy bóc vỏ","description":"Cần máy bóc vỏ điều.","enterprise":"Cơ sở +Một","contact":"0909 000 000","confidentiality":"broker_only","standing":true,"broker":"Môi giới Bình","budget_vnd":{"min":10000000,"max":0},"sectors":["10"]}
`)
	var sample []string
	files, _ := filepath.Glob(filepath.Join("..", "..", "corpus", "sample", "data", "*.jsonl"))
	sample = append(sample, files...)
	if code, _, errOut := ketnoi(t, append([]string{"index", "--data", src, extra}, sample...)...); code != 0 {
		t.Fatalf("index: %d %s", code, errOut)
	}
	spreadsheetDrops := []string{"body", "pages", "extraction", "edited"}
	for _, c := range []struct {
		kind, format string
		drop         []string
	}{
		{corpus.KindResult, "csv", spreadsheetDrops},
		{corpus.KindResult, "xlsx", spreadsheetDrops},
		{corpus.KindResult, "jsonl", nil},
		{corpus.KindNeed, "csv", spreadsheetDrops},
		{corpus.KindNeed, "xlsx", spreadsheetDrops},
		{corpus.KindNeed, "jsonl", nil},
	} {
		t.Run(c.kind+"-"+c.format, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "xuat."+c.format)
			if code, _, errOut := ketnoi(t, "export", "--data", src, "--kind", c.kind, file); code != 0 {
				t.Fatalf("export: %d %s", code, errOut)
			}
			if c.format == "csv" {
				b, _ := os.ReadFile(file)
				if !bytes.HasPrefix(b, []byte("\ufeff")) {
					t.Errorf("CSV without BOM")
				}
				rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				for _, row := range rows {
					for _, cell := range row {
						if cell != "" && strings.ContainsRune("=@", rune(cell[0])) {
							t.Errorf("live formula in the CSV: %q", cell)
						}
					}
				}
			}
			fresh := filepath.Join(t.TempDir(), "data")
			if code, _, errOut := ketnoi(t, "index", "--data", fresh, file); code != 0 {
				t.Fatalf("index of the export: %d %s", code, errOut)
			}
			want, got := map[string]map[string]any{}, storeRecords(t, fresh, c.drop...)
			for id, m := range storeRecords(t, src, c.drop...) {
				if m["kind"] == c.kind {
					want[id] = m
				}
			}
			if len(got) != len(want) || len(want) < 2 {
				t.Fatalf("%d records imported, %d exported", len(got), len(want))
			}
			for id, w := range want {
				wb, _ := json.Marshal(w)
				gb, _ := json.Marshal(got[id])
				if !bytes.Equal(wb, gb) {
					t.Errorf("%s differs after the round trip:\n got %s\nwant %s", id, gb, wb)
				}
			}
		})
	}
}

// TestExportFeedbackAndErrors: decisions export in the three formats with the same rows as the feedback
// export; a kind or format not offered is a usage error in Vietnamese that writes nothing.
func TestExportFeedbackAndErrors(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	files, _ := filepath.Glob(filepath.Join("..", "..", "corpus", "sample", "data", "*.jsonl"))
	if code, _, errOut := ketnoi(t, append([]string{"index", "--data", data}, files...)...); code != 0 {
		t.Fatalf("index: %d %s", code, errOut)
	}
	st, err := corpus.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []corpus.Feedback{
		{NeedID: "nc-001", ResultID: "kq-ts-001", Decision: corpus.DecisionAccept, Note: "=1+1 ghi chú"},
		{NeedID: "nc-001", ResultID: "kq-ts-001", Decision: corpus.DecisionReject, Reason: "price"},
	} {
		if _, _, err := st.AddFeedback(f); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := server.FeedbackRows(st, "", false)
	st.Close()
	if err != nil || len(rows) != 2 {
		t.Fatalf("feedback rows: %v %d", err, len(rows))
	}
	for _, format := range []string{"csv", "xlsx", "jsonl"} {
		file := filepath.Join(t.TempDir(), "qd."+format)
		if code, _, errOut := ketnoi(t, "export", "--data", data, "--kind", "feedback", file); code != 0 {
			t.Fatalf("%s: %d %s", format, code, errOut)
		}
		b, _ := os.ReadFile(file)
		switch format {
		case "jsonl":
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			var first server.FeedbackJSON
			if len(lines) != len(rows) || json.Unmarshal([]byte(lines[0]), &first) != nil || first.Seq != rows[0].Seq || first.Note != rows[0].Note {
				t.Errorf("jsonl: %d lines for %d decisions: %.200s", len(lines), len(rows), b)
			}
		case "csv":
			if !bytes.Contains(b, []byte("'=1+1 ghi chú")) {
				t.Errorf("csv: the note's formula is not neutralised: %s", b)
			}
		case "xlsx":
			if !bytes.HasPrefix(b, []byte("PK")) {
				t.Errorf("xlsx is not a zip")
			}
		}
	}
	for _, args := range [][]string{
		{"--kind", "users", "x.csv"},
		{"--kind", "result", "x.pdf"},
		{"--kind", "result"},
	} {
		file := filepath.Join(t.TempDir(), args[len(args)-1])
		code, _, errOut := ketnoi(t, append([]string{"export", "--data", data}, append(args[:len(args)-1], file)...)...)
		if len(args) == 2 {
			code, _, errOut = ketnoi(t, append([]string{"export", "--data", data}, args...)...)
		}
		if code != 2 || errOut == "" {
			t.Errorf("export %v: exit %d, %q", args, code, errOut)
		}
		if _, err := os.Stat(file); err == nil && len(args) == 3 {
			t.Errorf("export %v wrote %s", args, file)
		}
	}
}
