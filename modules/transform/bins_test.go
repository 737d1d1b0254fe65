package transform

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

func binTable(t *testing.T) *table.Table {
	xs := []any{0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, nil, math.NaN()}
	ns := []any{int64(1), int64(2), int64(3), int64(4), int64(5), int64(1), int64(1), int64(1), int64(1), int64(1), int64(1), int64(1)}
	same := make([]any, len(xs))
	for i := range same {
		same[i] = 7.0
	}
	return table.MustNew(table.Schema{
		{Name: "x", Type: table.Float},
		{Name: "n", Type: table.Int},
		{Name: "same", Type: table.Float},
		{Name: "s", Type: table.String},
	},
		ftCol(t, table.Float, xs...), ftCol(t, table.Int, ns...), ftCol(t, table.Float, same...),
		table.NewStrings(make([]string, len(xs)), nil),
	)
}

func TestGroupDataIntoBins(t *testing.T) {
	i := func(vs ...int64) []any {
		out := make([]any, len(vs))
		for k, v := range vs {
			out[k] = v
		}
		return append(out, nil, nil)
	}
	tests := []struct {
		name   string
		params map[string]any
		want   map[string][]any
	}{
		{"quantiles", map[string]any{"columns": []string{"x"}, "bins": 4}, map[string][]any{
			"x_quantized": i(1, 1, 1, 2, 2, 3, 3, 4, 4, 4),
			"x":           {0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, nil, math.NaN()},
		}},
		{"equal width", map[string]any{"columns": []string{"x"}, "bins": 2, "method": "equal_width"}, map[string][]any{
			"x_quantized": i(1, 1, 1, 1, 1, 2, 2, 2, 2, 2),
		}},
		{"equal width ints, in place", map[string]any{"columns": []string{"n"}, "bins": 4, "method": "equal_width", "output": "inplace"}, map[string][]any{
			"n": {int64(1), int64(2), int64(3), int64(4), int64(4), int64(1), int64(1), int64(1), int64(1), int64(1), int64(1), int64(1)},
		}},
		{"labels", map[string]any{"columns": []string{"x"}, "bins": 4, "output": "bin_label"}, map[string][]any{
			"x_quantized": {"(-inf, 2.25)", "(-inf, 2.25)", "(-inf, 2.25)", "[2.25, 4.5)", "[2.25, 4.5)", "[4.5, 6.75)",
				"[4.5, 6.75)", "[6.75, inf)", "[6.75, inf)", "[6.75, inf)", nil, nil},
		}},
		{"no spread, one bin", map[string]any{"columns": []string{"same"}}, map[string][]any{
			"same_quantized": {int64(1), int64(1), int64(1), int64(1), int64(1), int64(1), int64(1), int64(1), int64(1), int64(1), int64(1), int64(1)},
		}},
		{"many ties merge quantile bins", map[string]any{"columns": []string{"n"}, "bins": 4}, map[string][]any{
			// 1 is 8 of the 12 values: the quartiles 1, 1, 2.25 leave two bins.
			"n_quantized": {int64(1), int64(1), int64(2), int64(2), int64(2), int64(1), int64(1), int64(1), int64(1), int64(1), int64(1), int64(1)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := moduletest.MustRun(t, GroupDataIntoBins{}, tt.params, binTable(t))
			out := res.Table(t, GroupDataIntoBins{}, "results")
			for col, want := range tt.want {
				if got := ftValues(t, out, col); !ftClose(got, want) {
					t.Errorf("%s = %v, want %v (state %s)", col, got, want, res.State)
				}
			}
		})
	}
}

func TestGroupDataIntoBinsSchema(t *testing.T) {
	res := moduletest.MustRun(t, GroupDataIntoBins{}, nil, binTable(t))
	got := res.Table(t, GroupDataIntoBins{}, "results").Schema()
	want := append(binTable(t).Schema(),
		table.Field{Name: "x_quantized", Type: table.Int, Categorical: true},
		table.Field{Name: "n_quantized", Type: table.Int, Categorical: true},
		table.Field{Name: "same_quantized", Type: table.Int, Categorical: true})
	if !slices.Equal(got, want) {
		t.Errorf("schema = %v, want %v", got, want)
	}
}

func TestGroupDataIntoBinsFitOnAApplyToB(t *testing.T) {
	b := table.MustNew(table.Schema{{Name: "x", Type: table.Int}}, ftCol(t, table.Int, int64(-100), int64(100), int64(4), int64(5), nil))
	for _, tt := range []struct {
		method string
		want   []any
	}{
		// Edges learnt on A: quartiles 2.25, 4.5, 6.75; equal width 2.25, 4.5, 6.75 too (0 to 9 in 4).
		{"quantile", []any{int64(1), int64(4), int64(2), int64(3), nil}},
		{"equal_width", []any{int64(1), int64(4), int64(2), int64(3), nil}},
	} {
		t.Run(tt.method, func(t *testing.T) {
			_, onB, state := ftFitApply(t, GroupDataIntoBins{}, map[string]any{"columns": []string{"x"}, "bins": 4, "method": tt.method}, binTable(t), b)
			if got := ftValues(t, onB, "x_quantized"); !ftClose(got, tt.want) {
				t.Errorf("bins on B = %v, want %v (state %s)", got, tt.want, state)
			}
		})
	}
	_, onB, _ := ftFitApply(t, GroupDataIntoBins{}, map[string]any{"columns": []string{"x"}, "bins": 4, "output": "bin_label"}, binTable(t), b)
	if got := ftValues(t, onB, "x_quantized"); !ftClose(got, []any{"(-inf, 2.25)", "[6.75, inf)", "[2.25, 4.5)", "[4.5, 6.75)", nil}) {
		t.Errorf("labels on B = %v", got)
	}
}

func TestGroupDataIntoBinsErrors(t *testing.T) {
	_, err := moduletest.Run(t, GroupDataIntoBins{}, map[string]any{"columns": []string{"x", "s"}}, binTable(t))
	ftWantParamErr(t, err, "columns", `"s"`, "numeric")
	_, err = moduletest.Run(t, GroupDataIntoBins{}, map[string]any{"columns": []string{"x"}, "bins": 1}, binTable(t))
	ftWantParamErr(t, err, "bins")
	res := moduletest.MustRun(t, GroupDataIntoBins{}, map[string]any{"columns": []string{"x"}}, binTable(t))
	_, err = moduletest.Run(t, GroupDataIntoBins{}, map[string]any{"columns": []string{"x"}}, res.Table(t, GroupDataIntoBins{}, "results"))
	ftWantParamErr(t, err, "output", `"x_quantized"`)
	_, err = moduletest.Apply(t, GroupDataIntoBins{}, map[string]any{"columns": []string{"n"}}, res.State, binTable(t).Select([]int{1}))
	if !errors.Is(err, table.ErrColumnNotFound) {
		t.Fatalf("err = %v, want ErrColumnNotFound", err)
	}
	ftWantErr(t, err, `"x"`)
}

func TestGroupDataIntoBinsEmpty(t *testing.T) {
	empty := table.Empty(table.Schema{{Name: "x", Type: table.Float}})
	_, onB, _ := ftFitApply(t, GroupDataIntoBins{}, map[string]any{"output": "bin_label"}, empty,
		table.MustNew(table.Schema{{Name: "x", Type: table.Float}}, ftCol(t, table.Float, 3.0)))
	if got := ftValues(t, onB, "x_quantized"); !ftClose(got, []any{"(-inf, inf)"}) {
		t.Errorf("labels = %v", got)
	}
}

func TestBinLabelsKeepEdgesApart(t *testing.T) {
	got := binLabels([]float64{1.0000001, 1.0000002, 0.1 + 0.2})
	want := []string{"(-inf, 1.0000001)", "[1.0000001, 1.0000002)", "[1.0000002, 0.3)", "[0.3, inf)"}
	if !slices.Equal(got, want) {
		t.Errorf("labels = %v, want %v", got, want)
	}
}
