package ml

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

func metric(t *testing.T, r *modules.Report, section, name string) float64 {
	t.Helper()
	for _, s := range r.Sections {
		if s.Title != section {
			continue
		}
		for _, m := range s.Metrics {
			if m.Name == name {
				return m.Value
			}
		}
	}
	t.Fatalf("no metric %q in section %q", name, section)
	return 0
}

func evaluate(t *testing.T, params map[string]any, scored ...any) *modules.Report {
	t.Helper()
	res := moduletest.MustRun(t, EvaluateModel{}, params, scored...)
	r := res.Outputs[0].(*modules.Report)
	if _, err := json.Marshal(r); err != nil {
		t.Fatalf("report does not encode: %v", err)
	}
	return r
}

// TestTrainScoreEvaluate is the sample workflow: Two-Class Logistic
// Regression → Train Model → Score Model → Evaluate Model.
func TestTrainScoreEvaluate(t *testing.T) {
	data := loadCSV(t, "breast_cancer.csv")
	m, _ := train(t, learner(t, TwoClassLogisticInit{}, nil), data, "target")
	scored := score(t, m, data)
	r := evaluate(t, nil, scored)
	if auc := metric(t, r, "Metrics", "AUC"); auc < 0.99 || auc > 1 {
		t.Errorf("training AUC %v", auc)
	}
	if acc := metric(t, r, "Metrics", "Accuracy"); acc < 0.95 {
		t.Errorf("training accuracy %v", acc)
	}
	var titles []string
	for _, s := range r.Sections {
		titles = append(titles, s.Title)
		if s.SVG != "" && !strings.HasPrefix(s.SVG, "<svg") {
			t.Errorf("section %q SVG", s.Title)
		}
	}
	if got := strings.Join(titles, "|"); got != "Metrics|Confusion matrix|Threshold table|ROC curve|Precision-recall curve" {
		t.Errorf("sections %s", got)
	}
	// Two models side by side.
	m2, _ := train(t, learner(t, TwoClassNaiveBayesInit{}, nil), data, "target")
	r2 := evaluate(t, nil, scored, score(t, m2, data))
	if metric(t, r2, "Scored dataset: Metrics", "AUC") != metric(t, r, "Metrics", "AUC") {
		t.Error("the first model's AUC changed when compared")
	}
	metric(t, r2, "Scored dataset to compare: Metrics", "AUC")
}

func TestEvaluateBinaryCounts(t *testing.T) {
	// Scores from metrics' sklearn vectors: confusion at 0.5 is TP 4, FP 1, TN 4, FN 3.
	yt := []string{"n", "n", "y", "y", "n", "y", "y", "n", "y", "n", "y", "y"}
	sc := []float64{0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.2, 0.65, 0.65, 0.1, 0.7}
	pred := make([]string, len(sc))
	for i, p := range sc {
		pred[i] = "n"
		if p > 0.5 {
			pred[i] = "y"
		}
	}
	tb := table.MustNew(table.Schema{{Name: "truth", Type: table.String, Role: table.Label},
		{Name: ScoredLabels, Type: table.String, Role: table.Score}, {Name: ScoredProbabilities, Type: table.Float, Role: table.Score}},
		table.NewStrings(yt, nil), table.NewStrings(pred, nil), table.NewFloats(sc, nil))
	r := evaluate(t, nil, tb)
	// roc_auc_score and log_loss from scikit-learn 1.2.1 (testdata/reference.py).
	if auc := metric(t, r, "Metrics", "AUC"); math.Abs(auc-0.7142857142857143) > 1e-15 {
		t.Errorf("AUC %v", auc)
	}
	if ll := metric(t, r, "Metrics", "Log Loss"); math.Abs(ll-0.6487197762810663) > 1e-15 {
		t.Errorf("log loss %v", ll)
	}
	cm := r.Sections[1].Table
	if cm.Field(1).Name != "Predicted y" || cm.Column(1).Value(0) != int64(4) || cm.Column(2).Value(0) != int64(3) ||
		cm.Column(1).Value(1) != int64(1) || cm.Column(2).Value(1) != int64(4) {
		t.Errorf("confusion matrix %v %v", cm.Row(0), cm.Row(1))
	}
}

func TestEvaluateMulticlassRegressionClustering(t *testing.T) {
	iris := loadCSV(t, "iris.csv")
	m, _ := train(t, learner(t, MulticlassLogisticInit{}, nil), iris, "species")
	r := evaluate(t, nil, score(t, m, iris))
	if acc := metric(t, r, "Metrics", "Overall Accuracy"); acc < 0.95 {
		t.Errorf("iris accuracy %v", acc)
	}
	diab := loadCSV(t, "diabetes.csv")
	lm, _ := train(t, learner(t, LinearRegressionInit{}, nil), diab, "progression")
	r = evaluate(t, nil, score(t, lm, diab))
	// LinearRegression on the whole of diabetes: R² 0.5177 is the known training fit.
	if r2 := metric(t, r, "Metrics", "Coefficient of Determination"); math.Abs(r2-0.5177) > 1e-3 {
		t.Errorf("diabetes R² %v", r2)
	}
	res := moduletest.MustRun(t, TrainClusteringModel{}, map[string]any{"columns": map[string]any{"rules": []any{map[string]any{"types": []string{"numeric"}}}}},
		learner(t, KMeansInit{}, map[string]any{"clusters": 3}), iris)
	r = evaluate(t, nil, res.Table(t, TrainClusteringModel{}, "results"))
	if n := metric(t, r, "Metrics", "Rows"); n != 150 {
		t.Errorf("clustered rows %v", n)
	}
}

func TestEvaluateErrors(t *testing.T) {
	noScores := mixed()
	if _, err := moduletest.Run(t, EvaluateModel{}, nil, noScores); err == nil || !strings.Contains(err.Error(), "no score columns") {
		t.Errorf("unscored table: %v", err)
	}
	m, _ := train(t, learner(t, TwoClassLogisticInit{}, nil), mixed(), "y")
	noLabel, _ := m.Score(bg, mixed().Select([]int{0, 1, 2, 3}))
	if _, err := moduletest.Run(t, EvaluateModel{}, nil, noLabel); err == nil || !strings.Contains(err.Error(), "no label column") {
		t.Errorf("scored without label: %v", err)
	}
	lm, _ := train(t, learner(t, LinearRegressionInit{}, nil), mixed(), "n")
	if _, err := moduletest.Run(t, EvaluateModel{}, nil, score(t, m, mixed()), score(t, lm, mixed())); err == nil || !strings.Contains(err.Error(), "cannot compare") {
		t.Errorf("mixed tasks: %v", err)
	}
}

func TestAssignDataToClusters(t *testing.T) {
	iris := loadCSV(t, "iris.csv")
	res := moduletest.MustRun(t, TrainClusteringModel{}, nil, learner(t, KMeansInit{}, map[string]any{"clusters": 3, "random_seed": 1}), iris.Select([]int{0, 1, 2, 3}))
	m := res.Outputs[0].(modules.Model)
	out := moduletest.MustRun(t, AssignDataToClusters{}, map[string]any{"append": false}, m, iris).Table(t, AssignDataToClusters{}, "results")
	if got := out.Schema().Names(); strings.Join(got, ",") != "Assignments,DistancesToClusterCenter no.0,DistancesToClusterCenter no.1,DistancesToClusterCenter no.2" {
		t.Errorf("columns %v", got)
	}
	if _, err := moduletest.Run(t, AssignDataToClusters{}, nil, m, iris.Select([]int{0, 1})); err == nil {
		t.Error("assigning without the trained columns: no error")
	}
	lm, _ := train(t, learner(t, TwoClassLogisticInit{}, nil), mixed(), "y")
	if _, err := moduletest.Run(t, AssignDataToClusters{}, nil, lm, mixed()); err == nil {
		t.Error("assigning with a classifier: no error")
	}
}

func TestNaiveBayesCategorical(t *testing.T) {
	// CategoricalNB(alpha=1.0) on the same toy table, scikit-learn 1.2.1
	// (testdata/reference.py): predict_proba of [0,0], [2,1], [1,2].
	a := []string{"a0", "a0", "a1", "a1", "a2", "a2", "a0", "a1"}
	b := []string{"b0", "b1", "b1", "b2", "b2", "b0", "b2", "b0"}
	y := []int64{0, 0, 0, 1, 1, 1, 1, 0}
	data := table.MustNew(table.Schema{{Name: "a", Type: table.String}, {Name: "b", Type: table.String}, {Name: "y", Type: table.Int}},
		table.NewStrings(a, nil), table.NewStrings(b, nil), table.NewInts(y, nil))
	m, _ := train(t, learner(t, TwoClassNaiveBayesInit{}, nil), data, "y")
	q := table.MustNew(table.Schema{{Name: "a", Type: table.String}, {Name: "b", Type: table.String}},
		table.NewStrings([]string{"a0", "a2", "a1", "zz"}, nil), table.NewStrings([]string{"b0", "b1", "b2", "b1"}, nil))
	got := floats(t, score(t, m, q), ScoredProbabilities)
	want := []float64{0.3076923076923076, 0.49999999999999994, 0.7272727272727274}
	for i, w := range want {
		if e := relErr(got[i], w); e > 1e-12 {
			t.Errorf("row %d P(1) = %v, scikit-learn %v", i, got[i], w)
		}
	}
	// An unseen category is left out: the row scores as if only b were known.
	onlyB := table.MustNew(table.Schema{{Name: "b", Type: table.String}, {Name: "y", Type: table.Int}}, table.NewStrings(b, nil), table.NewInts(y, nil))
	mb, _ := train(t, learner(t, TwoClassNaiveBayesInit{}, nil), onlyB, "y")
	wantUnseen := floats(t, score(t, mb, q.Select([]int{1})), ScoredProbabilities)[3]
	if got[3] != wantUnseen {
		t.Errorf("unseen category: P = %v, want %v (b alone)", got[3], wantUnseen)
	}
}
