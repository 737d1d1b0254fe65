package modules

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ErrUnknownModule is wrapped by lookups of a module the registry lacks.
var ErrUnknownModule = errors.New("unknown module")

// Registry holds the modules a workflow may use, every version of each.
// It is a plain value built at start-up; nothing registers itself.
type Registry struct {
	byID map[string][]Module // sorted by version
}

// NewRegistry registers the modules, refusing any with an invalid spec or a
// repeated id@version.
func NewRegistry(mods ...Module) (*Registry, error) {
	r := &Registry{byID: map[string][]Module{}}
	for _, m := range mods {
		if err := r.Register(m); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Register adds a module.
func (r *Registry) Register(m Module) error {
	s := m.Spec()
	if err := s.Validate(); err != nil {
		return err
	}
	_, runs := m.(Runner)
	_, fits := m.(Fitter)
	if runs == fits {
		return fmt.Errorf("module %s must implement exactly one of Runner and Fitter", s.Ref())
	}
	for _, o := range r.byID[s.ID] {
		if o.Spec().Version == s.Version {
			return fmt.Errorf("module %s is registered twice", s.Ref())
		}
	}
	list := append(r.byID[s.ID], m)
	slices.SortFunc(list, func(a, b Module) int { return cmp.Compare(a.Spec().Version, b.Spec().Version) })
	r.byID[s.ID] = list
	return nil
}

// Lookup returns module id at version; version 0 means the latest.
func (r *Registry) Lookup(id string, version int) (Module, error) {
	list := r.byID[id]
	if len(list) == 0 {
		return nil, fmt.Errorf("%w %q", ErrUnknownModule, id)
	}
	if version == 0 {
		return list[len(list)-1], nil
	}
	for _, m := range list {
		if m.Spec().Version == version {
			return m, nil
		}
	}
	return nil, fmt.Errorf("%w %s@%d (versions available: %s)", ErrUnknownModule, id, version, versions(list))
}

// ParseRef splits "id@version" (or a bare "id", version 0).
func ParseRef(ref string) (id string, version int, err error) {
	id, v, ok := strings.Cut(ref, "@")
	if !ok {
		return id, 0, nil
	}
	version, err = strconv.Atoi(v)
	if err != nil || version < 1 {
		return "", 0, fmt.Errorf("module reference %q: version must be a positive number", ref)
	}
	return id, version, nil
}

func versions(list []Module) string {
	vs := make([]string, len(list))
	for i, m := range list {
		vs[i] = strconv.Itoa(m.Spec().Version)
	}
	return strings.Join(vs, ", ")
}

// Specs returns the latest version of every module's spec, in palette order
// (category, then name).
func (r *Registry) Specs() []Spec {
	var out []Spec
	for _, list := range r.byID {
		m := list[len(list)-1]
		out = append(out, SpecOf(m))
	}
	slices.SortFunc(out, func(a, b Spec) int {
		return cmp.Or(cmp.Compare(slices.Index(Categories, a.Category), slices.Index(Categories, b.Category)), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Modules returns every registered module, all versions.
func (r *Registry) Modules() []Module {
	var out []Module
	for _, list := range r.byID {
		out = append(out, list...)
	}
	slices.SortFunc(out, func(a, b Module) int {
		return cmp.Or(cmp.Compare(a.Spec().ID, b.Spec().ID), cmp.Compare(a.Spec().Version, b.Spec().Version))
	})
	return out
}

// SpecOf returns the module's spec with the registry-derived fields set.
func SpecOf(m Module) Spec {
	s := m.Spec()
	_, s.Stateful = m.(Fitter)
	return s
}

// CategoryGroup is one palette section.
type CategoryGroup struct {
	Category string
	Specs    []Spec
}

// ByCategory groups the latest specs by category, in palette order.
func (r *Registry) ByCategory() []CategoryGroup {
	var out []CategoryGroup
	for _, s := range r.Specs() {
		if len(out) == 0 || out[len(out)-1].Category != s.Category {
			out = append(out, CategoryGroup{Category: s.Category})
		}
		out[len(out)-1].Specs = append(out[len(out)-1].Specs, s)
	}
	return out
}
