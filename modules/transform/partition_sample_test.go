package transform

import (
	"math"
	"slices"
	"testing"

	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

// sampleTable has ids 0..n-1 and a group that is "a" for the first fifth of
// the rows, "b" for the rest, and null for every tenth row.
func sampleTable(n int) *table.Table {
	ids := make([]int64, n)
	groups := table.NewBuilder[string](n)
	for i := range ids {
		ids[i] = int64(i)
		switch {
		case i%10 == 9:
			groups.AppendNull()
		case i < n/5:
			groups.Append("a")
		default:
			groups.Append("b")
		}
	}
	return table.MustNew(table.Schema{{Name: "id", Type: table.Int}, {Name: "group", Type: table.String}},
		table.NewInts(ids, nil), table.NewStrings(groups.Data(), groups.Validity()))
}

func sampleIDs(t *testing.T, params map[string]any, in *table.Table) []int64 {
	t.Helper()
	res := moduletest.MustRun(t, PartitionAndSample{}, params, in)
	return res.Table(t, PartitionAndSample{}, "results").Column(0).(*table.Ints).Data()
}

func TestPartitionAndSampleHead(t *testing.T) {
	in := sampleTable(50)
	for _, tt := range []struct{ count, want int }{{0, 0}, {3, 3}, {50, 50}, {500, 50}} {
		got := sampleIDs(t, map[string]any{"mode": "head", "count": tt.count}, in)
		if len(got) != tt.want || (tt.want > 0 && got[len(got)-1] != int64(tt.want-1)) {
			t.Errorf("head %d = %v", tt.count, got)
		}
	}
}

func TestPartitionAndSampleRandom(t *testing.T) {
	in := sampleTable(1000)
	for _, tt := range []struct {
		fraction float64
		want     int
	}{{0, 0}, {0.1, 100}, {0.3333, 333}, {1, 1000}} {
		got := sampleIDs(t, map[string]any{"fraction": tt.fraction, "seed": 7}, in)
		if len(got) != tt.want {
			t.Errorf("fraction %v kept %d rows, want %d", tt.fraction, len(got), tt.want)
		}
		if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("fraction %v: rows not distinct and in order", tt.fraction)
		}
	}
	a := sampleIDs(t, map[string]any{"fraction": 0.1, "seed": 7}, in)
	b := sampleIDs(t, map[string]any{"fraction": 0.1, "seed": 7}, in)
	c := sampleIDs(t, map[string]any{"fraction": 0.1, "seed": 8}, in)
	if !slices.Equal(a, b) {
		t.Error("the same seed picked different rows")
	}
	if slices.Equal(a, c) {
		t.Error("different seeds picked the same rows")
	}
	// The rows are spread over the table, not bunched at one end.
	if mean := sampleMeanID(a); math.Abs(mean-500) > 100 {
		t.Errorf("mean id of the sample = %v, want about 500", mean)
	}
}

func sampleMeanID(xs []int64) float64 {
	s := 0.0
	for _, x := range xs {
		s += float64(x)
	}
	return s / float64(len(xs))
}

func TestPartitionAndSampleStratified(t *testing.T) {
	in := sampleTable(1000) // a: 180 rows, b: 720, null: 100
	res := moduletest.MustRun(t, PartitionAndSample{}, map[string]any{"fraction": 0.25, "seed": 1, "stratify_column": "group"}, in)
	out := res.Table(t, PartitionAndSample{}, "results")
	counts := map[any]int{}
	for _, v := range ftValues(t, out, "group") {
		counts[v]++
	}
	if counts["a"] != 45 || counts["b"] != 180 || counts[nil] != 25 {
		t.Errorf("strata = %v, want a:45 b:180 null:25", counts)
	}
}

func TestPartitionAndSampleErrors(t *testing.T) {
	_, err := moduletest.Run(t, PartitionAndSample{}, map[string]any{"stratify_column": "colour"}, sampleTable(10))
	ftWantParamErr(t, err, "stratify_column", "colour")
	_, err = moduletest.Run(t, PartitionAndSample{}, map[string]any{"fraction": 1.5}, sampleTable(10))
	ftWantParamErr(t, err, "fraction")
	_, err = moduletest.Run(t, PartitionAndSample{}, map[string]any{"mode": "head", "count": -1}, sampleTable(10))
	ftWantParamErr(t, err, "count")
}

func TestPartitionAndSampleEmpty(t *testing.T) {
	for _, params := range []map[string]any{{"fraction": 0.5, "stratify_column": "group"}, {"mode": "head"}} {
		if got := sampleIDs(t, params, sampleTable(0)); len(got) != 0 {
			t.Errorf("%v: %d rows from an empty table", params, len(got))
		}
	}
}
