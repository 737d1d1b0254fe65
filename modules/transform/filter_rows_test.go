package transform

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/expression"
	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

// rxLoans is the table the expression modules' tests share: income is
// missing in row 3 and purpose in row 5.
func rxLoans() *table.Table {
	valid := func(n int, null ...int) table.Bitmap {
		b := table.NewBitmap(n)
		for _, i := range null {
			b.Set(i, false)
		}
		return b
	}
	return table.MustNew(table.Schema{
		{Name: "name", Type: table.String},
		{Name: "annual_income", Type: table.Float},
		{Name: "loan_amount", Type: table.Int},
		{Name: "purpose", Type: table.String, Categorical: true},
		{Name: "Scored Labels", Type: table.Bool, Role: table.Score},
		{Name: "defaulted", Type: table.Bool, Role: table.Label},
	},
		table.NewStrings([]string{"ann", "bob", "cy", "dee", "eve", "fay"}, nil),
		table.NewFloats([]float64{52000, 18000, 0, 90000, 30000, 20000}, valid(6, 2)),
		table.NewInts([]int64{5000, 2000, 1000, 0, 12000, 4000}, nil),
		table.NewStrings([]string{"car", "other", "house", "other", "", "car"}, valid(6, 4)),
		table.NewBools([]bool{true, false, true, false, true, false}, nil),
		table.NewBools([]bool{false, true, false, false, true, false}, nil),
	)
}

// rxValues returns a column's values as text, "null" for missing ones.
func rxValues(t testing.TB, tb *table.Table, name string) []string {
	t.Helper()
	c, _, err := tb.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, c.Len())
	for i := range out {
		out[i] = c.Format(i)
		if c.Null(i) {
			out[i] = "null"
		}
	}
	return out
}

// rxWantParamErr fails unless err is a ParamError on param whose message has every word.
func rxWantParamErr(t testing.TB, err error, param string, words ...string) {
	t.Helper()
	var pe *modules.ParamError
	if !errors.As(err, &pe) || pe.Param != param {
		t.Fatalf("err = %v, want a ParamError on %s", err, param)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("err = %q, want it to mention %q", err, w)
		}
	}
}

func TestFilterRows(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`annual_income >= 20000 && purpose != "other"`, []string{"ann", "fay"}},
		{`annual_income < 25000`, []string{"bob", "fay"}},
		{`isNull(annual_income) || ifNull(annual_income, 0) > 60000`, []string{"cy", "dee"}},
		{`$env["Scored Labels"] && !defaulted`, []string{"ann", "cy"}},
		{`loan_amount / annual_income > 0.2`, []string{"eve"}},
		{`name matches "^[a-c]" or loan_amount == 0`, []string{"ann", "bob", "cy", "dee"}},
		{`purpose in ["car", "house"]`, []string{"ann", "cy", "fay"}},
		{`true`, []string{"ann", "bob", "cy", "dee", "eve", "fay"}},
		{`false`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			res := moduletest.MustRun(t, FilterRows{}, map[string]any{"expression": tt.expr}, rxLoans())
			out := res.Table(t, FilterRows{}, "results")
			if got := rxValues(t, out, "name"); !slices.Equal(got, tt.want) && len(got)+len(tt.want) > 0 {
				t.Errorf("kept %q, want %q", got, tt.want)
			}
			if !slices.Equal(out.Schema(), rxLoans().Schema()) {
				t.Errorf("schema changed: %v", out.Schema())
			}
		})
	}
}

func TestFilterRowsWorkflowParameter(t *testing.T) {
	m := FilterRows{}
	spec := modules.SpecOf(m)
	p, err := moduletest.Params(m, map[string]any{"expression": "annual_income >= $min_income"})
	if err != nil {
		t.Fatal(err)
	}
	shapes, err := m.Infer(&modules.InferContext{Spec: spec, Params: p, Inputs: []*modules.Shape{modules.TableShape(rxLoans().Schema())}, Ctx: context.Background()})
	if err != nil || shapes[0] == nil {
		t.Fatalf("Infer with a workflow parameter: %v, %v", shapes, err)
	}
	rc := modules.NewContext(context.Background(), spec, p, []any{rxLoans()}, nil, nil)
	rc.Vars = map[string]any{"min_income": 50000}
	if err := m.Run(rc); err != nil {
		t.Fatal(err)
	}
	if got := rxValues(t, rc.Outputs()[0].(*table.Table), "name"); !slices.Equal(got, []string{"ann", "dee"}) {
		t.Errorf("kept %q", got)
	}
	rc = modules.NewContext(context.Background(), spec, p, []any{rxLoans()}, nil, nil)
	rxWantParamErr(t, m.Run(rc), "expression", "unknown workflow parameter $min_income")
}

func TestFilterRowsErrors(t *testing.T) {
	tests := []struct {
		name    string
		expr    string
		inInfer bool // Infer finds it too; otherwise only a run can
		words   []string
	}{
		{"missing column", `annual_incme > 3`, true, []string{"line 1, column 1", `unknown name "annual_incme"`, "did you mean annual_income?"}},
		{"syntax error", "annual_income >\n  && purpose", true, []string{"expression line 2, column 3", "unexpected token"}},
		{"type mismatch", `name > 3`, true, []string{"line 1, column 6", "mismatched types string and int"}},
		{"not a condition", `annual_income * 2`, true, []string{"gives float, but a condition must give true or false"}},
		{"spaces in name", `Scored Labels`, true, []string{`write $env["Scored Labels"]`}},
		{"runtime error", `100 % loan_amount == 0`, false, []string{"row 4:", "integer divide by zero", "loan_amount=0", `(in "100 % loan_amount == 0")`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := moduletest.Run(t, FilterRows{}, map[string]any{"expression": tt.expr}, rxLoans())
			rxWantParamErr(t, err, "expression", tt.words...)
			var ee *expression.Error
			if !errors.As(err, &ee) {
				t.Errorf("err = %v, want an *expression.Error inside", err)
			}
			_, inferErr := moduletest.Infer(t, FilterRows{}, map[string]any{"expression": tt.expr}, rxLoans().Schema())
			if tt.inInfer {
				rxWantParamErr(t, inferErr, "expression", tt.words...)
			} else if inferErr != nil {
				t.Errorf("Infer: %v", inferErr)
			}
		})
	}
	_, err := moduletest.Run(t, FilterRows{}, map[string]any{"expression": `annual_incme > 3`}, rxLoans())
	if !errors.Is(err, table.ErrColumnNotFound) {
		t.Errorf("unknown column: err = %v, want ErrColumnNotFound", err)
	}
	if _, err := moduletest.Run(t, FilterRows{}, map[string]any{}, rxLoans()); err == nil {
		t.Error("no expression: want an error")
	}
}

func TestExpressionModulesRegister(t *testing.T) {
	if _, err := modules.NewRegistry(FilterRows{}, AddComputedColumn{}, ApplyMathOperation{}, SplitData{}); err != nil {
		t.Fatal(err)
	}
}
