package metrics

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// Series is one line of a chart.
type Series struct {
	Name string
	X, Y []float64
}

// Chart describes a line chart. Axis bounds are computed from the data when
// Min equals Max.
type Chart struct {
	Title, XLabel, YLabel string
	Series                []Series
	XMin, XMax            float64
	YMin, YMax            float64
	// Diagonal draws the y = x reference line (ROC charts).
	Diagonal bool
}

// The chart geometry, in SVG user units.
const (
	chartW, chartH = 480.0, 360.0
	padL, padR     = 56.0, 16.0
	padT, padB     = 32.0, 48.0
)

var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"}

// maxPoints bounds the points drawn per series: a curve of a million distinct
// scores would otherwise make a multi-megabyte SVG no eye can tell apart.
const maxPoints = 1000

// LineChart renders c as a standalone SVG document. Text is escaped; NaN and
// infinite points are skipped.
func LineChart(c Chart) string {
	xmin, xmax, ymin, ymax := c.XMin, c.XMax, c.YMin, c.YMax
	if xmin == xmax {
		xmin, xmax = bounds(c.Series, func(s Series) []float64 { return s.X })
	}
	if ymin == ymax {
		ymin, ymax = bounds(c.Series, func(s Series) []float64 { return s.Y })
	}
	var b strings.Builder
	open(&b, c.Title)
	px := func(x float64) float64 { return padL + (x-xmin)/(xmax-xmin)*(chartW-padL-padR) }
	py := func(y float64) float64 { return chartH - padB - (y-ymin)/(ymax-ymin)*(chartH-padT-padB) }
	axes(&b, c.XLabel, c.YLabel, xmin, xmax, ymin, ymax)
	if c.Diagonal {
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#999" stroke-dasharray="4 4"/>`+"\n",
			num(px(xmin)), num(py(ymin)), num(px(xmax)), num(py(ymax)))
	}
	for k, s := range c.Series {
		color := palette[k%len(palette)]
		step := max(1, len(s.X)/maxPoints)
		var pts []string
		for i := 0; i < len(s.X); i++ {
			if i%step != 0 && i != len(s.X)-1 {
				continue
			}
			x, y := s.X[i], s.Y[i]
			if !finite(x) || !finite(y) {
				continue
			}
			pts = append(pts, num(px(x))+","+num(py(y)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", color, strings.Join(pts, " "))
		if len(c.Series) > 1 || s.Name != "" {
			fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="12" fill="%s">%s</text>`+"\n",
				num(chartW-padR-140), num(padT+14+16*float64(k)), color, esc(s.Name))
		}
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// Histogram renders the distribution of values in bins equal-width bins.
func Histogram(title, xlabel string, values []float64, bins int) string {
	var v []float64
	for _, x := range values {
		if finite(x) {
			v = append(v, x)
		}
	}
	var b strings.Builder
	open(&b, title)
	if len(v) == 0 || bins < 1 {
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" font-size="12">no data</text>`+"\n</svg>\n", num(chartW/2), num(chartH/2))
		return b.String()
	}
	lo, hi := v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	counts := make([]int, bins)
	for _, x := range v {
		k := min(int((x-lo)/(hi-lo)*float64(bins)), bins-1)
		counts[k]++
	}
	top := 0
	for _, c := range counts {
		top = max(top, c)
	}
	axes(&b, xlabel, "count", lo, hi, 0, float64(top))
	w := (chartW - padL - padR) / float64(bins)
	for k, c := range counts {
		h := float64(c) / float64(top) * (chartH - padT - padB)
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`+"\n",
			num(padL+float64(k)*w), num(chartH-padB-h), num(max(w-1, 0.5)), num(h), palette[0])
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// BarChart renders one horizontal bar per label (feature importances, cluster sizes).
func BarChart(title string, labels []string, values []float64) string {
	var b strings.Builder
	open(&b, title)
	if len(labels) == 0 {
		b.WriteString("</svg>\n")
		return b.String()
	}
	lo, hi := 0.0, 0.0
	for _, v := range values {
		if finite(v) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if lo == hi {
		hi = lo + 1
	}
	left := 140.0
	rowH := (chartH - padT - padB) / float64(len(labels))
	px := func(x float64) float64 { return left + (x-lo)/(hi-lo)*(chartW-left-padR) }
	for k, l := range labels {
		y := padT + float64(k)*rowH
		v := values[k]
		if !finite(v) {
			v = 0
		}
		x0, x1 := px(min(0, v)), px(max(0, v))
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`+"\n",
			num(x0), num(y+rowH*0.1), num(x1-x0), num(rowH*0.8), palette[0])
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" font-size="11">%s</text>`+"\n",
			num(left-4), num(y+rowH*0.6), esc(truncate(l, 22)))
	}
	fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333"/>`+"\n", num(px(0)), num(padT), num(px(0)), num(chartH-padB))
	fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="11">%s</text><text x="%s" y="%s" text-anchor="end" font-size="11">%s</text>`+"\n",
		num(left), num(chartH-padB+16), tick(lo), num(chartW-padR), num(chartH-padB+16), tick(hi))
	b.WriteString("</svg>\n")
	return b.String()
}

func open(b *strings.Builder, title string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="%s" height="%s" font-family="sans-serif">`+"\n",
		num(chartW), num(chartH), num(chartW), num(chartH))
	fmt.Fprintf(b, `<text x="%s" y="20" text-anchor="middle" font-size="14">%s</text>`+"\n", num(chartW/2), esc(title))
}

// axes draws the plot frame with end ticks and axis labels.
func axes(b *strings.Builder, xlabel, ylabel string, xmin, xmax, ymin, ymax float64) {
	x0, x1, y0, y1 := padL, chartW-padR, chartH-padB, padT
	fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="%s" fill="none" stroke="#333"/>`+"\n", num(x0), num(y1), num(x1-x0), num(y0-y1))
	for k := 0; k <= 4; k++ {
		f := float64(k) / 4
		x := x0 + f*(x1-x0)
		y := y0 - f*(y0-y1)
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle" font-size="10">%s</text>`+"\n", num(x), num(y0+14), tick(xmin+f*(xmax-xmin)))
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="end" font-size="10">%s</text>`+"\n", num(x0-4), num(y+3), tick(ymin+f*(ymax-ymin)))
	}
	fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle" font-size="12">%s</text>`+"\n", num((x0+x1)/2), num(chartH-12), esc(xlabel))
	fmt.Fprintf(b, `<text x="14" y="%s" text-anchor="middle" font-size="12" transform="rotate(-90 14 %s)">%s</text>`+"\n",
		num((y0+y1)/2), num((y0+y1)/2), esc(ylabel))
}

func bounds(ss []Series, get func(Series) []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		for _, v := range get(s) {
			if finite(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if lo > hi {
		return 0, 1
	}
	if lo == hi {
		return lo - 0.5, hi + 0.5
	}
	return lo, hi
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func tick(v float64) string { return strconv.FormatFloat(v, 'g', 3, 64) }

func esc(s string) string { return html.EscapeString(s) }

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
