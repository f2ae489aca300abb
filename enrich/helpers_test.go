package enrich_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aitdr/aitdr/enrich"
	"github.com/aitdr/aitdr/schemas"
)

// golden returns the events of an ingest golden file
// ("cloudtrail/bedrock_invoke_model"): real normalized events of every
// source.
func golden(t testing.TB, name string) []*schemas.Event {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "ingest", filepath.Dir(name), "testdata", filepath.Base(name)+".golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	return decodeGolden(t, data)
}

func decodeGolden(t testing.TB, data []byte) []*schemas.Event {
	t.Helper()
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("[")) {
		var evs []*schemas.Event
		if err := json.Unmarshal(data, &evs); err != nil {
			t.Fatal(err)
		}
		return evs
	}
	var ev schemas.Event
	if err := schemas.DecodeEvent(schemas.ContentTypeEventJSON, data, &ev); err != nil {
		t.Fatal(err)
	}
	return []*schemas.Event{&ev}
}

// allGoldens returns every event of every ingest golden file.
func allGoldens(t testing.TB) []*schemas.Event {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "ingest", "*", "testdata", "*.golden.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no ingest golden files: %v", err)
	}
	var out []*schemas.Event
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, decodeGolden(t, data)...)
	}
	return out
}

// fixed returns a lookups function always returning l.
func fixed(l *enrich.Lookups) func() *enrich.Lookups { return func() *enrich.Lookups { return l } }

// lookups loads the lookups of cfg or fails the test.
func lookups(t testing.TB, cfg enrich.Config) *enrich.Lookups {
	t.Helper()
	l, err := enrich.LoadLookups(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// testConfig is the configuration of the tests: Acme's directory,
// environments and data classification, and its corporate domain.
func testConfig() enrich.Config {
	cfg := enrich.DefaultConfig()
	cfg.DirectoryFiles = []string{"testdata/directory.csv"}
	cfg.EnvironmentFiles = []string{"testdata/environments.yaml"}
	cfg.ClassificationFiles = []string{"testdata/classification.yaml"}
	cfg.Accounts.CorporateDomains = []string{"acme.example"}
	return cfg
}
