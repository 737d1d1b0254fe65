package ml

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

func TestAssignFolds(t *testing.T) {
	classes := make([]int, 103)
	for i := range classes {
		classes[i] = i % 3
		if i > 90 {
			classes[i] = 1
		}
	}
	for _, strata := range [][]int{nil, classes} {
		folds := AssignFolds(len(classes), 5, strata, 7)
		size := make([]int, 5)
		perClass := make([][3]int, 5)
		for r, f := range folds {
			size[f]++
			perClass[f][classes[r]]++
		}
		if slices.Max(size)-slices.Min(size) > 1 {
			t.Errorf("fold sizes %v", size)
		}
		if strata != nil {
			for c := range 3 {
				lo, hi := perClass[0][c], perClass[0][c]
				for f := range 5 {
					lo, hi = min(lo, perClass[f][c]), max(hi, perClass[f][c])
				}
				if hi-lo > 1 {
					t.Errorf("class %d spread over folds %v", c, perClass)
				}
			}
		}
		if !slices.Equal(folds, AssignFolds(len(classes), 5, strata, 7)) {
			t.Error("fold assignment is not deterministic")
		}
		if slices.Equal(folds, AssignFolds(len(classes), 5, strata, 8)) {
			t.Error("the seed does not change the folds")
		}
	}
}

func runCV(t *testing.T, l modules.Learner, data *table.Table, params map[string]any) (*table.Table, *table.Table) {
	t.Helper()
	res := moduletest.MustRun(t, CrossValidateModel{}, params, l, data)
	return res.Table(t, CrossValidateModel{}, "scored_results"), res.Table(t, CrossValidateModel{}, "evaluation_results")
}

func TestCrossValidateModel(t *testing.T) {
	bc := loadCSV(t, "breast_cancer.csv")
	l := learner(t, TwoClassDecisionTreeInit{}, map[string]any{"max_depth": 3})
	params := map[string]any{"label": "target", "folds": 5, "random_seed": 11}
	scored, eval := runCV(t, l, bc, params)

	// The out-of-fold scores of a fold are those of a model trained on the
	// other folds.
	folds := ints(t, scored, FoldAssignments)
	var trainRows, testRows []int
	for r, f := range folds {
		if f == 2 {
			testRows = append(testRows, r)
		} else {
			trainRows = append(trainRows, r)
		}
	}
	m, err := l.Train(bg, bc.Take(trainRows), "target")
	if err != nil {
		t.Fatal(err)
	}
	direct, err := m.Score(bg, bc.Take(testRows))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := floats(t, scored.Take(testRows), ScoredProbabilities), floats(t, direct, ScoredProbabilities); !slices.Equal(got, want) {
		t.Error("out-of-fold scores differ from a model trained without the fold")
	}

	// Fold rows, then mean and standard deviation of each metric.
	if eval.NumRows() != 7 {
		t.Fatalf("%d evaluation rows", eval.NumRows())
	}
	acc := floats(t, eval, "Accuracy")
	mean, sd := meanStd(acc[:5])
	if math.Abs(acc[5]-mean) > 1e-15 || math.Abs(acc[6]-sd) > 1e-15 {
		t.Errorf("mean/std rows %v, %v; want %v, %v", acc[5], acc[6], mean, sd)
	}
	if mean < 0.88 {
		t.Errorf("cross-validated accuracy %v", mean)
	}
	// Evaluate Model on the out-of-fold scores of all rows sees the same data.
	if _, err := ReadScored(scored); err != nil {
		t.Fatal(err)
	}

	// The result does not depend on how many folds run at once.
	rc1 := moduletest.MustRun(t, CrossValidateModel{}, params, l, bc)
	if !table.Equal(rc1.Table(t, CrossValidateModel{}, "scored_results"), scored) {
		t.Error("cross-validation is not deterministic")
	}
}

func TestCrossValidateMulticlassAndRegression(t *testing.T) {
	iris := loadCSV(t, "iris.csv")
	// A class missing from a fold's training rows: the row of the rare class
	// is held out by exactly one fold, whose model never saw that class.
	rare := iris.Take(append(seq0(100), 120))
	scored, eval := runCV(t, learner(t, MulticlassDecisionForestInit{}, map[string]any{"num_trees": 4}), rare,
		map[string]any{"label": "species", "folds": 4, "stratified": false})
	if scored.Schema().Index(ScoredProbabilities+"_virginica") < 0 {
		t.Fatalf("scored columns: %v", scored.Schema().Names())
	}
	if got := floats(t, scored, ScoredProbabilities+"_virginica")[100]; got != 0 {
		t.Errorf("P(virginica) for the only virginica row = %v, want 0 (its fold never saw the class)", got)
	}
	if eval.Schema().Index("Macro F-Score") < 0 {
		t.Errorf("multiclass metrics: %v", eval.Schema().Names())
	}
	diab := loadCSV(t, "diabetes.csv")
	_, eval = runCV(t, learner(t, BoostedTreeRegressionInit{}, map[string]any{"num_trees": 20}), diab,
		map[string]any{"label": "progression", "folds": 3})
	if r2 := floats(t, eval, "Coefficient of Determination")[3]; !(r2 > 0.2 && r2 < 0.7) {
		t.Errorf("cross-validated R² %v", r2)
	}
}

func ints(t *testing.T, tb *table.Table, name string) []int {
	t.Helper()
	c, _, err := tb.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int, c.Len())
	for i := range out {
		v, _ := table.Float64At(c, i)
		out[i] = int(v)
	}
	return out
}

func TestCrossValidateErrors(t *testing.T) {
	bc := loadCSV(t, "breast_cancer.csv")
	l := learner(t, TwoClassDecisionTreeInit{}, nil)
	if _, err := moduletest.Run(t, CrossValidateModel{}, map[string]any{"label": "nope"}, l, bc); !errors.Is(err, table.ErrColumnNotFound) {
		t.Errorf("missing label: %v", err)
	}
	var pe *modules.ParamError
	if _, err := moduletest.Run(t, CrossValidateModel{}, map[string]any{"label": "target", "folds": 5}, l, bc.Slice(0, 4)); !errors.As(err, &pe) || pe.Param != "folds" {
		t.Errorf("more folds than rows: %v", err)
	}
	km := learner(t, KMeansInit{}, nil)
	if _, err := moduletest.Run(t, CrossValidateModel{}, map[string]any{"label": "target"}, km, bc); err == nil {
		t.Error("clustering learner accepted")
	}
}
