package extract

import (
	"math"
	"sort"
)

// Column detection. Producers often draw a two-column page line by line across both columns; content
// order then interleaves the columns. We look for a gutter: a vertical band at least a font size wide,
// away from the page edges, that no glyph of the body crosses while several lines have text on both
// of its sides. Lines that do cross it (a title over both columns) cut the page into sections, and each
// section is read left column first.

// readingGroups splits glyphs into groups in reading order; without a gutter it is one group.
func readingGroups(gs []glyph) [][]glyph {
	if len(gs) < 40 || !jumpsAcross(gs) {
		return [][]glyph{gs}
	}
	lineOf := lineIndex(gs)
	gutter, ok := findGutter(gs, lineOf)
	if !ok {
		return [][]glyph{gs}
	}
	crossing := map[int]bool{}
	for i, g := range gs {
		if !g.explicit && g.x < gutter && g.x+g.w > gutter {
			crossing[lineOf[i]] = true
		}
	}
	// Sections: runs of non-crossing glyphs between crossing lines, in content order of their lines' y.
	var groups [][]glyph
	var left, right []glyph
	flush := func() {
		if len(left) > 0 {
			groups = append(groups, left)
		}
		if len(right) > 0 {
			groups = append(groups, right)
		}
		left, right = nil, nil
	}
	var span []glyph
	for i, g := range gs {
		if crossing[lineOf[i]] {
			if len(span) == 0 {
				flush()
			}
			span = append(span, g)
			continue
		}
		if len(span) > 0 {
			groups = append(groups, span)
			span = nil
		}
		if g.x+g.w/2 < gutter {
			left = append(left, g)
		} else {
			right = append(right, g)
		}
	}
	if len(span) > 0 {
		groups = append(groups, span)
	}
	flush()
	return groups
}

// jumpsAcross reports whether content order jumps across a wide gap on the same baseline at least three
// times: the mark of columns drawn row by row. Columns drawn one after the other read right in content
// order and need no gutter.
func jumpsAcross(gs []glyph) bool {
	n := 0
	for i := 1; i < len(gs); i++ {
		p, g := gs[i-1], gs[i]
		size := math.Max(p.size, 1)
		if math.Abs(g.y-p.y) < size/3 && g.x-(p.x+p.w) > 1.5*size {
			if n++; n >= 3 {
				return true
			}
		}
	}
	return false
}

// lineIndex numbers the baselines: glyphs within a third of a font size share one.
func lineIndex(gs []glyph) []int {
	idx := make([]int, len(gs))
	order := make([]int, len(gs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return gs[order[a]].y > gs[order[b]].y })
	line, prevY := -1, math.Inf(1)
	for _, i := range order {
		if math.Abs(prevY-gs[i].y) > math.Max(gs[i].size, 1)/3 {
			line++
			prevY = gs[i].y
		}
		idx[i] = line
	}
	return idx
}

func findGutter(gs []glyph, lineOf []int) (float64, bool) {
	minX, maxX := math.Inf(1), math.Inf(-1)
	var sizes []float64
	for _, g := range gs {
		if g.explicit {
			continue
		}
		minX, maxX = math.Min(minX, g.x), math.Max(maxX, g.x+g.w)
		sizes = append(sizes, g.size)
	}
	if len(sizes) == 0 || maxX-minX < 100 || maxX-minX > 5000 {
		return 0, false
	}
	sort.Float64s(sizes)
	em := math.Max(sizes[len(sizes)/2], 1)
	width := int(maxX-minX) + 1
	nLines := 0
	for _, l := range lineOf {
		nLines = max(nLines, l+1)
	}
	// cover[x] counts the lines with a glyph over x; seen avoids counting a line twice per bin.
	cover := make([]int, width)
	seen := make([]int, width)
	for i := range seen {
		seen[i] = -1
	}
	for i, g := range gs {
		if g.explicit {
			continue
		}
		a, b := int(g.x-minX), int(math.Ceil(g.x+g.w-minX))
		for x := max(a, 0); x < min(b, width); x++ {
			if seen[x] != lineOf[i] {
				seen[x] = lineOf[i]
				cover[x]++
			}
		}
	}
	// The widest nearly-uncovered run in the middle 60% of the text's width.
	allowed := max(1, nLines/10)
	bestA, bestLen := 0, 0
	for x := width / 5; x < width*4/5; {
		if cover[x] > allowed {
			x++
			continue
		}
		a := x
		for x < width*4/5 && cover[x] <= allowed {
			x++
		}
		if x-a > bestLen {
			bestA, bestLen = a, x-a
		}
	}
	if float64(bestLen) < em {
		return 0, false
	}
	gutter := minX + float64(bestA) + float64(bestLen)/2
	// Several lines must have text on both sides, or it is not two columns but, say, a short line.
	leftLines, rightLines := map[int]bool{}, map[int]bool{}
	for i, g := range gs {
		if g.explicit {
			continue
		}
		if g.x+g.w <= gutter {
			leftLines[lineOf[i]] = true
		} else if g.x >= gutter {
			rightLines[lineOf[i]] = true
		}
	}
	both := 0
	for l := range leftLines {
		if rightLines[l] {
			both++
		}
	}
	return gutter, both >= 3
}
