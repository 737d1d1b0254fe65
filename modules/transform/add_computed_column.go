package transform

import (
	"strings"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/expression"
	"github.com/trellis-studio/trellis/modules/table"
)

// AddComputedColumn adds a column computed from each row by an expression.
type AddComputedColumn struct{}

// Spec implements modules.Module.
func (AddComputedColumn) Spec() modules.Spec {
	return modules.Spec{
		ID: "add_computed_column", Version: 1, Name: "Add Computed Column", Category: modules.CategoryManipulation,
		Summary: "Adds a column whose value in each row is computed by an expression over the row's columns.",
		Help: "The expression is evaluated for every row, such as loan_amount / annual_income. The new column " +
			"goes at the end; a column of the same name is replaced where it stands, keeping its role (and its " +
			"categorical flag when the type is unchanged). The column's type is the expression's own unless " +
			"you choose one: ints become floats, anything becomes a string, and strings are read as timestamps. " +
			"Where a column the expression uses is missing, or the expression gives nil, the new value is " +
			"missing. Dividing by zero with / gives +Inf, -Inf or NaN as a value, not a missing one.",
		Inputs:  []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Outputs: []modules.Port{{Name: "results", Label: "Results dataset", Kind: modules.KindTable}},
		Params: []modules.Param{
			{Name: "name", Label: "Column name", Type: modules.ParamString, Required: true,
				Help: "The name of the new column, or of the column to replace.", Example: "loan_to_income"},
			{Name: "expression", Label: "Expression", Type: modules.ParamExpression, Input: "dataset", Required: true,
				Help: "The value of the column in each row. " + exprHelp, Example: "loan_amount / annual_income"},
			{Name: "type", Label: "Column type", Type: modules.ParamChoice, Default: "auto",
				Help: "The type of the new column; auto takes the expression's type, which must then not depend on the row.",
				Choices: []modules.Choice{
					{Value: "auto", Label: "Automatic", Help: "The expression's own type."},
					{Value: "float", Label: "Float"},
					{Value: "int", Label: "Integer", Help: "Fractional values are an error: use round(…) or int(…)."},
					{Value: "string", Label: "String"},
					{Value: "bool", Label: "Boolean"},
					{Value: "timestamp", Label: "Timestamp", Help: "Strings are parsed as ISO 8601 dates and times."},
				}},
		},
	}
}

// plan is what Infer and Run share: the compiled expression and the new column's field.
func (AddComputedColumn) plan(p modules.Params, s table.Schema, vars map[string]any, infer bool) (*expression.Program, table.Field, error) {
	name := p.String("name")
	if strings.TrimSpace(name) == "" {
		return nil, table.Field{}, modules.ParamErrf("name", "is empty")
	}
	want := table.Invalid
	if ty := p.String("type"); ty != "auto" {
		t, err := table.ParseType(ty)
		if err != nil {
			return nil, table.Field{}, modules.ParamErr("type", err)
		}
		want = t
	}
	prog, err := exprCompile(p, "expression", s, vars, infer, expression.As(want))
	if err != nil {
		return nil, table.Field{}, err
	}
	f := table.Field{Name: name, Type: prog.ResultType()}
	if old, ok := s.Field(name); ok {
		f.Role = old.Role
		f.Categorical = old.Categorical && old.Type == f.Type
	}
	return prog, f, nil
}

// Infer implements modules.Module.
func (m AddComputedColumn) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	s, ok := ic.Schema("dataset")
	if !ok {
		return []*modules.Shape{nil}, nil
	}
	_, f, err := m.plan(ic.Params, s, ic.Vars, ic.Vars == nil)
	if err != nil {
		return nil, err
	}
	if f.Type == table.Invalid {
		// The type depends on a workflow parameter, known only at run time.
		return []*modules.Shape{nil}, nil
	}
	out := s.Clone()
	if i := out.Index(f.Name); i >= 0 {
		out[i] = f
	} else {
		out = append(out, f)
	}
	return []*modules.Shape{modules.TableShape(out)}, nil
}

// Run implements modules.Runner.
func (m AddComputedColumn) Run(rc *modules.Context) error {
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	prog, f, err := m.plan(rc.Params, t.Schema(), rc.Vars, false)
	if err != nil {
		return err
	}
	c, err := prog.Column(rc.Ctx, t, rc.Workers)
	if err != nil {
		return exprEvalErr("expression", err)
	}
	out, err := t.WithColumn(f, c)
	if err != nil {
		return err
	}
	rc.SetOutput("results", out)
	rc.Progress(1)
	return nil
}
