// Package workflow is the domain of Trellis: the workflow document (a DAG of
// module nodes joined port to port), its validation and schema propagation,
// and the engine that runs it with caching, parallel branches and live events.
package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// FormatVersion is the version of the workflow JSON document this code writes.
// Documents with a higher version are refused rather than misread.
const FormatVersion = 1

// Workflow is a saved DAG of module nodes: the JSON document analysts build in
// the designer, store, export and run headless.
type Workflow struct {
	Format      int         `json:"format"`
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Parameters  []Parameter `json:"parameters,omitempty"`
	Nodes       []Node      `json:"nodes"`
	Edges       []Edge      `json:"edges"`
}

// Parameter is a workflow-level parameter. Node parameters bind to it with
// the string "$name"; expressions use it as the variable $name.
type Parameter struct {
	Name    string          `json:"name"`
	Type    string          `json:"type"` // string, int, float or bool
	Default json.RawMessage `json:"default,omitempty"`
	Help    string          `json:"help,omitempty"`
}

// Node is one module instance in a workflow.
type Node struct {
	ID       string                     `json:"id"`
	Module   string                     `json:"module"`
	Version  int                        `json:"version"`
	Title    string                     `json:"title,omitempty"`
	Comment  string                     `json:"comment,omitempty"`
	Position Position                   `json:"position"`
	Params   map[string]json.RawMessage `json:"params,omitempty"`
}

// Position is where the designer draws a node.
type Position struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Edge joins an output port to an input port.
type Edge struct {
	From PortRef `json:"from"`
	To   PortRef `json:"to"`
}

// PortRef names a port of a node.
type PortRef struct {
	Node string `json:"node"`
	Port string `json:"port"`
}

func (p PortRef) String() string { return p.Node + "." + p.Port }

// ParsePortRef parses "node.port"; the port is after the last dot.
func ParsePortRef(s string) (PortRef, error) {
	i := strings.LastIndexByte(s, '.')
	if i <= 0 || i == len(s)-1 {
		return PortRef{}, fmt.Errorf("%q is not node.port", s)
	}
	return PortRef{Node: s[:i], Port: s[i+1:]}, nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Parse decodes a workflow document strictly: unknown fields, trailing data
// and documents from a newer format are errors naming where they are.
func Parse(r io.Reader) (*Workflow, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read workflow: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var wf Workflow
	if err := dec.Decode(&wf); err != nil {
		return nil, fmt.Errorf("workflow JSON: %s", describeJSONError(data, err))
	}
	if dec.More() {
		return nil, errors.New("workflow JSON: unexpected data after the document")
	}
	if wf.Format == 0 {
		return nil, errors.New(`workflow JSON: "format" is missing (this version writes 1)`)
	}
	if wf.Format > FormatVersion {
		return nil, fmt.Errorf("workflow JSON: format %d is newer than this Trellis understands (%d); upgrade Trellis", wf.Format, FormatVersion)
	}
	if wf.Nodes == nil {
		wf.Nodes = []Node{}
	}
	if wf.Edges == nil {
		wf.Edges = []Edge{}
	}
	return &wf, nil
}

// describeJSONError adds the line and column to a decoding error.
func describeJSONError(data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 {
		return err.Error()
	}
	line, col := 1, 1
	for _, b := range data[:min(int(off), len(data))] {
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}

// Marshal encodes the workflow as indented JSON with a trailing newline, the
// form files and exports use.
func (wf *Workflow) Marshal() ([]byte, error) {
	c := *wf
	if c.Format == 0 {
		c.Format = FormatVersion
	}
	// Expressions are full of < > &: keep them readable in exported files.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&c); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Node returns the node with the id.
func (wf *Workflow) Node(id string) (*Node, bool) {
	for i := range wf.Nodes {
		if wf.Nodes[i].ID == id {
			return &wf.Nodes[i], true
		}
	}
	return nil, false
}

// FindNode finds a node by id, or else by a unique title.
func (wf *Workflow) FindNode(idOrTitle string) (*Node, error) {
	if n, ok := wf.Node(idOrTitle); ok {
		return n, nil
	}
	var found *Node
	for i := range wf.Nodes {
		if wf.Nodes[i].Title == idOrTitle {
			if found != nil {
				return nil, fmt.Errorf("two nodes are titled %q; use a node id", idOrTitle)
			}
			found = &wf.Nodes[i]
		}
	}
	if found == nil {
		return nil, fmt.Errorf("no node with id or title %q", idOrTitle)
	}
	return found, nil
}

// Clone returns a deep copy.
func (wf *Workflow) Clone() *Workflow {
	b, err := json.Marshal(wf)
	if err != nil {
		panic(err)
	}
	var c Workflow
	if err := json.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	return &c
}

// SetParam sets a node parameter to a Go value (JSON-encoded).
func (n *Node) SetParam(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if n.Params == nil {
		n.Params = map[string]json.RawMessage{}
	}
	n.Params[name] = b
	return nil
}

// Vars resolves workflow parameter values: defaults, overridden by the given
// values (which may be strings from a command line, converted to the
// parameter's type). Unknown names and bad values are errors naming them.
func (wf *Workflow) Vars(set map[string]string) (map[string]any, error) {
	out := map[string]any{}
	var errs []error
	for _, p := range wf.Parameters {
		if len(p.Default) > 0 {
			var v any
			if err := json.Unmarshal(p.Default, &v); err != nil {
				errs = append(errs, fmt.Errorf("workflow parameter %s: default: %v", p.Name, err))
				continue
			}
			cv, err := convertVar(p, v)
			if err != nil {
				errs = append(errs, fmt.Errorf("workflow parameter %s: default: %v", p.Name, err))
				continue
			}
			out[p.Name] = cv
		}
	}
	for name, s := range set {
		i := -1
		for k, p := range wf.Parameters {
			if p.Name == name {
				i = k
			}
		}
		if i < 0 {
			errs = append(errs, fmt.Errorf("workflow has no parameter %q (it has: %s)", name, paramNames(wf.Parameters)))
			continue
		}
		cv, err := convertVar(wf.Parameters[i], s)
		if err != nil {
			errs = append(errs, fmt.Errorf("workflow parameter %s: %v", name, err))
			continue
		}
		out[name] = cv
	}
	return out, errors.Join(errs...)
}

func paramNames(ps []Parameter) string {
	if len(ps) == 0 {
		return "none"
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

func convertVar(p Parameter, v any) (any, error) {
	s, isStr := v.(string)
	switch p.Type {
	case "string":
		if !isStr {
			return nil, fmt.Errorf("want a string, got %v", v)
		}
		return s, nil
	case "int":
		if isStr {
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("want a whole number, got %q", s)
			}
			return n, nil
		}
		f, ok := v.(float64)
		if !ok || f != float64(int64(f)) {
			return nil, fmt.Errorf("want a whole number, got %v", v)
		}
		return int64(f), nil
	case "float":
		if isStr {
			f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil {
				return nil, fmt.Errorf("want a number, got %q", s)
			}
			return f, nil
		}
		f, ok := v.(float64)
		if !ok {
			return nil, fmt.Errorf("want a number, got %v", v)
		}
		return f, nil
	case "bool":
		if isStr {
			b, err := strconv.ParseBool(strings.TrimSpace(s))
			if err != nil {
				return nil, fmt.Errorf("want true or false, got %q", s)
			}
			return b, nil
		}
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("want true or false, got %v", v)
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown type %q (want string, int, float or bool)", p.Type)
}
