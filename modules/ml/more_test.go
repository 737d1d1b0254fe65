package ml

import (
	"slices"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

func inferOne(t *testing.T, m modules.Module, params map[string]any, inputs ...*modules.Shape) []*modules.Shape {
	t.Helper()
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

func TestInferClustering(t *testing.T) {
	iris := loadCSV(t, "iris.csv")
	in := modules.TableShape(iris.Schema())
	for _, appendCols := range []bool{true, false} {
		ls := inferOne(t, KMeansInit{}, map[string]any{"clusters": 3})[0]
		tr := inferOne(t, TrainClusteringModel{}, map[string]any{"append": appendCols}, ls, in)
		as := inferOne(t, AssignDataToClusters{}, map[string]any{"append": appendCols}, tr[0], in)
		res := moduletest.MustRun(t, TrainClusteringModel{}, map[string]any{"append": appendCols},
			learner(t, KMeansInit{}, map[string]any{"clusters": 3}), iris)
		got := res.Table(t, TrainClusteringModel{}, "results").Schema()
		if tr[1] == nil || !slices.Equal(tr[1].Schema, got) {
			t.Errorf("append %v: Train Clustering Model inferred %v, produced %v", appendCols, tr[1], got)
		}
		out := moduletest.MustRun(t, AssignDataToClusters{}, map[string]any{"append": appendCols}, res.Outputs[0], iris)
		if got := out.Table(t, AssignDataToClusters{}, "results").Schema(); as[0] == nil || !slices.Equal(as[0].Schema, got) {
			t.Errorf("append %v: Assign inferred %v, produced %v", appendCols, as[0], got)
		}
	}
	// A classifier into Train Clustering Model is refused at Infer time.
	ls := inferOne(t, TwoClassLogisticInit{}, nil)[0]
	p, _ := moduletest.Params(TrainClusteringModel{}, nil)
	if _, err := (TrainClusteringModel{}).Infer(&modules.InferContext{Spec: modules.SpecOf(TrainClusteringModel{}), Params: p,
		Inputs: []*modules.Shape{ls, in}, Ctx: bg}); err == nil {
		t.Error("a two-class learner into Train Clustering Model: no error")
	}
}

func TestOnlineGradientDescent(t *testing.T) {
	diab := loadCSV(t, "diabetes.csv")
	ols, _ := train(t, learner(t, LinearRegressionInit{}, nil), diab, "progression")
	sgd, _ := train(t, learner(t, LinearRegressionInit{}, map[string]any{"solution_method": MethodOGD, "epochs": 200, "learning_rate": 0.01}), diab, "progression")
	r2 := func(m modules.Model) float64 {
		s := score(t, m, diab)
		y, yh := floats(t, s, "progression"), floats(t, s, ScoredLabels)
		var mean, res, tot float64
		for _, v := range y {
			mean += v / float64(len(y))
		}
		for i := range y {
			res += (y[i] - yh[i]) * (y[i] - yh[i])
			tot += (y[i] - mean) * (y[i] - mean)
		}
		return 1 - res/tot
	}
	a, b := r2(ols), r2(sgd)
	if b < a-0.01 || b > a+1e-12 {
		t.Errorf("gradient descent R² %v, least squares %v", b, a)
	}
}

func TestTunable(t *testing.T) {
	for _, m := range Modules() {
		lb, ok := m.(learnerBuilder)
		if !ok {
			continue
		}
		l := learner(t, lb, nil)
		tu, ok := l.(Tunable)
		if !ok {
			t.Errorf("%s is not Tunable", m.Spec().ID)
			continue
		}
		for _, h := range tu.HyperParams() {
			if _, ok := m.Spec().Param(h.Name); !ok {
				t.Errorf("%s: hyper-parameter %q is not a module parameter", m.Spec().ID, h.Name)
			}
			if h.Low == 0 && h.High == 0 {
				continue // the sweep uses Min and Max
			}
			if h.Log && h.Low <= 0 || h.Low > h.High || h.Low < h.Min || h.High > h.Max {
				t.Errorf("%s: %s range [%v, %v] within [%v, %v]", m.Spec().ID, h.Name, h.Low, h.High, h.Min, h.Max)
			}
			if _, err := tu.With(map[string]float64{h.Name: h.Grid[0]}); err != nil {
				t.Errorf("%s: With(%s=%v): %v", m.Spec().ID, h.Name, h.Grid[0], err)
			}
		}
		if _, err := tu.With(map[string]float64{"nope": 1}); err == nil {
			t.Errorf("%s: With accepts an unknown name", m.Spec().ID)
		}
	}
	l := learner(t, TwoClassLogisticInit{}, nil).(Tunable)
	c, _ := l.With(map[string]float64{"l2_weight": 3})
	if c.(*LogisticRegression).L2 != 3 || l.(*LogisticRegression).L2 != 1 {
		t.Error("With must copy")
	}
}

func TestEvaluateSingleClassPresent(t *testing.T) {
	// Only positives in the evaluation rows: AUC is undefined and left out,
	// accuracy is still reported, and the report encodes.
	tb := table.MustNew(table.Schema{{Name: "y", Type: table.Int, Role: table.Label},
		{Name: ScoredLabels, Type: table.Int, Role: table.Score}, {Name: ScoredProbabilities, Type: table.Float, Role: table.Score}},
		table.NewInts([]int64{1, 1, 1}, nil), table.NewInts([]int64{1, 1, 0}, nil), table.NewFloats([]float64{0.9, 0.8, 0.2}, nil))
	r := evaluate(t, nil, tb)
	if acc := metric(t, r, "Metrics", "Accuracy"); acc != 2.0/3 {
		t.Errorf("accuracy %v", acc)
	}
	for _, m := range r.Sections[0].Metrics {
		if m.Name == "AUC" {
			t.Errorf("AUC %v reported with one class", m.Value)
		}
	}
}
