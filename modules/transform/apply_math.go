package transform

import (
	"fmt"
	"math"
	"strconv"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// ApplyMathOperation applies one arithmetic or mathematical function to
// numeric columns.
type ApplyMathOperation struct{}

// mathOp is one operation; binary ones also take the operand parameter.
type mathOp struct {
	value, label, help string
	binary             bool
	f                  func(x, operand float64, digits int) float64
}

var mathOps = []mathOp{
	{value: "abs", label: "Abs", help: "Absolute value.", f: func(x, _ float64, _ int) float64 { return math.Abs(x) }},
	{value: "ceiling", label: "Ceiling", help: "Smallest whole number not below the value.", f: func(x, _ float64, _ int) float64 { return math.Ceil(x) }},
	{value: "floor", label: "Floor", help: "Largest whole number not above the value.", f: func(x, _ float64, _ int) float64 { return math.Floor(x) }},
	{value: "round", label: "Round", help: "Rounds to the number of digits, halves away from zero.", f: func(x, _ float64, d int) float64 { return mathRound(x, d) }},
	{value: "exp", label: "Exp", help: "e raised to the value.", f: func(x, _ float64, _ int) float64 { return math.Exp(x) }},
	{value: "log", label: "Ln", help: "Natural logarithm.", f: func(x, _ float64, _ int) float64 { return math.Log(x) }},
	{value: "log10", label: "Log10", help: "Base-10 logarithm.", f: func(x, _ float64, _ int) float64 { return math.Log10(x) }},
	{value: "log1p", label: "Log1p", help: "Natural logarithm of 1 plus the value, accurate near zero.", f: func(x, _ float64, _ int) float64 { return math.Log1p(x) }},
	{value: "sqrt", label: "Sqrt", help: "Square root.", f: func(x, _ float64, _ int) float64 { return math.Sqrt(x) }},
	{value: "square", label: "Square", help: "The value times itself.", f: func(x, _ float64, _ int) float64 { return x * x }},
	{value: "sign", label: "Sign", help: "-1, 0 or 1.", f: func(x, _ float64, _ int) float64 { return mathSign(x) }},
	{value: "negate", label: "Negate", help: "Minus the value.", f: func(x, _ float64, _ int) float64 { return -x }},
	{value: "add", label: "Add", binary: true, help: "The value plus the operand.", f: func(x, y float64, _ int) float64 { return x + y }},
	{value: "subtract", label: "Subtract", binary: true, help: "The value minus the operand.", f: func(x, y float64, _ int) float64 { return x - y }},
	{value: "multiply", label: "Multiply", binary: true, help: "The value times the operand.", f: func(x, y float64, _ int) float64 { return x * y }},
	{value: "divide", label: "Divide", binary: true, help: "The value divided by the operand.", f: func(x, y float64, _ int) float64 { return x / y }},
	{value: "power", label: "Power", binary: true, help: "The value raised to the operand.", f: func(x, y float64, _ int) float64 { return math.Pow(x, y) }},
	{value: "modulo", label: "Modulo", binary: true, help: "The remainder of dividing by the operand, with the value's sign.", f: func(x, y float64, _ int) float64 { return math.Mod(x, y) }},
	{value: "min", label: "Min", binary: true, help: "The smaller of the value and the operand.", f: func(x, y float64, _ int) float64 { return math.Min(x, y) }},
	{value: "max", label: "Max", binary: true, help: "The larger of the value and the operand.", f: func(x, y float64, _ int) float64 { return math.Max(x, y) }},
}

func mathSign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return x
}

// mathRound rounds to d digits after the point (before it when d < 0).
func mathRound(x float64, d int) float64 {
	if d == 0 {
		return math.Round(x)
	}
	p := math.Pow(10, float64(d))
	if s := x * p; math.IsInf(s, 0) {
		return x // so large it has no digits that far below the point
	}
	return math.Round(x*p) / p
}

func mathOpOf(value string) mathOp {
	for _, op := range mathOps {
		if op.value == value {
			return op
		}
	}
	panic("transform: unknown math operation " + value) // the spec's choices are checked first
}

// Spec implements modules.Module.
func (ApplyMathOperation) Spec() modules.Spec {
	choices := make([]modules.Choice, len(mathOps))
	var binary []string
	for i, op := range mathOps {
		choices[i] = modules.Choice{Value: op.value, Label: op.label, Help: op.help}
		if op.binary {
			binary = append(binary, op.value)
		}
	}
	return modules.Spec{
		ID: "apply_math_operation", Version: 1, Name: "Apply Math Operation", Category: modules.CategoryTransform,
		Summary: "Applies a mathematical function, or arithmetic with a constant, to numeric columns.",
		Help: "Each selected column (int or float) is transformed value by value; results are float columns. " +
			"Missing values stay missing. Where a finite value has no finite result — the log or square root " +
			"of a negative number, log of 0, division or modulo by 0, exp overflowing — the result is " +
			"missing rather than NaN or infinity, so Clean Missing Data can handle it; NaN and infinite inputs " +
			"give whatever the function gives them. Output: in place replaces the columns (keeping their " +
			"names and roles), append adds result columns named like log(income), and result only outputs " +
			"just those.",
		Inputs:  []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Outputs: []modules.Port{{Name: "results", Label: "Results dataset", Kind: modules.KindTable}},
		Params: []modules.Param{
			{Name: "columns", Label: "Column set", Type: modules.ParamColumns, Input: "dataset", Required: true,
				Help: "The numeric columns to transform.", Example: `["annual_income", "loan_amount"]`},
			{Name: "operation", Label: "Operation", Type: modules.ParamChoice, Default: "abs", Choices: choices,
				Help: "The function to apply."},
			{Name: "operand", Label: "Constant operand", Type: modules.ParamFloat, Default: 1.0,
				ShowIf: &modules.Condition{Param: "operation", Values: binary},
				Help:   "The constant the value is combined with."},
			{Name: "digits", Label: "Digits", Type: modules.ParamInt, Default: int64(0), Min: modules.Bound(-15), Max: modules.Bound(15),
				ShowIf: &modules.Condition{Param: "operation", Values: []string{"round"}},
				Help:   "Digits to keep after the decimal point; negative rounds to tens, hundreds, …"},
			{Name: "output", Label: "Output mode", Type: modules.ParamChoice, Default: "append",
				Help: "Where the results go.",
				Choices: []modules.Choice{
					{Value: "inplace", Label: "In place", Help: "Replace the selected columns."},
					{Value: "append", Label: "Append", Help: "Add result columns after the dataset's."},
					{Value: "result_only", Label: "Result only", Help: "Output only the result columns."},
				}},
		},
	}
}

// mathTarget is one selected column and the field of its result.
type mathTarget struct {
	src int
	out table.Field
}

func (ApplyMathOperation) plan(p modules.Params, s table.Schema) ([]mathTarget, error) {
	idx, err := p.ColumnIndices("columns", s)
	if err != nil {
		return nil, err
	}
	op := mathOpOf(p.String("operation"))
	output := p.String("output")
	taken := map[string]bool{}
	if output == "append" {
		for _, f := range s {
			taken[f.Name] = true
		}
	}
	targets := make([]mathTarget, len(idx))
	for k, i := range idx {
		f := s[i]
		if !f.Type.Numeric() {
			return nil, modules.ParamErrf("columns", "column %q is %s, not numeric: Apply Math Operation works on int and float columns", f.Name, f.Type)
		}
		out := table.Field{Name: f.Name, Type: table.Float, Role: f.Role}
		if output != "inplace" {
			out = table.Field{Name: mathUnique(mathName(op, f.Name, p), taken), Type: table.Float}
		}
		targets[k] = mathTarget{src: i, out: out}
	}
	return targets, nil
}

// mathName names a result column after the call that computed it.
func mathName(op mathOp, col string, p modules.Params) string {
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	switch {
	case op.binary:
		return fmt.Sprintf("%s(%s, %s)", op.value, col, num(p.Float("operand")))
	case op.value == "round" && p.Int("digits") != 0:
		return fmt.Sprintf("round(%s, %d)", col, p.Int("digits"))
	}
	return fmt.Sprintf("%s(%s)", op.value, col)
}

// mathUnique suffixes name until it is not taken, so appending never
// silently replaces a column (running the module twice, say).
func mathUnique(name string, taken map[string]bool) string {
	out := name
	for n := 2; taken[out]; n++ {
		out = fmt.Sprintf("%s (%d)", name, n)
	}
	taken[out] = true
	return out
}

// Infer implements modules.Module.
func (m ApplyMathOperation) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	s, ok := ic.Schema("dataset")
	if !ok {
		return []*modules.Shape{nil}, nil
	}
	targets, err := m.plan(ic.Params, s)
	if err != nil {
		return nil, err
	}
	var out table.Schema
	switch ic.Params.String("output") {
	case "inplace":
		out = s.Clone()
		for _, tg := range targets {
			out[tg.src] = tg.out
		}
	case "append":
		out = s.Clone()
		for _, tg := range targets {
			out = append(out, tg.out)
		}
	default:
		for _, tg := range targets {
			out = append(out, tg.out)
		}
	}
	return []*modules.Shape{modules.TableShape(out)}, nil
}

// mathChunkRows is how many values are computed between cancellation checks.
const mathChunkRows = 1 << 16

// Run implements modules.Runner.
func (m ApplyMathOperation) Run(rc *modules.Context) error {
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	targets, err := m.plan(rc.Params, t.Schema())
	if err != nil {
		return err
	}
	op := mathOpOf(rc.Params.String("operation"))
	operand, digits := rc.Params.Float("operand"), rc.Params.Int("digits")
	n := t.NumRows()
	cols := make([]table.Column, len(targets))
	for k, tg := range targets {
		src, err := table.ToFloats(t.Column(tg.src))
		if err != nil {
			return modules.ParamErrf("columns", "column %q: %v", t.Field(tg.src).Name, err)
		}
		in := src.Data()
		out := make([]float64, n)
		valid := table.NewBitmap(n)
		for lo := 0; lo < n; lo += mathChunkRows {
			if err := rc.Err(); err != nil {
				return err
			}
			for i := lo; i < min(lo+mathChunkRows, n); i++ {
				if src.Null(i) {
					valid.Set(i, false)
					continue
				}
				x := in[i]
				y := op.f(x, operand, digits)
				if !mathFinite(y) && mathFinite(x) {
					valid.Set(i, false)
					continue
				}
				out[i] = y
			}
			rc.Progress((float64(k) + float64(min(lo+mathChunkRows, n))/float64(n)) / float64(len(targets)))
		}
		cols[k] = table.NewFloats(out, valid)
	}
	res := t
	switch rc.Params.String("output") {
	case "inplace", "append":
		for k, tg := range targets {
			if res, err = res.WithColumn(tg.out, cols[k]); err != nil {
				return err
			}
		}
	default:
		schema := make(table.Schema, len(targets))
		for k, tg := range targets {
			schema[k] = tg.out
		}
		if res, err = table.New(schema, cols); err != nil {
			return err
		}
	}
	rc.SetOutput("results", res)
	rc.Progress(1)
	return nil
}

func mathFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
