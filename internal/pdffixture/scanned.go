package pdffixture

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// RenderLines draws lines of text black on white on an A4 page at dpi, at the same places as a text
// page's lines (12 pt DejaVu Sans from the top-left margin), as a scanner would see a printed page.
func RenderLines(lines []string, dpi int) (*image.Gray, error) {
	if dpi < 36 || dpi > 1200 {
		return nil, fmt.Errorf("pdffixture: dpi %d out of range", dpi)
	}
	t, err := LoadFont()
	if err != nil {
		return nil, err
	}
	f, err := opentype.Parse(t.Data)
	if err != nil {
		return nil, err
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: bodySize, DPI: float64(dpi), Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	defer face.Close()
	px := func(pt float64) int { return int(math.Round(pt * float64(dpi) / 72)) }
	img := image.NewGray(image.Rect(0, 0, px(A4[0]), px(A4[1])))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	d := font.Drawer{Dst: img, Src: image.Black, Face: face}
	for i, s := range lines {
		d.Dot = fixed.P(px(marginLeft), px(A4[1]-baseline(i, bodySize)))
		d.DrawString(s)
	}
	return img, nil
}

// Image adds a gray image XObject: JPEG (DCTDecode) as scanners write, or Flate-compressed samples.
func (b *Builder) Image(img *image.Gray, useJPEG bool) (Ref, error) {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	dict := fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8", w, h)
	if !useJPEG {
		pix := img.Pix
		if img.Stride != w {
			pix = make([]byte, 0, w*h)
			for y := 0; y < h; y++ {
				pix = append(pix, img.Pix[y*img.Stride:y*img.Stride+w]...)
			}
		}
		return b.AddFlate(dict, pix), nil
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		return 0, err
	}
	return b.AddStream("<< "+dict+" /Filter /DCTDecode >>", buf.Bytes()), nil
}

// imageContent paints the XObject Im1 over the whole page.
func imageContent() []byte {
	var c Content
	c.Op("q %s 0 0 %s 0 0 cm /Im1 Do Q", num(A4[0]), num(A4[1]))
	return c.Bytes()
}

// Scanned is a one-page PDF whose only content is a full-page image of lines rendered at dpi, JPEG
// (DCTDecode) when useJPEG, else Flate-compressed gray samples: a scan with no text layer, for OCR.
func Scanned(lines []string, dpi int, useJPEG bool) ([]byte, error) {
	img, err := RenderLines(lines, dpi)
	if err != nil {
		return nil, err
	}
	b := NewBuilder(fmt.Sprintf("scanned %d %v %q", dpi, useJPEG, lines))
	im, err := b.Image(img, useJPEG)
	if err != nil {
		return nil, err
	}
	root := b.Document([]Page{{Content: imageContent(), XObjects: map[string]Ref{"Im1": im}}})
	return b.Bytes(root, b.Info("Scanned document", "pdffixture scanner"))
}
