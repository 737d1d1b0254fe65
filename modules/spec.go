// Package modules is the contract every Trellis module keeps: a typed spec
// (ports and parameters), schema inference without running, and running —
// with fitting kept apart from applying for stateful modules — plus the
// registry the palette, the validator and the engine read specs from.
//
// It is a leaf: it knows tables, not workflows, storage or HTTP.
package modules

import (
	"fmt"
	"regexp"
	"strings"
)

// PortKind is the type of value that flows through a port.
type PortKind string

// The port kinds. Edges may only join ports of the same kind.
const (
	KindTable          PortKind = "table"
	KindUntrainedModel PortKind = "untrained_model"
	KindTrainedModel   PortKind = "trained_model"
	KindTransform      PortKind = "transform"
	KindReport         PortKind = "report"
)

// Valid reports whether k is one of the known kinds.
func (k PortKind) Valid() bool {
	switch k {
	case KindTable, KindUntrainedModel, KindTrainedModel, KindTransform, KindReport:
		return true
	}
	return false
}

// Port is a typed input or output of a module.
type Port struct {
	Name     string   `json:"name"`
	Label    string   `json:"label"`
	Kind     PortKind `json:"kind"`
	Optional bool     `json:"optional,omitempty"`
	Help     string   `json:"help,omitempty"`
}

// ParamType is the type of a parameter, and decides its widget in the designer.
type ParamType string

// The parameter types.
const (
	ParamString     ParamType = "string"
	ParamText       ParamType = "text" // multi-line string, e.g. pasted data
	ParamInt        ParamType = "int"
	ParamFloat      ParamType = "float"
	ParamBool       ParamType = "bool"
	ParamChoice     ParamType = "choice"
	ParamColumn     ParamType = "column"     // one column of an input's schema
	ParamColumns    ParamType = "columns"    // a ColumnSelector over an input's schema
	ParamExpression ParamType = "expression" // an expr-lang expression over an input's columns
)

// Choice is one allowed value of a choice parameter.
type Choice struct {
	Value string `json:"value"`
	Label string `json:"label"`
	Help  string `json:"help,omitempty"`
}

// Condition shows a parameter only when another choice or bool parameter has one of the values.
type Condition struct {
	Param  string   `json:"param"`
	Values []string `json:"values"`
}

// Param declares one parameter of a module.
type Param struct {
	Name  string    `json:"name"`
	Label string    `json:"label"`
	Type  ParamType `json:"type"`
	Help  string    `json:"help"`
	// Default is the value used when the node does not set one: a string,
	// int64, float64, bool or ColumnSelector matching Type. Nil with Required
	// false means "not set"; modules ask Params.Has.
	Default  any  `json:"default,omitempty"`
	Required bool `json:"required,omitempty"`
	// Min and Max bound int and float parameters (inclusive).
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Choices lists the values of a choice parameter.
	Choices []Choice `json:"choices,omitempty"`
	// Input names the input port whose schema column, columns and expression
	// parameters refer to.
	Input string `json:"input,omitempty"`
	// ShowIf hides the parameter in the designer unless the condition holds;
	// a hidden parameter is not validated as required.
	ShowIf *Condition `json:"show_if,omitempty"`
	// Example is a sample value shown in help and checked by the registry test.
	Example string `json:"example,omitempty"`
}

// Bound returns a pointer to v, for Param.Min and Param.Max literals.
func Bound(v float64) *float64 { return &v }

// Spec describes a module: everything the palette, the properties pane, the
// validator and the docs need, declared as a literal beside the module's code.
type Spec struct {
	// ID is stable forever (snake_case); Version increases when behaviour or
	// parameters change, so caches and published endpoints can tell.
	ID       string  `json:"id"`
	Version  int     `json:"version"`
	Name     string  `json:"name"`
	Category string  `json:"category"`
	Summary  string  `json:"summary"`
	Help     string  `json:"help"`
	Inputs   []Port  `json:"inputs"`
	Outputs  []Port  `json:"outputs"`
	Params   []Param `json:"params"`
	// Stateful is set by the registry when the module fits state (implements Fitter).
	Stateful bool `json:"stateful"`
}

// Ref returns "id@version".
func (s Spec) Ref() string { return fmt.Sprintf("%s@%d", s.ID, s.Version) }

// Input returns the index of the named input port, or -1.
func (s Spec) Input(name string) int { return portIndex(s.Inputs, name) }

// Output returns the index of the named output port, or -1.
func (s Spec) Output(name string) int { return portIndex(s.Outputs, name) }

// Param returns the named parameter.
func (s Spec) Param(name string) (Param, bool) {
	for _, p := range s.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

func portIndex(ports []Port, name string) int {
	for i, p := range ports {
		if p.Name == name {
			return i
		}
	}
	return -1
}

var identRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Categories in palette order.
var Categories = []string{
	CategoryDataIO, CategoryTransform, CategoryManipulation, CategorySample, CategoryStats,
	CategoryFeatureSelection, CategoryInitModel, CategoryTrain, CategoryScore, CategoryEvaluate,
}

// The palette categories, named as Azure ML Studio users know them.
const (
	CategoryDataIO           = "Data Input and Output"
	CategoryTransform        = "Data Transformation"
	CategoryManipulation     = "Manipulation"
	CategorySample           = "Sample and Split"
	CategoryStats            = "Statistical Functions"
	CategoryFeatureSelection = "Feature Selection"
	CategoryInitModel        = "Initialize Model"
	CategoryTrain            = "Train"
	CategoryScore            = "Score"
	CategoryEvaluate         = "Evaluate"
)

// Validate checks a spec for the mistakes the registry refuses.
func (s Spec) Validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if !identRE.MatchString(s.ID) {
		bad("id %q is not snake_case", s.ID)
	}
	if s.Version < 1 {
		bad("version must be at least 1")
	}
	if s.Name == "" || s.Summary == "" || s.Help == "" {
		bad("name, summary and help are required")
	}
	known := false
	for _, c := range Categories {
		known = known || c == s.Category
	}
	if !known {
		bad("unknown category %q", s.Category)
	}
	if len(s.Outputs) == 0 {
		bad("a module needs at least one output")
	}
	for _, group := range [][]Port{s.Inputs, s.Outputs} {
		seen := map[string]bool{}
		for _, p := range group {
			if !identRE.MatchString(p.Name) || seen[p.Name] {
				bad("port name %q is not snake_case or is repeated", p.Name)
			}
			seen[p.Name] = true
			if !p.Kind.Valid() {
				bad("port %q has unknown kind %q", p.Name, p.Kind)
			}
			if p.Label == "" {
				bad("port %q needs a label", p.Name)
			}
		}
	}
	seen := map[string]bool{}
	for _, p := range s.Params {
		if !identRE.MatchString(p.Name) || seen[p.Name] {
			bad("parameter name %q is not snake_case or is repeated", p.Name)
		}
		seen[p.Name] = true
		if p.Label == "" || p.Help == "" {
			bad("parameter %q needs a label and help", p.Name)
		}
		switch p.Type {
		case ParamString, ParamText, ParamInt, ParamFloat, ParamBool:
		case ParamChoice:
			if len(p.Choices) == 0 {
				bad("choice parameter %q has no choices", p.Name)
			}
		case ParamColumn, ParamColumns, ParamExpression:
			if s.Input(p.Input) < 0 || s.Inputs[s.Input(p.Input)].Kind != KindTable {
				bad("parameter %q refers to input %q, which is not a table input", p.Name, p.Input)
			}
		default:
			bad("parameter %q has unknown type %q", p.Name, p.Type)
		}
		if p.Default != nil {
			if _, err := coerce(p, p.Default); err != nil {
				bad("parameter %q default: %v", p.Name, err)
			}
		}
		if p.ShowIf != nil {
			if _, ok := s.Param(p.ShowIf.Param); !ok {
				bad("parameter %q show_if names unknown parameter %q", p.Name, p.ShowIf.Param)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("module %s: %s", s.Ref(), strings.Join(errs, "; "))
	}
	return nil
}
