package vntext

import (
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestKeyTonePlacement(t *testing.T) {
	tests := []struct {
		in   []string // spellings that must share one key
		want string
	}{
		{[]string{"hoà", "hòa", "HOÀ", "HÒA", "Hoà", "hoà"}, "hòa"},
		{[]string{"thuý", "thúy", "THUÝ", "THÚY"}, "thúy"},
		{[]string{"khoẻ", "khỏe", "KHOẺ"}, "khỏe"},
		{[]string{"qúy", "quý", "QÚY", "QUÝ"}, "quý"},
		{[]string{"gìa", "già", "GÌA"}, "già"},
		{[]string{"hoàn", "hòan", "HOÀN"}, "hoàn"},
		{[]string{"thuyền", "thùyên", "thuỳên"}, "thuyền"},
		{[]string{"quốc", "qúôc", "QUỐC"}, "quốc"},
		{[]string{"giường", "gìương", "giừơng", "GIƯỜNG"}, "giường"},
		{[]string{"người", "ngừơi"}, "người"},
		{[]string{"mùa", "muà"}, "mùa"},
		{[]string{"mía", "miá"}, "mía"},
		{[]string{"ngoài", "ngòai", "ngoaì"}, "ngoài"},
		{[]string{"khuỷu", "khủyu"}, "khuỷu"},
		{[]string{"thuở", "thủơ"}, "thuở"},
		{[]string{"quý", "qúy"}, "quý"},
		{[]string{"giữa", "gĩưa"}, "giữa"},
		{[]string{"hoạch", "họach"}, "hoạch"},
		{[]string{"Đà Nẵng", "đà nẵng", "ĐÀ NẴNG"}, "đà nẵng"},
		{[]string{"hoà-bình", "hòa-bình"}, "hòa-bình"},
	}
	for _, tt := range tests {
		for _, in := range tt.in {
			if got := Key(in); got != tt.want {
				t.Errorf("Key(%q) = %q, muốn %q", in, got, tt.want)
			}
			if got := string(AppendKey(nil, []byte(in))); !strings.Contains(in, " ") && got != tt.want {
				t.Errorf("AppendKey(%q) = %q, muốn %q", in, got, tt.want)
			}
			if got := Key(norm.NFD.String(in)); got != tt.want {
				t.Errorf("Key(NFD(%q)) = %q, muốn %q", in, got, tt.want)
			}
		}
	}
}

func TestKeyLeavesForeignWords(t *testing.T) {
	for in, want := range map[string]string{
		"café":     "café",
		"Hello":    "hello",
		"naïve":    "naïve",
		"COVID-19": "covid-19",
		"hóà":      "hóà", // two tones: not a syllable, keep spelling
		"Москва":   "москва",
	} {
		if got := Key(in); got != want {
			t.Errorf("Key(%q) = %q, muốn %q", in, got, want)
		}
	}
}

func TestDStroke(t *testing.T) {
	for _, in := range []string{"Đ", "Ð", "đ", "ð", "\u0110"} {
		if got := Key(in); got != "đ" {
			t.Errorf("Key(%q) = %q, muốn đ", in, got)
		}
		if got := FoldKey(in); got != "d" {
			t.Errorf("FoldKey(%q) = %q, muốn d", in, got)
		}
		if !HasDiacritics(in) {
			t.Errorf("HasDiacritics(%q) = false", in)
		}
	}
	if got := Normalize("Ðà Nẵng ðẹp"); got != "Đà Nẵng đẹp" {
		t.Errorf("Normalize = %q", got)
	}
	if got := Fold("ÐÀ ðà Đà đà"); got != "DA da Da da" {
		t.Errorf("Fold = %q", got)
	}
}

func TestFold(t *testing.T) {
	tests := map[string]string{
		"Đà Nẵng":                 "Da Nang",
		"Thành phố Hồ Chí Minh":   "Thanh pho Ho Chi Minh",
		"ư ơ ă â ê ô Ư Ơ Ă Â Ê Ô": "u o a a e o U O A A E O",
		"Nguyễn Thị Ánh Tuyết":    "Nguyen Thi Anh Tuyet",
		"crème brûlée":            "creme brulee",
		"plain ascii":             "plain ascii",
		"Ð":                       "D",
	}
	for in, want := range tests {
		for _, form := range []string{in, norm.NFD.String(in), norm.NFC.String(in)} {
			if got := Fold(form); got != want {
				t.Errorf("Fold(%q) = %q, muốn %q", form, got, want)
			}
		}
		wantKey := strings.ToLower(want)
		if got := FoldKey(in); got != wantKey {
			t.Errorf("FoldKey(%q) = %q, muốn %q", in, got, wantKey)
		}
	}
}

func TestNFCEqualsNFD(t *testing.T) {
	words := strings.Fields(readProse(t))
	for _, w := range append(words, "hoà", "thuý", "qúy", "gìa", "GIƯỜNG", "Ðà", "khuỷu") {
		d, c := norm.NFD.String(w), norm.NFC.String(w)
		if a, b := Key(d), Key(c); norm.NFC.String(a) != b {
			t.Errorf("Key(NFD(%q)) = %q ≠ Key(NFC) = %q", w, a, b)
		}
		if a, b := Fold(d), Fold(c); a != b {
			t.Errorf("Fold(NFD(%q)) = %q ≠ Fold(NFC) = %q", w, a, b)
		}
		if a, b := FoldKey(d), FoldKey(c); a != b {
			t.Errorf("FoldKey(NFD(%q)) = %q ≠ %q", w, a, b)
		}
		if a, b := string(AppendKey(nil, []byte(d))), Key(c); a != b {
			t.Errorf("AppendKey(NFD(%q)) = %q ≠ Key = %q", w, a, b)
		}
		if a, b := string(AppendFoldKey(nil, []byte(d))), FoldKey(c); a != b {
			t.Errorf("AppendFoldKey(NFD(%q)) = %q ≠ FoldKey = %q", w, a, b)
		}
		if HasDiacritics(d) != HasDiacritics(c) {
			t.Errorf("HasDiacritics khác nhau giữa NFC và NFD cho %q", w)
		}
	}
}

func TestAppendKeyNoAlloc(t *testing.T) {
	toks := [][]byte{[]byte("Nguyễn"), []byte("hoà"), []byte("ASCII"), []byte("giường,"), []byte("Ðà"),
		[]byte("Москва"), []byte("東京"), []byte("«Huế»")}
	dst := make([]byte, 0, 64)
	for name, f := range map[string]func([]byte, []byte) []byte{"AppendKey": AppendKey, "AppendFoldKey": AppendFoldKey} {
		allocs := testing.AllocsPerRun(100, func() {
			for _, tok := range toks {
				dst = f(dst[:0], tok)
			}
		})
		if allocs != 0 {
			t.Errorf("%s cấp phát %v lần mỗi lượt, muốn 0", name, allocs)
		}
	}
}

func TestAppendKeyPrefix(t *testing.T) {
	// AppendKey and AppendFoldKey must keep what dst already holds, also
	// when they fall back to the slow path.
	for _, tok := range []string{"hoà", "a\u0301", "naïve", "x\u200by"} {
		if got := string(AppendKey([]byte("k:"), []byte(tok))); got != "k:"+Key(tok) {
			t.Errorf("AppendKey(k:, %q) = %q", tok, got)
		}
		if got := string(AppendFoldKey([]byte("f:"), []byte(tok))); got != "f:"+FoldKey(tok) {
			t.Errorf("AppendFoldKey(f:, %q) = %q", tok, got)
		}
	}
}

func TestHasDiacritics(t *testing.T) {
	tests := map[string]bool{
		"Ha Noi": false, "Hà Nội": true, "đi": true, "Ðoàn": true, "thuong": false,
		"a\u0300": true, "ư": true, "": false, "naïve": false, "é": true,
	}
	for in, want := range tests {
		if got := HasDiacritics(in); got != want {
			t.Errorf("HasDiacritics(%q) = %v, muốn %v", in, got, want)
		}
		if got := HasDiacritics(norm.NFD.String(in)); got != want {
			t.Errorf("HasDiacritics(NFD(%q)) = %v, muốn %v", in, got, want)
		}
	}
}

func TestSwapTonePlacement(t *testing.T) {
	tests := map[string]string{
		"hòa":                  "hoà",
		"hoà":                  "hòa",
		"thúy":                 "thuý",
		"khỏe":                 "khoẻ",
		"HÒA BÌNH":             "HOÀ BÌNH",
		"Hòa thuận, khỏe mạnh": "Hoà thuận, khoẻ mạnh",
		"quý già hoàn":         "quý già hoàn", // styles agree
		"ngoài":                "ngoài",
	}
	for in, want := range tests {
		if got := SwapTonePlacement(in); got != want {
			t.Errorf("SwapTonePlacement(%q) = %q, muốn %q", in, got, want)
		}
		if got := SwapTonePlacement(SwapTonePlacement(in)); got != norm.NFC.String(in) {
			t.Errorf("đổi hai lần %q = %q", in, got)
		}
		if Key(in) != Key(want) {
			t.Errorf("Key khác nhau: %q / %q", in, want)
		}
	}
}
