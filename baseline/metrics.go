package baseline

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// instrumentation is the name of the meter of this package.
const instrumentation = "github.com/aitdr/aitdr/baseline"

// Metric names.
const (
	// MetricEvents counts the events scored, with the attribute
	// aitdr.outcome: folded, replayed, late_event, no_identity,
	// absurd_time or copy (a copy of an event folded lately, produced again
	// upstream after a crash, not folded twice).
	MetricEvents = "aitdr.baseline.events"
	// MetricIdentities is the number of identity baselines the worker holds.
	MetricIdentities = "aitdr.baseline.identities"
	// MetricCheckpointed counts the baselines written to the changelog.
	MetricCheckpointed = "aitdr.baseline.checkpointed"
	// MetricRestored counts the baselines restored from the changelog.
	MetricRestored = "aitdr.baseline.restored"
	// MetricRestoreSkipped counts the changelog records that could not be
	// decoded at restore; their identities learn afresh.
	MetricRestoreSkipped = "aitdr.baseline.restore.skipped"
	// MetricSnapshotRows counts the snapshot rows, with the attribute
	// aitdr.result: written or failed.
	MetricSnapshotRows = "aitdr.baseline.snapshot.rows"
	// MetricRetired counts the identities dropped by retention.
	MetricRetired = "aitdr.baseline.retired"
)

var (
	attrOutcome = attribute.Key("aitdr.outcome")
	attrResult  = attribute.Key("aitdr.result")
)

type instruments struct {
	events                                 metric.Int64Counter
	outcomes                               [numOutcomes]metric.MeasurementOption
	checkpointed, restored, restoreSkipped metric.Int64Counter
	snapshotRows, retired                  metric.Int64Counter
	written, failed                        metric.MeasurementOption
	registration                           metric.Registration
	closed                                 atomic.Bool
}

func newInstruments(m metric.Meter, identities *atomic.Int64) (*instruments, error) {
	ins := &instruments{
		written: metric.WithAttributeSet(attribute.NewSet(attrResult.String("written"))),
		failed:  metric.WithAttributeSet(attribute.NewSet(attrResult.String("failed"))),
	}
	for o := range numOutcomes {
		ins.outcomes[o] = metric.WithAttributeSet(attribute.NewSet(attrOutcome.String(outcomeNames[o])))
	}
	var errs []error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		if err != nil {
			errs = append(errs, fmt.Errorf("create metric %s: %w", name, err))
		}
		return c
	}
	ins.events = counter(MetricEvents, "{event}", "Events scored by the baseline stage, by outcome.")
	ins.checkpointed = counter(MetricCheckpointed, "{baseline}", "Baselines written to the changelog.")
	ins.restored = counter(MetricRestored, "{baseline}", "Baselines restored from the changelog.")
	ins.restoreSkipped = counter(MetricRestoreSkipped, "{record}", "Changelog records that could not be decoded at restore.")
	ins.snapshotRows = counter(MetricSnapshotRows, "{row}", "Baseline snapshot rows, by result.")
	ins.retired = counter(MetricRetired, "{identity}", "Identity baselines dropped by retention.")
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	gauge, err := m.Int64ObservableGauge(MetricIdentities, metric.WithUnit("{identity}"),
		metric.WithDescription("Identity baselines held by the worker."))
	if err != nil {
		return nil, fmt.Errorf("create metric %s: %w", MetricIdentities, err)
	}
	ins.registration, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(gauge, identities.Load())
		return nil
	}, gauge)
	if err != nil {
		return nil, fmt.Errorf("register metric callback %s: %w", MetricIdentities, err)
	}
	return ins, nil
}

func (ins *instruments) recordOutcomes(ctx context.Context, counts *[numOutcomes]int64) {
	for o, n := range counts {
		if n > 0 {
			ins.events.Add(ctx, n, ins.outcomes[o])
		}
	}
}

func (ins *instruments) close() error {
	if ins.closed.Swap(true) {
		return nil
	}
	if err := ins.registration.Unregister(); err != nil {
		return fmt.Errorf("baseline: unregister metric callback: %w", err)
	}
	return nil
}
