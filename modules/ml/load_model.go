package ml

import (
	"errors"
	"strings"

	"github.com/trellis-studio/trellis/modules"
)

// LoadTrainedModel is the Load Trained Model module: the way back in for a
// model exported as JSON, so a model trained in another workflow, another
// Trellis or an earlier run can be scored, evaluated and published.
type LoadTrainedModel struct{}

var _ modules.Runner = LoadTrainedModel{}

// Spec implements modules.Module.
func (LoadTrainedModel) Spec() modules.Spec {
	return modules.Spec{
		ID: "load_trained_model", Version: 1, Name: "Load Trained Model", Category: modules.CategoryDataIO,
		Summary: "Makes a trained model from its exported JSON.",
		Help: "Paste a trained model as exported: the JSON of a Train Model or Train Clustering Model output " +
			"(its download in the designer, or `trellis run FLOW --out NODE.trained_model=model.json`); " +
			"headless, `trellis run FLOW --input NODE=model.json` reads it from a file. The model is checked " +
			"when the workflow is validated: its format and version, its algorithm, and that its parameters fit " +
			"its features and classes. It scores exactly as it did where it was trained. The format is " +
			"described in modules/ml/API.md.",
		Outputs: []modules.Port{{Name: "trained_model", Label: "Trained model", Kind: modules.KindTrainedModel}},
		Params: []modules.Param{
			{Name: "model", Label: "Model JSON", Type: modules.ParamText, Required: true,
				Help:    "The exported model, starting {\"format\":\"trellis-model\",…}.",
				Example: `{"format":"trellis-model","version":1,"algorithm":"logistic_regression",…}`},
		},
	}
}

func (LoadTrainedModel) load(p modules.Params) (*Model, error) {
	text := p.String("model")
	if strings.TrimSpace(text) == "" {
		return nil, modules.ParamErr("model", errors.New("is empty: paste an exported model's JSON"))
	}
	m, err := UnmarshalModel([]byte(text))
	if err != nil {
		return nil, modules.ParamErr("model", err)
	}
	return m.(*Model), nil
}

// Infer implements modules.Module: the model is decoded (and so checked),
// and its task, label and score columns are what Score Model expects.
func (l LoadTrainedModel) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	m, err := l.load(ic.Params)
	if err != nil {
		return nil, err
	}
	out := &modules.Shape{Kind: modules.KindTrainedModel, Task: m.Kind, Schema: m.scoreFields()}
	if m.Label != nil {
		f := m.Label.Field()
		out.Label = &f
	}
	return []*modules.Shape{out}, nil
}

// Run implements modules.Runner.
func (l LoadTrainedModel) Run(rc *modules.Context) error {
	m, err := l.load(rc.Params)
	if err != nil {
		return err
	}
	rc.SetOutput("trained_model", m)
	return nil
}
