package stream

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// ackAll is a client that acknowledges every record at once, to measure the
// runner's own per-record cost without Kafka.
type ackAll struct{}

func (ackAll) Produce(_ context.Context, r *kgo.Record, promise func(*kgo.Record, error)) {
	promise(r, nil)
}

func (ackAll) MarkCommitRecords(...*kgo.Record) {}

// BenchmarkRecordOverhead measures what the Runner adds per record around
// Process, without Kafka: span, trace context extraction and injection,
// output validation, in-flight accounting, produce bookkeeping, batch
// tracking and metrics, over batches of 1000 records of 1 KiB that carry a
// traceparent header. One op is one record. "noop" uses the default global
// (no-op) telemetry; "traced" records every span with the SDK (sampled,
// not exported).
func BenchmarkRecordOverhead(b *testing.B) {
	const batch = 1000
	recs := make([]*kgo.Record, batch)
	for i := range recs {
		recs[i] = &kgo.Record{
			Topic: "in", Partition: 0, Offset: int64(i),
			Key: []byte("identity-42"), Value: make([]byte, 1024),
			Headers: []kgo.RecordHeader{{Key: "traceparent", Value: []byte("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")}},
		}
	}
	fetches := kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: "in", Partitions: []kgo.FetchPartition{{Partition: 0, Records: recs}}}}}}
	p := ProcessorFunc(func(_ context.Context, in *kgo.Record, out *Output) error {
		out.Produce(&kgo.Record{Topic: "out", Key: in.Key, Value: in.Value})
		return nil
	})
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"noop", nil},
		{"traced", []Option{WithTracerProvider(sdktrace.NewTracerProvider())}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := Config{Stage: "bench", Brokers: []string{"x:1"}, Group: "g", Topics: []string{"in"}, DeadLetterTopic: "dlq"}
			r, err := New(cfg, p, append(tc.opts, WithLogger(slog.New(slog.DiscardHandler)))...)
			if err != nil {
				b.Fatal(err)
			}
			r.rec = ackAll{}
			r.tracker = newTracker(ackAll{}.MarkCommitRecords, r.batchDone)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; done += batch {
				if err := r.processBatch(ctx, fetches, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
