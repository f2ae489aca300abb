package input

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Option sets an optional dependency of a Publisher, an HTTP input or a
// Files input.
type Option func(*options)

type options struct {
	log *slog.Logger
	mp  metric.MeterProvider
	tp  trace.TracerProvider
	now func() time.Time
}

// WithLogger sets the logger. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithMeterProvider sets where the metrics go. Default
// otel.GetMeterProvider() at the time of the constructor.
func WithMeterProvider(mp metric.MeterProvider) Option { return func(o *options) { o.mp = mp } }

// WithTracerProvider sets where the spans go; the trace context of a span
// travels in the traceparent header of every record produced under it.
// Default otel.GetTracerProvider() at the time of the constructor.
func WithTracerProvider(tp trace.TracerProvider) Option { return func(o *options) { o.tp = tp } }

// WithClock sets the clock of the dead-letter times, the durations and the
// progress rates. Default time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

func newOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	if o.mp == nil {
		o.mp = otel.GetMeterProvider()
	}
	if o.tp == nil {
		o.tp = otel.GetTracerProvider()
	}
	if o.now == nil {
		o.now = time.Now
	}
	return o
}

// instrumentation is the name of the meter and tracer of this package.
const instrumentation = "github.com/aitdr/aitdr/ingest/input"

// Metric names.
const (
	// MetricRecordsAccepted counts the records that became events on the
	// events topic, acknowledged, by input (aitdr.input: http or file) and
	// source product (aitdr.source.product). Records of HTTP requests
	// answered 503 are not counted: the client sends them again.
	MetricRecordsAccepted = "aitdr.ingest.records.accepted"
	// MetricRecordsRejected counts the records sent to the dead-letter
	// topic, acknowledged, by input and source product ("" when none was
	// found).
	MetricRecordsRejected = "aitdr.ingest.records.rejected"
	// MetricHTTPRequests counts the HTTP requests answered, by status
	// (http.response.status_code).
	MetricHTTPRequests = "aitdr.ingest.http.requests"
	// MetricHTTPDuration is the time from a request's arrival to its
	// answer, in seconds, by status.
	MetricHTTPDuration = "aitdr.ingest.http.request.duration"
)

// Attribute keys.
const (
	attrInput   = attribute.Key("aitdr.input")
	attrProduct = attribute.Key("aitdr.source.product")
	attrStatus  = attribute.Key("http.response.status_code")
)

// recordInstruments count the records of one input.
type recordInstruments struct {
	accepted, rejected metric.Int64Counter
	input              attribute.KeyValue
}

func newRecordInstruments(m metric.Meter, input string) (*recordInstruments, error) {
	ins := &recordInstruments{input: attrInput.String(input)}
	var err error
	if ins.accepted, err = m.Int64Counter(MetricRecordsAccepted, metric.WithUnit("{record}"),
		metric.WithDescription("Records that became events on the events topic, acknowledged by the brokers.")); err != nil {
		return nil, fmt.Errorf("create metric %s: %w", MetricRecordsAccepted, err)
	}
	if ins.rejected, err = m.Int64Counter(MetricRecordsRejected, metric.WithUnit("{record}"),
		metric.WithDescription("Records sent to the dead-letter topic, acknowledged by the brokers.")); err != nil {
		return nil, fmt.Errorf("create metric %s: %w", MetricRecordsRejected, err)
	}
	return ins, nil
}

// record adds the counts of a tally.
func (ins *recordInstruments) record(ctx context.Context, t Tally) {
	for product, c := range t.ByProduct {
		attrs := metric.WithAttributes(ins.input, attrProduct.String(string(product)))
		if c.Events > 0 {
			ins.accepted.Add(ctx, c.Events, attrs)
		}
		if c.Rejected > 0 {
			ins.rejected.Add(ctx, c.Rejected, attrs)
		}
	}
}
