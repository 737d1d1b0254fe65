package ml

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

func TestParseSweep(t *testing.T) {
	ps, err := parseSweep(" max_depth=2, 4,8 ; learning_rate=0.05..0.3\nnum_trees=10")
	if err != nil {
		t.Fatal(err)
	}
	want := []sweepParam{{Name: "max_depth", Values: []float64{2, 4, 8}}, {Name: "learning_rate", Lo: 0.05, Hi: 0.3, Range: true},
		{Name: "num_trees", Values: []float64{10}}}
	if len(ps) != len(want) {
		t.Fatalf("got %+v", ps)
	}
	for i := range ps {
		if ps[i].Name != want[i].Name || !slices.Equal(ps[i].Values, want[i].Values) || ps[i].Lo != want[i].Lo || ps[i].Hi != want[i].Hi || ps[i].Range != want[i].Range {
			t.Errorf("param %d = %+v, want %+v", i, ps[i], want[i])
		}
	}
	for _, bad := range []string{"max_depth", "=3", "a=1,x", "a=3..1", "a=1; a=2", "a=NaN", "a=1..", "a=1,,2"} {
		if _, err := parseSweep(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if ps, err := parseSweep("  "); err != nil || len(ps) != 0 {
		t.Errorf("empty: %v %v", ps, err)
	}
}

func TestSweepCandidates(t *testing.T) {
	hps := (&BoostedTrees{}).HyperParams()
	ps, specs, err := resolveSweep([]sweepParam{{Name: "max_leaves", Values: []float64{4, 8}}, {Name: "learning_rate", Lo: 0.01, Hi: 1, Range: true}}, hps, "grid")
	if err != nil {
		t.Fatal(err)
	}
	grid, err := candidates("grid", 0, ps, specs, 1)
	if err != nil {
		t.Fatal(err)
	}
	// 2 × 5 log-spaced points, first parameter slowest.
	if len(grid) != 10 || grid[0][0] != 4 || grid[5][0] != 8 || grid[0][1] != 0.01 || math.Abs(grid[2][1]-0.1) > 1e-12 || grid[4][1] != 1 {
		t.Fatalf("grid = %v", grid)
	}
	sub, _ := candidates("random_grid", 3, ps, specs, 1)
	if len(sub) != 3 {
		t.Fatalf("random grid has %d runs", len(sub))
	}
	for _, c := range sub {
		if !slices.ContainsFunc(grid, func(g []float64) bool { return slices.Equal(g, c) }) {
			t.Errorf("random grid run %v is not in the grid", c)
		}
	}
	rnd, _ := candidates("random", 50, ps, specs, 1)
	for _, c := range rnd {
		if (c[0] != 4 && c[0] != 8) || c[1] < 0.01 || c[1] > 1 {
			t.Fatalf("random run %v out of its lists and ranges", c)
		}
	}
	again, _ := candidates("random", 50, ps, specs, 1)
	if !slices.EqualFunc(rnd, again, slices.Equal) {
		t.Error("random sweep is not deterministic")
	}
	for name, p := range map[string][]sweepParam{
		"unknown name":  {{Name: "nope", Values: []float64{1}}},
		"out of range":  {{Name: "learning_rate", Values: []float64{2}}},
		"not whole":     {{Name: "max_leaves", Values: []float64{2.5}}},
		"empty integer": {{Name: "max_leaves", Lo: 2.2, Hi: 2.8, Range: true}},
	} {
		if _, _, err := resolveSweep(p, hps, "grid"); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	big := []sweepParam{}
	for _, h := range hps {
		big = append(big, sweepParam{Name: h.Name, Lo: h.Grid[0], Hi: h.Grid[len(h.Grid)-1], Range: true})
	}
	ps, specs, _ = resolveSweep(big, hps, "grid")
	if _, err := candidates("grid", 0, ps, specs, 1); err == nil {
		t.Error("a grid of 5^5 combinations accepted")
	}
}

func TestTuneWithValidationSet(t *testing.T) {
	bc := loadCSV(t, "breast_cancer.csv")
	folds := AssignFolds(bc.NumRows(), 3, nil, 1)
	var tr, va []int
	for r, f := range folds {
		if f == 0 {
			va = append(va, r)
		} else {
			tr = append(tr, r)
		}
	}
	train, valid := bc.Take(tr), bc.Take(va)
	l := learner(t, TwoClassDecisionTreeInit{}, nil)
	res := moduletest.MustRun(t, TuneModelHyperparameters{}, map[string]any{"label": "target", "sweep": "grid",
		"ranges": "max_depth=1,2,3,4,6", "classification_metric": "auc"}, l, train, valid)
	sweep := res.Table(t, TuneModelHyperparameters{}, "sweep_results")
	if sweep.NumRows() != 5 {
		t.Fatalf("%d runs", sweep.NumRows())
	}
	auc := floats(t, sweep, "AUC")
	if !slices.IsSortedFunc(auc, func(a, b float64) int { return compareMetric(a, b, true) }) {
		t.Errorf("runs not sorted best first: %v", auc)
	}
	// Every row's metrics are those of training that setting and scoring
	// the validation set; the output model is the best one.
	depths := floats(t, sweep, "max_depth")
	for i, d := range depths {
		m, err := learner(t, TwoClassDecisionTreeInit{}, map[string]any{"max_depth": int(d)}).Train(bg, train, "target")
		if err != nil {
			t.Fatal(err)
		}
		s, _ := m.Score(bg, valid)
		sc, _ := ReadScored(s)
		if got := aucOf(sc); math.Abs(got-auc[i]) > 1e-12 {
			t.Errorf("max_depth %v: AUC %v, sweep says %v", d, got, auc[i])
		}
		if i == 0 {
			best := res.Outputs[1].(*Model)
			a, _ := MarshalModel(best)
			b, _ := MarshalModel(m)
			if string(a) != string(b) {
				t.Error("the output model is not the best setting's")
			}
		}
	}
}

func aucOf(s *Scored) float64 {
	cv := computeMetrics(modules.TaskBinary, &Target{Class: s.Truth}, seq0(len(s.Truth)), interleave(s.Prob), binaryMetrics)
	return cv[4]
}

func interleave(p []float64) []float64 {
	out := make([]float64, 2*len(p))
	for i, v := range p {
		out[2*i], out[2*i+1] = 1-v, v
	}
	return out
}

func TestTuneCrossValidatedDeterministic(t *testing.T) {
	diab := loadCSV(t, "diabetes.csv")
	l := learner(t, BoostedTreeRegressionInit{}, nil)
	params := map[string]any{"label": "progression", "sweep": "random", "max_runs": 4, "random_seed": 5,
		"ranges": "num_trees=10..40; learning_rate=0.05..0.3; max_leaves=4,8", "regression_metric": "rmse"}
	run := func(workers int) (*table.Table, []byte) {
		p, err := moduletest.Params(TuneModelHyperparameters{}, params)
		if err != nil {
			t.Fatal(err)
		}
		rc := modules.NewContext(context.Background(), TuneModelHyperparameters{}.Spec(), p, []any{l, diab, nil}, nil, nil)
		rc.Workers = workers
		if err := (TuneModelHyperparameters{}).Run(rc); err != nil {
			t.Fatal(err)
		}
		b, _ := MarshalModel(rc.Outputs()[1].(modules.Model))
		return rc.Outputs()[0].(*table.Table), b
	}
	s1, m1 := run(1)
	s3, m3 := run(3)
	if !table.Equal(s1, s3) || string(m1) != string(m3) {
		t.Error("tuning depends on the number of workers")
	}
	rmse := floats(t, s1, "Root Mean Squared Error")
	if !slices.IsSorted(rmse) || s1.NumRows() != 4 {
		t.Errorf("RMSE column %v", rmse)
	}
	// Infer predicts the model port; the sweep table's columns depend on the ranges.
	shapes, err := moduletest.Infer(t, TuneModelHyperparameters{}, params, nil, diab.Schema(), nil)
	if err != nil || shapes[1].Label == nil || shapes[1].Label.Name != "progression" {
		t.Errorf("infer: %v %+v", err, shapes)
	}
}

func TestTuneErrors(t *testing.T) {
	bc := loadCSV(t, "breast_cancer.csv")
	l := learner(t, TwoClassDecisionTreeInit{}, nil)
	var pe *modules.ParamError
	if _, err := moduletest.Run(t, TuneModelHyperparameters{}, map[string]any{"label": "target", "ranges": "learning_rate=0.1"}, l, bc, nil); !errors.As(err, &pe) || pe.Param != "ranges" {
		t.Errorf("unknown hyper-parameter: %v", err)
	}
	if _, err := moduletest.Run(t, TuneModelHyperparameters{}, map[string]any{"label": "target", "classification_metric": "auc"},
		learner(t, MulticlassDecisionTreeInit{}, nil), loadCSV(t, "iris.csv"), nil); err == nil {
		t.Error("AUC accepted for a multiclass learner")
	}
	if _, err := moduletest.Run(t, TuneModelHyperparameters{}, map[string]any{"label": "nope"}, l, bc, nil); !errors.Is(err, table.ErrColumnNotFound) {
		t.Errorf("missing label: %v", err)
	}
}
