package transform

import (
	"math"
	"math/rand/v2"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/expression"
	"github.com/trellis-studio/trellis/modules/table"
)

// SplitData divides a dataset's rows between two outputs, by fraction or by
// a condition.
type SplitData struct{}

// splitStream is the PCG stream constant: the same as Partition and Sample's,
// so the same seed and fraction pick the same rows in both modules.
const splitStream = 0x7472656c6c6973 // "trellis"

// Spec implements modules.Module.
func (SplitData) Spec() modules.Spec {
	rows := &modules.Condition{Param: "mode", Values: []string{"rows"}}
	return modules.Spec{
		ID: "split_data", Version: 1, Name: "Split Data", Category: modules.CategorySample,
		Summary: "Divides the rows of a dataset into two sets, by a fraction or by a condition.",
		Help: "Split rows sends round(fraction × rows) rows to the first output and the rest to the second; " +
			"both keep the rows' original order. Without randomizing, the first output gets the first rows. " +
			"Randomized, the rows are chosen uniformly at random by selection sampling driven by Go's " +
			"math/rand/v2 PCG generator seeded with (seed, 0x7472656c6c6973), so the same seed on the same " +
			"data always gives the same split, on any machine. With stratification, each distinct value of " +
			"the stratification column (missing values forming one more group) is split separately at the " +
			"fraction, so both outputs keep the column's proportions; each group's count is rounded on its " +
			"own. Split by expression sends the rows where a condition is true to the first output, and " +
			"the others — false, or missing a column the condition uses — to the second.",
		Inputs: []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Outputs: []modules.Port{
			{Name: "first", Label: "Results dataset1", Kind: modules.KindTable, Help: "The fraction, or the rows where the condition is true."},
			{Name: "second", Label: "Results dataset2", Kind: modules.KindTable, Help: "The remaining rows."},
		},
		Params: []modules.Param{
			{Name: "mode", Label: "Splitting mode", Type: modules.ParamChoice, Default: "rows",
				Help: "How rows are divided.",
				Choices: []modules.Choice{
					{Value: "rows", Label: "Split rows", Help: "A fraction of the rows to the first output."},
					{Value: "expression", Label: "Relative expression", Help: "Rows where a condition is true to the first output."},
				}},
			{Name: "fraction", Label: "Fraction of rows in the first output dataset", Type: modules.ParamFloat, Default: 0.5,
				Min: modules.Bound(0), Max: modules.Bound(1), ShowIf: rows,
				Help: "From 0 to 1; the first output gets round(fraction × rows) rows."},
			{Name: "randomize", Label: "Randomized split", Type: modules.ParamBool, Default: true, ShowIf: rows,
				Help: "Choose the rows at random; otherwise the first rows go to the first output."},
			{Name: "seed", Label: "Random seed", Type: modules.ParamInt, Default: int64(0), ShowIf: rows,
				Help: "Seed for the random choice; the same seed gives the same split."},
			{Name: "stratify", Label: "Stratified split", Type: modules.ParamBool, Default: false, ShowIf: rows,
				Help: "Split each value of a column separately, so both outputs keep its proportions."},
			{Name: "stratify_column", Label: "Stratification key column", Type: modules.ParamColumn, Input: "dataset",
				ShowIf: &modules.Condition{Param: "stratify", Values: []string{"true"}},
				Help:   "The column whose values are split separately, usually the label.", Example: "churned"},
			{Name: "expression", Label: "Relational expression", Type: modules.ParamExpression, Input: "dataset", Required: true,
				ShowIf:  &modules.Condition{Param: "mode", Values: []string{"expression"}},
				Help:    "A true-or-false expression; rows where it is true go to the first output. " + exprHelp,
				Example: `annual_income >= 20000`},
		},
	}
}

func (SplitData) stratified(p modules.Params) bool {
	return p.String("mode") == "rows" && p.Bool("stratify")
}

// checkStratify is required-ness the spec cannot say: the column matters
// only when splitting rows with stratification.
func (SplitData) checkStratify(p modules.Params, s table.Schema) error {
	col := p.String("stratify_column")
	if col == "" {
		return modules.ParamErrf("stratify_column", "choose the column to stratify by")
	}
	if s.Index(col) < 0 {
		return modules.ParamErr("stratify_column", s.MissingColumnError(col))
	}
	return nil
}

// Infer implements modules.Module.
func (m SplitData) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	s, ok := ic.Schema("dataset")
	if !ok {
		return []*modules.Shape{nil, nil}, nil
	}
	if m.stratified(ic.Params) {
		if err := m.checkStratify(ic.Params, s); err != nil {
			return nil, err
		}
	}
	if ic.Params.String("mode") == "expression" {
		if _, err := exprCompile(ic.Params, "expression", s, ic.Vars, ic.Vars == nil, expression.Bool()); err != nil {
			return nil, err
		}
	}
	return []*modules.Shape{modules.TableShape(s), modules.TableShape(s)}, nil
}

// Run implements modules.Runner.
func (m SplitData) Run(rc *modules.Context) error {
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	var first []bool
	if rc.Params.String("mode") == "expression" {
		prog, err := exprCompile(rc.Params, "expression", t.Schema(), rc.Vars, false, expression.Bool())
		if err != nil {
			return err
		}
		if first, err = prog.Filter(rc.Ctx, t, rc.Workers); err != nil {
			return exprEvalErr("expression", err)
		}
	} else if first, err = m.byFraction(rc, t); err != nil {
		return err
	}
	second := make([]bool, len(first))
	for i, f := range first {
		second[i] = !f
	}
	rc.SetOutput("first", t.Filter(first))
	rc.SetOutput("second", t.Filter(second))
	rc.Progress(1)
	return nil
}

// splitChunkRows is how many rows are assigned between cancellation checks.
const splitChunkRows = 1 << 16

// byFraction marks the rows of the first output.
func (m SplitData) byFraction(rc *modules.Context, t *table.Table) ([]bool, error) {
	n := t.NumRows()
	fraction := rc.Params.Float("fraction")
	// group[i] is row i's stratum; need and left count down, per stratum,
	// the rows still to send to the first output and the rows still to see.
	var group []int32
	left := []int{n}
	if m.stratified(rc.Params) {
		if err := m.checkStratify(rc.Params, t.Schema()); err != nil {
			return nil, err
		}
		c, _, _ := t.Lookup(rc.Params.String("stratify_column"))
		group, left = splitGroups(c)
	}
	need := make([]int, len(left))
	for g, size := range left {
		need[g] = int(math.Round(fraction * float64(size)))
	}
	var rng *rand.Rand
	if rc.Params.Bool("randomize") {
		rng = rand.New(rand.NewPCG(uint64(rc.Params.Int("seed")), splitStream))
	}
	first := make([]bool, n)
	for lo := 0; lo < n; lo += splitChunkRows {
		if err := rc.Err(); err != nil {
			return nil, err
		}
		for i := lo; i < min(lo+splitChunkRows, n); i++ {
			g := 0
			if group != nil {
				g = int(group[i])
			}
			// Selection sampling (Knuth's algorithm S) keeps each row with
			// probability need/left, which picks exactly need rows, uniformly,
			// in one pass; without randomness it takes the first need rows.
			take := need[g] > 0 && (rng == nil || rng.Float64()*float64(left[g]) < float64(need[g]))
			if take {
				first[i] = true
				need[g]--
			}
			left[g]--
		}
		rc.Progress(float64(min(lo+splitChunkRows, n)) / float64(max(n, 1)))
	}
	return first, nil
}

// splitGroups numbers the distinct values of c in order of first appearance
// (nulls are one group) and counts each group's rows.
func splitGroups(c table.Column) ([]int32, []int) {
	group := make([]int32, c.Len())
	ids := map[string]int32{}
	var sizes []int
	var key []byte
	for i := range group {
		key = c.AppendKey(key[:0], i)
		id, ok := ids[string(key)]
		if !ok {
			id = int32(len(sizes))
			ids[string(key)] = id
			sizes = append(sizes, 0)
		}
		group[i] = id
		sizes[id]++
	}
	return group, sizes
}
