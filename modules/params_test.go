package modules

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/trellis-studio/trellis/modules/table"
)

var testParams = []Param{
	{Name: "n", Label: "N", Type: ParamInt, Help: "h", Default: int64(3), Min: Bound(1), Max: Bound(10)},
	{Name: "rate", Label: "Rate", Type: ParamFloat, Help: "h", Default: 0.5},
	{Name: "on", Label: "On", Type: ParamBool, Help: "h", Default: true},
	{Name: "mode", Label: "Mode", Type: ParamChoice, Help: "h", Default: "a", Choices: []Choice{{Value: "a", Label: "A"}, {Value: "b", Label: "B"}}},
	{Name: "value", Label: "Value", Type: ParamString, Help: "h", Required: true, ShowIf: &Condition{Param: "mode", Values: []string{"b"}}},
	{Name: "cols", Label: "Cols", Type: ParamColumns, Help: "h", Input: "in"},
	{Name: "expr", Label: "Expr", Type: ParamExpression, Help: "h", Input: "in"},
}

func raw(kv ...string) map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = json.RawMessage(kv[i+1])
	}
	return m
}

func TestNewParams(t *testing.T) {
	p, errs := NewParams(testParams, raw("n", "7", "rate", `"0.25"`, "on", "false", "cols", `["a","b"]`, "expr", `"$limit > 3"`), map[string]any{"limit": 1})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if p.Int("n") != 7 || p.Float("rate") != 0.25 || p.Bool("on") || p.String("mode") != "a" {
		t.Errorf("values %v", p.Values())
	}
	if got := p.Columns("cols").String(); got != "a, b" {
		t.Errorf("cols %q", got)
	}
	if p.String("expr") != "$limit > 3" {
		t.Errorf("expressions keep $vars for the compiler: %q", p.String("expr"))
	}
	if p.Has("value") {
		t.Error("value should be unset")
	}
}

func TestNewParamsWorkflowBinding(t *testing.T) {
	p, errs := NewParams(testParams, raw("n", `"$count"`, "value", `"$$literal"`), map[string]any{"count": int64(4)})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if p.Int("n") != 4 || p.String("value") != "$literal" {
		t.Errorf("got n=%d value=%q", p.Int("n"), p.String("value"))
	}
}

func TestNewParamsErrors(t *testing.T) {
	tests := []struct {
		name  string
		raw   map[string]json.RawMessage
		param string
		want  string
	}{
		{"below minimum", raw("n", "0"), "n", "below the minimum 1"},
		{"not whole", raw("n", "2.5"), "n", "whole number"},
		{"not a number", raw("rate", `"fast"`), "rate", `want a number, got "fast"`},
		{"bad choice", raw("mode", `"c"`), "mode", `"c" is not one of "a", "b"`},
		{"bad bool", raw("on", `"maybe"`), "on", "true or false"},
		{"unknown", raw("colour", `"red"`), "colour", "unknown parameter"},
		{"required when shown", raw("mode", `"b"`), "value", "is required"},
		{"undefined var", raw("n", `"$nope"`), "n", `workflow parameter "nope"`},
		{"bad selector", raw("cols", `{"rules":[{"types":["complex"]}]}`), "cols", "unknown column type"},
		{"bad JSON", raw("rate", `{`), "rate", "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := NewParams(testParams, tt.raw, nil)
			for _, err := range errs {
				var pe *ParamError
				if errors.As(err, &pe) && pe.Param == tt.param && strings.Contains(err.Error(), tt.want) {
					return
				}
			}
			t.Errorf("errors %v do not include %q on %s", errs, tt.want, tt.param)
		})
	}
}

func TestParamsAccessorPanicsOnUndeclared(t *testing.T) {
	p, _ := NewParams(testParams, nil, nil)
	defer func() {
		if recover() == nil {
			t.Error("reading an undeclared parameter did not panic")
		}
	}()
	p.Float("nope")
}

func TestColumnSelector(t *testing.T) {
	schema := table.Schema{
		{Name: "id", Type: table.Int, Role: table.Ignore},
		{Name: "age", Type: table.Int},
		{Name: "city", Type: table.String, Categorical: true},
		{Name: "income", Type: table.Float},
		{Name: "y", Type: table.Bool, Role: table.Label},
	}
	tests := []struct {
		name string
		sel  string
		want []string
	}{
		{"names keep order", `["income","age"]`, []string{"income", "age"}},
		{"comma string", `"city, id"`, []string{"city", "id"}},
		{"numeric", `{"rules":[{"types":["numeric"]}]}`, []string{"id", "age", "income"}},
		{"exclude first starts from all", `{"rules":[{"exclude":true,"roles":["label","ignore"]}]}`, []string{"age", "city", "income"}},
		{"categorical", `{"rules":[{"categorical":true}]}`, []string{"city"}},
		{"all then exclude names", `{"rules":[{"all":true},{"exclude":true,"names":["city"]}]}`, []string{"id", "age", "income", "y"}},
		{"type alias", `{"rules":[{"types":["double"]}]}`, []string{"income"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(tt.sel), &v); err != nil {
				t.Fatal(err)
			}
			s, err := ParseColumnSelector(v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.ResolveNames(schema)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := Names("age", "height").Resolve(schema); !errors.Is(err, table.ErrColumnNotFound) || !strings.Contains(err.Error(), `"height"`) {
		t.Errorf("missing column error: %v", err)
	}
	if _, err := ParseColumnSelector(map[string]any{"rules": []any{map[string]any{"exclude": true}}}); err == nil {
		t.Error("a rule matching nothing was accepted")
	}
	if _, err := ParseColumnSelector(map[string]any{"rulez": 1}); err == nil {
		t.Error("unknown field accepted")
	}
}
