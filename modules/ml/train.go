package ml

import (
	"errors"
	"fmt"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// TrainModel is the Train Model module. It is a Fitter whose state is the
// serialized model, so a recorded run (or a published endpoint) reuses the
// exact trained model instead of training again.
type TrainModel struct{}

// Spec implements modules.Module.
func (TrainModel) Spec() modules.Spec {
	return modules.Spec{
		ID: "train_model", Version: 1, Name: "Train Model", Category: modules.CategoryTrain,
		Summary: "Trains a classification or regression model on a labelled dataset.",
		Help: "Connect an untrained model (from an Initialize Model module) and a training dataset, and choose the " +
			"label column. Every other column is a feature except those whose role is score, label or ignore " +
			"(set roles with Edit Metadata). The trained model remembers the feature columns, the categories of " +
			"string columns and the classes of the label, and scores new data exactly as trained. Rows with a " +
			"missing label are an error; remove them first (Clean Missing Data).",
		Inputs: []modules.Port{
			{Name: "untrained_model", Label: "Untrained model", Kind: modules.KindUntrainedModel},
			{Name: "dataset", Label: "Dataset", Kind: modules.KindTable, Help: "The training data, with the label column."},
		},
		Outputs: []modules.Port{{Name: "trained_model", Label: "Trained model", Kind: modules.KindTrainedModel}},
		Params: []modules.Param{{Name: "label", Label: "Label column", Type: modules.ParamColumn, Input: "dataset", Required: true,
			Help: "The column to predict.", Example: "income"}},
	}
}

// Infer implements modules.Module.
func (TrainModel) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	out := &modules.Shape{Kind: modules.KindTrainedModel}
	if ls := ic.Input("untrained_model"); ls != nil {
		if ls.Task == modules.TaskClustering {
			return nil, errors.New("a clustering model is trained with Train Clustering Model")
		}
		out.Task = ls.Task
	}
	s, ok := ic.Schema("dataset")
	if !ok {
		return []*modules.Shape{out}, nil
	}
	lf, err := labelField(ic.Params, s, out.Task)
	if err != nil {
		return nil, err
	}
	out.Label = &lf
	out.Schema, _ = ScoreFields(out.Task, &lf, nil, 0)
	return []*modules.Shape{out}, nil
}

func inputLearner(rc *modules.Context) (modules.Learner, error) {
	switch l := rc.Input("untrained_model").(type) {
	case modules.Learner:
		return l, nil
	case nil:
		return nil, errors.New(`input "untrained_model" is not connected`)
	default:
		return nil, fmt.Errorf(`input "untrained_model" holds %T, not an untrained model`, l)
	}
}

// Fit implements modules.Fitter: it trains and returns the model's envelope.
func (TrainModel) Fit(rc *modules.Context) (modules.State, error) {
	l, err := inputLearner(rc)
	if err != nil {
		return nil, err
	}
	if l.Task() == modules.TaskClustering {
		return nil, errors.New("a clustering model is trained with Train Clustering Model")
	}
	t, err := rc.Table("dataset")
	if err != nil {
		return nil, err
	}
	label := rc.Params.String("label")
	if t.Schema().Index(label) < 0 {
		return nil, modules.ParamErr("label", t.Schema().MissingColumnError(label))
	}
	m, err := l.Train(rc.Ctx, t, label)
	if err != nil {
		return nil, err
	}
	rc.Progress(1)
	b, err := MarshalModel(m)
	if err != nil {
		return nil, err
	}
	if mm, ok := m.(*Model); ok {
		rc.Log().Info("trained", "algorithm", mm.Algo, "task", mm.Kind, "rows", t.NumRows(), "features", mm.Features.Describe())
	}
	return b, nil
}

// Apply implements modules.Fitter: it outputs the model the state holds.
func (TrainModel) Apply(rc *modules.Context, s modules.State) error {
	m, err := UnmarshalModel(s)
	if err != nil {
		return err
	}
	rc.SetOutput("trained_model", m)
	return nil
}

// TrainClusteringModel is the Train Clustering Model module, a Fitter like
// Train Model.
type TrainClusteringModel struct{}

// Spec implements modules.Module.
func (TrainClusteringModel) Spec() modules.Spec {
	return modules.Spec{
		ID: "train_clustering_model", Version: 1, Name: "Train Clustering Model", Category: modules.CategoryTrain,
		Summary: "Trains a clustering model and assigns the training rows to clusters.",
		Help: "Connect an untrained clustering model (K-Means Clustering) and a dataset. The chosen columns " +
			"(by default every column whose role is not label, score or ignore) are clustered; the trained model " +
			"and the dataset with each row's cluster (Assignments) and its distance to every centre are output.",
		Inputs: []modules.Port{
			{Name: "untrained_model", Label: "Untrained model", Kind: modules.KindUntrainedModel},
			{Name: "dataset", Label: "Dataset", Kind: modules.KindTable},
		},
		Outputs: []modules.Port{
			{Name: "trained_model", Label: "Trained model", Kind: modules.KindTrainedModel},
			{Name: "results", Label: "Results dataset", Kind: modules.KindTable},
		},
		Params: []modules.Param{
			{Name: "columns", Label: "Column set", Type: modules.ParamColumns, Input: "dataset",
				Help: "The columns to cluster on; empty means every feature column.", Example: `["age", "income"]`},
			{Name: "append", Label: "Append results to the dataset", Type: modules.ParamBool, Default: true,
				Help: "Output the whole dataset with the cluster columns appended; otherwise only the cluster columns."},
		},
	}
}

func (TrainClusteringModel) selectColumns(p modules.Params, t *table.Table) (*table.Table, error) {
	sel := p.Columns("columns")
	if sel.IsEmpty() {
		return t, nil
	}
	idx, err := sel.Resolve(t.Schema())
	if err != nil {
		return nil, modules.ParamErr("columns", err)
	}
	if len(idx) == 0 {
		return nil, modules.ParamErrf("columns", "selects no columns")
	}
	return t.Select(idx), nil
}

// Infer implements modules.Module.
func (m TrainClusteringModel) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	model := &modules.Shape{Kind: modules.KindTrainedModel, Task: modules.TaskClustering}
	if ls := ic.Input("untrained_model"); ls != nil {
		if ls.Task != "" && ls.Task != modules.TaskClustering {
			return nil, errors.New("Train Clustering Model needs a clustering model; train others with Train Model")
		}
		model.Schema = ls.Schema
	}
	s, ok := ic.Schema("dataset")
	if ok && !ic.Params.Columns("columns").IsEmpty() {
		if _, err := ic.Params.Columns("columns").Resolve(s); err != nil {
			return nil, modules.ParamErr("columns", err)
		}
	}
	if !ok || model.Schema == nil {
		return []*modules.Shape{model, nil}, nil
	}
	return []*modules.Shape{model, modules.TableShape(clusterSchema(s, model.Schema, ic.Params.Bool("append")))}, nil
}

func clusterSchema(in, fields table.Schema, appendCols bool) table.Schema {
	if !appendCols {
		return fields.Clone()
	}
	return ScoredSchema(in, "", fields)
}

// Fit implements modules.Fitter.
func (m TrainClusteringModel) Fit(rc *modules.Context) (modules.State, error) {
	l, err := inputLearner(rc)
	if err != nil {
		return nil, err
	}
	if l.Task() != modules.TaskClustering {
		return nil, errors.New("Train Clustering Model needs a clustering model; train others with Train Model")
	}
	t, err := rc.Table("dataset")
	if err != nil {
		return nil, err
	}
	ct, err := m.selectColumns(rc.Params, t)
	if err != nil {
		return nil, err
	}
	model, err := l.Train(rc.Ctx, ct, "")
	if err != nil {
		return nil, err
	}
	rc.Progress(1)
	return MarshalModel(model)
}

// Apply implements modules.Fitter: it outputs the model and assigns the
// dataset's rows.
func (TrainClusteringModel) Apply(rc *modules.Context, s modules.State) error {
	m, err := UnmarshalModel(s)
	if err != nil {
		return err
	}
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	res, err := assignClusters(rc, m, t, rc.Params.Bool("append"))
	if err != nil {
		return err
	}
	rc.SetOutput("trained_model", m)
	rc.SetOutput("results", res)
	return nil
}

// labelField is the field of the label parameter's column as a trained model
// will know it (a regression label is learnt as a float), for inference.
func labelField(p modules.Params, s table.Schema, task modules.Task) (table.Field, error) {
	label := p.String("label")
	f, found := s.Field(label)
	if !found {
		return table.Field{}, modules.ParamErr("label", s.MissingColumnError(label))
	}
	lf := table.Field{Name: f.Name, Type: f.Type, Role: table.Label}
	if task == modules.TaskRegression {
		lf.Type = table.Float
	}
	return lf, nil
}
