package ml

import (
	"errors"
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

// TestLoadTrainedModelScoresAsTrained exports models of several kinds, loads
// each through the module, and checks the loaded model scores the same bits
// and infers the shape Train Model infers.
func TestLoadTrainedModelScoresAsTrained(t *testing.T) {
	iris := loadCSV(t, "iris.csv")
	bc := loadCSV(t, "breast_cancer.csv")
	diab := loadCSV(t, "diabetes.csv")
	for _, tc := range []struct {
		name  string
		init  modules.Module
		data  *table.Table
		label string
	}{
		{"two-class logistic", TwoClassLogisticInit{}, bc, "target"},
		{"multiclass forest", MulticlassDecisionForestInit{}, iris, "species"},
		{"boosted regression", BoostedTreeRegressionInit{}, diab, "progression"},
		{"linear regression", LinearRegressionInit{}, diab, "progression"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := train(t, learner(t, tc.init, nil), tc.data, tc.label)
			b, err := MarshalModel(m)
			if err != nil {
				t.Fatal(err)
			}
			res := moduletest.MustRun(t, LoadTrainedModel{}, map[string]any{"model": string(b)})
			loaded, ok := res.Outputs[0].(*Model)
			if !ok {
				t.Fatalf("output %T", res.Outputs[0])
			}
			if !table.Equal(score(t, loaded, tc.data), score(t, m, tc.data)) {
				t.Error("the loaded model scores differently")
			}
			shapes, err := moduletest.Infer(t, LoadTrainedModel{}, map[string]any{"model": string(b)})
			if err != nil {
				t.Fatal(err)
			}
			s := shapes[0]
			if s.Kind != modules.KindTrainedModel || s.Task != m.Kind || s.Label == nil || s.Label.Name != tc.label ||
				s.Schema.String() != m.scoreFields().String() {
				t.Errorf("inferred %+v", s)
			}
		})
	}
}

func TestLoadTrainedModelErrorsNameTheParameter(t *testing.T) {
	bc := loadCSV(t, "breast_cancer.csv")
	m, _ := train(t, learner(t, TwoClassLogisticInit{}, nil), bc, "target")
	good, _ := MarshalModel(m)
	tests := []struct {
		name, model, want string
	}{
		{"empty", "  \n", "is empty"},
		{"not JSON", "{", "unexpected end of JSON input"},
		{"another format", `{"format":"pmml"}`, `format "pmml" is not "trellis-model"`},
		{"a later version", strings.Replace(string(good), `"version":1`, `"version":9`, 1), "envelope version 9 is not supported"},
		{"unknown algorithm", strings.Replace(string(good), `"logistic_regression"`, `"svm"`, 1), `unknown algorithm "svm"`},
		{"weights that do not fit", strings.Replace(string(good), `"weights":[[`, `"weights":[[1,`, 1), "weights for"},
		{"a feature without a type", strings.Replace(string(good), `"name":"mean_radius","type":"float",`, `"name":"mean_radius",`, 1), `feature "mean_radius" has no type`},
		{"a feature twice", strings.Replace(string(good), `"name":"mean_texture"`, `"name":"mean_radius"`, 1), `feature "mean_radius" is listed twice`},
		{"the label as a feature", strings.Replace(string(good), `"name":"mean_radius"`, `"name":"target"`, 1), `the label "target" is also a feature`},
		{"a class twice", strings.Replace(string(good), `"classes":["0","1"]`, `"classes":["0","0"]`, 1), `class "0" is listed twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := moduletest.Run(t, LoadTrainedModel{}, map[string]any{"model": tt.model})
			var pe *modules.ParamError
			if !errors.As(err, &pe) || pe.Param != "model" || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one about parameter model saying %q", err, tt.want)
			}
			if _, err := moduletest.Infer(t, LoadTrainedModel{}, map[string]any{"model": tt.model}); err == nil {
				t.Error("Infer accepted it")
			}
		})
	}
}

// FuzzUnmarshalModel feeds mangled model envelopes to the decoder: it must
// refuse them with an error, or give a model that scores (or refuses) a
// table without panicking — scoring runs in worker goroutines, where a panic
// would take the whole server down.
func FuzzUnmarshalModel(f *testing.F) {
	iris := loadCSV(f, "iris.csv")
	bc := loadCSV(f, "breast_cancer.csv")
	diab := loadCSV(f, "diabetes.csv")
	for _, tc := range []struct {
		init  modules.Module
		data  *table.Table
		label string
	}{
		{TwoClassLogisticInit{}, bc, "target"},
		{MulticlassLogisticInit{}, iris, "species"},
		{LinearRegressionInit{}, diab, "progression"},
		{MulticlassNaiveBayesInit{}, iris, "species"},
		{TwoClassDecisionTreeInit{}, bc, "target"},
		{BoostedTreeRegressionInit{}, diab, "progression"},
	} {
		m, _ := train(f, learner(f, tc.init, map[string]any{}), tc.data, tc.label)
		b, err := MarshalModel(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	km := learner(f, KMeansInit{}, map[string]any{"clusters": 3})
	kmm, err := km.Train(bg, iris, "")
	if err != nil {
		f.Fatal(err)
	}
	b, _ := MarshalModel(kmm)
	f.Add(b)
	tables := []*table.Table{iris.Slice(0, 20), bc.Slice(0, 20), diab.Slice(0, 20)}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := UnmarshalModel(b)
		if err != nil {
			return
		}
		for _, tb := range tables {
			_, _ = m.Score(bg, tb)
		}
		if _, err := MarshalModel(m); err != nil {
			t.Errorf("a decoded model does not encode: %v", err)
		}
	})
}

func TestLoadTrainedModelDecodesATextOnce(t *testing.T) {
	bc := loadCSV(t, "breast_cancer.csv")
	m, _ := train(t, learner(t, TwoClassLogisticInit{}, nil), bc, "target")
	b, _ := MarshalModel(m)
	first := moduletest.MustRun(t, LoadTrainedModel{}, map[string]any{"model": string(b)}).Outputs[0]
	again := moduletest.MustRun(t, LoadTrainedModel{}, map[string]any{"model": string(b)}).Outputs[0]
	if first != again {
		t.Error("the same text was decoded twice")
	}
	// The cache holds a bounded number of models, oldest out first.
	c := &modelCache{max: 2}
	k := func(b byte) [32]byte { return [32]byte{b} }
	c.put(k(1), &Model{})
	c.put(k(2), &Model{})
	c.put(k(3), &Model{})
	if c.get(k(1)) != nil || c.get(k(2)) == nil || c.get(k(3)) == nil || len(c.entries) != 2 {
		t.Errorf("cache after three puts: %d entries, 1 kept %v", len(c.entries), c.get(k(1)) != nil)
	}
}
