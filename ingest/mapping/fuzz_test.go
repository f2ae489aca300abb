package mapping_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aitdr/aitdr/ingest/ingesttest"
	"github.com/aitdr/aitdr/ingest/mapping"
	"github.com/aitdr/aitdr/schemas"
)

// FuzzNormalize shows that no record panics Normalize, Detect, Split or
// Check under the mappings of testdata, and that every record Normalize
// accepts gives an event valid under the contract.
func FuzzNormalize(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/mapping.yaml")
	var sources []*mapping.Source
	for _, file := range files {
		sources = append(sources, load(f, file))
	}
	ingesttest.Seed(f, "testdata/*/*.json")
	for _, s := range []string{``, `null`, `{}`, `[]`, `{"events": 1}`, `{"ts": 1e400}`, `{"ts": "2025-03-14T09:26:41Z", "user": {"id": [1]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, src := range sources {
			_ = src.Detect(data)
			_, _ = src.Split(data, func([]byte) error { return nil })
			_ = src.Check(data).String()
			var ev schemas.Event
			if err := src.Normalize(context.Background(), data, &ev); err != nil {
				continue
			}
			ingesttest.Finish(&ev, src.Product(), data, now)
			validate(t, &ev)
			if field := ingesttest.InvalidUTF8(&ev); field != "" {
				t.Fatalf("accepted record gives invalid UTF-8 in %s\nrecord: %q", field, data)
			}
		}
	})
}

// FuzzParse shows that no mapping file panics the loader.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	more, _ := filepath.Glob("testdata/*/mapping.yaml")
	for _, file := range append(files, more...) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = mapping.Parse("fuzz.yaml", data)
	})
}
