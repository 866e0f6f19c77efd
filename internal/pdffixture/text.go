package pdffixture

import (
	"errors"
	"fmt"

	"golang.org/x/text/encoding/charmap"

	"ketnoi/corpus/vntext"
)

// The texts: a research report's cover and abstract, as the extractor meets them. Every line fits the
// A4 text width at 12 pt; every Vietnamese letter form (breve, circumflex, horn, đ, the five tones,
// capitals) occurs somewhere.
var (
	coverLines = []string{
		"BÁO CÁO TỔNG KẾT ĐỀ TÀI KHOA HỌC VÀ CÔNG NGHỆ",
		"Nghiên cứu quy trình sấy cá cơm bằng năng lượng mặt trời",
		"Chủ nhiệm đề tài: PGS.TS. Nguyễn Văn Hùng",
		"Cơ quan chủ trì: Trường Đại học Quy Nhơn",
		"Mã số: ĐTKHCN.15/2022 – Lĩnh vực: Nông nghiệp",
		"Bình Định, tháng 12 năm 2024",
	}
	abstractLines = []string{
		"Tóm tắt",
		"Đề tài đã xây dựng quy trình sấy cá cơm bằng năng lượng mặt trời",
		"kết hợp bơm nhiệt, rút ngắn thời gian sấy còn 18 giờ.",
		"Sản phẩm đạt tiêu chuẩn an toàn thực phẩm, độ ẩm dưới 20%,",
		"giữ được màu sắc tự nhiên và hương vị đặc trưng của cá.",
		"Kết quả đã được chuyển giao cho hợp tác xã thủy sản Nhơn Lý.",
	}
	// Two columns of a results page, 10 pt, each line within a column.
	leftColumn = []string{
		"Phương pháp nghiên cứu",
		"Mẫu cá cơm được thu mua tại cảng",
		"cá Quy Nhơn, rửa sạch bằng nước",
		"muối loãng rồi để ráo trong 30 phút.",
		"Máy sấy dùng tấm thu nhiệt mặt trời",
		"và bơm nhiệt dự phòng khi trời mưa.",
	}
	rightColumn = []string{
		"Kết quả và thảo luận",
		"Nhiệt độ sấy tối ưu là 55 °C, tốc",
		"độ gió 1,5 m/s. Chi phí năng lượng",
		"giảm 42% so với lò sấy than củi.",
		"Sản phẩm được người tiêu dùng",
		"đánh giá cao về màu sắc và mùi vị.",
	}
	// Lines of the legacy-font fixtures: TCVN3 has no capital toned letters, so none occur.
	legacyLines = []string{
		"Nghiên cứu quy trình sấy cá cơm bằng năng lượng mặt trời",
		"Chủ nhiệm đề tài: PGS.TS. Nguyễn Văn Hùng",
		"Cơ quan chủ trì: Trường Đại học Quy Nhơn",
		"Đề tài thực hiện tại Bình Định từ năm 2022 đến năm 2024.",
	}
	englishLines = []string{
		"Abstract",
		"The project developed a solar drying process for anchovy,",
		"combined with a heat pump, cutting drying time to 18 hours.",
		"Host institution: Quy Nhon University, Binh Dinh province.",
	}
	// ScanLines is the text of the scanned fixtures: plain sentences OCR can read.
	ScanLines = []string{
		"Nghiên cứu quy trình sấy cá cơm bằng năng lượng mặt trời",
		"Chủ nhiệm đề tài: PGS.TS. Nguyễn Văn Hùng",
		"Cơ quan chủ trì: Trường Đại học Quy Nhơn",
		"Đề tài đã xây dựng quy trình sấy kết hợp bơm nhiệt,",
		"rút ngắn thời gian sấy và giữ được hương vị của cá.",
	}
)

// TextFixtures returns every fixture with a text layer, built fresh. It returns nil when DejaVu Sans is
// not installed: call NeedFont first in a test.
func TextFixtures() []Fixture { return must(BuildTextFixtures()) }

// BuildTextFixtures is TextFixtures with the error (wrapping ErrNoFont when the font is missing).
func BuildTextFixtures() ([]Fixture, error) {
	return build([]func(*TTF) (Fixture, error){
		clean, twoColumns, wideToUnicode, uniNames, noSpaceGlyphs, fontSwitch, sameResourceName,
		tstar, tcvn3, vni, invisibleText, formXObject,
	})
}

// must turns a build error into nil fixtures when the font is missing (tests skip through NeedFont) and
// into a panic otherwise: a fixture that does not build is a bug in this package.
func must(fs []Fixture, err error) []Fixture {
	if errors.Is(err, ErrNoFont) {
		return nil
	}
	if err != nil {
		panic(err)
	}
	return fs
}

func build(makers []func(*TTF) (Fixture, error)) ([]Fixture, error) {
	t, err := LoadFont()
	if err != nil {
		return nil, err
	}
	out := make([]Fixture, 0, len(makers))
	for _, m := range makers {
		f, err := m(t)
		if err != nil {
			return nil, fmt.Errorf("pdffixture: %s: %w", f.Name, err)
		}
		out = append(out, f)
	}
	return out, nil
}

// simpleDoc builds one fixture of pages of lines in one font made by mk.
func simpleDoc(name, about string, t *TTF, mk func(*Builder) Font, pages ...[]string) (Fixture, error) {
	b := NewBuilder(name)
	f := mk(b)
	var ps []Page
	var golden []string
	for _, lines := range pages {
		ps = append(ps, textPage(f, lines))
		golden = append(golden, joinLines(lines))
	}
	pdf, err := b.Bytes(b.Document(ps), b.Info(coverLines[1], "LibreOffice 24.2"))
	return Fixture{Name: name, About: about, PDF: pdf, Pages: golden}, err
}

// Report is a clean report as LibreOffice exports one (Type0/Identity-H font, ToUnicode map, real space
// glyphs), with the given lines on each page: the input of `ketnoi bench pdf`.
func Report(name string, t *TTF, pages [][]string) (Fixture, error) {
	return simpleDoc(name, "clean generated report", t, type0(t), pages...)
}

func type0(t *TTF) func(*Builder) Font { return func(b *Builder) Font { return b.Type0(t) } }

func clean(t *TTF) (Fixture, error) {
	return simpleDoc("clean", "LibreOffice-style: Type0/Identity-H, embedded TrueType, ToUnicode, real space glyphs",
		t, type0(t), coverLines, abstractLines)
}

func twoColumns(t *TTF) (Fixture, error) {
	b := NewBuilder("two-columns")
	f := b.Type0(t)
	var c Content
	const size, gutter = 10.0, 30.0
	right := marginLeft + (A4[0]-2*marginLeft+gutter)/2
	// Drawn row by row, left then right, as a layout program may: the reading order must come from
	// positions, not from the order in the stream.
	for i := range leftColumn {
		y := A4[1] - marginTop - size - float64(i)*size*1.5
		c.Line("F1", f, size, marginLeft, y, leftColumn[i])
		c.Line("F1", f, size, right, y, rightColumn[i])
		if w := f.Width(leftColumn[i]) * size; marginLeft+w > right-gutter/2 {
			return Fixture{Name: "two-columns"}, fmt.Errorf("left line %q runs into the gutter", leftColumn[i])
		}
	}
	pdf, err := b.Bytes(b.Document([]Page{{Content: c.Bytes(), Fonts: map[string]Ref{"F1": f.Ref()}}}), 0)
	return Fixture{Name: "two-columns", About: "two text columns drawn row by row; golden is the left column, then the right",
		PDF: pdf, Pages: []string{joinLines(leftColumn) + "\n" + joinLines(rightColumn)}}, err
}

// wideToUnicode numbers CIDs by Unicode (plus 0x1000, so the codes are not UTF-16 by accident) and maps
// them back with Acrobat-style ranges: one bfrange over all of ASCII, one crossing a high-byte boundary
// (<10C0>..<11B0>, which the spec forbids but producers write), an array-form bfrange, and bfchars.
func wideToUnicode(t *TTF) (Fixture, error) {
	const off = 0x1000
	mk := func(b *Builder) Font {
		f := b.Type0(t)
		f.CIDOffset = off
		f.ToUnicode = func(map[uint16]rune) string {
			return fmt.Sprintf("3 beginbfrange\n<%04X> <%04X> <0020>\n<%04X> <%04X> <00C0>\n<%04X> <%04X> <0112>\nendbfrange\n",
				off+0x20, off+0x7e, off+0xc0, off+0x10f, off+0x112, off+0x1b0) +
				fmt.Sprintf("2 beginbfchar\n<%04X> <0110>\n<%04X> <0111>\nendbfchar\n", off+0x110, off+0x111) +
				fmt.Sprintf("2 beginbfrange\n<%04X> <%04X> [<1EA0> <1EA1> <1EA2> <1EA3>]\n<%04X> <%04X> <1EA4>\nendbfrange\n",
					off+0x1ea0, off+0x1ea3, off+0x1ea4, off+0x1ef9) +
				fmt.Sprintf("1 beginbfrange\n<%04X> <%04X> <2013>\nendbfrange\n", off+0x2013, off+0x2014)
		}
		return f
	}
	return simpleDoc("wide-tounicode", "Type0 with CIDs by code point and a ToUnicode of wide bfranges (one crossing a high byte), array bfrange and bfchar",
		t, mk, coverLines, abstractLines)
}

func uniNames(t *TTF) (Fixture, error) {
	return simpleDoc("uni-names", "simple TrueType, /Differences naming glyphs uniXXXX above 127, no ToUnicode",
		t, func(b *Builder) Font { return b.UniNamesFont(t) }, coverLines)
}

// noSpaceGlyphs sets words apart by position only, as TeX does: odd lines in one TJ with -333
// adjustments (a third of an em), even lines word by word with Td.
func noSpaceGlyphs(t *TTF) (Fixture, error) {
	b := NewBuilder("no-space-glyphs")
	f := b.Type0(t)
	var c Content
	for i, line := range abstractLines {
		words := splitWords(line)
		c.Op("BT /F1 %s Tf 1 0 0 1 %s %s Tm", num(bodySize), num(marginLeft), num(baseline(i, bodySize)))
		if i%2 == 1 {
			arr := ""
			for j, w := range words {
				if j > 0 {
					arr += " -333 "
				}
				arr += f.Show(w)
			}
			c.Op("[%s] TJ", arr)
		} else {
			for j, w := range words {
				if j > 0 {
					c.Op("%s 0 Td", num((f.Width(words[j-1])+0.333)*bodySize))
				}
				c.Op("%s Tj", f.Show(w))
			}
		}
		c.Op("ET")
	}
	pdf, err := b.Bytes(b.Document([]Page{{Content: c.Bytes(), Fonts: map[string]Ref{"F1": f.Ref()}}}), 0)
	return Fixture{Name: "no-space-glyphs", About: "TeX-like: no space characters, words apart by TJ offsets or Td; golden has spaces",
		PDF: pdf, Pages: []string{joinLines(abstractLines)}}, err
}

func splitWords(s string) []string {
	var out []string
	start := -1
	for i, r := range s + " " {
		if r == ' ' {
			if start >= 0 {
				out = append(out, s[start:i])
			}
			start = -1
		} else if start < 0 {
			start = i
		}
	}
	return out
}

// fontSwitch writes what Word's PDF printers make of Vietnamese: runs of Windows-1252 characters in a
// WinAnsi TrueType font, the other letters in a second font with ToUnicode, each run its own text
// object placed right after the previous one, mid-word ("su" + "ấ" + "t").
func fontSwitch(t *TTF) (Fixture, error) {
	b := NewBuilder("font-switch")
	latin, viet := b.WinAnsiFont(t), b.Type0(t)
	var c Content
	lines := append(append([]string{}, coverLines[1:4]...), abstractLines[1:4]...)
	for i, line := range lines {
		x := marginLeft
		for _, run := range splitRuns(line) {
			f, res := Font(latin), "F1"
			if !run.latin {
				f, res = viet, "F2"
			}
			c.Line(res, f, bodySize, x, baseline(i, bodySize), run.s)
			x += f.Width(run.s) * bodySize
		}
	}
	pdf, err := b.Bytes(b.Document([]Page{{Content: c.Bytes(), Fonts: map[string]Ref{"F1": latin.Ref(), "F2": viet.Ref()}}}), 0)
	return Fixture{Name: "font-switch", About: "Word/doPDF-style: WinAnsi font for Latin runs, a Type0 font for other letters, one BT..ET per run mid-word",
		PDF: pdf, Pages: []string{joinLines(lines)}}, err
}

type run struct {
	s     string
	latin bool
}

// splitRuns cuts s where it switches between Windows-1252 characters and others.
func splitRuns(s string) []run {
	var out []run
	for _, r := range s {
		_, ok := charmap.Windows1252.EncodeRune(r)
		if n := len(out); n > 0 && out[n-1].latin == ok {
			out[n-1].s += string(r)
		} else {
			out = append(out, run{string(r), ok})
		}
	}
	return out
}

// sameResourceName has two pages that both call their font /F1, bound to different fonts: an extractor
// that caches fonts by resource name decodes page 2 with page 1's font.
func sameResourceName(t *TTF) (Fixture, error) {
	b := NewBuilder("same-resource-name")
	p1 := textPage(b.Type0(t), coverLines)
	p2 := textPage(b.WinAnsiFont(t), englishLines)
	pdf, err := b.Bytes(b.Document([]Page{p1, p2}), 0)
	return Fixture{Name: "same-resource-name", About: "two pages each naming their font /F1: Type0/Identity-H on page 1, WinAnsi TrueType on page 2",
		PDF: pdf, Pages: []string{joinLines(coverLines), joinLines(englishLines)}}, err
}

// tstar moves between lines with TL and T*, and with the ' operator (move to the next line and show).
func tstar(t *TTF) (Fixture, error) {
	b := NewBuilder("tstar")
	f := b.Type0(t)
	var c Content
	c.Op("BT /F1 %s Tf %s TL %s %s Td", num(bodySize), num(leading), num(marginLeft), num(baseline(0, bodySize)))
	for i, line := range abstractLines {
		switch {
		case i == 0:
			c.Op("%s Tj", f.Show(line))
		case i%2 == 1:
			c.Op("T* %s Tj", f.Show(line))
		default:
			c.Op("%s '", f.Show(line))
		}
	}
	c.Op("ET")
	pdf, err := b.Bytes(b.Document([]Page{{Content: c.Bytes(), Fonts: map[string]Ref{"F1": f.Ref()}}}), 0)
	return Fixture{Name: "tstar", About: "one text object, lines advanced with TL and T* and the ' operator",
		PDF: pdf, Pages: []string{joinLines(abstractLines)}}, err
}

func tcvn3(t *TTF) (Fixture, error) {
	return simpleDoc("tcvn3", "legacy .VnTime font: TCVN3 bytes under /WinAnsiEncoding, no ToUnicode; readers show mojibake (Nghi\u00aan c\u00f8u; pdftotext turns ư, byte AD, into '-')",
		t, func(b *Builder) Font { return b.LegacyFont(t, ".VnTime", vntext.TCVN3) }, legacyLines)
}

func vni(t *TTF) (Fixture, error) {
	return simpleDoc("vni", "legacy VNI-Times font: VNI-Windows bytes under /WinAnsiEncoding, no ToUnicode; readers show mojibake",
		t, func(b *Builder) Font { return b.LegacyFont(t, "VNI-Times", vntext.VNI) }, legacyLines)
}

// invisibleText is what a scanner's OCR makes: the page is a picture, and the recognised text lies
// over it in render mode 3 (neither fill nor stroke). The text layer is there: no OCR needed.
func invisibleText(t *TTF) (Fixture, error) {
	b := NewBuilder("invisible-text")
	img, err := RenderLines(coverLines, 100)
	if err != nil {
		return Fixture{Name: "invisible-text"}, err
	}
	im, err := b.Image(img, true)
	if err != nil {
		return Fixture{Name: "invisible-text"}, err
	}
	f := b.Type0(t)
	var c Content
	c.Write(imageContent())
	c.Op("BT 3 Tr")
	for i, line := range coverLines {
		c.Op("/F1 %s Tf 1 0 0 1 %s %s Tm %s Tj", num(bodySize), num(marginLeft), num(baseline(i, bodySize)), f.Show(line))
	}
	c.Op("ET")
	pdf, err := b.Bytes(b.Document([]Page{{Content: c.Bytes(), Fonts: map[string]Ref{"F1": f.Ref()},
		XObjects: map[string]Ref{"Im1": im}}}), 0)
	return Fixture{Name: "invisible-text", About: "OCRed scan: full-page JPEG plus an invisible (3 Tr) text layer; must not need OCR",
		PDF: pdf, Pages: []string{joinLines(coverLines)}}, err
}

// formXObject draws the text inside a Form XObject that the page invokes with Do; the font is in the
// form's resources only.
func formXObject(t *TTF) (Fixture, error) {
	b := NewBuilder("form-xobject")
	f := b.Type0(t)
	var form Content
	form.Lines("F1", f, bodySize, coverLines)
	fm := b.AddFlate(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 %s %s] /Resources %s",
		num(A4[0]), num(A4[1]), resources(map[string]Ref{"F1": f.Ref()}, nil)), form.Bytes())
	var c Content
	c.Op("q 1 0 0 1 0 0 cm /Fm1 Do Q")
	pdf, err := b.Bytes(b.Document([]Page{{Content: c.Bytes(), XObjects: map[string]Ref{"Fm1": fm}}}), 0)
	return Fixture{Name: "form-xobject", About: "text drawn inside a Form XObject invoked with Do; the font is in the form's resources",
		PDF: pdf, Pages: []string{joinLines(coverLines)}}, err
}

// OCRFixtures returns the scanned pages, with no text layer (NeedsOCR): the JPEG and the Flate version
// of ScanLines at 300 dpi. Nil when the font is missing, as TextFixtures.
func OCRFixtures() []Fixture { return must(BuildOCRFixtures()) }

// BuildOCRFixtures is OCRFixtures with the error.
func BuildOCRFixtures() ([]Fixture, error) {
	var out []Fixture
	for _, jpeg := range []bool{true, false} {
		name, about := "scanned-jpeg", "A4 scan at 300 dpi, one DCTDecode gray image, no text layer"
		if !jpeg {
			name, about = "scanned-flate", "A4 scan at 300 dpi, one Flate gray image, no text layer"
		}
		pdf, err := Scanned(ScanLines, 300, jpeg)
		if err != nil {
			return nil, err
		}
		out = append(out, Fixture{Name: name, About: about, PDF: pdf, Pages: []string{joinLines(ScanLines)}, NeedsOCR: true})
	}
	return out, nil
}
