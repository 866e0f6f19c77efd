package corpus

import (
	"strings"
	"testing"

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
