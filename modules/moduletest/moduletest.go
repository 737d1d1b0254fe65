// Package moduletest runs modules in tests the way the engine does: parameters
// resolved against the spec, Fit then Apply for stateful modules, and the
// inferred output schemas checked against what the run produced.
package moduletest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// Params resolves Go values against the module's spec.
func Params(m modules.Module, values map[string]any) (modules.Params, error) {
	raw := make(map[string]json.RawMessage, len(values))
	for k, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			return modules.Params{}, err
		}
		raw[k] = b
	}
	p, errs := modules.NewParams(m.Spec().Params, raw, nil)
	return p, errors.Join(errs...)
}

// Result is what one run of a module produced.
type Result struct {
	Outputs []any
	State   modules.State // nil for stateless modules
}

// Table returns output port's table, failing the test when it is not one.
func (r Result) Table(t testing.TB, m modules.Module, port string) *table.Table {
	t.Helper()
	i := m.Spec().Output(port)
	if i < 0 {
		t.Fatalf("%s has no output %q", m.Spec().ID, port)
	}
	tb, ok := r.Outputs[i].(*table.Table)
	if !ok {
		t.Fatalf("output %q is %T, not a table", port, r.Outputs[i])
	}
	return tb
}

// Run resolves params, runs the module (Fit+Apply when stateful) on inputs
// given by port order, and returns its outputs or its error. It also checks
// that Infer, given the input schemas, predicts the schema of every table
// output, failing the test when it does not.
func Run(t testing.TB, m modules.Module, params map[string]any, inputs ...any) (Result, error) {
	t.Helper()
	return run(t, m, params, nil, inputs)
}

// Apply runs a stateful module with recorded state instead of fitting.
func Apply(t testing.TB, m modules.Module, params map[string]any, state modules.State, inputs ...any) (Result, error) {
	t.Helper()
	if state == nil {
		t.Fatal("Apply needs a state")
	}
	return run(t, m, params, state, inputs)
}

// MustRun is Run failing the test on error.
func MustRun(t testing.TB, m modules.Module, params map[string]any, inputs ...any) Result {
	t.Helper()
	r, err := Run(t, m, params, inputs...)
	if err != nil {
		t.Fatalf("%s: %v", m.Spec().ID, err)
	}
	return r
}

func run(t testing.TB, m modules.Module, params map[string]any, state modules.State, inputs []any) (Result, error) {
	t.Helper()
	spec := modules.SpecOf(m)
	p, err := Params(m, params)
	if err != nil {
		return Result{}, err
	}
	shapes := make([]*modules.Shape, len(spec.Inputs))
	for i, in := range inputs {
		if tb, ok := in.(*table.Table); ok {
			shapes[i] = modules.TableShape(tb.Schema())
		} else if in != nil {
			shapes[i] = &modules.Shape{Kind: modules.KindOf(in)}
		}
	}
	ctx := context.Background()
	inferred, inferErr := m.Infer(&modules.InferContext{Spec: spec, Params: p, Inputs: shapes, Ctx: ctx})
	rc := modules.NewContext(ctx, spec, p, slices.Clone(inputs), nil, nil)
	rc.Workers = 2
	var res Result
	switch mod := m.(type) {
	case modules.Fitter:
		if state == nil {
			state, err = mod.Fit(rc)
			if err != nil {
				return Result{}, err
			}
		}
		res.State = state
		err = mod.Apply(rc, state)
	case modules.Runner:
		err = mod.Run(rc)
	default:
		t.Fatalf("%s is neither a Runner nor a Fitter", spec.ID)
	}
	if err != nil {
		return Result{}, err
	}
	res.Outputs = rc.Outputs()
	if inferErr != nil {
		t.Errorf("%s: Infer failed (%v) on inputs the run accepted", spec.ID, inferErr)
		return res, nil
	}
	for i, o := range res.Outputs {
		tb, ok := o.(*table.Table)
		if !ok || i >= len(inferred) || inferred[i] == nil {
			continue
		}
		if got, want := tb.Schema(), inferred[i].Schema; !slices.Equal(got, want) {
			t.Errorf("%s output %q: Infer predicted schema\n  %v\nbut the run produced\n  %v", spec.ID, spec.Outputs[i].Name, want, got)
		}
	}
	return res, nil
}

// Infer resolves params and runs schema inference on the given input schemas.
func Infer(t testing.TB, m modules.Module, params map[string]any, inputs ...table.Schema) ([]*modules.Shape, error) {
	t.Helper()
	spec := modules.SpecOf(m)
	p, err := Params(m, params)
	if err != nil {
		return nil, err
	}
	shapes := make([]*modules.Shape, len(spec.Inputs))
	for i, s := range inputs {
		if s != nil {
			shapes[i] = modules.TableShape(s)
		}
	}
	return m.Infer(&modules.InferContext{Spec: spec, Params: p, Inputs: shapes, Ctx: context.Background()})
}
