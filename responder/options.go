package responder

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Option sets an optional dependency of a Responder.
type Option func(*options)

type options struct {
	log           *slog.Logger
	mp            metric.MeterProvider
	now           func() time.Time
	audit         AuditSink
	replicas      int
	exceptionsDir string
	logInterval   time.Duration
}

// WithLogger sets the logger. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithMeterProvider sets where the metrics go. Default
// otel.GetMeterProvider() at the time of New.
func WithMeterProvider(mp metric.MeterProvider) Option { return func(o *options) { o.mp = mp } }

// WithClock sets the clock of plans, leases, limits and times to respond.
// Default time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithAudit sets where decisions, outcomes, times to respond and
// dispositions are stored for analysts (ClickHouse). Default none.
func WithAudit(a AuditSink) Option { return func(o *options) { o.audit = a } }

// WithReplicas sets the replica count of the key-value buckets in a NATS
// cluster. Default 1.
func WithReplicas(n int) Option { return func(o *options) { o.replicas = n } }

// WithExceptionsDir sets where proposed rule exceptions are written when
// Config.ExceptionsDir is empty. Default "exceptions" in the working
// directory.
func WithExceptionsDir(dir string) Option { return func(o *options) { o.exceptionsDir = dir } }

// WithFailureLogInterval sets the least time between two warnings while
// audit writes (ClickHouse) or trail publishes (NATS) keep failing: the
// first failure is logged with its error, then one summary per interval
// counts the failed writes and the rows waiting, and one info line tells
// the recovery. Default lograte.DefaultInterval (10s).
func WithFailureLogInterval(d time.Duration) Option { return func(o *options) { o.logInterval = d } }

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
	if o.now == nil {
		o.now = time.Now
	}
	if o.replicas <= 0 {
		o.replicas = 1
	}
	if o.exceptionsDir == "" {
		o.exceptionsDir = "exceptions"
	}
	return o
}

// instrumentation is the name of the meter of this package.
const instrumentation = "github.com/aitdr/aitdr/responder"

// Metric names.
const (
	// MetricAlerts counts the alerts handled, by outcome (aitdr.outcome:
	// planned, no_playbook, redelivered, rejected, closed).
	MetricAlerts = "aitdr.responder.alerts"
	// MetricActions counts the action status changes, by status
	// (aitdr.status), connector (aitdr.connector) and kind (aitdr.action).
	MetricActions = "aitdr.responder.actions"
	// MetricActionLatency is the time from an alert reaching the alert
	// stream to its automatic step's completion, minus the time spent in
	// the provider's API, in seconds: the responder's own latency.
	MetricActionLatency = "aitdr.responder.action.latency"
	// MetricTimeToRespond is the time from an alert's first evidence event
	// to containment done, in seconds, by identity class, severity and dry
	// run (aitdr.dry_run).
	MetricTimeToRespond = "aitdr.responder.time_to_respond"
	// MetricReloads counts playbook reloads by result (aitdr.result: ok,
	// error); after an error the previous set keeps running.
	MetricReloads = "aitdr.responder.playbook.reloads"
	// MetricAuditErrors counts failed audit writes and publishes; they are
	// retried until they succeed.
	MetricAuditErrors = "aitdr.responder.audit.errors"
	// MetricAuditWaiting is the audit rows (action transitions and times
	// to respond) whose write to the audit sink failed and waits for its
	// retry; they are kept in the key-value store meanwhile.
	MetricAuditWaiting = "aitdr.responder.audit.waiting"
	// MetricAuditDropped counts audit rows lost because their record
	// expired from the key-value store (respond.record_ttl after its last
	// change) before the audit sink took them: only an audit sink down for
	// longer than record_ttl loses rows.
	MetricAuditDropped = "aitdr.responder.audit.dropped"
)

type instruments struct {
	alerts, actions, reloads, auditErrors, auditDropped metric.Int64Counter
	latency, ttr                                        metric.Float64Histogram
}

func newInstruments(m metric.Meter, waiting func() int64) (*instruments, error) {
	ins := &instruments{}
	var err error
	counter := func(dst *metric.Int64Counter, name, unit, desc string) {
		if err == nil {
			*dst, err = m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
			if err != nil {
				err = fmt.Errorf("create metric %s: %w", name, err)
			}
		}
	}
	counter(&ins.alerts, MetricAlerts, "{alert}", "Alerts handled by the responder, by outcome.")
	counter(&ins.actions, MetricActions, "{transition}", "Response action status changes, by status, connector and action.")
	counter(&ins.reloads, MetricReloads, "{reload}", "Playbook reloads, by result.")
	counter(&ins.auditErrors, MetricAuditErrors, "{error}", "Failed audit writes and publishes, retried.")
	counter(&ins.auditDropped, MetricAuditDropped, "{row}", "Audit rows lost: their record expired (respond.record_ttl) before the audit sink took them.")
	if err != nil {
		return nil, err
	}
	if _, err := m.Int64ObservableGauge(MetricAuditWaiting, metric.WithUnit("{row}"),
		metric.WithDescription("Audit rows whose write failed, waiting for their retry."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(waiting())
			return nil
		})); err != nil {
		return nil, fmt.Errorf("create metric %s: %w", MetricAuditWaiting, err)
	}
	buckets := metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600)
	if ins.latency, err = m.Float64Histogram(MetricActionLatency, metric.WithUnit("s"), buckets,
		metric.WithDescription("Alert on the stream to automatic action done, minus provider API time.")); err != nil {
		return nil, fmt.Errorf("create metric %s: %w", MetricActionLatency, err)
	}
	if ins.ttr, err = m.Float64Histogram(MetricTimeToRespond, metric.WithUnit("s"), buckets,
		metric.WithDescription("First evidence event to containment done, per alert.")); err != nil {
		return nil, fmt.Errorf("create metric %s: %w", MetricTimeToRespond, err)
	}
	return ins, nil
}

func (ins *instruments) alert(ctx context.Context, outcome string) {
	ins.alerts.Add(ctx, 1, metric.WithAttributes(attribute.String("aitdr.outcome", outcome)))
}

func (ins *instruments) transition(ctx context.Context, a *Action, status ActionStatus) {
	ins.actions.Add(ctx, 1, metric.WithAttributes(
		attribute.String("aitdr.status", string(status)),
		attribute.String("aitdr.connector", a.Connector),
		attribute.String("aitdr.action", string(a.Kind))))
}
