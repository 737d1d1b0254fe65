package transform

import (
	"errors"
	"fmt"

	"github.com/trellis-studio/trellis/modules"
)

// ApplyTransformation is the Apply Transformation module: a transform fitted
// on one dataset (Normalize Data's statistics, Clean Missing Data's
// replacements, …) applied to another, as the training data's statistics
// must be applied to the test data rather than fitted on it again.
type ApplyTransformation struct{}

var _ modules.Runner = ApplyTransformation{}

// Spec implements modules.Module.
func (ApplyTransformation) Spec() modules.Spec {
	return modules.Spec{
		ID: "apply_transformation", Version: 1, Name: "Apply Transformation", Category: modules.CategoryTransform,
		Summary: "Applies a transformation fitted on one dataset to another.",
		Help: "Connect the transformation output of Normalize Data, Clean Missing Data, Convert to Indicator " +
			"Values or Group Data into Bins, and a dataset with the columns it was fitted on. The dataset is " +
			"transformed with the fitted values — the training data's means, medians, categories or bin edges — " +
			"not with its own: fit on the training split, apply to the test split (or to new data), and the " +
			"two are encoded alike. Columns the transformation does not use are kept; a column it needs and the " +
			"dataset lacks is an error. The output columns are known before a run when the dataset has the " +
			"same columns as the one the transformation was fitted on.",
		Inputs: []modules.Port{
			{Name: "transform", Label: "Transformation", Kind: modules.KindTransform},
			{Name: "dataset", Label: "Dataset", Kind: modules.KindTable},
		},
		Outputs: []modules.Port{{Name: "results", Label: "Transformed dataset", Kind: modules.KindTable}},
	}
}

// Infer implements modules.Module.
func (ApplyTransformation) Infer(ic *modules.InferContext) ([]*modules.Shape, error) {
	tr, s := ic.Input("transform"), ic.Input("dataset")
	if tr == nil || s == nil || tr.Schema == nil || tr.Input == nil || s.Schema.String() != tr.Input.String() {
		return []*modules.Shape{nil}, nil
	}
	return []*modules.Shape{modules.TableShape(tr.Schema)}, nil
}

// Run implements modules.Runner.
func (ApplyTransformation) Run(rc *modules.Context) error {
	var tr modules.Transform
	switch v := rc.Input("transform").(type) {
	case modules.Transform:
		tr = v
	case nil:
		return errors.New(`input "transform" is not connected`)
	default:
		return fmt.Errorf(`input "transform" holds %T, not a transformation`, v)
	}
	t, err := rc.Table("dataset")
	if err != nil {
		return err
	}
	out, err := tr.Apply(rc.Ctx, t)
	if err != nil {
		return err
	}
	rc.Progress(1)
	rc.SetOutput("results", out)
	return nil
}
