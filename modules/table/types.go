// Package table is Trellis's dataset type: an immutable, columnar table of typed,
// nullable columns with per-column metadata, and its text formats.
//
// Tables and columns are never modified after they are built. Every operation
// returns a new table that shares the columns it did not change, so a cached
// node output can be handed to any number of downstream nodes safely.
package table

import (
	"fmt"
	"strings"
)

// Type is the type of a column's values.
type Type uint8

// The column types. The zero value is invalid so that a forgotten type is caught.
const (
	Invalid Type = iota
	Float        // float64
	Int          // int64
	String       // string
	Bool         // bool
	Time         // timestamp, stored as Unix nanoseconds in UTC
)

var typeNames = [...]string{Invalid: "invalid", Float: "float", Int: "int", String: "string", Bool: "bool", Time: "timestamp"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", t)
}

// Numeric reports whether values of t are numbers (int or float).
func (t Type) Numeric() bool { return t == Float || t == Int }

// ParseType parses a type name as written in schemas and parameters.
// "double"/"number" and "integer"/"long" and "datetime" are accepted as aliases.
func ParseType(s string) (Type, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "float", "double", "number", "numeric":
		return Float, nil
	case "int", "integer", "long", "int64":
		return Int, nil
	case "string", "text", "str":
		return String, nil
	case "bool", "boolean":
		return Bool, nil
	case "timestamp", "time", "datetime", "date":
		return Time, nil
	}
	return Invalid, fmt.Errorf("unknown column type %q (want float, int, string, bool or timestamp)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (t Type) MarshalText() ([]byte, error) {
	if t == Invalid || int(t) >= len(typeNames) {
		return nil, fmt.Errorf("cannot marshal invalid column type %d", t)
	}
	return []byte(t.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *Type) UnmarshalText(b []byte) error {
	v, err := ParseType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Role says how learners and scorers treat a column.
type Role uint8

// The column roles. Feature is the zero value: a new column is a feature.
const (
	Feature Role = iota
	Label
	Score
	Ignore
)

var roleNames = [...]string{Feature: "feature", Label: "label", Score: "score", Ignore: "ignore"}

func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return fmt.Sprintf("role(%d)", r)
}

// ParseRole parses a role name.
func ParseRole(s string) (Role, error) {
	for i, n := range roleNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Role(i), nil
		}
	}
	return Feature, fmt.Errorf("unknown column role %q (want feature, label, score or ignore)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Field describes one column: its name, type and metadata.
type Field struct {
	Name        string `json:"name"`
	Type        Type   `json:"type"`
	Categorical bool   `json:"categorical,omitempty"`
	Role        Role   `json:"role,omitempty"`
}

// Schema is the ordered list of a table's fields. Names are unique.
type Schema []Field

// Index returns the position of the named column, or -1.
func (s Schema) Index(name string) int {
	for i, f := range s {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// Field returns the named field.
func (s Schema) Field(name string) (Field, bool) {
	if i := s.Index(name); i >= 0 {
		return s[i], true
	}
	return Field{}, false
}

// Names returns the column names in order.
func (s Schema) Names() []string {
	out := make([]string, len(s))
	for i, f := range s {
		out[i] = f.Name
	}
	return out
}

// Clone returns a copy that can be modified without affecting s.
func (s Schema) Clone() Schema { return append(Schema(nil), s...) }

// Validate checks that names are present and unique and types are valid.
func (s Schema) Validate() error {
	seen := make(map[string]bool, len(s))
	for i, f := range s {
		if f.Name == "" {
			return fmt.Errorf("column %d has an empty name", i+1)
		}
		if seen[f.Name] {
			return fmt.Errorf("duplicate column name %q", f.Name)
		}
		seen[f.Name] = true
		if f.Type == Invalid || int(f.Type) >= len(typeNames) {
			return fmt.Errorf("column %q has an invalid type", f.Name)
		}
	}
	return nil
}

// ErrColumnNotFound is wrapped by errors about a column the schema lacks.
var ErrColumnNotFound = fmt.Errorf("column not found")

// MissingColumnError returns an error naming the column and what the schema has.
func (s Schema) MissingColumnError(name string) error {
	names := s.Names()
	const maxShown = 12
	more := ""
	if len(names) > maxShown {
		more = fmt.Sprintf(", … (%d more)", len(names)-maxShown)
		names = names[:maxShown]
	}
	return fmt.Errorf("%w: %q (available: %s%s)", ErrColumnNotFound, name, strings.Join(names, ", "), more)
}

// String renders the schema as "name:type, …" for messages and tests.
func (s Schema) String() string {
	var b strings.Builder
	for i, f := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Name)
		b.WriteByte(':')
		b.WriteString(f.Type.String())
		if f.Categorical {
			b.WriteString("(cat)")
		}
		if f.Role != Feature {
			b.WriteString("[" + f.Role.String() + "]")
		}
	}
	return b.String()
}
