package vntext

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

func TestSyllableValidity(t *testing.T) {
	valid := []string{"nghiêng", "người", "quốc", "giường", "già", "gì", "khuỷu", "thuở", "hoạch", "kỹ",
		"nam", "cho", "xoong", "quýt", "huỳnh", "oanh", "ý", "Yêu", "chuyện", "ĐẠI", "khuya", "giếng"}
	invalid := []string{"hello", "strong", "cá\u0301", "sàc", "cé", "ghà", "ngé", "cy", "kà",
		"hoàá", "bát́", "Há»“", "haøng", "ngöôøi", "xyz", "tìt", "mang̀"}
	for _, w := range valid {
		if SyllableValidity(w) != 1 {
			t.Errorf("%q phải là âm tiết hợp lệ", w)
		}
		if SyllableValidity(norm.NFD.String(w)) != 1 {
			t.Errorf("NFD(%q) phải là âm tiết hợp lệ", w)
		}
	}
	for _, w := range invalid {
		if SyllableValidity(w) != 0 {
			t.Errorf("%q không phải âm tiết hợp lệ", w)
		}
	}
	if v := SyllableValidity(readProse(t)); v < 0.95 {
		t.Errorf("đoạn văn tiếng Việt: %.2f, muốn ≥ 0.95", v)
	}
	if v := SyllableValidity("The quick brown fox jumps over the lazy dog"); v > 0.4 {
		t.Errorf("câu tiếng Anh: %.2f, muốn ≤ 0.4", v)
	}
	if v := SyllableValidity("2024 — 15%"); v != 0 {
		t.Errorf("không có từ: %.2f", v)
	}
}

func TestDetect(t *testing.T) {
	prose := readProse(t)
	samples := map[string]Encoding{
		"quynhon.txt": UTF8, "quynhon.viscii": VISCII, "quynhon.cp1258": CP1258,
		"quynhon.tcvn3": TCVN3, "quynhon.vni": VNI,
	}
	for file, want := range samples {
		b, err := os.ReadFile("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		got, conf := Detect(b)
		if got != want || conf < 0.5 || conf > 1 {
			t.Errorf("Detect(%s) = %s %.2f, muốn %s với độ tin cậy ≥ 0.5", file, got, conf, want)
		}
		// A short excerpt (about 40 words) is still enough.
		short := b[:len(b)/6]
		if got, _ := Detect(short); got != want && want != UTF8 {
			t.Errorf("Detect(%s, đoạn ngắn) = %s, muốn %s", file, got, want)
		}
	}
	if got, conf := Detect([]byte(norm.NFD.String(prose))); got != UTF8 || conf < 0.8 {
		t.Errorf("Detect(NFD) = %s %.2f", got, conf)
	}
	if got, conf := Detect([]byte("plain ASCII text")); got != UTF8 || conf != 1 {
		t.Errorf("Detect(ASCII) = %s %.2f", got, conf)
	}
	// Western text: also where a few of its words are Vietnamese syllables in VISCII or Windows-1258 too,
	// which tie with Windows-1252 then.
	for _, w := range []string{"Le café est très bon à Genève, où l'été était chaud.", "Voilà, déjà vu à Paris",
		"café crème à emporter", "Le garçon à la façade, Müller über die Straße"} {
		b, _ := charmap.Windows1252.NewEncoder().String(w)
		if got, _ := Detect([]byte(b)); got != Latin1 {
			t.Errorf("Detect(%q in cp1252) = %s, muốn %s", w, got, Latin1)
		}
	}
}

// mojibake shows UTF-8 bytes as a Windows-1252 reader does; with drop, the
// bytes Windows-1252 does not define vanish instead of becoming C1 controls.
func mojibake(s string, drop bool) string {
	var sb strings.Builder
	for _, b := range []byte(s) {
		r := charmap.Windows1252.DecodeByte(b)
		if r == '\uFFFD' {
			if drop {
				continue
			}
			r = rune(b) // browsers show undefined bytes as C1 controls
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

func TestRepairMojibake(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Há»“ ChÃ\u00ad Minh", "Hồ Chí Minh"},
		{"KhoÃ¡ luáº\u00adn tá»‘t nghiá»‡p", "Khoá luận tốt nghiệp"},
		{"B¶o ®¶m chÊt l­îng", "Bảo đảm chất lượng"},
		{"haøng ngöôøi ñi boä", "hàng người đi bộ"},
		{mojibake("Trường Đại học Quy Nhơn", false), "Trường Đại học Quy Nhơn"},
		{mojibake("Trường Đại học Quy Nhơn", true), "Trường Đại học Quy Nhơn"},
		{mojibake("thành phố Hồ Chí Minh", false), "thành phố Hồ Chí Minh"},
		{mojibake(mojibake("nghiên cứu khoa học", false), false), "nghiên cứu khoa học"},
		{strings.ReplaceAll(mojibake("Thành phố và người dân", false), "\u00a0", " "), "Thành phố và người dân"},
	}
	for _, tt := range tests {
		got, ok := RepairMojibake(tt.in)
		if !ok || got != tt.want {
			t.Errorf("RepairMojibake(%q) = %q, %v; muốn %q", tt.in, got, ok, tt.want)
		}
	}
	// UTF-8 read as Windows-1258 and composed to NFC.
	for _, want := range []string{"Trường Đại học Quy Nhơn", "nghiên cứu khoa học ở Việt Nam"} {
		in, _, _ := Decode([]byte(want), CP1258)
		if got, ok := RepairMojibake(in); !ok || got != want {
			t.Errorf("RepairMojibake(%q) = %q, %v; muốn %q", in, got, ok, want)
		}
	}
	// Correct text, foreign text and ASCII stay as they are.
	for _, s := range []string{
		"Hồ Chí Minh", "Khoá luận tốt nghiệp", readProse(t), "Le café est très bon", "plain text",
		"Nguyễn Ánh — “Quy Nhơn” – 2024", norm.NFD.String("Việt Nam"), "Ðà Nẵng",
	} {
		if got, ok := RepairMojibake(s); ok || got != s {
			t.Errorf("RepairMojibake(%q) = %q, %v; phải giữ nguyên", s, got, ok)
		}
	}
}
