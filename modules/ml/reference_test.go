package ml

import (
	"slices"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/moduletest"
)

// The reference values in this file come from testdata/reference.py, run
// with Debian bookworm's python3-sklearn 1.2.1 (numpy 1.24.2, scipy 1.10.1)
// on the CSV files that testdata/export.py wrote from sklearn.datasets.

func TestLinearRegressionDiabetes(t *testing.T) {
	data := loadCSV(t, "diabetes.csv")
	// LinearRegression().fit(X, y)
	want := []float64{-10.00986629981017, -239.8156436724233, 519.8459200544609, 324.3846455023238, -792.1756385522339,
		476.73902100526067, 101.0432679380352, 177.06323767134714, 751.2736995571057, 67.6266921837051}
	const wantIntercept = 152.13348416289597
	m, _ := train(t, learner(t, LinearRegressionInit{}, nil), data, "progression")
	p := m.Predictor.(*linearPredictor)
	if got := m.Features.Names(); !slices.Equal(got, []string{"age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"}) {
		t.Fatalf("features %v", got)
	}
	for j, w := range want {
		if e := relErr(p.W[j], w); e > 1e-8 {
			t.Errorf("coef %s = %v, scikit-learn %v (rel err %.2g)", m.Features.Names()[j], p.W[j], w, e)
		}
	}
	if e := relErr(p.B, wantIntercept); e > 1e-8 {
		t.Errorf("intercept = %v, scikit-learn %v", p.B, wantIntercept)
	}
}

func TestLogisticRegressionObjective(t *testing.T) {
	bc := standardized(t, loadCSV(t, "breast_cancer.csv"), "target")
	wine := standardized(t, loadCSV(t, "wine.csv"), "class")
	tests := []struct {
		name    string
		init    modules.Module
		data    string
		l1, l2  float64
		sklearn float64 // scikit-learn's objective at its solution; ours is λ times it
		lambda  float64
	}{
		// LogisticRegression(C=1.0, tol=1e-12, max_iter=100000): C·Σ logloss + ½‖w‖²
		{"binary l2 C=1", TwoClassLogisticInit{}, "bc", 0, 1, 37.758946050084674, 1},
		// LogisticRegression(C=0.1, tol=1e-12, max_iter=100000)
		{"binary l2 C=0.1", TwoClassLogisticInit{}, "bc", 0, 10, 6.627161275511757, 10},
		// Unscaled, collinear features, where preconditioning matters:
		// LogisticRegression(C=1.0, tol=1e-12, max_iter=1000000, solver='newton-cg'). (scikit-learn's
		// default lbfgs stops at 53.80346403530645 after 1694 iterations, 1.6e-4 above the optimum.)
		{"binary l2 C=1 unscaled", TwoClassLogisticInit{}, "bc raw", 0, 1, 53.79461123048324, 1},
		// LogisticRegression(penalty='l1', C=1.0, solver='saga', tol=1e-12, max_iter=1000000): C·Σ logloss + ‖w‖₁
		{"binary l1 C=1", TwoClassLogisticInit{}, "bc", 1, 0, 46.08168566007876, 1},
		// LogisticRegression(C=1.0, tol=1e-12, max_iter=100000), multinomial on wine
		{"multinomial l2 C=1", MulticlassLogisticInit{}, "wine", 0, 1, 12.090335793448073, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, label := bc, "target"
			if tt.data == "bc raw" {
				data = loadCSV(t, "breast_cancer.csv")
			}
			if tt.data == "wine" {
				data, label = wine, "class"
			}
			l := learner(t, tt.init, map[string]any{"l1_weight": tt.l1, "l2_weight": tt.l2, "optimization_tolerance": 1e-10})
			m, _ := train(t, l, data, label)
			p := m.Predictor.(*logisticPredictor)
			got := p.Objective / tt.lambda
			if e := relErr(got, tt.sklearn); e > 1e-6 {
				t.Errorf("objective/λ = %.15g, scikit-learn %.15g (rel err %.2g, %d iterations)", got, tt.sklearn, e, p.Iterations)
			}
		})
	}
}

func TestKMeansIris(t *testing.T) {
	data := loadCSV(t, "iris.csv")
	// KMeans(n_clusters=3, n_init=10, random_state=0).fit(X).inertia_ on the
	// four measurements: the known optimum.
	const optimum = 78.851441426146
	res := moduletest.MustRun(t, TrainClusteringModel{}, map[string]any{
		"columns": []string{"sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"}},
		learner(t, KMeansInit{}, map[string]any{"clusters": 3, "random_seed": 7}), data)
	m := res.Outputs[0].(*Model)
	p := m.Predictor.(*kmeansPredictor)
	if e := relErr(p.Inertia, optimum); e > 1e-9 {
		t.Errorf("inertia = %.15g, optimum %.15g", p.Inertia, optimum)
	}
	out := res.Table(t, TrainClusteringModel{}, "results")
	sizes := make([]int, 3)
	for _, a := range floats(t, out, Assignments) {
		sizes[int(a)]++
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{38, 50, 62}) {
		t.Errorf("cluster sizes %v, want [38 50 62]", sizes)
	}
	// The inertia is also the sum of squared distances to the assigned centres.
	sum := 0.0
	assign := floats(t, out, Assignments)
	for i, a := range assign {
		d := floats(t, out, DistancePrefix+string(rune('0'+int(a))))[i]
		sum += d * d
	}
	if e := relErr(sum, optimum); e > 1e-9 {
		t.Errorf("Σ distance² = %v, want %v", sum, optimum)
	}
}

func TestNaiveBayesIris(t *testing.T) {
	data := loadCSV(t, "iris.csv")
	// GaussianNB().fit(X, species).predict_proba(X[[0, 50, 70, 100, 133]])
	rows := []int{0, 50, 70, 100, 133}
	want := [][]float64{
		{1.0, 1.3578426545097534e-18, 7.112835116303153e-26},
		{3.213809354266301e-109, 0.8040376655396823, 0.19596233446031797},
		{2.591538028250168e-130, 0.15449408494388256, 0.8455059150561174},
		{3.2324518072371566e-254, 6.353810311595854e-11, 0.9999999999364619},
		{2.6838258262863244e-131, 0.7126451442155288, 0.2873548557844708},
	}
	m, _ := train(t, learner(t, MulticlassNaiveBayesInit{}, nil), data, "species")
	out := score(t, m, data.Take(rows))
	for c, class := range []string{"setosa", "versicolor", "virginica"} {
		got := floats(t, out, ScoredProbabilities+"_"+class)
		for i := range rows {
			if e := relErr(got[i], want[i][c]); e > 1e-9 {
				t.Errorf("row %d P(%s) = %v, scikit-learn %v (rel err %.2g)", rows[i], class, got[i], want[i][c], e)
			}
		}
	}
}
