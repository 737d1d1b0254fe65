package modules

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/trellis-studio/trellis/modules/table"
)

// ColumnSelector chooses a set of columns from a schema by rules, as Azure ML
// Studio's column selector does. Rules apply in order: an include rule adds
// the columns it matches, an exclude rule removes them. When the first rule
// excludes, selection starts from all columns.
//
// In JSON it is either a list of names (["age", "income"]), a comma-separated
// string of names, or {"rules": [...]}.
type ColumnSelector struct {
	Rules []SelectRule `json:"rules"`
}

// SelectRule matches columns by name, type, role or categorical flag; a rule
// with several criteria matches a column that meets any of them. All matches every column.
type SelectRule struct {
	Exclude bool     `json:"exclude,omitempty"`
	All     bool     `json:"all,omitempty"`
	Names   []string `json:"names,omitempty"`
	// Types: float, int, string, bool, timestamp, or numeric.
	Types []string `json:"types,omitempty"`
	// Roles: feature, label, score, ignore.
	Roles       []string `json:"roles,omitempty"`
	Categorical bool     `json:"categorical,omitempty"`
}

// Names returns a selector that includes the named columns in that order.
func Names(names ...string) ColumnSelector {
	return ColumnSelector{Rules: []SelectRule{{Names: names}}}
}

// IsEmpty reports whether the selector has no rules.
func (s ColumnSelector) IsEmpty() bool { return len(s.Rules) == 0 }

// ParseColumnSelector accepts the JSON forms of a selector, decoded into Go values.
func ParseColumnSelector(v any) (ColumnSelector, error) {
	switch v := v.(type) {
	case ColumnSelector:
		return v, v.check()
	case string:
		if strings.TrimSpace(v) == "" {
			return ColumnSelector{}, nil
		}
		var names []string
		for _, n := range strings.Split(v, ",") {
			names = append(names, strings.TrimSpace(n))
		}
		return Names(names...), nil
	case []string:
		return Names(v...), nil
	case []any:
		names := make([]string, len(v))
		for i, x := range v {
			s, ok := x.(string)
			if !ok {
				return ColumnSelector{}, fmt.Errorf("column list entry %d: want a column name, got %s", i+1, describe(x))
			}
			names[i] = s
		}
		return Names(names...), nil
	case map[string]any:
		b, err := json.Marshal(v)
		if err != nil {
			return ColumnSelector{}, err
		}
		var s ColumnSelector
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return ColumnSelector{}, fmt.Errorf("column selector: %v", err)
		}
		return s, s.check()
	}
	return ColumnSelector{}, fmt.Errorf("want a list of column names or a column selector, got %s", describe(v))
}

func (s ColumnSelector) check() error {
	for i, r := range s.Rules {
		for _, t := range r.Types {
			if t == "numeric" {
				continue
			}
			if _, err := table.ParseType(t); err != nil {
				return fmt.Errorf("rule %d: %v", i+1, err)
			}
		}
		for _, ro := range r.Roles {
			if _, err := table.ParseRole(ro); err != nil {
				return fmt.Errorf("rule %d: %v", i+1, err)
			}
		}
		if !r.All && !r.Categorical && len(r.Names)+len(r.Types)+len(r.Roles) == 0 {
			return fmt.Errorf("rule %d matches nothing: give names, types, roles, categorical or all", i+1)
		}
	}
	return nil
}

// Resolve returns the indices of the selected columns: named columns in the
// order named, others in schema order. A named column the schema lacks is an error.
func (s ColumnSelector) Resolve(schema table.Schema) ([]int, error) {
	var sel []int
	if len(s.Rules) > 0 && s.Rules[0].Exclude {
		for i := range schema {
			sel = append(sel, i)
		}
	}
	for _, r := range s.Rules {
		var match []int
		for _, n := range r.Names {
			i := schema.Index(n)
			if i < 0 {
				return nil, schema.MissingColumnError(n)
			}
			match = append(match, i)
		}
		for i, f := range schema {
			if r.matches(f) && !slices.Contains(match, i) {
				match = append(match, i)
			}
		}
		if r.Exclude {
			sel = slices.DeleteFunc(sel, func(i int) bool { return slices.Contains(match, i) })
			continue
		}
		for _, i := range match {
			if !slices.Contains(sel, i) {
				sel = append(sel, i)
			}
		}
	}
	return sel, nil
}

// ResolveNames is Resolve returning column names.
func (s ColumnSelector) ResolveNames(schema table.Schema) ([]string, error) {
	idx, err := s.Resolve(schema)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = schema[i].Name
	}
	return out, nil
}

func (r SelectRule) matches(f table.Field) bool {
	if r.All || (r.Categorical && f.Categorical) {
		return true
	}
	for _, t := range r.Types {
		if (t == "numeric" && f.Type.Numeric()) || t == f.Type.String() {
			return true
		}
		if pt, err := table.ParseType(t); err == nil && pt == f.Type {
			return true
		}
	}
	for _, ro := range r.Roles {
		if pr, err := table.ParseRole(ro); err == nil && pr == f.Role {
			return true
		}
	}
	return false
}

// String renders the selector for messages: "a, b" for plain names.
func (s ColumnSelector) String() string {
	if len(s.Rules) == 1 && !s.Rules[0].Exclude && len(s.Rules[0].Types)+len(s.Rules[0].Roles) == 0 && !s.Rules[0].All && !s.Rules[0].Categorical {
		return strings.Join(s.Rules[0].Names, ", ")
	}
	b, _ := json.Marshal(s)
	return string(b)
}
