package transform

import (
	"math"
	"math/rand/v2"

	"github.com/trellis-studio/trellis/modules"
)

// PartitionAndSample takes a random sample of rows, optionally stratified
// by a column, or the first rows of a dataset.
type PartitionAndSample struct{}

// Spec implements modules.Module.
func (PartitionAndSample) Spec() modules.Spec {
	sample := &modules.Condition{Param: "mode", Values: []string{"sample"}}
	return modules.Spec{
		ID: "partition_and_sample", Version: 1, Name: "Partition and Sample", Category: modules.CategorySample,
		Summary: "Takes a random sample of rows, optionally stratified by a column, or the first N rows.",
		Help: "Sampling keeps round(fraction × rows) rows chosen uniformly at random without replacement, in " +
			"their original order. The same seed on the same data always picks the same rows. With a " +
			"stratification column, each distinct value of it (nulls being one more group) is sampled " +
			"separately at the same fraction, so the sample keeps the column's proportions; each group's count " +
			"is rounded on its own, so the total can differ slightly from round(fraction × rows). Head keeps " +
			"the first N rows (all of them when there are fewer). Assigning rows to folds is not supported yet.",
		Inputs:  []modules.Port{{Name: "dataset", Label: "Dataset", Kind: modules.KindTable}},
		Outputs: []modules.Port{{Name: "results", Label: "Sampled dataset", Kind: modules.KindTable}},
		Params: []modules.Param{
			{Name: "mode", Label: "Partition or sample mode", Type: modules.ParamChoice, Default: "sample",
				Help: "Random sampling or the first rows.",
				Choices: []modules.Choice{
					{Value: "sample", Label: "Sampling", Help: "A random fraction of the rows."},
					{Value: "head", Label: "Head", Help: "The first N rows."},
				}},
			{Name: "fraction", Label: "Rate of sampling", Type: modules.ParamFloat, Default: 0.1,
				Min: modules.Bound(0), Max: modules.Bound(1), ShowIf: sample,
				Help: "The fraction of rows to keep, from 0 to 1."},
			{Name: "count", Label: "Number of rows", Type: modules.ParamInt, Default: int64(10),
				Min: modules.Bound(0), ShowIf: &modules.Condition{Param: "mode", Values: []string{"head"}},
				Help: "How many rows to keep from the top."},
			{Name: "seed", Label: "Random seed", Type: modules.ParamInt, Default: int64(0), ShowIf: sample,
				Help: "Seed for the random choice; the same seed picks the same rows."},
			{Name: "stratify_column", Label: "Stratification key column", Type: modules.ParamColumn, Input: "dataset", ShowIf: sample,
				Help: "Optional: sample each value of this column separately, keeping its proportions.", Example: "churned"},
		},
	}
}

// Infer implements modules.Module.
func (PartitionAndSample) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	s, ok := ic.Schema("dataset")
	if !ok {
		return []*modules.Shape{nil}, nil
	}
	if col := ic.Params.String("stratify_column"); ic.Params.String("mode") == "sample" && col != "" && s.Index(col) < 0 {
		return nil, modules.ParamErr("stratify_column", s.MissingColumnError(col))
	}
	return []*modules.Shape{modules.TableShape(s)}, nil
}

// Run implements modules.Runner.
func (PartitionAndSample) Run(rc *modules.Context) error {
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	n := t.NumRows()
	if rc.Params.String("mode") == "head" {
		rc.SetOutput("results", t.Slice(0, min(n, rc.Params.Int("count"))))
		rc.Progress(1)
		return nil
	}
	fraction := rc.Params.Float("fraction")
	// One group per stratum: group[i] is row i's, need and left count down
	// the rows still to pick and still to see in each.
	group := []int32(nil)
	need, left := []int{int(math.Round(fraction * float64(n)))}, []int{n}
	if name := rc.Params.String("stratify_column"); name != "" {
		c, _, err := t.Lookup(name)
		if err != nil {
			return modules.ParamErr("stratify_column", err)
		}
		vc := newValueCodes(c.Type())
		group = make([]int32, n)
		if err := fitChunks(rc.Ctx, n, newFitProgress(rc.Progress, 0, 0.5), func(lo, hi int) error {
			vc.encode(c, true, group, lo, hi)
			return nil
		}); err != nil {
			return err
		}
		left = make([]int, vc.n+1) // the last group holds the nulls
		for i, g := range group {
			if g == valueCodeNull {
				group[i] = vc.n
			}
			left[group[i]]++
		}
		need = make([]int, len(left))
		for g, size := range left {
			need[g] = int(math.Round(fraction * float64(size)))
		}
	}
	// Selection sampling (Knuth's algorithm S): each row is kept with
	// probability need/left of its group, which picks exactly need rows,
	// uniformly, in one pass and already in order.
	rng := rand.New(rand.NewPCG(uint64(rc.Params.Int("seed")), 0x7472656c6c6973)) // "trellis"
	rows := make([]int, 0, min(n, max(0, sampleTotal(need))))
	p := newFitProgress(rc.Progress, 0.5, 1)
	p.expect(n)
	err = fitChunks(rc.Ctx, n, p, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			g := 0
			if group != nil {
				g = int(group[i])
			}
			if need[g] > 0 && rng.Float64()*float64(left[g]) < float64(need[g]) {
				rows = append(rows, i)
				need[g]--
			}
			left[g]--
		}
		return nil
	})
	if err != nil {
		return err
	}
	rc.SetOutput("results", t.Take(rows))
	rc.Progress(1)
	return nil
}

func sampleTotal(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}
