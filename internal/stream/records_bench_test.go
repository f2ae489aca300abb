package stream_test

import (
	"os"
	"testing"

	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

// BenchmarkEventRecord measures building the record of a CloudTrail-sized
// event, which every input and stage does for each event it writes.
func BenchmarkEventRecord(b *testing.B) {
	raw, err := os.ReadFile("../../schemas/testdata/cloudtrail_bedrock_invoke_model.golden.json")
	if err != nil {
		b.Fatal(err)
	}
	var ev schemas.Event
	if err := schemas.DecodeEvent(schemas.ContentTypeEventJSON, raw, &ev); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := stream.EventRecord(schemas.TopicEvents, &ev); err != nil {
			b.Fatal(err)
		}
	}
}
