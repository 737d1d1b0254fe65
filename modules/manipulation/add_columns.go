package manipulation

import (
	"fmt"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// AddColumns puts two datasets with the same number of rows side by side.
type AddColumns struct{}

// Spec implements modules.Module.
func (AddColumns) Spec() modules.Spec {
	return modules.Spec{
		ID: "add_columns", Version: 1, Name: "Add Columns", Category: modules.CategoryManipulation,
		Summary: "Puts the columns of two datasets with the same number of rows side by side.",
		Help: "Row i of the result is row i of the left dataset followed by row i of the right one; nothing " +
			"is matched by key (use Join Data for that). Both datasets must have the same number of rows. " +
			"A right column whose name the left dataset already uses gets \" (2)\" appended " +
			"(\" (3)\" if that is taken too).",
		Inputs: []modules.Port{
			{Name: "left", Label: "Left dataset", Kind: modules.KindTable},
			{Name: "right", Label: "Right dataset", Kind: modules.KindTable},
		},
		Outputs: resultsPort,
	}
}

// Infer implements modules.Module.
func (AddColumns) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	a, aok := ic.Schema("left")
	b, bok := ic.Schema("right")
	if !aok || !bok {
		return []*modules.Shape{nil}, nil
	}
	return []*modules.Shape{modules.TableShape(sideBySide(a, b))}, nil
}

// Run implements modules.Runner.
func (AddColumns) Run(rc *modules.Context) error {
	a, err := rc.Table("left")
	if err != nil {
		return err
	}
	b, err := rc.Table("right")
	if err != nil {
		return err
	}
	if a.NumRows() != b.NumRows() && a.NumCols() > 0 && b.NumCols() > 0 {
		return fmt.Errorf("the left dataset has %d rows but the right one has %d; Add Columns needs the same number of rows", a.NumRows(), b.NumRows())
	}
	out, err := table.New(sideBySide(a.Schema(), b.Schema()), append(a.Columns(), b.Columns()...))
	if err != nil {
		return err
	}
	rc.SetOutput("results", out)
	return nil
}
