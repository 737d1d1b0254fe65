package server

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/trellis-studio/trellis/modules/table"
)

// nulls returns a validity bitmap of n rows with the listed rows missing.
func nulls(n int, missing ...int) table.Bitmap {
	b := table.NewBitmap(n)
	for _, i := range missing {
		b.Set(i, false)
	}
	return b
}

func f(v float64) *float64 { return &v }

func numBin(lo, hi float64, n int) Bin { return Bin{Lo: f(lo), Hi: f(hi), Count: n} }

// rounded returns st with its numbers rounded to 9 decimals, so that
// expected values can be written down.
func rounded(st ColumnStats) ColumnStats {
	for _, p := range []**float64{&st.Mean, &st.Std, &st.Min, &st.Q1, &st.Median, &st.Q3, &st.Max} {
		if *p != nil {
			*p = f(math.Round(**p*1e9) / 1e9)
		}
	}
	return st
}

func TestPreviewColumnStats(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	day := int64(24 * time.Hour)
	tests := []struct {
		name string
		give table.Column
		want ColumnStats
	}{
		{
			name: "ints with a null",
			give: table.NewInts([]int64{1, 2, 3, 4, 0}, nulls(5, 4)),
			want: ColumnStats{
				Count: 4, Missing: 1, Unique: 4,
				Mean: f(2.5), Std: f(1.290994449), Min: f(1), Q1: f(1.75), Median: f(2.5), Q3: f(3.25), Max: f(4),
				Mode: "1",
				// Four integers: one bin each rather than twenty.
				Histogram: []Bin{numBin(1, 2, 1), numBin(2, 3, 1), numBin(3, 4, 1), numBin(4, 5, 1)},
			},
		},
		{
			name: "floats with NaN and infinity",
			give: table.NewFloats([]float64{1.5, math.NaN(), math.Inf(1), 2.5, 0, 2.5}, nulls(6, 4)),
			want: ColumnStats{
				Count: 5, Missing: 1, Unique: 4, NonFinite: 2,
				Mean: f(13.0 / 6), Std: f(0.577350269), Min: f(1.5), Q1: f(2), Median: f(2.5), Q3: f(2.5), Max: f(2.5),
				Mode: "2.5",
				Histogram: []Bin{
					numBin(1.5, 1.55, 1), numBin(1.55, 1.6, 0), numBin(1.6, 1.65, 0), numBin(1.65, 1.7, 0),
					numBin(1.7, 1.75, 0), numBin(1.75, 1.8, 0), numBin(1.8, 1.85, 0), numBin(1.85, 1.9, 0),
					numBin(1.9, 1.95, 0), numBin(1.95, 2, 0), numBin(2, 2.05, 0), numBin(2.05, 2.1, 0),
					numBin(2.1, 2.15, 0), numBin(2.15, 2.2, 0), numBin(2.2, 2.25, 0), numBin(2.25, 2.3, 0),
					numBin(2.3, 2.35, 0), numBin(2.35, 2.4, 0), numBin(2.4, 2.45, 0), numBin(2.45, 2.5, 2),
				},
			},
		},
		{
			name: "one repeated float",
			give: table.NewFloats([]float64{7, 7, 7}, nil),
			want: ColumnStats{
				Count: 3, Unique: 1,
				Mean: f(7), Std: f(0), Min: f(7), Q1: f(7), Median: f(7), Q3: f(7), Max: f(7),
				Mode: "7", Histogram: []Bin{numBin(7, 7, 3)},
			},
		},
		{
			name: "strings, the empty one included",
			give: table.NewStrings([]string{"a", "b", "a", "", ""}, nulls(5, 3)),
			want: ColumnStats{
				Count: 4, Missing: 1, Unique: 3, Mode: "a",
				Histogram: []Bin{{Label: "a", Count: 2}, {Label: "", Count: 1}, {Label: "b", Count: 1}},
			},
		},
		{
			name: "bools",
			give: table.NewBools([]bool{true, false, true, false, true}, nulls(5, 3)),
			want: ColumnStats{
				Count: 4, Missing: 1, Unique: 2, Mode: "true",
				Histogram: []Bin{{Label: "true", Count: 3}, {Label: "false", Count: 1}},
			},
		},
		{
			name: "one value has no deviation",
			give: table.NewInts([]int64{5}, nil),
			want: ColumnStats{
				Count: 1, Unique: 1,
				Mean: f(5), Min: f(5), Q1: f(5), Median: f(5), Q3: f(5), Max: f(5),
				Mode: "5", Histogram: []Bin{numBin(5, 6, 1)},
			},
		},
		{
			name: "all null",
			give: table.NewFloats([]float64{0, 0}, nulls(2, 0, 1)),
			want: ColumnStats{Missing: 2},
		},
		{
			name: "timestamps",
			give: table.NewTimes([]int64{t0.UnixNano(), t0.UnixNano() + 2*day, t0.UnixNano()}, nil),
			want: ColumnStats{
				Count: 3, Unique: 2, Earliest: "2024-01-01T00:00:00Z", Latest: "2024-01-03T00:00:00Z",
				Mode: "2024-01-01T00:00:00Z",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rounded(columnStats(tt.give))
			// Timestamp histograms are checked separately.
			if tt.give.Type() == table.Time {
				got.Histogram = nil
			}
			for i := range got.Histogram {
				got.Histogram[i].Lo, got.Histogram[i].Hi = roundPtr(got.Histogram[i].Lo), roundPtr(got.Histogram[i].Hi)
			}
			if !reflect.DeepEqual(got, rounded(tt.want)) {
				gj, _ := json.Marshal(got)
				wj, _ := json.Marshal(rounded(tt.want))
				t.Errorf("columnStats\n got %s\nwant %s", gj, wj)
			}
		})
	}
}

func roundPtr(p *float64) *float64 {
	if p == nil {
		return nil
	}
	return f(math.Round(*p*1e9) / 1e9)
}

func TestPreviewTimeHistogram(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	data := make([]int64, 21)
	for i := range data {
		data[i] = t0.Add(time.Duration(i) * time.Hour).UnixNano()
	}
	st := columnStats(table.NewTimes(data, nil))
	if len(st.Histogram) != histogramBins {
		t.Fatalf("got %d bins, want %d", len(st.Histogram), histogramBins)
	}
	if got := st.Histogram[0]; got.Label != "2024-01-01T00:00:00Z" || got.Count != 1 {
		t.Errorf("first bin = %+v, want label 2024-01-01T00:00:00Z and count 1", got)
	}
	// The last bin includes the latest time.
	if got := st.Histogram[histogramBins-1].Count; got != 2 {
		t.Errorf("last bin holds %d, want 2", got)
	}
}

func TestPreviewCategoriesBeyondTheTop(t *testing.T) {
	var data []string
	for i := range 30 {
		for range 30 - i {
			data = append(data, "v"+strconv.Itoa(i))
		}
	}
	st := columnStats(table.NewStrings(data, nil))
	if len(st.Histogram) != topCategories+1 {
		t.Fatalf("got %d bins, want %d and other", len(st.Histogram), topCategories)
	}
	other := st.Histogram[topCategories]
	// v20…v29 occur 10, 9, …, 1 times.
	if !other.Other || other.Label != "other" || other.Count != 55 {
		t.Errorf("other bin = %+v, want 55 rows", other)
	}
	if st.Histogram[0].Label != "v0" || st.Histogram[0].Count != 30 || st.Mode != "v0" {
		t.Errorf("top bin %+v, mode %q; want v0 ×30", st.Histogram[0], st.Mode)
	}
}

func TestPreviewUniqueCapped(t *testing.T) {
	data := make([]string, uniqueCap+500)
	for i := range data {
		data[i] = strconv.Itoa(i)
	}
	st := columnStats(table.NewStrings(data, nil))
	if st.Unique != uniqueCap || !st.UniqueCapped {
		t.Errorf("unique = %d capped %v, want %d capped", st.Unique, st.UniqueCapped, uniqueCap)
	}
	var total int
	for _, b := range st.Histogram {
		total += b.Count
	}
	if total != len(data) {
		t.Errorf("histogram counts %d rows, want %d", total, len(data))
	}
}

func TestPreviewTablePages(t *testing.T) {
	tbl := table.MustNew(
		table.Schema{{Name: "x", Type: table.Float}, {Name: "n", Type: table.Int, Role: table.Label}, {Name: "s", Type: table.String, Categorical: true}},
		table.NewFloats([]float64{math.NaN(), math.Inf(-1), 3, 4}, nulls(4, 3)),
		table.NewInts([]int64{1, 1 << 60, 3, 4}, nil),
		table.NewStrings([]string{"a", "b", "c", "d"}, nil),
	)
	tests := []struct {
		name          string
		limit, offset int
		wantOffset    int
		wantData      string
		wantTruncated bool
	}{
		{"first page", 2, 0, 0, `[["NaN",1,"a"],["-Inf","1152921504606846976","b"]]`, true},
		{"last page", 2, 2, 2, `[[3,3,"c"],[null,4,"d"]]`, false},
		{"past the end", 10, 9, 4, `[]`, false},
		{"negative offset", 1, -5, 0, `[["NaN",1,"a"]]`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := previewTable(tbl, tt.limit, tt.offset)
			data, err := json.Marshal(p.Data)
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != tt.wantData || p.Offset != tt.wantOffset || p.Truncated != tt.wantTruncated || p.Rows != 4 {
				t.Errorf("got rows %d offset %d truncated %v data %s; want 4, %d, %v, %s",
					p.Rows, p.Offset, p.Truncated, data, tt.wantOffset, tt.wantTruncated, tt.wantData)
			}
		})
	}
	p := previewTable(tbl, 1, 0)
	if _, err := json.Marshal(p); err != nil {
		t.Fatalf("the preview must encode as JSON: %v", err)
	}
	want := []ColumnPreview{
		{Name: "x", Type: "float", Role: "feature"},
		{Name: "n", Type: "int", Role: "label"},
		{Name: "s", Type: "string", Categorical: true, Role: "feature"},
	}
	for i, c := range p.Columns {
		c.Stats = ColumnStats{}
		if !reflect.DeepEqual(c, want[i]) {
			t.Errorf("column %d = %+v, want %+v", i, c, want[i])
		}
	}
}

// BenchmarkPreviewTable summarizes a million rows of four kinds of column.
func BenchmarkPreviewTable(b *testing.B) {
	const n = 1_000_000
	fs, is, ss := make([]float64, n), make([]int64, n), make([]string, n)
	cats := []string{"red", "green", "blue", "cyan", "magenta"}
	for i := range n {
		fs[i] = math.Sin(float64(i))
		is[i] = int64(i % 97)
		ss[i] = cats[i%len(cats)]
	}
	tbl := table.MustNew(
		table.Schema{{Name: "f", Type: table.Float}, {Name: "i", Type: table.Int}, {Name: "s", Type: table.String}, {Name: "id", Type: table.Int}},
		table.NewFloats(fs, nil), table.NewInts(is, nil), table.NewStrings(ss, nil), table.NewInts(make([]int64, n), nil),
	)
	b.ReportAllocs()
	for b.Loop() {
		previewTable(tbl, 100, 0)
	}
}
