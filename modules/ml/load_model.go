package ml

import (
	"crypto/sha256"
	"errors"
	"strings"
	"sync"

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
	key := sha256.Sum256([]byte(text))
	if m := loadedModels.get(key); m != nil {
		return m, nil
	}
	m, err := UnmarshalModel([]byte(text))
	if err != nil {
		return nil, modules.ParamErr("model", err)
	}
	loadedModels.put(key, m.(*Model))
	return m.(*Model), nil
}

// loadedModels keeps the last few decoded models by their text's hash: the
// designer validates a workflow at every edit, and a forest's JSON can take
// tens of milliseconds to decode. A decoded model is never modified, so one
// can serve every validation and run of the same text.
var loadedModels = &modelCache{max: 8}

type modelCache struct {
	mu      sync.Mutex
	max     int
	order   [][32]byte // oldest first
	entries map[[32]byte]*Model
}

func (c *modelCache) get(key [32]byte) *Model {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[key]
}

func (c *modelCache) put(key [32]byte, m *Model) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[[32]byte]*Model{}
	}
	if _, ok := c.entries[key]; ok {
		return
	}
	if len(c.order) == c.max {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
	c.order = append(c.order, key)
	c.entries[key] = m
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
