package ml

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

// signal returns rows where y = 3·strong + weak + noise and "unused" plays no part.
func signal(n int, seed uint64) *table.Table {
	rng := rand.New(rand.NewPCG(seed, 1))
	cols := [4][]float64{}
	for i := range cols {
		cols[i] = make([]float64, n)
	}
	for i := range n {
		cols[0][i], cols[1][i], cols[2][i] = rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
		cols[3][i] = 3*cols[0][i] + cols[1][i] + 0.1*rng.NormFloat64()
	}
	return table.MustNew(table.Schema{{Name: "unused", Type: table.Float}, {Name: "strong", Type: table.Float},
		{Name: "weak", Type: table.Float}, {Name: "y", Type: table.Float}},
		table.NewFloats(cols[2], nil), table.NewFloats(cols[0], nil), table.NewFloats(cols[1], nil), table.NewFloats(cols[3], nil))
}

func TestPermutationFeatureImportance(t *testing.T) {
	train, test := signal(2000, 1), signal(1000, 2)
	mm, err := learner(t, BoostedTreeRegressionInit{}, map[string]any{"num_trees": 50}).Train(bg, train, "y")
	if err != nil {
		t.Fatal(err)
	}
	m := mm.(*Model)
	params := map[string]any{"regression_metric": "rmse", "random_seed": 4}
	res := moduletest.MustRun(t, PermutationFeatureImportance{}, params, m, test)
	imp := res.Table(t, PermutationFeatureImportance{}, "feature_importance")
	names := []string{imp.Column(0).Format(0), imp.Column(0).Format(1), imp.Column(0).Format(2)}
	if !slices.Equal(names, []string{"strong", "weak", "unused"}) {
		t.Fatalf("ranking %v", names)
	}
	scores := floats(t, imp, "Score")
	if scores[0] < 2 || scores[1] < 0.3 || math.Abs(scores[2]) > 0.1 {
		t.Errorf("scores %v", scores)
	}
	// A score is the RMSE after shuffling the column with its own stream
	// minus the RMSE before.
	rmse := func(tb *table.Table) float64 {
		s, err := m.Score(bg, tb)
		if err != nil {
			t.Fatal(err)
		}
		y, p := floats(t, s, "y"), floats(t, s, ScoredLabels)
		var ss float64
		for i := range y {
			ss += (y[i] - p[i]) * (y[i] - p[i])
		}
		return math.Sqrt(ss / float64(len(y)))
	}
	col, ci, _ := test.Lookup("strong")
	perm := rand.New(rand.NewPCG(4, 1)).Perm(test.NumRows()) // "strong" is the model's feature 1
	shuffled, _ := test.WithColumn(test.Field(ci), col.Take(perm))
	if want := rmse(shuffled) - rmse(test); math.Abs(scores[0]-want) > 1e-12 {
		t.Errorf("strong: %v, recomputed %v", scores[0], want)
	}
	again := moduletest.MustRun(t, PermutationFeatureImportance{}, params, m, test)
	if !table.Equal(imp, again.Table(t, PermutationFeatureImportance{}, "feature_importance")) {
		t.Error("not deterministic")
	}
}

func TestPermutationFeatureImportanceClassification(t *testing.T) {
	iris := loadCSV(t, "iris.csv")
	m, _ := train(t, learner(t, MulticlassDecisionTreeInit{}, map[string]any{"max_depth": 2}), iris, "species")
	res := moduletest.MustRun(t, PermutationFeatureImportance{}, map[string]any{"classification_metric": "accuracy"}, m, iris)
	imp := res.Table(t, PermutationFeatureImportance{}, "feature_importance")
	scores := floats(t, imp, "Score")
	// A depth-2 tree uses two of the four columns; shuffling the others changes nothing.
	if scores[0] <= 0 || scores[1] <= 0 || scores[2] != 0 || scores[3] != 0 {
		t.Errorf("scores %v", scores)
	}
	// The test data holds a class the model never saw.
	versicolor := iris.Filter(func() []bool {
		c, _, _ := iris.Lookup("species")
		keep := make([]bool, iris.NumRows())
		for i := range keep {
			keep[i] = c.Format(i) != "virginica"
		}
		return keep
	}())
	m2, _ := train(t, learner(t, MulticlassDecisionTreeInit{}, nil), versicolor, "species")
	if _, err := moduletest.Run(t, PermutationFeatureImportance{}, nil, m2, iris); err == nil {
		t.Error("a class the model never saw was accepted")
	}
}
