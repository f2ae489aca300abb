package cloudtrail_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// compact reads a sample as CloudTrail delivers it: compact JSON.
func compact(b *testing.B, name string) []byte {
	b.Helper()
	data, err := os.ReadFile("testdata/" + name + ".in.json")
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkNormalize measures one realistic record per operation: a Bedrock
// InvokeModel by an assumed role (1.3 KB compact, with TLS details and a
// resource), an S3 GetObject data event and an IAM change. The target is
// at least 100k events/s per core, 10 µs per event.
func BenchmarkNormalize(b *testing.B) {
	for _, name := range []string{"bedrock_invoke_model", "s3_get_object", "iam_attach_role_policy"} {
		b.Run(name, func(b *testing.B) {
			src := newSource()
			rec := compact(b, name)
			ctx := context.Background()
			b.SetBytes(int64(len(rec)))
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				var ev schemas.Event
				if err := src.Normalize(ctx, rec, &ev); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N), "ns/event")
		})
	}
}

// BenchmarkSplitLogFile measures splitting a log file of 100 records.
func BenchmarkSplitLogFile(b *testing.B) {
	rec := compact(b, "bedrock_invoke_model")
	file := []byte(`{"Records":[`)
	for i := range 100 {
		if i > 0 {
			file = append(file, ',')
		}
		file = append(file, rec...)
	}
	file = append(file, "]}"...)
	src := newSource()
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.Split(file, func([]byte) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
