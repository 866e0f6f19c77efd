package pdffixture

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// ErrNoFont is returned (wrapped) by every constructor that embeds or renders glyphs when DejaVu Sans is
// not installed. The Go fonts cannot stand in: they lack the Vietnamese letters U+1EA0–U+1EF9.
var ErrNoFont = errors.New("pdffixture: DejaVuSans.ttf not found: install the Debian package fonts-dejavu-core")

// FontEnv names an environment variable that may point at DejaVuSans.ttf (or another TrueType font that
// covers Vietnamese) where the distribution keeps it elsewhere.
const FontEnv = "KETNOI_FIXTURE_FONT"

// fontPaths are where distributions install DejaVu Sans (Debian/Ubuntu first, as on CI).
var fontPaths = []string{
	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
	"/usr/share/fonts/dejavu/DejaVuSans.ttf",
	"/usr/share/fonts/TTF/DejaVuSans.ttf",
	"/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
}

// TTF is a parsed TrueType font: its file (embedded whole, no subsetting) and its metrics in the PDF's
// glyph space (1000 units per em).
type TTF struct {
	Data   []byte
	PSName string
	face   *sfnt.Font
	upem   float64
	// BBox, Ascent, Descent and CapHeight go into the font descriptor, in 1000 units per em.
	BBox                       [4]float64
	Ascent, Descent, CapHeight float64

	mu    sync.Mutex // guards buf and the caches: fixtures may be built from parallel tests
	buf   sfnt.Buffer
	gids  map[rune]uint16
	adv   map[uint16]float64
	flate []byte // Data compressed once, shared by every PDF that embeds it
}

var fontOnce = sync.OnceValues(func() (*TTF, error) {
	paths := fontPaths
	if p := os.Getenv(FontEnv); p != "" {
		paths = []string{p}
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		t, err := ParseTTF(data)
		if err != nil {
			return nil, fmt.Errorf("pdffixture: %s: %w", p, err)
		}
		return t, nil
	}
	return nil, ErrNoFont
})

// LoadFont returns DejaVu Sans, read once from the system, or an error wrapping ErrNoFont.
func LoadFont() (*TTF, error) { return fontOnce() }

// ParseTTF parses a TrueType font and checks that it covers Vietnamese.
func ParseTTF(data []byte) (*TTF, error) {
	f, err := sfnt.Parse(data)
	if err != nil {
		return nil, err
	}
	t := &TTF{Data: data, face: f, upem: float64(f.UnitsPerEm()), gids: map[rune]uint16{}, adv: map[uint16]float64{}}
	if t.PSName, err = f.Name(&t.buf, sfnt.NameIDPostScript); err != nil || t.PSName == "" {
		t.PSName = "EmbeddedFont"
	}
	ppem := fixed.I(int(t.upem))
	bounds, err := f.Bounds(&t.buf, ppem, font.HintingNone)
	if err != nil {
		return nil, err
	}
	m, err := f.Metrics(&t.buf, ppem, font.HintingNone)
	if err != nil {
		return nil, err
	}
	// sfnt's y axis points down; PDF's points up.
	t.BBox = [4]float64{t.units(bounds.Min.X), -t.units(bounds.Max.Y), t.units(bounds.Max.X), -t.units(bounds.Min.Y)}
	t.Ascent, t.Descent, t.CapHeight = t.units(m.Ascent), -t.units(m.Descent), t.units(m.CapHeight)
	for _, r := range "ĐđƠơƯưĂăẠạẾếỮữỹ" {
		if _, err := t.GID(r); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// units converts a 26.6 value measured at ppem = units per em into 1000-unit glyph space.
func (t *TTF) units(v fixed.Int26_6) float64 { return float64(v) / 64 * 1000 / t.upem }

// GID is the glyph id of r, or an error when the font has no glyph for it.
func (t *TTF) GID(r rune) (uint16, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if g, ok := t.gids[r]; ok {
		return g, nil
	}
	g, err := t.face.GlyphIndex(&t.buf, r)
	if err != nil || g == 0 {
		return 0, fmt.Errorf("pdffixture: font %s has no glyph for %q (U+%04X)", t.PSName, r, r)
	}
	t.gids[r] = uint16(g)
	return uint16(g), nil
}

// Advance is the advance width of a glyph in 1000 units per em.
func (t *TTF) Advance(gid uint16) float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if a, ok := t.adv[gid]; ok {
		return a
	}
	v, err := t.face.GlyphAdvance(&t.buf, sfnt.GlyphIndex(gid), fixed.I(int(t.upem)), font.HintingNone)
	if err != nil {
		return 0
	}
	t.adv[gid] = t.units(v)
	return t.adv[gid]
}

// RuneWidth is the advance of r's glyph in 1000 units, or a default of 500 when there is none.
func (t *TTF) RuneWidth(r rune) float64 {
	g, err := t.GID(r)
	if err != nil {
		return 500
	}
	return t.Advance(g)
}

// compressed is the font file deflated, made once.
func (t *TTF) compressed() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.flate == nil {
		t.flate = Deflate(t.Data)
	}
	return t.flate
}

// fontFile adds the font program as a FontFile2 stream, once per PDF.
func (b *Builder) fontFile(t *TTF) Ref {
	if r, ok := b.fontFiles[t]; ok {
		return r
	}
	r := b.AddStream(fmt.Sprintf("<< /Length1 %d /Filter /FlateDecode >>", len(t.Data)), t.compressed())
	b.fontFiles[t] = r
	return r
}

// descriptor adds a font descriptor; file is the FontFile2 stream or 0 for a font left to the reader's
// substitution (legacy fonts that the fixture cannot ship). flags: 32 nonsymbolic, 4 symbolic.
func (b *Builder) descriptor(t *TTF, name string, flags int, file Ref) Ref {
	ff := ""
	if file != 0 {
		ff = " /FontFile2 " + file.String()
	}
	return b.Add(fmt.Sprintf("<< /Type /FontDescriptor /FontName /%s /Flags %d /FontBBox [%.0f %.0f %.0f %.0f] "+
		"/ItalicAngle 0 /Ascent %.0f /Descent %.0f /CapHeight %.0f /StemV 80%s >>",
		name, flags, t.BBox[0], t.BBox[1], t.BBox[2], t.BBox[3], t.Ascent, t.Descent, t.CapHeight, ff))
}

func sortedKeys[K ~string | ~int | ~uint16 | ~rune | ~uint8, V any](m map[K]V) []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}
