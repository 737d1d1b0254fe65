package ml

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/ml/bayes"
	"github.com/trellis-studio/trellis/modules/table"
)

// AlgoNaiveBayes names naive Bayes models.
const AlgoNaiveBayes = "naive_bayes"

const bayesHelp = "Assumes the features independent given the class. A numeric (or bool) feature has a Gaussian " +
	"likelihood per class, its mean and variance the class's (population) ones plus a small variance floor " +
	"(as scikit-learn's GaussianNB); a string or categorical feature a categorical likelihood, " +
	"(count + α)/(class count + α·categories) (as scikit-learn's CategoricalNB). The class prior is its " +
	"frequency in training.\n\nMissing values: a missing feature value is left out of that row's likelihood, in " +
	"training and in scoring; so is a category not seen in training."

func bayesParams() []modules.Param {
	return []modules.Param{
		{Name: "laplace_smoothing", Label: "Laplace smoothing (α)", Type: modules.ParamFloat, Default: 1.0, Min: modules.Bound(0), Max: modules.Bound(1e6),
			Help: "Added to every category count so that a category never seen with a class does not rule the class out."},
		{Name: "variance_smoothing", Label: "Variance smoothing", Type: modules.ParamFloat, Default: 1e-9, Min: modules.Bound(0), Max: modules.Bound(1),
			Help: "Added to every Gaussian variance, as a fraction of the largest variance of a numeric feature, for stability."},
	}
}

// TwoClassNaiveBayesInit is the Two-Class Naive Bayes module.
type TwoClassNaiveBayesInit struct{}

// Spec implements modules.Module.
func (TwoClassNaiveBayesInit) Spec() modules.Spec {
	return modules.Spec{
		ID: "two_class_naive_bayes", Version: 1, Name: "Two-Class Naive Bayes", Category: modules.CategoryInitModel,
		Summary: "Creates a two-class naive Bayes model: Gaussian for numbers, categorical for strings.",
		Help:    bayesHelp, Outputs: untrainedOut, Params: bayesParams(),
	}
}

func (TwoClassNaiveBayesInit) build(p modules.Params) (modules.Learner, error) {
	return &NaiveBayes{Kind: modules.TaskBinary, Alpha: p.Float("laplace_smoothing"), VarSmoothing: p.Float("variance_smoothing")}, nil
}

// Infer implements modules.Module.
func (m TwoClassNaiveBayesInit) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	return inferLearner(m, ic.Params)
}

// Run implements modules.Runner.
func (m TwoClassNaiveBayesInit) Run(rc *modules.Context) error { return runLearner(m, rc) }

// MulticlassNaiveBayesInit is the Multiclass Naive Bayes module.
type MulticlassNaiveBayesInit struct{}

// Spec implements modules.Module.
func (MulticlassNaiveBayesInit) Spec() modules.Spec {
	return modules.Spec{
		ID: "multiclass_naive_bayes", Version: 1, Name: "Multiclass Naive Bayes", Category: modules.CategoryInitModel,
		Summary: "Creates a multiclass naive Bayes model: Gaussian for numbers, categorical for strings.",
		Help:    bayesHelp, Outputs: untrainedOut, Params: bayesParams(),
	}
}

func (MulticlassNaiveBayesInit) build(p modules.Params) (modules.Learner, error) {
	return &NaiveBayes{Kind: modules.TaskMulticlass, Alpha: p.Float("laplace_smoothing"), VarSmoothing: p.Float("variance_smoothing")}, nil
}

// Infer implements modules.Module.
func (m MulticlassNaiveBayesInit) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	return inferLearner(m, ic.Params)
}

// Run implements modules.Runner.
func (m MulticlassNaiveBayesInit) Run(rc *modules.Context) error { return runLearner(m, rc) }

// NaiveBayes is the untrained naive Bayes learner.
type NaiveBayes struct {
	Kind         modules.Task
	Alpha        float64
	VarSmoothing float64
}

// Task implements modules.Learner.
func (l *NaiveBayes) Task() modules.Task { return l.Kind }

// Algorithm implements modules.Learner.
func (*NaiveBayes) Algorithm() string { return AlgoNaiveBayes }

// Train implements modules.Learner.
func (l *NaiveBayes) Train(ctx context.Context, t *table.Table, label string) (modules.Model, error) {
	ts, err := PrepareTraining(ctx, t, label, l.Kind, FeatureOptions{Encoding: Codes, Missing: NaN})
	if err != nil {
		return nil, err
	}
	card := make([]int, ts.Features.Width())
	for j := range card {
		card[j] = ts.Features.Cardinality(j)
	}
	m, err := bayes.Fit(ts.X.Cols, card, ts.Target.Class, len(ts.Target.Label.Classes), bayes.Options{Alpha: l.Alpha, VarSmoothing: l.VarSmoothing})
	if err != nil {
		return nil, fmt.Errorf("naive Bayes: %v", err)
	}
	return ts.Model(AlgoNaiveBayes, l.Kind, &bayesPredictor{m}), nil
}

// HyperParams implements Tunable.
func (l *NaiveBayes) HyperParams() []HyperParam {
	return []HyperParam{{Name: "laplace_smoothing", Min: 0, Max: 1e6, Low: 0.01, High: 10, Log: true, Grid: []float64{0.1, 0.5, 1, 2}},
		{Name: "variance_smoothing", Min: 0, Max: 1, Low: 1e-12, High: 1e-2, Log: true, Grid: []float64{1e-9, 1e-6, 1e-3}}}
}

// With implements Tunable.
func (l *NaiveBayes) With(v map[string]float64) (modules.Learner, error) {
	if err := checkHyper(l.HyperParams(), v); err != nil {
		return nil, err
	}
	c := *l
	if x, ok := v["laplace_smoothing"]; ok {
		c.Alpha = x
	}
	if x, ok := v["variance_smoothing"]; ok {
		c.VarSmoothing = x
	}
	return &c, nil
}

type bayesPredictor struct{ *bayes.Model }

// Predict implements Predictor.
func (p bayesPredictor) Predict(x *Matrix, out []float64) { p.Model.Predict(x.Cols, x.Rows, out) }

func decodeBayes(params json.RawMessage, head *Model) (Predictor, error) {
	var m bayes.Model
	if err := json.Unmarshal(params, &m); err != nil {
		return nil, err
	}
	if head.Label == nil || len(head.Label.Classes) < 2 {
		return nil, fmt.Errorf("a naive Bayes model is for classification, not %s", head.Kind)
	}
	if err := m.Check(head.Features.Width(), len(head.Label.Classes)); err != nil {
		return nil, err
	}
	for j := range head.Features.Width() {
		if got, want := m.Features[j].Categories, head.Features.Cardinality(j); got != want {
			return nil, fmt.Errorf("feature %d has %d categories in the likelihood, %d in the encoding", j, got, want)
		}
	}
	return &bayesPredictor{&m}, nil
}
