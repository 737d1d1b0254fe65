package ml

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/parallel"
	"github.com/trellis-studio/trellis/modules/table"
)

func TestRegistry(t *testing.T) {
	r, err := modules.NewRegistry(Modules()...)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Specs() {
		if s.ID == "train_model" || s.ID == "train_clustering_model" {
			if !s.Stateful {
				t.Errorf("%s is not stateful", s.ID)
			}
		}
	}
}

// mixed is a small table with every kind of feature, nulls and NaN.
func mixed() *table.Table {
	nullAt := func(n int, rows ...int) table.Bitmap {
		b := table.NewBitmap(n)
		for _, r := range rows {
			b.Set(r, false)
		}
		return b
	}
	return table.MustNew(table.Schema{
		{Name: "x", Type: table.Float},
		{Name: "color", Type: table.String},
		{Name: "n", Type: table.Int, Categorical: true},
		{Name: "flag", Type: table.Bool},
		{Name: "id", Type: table.Int, Role: table.Ignore},
		{Name: "old score", Type: table.Float, Role: table.Score},
		{Name: "y", Type: table.String},
	},
		table.NewFloats([]float64{1, 2, math.NaN(), 4, 5, 6}, nullAt(6, 4)),
		table.NewStrings([]string{"red", "blue", "red", "", "green", "blue"}, nullAt(6, 3)),
		table.NewInts([]int64{10, 2, 10, 2, 2, 10}, nil),
		table.NewBools([]bool{true, false, true, false, true, false}, nil),
		table.NewInts([]int64{1, 2, 3, 4, 5, 6}, nil),
		table.NewFloats([]float64{0, 0, 0, 0, 0, 0}, nil),
		table.NewStrings([]string{"no", "yes", "no", "yes", "yes", "no"}, nil),
	)
}

func TestFeaturesOneHot(t *testing.T) {
	f, err := FitFeatures(bg, mixed(), "y", FeatureOptions{Encoding: OneHot, Missing: Impute})
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"x", "color=blue", "color=green", "color=red", "n=2", "n=10", "flag"}
	if got := f.Names(); !slices.Equal(got, wantNames) {
		t.Fatalf("names %v, want %v (categories sorted by value: 2 before 10)", got, wantNames)
	}
	if f.Columns[0].Mean != 13.0/4 {
		t.Errorf("mean of x = %v, want 13/4 (null and NaN left out)", f.Columns[0].Mean)
	}
	// Scoring data: an unseen color, a missing color, a missing x.
	score := table.MustNew(table.Schema{
		{Name: "flag", Type: table.Bool}, {Name: "n", Type: table.Int}, {Name: "color", Type: table.String}, {Name: "x", Type: table.Float}},
		table.NewBools([]bool{true, false}, nil), table.NewInts([]int64{2, 7}, nil),
		table.NewStrings([]string{"purple", ""}, func() table.Bitmap { b := table.NewBitmap(2); b.Set(1, false); return b }()),
		table.NewFloats([]float64{math.NaN(), 3}, nil))
	m, err := f.Encode(bg, score)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float64{{13.0 / 4, 0, 0, 0, 1, 0, 1}, {3, 0, 0, 0, 0, 0, 0}}
	for i, row := range want {
		if got := m.Row(i, nil); !slices.Equal(got, row) {
			t.Errorf("row %d = %v, want %v", i, got, row)
		}
	}
}

func TestFeaturesCodes(t *testing.T) {
	f, err := FitFeatures(bg, mixed(), "y", FeatureOptions{Encoding: Codes, Missing: NaN})
	if err != nil {
		t.Fatal(err)
	}
	if f.Width() != 4 || f.Cardinality(1) != 3 || f.Cardinality(2) != 2 || f.Cardinality(0) != 0 {
		t.Fatalf("width %d, cardinalities %d %d %d", f.Width(), f.Cardinality(0), f.Cardinality(1), f.Cardinality(2))
	}
	m, err := f.Encode(bg, mixed())
	if err != nil {
		t.Fatal(err)
	}
	// color: blue 0, green 1, red 2; null → NaN. x: NaN and null → NaN.
	wantColor := []float64{2, 0, 2, math.NaN(), 1, 0}
	for i, w := range wantColor {
		if g := m.Cols[1][i]; g != w && !(math.IsNaN(g) && math.IsNaN(w)) {
			t.Errorf("color row %d = %v, want %v", i, g, w)
		}
	}
	if !math.IsNaN(m.Cols[0][2]) || !math.IsNaN(m.Cols[0][4]) {
		t.Errorf("x missing values = %v, %v; want NaN", m.Cols[0][2], m.Cols[0][4])
	}
	// Unseen category under Codes → the reserved code K.
	u := table.MustNew(table.Schema{{Name: "x", Type: table.Float}, {Name: "color", Type: table.String},
		{Name: "n", Type: table.Int}, {Name: "flag", Type: table.Bool}},
		table.NewFloats([]float64{1}, nil), table.NewStrings([]string{"teal"}, nil), table.NewInts([]int64{3}, nil), table.NewBools([]bool{true}, nil))
	m, err = f.Encode(bg, u)
	if err != nil {
		t.Fatal(err)
	}
	if m.Cols[1][0] != 3 || m.Cols[2][0] != 2 {
		t.Errorf("unseen codes = %v, %v; want 3, 2", m.Cols[1][0], m.Cols[2][0])
	}
}

func TestFeaturesErrors(t *testing.T) {
	f, err := FitFeatures(bg, mixed(), "y", FeatureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	noX := mixed().Select([]int{1, 2, 3})
	if _, err := f.Encode(bg, noX); !errors.Is(err, table.ErrColumnNotFound) || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("missing feature column: %v", err)
	}
	s := mixed().Schema()
	strX := table.MustNew(table.Schema{{Name: "x", Type: table.String}, s[1], s[2], s[3]},
		table.NewStrings(make([]string, 6), nil), mixed().Column(1), mixed().Column(2), mixed().Column(3))
	if _, err := f.Encode(bg, strX); err == nil || !strings.Contains(err.Error(), "string now") {
		t.Errorf("numeric feature given as string: %v", err)
	}
	inf := table.MustNew(table.Schema{{Name: "x", Type: table.Float}, {Name: "y", Type: table.Int}},
		table.NewFloats([]float64{1, math.Inf(1)}, nil), table.NewInts([]int64{0, 1}, nil))
	if _, err := FitFeatures(bg, inf, "y", FeatureOptions{}); err == nil || !strings.Contains(err.Error(), "row 2") {
		t.Errorf("infinite feature: %v", err)
	}
	only := table.MustNew(table.Schema{{Name: "y", Type: table.Int}}, table.NewInts([]int64{0, 1}, nil))
	if _, err := FitFeatures(bg, only, "y", FeatureOptions{}); err == nil {
		t.Error("no features: no error")
	}
}

func TestLabelErrors(t *testing.T) {
	labelled := func(c table.Column) *table.Table {
		return table.MustNew(table.Schema{{Name: "x", Type: table.Float}, {Name: "y", Type: c.Type()}},
			table.NewFloats([]float64{1, 2, 3}, nil), c)
	}
	nulls := table.NewBitmap(3)
	nulls.Set(1, false)
	tests := []struct {
		name string
		init modules.Module
		data *table.Table
		want string
	}{
		{"null label names the row", TwoClassLogisticInit{}, labelled(table.NewStrings([]string{"a", "", "b"}, nulls)), "row 2"},
		{"constant label", TwoClassLogisticInit{}, labelled(table.NewStrings([]string{"a", "a", "a"}, nil)), "single class"},
		{"three classes for two-class", TwoClassLogisticInit{}, labelled(table.NewInts([]int64{1, 2, 3}, nil)), "3 classes"},
		{"constant regression label", LinearRegressionInit{}, labelled(table.NewFloats([]float64{4, 4, 4}, nil)), "same value"},
		{"string regression label", LinearRegressionInit{}, labelled(table.NewStrings([]string{"a", "b", "c"}, nil)), "numeric label"},
		{"NaN label", LinearRegressionInit{}, labelled(table.NewFloats([]float64{1, math.NaN(), 2}, nil)), "row 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := moduletest.Run(t, TrainModel{}, map[string]any{"label": "y"}, learner(t, tt.init, nil), tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	_, err := moduletest.Run(t, TrainModel{}, map[string]any{"label": "nope"}, learner(t, TwoClassLogisticInit{}, nil), mixed())
	var pe *modules.ParamError
	if !errors.As(err, &pe) || pe.Param != "label" || !errors.Is(err, table.ErrColumnNotFound) {
		t.Errorf("missing label column: %v", err)
	}
	if _, err := moduletest.Infer(t, TrainModel{}, map[string]any{"label": "nope"}, nil, mixed().Schema()); !errors.As(err, &pe) {
		t.Errorf("Infer with a missing label column: %v", err)
	}
}

// TestLabelTypes checks that Scored Labels keeps the label's type and the
// positive class is the greater one.
func TestLabelTypes(t *testing.T) {
	x := table.NewFloats([]float64{-2, -1, -0.5, 0.5, 1, 2}, nil)
	for _, tc := range []struct {
		label table.Column
		pos   any
	}{
		{table.NewInts([]int64{10, 10, 2, 10, 2, 2}, nil), int64(10)},
		{table.NewBools([]bool{false, false, false, true, true, true}, nil), true},
		{table.NewStrings([]string{"b", "b", "b", "a", "a", "a"}, nil), "b"},
	} {
		data := table.MustNew(table.Schema{{Name: "x", Type: table.Float}, {Name: "y", Type: tc.label.Type()}}, x, tc.label)
		m, _ := train(t, learner(t, TwoClassLogisticInit{}, map[string]any{"l1_weight": 0, "l2_weight": 0.01}), data, "y")
		if m.Label.Type != tc.label.Type() {
			t.Errorf("label type %s, want %s", m.Label.Type, tc.label.Type())
		}
		out := score(t, m, data)
		sl, _, _ := out.Lookup(ScoredLabels)
		sp := floats(t, out, ScoredProbabilities)
		if sl.Type() != tc.label.Type() {
			t.Errorf("Scored Labels is %s, want %s", sl.Type(), tc.label.Type())
		}
		for i := range out.NumRows() {
			if (sp[i] > 0.5) != (sl.Value(i) == tc.pos) {
				t.Errorf("%s row %d: P = %v but label %v (positive %v)", tc.label.Type(), i, sp[i], sl.Value(i), tc.pos)
			}
		}
	}
}

// TestEveryLearnerRoundTrip trains each learner, serializes the model,
// decodes it, and checks that both score the same bits, twice over.
func TestEveryLearnerRoundTrip(t *testing.T) {
	iris := loadCSV(t, "iris.csv")
	bc := loadCSV(t, "breast_cancer.csv")
	diab := loadCSV(t, "diabetes.csv")
	tests := []struct {
		name  string
		init  modules.Module
		data  *table.Table
		label string
		p     map[string]any
	}{
		{"ols", LinearRegressionInit{}, diab, "progression", nil},
		{"ridge", LinearRegressionInit{}, diab, "progression", map[string]any{"l2_weight": 0.1}},
		{"sgd", LinearRegressionInit{}, diab, "progression", map[string]any{"solution_method": MethodOGD, "random_seed": 3}},
		{"two-class logistic", TwoClassLogisticInit{}, bc, "target", nil},
		{"multiclass logistic", MulticlassLogisticInit{}, iris, "species", nil},
		{"two-class bayes", TwoClassNaiveBayesInit{}, bc, "target", nil},
		{"multiclass bayes", MulticlassNaiveBayesInit{}, mixed(), "y", nil},
		{"kmeans", KMeansInit{}, iris, "species", map[string]any{"clusters": 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := learner(t, tt.init, tt.p)
			m1, err := l.Train(bg, tt.data, tt.label)
			if err != nil {
				t.Fatal(err)
			}
			m2, err := l.Train(bg, tt.data, tt.label)
			if err != nil {
				t.Fatal(err)
			}
			b1, _ := MarshalModel(m1)
			b2, _ := MarshalModel(m2)
			if string(b1) != string(b2) {
				t.Fatal("training twice gave different models")
			}
			var env map[string]any
			if err := json.Unmarshal(b1, &env); err != nil || env["format"] != "trellis-model" || env["version"] != 1.0 {
				t.Fatalf("envelope %v, %v", env["format"], err)
			}
			d, err := UnmarshalModel(b1)
			if err != nil {
				t.Fatal(err)
			}
			b3, _ := MarshalModel(d)
			if string(b1) != string(b3) {
				t.Errorf("re-encoding the decoded model changed it:\n%s\n%s", b1, b3)
			}
			s1, err := m1.Score(bg, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			s2, err := d.Score(bg, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if !table.Equal(s1, s2) {
				t.Error("the decoded model scores differently")
			}
			// A row scored alone gives the bits it gets among all rows.
			one, err := d.Score(bg, tt.data.Take([]int{tt.data.NumRows() - 1}))
			if err != nil {
				t.Fatal(err)
			}
			if !table.Equal(one, s1.Take([]int{tt.data.NumRows() - 1})) {
				t.Error("a row scored alone differs from the same row scored in a block")
			}
		})
	}
}

func TestUnmarshalModelErrors(t *testing.T) {
	m, _ := train(t, learner(t, TwoClassLogisticInit{}, nil), mixed(), "y")
	good, _ := MarshalModel(m)
	for _, tc := range []struct{ name, from, to string }{
		{"format", `"trellis-model"`, `"other"`},
		{"version", `"version":1,"algorithm"`, `"version":2,"algorithm"`},
		{"algorithm", `"logistic_regression"`, `"nope"`},
		{"task", `"binary_classification"`, `"regression"`},
		{"weights", `"weights":[[`, `"weights":[[1,`},
	} {
		bad := strings.Replace(string(good), tc.from, tc.to, 1)
		if bad == string(good) {
			t.Fatalf("%s: no replacement in %s", tc.name, good)
		}
		if _, err := UnmarshalModel([]byte(bad)); err == nil {
			t.Errorf("%s: decoded a corrupt model", tc.name)
		}
	}
}

// TestTrainModelState checks that Apply with recorded state reproduces the
// model without training (the learner may even change).
func TestTrainModelState(t *testing.T) {
	data := loadCSV(t, "breast_cancer.csv")
	m, state := train(t, learner(t, TwoClassLogisticInit{}, nil), data, "target")
	other := learner(t, TwoClassLogisticInit{}, map[string]any{"l2_weight": 50})
	res, err := moduletest.Apply(t, TrainModel{}, map[string]any{"label": "target"}, state, other, data)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := MarshalModel(m)
	b2, _ := MarshalModel(res.Outputs[0].(modules.Model))
	if string(b1) != string(b2) {
		t.Error("Apply with recorded state gave another model")
	}
}

// TestInferChain checks that Infer, from schemas alone, predicts the scored
// schemas the runs produce.
func TestInferChain(t *testing.T) {
	data := mixed()
	for _, tc := range []struct {
		init  modules.Module
		label string
	}{
		{TwoClassLogisticInit{}, "y"},
		{LinearRegressionInit{}, "n"},
		{MulticlassLogisticInit{}, "y"},
	} {
		ctx := func(m modules.Module, params map[string]any, inputs ...*modules.Shape) []*modules.Shape {
			p, err := moduletest.Params(m, params)
			if err != nil {
				t.Fatal(err)
			}
			sh, err := m.Infer(&modules.InferContext{Spec: modules.SpecOf(m), Params: p, Inputs: inputs, Ctx: bg})
			if err != nil {
				t.Fatal(err)
			}
			return sh
		}
		ls := ctx(tc.init, nil)[0]
		ms := ctx(TrainModel{}, map[string]any{"label": tc.label}, ls, modules.TableShape(data.Schema()))[0]
		if ms.Task == "" {
			t.Fatalf("no task inferred")
		}
		ss := ctx(ScoreModel{}, nil, ms, modules.TableShape(data.Schema()))[0]
		m, _ := train(t, learner(t, tc.init, nil), data, tc.label)
		got := score(t, m, data).Schema()
		if ms.Task == modules.TaskMulticlass {
			if ss != nil {
				t.Errorf("multiclass: inferred %v before the classes are known", ss.Schema)
			}
			continue
		}
		if ss == nil || !slices.Equal(ss.Schema, got) {
			t.Errorf("%s: inferred %v, scored %v", ms.Task, ss, got)
		}
		if ms.Label == nil || ms.Label.Name != tc.label {
			t.Errorf("trained-model shape label %v", ms.Label)
		}
	}
}

func TestScoreAssignsLabelRole(t *testing.T) {
	m, _ := train(t, learner(t, TwoClassLogisticInit{}, nil), mixed(), "y")
	out := score(t, m, mixed())
	f, _ := out.Schema().Field("y")
	if f.Role != table.Label {
		t.Errorf("label role %s", f.Role)
	}
	for _, name := range []string{ScoredLabels, ScoredProbabilities} {
		if f, _ := out.Schema().Field(name); f.Role != table.Score {
			t.Errorf("%s role %s", name, f.Role)
		}
	}
	// An empty table scores to an empty table with the score columns.
	if e, err := m.Score(bg, mixed().Take(nil)); err != nil || e.NumRows() != 0 || e.Schema().Index(ScoredProbabilities) < 0 {
		t.Errorf("empty table: %v", err)
	}
	// Scoring without the label column works.
	noLabel := mixed().Select([]int{0, 1, 2, 3})
	if _, err := m.Score(bg, noLabel); err != nil {
		t.Errorf("scoring without the label: %v", err)
	}
}

// TestScoreNaNImputed checks the fast scoring path: a NaN or null feature
// in a float column scores exactly as its training mean, for every learner
// that imputes.
func TestScoreNaNImputed(t *testing.T) {
	diab := loadCSV(t, "diabetes.csv")
	bc := loadCSV(t, "breast_cancer.csv")
	for _, tc := range []struct {
		init  modules.Module
		data  *table.Table
		label string
	}{
		{LinearRegressionInit{}, diab, "progression"},
		{TwoClassLogisticInit{}, bc, "target"},
		{KMeansInit{}, diab, ""},
	} {
		l := learner(t, tc.init, nil)
		m, err := l.Train(bg, tc.data, tc.label)
		if err != nil {
			t.Fatal(err)
		}
		mean := m.(*Model).Features.Columns[0].Mean
		name := m.(*Model).Features.Columns[0].Name
		col, ci, _ := tc.data.Lookup(name)
		vals := append([]float64(nil), col.(*table.Floats).Data()...)
		withMean := append([]float64(nil), vals...)
		// Row 3000 of a repeated table lands in a later block than row 1.
		rows := make([]int, 5000)
		for i := range rows {
			rows[i] = i % tc.data.NumRows()
		}
		vals[1], withMean[1] = math.NaN(), mean
		f := tc.data.Field(ci)
		a, _ := tc.data.WithColumn(f, table.NewFloats(vals, nil))
		b, _ := tc.data.WithColumn(f, table.NewFloats(withMean, nil))
		sa, err := m.Score(bg, a.Take(rows))
		if err != nil {
			t.Fatal(err)
		}
		sb, _ := m.Score(bg, b.Take(rows))
		if !table.Equal(sa.Select(scoreCols(sa)), sb.Select(scoreCols(sb))) {
			t.Errorf("%s: a NaN feature does not score as its training mean", tc.init.Spec().ID)
		}
	}
}

func scoreCols(t *table.Table) []int {
	var out []int
	for i := range t.NumCols() {
		if t.Field(i).Role == table.Score {
			out = append(out, i)
		}
	}
	return out
}

// TestScoreDoesNotDependOnRowPosition shifts a table down by 0–5 rows and
// across a block boundary: every row must score the same bits wherever it
// lands (in a vector of four or in a tail, early or late in a block), and
// Score must agree with Predict, which takes the row-major path.
func TestScoreDoesNotDependOnRowPosition(t *testing.T) {
	diab := loadCSV(t, "diabetes.csv")
	bc := loadCSV(t, "breast_cancer.csv")
	for _, tc := range []struct {
		name  string
		init  modules.Module
		data  *table.Table
		label string
	}{
		{"linear regression", LinearRegressionInit{}, diab, "progression"},
		{"two-class logistic", TwoClassLogisticInit{}, bc, "target"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := learner(t, tc.init, nil).Train(bg, tc.data, tc.label)
			if err != nil {
				t.Fatal(err)
			}
			n := tc.data.NumRows()
			// Enough copies of the data to span several blocks.
			base := make([]int, 3*scoreBlock+7)
			for i := range base {
				base[i] = i % n
			}
			var want []float64
			for shift := range 6 {
				rows := append(make([]int, shift), base...)
				out, err := m.Score(bg, tc.data.Take(rows))
				if err != nil {
					t.Fatal(err)
				}
				name := ScoredProbabilities
				if tc.label == "progression" {
					name = ScoredLabels
				}
				col, _, _ := out.Lookup(name)
				got := col.(*table.Floats).Data()[shift:]
				if shift == 0 {
					want = got
					raw, err := m.(*Model).Predict(bg, tc.data.Take(rows))
					if err != nil {
						t.Fatal(err)
					}
					w := m.(*Model).Width()
					for i, v := range got {
						if p := raw[i*w+w-1]; math.Float64bits(p) != math.Float64bits(v) {
							t.Fatalf("row %d: Score %v, Predict %v", i, v, p)
						}
					}
					continue
				}
				for i := range want {
					if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
						t.Fatalf("shifted by %d, row %d: %v, unshifted %v", shift, i, got[i], want[i])
					}
				}
			}
		})
	}
}

// panicky is a predictor with a bug.
type panicky struct{}

func (panicky) Predict(x *Matrix, out []float64) { out[len(out)] = 1 }

// TestScorePanicReachesTheCaller checks that a predictor's panic on a
// scoring worker comes back on the goroutine that called Score, where the
// engine turns it into a failed node, instead of ending the process.
func TestScorePanicReachesTheCaller(t *testing.T) {
	bc := loadCSV(t, "breast_cancer.csv")
	m, _ := train(t, learner(t, TwoClassLogisticInit{}, nil), bc, "target")
	m.Predictor = panicky{}
	defer func() {
		p, ok := recover().(*parallel.Panic)
		if !ok || !strings.Contains(p.Error(), "index out of range") {
			t.Errorf("recovered %v, want a *parallel.Panic", p)
		}
	}()
	m.Score(bg, bc)
	t.Error("Score returned")
}

// TestScoreReportsProgress checks that scoring reports the share of rows
// done, once a block, reaching 1.
func TestScoreReportsProgress(t *testing.T) {
	diab := loadCSV(t, "diabetes.csv")
	m, _ := train(t, learner(t, LinearRegressionInit{}, nil), diab, "progression")
	rows := make([]int, 3*scoreBlock+5)
	for i := range rows {
		rows[i] = i % diab.NumRows()
	}
	var mu sync.Mutex
	var got []float64
	if _, err := m.ScoreProgress(bg, diab.Take(rows), func(f float64) {
		mu.Lock()
		got = append(got, f)
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || slices.Max(got) != 1 || slices.Min(got) <= 0 {
		t.Errorf("progress %v, want 4 reports up to 1", got)
	}
}
