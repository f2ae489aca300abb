// Package contextmap holds the customer's context the enrich stage adds to
// events: the environment (prod, staging, dev, test) of accounts,
// projects, subscriptions, Kubernetes namespaces and resources, and the
// data sensitivity of resources (a classification catalog). Both come from
// files: environment maps in YAML, classification catalogs in YAML or CSV,
// with "*" and "?" patterns; a problem is reported with file:line:col.
package contextmap

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aitdr/aitdr/internal/glob"
	"github.com/aitdr/aitdr/schemas"
)

// Map is the loaded environment maps and classification catalogs. It is
// immutable and safe for concurrent use. The zero Map knows nothing.
type Map struct {
	accounts      glob.Table[schemas.Environment]
	projects      glob.Table[schemas.Environment]
	subscriptions glob.Table[schemas.Environment]
	namespaces    glob.Table[schemas.Environment]
	resources     glob.Table[schemas.Environment]
	sensitivity   glob.Table[schemas.Sensitivity]
	typed         map[string]*glob.Table[schemas.Sensitivity]
	envEntries    int
	classEntries  int
}

// Load reads environment map files and classification files into one Map.
// Within a kind, a key defined twice (in one file or across files) is an
// error naming both places; every problem is returned.
func Load(environmentFiles, classificationFiles []string) (*Map, error) {
	m := &Map{}
	seen := map[string]string{} // kind + key -> where first defined
	var errs []error
	for _, path := range environmentFiles {
		data, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("read environment file: %w", err))
			continue
		}
		entries, err := ParseEnvironments(path, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, m.addEnvironments(entries, seen)...)
	}
	for _, path := range classificationFiles {
		data, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("read classification file: %w", err))
			continue
		}
		entries, err := ParseClassification(path, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, m.addClassification(entries, seen)...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

// Scope is what an environment map entry applies to.
type Scope string

// Scopes of environment map entries.
const (
	// ScopeAccount is an AWS account, an Azure tenant, a GitHub
	// organization, an AI platform organization: an identity's account,
	// the tenant of a target, the account an event was recorded in.
	ScopeAccount Scope = "accounts"
	// ScopeProject is a GCP project, an OpenAI project, an Anthropic
	// workspace.
	ScopeProject Scope = "projects"
	// ScopeSubscription is an Azure subscription.
	ScopeSubscription Scope = "subscriptions"
	// ScopeNamespace is a Kubernetes namespace as "<cluster>/<namespace>".
	ScopeNamespace Scope = "namespaces"
	// ScopeResource is a resource id (an ARN, a resource name) or name.
	ScopeResource Scope = "resources"
)

var scopes = []Scope{ScopeAccount, ScopeProject, ScopeSubscription, ScopeNamespace, ScopeResource}

// EnvironmentEntry is one line of an environment map.
type EnvironmentEntry struct {
	Scope       Scope
	Key         string
	Environment schemas.Environment
	File        string
	Line, Col   int
}

// ClassificationEntry is one line of a classification catalog.
type ClassificationEntry struct {
	// Resource is a resource id or name, or a pattern of them.
	Resource string
	// Type restricts the entry to targets of that type, when set.
	Type        string
	Sensitivity schemas.Sensitivity
	File        string
	Line, Col   int
}

func (m *Map) addEnvironments(entries []EnvironmentEntry, seen map[string]string) []error {
	var errs []error
	for _, e := range entries {
		k := string(e.Scope) + "\x00" + e.Key
		if where, dup := seen[k]; dup {
			errs = append(errs, fmt.Errorf("%s:%d:%d: %s %q already mapped at %s", e.File, e.Line, e.Col, e.Scope, e.Key, where))
			continue
		}
		seen[k] = fmt.Sprintf("%s:%d", e.File, e.Line)
		m.table(e.Scope).Add(e.Key, e.Environment)
		m.envEntries++
	}
	return errs
}

func (m *Map) addClassification(entries []ClassificationEntry, seen map[string]string) []error {
	var errs []error
	for _, e := range entries {
		k := "class\x00" + e.Type + "\x00" + e.Resource
		if where, dup := seen[k]; dup {
			errs = append(errs, fmt.Errorf("%s:%d:%d: resource %q already classified at %s", e.File, e.Line, e.Col, e.Resource, where))
			continue
		}
		seen[k] = fmt.Sprintf("%s:%d", e.File, e.Line)
		if e.Type == "" {
			m.sensitivity.Add(e.Resource, e.Sensitivity)
		} else {
			if m.typed == nil {
				m.typed = map[string]*glob.Table[schemas.Sensitivity]{}
			}
			t := m.typed[e.Type]
			if t == nil {
				t = &glob.Table[schemas.Sensitivity]{}
				m.typed[e.Type] = t
			}
			t.Add(e.Resource, e.Sensitivity)
		}
		m.classEntries++
	}
	return errs
}

func (m *Map) table(s Scope) *glob.Table[schemas.Environment] {
	switch s {
	case ScopeAccount:
		return &m.accounts
	case ScopeProject:
		return &m.projects
	case ScopeSubscription:
		return &m.subscriptions
	case ScopeNamespace:
		return &m.namespaces
	}
	return &m.resources
}

// Entries returns the number of environment and classification entries.
func (m *Map) Entries() (environments, classifications int) {
	if m == nil {
		return 0, 0
	}
	return m.envEntries, m.classEntries
}

// scope looks a tenant-like value up as an account, then a project, then
// a subscription.
func (m *Map) scope(v string) (schemas.Environment, bool) {
	if v == "" {
		return "", false
	}
	if e, ok := m.accounts.Lookup(v); ok {
		return e, true
	}
	if e, ok := m.projects.Lookup(v); ok {
		return e, true
	}
	return m.subscriptions.Lookup(v)
}

// IdentityEnvironment returns the environment of an identity: that of its
// Kubernetes namespace (a service account's), else of its account,
// project or subscription.
func (m *Map) IdentityEnvironment(p *schemas.Principal) (schemas.Environment, bool) {
	if m == nil {
		return "", false
	}
	if p.Provider == "kubernetes" && m.namespaces.Len() > 0 {
		if ns := serviceAccountNamespace(p.Name); ns != "" {
			if e, ok := m.namespaces.Lookup(p.Account + "/" + ns); ok {
				return e, true
			}
		}
	}
	return m.scope(p.Account)
}

// TargetEnvironment returns the environment of an event's target: the
// resource's own entry, else its Kubernetes namespace's, else its
// project's or subscription's (from its id), else its tenant's, else that
// of the account or project the event was recorded in.
func (m *Map) TargetEnvironment(ev *schemas.Event) (schemas.Environment, bool) {
	if m == nil {
		return "", false
	}
	t := &ev.Target
	if m.resources.Len() > 0 {
		if e, ok := m.resources.Lookup(t.ID); ok && t.ID != "" {
			return e, true
		}
		if e, ok := m.resources.Lookup(t.Name); ok && t.Name != "" {
			return e, true
		}
	}
	if m.namespaces.Len() > 0 && ev.Source.Product == schemas.ProductK8sAudit {
		ns := segmentAfter(t.ID, "namespaces/")
		if ns == "" {
			ns = ev.Attributes["k8s.namespace"]
		}
		if ns != "" {
			cluster := t.Tenant
			if cluster == "" {
				cluster = ev.Source.Account
			}
			if e, ok := m.namespaces.Lookup(cluster + "/" + ns); ok {
				return e, true
			}
		}
	}
	if p := segmentAfter(t.ID, "projects/"); p != "" && p != "_" {
		if e, ok := m.projects.Lookup(p); ok {
			return e, true
		}
	}
	if s := segmentAfter(t.ID, "subscriptions/"); s != "" {
		if e, ok := m.subscriptions.Lookup(s); ok {
			return e, true
		}
	}
	if e, ok := m.scope(t.Tenant); ok {
		return e, true
	}
	if e, ok := m.projects.Lookup(ev.Source.Project); ok && ev.Source.Project != "" {
		return e, true
	}
	return m.scope(ev.Source.Account)
}

// Sensitivity returns the classification of an event's target: an entry
// for its type first, then any entry, matching its id, then its name.
func (m *Map) Sensitivity(t *schemas.Target) (schemas.Sensitivity, bool) {
	if m == nil || (t.ID == "" && t.Name == "") {
		return "", false
	}
	if tt := m.typed[t.Type]; tt != nil && t.Type != "" {
		if s, ok := tt.Lookup(t.ID); ok && t.ID != "" {
			return s, true
		}
		if s, ok := tt.Lookup(t.Name); ok && t.Name != "" {
			return s, true
		}
	}
	if m.sensitivity.Len() == 0 {
		return "", false
	}
	if s, ok := m.sensitivity.Lookup(t.ID); ok && t.ID != "" {
		return s, true
	}
	if s, ok := m.sensitivity.Lookup(t.Name); ok && t.Name != "" {
		return s, true
	}
	return "", false
}

// serviceAccountNamespace returns the namespace of a Kubernetes service
// account user name ("system:serviceaccount:<ns>:<name>"), or "".
func serviceAccountNamespace(name string) string {
	rest, ok := strings.CutPrefix(name, "system:serviceaccount:")
	if !ok {
		return ""
	}
	ns, _, _ := strings.Cut(rest, ":")
	return ns
}

// segmentAfter returns the path segment after marker in id ("projects/"
// in "projects/p/locations/l" is "p"), or "".
func segmentAfter(id, marker string) string {
	i := strings.Index(id, marker)
	if i < 0 {
		return ""
	}
	rest := id[i+len(marker):]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		rest = rest[:j]
	}
	return rest
}
