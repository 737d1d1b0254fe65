package ml

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/ml/internal/vecmath"
	"github.com/trellis-studio/trellis/modules/ml/linear"
	"github.com/trellis-studio/trellis/modules/table"
)

// AlgoLinearRegression names linear regression models.
const AlgoLinearRegression = "linear_regression"

// The solution methods of Linear Regression.
const (
	MethodOLS = "ols"
	MethodOGD = "online_gradient_descent"
)

// LinearRegressionInit is the Linear Regression module.
type LinearRegressionInit struct{}

// Spec implements modules.Module.
func (LinearRegressionInit) Spec() modules.Spec {
	ogd := &modules.Condition{Param: "solution_method", Values: []string{MethodOGD}}
	return modules.Spec{
		ID: "linear_regression", Version: 1, Name: "Linear Regression", Category: modules.CategoryInitModel,
		Summary: "Creates a linear regression model: least squares, optionally ridge-penalized.",
		Help: "Predicts a numeric label as b + Σ w_j·x_j. Ordinary least squares minimizes ‖y − Xw − b‖² + λ‖w‖² " +
			"(λ the L2 weight, the intercept b not penalized; λ = 0 is plain least squares, as scikit-learn's " +
			"LinearRegression, λ > 0 is scikit-learn's Ridge(alpha=λ)), solved exactly by QR; a rank-deficient design " +
			"gets the minimum-norm solution. Online gradient descent minimizes (1/n)Σ ½(y − x·w − b)² + (λ/2)‖w‖² " +
			"by passes over the rows in a seeded random order, for tables too big to copy densely.\n\n" +
			"Features: numeric and bool columns as numbers, string and categorical columns one-hot encoded with the " +
			"categories seen in training (an unseen category encodes as all zeros). A missing number is replaced by " +
			"the column's training mean; a missing category encodes as all zeros.",
		Outputs: untrainedOut,
		Params: []modules.Param{
			{Name: "solution_method", Label: "Solution method", Type: modules.ParamChoice, Default: MethodOLS,
				Help: "How the weights are found.", Choices: []modules.Choice{
					{Value: MethodOLS, Label: "Ordinary Least Squares", Help: "Exact solution by QR decomposition."},
					{Value: MethodOGD, Label: "Online Gradient Descent", Help: "Iterative; for very large tables."}}},
			{Name: "l2_weight", Label: "L2 regularization weight", Type: modules.ParamFloat, Default: 0.0, Min: modules.Bound(0),
				Help: "λ: the weight of the ridge penalty on the weights (not the intercept). 0 is plain least squares."},
			{Name: "include_intercept", Label: "Include intercept term", Type: modules.ParamBool, Default: true,
				Help:   "Fit an intercept b; without it the line passes through the origin (least squares only).",
				ShowIf: &modules.Condition{Param: "solution_method", Values: []string{MethodOLS}}},
			{Name: "learning_rate", Label: "Learning rate", Type: modules.ParamFloat, Default: 0.1, Min: modules.Bound(1e-12), Max: modules.Bound(10),
				Help: "The initial step size of gradient descent.", ShowIf: ogd},
			{Name: "epochs", Label: "Number of training epochs", Type: modules.ParamInt, Default: int64(10), Min: modules.Bound(1), Max: modules.Bound(10000),
				Help: "How many passes over the rows gradient descent makes.", ShowIf: ogd},
			{Name: "normalize_features", Label: "Normalize features", Type: modules.ParamBool, Default: true,
				Help: "Standardize the features while descending (the result is in the original units); the L2 penalty then applies to standardized weights.", ShowIf: ogd},
			{Name: "decrease_learning_rate", Label: "Decrease learning rate", Type: modules.ParamBool, Default: true,
				Help: "Divide the rate by √(1 + epoch) so the weights settle.", ShowIf: ogd},
			{Name: "random_seed", Label: "Random number seed", Type: modules.ParamInt, Default: int64(0), Min: modules.Bound(0),
				Help: "Seeds the order rows are visited in; the same seed gives the same model.", ShowIf: ogd},
		},
	}
}

func (LinearRegressionInit) build(p modules.Params) (modules.Learner, error) {
	return &LinearRegression{Method: p.String("solution_method"), L2: p.Float("l2_weight"), Intercept: p.Bool("include_intercept"),
		Rate: p.Float("learning_rate"), Epochs: p.Int("epochs"), Normalize: p.Bool("normalize_features"),
		Decay: p.Bool("decrease_learning_rate"), Seed: uint64(p.Int("random_seed"))}, nil
}

// Infer implements modules.Module.
func (m LinearRegressionInit) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	return inferLearner(m, ic.Params)
}

// Run implements modules.Runner.
func (m LinearRegressionInit) Run(rc *modules.Context) error { return runLearner(m, rc) }

// LinearRegression is the untrained linear regression learner.
type LinearRegression struct {
	Method    string
	L2        float64
	Intercept bool
	Rate      float64
	Epochs    int
	Normalize bool
	Decay     bool
	Seed      uint64
}

// Task implements modules.Learner.
func (*LinearRegression) Task() modules.Task { return modules.TaskRegression }

// Algorithm implements modules.Learner.
func (*LinearRegression) Algorithm() string { return AlgoLinearRegression }

// Train implements modules.Learner.
func (l *LinearRegression) Train(ctx context.Context, t *table.Table, label string) (modules.Model, error) {
	ts, err := PrepareTraining(ctx, t, label, modules.TaskRegression, FeatureOptions{Encoding: OneHot, Missing: Impute})
	if err != nil {
		return nil, err
	}
	var p linearPredictor
	if l.Method == MethodOGD {
		p.W, p.B, err = linear.SGD(ts.X.Cols, ts.Target.Y, linear.SGDOptions{Rate: l.Rate, Epochs: l.Epochs, L2: l.L2,
			Decay: l.Decay, Normalize: l.Normalize, Seed: l.Seed})
	} else {
		p.W, p.B, err = linear.OLS(ts.X.Cols, ts.Target.Y, l.L2, l.Intercept)
	}
	if err != nil {
		return nil, fmt.Errorf("linear regression: %v", err)
	}
	return ts.Model(AlgoLinearRegression, modules.TaskRegression, &p), nil
}

// HyperParams implements Tunable.
func (l *LinearRegression) HyperParams() []HyperParam {
	hp := []HyperParam{{Name: "l2_weight", Min: 0, Max: 1e6, Low: 1e-4, High: 10, Log: true, Grid: []float64{0, 0.001, 0.01, 0.1, 1}}}
	if l.Method == MethodOGD {
		hp = append(hp, HyperParam{Name: "learning_rate", Min: 1e-12, Max: 10, Low: 1e-3, High: 1, Log: true, Grid: []float64{0.01, 0.05, 0.1, 0.2}},
			HyperParam{Name: "epochs", Int: true, Min: 1, Max: 10000, Low: 1, High: 50, Grid: []float64{5, 10, 20}})
	}
	return hp
}

// With implements Tunable.
func (l *LinearRegression) With(v map[string]float64) (modules.Learner, error) {
	if err := checkHyper(l.HyperParams(), v); err != nil {
		return nil, err
	}
	c := *l
	if x, ok := v["l2_weight"]; ok {
		c.L2 = x
	}
	if x, ok := v["learning_rate"]; ok {
		c.Rate = x
	}
	if x, ok := v["epochs"]; ok {
		c.Epochs = int(x)
	}
	return &c, nil
}

// linearPredictor predicts b + x·w.
type linearPredictor struct {
	W []float64 `json:"weights"`
	B float64   `json:"intercept"`
}

func (*linearPredictor) propagatesNaN() {}

// Predict implements Predictor.
func (p *linearPredictor) Predict(x *Matrix, out []float64) {
	linearScores(x, p.W, p.B, out)
}

// PredictColumns implements columnPredictor.
func (p *linearPredictor) PredictColumns(x *Matrix, out [][]float64) {
	linearScores(x, p.W, p.B, out[0])
}

// linearScores writes b + x·w for each row, adding the columns in order with
// fused multiply-adds, so a row's result does not depend on the block it is
// in.
func linearScores(x *Matrix, w []float64, b float64, z []float64) {
	vecmath.Affine(z[:x.Rows], x.Cols, w, b)
}

func decodeLinear(params json.RawMessage, head *Model) (Predictor, error) {
	var p linearPredictor
	if err := json.Unmarshal(params, &p); err != nil {
		return nil, err
	}
	if head.Kind != modules.TaskRegression {
		return nil, fmt.Errorf("a linear regression model is for regression, not %s", head.Kind)
	}
	if len(p.W) != head.Features.Width() {
		return nil, fmt.Errorf("%d weights for %d features", len(p.W), head.Features.Width())
	}
	return &p, nil
}
