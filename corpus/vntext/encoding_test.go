package vntext

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

// The golden files were produced with glibc iconv, one byte at a time:
//
//	for i in $(seq 0 255); do h=$(printf %02X $i)
//	  printf "\x$h" | iconv -f VISCII -t UTF-32BE | od -An -tx1   # -f CP1258, -f TCVN
//	done   → testdata/{viscii,cp1258,tcvn3}.golden ("-" where iconv fails)
//
// and the prose samples with
//
//	iconv -f UTF-8 -t VISCII testdata/quynhon.txt > testdata/quynhon.viscii
//	iconv -f UTF-8 -t CP1258 testdata/quynhon.txt > testdata/quynhon.cp1258
//	iconv -f UTF-8 -t TCVN   testdata/quynhon.txt > testdata/quynhon.tcvn3
//
// VNI is not in iconv: testdata/quynhon.vni was written by a separate
// encoder from the published VNI-Windows table (UniKey vnconv order).
func readGolden(t *testing.T, name string) map[byte]string {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	golden := map[byte]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		b, err := strconv.ParseUint(fields[0], 16, 8)
		if err != nil {
			t.Fatal(err)
		}
		if fields[1] == "-" {
			golden[byte(b)] = "\uFFFD"
			continue
		}
		var sb strings.Builder
		for _, cp := range fields[1:] {
			v, err := strconv.ParseUint(strings.TrimPrefix(cp, "U+"), 16, 32)
			if err != nil {
				t.Fatal(err)
			}
			sb.WriteRune(rune(v))
		}
		golden[byte(b)] = sb.String()
	}
	if len(golden) != 256 {
		t.Fatalf("%s: %d dòng, muốn 256", name, len(golden))
	}
	return golden
}

func TestDecodeGoldenVISCIIAndCP1258(t *testing.T) {
	for enc, file := range map[Encoding]string{VISCII: "viscii.golden", CP1258: "cp1258.golden"} {
		for b, want := range readGolden(t, file) {
			got, lost, err := Decode([]byte{b}, enc)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s byte %02X: %q, iconv cho %q", enc, b, got, want)
			}
			if (lost == 1) != (want == "\uFFFD") {
				t.Errorf("%s byte %02X: lost = %d", enc, b, lost)
			}
		}
	}
}

func TestDecodeGoldenTCVN3(t *testing.T) {
	golden := readGolden(t, "tcvn3.golden")
	w1252 := charmap.Windows1252
	for b := 0; b < 256; b++ {
		got, lost, _ := Decode([]byte{byte(b)}, TCVN3)
		iconv := golden[byte(b)]
		switch {
		case b < 0x80:
			// VN3 keeps ASCII; iconv's TCVN (VN1) has capitals in 01–17.
			if got != string(rune(b)) {
				t.Errorf("TCVN3 byte %02X: %q, muốn ASCII", b, got)
			}
		case b < 0xa0:
			// The .Vn fonts keep the Windows-1252 punctuation here.
			if want := string(w1252.DecodeByte(byte(b))); got != want && lost == 0 {
				t.Errorf("TCVN3 byte %02X: %q, muốn %q (Windows-1252)", b, got, want)
			}
		case lost == 1:
			// Not in VN3: iconv must show a capital or a combining tone there.
			if iconv == "\uFFFD" {
				t.Errorf("TCVN3 byte %02X: cả hai đều không định nghĩa", b)
			}
		default:
			if got != iconv {
				t.Errorf("TCVN3 byte %02X: %q, iconv cho %q", b, got, iconv)
			}
		}
	}
	// 67 lowercase + 7 capitals + NBSP in A0–FF.
	n := 0
	for b := 0xa0; b < 256; b++ {
		if _, lost, _ := Decode([]byte{byte(b)}, TCVN3); lost == 0 {
			n++
		}
	}
	if n != 75 {
		t.Errorf("TCVN3 có %d ký tự từ A0, muốn 75", n)
	}
}

func TestDecodeProse(t *testing.T) {
	want := readProse(t)
	for enc, file := range map[Encoding]string{
		VISCII: "quynhon.viscii", CP1258: "quynhon.cp1258", TCVN3: "quynhon.tcvn3", VNI: "quynhon.vni",
	} {
		b, err := os.ReadFile("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		got, lost, err := Decode(b, enc)
		if err != nil || lost != 0 {
			t.Errorf("%s: lost=%d err=%v", enc, lost, err)
		}
		if got != want {
			t.Errorf("%s: giải mã sai:\n%s", enc, firstDiff(got, want))
		}
	}
	if _, _, err := Decode([]byte("x"), "ebcdic"); err == nil {
		t.Error("bảng mã lạ phải báo lỗi")
	}
	got, lost, _ := Decode([]byte("Vi\xe1\xbb\x87t \xff"), UTF8)
	if got != "Việt \uFFFD" || lost != 1 {
		t.Errorf("UTF-8 hỏng: %q %d", got, lost)
	}
}

func firstDiff(a, b string) string {
	ra, rb := []rune(a), []rune(b)
	for i := 0; i < len(ra) && i < len(rb); i++ {
		if ra[i] != rb[i] {
			lo := max(0, i-20)
			return "có: " + string(ra[lo:min(len(ra), i+20)]) + "\nmuốn: " + string(rb[lo:min(len(rb), i+20)])
		}
	}
	return "độ dài khác nhau"
}

func TestDecodeFontString(t *testing.T) {
	tests := []struct {
		enc      Encoding
		in, want string
	}{
		{TCVN3, "B¶o ®¶m", "Bảo đảm"},
		{TCVN3, "Céng hßa x· héi chñ nghÜa ViÖt Nam", "Cộng hòa xã hội chủ nghĩa Việt Nam"},
		{TCVN3, "§éc lËp – Tù do – H¹nh phóc", "Độc lập – Tự do – Hạnh phúc"},
		{TCVN3, "“Quy Nh¬n”", "“Quy Nhơn”"},
		{VNI, "haøng ngöôøi", "hàng người"},
		{VNI, "Vieät Nam", "Việt Nam"},
		{VNI, "Thaønh phoá", "Thành phố"},
		{VNI, "Ñaø Naüng", "Đà Nẵng"},
		{VNI, "ÑAØ NAÜNG", "ĐÀ NẴNG"},
		{VNI, "VIEÄT NAM", "VIỆT NAM"},
		{VNI, "Tröôøng Ñaïi hoïc Quy Nhôn", "Trường Đại học Quy Nhơn"},
		{VNI, "khuyeán khích, ít, kyõ, Myõ, lyù", "khuyến khích, ít, kỹ, Mỹ, lý"},
		{VISCII, "Vi\u00aet", "Việt"},
		{UTF8, "Há»“ ChÃ\u00ad Minh", "Hồ Chí Minh"},
	}
	for _, tt := range tests {
		got, lost := DecodeFontString(tt.in, tt.enc)
		if got != tt.want || lost != 0 {
			t.Errorf("DecodeFontString(%q, %s) = %q (lost %d), muốn %q", tt.in, tt.enc, got, lost, tt.want)
		}
	}
	// A byte VN3 leaves undefined (VN1's capital Ằ at AF) is counted.
	if got, lost := DecodeFontString("a\u00afb", TCVN3); lost != 1 || got != "a\uFFFDb" {
		t.Errorf("TCVN3 AF: %q %d", got, lost)
	}
}

func TestFontEncoding(t *testing.T) {
	tests := map[string]Encoding{
		".VnTime":                 TCVN3,
		".VnTimeH":                TCVN3,
		"ABCDEF+.VnArial":         TCVN3,
		"VnTime":                  TCVN3,
		"QWERTY+.VnTime,Bold":     TCVN3,
		"#2EVnCentury Schoolbook": TCVN3,
		"VNI-Times":               VNI,
		"BCDEFG+VNI-Helve":        VNI,
		"VNI-Times-Bold":          VNI,
		"VPS Times":               VISCII,
		"VISCII":                  VISCII,
		"TimesNewRoman":           "",
		"ABCDEF+Arial-BoldMT":     "",
		"Verdana":                 "",
		"":                        "",
	}
	for in, want := range tests {
		if got := FontEncoding(in); got != want {
			t.Errorf("FontEncoding(%q) = %q, muốn %q", in, got, want)
		}
	}
	for in, want := range map[string]bool{".VnTimeH": true, "ABCDEF+.VnArialH,Bold": true, ".VnTime": false, "VNI-Helve": false} {
		if got := FontUppercase(in); got != want {
			t.Errorf("FontUppercase(%q) = %v", in, got)
		}
	}
}
