package workflow

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestValidateProblems(t *testing.T) {
	tests := []struct {
		name   string
		nodes  []string
		edges  []string
		params map[string]string
		want   Problem // Message is matched as a substring
	}{
		{"unknown module", []string{"x:nope"}, nil, nil,
			Problem{Node: "x", Code: CodeUnknownModule, Message: `unknown module "nope"`}},
		{"unknown output port", []string{"s:const_table", "a:add"}, []string{"s.bad>a.in"}, nil,
			Problem{Node: "s", Port: "bad", Code: CodeUnknownPort, Message: "no output port"}},
		{"unknown input port", []string{"s:const_table", "a:add"}, []string{"s.out>a.bad"}, nil,
			Problem{Node: "a", Port: "bad", Code: CodeUnknownPort, Message: "no input port"}},
		{"incompatible kinds", []string{"s:const_table", "r:report", "a:add"}, []string{"s.out>r.in", "r.out>a.in"}, nil,
			Problem{Node: "a", Port: "in", Code: CodeKindMismatch, Message: "report"}},
		{"two edges into one input", []string{"s:const_table", "t:const_table", "a:add"}, []string{"s.out>a.in", "t.out>a.in"}, nil,
			Problem{Node: "a", Port: "in", Code: CodeDuplicateInput}},
		{"cycle", []string{"a:add", "b:add"}, []string{"a.out>b.in", "b.out>a.in"}, nil,
			Problem{Node: "a", Code: CodeCycle, Message: "a, b"}},
		{"missing required input", []string{"a:add"}, nil, nil,
			Problem{Node: "a", Port: "in", Code: CodeMissingInput}},
		{"bad parameter value", []string{"s:const_table", "a:add"}, []string{"s.out>a.in"}, map[string]string{"a.amount": `"lots"`},
			Problem{Node: "a", Param: "amount", Code: CodeInvalidParam, Message: "want a number"}},
		{"unknown parameter", []string{"s:const_table"}, nil, map[string]string{"s.colour": `"red"`},
			Problem{Node: "s", Param: "colour", Code: CodeInvalidParam, Message: "unknown parameter"}},
		{"undefined workflow parameter", []string{"s:const_table"}, nil, map[string]string{"s.values": `"$vals"`},
			Problem{Node: "s", Param: "values", Code: CodeInvalidParam, Message: `"vals"`}},
		{"missing column found by inference", []string{"s:const_table", "a:add", "b:add"}, []string{"s.out>a.in", "a.out>b.in"}, map[string]string{"b.column": `"y"`},
			Problem{Node: "b", Param: "column", Code: CodeMissingColumn, Message: `"y" (available: x)`}},
		{"edge from unknown node", []string{"a:add"}, []string{"ghost.out>a.in"}, nil,
			Problem{Node: "a", Port: "in", Code: CodeUnknownNode, Message: "ghost"}},
		{"duplicate node id", []string{"a:const_table", "a:const_table"}, nil, nil,
			Problem{Node: "a", Code: CodeDuplicateNode}},
		{"bad node id", []string{"a b:const_table"}, nil, nil,
			Problem{Node: "a b", Code: CodeInvalidNode}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := Validate(context.Background(), build(tt.nodes, tt.edges, tt.params), testRegistry(), nil, nil)
			for _, p := range problems {
				if p.Node == tt.want.Node && p.Port == tt.want.Port && p.Param == tt.want.Param && p.Code == tt.want.Code && strings.Contains(p.Message, tt.want.Message) {
					return
				}
			}
			t.Errorf("problems %+v\ndo not include %+v", problems, tt.want)
		})
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	wf := build([]string{"s:const_table", "a:add", "b:add", "c:nope"}, []string{"s.out>a.in"},
		map[string]string{"a.amount": `"x"`, "s.values": `"$missing"`})
	problems := Validate(context.Background(), wf, testRegistry(), nil, nil)
	codes := map[string]bool{}
	for _, p := range problems {
		codes[p.Node+":"+p.Code] = true
	}
	for _, want := range []string{"a:" + CodeInvalidParam, "s:" + CodeInvalidParam, "b:" + CodeMissingInput, "c:" + CodeUnknownModule} {
		if !codes[want] {
			t.Errorf("missing problem %s in %+v", want, problems)
		}
	}
}

func TestValidWorkflowHasNoProblems(t *testing.T) {
	if p := Validate(context.Background(), sixNodes("1"), testRegistry(), nil, nil); len(p) != 0 {
		t.Errorf("problems: %+v", p)
	}
}

func TestWorkflowJSONGolden(t *testing.T) {
	wf := sixNodes("2.5")
	wf.Name = "Six nodes"
	wf.Description = "A chain with a branch, used by the engine tests."
	wf.Parameters = []Parameter{{Name: "threshold", Type: "float", Default: []byte("0.5"), Help: "Cut-off."}}
	for i := range wf.Nodes {
		wf.Nodes[i].Position = Position{X: float64(i * 200), Y: 40}
	}
	wf.Nodes[1].Title = "Add one"
	wf.Nodes[1].Comment = "Shifts x."
	got, err := wf.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "six_nodes.workflow.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("marshalled workflow differs from %s (run go test -update):\n%s", golden, got)
	}
	back, err := Parse(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := back.Marshal()
	if !bytes.Equal(again, want) {
		t.Errorf("parse + marshal does not round-trip:\n%s", again)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"unknown field", "{\"format\": 1,\n \"nodez\": []}", `unknown field "nodez"`},
		{"syntax error has line and column", "{\"format\": 1,\n \"nodes\": [}", "line 2, column"},
		{"wrong type", `{"format": 1, "nodes": [{"id": 5}]}`, "line 1, column"},
		{"newer format", `{"format": 99}`, "format 99 is newer"},
		{"no format", `{"name": "x"}`, `"format" is missing`},
		{"trailing data", `{"format": 1} {}`, "unexpected data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"format":1,"nodes":[],"edges":[]}`, `{"format":1,"nodes":[{"id":"a","module":"add","version":1}]}`} {
		f.Add(s)
	}
	golden, _ := os.ReadFile(filepath.Join("testdata", "six_nodes.workflow.json"))
	f.Add(string(golden))
	reg := testRegistry()
	f.Fuzz(func(t *testing.T, doc string) {
		wf, err := Parse(strings.NewReader(doc))
		if err != nil {
			return
		}
		Validate(context.Background(), wf, reg, nil, nil)
	})
}
