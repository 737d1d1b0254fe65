package ml

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/parallel"
	"github.com/trellis-studio/trellis/modules/table"
)

// PermutationFeatureImportance is the Permutation Feature Importance module.
type PermutationFeatureImportance struct{}

// Spec implements modules.Module.
func (PermutationFeatureImportance) Spec() modules.Spec {
	return modules.Spec{
		ID: "permutation_feature_importance", Version: 1, Name: "Permutation Feature Importance", Category: modules.CategoryFeatureSelection,
		Summary: "Ranks a trained model's features by how much shuffling each one hurts the model.",
		Help: "Scores the dataset with the model, then, for each feature column the model uses, shuffles that column's " +
			"values among the rows (breaking its link to the label while keeping its distribution), scores again and " +
			"measures how much worse the chosen metric became. The importance is that loss: the metric before minus " +
			"after when larger is better (accuracy, AUC, R²), after minus before when smaller is better (errors, log " +
			"loss). A feature the model ignores scores 0; a negative score means the shuffled feature did better, by " +
			"chance. Each column's shuffle comes from the seed and the column's position, so a seed gives the same " +
			"table; columns are processed in parallel. The dataset needs the label column the model was trained on.",
		Inputs: []modules.Port{
			{Name: "trained_model", Label: "Trained model", Kind: modules.KindTrainedModel},
			{Name: "dataset", Label: "Test data", Kind: modules.KindTable, Help: "Labelled rows, ideally not those the model was trained on."},
		},
		Outputs: []modules.Port{{Name: "feature_importance", Label: "Feature importance", Kind: modules.KindTable,
			Help: "Feature and Score, most important first."}},
		Params: []modules.Param{
			seedParam(),
			classificationMetricParam("The metric whose loss measures importance for a classifier."),
			regressionMetricParam("The metric whose loss measures importance for a regression model."),
		},
	}
}

var importanceSchema = table.Schema{{Name: "Feature", Type: table.String}, {Name: "Score", Type: table.Float}}

// Infer implements modules.Module.
func (PermutationFeatureImportance) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	if ms := ic.Input("trained_model"); ms != nil && ms.Task == modules.TaskClustering {
		return nil, errors.New("Permutation Feature Importance needs a classification or regression model")
	}
	return []*modules.Shape{modules.TableShape(importanceSchema)}, nil
}

// Run implements modules.Runner.
func (PermutationFeatureImportance) Run(rc *modules.Context) error {
	mm, err := inputModel(rc)
	if err != nil {
		return err
	}
	m, ok := mm.(*Model)
	if !ok || m.Label == nil {
		return errors.New("Permutation Feature Importance needs a classification or regression model trained in Trellis")
	}
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	metric, mi, err := chosenMetric(rc.Params, m.Kind)
	if err != nil {
		return err
	}
	tg, err := truthFor(m, t)
	if err != nil {
		return err
	}
	defs := metricsFor(m.Kind)
	rows := seq0(t.NumRows())
	measure := func(ctx context.Context, tb *table.Table) (float64, error) {
		out, err := predictGlobal(ctx, m, tb, tg.Label)
		if err != nil {
			return 0, err
		}
		return computeMetrics(m.Kind, tg, rows, out, defs)[mi], nil
	}
	base, err := measure(rc.Ctx, t)
	if err != nil {
		return err
	}
	names := make([]string, len(m.Features.Columns))
	for j, c := range m.Features.Columns {
		names[j] = c.Name
	}
	scores := make([]float64, len(names))
	errs := make([]error, len(names))
	seed := uint64(rc.Params.Int("random_seed"))
	ctx, cancel := context.WithCancel(rc.Ctx)
	defer cancel()
	var next, done atomic.Int64
	var wg parallel.Group
	for range max(1, min(rc.Workers, len(names))) {
		wg.Go(func() {
			for {
				j := int(next.Add(1) - 1)
				if j >= len(names) || ctx.Err() != nil {
					return
				}
				col, ci, err := t.Lookup(names[j])
				if err != nil {
					errs[j] = err
					cancel()
					return
				}
				perm := rand.New(rand.NewPCG(seed, uint64(j))).Perm(t.NumRows())
				shuffled, err := t.WithColumn(t.Field(ci), col.Take(perm))
				if err == nil {
					var v float64
					if v, err = measure(ctx, shuffled); err == nil {
						scores[j] = base - v
						if !metric.Higher {
							scores[j] = v - base
						}
					}
				}
				if err != nil {
					errs[j] = fmt.Errorf("feature %q: %w", names[j], err)
					cancel()
					return
				}
				rc.Progress(float64(done.Add(1)) / float64(len(names)))
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
	rc.SetOutput("feature_importance", rankedTable(names, scores))
	return nil
}

// rankedTable lists features by score, highest first (NaN last, ties in
// input order).
func rankedTable(names []string, scores []float64) *table.Table {
	return rankedBy(names, scores, importanceSchema)
}

// rankedBy lists names with their scores, largest first (NaN last, as null),
// under schema's two column names.
func rankedBy(names []string, scores []float64, schema table.Schema) *table.Table {
	order := seq0(len(names))
	slices.SortStableFunc(order, func(a, b int) int { return compareMetric(scores[a], scores[b], true) })
	fs := make([]string, len(order))
	ss := make([]float64, len(order))
	for k, j := range order {
		fs[k], ss[k] = names[j], scores[j]
	}
	return table.MustNew(schema, table.NewStrings(fs, nil), nullNaN(ss))
}

// truthFor reads t's label column in the model's class order. A class the
// model never saw has no probability column to be measured by: it is an error.
func truthFor(m *Model, t *table.Table) (*Target, error) {
	tg, err := FitLabel(t, m.Label.Name, m.Kind)
	if err != nil {
		return nil, err
	}
	if m.Kind == modules.TaskRegression {
		return tg, nil
	}
	remap := make([]int, len(tg.Label.Classes))
	for c, name := range tg.Label.Classes {
		remap[c] = slices.Index(m.Label.Classes, name)
		if remap[c] < 0 {
			return nil, fmt.Errorf("label column %q holds class %q, which the model was not trained on", m.Label.Name, name)
		}
	}
	out := &Target{Label: m.Label, Class: make([]int, len(tg.Class)), Y: make([]float64, len(tg.Y))}
	for i, c := range tg.Class {
		out.Class[i] = remap[c]
		out.Y[i] = float64(remap[c])
	}
	return out, nil
}
