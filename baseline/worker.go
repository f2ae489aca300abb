package baseline

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/aitdr/aitdr/internal/changelog"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

// Name is the stage name in metrics, logs and dead-letter headers.
const Name = "baseline"

// Changelog is where a Worker checkpoints its baselines and restores them
// from; *changelog.Log satisfies it.
type Changelog interface {
	Write(ctx context.Context, entries []changelog.Entry) error
	Restore(ctx context.Context, partitions []int32, apply func(partition int32, key, value []byte) error) error
}

var _ Changelog = (*changelog.Log)(nil)

// Option sets an optional dependency of a Worker.
type Option func(*Worker)

// WithChangelog sets the changelog the Worker checkpoints to at each flush
// and restores from at each assignment. Default none: baselines live in
// memory only and a restart starts them afresh.
func WithChangelog(c Changelog) Option { return func(w *Worker) { w.changelog = c } }

// WithSnapshots sets where the periodic snapshots go. Default none: no
// snapshots.
func WithSnapshots(s SnapshotWriter) Option { return func(w *Worker) { w.snapshots = s } }

// WithLogger sets the Worker's logger. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(w *Worker) { w.log = l } }

// WithMeterProvider sets where the Worker's metrics go. Default
// otel.GetMeterProvider() at the time New is called.
func WithMeterProvider(mp metric.MeterProvider) Option { return func(w *Worker) { w.mp = mp } }

// WithClock sets the wall clock of the snapshot schedule and snapshot
// times; baselines themselves use event time only. Default time.Now.
func WithClock(now func() time.Time) Option { return func(w *Worker) { w.now = now } }

// Worker is the baseline stage's processor: it consumes enriched events
// keyed by identity, fills their features against the baselines of the
// partitions it owns, folds them in, and produces the scored events with
// the same key. It checkpoints the baselines it changed at each flush and
// restores those of the partitions it is assigned.
//
// A Worker is a stream.Processor, Flusher, Assigner and Revoker for one
// Runner, which calls it from one goroutine: its state needs no locks.
type Worker struct {
	m         *model
	changelog Changelog
	snapshots SnapshotWriter
	log       *slog.Logger
	mp        metric.MeterProvider
	now       func() time.Time
	ins       *instruments

	parts   map[int32]*Partition
	ev      schemas.Event
	entries []changelog.Entry
	counts  [numOutcomes]int64 // since the last flush
	// identities is the number of baselines held, for the gauge (read by
	// the metrics reader's goroutine).
	identities atomic.Int64

	snap snapshotter
}

var (
	_ stream.Processor = (*Worker)(nil)
	_ stream.Flusher   = (*Worker)(nil)
	_ stream.Assigner  = (*Worker)(nil)
	_ stream.Revoker   = (*Worker)(nil)
)

// New returns a Worker under cfg; it validates cfg and lists every problem.
func New(cfg Config, opts ...Option) (*Worker, error) {
	m, err := newModel(cfg)
	if err != nil {
		return nil, err
	}
	w := &Worker{m: m, parts: make(map[int32]*Partition)}
	for _, o := range opts {
		o(w)
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	w.log = w.log.With("stage", Name)
	if w.mp == nil {
		w.mp = otel.GetMeterProvider()
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.ins, err = newInstruments(w.mp.Meter(instrumentation), &w.identities); err != nil {
		return nil, err
	}
	w.snap.last = w.now()
	return w, nil
}

// Close unregisters the Worker's metric callback. Call it after the
// Runner stopped; it is idempotent.
func (w *Worker) Close() error { return w.ins.close() }

// msgpackContentType is the content type header of MessagePack events.
var msgpackContentType = []byte(schemas.ContentTypeEventMsgpack)

// Process scores one enriched event. An event that cannot be decoded goes
// to the dead-letter topic; every other one is produced to the output
// topic, with its features or with the reason they are unavailable.
func (w *Worker) Process(_ context.Context, in *kgo.Record, out *stream.Output) error {
	contentType := schemas.ContentTypeEventMsgpack
	if ct := stream.Header(in, schemas.HeaderContentType); len(ct) > 0 && !bytes.Equal(ct, msgpackContentType) {
		contentType = string(ct)
	}
	ev := &w.ev
	if err := schemas.DecodeEvent(contentType, in.Value, ev); err != nil {
		out.Reject(fmt.Errorf("baseline: %w", err))
		return nil
	}
	p := w.partition(in.Partition)
	w.counts[p.Observe(in.Offset, ev)]++
	rec, err := stream.EventRecord(w.m.cfg.OutputTopic, ev)
	if err != nil {
		out.Reject(fmt.Errorf("baseline: %w", err))
		return nil
	}
	rec.Key = in.Key
	out.Produce(rec)
	return nil
}

// partition returns the baselines of input partition id, empty ones for a
// partition Assign did not announce.
func (w *Worker) partition(id int32) *Partition {
	p := w.parts[id]
	if p == nil {
		p = newPartition(w.m, id)
		w.parts[id] = p
	}
	return p
}

// Flush writes the baselines changed by the batch to the changelog, before
// the Runner commits the batch's offsets, and runs the snapshot schedule.
func (w *Worker) Flush(ctx context.Context) error {
	entries := w.entries[:0]
	var held int64
	for _, p := range w.parts {
		entries = p.Checkpoint(entries)
		held += int64(p.Len())
	}
	w.identities.Store(held)
	w.ins.recordOutcomes(ctx, &w.counts)
	w.counts = [numOutcomes]int64{}
	if w.changelog != nil && len(entries) > 0 {
		if err := w.changelog.Write(ctx, entries); err != nil {
			return fmt.Errorf("baseline: checkpoint %d baselines: %w", len(entries), err)
		}
		w.ins.checkpointed.Add(ctx, int64(len(entries)))
	}
	clear(entries) // drop the encoded values
	w.entries = entries[:0]
	w.snapshot(ctx)
	return nil
}

// Assign restores the baselines of the newly assigned partitions of the
// input topic from the changelog. A baseline that cannot be decoded is
// logged, counted and skipped: its identity learns afresh rather than the
// stage stopping on every restart.
func (w *Worker) Assign(ctx context.Context, assigned map[string][]int32) error {
	parts := assigned[w.m.cfg.InputTopic]
	if len(parts) == 0 {
		return nil
	}
	start := time.Now()
	fresh := make(map[int32]*Partition, len(parts))
	for _, id := range parts {
		fresh[id] = newPartition(w.m, id)
	}
	var restored, skipped int64
	if w.changelog != nil {
		err := w.changelog.Restore(ctx, parts, func(partition int32, key, value []byte) error {
			p := fresh[partition]
			if p == nil {
				return fmt.Errorf("record of partition %d, which was not asked for", partition)
			}
			if err := p.Restore(key, value); err != nil {
				skipped++
				w.log.Warn("baseline state skipped: it cannot be decoded, the identity learns afresh",
					"partition", partition, "key", string(key), "err", err)
				return nil
			}
			restored++
			return nil
		})
		if err != nil {
			return fmt.Errorf("baseline: restore partitions %v: %w", parts, err)
		}
	}
	var held int64
	for id, p := range fresh {
		w.parts[id] = p
	}
	for _, p := range w.parts {
		held += int64(p.Len())
	}
	w.identities.Store(held)
	w.ins.restored.Add(ctx, restored)
	w.ins.restoreSkipped.Add(ctx, skipped)
	w.log.Info("baselines restored", "partitions", parts, "records", restored, "skipped", skipped,
		"took", time.Since(start).Round(time.Millisecond))
	return nil
}

// Revoke drops the baselines of the partitions this worker no longer owns;
// their changes were checkpointed by the flushes of the work committed.
func (w *Worker) Revoke(_ context.Context, revoked map[string][]int32) {
	for _, id := range revoked[w.m.cfg.InputTopic] {
		delete(w.parts, id)
	}
	var held int64
	for _, p := range w.parts {
		held += int64(p.Len())
	}
	w.identities.Store(held)
}
