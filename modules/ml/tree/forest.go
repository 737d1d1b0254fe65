package tree

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/trellis-studio/trellis/modules/parallel"
)

// AllFeatures asks a forest to try every feature at every split.
const AllFeatures = -1

// ForestParams are a random forest's hyper-parameters.
type ForestParams struct {
	// Tree are the per-tree parameters; Tree.MaxFeatures is ignored in
	// favour of MaxFeatures below.
	Tree     TreeParams
	NumTrees int
	// Bootstrap draws each tree's rows with replacement; otherwise every
	// tree sees every row (and only the feature sampling differs).
	Bootstrap bool
	// SampleFraction is the size of a bootstrap sample as a fraction of the
	// rows; 0 means 1.
	SampleFraction float64
	// MaxFeatures is how many features each split tries: 0 chooses
	// √p for classification and p/3 for regression (at least 1), AllFeatures all.
	MaxFeatures int
	Seed        uint64
	// Workers is how many trees grow at once; 0 means GOMAXPROCS.
	Workers int
	// Progress, when set, is called with the fraction of trees grown.
	Progress func(float64)
}

// Forest is an average of trees: class probabilities or regression values.
type Forest struct {
	Trees    []*Tree
	outputs  int
	features int
}

// Outputs returns the number of values predicted per row.
func (f *Forest) Outputs() int { return f.outputs }

// NumFeatures returns the number of features the forest was trained on.
func (f *Forest) NumFeatures() int { return f.features }

// FitForest grows a forest. y, nClasses and w are as for FitTree.
func FitForest(ctx context.Context, d Data, y []float64, nClasses int, w []float64, p ForestParams) (*Forest, error) {
	if nClasses == 1 || nClasses < 0 {
		return nil, fmt.Errorf("need at least two classes, got %d", nClasses)
	}
	if err := d.check(y, nClasses, w); err != nil {
		return nil, err
	}
	if d.NumFeatures() > MaxFeatures {
		return nil, fmt.Errorf("%d features is more than the %d a tree supports", d.NumFeatures(), MaxFeatures)
	}
	if p.NumTrees < 1 {
		return nil, fmt.Errorf("number of trees %d is less than 1", p.NumTrees)
	}
	frac := p.SampleFraction
	if frac == 0 {
		frac = 1
	}
	if !(frac > 0) || frac > 1 {
		return nil, fmt.Errorf("sample fraction %v is not in (0, 1]", p.SampleFraction)
	}
	tp, err := p.Tree.normalized(nClasses)
	if err != nil {
		return nil, err
	}
	nf := d.NumFeatures()
	switch {
	case p.MaxFeatures == AllFeatures || p.MaxFeatures >= nf:
		tp.MaxFeatures = 0
	case p.MaxFeatures > 0:
		tp.MaxFeatures = p.MaxFeatures
	case p.MaxFeatures == 0 && nClasses > 0:
		tp.MaxFeatures = max(1, int(math.Sqrt(float64(nf))))
	case p.MaxFeatures == 0:
		tp.MaxFeatures = max(1, nf/3)
	default:
		return nil, fmt.Errorf("max features %d is negative", p.MaxFeatures)
	}
	n := d.NumRows()
	draws := max(1, int(math.Round(frac*float64(n))))
	f := &Forest{Trees: make([]*Tree, p.NumTrees), outputs: max(nClasses, 1), features: nf}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next, done atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg parallel.Group
	for range min(workers(p.Workers), p.NumTrees) {
		wg.Go(func() {
			var bw []float64
			for {
				i := int(next.Add(1) - 1)
				if i >= p.NumTrees || ctx.Err() != nil {
					return
				}
				rng := newRand(p.Seed, uint64(i))
				tw := w
				if p.Bootstrap {
					if bw == nil {
						bw = make([]float64, n)
					}
					clear(bw)
					for range draws {
						bw[rng.IntN(n)]++
					}
					if w != nil {
						for r := range bw {
							bw[r] *= w[r]
						}
					}
					tw = bw
				}
				t, err := fitTree(ctx, d, y, nClasses, tw, tp, rng)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("tree %d: %w", i+1, err)
					}
					mu.Unlock()
					cancel()
					return
				}
				f.Trees[i] = t
				if p.Progress != nil {
					p.Progress(float64(done.Add(1)) / float64(p.NumTrees))
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return f, nil
}

// Predict writes the averaged outputs for every row of d into out, which
// must hold NumRows × Outputs values (row-major).
func (f *Forest) Predict(d Data, out []float64, workers int) error {
	if err := checkPredict(d, f.features, f.outputs, out); err != nil {
		return err
	}
	clear(out)
	accumulate(f.Trees, f.outputs, d, out, workers)
	scale := 1 / float64(len(f.Trees))
	for i := range out {
		out[i] *= scale
	}
	return nil
}

// PredictRow writes the averaged outputs for one row into out (Outputs values).
func (f *Forest) PredictRow(x []float64, out []float64) {
	clear(out)
	for _, t := range f.Trees {
		for c, v := range t.Predict(x) {
			out[c] += v
		}
	}
	scale := 1 / float64(len(f.Trees))
	for c := range out {
		out[c] *= scale
	}
}

type forestJSON struct {
	Features int     `json:"features"`
	Outputs  int     `json:"outputs"`
	Trees    []*Tree `json:"trees"`
}

// MarshalJSON implements json.Marshaler.
func (f *Forest) MarshalJSON() ([]byte, error) {
	return json.Marshal(forestJSON{Features: f.features, Outputs: f.outputs, Trees: f.Trees})
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *Forest) UnmarshalJSON(b []byte) error {
	var j forestJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if len(j.Trees) == 0 {
		return errors.New("forest: no trees")
	}
	if err := checkTrees(j.Trees, j.Features, j.Outputs); err != nil {
		return fmt.Errorf("forest: %w", err)
	}
	*f = Forest{Trees: j.Trees, outputs: j.Outputs, features: j.Features}
	return nil
}

func checkTrees(trees []*Tree, features, outputs int) error {
	if features < 1 || outputs < 1 {
		return errors.New("features and outputs must be positive")
	}
	for i, t := range trees {
		if t == nil {
			return fmt.Errorf("tree %d is null", i+1)
		}
		if t.k != outputs {
			return fmt.Errorf("tree %d has %d outputs, want %d", i+1, t.k, outputs)
		}
		if t.maxFeature() >= features {
			return fmt.Errorf("tree %d splits on feature %d of %d", i+1, t.maxFeature(), features)
		}
	}
	return nil
}
