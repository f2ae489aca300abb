package schemas_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// schemaNode is the part of a JSON Schema document the docs test reads.
type schemaNode struct {
	Ref        string                 `json:"$ref"`
	Type       string                 `json:"type"`
	Properties map[string]*schemaNode `json:"properties"`
	Items      *schemaNode            `json:"items"`
	Defs       map[string]*schemaNode `json:"$defs"`
}

func loadSchema(t *testing.T, name string) *schemaNode {
	t.Helper()
	var s schemaNode
	if err := json.Unmarshal(readFile(t, filepath.Join("jsonschema", name)), &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// walk calls visit with the JSON path of every property under n, following
// $refs into defs; array items add "[]" to the path. The name of the def
// holding the property is passed along.
func walk(n *schemaNode, defs map[string]*schemaNode, prefix, def string, visit func(path, name, def string)) {
	if n.Ref != "" {
		name := strings.TrimPrefix(n.Ref, "#/$defs/")
		walk(defs[name], defs, prefix, name, visit)
		return
	}
	if n.Items != nil {
		walk(n.Items, defs, strings.TrimSuffix(prefix, ".")+"[].", def, visit)
		return
	}
	for name, p := range n.Properties {
		path := prefix + name
		visit(path, name, def)
		walk(p, defs, path+".", "", visit)
	}
}

// TestDocsCoverEveryField shows that docs/events.md documents every field of
// the event, identity and alert extension schemas, so the page stays true
// to the code.
func TestDocsCoverEveryField(t *testing.T) {
	doc := string(readFile(t, filepath.Join("..", "docs", "events.md")))
	has := func(s string) bool { return strings.Contains(doc, "`"+s+"`") }

	event := loadSchema(t, "event.schema.json")
	walk(event, event.Defs, "", "Event", func(path, name, def string) {
		switch def {
		case "Horizons", "FirstSeenDays":
			// Documented once for all measures, by key.
			if !has(name) {
				t.Errorf("docs/events.md does not name the %s key %q", def, name)
			}
		default:
			if !has(strings.TrimSuffix(path, ".")) {
				t.Errorf("docs/events.md does not document event field %q", path)
			}
		}
	})
	identity := loadSchema(t, "identity.schema.json")
	walk(identity, identity.Defs, "", "Identity", func(path, name, _ string) {
		if !has(name) {
			t.Errorf("docs/events.md does not document identity field %q", path)
		}
	})
	alert := loadSchema(t, "alert.schema.json")
	ext := alert.Defs["Extension"]
	if ext == nil {
		t.Fatal("alert schema has no Extension")
	}
	walk(ext, alert.Defs, "unmapped.aitdr.", "Extension", func(path, name, def string) {
		if def == "Extension" && !has(path) || def != "Extension" && !has(name) {
			t.Errorf("docs/events.md does not document alert extension field %q", path)
		}
	})
}
