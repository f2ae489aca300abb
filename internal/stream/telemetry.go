package stream

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/plugin/kotel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// instrumentation is the name of the meter and tracer of this package.
const instrumentation = "github.com/aitdr/aitdr/internal/stream"

// Metric names. Every one carries the attribute aitdr.stage.
const (
	// MetricRecordsIn counts records consumed.
	MetricRecordsIn = "aitdr.stage.records.in"
	// MetricRecordsOut counts records produced downstream and acknowledged
	// (dead letters excluded).
	MetricRecordsOut = "aitdr.stage.records.out"
	// MetricRecordsFailed counts records sent to the dead-letter topic, with
	// the attribute aitdr.failure: rejected, panic or invalid_output.
	MetricRecordsFailed = "aitdr.stage.records.failed"
	// MetricBatchDuration is the time from a poll returning a batch to the
	// batch being processed, flushed and acknowledged, in seconds.
	MetricBatchDuration = "aitdr.stage.batch.duration"
	// MetricConsumerLag is, per topic and partition, the records between the
	// last consumed offset and the high watermark seen by the last fetch.
	MetricConsumerLag = "aitdr.stage.consumer.lag"
	// MetricInFlightRecords is the records produced but not yet acknowledged.
	MetricInFlightRecords = "aitdr.stage.inflight.records"
)

// Attribute keys.
const (
	attrStage   = attribute.Key("aitdr.stage")
	attrFailure = attribute.Key("aitdr.failure")
)

// failure kinds, the values of aitdr.failure.
const (
	failRejected      = "rejected"
	failPanic         = "panic"
	failInvalidOutput = "invalid_output"
)

type instruments struct {
	in, out, failed metric.Int64Counter
	batch           metric.Float64Histogram
	lag             metric.Int64ObservableGauge
	inflight        metric.Int64ObservableGauge

	stage    metric.MeasurementOption
	failures map[string]metric.MeasurementOption
	stageKV  attribute.KeyValue
}

func newInstruments(m metric.Meter, stage string) (*instruments, error) {
	ins := &instruments{
		stageKV:  attrStage.String(stage),
		stage:    metric.WithAttributeSet(attribute.NewSet(attrStage.String(stage))),
		failures: make(map[string]metric.MeasurementOption),
	}
	for _, f := range []string{failRejected, failPanic, failInvalidOutput} {
		ins.failures[f] = metric.WithAttributeSet(attribute.NewSet(attrStage.String(stage), attrFailure.String(f)))
	}
	var err error
	if ins.in, err = m.Int64Counter(MetricRecordsIn, metric.WithUnit("{record}"),
		metric.WithDescription("Records consumed by the stage.")); err != nil {
		return nil, fmt.Errorf("create metric %s: %w", MetricRecordsIn, err)
	}
	if ins.out, err = m.Int64Counter(MetricRecordsOut, metric.WithUnit("{record}"),
		metric.WithDescription("Records produced downstream by the stage and acknowledged, dead letters excluded.")); err != nil {
		return nil, fmt.Errorf("create metric %s: %w", MetricRecordsOut, err)
	}
	if ins.failed, err = m.Int64Counter(MetricRecordsFailed, metric.WithUnit("{record}"),
		metric.WithDescription("Records the stage sent to the dead-letter topic, by failure kind.")); err != nil {
		return nil, fmt.Errorf("create metric %s: %w", MetricRecordsFailed, err)
	}
	if ins.batch, err = m.Float64Histogram(MetricBatchDuration, metric.WithUnit("s"),
		metric.WithDescription("Time from a poll to its batch being processed, flushed and acknowledged downstream."),
		metric.WithExplicitBucketBoundaries(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10)); err != nil {
		return nil, fmt.Errorf("create metric %s: %w", MetricBatchDuration, err)
	}
	if ins.lag, err = m.Int64ObservableGauge(MetricConsumerLag, metric.WithUnit("{record}"),
		metric.WithDescription("Records between the last consumed offset and the high watermark of the last fetch, by partition.")); err != nil {
		return nil, fmt.Errorf("create metric %s: %w", MetricConsumerLag, err)
	}
	if ins.inflight, err = m.Int64ObservableGauge(MetricInFlightRecords, metric.WithUnit("{record}"),
		metric.WithDescription("Records produced by the stage and not yet acknowledged.")); err != nil {
		return nil, fmt.Errorf("create metric %s: %w", MetricInFlightRecords, err)
	}
	return ins, nil
}

// lags keeps the consumer lag of every assigned partition, from the high
// watermark that each fetch carries: no extra requests.
type lags struct {
	mu sync.Mutex
	m  map[string]map[int32]int64
}

func (l *lags) observe(p kgo.FetchTopicPartition) {
	if len(p.Records) == 0 || p.HighWatermark < 0 {
		return
	}
	lag := max(p.HighWatermark-p.Records[len(p.Records)-1].Offset-1, 0)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = make(map[string]map[int32]int64)
	}
	ps := l.m[p.Topic]
	if ps == nil {
		ps = make(map[int32]int64)
		l.m[p.Topic] = ps
	}
	ps[p.Partition] = lag
}

func (l *lags) drop(partitions map[string][]int32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for t, ps := range partitions {
		for _, p := range ps {
			delete(l.m[t], p)
		}
		if len(l.m[t]) == 0 {
			delete(l.m, t)
		}
	}
}

func (l *lags) each(fn func(topic string, partition int32, lag int64)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for t, ps := range l.m {
		for p, lag := range ps {
			fn(t, p, lag)
		}
	}
}

// observe reports the gauges; registered with the meter for the Run.
func (r *Runner) observe(_ context.Context, o metric.Observer) error {
	recs, _ := r.gate.load()
	o.ObserveInt64(r.ins.inflight, recs, r.ins.stage)
	r.lags.each(func(topic string, partition int32, lag int64) {
		o.ObserveInt64(r.ins.lag, lag, metric.WithAttributes(r.ins.stageKV,
			attribute.String("messaging.destination.name", topic),
			attribute.String("messaging.destination.partition.id", strconv.Itoa(int(partition)))))
	})
	return nil
}

// spanKindConsumer is built once: options are interfaces, boxing allocates.
var spanKindConsumer = trace.WithSpanKind(trace.SpanKindConsumer)

// startSpan starts the span of processing in, as a child of the trace context
// that the producer of in put in its headers.
func (r *Runner) startSpan(ctx context.Context, in *kgo.Record) (context.Context, trace.Span) {
	if len(in.Headers) > 0 {
		ctx = r.propagator.Extract(ctx, kotel.NewRecordCarrier(in))
	}
	ctx, span := r.tracer.Start(ctx, r.spanName, spanKindConsumer)
	if span.IsRecording() {
		span.SetAttributes(
			attribute.String("messaging.system", "kafka"),
			attribute.String("messaging.operation.name", "process"),
			attribute.String("messaging.destination.name", in.Topic),
			attribute.String("messaging.destination.partition.id", strconv.Itoa(int(in.Partition))),
			attribute.Int64("messaging.kafka.offset", in.Offset),
			attribute.String("messaging.consumer.group.name", r.cfg.Group),
			r.ins.stageKV,
		)
	}
	return ctx, span
}

// inject writes the trace context of ctx into r's headers, replacing any
// trace context the processor copied from the input.
func (r *Runner) inject(ctx context.Context, rec *kgo.Record) {
	r.propagator.Inject(ctx, kotel.NewRecordCarrier(rec))
}
