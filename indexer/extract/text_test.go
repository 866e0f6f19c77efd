package extract

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"ketnoi/corpus/vntext"
)

// textSample has letters of every kind TCVN3 can write (lowercase toned letters, Đ, ư ơ, ă â ê ô).
const textSample = "Quy Nhơn là thành phố ven biển của tỉnh Bình Định, nằm ở miền Trung Việt Nam.\n" +
	"Trung tâm Quốc tế Khoa học và Giáo dục Liên ngành được xây dựng bên bờ biển Ghềnh Ráng.\n" +
	"Sinh viên của Trường Đại học Quy Nhơn có cơ hội gặp gỡ những người đoạt giải thưởng lớn."

// textEncoder returns an encoder to a legacy encoding, built by inverting vntext.Decode over every
// one- and two-byte sequence; it fails the test on a character the encoding cannot write.
func textEncoder(t *testing.T, enc vntext.Encoding) func(string) []byte {
	t.Helper()
	m := map[string][]byte{}
	for b := 0; b < 256; b++ {
		if s, lost, _ := vntext.Decode([]byte{byte(b)}, enc); lost == 0 && utf8.RuneCountInString(s) == 1 {
			if _, ok := m[s]; !ok {
				m[s] = []byte{byte(b)}
			}
		}
	}
	for b1 := 0x20; b1 < 256; b1++ {
		for b2 := 0x80; b2 < 256; b2++ {
			s, lost, _ := vntext.Decode([]byte{byte(b1), byte(b2)}, enc)
			if _, ok := m[s]; !ok && lost == 0 && utf8.RuneCountInString(s) == 1 {
				m[s] = []byte{byte(b1), byte(b2)}
			}
		}
	}
	return func(s string) []byte {
		var out []byte
		for _, r := range norm.NFC.String(s) {
			b, ok := m[string(r)]
			if !ok {
				t.Fatalf("%s cannot write %q", enc, r)
			}
			out = append(out, b...)
		}
		return out
	}
}

func textUTF16(s string, bigEndian, bom bool) []byte {
	var out []byte
	order := binary.AppendByteOrder(binary.LittleEndian)
	if bigEndian {
		order = binary.BigEndian
	}
	if bom {
		out = order.AppendUint16(out, 0xFEFF)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		out = order.AppendUint16(out, u)
	}
	return out
}

func TestExtractText(t *testing.T) {
	tcvn3 := textEncoder(t, vntext.TCVN3)
	vni := textEncoder(t, vntext.VNI)
	viscii := textEncoder(t, vntext.VISCII)
	cp1258 := textEncoder(t, vntext.CP1258)
	latin := "Le rapport décrit la qualité de l'eau à Genève et à Zürich, près des lacs français."
	for _, tc := range []struct {
		name, want, enc string
		in              []byte
	}{
		{"utf-8", textSample, "", []byte(textSample)},
		{"utf-8 BOM", textSample, "", append([]byte{0xEF, 0xBB, 0xBF}, textSample...)},
		{"utf-8 NFD CRLF", textSample, "", []byte(strings.ReplaceAll(norm.NFD.String(textSample), "\n", "\r\n"))},
		{"utf-16le BOM", textSample, "utf-16le", textUTF16(textSample, false, true)},
		{"utf-16be BOM", textSample, "utf-16be", textUTF16(textSample, true, true)},
		{"utf-16le", textSample, "utf-16le", textUTF16(textSample, false, false)},
		{"utf-16be", textSample, "utf-16be", textUTF16(textSample, true, false)},
		{"tcvn3", textSample, "tcvn3", tcvn3(textSample)},
		{"vni", textSample, "vni", vni(textSample)},
		{"viscii", textSample, "viscii", viscii(textSample)},
		{"cp1258", textSample, "cp1258", cp1258(textSample)},
		{"windows-1252", latin, "windows-1252", []byte(strings.NewReplacer("é", "\xe9", "à", "\xe0", "è", "\xe8",
			"ü", "\xfc", "ç", "\xe7").Replace(latin))},
		{"utf-8 mojibake", "Hồ Chí Minh là thành phố lớn nhất\nQuy Nhơn", "mojibake",
			[]byte("Há»“ ChÃ­ Minh lÃ  thÃ nh phá»‘ lá»›n nháº¥t\nQuy Nhơn")},
		{"tcvn3 as utf-8", "Bảo đảm chất lượng sản phẩm", "tcvn3", []byte("B¶o ®¶m chÊt l­îng s¶n phÈm")},
		{"bullets", "· Noi dung chinh\n· Nội dung", "", []byte("· Noi dung chinh\n· Nội dung")},
		{"ascii", "Plain ASCII text\n\nwith a paragraph", "", []byte("Plain ASCII text  \r\n\r\n\r\n\twith a paragraph")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := ExtractText(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			p := doc.Pages[0]
			if doc.Format != FormatText || len(doc.Pages) != 1 || p.Rung != RungDirect || p.N != 1 {
				t.Fatalf("shape %+v", doc)
			}
			if p.Text != tc.want {
				t.Errorf("text:\n%q\nwant:\n%q", p.Text, tc.want)
			}
			if p.Encoding != tc.enc {
				t.Errorf("encoding %q, want %q", p.Encoding, tc.enc)
			}
			if len(doc.Warnings) != 0 || p.Quality != 1 {
				t.Errorf("warnings %v quality %v", doc.Warnings, p.Quality)
			}
		})
	}
}

func TestExtractTextLossy(t *testing.T) {
	// Bytes undefined in TCVN3 (AF, B0) inside TCVN3 text become U+FFFD and a warning.
	b := append(textEncoder(t, vntext.TCVN3)(textSample), " \xaf\xb0"...)
	doc, err := ExtractText(b)
	if err != nil {
		t.Fatal(err)
	}
	p := doc.Pages[0]
	if p.Encoding != "tcvn3" || !strings.HasPrefix(p.Text, textSample) || !strings.Contains(p.Text, "\uFFFD") {
		t.Errorf("page %+v", p)
	}
	if len(doc.Warnings) != 1 || doc.Warnings[0].Code != WarnLossyEncoding || p.Quality >= 1 || p.Quality < 0.9 {
		t.Errorf("warnings %v quality %v", doc.Warnings, p.Quality)
	}
	// An unpaired surrogate in UTF-16.
	b = append(textUTF16("Xin chào", false, true), 0x00, 0xD8, 'a', 0)
	if doc, err = ExtractText(b); err != nil || len(doc.Warnings) != 1 || doc.Pages[0].Text != "Xin chào\uFFFDa" {
		t.Errorf("utf-16 lossy: %v %+v", err, doc)
	}
}

func TestExtractTextNoText(t *testing.T) {
	for _, in := range []string{"", "   \r\n\t ", "\ufeff", "\xef\xbb\xbf  ", "—  … ·", "\x00\x01"} {
		_, err := ExtractText([]byte(in))
		var e *Error
		if !errors.As(err, &e) || e.Reason != ReasonNoText {
			t.Errorf("ExtractText(%q) = %v, want no_text", in, err)
		}
	}
}

func FuzzExtractText(f *testing.F) {
	f.Add([]byte(textSample))
	f.Add([]byte("B¶o ®¶m"))
	f.Add([]byte{0xFF, 0xFE, 0x00, 0xD8})
	f.Add([]byte("haøng ngöôøi \xaf\xb0\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := ExtractText(b)
		if err != nil {
			return
		}
		s := doc.Pages[0].Text
		if !utf8.ValidString(s) || !norm.NFC.IsNormalString(s) || s != vntext.Normalize(s) {
			t.Fatalf("not normalized: %q", s)
		}
	})
}
