package transform

import (
	"errors"
	"slices"
	"testing"

	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

func mathTable() *table.Table {
	valid := table.NewBitmap(6)
	valid.Set(5, false)
	return table.MustNew(table.Schema{
		{Name: "x", Type: table.Float, Role: table.Label},
		{Name: "n", Type: table.Int},
		{Name: "s", Type: table.String},
	},
		table.NewFloats([]float64{-2.5, 0, 1.25, 100, 2.675, 7}, valid),
		table.NewInts([]int64{-3, 0, 1, 10, 7, 1000}, nil),
		table.NewStrings([]string{"a", "b", "c", "d", "e", "f"}, nil),
	)
}

func TestApplyMathOperation(t *testing.T) {
	tests := []struct {
		op      string
		operand float64
		digits  int
		x, n    []string
	}{
		{op: "abs", x: []string{"2.5", "0", "1.25", "100", "2.675", "null"}, n: []string{"3", "0", "1", "10", "7", "1000"}},
		{op: "ceiling", x: []string{"-2", "0", "2", "100", "3", "null"}},
		{op: "floor", x: []string{"-3", "0", "1", "100", "2", "null"}},
		{op: "round", x: []string{"-3", "0", "1", "100", "3", "null"}},
		{op: "round", digits: 1, x: []string{"-2.5", "0", "1.3", "100", "2.7", "null"}},
		{op: "round", digits: -1, n: []string{"-0", "0", "0", "10", "10", "1000"}},
		{op: "exp", n: []string{"0.049787068367863944", "1", "2.718281828459045", "22026.465794806718", "1096.6331584284585", "null"}},
		{op: "log", x: []string{"null", "null", "0.22314355131420976", "4.605170185988092", "0.9839493803479697", "null"}},
		{op: "log10", n: []string{"null", "null", "0", "1", "0.8450980400142568", "3"}},
		{op: "log1p", x: []string{"null", "0", "0.8109302162163288", "4.61512051684126", "1.3015531326648", "null"}},
		{op: "sqrt", n: []string{"null", "0", "1", "3.1622776601683795", "2.6457513110645907", "31.622776601683793"}},
		{op: "square", n: []string{"9", "0", "1", "100", "49", "1e+06"}},
		{op: "sign", x: []string{"-1", "0", "1", "1", "1", "null"}},
		{op: "negate", n: []string{"3", "-0", "-1", "-10", "-7", "-1000"}},
		{op: "add", operand: 0.5, n: []string{"-2.5", "0.5", "1.5", "10.5", "7.5", "1000.5"}},
		{op: "subtract", operand: 1, n: []string{"-4", "-1", "0", "9", "6", "999"}},
		{op: "multiply", operand: -2, n: []string{"6", "-0", "-2", "-20", "-14", "-2000"}},
		{op: "divide", operand: 4, n: []string{"-0.75", "0", "0.25", "2.5", "1.75", "250"}},
		{op: "divide", operand: 0, n: []string{"null", "null", "null", "null", "null", "null"}},
		{op: "power", operand: 2, x: []string{"6.25", "0", "1.5625", "10000", "7.155624999999999", "null"}},
		{op: "power", operand: 0.5, n: []string{"null", "0", "1", "3.1622776601683795", "2.6457513110645907", "31.622776601683793"}},
		{op: "modulo", operand: 3, n: []string{"-0", "0", "1", "1", "1", "1"}},
		{op: "modulo", operand: 0, n: []string{"null", "null", "null", "null", "null", "null"}},
		{op: "min", operand: 1, n: []string{"-3", "0", "1", "1", "1", "1"}},
		{op: "max", operand: 1, x: []string{"1", "1", "1.25", "100", "2.675", "null"}},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			params := map[string]any{"columns": []string{"x", "n"}, "operation": tt.op, "output": "inplace", "operand": tt.operand, "digits": tt.digits}
			res := moduletest.MustRun(t, ApplyMathOperation{}, params, mathTable())
			out := res.Table(t, ApplyMathOperation{}, "results")
			if tt.x != nil {
				if got := rxValues(t, out, "x"); !slices.Equal(got, tt.x) {
					t.Errorf("x = %q, want %q", got, tt.x)
				}
			}
			if tt.n != nil {
				if got := rxValues(t, out, "n"); !slices.Equal(got, tt.n) {
					t.Errorf("n = %q, want %q", got, tt.n)
				}
			}
		})
	}
}

func TestApplyMathOperationOutputModes(t *testing.T) {
	tests := []struct {
		params map[string]any
		want   table.Schema
	}{
		{map[string]any{"columns": []string{"n", "x"}, "operation": "log", "output": "inplace"}, table.Schema{
			{Name: "x", Type: table.Float, Role: table.Label}, {Name: "n", Type: table.Float}, {Name: "s", Type: table.String}}},
		{map[string]any{"columns": []string{"n", "x"}, "operation": "log"}, table.Schema{
			{Name: "x", Type: table.Float, Role: table.Label}, {Name: "n", Type: table.Int}, {Name: "s", Type: table.String},
			{Name: "log(n)", Type: table.Float}, {Name: "log(x)", Type: table.Float}}},
		{map[string]any{"columns": []string{"x"}, "operation": "add", "operand": 2.5, "output": "result_only"}, table.Schema{
			{Name: "add(x, 2.5)", Type: table.Float}}},
		{map[string]any{"columns": map[string]any{"rules": []any{map[string]any{"types": []string{"numeric"}}}}, "operation": "round", "digits": 2, "output": "result_only"}, table.Schema{
			{Name: "round(x, 2)", Type: table.Float}, {Name: "round(n, 2)", Type: table.Float}}},
	}
	for _, tt := range tests {
		res := moduletest.MustRun(t, ApplyMathOperation{}, tt.params, mathTable())
		if got := res.Table(t, ApplyMathOperation{}, "results").Schema(); !slices.Equal(got, tt.want) {
			t.Errorf("%v: schema %v, want %v", tt.params, got, tt.want)
		}
	}
	// Appending twice does not replace the first result.
	params := map[string]any{"columns": []string{"x"}, "operation": "sqrt"}
	once := moduletest.MustRun(t, ApplyMathOperation{}, params, mathTable()).Table(t, ApplyMathOperation{}, "results")
	twice := moduletest.MustRun(t, ApplyMathOperation{}, params, once).Table(t, ApplyMathOperation{}, "results")
	if got, want := twice.Schema().Names(), []string{"x", "n", "s", "sqrt(x)", "sqrt(x) (2)"}; !slices.Equal(got, want) {
		t.Errorf("appending twice: %v, want %v", got, want)
	}
	// Inputs are not modified.
	in := mathTable()
	moduletest.MustRun(t, ApplyMathOperation{}, map[string]any{"columns": []string{"x"}, "operation": "negate", "output": "inplace"}, in)
	if got := rxValues(t, in, "x"); got[0] != "-2.5" {
		t.Errorf("input changed: %v", got)
	}
}

func TestApplyMathOperationErrors(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]any
		param  string
		words  []string
	}{
		{"string column", map[string]any{"columns": []string{"x", "s"}, "operation": "log"}, "columns", []string{`column "s" is string, not numeric`}},
		{"missing column", map[string]any{"columns": []string{"x", "height"}, "operation": "log"}, "columns", []string{`"height"`}},
		{"selects nothing", map[string]any{"columns": map[string]any{"rules": []any{map[string]any{"types": []string{"bool"}}}}, "operation": "log"}, "columns", []string{"selects no columns"}},
		{"unknown operation", map[string]any{"columns": []string{"x"}, "operation": "cube"}, "operation", []string{"cube"}},
		{"digits out of range", map[string]any{"columns": []string{"x"}, "operation": "round", "digits": 20}, "digits", []string{"maximum"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := moduletest.Run(t, ApplyMathOperation{}, tt.params, mathTable())
			rxWantParamErr(t, err, tt.param, tt.words...)
			if tt.param == "columns" {
				_, inferErr := moduletest.Infer(t, ApplyMathOperation{}, tt.params, mathTable().Schema())
				rxWantParamErr(t, inferErr, tt.param, tt.words...)
			}
		})
	}
	_, err := moduletest.Run(t, ApplyMathOperation{}, map[string]any{"columns": []string{"height"}}, mathTable())
	if !errors.Is(err, table.ErrColumnNotFound) {
		t.Errorf("err = %v, want ErrColumnNotFound", err)
	}
}
