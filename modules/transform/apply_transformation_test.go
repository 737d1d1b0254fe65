package transform

import (
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/moduletest"
	"github.com/trellis-studio/trellis/modules/table"
)

// fitOn runs a stateful module on data and returns its transform.
func fitOn(t *testing.T, m modules.Module, params map[string]any, data *table.Table) modules.Transform {
	t.Helper()
	res := moduletest.MustRun(t, m, params, data)
	for _, o := range res.Outputs {
		if tr, ok := o.(modules.Transform); ok {
			return tr
		}
	}
	t.Fatalf("%s output no transform", m.Spec().ID)
	return nil
}

func TestApplyTransformationUsesTheFittedValues(t *testing.T) {
	train := table.MustNew(table.Schema{{Name: "x", Type: table.Float}, {Name: "city", Type: table.String}},
		table.NewFloats([]float64{1, 2, 3, 4}, nil), table.NewStrings([]string{"a", "b", "a", "b"}, nil))
	test := table.MustNew(table.Schema{{Name: "x", Type: table.Float}, {Name: "city", Type: table.String}},
		table.NewFloats([]float64{2.5, 10}, nil), table.NewStrings([]string{"b", "c"}, nil))
	tr := fitOn(t, NormalizeData{}, map[string]any{"columns": []string{"x"}}, train)
	res := moduletest.MustRun(t, ApplyTransformation{}, nil, tr, test)
	out := res.Table(t, ApplyTransformation{}, "results")
	// Training mean 2.5 and (population) deviation √1.25: 2.5 → 0, 10 → 7.5/√1.25.
	x := out.Column(0).(*table.Floats).Data()
	if x[0] != 0 || x[1] != 7.5/1.118033988749895 {
		t.Errorf("x = %v, want the training statistics applied", x)
	}
	if out.Schema().String() != "x:float, city:string" {
		t.Errorf("schema %s", out.Schema())
	}
	// Fitting on the test data would have given other values.
	refit := moduletest.MustRun(t, NormalizeData{}, map[string]any{"columns": []string{"x"}}, test).Table(t, NormalizeData{}, "results")
	if table.Equal(refit, out) {
		t.Error("the output equals a refit on the test data")
	}

	// A column the transformation needs and the dataset lacks is named.
	noX := test.Select([]int{1})
	if _, err := moduletest.Run(t, ApplyTransformation{}, nil, tr, noX); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("dataset without x: %v", err)
	}
	// Something else on the transform port is refused.
	if _, err := moduletest.Run(t, ApplyTransformation{}, nil, test, test); err == nil || !strings.Contains(err.Error(), "not a transformation") {
		t.Errorf("a table as the transform: %v", err)
	}
}

func TestApplyTransformationInfer(t *testing.T) {
	s := table.Schema{{Name: "x", Type: table.Int}, {Name: "y", Type: table.Float}}
	shapes, err := NormalizeData{}.Infer(&modules.InferContext{Spec: NormalizeData{}.Spec(),
		Params: mustParams(t, NormalizeData{}, map[string]any{"columns": []string{"x"}}), Inputs: []*modules.Shape{modules.TableShape(s)}})
	if err != nil {
		t.Fatal(err)
	}
	tr := shapes[1]
	infer := func(data table.Schema) *modules.Shape {
		t.Helper()
		out, err := ApplyTransformation{}.Infer(&modules.InferContext{Spec: ApplyTransformation{}.Spec(),
			Inputs: []*modules.Shape{tr, modules.TableShape(data)}})
		if err != nil {
			t.Fatal(err)
		}
		return out[0]
	}
	// The columns it was fitted on: the transformed schema (x becomes float).
	if got := infer(s); got == nil || got.Schema.String() != "x:float, y:float" {
		t.Errorf("same columns: %+v", got)
	}
	// Other columns: known after a run.
	if got := infer(s[:1]); got != nil {
		t.Errorf("other columns: %+v, want unknown", got)
	}
}

func mustParams(t *testing.T, m modules.Module, v map[string]any) modules.Params {
	t.Helper()
	p, err := moduletest.Params(m, v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
