package ml

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/ml/tree"
	"github.com/trellis-studio/trellis/modules/table"
)

// The tree learners' algorithm names.
const (
	AlgoDecisionTree   = "decision_tree"
	AlgoDecisionForest = "decision_forest"
	AlgoBoostedTrees   = "boosted_decision_tree"
)

// treeFeaturesHelp states the feature and missing-value rules every tree learner shares.
const treeFeaturesHelp = "\n\nFeatures: numeric, bool and timestamp columns are used as numbers; string and " +
	"categorical columns as categories (no one-hot encoding). A numeric split sends x ≤ threshold one way; a " +
	"categorical split sends a set of categories one way. Missing values: every split learns a default direction — " +
	"when training rows at the node had missing values both directions are tried and the better kept, otherwise " +
	"missing values follow the child that received more training rows. A category not seen in training (or not " +
	"seen by that node) takes the default direction too."

// TreeModules returns the tree learners' Initialize Model modules and the
// cross-validation, tuning and feature modules.
func TreeModules() []modules.Module {
	return []modules.Module{
		TwoClassDecisionTreeInit{}, MulticlassDecisionTreeInit{}, DecisionTreeRegressionInit{},
		TwoClassDecisionForestInit{}, MulticlassDecisionForestInit{}, DecisionForestRegressionInit{},
		TwoClassBoostedTreeInit{}, BoostedTreeRegressionInit{},
		CrossValidateModel{}, TuneModelHyperparameters{},
		PermutationFeatureImportance{}, FilterBasedFeatureSelection{},
	}
}

var criterionChoices = []modules.Choice{
	{Value: "gini", Label: "Gini impurity", Help: "1 − Σ p_c²: the chance two random rows of the node disagree."},
	{Value: "entropy", Label: "Entropy", Help: "−Σ p_c log p_c: the information gain criterion."},
}

func seedParam() modules.Param {
	return modules.Param{Name: "random_seed", Label: "Random number seed", Type: modules.ParamInt, Default: int64(0),
		Min: modules.Bound(0), Max: modules.Bound(1 << 53),
		Help: "Seeds the random choices (bootstrap samples, features tried per split); the same seed gives the same model."}
}

func depthParam(def int64) modules.Param {
	return modules.Param{Name: "max_depth", Label: "Maximum depth of the trees", Type: modules.ParamInt, Default: def,
		Min: modules.Bound(0), Max: modules.Bound(1000),
		Help: "The longest path from the root to a leaf (the root is depth 0); 0 means no limit. Deeper trees fit more detail and overfit more."}
}

func minLeafParam(def int64) modules.Param {
	return modules.Param{Name: "min_samples_leaf", Label: "Minimum number of samples per leaf node", Type: modules.ParamInt, Default: def,
		Min: modules.Bound(1), Max: modules.Bound(1e9),
		Help: "A split is made only if both sides keep at least this many training rows. Larger values smooth the model."}
}

// ---- Decision tree ----

func decisionTreeParams(classify bool) []modules.Param {
	var ps []modules.Param
	if classify {
		ps = append(ps, modules.Param{Name: "criterion", Label: "Split criterion", Type: modules.ParamChoice, Default: "gini",
			Choices: criterionChoices, Help: "The impurity a split must lower."})
	}
	return append(ps, depthParam(32), minLeafParam(1),
		modules.Param{Name: "min_samples_split", Label: "Minimum number of samples to split", Type: modules.ParamInt, Default: int64(2),
			Min: modules.Bound(2), Max: modules.Bound(1e9), Help: "A node with fewer training rows is not split."})
}

const decisionTreeHelp = "Grows one CART tree: at every node the split (a feature and a threshold or a set of " +
	"categories) that most lowers the impurity is chosen, until the node is pure, too small, or at the maximum depth. " +
	"Splits that do not lower the impurity are still allowed while the node is impure, so that interactions (such " +
	"as an XOR of two features) can be found. Categories are ordered by their mean target (two classes, " +
	"regression: exact) or, for several classes, by each class's frequency in turn (one-vs-rest), and the best " +
	"prefix of the order goes left. Training is deterministic." + treeFeaturesHelp

// TwoClassDecisionTreeInit is the Two-Class Decision Tree module.
type TwoClassDecisionTreeInit struct{}

// Spec implements modules.Module.
func (TwoClassDecisionTreeInit) Spec() modules.Spec {
	return modules.Spec{ID: "two_class_decision_tree", Version: 1, Name: "Two-Class Decision Tree", Category: modules.CategoryInitModel,
		Summary: "Creates a two-class CART decision tree (Gini or entropy).",
		Help:    "Predicts the class proportions of the leaf a row reaches. " + decisionTreeHelp,
		Outputs: untrainedOut, Params: decisionTreeParams(true)}
}

func (TwoClassDecisionTreeInit) build(p modules.Params) (modules.Learner, error) {
	return decisionTreeFrom(p, modules.TaskBinary), nil
}

// Infer implements modules.Module.
func (m TwoClassDecisionTreeInit) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	return inferLearner(m, ic.Params)
}

// Run implements modules.Runner.
func (m TwoClassDecisionTreeInit) Run(rc *modules.Context) error { return runLearner(m, rc) }

// MulticlassDecisionTreeInit is the Multiclass Decision Tree module.
type MulticlassDecisionTreeInit struct{}

// Spec implements modules.Module.
func (MulticlassDecisionTreeInit) Spec() modules.Spec {
	return modules.Spec{ID: "multiclass_decision_tree", Version: 1, Name: "Multiclass Decision Tree", Category: modules.CategoryInitModel,
		Summary: "Creates a multiclass CART decision tree (Gini or entropy).",
		Help:    "Predicts the class proportions of the leaf a row reaches. " + decisionTreeHelp,
		Outputs: untrainedOut, Params: decisionTreeParams(true)}
}

func (MulticlassDecisionTreeInit) build(p modules.Params) (modules.Learner, error) {
	return decisionTreeFrom(p, modules.TaskMulticlass), nil
}

// Infer implements modules.Module.
func (m MulticlassDecisionTreeInit) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	return inferLearner(m, ic.Params)
}

// Run implements modules.Runner.
func (m MulticlassDecisionTreeInit) Run(rc *modules.Context) error { return runLearner(m, rc) }

// DecisionTreeRegressionInit is the Decision Tree Regression module.
type DecisionTreeRegressionInit struct{}

// Spec implements modules.Module.
func (DecisionTreeRegressionInit) Spec() modules.Spec {
	return modules.Spec{ID: "decision_tree_regression", Version: 1, Name: "Decision Tree Regression", Category: modules.CategoryInitModel,
		Summary: "Creates a CART regression tree (variance reduction).",
		Help:    "Predicts the mean label of the leaf a row reaches; splits minimize the summed squared error (variance). " + decisionTreeHelp,
		Outputs: untrainedOut, Params: decisionTreeParams(false)}
}

func (DecisionTreeRegressionInit) build(p modules.Params) (modules.Learner, error) {
	return decisionTreeFrom(p, modules.TaskRegression), nil
}

// Infer implements modules.Module.
func (m DecisionTreeRegressionInit) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	return inferLearner(m, ic.Params)
}

// Run implements modules.Runner.
func (m DecisionTreeRegressionInit) Run(rc *modules.Context) error { return runLearner(m, rc) }

func decisionTreeFrom(p modules.Params, task modules.Task) *DecisionTree {
	l := &DecisionTree{Kind: task, MaxDepth: p.Int("max_depth"), MinSamplesLeaf: p.Int("min_samples_leaf"),
		MinSamplesSplit: p.Int("min_samples_split"), Criterion: string(tree.Variance)}
	if task != modules.TaskRegression {
		l.Criterion = p.String("criterion")
	}
	return l
}

// DecisionTree is the untrained CART learner.
type DecisionTree struct {
	Kind            modules.Task
	Criterion       string
	MaxDepth        int
	MinSamplesLeaf  int
	MinSamplesSplit int
}

// Task implements modules.Learner.
func (l *DecisionTree) Task() modules.Task { return l.Kind }

// Algorithm implements modules.Learner.
func (*DecisionTree) Algorithm() string { return AlgoDecisionTree }

// Train implements modules.Learner. A tree is trained as a forest of one
// tree without sampling, which the tree package guarantees is the same tree.
func (l *DecisionTree) Train(ctx context.Context, t *table.Table, label string) (modules.Model, error) {
	ts, d, y, k, err := prepareTree(ctx, t, label, l.Kind)
	if err != nil {
		return nil, err
	}
	f, err := tree.FitForest(ctx, d, y, k, nil, tree.ForestParams{NumTrees: 1, MaxFeatures: tree.AllFeatures,
		Tree: tree.TreeParams{Criterion: tree.Criterion(l.Criterion), MaxDepth: l.MaxDepth,
			MinSamplesLeaf: float64(l.MinSamplesLeaf), MinSamplesSplit: float64(l.MinSamplesSplit)}})
	if err != nil {
		return nil, fmt.Errorf("decision tree: %w", err)
	}
	return ts.Model(AlgoDecisionTree, l.Kind, &forestPredictor{f}), nil
}

// HyperParams implements Tunable.
func (l *DecisionTree) HyperParams() []HyperParam {
	return []HyperParam{
		{Name: "max_depth", Int: true, Min: 0, Max: 1000, Grid: []float64{4, 8, 16, 32}},
		{Name: "min_samples_leaf", Int: true, Min: 1, Max: 1e9, Grid: []float64{1, 5, 20, 50}},
		{Name: "min_samples_split", Int: true, Min: 2, Max: 1e9, Grid: []float64{2, 10, 50}},
	}
}

// With implements Tunable.
func (l *DecisionTree) With(v map[string]float64) (modules.Learner, error) {
	if err := checkHyper(l.HyperParams(), v); err != nil {
		return nil, err
	}
	c := *l
	setInt(v, "max_depth", &c.MaxDepth)
	setInt(v, "min_samples_leaf", &c.MinSamplesLeaf)
	setInt(v, "min_samples_split", &c.MinSamplesSplit)
	return &c, nil
}

func setInt(v map[string]float64, name string, dst *int) {
	if x, ok := v[name]; ok {
		*dst = int(x)
	}
}

func setFloat(v map[string]float64, name string, dst *float64) {
	if x, ok := v[name]; ok {
		*dst = x
	}
}

// ---- Decision forest ----

func forestParams(classify bool) []modules.Param {
	ps := []modules.Param{
		{Name: "resampling_method", Label: "Resampling method", Type: modules.ParamChoice, Default: "bagging",
			Choices: []modules.Choice{
				{Value: "bagging", Label: "Bagging", Help: "Each tree is trained on a bootstrap sample: as many rows as the data has, drawn with replacement."},
				{Value: "replicate", Label: "Replicate", Help: "Each tree is trained on all the rows; trees differ only by the features tried at each split."},
			},
			Help: "How each tree's training rows are chosen."},
		{Name: "num_trees", Label: "Number of decision trees", Type: modules.ParamInt, Default: int64(8),
			Min: modules.Bound(1), Max: modules.Bound(10000), Help: "More trees give a smoother, more stable model and take longer."},
		depthParam(32),
		{Name: "features_per_split", Label: "Features tried per split", Type: modules.ParamChoice, Default: "auto",
			Choices: []modules.Choice{
				{Value: "auto", Label: "Automatic", Help: "√p for classification, p/3 for regression (p features)."},
				{Value: "sqrt", Label: "Square root", Help: "√p features."},
				{Value: "log2", Label: "Log2", Help: "log₂ p features."},
				{Value: "third", Label: "One third", Help: "p/3 features."},
				{Value: "all", Label: "All", Help: "Every feature (trees differ only by their rows)."},
			},
			Help: "At every split a random subset of this many features is tried; fewer makes the trees more different from each other."},
		minLeafParam(1),
	}
	if classify {
		ps = append(ps, modules.Param{Name: "criterion", Label: "Split criterion", Type: modules.ParamChoice, Default: "gini",
			Choices: criterionChoices, Help: "The impurity a split must lower."})
	}
	return append(ps, seedParam())
}

const forestHelp = "Grows many CART trees in parallel, each on its own sample of the rows and trying a random " +
	"subset of the features at every split, and averages them: class probabilities for classification, values " +
	"for regression. Each tree's random choices come from the seed and the tree's number, so a seed always gives " +
	"the same forest, however many processors train it." + treeFeaturesHelp

// TwoClassDecisionForestInit is the Two-Class Decision Forest module.
type TwoClassDecisionForestInit struct{}

// Spec implements modules.Module.
func (TwoClassDecisionForestInit) Spec() modules.Spec {
	return modules.Spec{ID: "two_class_decision_forest", Version: 1, Name: "Two-Class Decision Forest", Category: modules.CategoryInitModel,
		Summary: "Creates a two-class random forest: bagged decision trees with feature subsampling.",
		Help:    forestHelp, Outputs: untrainedOut, Params: forestParams(true)}
}

func (TwoClassDecisionForestInit) build(p modules.Params) (modules.Learner, error) {
	return forestFrom(p, modules.TaskBinary), nil
}

// Infer implements modules.Module.
func (m TwoClassDecisionForestInit) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	return inferLearner(m, ic.Params)
}

// Run implements modules.Runner.
func (m TwoClassDecisionForestInit) Run(rc *modules.Context) error { return runLearner(m, rc) }

// MulticlassDecisionForestInit is the Multiclass Decision Forest module.
type MulticlassDecisionForestInit struct{}

// Spec implements modules.Module.
func (MulticlassDecisionForestInit) Spec() modules.Spec {
	return modules.Spec{ID: "multiclass_decision_forest", Version: 1, Name: "Multiclass Decision Forest", Category: modules.CategoryInitModel,
		Summary: "Creates a multiclass random forest: bagged decision trees with feature subsampling.",
		Help:    forestHelp, Outputs: untrainedOut, Params: forestParams(true)}
}

func (MulticlassDecisionForestInit) build(p modules.Params) (modules.Learner, error) {
	return forestFrom(p, modules.TaskMulticlass), nil
}

// Infer implements modules.Module.
func (m MulticlassDecisionForestInit) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	return inferLearner(m, ic.Params)
}

// Run implements modules.Runner.
func (m MulticlassDecisionForestInit) Run(rc *modules.Context) error { return runLearner(m, rc) }

// DecisionForestRegressionInit is the Decision Forest Regression module.
type DecisionForestRegressionInit struct{}

// Spec implements modules.Module.
func (DecisionForestRegressionInit) Spec() modules.Spec {
	return modules.Spec{ID: "decision_forest_regression", Version: 1, Name: "Decision Forest Regression", Category: modules.CategoryInitModel,
		Summary: "Creates a regression random forest: bagged regression trees with feature subsampling.",
		Help:    forestHelp, Outputs: untrainedOut, Params: forestParams(false)}
}

func (DecisionForestRegressionInit) build(p modules.Params) (modules.Learner, error) {
	return forestFrom(p, modules.TaskRegression), nil
}

// Infer implements modules.Module.
func (m DecisionForestRegressionInit) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	return inferLearner(m, ic.Params)
}

// Run implements modules.Runner.
func (m DecisionForestRegressionInit) Run(rc *modules.Context) error { return runLearner(m, rc) }

func forestFrom(p modules.Params, task modules.Task) *DecisionForest {
	l := &DecisionForest{Kind: task, Bagging: p.String("resampling_method") == "bagging", NumTrees: p.Int("num_trees"),
		MaxDepth: p.Int("max_depth"), FeaturesPerSplit: p.String("features_per_split"),
		MinSamplesLeaf: p.Int("min_samples_leaf"), Seed: uint64(p.Int("random_seed")), Criterion: string(tree.Variance)}
	if task != modules.TaskRegression {
		l.Criterion = p.String("criterion")
	}
	return l
}

// DecisionForest is the untrained random forest learner.
type DecisionForest struct {
	Kind             modules.Task
	Bagging          bool
	NumTrees         int
	MaxDepth         int
	FeaturesPerSplit string // auto, sqrt, log2, third, all
	MinSamplesLeaf   int
	Criterion        string
	Seed             uint64
}

// Task implements modules.Learner.
func (l *DecisionForest) Task() modules.Task { return l.Kind }

// Algorithm implements modules.Learner.
func (*DecisionForest) Algorithm() string { return AlgoDecisionForest }

func (l *DecisionForest) maxFeatures(p int) int {
	switch l.FeaturesPerSplit {
	case "sqrt":
		return max(1, isqrt(p))
	case "log2":
		n := 0
		for 1<<(n+1) <= p {
			n++
		}
		return max(1, n)
	case "third":
		return max(1, p/3)
	case "all":
		return tree.AllFeatures
	}
	return 0 // the tree package's rule: √p or p/3
}

func isqrt(p int) int {
	r := 0
	for (r+1)*(r+1) <= p {
		r++
	}
	return r
}

// Train implements modules.Learner.
func (l *DecisionForest) Train(ctx context.Context, t *table.Table, label string) (modules.Model, error) {
	ts, d, y, k, err := prepareTree(ctx, t, label, l.Kind)
	if err != nil {
		return nil, err
	}
	f, err := tree.FitForest(ctx, d, y, k, nil, tree.ForestParams{NumTrees: l.NumTrees, Bootstrap: l.Bagging,
		MaxFeatures: l.maxFeatures(d.NumFeatures()), Seed: l.Seed,
		Tree: tree.TreeParams{Criterion: tree.Criterion(l.Criterion), MaxDepth: l.MaxDepth, MinSamplesLeaf: float64(l.MinSamplesLeaf)}})
	if err != nil {
		return nil, fmt.Errorf("decision forest: %w", err)
	}
	return ts.Model(AlgoDecisionForest, l.Kind, &forestPredictor{f}), nil
}

// HyperParams implements Tunable.
func (l *DecisionForest) HyperParams() []HyperParam {
	return []HyperParam{
		{Name: "num_trees", Int: true, Min: 1, Max: 10000, Grid: []float64{8, 32, 64}},
		{Name: "max_depth", Int: true, Min: 0, Max: 1000, Grid: []float64{8, 16, 32}},
		{Name: "min_samples_leaf", Int: true, Min: 1, Max: 1e9, Grid: []float64{1, 4, 16}},
	}
}

// With implements Tunable.
func (l *DecisionForest) With(v map[string]float64) (modules.Learner, error) {
	if err := checkHyper(l.HyperParams(), v); err != nil {
		return nil, err
	}
	c := *l
	setInt(v, "num_trees", &c.NumTrees)
	setInt(v, "max_depth", &c.MaxDepth)
	setInt(v, "min_samples_leaf", &c.MinSamplesLeaf)
	return &c, nil
}

// ---- Boosted trees ----

func boostedParams() []modules.Param {
	return []modules.Param{
		{Name: "max_leaves", Label: "Maximum number of leaves per tree", Type: modules.ParamInt, Default: int64(20),
			Min: modules.Bound(2), Max: modules.Bound(1 << 16), Help: "Each tree grows by splitting its best leaf until it has this many leaves."},
		minLeafParam(10),
		{Name: "learning_rate", Label: "Learning rate", Type: modules.ParamFloat, Default: 0.2,
			Min: modules.Bound(1e-6), Max: modules.Bound(1), Help: "Shrinks each tree's contribution; smaller rates need more trees and generalize better."},
		{Name: "num_trees", Label: "Number of trees constructed", Type: modules.ParamInt, Default: int64(100),
			Min: modules.Bound(1), Max: modules.Bound(100000), Help: "The number of boosting iterations."},
		depthParam(0),
		{Name: "l2_regularization", Label: "L2 regularization", Type: modules.ParamFloat, Default: 0.0,
			Min: modules.Bound(0), Max: modules.Bound(1e9), Help: "λ in a leaf's value −G/(H+λ): shrinks leaves with few rows towards zero."},
		{Name: "max_bins", Label: "Maximum number of bins per feature", Type: modules.ParamInt, Default: int64(255),
			Min: modules.Bound(2), Max: modules.Bound(255), Help: "Numeric features are cut into at most this many quantile bins before training."},
		seedParam(),
	}
}

const boostedHelp = "Gradient boosting with histogram-binned splits (as LightGBM and scikit-learn's " +
	"HistGradientBoosting): every feature is cut once into at most 255 quantile bins (the quantiles of at most " +
	"200,000 rows chosen by the seed); then each tree is fitted to the gradients of the loss of the trees before " +
	"it, splitting the leaf with the best gain G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ) until it has the maximum " +
	"number of leaves. A leaf's value is −learning rate × G/(H+λ). A category's bin ordering uses G/(H+10); a " +
	"feature with more than 255 categories shares one bin among its rarest." + treeFeaturesHelp

// TwoClassBoostedTreeInit is the Two-Class Boosted Decision Tree module.
type TwoClassBoostedTreeInit struct{}

// Spec implements modules.Module.
func (TwoClassBoostedTreeInit) Spec() modules.Spec {
	return modules.Spec{ID: "two_class_boosted_decision_tree", Version: 1, Name: "Two-Class Boosted Decision Tree", Category: modules.CategoryInitModel,
		Summary: "Creates a two-class gradient boosted trees model (log loss, histogram splits).",
		Help: "Minimizes the log loss; the model's raw score is the log-odds of the positive class (the second class " +
			"in sorted order), starting from the training log-odds. " + boostedHelp,
		Outputs: untrainedOut, Params: boostedParams()}
}

func (TwoClassBoostedTreeInit) build(p modules.Params) (modules.Learner, error) {
	return boostedFrom(p, modules.TaskBinary), nil
}

// Infer implements modules.Module.
func (m TwoClassBoostedTreeInit) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	return inferLearner(m, ic.Params)
}

// Run implements modules.Runner.
func (m TwoClassBoostedTreeInit) Run(rc *modules.Context) error { return runLearner(m, rc) }

// BoostedTreeRegressionInit is the Boosted Decision Tree Regression module.
type BoostedTreeRegressionInit struct{}

// Spec implements modules.Module.
func (BoostedTreeRegressionInit) Spec() modules.Spec {
	return modules.Spec{ID: "boosted_decision_tree_regression", Version: 1, Name: "Boosted Decision Tree Regression", Category: modules.CategoryInitModel,
		Summary: "Creates a gradient boosted regression trees model (squared error, histogram splits).",
		Help:    "Minimizes half the squared error, starting from the training mean. " + boostedHelp,
		Outputs: untrainedOut, Params: boostedParams()}
}

func (BoostedTreeRegressionInit) build(p modules.Params) (modules.Learner, error) {
	return boostedFrom(p, modules.TaskRegression), nil
}

// Infer implements modules.Module.
func (m BoostedTreeRegressionInit) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	return inferLearner(m, ic.Params)
}

// Run implements modules.Runner.
func (m BoostedTreeRegressionInit) Run(rc *modules.Context) error { return runLearner(m, rc) }

func boostedFrom(p modules.Params, task modules.Task) *BoostedTrees {
	return &BoostedTrees{Kind: task, MaxLeaves: p.Int("max_leaves"), MinSamplesLeaf: p.Int("min_samples_leaf"),
		LearningRate: p.Float("learning_rate"), NumTrees: p.Int("num_trees"), MaxDepth: p.Int("max_depth"),
		L2: p.Float("l2_regularization"), MaxBins: p.Int("max_bins"), Seed: uint64(p.Int("random_seed"))}
}

// BoostedTrees is the untrained gradient boosting learner.
type BoostedTrees struct {
	Kind           modules.Task
	MaxLeaves      int
	MinSamplesLeaf int
	LearningRate   float64
	NumTrees       int
	MaxDepth       int
	L2             float64
	MaxBins        int
	Seed           uint64
}

// Task implements modules.Learner.
func (l *BoostedTrees) Task() modules.Task { return l.Kind }

// Algorithm implements modules.Learner.
func (*BoostedTrees) Algorithm() string { return AlgoBoostedTrees }

// Train implements modules.Learner.
func (l *BoostedTrees) Train(ctx context.Context, t *table.Table, label string) (modules.Model, error) {
	if l.Kind != modules.TaskBinary && l.Kind != modules.TaskRegression {
		return nil, fmt.Errorf("boosted trees learn two-class classification or regression, not %s", l.Kind)
	}
	ts, d, y, _, err := prepareTree(ctx, t, label, l.Kind)
	if err != nil {
		return nil, err
	}
	loss := tree.LogLoss
	if l.Kind == modules.TaskRegression {
		loss = tree.SquaredError
	}
	m, err := tree.FitBoosted(ctx, d, y, tree.BoostParams{Loss: loss, NumTrees: l.NumTrees, LearningRate: l.LearningRate,
		MaxLeaves: l.MaxLeaves, MaxDepth: l.MaxDepth, MinSamplesLeaf: l.MinSamplesLeaf, L2: l.L2, MaxBins: l.MaxBins, Seed: l.Seed})
	if err != nil {
		return nil, fmt.Errorf("boosted trees: %w", err)
	}
	return ts.Model(AlgoBoostedTrees, l.Kind, &boostedPredictor{m}), nil
}

// HyperParams implements Tunable.
func (l *BoostedTrees) HyperParams() []HyperParam {
	return []HyperParam{
		{Name: "num_trees", Int: true, Min: 1, Max: 100000, Grid: []float64{20, 100, 500}},
		{Name: "max_leaves", Int: true, Min: 2, Max: 1 << 16, Grid: []float64{8, 20, 32, 128}},
		{Name: "learning_rate", Log: true, Min: 1e-6, Max: 1, Grid: []float64{0.025, 0.05, 0.1, 0.2, 0.4}},
		{Name: "min_samples_leaf", Int: true, Min: 1, Max: 1e9, Grid: []float64{1, 10, 50}},
		{Name: "l2_regularization", Min: 0, Max: 1e9, Grid: []float64{0, 1, 10}},
	}
}

// With implements Tunable.
func (l *BoostedTrees) With(v map[string]float64) (modules.Learner, error) {
	if err := checkHyper(l.HyperParams(), v); err != nil {
		return nil, err
	}
	c := *l
	setInt(v, "num_trees", &c.NumTrees)
	setInt(v, "max_leaves", &c.MaxLeaves)
	setFloat(v, "learning_rate", &c.LearningRate)
	setInt(v, "min_samples_leaf", &c.MinSamplesLeaf)
	setFloat(v, "l2_regularization", &c.L2)
	return &c, nil
}

// ---- shared plumbing ----

// prepareTree encodes a training table for the tree package: categories as
// codes, missing values as NaN. k is the number of classes (0 for regression).
func prepareTree(ctx context.Context, t *table.Table, label string, task modules.Task) (*TrainingSet, tree.Data, []float64, int, error) {
	ts, err := PrepareTraining(ctx, t, label, task, FeatureOptions{Encoding: Codes, Missing: NaN})
	if err != nil {
		return nil, tree.Data{}, nil, 0, err
	}
	cats := make([]int, ts.Features.Width())
	for j := range cats {
		cats[j] = ts.Features.Cardinality(j)
	}
	k := 0
	if task != modules.TaskRegression {
		k = len(ts.Target.Label.Classes)
	}
	return ts, tree.Data{Cols: ts.X.Cols, NumCats: cats}, ts.Target.Y, k, nil
}

// forestPredictor scores with a forest (a decision tree is a forest of one):
// averaged class probabilities, or the averaged value.
type forestPredictor struct{ *tree.Forest }

// Predict implements Predictor. Scoring already runs blocks in parallel, so
// each call uses one goroutine.
func (p *forestPredictor) Predict(x *Matrix, out []float64) {
	if err := p.Forest.Predict(tree.Data{Cols: x.Cols}, out, 1); err != nil {
		panic(err) // the envelope decoder checked the width
	}
}

// MarshalJSON implements json.Marshaler.
func (p *forestPredictor) MarshalJSON() ([]byte, error) { return json.Marshal(p.Forest) }

// boostedPredictor scores with boosted trees: [1−p, p] per row for two
// classes, the value for regression.
type boostedPredictor struct{ *tree.Boosted }

// Predict implements Predictor.
func (p *boostedPredictor) Predict(x *Matrix, out []float64) {
	d := tree.Data{Cols: x.Cols}
	if p.Loss == tree.SquaredError {
		if err := p.Boosted.Predict(d, out, 1); err != nil {
			panic(err)
		}
		return
	}
	prob := out[:x.Rows]
	if err := p.Boosted.Predict(d, prob, 1); err != nil {
		panic(err)
	}
	// Spread in place from the back so no value is overwritten before it is read.
	for i := x.Rows - 1; i >= 0; i-- {
		q := prob[i]
		out[2*i], out[2*i+1] = 1-q, q
	}
}

// MarshalJSON implements json.Marshaler.
func (p *boostedPredictor) MarshalJSON() ([]byte, error) { return json.Marshal(p.Boosted) }

func decodeForest(params json.RawMessage, head *Model) (Predictor, error) {
	var f tree.Forest
	if err := json.Unmarshal(params, &f); err != nil {
		return nil, err
	}
	if f.NumFeatures() != head.Features.Width() {
		return nil, fmt.Errorf("the trees use %d features, the encoding has %d", f.NumFeatures(), head.Features.Width())
	}
	if f.Outputs() != head.Width() {
		return nil, fmt.Errorf("the trees predict %d values a row, a %s model needs %d", f.Outputs(), head.Kind, head.Width())
	}
	return &forestPredictor{&f}, nil
}

func decodeBoosted(params json.RawMessage, head *Model) (Predictor, error) {
	var m tree.Boosted
	if err := json.Unmarshal(params, &m); err != nil {
		return nil, err
	}
	if m.NumFeatures() != head.Features.Width() {
		return nil, fmt.Errorf("the trees use %d features, the encoding has %d", m.NumFeatures(), head.Features.Width())
	}
	switch {
	case head.Kind == modules.TaskBinary && m.Loss == tree.LogLoss:
	case head.Kind == modules.TaskRegression && m.Loss == tree.SquaredError:
	default:
		return nil, errors.New("the boosted trees' loss does not match the model's task")
	}
	return &boostedPredictor{&m}, nil
}
