package transform

import (
	"context"
	"errors"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/expression"
	"github.com/trellis-studio/trellis/modules/table"
)

// exprHelp is the part of every expression parameter's help that explains
// the language, so all modules describe it alike.
const exprHelp = "Columns are variables of their type (float, int, string, bool, timestamp); write a column " +
	`whose name has spaces or dashes as $env["Scored Labels"], and a workflow parameter as $name. ` +
	"Operators: + - * / % ** == != < <= > >= && || ! ?: in matches contains startsWith endsWith; " +
	"functions such as abs, round, floor, ceil, log, exp, sqrt, pow, lower, upper, trim, len, date. " +
	"When a column the expression uses is missing in a row, the row is skipped as described below; " +
	"isNull(column) and ifNull(column, value) handle missing values explicitly."

// exprCompile compiles an expression parameter against a schema, blaming the
// parameter for any error. Infer passes infer true when it is not told the
// workflow parameters (a module checked on its own): any $name is accepted then.
func exprCompile(p modules.Params, param string, s table.Schema, vars map[string]any, infer bool, opts ...expression.Option) (*expression.Program, error) {
	if infer {
		opts = append(opts, expression.UnknownVars())
	}
	prog, err := expression.Compile(p.String(param), s, vars, opts...)
	if err != nil {
		return nil, modules.ParamErr(param, err)
	}
	return prog, nil
}

// exprEvalErr blames the parameter for an evaluation error, but not for a
// cancellation.
func exprEvalErr(param string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return modules.ParamErr(param, err)
}

// FilterRows keeps the rows for which a condition is true.
type FilterRows struct{}

// Spec implements modules.Module.
func (FilterRows) Spec() modules.Spec {
	return modules.Spec{
		ID: "filter_rows", Version: 1, Name: "Filter Rows", Category: modules.CategoryManipulation,
		Summary: "Keeps the rows for which a condition on their columns is true.",
		Help: "Write a condition over the row's columns, such as annual_income >= 20000 && purpose != \"other\". " +
			"Rows where it is true are kept, in their order; the columns are unchanged. A row where a column " +
			"the condition uses is missing is dropped, and so is a row where the condition gives nil; to keep " +
			"rows with a missing income, say, write isNull(income) || ifNull(income, 0) >= 20000. An error in a row, such as an integer % by zero, stops " +
			"the run and names the row.",
		Inputs:  []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Outputs: []modules.Port{{Name: "results", Label: "Filtered dataset", Kind: modules.KindTable}},
		Params: []modules.Param{{
			Name: "expression", Label: "Condition", Type: modules.ParamExpression, Input: "dataset", Required: true,
			Help:    "A true-or-false expression evaluated for every row. " + exprHelp,
			Example: `annual_income >= 20000 && purpose != "other"`,
		}},
	}
}

// Infer implements modules.Module.
func (FilterRows) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	s, ok := ic.Schema("dataset")
	if !ok {
		return []*modules.Shape{nil}, nil
	}
	if _, err := exprCompile(ic.Params, "expression", s, ic.Vars, ic.Vars == nil, expression.Bool()); err != nil {
		return nil, err
	}
	return []*modules.Shape{modules.TableShape(s)}, nil
}

// Run implements modules.Runner.
func (FilterRows) Run(rc *modules.Context) error {
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	prog, err := exprCompile(rc.Params, "expression", t.Schema(), rc.Vars, false, expression.Bool())
	if err != nil {
		return err
	}
	mask, err := prog.Filter(rc.Ctx, t, rc.Workers)
	if err != nil {
		return exprEvalErr("expression", err)
	}
	rc.SetOutput("results", t.Filter(mask))
	rc.Progress(1)
	return nil
}
