package input_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/ingest/input"
	"github.com/aitdr/aitdr/ingest/pipeline"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

// heldProducer keeps every record and its promise until the test
// acknowledges it.
type heldProducer struct {
	mu       sync.Mutex
	records  []*kgo.Record
	promises []func(*kgo.Record, error)
	acked    int
}

func (p *heldProducer) Produce(_ context.Context, r *kgo.Record, promise func(*kgo.Record, error)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.records = append(p.records, r)
	p.promises = append(p.promises, promise)
}

// ack acknowledges the next record with err.
func (p *heldProducer) ack(err error) bool {
	p.mu.Lock()
	if p.acked >= len(p.promises) {
		p.mu.Unlock()
		return false
	}
	i := p.acked
	p.acked++
	r, promise := p.records[i], p.promises[i]
	p.mu.Unlock()
	promise(r, err)
	return true
}

func (p *heldProducer) produced() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.records)
}

func testEvent(id string) pipeline.Result {
	return pipeline.Result{Product: schemas.ProductOkta, Event: &schemas.Event{
		ID: id, SchemaVersion: schemas.EventSchemaVersion,
		Source:   schemas.Source{Product: schemas.ProductOkta},
		Identity: schemas.Principal{ID: "okta:acme:" + id},
		Raw:      schemas.Raw{Format: schemas.RawJSON, Data: []byte(`{"id":"` + id + `"}`)},
	}}
}

func newTestPublisher(t *testing.T, p input.Producer, mutate func(*input.PublisherConfig)) *input.Publisher {
	t.Helper()
	cfg := input.PublisherConfig{EventsTopic: "events", DeadLetterTopic: "dlq", Stage: "ingest"}
	if mutate != nil {
		mutate(&cfg)
	}
	pub, err := input.NewPublisher(p, cfg, input.WithClock(func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }))
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// TestPublisherBounded shows that a Publisher never has more records in
// flight than its bound, over all its batches: Add waits for
// acknowledgements, and Wait returns once all are in.
func TestPublisherBounded(t *testing.T) {
	prod := &heldProducer{}
	pub := newTestPublisher(t, prod, func(c *input.PublisherConfig) { c.MaxInFlightRecords = 3 })
	batches := []*input.Batch{pub.NewBatch(), pub.NewBatch()}
	var wg sync.WaitGroup
	for _, b := range batches {
		wg.Go(func() {
			for range 5 {
				if err := b.Add(context.Background(), testEvent("e"), "test"); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for acked := 0; acked < 10; {
		time.Sleep(5 * time.Millisecond)
		if n, _ := pub.InFlight(); n > 3 || prod.produced()-acked > 3 {
			t.Fatalf("%d records in flight, %d produced and %d acknowledged: over the bound of 3", n, prod.produced(), acked)
		}
		if prod.ack(nil) {
			acked++
		}
	}
	wg.Wait()
	for _, b := range batches {
		tally, err := b.Wait(context.Background(), pipeline.Counts{In: 5, Out: 5})
		if err != nil || tally.Events != 5 || tally.ByProduct[schemas.ProductOkta].Events != 5 {
			t.Errorf("Wait: %+v, %v", tally, err)
		}
	}
}

// TestPublisherBoundedBytes shows the byte bound: a record that does not
// fit waits, but one larger than the bound goes through alone.
func TestPublisherBoundedBytes(t *testing.T) {
	prod := &heldProducer{}
	pub := newTestPublisher(t, prod, func(c *input.PublisherConfig) { c.MaxInFlightBytes = 1 })
	b := pub.NewBatch()
	if err := b.Add(context.Background(), testEvent("a"), "test"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := b.Add(ctx, testEvent("b"), "test"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second Add with the first in flight: %v, want a deadline", err)
	}
	prod.ack(nil)
	// The batch failed on the Add that could not wait.
	if _, err := b.Wait(context.Background(), pipeline.Counts{In: 2, Out: 2}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait after a failed Add: %v", err)
	}
}

// TestPublisherFailures shows that Wait reports records the brokers did
// not take, records still unacknowledged when its ctx ends, and counts
// that do not balance.
func TestPublisherFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("produce error", func(t *testing.T) {
		prod := &heldProducer{}
		b := newTestPublisher(t, prod, nil).NewBatch()
		_ = b.Add(ctx, testEvent("a"), "test")
		prod.ack(errors.New("broker says no"))
		if _, err := b.Wait(ctx, pipeline.Counts{In: 1, Out: 1}); err == nil || err.Error() != "produce to events: broker says no" {
			t.Errorf("Wait: %v", err)
		}
	})
	t.Run("not acknowledged in time", func(t *testing.T) {
		prod := &heldProducer{}
		b := newTestPublisher(t, prod, nil).NewBatch()
		_ = b.Add(ctx, testEvent("a"), "test")
		wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		if _, err := b.Wait(wctx, pipeline.Counts{In: 1, Out: 1}); !errors.Is(err, context.DeadlineExceeded) ||
			!strings.Contains(err.Error(), "acknowledge 1 of 1 records") {
			t.Errorf("Wait: %v", err)
		}
		prod.ack(nil) // late: no harm
	})
	t.Run("unbalanced", func(t *testing.T) {
		prod := &heldProducer{}
		b := newTestPublisher(t, prod, nil).NewBatch()
		_ = b.Add(ctx, testEvent("a"), "test")
		prod.ack(nil)
		if _, err := b.Wait(ctx, pipeline.Counts{In: 2, Out: 2}); !errors.Is(err, input.ErrUnbalanced) {
			t.Errorf("Wait: %v, want ErrUnbalanced", err)
		}
	})
}

// TestPublisherRecords shows the records a Publisher writes: an event
// keyed by identity, a dead letter with its reason, stage, origin and
// source headers; an event too large for a record dead-lettered with its
// raw record; a dead letter too large cut down, which its reason says.
func TestPublisherRecords(t *testing.T) {
	prod := &heldProducer{}
	pub := newTestPublisher(t, prod, func(c *input.PublisherConfig) { c.MaxRecordBytes = 4096 })
	b := pub.NewBatch()
	ctx := context.Background()
	big := testEvent("big")
	big.Event.Raw.Data = []byte(`{"x":"` + strings.Repeat("y", 5000) + `"}`)
	huge := bytes.Repeat([]byte("z"), 10000)
	_ = b.Add(ctx, testEvent("small"), "http request 1 line 1")
	_ = b.Add(ctx, pipeline.Result{Record: []byte(`{"bad":1}`), Product: schemas.ProductAWSCloudTrail, Err: errors.New("eventTime: missing")}, "http request 1 line 2")
	_ = b.Add(ctx, big, "http request 1 line 3")
	_ = b.Reject(ctx, huge, "", "file x line 4", errors.New("too long"))
	for prod.ack(nil) {
	}
	tally, err := b.Wait(ctx, pipeline.Counts{In: 4, Out: 2, Rejected: 2})
	if err != nil || tally.Events != 1 || tally.DeadLettered != 3 {
		t.Fatalf("Wait: %+v, %v", tally, err)
	}
	ev, dl, bigDL, hugeDL := prod.records[0], prod.records[1], prod.records[2], prod.records[3]
	if ev.Topic != "events" || string(ev.Key) != "okta:acme:small" {
		t.Errorf("event record: topic %q key %q", ev.Topic, ev.Key)
	}
	h := func(r *kgo.Record, k string) string { return string(stream.Header(r, k)) }
	if dl.Topic != "dlq" || string(dl.Value) != `{"bad":1}` || h(dl, schemas.HeaderDLQReason) != "eventTime: missing" ||
		h(dl, schemas.HeaderDLQStage) != "ingest" || h(dl, schemas.HeaderDLQInput) != "http request 1 line 2" ||
		h(dl, schemas.HeaderSource) != "aws.cloudtrail" || h(dl, schemas.HeaderDLQTime) != "2026-01-01T00:00:00Z" {
		t.Errorf("dead letter: topic %q value %q headers %v", dl.Topic, dl.Value, dl.Headers)
	}
	// Its raw record does not fit either: its start does.
	if bigDL.Topic != "dlq" || !bytes.HasPrefix(big.Event.Raw.Data, bigDL.Value) || len(bigDL.Value) < 3000 ||
		!strings.Contains(h(bigDL, schemas.HeaderDLQReason), "over the 4096-byte record limit (dead-letter value truncated") {
		t.Errorf("large event: topic %q reason %q", bigDL.Topic, h(bigDL, schemas.HeaderDLQReason))
	}
	size := len(hugeDL.Value)
	for _, hd := range hugeDL.Headers {
		size += len(hd.Key) + len(hd.Value)
	}
	if size > 4096 || !bytes.HasPrefix(huge, hugeDL.Value) || !strings.Contains(h(hugeDL, schemas.HeaderDLQReason), "too long (dead-letter value truncated to the first") {
		t.Errorf("large dead letter: %d bytes, reason %q", size, h(hugeDL, schemas.HeaderDLQReason))
	}
}

// TestPublisherConfig shows that Validate names every problem.
func TestPublisherConfig(t *testing.T) {
	err := input.PublisherConfig{DeadLetterTopic: "", Stage: "in gest", MaxInFlightRecords: -1, MaxRecordBytes: 100}.Validate()
	for _, want := range []string{"events_topic: required", "dead_letter_topic: required", `stage: "in gest" contains spaces`, "max_in_flight_records: -1", "max_record_bytes: 100"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v; want %q", err, want)
		}
	}
	if err := (input.PublisherConfig{EventsTopic: "x", DeadLetterTopic: "x", Stage: "ingest"}).Validate(); err == nil || !strings.Contains(err.Error(), "also the events_topic") {
		t.Errorf("same topics: %v", err)
	}
}
