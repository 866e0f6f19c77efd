package extract

// What a PDF's pages hold in images (pdfimages -list, with pdfinfo's page sizes), which decides whether a
// page is a scan and whether its JPEG can be copied out for OCR as it is.

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// PageImages is what a page holds in images, from pdfimages -list.
type PageImages struct {
	Page int // 1-based
	// Count is the number of images drawn on the page (soft masks, which belong to an image, not counted).
	Count int
	// FullPage is true when one image covers (nearly) the whole page: the page is likely a scan.
	FullPage bool
	// JPEG is true when the page is a single full-page DCT image, gray or RGB, drawn upright with square
	// pixels and without a mask, so the JPEG stream copied out as is shows what the page shows.
	JPEG bool
	// DPI is the resolution of the largest image as drawn on the page (pixels per inch), 0 when unknown.
	DPI int
}

// ListImages lists the images of every page that has any (pages without images are absent from the map).
// It runs one pdfimages -list for the whole file, plus one pdfinfo for the page sizes and rotations that
// decide FullPage and JPEG; without pdfinfo, FullPage is guessed from the image size and JPEG is false.
func ListImages(ctx context.Context, pdfPath string) (map[int]PageImages, error) {
	return listImages(ctx, pdfPath, "pdfimages", "pdfinfo")
}

func listImages(ctx context.Context, pdfPath, pdfimages, pdfinfo string) (map[int]PageImages, error) {
	var out bytes.Buffer
	stderr := &ocrStderr{}
	cmd := exec.CommandContext(ctx, pdfimages, "-list", pdfPath)
	cmd.Stdout, cmd.Stderr, cmd.WaitDelay = &out, stderr, time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("không liệt kê được ảnh trong tệp: %w", ctx.Err())
		}
		return nil, fmt.Errorf("không liệt kê được ảnh trong tệp (pdfimages): %w (%s)", err, stderr)
	}
	sizes := pageSizes(ctx, pdfPath, pdfinfo)
	return parseImageList(out.Bytes(), sizes), nil
}

// pageGeom is a page's crop box (points, before /Rotate) and its /Rotate.
type pageGeom struct {
	w, h float64
	rot  int
}

var (
	pdfinfoSize = regexp.MustCompile(`^Page\s+(\d+)\s+size:\s+([\d.]+)\s+x\s+([\d.]+)`)
	pdfinfoRot  = regexp.MustCompile(`^Page\s+(\d+)\s+rot:\s+(-?\d+)`)
)

// pageSizes asks pdfinfo for every page's size and rotation; nil when pdfinfo is missing or fails, which
// only makes ListImages more careful.
func pageSizes(ctx context.Context, pdfPath, pdfinfo string) map[int]pageGeom {
	// -l past the last page is clamped by pdfinfo.
	out, err := exec.CommandContext(ctx, pdfinfo, "-f", "1", "-l", "1000000", pdfPath).Output()
	if err != nil {
		return nil
	}
	geo := map[int]pageGeom{}
	for _, line := range strings.Split(string(out), "\n") {
		if m := pdfinfoSize.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			g := geo[n]
			g.w, _ = strconv.ParseFloat(m[2], 64)
			g.h, _ = strconv.ParseFloat(m[3], 64)
			geo[n] = g
		} else if m := pdfinfoRot.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			g := geo[n]
			g.rot, _ = strconv.Atoi(m[2])
			g.rot = ((g.rot % 360) + 360) % 360
			geo[n] = g
		}
	}
	return geo
}

// imgRow is one image line of pdfimages -list.
type imgRow struct {
	page, w, h, comp int
	typ, enc         string
	xppi, yppi       float64
	inline           bool
}

// parseImageList reads pdfimages -list output:
//
//	page   num  type   width height color comp bpc  enc interp  object ID x-ppi y-ppi size ratio
//	   1     0 image    2479  3508  gray    1   8  jpeg   no         3  0   300   300 83.0K 1.0%
//
// Inline images print "[inline]" in place of the object number and generation.
func parseImageList(out []byte, geo map[int]pageGeom) map[int]PageImages {
	rows := map[int][]imgRow{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 14 {
			continue
		}
		page, err := strconv.Atoi(f[0])
		if err != nil {
			continue // header and ruler
		}
		r := imgRow{page: page, typ: f[2], enc: f[8], inline: strings.Contains(line, "[inline]")}
		r.w, _ = strconv.Atoi(f[3])
		r.h, _ = strconv.Atoi(f[4])
		r.comp, _ = strconv.Atoi(f[6])
		r.xppi, _ = strconv.ParseFloat(f[len(f)-4], 64)
		r.yppi, _ = strconv.ParseFloat(f[len(f)-3], 64)
		rows[page] = append(rows[page], r)
	}
	res := make(map[int]PageImages, len(rows))
	for page, rs := range rows {
		pi := PageImages{Page: page}
		masked := false
		var big *imgRow
		var bigArea float64
		for i := range rs {
			r := &rs[i]
			switch r.typ {
			case "smask", "mask":
				masked = true
				continue
			}
			// "image" and "stencil" (a 1-bit mask painted in a colour: the text layer of MRC scans) are drawn.
			pi.Count++
			if r.xppi > 0 && r.yppi > 0 {
				if a := float64(r.w) / r.xppi * float64(r.h) / r.yppi; a > bigArea {
					big, bigArea = r, a
				}
			}
		}
		if big != nil {
			pi.DPI = int(max(big.xppi, big.yppi) + 0.5)
			// Size as drawn, in points. pdfimages derives ppi from the CTM without the page's /Rotate, so
			// this compares with the unrotated crop box. It divides the image's width by the CTM's x
			// extent, so an image turned 90° by the CTM shows as x-ppi and y-ppi disagreeing (by the
			// square of the page's aspect ratio): copied out, it would lie on its side.
			dw, dh := float64(big.w)*72/big.xppi, float64(big.h)*72/big.yppi
			g, known := geo[page]
			upright := false
			if known && g.w > 0 && g.h > 0 {
				covers := func(a, b float64) bool { return a >= 0.8*g.w && b >= 0.8*g.h }
				upright = covers(dw, dh)
				pi.FullPage = upright || covers(dh, dw)
			} else {
				// No page size: anything drawn at least 5×7 inches (A5 is 5.8×8.3) is called a page scan.
				pi.FullPage = min(dw, dh) >= 5*72 && max(dw, dh) >= 7*72
			}
			square := big.xppi/big.yppi > 0.95 && big.xppi/big.yppi < 1.05
			pi.JPEG = pi.FullPage && pi.Count == 1 && !masked && known && upright && g.rot == 0 && square &&
				big.enc == "jpeg" && !big.inline && big.typ == "image" && (big.comp == 1 || big.comp == 3)
		}
		res[page] = pi
	}
	return res
}
