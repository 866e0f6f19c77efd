package extract

import (
	"io"
	"math"
	"sort"
	"strings"

	"github.com/ledongthuc/pdf"

	"ketnoi/corpus/vntext"
)

// This file is our own text-showing interpreter over ledongthuc/pdf's content-stream tokenizer. The
// library's GetPlainText ignores positions (so TeX words lose their spaces and a Word font switch mid-word
// becomes "su ấ t"), its Content() gets glyph widths wrong for two-byte fonts, and neither follows form
// XObjects or knows legacy Vietnamese fonts. Here every glyph gets its position and advance, so spaces and
// line breaks come from geometry, in content order (RungPlain) or by position (RungRows).

// glyph is one shown character (or a run decoded from one code) in user space.
type glyph struct {
	s        string
	x, y     float64 // origin of the glyph
	w        float64 // advance
	size     float64 // effective font size
	explicit bool    // the glyph is a space character drawn by the producer
}

type matrix [6]float64 // a b c d e f

var identity = matrix{1, 0, 0, 1, 0, 0}

func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

func translate(tx, ty float64) matrix { return matrix{1, 0, 0, 1, tx, ty} }

// fontInfo is what the interpreter needs of a font: how to cut a string into codes, decode a code, and
// how wide each code is.
type fontInfo struct {
	enc       pdf.TextEncoding
	cmap      toUnicode       // the ToUnicode CMap, read by us (see cmap.go)
	names     map[int]string  // uniXXXX glyph names of the Differences
	memo      map[int]string  // decoded codes: the library decoders walk the font arrays on every call
	legacy    vntext.Encoding // TCVN3/VNI/VISCII font: decode the raw bytes with it instead of enc
	upper     bool            // an all-capitals ABC font (.VnTimeH)
	twoByte   bool            // Type0 font: two-byte codes
	widths    map[int]float64 // glyph space units (1/1000 em)
	first     int
	simpleW   []float64
	defaultW  float64
	fontScale float64 // Type3: FontMatrix[0]*1000, else 1
}

func (f *fontInfo) width(code int) float64 {
	if f.twoByte {
		if w, ok := f.widths[code]; ok {
			return w
		}
		return f.defaultW
	}
	if i := code - f.first; i >= 0 && i < len(f.simpleW) {
		if w := f.simpleW[i]; w > 0 {
			return w * f.fontScale
		}
	}
	return f.defaultW * f.fontScale
}

func loadFont(v pdf.Value) *fontInfo {
	f := &fontInfo{defaultW: 500, fontScale: 1}
	pf := pdf.Font{V: v}
	f.enc = pf.Encoder()
	f.cmap = readToUnicode(v.Key("ToUnicode"))
	if e := v.Key("Encoding"); e.Kind() == pdf.Dict {
		f.names = differencesNames(e)
	}
	base := v.Key("BaseFont").Name()
	if e := vntext.FontEncoding(base); e != "" {
		f.legacy = e
		f.upper = vntext.FontUppercase(base)
	}
	if v.Key("Subtype").Name() == "Type0" {
		f.twoByte = true
		f.defaultW = 1000
		d := v.Key("DescendantFonts").Index(0)
		if dw := d.Key("DW"); dw.Kind() == pdf.Integer || dw.Kind() == pdf.Real {
			f.defaultW = dw.Float64()
		}
		f.widths = cidWidths(d.Key("W"))
		return f
	}
	f.first = int(v.Key("FirstChar").Int64())
	ws := v.Key("Widths")
	n := ws.Len()
	if n > 65536 {
		n = 65536
	}
	f.simpleW = make([]float64, n)
	for i := range n {
		f.simpleW[i] = ws.Index(i).Float64()
	}
	if mw := v.Key("FontDescriptor").Key("MissingWidth"); mw.Kind() == pdf.Integer || mw.Kind() == pdf.Real {
		if mw.Float64() > 0 {
			f.defaultW = mw.Float64()
		}
	}
	if v.Key("Subtype").Name() == "Type3" {
		if fm := v.Key("FontMatrix"); fm.Len() >= 1 && fm.Index(0).Float64() != 0 {
			f.fontScale = fm.Index(0).Float64() * 1000
		}
	}
	return f
}

// cidWidths reads a CIDFont W array: "c [w1 w2 ...]" and "cfirst clast w" entries.
func cidWidths(w pdf.Value) map[int]float64 {
	m := map[int]float64{}
	n := w.Len()
	for i := 0; i < n && len(m) < 1<<17; {
		c := int(w.Index(i).Int64())
		if i+1 >= n {
			break
		}
		next := w.Index(i + 1)
		if next.Kind() == pdf.Array {
			for j := 0; j < next.Len() && j < 1<<16; j++ {
				m[c+j] = next.Index(j).Float64()
			}
			i += 2
			continue
		}
		if i+2 >= n {
			break
		}
		last, wv := int(next.Int64()), w.Index(i+2).Float64()
		for c2 := c; c2 <= last && c2-c < 1<<16; c2++ {
			m[c2] = wv
		}
		i += 3
	}
	return m
}

type gstate struct {
	ctm        matrix
	font       *fontInfo
	size       float64
	tc, tw, th float64
	tl, rise   float64
}

// pageWalker interprets one page's content, collecting glyphs. Limits bound what a hostile file can make
// it do: form nesting depth, glyph count and decompressed content bytes.
type pageWalker struct {
	glyphs     []glyph
	maxGlyphs  int
	maxContent int64
	content    int64
	tooLarge   bool
	legacy     vntext.Encoding
	lost       int
	fontCache  map[uint64]*fontInfo // by font object, shared by the pages of one document
	images     int                  // images drawn: a page without text but with one is for OCR
}

const maxFormDepth = 8

func (w *pageWalker) walk(strm, res pdf.Value, ctm matrix, depth int) {
	if depth > maxFormDepth || w.tooLarge {
		return
	}
	// Count the decompressed bytes first: a decompression bomb must stop here, not in the tokenizer.
	if n := streamSize(strm, w.maxContent-w.content); n < 0 {
		w.tooLarge = true
		return
	} else {
		w.content += n
	}
	fonts := map[string]*fontInfo{}
	font := func(name string) *fontInfo {
		if f, ok := fonts[name]; ok {
			return f
		}
		v := res.Key("Font").Key(name)
		// The same font object serves many pages: read its widths and CMap once per document.
		id, ok := objectID(v)
		if f, hit := w.fontCache[id]; ok && hit {
			fonts[name] = f
			return f
		}
		f := loadFont(v)
		fonts[name] = f
		if ok && w.fontCache != nil {
			w.fontCache[id] = f
		}
		return f
	}
	g := gstate{ctm: ctm, th: 1}
	var stack []gstate
	var tm, tlm matrix
	show := func(raw string) {
		if g.font == nil || w.tooLarge {
			return
		}
		f := g.font
		// m is tm×ctm, kept in step with tm below: the glyph's rendering matrix is
		// [size·th 0 0 size 0 rise]×m, whose origin, x-scale and y-scale are computed from m directly.
		m := tm.mul(g.ctm)
		scale := math.Hypot(m[0], m[1])
		size := math.Abs(g.size) * math.Hypot(m[2], m[3])
		step := 1
		if f.twoByte {
			step = 2
		}
		for i := 0; i+step <= len(raw); i += step {
			code := int(raw[i])
			if step == 2 {
				code = code<<8 | int(raw[i+1])
			}
			var s string
			if f.legacy != "" {
				var lost int
				s, lost, _ = vntext.Decode([]byte(raw[i:i+step]), f.legacy)
				w.legacy, w.lost = f.legacy, w.lost+lost
				if f.upper {
					s = strings.ToUpper(s)
				}
			} else if t, ok := f.cmap[uint32(code)]; ok {
				s = t
			} else if t, ok := f.names[code]; ok {
				s = t
			} else if t, ok := f.memo[code]; ok {
				s = t
			} else {
				s = f.enc.Decode(raw[i : i+step])
				if f.memo == nil {
					f.memo = map[int]string{}
				}
				f.memo[code] = s
			}
			w0 := f.width(code)
			adv := w0/1000*g.size + g.tc
			if step == 1 && code == 32 {
				adv += g.tw
			}
			adv *= g.th
			if s != "" {
				// The glyph origin is the text rise moved through tm×ctm; see the comment on m above.
				w.glyphs = append(w.glyphs, glyph{s: s, x: m[4] + g.rise*m[2], y: m[5] + g.rise*m[3], w: adv * scale,
					size: size, explicit: s == " " || strings.TrimSpace(s) == ""})
				if len(w.glyphs) > w.maxGlyphs {
					w.tooLarge = true
					return
				}
			}
			// Advancing the text matrix by adv is a translation in its own space.
			tm[4], tm[5] = tm[4]+adv*tm[0], tm[5]+adv*tm[1]
			m[4], m[5] = m[4]+adv*m[0], m[5]+adv*m[1]
		}
	}
	pdf.Interpret(strm, func(stk *pdf.Stack, op string) {
		n := stk.Len()
		args := make([]pdf.Value, n)
		for i := n - 1; i >= 0; i-- {
			args[i] = stk.Pop()
		}
		num := func(i int) float64 {
			if i < len(args) {
				return args[i].Float64()
			}
			return 0
		}
		switch op {
		case "q":
			if len(stack) < 64 {
				stack = append(stack, g)
			}
		case "Q":
			if len(stack) > 0 {
				g = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			}
		case "cm":
			if len(args) == 6 {
				g.ctm = matrix{num(0), num(1), num(2), num(3), num(4), num(5)}.mul(g.ctm)
			}
		case "BT":
			tm, tlm = identity, identity
		case "BI", "EI":
			w.images++ // an inline image (counted at both ends: only zero matters)
		case "Tf":
			if len(args) == 2 {
				g.font = font(args[0].Name())
				g.size = num(1)
			}
		case "Tc":
			g.tc = num(0)
		case "Tw":
			g.tw = num(0)
		case "Tz":
			g.th = num(0) / 100
		case "TL":
			g.tl = num(0)
		case "Ts":
			g.rise = num(0)
		case "Td", "TD":
			if op == "TD" {
				g.tl = -num(1)
			}
			tlm = translate(num(0), num(1)).mul(tlm)
			tm = tlm
		case "Tm":
			if len(args) == 6 {
				tlm = matrix{num(0), num(1), num(2), num(3), num(4), num(5)}
				tm = tlm
			}
		case "T*":
			tlm = translate(0, -g.tl).mul(tlm)
			tm = tlm
		case "Tj":
			if len(args) == 1 {
				show(args[0].RawString())
			}
		case "'", "\"":
			if op == "\"" && len(args) == 3 {
				g.tw, g.tc = num(0), num(1)
				args = args[2:]
			}
			tlm = translate(0, -g.tl).mul(tlm)
			tm = tlm
			if len(args) == 1 {
				show(args[0].RawString())
			}
		case "TJ":
			if len(args) != 1 {
				return
			}
			a := args[0]
			for i := 0; i < a.Len(); i++ {
				x := a.Index(i)
				if x.Kind() == pdf.String {
					show(x.RawString())
				} else {
					tm = translate(-x.Float64()/1000*g.size*g.th, 0).mul(tm)
				}
			}
		case "Do":
			if len(args) != 1 {
				return
			}
			xo := res.Key("XObject").Key(args[0].Name())
			if xo.Key("Subtype").Name() == "Image" {
				w.images++
			}
			if xo.Key("Subtype").Name() != "Form" {
				return
			}
			m := identity
			if mm := xo.Key("Matrix"); mm.Len() == 6 {
				for i := range 6 {
					m[i] = mm.Index(i).Float64()
				}
			}
			r := xo.Key("Resources")
			if r.Kind() != pdf.Dict {
				r = res
			}
			w.walk(xo, r, m.mul(g.ctm), depth+1)
		}
	})
}

// streamSize returns the decompressed size of a content stream (or array of streams), or -1 when it is
// over budget.
func streamSize(strm pdf.Value, budget int64) int64 {
	var total int64
	count := func(v pdf.Value) bool {
		// Flate inflates at most 1032:1: a stream whose stored length cannot reach the budget need not
		// be inflated twice.
		if n := v.Key("Length").Int64(); n > 0 && n*1032 < budget-total && !hasOtherFilter(v) {
			total += n
			return true
		}
		rc := v.Reader()
		defer rc.Close()
		n, _ := io.Copy(io.Discard, io.LimitReader(rc, budget-total+1))
		total += n
		return total <= budget
	}
	if strm.Kind() == pdf.Array {
		for i := 0; i < strm.Len(); i++ {
			if !count(strm.Index(i)) {
				return -1
			}
		}
		return total
	}
	if !count(strm) {
		return -1
	}
	return total
}

// hasOtherFilter reports a filter other than FlateDecode (LZW, for one, has no such bound).
func hasOtherFilter(v pdf.Value) bool {
	f := v.Key("Filter")
	switch f.Kind() {
	case pdf.Null:
		return false
	case pdf.Name:
		return f.Name() != "FlateDecode"
	}
	for i := 0; i < f.Len(); i++ {
		if f.Index(i).Name() != "FlateDecode" {
			return true
		}
	}
	return false
}

// plainText joins glyphs in content order: a line break where the baseline moves by more than half a
// font size, a space where the gap to the previous glyph's end is wider than a fifth of one.
func plainText(all []glyph) string {
	var b strings.Builder
	for k, gs := range readingGroups(all) {
		if k > 0 {
			b.WriteByte('\n')
		}
		plainGroup(&b, gs)
	}
	return cleanLines(b.String())
}

func plainGroup(b *strings.Builder, gs []glyph) {
	for i, g := range gs {
		if i > 0 {
			writeSep(b, gs[i-1], g)
		}
		b.WriteString(g.s)
	}
}

func writeSep(b *strings.Builder, prev, g glyph) {
	size := math.Max(math.Max(prev.size, g.size), 1)
	dy := g.y - prev.y
	switch {
	case math.Abs(dy) > size*0.5:
		b.WriteByte('\n')
	case prev.explicit || g.explicit:
	default:
		gap := g.x - (prev.x + prev.w)
		// A glyph drawn left of the previous one on the same baseline starts something new (a column or
		// an overprint): separate it too.
		if gap > size*0.2 || gap < -size*2 {
			b.WriteByte(' ')
		}
	}
}

// rowsText orders glyphs by position: rows from the top (baselines within a third of a font size are one
// row), each row from the left.
func rowsText(all []glyph) string {
	var parts []string
	for _, gs := range readingGroups(all) {
		parts = append(parts, rowsGroup(gs))
	}
	return cleanLines(strings.Join(parts, "\n"))
}

func rowsGroup(gs []glyph) string {
	if len(gs) == 0 {
		return ""
	}
	sorted := make([]glyph, len(gs))
	copy(sorted, gs)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].y > sorted[j].y })
	var rows [][]glyph
	for _, g := range sorted {
		if k := len(rows) - 1; k >= 0 && math.Abs(rows[k][0].y-g.y) <= math.Max(g.size, 1)/3 {
			rows[k] = append(rows[k], g)
			continue
		}
		rows = append(rows, []glyph{g})
	}
	var b strings.Builder
	for i, row := range rows {
		if i > 0 {
			b.WriteByte('\n')
		}
		sort.SliceStable(row, func(i, j int) bool { return row[i].x < row[j].x })
		for j, g := range row {
			if j > 0 {
				p := row[j-1]
				if !p.explicit && !g.explicit && g.x-(p.x+p.w) > math.Max(math.Max(p.size, g.size), 1)*0.2 {
					b.WriteByte(' ')
				}
			}
			b.WriteString(g.s)
		}
	}
	return b.String()
}

// cleanLines normalises the text (NFC, Ð → Đ, control characters out), collapses runs of spaces and
// trims each line.
func cleanLines(s string) string {
	s = vntext.Normalize(s)
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		l = strings.Join(strings.Fields(l), " ")
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
