package ml

import (
	"fmt"

	"github.com/trellis-studio/trellis/modules"
)

// The ports every Initialize Model module has.
var (
	untrainedOut = []modules.Port{{Name: "untrained_model", Label: "Untrained model", Kind: modules.KindUntrainedModel,
		Help: "Connect to Train Model (or Train Clustering Model), Cross Validate Model or Tune Model Hyperparameters."}}
)

// learnerBuilder is what an Initialize Model module does: make the learner
// from its parameters, which also validates them.
type learnerBuilder interface {
	modules.Module
	build(p modules.Params) (modules.Learner, error)
}

// inferLearner is the Infer of every Initialize Model module.
func inferLearner(m learnerBuilder, p modules.Params) ([]*modules.Shape, error) {
	l, err := m.build(p)
	if err != nil {
		return nil, err
	}
	sh := learnerShape(l.Task())
	if c, ok := l.(interface{ clusters() int }); ok {
		sh.Schema, _ = ScoreFields(modules.TaskClustering, nil, nil, c.clusters())
	}
	return []*modules.Shape{sh}, nil
}

// runLearner is the Run of every Initialize Model module.
func runLearner(m learnerBuilder, rc *modules.Context) error {
	l, err := m.build(rc.Params)
	if err != nil {
		return err
	}
	rc.SetOutput("untrained_model", l)
	return nil
}

// hyper is the common part of Tunable.With: check names and ranges against
// the declared hyper-parameters before a learner copies the values.
func checkHyper(hp []HyperParam, values map[string]float64) error {
	for name, v := range values {
		found := false
		for _, h := range hp {
			if h.Name != name {
				continue
			}
			found = true
			if v < h.Min || v > h.Max {
				return fmt.Errorf("hyper-parameter %s = %v is outside [%v, %v]", name, v, h.Min, h.Max)
			}
			if h.Int && v != float64(int(v)) {
				return fmt.Errorf("hyper-parameter %s = %v is not a whole number", name, v)
			}
		}
		if !found {
			return fmt.Errorf("unknown hyper-parameter %q", name)
		}
	}
	return nil
}
