package corpus

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"

	"ketnoi/corpus/vntext"
	"ketnoi/internal/pdffixture"
)

// TestLegacyRecordFiles: a CSV saved in TCVN3 or VNI bytes is read as Unicode with one warning; a
// Unicode field holding .VnTime mojibake is repaired with a warning naming the field; clean Vietnamese
// is left alone.
func TestLegacyRecordFiles(t *testing.T) {
	const csvText = "id,kind,title,summary\nkq-1,result,Bảo đảm chất lượng sản phẩm cá cơm,Quy trình sấy bằng năng lượng mặt trời\n"
	for _, enc := range []vntext.Encoding{vntext.TCVN3, vntext.VNI} {
		raw, err := pdffixture.EncodeLegacy(csvText, enc)
		if err != nil {
			t.Fatal(err)
		}
		var got []Parsed
		if err := ReadRecords("x.csv", strings.NewReader(string(raw)), FormatCSV, func(p Parsed) error { got = append(got, p); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Record == nil {
			t.Fatalf("%s: %+v", enc, got)
		}
		r := got[0].Record.(*Result)
		if r.Title != "Bảo đảm chất lượng sản phẩm cá cơm" || len(got[0].Problems) == 0 || got[0].Problems[0].Code != ProblemRepairedEncoding {
			t.Errorf("%s: title %q, problems %v", enc, r.Title, got[0].Problems)
		}
	}

	tests := []struct {
		title, want string
		warned      bool
	}{
		{"B¶o ®¶m chÊt l\u00adîng s¶n phÈm", "Bảo đảm chất lượng sản phẩm", true},
		{"Bảo đảm chất lượng sản phẩm à é ô", "Bảo đảm chất lượng sản phẩm à é ô", false},
		{"Máy sấy ® cá cơm", "Máy sấy ® cá cơm", false},
	}
	for _, tt := range tests {
		p := DecodeRecord([]byte(`{"id":"kq-2","kind":"result","title":` + quote(tt.title) + `}`))
		if p.Record == nil {
			t.Fatalf("%q: %v", tt.title, p.Problems)
		}
		warned := false
		for _, pr := range p.Problems {
			if pr.Code == ProblemRepairedEncoding && pr.Field == "title" {
				warned = true
			}
		}
		if got := p.Record.(*Result).Title; got != tt.want || warned != tt.warned {
			t.Errorf("%q: got %q (warned %v), want %q (warned %v)", tt.title, got, warned, tt.want, tt.warned)
		}
	}
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// TestLegacyPartAfterUTF8: a record file that starts in UTF-8 (more than the part looked at first) and
// goes on in a legacy encoding, as files joined together do: the legacy lines are read as the Unicode
// they stand for, with a warning naming the line they start at, not turned into U+FFFD.
func TestLegacyPartAfterUTF8(t *testing.T) {
	for _, tt := range []struct {
		format Format
		enc    vntext.Encoding
		head   string
		row    func(i int, title string) string
	}{
		{FormatCSV, vntext.CP1258, "id,kind,title\n", func(i int, title string) string { return fmt.Sprintf("kq-%d,result,%s\n", i, title) }},
		{FormatCSV, vntext.TCVN3, "id,kind,title\n", func(i int, title string) string { return fmt.Sprintf("kq-%d,result,%s\n", i, title) }},
		{FormatJSONL, vntext.VNI, "", func(i int, title string) string {
			return fmt.Sprintf("{\"id\":\"kq-%d\",\"kind\":\"result\",\"title\":\"%s\"}\n", i, title)
		}},
	} {
		t.Run(string(tt.format)+"/"+string(tt.enc), func(t *testing.T) {
			var b strings.Builder
			b.WriteString(tt.head)
			n := 0
			for b.Len() < 100<<10 {
				n++
				b.WriteString(tt.row(n, "Máy sấy cá cơm bằng bơm nhiệt"))
			}
			late, err := pdffixture.EncodeLegacy(tt.row(n+1, "Giống lúa chịu hạn ở Phù Cát"), tt.enc)
			if err != nil {
				t.Fatal(err)
			}
			text := b.String() + string(late) + tt.row(n+2, "Lò sấy tiết kiệm củi")
			lateLine := strings.Count(b.String(), "\n") + 1
			var got []Parsed
			if err := ReadRecords("noi.x", strings.NewReader(text), tt.format, func(p Parsed) error { got = append(got, p); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(got) != n+2 {
				t.Fatalf("%d records, want %d", len(got), n+2)
			}
			if r, ok := got[n].Record.(*Result); !ok || r.Title != "Giống lúa chịu hạn ở Phù Cát" {
				t.Errorf("legacy line read as %+v", got[n])
			}
			if r, ok := got[n+1].Record.(*Result); !ok || r.Title != "Lò sấy tiết kiệm củi" {
				t.Errorf("UTF-8 line after it read as %+v", got[n+1])
			}
			var notes []string
			for _, p := range got {
				for _, pr := range p.Problems {
					notes = append(notes, pr.String())
				}
			}
			if len(notes) != 1 || !strings.Contains(notes[0], fmt.Sprintf("từ dòng %d tệp không còn là UTF-8", lateLine)) {
				t.Errorf("warnings %q, want one naming line %d", notes, lateLine)
			}
		})
	}
}

// TestUTF16RecordFiles: a record file saved as UTF-16 with a byte order mark (Excel's "Unicode Text",
// tab-separated) reads as the Unicode it is, without a warning, not as TCVN3 or Windows-1252 bytes.
func TestUTF16RecordFiles(t *testing.T) {
	utf16Bytes := func(s string, bigEndian bool) string {
		var b []byte
		if bigEndian {
			b = append(b, 0xFE, 0xFF)
		} else {
			b = append(b, 0xFF, 0xFE)
		}
		for _, u := range utf16.Encode([]rune(s)) {
			if bigEndian {
				b = append(b, byte(u>>8), byte(u))
			} else {
				b = append(b, byte(u), byte(u>>8))
			}
		}
		return string(b)
	}
	for _, tt := range []struct {
		name      string
		format    Format
		text      string
		bigEndian bool
	}{
		{"csv tab LE", FormatCSV, "id\tkind\ttitle\r\nkq-1\tresult\tGiống lúa chịu hạn ở Phù Cát\r\n", false},
		{"csv comma BE", FormatCSV, "id,kind,title\nkq-1,result,Giống lúa chịu hạn ở Phù Cát\n", true},
		{"jsonl LE", FormatJSONL, `{"id":"kq-1","kind":"result","title":"Giống lúa chịu hạn ở Phù Cát"}` + "\n", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []Parsed
			if err := ReadRecords("unicode.x", strings.NewReader(utf16Bytes(tt.text, tt.bigEndian)), tt.format, func(p Parsed) error {
				got = append(got, p)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Record == nil || len(got[0].Problems) != 0 {
				t.Fatalf("%+v", got)
			}
			if r := got[0].Record.(*Result); r.ID != "kq-1" || r.Title != "Giống lúa chịu hạn ở Phù Cát" {
				t.Errorf("read as %+v", r)
			}
		})
	}
}
