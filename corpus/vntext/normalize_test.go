package vntext

import (
	"os"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func readProse(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/quynhon.txt")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
		rep            Report
	}{
		{"đã chuẩn", "Hà Nội", "Hà Nội", Report{}},
		{"NFD", norm.NFD.String("Việt Nam"), "Việt Nam", Report{NFC: 2}},
		{"eth", "Ðà Nẵng", "Đà Nẵng", Report{EthToDStroke: 1}},
		{"zero width", "Hà\u200bNội\u00ad\ufeff", "HàNội", Report{ZeroWidth: 3}},
		{"zero width giữa dấu", "a\u200b\u0301", "á", Report{ZeroWidth: 1, NFC: 1}},
		{"NBSP và tab", "Hà\u00a0Nội\tvà\u3000Huế", "Hà Nội và Huế", Report{Whitespace: 3}},
		{"nhiều dấu cách", "a   b", "a b", Report{Whitespace: 2}},
		{"CRLF", "dòng 1\r\ndòng 2\rdòng 3\u2028dòng 4", "dòng 1\ndòng 2\ndòng 3\ndòng 4", Report{Whitespace: 3}},
		{"dòng trống", "a\n\n\n\nb", "a\n\nb", Report{Whitespace: 2}},
		{"cuối dòng", "a  \n  b", "a\nb", Report{Whitespace: 4}},
		{"điều khiển", "a\x00b\x07c\x1bd\u0085e", "abcd\ne", Report{Control: 3, Whitespace: 1}},
		{"bidi", "\u202bxin\u202c chào", "xin chào", Report{Control: 2}},
		{"cắt hai đầu", " \n\t xin chào \n ", "xin chào", Report{Whitespace: 8}},
		{"U+FFFD", "m\ufffdt", "m\ufffdt", Report{Replacement: 1}},
		{"UTF-8 hỏng", "m\xffa", "m\ufffda", Report{Replacement: 1, InvalidUTF8: 1}},
		{"giữ dấu theo tác giả", "hoà thuý", "hoà thuý", Report{}},
	}
	for _, tt := range tests {
		got, rep := NormalizeReport(tt.in)
		if got != tt.want {
			t.Errorf("%s: Normalize(%q) = %q, muốn %q", tt.name, tt.in, got, tt.want)
		}
		if rep != tt.rep {
			t.Errorf("%s: báo cáo %+v, muốn %+v", tt.name, rep, tt.rep)
		}
		if rep.Changed() != (tt.in != tt.want) {
			t.Errorf("%s: Changed() = %v", tt.name, rep.Changed())
		}
		if n := Normalize(tt.in); n != got {
			t.Errorf("%s: Normalize ≠ NormalizeReport: %q", tt.name, n)
		}
		if again := Normalize(got); again != got {
			t.Errorf("%s: không lũy đẳng: %q → %q", tt.name, got, again)
		}
	}
}
