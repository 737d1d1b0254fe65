package transform

import (
	"errors"
	"slices"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

func people() *table.Table {
	return table.MustNew(table.Schema{
		{Name: "name", Type: table.String},
		{Name: "age", Type: table.Int},
		{Name: "income", Type: table.Float},
		{Name: "churned", Type: table.Bool, Role: table.Label},
	},
		table.NewStrings([]string{"ann", "bob"}, nil),
		table.NewInts([]int64{31, 45}, nil),
		table.NewFloats([]float64{52000, 61000.5}, nil),
		table.NewBools([]bool{false, true}, nil),
	)
}

func TestSelectColumns(t *testing.T) {
	tests := []struct {
		name    string
		columns any
		want    []string
	}{
		{"names in given order", []string{"income", "name"}, []string{"income", "name"}},
		{"comma list", "age, name", []string{"age", "name"}},
		{"numeric types", map[string]any{"rules": []any{map[string]any{"types": []string{"numeric"}}}}, []string{"age", "income"}},
		{"all but label", map[string]any{"rules": []any{map[string]any{"exclude": true, "roles": []string{"label"}}}}, []string{"name", "age", "income"}},
		{"include then exclude", map[string]any{"rules": []any{
			map[string]any{"all": true}, map[string]any{"exclude": true, "names": []string{"age"}}}}, []string{"name", "income", "churned"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := moduletest.MustRun(t, SelectColumns{}, map[string]any{"columns": tt.columns}, people())
			got := res.Table(t, SelectColumns{}, "results").Schema().Names()
			if !slices.Equal(got, tt.want) {
				t.Errorf("columns = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSelectColumnsErrors(t *testing.T) {
	tests := []struct {
		name    string
		columns any
	}{
		{"missing column", []string{"age", "height"}},
		{"selects nothing", map[string]any{"rules": []any{map[string]any{"types": []string{"timestamp"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := moduletest.Run(t, SelectColumns{}, map[string]any{"columns": tt.columns}, people())
			var pe *modules.ParamError
			if !errors.As(err, &pe) || pe.Param != "columns" {
				t.Fatalf("err = %v, want a ParamError on columns", err)
			}
		})
	}
	if _, err := moduletest.Run(t, SelectColumns{}, map[string]any{"columns": []string{"height"}}, people()); err == nil || !errors.Is(err, table.ErrColumnNotFound) {
		t.Errorf("missing column error = %v, want ErrColumnNotFound", err)
	}
}
