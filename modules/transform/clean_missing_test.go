package transform

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

func cleanTable(t *testing.T) *table.Table {
	return table.MustNew(table.Schema{
		{Name: "age", Type: table.Int},
		{Name: "income", Type: table.Float},
		{Name: "city", Type: table.String},
		{Name: "member", Type: table.Bool},
		{Name: "seen", Type: table.Time},
	},
		ftCol(t, table.Int, int64(10), nil, int64(21), int64(21)),
		ftCol(t, table.Float, 1.0, 2.0, math.NaN(), nil),
		ftCol(t, table.String, "oslo", nil, "rome", "oslo"),
		ftCol(t, table.Bool, true, true, nil, false),
		ftCol(t, table.Time, nil, "2024-01-02", "2024-01-01", "2024-01-02"),
	)
}

func TestCleanMissingData(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name   string
		params map[string]any
		want   map[string][]any
	}{
		{"mean rounds ints, NaN is missing", map[string]any{"columns": []string{"age", "income"}, "mode": "mean"}, map[string][]any{
			"age":    {int64(10), int64(17), int64(21), int64(21)}, // 52/3 = 17.33
			"income": {1.0, 2.0, 1.5, 1.5},
		}},
		{"median", map[string]any{"columns": []string{"age", "income"}, "mode": "median"}, map[string][]any{
			"age":    {int64(10), int64(21), int64(21), int64(21)},
			"income": {1.0, 2.0, 1.5, 1.5},
		}},
		{"mode of every type", map[string]any{"mode": "mode"}, map[string][]any{
			"age":    {int64(10), int64(21), int64(21), int64(21)},
			"income": {1.0, 2.0, 1.0, 1.0}, // a tie: the smallest
			"city":   {"oslo", "oslo", "rome", "oslo"},
			"member": {true, true, true, false},
			"seen":   {day(2), day(2), day(1), day(2)},
		}},
		{"constant of every type", map[string]any{"columns": []string{"age", "income", "city"}, "value": " 7 "}, map[string][]any{
			"age":    {int64(10), int64(7), int64(21), int64(21)},
			"income": {1.0, 2.0, 7.0, 7.0},
			"city":   {"oslo", " 7 ", "rome", "oslo"},
		}},
		{"constant bool and time", map[string]any{"columns": []string{"member"}, "value": "yes"}, map[string][]any{
			"member": {true, true, true, false},
		}},
		{"constant timestamp", map[string]any{"columns": []string{"seen"}, "value": "2024-01-05"}, map[string][]any{
			"seen": {day(5), day(2), day(1), day(2)},
		}},
		{"remove rows", map[string]any{"columns": []string{"age", "city"}, "mode": "remove_row"}, map[string][]any{
			"age": {int64(10), int64(21), int64(21)}, "city": {"oslo", "rome", "oslo"}, "income": {1.0, math.NaN(), nil},
		}},
		{"indicators", map[string]any{"columns": []string{"income"}, "mode": "mean", "add_indicator": true}, map[string][]any{
			"income": {1.0, 2.0, 1.5, 1.5}, "income_missing": {false, false, true, true},
		}},
		{"ratio bounds leave columns out", map[string]any{"mode": "mode", "min_missing_ratio": 0.3}, map[string][]any{
			"income": {1.0, 2.0, 1.0, 1.0}, "age": {int64(10), nil, int64(21), int64(21)},
		}},
		{"max ratio", map[string]any{"columns": []string{"age", "income"}, "mode": "mean", "max_missing_ratio": 0.25}, map[string][]any{
			"income": {1.0, 2.0, math.NaN(), nil}, "age": {int64(10), int64(17), int64(21), int64(21)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := moduletest.MustRun(t, CleanMissingData{}, tt.params, cleanTable(t))
			out := res.Table(t, CleanMissingData{}, "results")
			for col, want := range tt.want {
				if got := ftValues(t, out, col); !ftClose(got, want) {
					t.Errorf("%s = %v, want %v", col, got, want)
				}
			}
		})
	}
}

func TestCleanMissingDataRemoveColumn(t *testing.T) {
	res := moduletest.MustRun(t, CleanMissingData{}, map[string]any{"mode": "remove_column", "min_missing_ratio": 0.5}, cleanTable(t))
	out := res.Table(t, CleanMissingData{}, "results")
	if got := out.Schema().Names(); !slices.Equal(got, []string{"age", "city", "member", "seen"}) {
		t.Errorf("columns = %v", got)
	}
	res = moduletest.MustRun(t, CleanMissingData{}, map[string]any{"columns": []string{"city", "age"}, "mode": "remove_column", "add_indicator": true}, cleanTable(t))
	out = res.Table(t, CleanMissingData{}, "results")
	if got := out.Schema().Names(); !slices.Equal(got, []string{"income", "member", "seen", "city_missing", "age_missing"}) {
		t.Errorf("columns = %v", got)
	}
}

func TestCleanMissingDataFitOnAApplyToB(t *testing.T) {
	a := table.MustNew(table.Schema{{Name: "x", Type: table.Float}, {Name: "c", Type: table.String}},
		ftCol(t, table.Float, 1.0, 2.0, 6.0, nil), ftCol(t, table.String, "b", "a", "b", nil))
	// B has other columns, in another order, and one row whose values are all missing.
	b := table.MustNew(table.Schema{{Name: "c", Type: table.String}, {Name: "other", Type: table.Int}, {Name: "x", Type: table.Float}},
		ftCol(t, table.String, nil), ftCol(t, table.Int, int64(5)), ftCol(t, table.Float, nil))
	for _, tt := range []struct {
		mode  string
		wantX any
	}{{"mean", 3.0}, {"median", 2.0}, {"mode", 1.0}} {
		t.Run(tt.mode, func(t *testing.T) {
			params := map[string]any{"columns": []string{"x", "c"}, "mode": tt.mode, "add_indicator": true}
			if tt.mode != "mode" {
				params["columns"] = []string{"x"}
			}
			_, onB, _ := ftFitApply(t, CleanMissingData{}, params, a, b)
			if got := ftValues(t, onB, "x"); !ftClose(got, []any{tt.wantX}) {
				t.Errorf("x on B = %v, want %v learnt from A", got, tt.wantX)
			}
			if got := ftValues(t, onB, "x_missing"); !ftClose(got, []any{true}) {
				t.Errorf("x_missing on B = %v", got)
			}
			if tt.mode == "mode" {
				if got := ftValues(t, onB, "c"); !ftClose(got, []any{"b"}) {
					t.Errorf("c on B = %v, want b", got)
				}
			}
		})
	}
	// Removing rows on B uses the columns chosen on A, whatever B's ratios.
	_, onB, _ := ftFitApply(t, CleanMissingData{}, map[string]any{"columns": []string{"x"}, "mode": "remove_row"}, a, b)
	if onB.NumRows() != 0 {
		t.Errorf("remove_row kept %d rows of B", onB.NumRows())
	}
}

func TestCleanMissingDataErrors(t *testing.T) {
	in := cleanTable(t)
	tests := []struct {
		name   string
		params map[string]any
		param  string
		words  []string
	}{
		{"mean of text", map[string]any{"mode": "mean"}, "columns", []string{`"city"`, "numeric"}},
		{"median of bool", map[string]any{"columns": []string{"member"}, "mode": "median"}, "columns", []string{`"member"`}},
		{"constant does not parse", map[string]any{"columns": []string{"city", "age"}, "value": "n/a"}, "value", []string{`"age"`, `"n/a"`}},
		{"constant not a timestamp", map[string]any{}, "value", []string{`"seen"`}},
		{"constant not a bool", map[string]any{"columns": []string{"member"}, "value": "2"}, "value", []string{`"member"`}},
		{"min above max", map[string]any{"min_missing_ratio": 0.8, "max_missing_ratio": 0.2}, "max_missing_ratio", nil},
		{"missing column", map[string]any{"columns": []string{"height"}}, "columns", []string{"height"}},
		{"indicator name taken", map[string]any{"columns": []string{"age"}, "add_indicator": true, "mode": "mode"}, "add_indicator", []string{"age_missing"}},
	}
	taken, err := in.WithColumn(table.Field{Name: "age_missing", Type: table.Bool}, ftCol(t, table.Bool, true, true, true, true))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := in
			if tt.param == "add_indicator" {
				src = taken
			}
			_, err := moduletest.Run(t, CleanMissingData{}, tt.params, src)
			ftWantParamErr(t, err, tt.param, tt.words...)
			if _, ierr := moduletest.Infer(t, CleanMissingData{}, tt.params, src.Schema()); ierr == nil {
				t.Errorf("Infer accepted what the run refused")
			}
		})
	}
	// Applying to a table that lacks a fitted column names the column.
	res := moduletest.MustRun(t, CleanMissingData{}, map[string]any{"columns": []string{"age"}, "mode": "mean"}, in)
	_, err = moduletest.Apply(t, CleanMissingData{}, nil, res.State, table.MustNew(table.Schema{{Name: "x", Type: table.Int}}, ftCol(t, table.Int, nil)))
	if !errors.Is(err, table.ErrColumnNotFound) {
		t.Fatalf("err = %v, want ErrColumnNotFound", err)
	}
	ftWantErr(t, err, `"age"`)
	_, err = moduletest.Apply(t, CleanMissingData{}, nil, res.State, table.MustNew(table.Schema{{Name: "age", Type: table.Float}}, ftCol(t, table.Float, nil)))
	ftWantErr(t, err, `"age"`, "float", "int")
}

func TestCleanMissingDataEmptyAndAllMissing(t *testing.T) {
	empty := table.Empty(table.Schema{{Name: "x", Type: table.Float}})
	_, onB, state := ftFitApply(t, CleanMissingData{}, map[string]any{"mode": "mean", "add_indicator": true}, empty,
		table.MustNew(table.Schema{{Name: "x", Type: table.Float}}, ftCol(t, table.Float, nil, 2.0)))
	// Nothing was learnt from an empty table, so missing values stay missing.
	if got := ftValues(t, onB, "x"); !ftClose(got, []any{nil, 2.0}) {
		t.Errorf("x = %v (state %s)", got, state)
	}
	allNull := table.MustNew(table.Schema{{Name: "s", Type: table.String}}, ftCol(t, table.String, nil, nil))
	res := moduletest.MustRun(t, CleanMissingData{}, map[string]any{"mode": "mode"}, allNull)
	if got := ftValues(t, res.Table(t, CleanMissingData{}, "results"), "s"); !ftClose(got, []any{nil, nil}) {
		t.Errorf("s = %v", got)
	}
}

func TestCleanMissingDataInferUnknownWhenDataDecides(t *testing.T) {
	shapes, err := moduletest.Infer(t, CleanMissingData{}, map[string]any{"mode": "remove_column", "max_missing_ratio": 0.5}, cleanTable(t).Schema())
	if err != nil || shapes[0] != nil {
		t.Errorf("shapes = %v, err = %v: want an unknown results schema", shapes, err)
	}
	shapes, err = moduletest.Infer(t, CleanMissingData{}, map[string]any{"mode": "mean", "columns": []string{"age"}, "max_missing_ratio": 0.5}, cleanTable(t).Schema())
	if err != nil || shapes[0] == nil || len(shapes[0].Schema) != 5 {
		t.Errorf("shapes = %v, err = %v: replacing keeps the schema", shapes, err)
	}
}
