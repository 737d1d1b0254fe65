package manipulation

import (
	"fmt"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// AddRows appends the rows of one dataset to another with the same columns.
type AddRows struct{}

// Spec implements modules.Module.
func (AddRows) Spec() modules.Spec {
	return modules.Spec{
		ID: "add_rows", Version: 1, Name: "Add Rows", Category: modules.CategoryManipulation,
		Summary: "Appends the rows of the second dataset to the first (a union that keeps duplicates).",
		Help: "Both datasets must have the same column names with the same types; columns are matched by " +
			"name, so their order may differ. The result has the first dataset's column order and metadata " +
			"(roles, categorical flags), its rows, then the second dataset's rows.",
		Inputs: []modules.Port{
			{Name: "dataset1", Label: "First dataset", Kind: modules.KindTable},
			{Name: "dataset2", Label: "Second dataset", Kind: modules.KindTable, Help: "Its rows come after the first dataset's."},
		},
		Outputs: resultsPort,
	}
}

// sameColumns explains the first way b's columns differ from a's.
func sameColumns(a, b table.Schema) error {
	for _, f := range a {
		g, ok := b.Field(f.Name)
		if !ok {
			return fmt.Errorf("the second dataset lacks a column of the first: %w", b.MissingColumnError(f.Name))
		}
		if g.Type != f.Type {
			return fmt.Errorf("column %q is %s in the first dataset but %s in the second; convert one of them first", f.Name, f.Type, g.Type)
		}
	}
	for _, g := range b {
		if a.Index(g.Name) < 0 {
			return fmt.Errorf("the second dataset has column %q, which the first lacks", g.Name)
		}
	}
	return nil
}

// Infer implements modules.Module.
func (AddRows) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	a, aok := ic.Schema("dataset1")
	b, bok := ic.Schema("dataset2")
	if !aok || !bok {
		return []*modules.Shape{nil}, nil
	}
	if err := sameColumns(a, b); err != nil {
		return nil, err
	}
	return []*modules.Shape{modules.TableShape(a)}, nil
}

// Run implements modules.Runner.
func (AddRows) Run(rc *modules.Context) error {
	a, err := rc.Table("dataset1")
	if err != nil {
		return err
	}
	b, err := rc.Table("dataset2")
	if err != nil {
		return err
	}
	if err := sameColumns(a.Schema(), b.Schema()); err != nil {
		return err
	}
	out, err := table.Concat(a, b)
	if err != nil {
		return err
	}
	rc.SetOutput("results", out)
	return nil
}
