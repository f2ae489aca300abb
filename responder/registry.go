package responder

import (
	"errors"
	"fmt"
	"slices"
)

// Registry holds the connectors playbook steps name. It is immutable once
// built and safe for concurrent use.
type Registry struct {
	byName map[string]Connector
	names  []string
}

// NewRegistry returns a registry of connectors, each under its Name. A nil
// connector, an empty name or a name used twice is an error.
func NewRegistry(connectors []Connector) (*Registry, error) {
	r := &Registry{byName: make(map[string]Connector, len(connectors))}
	var errs []error
	for i, c := range connectors {
		if c == nil {
			errs = append(errs, fmt.Errorf("connector %d is nil", i))
			continue
		}
		name := c.Name()
		switch {
		case name == "":
			errs = append(errs, fmt.Errorf("connector %d (%T) has no name", i, c))
		case r.byName[name] != nil:
			errs = append(errs, fmt.Errorf("connector %q is registered twice (%T and %T)", name, r.byName[name], c))
		default:
			r.byName[name] = c
			r.names = append(r.names, name)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("connector registry: %w", err)
	}
	slices.Sort(r.names)
	return r, nil
}

// Lookup returns the connector registered as name.
func (r *Registry) Lookup(name string) (Connector, bool) {
	if r == nil {
		return nil, false
	}
	c, ok := r.byName[name]
	return c, ok
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	if r == nil {
		return nil
	}
	return slices.Clone(r.names)
}
