package corpus

import (
	"strings"
	"testing"
)

// FuzzDecodeRecord: any bytes give a record or a rejection with problems, never a panic; an accepted
// record has an id and a title.
func FuzzDecodeRecord(f *testing.F) {
	for _, s := range []string{`{"id":"kq-1","kind":"result","title":"Máy sấy"}`, `{"id":"nc-1","kind":"need","title":"Cần","budget_vnd":{"min":1}}`,
		`{"kind":"result"}`, `[]`, `{"id":1}`, `{"id":"x","kind":"need","title":"t","confidentiality":"?"}`, "{\"id\":\"a\",\"kind\":\"result\",\"title\":\"B\u00b6o\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := DecodeRecord(b)
		if p.Record == nil {
			if !p.Problems.Rejected() {
				t.Fatalf("no record and no rejection for %q", b)
			}
			return
		}
		if p.Record.RecordID() == "" || p.Record.RecordTitle() == "" {
			t.Fatalf("accepted a record without id or title: %q", b)
		}
	})
}

// FuzzReadRecordsCSV: any CSV input is read to the end, each row a record or problems naming its line.
func FuzzReadRecordsCSV(f *testing.F) {
	for _, s := range []string{"id,kind,title\nkq-1,result,Máy sấy\n", "id,kind,title,trl\nkq-1,result,A,sáu\n", "\"\n", "id\n\"x", "a,b\n1,2,3\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ReadRecords("f.csv", strings.NewReader(s), FormatCSV, func(p Parsed) error {
			if p.Record == nil && len(p.Problems) == 0 {
				t.Fatalf("row with neither record nor problem in %q", s)
			}
			return nil
		})
		_ = err // a file-level error (no header) is a fine answer; a panic is not
	})
}
