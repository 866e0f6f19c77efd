package corpus

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestImportUnreadableFile: a record file nothing of which can be read is an UnreadableError, whose
// messages keep the line where reading it broke when there is one, and say JSON broken from there when
// the file starts as JSON (an array whose first object lacks a comma) rather than that it is no JSON.
func TestImportUnreadableFile(t *testing.T) {
	for _, tc := range []struct {
		name, file, text string
		line             int    // of the problem; 0 for none
		want, not        string // in the message; never in it
	}{
		{"array, first object broken", "ds.json", "[\n  {\"id\": \"kq-01\" \"kind\": \"result\", \"title\": \"Máy bóc vỏ hạt sen\"},\n  {\"id\": \"kq-02\", \"kind\": \"result\", \"title\": \"Máy sàng hạt tiêu\"}\n]\n",
			2, "JSON hỏng từ đây đến hết tệp", "không phải JSON"},
		{"not JSON at all", "ds.json", "\n<html>\n<body>Không tìm thấy trang</body>\n</html>\n", 2, "không phải JSON hợp lệ", "JSON hỏng"},
		{"empty JSON file", "ds.json", " \n\n", 0, "tệp rỗng", "dòng"},
		{"empty workbook", "ds.xlsx", "", 0, "không mở được bảng tính XLSX", "dòng"},
		{"CSV header broken", "ds.csv", "\nid,\"tiêu đề,kind\nkq-01,Máy bóc vỏ,result\n", 2, "không đọc được dòng tiêu đề CSV", "byte"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			c, err := s.ImportRecords(strings.NewReader(tc.text), tc.file, FormatOf(tc.file), "test", "", false, ImportHooks{})
			var ue *UnreadableError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v (%T), want *UnreadableError", err, err)
			}
			if c != (ImportCounts{}) || ue.Problem.Code != ProblemUnreadableFile || ue.Problem.File != tc.file || ue.Problem.Line != tc.line {
				t.Errorf("counts %+v, problem %+v; want line %d", c, ue.Problem, tc.line)
			}
			where := ""
			if tc.line > 0 {
				where = fmt.Sprintf("dòng %d: ", tc.line)
			}
			for _, msg := range []string{ue.Detail(), ue.Error()} {
				if !strings.Contains(msg, where+tc.want) || strings.Contains(msg, tc.not) {
					t.Errorf("message %q: want %q, without %q", msg, where+tc.want, tc.not)
				}
			}
			if !strings.HasPrefix(ue.Error(), "tệp không đọc được: ") || !strings.HasPrefix(ue.Detail(), where) {
				t.Errorf("Error %q, Detail %q", ue.Error(), ue.Detail())
			}
		})
	}
	// A CSV file with only a header, or empty, has no record and nothing wrong.
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, text := range []string{"", "id,kind,title\n"} {
		if c, err := s.ImportRecords(strings.NewReader(text), "ds.csv", FormatCSV, "test", "", false, ImportHooks{}); err != nil || c != (ImportCounts{}) {
			t.Errorf("CSV %q: %+v, %v", text, c, err)
		}
	}
}

// ImportRecords runs each batch's write through Around, once a batch; an error of Around stops the import,
// with the batches before it written and counted.
func TestImportRecordsAround(t *testing.T) {
	var jsonl strings.Builder
	for i := range 2*ImportBatch + 10 {
		fmt.Fprintf(&jsonl, `{"id": "kq-%04d", "kind": "result", "title": "Kết quả số %d"}`+"\n", i, i)
	}
	stop := errors.New("máy chủ đang dừng")
	for _, c := range []struct {
		name           string
		stopAt         int // the Around call that refuses (0: none)
		calls, written int
	}{
		{"every batch", 0, 3, 2*ImportBatch + 10},
		{"stopped at the second batch", 2, 2, ImportBatch},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			calls, kicks := 0, 0
			counts, err := st.ImportRecords(strings.NewReader(jsonl.String()), "ket-qua.jsonl", FormatJSONL, "test", "", false, ImportHooks{
				Written: func() { kicks++ },
				Around: func(write func() error) error {
					calls++
					if calls == c.stopAt {
						return stop
					}
					return write()
				},
			})
			if c.stopAt > 0 != errors.Is(err, stop) || calls != c.calls || counts.Added != c.written || kicks != c.written/ImportBatch+min(c.written%ImportBatch, 1) {
				t.Errorf("err %v, %d calls, %d added, %d kicks; want %d calls, %d added", err, calls, counts.Added, kicks, c.calls, c.written)
			}
			if n, _ := st.Counts(); n[KindResult] != c.written {
				t.Errorf("%d results stored, want %d", n[KindResult], c.written)
			}
		})
	}
}
