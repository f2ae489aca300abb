package rules

import (
	"context"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

var noopMeter = noop.NewMeterProvider().Meter("")

// Metric names of the rules engine.
const (
	// MetricAlerts counts alerts raised, by rule and severity.
	MetricAlerts = "aitdr.rules.alerts"
	// MetricSuppressed counts firings held back by suppression, by rule;
	// each is carried on the key's next alert as its suppressed count.
	MetricSuppressed = "aitdr.rules.suppressed"
	// MetricExceptions counts events an exception allowed, by rule and
	// exception.
	MetricExceptions = "aitdr.rules.exceptions"
	// MetricErrors counts expression evaluations that failed on an event,
	// by rule.
	MetricErrors = "aitdr.rules.errors"
	// MetricEvictions counts state dropped for a bound (keys per rule,
	// events per key), by rule and kind.
	MetricEvictions = "aitdr.rules.state.evictions"
	// MetricStateKeys is the number of state keys held.
	MetricStateKeys = "aitdr.rules.state.keys"
	// MetricCopies counts the events not evaluated because the engine
	// evaluated the same event id lately on the partition: after a crash,
	// copies produced again upstream at new offsets, and records of its own
	// input read again past its last checkpoint.
	MetricCopies = "aitdr.rules.copies"
)

type instruments struct {
	alerts, suppressed, exceptions, errors, evictions, copies metric.Int64Counter
}

// newInstruments creates the engine's instruments; an instrument that
// cannot be created is replaced by a no-op one (metrics never stop rules).
func newInstruments(m metric.Meter, e *Engine) *instruments {
	counter := func(name, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithDescription(desc))
		if err != nil {
			e.log.Warn("rules metric unavailable", "metric", name, "err", err)
			c, _ = noopMeter.Int64Counter(name)
		}
		return c
	}
	ins := &instruments{
		alerts:     counter(MetricAlerts, "Alerts raised, by rule and severity."),
		suppressed: counter(MetricSuppressed, "Firings held back by suppression and carried on the next alert, by rule."),
		exceptions: counter(MetricExceptions, "Events an exception allowed, by rule and exception."),
		errors:     counter(MetricErrors, "Rule expressions that failed on an event, by rule."),
		evictions:  counter(MetricEvictions, "Rule state dropped for a memory bound, by rule and kind."),
		copies:     counter(MetricCopies, "Events not evaluated: an event id evaluated lately on the partition, delivered again after a crash."),
	}
	_, err := m.Int64ObservableGauge(MetricStateKeys,
		metric.WithDescription("State keys held by the stateful rules."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(e.stateKeys.Load())
			return nil
		}))
	if err != nil {
		e.log.Warn("rules metric unavailable", "metric", MetricStateKeys, "err", err)
	}
	return ins
}
