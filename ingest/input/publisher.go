package input

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/plugin/kotel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/aitdr/aitdr/ingest/pipeline"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

// Defaults of the PublisherConfig fields left at their zero value.
const (
	// DefaultMaxInFlightRecords is the default bound on records produced
	// and not yet acknowledged: at most franz-go's default
	// MaxBufferedRecords (10,000), so that Produce itself never blocks.
	DefaultMaxInFlightRecords = 10_000
	// DefaultMaxInFlightBytes is the default bound on the bytes of those
	// records.
	DefaultMaxInFlightBytes = 32 << 20
)

// ErrUnbalanced is returned, wrapped, by Batch.Wait when the records in do
// not equal the events plus the dead letters out: a bug, never a bad
// record.
var ErrUnbalanced = errors.New("records in and out do not balance")

// Producer is the part of a franz-go *kgo.Client that a Publisher uses.
type Producer interface {
	Produce(ctx context.Context, r *kgo.Record, promise func(*kgo.Record, error))
}

var _ Producer = (*kgo.Client)(nil)

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	// EventsTopic receives the normalized events, keyed by identity id.
	// Required.
	EventsTopic string `yaml:"events_topic"`
	// DeadLetterTopic receives every record that could not be normalized,
	// with the reason and the input that delivered it in headers.
	// Required, and not EventsTopic.
	DeadLetterTopic string `yaml:"dead_letter_topic"`
	// Stage names the stage in the dead-letter headers, such as "ingest".
	// Required.
	Stage string `yaml:"stage"`
	// MaxInFlightRecords bounds the records produced and not yet
	// acknowledged, over every batch of the Publisher: Add blocks while
	// the bound is reached. Keep it at most the client's
	// kgo.MaxBufferedRecords. Default DefaultMaxInFlightRecords.
	MaxInFlightRecords int `yaml:"max_in_flight_records"`
	// MaxInFlightBytes bounds the bytes (key, value and headers) of those
	// records. A single record larger than the bound is let through
	// alone. Default DefaultMaxInFlightBytes.
	MaxInFlightBytes int64 `yaml:"max_in_flight_bytes"`
	// MaxRecordBytes bounds one record (key, value and headers): an event
	// record over it goes to the dead-letter topic instead, and a dead
	// letter over it keeps only the start of its value, which its reason
	// says. Keep it under the producer's and the topics' limits. Default
	// stream.DefaultMaxRecordBytes.
	MaxRecordBytes int `yaml:"max_record_bytes"`
}

// Validate returns every problem of c, each naming its field, joined with
// errors.Join, or nil.
func (c PublisherConfig) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.EventsTopic == "" {
		add("events_topic: required")
	}
	switch {
	case c.DeadLetterTopic == "":
		add("dead_letter_topic: required")
	case c.DeadLetterTopic == c.EventsTopic:
		add("dead_letter_topic: %q is also the events_topic", c.DeadLetterTopic)
	}
	switch {
	case c.Stage == "":
		add("stage: required")
	case strings.ContainsFunc(c.Stage, func(r rune) bool { return r <= ' ' }):
		add("stage: %q contains spaces or control characters", c.Stage)
	}
	if c.MaxInFlightRecords < 0 {
		add("max_in_flight_records: %d is negative", c.MaxInFlightRecords)
	}
	if c.MaxInFlightBytes < 0 {
		add("max_in_flight_bytes: %d is negative", c.MaxInFlightBytes)
	}
	if c.MaxRecordBytes < 0 {
		add("max_record_bytes: %d is negative", c.MaxRecordBytes)
	} else if c.MaxRecordBytes > 0 && c.MaxRecordBytes < minRecordBytes {
		add("max_record_bytes: %d is under the %d bytes a dead letter needs", c.MaxRecordBytes, minRecordBytes)
	}
	return errors.Join(errs...)
}

// minRecordBytes is the smallest MaxRecordBytes: room for the dead-letter
// headers and the start of a record.
const minRecordBytes = 4096

func (c PublisherConfig) withDefaults() PublisherConfig {
	if c.MaxInFlightRecords == 0 {
		c.MaxInFlightRecords = DefaultMaxInFlightRecords
	}
	if c.MaxInFlightBytes == 0 {
		c.MaxInFlightBytes = DefaultMaxInFlightBytes
	}
	if c.MaxRecordBytes == 0 {
		c.MaxRecordBytes = stream.DefaultMaxRecordBytes
	}
	return c
}

// Publisher writes the results of the pipeline to Kafka: events to the
// events topic (stream.EventRecord: keyed by identity id, MessagePack) and
// rejected records to the dead-letter topic (stream.DeadLetter, with the
// reason, the stage and the input that delivered them), and reports when
// the brokers have acknowledged all of them. Records produced and not yet
// acknowledged are bounded in number and bytes over all the batches of the
// Publisher; Add waits for room, which pushes back on the input.
//
// The client should produce idempotently (franz-go's default) with acks
// from all in-sync replicas (the default); the client belongs to the
// caller, who closes it after the inputs using the Publisher have
// returned. A Publisher is safe for concurrent use.
type Publisher struct {
	cfg  PublisherConfig
	cl   Producer
	opts options
	gate *gate
	prop propagation.TraceContext
}

// NewPublisher returns a Publisher producing with cl. It fails on an
// invalid cfg, listing every problem.
func NewPublisher(cl Producer, cfg PublisherConfig, opts ...Option) (*Publisher, error) {
	if cl == nil {
		return nil, errors.New("ingest publisher: nil client")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ingest publisher config: %w", err)
	}
	cfg = cfg.withDefaults()
	return &Publisher{
		cfg:  cfg,
		cl:   cl,
		opts: newOptions(opts),
		gate: newGate(int64(cfg.MaxInFlightRecords), cfg.MaxInFlightBytes),
	}, nil
}

// InFlight returns the records and bytes produced and not yet acknowledged.
func (p *Publisher) InFlight() (records, bytes int64) { return p.gate.load() }

// NewBatch returns an empty Batch: the records of one delivery (an HTTP
// request, a file) whose acknowledgements Wait awaits.
func (p *Publisher) NewBatch() *Batch {
	return &Batch{p: p, tally: Tally{ByProduct: make(map[schemas.Product]ProductCounts)}}
}

// ProductCounts counts the records of one source product.
type ProductCounts struct {
	// Events is the number of events acknowledged on the events topic.
	Events int64 `json:"events"`
	// Rejected is the number of records acknowledged on the dead-letter
	// topic.
	Rejected int64 `json:"rejected"`
}

// Tally is what a Batch published and the brokers acknowledged.
type Tally struct {
	// Events is the number of events acknowledged on the events topic.
	Events int64
	// DeadLettered is the number of records acknowledged on the
	// dead-letter topic.
	DeadLettered int64
	// ByProduct splits the counts by source product; the product "" holds
	// records whose source was not found.
	ByProduct map[schemas.Product]ProductCounts
}

// Batch is the records published for one delivery. Add publishes, Wait
// waits for the acknowledgements. Add and Wait are called from one
// goroutine; the acknowledgements arrive on others.
type Batch struct {
	p *Publisher

	mu      sync.Mutex
	added   int64 // results handed to Add and produced
	pending int   // produced, not yet acknowledged
	idle    chan struct{}
	err     error // the first failure
	tally   Tally
}

// Add publishes one result of the pipeline: its event to the events topic,
// or its rejected record to the dead-letter topic with the reason and with
// origin (such as "http request 7f3a line 12" or "file audit.json.gz line
// 40") in the schemas.HeaderDLQInput header. An event whose record cannot
// be encoded, or is over MaxRecordBytes, goes to the dead-letter topic
// instead, with its raw record.
//
// Add waits while the Publisher's in-flight bounds are reached; it returns
// an error only when ctx ends first, and the batch is then failed. ctx also
// carries the trace context written into the record's headers; canceling
// it does not cancel records already produced.
func (b *Batch) Add(ctx context.Context, res pipeline.Result, origin string) error {
	if res.Event == nil {
		return b.Reject(ctx, res.Record, res.Product, origin, res.Err)
	}
	p := b.p
	rec, err := stream.EventRecord(p.cfg.EventsTopic, res.Event)
	if err != nil {
		return b.Reject(ctx, res.Event.Raw.Data, res.Product, origin, err)
	}
	if size := recordSize(rec); size > int64(p.cfg.MaxRecordBytes) {
		return b.Reject(ctx, res.Event.Raw.Data, res.Product, origin,
			fmt.Errorf("event %s: record of %d bytes is over the %d-byte record limit", res.Event.ID, size, p.cfg.MaxRecordBytes))
	}
	return b.produce(ctx, rec, true, res.Product)
}

// Reject publishes record to the dead-letter topic with reason, product
// (in the schemas.HeaderSource header when not empty) and origin. The
// record is copied: the caller may reuse it when Reject returns. A record
// too large for MaxRecordBytes keeps only its start, which the reason
// states. Reject waits and fails like Add.
func (b *Batch) Reject(ctx context.Context, record []byte, product schemas.Product, origin string, reason error) error {
	p := b.p
	if reason == nil {
		reason = errors.New("rejected without a reason")
	}
	var headers []kgo.RecordHeader
	if product != "" {
		headers = []kgo.RecordHeader{{Key: schemas.HeaderSource, Value: []byte(product)}}
	}
	in := stream.Origin{Input: origin}
	now := p.opts.now()
	value := bytes.Clone(record)
	rec := stream.DeadLetter(p.cfg.DeadLetterTopic, p.cfg.Stage, nil, value, headers, in, reason, now)
	if size := recordSize(rec); size > int64(p.cfg.MaxRecordBytes) {
		// Make room for the longer reason too.
		keep := max(len(value)-int(size-int64(p.cfg.MaxRecordBytes))-200, 0)
		reason = fmt.Errorf("%w (dead-letter value truncated to the first %d of %d bytes)", reason, keep, len(value))
		rec = stream.DeadLetter(p.cfg.DeadLetterTopic, p.cfg.Stage, nil, value[:keep], headers, in, reason, now)
	}
	return b.produce(ctx, rec, false, product)
}

// produce waits for room under the in-flight bounds and produces rec.
func (b *Batch) produce(ctx context.Context, rec *kgo.Record, event bool, product schemas.Product) error {
	p := b.p
	size := recordSize(rec)
	if err := p.gate.acquire(ctx, size); err != nil {
		err = fmt.Errorf("wait for room to produce to %s: %w", rec.Topic, err)
		b.fail(err)
		return err
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		p.prop.Inject(ctx, kotel.NewRecordCarrier(rec))
	}
	b.mu.Lock()
	b.added++
	b.pending++
	b.mu.Unlock()
	// The record must outlive a canceled request: franz-go fails every
	// buffered record of a partition batch whose first record's context
	// is canceled, which would fail other requests' records too.
	p.cl.Produce(context.WithoutCancel(ctx), rec, func(r *kgo.Record, err error) {
		p.gate.release(size)
		b.mu.Lock()
		defer b.mu.Unlock()
		b.pending--
		switch {
		case err != nil:
			if b.err == nil {
				b.err = fmt.Errorf("produce to %s: %w", r.Topic, err)
			}
		case event:
			b.tally.Events++
			c := b.tally.ByProduct[product]
			c.Events++
			b.tally.ByProduct[product] = c
		default:
			b.tally.DeadLettered++
			c := b.tally.ByProduct[product]
			c.Rejected++
			b.tally.ByProduct[product] = c
		}
		if b.pending == 0 && b.idle != nil {
			close(b.idle)
			b.idle = nil
		}
	})
	return nil
}

// fail records err as the batch's failure unless it has one.
func (b *Batch) fail(err error) {
	b.mu.Lock()
	if b.err == nil {
		b.err = err
	}
	b.mu.Unlock()
}

// Wait waits until the brokers have acknowledged every record added, and
// returns what they acknowledged. processed is what the pipeline (and the
// input, for records it rejected itself) counted for the records added:
// Wait checks that processed.In records were added and that every one of
// them is now an acknowledged event or dead letter, and returns an error
// wrapping ErrUnbalanced otherwise.
//
// Wait returns an error when ctx ends first (the records may still be
// acknowledged later), when the batch failed (Add could not wait for room,
// or a record was not produced: the brokers refused it or the client gave
// up), or when the counts do not balance. With an error, Tally holds what
// was acknowledged so far.
func (b *Batch) Wait(ctx context.Context, processed pipeline.Counts) (Tally, error) {
	b.mu.Lock()
	for b.pending > 0 {
		if b.idle == nil {
			b.idle = make(chan struct{})
		}
		ch := b.idle
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			b.mu.Lock()
			pending, added, t := b.pending, b.added, b.tally.clone()
			b.mu.Unlock()
			return t, fmt.Errorf("wait for the brokers to acknowledge %d of %d records: %w", pending, added, context.Cause(ctx))
		}
		b.mu.Lock()
	}
	defer b.mu.Unlock()
	t := b.tally.clone()
	if b.err != nil {
		return t, b.err
	}
	if processed.In != b.added || b.added != t.Events+t.DeadLettered || !processed.Balanced() {
		return t, fmt.Errorf("%w: %d in (%d out, %d rejected), %d published, %d events and %d dead letters acknowledged",
			ErrUnbalanced, processed.In, processed.Out, processed.Rejected, b.added, t.Events, t.DeadLettered)
	}
	return t, nil
}

func (t Tally) clone() Tally {
	m := make(map[schemas.Product]ProductCounts, len(t.ByProduct))
	for k, v := range t.ByProduct {
		m[k] = v
	}
	t.ByProduct = m
	return t
}

// recordSize is what a record weighs against the in-flight and record
// bounds.
func recordSize(r *kgo.Record) int64 {
	n := len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return int64(n)
}

// gate bounds the records and bytes in flight.
type gate struct {
	maxRecords, maxBytes int64

	mu             sync.Mutex
	records, bytes int64
	wake           chan struct{} // closed on release; nil without waiters
}

func newGate(maxRecords, maxBytes int64) *gate {
	return &gate{maxRecords: maxRecords, maxBytes: maxBytes}
}

// acquire waits until a record of size bytes fits under both bounds (or
// nothing is in flight) and counts it.
func (g *gate) acquire(ctx context.Context, size int64) error {
	for {
		g.mu.Lock()
		if g.records == 0 || g.records < g.maxRecords && g.bytes+size <= g.maxBytes {
			g.records++
			g.bytes += size
			g.mu.Unlock()
			return nil
		}
		if g.wake == nil {
			g.wake = make(chan struct{})
		}
		ch := g.wake
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// release uncounts an acknowledged record of size bytes.
func (g *gate) release(size int64) {
	g.mu.Lock()
	g.records--
	g.bytes -= size
	if g.wake != nil {
		close(g.wake)
		g.wake = nil
	}
	g.mu.Unlock()
}

// load returns the records and bytes in flight.
func (g *gate) load() (records, bytes int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.records, g.bytes
}
