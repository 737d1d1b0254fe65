// Package transform holds the data transformation modules: selecting,
// editing, filtering, computing, cleaning and scaling columns.
package transform

import (
	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// SelectColumns keeps the columns a column selector chooses, in its order.
type SelectColumns struct{}

// Spec implements modules.Module.
func (SelectColumns) Spec() modules.Spec {
	return modules.Spec{
		ID: "select_columns", Version: 1, Name: "Select Columns in Dataset", Category: modules.CategoryManipulation,
		Summary: "Keeps a chosen set of columns, by name, type or role.",
		Help: "Choose columns with include and exclude rules: by name (kept in the order given), " +
			"by type (numeric, string, bool, timestamp), by role (feature, label, score) or all. " +
			"Rules apply in order; when the first rule excludes, selection starts from every column.",
		Inputs:  []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Outputs: []modules.Port{{Name: "results", Label: "Results dataset", Kind: modules.KindTable}},
		Params: []modules.Param{{
			Name: "columns", Label: "Columns", Type: modules.ParamColumns, Input: "dataset", Required: true,
			Help: "The columns to keep.", Example: `["age", "income"]`,
		}},
	}
}

func (SelectColumns) selected(p modules.Params, s table.Schema) ([]int, error) {
	return p.ColumnIndices("columns", s)
}

// Infer implements modules.Module.
func (m SelectColumns) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	s, ok := ic.Schema("dataset")
	if !ok {
		return []*modules.Shape{nil}, nil
	}
	idx, err := m.selected(ic.Params, s)
	if err != nil {
		return nil, err
	}
	out := make(table.Schema, len(idx))
	for k, i := range idx {
		out[k] = s[i]
	}
	return []*modules.Shape{modules.TableShape(out)}, nil
}

// Run implements modules.Runner.
func (m SelectColumns) Run(rc *modules.Context) error {
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	idx, err := m.selected(rc.Params, t.Schema())
	if err != nil {
		return err
	}
	rc.SetOutput("results", t.Select(idx))
	return nil
}
