package rules

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric/noop"

	"github.com/aitdr/aitdr/schemas"
)

// TestResult is the outcome of one inline test of a rule.
type TestResult struct {
	// Rule is the rule's id.
	Rule string
	// Test is the test's name.
	Test string
	// Pos is where the test is written.
	Pos Pos
	// Passed is true when the events raised what the test expects.
	Passed bool
	// Skipped is true for a test of a disabled rule, which is not run.
	Skipped bool
	// Failures say how the outcome differs from the expectation.
	Failures []string
	// Alerts are the alerts the events raised.
	Alerts []*Alert
}

// String returns "PASS|FAIL|SKIP rule: test (file:line:col)" and, for a
// failure, its reasons on the next lines.
func (r TestResult) String() string {
	status := "PASS"
	switch {
	case r.Skipped:
		status = "SKIP"
	case !r.Passed:
		status = "FAIL"
	}
	s := fmt.Sprintf("%s %s: %s (%s)", status, r.Rule, r.Test, r.Pos)
	for _, f := range r.Failures {
		s += "\n    " + f
	}
	return s
}

// testClock is the creation time of test alerts.
var testClock = func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// RunTests runs the inline tests of every rule of set, each test on a new
// engine holding that rule alone, so that windows, sequences and
// suppression start empty: the events go through in order with the
// defaults of the format filled in, at offsets 0, 1, ... of partition 0.
// Results are in rule and test order.
func RunTests(set *Set) []TestResult {
	var out []TestResult
	for _, r := range set.rules {
		for i, spec := range r.Spec.Tests {
			res := TestResult{Rule: r.ID, Test: spec.Name}
			if i < len(r.testPos) {
				res.Pos = r.testPos[i]
			}
			if !r.Enabled {
				res.Skipped = true
				res.Failures = []string{"the rule is disabled"}
				out = append(out, res)
				continue
			}
			runTest(set, r, spec, &res)
			res.Passed = len(res.Failures) == 0
			out = append(out, res)
		}
	}
	return out
}

// TestEvents returns the events of test spec of rule r with the format's
// defaults filled in.
func TestEvents(r *Rule, spec TestSpec) []schemas.Event {
	events := make([]schemas.Event, len(spec.Events))
	for i, ev := range spec.Events {
		if ev.ID == "" {
			ev.ID = fmt.Sprintf("test-%d", i)
		}
		if ev.SchemaVersion == 0 {
			ev.SchemaVersion = schemas.EventSchemaVersion
		}
		if ev.Time.IsZero() {
			ev.Time = testEpoch.Add(time.Duration(i) * time.Minute)
		}
		if ev.Source.Product == "" && len(r.sources) > 0 {
			ev.Source.Product = r.sources[0]
		}
		if ev.Enrichment.Class == "" && len(r.classes) > 0 {
			ev.Enrichment.Class = r.classes[0]
		}
		if ev.Identity.ID == "" {
			ev.Identity.ID = "test:identity"
		}
		events[i] = ev
	}
	return events
}

func runTest(set *Set, r *Rule, spec TestSpec, res *TestResult) {
	e := NewEngine(set.Only(r.ID),
		WithClock(testClock),
		WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		WithMeterProvider(noop.NewMeterProvider()))
	events := TestEvents(r, spec)
	var current int
	e.onError = func(_ *Rule, err error, _ *schemas.Event) {
		res.Failures = append(res.Failures, fmt.Sprintf("event %d: an expression failed: %v", current, err))
	}
	for i := range events {
		current = i
		res.Alerts = e.Process(&events[i], Position{Offset: int64(i)}, res.Alerts)
	}
	exp := spec.Expect
	if exp.Alerts != nil && len(res.Alerts) != *exp.Alerts {
		res.Failures = append(res.Failures, fmt.Sprintf("got %d alerts, want %d%s", len(res.Alerts), *exp.Alerts, alertSummary(res.Alerts, events)))
	}
	if exp.Severity != "" {
		for i, a := range res.Alerts {
			if string(a.Severity) != exp.Severity {
				res.Failures = append(res.Failures, fmt.Sprintf("alert %d has severity %s, want %s", i, a.Severity, exp.Severity))
			}
		}
	}
	if exp.Evidence != nil && len(res.Alerts) > 0 {
		got := evidenceIndexes(res.Alerts[0], events)
		want := slices.Sorted(slices.Values(exp.Evidence))
		if !slices.Equal(got, want) {
			res.Failures = append(res.Failures, fmt.Sprintf("the first alert's evidence is events %v, want %v", got, want))
		}
	}
	if exp.Suppressed != nil {
		if got := suppressedTotal(e, res.Alerts); got != int64(*exp.Suppressed) {
			res.Failures = append(res.Failures, fmt.Sprintf("suppression held back %d firings, want %d", got, *exp.Suppressed))
		}
	}
}

// evidenceIndexes returns the indexes of the events that are a's evidence.
func evidenceIndexes(a *Alert, events []schemas.Event) []int {
	var out []int
	for _, id := range a.EvidenceIDs {
		if i := slices.IndexFunc(events, func(ev schemas.Event) bool { return ev.ID == id }); i >= 0 {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return out
}

// alertSummary lists the evidence of the alerts, to show what fired.
func alertSummary(alerts []*Alert, events []schemas.Event) string {
	if len(alerts) == 0 {
		return ""
	}
	var parts []string
	for _, a := range alerts {
		parts = append(parts, fmt.Sprint(evidenceIndexes(a, events)))
	}
	return " (evidence of each: " + strings.Join(parts, " ") + ")"
}

// suppressedTotal is the number of firings suppression held back: those
// carried on alerts and those still waiting for the next alert.
func suppressedTotal(e *Engine, alerts []*Alert) int64 {
	var n int64
	for _, a := range alerts {
		n += a.SuppressedCount
	}
	for _, rs := range e.states {
		if rs.sup != nil {
			for _, en := range rs.sup.m {
				n += en.sup.suppressed
			}
		}
	}
	return n
}
