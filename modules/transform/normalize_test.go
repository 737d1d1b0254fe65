package transform

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

func normTable(t *testing.T) *table.Table {
	return table.MustNew(table.Schema{
		{Name: "x", Type: table.Float},
		{Name: "n", Type: table.Int},
		{Name: "same", Type: table.Float},
		{Name: "y", Type: table.Float, Role: table.Label},
		{Name: "s", Type: table.String},
	},
		ftCol(t, table.Float, 1.0, 2.0, 3.0, 4.0, nil),
		ftCol(t, table.Int, int64(10), int64(20), int64(30), int64(40), int64(50)),
		ftCol(t, table.Float, 5.0, 5.0, nil, 5.0, 5.0),
		ftCol(t, table.Float, 9.0, 9.0, 9.0, 9.0, 1.0),
		ftCol(t, table.String, "a", "b", "c", "d", "e"),
	)
}

func TestNormalizeData(t *testing.T) {
	std := math.Sqrt(1.25) // population standard deviation of 1, 2, 3, 4
	each := func(f func(float64) float64, xs ...float64) []any {
		out := make([]any, len(xs))
		for i, x := range xs {
			out[i] = f(x)
		}
		return out
	}
	tests := []struct {
		name   string
		params map[string]any
		want   map[string][]any
	}{
		{"zscore by default, skipping label and text", map[string]any{}, map[string][]any{
			"x":    append(each(func(x float64) float64 { return (x - 2.5) / std }, 1, 2, 3, 4), nil),
			"n":    each(func(x float64) float64 { return (x - 30) / math.Sqrt(200) }, 10, 20, 30, 40, 50),
			"same": {0.0, 0.0, nil, 0.0, 0.0},
			"y":    {9.0, 9.0, 9.0, 9.0, 1.0},
		}},
		{"minmax", map[string]any{"method": "minmax"}, map[string][]any{
			"x": {0.0, 1 / 3.0, 2 / 3.0, 1.0, nil},
			"n": {0.0, 0.25, 0.5, 0.75, 1.0},
		}},
		{"robust", map[string]any{"method": "robust", "columns": []string{"x", "n"}}, map[string][]any{
			"x": {-1.0, -1 / 3.0, 1 / 3.0, 1.0, nil}, // median 2.5, IQR 3.25-1.75
			"n": {-1.0, -0.5, 0.0, 0.5, 1.0},
		}},
		{"logistic", map[string]any{"method": "logistic", "columns": []string{"x"}}, map[string][]any{
			"x": append(each(func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, 1, 2, 3, 4), nil),
		}},
		{"tanh", map[string]any{"method": "tanh", "columns": []string{"x"}}, map[string][]any{
			"x": append(each(func(x float64) float64 { return 0.5 * (math.Tanh(0.01*(x-2.5)/std) + 1) }, 1, 2, 3, 4), nil),
		}},
		{"constant column kept", map[string]any{"columns": []string{"same"}, "constant_columns": "keep", "method": "minmax"}, map[string][]any{
			"same": {5.0, 5.0, nil, 5.0, 5.0},
		}},
		{"label chosen by name", map[string]any{"columns": []string{"y"}, "method": "minmax"}, map[string][]any{
			"y": {1.0, 1.0, 1.0, 1.0, 0.0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := moduletest.MustRun(t, NormalizeData{}, tt.params, normTable(t))
			out := res.Table(t, NormalizeData{}, "results")
			for col, want := range tt.want {
				if got := ftValues(t, out, col); !ftClose(got, want) {
					t.Errorf("%s = %v, want %v", col, got, want)
				}
			}
		})
	}
}

func TestNormalizeDataIntsBecomeFloats(t *testing.T) {
	res := moduletest.MustRun(t, NormalizeData{}, map[string]any{"columns": []string{"n"}}, normTable(t))
	out := res.Table(t, NormalizeData{}, "results")
	want := normTable(t).Schema()
	want[1].Type = table.Float
	if got := out.Schema(); !slices.Equal(got, want) {
		t.Errorf("schema = %v, want %v", got, want)
	}
}

func TestNormalizeDataFitOnAApplyToB(t *testing.T) {
	b := table.MustNew(table.Schema{{Name: "n", Type: table.Float}, {Name: "x", Type: table.Int}},
		ftCol(t, table.Float, 0.0), ftCol(t, table.Int, int64(10)))
	tests := []struct {
		method string
		x, n   float64
	}{
		{"zscore", (10 - 2.5) / math.Sqrt(1.25), (0 - 30) / math.Sqrt(200)},
		{"minmax", (10 - 1) / 3.0, (0 - 10) / 40.0},
		{"robust", (10 - 2.5) / 1.5, (0 - 30) / 20.0},
		{"tanh", 0.5 * (math.Tanh(0.01*(10-2.5)/math.Sqrt(1.25)) + 1), 0.5 * (math.Tanh(0.01*(0-30)/math.Sqrt(200)) + 1)},
		{"logistic", 1 / (1 + math.Exp(-10)), 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			_, onB, _ := ftFitApply(t, NormalizeData{}, map[string]any{"method": tt.method, "columns": []string{"x", "n"}}, normTable(t), b)
			if got := ftValues(t, onB, "x"); !ftClose(got, []any{tt.x}) {
				t.Errorf("x on B = %v, want %v from A's statistics", got, tt.x)
			}
			if got := ftValues(t, onB, "n"); !ftClose(got, []any{tt.n}) {
				t.Errorf("n on B = %v, want %v from A's statistics", got, tt.n)
			}
		})
	}
}

func TestNormalizeDataErrors(t *testing.T) {
	_, err := moduletest.Run(t, NormalizeData{}, map[string]any{"columns": []string{"x", "s"}}, normTable(t))
	ftWantParamErr(t, err, "columns", `"s"`, "string", "numeric")
	_, err = moduletest.Run(t, NormalizeData{}, map[string]any{"columns": []string{"height"}}, normTable(t))
	if !errors.Is(err, table.ErrColumnNotFound) {
		t.Errorf("err = %v, want ErrColumnNotFound", err)
	}
	onlyText := table.MustNew(table.Schema{{Name: "s", Type: table.String}}, ftCol(t, table.String, "a"))
	_, err = moduletest.Run(t, NormalizeData{}, nil, onlyText)
	ftWantParamErr(t, err, "columns", "selects no columns")

	res := moduletest.MustRun(t, NormalizeData{}, map[string]any{"columns": []string{"x", "n"}}, normTable(t))
	noN := table.MustNew(table.Schema{{Name: "x", Type: table.Float}}, ftCol(t, table.Float, 1.0))
	_, err = moduletest.Apply(t, NormalizeData{}, map[string]any{"columns": []string{"x"}}, res.State, noN)
	if !errors.Is(err, table.ErrColumnNotFound) {
		t.Fatalf("err = %v, want ErrColumnNotFound", err)
	}
	ftWantErr(t, err, `"n"`)
	textN := table.MustNew(table.Schema{{Name: "x", Type: table.Float}, {Name: "n", Type: table.String}}, ftCol(t, table.Float, 1.0), ftCol(t, table.String, "1"))
	_, err = moduletest.Apply(t, NormalizeData{}, map[string]any{"columns": []string{"x"}}, res.State, textN)
	ftWantErr(t, err, `"n"`, "string")
	_, err = moduletest.Apply(t, NormalizeData{}, nil, []byte(`{"version":1,"method":"zscore","constant_columns":"zero","columns":[{"name":"x","count":3}]}`), normTable(t))
	ftWantErr(t, err, `"x"`, "lacks")
}

func TestNormalizeDataEmptyAndNaN(t *testing.T) {
	empty := table.Empty(table.Schema{{Name: "x", Type: table.Float}})
	onA, onB, _ := ftFitApply(t, NormalizeData{}, nil, empty, table.MustNew(table.Schema{{Name: "x", Type: table.Float}}, ftCol(t, table.Float, 3.0, nil)))
	if onA.NumRows() != 0 {
		t.Errorf("%d rows from an empty table", onA.NumRows())
	}
	// Nothing was learnt from no values: the column is treated as constant.
	if got := ftValues(t, onB, "x"); !ftClose(got, []any{0.0, nil}) {
		t.Errorf("x = %v", got)
	}
	odd := table.MustNew(table.Schema{{Name: "x", Type: table.Float}}, ftCol(t, table.Float, 1.0, math.NaN(), 3.0, math.Inf(1)))
	res := moduletest.MustRun(t, NormalizeData{}, map[string]any{"method": "minmax"}, odd)
	if got := ftValues(t, res.Table(t, NormalizeData{}, "results"), "x"); !ftClose(got, []any{0.0, math.NaN(), 1.0, math.Inf(1)}) {
		t.Errorf("x = %v: NaN and Inf are ignored when fitting", got)
	}
}

func TestNormalizeDataTransformHonoursCancellation(t *testing.T) {
	res := moduletest.MustRun(t, NormalizeData{}, nil, normTable(t))
	tr := res.Outputs[1].(interface {
		Apply(context.Context, *table.Table) (*table.Table, error)
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tr.Apply(ctx, normTable(t)); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestNormalizeDataZeroMean(t *testing.T) {
	in := table.MustNew(table.Schema{{Name: "x", Type: table.Int}}, ftCol(t, table.Int, int64(-2), int64(2), nil))
	res := moduletest.MustRun(t, NormalizeData{}, nil, in)
	if got := ftValues(t, res.Table(t, NormalizeData{}, "results"), "x"); !ftClose(got, []any{-1.0, 1.0, nil}) {
		t.Errorf("x = %v (state %s)", got, res.State)
	}
}
