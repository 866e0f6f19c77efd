package pdffixture

import (
	"fmt"
	"strings"

	"golang.org/x/text/encoding/charmap"

	"ketnoi/corpus/vntext"
)

// Font is a PDF font as the content stream builder uses it.
type Font interface {
	// Ref is the font dictionary.
	Ref() Ref
	// Show is the string operand that draws s (hex or literal), recording the glyphs used. A character
	// the font cannot show makes the PDF fail to build (the error comes out of Builder.Bytes).
	Show(s string) string
	// Width is the advance of s at size 1, in text space units.
	Width(s string) float64
}

// fail records the first error of a build; Bytes returns it.
func (b *Builder) fail(err error) {
	b.OnFinish(func() error { return err })
}

// Type0 is a composite font as LibreOffice writes it: /Type0 with Identity-H, a CIDFontType2 descendant
// with the TrueType program embedded, /CIDToGIDMap /Identity, 2-byte codes and a ToUnicode CMap.
type Type0 struct {
	b    *Builder
	ref  Ref
	t    *TTF
	name string
	used map[uint16]rune // CID → the character it shows
	// CIDOffset, when not 0, numbers the CIDs by Unicode (CID = code point + CIDOffset) instead of by
	// glyph id, with a CIDToGIDMap stream, as some producers do; ToUnicode maps can then use ranges.
	CIDOffset int
	// ToUnicode, when set, writes the ToUnicode CMap's mappings instead of one bfchar per glyph; it gets
	// the used CIDs and their characters. NoToUnicode leaves the map out.
	ToUnicode   func(used map[uint16]rune) string
	NoToUnicode bool
}

// Type0 adds a composite font over t. Its objects are written when the PDF is.
func (b *Builder) Type0(t *TTF) *Type0 {
	f := &Type0{b: b, ref: b.Alloc(), t: t, used: map[uint16]rune{}}
	f.name = fmt.Sprintf("%s+%s", subsetTag(int(f.ref)), t.PSName)
	b.OnFinish(f.finish)
	return f
}

// subsetTag makes the six-letter prefix producers put before an embedded font's name.
func subsetTag(n int) string {
	tag := []byte("BAAAAA")
	for i := 5; i > 0 && n > 0; i-- {
		tag[i] = byte('A' + n%26)
		n /= 26
	}
	return string(tag)
}

func (f *Type0) Ref() Ref { return f.ref }

func (f *Type0) cid(r rune) (uint16, bool) {
	if f.CIDOffset != 0 {
		if _, err := f.t.GID(r); err != nil {
			f.b.fail(err)
			return 0, false
		}
		return uint16(int(r) + f.CIDOffset), true
	}
	g, err := f.t.GID(r)
	if err != nil {
		f.b.fail(err)
		return 0, false
	}
	return g, true
}

// Show returns a hex string of 2-byte CIDs.
func (f *Type0) Show(s string) string {
	var sb strings.Builder
	sb.WriteByte('<')
	for _, r := range s {
		c, ok := f.cid(r)
		if !ok {
			continue
		}
		if _, seen := f.used[c]; !seen {
			f.used[c] = r
		}
		fmt.Fprintf(&sb, "%04X", c)
	}
	sb.WriteByte('>')
	return sb.String()
}

func (f *Type0) Width(s string) float64 {
	w := 0.0
	for _, r := range s {
		w += f.t.RuneWidth(r)
	}
	return w / 1000
}

func (f *Type0) finish() error {
	b, t := f.b, f.t
	desc := b.descriptor(t, f.name, 32, b.fontFile(t))
	cids := sortedKeys(f.used)
	// /W as one run per CID: "c [w]" is what LibreOffice writes for scattered glyphs.
	var w strings.Builder
	for _, c := range cids {
		g, _ := t.GID(f.used[c])
		fmt.Fprintf(&w, "%d [%.0f] ", c, t.Advance(g))
	}
	gidMap := "/Identity"
	if f.CIDOffset != 0 {
		// CIDToGIDMap stream: two bytes (big-endian glyph id) per CID, from CID 0 on.
		m := make([]byte, 2*(int(cids[len(cids)-1])+1))
		for _, c := range cids {
			g, _ := t.GID(f.used[c])
			m[2*int(c)], m[2*int(c)+1] = byte(g>>8), byte(g)
		}
		gidMap = b.AddFlate("", m).String()
	}
	cidFont := b.Add(fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s "+
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "+
		"/FontDescriptor %s /DW 1000 /W [%s] /CIDToGIDMap %s >>", f.name, desc, strings.TrimSpace(w.String()), gidMap))
	tu := ""
	if !f.NoToUnicode {
		maps := ""
		if f.ToUnicode != nil {
			maps = f.ToUnicode(f.used)
		} else {
			maps = bfchars(f.used)
		}
		tu = " /ToUnicode " + b.AddFlate("", []byte(ToUnicodeCMap(maps))).String()
	}
	b.Set(f.ref, fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H "+
		"/DescendantFonts [%s]%s >>", f.name, cidFont, tu))
	return nil
}

// ToUnicodeCMap wraps bfchar/bfrange sections in the CMap program every producer writes.
func ToUnicodeCMap(maps string) string {
	return "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n" + maps +
		"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
}

// bfchars maps each used code to its character, in sections of at most 100 entries (the CMap limit).
func bfchars(used map[uint16]rune) string {
	var sb strings.Builder
	codes := sortedKeys(used)
	for i := 0; i < len(codes); i += 100 {
		part := codes[i:min(i+100, len(codes))]
		fmt.Fprintf(&sb, "%d beginbfchar\n", len(part))
		for _, c := range part {
			fmt.Fprintf(&sb, "<%04X> <%s>\n", c, utf16Hex(used[c]))
		}
		sb.WriteString("endbfchar\n")
	}
	return sb.String()
}

// utf16Hex is r in UTF-16BE, as hex.
func utf16Hex(r rune) string {
	if r < 0x10000 {
		return fmt.Sprintf("%04X", r)
	}
	r -= 0x10000
	return fmt.Sprintf("%04X%04X", 0xd800+(r>>10), 0xdc00+(r&0x3ff))
}

// SimpleFont is a single-byte TrueType font: WinAnsi as Word writes it, WinAnsi with /Differences
// naming glyphs uniXXXX, or a legacy Vietnamese font whose bytes are TCVN3 or VNI codes.
type SimpleFont struct {
	b        *Builder
	ref      Ref
	t        *TTF
	baseFont string
	encode   func(string) ([]byte, error)
	decode   func(byte) rune // the character a code draws, for its width
	embed    bool
	used     [256]bool
	names    map[byte]string // /Differences: code → glyph name
	// Differences assigns codes from 128 up to characters outside ASCII, named uniXXXX.
	differences bool
	next        int
	codes       map[rune]byte
}

// WinAnsiFont adds a TrueType font with /WinAnsiEncoding and the font program embedded, as Word and
// doPDF write the Latin part of a text. It shows only characters of Windows-1252.
func (b *Builder) WinAnsiFont(t *TTF) *SimpleFont {
	enc := charmap.Windows1252.NewEncoder()
	f := &SimpleFont{b: b, ref: b.Alloc(), t: t, embed: true,
		encode: func(s string) ([]byte, error) { return enc.Bytes([]byte(s)) },
		decode: charmap.Windows1252.DecodeByte}
	f.baseFont = subsetTag(int(f.ref)) + "+" + t.PSName
	b.OnFinish(f.finish)
	return f
}

// UniNamesFont adds a TrueType font whose codes above 127 are named by /Differences as uniXXXX, with
// no ToUnicode: a reader must turn glyph names into characters.
func (b *Builder) UniNamesFont(t *TTF) *SimpleFont {
	f := &SimpleFont{b: b, ref: b.Alloc(), t: t, embed: true, differences: true, next: 128,
		names: map[byte]string{}, codes: map[rune]byte{}}
	f.baseFont = subsetTag(int(f.ref)) + "+" + t.PSName
	f.encode = f.encodeNamed
	f.decode = func(c byte) rune {
		for r, code := range f.codes {
			if code == c {
				return r
			}
		}
		return rune(c)
	}
	b.OnFinish(f.finish)
	return f
}

// LegacyFont adds a font named baseFont (".VnTime", "VNI-Times") whose string bytes are codes of a
// legacy Vietnamese encoding, declared /WinAnsiEncoding with no ToUnicode and not embedded, as old Word
// files printed to PDF have them. Widths come from t's glyphs for the characters the codes stand for.
func (b *Builder) LegacyFont(t *TTF, baseFont string, enc vntext.Encoding) *SimpleFont {
	e, err := newLegacyEncoder(enc)
	if err != nil {
		b.fail(err)
	}
	f := &SimpleFont{b: b, ref: b.Alloc(), t: t, baseFont: baseFont,
		encode: func(s string) ([]byte, error) { return e.Encode(s) },
		decode: func(c byte) rune {
			s, _, _ := vntext.Decode([]byte{c}, enc)
			r := []rune(s)
			if len(r) != 1 {
				return 'n'
			}
			return r[0]
		}}
	b.OnFinish(f.finish)
	return f
}

func (f *SimpleFont) Ref() Ref { return f.ref }

func (f *SimpleFont) encodeNamed(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r >= 0x20 && r < 0x7f {
			out = append(out, byte(r))
			continue
		}
		c, ok := f.codes[r]
		if !ok {
			if f.next > 255 {
				return nil, fmt.Errorf("pdffixture: more than 128 non-ASCII characters in one simple font")
			}
			if _, err := f.t.GID(r); err != nil {
				return nil, err
			}
			c = byte(f.next)
			f.next++
			f.codes[r] = c
			f.names[c] = fmt.Sprintf("uni%04X", r)
		}
		out = append(out, c)
	}
	return out, nil
}

// Show returns a literal string, with octal escapes for bytes outside printable ASCII, as Word writes.
func (f *SimpleFont) Show(s string) string {
	raw, err := f.encode(s)
	if err != nil {
		f.b.fail(fmt.Errorf("pdffixture: %s cannot show %q: %w", f.baseFont, s, err))
	}
	for _, c := range raw {
		f.used[c] = true
	}
	return Literal(raw)
}

func (f *SimpleFont) Width(s string) float64 {
	raw, err := f.encode(s)
	if err != nil {
		return 0
	}
	w := 0.0
	for _, c := range raw {
		w += f.t.RuneWidth(f.decode(c))
	}
	return w / 1000
}

// Literal writes raw as a PDF literal string.
func Literal(raw []byte) string {
	var sb strings.Builder
	sb.WriteByte('(')
	for _, c := range raw {
		switch {
		case c == '(' || c == ')' || c == '\\':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c < 0x20 || c > 0x7e:
			fmt.Fprintf(&sb, "\\%03o", c)
		default:
			sb.WriteByte(c)
		}
	}
	sb.WriteByte(')')
	return sb.String()
}

func (f *SimpleFont) finish() error {
	b := f.b
	first, last := 32, 32
	for c := 255; c >= 0; c-- {
		if f.used[c] {
			last = max(last, c)
			first = c
		}
	}
	first = min(first, 32)
	ws := make([]string, 0, last-first+1)
	for c := first; c <= last; c++ {
		w := 0.0
		if f.used[c] || c == 32 {
			w = f.t.RuneWidth(f.decode(byte(c)))
		}
		ws = append(ws, fmt.Sprintf("%.0f", w))
	}
	var file Ref
	if f.embed {
		file = b.fontFile(f.t)
	}
	name := f.baseFont // ".VnTime" is a valid name as it stands: "/.VnTime"
	desc := b.descriptor(f.t, name, 32, file)
	enc := "/WinAnsiEncoding"
	if f.differences {
		var d strings.Builder
		prev := -2
		for _, c := range sortedKeys(f.names) {
			if int(c) != prev+1 {
				fmt.Fprintf(&d, " %d", c)
			}
			d.WriteString(" /" + f.names[c])
			prev = int(c)
		}
		enc = fmt.Sprintf("<< /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [%s ] >>", d.String())
	}
	b.Set(f.ref, fmt.Sprintf("<< /Type /Font /Subtype /TrueType /BaseFont /%s /FirstChar %d /LastChar %d "+
		"/Widths [%s] /FontDescriptor %s /Encoding %s >>", name, first, last, strings.Join(ws, " "), desc, enc))
	return nil
}
