package server

import "strconv"

// Charts of the statistics page are SVG drawn here, on the server: they need no script, print as they
// show, and every one goes with a table of its numbers (the chart is for the eye, the table for screen
// readers and for copying). The geometry is computed in Go and the template only places numbers and
// escaped labels, so nothing a record holds can become markup.

// chartSeries is one colour of a chart.
type chartSeries struct {
	Name   string
	Class  string // s0, s1…: the colour, set in style.css (print keeps it)
	LX, LY int    // where its legend entry is
}

// legendPerRow is how many legend entries fit on a row of the chart's width.
const legendPerRow = 3

// legend places the series' legend entries along the top of a chart with more than one series.
func legend(series []chartSeries) []chartSeries {
	out := append([]chartSeries(nil), series...)
	for i := range out {
		out[i].LX, out[i].LY = 8+(i%legendPerRow)*240, 4+(i/legendPerRow)*20
	}
	return out
}

// chartBar is one bar, placed.
type chartBar struct {
	X, Y, W, H int
	Class      string
	Value      int
	Text       string // the value as written
	// TX, TY is where the value is written.
	TX, TY int
	Title  string // tooltip: the label, series and value
}

// chartRow is one category with its label placed.
type chartRow struct {
	Label  string
	LX, LY int
	Bars   []chartBar
}

// chart is a bar chart ready for the template: Horizontal charts have a row per category (long labels on
// the left), vertical ones a column per year.
type chart struct {
	ID, Title, Desc string
	Width, Height   int
	Horizontal      bool
	Series          []chartSeries
	Rows            []chartRow
	// Axis is the baseline: from (AX1, AY1) to (AX2, AY2).
	AX1, AY1, AX2, AY2 int
}

const (
	chartWidth = 720
	labelWidth = 290 // room for category labels of horizontal charts
	barHeight  = 16
	barGap     = 3
	rowGap     = 10
)

// maxLabel keeps a label readable in the chart; the table beside it has the whole label.
func maxLabel(s string) string {
	r := []rune(s)
	if len(r) > 38 {
		return string(r[:37]) + "…"
	}
	return s
}

// hbars draws a horizontal bar chart: one row per label, one bar per series value.
// format writes a value (nil: the integer).
func hbars(id, title, desc string, series []chartSeries, labels []string, values [][]int, format func(int) string) chart {
	if format == nil {
		format = strconv.Itoa
	}
	c := chart{ID: id, Title: title, Desc: desc, Width: chartWidth, Horizontal: true, Series: legend(series)}
	top := 8
	if len(series) > 1 {
		top = 10 + legendRows(series)*20 // the legend
	}
	max := maxOf(values)
	plot := chartWidth - labelWidth - 56
	rowH := len(series)*(barHeight+barGap) - barGap + rowGap
	for i, l := range labels {
		y := top + i*rowH
		row := chartRow{Label: maxLabel(l), LX: labelWidth - 8, LY: y + (rowH-rowGap)/2 + 5}
		for j, v := range values[i] {
			w := v * plot / max
			by := y + j*(barHeight+barGap)
			row.Bars = append(row.Bars, chartBar{X: labelWidth, Y: by, W: w, H: barHeight, Class: series[j].Class,
				Value: v, Text: format(v), TX: labelWidth + w + 4, TY: by + barHeight - 3, Title: barTitle(l, series[j].Name, format(v))})
		}
		c.Rows = append(c.Rows, row)
	}
	c.Height = top + len(labels)*rowH + 4
	c.AX1, c.AY1, c.AX2, c.AY2 = labelWidth, top-4, labelWidth, c.Height-4
	return c
}

// vbars draws a vertical bar chart: one group of bars per label (years), one bar per series.
func vbars(id, title, desc string, series []chartSeries, labels []string, values [][]int) chart {
	const plotH = 220
	base := 250 + legendRows(series)*20 // room above the tallest bar for its value and the legend
	c := chart{ID: id, Title: title, Desc: desc, Width: chartWidth, Height: base + 30, Series: legend(series)}
	max := maxOf(values)
	n := len(labels)
	if n == 0 {
		n = 1
	}
	groupW := (chartWidth - 40) / n
	if groupW > 160 {
		groupW = 160
	}
	barW := (groupW - 16) / len(series)
	for i, l := range labels {
		x0 := 30 + i*groupW
		row := chartRow{Label: l, LX: x0 + groupW/2, LY: base + 18}
		for j, v := range values[i] {
			h := v * plotH / max
			x := x0 + 8 + j*barW
			row.Bars = append(row.Bars, chartBar{X: x, Y: base - h, W: barW - 2, H: h, Class: series[j].Class,
				Value: v, Text: strconv.Itoa(v), TX: x + (barW-2)/2, TY: base - h - 4, Title: barTitle(l, series[j].Name, strconv.Itoa(v))})
		}
		c.Rows = append(c.Rows, row)
	}
	c.AX1, c.AY1, c.AX2, c.AY2 = 24, base, chartWidth-4, base
	return c
}

func legendRows(series []chartSeries) int { return (len(series) + legendPerRow - 1) / legendPerRow }

// stacked draws a vertical stacked bar chart: one column per label (years), its segments the series.
func stacked(id, title, desc string, series []chartSeries, labels []string, values [][]int) chart {
	const plotH = 220
	base := 250 + legendRows(series)*20
	c := chart{ID: id, Title: title, Desc: desc, Width: chartWidth, Height: base + 30, Series: legend(series)}
	totals := make([][]int, len(values))
	for i, vs := range values {
		sum := 0
		for _, v := range vs {
			sum += v
		}
		totals[i] = []int{sum}
	}
	top := maxOf(totals)
	n := max(len(labels), 1)
	colW := min((chartWidth-40)/n, 80)
	for i, l := range labels {
		x := 30 + i*colW
		row := chartRow{Label: l, LX: x + colW/2, LY: base + 18}
		y := base
		for j, v := range values[i] {
			if v == 0 {
				continue
			}
			h := v * plotH / top
			y -= h
			row.Bars = append(row.Bars, chartBar{X: x + 2, Y: y, W: colW - 4, H: h, Class: series[j].Class, Value: v,
				Title: barTitle(l, series[j].Name, strconv.Itoa(v))})
		}
		// The column's total above it.
		row.Bars = append(row.Bars, chartBar{Text: strconv.Itoa(totals[i][0]), TX: x + colW/2, TY: y - 4, Class: "total"})
		c.Rows = append(c.Rows, row)
	}
	c.AX1, c.AY1, c.AX2, c.AY2 = 24, base, chartWidth-4, base
	return c
}

func barTitle(label, series, v string) string {
	if series == "" {
		return label + ": " + v
	}
	return label + " – " + series + ": " + v
}

func maxOf(values [][]int) int {
	m := 1
	for _, vs := range values {
		for _, v := range vs {
			m = max(m, v)
		}
	}
	return m
}
