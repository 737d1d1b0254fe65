package ml

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/ml/metrics"
	"github.com/trellis-studio/trellis/modules/parallel"
	"github.com/trellis-studio/trellis/modules/table"
)

// FoldAssignments names the column of out-of-fold scores that says which fold
// (from 0) held each row out.
const FoldAssignments = "Fold Assignments"

// CrossValidateModel is the Cross Validate Model module.
type CrossValidateModel struct{}

// Spec implements modules.Module.
func (CrossValidateModel) Spec() modules.Spec {
	return modules.Spec{
		ID: "cross_validate_model", Version: 1, Name: "Cross Validate Model", Category: modules.CategoryEvaluate,
		Summary: "Estimates how well a learner generalizes by k-fold cross-validation.",
		Help: "The rows are shuffled (by the seed) and cut into k folds of nearly equal size; for classification " +
			"the folds are stratified by default, each holding every class in about its overall proportion. For each " +
			"fold a model is trained on the other folds and scores the fold, so every row gets an out-of-fold score. " +
			"Folds are trained in parallel; the results do not depend on how many run at once.\n\n" +
			"Outputs: the dataset with the out-of-fold score columns (as Score Model appends them) and `" + FoldAssignments +
			"` (the fold, from 0, that held the row out; role ignore); and a table of metrics per fold with their " +
			"mean and sample standard deviation (n − 1). Classification metrics are computed at the 0.5 threshold " +
			"(two classes) or on the most probable class; precision, recall and F-score are macro averages for " +
			"several classes. Metric names and definitions are Evaluate Model's.",
		Inputs: []modules.Port{
			{Name: "untrained_model", Label: "Untrained model", Kind: modules.KindUntrainedModel},
			{Name: "dataset", Label: "Dataset", Kind: modules.KindTable, Help: "The labelled data to cross-validate on."},
		},
		Outputs: []modules.Port{
			{Name: "scored_results", Label: "Scored results", Kind: modules.KindTable, Help: "Every row with its out-of-fold scores and fold."},
			{Name: "evaluation_results", Label: "Evaluation results by fold", Kind: modules.KindTable},
		},
		Params: []modules.Param{
			{Name: "label", Label: "Label column", Type: modules.ParamColumn, Input: "dataset", Required: true,
				Help: "The column to predict.", Example: "income"},
			{Name: "folds", Label: "Number of folds", Type: modules.ParamInt, Default: int64(10), Min: modules.Bound(2), Max: modules.Bound(1000),
				Help: "k: how many parts the data is cut into; each trains k − 1 of them."},
			{Name: "stratified", Label: "Stratify by class", Type: modules.ParamBool, Default: true,
				Help: "For classification, keep each class's proportion the same in every fold. Ignored for regression."},
			seedParam(),
		},
	}
}

// Infer implements modules.Module.
func (CrossValidateModel) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	task := modules.Task("")
	if ls := ic.Input("untrained_model"); ls != nil {
		if ls.Task == modules.TaskClustering {
			return nil, errors.New("Cross Validate Model needs a classification or regression learner")
		}
		task = ls.Task
	}
	var evalShape *modules.Shape
	if task != "" {
		evalShape = modules.TableShape(foldTableSchema(task))
	}
	s, ok := ic.Schema("dataset")
	if !ok {
		return []*modules.Shape{nil, evalShape}, nil
	}
	lf, err := labelField(ic.Params, s, task)
	if err != nil {
		return nil, err
	}
	fields, ok := ScoreFields(task, &lf, nil, 0)
	if !ok || task == "" {
		return []*modules.Shape{nil, evalShape}, nil
	}
	return []*modules.Shape{modules.TableShape(oofSchema(s, lf.Name, fields)), evalShape}, nil
}

func oofSchema(in table.Schema, label string, fields table.Schema) table.Schema {
	out := ScoredSchema(in, label, fields)
	return append(out, table.Field{Name: FoldAssignments, Type: table.Int, Role: table.Ignore})
}

// Run implements modules.Runner.
func (CrossValidateModel) Run(rc *modules.Context) error {
	l, err := inputLearner(rc)
	if err != nil {
		return err
	}
	if l.Task() == modules.TaskClustering {
		return errors.New("Cross Validate Model needs a classification or regression learner")
	}
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	label := rc.Params.String("label")
	if t.Schema().Index(label) < 0 {
		return modules.ParamErr("label", t.Schema().MissingColumnError(label))
	}
	k := rc.Params.Int("folds")
	if k > t.NumRows() {
		return modules.ParamErrf("folds", "%d folds need at least %d rows, the dataset has %d", k, k, t.NumRows())
	}
	tg, err := FitLabel(t, label, l.Task())
	if err != nil {
		return err
	}
	var strata []int
	if l.Task() != modules.TaskRegression && rc.Params.Bool("stratified") {
		strata = tg.Class
	}
	folds := AssignFolds(t.NumRows(), k, strata, uint64(rc.Params.Int("random_seed")))
	cv, err := crossValidate(rc.Ctx, l, t, tg, folds, k, rc.Workers, rc.Progress)
	if err != nil {
		return err
	}
	scored, err := cv.scoredTable(t, tg, folds)
	if err != nil {
		return err
	}
	rc.SetOutput("scored_results", scored)
	rc.SetOutput("evaluation_results", cv.foldTable())
	return nil
}

// AssignFolds returns each of n rows' fold in [0, k). Rows are shuffled by
// the seed; with strata (a class per row) each class is dealt round the
// folds in turn, continuing where the previous class stopped, so that every
// fold gets its share of every class and fold sizes differ by at most one.
func AssignFolds(n, k int, strata []int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, 0x63726f7373)) // "cross"
	perm := rng.Perm(n)
	folds := make([]int, n)
	if strata == nil {
		for pos, r := range perm {
			folds[r] = pos % k
		}
		return folds
	}
	// A stable sort by class keeps the shuffled order within each class.
	slices.SortStableFunc(perm, func(a, b int) int { return strata[a] - strata[b] })
	for pos, r := range perm {
		folds[r] = pos % k
	}
	return folds
}

// cvResult is what cross-validation learnt: the out-of-fold outputs (row-major,
// width per the task) and per-fold metrics.
type cvResult struct {
	task    modules.Task
	width   int
	out     []float64
	counts  []int
	metrics [][]float64 // [fold][metric]
	defs    []metricDef
}

// crossValidate trains a model per fold (workers at once) and collects the
// out-of-fold outputs in the global class order of tg.
func crossValidate(ctx context.Context, l modules.Learner, t *table.Table, tg *Target, folds []int, k, workers int, progress func(float64)) (*cvResult, error) {
	task := l.Task()
	n := t.NumRows()
	res := &cvResult{task: task, width: outputWidth(task, tg), counts: make([]int, k), metrics: make([][]float64, k), defs: metricsFor(task)}
	res.out = make([]float64, n*res.width)
	test := make([][]int, k)
	for r, f := range folds {
		test[f] = append(test[f], r)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next, done atomic.Int64
	errs := make([]error, k)
	var wg parallel.Group
	for range max(1, min(workers, k)) {
		wg.Go(func() {
			for {
				f := int(next.Add(1) - 1)
				if f >= k || ctx.Err() != nil {
					return
				}
				if err := res.runFold(ctx, l, t, tg, folds, f, test[f]); err != nil {
					errs[f] = fmt.Errorf("fold %d: %w", f, err)
					cancel()
					return
				}
				if progress != nil {
					progress(float64(done.Add(1)) / float64(k))
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

func (res *cvResult) runFold(ctx context.Context, l modules.Learner, t *table.Table, tg *Target, folds []int, f int, test []int) error {
	var trainRows []int
	for r, g := range folds {
		if g != f {
			trainRows = append(trainRows, r)
		}
	}
	m, err := l.Train(ctx, t.Take(trainRows), tg.Label.Name)
	if err != nil {
		return err
	}
	out, err := predictGlobal(ctx, m, t.Take(test), tg.Label)
	if err != nil {
		return err
	}
	w := res.width
	for i, r := range test {
		copy(res.out[r*w:(r+1)*w], out[i*w:(i+1)*w])
	}
	res.counts[f] = len(test)
	res.metrics[f] = computeMetrics(l.Task(), tg, test, out, res.defs)
	return nil
}

// outputWidth is the number of predictor outputs a row has for the task.
func outputWidth(task modules.Task, tg *Target) int {
	if task == modules.TaskRegression {
		return 1
	}
	return len(tg.Label.Classes)
}

// predictGlobal scores t with m and returns its outputs with classification
// probabilities laid out in the order of global's classes: a model trained on
// a subset may have seen fewer classes, which get probability 0.
func predictGlobal(ctx context.Context, mm modules.Model, t *table.Table, global *Label) ([]float64, error) {
	m, ok := mm.(*Model)
	if !ok {
		return nil, fmt.Errorf("the %s model cannot be evaluated here: it is not one of Trellis's learners", mm.Algorithm())
	}
	out, err := m.Predict(ctx, t)
	if err != nil {
		return nil, err
	}
	if m.Kind == modules.TaskRegression || slices.Equal(m.Label.Classes, global.Classes) {
		return out, nil
	}
	w, gw := len(m.Label.Classes), len(global.Classes)
	idx := make([]int, w)
	for c, name := range m.Label.Classes {
		idx[c] = slices.Index(global.Classes, name)
		if idx[c] < 0 {
			return nil, fmt.Errorf("the model predicts class %q, which the data does not have", name)
		}
	}
	n := t.NumRows()
	g := make([]float64, n*gw)
	for i := range n {
		for c, p := range out[i*w : (i+1)*w] {
			g[i*gw+idx[c]] = p
		}
	}
	return g, nil
}

// scoredTable builds the out-of-fold scored dataset.
func (res *cvResult) scoredTable(t *table.Table, tg *Target, folds []int) (*table.Table, error) {
	return scoredTableFor(t, res.task, tg, res.out, folds)
}

func scoredTableFor(t *table.Table, task modules.Task, tg *Target, out []float64, folds []int) (*table.Table, error) {
	cols, err := scoreColumns(task, tg.Label, out, t.NumRows())
	if err != nil {
		return nil, err
	}
	lf := tg.Label.Field()
	fields, _ := ScoreFields(task, &lf, tg.Label.Classes, 0)
	scored, err := AppendScores(t, tg.Label.Name, fields, cols)
	if err != nil {
		return nil, err
	}
	fa := make([]int64, len(folds))
	for i, f := range folds {
		fa[i] = int64(f)
	}
	return scored.WithColumn(table.Field{Name: FoldAssignments, Type: table.Int, Role: table.Ignore}, table.NewInts(fa, nil))
}

// scoreColumns turns outputs (row-major) into Score Model's columns, in
// ScoreFields order: the most probable class (ties to the earlier) and the
// probabilities, or the regression value.
func scoreColumns(task modules.Task, lab *Label, out []float64, n int) ([]table.Column, error) {
	if task == modules.TaskRegression {
		return []table.Column{table.NewFloats(out, nil)}, nil
	}
	w := len(lab.Classes)
	idx := make([]int, n)
	probs := make([][]float64, w)
	for k := range probs {
		probs[k] = make([]float64, n)
	}
	for i := range n {
		row := out[i*w : (i+1)*w]
		for k, p := range row {
			probs[k][i] = p
			if p > row[idx[i]] {
				idx[i] = k
			}
		}
	}
	labels, err := lab.classColumn(idx)
	if err != nil {
		return nil, err
	}
	cols := []table.Column{labels}
	if task == modules.TaskBinary {
		return append(cols, table.NewFloats(probs[1], nil)), nil
	}
	for _, p := range probs {
		cols = append(cols, table.NewFloats(p, nil))
	}
	return cols, nil
}

func foldTableSchema(task modules.Task) table.Schema {
	s := table.Schema{{Name: "Fold Number", Type: table.String}, {Name: "Number of examples in fold", Type: table.Int}}
	for _, d := range metricsFor(task) {
		s = append(s, table.Field{Name: d.Name, Type: table.Float})
	}
	return s
}

// foldTable lays out the per-fold metrics, then their mean and sample
// standard deviation.
func (res *cvResult) foldTable() *table.Table {
	k := len(res.counts)
	names := table.NewBuilder[string](k + 2)
	counts := table.NewBuilder[int64](k + 2)
	for f := range k {
		names.Append(fmt.Sprint(f))
		counts.Append(int64(res.counts[f]))
	}
	names.Append("Mean")
	names.Append("Standard Deviation")
	counts.AppendNull()
	counts.AppendNull()
	cols := []table.Column{table.NewStrings(names.Data(), nil), table.NewInts(counts.Data(), counts.Validity())}
	for m := range res.defs {
		v := make([]float64, k)
		for f := range k {
			v[f] = res.metrics[f][m]
		}
		mean, sd := meanStd(v)
		cols = append(cols, nullNaN(append(v, mean, sd)))
	}
	return table.MustNew(foldTableSchema(res.task), cols...)
}

// meanStd returns the mean and sample standard deviation (n − 1).
func meanStd(v []float64) (float64, float64) {
	var s float64
	for _, x := range v {
		s += x
	}
	mean := s / float64(len(v))
	if len(v) < 2 {
		return mean, math.NaN()
	}
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(v)-1))
}

// metricDef is an evaluation metric that cross-validation reports and
// tuning and permutation importance can optimize.
type metricDef struct {
	ID, Name string
	// Higher is set when larger values are better.
	Higher bool
}

var (
	binaryMetrics = []metricDef{
		{"accuracy", "Accuracy", true}, {"precision", "Precision", true}, {"recall", "Recall", true},
		{"f_score", "F-Score", true}, {"auc", "AUC", true}, {"log_loss", "Average Log Loss", false},
	}
	multiclassMetrics = []metricDef{
		{"accuracy", "Accuracy", true}, {"precision", "Macro Precision", true}, {"recall", "Macro Recall", true},
		{"f_score", "Macro F-Score", true}, {"log_loss", "Average Log Loss", false},
	}
	regressionMetrics = []metricDef{
		{"mae", "Mean Absolute Error", false}, {"rmse", "Root Mean Squared Error", false},
		{"rae", "Relative Absolute Error", false}, {"rse", "Relative Squared Error", false},
		{"r2", "Coefficient of Determination", true},
	}
)

func metricsFor(task modules.Task) []metricDef {
	switch task {
	case modules.TaskBinary:
		return binaryMetrics
	case modules.TaskMulticlass:
		return multiclassMetrics
	}
	return regressionMetrics
}

// classificationMetricParam and regressionMetricParam choose the metric a
// module optimizes or measures with.
func classificationMetricParam(help string) modules.Param {
	var cs []modules.Choice
	for _, d := range binaryMetrics {
		cs = append(cs, modules.Choice{Value: d.ID, Label: d.Name})
	}
	return modules.Param{Name: "classification_metric", Label: "Metric for classification", Type: modules.ParamChoice,
		Default: "accuracy", Choices: cs, Help: help + " AUC is for two classes only; for several classes precision, recall and F-score are macro averages."}
}

func regressionMetricParam(help string) modules.Param {
	var cs []modules.Choice
	for _, d := range regressionMetrics {
		cs = append(cs, modules.Choice{Value: d.ID, Label: d.Name})
	}
	return modules.Param{Name: "regression_metric", Label: "Metric for regression", Type: modules.ParamChoice,
		Default: "mae", Choices: cs, Help: help}
}

// chosenMetric returns the metric the params choose for the task and its index in metricsFor(task).
func chosenMetric(p modules.Params, task modules.Task) (metricDef, int, error) {
	param := "classification_metric"
	if task == modules.TaskRegression {
		param = "regression_metric"
	}
	id := p.String(param)
	for i, d := range metricsFor(task) {
		if d.ID == id {
			return d, i, nil
		}
	}
	return metricDef{}, 0, modules.ParamErrf(param, "%q is not available for %s", id, task)
}

// computeMetrics evaluates outputs (row-major, global class order) of the
// given rows of tg, returning a value per def.
func computeMetrics(task modules.Task, tg *Target, rows []int, out []float64, defs []metricDef) []float64 {
	vals := map[string]float64{}
	switch task {
	case modules.TaskRegression:
		y := make([]float64, len(rows))
		for i, r := range rows {
			y[i] = tg.Y[r]
		}
		rep := metrics.Regression(y, out)
		vals = map[string]float64{"mae": rep.MAE, "rmse": rep.RMSE, "rae": rep.RAE, "rse": rep.RSE, "r2": rep.R2}
	case modules.TaskBinary:
		truth := make([]bool, len(rows))
		p := make([]float64, len(rows))
		for i, r := range rows {
			truth[i] = tg.Class[r] == 1
			p[i] = out[2*i+1]
		}
		rep := metrics.Binary(truth, p, 0.5)
		vals = map[string]float64{"accuracy": rep.Accuracy, "precision": rep.Precision, "recall": rep.Recall,
			"f_score": rep.F1, "auc": rep.AUC, "log_loss": rep.LogLoss}
	default:
		k := len(tg.Label.Classes)
		truth := make([]int, len(rows))
		pred := make([]int, len(rows))
		for i, r := range rows {
			truth[i] = tg.Class[r]
			row := out[i*k : (i+1)*k]
			for c, v := range row {
				if v > row[pred[i]] {
					pred[i] = c
				}
			}
		}
		rep := metrics.Multiclass(truth, pred, out, k)
		vals = map[string]float64{"accuracy": rep.Accuracy, "precision": rep.MacroPrecision, "recall": rep.MacroRecall,
			"f_score": rep.MacroF1, "log_loss": rep.LogLoss}
	}
	res := make([]float64, len(defs))
	for i, d := range defs {
		res[i] = vals[d.ID]
	}
	return res
}

// seq0 returns 0, 1, …, n-1.
func seq0(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
