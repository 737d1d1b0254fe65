package ml

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/parallel"
	"github.com/trellis-studio/trellis/modules/table"
)

// maxGrid bounds the candidates of an entire-grid sweep, so a careless grid
// does not start training for days.
const maxGrid = 1000

// gridPoints is how many values a range gives in a grid sweep.
const gridPoints = 5

// TuneModelHyperparameters is the Tune Model Hyperparameters module.
type TuneModelHyperparameters struct{}

// Spec implements modules.Module.
func (TuneModelHyperparameters) Spec() modules.Spec {
	return modules.Spec{
		ID: "tune_model_hyperparameters", Version: 1, Name: "Tune Model Hyperparameters", Category: modules.CategoryTrain,
		Summary: "Sweeps a learner's hyper-parameters and trains the best model.",
		Help: "Trains the learner with many settings of its hyper-parameters and keeps the best by the chosen metric. " +
			"Each setting is measured on the validation dataset when one is connected (the model is trained on the " +
			"training dataset), otherwise by k-fold cross-validation of the training dataset (the same folds for every " +
			"setting). The best setting's model, trained on the whole training dataset, is output with a table of every " +
			"setting and its metrics, best first. Settings are tried in parallel; the results do not depend on how many run at once.\n\n" +
			"Ranges: `name=v1,v2,v3` lists values, `name=lo..hi` gives a range; separate parameters with `;`, for " +
			"example `max_depth=2,4,8; learning_rate=0.05..0.3`. Names are the learner's parameter names. An entire " +
			"grid tries every combination (a range counts as " + strconv.Itoa(gridPoints) + " evenly spaced values, " +
			"log-spaced for rates and penalties); a random grid tries a random subset of the combinations; a random " +
			"sweep draws each value at random from its list or range (log-uniformly for rates and penalties). Left " +
			"empty, the learner's usual values are used (for a random sweep, the range they span).",
		Inputs: []modules.Port{
			{Name: "untrained_model", Label: "Untrained model", Kind: modules.KindUntrainedModel},
			{Name: "training", Label: "Training dataset", Kind: modules.KindTable},
			{Name: "validation", Label: "Optional validation dataset", Kind: modules.KindTable, Optional: true,
				Help: "Rows to measure each setting on; without it, settings are cross-validated on the training rows."},
		},
		Outputs: []modules.Port{
			{Name: "sweep_results", Label: "Sweep results", Kind: modules.KindTable, Help: "Every setting tried and its metrics, best first."},
			{Name: "trained_model", Label: "Trained best model", Kind: modules.KindTrainedModel},
		},
		Params: []modules.Param{
			{Name: "label", Label: "Label column", Type: modules.ParamColumn, Input: "training", Required: true,
				Help: "The column to predict.", Example: "income"},
			{Name: "sweep", Label: "Parameter sweeping mode", Type: modules.ParamChoice, Default: "random",
				Choices: []modules.Choice{
					{Value: "grid", Label: "Entire grid", Help: "Every combination of the values."},
					{Value: "random_grid", Label: "Random grid", Help: "A random subset of the combinations, at most the maximum number of runs."},
					{Value: "random", Label: "Random sweep", Help: "Values drawn at random from the lists and ranges."},
				},
				Help: "How settings are chosen."},
			{Name: "max_runs", Label: "Maximum number of runs", Type: modules.ParamInt, Default: int64(5), Min: modules.Bound(1), Max: modules.Bound(10000),
				Help: "How many settings a random sweep or random grid tries.", ShowIf: &modules.Condition{Param: "sweep", Values: []string{"random", "random_grid"}}},
			{Name: "ranges", Label: "Parameter ranges", Type: modules.ParamString,
				Help:    "The values to try, as name=v1,v2 or name=lo..hi, separated by ';'. Empty: the learner's usual values.",
				Example: "max_depth=2,4,8; learning_rate=0.05..0.3"},
			classificationMetricParam("The metric that chooses the best setting of a classifier."),
			regressionMetricParam("The metric that chooses the best setting of a regression model."),
			{Name: "folds", Label: "Number of folds", Type: modules.ParamInt, Default: int64(3), Min: modules.Bound(2), Max: modules.Bound(100),
				Help: "Cross-validation folds used when no validation dataset is connected."},
			seedParam(),
		},
	}
}

// Infer implements modules.Module.
func (TuneModelHyperparameters) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	model := &modules.Shape{Kind: modules.KindTrainedModel}
	if ls := ic.Input("untrained_model"); ls != nil {
		if ls.Task == modules.TaskClustering {
			return nil, errors.New("Tune Model Hyperparameters needs a classification or regression learner")
		}
		model.Task = ls.Task
	}
	if _, err := parseSweep(ic.Params.String("ranges")); err != nil {
		return nil, modules.ParamErr("ranges", err)
	}
	s, ok := ic.Schema("training")
	if !ok {
		return []*modules.Shape{nil, model}, nil
	}
	lf, err := labelField(ic.Params, s, model.Task)
	if err != nil {
		return nil, err
	}
	model.Label = &lf
	model.Schema, _ = ScoreFields(model.Task, &lf, nil, 0)
	return []*modules.Shape{nil, model}, nil
}

// sweepParam is one parameter of a sweep: a list of values or a range.
type sweepParam struct {
	Name   string
	Values []float64
	Lo, Hi float64
	Range  bool
}

// parseSweep reads "name=v1,v2; name=lo..hi".
func parseSweep(s string) ([]sweepParam, error) {
	var out []sweepParam
	for _, clause := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '\n' }) {
		clause = strings.TrimSpace(clause)
		if clause == "" {
			continue
		}
		name, vals, ok := strings.Cut(clause, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("%q: want name=values", clause)
		}
		if slices.ContainsFunc(out, func(p sweepParam) bool { return p.Name == name }) {
			return nil, fmt.Errorf("%s is given twice", name)
		}
		p := sweepParam{Name: name}
		num := func(x string) (float64, error) {
			v, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("%s: %q is not a number", name, strings.TrimSpace(x))
			}
			return v, nil
		}
		if lo, hi, isRange := strings.Cut(vals, ".."); isRange {
			var err error
			if p.Lo, err = num(lo); err != nil {
				return nil, err
			}
			if p.Hi, err = num(hi); err != nil {
				return nil, err
			}
			if p.Lo > p.Hi {
				return nil, fmt.Errorf("%s: range %v..%v is empty", name, p.Lo, p.Hi)
			}
			p.Range = true
		} else {
			for _, x := range strings.Split(vals, ",") {
				v, err := num(x)
				if err != nil {
					return nil, err
				}
				p.Values = append(p.Values, v)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// resolveSweep checks the sweep against the learner's hyper-parameters, or
// builds the default one from them: their usual values, or for a random
// sweep the range those span.
func resolveSweep(ps []sweepParam, hps []HyperParam, mode string) ([]sweepParam, []HyperParam, error) {
	if len(ps) == 0 {
		for _, h := range hps {
			p := sweepParam{Name: h.Name, Values: slices.Clone(h.Grid)}
			if mode == "random" {
				p = sweepParam{Name: h.Name, Lo: slices.Min(h.Grid), Hi: slices.Max(h.Grid), Range: true}
			}
			ps = append(ps, p)
		}
	}
	specs := make([]HyperParam, len(ps))
	for i, p := range ps {
		k := slices.IndexFunc(hps, func(h HyperParam) bool { return h.Name == p.Name })
		if k < 0 {
			var names []string
			for _, h := range hps {
				names = append(names, h.Name)
			}
			return nil, nil, fmt.Errorf("the learner has no tunable parameter %q (it has %s)", p.Name, strings.Join(names, ", "))
		}
		h := hps[k]
		specs[i] = h
		vals := p.Values
		if p.Range {
			vals = []float64{p.Lo, p.Hi}
			if h.Int && math.Ceil(p.Lo) > math.Floor(p.Hi) {
				return nil, nil, fmt.Errorf("%s: range %v..%v holds no whole number", h.Name, p.Lo, p.Hi)
			}
		}
		for _, v := range vals {
			if v < h.Min || v > h.Max {
				return nil, nil, fmt.Errorf("%s = %v is outside [%v, %v]", h.Name, v, h.Min, h.Max)
			}
			if h.Int && !p.Range && v != math.Trunc(v) {
				return nil, nil, fmt.Errorf("%s = %v is not a whole number", h.Name, v)
			}
		}
	}
	return ps, specs, nil
}

// gridValues returns a parameter's values for a grid: its list, or points
// spread over its range.
func gridValues(p sweepParam, h HyperParam) []float64 {
	if !p.Range {
		return p.Values
	}
	var out []float64
	for i := range gridPoints {
		f := float64(i) / float64(gridPoints-1)
		v := p.Lo + f*(p.Hi-p.Lo)
		if h.Log && p.Lo > 0 {
			v = math.Exp(math.Log(p.Lo) + f*(math.Log(p.Hi)-math.Log(p.Lo)))
		}
		switch i { // exact ends, whatever the rounding in between
		case 0:
			v = p.Lo
		case gridPoints - 1:
			v = p.Hi
		}
		if h.Int {
			v = math.Round(v)
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// candidates lists the settings to try.
func candidates(mode string, maxRuns int, ps []sweepParam, specs []HyperParam, seed uint64) ([][]float64, error) {
	rng := rand.New(rand.NewPCG(seed, 0x74756e65)) // "tune"
	if mode == "random" {
		out := make([][]float64, maxRuns)
		for r := range out {
			row := make([]float64, len(ps))
			for i, p := range ps {
				h := specs[i]
				switch {
				case !p.Range:
					row[i] = p.Values[rng.IntN(len(p.Values))]
				case h.Int:
					lo, hi := math.Ceil(p.Lo), math.Floor(p.Hi)
					row[i] = lo + float64(rng.IntN(int(hi-lo)+1))
				case h.Log && p.Lo > 0:
					row[i] = math.Exp(math.Log(p.Lo) + rng.Float64()*(math.Log(p.Hi)-math.Log(p.Lo)))
				default:
					row[i] = p.Lo + rng.Float64()*(p.Hi-p.Lo)
				}
			}
			out[r] = row
		}
		return out, nil
	}
	grids := make([][]float64, len(ps))
	total := 1
	for i, p := range ps {
		grids[i] = gridValues(p, specs[i])
		total *= len(grids[i])
		if total > maxGrid && mode == "grid" {
			return nil, fmt.Errorf("the grid has more than %d combinations: narrow it or use a random sweep", maxGrid)
		}
		if total > 1<<20 {
			return nil, fmt.Errorf("the grid has more than %d combinations", 1<<20)
		}
	}
	order := make([]int, total)
	for i := range order {
		order[i] = i
	}
	if mode == "random_grid" && maxRuns < total {
		rng.Shuffle(total, func(a, b int) { order[a], order[b] = order[b], order[a] })
		order = order[:maxRuns]
		slices.Sort(order)
	}
	out := make([][]float64, len(order))
	for r, idx := range order {
		row := make([]float64, len(ps))
		// The first parameter varies slowest.
		for i := len(ps) - 1; i >= 0; i-- {
			row[i] = grids[i][idx%len(grids[i])]
			idx /= len(grids[i])
		}
		out[r] = row
	}
	return out, nil
}

// Run implements modules.Runner.
func (TuneModelHyperparameters) Run(rc *modules.Context) error {
	l, err := inputLearner(rc)
	if err != nil {
		return err
	}
	tl, ok := l.(Tunable)
	if !ok {
		return fmt.Errorf("the %s learner has no tunable hyper-parameters", l.Algorithm())
	}
	if l.Task() == modules.TaskClustering {
		return errors.New("Tune Model Hyperparameters needs a classification or regression learner")
	}
	train, err := rc.Table("training")
	if err != nil {
		return err
	}
	valid, err := rc.OptionalTable("validation")
	if err != nil {
		return err
	}
	label := rc.Params.String("label")
	if train.Schema().Index(label) < 0 {
		return modules.ParamErr("label", train.Schema().MissingColumnError(label))
	}
	if valid != nil && valid.Schema().Index(label) < 0 {
		return fmt.Errorf("the validation dataset lacks the label: %w", valid.Schema().MissingColumnError(label))
	}
	task := l.Task()
	metric, mi, err := chosenMetric(rc.Params, task)
	if err != nil {
		return err
	}
	parsed, err := parseSweep(rc.Params.String("ranges"))
	if err != nil {
		return modules.ParamErr("ranges", err)
	}
	mode := rc.Params.String("sweep")
	ps, specs, err := resolveSweep(parsed, tl.HyperParams(), mode)
	if err != nil {
		return modules.ParamErr("ranges", err)
	}
	seed := uint64(rc.Params.Int("random_seed"))
	cands, err := candidates(mode, rc.Params.Int("max_runs"), ps, specs, seed)
	if err != nil {
		return modules.ParamErr("ranges", err)
	}
	ev, err := newEvaluator(train, valid, label, task, rc.Params.Int("folds"), seed)
	if err != nil {
		return err
	}
	results := make([][]float64, len(cands))
	models := make([]modules.Model, len(cands))
	errs := make([]error, len(cands))
	ctx, cancel := context.WithCancel(rc.Ctx)
	defer cancel()
	var next, done atomic.Int64
	var wg parallel.Group
	for range max(1, min(rc.Workers, len(cands))) {
		wg.Go(func() {
			for {
				c := int(next.Add(1) - 1)
				if c >= len(cands) || ctx.Err() != nil {
					return
				}
				vals := map[string]float64{}
				for i, p := range ps {
					vals[p.Name] = cands[c][i]
				}
				cl, err := tl.With(vals)
				if err == nil {
					results[c], models[c], err = ev.evaluate(ctx, cl)
				}
				if err != nil {
					errs[c] = fmt.Errorf("run %d (%s): %w", c+1, describeSetting(ps, cands[c]), err)
					cancel()
					return
				}
				rc.Progress(0.9 * float64(done.Add(1)) / float64(len(cands)))
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := rc.Err(); err != nil {
		return err
	}
	order := make([]int, len(cands))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return compareMetric(results[a][mi], results[b][mi], metric.Higher) })
	best := order[0]
	bm := models[best]
	if bm == nil {
		vals := map[string]float64{}
		for i, p := range ps {
			vals[p.Name] = cands[best][i]
		}
		cl, err := tl.With(vals)
		if err != nil {
			return err
		}
		if bm, err = cl.Train(rc.Ctx, train, label); err != nil {
			return err
		}
	}
	rc.Log().Info("tuned", "runs", len(cands), "best", describeSetting(ps, cands[best]), metric.Name, results[best][mi])
	rc.SetOutput("sweep_results", sweepTable(ps, cands, results, order, metricsFor(task)))
	rc.SetOutput("trained_model", bm)
	rc.Progress(1)
	return nil
}

// compareMetric orders metric values best first, NaN last.
func compareMetric(a, b float64, higher bool) int {
	switch an, bn := math.IsNaN(a), math.IsNaN(b); {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	if higher {
		return cmp.Compare(b, a)
	}
	return cmp.Compare(a, b)
}

func describeSetting(ps []sweepParam, vals []float64) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Name + "=" + strconv.FormatFloat(vals[i], 'g', -1, 64)
	}
	return strings.Join(parts, ", ")
}

func sweepTable(ps []sweepParam, cands, results [][]float64, order []int, defs []metricDef) *table.Table {
	schema := table.Schema{{Name: "Run", Type: table.Int}}
	runs := make([]int64, len(order))
	for k, c := range order {
		runs[k] = int64(c + 1)
	}
	cols := []table.Column{table.NewInts(runs, nil)}
	for i, p := range ps {
		v := make([]float64, len(order))
		for k, c := range order {
			v[k] = cands[c][i]
		}
		schema = append(schema, table.Field{Name: p.Name, Type: table.Float})
		cols = append(cols, table.NewFloats(v, nil))
	}
	for m, d := range defs {
		if slices.ContainsFunc(schema, func(f table.Field) bool { return f.Name == d.Name }) {
			continue
		}
		v := make([]float64, len(order))
		for k, c := range order {
			v[k] = results[c][m]
		}
		schema = append(schema, table.Field{Name: d.Name, Type: table.Float})
		cols = append(cols, nullNaN(v))
	}
	return table.MustNew(schema, cols...)
}

// evaluator measures a learner setting: on a validation set, or by
// cross-validation on the training set with folds fixed for every setting.
type evaluator struct {
	train, valid *table.Table
	label        string
	task         modules.Task
	tg           *Target // over the training rows, then the validation rows
	folds        []int
	k            int
	validRows    []int
}

func newEvaluator(train, valid *table.Table, label string, task modules.Task, k int, seed uint64) (*evaluator, error) {
	ev := &evaluator{train: train, valid: valid, label: label, task: task, k: k}
	if valid == nil {
		if k > train.NumRows() {
			return nil, modules.ParamErrf("folds", "%d folds need at least %d rows, the training dataset has %d", k, k, train.NumRows())
		}
		tg, err := FitLabel(train, label, task)
		if err != nil {
			return nil, err
		}
		ev.tg = tg
		var strata []int
		if task != modules.TaskRegression {
			strata = tg.Class
		}
		ev.folds = AssignFolds(train.NumRows(), k, strata, seed)
		return ev, nil
	}
	// One label over both tables, so the classes of either are known.
	a, _, _ := train.Lookup(label)
	b, _, _ := valid.Lookup(label)
	if a.Type() != b.Type() {
		return nil, fmt.Errorf("the label %q is %s in the training dataset but %s in the validation dataset", label, a.Type(), b.Type())
	}
	f := table.Field{Name: label, Type: a.Type()}
	joint, err := table.Concat(table.MustNew(table.Schema{f}, a), table.MustNew(table.Schema{f}, b))
	if err != nil {
		return nil, err
	}
	if ev.tg, err = FitLabel(joint, label, task); err != nil {
		return nil, err
	}
	for r := range valid.NumRows() {
		ev.validRows = append(ev.validRows, train.NumRows()+r)
	}
	return ev, nil
}

// evaluate returns a setting's metrics (metricsFor order) and, when trained
// on the whole training set, its model.
func (ev *evaluator) evaluate(ctx context.Context, l modules.Learner) ([]float64, modules.Model, error) {
	defs := metricsFor(ev.task)
	if ev.valid != nil {
		m, err := l.Train(ctx, ev.train, ev.label)
		if err != nil {
			return nil, nil, err
		}
		out, err := predictGlobal(ctx, m, ev.valid, ev.tg.Label)
		if err != nil {
			return nil, nil, err
		}
		return computeMetrics(ev.task, ev.tg, ev.validRows, out, defs), m, nil
	}
	cv, err := crossValidate(ctx, l, ev.train, ev.tg, ev.folds, ev.k, 1, nil)
	if err != nil {
		return nil, nil, err
	}
	mean := make([]float64, len(defs))
	for m := range defs {
		for f := range ev.k {
			mean[m] += cv.metrics[f][m] / float64(ev.k)
		}
	}
	return mean, nil, nil
}
