package transform

import (
	"errors"
	"slices"
	"testing"

	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

func TestAddComputedColumn(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]any
		field  table.Field
		at     int // the column's position in the output
		want   []string
	}{
		{"ratio", map[string]any{"name": "lti", "expression": "loan_amount / annual_income"},
			table.Field{Name: "lti", Type: table.Float}, 6,
			[]string{"0.09615384615384616", "0.1111111111111111", "null", "0", "0.4", "0.2"}},
		{"int arithmetic", map[string]any{"name": "k", "expression": "loan_amount / 1000 * 2", "type": "float"},
			table.Field{Name: "k", Type: table.Float}, 6, []string{"10", "4", "2", "0", "24", "8"}},
		{"int stays int", map[string]any{"name": "double", "expression": "loan_amount * 2"},
			table.Field{Name: "double", Type: table.Int}, 6, []string{"10000", "4000", "2000", "0", "24000", "8000"}},
		{"string", map[string]any{"name": "tag", "expression": `upper(name) + ":" + ifNull(purpose, "?")`},
			table.Field{Name: "tag", Type: table.String}, 6, []string{"ANN:car", "BOB:other", "CY:house", "DEE:other", "EVE:?", "FAY:car"}},
		{"bool", map[string]any{"name": "big", "expression": "annual_income > 40000"},
			table.Field{Name: "big", Type: table.Bool}, 6, []string{"true", "false", "null", "true", "false", "false"}},
		{"chosen string type", map[string]any{"name": "amount", "expression": "loan_amount", "type": "string"},
			table.Field{Name: "amount", Type: table.String}, 6, []string{"5000", "2000", "1000", "0", "12000", "4000"}},
		{"timestamp", map[string]any{"name": "when", "expression": `date("2024-01-31")`},
			table.Field{Name: "when", Type: table.Time}, 6, []string{"2024-01-31T00:00:00Z", "2024-01-31T00:00:00Z", "2024-01-31T00:00:00Z", "2024-01-31T00:00:00Z", "2024-01-31T00:00:00Z", "2024-01-31T00:00:00Z"}},
		{"mixed branches need a type", map[string]any{"name": "x", "expression": "loan_amount > 3000 ? 1 : 0.5", "type": "float"},
			table.Field{Name: "x", Type: table.Float}, 6, []string{"1", "0.5", "0.5", "0.5", "1", "1"}},
		{"nil gives null", map[string]any{"name": "x", "expression": "loan_amount > 3000 ? loan_amount : nil"},
			table.Field{Name: "x", Type: table.Int}, 6, []string{"5000", "null", "null", "null", "12000", "4000"}},
		{"replace keeps place and role", map[string]any{"name": "defaulted", "expression": "!defaulted"},
			table.Field{Name: "defaulted", Type: table.Bool, Role: table.Label}, 5, []string{"true", "false", "true", "true", "false", "true"}},
		{"replace with a new type drops categorical", map[string]any{"name": "purpose", "expression": `len(purpose)`},
			table.Field{Name: "purpose", Type: table.Int}, 3, []string{"3", "5", "5", "5", "null", "3"}},
		{"replace with the same type stays categorical", map[string]any{"name": "purpose", "expression": `upper(purpose)`},
			table.Field{Name: "purpose", Type: table.String, Categorical: true}, 3, []string{"CAR", "OTHER", "HOUSE", "OTHER", "null", "CAR"}},
		{"name with spaces", map[string]any{"name": "Scored Labels", "expression": `!$env["Scored Labels"]`},
			table.Field{Name: "Scored Labels", Type: table.Bool, Role: table.Score}, 4, []string{"false", "true", "false", "true", "false", "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := moduletest.MustRun(t, AddComputedColumn{}, tt.params, rxLoans())
			out := res.Table(t, AddComputedColumn{}, "results")
			if got := out.Field(tt.at); got != tt.field {
				t.Errorf("column %d = %+v, want %+v", tt.at, got, tt.field)
			}
			if got := rxValues(t, out, tt.field.Name); !slices.Equal(got, tt.want) {
				t.Errorf("values = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAddComputedColumnInferUnknownParameterType(t *testing.T) {
	shapes, err := moduletest.Infer(t, AddComputedColumn{}, map[string]any{"name": "x", "expression": "annual_income * $rate"}, rxLoans().Schema())
	if err != nil || len(shapes) != 1 || shapes[0] != nil {
		t.Errorf("Infer = %v, %v; want an unknown shape", shapes, err)
	}
	shapes, err = moduletest.Infer(t, AddComputedColumn{}, map[string]any{"name": "x", "expression": "annual_income * $rate", "type": "float"}, rxLoans().Schema())
	if err != nil || shapes[0] == nil || shapes[0].Schema[6] != (table.Field{Name: "x", Type: table.Float}) {
		t.Errorf("Infer with a chosen type = %v, %v", shapes, err)
	}
}

func TestAddComputedColumnErrors(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]any
		param  string
		words  []string
	}{
		{"missing column", map[string]any{"name": "x", "expression": "loan_amount / incom"}, "expression",
			[]string{"line 1, column 15", `unknown name "incom"`, "(columns: name, annual_income, loan_amount"}},
		{"syntax", map[string]any{"name": "x", "expression": "loan_amount / "}, "expression", []string{"line 1, column 14"}},
		{"type mismatch", map[string]any{"name": "x", "expression": `name - 1`}, "expression", []string{"mismatched types string and int"}},
		{"unknown type", map[string]any{"name": "x", "expression": "loan_amount > 3 ? 1 : 0.5"}, "expression", []string{"choose the column type"}},
		{"float to int", map[string]any{"name": "x", "expression": "annual_income / 12", "type": "int"}, "expression", []string{"round(…)"}},
		{"string to float", map[string]any{"name": "x", "expression": "name", "type": "float"}, "expression", []string{"gives string, which cannot become a float column"}},
		{"blank name", map[string]any{"name": "  ", "expression": "1"}, "name", []string{"empty"}},
		{"bad type", map[string]any{"name": "x", "expression": "1", "type": "decimal"}, "type", []string{"decimal"}},
		{"row error", map[string]any{"name": "x", "expression": "100 % loan_amount"}, "expression", []string{"row 4", "integer divide by zero"}},
		{"fraction into int", map[string]any{"name": "x", "expression": "loan_amount > 4000 ? 2.5 : 1", "type": "int"}, "expression", []string{"row 1", "float64 2.5, which is not a whole number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := moduletest.Run(t, AddComputedColumn{}, tt.params, rxLoans())
			rxWantParamErr(t, err, tt.param, tt.words...)
		})
	}
	_, err := moduletest.Run(t, AddComputedColumn{}, map[string]any{"name": "x", "expression": "incom"}, rxLoans())
	if !errors.Is(err, table.ErrColumnNotFound) {
		t.Errorf("err = %v, want ErrColumnNotFound", err)
	}
}
