package stream

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// batch is the work of one poll: it is done when it is sealed (every record
// processed and the Flusher flushed) and every record produced for it is
// acknowledged.
type batch struct {
	pending atomic.Int64 // unacknowledged produces, plus 1 until sealed
	start   time.Time
	out     int64         // records produced downstream (dead letters excluded)
	marks   []*kgo.Record // last record of every partition of the batch
	// set under tracker.mu
	done bool
	err  error
}

// tracker keeps the batches in poll order and marks a batch's offsets for
// commit only when it and every batch before it are done, so a commit never
// covers a record whose outputs are not acknowledged. A failed batch stops
// all marking: its records and those after it are delivered again.
type tracker struct {
	mark   func(rs ...*kgo.Record) // kgo.Client.MarkCommitRecords
	onDone func(b *batch)          // metrics of a finished batch

	mu      sync.Mutex
	batches []*batch
	changed chan struct{} // closed when batches advance or one fails
}

func newTracker(mark func(...*kgo.Record), onDone func(*batch)) *tracker {
	return &tracker{mark: mark, onDone: onDone, changed: make(chan struct{})}
}

// begin adds a batch polled at start.
func (t *tracker) begin(start time.Time) *batch {
	b := &batch{start: start}
	b.pending.Store(1)
	t.mu.Lock()
	t.batches = append(t.batches, b)
	t.mu.Unlock()
	return b
}

// seal records the batch's commit marks once all its records were processed.
func (t *tracker) seal(b *batch, marks []*kgo.Record) {
	b.marks = marks
	t.release(b)
}

// acquire counts one produce for b.
func (t *tracker) acquire(b *batch) { b.pending.Add(1) }

// release counts one acknowledgement (or the seal) for b.
func (t *tracker) release(b *batch) {
	if b.pending.Add(-1) > 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	b.done = true
	advanced := false
	for len(t.batches) > 0 {
		front := t.batches[0]
		if !front.done || front.err != nil {
			break
		}
		if len(front.marks) > 0 {
			t.mark(front.marks...)
		}
		t.onDone(front)
		t.batches[0] = nil
		t.batches = t.batches[1:]
		advanced = true
	}
	if advanced {
		t.broadcast()
	}
}

// fail records the first error of b; nothing from b on is marked anymore.
func (t *tracker) fail(b *batch, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if b.err == nil {
		b.err = err
		t.broadcast()
	}
}

func (t *tracker) broadcast() {
	close(t.changed)
	t.changed = make(chan struct{})
}

// wait returns once every batch is done and marked, or with the error of the
// first failed batch, or with ctx's error.
func (t *tracker) wait(ctx context.Context) error {
	for {
		t.mu.Lock()
		if len(t.batches) == 0 {
			t.mu.Unlock()
			return nil
		}
		if err := t.batches[0].err; err != nil {
			t.mu.Unlock()
			return err
		}
		ch := t.changed
		t.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// gate bounds the records and bytes produced but not acknowledged.
// Waiters are woken when the load falls to three quarters of a bound, so
// that a full pipeline does not wake them on every acknowledgement.
type gate struct {
	maxRecords, maxBytes int64
	lowRecords, lowBytes int64

	mu      sync.Mutex
	records int64
	bytes   int64
	wake    chan struct{} // non-nil while someone waits
}

func newGate(maxRecords, maxBytes int64) *gate {
	return &gate{
		maxRecords: maxRecords, maxBytes: maxBytes,
		lowRecords: maxRecords - maxRecords/4, lowBytes: maxBytes - maxBytes/4,
	}
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
		ch := g.waitCh()
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// room waits until the load is below both bounds, before polling more.
func (g *gate) room(ctx context.Context) error {
	for {
		g.mu.Lock()
		if g.records < g.maxRecords && g.bytes < g.maxBytes {
			g.mu.Unlock()
			return nil
		}
		ch := g.waitCh()
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// waitCh must be called with g.mu held.
func (g *gate) waitCh() chan struct{} {
	if g.wake == nil {
		g.wake = make(chan struct{})
	}
	return g.wake
}

// release uncounts an acknowledged record of size bytes.
func (g *gate) release(size int64) {
	g.mu.Lock()
	g.records--
	g.bytes -= size
	if g.wake != nil && (g.records == 0 || g.records <= g.lowRecords && g.bytes <= g.lowBytes) {
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

// recordSize is what a record weighs against MaxInFlightBytes.
func recordSize(r *kgo.Record) int64 {
	n := len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return int64(n)
}
