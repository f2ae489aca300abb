package catalog

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/aitdr/aitdr/enrich/internal/filefmt"
	"github.com/aitdr/aitdr/internal/glob"
)

//go:embed catalog.yaml
var shipped []byte

// ShippedName is the name errors and Files give the embedded catalog.
const ShippedName = "catalog.yaml (shipped)"

// Shipped returns the text of the catalog aitdr ships.
func Shipped() []byte { return slices.Clone(shipped) }

// Config is how a deployment extends the shipped catalog.
type Config struct {
	// Files are catalog files read after the shipped one, in order. An
	// entry with a new id adds a service; an entry with an id already
	// defined replaces it only with override: true.
	Files []string `yaml:"files"`
	// Sanctioned are service ids the customer sanctions, whatever the
	// catalog's default.
	Sanctioned []string `yaml:"sanctioned"`
	// Unsanctioned are service ids the customer does not sanction
	// (shadow AI), whatever the catalog's default.
	Unsanctioned []string `yaml:"unsanctioned"`
}

// Load returns the shipped catalog extended by cfg. Every problem of every
// file is returned, each with its file:line:col.
func Load(cfg Config) (*Catalog, error) {
	files := make([]*File, 0, 1+len(cfg.Files))
	base, err := Parse(ShippedName, shipped)
	if err != nil {
		return nil, fmt.Errorf("shipped catalog: %w", err)
	}
	files = append(files, base)
	var errs []error
	for _, name := range cfg.Files {
		data, err := os.ReadFile(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("read catalog file: %w", err))
			continue
		}
		f, err := Parse(name, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		files = append(files, f)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return Build(files, cfg.Sanctioned, cfg.Unsanctioned)
}

// File is one parsed catalog file, its entries well formed but not yet
// checked against other files.
type File struct {
	// Name is the file name errors carry.
	Name string
	// Version is the file's version: field, empty when it has none.
	Version string
	entries []parsedService
}

type parsedService struct {
	svc      *Service
	override bool
	line     int
	col      int
	claims   []claim
}

// claim is a key a service claims (an alias, an app name, a host, an
// action) and where.
type claim struct {
	key       string
	what      string
	line, col int
}

var (
	topKeys     = []string{"version", "services"}
	serviceKeys = []string{"id", "provider", "name", "kind", "sanctioned", "ai", "apps", "hosts", "actions", "override", "description"}
	actionKeys  = []string{"source", "names", "use"}
)

// Parse reads one catalog file (name is the file name errors carry) and
// checks that every entry is well formed: the required fields present,
// ids, kinds, uses and hosts valid, nothing repeated within the entry.
// Conflicts between entries and files are Build's. Every problem is
// returned, each a *filefmt.Error.
func Parse(name string, data []byte) (*File, error) {
	y := filefmt.NewYAML(name)
	f := &File{Name: name}
	body, ok := y.Parse(data)
	if !ok {
		return nil, y.Err()
	}
	top, ok := y.Fields(body, "catalog", topKeys...)
	if !ok {
		return nil, y.Err()
	}
	if v, ok := top["version"]; ok {
		if s, ok := y.String(v.Value, "version"); ok {
			if strings.TrimSpace(s) == "" {
				y.Node(v.Value, "version: empty")
			}
			f.Version = s
		}
	}
	sv, ok := top["services"]
	if !ok {
		y.Node(body, "catalog: services is missing")
		return nil, y.Err()
	}
	items, _ := y.List(sv.Value, "services")
	for i, it := range items {
		if ps, ok := parseService(y, it, i); ok {
			ps.svc.File = name
			f.entries = append(f.entries, ps)
		}
	}
	if err := y.Err(); err != nil {
		return nil, err
	}
	return f, nil
}

func parseService(y *filefmt.YAML, n ast.Node, i int) (parsedService, bool) {
	what := fmt.Sprintf("services[%d]", i)
	fields, ok := y.Fields(n, what, serviceKeys...)
	if !ok {
		return parsedService{}, false
	}
	pos := filefmt.Position(n)
	ps := parsedService{svc: &Service{Line: pos.Line}, line: pos.Line, col: pos.Column}
	s := ps.svc
	errsBefore := y.Len()
	required := func(key string) (filefmt.Field, bool) {
		f, ok := fields[key]
		if !ok {
			y.At(pos.Line, pos.Column, "%s: %s is missing", what, key)
		}
		return f, ok
	}
	if f, ok := required("id"); ok {
		if id, ok := y.String(f.Value, what+".id"); ok {
			if !idPattern.MatchString(id) {
				y.Node(f.Value, "%s.id: %q is not an id (lower-case letters, digits, '_', '.', '-'; up to 64)", what, id)
			}
			s.ID = id
			what = fmt.Sprintf("service %q", id)
		}
	}
	if f, ok := required("provider"); ok {
		if p, ok := y.String(f.Value, what+": provider"); ok {
			if !idPattern.MatchString(p) {
				y.Node(f.Value, "%s: provider %q is not lower-case letters, digits, '_', '.', '-'", what, p)
			}
			s.Provider = p
		}
	}
	if f, ok := required("name"); ok {
		if nm, ok := y.String(f.Value, what+": name"); ok {
			if strings.TrimSpace(nm) == "" {
				y.Node(f.Value, "%s: name is empty", what)
			}
			s.Name = nm
		}
	}
	if f, ok := required("kind"); ok {
		if k, ok := y.String(f.Value, what+": kind"); ok {
			if !slices.Contains(kinds, Kind(k)) {
				y.Node(f.Value, "%s: kind %q is not one of %s", what, k, joinKinds())
			}
			s.Kind = Kind(k)
		}
	}
	if f, ok := fields["sanctioned"]; ok {
		s.Sanctioned, _ = y.Bool(f.Value, what+": sanctioned")
	}
	if f, ok := fields["override"]; ok {
		ps.override, _ = y.Bool(f.Value, what+": override")
	}
	if f, ok := fields["description"]; ok {
		_, _ = y.String(f.Value, what+": description")
	}
	strs := func(key string, check func(string) string, norm func(string) string) []string {
		f, ok := fields[key]
		if !ok {
			return nil
		}
		items, ok := y.List(f.Value, what+": "+key)
		if !ok {
			return nil
		}
		var out []string
		seen := map[string]bool{}
		for _, it := range items {
			v, ok := y.String(it, what+": "+key)
			if !ok {
				continue
			}
			if problem := check(v); problem != "" {
				y.Node(it, "%s: %s %q: %s", what, key, v, problem)
				continue
			}
			v = norm(v)
			if seen[v] {
				y.Node(it, "%s: %s %q repeated", what, key, v)
				continue
			}
			seen[v] = true
			p := filefmt.Position(it)
			ps.claims = append(ps.claims, claim{key: key + "\x00" + v, what: key, line: p.Line, col: p.Column})
			out = append(out, v)
		}
		return out
	}
	s.AI = strs("ai", checkAlias, strings.TrimSpace)
	s.Apps = strs("apps", checkApp, func(v string) string { return strings.ToLower(strings.TrimSpace(v)) })
	s.Hosts = strs("hosts", checkHost, strings.ToLower)
	if f, ok := fields["actions"]; ok {
		items, _ := y.List(f.Value, what+": actions")
		seen := map[string]bool{}
		for j, it := range items {
			aw := fmt.Sprintf("%s: actions[%d]", what, j)
			af, ok := y.Fields(it, aw, actionKeys...)
			if !ok {
				continue
			}
			apos := filefmt.Position(it)
			var r ActionRule
			if sf, ok := af["source"]; !ok {
				y.At(apos.Line, apos.Column, "%s: source is missing", aw)
			} else if src, ok := y.String(sf.Value, aw+".source"); ok {
				if strings.TrimSpace(src) == "" || strings.ContainsAny(src, " \t") {
					y.Node(sf.Value, "%s: source %q is empty or has spaces", aw, src)
				}
				r.Source = src
			}
			if uf, ok := af["use"]; !ok {
				y.At(apos.Line, apos.Column, "%s: use is missing", aw)
			} else if u, ok := y.String(uf.Value, aw+".use"); ok {
				if !slices.Contains(uses, Use(u)) {
					y.Node(uf.Value, "%s: use %q is not one of %s", aw, u, joinUses())
				}
				r.Use = Use(u)
			}
			nf, ok := af["names"]
			if !ok {
				y.At(apos.Line, apos.Column, "%s: names is missing", aw)
				continue
			}
			names, _ := y.List(nf.Value, aw+".names")
			if len(names) == 0 {
				y.Node(nf.Value, "%s: names is empty", aw)
			}
			for _, nn := range names {
				name, ok := y.String(nn, aw+".names")
				if !ok {
					continue
				}
				if strings.TrimSpace(name) == "" {
					y.Node(nn, "%s: empty action name", aw)
					continue
				}
				key := r.Source + "\x00" + name
				if seen[key] {
					y.Node(nn, "%s: action %q of %s repeated", aw, name, r.Source)
					continue
				}
				seen[key] = true
				p := filefmt.Position(nn)
				ps.claims = append(ps.claims, claim{key: "action\x00" + key, what: "action", line: p.Line, col: p.Column})
				r.Names = append(r.Names, name)
			}
			s.Actions = append(s.Actions, r)
		}
	}
	if len(s.AI)+len(s.Apps)+len(s.Hosts)+len(s.Actions) == 0 && y.Len() == errsBefore {
		y.At(pos.Line, pos.Column, "%s: nothing to recognize it by: set at least one of ai, apps, hosts, actions", what)
	}
	return ps, y.Len() == errsBefore
}

func checkAlias(v string) string {
	if strings.TrimSpace(v) != v || v == "" {
		return "empty or padded with spaces"
	}
	if strings.ContainsAny(v, " \t") {
		return "has spaces"
	}
	p, s, pair := strings.Cut(v, "/")
	if pair && (p == "" || s == "" || strings.Contains(s, "/")) {
		return `want "provider/service" or one word`
	}
	return ""
}

func checkApp(v string) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return "empty"
	case strings.Trim(v, "*? ") == "":
		return "matches every application"
	case len(v) > 200:
		return "longer than 200 characters"
	}
	return ""
}

func checkHost(v string) string {
	h := strings.ToLower(v)
	switch {
	case strings.Contains(h, "://") || strings.ContainsAny(h, "/:"):
		return "want a host name, without scheme, port or path"
	case !hostPattern.MatchString(h) || strings.Contains(h, ".."):
		return "not a host name (letters, digits, '-', '.', and '*' wildcards)"
	case strings.Trim(h, "*.") == "":
		return "matches every host"
	}
	return ""
}

func joinKinds() string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func joinUses() string {
	s := make([]string, len(uses))
	for i, u := range uses {
		s[i] = string(u)
	}
	return strings.Join(s, ", ")
}

// owner is the service that claimed a key, and where.
type owner struct {
	id        string
	file      string
	line, col int
}

// Build merges parsed files, in order, into a catalog and applies the
// sanctioned and unsanctioned lists. It reports a service id defined twice
// without override: true, an override of nothing, a key (alias, app name,
// host, action) claimed by two services, and unknown or conflicting ids in
// the lists, each problem with the file:line:col where it occurs.
func Build(files []*File, sanctioned, unsanctioned []string) (*Catalog, error) {
	var errs []error
	at := func(file string, line, col int, format string, args ...any) {
		errs = append(errs, &filefmt.Error{File: file, Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
	}
	type defined struct {
		ps   parsedService
		file string
	}
	byID := map[string]*defined{}
	var order []string
	claims := map[string]owner{}
	for _, f := range files {
		for _, ps := range f.entries {
			id := ps.svc.ID
			if prev, ok := byID[id]; ok {
				if !ps.override {
					at(f.Name, ps.line, ps.col, "service %q already defined at %s:%d; set override: true to replace it", id, prev.file, prev.ps.line)
					continue
				}
				for _, c := range prev.ps.claims {
					if claims[c.key].id == id {
						delete(claims, c.key)
					}
				}
			} else if ps.override {
				at(f.Name, ps.line, ps.col, "service %q: override: true but no earlier file defines it", id)
				continue
			} else {
				order = append(order, id)
			}
			// The id is defined even when its keys conflict, so that a
			// repeated id is reported as well.
			byID[id] = &defined{ps: ps, file: f.Name}
			for _, c := range ps.claims {
				if o, taken := claims[c.key]; taken && o.id != id {
					_, v, _ := strings.Cut(c.key, "\x00")
					v = strings.ReplaceAll(v, "\x00", " ")
					at(f.Name, c.line, c.col, "service %q: %s %q already belongs to service %q (%s:%d:%d)", id, c.what, v, o.id, o.file, o.line, o.col)
					continue
				}
				claims[c.key] = owner{id: id, file: f.Name, line: c.line, col: c.col}
			}
		}
	}
	for i, id := range sanctioned {
		if _, ok := byID[id]; !ok {
			errs = append(errs, fmt.Errorf("catalog: sanctioned[%d]: unknown service %q", i, id))
		}
		if slices.Contains(unsanctioned, id) {
			errs = append(errs, fmt.Errorf("catalog: service %q is both sanctioned and unsanctioned", id))
		}
	}
	for i, id := range unsanctioned {
		if _, ok := byID[id]; !ok {
			errs = append(errs, fmt.Errorf("catalog: unsanctioned[%d]: unknown service %q", i, id))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	c := &Catalog{
		byID:    make(map[string]*Service, len(order)),
		aiPair:  map[aiKey]*Service{},
		aiWord:  map[string]*Service{},
		actions: map[string]*glob.Table[actionHit]{},
	}
	if len(files) > 0 {
		c.version = files[0].Version
		if len(files) > 1 {
			c.version += fmt.Sprintf("+%d files", len(files)-1)
		}
	}
	for _, f := range files {
		c.files = append(c.files, f.Name)
	}
	for _, id := range order {
		d := byID[id]
		s := *d.ps.svc // a copy: the lists below must not change the parsed file
		switch {
		case slices.Contains(sanctioned, id):
			s.Sanctioned = true
		case slices.Contains(unsanctioned, id):
			s.Sanctioned = false
		}
		svc := &s
		c.services = append(c.services, svc)
		c.byID[id] = svc
		for _, a := range svc.AI {
			if p, sv, pair := strings.Cut(a, "/"); pair {
				c.aiPair[aiKey{p, sv}] = svc
			} else {
				c.aiWord[a] = svc
			}
		}
		for _, a := range svc.Apps {
			c.apps.Add(a, svc)
		}
		for _, h := range svc.Hosts {
			c.hosts.Add(h, svc)
		}
	}
	// Action rules are indexed in file order of their services, so that a
	// catch-all "*" of one service never shadows another's exact name.
	for _, svc := range c.services {
		for _, r := range svc.Actions {
			t := c.actions[r.Source]
			if t == nil {
				t = &glob.Table[actionHit]{}
				c.actions[r.Source] = t
			}
			for _, n := range r.Names {
				t.Add(n, actionHit{service: svc, use: r.Use})
			}
		}
	}
	slices.SortFunc(c.services, func(a, b *Service) int { return strings.Compare(a.ID, b.ID) })
	return c, nil
}
