package builtin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/trellis-studio/trellis/modules"
)

var update = flag.Bool("update", false, "rewrite docs/modules.md")

func TestRegistryAcceptsEveryModule(t *testing.T) {
	if _, err := Registry(); err != nil {
		t.Fatal(err)
	}
}

// TestEverySpec walks every built-in spec: examples must be valid values of
// their parameter, and inference with nothing connected must not fail except
// by blaming a parameter.
func TestEverySpec(t *testing.T) {
	for _, m := range Modules() {
		s := modules.SpecOf(m)
		t.Run(s.Ref(), func(t *testing.T) {
			for _, p := range s.Params {
				if p.Example == "" {
					continue
				}
				// Examples of text-like parameters are the text itself; others are JSON.
				raw := map[string]json.RawMessage{p.Name: json.RawMessage(p.Example)}
				switch p.Type {
				case modules.ParamString, modules.ParamText, modules.ParamExpression, modules.ParamColumn, modules.ParamChoice:
					raw[p.Name], _ = json.Marshal(p.Example)
				}
				_, errs := modules.NewParams(s.Params, raw, nil)
				for _, err := range errs {
					var pe *modules.ParamError
					if errors.As(err, &pe) && pe.Param == p.Name {
						t.Errorf("parameter %s: example %s is invalid: %v", p.Name, p.Example, err)
					}
				}
			}
			params, _ := modules.NewParams(s.Params, nil, nil)
			shapes, err := m.Infer(&modules.InferContext{Spec: s, Params: params, Inputs: make([]*modules.Shape, len(s.Inputs)), Ctx: context.Background()})
			var pe *modules.ParamError
			if err != nil && !errors.As(err, &pe) {
				t.Errorf("Infer with no inputs: %v", err)
			}
			if err == nil && len(shapes) != len(s.Outputs) {
				t.Errorf("Infer returned %d shapes for %d outputs", len(shapes), len(s.Outputs))
			}
		})
	}
}

func TestModuleDocsAreCurrent(t *testing.T) {
	reg, err := Registry()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := modules.WriteMarkdown(&buf, reg.ByCategory()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "modules.md")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Error("docs/modules.md is out of date: run go test ./modules/builtin -update")
	}
}
