package workflow

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
)

// Diff is what changed between two versions of a workflow document, in the
// terms an analyst edits: nodes, their settings, the edges and the workflow
// parameters. An empty Diff (see Empty) means the documents are equivalent.
type Diff struct {
	Name              *Change[string]   `json:"name,omitempty"`
	Description       *Change[string]   `json:"description,omitempty"`
	NodesAdded        []Node            `json:"nodes_added"`
	NodesRemoved      []Node            `json:"nodes_removed"`
	NodesChanged      []NodeChange      `json:"nodes_changed"`
	EdgesAdded        []Edge            `json:"edges_added"`
	EdgesRemoved      []Edge            `json:"edges_removed"`
	ParametersAdded   []Parameter       `json:"parameters_added"`
	ParametersRemoved []Parameter       `json:"parameters_removed"`
	ParametersChanged []ParameterChange `json:"parameters_changed"`
}

// Change is a value before and after.
type Change[T any] struct {
	From T `json:"from"`
	To   T `json:"to"`
}

// NodeChange lists what changed on a node present in both documents. A field
// is nil when it did not change.
type NodeChange struct {
	Node     string            `json:"node"`
	Module   *Change[string]   `json:"module,omitempty"`
	Version  *Change[int]      `json:"version,omitempty"`
	Title    *Change[string]   `json:"title,omitempty"`
	Comment  *Change[string]   `json:"comment,omitempty"`
	Position *Change[Position] `json:"position,omitempty"`
	Params   []ValueChange     `json:"params,omitempty"`
}

// ValueChange is a named JSON value before and after; From is null when the
// value was added, To when it was removed.
type ValueChange struct {
	Name string          `json:"name"`
	From json.RawMessage `json:"from"`
	To   json.RawMessage `json:"to"`
}

// ParameterChange is a workflow parameter whose type, default or help changed.
type ParameterChange struct {
	Name    string                   `json:"name"`
	Type    *Change[string]          `json:"type,omitempty"`
	Default *Change[json.RawMessage] `json:"default,omitempty"`
	Help    *Change[string]          `json:"help,omitempty"`
}

// Empty reports whether nothing changed.
func (d *Diff) Empty() bool {
	return d.Name == nil && d.Description == nil && len(d.NodesAdded)+len(d.NodesRemoved)+len(d.NodesChanged)+
		len(d.EdgesAdded)+len(d.EdgesRemoved)+len(d.ParametersAdded)+len(d.ParametersRemoved)+len(d.ParametersChanged) == 0
}

// Compare returns what changed from a to b. Nodes are matched by id, edges by
// both ends and parameters by name; parameter values are compared as JSON
// values, so formatting and key order do not count as changes. Lists are in
// b's document order (removals in a's), so a diff reads like the document.
func Compare(a, b *Workflow) *Diff {
	d := &Diff{
		NodesAdded: []Node{}, NodesRemoved: []Node{}, NodesChanged: []NodeChange{},
		EdgesAdded: []Edge{}, EdgesRemoved: []Edge{},
		ParametersAdded: []Parameter{}, ParametersRemoved: []Parameter{}, ParametersChanged: []ParameterChange{},
	}
	d.Name = change(a.Name, b.Name)
	d.Description = change(a.Description, b.Description)

	for _, n := range a.Nodes {
		if _, ok := b.Node(n.ID); !ok {
			d.NodesRemoved = append(d.NodesRemoved, n)
		}
	}
	for _, n := range b.Nodes {
		old, ok := a.Node(n.ID)
		if !ok {
			d.NodesAdded = append(d.NodesAdded, n)
			continue
		}
		if nc, changed := compareNodes(old, &n); changed {
			d.NodesChanged = append(d.NodesChanged, nc)
		}
	}

	for _, e := range a.Edges {
		if !slices.Contains(b.Edges, e) {
			d.EdgesRemoved = append(d.EdgesRemoved, e)
		}
	}
	for _, e := range b.Edges {
		if !slices.Contains(a.Edges, e) {
			d.EdgesAdded = append(d.EdgesAdded, e)
		}
	}

	for _, p := range a.Parameters {
		if findParam(b.Parameters, p.Name) == nil {
			d.ParametersRemoved = append(d.ParametersRemoved, p)
		}
	}
	for _, p := range b.Parameters {
		old := findParam(a.Parameters, p.Name)
		if old == nil {
			d.ParametersAdded = append(d.ParametersAdded, p)
			continue
		}
		pc := ParameterChange{Name: p.Name, Type: change(old.Type, p.Type), Help: change(old.Help, p.Help)}
		if !sameJSON(old.Default, p.Default) {
			pc.Default = &Change[json.RawMessage]{From: orNull(old.Default), To: orNull(p.Default)}
		}
		if pc.Type != nil || pc.Default != nil || pc.Help != nil {
			d.ParametersChanged = append(d.ParametersChanged, pc)
		}
	}
	return d
}

func compareNodes(a, b *Node) (NodeChange, bool) {
	nc := NodeChange{
		Node:     b.ID,
		Module:   change(a.Module, b.Module),
		Version:  change(a.Version, b.Version),
		Title:    change(a.Title, b.Title),
		Comment:  change(a.Comment, b.Comment),
		Position: change(a.Position, b.Position),
	}
	names := map[string]bool{}
	for k := range a.Params {
		names[k] = true
	}
	for k := range b.Params {
		names[k] = true
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		from, to := a.Params[k], b.Params[k]
		if !sameJSON(from, to) {
			nc.Params = append(nc.Params, ValueChange{Name: k, From: orNull(from), To: orNull(to)})
		}
	}
	changed := nc.Module != nil || nc.Version != nil || nc.Title != nil || nc.Comment != nil ||
		nc.Position != nil || len(nc.Params) > 0
	return nc, changed
}

func change[T comparable](from, to T) *Change[T] {
	if from == to {
		return nil
	}
	return &Change[T]{From: from, To: to}
}

func findParam(ps []Parameter, name string) *Parameter {
	for i := range ps {
		if ps[i].Name == name {
			return &ps[i]
		}
	}
	return nil
}

// sameJSON compares two JSON values by meaning; absent and null are the same,
// since a parameter left out takes its default just as null does.
func sameJSON(a, b json.RawMessage) bool {
	ca, cb := canonicalJSON(a), canonicalJSON(b)
	return bytes.Equal(ca, cb)
}

func canonicalJSON(r json.RawMessage) []byte {
	if len(bytes.TrimSpace(r)) == 0 {
		return []byte("null")
	}
	// Numbers stay as written (UseNumber) so that large integers compare exactly.
	dec := json.NewDecoder(bytes.NewReader(r))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return r // not JSON: compare the bytes as they are
	}
	b, err := json.Marshal(normalizeNumbers(v)) // maps marshal with sorted keys
	if err != nil {
		return r
	}
	return b
}

func orNull(r json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(r)) == 0 {
		return json.RawMessage("null")
	}
	return r
}

// normalizeNumbers makes 1 and 1.0 the same value while keeping integers
// beyond float64's precision exact.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
	}
	return v
}
