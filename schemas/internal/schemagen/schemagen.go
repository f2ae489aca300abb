// Package schemagen generates JSON Schema (draft 2020-12) documents from Go
// types by reflection, following the rules of encoding/json: the JSON tag
// names a property, a field without omitempty or omitzero is required,
// time.Time is a date-time string and []byte a base64 string. Descriptions
// come from the doc comments of the Go sources. Objects do not allow
// additional properties, so that a producer's misspelt field fails
// validation (decoders stay lenient and skip unknown fields).
//
// Enum values are registered per type (Enum), as reflection cannot list
// constants; a field may pin a constant with the struct tag
// `jsonschema:"const=<value>"`; a type with its own JSON encoding needs an
// Override.
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
	"strconv"
	"strings"
	"time"
)

// Schema is a JSON Schema node. Its fields marshal in a fixed order, so the
// output is stable.
type Schema struct {
	// Schema is the meta-schema URI, set on the document root.
	Schema string `json:"$schema,omitempty"`
	// ID is the document's URI, set on the root.
	ID string `json:"$id,omitempty"`
	// Ref points to a definition under $defs.
	Ref string `json:"$ref,omitempty"`
	// Title is the document title, set on the root.
	Title string `json:"title,omitempty"`
	// Description is the doc comment of the type or field.
	Description string `json:"description,omitempty"`
	// Type is the JSON type.
	Type string `json:"type,omitempty"`
	// Format is the string format, such as date-time.
	Format string `json:"format,omitempty"`
	// ContentEncoding is base64 for bytes.
	ContentEncoding string `json:"contentEncoding,omitempty"`
	// Const is the only value allowed.
	Const any `json:"const,omitempty"`
	// Enum are the values allowed.
	Enum []any `json:"enum,omitempty"`
	// Pattern is the regular expression a string must match.
	Pattern string `json:"pattern,omitempty"`
	// Examples are typical values.
	Examples []any `json:"examples,omitempty"`
	// Minimum is the least number allowed.
	Minimum *float64 `json:"minimum,omitempty"`
	// Properties are the properties of an object.
	Properties Properties `json:"properties,omitempty"`
	// Required are the properties an object must have.
	Required []string `json:"required,omitempty"`
	// AdditionalProperties is false for structs and the value schema for maps.
	AdditionalProperties any `json:"additionalProperties,omitempty"`
	// Items is the schema of array elements.
	Items *Schema `json:"items,omitempty"`
	// Defs are the named definitions, on the root.
	Defs map[string]*Schema `json:"$defs,omitempty"`
}

// Property is one named property of an object schema.
type Property struct {
	// Name is the JSON name.
	Name string
	// Schema describes the value.
	Schema *Schema
}

// Properties are the properties of an object schema, in declaration order.
type Properties []Property

// MarshalJSON writes the properties as a JSON object in their order.
func (p Properties) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, prop := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(prop.Name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(prop.Schema)
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

// Generator builds schemas. It is not safe for concurrent use.
type Generator struct {
	enums     map[reflect.Type][]any
	overrides map[reflect.Type]*Schema
	docs      map[string]string
	defs      map[string]*Schema
	owners    map[string]reflect.Type
}

// New returns a Generator with no enums, overrides or docs.
func New() *Generator {
	return &Generator{
		enums:     map[reflect.Type][]any{},
		overrides: map[reflect.Type]*Schema{},
		docs:      map[string]string{},
	}
}

// Enum registers the values of the enum type T.
func Enum[T comparable](g *Generator, vals []T) {
	g.enums[reflect.TypeFor[T]()] = values(vals)
}

// Override describes type t by s instead of by reflection. The description
// of s defaults to the doc comment of t.
func (g *Generator) Override(t reflect.Type, s *Schema) { g.overrides[t] = s }

// LoadDocs reads the doc comments of the types and struct fields declared in
// the non-test Go files of dir, the source of the package pkgPath.
func (g *Generator) LoadDocs(pkgPath, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return fmt.Errorf("load docs of %s: %w", pkgPath, err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || strings.HasSuffix(name, "_gen.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			return fmt.Errorf("load docs of %s: %w", pkgPath, err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			return fmt.Errorf("load docs of %s: %w", pkgPath, err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				key := pkgPath + "." + ts.Name.Name
				g.docs[key] = docText(doc)
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, field := range st.Fields.List {
					text := docText(field.Doc)
					if text == "" {
						text = docText(field.Comment)
					}
					for _, n := range field.Names {
						g.docs[key+"."+n.Name] = text
					}
				}
			}
		}
	}
	return nil
}

// docText turns a comment group into one line per paragraph.
func docText(cg *ast.CommentGroup) string {
	if cg == nil {
		return ""
	}
	var paras []string
	for p := range strings.SplitSeq(cg.Text(), "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			paras = append(paras, p)
		}
	}
	return strings.Join(paras, "\n\n")
}

// Generate returns the schema document of root, indented, with a final
// newline: root's properties at the top and every named type under $defs.
func (g *Generator) Generate(id, title string, root reflect.Type) ([]byte, error) {
	g.defs = map[string]*Schema{}
	g.owners = map[string]reflect.Type{}
	if root.Kind() != reflect.Struct {
		return nil, fmt.Errorf("generate %s: root %s is not a struct", id, root)
	}
	doc, err := g.object(root)
	if err != nil {
		return nil, fmt.Errorf("generate %s: %w", id, err)
	}
	doc.Schema = "https://json-schema.org/draft/2020-12/schema"
	doc.ID = id
	doc.Title = title
	doc.Description = g.docs[typeKey(root)]
	if len(g.defs) > 0 {
		doc.Defs = g.defs
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("generate %s: %w", id, err)
	}
	return append(b, '\n'), nil
}

func typeKey(t reflect.Type) string { return t.PkgPath() + "." + t.Name() }

var (
	timeType      = reflect.TypeFor[time.Time]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
)

// object returns the inline object schema of struct type t.
func (g *Generator) object(t reflect.Type) (*Schema, error) {
	s := &Schema{Type: "object", AdditionalProperties: false}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Anonymous {
			return nil, fmt.Errorf("%s.%s: embedded fields are not supported", t, f.Name)
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		optional := false
		for o := range strings.SplitSeq(opts, ",") {
			if o == "omitempty" || o == "omitzero" {
				optional = true
			}
		}
		k := f.Type.Kind()
		if (k == reflect.Slice || k == reflect.Map || k == reflect.Pointer) && !optional && f.Type != timeType {
			return nil, fmt.Errorf("%s.%s: a %s without omitempty encodes as null", t, f.Name, k)
		}
		fs, err := g.schema(f.Type)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", t, f.Name, err)
		}
		fs = withDescription(fs, g.docs[typeKey(t)+"."+f.Name])
		if c, ok := strings.CutPrefix(f.Tag.Get("jsonschema"), "const="); ok {
			fs.Const, err = constValue(f.Type, c)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", t, f.Name, err)
			}
		}
		s.Properties = append(s.Properties, Property{Name: name, Schema: fs})
		if !optional {
			s.Required = append(s.Required, name)
		}
	}
	return s, nil
}

// withDescription returns a copy of s with description d, unless d is empty.
func withDescription(s *Schema, d string) *Schema {
	if d == "" {
		return s
	}
	c := *s
	c.Description = d
	return &c
}

func constValue(t reflect.Type, v string) (any, error) {
	switch t.Kind() {
	case reflect.String:
		return v, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.ParseInt(v, 10, 64)
	}
	return nil, fmt.Errorf("const for a %s is not supported", t.Kind())
}

// schema returns the schema of a value of type t: a $ref for named structs,
// enums and overrides, inline otherwise.
func (g *Generator) schema(t reflect.Type) (*Schema, error) {
	if t == timeType {
		return &Schema{Type: "string", Format: "date-time"}, nil
	}
	if s, ok := g.overrides[t]; ok {
		c := *s
		if c.Description == "" {
			c.Description = g.docs[typeKey(t)]
		}
		return g.ref(t, func() (*Schema, error) { return &c, nil })
	}
	if vals, ok := g.enums[t]; ok {
		return g.ref(t, func() (*Schema, error) {
			base, err := g.builtin(t)
			if err != nil {
				return nil, err
			}
			base.Enum = vals
			base.Description = g.docs[typeKey(t)]
			return base, nil
		})
	}
	if t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) {
		return nil, fmt.Errorf("%s has its own JSON encoding: register an Override", t)
	}
	switch t.Kind() {
	case reflect.Struct:
		return g.ref(t, func() (*Schema, error) {
			s, err := g.object(t)
			if err != nil {
				return nil, err
			}
			s.Description = g.docs[typeKey(t)]
			return s, nil
		})
	case reflect.Pointer:
		return g.schema(t.Elem())
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return &Schema{Type: "string", ContentEncoding: "base64"}, nil
		}
		items, err := g.schema(t.Elem())
		if err != nil {
			return nil, err
		}
		return &Schema{Type: "array", Items: items}, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("map key %s is not a string", t.Key())
		}
		values, err := g.schema(t.Elem())
		if err != nil {
			return nil, err
		}
		return &Schema{Type: "object", AdditionalProperties: values}, nil
	}
	return g.builtin(t)
}

// builtin returns the schema of a scalar kind.
func (g *Generator) builtin(t reflect.Type) (*Schema, error) {
	switch t.Kind() {
	case reflect.Bool:
		return &Schema{Type: "boolean"}, nil
	case reflect.String:
		return &Schema{Type: "string"}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &Schema{Type: "integer"}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		zero := 0.0
		return &Schema{Type: "integer", Minimum: &zero}, nil
	case reflect.Float32, reflect.Float64:
		return &Schema{Type: "number"}, nil
	}
	return nil, fmt.Errorf("type %s (%s) is not supported", t, t.Kind())
}

// ref defines named type t under $defs once, with build, and returns a
// reference to it. Two types of one name from different packages fail.
func (g *Generator) ref(t reflect.Type, build func() (*Schema, error)) (*Schema, error) {
	name := t.Name()
	r := &Schema{Ref: "#/$defs/" + name}
	if owner, ok := g.owners[name]; ok {
		if owner != t {
			return nil, fmt.Errorf("two types named %s: %s and %s", name, owner, t)
		}
		return r, nil
	}
	g.owners[name] = t
	g.defs[name] = &Schema{} // placeholder for recursive types
	s, err := build()
	if err != nil {
		return nil, err
	}
	g.defs[name] = s
	return r, nil
}
