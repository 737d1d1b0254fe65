package ml

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// ScoreModel is the Score Model module.
type ScoreModel struct{}

// Spec implements modules.Module.
func (ScoreModel) Spec() modules.Spec {
	return modules.Spec{
		ID: "score_model", Version: 1, Name: "Score Model", Category: modules.CategoryScore,
		Summary: "Scores a dataset with a trained model.",
		Help: "Appends the model's predictions to the dataset, all with the score role: `Scored Labels` (the " +
			"predicted class, or the predicted value for regression) and for a two-class model `Scored " +
			"Probabilities`, the probability of the positive class (the second class in sorted order), or for a " +
			"multiclass model one `Scored Probabilities_<class>` column per class. The label column, when the dataset " +
			"has it, gets the label role so that Evaluate Model finds it. The dataset needs every feature column " +
			"the model was trained on; other columns are kept and ignored. A category not seen in training is " +
			"handled by each model's rule for unseen values (see the learner's help), not refused.",
		Inputs: []modules.Port{
			{Name: "trained_model", Label: "Trained model", Kind: modules.KindTrainedModel},
			{Name: "dataset", Label: "Dataset", Kind: modules.KindTable},
		},
		Outputs: []modules.Port{{Name: "scored", Label: "Scored dataset", Kind: modules.KindTable}},
	}
}

// Infer implements modules.Module.
func (ScoreModel) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	ms := ic.Input("trained_model")
	s, ok := ic.Schema("dataset")
	if ms == nil || ms.Schema == nil || !ok {
		return []*modules.Shape{nil}, nil
	}
	label := ""
	if ms.Label != nil {
		label = ms.Label.Name
	}
	return []*modules.Shape{modules.TableShape(ScoredSchema(s, label, ms.Schema))}, nil
}

func inputModel(rc *modules.Context) (modules.Model, error) {
	switch m := rc.Input("trained_model").(type) {
	case modules.Model:
		return m, nil
	case nil:
		return nil, errors.New(`input "trained_model" is not connected`)
	default:
		return nil, fmt.Errorf(`input "trained_model" holds %T, not a trained model`, m)
	}
}

// Run implements modules.Runner.
func (ScoreModel) Run(rc *modules.Context) error {
	m, err := inputModel(rc)
	if err != nil {
		return err
	}
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	out, err := scoreWithProgress(rc, m, t)
	if err != nil {
		return err
	}
	rc.Progress(1)
	rc.SetOutput("scored", out)
	return nil
}

// AssignDataToClusters is the Assign Data to Clusters module.
type AssignDataToClusters struct{}

// Spec implements modules.Module.
func (AssignDataToClusters) Spec() modules.Spec {
	return modules.Spec{
		ID: "assign_data_to_clusters", Version: 1, Name: "Assign Data to Clusters", Category: modules.CategoryScore,
		Summary: "Assigns rows to the clusters of a trained clustering model.",
		Help: "Appends `Assignments`, the index (from 0) of each row's nearest cluster centre, and " +
			"`DistancesToClusterCenter no.<k>`, the Euclidean distance to every centre, all with the score role. " +
			"The dataset needs the columns the model was trained on.",
		Inputs: []modules.Port{
			{Name: "trained_model", Label: "Trained model", Kind: modules.KindTrainedModel},
			{Name: "dataset", Label: "Dataset", Kind: modules.KindTable},
		},
		Outputs: []modules.Port{{Name: "results", Label: "Results dataset", Kind: modules.KindTable}},
		Params: []modules.Param{{Name: "append", Label: "Append results to the dataset", Type: modules.ParamBool, Default: true,
			Help: "Output the whole dataset with the cluster columns appended; otherwise only the cluster columns."}},
	}
}

// Infer implements modules.Module.
func (AssignDataToClusters) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	ms := ic.Input("trained_model")
	if ms != nil && ms.Task != "" && ms.Task != modules.TaskClustering {
		return nil, errors.New("Assign Data to Clusters needs a clustering model; use Score Model for others")
	}
	s, ok := ic.Schema("dataset")
	if ms == nil || ms.Schema == nil || !ok {
		return []*modules.Shape{nil}, nil
	}
	return []*modules.Shape{modules.TableShape(clusterSchema(s, ms.Schema, ic.Params.Bool("append")))}, nil
}

// Run implements modules.Runner.
func (AssignDataToClusters) Run(rc *modules.Context) error {
	m, err := inputModel(rc)
	if err != nil {
		return err
	}
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	out, err := assignClusters(rc, m, t, rc.Params.Bool("append"))
	if err != nil {
		return err
	}
	rc.SetOutput("results", out)
	return nil
}

func assignClusters(rc *modules.Context, m modules.Model, t *table.Table, appendCols bool) (*table.Table, error) {
	if m.Task() != modules.TaskClustering {
		return nil, fmt.Errorf("the model is a %s model, not a clustering one", m.Task())
	}
	out, err := scoreWithProgress(rc, m, t)
	if err != nil {
		return nil, err
	}
	rc.Progress(1)
	if appendCols {
		return out, nil
	}
	keep := []int{out.Schema().Index(Assignments)}
	for k := 0; ; k++ {
		i := out.Schema().Index(DistancePrefix + strconv.Itoa(k))
		if i < 0 {
			break
		}
		keep = append(keep, i)
	}
	return out.Select(keep), nil
}

// progressScorer is implemented by models that report how far scoring got
// (every model trained here), so a long scoring shows progress.
type progressScorer interface {
	ScoreProgress(ctx context.Context, t *table.Table, progress func(float64)) (*table.Table, error)
}

func scoreWithProgress(rc *modules.Context, m modules.Model, t *table.Table) (*table.Table, error) {
	if ps, ok := m.(progressScorer); ok {
		return ps.ScoreProgress(rc.Ctx, t, rc.Progress)
	}
	return m.Score(rc.Ctx, t)
}
