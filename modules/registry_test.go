package modules

import (
	"errors"
	"strings"
	"testing"
)

type fakeModule struct {
	spec Spec
}

func (m fakeModule) Spec() Spec                            { return m.spec }
func (m fakeModule) Infer(*InferContext) ([]*Shape, error) { return []*Shape{nil}, nil }
func (m fakeModule) Run(*Context) error                    { return nil }
func (m fakeFitter) Fit(*Context) (State, error)           { return nil, nil }
func (m fakeFitter) Apply(*Context, State) error           { return nil }
func (m fakeFitter) Spec() Spec                            { return m.spec }
func (m fakeFitter) Infer(*InferContext) ([]*Shape, error) { return []*Shape{nil}, nil }

type fakeFitter struct{ spec Spec }

func fakeSpec(id string, version int) Spec {
	return Spec{ID: id, Version: version, Name: "Fake " + id, Category: CategoryTransform, Summary: "s", Help: "h",
		Outputs: []Port{{Name: "out", Label: "Out", Kind: KindTable}}}
}

func TestRegistryVersions(t *testing.T) {
	r, err := NewRegistry(fakeModule{fakeSpec("m", 2)}, fakeModule{fakeSpec("m", 1)}, fakeFitter{fakeSpec("f", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := r.Lookup("m", 0); m.Spec().Version != 2 {
		t.Error("version 0 should be the latest")
	}
	if m, _ := r.Lookup("m", 1); m.Spec().Version != 1 {
		t.Error("lookup of version 1")
	}
	if _, err := r.Lookup("m", 3); !errors.Is(err, ErrUnknownModule) || !strings.Contains(err.Error(), "versions available: 1, 2") {
		t.Errorf("missing version: %v", err)
	}
	if specs := r.Specs(); len(specs) != 2 {
		t.Errorf("Specs lists latest versions only, got %d", len(specs))
	}
	for _, s := range r.Specs() {
		if s.ID == "f" && !s.Stateful {
			t.Error("a Fitter's spec must say stateful")
		}
	}
}

func TestRegistryRefusesBadSpecs(t *testing.T) {
	bad := func(mut func(*Spec)) Module {
		s := fakeSpec("ok", 1)
		mut(&s)
		return fakeModule{s}
	}
	tests := []struct {
		name string
		mod  Module
		want string
	}{
		{"id", bad(func(s *Spec) { s.ID = "Bad Id" }), "snake_case"},
		{"no help", bad(func(s *Spec) { s.Help = "" }), "help are required"},
		{"category", bad(func(s *Spec) { s.Category = "Misc" }), "unknown category"},
		{"no outputs", bad(func(s *Spec) { s.Outputs = nil }), "at least one output"},
		{"port kind", bad(func(s *Spec) { s.Outputs[0].Kind = "blob" }), "unknown kind"},
		{"param undocumented", bad(func(s *Spec) { s.Params = []Param{{Name: "p", Label: "P", Type: ParamInt}} }), "label and help"},
		{"bad default", bad(func(s *Spec) {
			s.Params = []Param{{Name: "p", Label: "P", Help: "h", Type: ParamInt, Default: "x"}}
		}), "default"},
		{"column param without table input", bad(func(s *Spec) {
			s.Params = []Param{{Name: "c", Label: "C", Help: "h", Type: ParamColumn, Input: "nope"}}
		}), "not a table input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewRegistry(tt.mod); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := NewRegistry(fakeModule{fakeSpec("m", 1)}, fakeModule{fakeSpec("m", 1)}); err == nil {
		t.Error("duplicate id@version accepted")
	}
}

func TestParseRef(t *testing.T) {
	if id, v, err := ParseRef("normalize_data@2"); err != nil || id != "normalize_data" || v != 2 {
		t.Errorf("got %s %d %v", id, v, err)
	}
	if _, _, err := ParseRef("x@0"); err == nil {
		t.Error("version 0 accepted")
	}
}
