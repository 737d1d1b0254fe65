package server

import (
	"cmp"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/trellis-studio/trellis/modules/table"
)

// TablePreview is what the designer shows of a table: its size, its columns
// with their statistics, and one page of rows.
type TablePreview struct {
	// Rows is the number of rows in the whole table.
	Rows    int             `json:"rows"`
	Columns []ColumnPreview `json:"columns"`
	// Offset is the index of the first row in Data.
	Offset int `json:"offset"`
	// Data holds the page of rows, one slice a row, ready for JSON: a null is
	// null, and float NaN and infinities are the strings "NaN", "Inf" and
	// "-Inf" because JSON has no such numbers. Integers beyond ±2^53 are
	// strings too, since JavaScript would round them silently.
	Data [][]any `json:"data"`
	// Truncated reports whether rows follow the page.
	Truncated bool `json:"truncated"`
}

// ColumnPreview describes one column of a previewed table.
type ColumnPreview struct {
	Name        string      `json:"name"`
	Type        string      `json:"type"`
	Categorical bool        `json:"categorical"`
	Role        string      `json:"role"`
	Stats       ColumnStats `json:"stats"`
}

// ColumnStats summarizes the values of a column.
type ColumnStats struct {
	// Count is the number of values present; Missing the number of nulls.
	Count   int `json:"count"`
	Missing int `json:"missing"`
	// Unique is the number of distinct present values. Counting stops at
	// uniqueCap for text columns, and UniqueCapped then says that Unique is
	// a lower bound ("≥").
	Unique       int  `json:"unique"`
	UniqueCapped bool `json:"unique_capped,omitempty"`
	// NonFinite counts NaN and infinite values of a float column, which the
	// moments and quantiles below leave out (JSON cannot carry them).
	NonFinite int `json:"non_finite,omitempty"`
	// Numeric columns only, over their finite values; quantiles interpolate
	// linearly between order statistics (as numpy and R's type 7 do).
	Mean   *float64 `json:"mean,omitempty"`
	Std    *float64 `json:"std,omitempty"`
	Min    *float64 `json:"min,omitempty"`
	Q1     *float64 `json:"q1,omitempty"`
	Median *float64 `json:"median,omitempty"`
	Q3     *float64 `json:"q3,omitempty"`
	Max    *float64 `json:"max,omitempty"`
	// Earliest and Latest bound a timestamp column (RFC 3339).
	Earliest string `json:"earliest,omitempty"`
	Latest   string `json:"latest,omitempty"`
	// Mode is the most frequent value as text (the smallest among ties).
	Mode string `json:"mode,omitempty"`
	// Histogram has equal-width bins for numbers and timestamps, and for
	// text and booleans the most frequent values followed by an "other"
	// bin for the rest.
	Histogram []Bin `json:"histogram,omitempty"`
}

// Bin is one bar of a histogram: a numeric range [Lo, Hi) (the last bin
// includes Hi), or a category Label.
type Bin struct {
	Lo *float64 `json:"lo,omitempty"`
	Hi *float64 `json:"hi,omitempty"`
	// Label is present on every category bin, even when the value is "".
	Label string `json:"label"`
	// Other marks the bin of categories beyond the most frequent ones, so
	// it is not mistaken for a value spelled "other".
	Other bool `json:"other,omitempty"`
	Count int  `json:"count"`
}

const (
	// uniqueCap bounds the distinct values a text column's statistics track,
	// so a column of a million ids costs a bounded map, not one entry a row.
	uniqueCap = 10000
	// histogramBins is the number of equal-width bins of a numeric histogram.
	histogramBins = 20
	// topCategories is the number of named bars in a category histogram.
	topCategories = 20
	// otherLabel names the bin of categories beyond the top ones.
	otherLabel = "other"
	// maxSafeInt is the largest integer a JavaScript number holds exactly.
	maxSafeInt = 1<<53 - 1
)

// previewTable returns the columns of t with their statistics and the rows
// [offset, offset+maxRows). Offsets past the end give an empty page.
func previewTable(t *table.Table, maxRows int, offset int) TablePreview {
	return pageTable(t, tableColumns(t), maxRows, offset)
}

// tableColumns describes every column of t with its statistics. Columns are
// summarized in parallel: each is independent, and a wide table of a
// million rows would otherwise keep one core busy for seconds.
func tableColumns(t *table.Table) []ColumnPreview {
	out := make([]ColumnPreview, t.NumCols())
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range out {
		f := t.Field(i)
		out[i] = ColumnPreview{Name: f.Name, Type: f.Type.String(), Categorical: f.Categorical, Role: f.Role.String()}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i].Stats = columnStats(t.Column(i))
		}()
	}
	wg.Wait()
	return out
}

// pageTable builds a preview from columns already summarized, so paging
// through a cached table does not compute statistics again.
func pageTable(t *table.Table, cols []ColumnPreview, maxRows, offset int) TablePreview {
	rows := t.NumRows()
	offset = min(max(offset, 0), rows)
	end := offset + min(max(maxRows, 0), rows-offset)
	p := TablePreview{Rows: rows, Columns: cols, Offset: offset, Data: make([][]any, 0, end-offset), Truncated: end < rows}
	for r := offset; r < end; r++ {
		row := make([]any, t.NumCols())
		for c := range row {
			row[c] = jsonValue(t.Column(c), r)
		}
		p.Data = append(p.Data, row)
	}
	return p
}

// jsonValue returns row r of c as a value encoding/json writes faithfully.
func jsonValue(c table.Column, r int) any {
	if c.Null(r) {
		return nil
	}
	switch v := c.Value(r).(type) {
	case float64:
		if s, ok := nonFinite(v); ok {
			return s
		}
		return v
	case int64:
		if v > maxSafeInt || v < -maxSafeInt {
			return strconv.FormatInt(v, 10)
		}
		return v
	case time.Time:
		return c.Format(r)
	default:
		return v
	}
}

// nonFinite spells NaN and the infinities as text.
func nonFinite(f float64) (string, bool) {
	switch {
	case math.IsNaN(f):
		return "NaN", true
	case math.IsInf(f, 1):
		return "Inf", true
	case math.IsInf(f, -1):
		return "-Inf", true
	}
	return "", false
}

// columnStats summarizes a column in one pass over its values, plus one
// sort for numbers and timestamps (quantiles, distinct values and the mode
// all come from the sorted copy).
func columnStats(c table.Column) ColumnStats {
	st := ColumnStats{Missing: c.NullCount()}
	st.Count = c.Len() - st.Missing
	if st.Count == 0 {
		return st
	}
	switch c := c.(type) {
	case *table.Floats:
		floatStats(&st, c)
	case *table.Ints:
		vals := make([]float64, 0, st.Count)
		for i, v := range c.Data() {
			if !c.Null(i) {
				vals = append(vals, float64(v))
			}
		}
		numericStats(&st, vals, true)
	case *table.Times:
		timeStats(&st, c)
	case *table.Bools:
		var n [2]int
		for i, v := range c.Data() {
			if !c.Null(i) {
				n[boolInt(v)]++
			}
		}
		counts := map[string]int{}
		for v, k := range n {
			if k > 0 {
				counts[strconv.FormatBool(v == 1)] = k
			}
		}
		categoryStats(&st, counts, false)
	case *table.Strings:
		counts := map[string]int{}
		capped := false
		for i, v := range c.Data() {
			if c.Null(i) {
				continue
			}
			if n, ok := counts[v]; ok || len(counts) < uniqueCap {
				counts[v] = n + 1
			} else {
				capped = true
			}
		}
		categoryStats(&st, counts, capped)
	}
	return st
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// floatStats sets aside nulls and non-finite values, which JSON cannot
// carry and which would poison the moments, then summarizes the rest.
func floatStats(st *ColumnStats, c *table.Floats) {
	vals := make([]float64, 0, st.Count)
	nan := 0
	var posInf, negInf bool
	for i, v := range c.Data() {
		switch {
		case c.Null(i):
		case math.IsNaN(v):
			nan++
		case math.IsInf(v, 0):
			posInf, negInf = posInf || v > 0, negInf || v < 0
			st.NonFinite++
		default:
			vals = append(vals, v)
		}
	}
	st.NonFinite += nan
	// NaN and each infinity are one distinct value apiece.
	st.Unique += boolInt(nan > 0) + boolInt(posInf) + boolInt(negInf)
	numericStats(st, vals, false)
}

// numericStats fills in the statistics of finite numbers; it sorts vals,
// which the caller hands over.
func numericStats(st *ColumnStats, vals []float64, ints bool) {
	if len(vals) == 0 {
		return
	}
	var sum float64
	for _, v := range vals {
		sum += v
	}
	mean := sum / float64(len(vals))
	var ss float64
	for _, v := range vals {
		ss += (v - mean) * (v - mean)
	}
	st.Mean = &mean
	// The sample standard deviation, as pandas reports it; one value has none.
	if len(vals) > 1 {
		st.Std = floatPtr(math.Sqrt(ss / float64(len(vals)-1)))
	}
	slices.Sort(vals)
	st.Min, st.Max = floatPtr(vals[0]), floatPtr(vals[len(vals)-1])
	st.Q1, st.Median, st.Q3 = floatPtr(quantile(vals, 0.25)), floatPtr(quantile(vals, 0.5)), floatPtr(quantile(vals, 0.75))

	// Distinct values and the mode from runs of equal values.
	mode, modeN := vals[0], 0
	for i := 0; i < len(vals); {
		j := i + 1
		for j < len(vals) && vals[j] == vals[i] {
			j++
		}
		st.Unique++
		if j-i > modeN {
			mode, modeN = vals[i], j-i
		}
		i = j
	}
	st.Mode = strconv.FormatFloat(mode, 'g', -1, 64)
	st.Histogram = numericHistogram(vals, ints)
}

// quantile interpolates linearly in sorted values.
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(pos)
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(lo)
	return sorted[lo] + frac*(sorted[lo+1]-sorted[lo])
}

// numericHistogram counts sorted values into equal-width bins. Integers
// spanning fewer values than bins get a bin per integer, so a column of
// ratings 1–5 shows five bars rather than twenty with empty gaps.
func numericHistogram(sorted []float64, ints bool) []Bin {
	lo, hi := sorted[0], sorted[len(sorted)-1]
	n := histogramBins
	width := (hi - lo) / float64(n)
	if ints && hi-lo < histogramBins {
		n, width = int(hi-lo)+1, 1
	}
	if width == 0 || math.IsInf(width, 0) {
		// One value, or a range too wide to split (±MaxFloat64).
		return []Bin{{Lo: floatPtr(lo), Hi: floatPtr(hi), Count: len(sorted)}}
	}
	bins := make([]Bin, n)
	for k := range bins {
		bins[k].Lo, bins[k].Hi = floatPtr(lo+float64(k)*width), floatPtr(lo+float64(k+1)*width)
	}
	bins[n-1].Hi = floatPtr(max(hi, *bins[n-1].Hi))
	for _, v := range sorted {
		k := min(int((v-lo)/width), n-1)
		bins[k].Count++
	}
	return bins
}

// timeStats summarizes timestamps: bounds, distinct values, the mode and an
// equal-width histogram whose bounds are Unix seconds and whose labels are
// the bins' start times.
func timeStats(st *ColumnStats, c *table.Times) {
	vals := make([]int64, 0, st.Count)
	for i, v := range c.Data() {
		if !c.Null(i) {
			vals = append(vals, v)
		}
	}
	slices.Sort(vals)
	format := func(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }
	st.Earliest, st.Latest = format(vals[0]), format(vals[len(vals)-1])
	mode, modeN := vals[0], 0
	for i := 0; i < len(vals); {
		j := i + 1
		for j < len(vals) && vals[j] == vals[i] {
			j++
		}
		st.Unique++
		if j-i > modeN {
			mode, modeN = vals[i], j-i
		}
		i = j
	}
	st.Mode = format(mode)
	secs := make([]float64, len(vals))
	for i, v := range vals {
		secs[i] = float64(v) / 1e9
	}
	st.Histogram = numericHistogram(secs, false)
	for k := range st.Histogram {
		lo := *st.Histogram[k].Lo
		st.Histogram[k].Label = time.Unix(0, int64(lo*1e9)).UTC().Format(time.RFC3339)
	}
}

// categoryStats fills in the statistics of text or booleans from value
// counts: the mode and the most frequent values, the rest in "other".
func categoryStats(st *ColumnStats, counts map[string]int, capped bool) {
	type cat struct {
		label string
		n     int
	}
	cats := make([]cat, 0, len(counts))
	for v, n := range counts {
		cats = append(cats, cat{v, n})
	}
	slices.SortFunc(cats, func(a, b cat) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return cmp.Compare(a.label, b.label)
	})
	st.Unique, st.UniqueCapped = len(counts), capped
	st.Mode = cats[0].label
	shown := 0
	for _, c := range cats[:min(len(cats), topCategories)] {
		st.Histogram = append(st.Histogram, Bin{Label: c.label, Count: c.n})
		shown += c.n
	}
	if rest := st.Count - shown; rest > 0 {
		st.Histogram = append(st.Histogram, Bin{Label: otherLabel, Other: true, Count: rest})
	}
}

func floatPtr(f float64) *float64 { return &f }
