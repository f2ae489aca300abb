package clickhouse

import (
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
)

// queryFiles are the ready queries for analysts, one question per file.
//
//go:embed queries/*.sql
var queryFiles embed.FS

// Query is a ready query: a named question and the SQL that answers it.
// The SQL names tables without a database (run it with the database of the
// connection set to aitdr's) and takes its parameters as ClickHouse
// placeholders, {name:Type}.
type Query struct {
	// Name is the file name without .sql, such as shadow_ai_by_user.
	Name string
	// Question is the question the query answers.
	Question string
	// SQL is the whole file, header comments included.
	SQL string
	// Params are the query's parameters, in the order the header lists them.
	Params []QueryParam
}

// QueryParam is a parameter of a ready query.
type QueryParam struct {
	// Name is the placeholder's name.
	Name string
	// Type is its ClickHouse type, such as UInt32 or Array(String).
	Type string
	// Default is the value used when none is given, as ClickHouse parses it.
	Default string
	// Doc says what the parameter means.
	Doc string
}

// placeholder matches a ClickHouse query parameter, {name:Type}.
var placeholder = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*):([^{}]+)\}`)

var readyQueries = func() []Query {
	qs, err := loadQueries(queryFiles)
	if err != nil {
		panic(err)
	}
	return qs
}()

// loadQueries parses the header of every .sql file of fsys's queries
// directory: a "-- name:" line matching the file name, a "-- question:"
// line and one "-- param: name Type = default; doc" line per placeholder.
func loadQueries(fsys fs.FS) ([]Query, error) {
	paths, err := fs.Glob(fsys, "queries/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	out := make([]Query, 0, len(paths))
	for _, p := range paths {
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		q, err := parseQuery(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if want := strings.TrimSuffix(p[len("queries/"):], ".sql"); q.Name != want {
			return nil, fmt.Errorf("%s: name %q differs from the file name", p, q.Name)
		}
		out = append(out, q)
	}
	return out, nil
}

func parseQuery(text string) (Query, error) {
	q := Query{SQL: text}
	declared := map[string]string{}
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "--") {
			break
		}
		key, val, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "--")), ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "name":
			q.Name = val
		case "question":
			q.Question = val
		case "param":
			p, err := parseParam(val)
			if err != nil {
				return q, err
			}
			if _, dup := declared[p.Name]; dup {
				return q, fmt.Errorf("parameter %s declared twice", p.Name)
			}
			declared[p.Name] = p.Type
			q.Params = append(q.Params, p)
		}
	}
	if q.Name == "" || q.Question == "" {
		return q, fmt.Errorf("no -- name: or -- question: header")
	}
	used := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
		typ, ok := declared[m[1]]
		if !ok {
			return q, fmt.Errorf("placeholder {%s:%s} has no -- param: line", m[1], m[2])
		}
		if typ != m[2] {
			return q, fmt.Errorf("placeholder {%s:%s} differs from its declared type %s", m[1], m[2], typ)
		}
		used[m[1]] = true
	}
	for name := range declared {
		if !used[name] {
			return q, fmt.Errorf("parameter %s is declared but not used", name)
		}
	}
	return q, nil
}

// parseParam parses "name Type = default; doc".
func parseParam(s string) (QueryParam, error) {
	decl, doc, _ := strings.Cut(s, ";")
	head, def, ok := strings.Cut(decl, "=")
	fields := strings.Fields(head)
	if !ok || len(fields) != 2 {
		return QueryParam{}, fmt.Errorf("parameter %q: want name Type = default; doc", s)
	}
	return QueryParam{Name: fields[0], Type: fields[1], Default: strings.TrimSpace(def), Doc: strings.TrimSpace(doc)}, nil
}

// Queries returns the ready queries, sorted by name.
func Queries() []Query { return append([]Query(nil), readyQueries...) }

// LookupQuery returns the ready query of that name.
func LookupQuery(name string) (Query, bool) {
	for _, q := range readyQueries {
		if q.Name == name {
			return q, true
		}
	}
	return Query{}, false
}

// Parameters returns the values of q's parameters: the defaults, overridden
// by values. A value for a parameter q does not have is an error.
func (q Query) Parameters(values map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(q.Params))
	for _, p := range q.Params {
		out[p.Name] = p.Default
	}
	for k, v := range values {
		if _, ok := out[k]; !ok {
			return nil, fmt.Errorf("query %s has no parameter %s", q.Name, k)
		}
		out[k] = v
	}
	return out, nil
}
