package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
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

// feedbackKey is what a decision must keep through export and import: everything, with the score and its
// components as the spreadsheet exports round them.
func feedbackKey(f server.FeedbackJSON) string {
	comps := map[string]string{}
	for k, v := range f.Components {
		comps[k] = fmt.Sprintf("%.3f", v)
	}
	b, _ := json.Marshal([]any{f.NeedID, f.ResultID, f.Decision, f.Reason, f.Note, f.Time.UTC(), f.Actor, fmt.Sprintf("%.3f", f.Score), comps, f.Rank, f.Superseded})
	return string(b)
}

func feedbackOf(t *testing.T, data string) ([]string, string) {
	t.Helper()
	st, err := corpus.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := server.FeedbackRows(st, "", false)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, feedbackKey(r))
	}
	// The stored states (the sample's deadlines may have passed, which only the effective state shows).
	var states []string
	for _, id := range []string{"nc-001", "nc-002"} {
		ns, err := st.NeedStatus(id)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, ns.State)
	}
	return out, strings.Join(states, ",")
}

// TestExportFeedbackRoundTrip: broker decisions (a pair accepted then rejected, another accepted, with a
// note a spreadsheet would run) exported as CSV, XLSX and JSONL import into a fresh data directory as the
// same decisions — time, who, score, history — and the need's state follows them as it did; importing
// again adds nothing. A kind or format not offered is a usage error in Vietnamese that writes nothing.
func TestExportFeedbackRoundTrip(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "corpus", "sample", "data", "*.jsonl"))
	sampleDir := func() string {
		data := filepath.Join(t.TempDir(), "data")
		if code, _, errOut := ketnoi(t, append([]string{"index", "--data", data}, files...)...); code != 0 {
			t.Fatalf("index: %d %s", code, errOut)
		}
		return data
	}
	data := sampleDir()
	st, err := corpus.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	actor := corpus.FeedbackActor{ID: "k1", Name: "Môi giới Bình", Role: "broker"}
	for _, f := range []corpus.Feedback{
		{NeedID: "nc-001", ResultID: "kq-ts-001", Decision: corpus.DecisionAccept, Note: "=1+1 ghi chú", Score: 0.71234, Components: map[string]float64{"text": 0.5}, Rank: 2, Actor: actor},
		{NeedID: "nc-001", ResultID: "kq-ts-001", Decision: corpus.DecisionReject, Reason: "price", Actor: actor},
		{NeedID: "nc-002", ResultID: "kq-ts-003", Decision: corpus.DecisionAccept, Reason: "good_fit", Actor: actor},
	} {
		if _, _, err := st.AddFeedback(f); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	want, wantState := feedbackOf(t, data)
	if len(want) != 3 || wantState != corpus.NeedPublished+","+corpus.NeedMatched {
		t.Fatalf("%d decisions stored, states %s", len(want), wantState)
	}
	for _, format := range []string{"csv", "xlsx", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "qd."+format)
			if code, _, errOut := ketnoi(t, "export", "--data", data, "--kind", "feedback", file); code != 0 {
				t.Fatalf("export: %d %s", code, errOut)
			}
			if b, _ := os.ReadFile(file); format == "csv" && !bytes.Contains(b, []byte("'=1+1 ghi chú")) {
				t.Errorf("csv: the note's formula is not neutralised")
			}
			fresh := sampleDir()
			if code, out, errOut := ketnoi(t, "feedback", "import", "--data", fresh, file); code != 0 || !strings.Contains(out, "Đã nhập 3 ") {
				t.Fatalf("import: %d %s %s", code, out, errOut)
			}
			got, gotState := feedbackOf(t, fresh)
			if strings.Join(got, "\n") != strings.Join(want, "\n") || gotState != wantState {
				t.Errorf("after the round trip (state %s, want %s):\n%s\nwant\n%s", gotState, wantState, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if code, out, _ := ketnoi(t, "feedback", "import", "--data", fresh, file); code != 0 || !strings.Contains(out, "Đã nhập 0 quyết định (3 đã có sẵn") {
				t.Errorf("second import: %d %s", code, out)
			}
		})
	}
	// A decision about a need the data directory does not have is reported by its row; the others go in.
	bad := filepath.Join(t.TempDir(), "qd.jsonl")
	writeFile(t, bad, `{"need_id":"nc-khong-co","result_id":"kq-ts-001","decision":"accept","time":"2026-01-02T03:04:05Z"}
{"need_id":"nc-003","result_id":"kq-ts-001","decision":"accept","time":"2026-01-02T03:04:05Z"}
`)
	code, out, errOut := ketnoi(t, "feedback", "import", "--data", sampleDir(), bad)
	if code != 1 || !strings.Contains(errOut, "dòng 1") || !strings.Contains(out, "Đã nhập 1 ") {
		t.Errorf("import with a bad row: %d %q %q", code, out, errOut)
	}
	// A score or component of NaN or Inf (strconv reads them, JSON cannot carry them) is refused by its row.
	badCSV := filepath.Join(t.TempDir(), "qd.csv")
	writeFile(t, badCSV, "time,need_id,result_id,decision,score,component_text\n"+
		"2026-01-02T03:04:05Z,nc-003,kq-ts-002,accept,NaN,0.5\n"+
		"2026-01-02T03:04:05Z,nc-003,kq-ts-003,accept,0.5,Inf\n"+
		"2026-01-02T03:04:05Z,nc-003,kq-ts-004,accept,0.5,0.4\n")
	code, out, errOut = ketnoi(t, "feedback", "import", "--data", sampleDir(), badCSV)
	if code != 1 || !strings.Contains(errOut, "cột score") || !strings.Contains(errOut, "cột component_text") || !strings.Contains(out, "Đã nhập 1 ") {
		t.Errorf("import with NaN and Inf: %d %q %q", code, out, errOut)
	}
	if code, out, errOut := ketnoi(t, "feedback", "export", "--data", sampleDir(), "--json"); code != 0 {
		t.Errorf("export after the import: %d %q %q", code, out, errOut)
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
