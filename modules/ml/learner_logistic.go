package ml

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/ml/internal/vecmath"
	"github.com/trellis-studio/trellis/modules/ml/linear"
	"github.com/trellis-studio/trellis/modules/table"
)

// AlgoLogisticRegression names logistic regression models (two-class and multiclass).
const AlgoLogisticRegression = "logistic_regression"

// logisticObjective is the help text stating exactly what is minimized.
const logisticObjective = "It minimizes F(w, b) = Σ_i −log p(y_i | x_i) + λ1·‖w‖₁ + (λ2/2)·‖w‖², " +
	"the loss SUMMED (not averaged) over the training rows, with the intercepts b not penalized. " +
	"With λ1 = 0 this has the same solution as scikit-learn's LogisticRegression(C = 1/λ2), whose objective " +
	"C·Σ loss + ½‖w‖² is F/λ2. L-BFGS is used when λ1 = 0 and OWL-QN (orthant-wise L-BFGS, which sets weights " +
	"exactly to zero) otherwise; both work in standardized coordinates internally without changing F. " +
	"Iteration stops once successive iterations lower F by less than the tolerance relative to F, or at the iteration limit.\n\n" +
	"Features: numeric and bool columns as numbers, string and categorical columns one-hot encoded with the " +
	"categories seen in training (an unseen category encodes as all zeros). A missing number is replaced by the " +
	"column's training mean; a missing category encodes as all zeros. Training is deterministic."

func logisticParams() []modules.Param {
	return []modules.Param{
		{Name: "optimization_tolerance", Label: "Optimization tolerance", Type: modules.ParamFloat, Default: 1e-7,
			Min: modules.Bound(1e-15), Max: modules.Bound(0.1),
			Help: "Stop when an iteration lowers the objective by less than this fraction of its value."},
		{Name: "l1_weight", Label: "L1 regularization weight", Type: modules.ParamFloat, Default: 1.0, Min: modules.Bound(0),
			Help: "λ1: the weight of the L1 penalty λ1‖w‖₁, which drives weights to exactly zero."},
		{Name: "l2_weight", Label: "L2 regularization weight", Type: modules.ParamFloat, Default: 1.0, Min: modules.Bound(0),
			Help: "λ2: the weight of the L2 penalty (λ2/2)‖w‖². λ2 = 1/C of scikit-learn."},
		{Name: "memory_size", Label: "Memory size for L-BFGS", Type: modules.ParamInt, Default: int64(20), Min: modules.Bound(1), Max: modules.Bound(1000),
			Help: "How many past steps L-BFGS remembers to model the curvature."},
		{Name: "max_iterations", Label: "Maximum iterations", Type: modules.ParamInt, Default: int64(1000), Min: modules.Bound(1), Max: modules.Bound(1000000),
			Help: "The limit on optimizer iterations; the model trained so far is kept when it is reached."},
	}
}

// TwoClassLogisticInit is the Two-Class Logistic Regression module.
type TwoClassLogisticInit struct{}

// Spec implements modules.Module.
func (TwoClassLogisticInit) Spec() modules.Spec {
	return modules.Spec{
		ID: "two_class_logistic_regression", Version: 1, Name: "Two-Class Logistic Regression", Category: modules.CategoryInitModel,
		Summary: "Creates a two-class logistic regression model, with L1 and L2 regularization.",
		Help: "Predicts the probability of the positive class (the second of the two classes in sorted order) as " +
			"1/(1 + e^−(b + x·w)). " + logisticObjective,
		Outputs: untrainedOut,
		Params:  logisticParams(),
	}
}

func (TwoClassLogisticInit) build(p modules.Params) (modules.Learner, error) {
	return logisticFromParams(p, modules.TaskBinary), nil
}

// Infer implements modules.Module.
func (m TwoClassLogisticInit) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	return inferLearner(m, ic.Params)
}

// Run implements modules.Runner.
func (m TwoClassLogisticInit) Run(rc *modules.Context) error { return runLearner(m, rc) }

// MulticlassLogisticInit is the Multiclass Logistic Regression module.
type MulticlassLogisticInit struct{}

// Spec implements modules.Module.
func (MulticlassLogisticInit) Spec() modules.Spec {
	return modules.Spec{
		ID: "multiclass_logistic_regression", Version: 1, Name: "Multiclass Logistic Regression", Category: modules.CategoryInitModel,
		Summary: "Creates a multinomial (softmax) logistic regression model, with L1 and L2 regularization.",
		Help: "Predicts class probabilities as the softmax of b_c + x·w_c over the classes c; every class has its own " +
			"weights, and ‖w‖ covers all of them. " + logisticObjective,
		Outputs: untrainedOut,
		Params:  logisticParams(),
	}
}

func (MulticlassLogisticInit) build(p modules.Params) (modules.Learner, error) {
	return logisticFromParams(p, modules.TaskMulticlass), nil
}

// Infer implements modules.Module.
func (m MulticlassLogisticInit) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	return inferLearner(m, ic.Params)
}

// Run implements modules.Runner.
func (m MulticlassLogisticInit) Run(rc *modules.Context) error { return runLearner(m, rc) }

func logisticFromParams(p modules.Params, task modules.Task) *LogisticRegression {
	return &LogisticRegression{Kind: task, L1: p.Float("l1_weight"), L2: p.Float("l2_weight"),
		Tol: p.Float("optimization_tolerance"), Memory: p.Int("memory_size"), MaxIter: p.Int("max_iterations")}
}

// LogisticRegression is the untrained logistic regression learner, binary or
// multinomial by Kind. See linear.Logistic for the objective.
type LogisticRegression struct {
	Kind    modules.Task
	L1, L2  float64
	Tol     float64
	Memory  int
	MaxIter int
}

// Task implements modules.Learner.
func (l *LogisticRegression) Task() modules.Task { return l.Kind }

// Algorithm implements modules.Learner.
func (*LogisticRegression) Algorithm() string { return AlgoLogisticRegression }

// Train implements modules.Learner.
func (l *LogisticRegression) Train(ctx context.Context, t *table.Table, label string) (modules.Model, error) {
	ts, err := PrepareTraining(ctx, t, label, l.Kind, FeatureOptions{Encoding: OneHot, Missing: Impute, Share: true})
	if err != nil {
		return nil, err
	}
	k := len(ts.Target.Label.Classes)
	r, err := linear.Logistic(ts.X.Cols, ts.Target.Class, k, linear.LogisticOptions{L1: l.L1, L2: l.L2, Tol: l.Tol,
		MaxIter: l.MaxIter, Memory: l.Memory})
	if err != nil {
		return nil, fmt.Errorf("logistic regression: %v", err)
	}
	p := &logisticPredictor{W: r.W, B: r.B, Objective: r.Objective, Iterations: r.Iterations, Converged: r.Converged}
	return ts.Model(AlgoLogisticRegression, l.Kind, p), nil
}

// HyperParams implements Tunable.
func (l *LogisticRegression) HyperParams() []HyperParam {
	return []HyperParam{
		{Name: "l1_weight", Min: 0, Max: 1e6, Low: 1e-4, High: 10, Log: true, Grid: []float64{0, 0.01, 0.1, 1}},
		{Name: "l2_weight", Min: 0, Max: 1e6, Low: 1e-4, High: 100, Log: true, Grid: []float64{0.01, 0.1, 1, 10}},
		{Name: "optimization_tolerance", Min: 1e-15, Max: 0.1, Low: 1e-9, High: 1e-3, Log: true, Grid: []float64{1e-4, 1e-7}},
	}
}

// With implements Tunable.
func (l *LogisticRegression) With(v map[string]float64) (modules.Learner, error) {
	if err := checkHyper(l.HyperParams(), v); err != nil {
		return nil, err
	}
	c := *l
	if x, ok := v["l1_weight"]; ok {
		c.L1 = x
	}
	if x, ok := v["l2_weight"]; ok {
		c.L2 = x
	}
	if x, ok := v["optimization_tolerance"]; ok {
		c.Tol = x
	}
	return &c, nil
}

// logisticPredictor holds one weight vector (binary: of the positive class)
// or one per class (multinomial), and records how training went.
type logisticPredictor struct {
	W          [][]float64 `json:"weights"`
	B          []float64   `json:"intercepts"`
	Objective  float64     `json:"objective"`
	Iterations int         `json:"iterations"`
	Converged  bool        `json:"converged"`
}

func (*logisticPredictor) propagatesNaN() {}

// Predict implements Predictor.
func (p *logisticPredictor) Predict(x *Matrix, out []float64) {
	n := x.Rows
	if len(p.W) == 1 {
		p1, p0 := make([]float64, n), make([]float64, n)
		p.PredictColumns(x, [][]float64{p0, p1})
		for i := range n {
			out[2*i], out[2*i+1] = p0[i], p1[i]
		}
		return
	}
	k := len(p.W)
	z := make([]float64, n)
	for c := range k {
		linearScores(x, p.W[c], p.B[c], z)
		for i, v := range z {
			out[i*k+c] = v
		}
	}
	for i := range n {
		softmax(out[i*k : (i+1)*k])
	}
}

// PredictColumns implements columnPredictor for the binary model: both
// probabilities come from one exponential (see vecmath.Logistic), so the
// smaller stays exact instead of being 1 minus a rounded number.
func (p *logisticPredictor) PredictColumns(x *Matrix, out [][]float64) {
	if len(p.W) != 1 {
		panic("ml: PredictColumns of a multinomial logistic model")
	}
	p0, p1 := out[0][:x.Rows], out[1][:x.Rows]
	linearScores(x, p.W[0], p.B[0], p1)
	vecmath.Logistic(p1, p0)
}

// softmax replaces scores by their softmax in place.
func softmax(z []float64) {
	m := math.Inf(-1)
	for _, v := range z {
		m = max(m, v)
	}
	s := 0.0
	for i, v := range z {
		z[i] = math.Exp(v - m)
		s += z[i]
	}
	for i := range z {
		z[i] /= s
	}
}

func decodeLogistic(params json.RawMessage, head *Model) (Predictor, error) {
	var p logisticPredictor
	if err := json.Unmarshal(params, &p); err != nil {
		return nil, err
	}
	want := 1
	switch head.Kind {
	case modules.TaskBinary:
	case modules.TaskMulticlass:
		// Two classes get the binary model, whatever the task says.
		if len(head.Label.Classes) > 2 {
			want = len(head.Label.Classes)
		}
	default:
		return nil, fmt.Errorf("a logistic regression model is for classification, not %s", head.Kind)
	}
	if len(p.W) != want || len(p.B) != want {
		return nil, fmt.Errorf("%d weight vectors and %d intercepts, want %d", len(p.W), len(p.B), want)
	}
	for _, w := range p.W {
		if len(w) != head.Features.Width() {
			return nil, fmt.Errorf("%d weights for %d features", len(w), head.Features.Width())
		}
	}
	return &p, nil
}
