package mapping_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/aitdr/aitdr/schemas"
)

// BenchmarkNormalize measures one record of the acme mapping per operation:
// 17 fields from paths, a template, a value map and 5 category rules.
func BenchmarkNormalize(b *testing.B) {
	src := load(b, "testdata/acme/mapping.yaml")
	data, err := os.ReadFile("testdata/acme/model_call.in.json")
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		b.Fatal(err)
	}
	rec := buf.Bytes()
	ctx := context.Background()
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		var ev schemas.Event
		if err := src.Normalize(ctx, rec, &ev); err != nil {
			b.Fatal(err)
		}
	}
}
