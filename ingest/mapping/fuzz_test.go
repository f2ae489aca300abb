package mapping_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"

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
	samples, _ := filepath.Glob("testdata/*/*.json")
	for _, s := range samples {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
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
			pipeline(&ev, data)
			validate(t, &ev)
			if field := invalidUTF8(reflect.ValueOf(ev), ""); field != "" {
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

// invalidUTF8 returns the first string field of v that is not valid UTF-8.
func invalidUTF8(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return path
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				if bad := invalidUTF8(v.Field(i), path+"."+f.Name); bad != "" {
					return bad
				}
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if bad := invalidUTF8(it.Key(), path+"[key]"); bad != "" {
				return bad
			}
			if bad := invalidUTF8(it.Value(), path+"["+it.Key().String()+"]"); bad != "" {
				return bad
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Uint8 {
			for i := range v.Len() {
				if bad := invalidUTF8(v.Index(i), path); bad != "" {
					return bad
				}
			}
		}
	}
	return ""
}
