package workflow

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t *testing.T, doc string) *Workflow {
	t.Helper()
	wf, err := Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	return wf
}

const diffBase = `{
  "format": 1, "name": "loans",
  "parameters": [{"name": "min", "type": "int", "default": 1}, {"name": "gone", "type": "string"}],
  "nodes": [
    {"id": "a", "module": "enter_data_manually", "version": 1, "position": {"x": 0, "y": 0}, "params": {"data": "x\n1"}},
    {"id": "b", "module": "filter_rows", "version": 1, "position": {"x": 0, "y": 100}, "params": {"expression": "x > 0"}},
    {"id": "c", "module": "summarize_data", "version": 1, "position": {"x": 0, "y": 200}}
  ],
  "edges": [
    {"from": {"node": "a", "port": "dataset"}, "to": {"node": "b", "port": "dataset"}},
    {"from": {"node": "b", "port": "results"}, "to": {"node": "c", "port": "dataset"}}
  ]
}`

func TestCompareSame(t *testing.T) {
	a := mustParse(t, diffBase)
	// Same meaning, other formatting: keys reordered, 1 written as 1.0.
	b := mustParse(t, strings.Replace(diffBase, `"default": 1}`, `"default": 1.0}`, 1))
	if d := Compare(a, b); !d.Empty() {
		t.Errorf("Compare of equivalent documents = %+v, want empty", d)
	}
}

func TestCompare(t *testing.T) {
	a := mustParse(t, diffBase)
	b := a.Clone()
	b.Name = "loans v2"
	b.Nodes[1].Params["expression"] = json.RawMessage(`"x > 5"`)
	b.Nodes[1].Title = "Big ones"
	b.Nodes[1].Position.X = 40
	b.Nodes[0].Version = 2
	b.Nodes = b.Nodes[:2] // c removed
	b.Nodes = append(b.Nodes, Node{ID: "d", Module: "sort_data", Version: 1})
	b.Edges = []Edge{b.Edges[0], {From: PortRef{"b", "results"}, To: PortRef{"d", "dataset"}}}
	b.Parameters = []Parameter{{Name: "min", Type: "int", Default: json.RawMessage("2")}, {Name: "new", Type: "bool"}}

	d := Compare(a, b)
	want := &Diff{
		Name:         &Change[string]{From: "loans", To: "loans v2"},
		NodesAdded:   []Node{{ID: "d", Module: "sort_data", Version: 1}},
		NodesRemoved: []Node{a.Nodes[2]},
		NodesChanged: []NodeChange{
			{Node: "a", Version: &Change[int]{From: 1, To: 2}},
			{Node: "b", Title: &Change[string]{From: "", To: "Big ones"},
				Position: &Change[Position]{From: Position{0, 100}, To: Position{40, 100}},
				Params:   []ValueChange{{Name: "expression", From: json.RawMessage(`"x > 0"`), To: json.RawMessage(`"x > 5"`)}}},
		},
		EdgesAdded:        []Edge{{From: PortRef{"b", "results"}, To: PortRef{"d", "dataset"}}},
		EdgesRemoved:      []Edge{a.Edges[1]},
		ParametersAdded:   []Parameter{{Name: "new", Type: "bool"}},
		ParametersRemoved: []Parameter{a.Parameters[1]},
		ParametersChanged: []ParameterChange{{Name: "min", Default: &Change[json.RawMessage]{From: json.RawMessage("1"), To: json.RawMessage("2")}}},
	}
	got, _ := json.MarshalIndent(d, "", "  ")
	exp, _ := json.MarshalIndent(want, "", "  ")
	if string(got) != string(exp) {
		t.Errorf("Compare =\n%s\nwant\n%s", got, exp)
	}
	if d.Empty() {
		t.Error("Empty() = true for a diff with changes")
	}
}

func TestCompareParamAddedAndRemoved(t *testing.T) {
	a := mustParse(t, diffBase)
	b := a.Clone()
	delete(b.Nodes[1].Params, "expression")
	b.Nodes[2].Params = map[string]json.RawMessage{"x": json.RawMessage("true")}
	d := Compare(a, b)
	want := []NodeChange{
		{Node: "b", Params: []ValueChange{{Name: "expression", From: json.RawMessage(`"x > 0"`), To: json.RawMessage("null")}}},
		{Node: "c", Params: []ValueChange{{Name: "x", From: json.RawMessage("null"), To: json.RawMessage("true")}}},
	}
	if !reflect.DeepEqual(d.NodesChanged, want) {
		t.Errorf("NodesChanged = %+v, want %+v", d.NodesChanged, want)
	}
}

func ExampleCompare() {
	a := &Workflow{Format: 1, Name: "loans", Nodes: []Node{{ID: "f", Module: "filter_rows", Version: 1,
		Params: map[string]json.RawMessage{"expression": json.RawMessage(`"income > 0"`)}}}}
	b := a.Clone()
	b.Nodes[0].Params["expression"] = json.RawMessage(`"income > 20000"`)
	for _, nc := range Compare(a, b).NodesChanged {
		for _, p := range nc.Params {
			fmt.Printf("%s.%s: %s → %s\n", nc.Node, p.Name, p.From, p.To)
		}
	}
	// Output: f.expression: "income > 0" → "income > 20000"
}
