package stats

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/parallel"
	"github.com/trellis-studio/trellis/modules/table"
)

// SummarizeData describes each column of a dataset with counts and
// descriptive statistics, one output row per column.
type SummarizeData struct{}

// Spec implements modules.Module.
func (SummarizeData) Spec() modules.Spec {
	return modules.Spec{
		ID: "summarize_data", Version: 1, Name: "Summarize Data", Category: modules.CategoryStats,
		Summary: "Describes every column: counts, missing values, distinct values, mean, spread, quartiles and mode.",
		Help: "The result has one row per input column, with: Feature (the column's name), Type, Count (values " +
			"present), Missing, Unique (distinct values present), Mean, Std (sample standard deviation, " +
			"divided by n-1), Min, Q1, Median, Q3, Max and Mode (the commonest value, as text; on a tie the " +
			"smallest).\n\n" +
			"Mean, Std, Min, the quartiles and Max are given for int and float columns and are empty for " +
			"other types; Std needs two values. Quartiles interpolate linearly between the closest values, as " +
			"numpy and pandas do by default (R's type 7): Q1 of 1, 2, …, 10 is 3.25. NaN counts as missing.",
		Inputs:  []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Outputs: resultsPort,
	}
}

var summarySchema = table.Schema{
	{Name: "Feature", Type: table.String},
	{Name: "Type", Type: table.String},
	{Name: "Count", Type: table.Int},
	{Name: "Missing", Type: table.Int},
	{Name: "Unique", Type: table.Int},
	{Name: "Mean", Type: table.Float},
	{Name: "Std", Type: table.Float},
	{Name: "Min", Type: table.Float},
	{Name: "Q1", Type: table.Float},
	{Name: "Median", Type: table.Float},
	{Name: "Q3", Type: table.Float},
	{Name: "Max", Type: table.Float},
	{Name: "Mode", Type: table.String},
}

// The positions of the numeric statistics in summarySchema.
const firstStat, lastStat = 5, 11

// Infer implements modules.Module.
func (SummarizeData) Infer(*modules.InferContext) ([]*modules.Shape, error) {
	return []*modules.Shape{modules.TableShape(summarySchema.Clone())}, nil
}

// Run implements modules.Runner.
func (SummarizeData) Run(rc *modules.Context) error {
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	builders := make([]table.ColumnBuilder, len(summarySchema))
	for i, f := range summarySchema {
		builders[i] = table.NewColumnBuilder(f.Type, t.NumCols())
	}
	sums, err := summarizeAll(rc, t)
	if err != nil {
		return err
	}
	for c, s := range sums {
		row := []any{t.Field(c).Name, t.Field(c).Type.String(), s.count, int64(t.NumRows()) - s.count, s.unique}
		if s.count > 0 && s.sorted != nil {
			mean, variance := stat.MeanVariance(s.sorted, nil) // sample variance; NaN for one value
			row = append(row, mean, nanToNil(math.Sqrt(variance)), s.sorted[0],
				quantile(s.sorted, 0.25), quantile(s.sorted, 0.5), quantile(s.sorted, 0.75), s.sorted[len(s.sorted)-1])
		} else {
			row = append(row, make([]any, lastStat-firstStat+1)...)
		}
		if s.count > 0 {
			row = append(row, s.mode)
		} else {
			row = append(row, nil)
		}
		for i, v := range row {
			if err := builders[i].AppendValue(v); err != nil {
				return fmt.Errorf("summarizing %q: %w", t.Field(c).Name, err)
			}
		}
	}
	cols := make([]table.Column, len(builders))
	for i, b := range builders {
		cols[i] = b.Build()
	}
	out, err := table.New(summarySchema, cols)
	if err != nil {
		return err
	}
	rc.SetOutput("results", out)
	return nil
}

// summarizeAll summarizes the columns, several at once when the run has
// workers to spare: columns are independent and sorting them dominates.
func summarizeAll(rc *modules.Context, t *table.Table) ([]columnSummary, error) {
	sums := make([]columnSummary, t.NumCols())
	workers := max(1, min(rc.Workers, len(sums)))
	var mu sync.Mutex
	next, done := 0, 0
	var wg parallel.Group
	for range workers {
		wg.Go(func() {
			for {
				mu.Lock()
				c := next
				next++
				mu.Unlock()
				if c >= len(sums) || rc.Err() != nil {
					return
				}
				sums[c] = summarize(t.Column(c))
				mu.Lock()
				done++
				rc.Progress(float64(done) / float64(len(sums)))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return sums, rc.Err()
}

func nanToNil(f float64) any {
	if math.IsNaN(f) {
		return nil
	}
	return f
}

// columnSummary is what one pass over a column learns.
type columnSummary struct {
	count, unique int64
	mode          string
	sorted        []float64 // the values present, sorted, for numeric columns
}

func summarize(c table.Column) columnSummary {
	switch c := c.(type) {
	case *table.Floats:
		x := present(c.Data(), c.Validity(), func(v float64) bool { return !math.IsNaN(v) })
		sortFloats(x)
		s := summaryOf(x, func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) })
		s.sorted = x
		return s
	case *table.Ints:
		x := present(c.Data(), c.Validity(), nil)
		sortInts(x)
		s := summaryOf(x, func(v int64) string { return strconv.FormatInt(v, 10) })
		s.sorted = make([]float64, len(x))
		for i, v := range x {
			s.sorted[i] = float64(v)
		}
		return s
	case *table.Strings:
		x := present(c.Data(), c.Validity(), nil)
		slices.Sort(x)
		return summaryOf(x, func(v string) string { return v })
	case *table.Times:
		x := present(c.Data(), c.Validity(), nil)
		sortInts(x)
		return summaryOf(x, func(v int64) string { return time.Unix(0, v).UTC().Format(time.RFC3339Nano) })
	case *table.Bools:
		var n [2]int64
		valid := c.Validity()
		for i, v := range c.Data() {
			if valid.Valid(i) {
				n[b2i(v)]++
			}
		}
		s := columnSummary{count: n[0] + n[1], mode: strconv.FormatBool(n[1] > n[0])}
		for _, k := range n {
			if k > 0 {
				s.unique++
			}
		}
		return s
	}
	return columnSummary{count: int64(c.Len() - c.NullCount())}
}

// present copies the values that are not null and that keep accepts (all
// when keep is nil).
func present[T any](data []T, valid table.Bitmap, keep func(T) bool) []T {
	out := make([]T, 0, len(data))
	for i, v := range data {
		if valid.Valid(i) && (keep == nil || keep(v)) {
			out = append(out, v)
		}
	}
	return out
}

func summaryOf[T interface{ ~int64 | ~float64 | ~string }](sorted []T, format func(T) string) columnSummary {
	s := columnSummary{count: int64(len(sorted))}
	if len(sorted) == 0 {
		return s
	}
	unique, mode := runs(sorted)
	s.unique, s.mode = int64(unique), format(sorted[mode])
	return s
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
