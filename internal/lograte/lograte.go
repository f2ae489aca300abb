// Package lograte logs a failure that repeats — an engine that is down,
// a write retried every second — the way an operator wants to read it:
// the first failure with its error, then at most one summary per interval
// with the failed attempts counted since the line before, and one line
// when it recovers, saying how long it was failing. A stage retrying
// against a dead engine thus writes a handful of lines per minute rather
// than one per attempt, and none of them hides that it is still failing.
package lograte

import (
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// DefaultInterval is the least time between two summary lines of one
// Outage.
const DefaultInterval = 10 * time.Second

// Option sets an optional dependency of an Outage.
type Option func(*Outage)

// WithInterval sets the least time between two summary lines while the
// failure lasts. Default DefaultInterval; zero or less keeps the default.
func WithInterval(d time.Duration) Option {
	return func(o *Outage) {
		if d > 0 {
			o.every = d
		}
	}
}

// WithClock sets the clock the intervals and durations are measured with.
// Default time.Now.
func WithClock(now func() time.Time) Option { return func(o *Outage) { o.now = now } }

// Outage follows one kind of operation that fails and is retried, such as
// "publish alerts to NATS", and logs its failures rate-limited. It is safe
// for concurrent use.
type Outage struct {
	log   *slog.Logger
	what  string
	every time.Duration
	now   func() time.Time

	mu       sync.Mutex
	since    time.Time // first failure of the current outage; zero when not failing
	lastLine time.Time // when the last line of the current outage was written
	failures int64     // failed attempts of the current outage
	unlogged int64     // failed attempts since the last line
	lastErr  error
}

// New returns an Outage of the operation what (an imperative phrase, such
// as "publish alerts to NATS"), logging to logger (slog.Default() when
// nil).
func New(logger *slog.Logger, what string, opts ...Option) *Outage {
	o := &Outage{log: logger, what: what, every: DefaultInterval, now: time.Now}
	for _, opt := range opts {
		opt(o)
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	return o
}

// Fail records a failed attempt. The first failure of an outage is logged
// at once, "<what> failed; retrying", as a warning with attrs (slog
// key-value pairs) and err; later ones are counted and summed up in one
// warning, "<what> still failing", once the interval has passed since the
// last line, with attrs as they are at that moment, failures (the failed
// attempts since that line), failing_for and the latest err. Fail reports
// whether it wrote a line.
func (o *Outage) Fail(err error, attrs ...any) bool {
	return o.FailSince(time.Time{}, err, attrs...)
}

// FailSince is Fail for an attempt that started at start and failed only
// now, such as one that waited for an answer until its timeout: when it
// is the first failure, the outage is dated from start rather than from
// now. A zero start is now.
func (o *Outage) FailSince(start time.Time, err error, attrs ...any) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	o.lastErr = err
	o.failures++
	o.unlogged++
	if o.since.IsZero() {
		o.since, o.lastLine, o.unlogged = now, now, 0
		if !start.IsZero() && start.Before(now) {
			o.since = start
		}
		o.log.Warn(o.what+" failed; retrying", append(attrs[:len(attrs):len(attrs)], "err", err)...)
		return true
	}
	if now.Sub(o.lastLine) < o.every {
		return false
	}
	o.log.Warn(o.what+" still failing", append(attrs[:len(attrs):len(attrs)],
		"failures", o.unlogged, "failing_for", now.Sub(o.since).Round(time.Millisecond), "err", err)...)
	o.lastLine, o.unlogged = now, 0
	return true
}

// OK records a successful attempt. When it ends an outage it logs
// "<what> recovered" at info level with attrs, failed_for (how long the
// operation was failing) and failures (the failed attempts of the whole
// outage), and reports true.
func (o *Outage) OK(attrs ...any) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.since.IsZero() {
		return false
	}
	o.log.Info(o.what+" recovered", append(attrs[:len(attrs):len(attrs)],
		"failed_for", o.now().Sub(o.since).Round(time.Millisecond), "failures", o.failures)...)
	o.since, o.lastLine, o.failures, o.unlogged, o.lastErr = time.Time{}, time.Time{}, 0, 0, nil
	return true
}

// Err returns nil when the operation is not failing, and otherwise an
// error saying for how long and how many attempts it has failed, wrapping
// the latest error: what a readiness check reports.
func (o *Outage) Err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.since.IsZero() {
		return nil
	}
	attempts := "attempts"
	if o.failures == 1 {
		attempts = "attempt"
	}
	return fmt.Errorf("%s failing for %s (%d failed %s): %w",
		o.what, o.now().Sub(o.since).Round(time.Millisecond), o.failures, attempts, o.lastErr)
}
