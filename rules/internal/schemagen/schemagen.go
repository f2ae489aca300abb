// Package schemagen generates the JSON Schema (draft 2020-12) of rule files,
// rules/schema/rule.schema.json, for editors: the structure from the Go
// types of package rules (their yaml tags), the descriptions from their doc
// comments, and the values the loader accepts (severities, types, ids,
// durations, ATLAS and ATT&CK id forms, categories, classes, playbooks) from
// the loader's own tables. Test events follow a copy of the event schema of
// package schemas with no property required.
package schemagen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/aitdr/aitdr/rules"
	"github.com/aitdr/aitdr/schemas"
)

// ID is the $id of the rule file schema.
const ID = "https://github.com/aitdr/aitdr/rules/schema/rule.schema.json"

// eventSchema is the event schema of package schemas, relative to the
// rules package's folder. Test events are partial events (the runner fills
// defaults), so the rule schema holds a copy of it without required
// properties, under $defs Event and Event<Name>.
const eventSchema = "../schemas/jsonschema/event.schema.json"

// node is a JSON Schema node written in a fixed key order.
type node struct {
	Schema      string           `json:"$schema,omitempty"`
	ID          string           `json:"$id,omitempty"`
	Ref         string           `json:"$ref,omitempty"`
	Title       string           `json:"title,omitempty"`
	Description string           `json:"description,omitempty"`
	Type        string           `json:"type,omitempty"`
	Format      string           `json:"format,omitempty"`
	Enum        []string         `json:"enum,omitempty"`
	Pattern     string           `json:"pattern,omitempty"`
	Examples    []string         `json:"examples,omitempty"`
	Minimum     *float64         `json:"minimum,omitempty"`
	MinItems    *int             `json:"minItems,omitempty"`
	Items       *node            `json:"items,omitempty"`
	Properties  *props           `json:"properties,omitempty"`
	Required    []string         `json:"required,omitempty"`
	AddProps    any              `json:"additionalProperties,omitempty"`
	AllOf       []map[string]any `json:"allOf,omitempty"`
	Defs        *props           `json:"$defs,omitempty"`
}

// props are object properties in declaration order.
type props struct {
	names []string
	nodes map[string]any
}

func (p *props) add(name string, n any) {
	if p.nodes == nil {
		p.nodes = map[string]any{}
	}
	p.names = append(p.names, name)
	p.nodes[name] = n
}

// MarshalJSON writes the properties in declaration order.
func (p *props) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, name := range p.names {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(name)
		v, err := json.Marshal(p.nodes[name])
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func ptr[T any](v T) *T { return &v }

var (
	durationPattern = `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h|d|w))+$`
	strs            = func(vs ...string) []string { return vs }
)

// fieldOverrides are the schemas of fields whose values the loader
// restricts beyond their Go type, by "Type.Field".
func fieldOverrides() map[string]*node {
	values := func(vs ...string) *node { return &node{Type: "string", Enum: vs} }
	list := func(item *node) *node { return &node{Type: "array", Items: item} }
	duration := &node{Type: "string", Pattern: durationPattern, Examples: strs("10m", "2h", "30d")}
	exprList := list(&node{Type: "string"})
	return map[string]*node{
		"RuleSpec.ID":              {Type: "string", Pattern: `^[a-z0-9][a-z0-9-]*$`},
		"RuleSpec.Severity":        values("info", "low", "medium", "high", "critical"),
		"RuleSpec.Status":          values("experimental", "stable"),
		"RuleSpec.Type":            values("match", "threshold", "sequence", "new_terms", "anomaly"),
		"RuleSpec.IdentityClasses": list(values(enumValues(schemas.IdentityClasses())...)),
		"RuleSpec.Sources":         list(&node{Type: "string", Pattern: schemas.ProductPattern, Examples: enumValues(schemas.Products())}),
		"RuleSpec.Categories":      list(values(enumValues(schemas.Categories())...)),
		"RuleSpec.ATLAS":           list(&node{Type: "string", Pattern: `^AML\.T[0-9]{4}(\.[0-9]{3})?$`}),
		"RuleSpec.ATTACK":          list(&node{Type: "string", Pattern: `^T[0-9]{4}(\.[0-9]{3})?$`}),
		"RuleSpec.References":      list(&node{Type: "string", Format: "uri"}),
		"RuleSpec.Response":        values(rules.Playbooks...),
		"ThresholdSpec.Function":   values("count", "sum", "distinct_count"),
		"ThresholdSpec.Window":     duration,
		"ThresholdSpec.GTE":        {Type: "number", Minimum: ptr(0.0)},
		"ThresholdSpec.GroupBy":    exprList,
		"SequenceSpec.Window":      duration,
		"SequenceSpec.GroupBy":     exprList,
		"SequenceSpec.Steps":       {Type: "array", MinItems: ptr(2), Items: &node{Ref: "#/$defs/StepSpec"}},
		"NewTermsSpec.History":     duration,
		"NewTermsSpec.Fields":      {Type: "array", MinItems: ptr(1), Items: &node{Type: "string"}},
		"SuppressSpec.Window":      duration,
		"ExceptionSpec.Expires":    {Type: "string", Format: "date"},
		"ExceptionSpec.Match": {Type: "object", AddProps: &node{
			Type: "array", Items: &node{Type: "string"},
		}},
		"MacroSpec.Name":      {Type: "string", Pattern: `^[a-z_][a-z0-9_]*$`},
		"ListSpec.Name":       {Type: "string", Pattern: `^[a-z_][a-z0-9_]*$`},
		"TestSpec.Events":     list(&node{Ref: "#/$defs/Event"}),
		"ExpectSpec.Alerts":   {Type: "integer", Minimum: ptr(0.0)},
		"ExpectSpec.Severity": values("info", "low", "medium", "high", "critical"),
		"ExpectSpec.Evidence": list(&node{Type: "integer", Minimum: ptr(0.0)}),
		"ExpectSpec.Suppressed": {
			Type: "integer", Minimum: ptr(0.0),
		},
	}
}

// required are the fields the loader requires, by type.
var required = map[string][]string{
	"RuleSpec":      {"id", "title", "description", "severity"},
	"ThresholdSpec": {"window", "gte"},
	"SequenceSpec":  {"window", "steps"},
	"StepSpec":      {"name", "condition"},
	"NewTermsSpec":  {"fields", "history"},
	"ExceptionSpec": {"name", "reason", "match"},
	"MacroSpec":     {"name", "condition"},
	"ListSpec":      {"name", "items"},
	"TestSpec":      {"name", "events", "expect"},
	"ExpectSpec":    {"alerts"},
}

func enumValues[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// Generate returns the rule file schema, with descriptions from the doc
// comments of file.go in rulesDir (the rules package's folder).
func Generate(rulesDir string) ([]byte, error) {
	docs, err := loadDocs(filepath.Join(rulesDir, "file.go"))
	if err != nil {
		return nil, err
	}
	g := &generator{docs: docs, overrides: fieldOverrides(), defs: &props{}}
	root := g.object(reflect.TypeFor[rules.File]())
	if err := g.addEventDefs(filepath.Join(rulesDir, eventSchema)); err != nil {
		return nil, err
	}
	root.Schema = "https://json-schema.org/draft/2020-12/schema"
	root.ID = ID
	root.Title = "aitdr rule file"
	root.Defs = g.defs
	b, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("rule schema: %w", err)
	}
	return append(b, '\n'), nil
}

type generator struct {
	docs      map[string]string
	overrides map[string]*node
	defs      *props
}

// object returns the schema of struct type t.
func (g *generator) object(t reflect.Type) *node {
	n := &node{Description: g.docs[t.Name()], Type: "object", Properties: &props{}, AddProps: false, Required: required[t.Name()]}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		fn := g.field(t.Name()+"."+f.Name, f.Type)
		fn.Description = g.docs[t.Name()+"."+f.Name]
		n.Properties.add(name, fn)
	}
	if t == reflect.TypeFor[rules.RuleSpec]() {
		// A type needs its body; a body is only for its type.
		for _, body := range []struct{ typ, field string }{
			{"threshold", "threshold"}, {"sequence", "sequence"}, {"new_terms", "new_terms"},
		} {
			n.AllOf = append(n.AllOf, map[string]any{
				"if":   map[string]any{"properties": map[string]any{"type": map[string]any{"const": body.typ}}, "required": []string{"type"}},
				"then": map[string]any{"required": []string{body.field}},
			})
		}
		n.AllOf = append(n.AllOf, map[string]any{
			"if":   map[string]any{"properties": map[string]any{"type": map[string]any{"enum": []string{"match", "anomaly"}}}},
			"then": map[string]any{"required": []string{"condition"}},
		})
	}
	return n
}

// field returns the schema of a field of type t named key ("Type.Field").
func (g *generator) field(key string, t reflect.Type) *node {
	n := g.typ(t) // registers the definitions of struct types even when overridden
	if o, ok := g.overrides[key]; ok {
		c := *o
		return &c
	}
	return n
}

func (g *generator) typ(t reflect.Type) *node {
	switch t.Kind() {
	case reflect.Pointer:
		return g.typ(t.Elem())
	case reflect.String:
		return &node{Type: "string"}
	case reflect.Bool:
		return &node{Type: "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return &node{Type: "integer"}
	case reflect.Float64:
		return &node{Type: "number"}
	case reflect.Slice:
		return &node{Type: "array", Items: g.typ(t.Elem())}
	case reflect.Map:
		return &node{Type: "object", AddProps: g.typ(t.Elem())}
	case reflect.Struct:
		if _, ok := g.defs.nodes[t.Name()]; !ok {
			g.defs.add(t.Name(), nil) // reserve the name against recursion
			g.defs.nodes[t.Name()] = g.object(t)
		}
		return &node{Ref: "#/$defs/" + t.Name()}
	}
	return &node{}
}

// addEventDefs adds the event schema at path as the definitions Event and
// Event<Name>, with no property required.
func (g *generator) addEventDefs(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("rule schema: %w", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("rule schema: %s: %w", path, err)
	}
	defs, _ := doc["$defs"].(map[string]any)
	for _, k := range []string{"$schema", "$id", "$defs", "title"} {
		delete(doc, k)
	}
	doc["description"] = "A test event: the JSON field names of schemas.Event, every one optional (the test runner fills id, schema_version, time, source.product, enrichment.class and identity.id)."
	g.defs.add("Event", partial(doc))
	names := make([]string, 0, len(defs))
	for name := range defs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		g.defs.add("Event"+name, partial(defs[name]))
	}
	return nil
}

// partial drops "required" everywhere in a schema and points its $refs at
// the Event<Name> copies.
func partial(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			switch {
			case k == "required":
				continue
			case k == "$ref":
				if ref, ok := val.(string); ok && strings.HasPrefix(ref, "#/$defs/") {
					val = "#/$defs/Event" + strings.TrimPrefix(ref, "#/$defs/")
				}
			}
			out[k] = partial(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = partial(val)
		}
		return out
	}
	return v
}

// loadDocs returns the doc comments of the types and fields declared in a
// Go file, by "Type" and "Type.Field", as single paragraphs.
func loadDocs(path string) (map[string]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("rule schema: parse %s: %w", path, err)
	}
	docs := map[string]string{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, spec := range gd.Specs {
			ts := spec.(*ast.TypeSpec)
			doc := ts.Doc
			if doc == nil {
				doc = gd.Doc
			}
			docs[ts.Name.Name] = paragraph(doc)
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, field := range st.Fields.List {
				for _, name := range field.Names {
					docs[ts.Name.Name+"."+name.Name] = paragraph(field.Doc)
				}
			}
		}
	}
	return docs, nil
}

func paragraph(g *ast.CommentGroup) string {
	if g == nil {
		return ""
	}
	return strings.Join(strings.Fields(g.Text()), " ")
}
