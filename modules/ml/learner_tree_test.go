package ml

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

// trainAccuracy trains l on data and returns the accuracy of Scored Labels on
// the same data.
func trainAccuracy(t *testing.T, l modules.Learner, data *table.Table, label string) float64 {
	t.Helper()
	m, err := l.Train(bg, data, label)
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.Score(bg, data)
	if err != nil {
		t.Fatal(err)
	}
	truth, _, _ := s.Lookup(label)
	pred, _, _ := s.Lookup(ScoredLabels)
	ok := 0
	for i := range s.NumRows() {
		if truth.Format(i) == pred.Format(i) {
			ok++
		}
	}
	return float64(ok) / float64(s.NumRows())
}

func trainMSE(t *testing.T, l modules.Learner, data *table.Table, label string) float64 {
	t.Helper()
	m, err := l.Train(bg, data, label)
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.Score(bg, data)
	if err != nil {
		t.Fatal(err)
	}
	y, yhat := floats(t, s, label), floats(t, s, ScoredLabels)
	var sse float64
	for i := range y {
		sse += (y[i] - yhat[i]) * (y[i] - yhat[i])
	}
	return sse / float64(len(y))
}

// TestDecisionTreeMatchesSklearn checks training-set fit of depth-limited
// CART trees against scikit-learn 1.2.1's DecisionTreeClassifier /
// DecisionTreeRegressor (same criterion and max_depth, other parameters at
// their defaults). The reference values were the same for random_state 0..9,
// so they do not depend on how ties between features are broken. Produced by:
//
//	m = DecisionTreeClassifier(criterion=crit, max_depth=depth).fit(X, y); (m.predict(X) == y).mean()
//	m = DecisionTreeRegressor(max_depth=depth).fit(X, y); mean_squared_error(y, m.predict(X))
func TestDecisionTreeMatchesSklearn(t *testing.T) {
	data := map[string]*table.Table{
		"iris": loadCSV(t, "iris.csv"), "wine": loadCSV(t, "wine.csv"), "breast_cancer": loadCSV(t, "breast_cancer.csv"),
	}
	// Labels: iris species (strings), wine class (int, 3 classes), breast cancer target (int, 2 classes).
	labels := map[string]string{"iris": "species", "wine": "class", "breast_cancer": "target"}
	ref := []struct {
		data, crit string
		depth      int
		acc        float64
	}{
		{"iris", "gini", 1, 0.666666666667}, {"iris", "gini", 2, 0.96}, {"iris", "gini", 3, 0.973333333333}, {"iris", "gini", 4, 0.993333333333},
		{"iris", "entropy", 1, 0.666666666667}, {"iris", "entropy", 2, 0.96}, {"iris", "entropy", 3, 0.973333333333}, {"iris", "entropy", 4, 0.993333333333},
		{"wine", "gini", 1, 0.696629213483}, {"wine", "gini", 2, 0.921348314607}, {"wine", "gini", 3, 0.977528089888}, {"wine", "gini", 4, 0.988764044944},
		{"wine", "entropy", 1, 0.601123595506}, {"wine", "entropy", 2, 0.966292134831}, {"wine", "entropy", 3, 0.994382022472}, {"wine", "entropy", 4, 1},
		{"breast_cancer", "gini", 1, 0.922671353251}, {"breast_cancer", "gini", 2, 0.942003514938},
		{"breast_cancer", "gini", 3, 0.978910369069}, {"breast_cancer", "gini", 4, 0.982425307557},
		{"breast_cancer", "entropy", 1, 0.919156414763}, {"breast_cancer", "entropy", 2, 0.920913884007},
		{"breast_cancer", "entropy", 3, 0.968365553603}, {"breast_cancer", "entropy", 4, 0.984182776801},
	}
	for _, r := range ref {
		init := modules.Module(MulticlassDecisionTreeInit{})
		if r.data == "breast_cancer" {
			init = TwoClassDecisionTreeInit{}
		}
		l := learner(t, init, map[string]any{"criterion": r.crit, "max_depth": r.depth})
		if got := trainAccuracy(t, l, data[r.data], labels[r.data]); math.Abs(got-r.acc) > 1e-9 {
			t.Errorf("%s %s depth %d: training accuracy %.12f, scikit-learn %.12f", r.data, r.crit, r.depth, got, r.acc)
		}
	}
	diab := loadCSV(t, "diabetes.csv")
	for _, r := range []struct {
		depth int
		mse   float64
	}{{1, 4201.0764660663135}, {2, 3360.050096675736}, {3, 2960.9574740671464}, {4, 2516.5744443402637}, {6, 1512.499206233058}} {
		l := learner(t, DecisionTreeRegressionInit{}, map[string]any{"max_depth": r.depth})
		if got := trainMSE(t, l, diab, "progression"); relErr(got, r.mse) > 1e-9 {
			t.Errorf("diabetes depth %d: training MSE %v, scikit-learn %v", r.depth, got, r.mse)
		}
	}
}

// TestBoostedTreesNearSklearn compares gradient boosting with scikit-learn
// 1.2.1's HistGradientBoosting (max_iter=20, max_leaf_nodes=8,
// learning_rate=0.1, early_stopping=False, other parameters at their
// defaults: min_samples_leaf=20, l2_regularization=0, max_bins=255), which
// uses the same binning, growth, gain and leaf values but float32 gradients,
// so the training losses agree to about 1e-8 rather than exactly:
//
//	HistGradientBoostingClassifier(...).fit(X, y): log_loss 0.11815547834039439 on breast cancer
//	HistGradientBoostingRegressor(...).fit(X, y): MSE 2298.29000981204 on diabetes
func TestBoostedTreesNearSklearn(t *testing.T) {
	params := map[string]any{"num_trees": 20, "max_leaves": 8, "learning_rate": 0.1, "min_samples_leaf": 20}
	bc := loadCSV(t, "breast_cancer.csv")
	m, err := learner(t, TwoClassBoostedTreeInit{}, params).Train(bg, bc, "target")
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.Score(bg, bc)
	if err != nil {
		t.Fatal(err)
	}
	y, p := floats(t, s, "target"), floats(t, s, ScoredProbabilities)
	var ll float64
	for i := range y {
		ll -= y[i]*math.Log(p[i]) + (1-y[i])*math.Log(1-p[i])
	}
	ll /= float64(len(y))
	t.Logf("breast cancer log loss %v (scikit-learn 0.11815547834039439)", ll)
	if relErr(ll, 0.11815547834039439) > 1e-6 {
		t.Errorf("breast cancer training log loss %v, scikit-learn 0.11815547834039439", ll)
	}
	diab := loadCSV(t, "diabetes.csv")
	mse := trainMSE(t, learner(t, BoostedTreeRegressionInit{}, params), diab, "progression")
	t.Logf("diabetes MSE %v (scikit-learn 2298.29000981204)", mse)
	if relErr(mse, 2298.29000981204) > 1e-6 {
		t.Errorf("diabetes training MSE %v, scikit-learn 2298.29000981204", mse)
	}
}

// TestTreeLearnersRoundTrip trains each tree learner, serializes the model,
// decodes it, and checks that both score the same bits.
func TestTreeLearnersRoundTrip(t *testing.T) {
	iris := loadCSV(t, "iris.csv")
	bc := loadCSV(t, "breast_cancer.csv")
	diab := loadCSV(t, "diabetes.csv")
	small := map[string]any{"num_trees": 5}
	tests := []struct {
		init  modules.Module
		data  *table.Table
		label string
		p     map[string]any
	}{
		{TwoClassDecisionTreeInit{}, bc, "target", nil},
		{MulticlassDecisionTreeInit{}, iris, "species", map[string]any{"criterion": "entropy"}},
		{MulticlassDecisionTreeInit{}, mixed(), "y", map[string]any{"min_samples_leaf": 1}},
		{DecisionTreeRegressionInit{}, diab, "progression", map[string]any{"max_depth": 5}},
		{TwoClassDecisionForestInit{}, bc, "target", small},
		{MulticlassDecisionForestInit{}, iris, "species", map[string]any{"resampling_method": "replicate", "features_per_split": "log2"}},
		{MulticlassDecisionForestInit{}, mixed(), "y", small},
		{DecisionForestRegressionInit{}, diab, "progression", small},
		{TwoClassBoostedTreeInit{}, bc, "target", map[string]any{"num_trees": 10}},
		{TwoClassBoostedTreeInit{}, mixed(), "y", map[string]any{"num_trees": 3, "min_samples_leaf": 1}},
		{BoostedTreeRegressionInit{}, diab, "progression", map[string]any{"num_trees": 10, "l2_regularization": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.init.Spec().ID, func(t *testing.T) {
			l := learner(t, tt.init, tt.p)
			m1, _ := train(t, l, tt.data, tt.label)
			m2, _ := train(t, l, tt.data, tt.label)
			b1, _ := MarshalModel(m1)
			b2, _ := MarshalModel(m2)
			if string(b1) != string(b2) {
				t.Fatal("training twice gave different models")
			}
			d, err := UnmarshalModel(b1)
			if err != nil {
				t.Fatal(err)
			}
			if b3, _ := MarshalModel(d); string(b1) != string(b3) {
				t.Error("re-encoding the decoded model changed it")
			}
			s1 := score(t, m1, tt.data)
			s2 := score(t, d, tt.data)
			if !table.Equal(s1, s2) {
				t.Error("the decoded model scores differently")
			}
			last := tt.data.NumRows() - 1
			if one := score(t, d, tt.data.Take([]int{last})); !table.Equal(one, s1.Take([]int{last})) {
				t.Error("a row scored alone differs from the same row scored in a block")
			}
		})
	}
}

func TestTreeLearnerUnseenAndMissing(t *testing.T) {
	// Scoring rows with a category never seen and missing values works and
	// gives probabilities.
	for _, init := range []modules.Module{TwoClassDecisionTreeInit{}, TwoClassDecisionForestInit{}, TwoClassBoostedTreeInit{}} {
		m, _ := train(t, learner(t, init, map[string]any{"min_samples_leaf": 1}), mixed(), "y")
		odd := table.MustNew(table.Schema{
			{Name: "x", Type: table.Float}, {Name: "color", Type: table.String}, {Name: "n", Type: table.Int}, {Name: "flag", Type: table.Bool},
		},
			table.NewFloats([]float64{math.NaN(), 3}, nil),
			table.NewStrings([]string{"purple", ""}, table.Bitmap{0b01}),
			table.NewInts([]int64{7, 10}, nil),
			table.NewBools([]bool{true, false}, table.Bitmap{0b10}),
		)
		s := score(t, m, odd)
		p := floats(t, s, ScoredProbabilities)
		for i, v := range p {
			if !(v >= 0 && v <= 1) {
				t.Errorf("%s row %d: probability %v", init.Spec().ID, i, v)
			}
		}
	}
}

func TestTreeLearnerErrors(t *testing.T) {
	bc := loadCSV(t, "breast_cancer.csv")
	// A constant label and a missing label column are clear errors.
	constant := bc.Filter(func() []bool {
		y := floats(t, bc, "target")
		m := make([]bool, len(y))
		for i, v := range y {
			m[i] = v == 1
		}
		return m
	}())
	for _, init := range []modules.Module{TwoClassDecisionTreeInit{}, TwoClassDecisionForestInit{}, TwoClassBoostedTreeInit{}} {
		l := learner(t, init, nil)
		if _, err := l.Train(bg, constant, "target"); err == nil {
			t.Errorf("%s: constant label trained", init.Spec().ID)
		}
		if _, err := l.Train(bg, bc, "nope"); !errors.Is(err, table.ErrColumnNotFound) {
			t.Errorf("%s: missing label: %v", init.Spec().ID, err)
		}
	}
	// A boosted model whose loss does not fit the task is refused.
	m, _ := train(t, learner(t, BoostedTreeRegressionInit{}, map[string]any{"num_trees": 2}), loadCSV(t, "diabetes.csv"), "progression")
	b, _ := MarshalModel(m)
	var env map[string]any
	_ = json.Unmarshal(b, &env)
	env["task"] = "binary_classification"
	env["label"] = map[string]any{"name": "progression", "type": "int", "classes": []string{"0", "1"}}
	b, _ = json.Marshal(env)
	if _, err := UnmarshalModel(b); err == nil {
		t.Error("regression trees decoded as a two-class model")
	}
	// Parameters out of range are refused by the spec.
	if _, err := moduletest.Params(TwoClassBoostedTreeInit{}, map[string]any{"learning_rate": 2}); err == nil {
		t.Error("learning rate 2 accepted")
	}
}

func TestTreeLearnersTunable(t *testing.T) {
	for _, init := range []modules.Module{TwoClassDecisionTreeInit{}, DecisionForestRegressionInit{}, TwoClassBoostedTreeInit{}} {
		l := learner(t, init, nil)
		tl, ok := l.(Tunable)
		if !ok {
			t.Fatalf("%s is not tunable", init.Spec().ID)
		}
		for _, h := range tl.HyperParams() {
			if _, found := init.Spec().Param(h.Name); !found {
				t.Errorf("%s: hyper-parameter %s is not a module parameter", init.Spec().ID, h.Name)
			}
			if _, err := tl.With(map[string]float64{h.Name: h.Grid[0]}); err != nil {
				t.Errorf("%s: With(%s=%v): %v", init.Spec().ID, h.Name, h.Grid[0], err)
			}
		}
		if _, err := tl.With(map[string]float64{"nope": 1}); err == nil {
			t.Errorf("%s: unknown hyper-parameter accepted", init.Spec().ID)
		}
	}
}
