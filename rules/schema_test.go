package rules_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/aitdr/aitdr/rules/internal/schemagen"
)

// schemaPath is the committed JSON Schema of rule files.
const schemaPath = "schema/rule.schema.json"

// TestJSONSchemaIsUpToDate shows that rules/schema/rule.schema.json is what
// the generator makes of the rule file types today (regenerate it with
// -update, or go generate ./rules).
func TestJSONSchemaIsUpToDate(t *testing.T) {
	got, err := schemagen.Generate(".")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(schemaPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date: run go generate ./rules (or go test ./rules -run TestJSONSchemaIsUpToDate -update)", schemaPath)
	}
}

// TestJSONSchemaAcceptsRuleFiles shows that the schema accepts every good
// rule file (the engine's test rules and the shipped pack) and rejects bad
// ones the loader rejects for their structure.
func TestJSONSchemaAcceptsRuleFiles(t *testing.T) {
	c := jsonschema.NewCompiler()
	for url, path := range map[string]string{schemagen.ID: schemaPath} {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource(url, doc); err != nil {
			t.Fatal(err)
		}
	}
	schema, err := c.Compile(schemagen.ID)
	if err != nil {
		t.Fatal(err)
	}
	validate := func(path string) error {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		js, err := yaml.YAMLToJSON(data)
		if err != nil {
			return err
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
		if err != nil {
			return err
		}
		return schema.Validate(v)
	}
	good, _ := filepath.Glob("testdata/rules/*.yaml")
	pack, _ := filepath.Glob("pack/*.yaml")
	for _, path := range append(good, pack...) {
		if err := validate(path); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
	for _, name := range []string{"unknown-field", "wrong-type", "mappings", "top-level"} {
		path := "testdata/bad/" + name + ".bad.yaml"
		if err := validate(path); err == nil {
			t.Errorf("%s: the schema accepts it", path)
		}
	}
}
