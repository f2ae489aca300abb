package schemas_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/aitdr/aitdr/schemas/internal/schemagen"
)

// TestJSONSchemaUpToDate shows that the committed JSON Schema files are what
// the generator makes from the current Go types and doc comments; run
// `go generate ./schemas` after changing a type.
func TestJSONSchemaUpToDate(t *testing.T) {
	files, err := schemagen.Files(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Fatalf("generator made %d files, want 3", len(files))
	}
	for name, want := range files {
		t.Run(name, func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join("jsonschema", name))
			if err != nil {
				t.Fatalf("read committed schema: %v (run go generate ./schemas)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("jsonschema/%s is out of date: run go generate ./schemas", name)
			}
		})
	}
}

// compileSchema compiles a committed schema file, asserting formats.
func compileSchema(tb testing.TB, name string) *jsonschema.Schema {
	tb.Helper()
	f, err := os.Open(filepath.Join("jsonschema", name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		tb.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.AssertContent()
	url := schemagen.IDBase + name
	if err := c.AddResource(url, doc); err != nil {
		tb.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		tb.Fatalf("compile %s: %v", name, err)
	}
	return s
}

func validateJSON(s *jsonschema.Schema, b []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// TestGoldenEventsMatchSchema shows that every golden and frozen JSON event,
// and the golden identity, validate against the committed schema.
func TestGoldenEventsMatchSchema(t *testing.T) {
	event := compileSchema(t, "event.schema.json")
	for _, c := range goldenCases {
		for _, name := range []string{c.name + ".golden.json", filepath.Join(compatDir, c.name+".json")} {
			t.Run(name, func(t *testing.T) {
				if err := validateJSON(event, readTestdata(t, name)); err != nil {
					t.Errorf("%s does not match event.schema.json: %v", name, err)
				}
			})
		}
	}
	t.Run("identity.golden.json", func(t *testing.T) {
		identity := compileSchema(t, "identity.schema.json")
		if err := validateJSON(identity, readTestdata(t, "identity.golden.json")); err != nil {
			t.Errorf("identity.golden.json does not match identity.schema.json: %v", err)
		}
	})
}

// TestSchemaRejects shows that the event schema is strict enough to catch a
// producer's mistakes: each of these changes to a valid event fails.
func TestSchemaRejects(t *testing.T) {
	event := compileSchema(t, "event.schema.json")
	valid := string(readTestdata(t, "okta_signin_human.golden.json"))
	tests := []struct {
		name     string
		old, new string
	}{
		{"unknown verb", `"verb": "authenticate"`, `"verb": "login"`},
		{"misspelt field", `"user_agent"`, `"useragent"`},
		{"wrong type", `"asn": 3320`, `"asn": "AS3320"`},
		{"negative asn", `"asn": 3320`, `"asn": -1`},
		{"bad time", `"time": "2025-03-14T08:02:17.331Z"`, `"time": "yesterday"`},
		{"missing required id", `"id": "`, `"uid": "`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(valid, tt.old) {
				t.Fatalf("golden event does not contain %s", tt.old)
			}
			changed := strings.Replace(valid, tt.old, tt.new, 1)
			if err := validateJSON(event, []byte(changed)); err == nil {
				t.Errorf("event with %s validates, want a schema error", tt.name)
			}
		})
	}
}
