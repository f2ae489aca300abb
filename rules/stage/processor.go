// Package stage is the rules stage: it consumes scored events keyed by
// identity, evaluates them with a rules.Engine, produces the alerts to the
// alerts topic and publishes them to NATS JetStream, and checkpoints the
// engine's state to the rules changelog, co-partitioned with its input.
//
// Delivery is at least once with deduplication. The stage's Flush, which
// the stream.Runner calls after each batch and before it commits the
// batch's offsets, does three things in order: it produces the batch's
// alerts to the alerts topic and waits for their acknowledgement, then
// publishes them to JetStream (with the alert id as Nats-Msg-Id) and waits
// for the acknowledgements, then writes the state changed by the batch to
// the changelog. A crash before the state is written replays the batch
// from the old state, which raises the same alerts with the same ids:
// JetStream drops the duplicates within its duplicate window and the
// alerts table keeps one row per alert id. Once the state is written, the
// per-key input offsets it holds make a replay skip what was folded, so no
// alert is lost and none is raised twice from one key's state. Publishing
// from Flush rather than from a consumer of the alerts topic keeps the
// event-to-NATS path one hop long; a NATS outage holds the batch back (and
// the consumer lag grows) instead of losing alerts.
//
// During an outage Flush retries the publish, each attempt bounded, for up
// to PublishTimeout (rules.publish_timeout): the first failure is logged
// with its error, then one warning per FailureLogInterval counts the failed
// attempts, MetricPublishFailures counts each, PublishReady fails until a
// publish succeeds, and an info line tells the recovery and how long it
// took. Past PublishTimeout Flush fails: the Runner stops without
// committing the batch (aitdr run stops with it), and when the stage
// starts again it replays the batch from the changelog state and
// publishes the same alerts under the same ids.
package stage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"

	"github.com/aitdr/aitdr/internal/changelog"
	"github.com/aitdr/aitdr/internal/lograte"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/rules"
	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// Name is the stage's name: its consumer group is aitdr-rules and its dead
// letters say rules.
const Name = "rules"

// AlertSink receives the alerts of a batch after they are on the alerts
// topic; JetStream satisfies it. Publish returns after every alert is
// acknowledged, or with an error (the batch is then published again:
// alert ids make that safe).
type AlertSink interface {
	Publish(ctx context.Context, alerts []Outgoing) error
}

// Outgoing is an alert on its way out: the alert, its JSON and the trace
// context of the event that raised it.
type Outgoing struct {
	Alert *rules.Alert
	JSON  []byte
	// Trace holds the W3C trace context headers (traceparent, tracestate).
	Trace map[string]string
}

// Producer is the part of a Kafka client the stage produces alerts with.
type Producer interface {
	ProduceSync(ctx context.Context, rs ...*kgo.Record) kgo.ProduceResults
}

// Options are what a Processor needs besides its engine.
type Options struct {
	// InputTopic is the topic of scored events. Required.
	InputTopic string
	// AlertsTopic is the topic alerts are produced to. Required.
	AlertsTopic string
	// Producer produces the alerts. Required.
	Producer Producer
	// Changelog is where state is checkpointed and restored from; nil runs
	// without (state is then lost on restart).
	Changelog *changelog.Log
	// Sink receives the alerts after Kafka; nil publishes nowhere else.
	Sink AlertSink
	// PublishTimeout bounds the retries of Sink.Publish for one batch
	// (rules.publish_timeout); past it Flush fails, the batch is not
	// committed and its alerts are published again when the stage
	// restarts. Default 1m.
	PublishTimeout time.Duration
	// FailureLogInterval is the least time between two warnings while
	// publishing keeps failing: the first failure is logged with its
	// error, then one line per interval counts the failed attempts, and
	// one line tells the recovery. Default lograte.DefaultInterval (10s).
	FailureLogInterval time.Duration
	// Logger is the logger. Default slog.Default().
	Logger *slog.Logger
	// MeterProvider is where the stage's own metrics go (MetricPublishFailures).
	// Default otel.GetMeterProvider() at the time New is called.
	MeterProvider metric.MeterProvider
}

// MetricPublishFailures counts the failed attempts to publish a batch's
// alerts to the sink (NATS JetStream); each is retried until
// PublishTimeout.
const MetricPublishFailures = "aitdr.rules.publish.failures"

// publishAttemptTimeout bounds one attempt of Sink.Publish. A NATS client
// that lost its server buffers what is published and waits for the
// acknowledgements until it reconnects; without a bound per attempt the
// first attempt would wait out the whole outage, unlogged and past
// PublishTimeout.
const publishAttemptTimeout = 5 * time.Second

// Processor is the rules stage's stream.Processor, Flusher, Assigner and
// Revoker. Its methods are called from the stream.Runner's goroutine.
type Processor struct {
	engine  *rules.Engine
	opts    Options
	ev      schemas.Event
	alerts  []*rules.Alert
	pending []Outgoing
	records []*kgo.Record
	prop    propagation.TraceContext

	// publishing follows the failures of Sink.Publish: rate-limited
	// warnings, the recovery line, and PublishReady.
	publishing *lograte.Outage
	failures   metric.Int64Counter
}

var (
	_ stream.Processor = (*Processor)(nil)
	_ stream.Flusher   = (*Processor)(nil)
	_ stream.Assigner  = (*Processor)(nil)
	_ stream.Revoker   = (*Processor)(nil)
)

// New returns the stage's processor over engine.
func New(engine *rules.Engine, opts Options) (*Processor, error) {
	if engine == nil || opts.Producer == nil {
		return nil, errors.New("rules stage: nil engine or producer")
	}
	if opts.InputTopic == "" || opts.AlertsTopic == "" {
		return nil, errors.New("rules stage: input and alerts topics are required")
	}
	if opts.PublishTimeout <= 0 {
		opts.PublishTimeout = DefaultPublishTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MeterProvider == nil {
		opts.MeterProvider = otel.GetMeterProvider()
	}
	failures, err := opts.MeterProvider.Meter("github.com/aitdr/aitdr/rules/stage").Int64Counter(MetricPublishFailures,
		metric.WithUnit("{attempt}"), metric.WithDescription("Failed attempts to publish a batch's alerts to NATS, retried until rules.publish_timeout."))
	if err != nil {
		return nil, fmt.Errorf("rules stage: create metric %s: %w", MetricPublishFailures, err)
	}
	return &Processor{
		engine: engine, opts: opts, failures: failures,
		publishing: lograte.New(opts.Logger, "publish alerts to NATS", lograte.WithInterval(opts.FailureLogInterval)),
	}, nil
}

// PublishReady returns nil unless publishing alerts to the sink is failing
// now: from the first failed attempt to the next success, it returns an
// error saying for how long, after how many attempts and with which
// error. It is the stage's NATS readiness check, safe for concurrent use.
func (p *Processor) PublishReady(context.Context) error { return p.publishing.Err() }

// Process evaluates one scored event. A record that does not decode goes
// to the dead-letter topic.
func (p *Processor) Process(ctx context.Context, in *kgo.Record, out *stream.Output) error {
	ct := string(stream.Header(in, schemas.HeaderContentType))
	if ct == "" {
		ct = schemas.ContentTypeEventMsgpack
	}
	if err := schemas.DecodeEvent(ct, in.Value, &p.ev); err != nil {
		out.Reject(err)
		return nil
	}
	p.alerts = p.engine.Process(&p.ev, rules.Position{Partition: in.Partition, Offset: in.Offset}, p.alerts[:0])
	for _, a := range p.alerts {
		b, err := a.JSON()
		if err != nil {
			out.Reject(err)
			return nil
		}
		trace := map[string]string{}
		p.prop.Inject(ctx, propagation.MapCarrier(trace))
		p.pending = append(p.pending, Outgoing{Alert: a, JSON: b, Trace: trace})
	}
	return nil
}

// AlertRecord returns the alerts-topic record of an outgoing alert: keyed
// by the identity, the finding as JSON, with content type, schema and
// trace headers.
func AlertRecord(topic string, o Outgoing) *kgo.Record {
	r := &kgo.Record{
		Topic: topic,
		Value: o.JSON,
		Headers: []kgo.RecordHeader{
			{Key: schemas.HeaderContentType, Value: []byte(ocsf.ContentType)},
		},
	}
	if o.Alert.IdentityID != "" {
		r.Key = []byte(o.Alert.IdentityID)
	}
	for k, v := range o.Trace {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
	}
	return r
}

// Flush produces the batch's alerts to Kafka, publishes them to the sink
// and checkpoints the state, in that order (see the package doc).
func (p *Processor) Flush(ctx context.Context) error {
	if len(p.pending) > 0 {
		p.records = p.records[:0]
		for _, o := range p.pending {
			p.records = append(p.records, AlertRecord(p.opts.AlertsTopic, o))
		}
		if err := p.opts.Producer.ProduceSync(ctx, p.records...).FirstErr(); err != nil {
			return fmt.Errorf("produce %d alerts to %s: %w", len(p.records), p.opts.AlertsTopic, err)
		}
		if p.opts.Sink != nil {
			if err := p.publish(ctx); err != nil {
				return err
			}
		}
		clear(p.pending)
		p.pending = p.pending[:0]
	}
	entries := p.engine.Checkpoint()
	if p.opts.Changelog != nil && len(entries) > 0 {
		out := make([]changelog.Entry, len(entries))
		for i, e := range entries {
			out[i] = changelog.Entry{Partition: e.Partition, Key: e.Key, Value: e.Value}
		}
		if err := p.opts.Changelog.Write(ctx, out); err != nil {
			return fmt.Errorf("checkpoint rules state: %w", err)
		}
	}
	return nil
}

// publish publishes the pending alerts, retrying with backoff for up to
// PublishTimeout, each attempt bounded by publishAttemptTimeout. Failures
// are counted, logged rate-limited (first failure, then one summary per
// FailureLogInterval, then the recovery) and reported by PublishReady.
func (p *Processor) publish(ctx context.Context) error {
	start := time.Now()
	deadline := start.Add(p.opts.PublishTimeout)
	wait := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		attemptStart := time.Now()
		attemptDeadline := attemptStart.Add(publishAttemptTimeout)
		if attemptDeadline.After(deadline) {
			attemptDeadline = deadline
		}
		actx, cancel := context.WithDeadline(ctx, attemptDeadline)
		err := p.opts.Sink.Publish(actx, p.pending)
		timedOut := actx.Err() != nil
		cancel()
		if err == nil {
			p.publishing.OK("alerts", len(p.pending), "attempts", attempt)
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("publish %d alerts: %w (last error: %w)", len(p.pending), ctx.Err(), err)
		}
		if timedOut {
			err = fmt.Errorf("no acknowledgement within %s: %w", attemptDeadline.Sub(attemptStart).Round(time.Millisecond), err)
		}
		p.failures.Add(ctx, 1)
		p.publishing.FailSince(attemptStart, err, p.failureAttrs()...)
		if time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("publish %d alerts: gave up after %d attempts in %s (rules.publish_timeout %s): %w",
				len(p.pending), attempt, time.Since(start).Round(time.Millisecond), p.opts.PublishTimeout, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("publish %d alerts: %w (last error: %w)", len(p.pending), ctx.Err(), err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// failureAttrs are the log attributes of a failed publish: how many
// alerts, the subject of the first, and the stream when the sink names it.
func (p *Processor) failureAttrs() []any {
	attrs := []any{"alerts", len(p.pending)}
	if len(p.pending) > 0 {
		attrs = append(attrs, "subject", p.pending[0].Alert.Subject())
	}
	if s, ok := p.opts.Sink.(interface{ Stream() string }); ok {
		attrs = append(attrs, "stream", s.Stream())
	}
	return attrs
}

// Assign restores the state of newly assigned input partitions from the
// changelog. A changelog record that does not decode is logged and
// skipped: its key starts empty.
func (p *Processor) Assign(ctx context.Context, partitions map[string][]int32) error {
	parts := partitions[p.opts.InputTopic]
	if len(parts) == 0 {
		return nil
	}
	p.engine.DropPartitions(parts)
	if p.opts.Changelog == nil {
		return nil
	}
	bad := 0
	err := p.opts.Changelog.Restore(ctx, parts, func(partition int32, key, value []byte) error {
		if err := p.engine.Restore(partition, key, value); err != nil {
			bad++
			if bad == 1 {
				p.opts.Logger.Warn("rules state record skipped on restore", "partition", partition, "key", string(key), "err", err)
			}
		}
		return nil
	})
	if bad > 0 {
		p.opts.Logger.Warn("rules state records skipped on restore", "records", bad)
	}
	if err != nil {
		return fmt.Errorf("restore rules state of partitions %v: %w", parts, err)
	}
	return nil
}

// Revoke forgets the state of partitions that moved away.
func (p *Processor) Revoke(_ context.Context, partitions map[string][]int32) {
	if parts := partitions[p.opts.InputTopic]; len(parts) > 0 {
		p.engine.DropPartitions(parts)
	}
}
