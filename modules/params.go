package modules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/trellis-studio/trellis/modules/table"
)

// ParamError ties an error to the parameter at fault, so the designer can
// point at the field.
type ParamError struct {
	Param string
	Err   error
}

func (e *ParamError) Error() string { return fmt.Sprintf("parameter %s: %v", e.Param, e.Err) }
func (e *ParamError) Unwrap() error { return e.Err }

// ParamErr wraps err as the fault of parameter name.
func ParamErr(name string, err error) error {
	if err == nil {
		return nil
	}
	return &ParamError{Param: name, Err: err}
}

// ParamErrf formats an error as the fault of parameter name.
func ParamErrf(name, format string, args ...any) error {
	return &ParamError{Param: name, Err: fmt.Errorf(format, args...)}
}

// Params holds a node's parameter values, resolved against the module's spec:
// defaults applied, workflow parameters substituted, types checked. Modules
// read them through the typed accessors, which panic on a name the spec does
// not declare — a programming error the registry test catches.
type Params struct {
	spec   []Param
	values map[string]any
}

// NewParams resolves raw values (JSON, as stored in a workflow) against the
// spec's parameters. A string value "$name" takes workflow parameter name
// from vars ("$$" escapes a literal leading "$"). Every problem is returned
// at once as *ParamError values.
func NewParams(spec []Param, raw map[string]json.RawMessage, vars map[string]any) (Params, []error) {
	p := Params{spec: spec, values: make(map[string]any, len(spec))}
	var errs []error
	for name := range raw {
		if !slices.ContainsFunc(spec, func(q Param) bool { return q.Name == name }) {
			errs = append(errs, ParamErrf(name, "unknown parameter"))
		}
	}
	for _, q := range spec {
		r, ok := raw[q.Name]
		if !ok || isNull(r) {
			if q.Default != nil {
				v, _ := coerce(q, q.Default)
				p.values[q.Name] = v
			}
			continue
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			errs = append(errs, ParamErrf(q.Name, "invalid JSON: %v", err))
			continue
		}
		if s, ok := v.(string); ok && strings.HasPrefix(s, "$") {
			if strings.HasPrefix(s, "$$") {
				v = s[1:]
			} else if q.Type != ParamExpression {
				name := s[1:]
				wv, ok := vars[name]
				if !ok {
					errs = append(errs, ParamErrf(q.Name, "refers to workflow parameter %q, which is not defined", name))
					continue
				}
				v = wv
			}
		}
		cv, err := coerce(q, v)
		if err != nil {
			errs = append(errs, ParamErr(q.Name, err))
			continue
		}
		p.values[q.Name] = cv
	}
	for _, q := range spec {
		if _, ok := p.values[q.Name]; !ok && q.Required && p.shown(q) {
			errs = append(errs, ParamErrf(q.Name, "is required"))
		}
	}
	return p, errs
}

// MustParams builds Params from Go values, for tests and built-in defaults; it panics on error.
func MustParams(spec []Param, values map[string]any) Params {
	raw := make(map[string]json.RawMessage, len(values))
	for k, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		raw[k] = b
	}
	p, errs := NewParams(spec, raw, nil)
	if len(errs) > 0 {
		panic(errors.Join(errs...))
	}
	return p
}

func isNull(r json.RawMessage) bool {
	return len(bytes.TrimSpace(r)) == 0 || string(bytes.TrimSpace(r)) == "null"
}

func (p Params) shown(q Param) bool {
	if q.ShowIf == nil {
		return true
	}
	v, ok := p.values[q.ShowIf.Param]
	if !ok {
		return false
	}
	return slices.Contains(q.ShowIf.Values, fmt.Sprint(v))
}

func (p Params) get(name string, t ...ParamType) any {
	for _, q := range p.spec {
		if q.Name == name {
			if !slices.Contains(t, q.Type) {
				panic(fmt.Sprintf("modules: parameter %q is %s, read as %v", name, q.Type, t))
			}
			return p.values[name]
		}
	}
	panic(fmt.Sprintf("modules: parameter %q is not declared in the spec", name))
}

// Has reports whether the parameter has a value (set or defaulted).
func (p Params) Has(name string) bool {
	for _, q := range p.spec {
		if q.Name == name {
			_, ok := p.values[name]
			return ok
		}
	}
	panic(fmt.Sprintf("modules: parameter %q is not declared in the spec", name))
}

// String returns a string, text, choice, column or expression parameter ("" when unset).
func (p Params) String(name string) string {
	v, _ := p.get(name, ParamString, ParamText, ParamChoice, ParamColumn, ParamExpression).(string)
	return v
}

// Int returns an int parameter (0 when unset).
func (p Params) Int(name string) int {
	v, _ := p.get(name, ParamInt).(int64)
	return int(v)
}

// Float returns a float parameter (0 when unset).
func (p Params) Float(name string) float64 {
	v, _ := p.get(name, ParamFloat).(float64)
	return v
}

// Bool returns a bool parameter (false when unset).
func (p Params) Bool(name string) bool {
	v, _ := p.get(name, ParamBool).(bool)
	return v
}

// Columns returns a column-set parameter (an empty selector when unset).
func (p Params) Columns(name string) ColumnSelector {
	v, _ := p.get(name, ParamColumns).(ColumnSelector)
	return v
}

// ColumnIndices resolves a column-set parameter against a schema and
// refuses an empty selection: a module that silently does nothing hides a
// mistake in the selector. Errors blame the parameter.
func (p Params) ColumnIndices(name string, s table.Schema) ([]int, error) {
	idx, err := p.Columns(name).Resolve(s)
	if err != nil {
		return nil, ParamErr(name, err)
	}
	if len(idx) == 0 {
		return nil, ParamErrf(name, "selects no columns")
	}
	return idx, nil
}

// Values returns the resolved values as plain JSON-ready data, for cache keys and display.
func (p Params) Values() map[string]any { return p.values }

// Canonical returns a stable encoding of the resolved values (sorted keys),
// which the engine hashes into cache keys.
func (p Params) Canonical() []byte {
	b, err := json.Marshal(p.values) // encoding/json sorts map keys
	if err != nil {
		panic(err)
	}
	return b
}

// coerce converts a decoded JSON or Go value to the parameter's Go type and checks it.
func coerce(q Param, v any) (any, error) {
	switch q.Type {
	case ParamString, ParamText, ParamColumn, ParamExpression:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a string, got %s", describe(v))
		}
		if q.Type == ParamColumn && s == "" && q.Required {
			return nil, fmt.Errorf("choose a column")
		}
		return s, nil
	case ParamChoice:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want one of %s, got %s", choiceList(q), describe(v))
		}
		for _, c := range q.Choices {
			if c.Value == s {
				return s, nil
			}
		}
		return nil, fmt.Errorf("%q is not one of %s", s, choiceList(q))
	case ParamBool:
		switch b := v.(type) {
		case bool:
			return b, nil
		case string:
			if x, err := strconv.ParseBool(b); err == nil {
				return x, nil
			}
		}
		return nil, fmt.Errorf("want true or false, got %s", describe(v))
	case ParamInt:
		f, err := number(v)
		if err != nil {
			return nil, err
		}
		if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return nil, fmt.Errorf("want a whole number, got %v", f)
		}
		if err := inBounds(q, f); err != nil {
			return nil, err
		}
		return int64(f), nil
	case ParamFloat:
		f, err := number(v)
		if err != nil {
			return nil, err
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("want a finite number, got %v", f)
		}
		if err := inBounds(q, f); err != nil {
			return nil, err
		}
		return f, nil
	case ParamColumns:
		return ParseColumnSelector(v)
	}
	return nil, fmt.Errorf("unknown parameter type %q", q.Type)
}

func number(v any) (float64, error) {
	switch n := v.(type) {
	case json.Number:
		return n.Float64()
	case float64:
		return n, nil
	case int64:
		return float64(n), nil
	case int:
		return float64(n), nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		if err != nil {
			return 0, fmt.Errorf("want a number, got %q", n)
		}
		return f, nil
	}
	return 0, fmt.Errorf("want a number, got %s", describe(v))
}

func inBounds(q Param, f float64) error {
	if q.Min != nil && f < *q.Min {
		return fmt.Errorf("%v is below the minimum %v", f, *q.Min)
	}
	if q.Max != nil && f > *q.Max {
		return fmt.Errorf("%v is above the maximum %v", f, *q.Max)
	}
	return nil
}

func choiceList(q Param) string {
	vals := make([]string, len(q.Choices))
	for i, c := range q.Choices {
		vals[i] = strconv.Quote(c.Value)
	}
	return strings.Join(vals, ", ")
}

func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", v)
	case json.Number:
		return "the number " + v.String()
	case bool:
		return fmt.Sprintf("%v", v)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
