// Package stream is the Kafka stage runtime that every aitdr stage runs on.
//
// A Runner consumes topics in a consumer group, hands each record to a
// Processor, produces what the Processor returns with franz-go's idempotent
// producer and commits offsets at least once: a batch's offsets are committed
// only after every record produced for it, dead letters included, is
// acknowledged and the Processor's Flusher (if any) has succeeded. Records the
// Processor rejects, or panics on, go to the dead-letter topic with their
// original key, value and headers and the reason in schemas.HeaderDLQ*
// headers, and the stage keeps going.
//
// In-flight work is bounded: the Runner neither polls nor produces more while
// the records or bytes produced but not acknowledged reach their bounds.
// Rebalances are blocked while a batch is being processed (franz-go's
// BlockRebalanceOnPoll); before partitions are revoked, the Runner waits for
// the work in flight and commits it, so nothing is committed for a partition
// this member no longer owns. On shutdown it stops fetching, finishes the
// current batch, waits for acknowledgements, commits and leaves the group.
//
// Telemetry uses the OpenTelemetry API only: the Metric* counters, histogram
// and gauges, and one span per record, child of the trace context found in
// the record's traceparent header and injected into every record produced
// for it, so that a trace follows an event through the stages.
package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/plugin/kotel"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// ErrClosed is returned by Run when the Runner was closed before Run started,
// or when Run is called a second time.
var ErrClosed = errors.New("stream: runner closed")

// errStopped is the cancel cause of a Run that stops because its context
// ended or Close was called: a clean shutdown.
var errStopped = errors.New("stream: runner stopped")

// client is the part of kgo.Client the record path uses; tests of the
// per-record overhead replace it.
type client interface {
	Produce(ctx context.Context, r *kgo.Record, promise func(*kgo.Record, error))
	MarkCommitRecords(rs ...*kgo.Record)
}

// Option sets an optional dependency of a Runner.
type Option func(*Runner)

// WithLogger sets the logger of the Runner and of its franz-go client.
// Default slog.Default(). The Runner adds the attribute stage.
func WithLogger(l *slog.Logger) Option { return func(r *Runner) { r.log = l } }

// WithMeterProvider sets where the Runner's metrics go.
// Default otel.GetMeterProvider() at the time New is called.
func WithMeterProvider(mp metric.MeterProvider) Option { return func(r *Runner) { r.mp = mp } }

// WithTracerProvider sets where the Runner's spans go.
// Default otel.GetTracerProvider() at the time New is called.
func WithTracerProvider(tp trace.TracerProvider) Option { return func(r *Runner) { r.tp = tp } }

// WithPropagator sets how trace context is read from and written to record
// headers. Default propagation.TraceContext{}: the W3C traceparent and
// tracestate headers that the topic contract names (schemas.HeaderTraceParent).
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(r *Runner) { r.propagator = p }
}

// Runner runs one Processor over a consumer group. Create it with New, run it
// once with Run; Close may be called at any time from any goroutine.
type Runner struct {
	cfg        Config
	proc       Processor
	flusher    Flusher
	buffering  BufferingFlusher
	assigner   Assigner
	revoker    Revoker
	log        *slog.Logger
	mp         metric.MeterProvider
	tp         trace.TracerProvider
	propagator propagation.TextMapPropagator
	tracer     trace.Tracer
	spanName   string
	ins        *instruments

	gate *gate
	lags lags

	mu      sync.Mutex
	started bool
	cancel  context.CancelCauseFunc
	done    chan struct{}

	ready atomic.Bool
	// assignment is what Readiness reports: partitions held, restores.
	assignment assignmentState

	// Set by Run.
	cl       *kgo.Client
	rec      client
	tracker  *tracker
	workCtx  context.Context
	fatalMu  sync.Mutex
	fatalErr error
	out      Output
	panics   atomic.Int64

	// Batches processed but held for a BufferingFlusher's next Flush.
	flushMu sync.Mutex
	held    []heldBatch
}

// heldBatch is a processed batch whose seal waits for the next Flush.
type heldBatch struct {
	b       *batch
	marks   []*kgo.Record
	records int64
}

// New returns a Runner of p under cfg. It validates cfg (every problem is
// listed) but does not connect: Run does.
func New(cfg Config, p Processor, opts ...Option) (*Runner, error) {
	if p == nil {
		return nil, errors.New("stream: new runner: nil processor")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("stream: invalid config: %w", err)
	}
	r := &Runner{cfg: cfg.withDefaults(), proc: p, done: make(chan struct{})}
	r.flusher, _ = p.(Flusher)
	r.buffering, _ = p.(BufferingFlusher)
	r.assigner, _ = p.(Assigner)
	r.revoker, _ = p.(Revoker)
	for _, o := range opts {
		o(r)
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	r.log = r.log.With("stage", r.cfg.Stage)
	if r.mp == nil {
		r.mp = otel.GetMeterProvider()
	}
	if r.tp == nil {
		r.tp = otel.GetTracerProvider()
	}
	if r.propagator == nil {
		r.propagator = propagation.TraceContext{}
	}
	r.tracer = r.tp.Tracer(instrumentation)
	r.spanName = "aitdr." + r.cfg.Stage + ".process"
	ins, err := newInstruments(r.mp.Meter(instrumentation), r.cfg.Stage)
	if err != nil {
		return nil, fmt.Errorf("stream: stage %q: %w", r.cfg.Stage, err)
	}
	r.ins = ins
	r.gate = newGate(int64(r.cfg.MaxInFlightRecords), r.cfg.MaxInFlightBytes)
	return r, nil
}

// Ready reports whether the Runner has joined its group and got its first
// assignment, and is not shutting down. Safe for concurrent use.
func (r *Runner) Ready() bool { return r.ready.Load() }

// Close stops a running Run as if its context were canceled and waits for it
// to return (drain, commit, leave the group); before Run, it makes Run return
// ErrClosed. Close is idempotent and safe for concurrent use. It returns nil:
// the outcome of the shutdown is Run's result.
func (r *Runner) Close() error {
	r.mu.Lock()
	if !r.started {
		r.started = true
		close(r.done)
		r.mu.Unlock()
		return nil
	}
	cancel := r.cancel
	r.mu.Unlock()
	if cancel != nil {
		cancel(errStopped)
	}
	<-r.done
	return nil
}

// Run consumes and processes until ctx is done, Close is called, or a
// failure stops it, and returns after the shutdown: current batch finished,
// acknowledgements awaited, offsets committed, group left, all within
// Config.DrainTimeout. It returns nil after a clean stop, and otherwise the
// failure (a Processor or Flusher error, a produce error, an Assign error)
// joined with any shutdown error. Run may be called once.
func (r *Runner) Run(ctx context.Context) (err error) {
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		return ErrClosed
	}
	r.started = true
	runCtx, cancel := context.WithCancelCause(ctx)
	r.cancel = cancel
	r.mu.Unlock()
	defer close(r.done)
	defer cancel(errStopped)

	// workCtx outlives runCtx by DrainTimeout so that the current batch can
	// finish, be acknowledged and committed after a stop.
	workCtx, cancelWork := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelWork(nil)
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-runCtx.Done():
		case <-finished:
			return
		}
		t := time.NewTimer(r.cfg.DrainTimeout)
		defer t.Stop()
		select {
		case <-t.C:
			cancelWork(fmt.Errorf("drain timeout %s exceeded", r.cfg.DrainTimeout))
		case <-finished:
		}
	}()
	r.workCtx = workCtx
	// Marks happen after polls, so after r.cl is set; the group callbacks
	// that use the tracker may start as soon as the client exists.
	r.tracker = newTracker(func(rs ...*kgo.Record) { r.cl.MarkCommitRecords(rs...) }, r.batchDone)

	cl, err := kgo.NewClient(r.clientOpts()...)
	if err != nil {
		return fmt.Errorf("stream: stage %q: new kafka client: %w", r.cfg.Stage, err)
	}
	r.cl, r.rec = cl, cl
	r.assignment.start(cl)
	reg, err := r.mp.Meter(instrumentation).RegisterCallback(r.observe, r.ins.lag, r.ins.inflight)
	if err != nil {
		cl.Close()
		return fmt.Errorf("stream: stage %q: register metric callback: %w", r.cfg.Stage, err)
	}
	defer func() {
		if uerr := reg.Unregister(); uerr != nil {
			err = errors.Join(err, fmt.Errorf("stream: stage %q: unregister metric callback: %w", r.cfg.Stage, uerr))
		}
	}()

	r.log.Info("stage starting", "group", r.cfg.Group, "topics", r.cfg.Topics)
	r.loop(runCtx, workCtx)
	r.ready.Store(false)
	r.assignment.start(nil)

	// Shutdown: the current batch is finished; wait for what is in flight,
	// commit and leave the group (which runs onRevoked: nothing left to do).
	var errs []error
	ferr := r.fatal()
	if ferr != nil {
		errs = append(errs, ferr)
		r.abandonHeld(ferr)
	} else if herr := r.flushHeld(workCtx, true); herr != nil {
		errs = append(errs, herr)
		ferr = herr
	}
	if werr := r.tracker.wait(workCtx); werr != nil && werr != ferr {
		errs = append(errs, fmt.Errorf("drain: %w", werr))
	}
	if cerr := cl.CommitMarkedOffsets(workCtx); cerr != nil {
		errs = append(errs, fmt.Errorf("commit offsets: %w", cerr))
	}
	cl.Close()
	if len(errs) > 0 {
		// Not logged here: the caller handles (and logs) Run's error.
		return fmt.Errorf("stream: stage %q: %w", r.cfg.Stage, errors.Join(errs...))
	}
	r.log.Info("stage stopped")
	return nil
}

func (r *Runner) clientOpts() []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SeedBrokers(r.cfg.Brokers...),
		kgo.ClientID("aitdr-" + r.cfg.Stage),
		kgo.ConsumerGroup(r.cfg.Group),
		kgo.ConsumeTopics(r.cfg.Topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		// Kafka's Java default: partitions assigned by a rebalance wait for
		// the fetch in flight, which waits up to this long for new data.
		kgo.FetchMaxWait(500 * time.Millisecond),
		kgo.BlockRebalanceOnPoll(),
		kgo.AutoCommitMarks(),
		kgo.AutoCommitInterval(r.cfg.CommitInterval),
		kgo.ProducerLinger(r.cfg.Linger),
		kgo.OnPartitionsAssigned(r.onAssigned),
		kgo.OnPartitionsRevoked(r.onRevoked),
		kgo.OnPartitionsLost(r.onLost),
		// The gate keeps the buffer under MaxInFlight*; franz-go's own
		// bounds are only a backstop so that Produce never blocks.
		kgo.MaxBufferedRecords(2 * r.cfg.MaxInFlightRecords),
		kgo.MaxBufferedBytes(int(2 * r.cfg.MaxInFlightBytes)),
		kgo.WithLogger(newKgoLogger(r.log)),
		kgo.WithHooks(kotel.NewKotel(kotel.WithMeter(kotel.NewMeter(kotel.MeterProvider(r.mp)))).Hooks()...),
	}
	if r.cfg.GroupInstanceID != "" {
		opts = append(opts, kgo.InstanceID(r.cfg.GroupInstanceID))
	}
	return append(opts, r.cfg.ClientOpts...)
}

// loop polls and processes until runCtx ends or a batch fails.
func (r *Runner) loop(runCtx, workCtx context.Context) {
	for {
		if err := r.gate.room(runCtx); err != nil {
			return
		}
		fetches := r.poll(runCtx)
		start := time.Now()
		if fetches.IsClientClosed() {
			r.setFatal(errors.New("kafka client closed"))
			return
		}
		fetches.EachError(func(topic string, partition int32, err error) {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				r.log.Warn("fetch failed", "topic", topic, "partition", partition, "err", err)
			}
		})
		var err error
		if !fetches.Empty() {
			err = r.processBatch(workCtx, fetches, start)
		} else if runCtx.Err() == nil {
			err = r.flushHeld(workCtx, false)
		}
		if err != nil {
			r.setFatal(err)
			r.cl.AllowRebalance()
			return
		}
		r.cl.AllowRebalance()
		if runCtx.Err() != nil {
			return
		}
	}
}

// poll polls the next batch; while batches are held for a BufferingFlusher,
// it returns empty once their flush is due, so that a quiet input does not
// hold them.
func (r *Runner) poll(ctx context.Context) kgo.Fetches {
	if r.buffering != nil {
		r.flushMu.Lock()
		var by time.Time
		if len(r.held) > 0 {
			_, by = r.buffering.FlushDue(time.Now())
		}
		r.flushMu.Unlock()
		if !by.IsZero() {
			pollCtx, cancel := context.WithDeadline(ctx, by)
			defer cancel()
			return r.cl.PollRecords(pollCtx, r.cfg.MaxPollRecords)
		}
	}
	return r.cl.PollRecords(ctx, r.cfg.MaxPollRecords)
}

// processBatch processes every record of fetches, produces the outputs and
// seals the batch (or holds it for a BufferingFlusher); the tracker marks it
// for commit once sealed and acknowledged.
func (r *Runner) processBatch(ctx context.Context, fetches kgo.Fetches, start time.Time) error {
	b := r.tracker.begin(start)
	var marks []*kgo.Record
	var in int64
	var err error
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if err != nil || len(p.Records) == 0 {
			return
		}
		r.lags.observe(p)
		for _, rec := range p.Records {
			in++
			if err = r.handle(ctx, b, rec); err != nil {
				return
			}
		}
		marks = append(marks, p.Records[len(p.Records)-1])
	})
	r.ins.in.Add(ctx, in, r.ins.stage)
	if err == nil && r.buffering != nil {
		r.flushMu.Lock()
		r.held = append(r.held, heldBatch{b: b, marks: marks, records: in})
		r.flushMu.Unlock()
		return r.flushHeld(ctx, false)
	}
	if err == nil && r.flusher != nil {
		if ferr := r.flusher.Flush(ctx); ferr != nil {
			err = fmt.Errorf("flush batch of %d records: %w", in, ferr)
		}
	}
	if err != nil {
		r.tracker.fail(b, err)
		r.tracker.release(b)
		return err
	}
	r.tracker.seal(b, marks)
	return nil
}

// flushHeld flushes the batches held for a BufferingFlusher when the flush
// is due, or always with force, and seals them; a failed Flush fails them
// all (nothing of them is committed; they are delivered again).
func (r *Runner) flushHeld(ctx context.Context, force bool) error {
	if r.buffering == nil {
		return nil
	}
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	if len(r.held) == 0 {
		return nil
	}
	if !force {
		// A zero deadline means nothing is buffered: sealing is free.
		if due, by := r.buffering.FlushDue(time.Now()); !due && !by.IsZero() {
			return nil
		}
	}
	held := r.held
	r.held = nil
	var records int64
	for _, h := range held {
		records += h.records
	}
	err := r.buffering.Flush(ctx)
	if err != nil {
		err = fmt.Errorf("flush %d batches of %d records: %w", len(held), records, err)
	}
	for _, h := range held {
		if err != nil {
			r.tracker.fail(h.b, err)
			r.tracker.release(h.b)
			continue
		}
		r.tracker.seal(h.b, h.marks)
	}
	return err
}

// handle processes one record and produces its outputs or its dead letter.
// It returns an error only for failures that must stop the Runner.
func (r *Runner) handle(ctx context.Context, b *batch, in *kgo.Record) error {
	ctx, span := r.startSpan(ctx, in)
	defer span.End()
	out := &r.out
	out.reset()
	perr, panicked := r.process(ctx, in, out)
	if perr != nil {
		span.RecordError(perr)
		span.SetStatus(codes.Error, perr.Error())
		return fmt.Errorf("process record %s/%d@%d: %w", in.Topic, in.Partition, in.Offset, perr)
	}
	reason, kind := out.reason, failRejected
	if panicked != nil {
		reason, kind = panicked, failPanic
	}
	if reason == nil {
		for i, o := range out.records {
			if o == nil || o.Topic == "" {
				reason, kind = fmt.Errorf("output record %d has no topic", i), failInvalidOutput
				break
			}
			if o.Topic == r.cfg.DeadLetterTopic && FitDeadLetter(o, r.cfg.MaxRecordBytes) {
				// The processor's own dead letter of an oversized record:
				// carried cut down rather than failing the whole input.
				continue
			}
			if size := recordSize(o); size > int64(r.cfg.MaxRecordBytes) {
				reason = fmt.Errorf("output record %d to %s is %d bytes, over the %d-byte record limit", i, o.Topic, size, r.cfg.MaxRecordBytes)
				kind = failInvalidOutput
				break
			}
		}
	}
	if reason != nil {
		span.SetStatus(codes.Error, reason.Error())
		r.ins.failed.Add(ctx, 1, r.ins.failures[kind])
		if kind != failPanic {
			r.log.Debug("record sent to the dead-letter topic", "topic", in.Topic, "partition", in.Partition,
				"offset", in.Offset, "failure", kind, "reason", reason)
		}
		return r.produce(ctx, b, r.deadLetter(ctx, in, reason), false)
	}
	for _, o := range out.records {
		r.inject(ctx, o)
		if o.Context == nil {
			o.Context = ctx
		}
		if err := r.produce(ctx, b, o, true); err != nil {
			return err
		}
	}
	return nil
}

// process calls the Processor and turns a panic into a rejection reason.
func (r *Runner) process(ctx context.Context, in *kgo.Record, out *Output) (err, panicked error) {
	defer func() {
		if v := recover(); v != nil {
			panicked = fmt.Errorf("panic: %v", v)
			args := []any{"topic", in.Topic, "partition", in.Partition, "offset", in.Offset, "panic", v}
			if r.panics.Add(1) == 1 {
				r.log.Error("processor panicked, record sent to the dead-letter topic (stack logged once)",
					append(args, "stack", string(debug.Stack()))...)
			} else {
				r.log.Warn("processor panicked, record sent to the dead-letter topic", args...)
			}
		}
	}()
	return r.proc.Process(ctx, in, out), nil
}

// deadLetter returns the dead-letter record of in: its key, value and
// headers, plus the schemas.HeaderDLQ* headers, cut down to the record
// size limit when in is too large to carry whole (FitDeadLetter).
func (r *Runner) deadLetter(ctx context.Context, in *kgo.Record, reason error) *kgo.Record {
	origin := Origin{Topic: in.Topic, Partition: in.Partition, Offset: in.Offset}
	dl := DeadLetter(r.cfg.DeadLetterTopic, r.cfg.Stage, in.Key, in.Value, in.Headers, origin, reason, time.Now())
	FitDeadLetter(dl, r.cfg.MaxRecordBytes)
	dl.Context = ctx
	return dl
}

// produce waits for room under the in-flight bounds and produces rec for b.
func (r *Runner) produce(ctx context.Context, b *batch, rec *kgo.Record, downstream bool) error {
	size := recordSize(rec)
	if err := r.gate.acquire(ctx, size); err != nil {
		return fmt.Errorf("wait for in-flight room to produce to %s: %w", rec.Topic, err)
	}
	if downstream {
		b.out++
	}
	r.tracker.acquire(b)
	r.rec.Produce(ctx, rec, func(rec *kgo.Record, err error) {
		r.gate.release(size)
		if err != nil {
			err = fmt.Errorf("produce to %s: %w", rec.Topic, err)
			r.tracker.fail(b, err)
			r.setFatal(err)
		}
		r.tracker.release(b)
	})
	return nil
}

// batchDone records the metrics of a batch that is done and marked.
func (r *Runner) batchDone(b *batch) {
	ctx := context.Background()
	r.ins.out.Add(ctx, b.out, r.ins.stage)
	r.ins.batch.Record(ctx, time.Since(b.start).Seconds(), r.ins.stage)
}

// abandonHeld fails the batches held for a flush that will not come: the
// Runner is stopping on err, and they are delivered again.
func (r *Runner) abandonHeld(err error) {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	for _, h := range r.held {
		r.tracker.fail(h.b, err)
		r.tracker.release(h.b)
	}
	r.held = nil
}

// setFatal records the first failure and stops the poll loop.
func (r *Runner) setFatal(err error) {
	r.fatalMu.Lock()
	if r.fatalErr == nil {
		r.fatalErr = err
	}
	r.fatalMu.Unlock()
	r.cancel(err)
}

func (r *Runner) fatal() error {
	r.fatalMu.Lock()
	defer r.fatalMu.Unlock()
	return r.fatalErr
}

// onAssigned runs the Assigner; BlockRebalanceOnPoll keeps it apart from
// Process.
func (r *Runner) onAssigned(ctx context.Context, _ *kgo.Client, assigned map[string][]int32) {
	r.assignment.hold(assigned)
	if r.assigner != nil && len(assigned) > 0 {
		r.assignment.restoreBegins(assigned)
		err := r.assigner.Assign(ctx, assigned)
		r.assignment.restoreEnds(err)
		if err != nil {
			r.setFatal(fmt.Errorf("assign partitions %v: %w", assigned, err))
			return
		}
	}
	r.log.Info("partitions assigned", "partitions", assigned)
	r.ready.Store(true)
}

// onRevoked waits for the work in flight (no Process runs meanwhile: the poll
// loop is between AllowRebalance and its next poll) and commits it while
// this member still owns the partitions, then runs the Revoker.
func (r *Runner) onRevoked(ctx context.Context, cl *kgo.Client, revoked map[string][]int32) {
	if len(revoked) == 0 {
		return
	}
	if err := r.flushHeld(r.workCtx, true); err != nil {
		r.setFatal(err)
	}
	if err := r.tracker.wait(r.workCtx); err != nil && err != r.fatal() {
		r.log.Warn("partitions revoked before their work finished; it will be redone", "partitions", revoked, "err", err)
	}
	if err := cl.CommitMarkedOffsets(r.workCtx); err != nil {
		r.log.Warn("commit before revoke failed; records will be redone", "partitions", revoked, "err", err)
	}
	r.lags.drop(revoked)
	if r.revoker != nil {
		r.revoker.Revoke(ctx, revoked)
	}
	r.assignment.release(revoked, false)
	r.log.Info("partitions revoked", "partitions", revoked)
}

// onLost drops the partitions: their offsets cannot be committed anymore, and
// work in flight for them is redone by their next owner.
func (r *Runner) onLost(ctx context.Context, _ *kgo.Client, lost map[string][]int32) {
	if len(lost) == 0 {
		return
	}
	r.lags.drop(lost)
	if r.revoker != nil {
		r.revoker.Revoke(ctx, lost)
	}
	r.assignment.release(lost, true)
	r.log.Warn("partitions lost", "partitions", lost)
}
