package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"golang.org/x/sync/errgroup"
)

// Output sends messages to one destination. Send is called by one
// goroutine at a time; it returns an error wrapped with Permanent when a
// retry cannot help (the destination refused the message as malformed),
// and may return an error with a RetryAfter() time.Duration method when
// the destination asked for a wait.
type Output interface {
	// Name is the output's unique name.
	Name() string
	// Send delivers m.
	Send(ctx context.Context, m Message) error
}

// BatchOutput is an Output that delivers several messages in one request;
// the feed gathers up to its batch size before calling SendBatch.
type BatchOutput interface {
	Output
	// SendBatch delivers ms, all or none.
	SendBatch(ctx context.Context, ms []Message) error
	// Batch returns the most messages of one SendBatch and how long to
	// wait for a batch to fill.
	Batch() (size int, wait time.Duration)
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that a retry cannot fix: the message is
// spilled at once.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

type retryAfterError struct {
	err  error
	wait time.Duration
}

func (e *retryAfterError) Error() string {
	return e.err.Error() + " (retry after " + e.wait.String() + ")"
}
func (e *retryAfterError) Unwrap() error             { return e.err }
func (e *retryAfterError) RetryAfter() time.Duration { return e.wait }

// retryAfter wraps err with the wait a destination asked for (0 keeps err).
func retryAfter(err error, wait time.Duration) error {
	if wait <= 0 {
		return err
	}
	return &retryAfterError{err: err, wait: wait}
}

// Spill reasons, the values of the reason attribute of MetricSpilled.
const (
	ReasonQueueFull = "queue_full"
	ReasonFailed    = "failed"
	ReasonRejected  = "rejected"
	ReasonShutdown  = "shutdown"
)

// Metric names.
const (
	// MetricDelivered counts the messages an output delivered, by
	// output (aitdr.feed.output).
	MetricDelivered = "aitdr.feed.delivered"
	// MetricAttemptsFailed counts the failed attempts, by output.
	MetricAttemptsFailed = "aitdr.feed.attempts.failed"
	// MetricSpilled counts the messages written to a spill file, by
	// output and reason (aitdr.feed.reason): queue_full, failed,
	// rejected, shutdown.
	MetricSpilled = "aitdr.feed.spilled"
	// MetricReplayed counts the spilled messages queued again.
	MetricReplayed = "aitdr.feed.replayed"
	// MetricDropped counts the messages lost: the spill file was full or
	// could not be written, or a spill line could not be read.
	MetricDropped = "aitdr.feed.dropped"
	// MetricQueueDepth is the messages waiting, by output.
	MetricQueueDepth = "aitdr.feed.queue.depth"
)

const instrumentation = "github.com/aitdr/aitdr/responder/feed"

var (
	attrOutput = attribute.Key("aitdr.feed.output")
	attrReason = attribute.Key("aitdr.feed.reason")
)

// Option sets an optional dependency of a Feed.
type Option func(*options)

type options struct {
	log       *slog.Logger
	mp        metric.MeterProvider
	now       func() time.Time
	lookupEnv func(string) (string, bool)
	extra     []extraOutput
}

type extraOutput struct {
	out Output
	d   Delivery
}

// WithLogger sets the logger. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithMeterProvider sets where the metrics go. Default
// otel.GetMeterProvider() at the time of New.
func WithMeterProvider(mp metric.MeterProvider) Option { return func(o *options) { o.mp = mp } }

// WithClock sets the clock of spill records. Default time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLookupEnv sets how secret environment variables are read. Default
// os.LookupEnv.
func WithLookupEnv(f func(string) (string, bool)) Option { return func(o *options) { o.lookupEnv = f } }

// WithOutput adds an output besides the configured ones, delivered as d
// says (d.Name defaults to out.Name()).
func WithOutput(out Output, d Delivery) Option {
	return func(o *options) { o.extra = append(o.extra, extraOutput{out, d}) }
}

// Stats are the counts of one output since New.
type Stats struct {
	// Queued is the messages waiting now.
	Queued int
	// Delivered, FailedAttempts, Spilled, Replayed and Dropped count as
	// the metrics of the same names do.
	Delivered, FailedAttempts, Spilled, Replayed, Dropped int64
}

// Feed fans messages out to its outputs. Publish is safe for concurrent
// use; Run delivers until its context ends.
type Feed struct {
	o              options
	lanes          []*lane
	replayInterval time.Duration

	delivered, failed, spilled, replayed, dropped metric.Int64Counter
}

// New builds the outputs of cfg (and those of WithOutput) and the feed
// over them. It reads the outputs' secrets and creates the spill
// directory; it sends nothing until Run.
func New(cfg Config, opts ...Option) (*Feed, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("feed config: %w", err)
	}
	o := options{log: slog.Default(), now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.mp == nil {
		o.mp = otel.GetMeterProvider()
	}
	f := &Feed{o: o, replayInterval: cfg.ReplayInterval}
	if f.replayInterval == 0 {
		f.replayInterval = DefaultReplayInterval
	}
	outs, err := cfg.build(o)
	if err != nil {
		return nil, err
	}
	outs = append(outs, o.extra...)
	if len(outs) > 0 && cfg.SpillDir == "" {
		return nil, errors.New("feed config: spill_dir: must be set when outputs are configured")
	}
	maxSpill := cfg.MaxSpillBytes
	if maxSpill == 0 {
		maxSpill = DefaultMaxSpillBytes
	}
	seen := map[string]bool{}
	for _, e := range outs {
		d := e.d.withDefaults(e.out.Name())
		if seen[d.Name] {
			return nil, fmt.Errorf("feed: two outputs are named %q", d.Name)
		}
		seen[d.Name] = true
		sp, err := newSpill(cfg.SpillDir, d.Name, maxSpill)
		if err != nil {
			return nil, err
		}
		l := &lane{f: f, out: e.out, d: d, q: make(chan item, d.QueueSize), spill: sp, attr: metric.WithAttributes(attrOutput.String(d.Name))}
		if b, ok := e.out.(BatchOutput); ok {
			l.batch = b
			l.batchSize, l.batchWait = b.Batch()
			l.batchSize = max(l.batchSize, 1)
		}
		f.lanes = append(f.lanes, l)
	}
	if err := f.instruments(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *Feed) instruments() error {
	m := f.o.mp.Meter(instrumentation)
	var err error
	counter := func(name, desc string) metric.Int64Counter {
		c, e := m.Int64Counter(name, metric.WithUnit("{message}"), metric.WithDescription(desc))
		err = errors.Join(err, e)
		return c
	}
	f.delivered = counter(MetricDelivered, "Messages an output delivered.")
	f.failed = counter(MetricAttemptsFailed, "Failed attempts to deliver to an output.")
	f.spilled = counter(MetricSpilled, "Messages written to an output's spill file, by reason.")
	f.replayed = counter(MetricReplayed, "Spilled messages queued again.")
	f.dropped = counter(MetricDropped, "Messages lost: the spill file was full or unwritable, or a spill line unreadable.")
	_, e := m.Int64ObservableGauge(MetricQueueDepth, metric.WithUnit("{message}"),
		metric.WithDescription("Messages waiting for an output."),
		metric.WithInt64Callback(func(_ context.Context, obs metric.Int64Observer) error {
			for _, l := range f.lanes {
				obs.Observe(int64(len(l.q)), l.attr)
			}
			return nil
		}))
	if err = errors.Join(err, e); err != nil {
		return fmt.Errorf("feed metrics: %w", err)
	}
	return nil
}

// Outputs returns the names of the outputs, in configuration order.
func (f *Feed) Outputs() []string {
	var names []string
	for _, l := range f.lanes {
		names = append(names, l.d.Name)
	}
	return names
}

// Stats returns the counts of the output named name.
func (f *Feed) Stats(name string) Stats {
	for _, l := range f.lanes {
		if l.d.Name == name {
			return Stats{Queued: len(l.q), Delivered: l.nDelivered.Load(), FailedAttempts: l.nFailed.Load(),
				Spilled: l.nSpilled.Load(), Replayed: l.nReplayed.Load(), Dropped: l.nDropped.Load()}
		}
	}
	return Stats{}
}

// Publish queues m for every output that takes it. It never blocks: an
// output whose queue is full gets m in its spill file. It returns an error
// only when m could not be spilled either (and was counted as dropped).
func (f *Feed) Publish(ctx context.Context, m Message) error {
	var errs []error
	for _, l := range f.lanes {
		if !l.d.takes(&m) {
			continue
		}
		select {
		case l.q <- item{m: m}:
		default:
			if err := l.spillOne(ctx, item{m: m}, ReasonQueueFull, nil, 0); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Run replays the spill files, then delivers queued messages until ctx
// ends, replaying spills every replay interval. On the way out it spills
// what is still queued, so that the next start sends it; it returns once
// every output has drained.
func (f *Feed) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, l := range f.lanes {
		g.Go(func() error { l.work(gctx); return nil })
		g.Go(func() error {
			l.replay(gctx)
			t := time.NewTicker(f.replayInterval)
			defer t.Stop()
			for {
				select {
				case <-gctx.Done():
					return nil
				case <-t.C:
					l.replay(gctx)
				}
			}
		})
	}
	err := g.Wait()
	for _, l := range f.lanes {
		if c, ok := l.out.(io.Closer); ok {
			_ = c.Close()
		}
	}
	return err
}

// item is a queued message and the replay file it came from, if any.
type item struct {
	m      Message
	origin *replayFile
}

// lane is one output with its queue and spill file.
type lane struct {
	f     *Feed
	out   Output
	batch BatchOutput
	d     Delivery
	q     chan item
	spill *spill
	attr  metric.MeasurementOption

	batchSize int
	batchWait time.Duration

	nDelivered, nFailed, nSpilled, nReplayed, nDropped atomic.Int64
	lastWarn                                           atomic.Int64
}

// warnInterval is the least time between two logged delivery failures of
// one output; the metrics count them all.
const warnInterval = 10 * time.Second

func (l *lane) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			l.drain()
			return
		case it := <-l.q:
			items := []item{it}
			if l.batch != nil && l.batchSize > 1 {
				items = l.fill(ctx, items)
			}
			l.deliver(ctx, items)
		}
	}
}

// fill adds queued messages to a batch until it is full or the batch wait
// has passed.
func (l *lane) fill(ctx context.Context, items []item) []item {
	timer := time.NewTimer(l.batchWait)
	defer timer.Stop()
	for len(items) < l.batchSize {
		select {
		case it := <-l.q:
			items = append(items, it)
		case <-timer.C:
			return items
		case <-ctx.Done():
			return items
		}
	}
	return items
}

// drain spills what is left in the queue at shutdown.
func (l *lane) drain() {
	for {
		select {
		case it := <-l.q:
			_ = l.spillOne(context.Background(), it, ReasonShutdown, nil, 0)
		default:
			return
		}
	}
}

func (l *lane) send(ctx context.Context, items []item) error {
	if l.batch != nil && len(items) > 0 && l.batchSize > 1 {
		ms := make([]Message, len(items))
		for i, it := range items {
			ms[i] = it.m
		}
		return l.batch.SendBatch(ctx, ms)
	}
	for _, it := range items {
		if err := l.out.Send(ctx, it.m); err != nil {
			return err
		}
	}
	return nil
}

// deliver sends items with retries and backoff, and spills them when the
// attempts run out, the output refuses them or ctx ends.
func (l *lane) deliver(ctx context.Context, items []item) {
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, l.d.Timeout)
		err := l.send(actx, items)
		cancel()
		if err == nil {
			n := int64(len(items))
			l.nDelivered.Add(n)
			l.f.delivered.Add(context.Background(), n, l.attr)
			for _, it := range items {
				it.origin.done()
			}
			return
		}
		l.nFailed.Add(1)
		l.f.failed.Add(context.Background(), 1, l.attr)
		reason := ""
		switch {
		case ctx.Err() != nil:
			reason = ReasonShutdown
		case IsPermanent(err):
			reason = ReasonRejected
		case attempt >= l.d.MaxAttempts:
			reason = ReasonFailed
		}
		if reason != "" {
			l.warn("feed output failed; messages spilled for a later retry", "reason", reason, "messages", len(items), "attempts", attempt, "error", err)
			for _, it := range items {
				_ = l.spillOne(context.Background(), it, reason, err, attempt)
			}
			return
		}
		wait := l.backoff(attempt)
		var ra interface{ RetryAfter() time.Duration }
		if errors.As(err, &ra) && ra.RetryAfter() > wait {
			wait = min(ra.RetryAfter(), l.d.MaxBackoff)
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

// backoff is the wait after the attempt-th failure: Backoff doubled per
// attempt, capped at MaxBackoff, with up to a fifth of jitter.
func (l *lane) backoff(attempt int) time.Duration {
	d := l.d.Backoff << min(attempt-1, 30)
	if d <= 0 || d > l.d.MaxBackoff {
		d = l.d.MaxBackoff
	}
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

func (l *lane) warn(msg string, args ...any) {
	now := time.Now().UnixNano()
	last := l.lastWarn.Load()
	if now-last < int64(warnInterval) || !l.lastWarn.CompareAndSwap(last, now) {
		return
	}
	l.f.o.log.Warn(msg, append([]any{"output", l.d.Name}, args...)...)
}

// spillOne writes it to the spill file, counting it as spilled, or as
// dropped when the file refuses it. A replayed message's origin is done
// either way: the message now lives in the new spill file, or is counted
// lost.
func (l *lane) spillOne(ctx context.Context, it item, reason string, cause error, attempts int) error {
	defer it.origin.done()
	rec := spillRecord{Output: l.d.Name, Reason: reason, Attempts: attempts, SpilledAt: l.f.o.now().UTC(), Message: it.m}
	if cause != nil {
		rec.Error = cause.Error()
	}
	if err := l.spill.write(rec); err != nil {
		l.nDropped.Add(1)
		l.f.dropped.Add(ctx, 1, l.attr)
		l.f.o.log.Error("feed message dropped: it could not be spilled", "output", l.d.Name, "message", it.m.ID, "reason", reason, "error", err)
		return fmt.Errorf("feed output %s: message %s: %w", l.d.Name, it.m.ID, err)
	}
	l.nSpilled.Add(1)
	l.f.spilled.Add(ctx, 1, l.attr, metric.WithAttributes(attrReason.String(reason)))
	return nil
}

// replay queues the spilled messages again: every leftover replay file
// not in flight, and the current spill file, renamed first so that new
// spills go to a fresh one.
func (l *lane) replay(ctx context.Context) {
	files, err := l.spill.replayFiles()
	if err != nil {
		l.f.o.log.Error("feed replay: list spill files", "output", l.d.Name, "error", err)
		return
	}
	for _, rf := range files {
		recs, bad, err := rf.read()
		if err != nil {
			l.f.o.log.Error("feed replay: read spill file", "output", l.d.Name, "file", rf.path, "error", err)
			l.spill.release(rf)
			continue
		}
		for _, line := range bad {
			l.nDropped.Add(1)
			l.f.dropped.Add(ctx, 1, l.attr)
			l.f.o.log.Error("feed replay: unreadable spill line dropped", "output", l.d.Name, "file", rf.path, "line", line)
		}
		rf.pending.Store(int64(len(recs)) + 1) // +1 until every record is queued
		for i, rec := range recs {
			select {
			case l.q <- item{m: rec.Message, origin: rf}:
				l.nReplayed.Add(1)
				l.f.replayed.Add(ctx, 1, l.attr)
			case <-ctx.Done():
				// Not queued: the records left stay in the file, which is
				// kept and replayed at the next start.
				rf.abandon(len(recs) - i)
				return
			}
		}
		rf.done()
	}
}
