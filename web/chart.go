package web

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Chart geometry, in SVG user units. The SVG scales to its container's
// width; these fix its proportions and the size of its text.
const (
	chartWidth = 320.0
	// Vertical histograms (numbers, timestamps).
	histTop    = 14.0 // room for the peak count
	histPlot   = 96.0 // bar area
	histBottom = 18.0 // room for the axis ticks
	// Horizontal bar charts (categories).
	catRow        = 20.0
	catLabelWidth = 118.0
	catCountWidth = 52.0
	// maxCategoryBars bounds the bars of a category chart; the rest fold
	// into the "other" bar.
	maxCategoryBars = 10
	maxLabelRunes   = 18
)

// chart is a histogram laid out for drawing.
type chart struct {
	Width, Height float64
	// Categorical charts are horizontal bars with a label each; the others
	// are vertical bars over a numeric or time axis.
	Categorical bool
	Bars        []chartBar
	// Ticks label the axis of a vertical histogram.
	Ticks []chartTick
	// Peak is the largest count, labelled at the top of a vertical chart.
	Peak      int
	BaseY     float64 // the axis line of a vertical chart
	PeakLabel string
	// Summary describes the chart for screen readers.
	Summary string
}

type chartBar struct {
	X, Y, W, H float64
	// Label is the category or the range; Title the full tooltip.
	Label string
	Title string
	Count int
	Other bool
	// TextX, TextY place a category's label and count.
	TextY      float64
	CountX     float64
	ShortLabel string
}

type chartTick struct {
	X      float64
	Anchor string // start, middle, end
	Text   string
}

// isCategorical reports whether bins are categories rather than ranges.
func isCategorical(bins []Bin) bool {
	return len(bins) > 0 && bins[0].Lo == nil
}

// layoutChart lays out the histogram of a column.
func layoutChart(col Column) chart {
	bins := col.Stats.Histogram
	if isCategorical(bins) {
		return layoutCategories(col.Name, bins)
	}
	return layoutHistogram(col, bins)
}

func layoutHistogram(col Column, bins []Bin) chart {
	c := chart{Width: chartWidth, Height: histTop + histPlot + histBottom, BaseY: histTop + histPlot}
	for _, b := range bins {
		c.Peak = max(c.Peak, b.Count)
	}
	isTime := col.Type == "time" || col.Type == "timestamp" || col.Stats.Earliest != ""
	gap := 1.0
	if len(bins) > 40 {
		gap = 0
	}
	w := chartWidth / float64(max(len(bins), 1))
	for i, b := range bins {
		h := 0.0
		if c.Peak > 0 {
			h = histPlot * float64(b.Count) / float64(c.Peak)
			if b.Count > 0 {
				h = max(h, 1) // a bin with values never vanishes
			}
		}
		label := rangeLabel(b, isTime, i == len(bins)-1)
		c.Bars = append(c.Bars, chartBar{
			X: float64(i)*w + gap/2, W: max(w-gap, 0.5), Y: c.BaseY - h, H: h,
			Label: label, Title: label + ": " + plural(b.Count, "value", "values"), Count: b.Count,
		})
	}
	if len(bins) > 0 {
		first, last := bins[0], bins[len(bins)-1]
		lo, hi := axisLabel(first.Lo, isTime), axisLabel(last.Hi, isTime)
		c.Ticks = []chartTick{{X: 0, Anchor: "start", Text: lo}, {X: chartWidth, Anchor: "end", Text: hi}}
		if len(bins) >= 4 && first.Lo != nil && last.Hi != nil && !isTime {
			c.Ticks = append(c.Ticks, chartTick{X: chartWidth / 2, Anchor: "middle", Text: FormatCompact((*first.Lo + *last.Hi) / 2)})
		}
	}
	c.PeakLabel = FormatInt(c.Peak)
	c.Summary = "Histogram of " + col.Name + ": " + plural(len(bins), "bin", "bins") + ", the fullest holding " + plural(c.Peak, "value", "values")
	return c
}

// rangeLabel names a numeric bin: "[10, 20)", the last one closed.
func rangeLabel(b Bin, isTime, last bool) string {
	if b.Lo == nil || b.Hi == nil {
		return b.Label
	}
	closing := ")"
	if last {
		closing = "]"
	}
	if isTime {
		return "[" + timeLabel(*b.Lo) + ", " + timeLabel(*b.Hi) + closing
	}
	return "[" + FormatNumber(*b.Lo) + ", " + FormatNumber(*b.Hi) + closing
}

func axisLabel(v *float64, isTime bool) string {
	if v == nil {
		return ""
	}
	if isTime {
		return timeLabel(*v)
	}
	return FormatCompact(*v)
}

// timeLabel writes Unix seconds (the bounds of a timestamp histogram) as a
// date, with the time of day when it is not midnight.
func timeLabel(secs float64) string {
	t := time.Unix(0, int64(secs*1e9)).UTC()
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04")
}

func layoutCategories(name string, bins []Bin) chart {
	bins = foldCategories(bins, maxCategoryBars)
	c := chart{Width: chartWidth, Categorical: true, Height: catRow*float64(len(bins)) + 2}
	for _, b := range bins {
		c.Peak = max(c.Peak, b.Count)
	}
	barSpace := chartWidth - catLabelWidth - catCountWidth
	for i, b := range bins {
		label := b.Label
		switch {
		case b.Other:
			label = "(other values)"
		case label == "":
			label = "(empty)"
		}
		w := 0.0
		if c.Peak > 0 {
			w = barSpace * float64(b.Count) / float64(c.Peak)
			if b.Count > 0 {
				w = max(w, 1)
			}
		}
		y := float64(i)*catRow + 2
		c.Bars = append(c.Bars, chartBar{
			X: catLabelWidth, Y: y + 2, W: w, H: catRow - 6,
			Label: label, Title: label + ": " + plural(b.Count, "value", "values"), Count: b.Count, Other: b.Other,
			TextY: y + catRow/2 + 2, CountX: catLabelWidth + w + 4, ShortLabel: truncate(label, maxLabelRunes),
		})
	}
	c.Summary = "Bar chart of " + name + ": the " + plural(len(bins), "most frequent value", "most frequent values")
	return c
}

// foldCategories keeps the n most frequent category bins (they come sorted)
// and adds the rest to the "other" bin.
func foldCategories(bins []Bin, n int) []Bin {
	var other *Bin
	named := make([]Bin, 0, len(bins))
	for _, b := range bins {
		if b.Other {
			o := b
			other = &o
			continue
		}
		named = append(named, b)
	}
	if len(named) <= n {
		return bins
	}
	out := append([]Bin(nil), named[:n]...)
	rest := Bin{Label: "other", Other: true}
	if other != nil {
		rest.Count = other.Count
	}
	for _, b := range named[n:] {
		rest.Count += b.Count
	}
	return append(out, rest)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// num writes an SVG coordinate with at most two decimals.
func num(f float64) string {
	return strconv.FormatFloat(float64(int64(f*100+0.5))/100, 'f', -1, 64)
}
