package ml

import (
	"math"
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

func section(t *testing.T, r *modules.Report, prefix string) modules.ReportSection {
	t.Helper()
	for _, s := range r.Sections {
		if strings.HasPrefix(s.Title, prefix) {
			return s
		}
	}
	t.Fatalf("no section %q in %+v", prefix, r.Sections)
	return modules.ReportSection{}
}

func TestSummaryOfALogisticModel(t *testing.T) {
	bc := loadCSV(t, "breast_cancer.csv")
	m, _ := train(t, learner(t, TwoClassLogisticInit{}, nil), bc, "target")
	p := m.Predictor.(*logisticPredictor)
	r := m.Summary()
	if got := metric(t, r, "Training", "Intercept"); got != p.B[0] {
		t.Errorf("intercept %v, want %v", got, p.B[0])
	}
	w := section(t, r, "Weights").Table
	if w.NumRows() != len(p.W[0]) {
		t.Fatalf("%d weights, want %d", w.NumRows(), len(p.W[0]))
	}
	names := w.Column(0).(*table.Strings).Data()
	vals := w.Column(1).(*table.Floats).Data()
	byName := map[string]float64{}
	for j, n := range m.Features.Names() {
		byName[n] = p.W[0][j]
	}
	for i := range vals {
		if vals[i] != byName[names[i]] {
			t.Errorf("row %d: %s weighs %v, the model %v", i, names[i], vals[i], byName[names[i]])
		}
		if i > 0 && math.Abs(vals[i]) > math.Abs(vals[i-1]) {
			t.Errorf("row %d (%v) outweighs row %d (%v): not sorted", i, vals[i], i-1, vals[i-1])
		}
	}
	if f := section(t, r, "Features").Table; f.NumRows() != len(m.Features.Columns) {
		t.Errorf("features table has %d rows, want %d", f.NumRows(), len(m.Features.Columns))
	}
}

func TestSummaryOfEveryLearner(t *testing.T) {
	iris := loadCSV(t, "iris.csv")
	diab := loadCSV(t, "diabetes.csv")
	for _, tc := range []struct {
		name     string
		init     modules.Module
		data     *table.Table
		label    string
		sections []string
	}{
		{"multiclass logistic", MulticlassLogisticInit{}, iris, "species", []string{"Model", "Training", "Weights by class", "Features"}},
		{"linear regression", LinearRegressionInit{}, diab, "progression", []string{"Model", "Coefficients", "Weights", "Features"}},
		{"forest", MulticlassDecisionForestInit{}, iris, "species", []string{"Model", "Trees", "Feature use", "Features"}},
		{"boosted", BoostedTreeRegressionInit{}, diab, "progression", []string{"Model", "Trees", "Feature use", "Features"}},
		{"naive Bayes", MulticlassNaiveBayesInit{}, iris, "species", []string{"Model", "Features"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := train(t, learner(t, tc.init, nil), tc.data, tc.label)
			r := m.Summary()
			var got []string
			for _, s := range r.Sections {
				got = append(got, strings.SplitN(s.Title, " (", 2)[0])
			}
			if strings.Join(got, "|") != strings.Join(tc.sections, "|") {
				t.Errorf("sections %q, want %q", got, tc.sections)
			}
		})
	}
	// A forest's feature shares add up to 1; its tree count is the learner's.
	m, _ := train(t, learner(t, MulticlassDecisionForestInit{}, map[string]any{"num_trees": 7}), iris, "species")
	r := m.Summary()
	if n := metric(t, r, "Trees", "Trees"); n != 7 {
		t.Errorf("%v trees, want 7", n)
	}
	sum := 0.0
	for _, v := range section(t, r, "Feature use").Table.Column(1).(*table.Floats).Data() {
		sum += v
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("feature shares add up to %v", sum)
	}
	// k-means: a column per centre.
	km, err := learner(t, KMeansInit{}, map[string]any{"clusters": 3}).Train(bg, iris, "")
	if err != nil {
		t.Fatal(err)
	}
	if c := section(t, km.(*Model).Summary(), "Centres").Table; c.NumCols() != 4 {
		t.Errorf("centres table %s, want a feature column and 3 clusters", c.Schema())
	}
}
