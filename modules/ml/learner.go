package ml

import (
	"context"
	"fmt"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// TrainingSet is a training table made ready for an algorithm: the learnt
// encoding, the encoded features and the label.
type TrainingSet struct {
	Features *Features
	X        *Matrix
	// Target is nil for clustering.
	Target *Target
}

// PrepareTraining learns the feature encoding and the label of t and encodes
// it. label is "" for clustering (task TaskClustering).
func PrepareTraining(ctx context.Context, t *table.Table, label string, task modules.Task, opts FeatureOptions) (*TrainingSet, error) {
	ts := &TrainingSet{}
	if task != modules.TaskClustering {
		tg, err := FitLabel(t, label, task)
		if err != nil {
			return nil, err
		}
		ts.Target = tg
	} else if t.NumRows() == 0 {
		return nil, fmt.Errorf("the training table has no rows")
	}
	f, err := FitFeatures(ctx, t, label, opts)
	if err != nil {
		return nil, err
	}
	ts.Features = f
	if ts.X, err = f.encode(ctx, t, opts.Share); err != nil {
		return nil, err
	}
	return ts, nil
}

// Model wraps a trained predictor with the set's encoding and label.
func (ts *TrainingSet) Model(algorithm string, task modules.Task, p Predictor) *Model {
	m := &Model{Algo: algorithm, Kind: task, Features: ts.Features, Predictor: p}
	if ts.Target != nil {
		m.Label = ts.Target.Label
	}
	return m
}

// HyperParam is a learner hyper-parameter that a sweep (Tune Model
// Hyperparameters) may vary.
type HyperParam struct {
	// Name is the Initialize module's parameter name.
	Name string
	Int  bool
	// Min and Max are the valid values (With refuses others).
	Min, Max float64
	// Low and High bound the default random sweep (both zero: Min and
	// Max), drawn log-uniformly when Log is set (Low is then positive).
	Low, High float64
	Log       bool
	// Grid is the default grid sweep.
	Grid []float64
}

// Tunable is a learner whose hyper-parameters can be swept.
type Tunable interface {
	modules.Learner
	HyperParams() []HyperParam
	// With returns a copy of the learner with the named hyper-parameters set,
	// or an error for an unknown name or an out-of-range value.
	With(values map[string]float64) (modules.Learner, error)
}

// learnerShape is the shape an Initialize Model module outputs.
func learnerShape(task modules.Task) *modules.Shape {
	return &modules.Shape{Kind: modules.KindUntrainedModel, Task: task}
}
