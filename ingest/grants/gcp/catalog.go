package gcp

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/goccy/go-yaml"
)

// rolesYAML is the shipped role catalog: a documented subset of Google
// Cloud's predefined roles (data/roles.yaml says which and from where).
//
//go:embed data/roles.yaml
var rolesYAML []byte

// Role is a role of the catalog.
type Role struct {
	// Name is the role name, such as roles/aiplatform.user.
	Name string
	// Title is its title.
	Title string
	// Permissions are its permissions, sorted.
	Permissions []string
}

// Catalog maps roles to their permissions. It is safe for concurrent use.
type Catalog struct {
	// Version names the catalog's source and version.
	Version string
	roles   map[string]Role
}

type catalogFile struct {
	Version string `yaml:"version"`
	Roles   map[string]struct {
		Title       string              `yaml:"title"`
		Source      string              `yaml:"source"`
		Permissions map[string][]string `yaml:"permissions"`
	} `yaml:"roles"`
}

var defaultCatalog = sync.OnceValues(func() (*Catalog, error) { return ReadCatalog(rolesYAML) })

// DefaultCatalog returns the shipped catalog.
func DefaultCatalog() *Catalog {
	c, err := defaultCatalog()
	if err != nil {
		panic(fmt.Sprintf("the shipped Google Cloud role catalog does not load: %v", err)) // a build defect, caught by tests
	}
	return c
}

// ReadCatalog parses a role catalog in the shipped YAML form: roles, each
// with a title and its permissions grouped by service.resource prefix.
func ReadCatalog(data []byte) (*Catalog, error) {
	var f catalogFile
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("read google cloud role catalog: %s", yaml.FormatError(err, false, true))
	}
	c := &Catalog{Version: f.Version, roles: map[string]Role{}}
	for name, r := range f.Roles {
		if !strings.HasPrefix(name, "roles/") {
			return nil, fmt.Errorf("read google cloud role catalog: %q is not a predefined role name (roles/...)", name)
		}
		role := Role{Name: name, Title: r.Title}
		for prefix, verbs := range r.Permissions {
			if strings.Count(prefix, ".") < 1 {
				return nil, fmt.Errorf("read google cloud role catalog: %s: %q is not a service.resource prefix", name, prefix)
			}
			for _, v := range verbs {
				role.Permissions = append(role.Permissions, prefix+"."+v)
			}
		}
		sort.Strings(role.Permissions)
		c.roles[name] = role
	}
	return c, nil
}

// Role returns the role named name.
func (c *Catalog) Role(name string) (Role, bool) {
	r, ok := c.roles[name]
	return r, ok
}

// Roles returns the names of every role, sorted.
func (c *Catalog) Roles() []string {
	out := make([]string, 0, len(c.roles))
	for n := range c.roles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
