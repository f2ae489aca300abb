package stream_test

import (
	"context"
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/plugin/kotel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/stream"
)

// TestTelemetry shows the metrics of a run (records in, out and failed by
// kind, batch durations, consumer lag) and that a trace follows a record: the
// process span is a child of the producer's span found in the record's
// traceparent header, and the records produced carry the process span's
// context onward.
func TestTelemetry(t *testing.T) {
	const n, rejected = 20, 5
	brokers := kafkatest.Cluster(t)
	in, out, dlq := kafkatest.Topic(t, brokers, 2), kafkatest.Topic(t, brokers, 2), kafkatest.Topic(t, brokers, 1)

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))

	ctx, publish := tp.Tracer("test").Start(context.Background(), "ingest publish")
	records := kafkatest.Generate(in, n, 0, 64)
	for _, r := range records {
		propagation.TraceContext{}.Inject(ctx, kotel.NewRecordCarrier(r))
	}
	publish.End()
	kafkatest.Produce(t, brokers, records...)

	r := start(t, config(t, brokers, in, dlq), stream.ProcessorFunc(func(_ context.Context, rec *kgo.Record, o *stream.Output) error {
		if kafkatest.Index(rec.Value) == rejected {
			o.Reject(errors.New("bad record"))
			return nil
		}
		o.Produce(&kgo.Record{Topic: out, Key: rec.Key, Value: rec.Value, Headers: rec.Headers})
		return nil
	}), stream.WithMeterProvider(mp), stream.WithTracerProvider(tp))
	produced := kafkatest.ReadAll(t, brokers, out, n-1, waitTimeout)

	var before metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &before); err != nil {
		t.Fatalf("collect metrics: %v", err)
	}
	if err := r.stop(t); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	var after metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &after); err != nil {
		t.Fatalf("collect metrics: %v", err)
	}

	t.Run("metrics", func(t *testing.T) {
		sums := func(rm metricdata.ResourceMetrics, name string) map[string]int64 {
			got := make(map[string]int64)
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					if m.Name != name {
						continue
					}
					switch d := m.Data.(type) {
					case metricdata.Sum[int64]:
						for _, p := range d.DataPoints {
							got[p.Attributes.Encoded(attribute.DefaultEncoder())] += p.Value
						}
					case metricdata.Gauge[int64]:
						for _, p := range d.DataPoints {
							got[p.Attributes.Encoded(attribute.DefaultEncoder())] += p.Value
						}
					case metricdata.Histogram[float64]:
						for _, p := range d.DataPoints {
							got[p.Attributes.Encoded(attribute.DefaultEncoder())] += int64(p.Count)
						}
					}
				}
			}
			return got
		}
		stage := "aitdr.stage=test"
		for _, c := range []struct {
			name, attrs string
			want        int64
		}{
			{stream.MetricRecordsIn, stage, n},
			{stream.MetricRecordsOut, stage, n - 1},
			{stream.MetricRecordsFailed, "aitdr.failure=rejected," + stage, 1},
		} {
			if got := sums(after, c.name)[c.attrs]; got != c.want {
				t.Errorf("%s{%s} = %d, want %d (all: %v)", c.name, c.attrs, got, c.want, sums(after, c.name))
			}
		}
		if got := sums(after, stream.MetricBatchDuration)[stage]; got < 1 {
			t.Errorf("%s recorded %d batches, want at least 1", stream.MetricBatchDuration, got)
		}
		lag := sums(before, stream.MetricConsumerLag)
		if len(lag) != 2 {
			t.Errorf("%s has %d partitions, want 2: %v", stream.MetricConsumerLag, len(lag), lag)
		}
		for attrs, v := range lag {
			if v != 0 {
				t.Errorf("%s{%s} = %d after everything was consumed, want 0", stream.MetricConsumerLag, attrs, v)
			}
		}
		if _, ok := sums(before, stream.MetricInFlightRecords)[stage]; !ok {
			t.Errorf("%s not reported while running", stream.MetricInFlightRecords)
		}
	})

	t.Run("traces", func(t *testing.T) {
		process := make(map[trace.SpanID]bool)
		for _, s := range spans.Ended() {
			if s.Name() != "aitdr.test.process" {
				continue
			}
			process[s.SpanContext().SpanID()] = true
			if s.Parent().TraceID() != publish.SpanContext().TraceID() || s.Parent().SpanID() != publish.SpanContext().SpanID() {
				t.Errorf("process span parent = %s/%s, want the producer's span %s/%s", s.Parent().TraceID(), s.Parent().SpanID(),
					publish.SpanContext().TraceID(), publish.SpanContext().SpanID())
			}
		}
		if len(process) != n {
			t.Errorf("%d process spans, want %d", len(process), n)
		}
		for _, rec := range produced {
			sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), kotel.NewRecordCarrier(rec)))
			if sc.TraceID() != publish.SpanContext().TraceID() || !process[sc.SpanID()] {
				t.Errorf("output record %d carries trace context %s/%s, want a process span of trace %s",
					kafkatest.Index(rec.Value), sc.TraceID(), sc.SpanID(), publish.SpanContext().TraceID())
			}
		}
	})
}
