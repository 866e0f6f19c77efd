package vntext

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Seeds beyond these live in testdata/fuzz/<FuzzName>/.
var fuzzSeeds = []string{
	"hoà", "HÒA", "qúy", "gìa", "Ðà Nẵng", "thuỷ", "a\u0301\u0323", "\u0301", "i\u0307",
	"x\u200b\u0301y", " \t\r\n\u00a0\u2028 ", "Há»“ ChÃ\u00ad Minh", "B¶o ®¶m", "haøng ngöôøi",
}

func FuzzKey(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := Key(s)
		if !utf8.ValidString(k) {
			t.Fatalf("Key(%q) = %q: UTF-8 không hợp lệ", s, k)
		}
		if kk := Key(k); kk != k {
			t.Fatalf("Key không lũy đẳng: %q → %q → %q", s, k, kk)
		}
		if !utf8.ValidString(s) {
			return // NFD of invalid UTF-8 is not defined
		}
		if kd := norm.NFC.String(Key(norm.NFD.String(s))); kd != k {
			t.Fatalf("NFC(Key(NFD(%q))) = %q ≠ Key = %q", s, kd, k)
		}
		if a := string(AppendKey(nil, []byte(s))); a != k {
			t.Fatalf("AppendKey(%q) = %q ≠ Key = %q", s, a, k)
		}
		if sw := SwapTonePlacement(s); Key(sw) != Key(s) {
			t.Fatalf("SwapTonePlacement(%q) = %q đổi Key: %q ≠ %q", s, sw, Key(sw), k)
		}
	})
}

func FuzzFold(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			s = strings.ToValidUTF8(s, "\uFFFD")
		}
		fs := Fold(s)
		if !utf8.ValidString(fs) {
			t.Fatalf("Fold(%q) = %q: UTF-8 không hợp lệ", s, fs)
		}
		if ff := Fold(fs); ff != fs {
			t.Fatalf("Fold không lũy đẳng: %q → %q → %q", s, fs, ff)
		}
		if a, b := Fold(norm.NFC.String(s)), Fold(norm.NFD.String(s)); a != b {
			t.Fatalf("Fold(NFC(%q)) = %q ≠ Fold(NFD) = %q", s, a, b)
		}
		fk := FoldKey(s)
		if fk2 := FoldKey(fk); fk2 != fk {
			t.Fatalf("FoldKey không lũy đẳng: %q → %q → %q", s, fk, fk2)
		}
		if a := string(AppendFoldKey(nil, []byte(s))); a != fk {
			t.Fatalf("AppendFoldKey(%q) = %q ≠ FoldKey = %q", s, a, fk)
		}
		if HasDiacritics(fs) {
			t.Fatalf("Fold(%q) = %q còn dấu", s, fs)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, rep := NormalizeReport(s)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q: UTF-8 không hợp lệ", s, n)
		}
		if n2 := Normalize(n); n2 != n {
			t.Fatalf("Normalize không lũy đẳng: %q → %q → %q", s, n, n2)
		}
		if Normalize(s) != n {
			t.Fatalf("Normalize ≠ NormalizeReport cho %q", s)
		}
		if rep.Changed() != (n != s) {
			t.Fatalf("Changed() = %v cho %q → %q (%+v)", rep.Changed(), s, n, rep)
		}
		if !norm.NFC.IsNormalString(n) {
			t.Fatalf("Normalize(%q) = %q không phải NFC", s, n)
		}
		for _, bad := range []string{"  ", "\n\n\n", " \n", "\n ", "\r", "\t", "\u00a0", "\u200b", "\u00d0"} {
			if strings.Contains(n, bad) {
				t.Fatalf("Normalize(%q) = %q còn %q", s, n, bad)
			}
		}
		if strings.TrimSpace(n) != n {
			t.Fatalf("Normalize(%q) = %q chưa cắt khoảng trắng", s, n)
		}
	})
}

func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), uint8(0))
	}
	f.Add([]byte("Vi\xd6t Nam"), uint8(2))
	f.Add([]byte("Vieät Nam"), uint8(3))
	encs := [...]Encoding{UTF8, VISCII, TCVN3, VNI, CP1258, Latin1}
	f.Fuzz(func(t *testing.T, b []byte, which uint8) {
		enc := encs[int(which)%len(encs)]
		s, lost, err := Decode(b, enc)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(s) || !norm.NFC.IsNormalString(s) || lost < 0 || lost > len(b) {
			t.Fatalf("Decode(%q, %s) = %q, %d", b, enc, s, lost)
		}
		if enc != UTF8 && strings.Count(s, "\uFFFD") != lost {
			t.Fatalf("Decode(%q, %s): %d U+FFFD nhưng lost = %d", b, enc, strings.Count(s, "\uFFFD"), lost)
		}
		fs, _ := DecodeFontString(string(b), enc)
		if utf8.Valid(b) && !utf8.ValidString(fs) {
			t.Fatalf("DecodeFontString(%q, %s) = %q", b, enc, fs)
		}
	})
}

func FuzzDetect(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		enc, conf := Detect(b)
		if conf < 0 || conf > 1 || conf != conf {
			t.Fatalf("Detect(%q): độ tin cậy %v", b, conf)
		}
		if _, _, err := Decode(b, enc); err != nil {
			t.Fatalf("Detect(%q) = %q không giải mã được: %v", b, enc, err)
		}
		s := string(b)
		if v := SyllableValidity(s); v < 0 || v > 1 {
			t.Fatalf("SyllableValidity(%q) = %v", s, v)
		}
		r, ok := RepairMojibake(s)
		if !ok && r != s {
			t.Fatalf("RepairMojibake(%q) đổi văn bản mà báo false", s)
		}
		if ok && utf8.ValidString(s) && !utf8.ValidString(r) {
			t.Fatalf("RepairMojibake(%q) = %q: UTF-8 không hợp lệ", s, r)
		}
	})
}
