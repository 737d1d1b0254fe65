package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

func TestSpecsValid(t *testing.T) {
	if _, err := modules.NewRegistry(SummarizeData{}, ComputeLinearCorrelation{}); err != nil {
		t.Fatal(err)
	}
}

func nulls(n int, rows ...int) table.Bitmap {
	b := table.NewBitmap(n)
	for _, r := range rows {
		b.Set(r, false)
	}
	return b
}

// near reports whether got equals want to within rounding; NaN equals NaN.
func near(got, want float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return got == want || math.Abs(got-want) <= 1e-12*math.Max(math.Abs(got), math.Abs(want))
}

func cell(tb *table.Table, col string, row int) any {
	c, _, err := tb.Lookup(col)
	if err != nil {
		panic(err)
	}
	return c.Value(row)
}

func TestQuantileMatchesNumpy(t *testing.T) {
	// numpy.percentile(x, [0, 25, 50, 75, 100]) with its default linear method.
	tests := []struct {
		x    []float64
		want [5]float64
	}{
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, [5]float64{1, 3.25, 5.5, 7.75, 10}},
		{[]float64{7}, [5]float64{7, 7, 7, 7, 7}},
		{[]float64{1, 3}, [5]float64{1, 1.5, 2, 2.5, 3}},
		{[]float64{-5, 0, 2, 2, 10}, [5]float64{-5, 0, 2, 2, 10}},
		{[]float64{1, 2, 4, 8, 16, 32}, [5]float64{1, 2.5, 6, 14, 32}},
	}
	for _, tt := range tests {
		for k, p := range []float64{0, 0.25, 0.5, 0.75, 1} {
			if got := quantile(tt.x, p); !near(got, tt.want[k]) {
				t.Errorf("quantile(%v, %v) = %v, want %v", tt.x, p, got, tt.want[k])
			}
		}
	}
}

func TestSummarizeData(t *testing.T) {
	const n = 10
	in := table.MustNew(table.Schema{
		{Name: "x", Type: table.Int},
		{Name: "y", Type: table.Float},
		{Name: "city", Type: table.String},
		{Name: "ok", Type: table.Bool},
		{Name: "at", Type: table.Time},
		{Name: "void", Type: table.Float},
	},
		table.NewInts([]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, nil),
		table.NewFloats([]float64{2, 4, 4, 4, 5, 5, 7, 9, math.NaN(), 0}, nulls(n, 9)),
		table.NewStrings([]string{"b", "a", "b", "", "a", "c", "c", "c", "a", "b"}, nulls(n, 3)),
		table.NewBools([]bool{true, false, true, false, true, false, false, true, false, true}, nulls(n, 8, 9)),
		table.NewTimes([]int64{0, 0, 1e9, 1e9, 0, 0, 0, 0, 0, 0}, nulls(n, 0, 1, 2, 3, 4, 5, 6, 7)),
		table.NewFloats(make([]float64, n), nulls(n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)),
	)
	res := moduletest.MustRun(t, SummarizeData{}, nil, in).Table(t, SummarizeData{}, "results")
	if got := strings.Join(res.Schema().Names(), ","); got != "Feature,Type,Count,Missing,Unique,Mean,Std,Min,Q1,Median,Q3,Max,Mode" {
		t.Fatalf("columns = %s", got)
	}
	// want[row] lists the expected cells; nil is missing.
	want := [][]any{
		{"x", "int", int64(10), int64(0), int64(10), 5.5, 3.0276503540974917, 1.0, 3.25, 5.5, 7.75, 10.0, "1"},
		// y: 2 4 4 4 5 5 7 9 (NaN and null are missing); sample std sqrt(32/7).
		{"y", "float", int64(8), int64(2), int64(5), 5.0, math.Sqrt(32.0 / 7), 2.0, 4.0, 4.5, 5.5, 9.0, "4"},
		// a, b and c each appear three times: the smallest wins.
		{"city", "string", int64(9), int64(1), int64(3), nil, nil, nil, nil, nil, nil, nil, "a"},
		{"ok", "bool", int64(8), int64(2), int64(2), nil, nil, nil, nil, nil, nil, nil, "false"},
		{"at", "timestamp", int64(2), int64(8), int64(1), nil, nil, nil, nil, nil, nil, nil, "1970-01-01T00:00:00Z"},
		{"void", "float", int64(0), int64(10), int64(0), nil, nil, nil, nil, nil, nil, nil, nil},
	}
	if res.NumRows() != len(want) {
		t.Fatalf("%d rows, want %d", res.NumRows(), len(want))
	}
	for r, row := range want {
		for c, w := range row {
			got := res.Column(c).Value(r)
			wf, isFloat := w.(float64)
			gf, gotFloat := got.(float64)
			if ok := got == w || (isFloat && gotFloat && near(gf, wf)); !ok {
				t.Errorf("%s %s = %v, want %v", row[0], res.Field(c).Name, got, w)
			}
		}
	}

	// One value: no standard deviation, but everything else.
	one := moduletest.MustRun(t, SummarizeData{}, nil, in.Slice(0, 1)).Table(t, SummarizeData{}, "results")
	if std, q1 := cell(one, "Std", 0), cell(one, "Q1", 0); std != nil || q1 != 1.0 {
		t.Errorf("one value: Std = %v, Q1 = %v; want missing and 1", std, q1)
	}
	// An empty dataset still has one row per column.
	empty := moduletest.MustRun(t, SummarizeData{}, nil, table.Empty(in.Schema())).Table(t, SummarizeData{}, "results")
	if empty.NumRows() != 6 || cell(empty, "Count", 0) != int64(0) || cell(empty, "Mean", 0) != nil {
		t.Errorf("empty dataset summary: %d rows, count %v, mean %v", empty.NumRows(), cell(empty, "Count", 0), cell(empty, "Mean", 0))
	}
	if _, err := moduletest.Run(t, SummarizeData{}, nil); err == nil {
		t.Error("summarizing an unconnected input succeeded")
	}
}

func TestComputeLinearCorrelation(t *testing.T) {
	const n = 6
	in := table.MustNew(table.Schema{
		{Name: "x", Type: table.Int},
		{Name: "y", Type: table.Float},
		{Name: "z", Type: table.Float},
		{Name: "name", Type: table.String},
		{Name: "c", Type: table.Float},
		{Name: "flag", Type: table.Bool},
	},
		table.NewInts([]int64{1, 2, 3, 4, 5, 100}, nulls(n, 5)),
		table.NewFloats([]float64{2, 4, 5, 4, 5, 7}, nil),
		table.NewFloats([]float64{5, 4, 3, 2, math.NaN(), 0}, nil),
		table.NewStrings([]string{"a", "b", "c", "d", "e", "f"}, nil),
		table.NewFloats([]float64{3, 3, 3, 3, 3, 3}, nil),
		table.NewBools([]bool{false, false, true, false, true, true}, nil),
	)
	// By hand, over the rows each pair has:
	// x,y rows 1-5: dx -2..2, dy -2 0 1 0 1: 6/sqrt(10*6).
	// y,z rows 1-4 and 6: y 2 4 5 4 7 (mean 4.4), z 5 4 3 2 0 (mean 2.8):
	//   sxy -12.6, syy 13.2, szz 14.8.
	// x,z rows 1-4: perfectly decreasing.
	rxy := 6 / math.Sqrt(60)
	ryz := -12.6 / math.Sqrt(13.2*14.8)
	nan := math.NaN()
	tests := []struct {
		name    string
		columns any
		want    [][]float64
	}{
		{"default numeric columns", nil, [][]float64{
			{1, rxy, -1, nan},
			{rxy, 1, ryz, nan},
			{-1, ryz, 1, nan},
			{nan, nan, nan, nan},
		}},
		{"named, with a bool", []string{"flag", "y"}, [][]float64{
			// flag 0 0 1 0 1 1 against y: sxy 3.5, sff 1.5, syy 13.5.
			{1, 3.5 / 4.5},
			{3.5 / 4.5, 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := map[string]any{}
			if tt.columns != nil {
				params["columns"] = tt.columns
			}
			res := moduletest.MustRun(t, ComputeLinearCorrelation{}, params, in).Table(t, ComputeLinearCorrelation{}, "results")
			if res.NumRows() != len(tt.want) || res.NumCols() != len(tt.want)+1 {
				t.Fatalf("result is %dx%d, want %dx%d", res.NumRows(), res.NumCols(), len(tt.want), len(tt.want)+1)
			}
			for i, row := range tt.want {
				if name := cell(res, "Feature", i); name != res.Field(i+1).Name {
					t.Errorf("row %d is %v, column %d is %s", i, name, i+1, res.Field(i+1).Name)
				}
				for j, w := range row {
					if got := res.Column(j + 1).Value(i).(float64); !near(got, w) {
						t.Errorf("r(%s, %s) = %v, want %v", res.Field(i+1).Name, res.Field(j+1).Name, got, w)
					}
				}
			}
		})
	}
}

func TestComputeLinearCorrelationLarge(t *testing.T) {
	// The complete-data path and the pairwise path must agree.
	const n = 1000
	a, b := make([]float64, n), make([]float64, n)
	for i := range a {
		a[i] = math.Sin(float64(i)) * 1e6
		b[i] = a[i]*0.5 + math.Cos(float64(i*7))*3e5 + 1e9
	}
	in := table.MustNew(table.Schema{{Name: "a", Type: table.Float}, {Name: "b", Type: table.Float}}, table.NewFloats(a, nil), table.NewFloats(b, nil))
	fast := moduletest.MustRun(t, ComputeLinearCorrelation{}, nil, in).Table(t, ComputeLinearCorrelation{}, "results")
	bnan := append([]float64(nil), b...)
	bnan = append(bnan, math.NaN())
	in2 := table.MustNew(table.Schema{{Name: "a", Type: table.Float}, {Name: "b", Type: table.Float}},
		table.NewFloats(append(append([]float64(nil), a...), 12345), nil), table.NewFloats(bnan, nil))
	slow := moduletest.MustRun(t, ComputeLinearCorrelation{}, nil, in2).Table(t, ComputeLinearCorrelation{}, "results")
	f, s := cell(fast, "b", 0).(float64), cell(slow, "b", 0).(float64)
	if !near(f, s) || f <= 0.5 || f >= 1 {
		t.Errorf("complete r = %v, pairwise r = %v", f, s)
	}
}

func TestComputeLinearCorrelationErrors(t *testing.T) {
	in := table.MustNew(table.Schema{{Name: "name", Type: table.String}, {Name: "Feature", Type: table.Int}},
		table.NewStrings([]string{"a", "b"}, nil), table.NewInts([]int64{1, 2}, nil))
	tests := []struct {
		name      string
		in        *table.Table
		columns   any
		fragments []string
	}{
		{"no numeric columns", in.Select([]int{0}), nil, []string{"selects no columns", "numeric"}},
		{"string column", in, []string{"Feature", "name"}, []string{`"name" is string`}},
		{"missing column", in, []string{"age"}, []string{`"age"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := map[string]any{}
			if tt.columns != nil {
				params["columns"] = tt.columns
			}
			_, err := moduletest.Run(t, ComputeLinearCorrelation{}, params, tt.in)
			var pe *modules.ParamError
			if !errors.As(err, &pe) || pe.Param != "columns" {
				t.Fatalf("err = %v, want a ParamError on columns", err)
			}
			for _, f := range tt.fragments {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("error %q does not mention %q", err, f)
				}
			}
		})
	}
	// A column named Feature does not clash with the names column.
	res := moduletest.MustRun(t, ComputeLinearCorrelation{}, nil, in).Table(t, ComputeLinearCorrelation{}, "results")
	if got := strings.Join(res.Schema().Names(), ","); got != "Feature,Feature (2)" {
		t.Errorf("columns = %s", got)
	}
}

func BenchmarkStats1M(b *testing.B) {
	const n, k = 1 << 20, 8
	schema := make(table.Schema, k)
	cols := make([]table.Column, k)
	for c := range k {
		x := make([]float64, n)
		for i := range x {
			x[i] = math.Sin(float64(i*(c+1))) + float64(i%(c+10))
		}
		schema[c] = table.Field{Name: string(rune('a' + c)), Type: table.Float}
		cols[c] = table.NewFloats(x, nulls(n, c))
	}
	in := table.MustNew(schema, cols...)
	b.Run("summarize", func(b *testing.B) {
		for b.Loop() {
			moduletest.MustRun(b, SummarizeData{}, nil, in)
		}
	})
	b.Run("correlation", func(b *testing.B) {
		for b.Loop() {
			moduletest.MustRun(b, ComputeLinearCorrelation{}, nil, in)
		}
	})
}

func TestRadixSortsMatchSlicesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 255, 256, 5000} {
		f, i := make([]float64, n), make([]int64, n)
		specials := []float64{math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0, math.SmallestNonzeroFloat64, -math.MaxFloat64}
		for k := range f {
			f[k] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-20))
			if rng.IntN(10) == 0 {
				f[k] = specials[rng.IntN(len(specials))]
			}
			i[k] = rng.Int64() - rng.Int64()
			if rng.IntN(3) == 0 {
				i[k] = rng.Int64N(100) - 50
			}
		}
		wf, wi := slices.Clone(f), slices.Clone(i)
		slices.Sort(wf)
		slices.Sort(wi)
		sortFloats(f)
		sortInts(i)
		// slices.Sort may order -0 and 0 either way; compare as numbers.
		if !slices.Equal(f, wf) {
			t.Errorf("sortFloats of %d values differs from slices.Sort", n)
		}
		if !slices.Equal(i, wi) {
			t.Errorf("sortInts of %d values differs from slices.Sort", n)
		}
	}
}
