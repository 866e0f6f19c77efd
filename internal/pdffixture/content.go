package pdffixture

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
)

// Page geometry shared by text pages and scanned images, so that an invisible OCR layer lies over the
// picture of the same text. Points; LibreOffice's default margins are 2 cm.
const (
	marginLeft = 56.7
	marginTop  = 56.7
	bodySize   = 12.0 // font size of body text
	leading    = 18.0 // baseline to baseline
)

// baseline is the y of line i (0 = first) from the page bottom, for text of size.
func baseline(i int, size float64) float64 {
	return A4[1] - marginTop - size - float64(i)*leading
}

// Content builds a content stream.
type Content struct {
	bytes.Buffer
}

// Op writes one line of operators; float arguments are formatted compactly.
func (c *Content) Op(format string, args ...any) {
	for i, a := range args {
		if f, ok := a.(float64); ok {
			args[i] = num(f)
		}
	}
	fmt.Fprintf(c, format+"\n", args...)
}

// num formats a coordinate as producers do: at most three decimals, no trailing zeros.
func num(f float64) string { return strconv.FormatFloat(math.Round(f*1000)/1000, 'f', -1, 64) }

// Line writes s as its own text object at (x, y), the way LibreOffice writes each line.
func (c *Content) Line(res string, f Font, size, x, y float64, s string) {
	c.Op("BT")
	c.Op("/%s %s Tf", res, num(size))
	c.Op("1 0 0 1 %s %s Tm", num(x), num(y))
	c.Op("%s Tj", f.Show(s))
	c.Op("ET")
}

// Lines writes lines top-down from the first baseline at the left margin, one text object each.
func (c *Content) Lines(res string, f Font, size float64, lines []string) {
	for i, s := range lines {
		c.Line(res, f, size, marginLeft, baseline(i, size), s)
	}
}

// textPage is a page of lines in one font named F1.
func textPage(f Font, lines []string) Page {
	var c Content
	c.Lines("F1", f, bodySize, lines)
	return Page{Content: c.Bytes(), Fonts: map[string]Ref{"F1": f.Ref()}}
}

// joinLines is the golden text of a page: its lines, one per line.
func joinLines(lines []string) string {
	var b bytes.Buffer
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	return b.String()
}
