package schemagen_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/schemas/internal/schemagen"
)

type color string

// sample is a type with one field of every supported shape.
type sample struct {
	Name     string            `json:"name"`
	Count    int64             `json:"count,omitempty"`
	Size     uint32            `json:"size,omitempty"`
	Ratio    float64           `json:"ratio,omitempty"`
	Flag     bool              `json:"flag,omitzero"`
	When     time.Time         `json:"when"`
	Blob     []byte            `json:"blob,omitempty"`
	Tags     []string          `json:"tags,omitempty"`
	Attrs    map[string]string `json:"attrs,omitempty"`
	Color    color             `json:"color,omitzero"`
	Kind     int               `json:"kind" jsonschema:"const=2004"`
	Child    child             `json:"child"`
	Children []child           `json:"children,omitempty"`
	Skipped  string            `json:"-"`
	hidden   string            //lint:ignore U1000 shows that unexported fields are skipped
}

type child struct {
	ID string `json:"id"`
}

type nullSlice struct {
	Tags []string `json:"tags"`
}

type custom struct{}

func (custom) MarshalJSON() ([]byte, error) { return []byte(`"x"`), nil }

type withCustom struct {
	C custom `json:"c"`
}

func generate(t *testing.T, g *schemagen.Generator, root reflect.Type) map[string]any {
	t.Helper()
	b, err := g.Generate("urn:test", "test", root)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestGenerate shows how each field shape maps to JSON Schema, which fields
// are required, and that enums and structs become $defs.
func TestGenerate(t *testing.T) {
	g := schemagen.New()
	schemagen.Enum(g, []color{"red", "blue"})
	doc := generate(t, g, reflect.TypeFor[sample]())
	props := doc["properties"].(map[string]any)
	defs := doc["$defs"].(map[string]any)
	prop := func(name string) string {
		b, _ := json.Marshal(props[name])
		return string(b)
	}
	tests := []struct {
		name, got, want string
	}{
		{"string", prop("name"), `{"type":"string"}`},
		{"int", prop("count"), `{"type":"integer"}`},
		{"unsigned", prop("size"), `{"minimum":0,"type":"integer"}`},
		{"float", prop("ratio"), `{"type":"number"}`},
		{"bool", prop("flag"), `{"type":"boolean"}`},
		{"time", prop("when"), `{"format":"date-time","type":"string"}`},
		{"bytes", prop("blob"), `{"contentEncoding":"base64","type":"string"}`},
		{"slice", prop("tags"), `{"items":{"type":"string"},"type":"array"}`},
		{"map", prop("attrs"), `{"additionalProperties":{"type":"string"},"type":"object"}`},
		{"enum", prop("color"), `{"$ref":"#/$defs/color"}`},
		{"const", prop("kind"), `{"const":2004,"type":"integer"}`},
		{"struct", prop("child"), `{"$ref":"#/$defs/child"}`},
		{"struct slice", prop("children"), `{"items":{"$ref":"#/$defs/child"},"type":"array"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("schema %s, want %s", tt.got, tt.want)
			}
		})
	}
	t.Run("skipped fields", func(t *testing.T) {
		for _, name := range []string{"Skipped", "-", "hidden"} {
			if _, ok := props[name]; ok {
				t.Errorf("property %q is in the schema", name)
			}
		}
	})
	t.Run("required", func(t *testing.T) {
		got, _ := json.Marshal(doc["required"])
		if want := `["name","when","kind","child"]`; string(got) != want {
			t.Errorf("required %s, want %s", got, want)
		}
		if doc["additionalProperties"] != false {
			t.Errorf("additionalProperties %v, want false", doc["additionalProperties"])
		}
	})
	t.Run("defs", func(t *testing.T) {
		enum, _ := json.Marshal(defs["color"])
		if want := `{"enum":["red","blue"],"type":"string"}`; string(enum) != want {
			t.Errorf("color def %s, want %s", enum, want)
		}
		if _, ok := defs["child"]; !ok {
			t.Error("child is not under $defs")
		}
	})
}

// TestGenerateErrors shows the types the generator refuses rather than
// describing them wrongly.
func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		name string
		root reflect.Type
		want string
	}{
		{"slice that encodes as null", reflect.TypeFor[nullSlice](), "encodes as null"},
		{"own JSON encoding", reflect.TypeFor[withCustom](), "register an Override"},
		{"not a struct", reflect.TypeFor[string](), "is not a struct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := schemagen.New().Generate("urn:test", "test", tt.root)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Generate() error %v, want one containing %q", err, tt.want)
			}
		})
	}
	t.Run("override", func(t *testing.T) {
		g := schemagen.New()
		g.Override(reflect.TypeFor[custom](), &schemagen.Schema{Type: "string"})
		doc := generate(t, g, reflect.TypeFor[withCustom]())
		if got, _ := json.Marshal(doc["$defs"]); string(got) != `{"custom":{"type":"string"}}` {
			t.Errorf("override gave defs %s", got)
		}
	})
}

// TestLoadDocs shows that doc comments of types and fields become
// descriptions, one line per paragraph.
func TestLoadDocs(t *testing.T) {
	dir := t.TempDir()
	src := `package sample

// Sample is a test type.
//
// It has two paragraphs.
type Sample struct {
	// Name names
	// the sample.
	Name string ` + "`json:\"name\"`" + `
	Count int ` + "`json:\"count\"`" + ` // Count counts.
}
`
	if err := os.WriteFile(filepath.Join(dir, "sample.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	type Sample struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	g := schemagen.New()
	pkg := reflect.TypeFor[Sample]().PkgPath()
	if err := g.LoadDocs(pkg, dir); err != nil {
		t.Fatal(err)
	}
	doc := generate(t, g, reflect.TypeFor[Sample]())
	if got, want := doc["description"], "Sample is a test type.\n\nIt has two paragraphs."; got != want {
		t.Errorf("type description %q, want %q", got, want)
	}
	props := doc["properties"].(map[string]any)
	for name, want := range map[string]string{"name": "Name names the sample.", "count": "Count counts."} {
		if got := props[name].(map[string]any)["description"]; got != want {
			t.Errorf("%s description %q, want %q", name, got, want)
		}
	}
}
