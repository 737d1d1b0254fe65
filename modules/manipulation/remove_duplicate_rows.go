package manipulation

import (
	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// RemoveDuplicateRows keeps one row of each set of rows with equal key columns.
type RemoveDuplicateRows struct{}

// Spec implements modules.Module.
func (RemoveDuplicateRows) Spec() modules.Spec {
	return modules.Spec{
		ID: "remove_duplicate_rows", Version: 1, Name: "Remove Duplicate Rows", Category: modules.CategoryManipulation,
		Summary: "Keeps one row of each group of rows whose key columns are equal.",
		Help: "Rows are duplicates when every key column holds the same value; by default the key is the " +
			"whole row. Missing values count as equal to each other, and strings are compared exactly (case " +
			"matters). Of each set of duplicates the first or the last row is kept, and kept rows stay in " +
			"their input order.",
		Inputs:  []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Outputs: resultsPort,
		Params: []modules.Param{
			{Name: "columns", Label: "Key columns", Type: modules.ParamColumns, Input: "dataset",
				Default: modules.ColumnSelector{Rules: []modules.SelectRule{{All: true}}},
				Help:    "The columns that decide whether rows are duplicates; all columns when empty.", Example: `["email"]`},
			{Name: "keep", Label: "Keep", Type: modules.ParamChoice, Default: "first",
				Help: "Which row of each set of duplicates to keep.",
				Choices: []modules.Choice{
					{Value: "first", Label: "First row"},
					{Value: "last", Label: "Last row"},
				}},
		},
	}
}

func (RemoveDuplicateRows) keys(p modules.Params, s table.Schema) ([]int, error) {
	sel := p.Columns("columns")
	if sel.IsEmpty() {
		idx := make([]int, len(s))
		for i := range idx {
			idx[i] = i
		}
		return idx, nil
	}
	idx, err := sel.Resolve(s)
	if err != nil {
		return nil, modules.ParamErr("columns", err)
	}
	if len(idx) == 0 && len(s) > 0 {
		return nil, modules.ParamErrf("columns", "selects no columns")
	}
	return idx, nil
}

// Infer implements modules.Module.
func (m RemoveDuplicateRows) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	s, ok := ic.Schema("dataset")
	if !ok {
		return []*modules.Shape{nil}, nil
	}
	if _, err := m.keys(ic.Params, s); err != nil {
		return nil, err
	}
	return []*modules.Shape{modules.TableShape(s)}, nil
}

// Run implements modules.Runner.
func (m RemoveDuplicateRows) Run(rc *modules.Context) error {
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	idx, err := m.keys(rc.Params, t.Schema())
	if err != nil {
		return err
	}
	ids, ng, err := groupRows(rc, t.Select(idx).Columns(), t.NumRows())
	if err != nil {
		return err
	}
	if ng == t.NumRows() {
		rc.SetOutput("results", t)
		return nil
	}
	keep := make([]bool, t.NumRows())
	if rc.Params.String("keep") == "last" {
		last := make([]int, ng)
		for i, g := range ids {
			last[g] = i
		}
		for _, i := range last {
			keep[i] = true
		}
	} else {
		for _, i := range firstRows(ids, ng) {
			keep[i] = true
		}
	}
	rc.SetOutput("results", t.Filter(keep))
	return nil
}
