package corpus

import (
	"fmt"
	"strings"
	"testing"
)

func readAll(t *testing.T, name, text string, f Format) []Parsed {
	t.Helper()
	var out []Parsed
	if err := ReadRecords(name, strings.NewReader(text), f, func(p Parsed) error {
		out = append(out, p)
		return nil
	}); err != nil {
		t.Fatalf("ReadRecords: %v", err)
	}
	return out
}

func TestReadJSONLKeepsGoodRecordsAndNamesBadOnes(t *testing.T) {
	in := `{"id":"kq-1","kind":"result","title":"Máy sấy cá cơm bằng bơm nhiệt","trl":6}
{"id":"kq-2","kind":"result","title":"Hỏng" 
{"id":"kq-3","kind":"result"}
{"id":"kq-4","kind":"result","title":"Sai kiểu","trl":"sáu"}

{"id":"kq-5","kind":"need","title":"Cần máy bóc vỏ hạt điều","transfer_forms":["turnkey"]}
["not an object"]
`
	ps := readAll(t, "mau.jsonl", in, FormatJSONL)
	if len(ps) != 6 {
		t.Fatalf("got %d parsed records, want 6", len(ps))
	}
	tests := []struct {
		line     int
		ok       bool
		code     string
		field    string
		severity Severity
	}{
		{1, true, "", "", ""},
		{2, false, ProblemBadJSON, "", Rejected},
		{3, false, ProblemMissingField, "title", Rejected},
		{4, false, ProblemWrongType, "trl", Rejected},
		{6, true, ProblemUnknownCode, "transfer_forms", Warning},
		{7, false, ProblemBadJSON, "", Rejected},
	}
	for i, tt := range tests {
		p := ps[i]
		if p.Line != tt.line {
			t.Errorf("record %d: line %d, want %d", i, p.Line, tt.line)
		}
		if (p.Record != nil) != tt.ok {
			t.Errorf("line %d: record kept = %v, want %v (%v)", tt.line, p.Record != nil, tt.ok, p.Problems)
		}
		if tt.code == "" {
			if len(p.Problems) != 0 {
				t.Errorf("line %d: unexpected problems %v", tt.line, p.Problems)
			}
			continue
		}
		if len(p.Problems) == 0 {
			t.Errorf("line %d: no problem reported, want %s", tt.line, tt.code)
			continue
		}
		pr := p.Problems[0]
		if pr.Code != tt.code || pr.Field != tt.field || pr.Severity != tt.severity || pr.File != "mau.jsonl" || pr.Line != tt.line {
			t.Errorf("line %d: problem %+v, want code %s field %q severity %s", tt.line, pr, tt.code, tt.field, tt.severity)
		}
		if !strings.Contains(pr.String(), "mau.jsonl, dòng ") {
			t.Errorf("line %d: message %q does not name the file and line", tt.line, pr.String())
		}
	}
	// The kept unknown transfer form is still there.
	if n := ps[4].Record.(*Need); len(n.TransferForms) != 1 || n.TransferForms[0] != "turnkey" {
		t.Errorf("unknown transfer form not kept: %v", n.TransferForms)
	}
}

func TestReadCSVBrokenRow(t *testing.T) {
	in := "\ufeffid,kind,title,keywords,trl,price_vnd.min,price_vnd.max,province\n" +
		"kq-1,result,Giống lúa chịu hạn ĐH12,lúa; chịu hạn,7,150.000.000,300000000,Bình Định\n" +
		"kq-2,result,Thiếu cột,lúa\n" +
		"kq-3,result,\"Trích dẫn \"\"hỏng\"\" đúng cách\",,x,,,\n" +
		"kq-4,result,Rong sụn sấy khô,rong sụn,5,,,gia-lai\n"
	ps := readAll(t, "mau.csv", in, FormatCSV)
	if len(ps) != 4 {
		t.Fatalf("got %d rows, want 4: %+v", len(ps), ps)
	}
	r := ps[0].Record.(*Result)
	if r.TRL != 7 || r.PriceVND != (Range{150000000, 300000000}) || len(r.Keywords) != 2 {
		t.Errorf("row 2 decoded wrong: %+v", r)
	}
	if r.Province != "gia-lai" || r.LegacyProvince != "binh-dinh" {
		t.Errorf("province = %q legacy %q, want gia-lai / binh-dinh", r.Province, r.LegacyProvince)
	}
	if ps[1].Record != nil || ps[1].Line != 3 || ps[1].Problems[0].Code != ProblemBadCSV {
		t.Errorf("short row: %+v", ps[1])
	}
	if ps[2].Record != nil || ps[2].Problems[0].Field != "trl" || ps[2].Problems[0].ID != "kq-3" {
		t.Errorf("bad trl row: %+v", ps[2])
	}
	if ps[3].Record == nil || ps[3].Line != 5 {
		t.Errorf("row after the broken ones lost: %+v", ps[3])
	}
}

func TestReadJSONArray(t *testing.T) {
	in := `[
  {"id":"a","kind":"result","title":"Một"},
  {"id":"b","kind":"result"},
  {"id":"c","kind":"need","title":"Ba","confidentiality":"secret"}
]`
	ps := readAll(t, "mau.json", in, FormatJSON)
	if len(ps) != 3 {
		t.Fatalf("got %d, want 3", len(ps))
	}
	if ps[0].Record == nil || ps[1].Record != nil || ps[2].Record == nil {
		t.Fatalf("wrong records kept: %+v", ps)
	}
	if ps[1].Line != 3 {
		t.Errorf("second element line = %d, want 3", ps[1].Line)
	}
	n := ps[2].Record.(*Need)
	if n.EffectiveConfidentiality() != ConfBrokerOnly {
		t.Errorf("unknown confidentiality must be treated as broker_only, got %s", n.EffectiveConfidentiality())
	}
}

func TestUnknownFieldsKeptRoundTrip(t *testing.T) {
	p := DecodeRecord([]byte(`{"id":"x","kind":"result","title":"T","nguon":"Sở KH&CN","so_trang":12}`))
	if p.Record == nil || len(p.Problems) != 2 {
		t.Fatalf("want record with 2 warnings, got %+v", p)
	}
	b, err := p.Record.(*Result).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"nguon":"Sở KH\u0026CN"`) && !strings.Contains(string(b), `"nguon":"Sở KH&CN"`) {
		t.Errorf("extra field lost: %s", b)
	}
	if !strings.Contains(string(b), `"so_trang":12`) {
		t.Errorf("extra field lost: %s", b)
	}
}

func TestNormalizeTextAndCodes(t *testing.T) {
	p := DecodeRecord([]byte(`{"id":" kq-9 ","kind":"result","title":"Ðầm Thị Nại\u200b","sectors":["1020","9999x"],"field_codes":["Thủy sản"],"locality":"Tuy Phước","ip_status":"patent"}`))
	r := p.Record.(*Result)
	if r.ID != "kq-9" || r.Title != "Đầm Thị Nại" {
		t.Errorf("text not normalised: %q %q", r.ID, r.Title)
	}
	if r.FieldCodes[0] != "405" {
		t.Errorf("field label not resolved: %v", r.FieldCodes)
	}
	if r.Locality != "tuy-phuoc" || r.Province != "gia-lai" || r.LegacyProvince != "binh-dinh" {
		t.Errorf("place: %q %q %q", r.Locality, r.Province, r.LegacyProvince)
	}
	if len(p.Problems) != 1 || p.Problems[0].Field != "sectors" || p.Problems[0].Severity != Warning {
		t.Errorf("want one warning on sectors, got %v", p.Problems)
	}
}

func TestSectorAncestors(t *testing.T) {
	tests := map[string][]string{"1020": {"1020", "10", "C"}, "03": {"03", "A"}, "A": {"A"}, "zz": {"zz"}}
	for in, want := range tests {
		got := SectorAncestors(in)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("SectorAncestors(%q) = %v, want %v", in, got, want)
		}
	}
	if got := FieldAncestors("405"); strings.Join(got, ",") != "405,4" {
		t.Errorf("FieldAncestors(405) = %v", got)
	}
}

// TestReadJSONNothingAfterTheArrayIsLost: a .json file holding more than one array, objects one after
// another, or an array cut short reads every record there is and names what it could not read; nothing
// is dropped in silence.
func TestReadJSONNothingAfterTheArrayIsLost(t *testing.T) {
	tests := []struct {
		name, in string
		ids      []string
		rejected []int // lines of rejected parts
	}{
		{"two arrays", "[{\"id\":\"a1\",\"kind\":\"result\",\"title\":\"Một\"},{\"id\":\"a2\",\"kind\":\"result\",\"title\":\"Hai\"}]\n" +
			"[{\"id\":\"a3\",\"kind\":\"result\",\"title\":\"Ba\"}]\n", []string{"a1", "a2", "a3"}, nil},
		{"objects one per line", "{\"id\":\"o1\",\"kind\":\"result\",\"title\":\"Một\"}\n{\"id\":\"o2\",\"kind\":\"need\",\"title\":\"Hai\"}\n",
			[]string{"o1", "o2"}, nil},
		{"array then an object", "[{\"id\":\"b1\",\"kind\":\"result\",\"title\":\"Một\"}]\n{\"id\":\"b2\",\"kind\":\"result\",\"title\":\"Hai\"}",
			[]string{"b1", "b2"}, nil},
		{"garbage after the array", "[{\"id\":\"g1\",\"kind\":\"result\",\"title\":\"Một\"}]\nrác ở cuối\n", []string{"g1"}, []int{2}},
		{"array cut short", "[{\"id\":\"c1\",\"kind\":\"result\",\"title\":\"Một\"},\n{\"id\":\"c2\",\"kind\":\"result\",\"title\":\"Hai\"}\n",
			[]string{"c1", "c2"}, []int{3}},
		{"one object", "\ufeff{\"id\":\"s1\",\"kind\":\"result\",\"title\":\"Một\"}\n", []string{"s1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ids []string
			var rejected []int
			for _, p := range readAll(t, "ban-ghi.json", tt.in, FormatJSON) {
				if p.Record != nil {
					ids = append(ids, p.Record.RecordID())
					continue
				}
				rejected = append(rejected, p.Line)
				if msg := p.Problems.String(); strings.Contains(msg, "EOF") || !strings.Contains(msg, "ban-ghi.json, dòng") {
					t.Errorf("rejection not in Vietnamese or not placed: %s", msg)
				}
			}
			if strings.Join(ids, ",") != strings.Join(tt.ids, ",") {
				t.Errorf("records %v, want %v", ids, tt.ids)
			}
			if fmt.Sprint(rejected) != fmt.Sprint(tt.rejected) {
				t.Errorf("rejected at lines %v, want %v", rejected, tt.rejected)
			}
		})
	}
}

// TestReadCSVSeparators: a CSV saved by Excel with Vietnamese settings separates cells with semicolons
// (and a tab-separated export with tabs); every row reads as it does with commas, lists in a quoted
// cell included, and ReadTable (the feedback import) reads the same file alike.
func TestReadCSVSeparators(t *testing.T) {
	tests := []struct{ name, in string }{
		{"comma", "id,kind,title,keywords,trl\r\nkq-1,result,Máy sấy cá cơm,\"cá cơm;sấy\",6\r\nkq-2,need,\"Lò sấy; tiết kiệm\",,\r\n"},
		{"semicolon with BOM and CRLF", "\ufeffid;kind;title;keywords;trl\r\nkq-1;result;Máy sấy cá cơm;\"cá cơm;sấy\";6\r\nkq-2;need;\"Lò sấy; tiết kiệm\";;\r\n"},
		{"tab", "id\tkind\ttitle\tkeywords\ttrl\nkq-1\tresult\tMáy sấy cá cơm\tcá cơm;sấy\t6\nkq-2\tneed\tLò sấy; tiết kiệm\t\t\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := readAll(t, "mau.csv", tt.in, FormatCSV)
			if len(ps) != 2 || ps[0].Record == nil || ps[1].Record == nil {
				t.Fatalf("rows: %+v", ps)
			}
			r := ps[0].Record.(*Result)
			if r.ID != "kq-1" || r.Title != "Máy sấy cá cơm" || r.TRL != 6 || strings.Join(r.Keywords, "|") != "cá cơm|sấy" {
				t.Errorf("row 2 read as %+v", r)
			}
			if n := ps[1].Record.(*Need); n.Title != "Lò sấy; tiết kiệm" || ps[1].Line != 3 {
				t.Errorf("row 3 read as %q at line %d", n.Title, ps[1].Line)
			}
			tab, err := ReadTable(strings.NewReader(tt.in), FormatCSV)
			if err != nil || strings.Join(tab.Header, ",") != "id,kind,title,keywords,trl" || len(tab.Rows) != 2 || tab.Rows[1][2] != "Lò sấy; tiết kiệm" {
				t.Errorf("ReadTable: %+v %v", tab, err)
			}
		})
	}
}

// TestReadCSVBrokenQuotesInVietnamese: a row with a stray or unclosed quote is rejected with the line and
// a Vietnamese reason (not encoding/csv's English), and the rows after it still go in.
func TestReadCSVBrokenQuotesInVietnamese(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"bare quote", "id,kind,title\nkq-1,result,Máy \"sấy\" cá\nkq-2,result,Lò sấy\n", "nằm giữa một ô"},
		{"unclosed quote", "id,kind,title\nkq-1,result,\"Máy \"sấy\" cá\"x\nkq-2,result,Lò sấy\n", "không đóng đúng chỗ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := readAll(t, "mau.csv", tt.in, FormatCSV)
			if len(ps) != 2 || ps[0].Record != nil || ps[0].Line != 2 || ps[1].Record == nil {
				t.Fatalf("rows: %+v", ps)
			}
			if msg := ps[0].Problems.String(); !strings.Contains(msg, tt.want) || strings.Contains(msg, "quote") {
				t.Errorf("message %q, want Vietnamese containing %q", msg, tt.want)
			}
		})
	}
}
