package transform

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

func indTable(t *testing.T) *table.Table {
	return table.MustNew(table.Schema{
		{Name: "color", Type: table.String},
		{Name: "size", Type: table.Int, Categorical: true},
		{Name: "n", Type: table.Int},
		{Name: "flag", Type: table.Bool},
	},
		ftCol(t, table.String, "red", "green", nil, "blue", "green"),
		ftCol(t, table.Int, int64(10), int64(2), int64(10), int64(1), nil),
		ftCol(t, table.Int, int64(1), int64(2), int64(3), int64(4), int64(5)),
		ftCol(t, table.Bool, true, false, true, true, false),
	)
}

func TestConvertToIndicatorValues(t *testing.T) {
	tests := []struct {
		name    string
		params  map[string]any
		columns []string
		want    map[string][]any
	}{
		{"text, missing gives zeros", map[string]any{"columns": []string{"color"}},
			[]string{"color-blue", "color-green", "color-red", "size", "n", "flag"},
			map[string][]any{
				"color-blue":  {0.0, 0.0, 0.0, 1.0, 0.0},
				"color-green": {0.0, 1.0, 0.0, 0.0, 1.0},
				"color-red":   {1.0, 0.0, 0.0, 0.0, 0.0},
			}},
		{"keep source columns", map[string]any{"columns": []string{"color", "flag"}, "overwrite": false},
			[]string{"color", "color-blue", "color-green", "color-red", "size", "n", "flag", "flag-false", "flag-true"},
			map[string][]any{"flag-true": {1.0, 0.0, 1.0, 1.0, 0.0}}},
		{"drop first", map[string]any{"columns": []string{"color"}, "drop_first": true},
			[]string{"color-green", "color-red", "size", "n", "flag"}, nil},
		{"categorical ints sort as numbers", map[string]any{"columns": []string{"size"}},
			[]string{"color", "size-1", "size-2", "size-10", "n", "flag"},
			map[string][]any{"size-10": {1.0, 0.0, 1.0, 0.0, 0.0}, "size-1": {0.0, 0.0, 0.0, 1.0, 0.0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := moduletest.MustRun(t, ConvertToIndicatorValues{}, tt.params, indTable(t))
			out := res.Table(t, ConvertToIndicatorValues{}, "results")
			if got := out.Schema().Names(); !slices.Equal(got, tt.columns) {
				t.Errorf("columns = %v, want %v", got, tt.columns)
			}
			for col, want := range tt.want {
				if got := ftValues(t, out, col); !ftClose(got, want) {
					t.Errorf("%s = %v, want %v", col, got, want)
				}
				if f, _ := out.Schema().Field(col); f.Type != table.Float || f.Categorical || f.Role != table.Feature {
					t.Errorf("%s: field %+v, want a float feature", col, f)
				}
			}
		})
	}
}

func TestConvertToIndicatorValuesFitOnAApplyToB(t *testing.T) {
	b := table.MustNew(table.Schema{{Name: "x", Type: table.Float}, {Name: "color", Type: table.String}},
		ftCol(t, table.Float, 1.0), ftCol(t, table.String, "blue"))
	_, onB, state := ftFitApply(t, ConvertToIndicatorValues{}, map[string]any{"columns": []string{"color"}}, indTable(t), b)
	// B has one color, but gets every column A's categories gave.
	if got := onB.Schema().Names(); !slices.Equal(got, []string{"x", "color-blue", "color-green", "color-red"}) {
		t.Errorf("columns on B = %v (state %s)", got, state)
	}
	if got := onB.Row(0); !ftClose(got, []any{1.0, 1.0, 0.0, 0.0}) {
		t.Errorf("row on B = %v", got)
	}

	unseen := table.MustNew(table.Schema{{Name: "color", Type: table.String}}, ftCol(t, table.String, "red", "purple"))
	_, onB, _ = ftFitApply(t, ConvertToIndicatorValues{}, map[string]any{"columns": []string{"color"}}, indTable(t), unseen)
	if got := onB.Row(1); !ftClose(got, []any{0.0, 0.0, 0.0}) {
		t.Errorf("unseen value gave %v, want all zero", got)
	}
	res := moduletest.MustRun(t, ConvertToIndicatorValues{}, map[string]any{"columns": []string{"color"}, "unseen": "error"}, indTable(t))
	_, err := moduletest.Apply(t, ConvertToIndicatorValues{}, map[string]any{"columns": []string{"color"}, "unseen": "error"}, res.State, unseen)
	ftWantErr(t, err, `column "color"`, "row 2", `"purple"`)

	_, err = moduletest.Apply(t, ConvertToIndicatorValues{}, map[string]any{"columns": []string{"x"}}, res.State,
		table.MustNew(table.Schema{{Name: "x", Type: table.String}}, ftCol(t, table.String, "a")))
	if !errors.Is(err, table.ErrColumnNotFound) {
		t.Fatalf("err = %v, want ErrColumnNotFound", err)
	}
	ftWantErr(t, err, `"color"`)
}

func TestConvertToIndicatorValuesErrors(t *testing.T) {
	_, err := moduletest.Run(t, ConvertToIndicatorValues{}, map[string]any{"columns": []string{"color", "n"}}, indTable(t))
	ftWantParamErr(t, err, "columns", `"n"`, "categorical")
	_, err = moduletest.Run(t, ConvertToIndicatorValues{}, map[string]any{"columns": []string{"shade"}}, indTable(t))
	if !errors.Is(err, table.ErrColumnNotFound) {
		t.Errorf("err = %v, want ErrColumnNotFound", err)
	}
	ids := make([]any, indMaxCategories+1)
	for i := range ids {
		ids[i] = fmt.Sprint("id", i)
	}
	many := table.MustNew(table.Schema{{Name: "id", Type: table.String}}, ftCol(t, table.String, ids...))
	_, err = moduletest.Run(t, ConvertToIndicatorValues{}, map[string]any{"columns": []string{"id"}}, many)
	ftWantErr(t, err, `"id"`, "1000")
	clash := table.MustNew(table.Schema{{Name: "c", Type: table.String}, {Name: "c-a", Type: table.Int}},
		ftCol(t, table.String, "a"), ftCol(t, table.Int, int64(1)))
	_, err = moduletest.Run(t, ConvertToIndicatorValues{}, map[string]any{"columns": []string{"c"}}, clash)
	ftWantErr(t, err, `"c-a"`)
}

func TestConvertToIndicatorValuesEmpty(t *testing.T) {
	empty := table.Empty(table.Schema{{Name: "c", Type: table.String}, {Name: "v", Type: table.Float}})
	_, onB, _ := ftFitApply(t, ConvertToIndicatorValues{}, map[string]any{"columns": []string{"c"}}, empty,
		table.MustNew(table.Schema{{Name: "c", Type: table.String}, {Name: "v", Type: table.Float}}, ftCol(t, table.String, "a"), ftCol(t, table.Float, 1.0)))
	if got := onB.Schema().Names(); !slices.Equal(got, []string{"v"}) {
		t.Errorf("columns = %v: no categories were learnt", got)
	}
}
