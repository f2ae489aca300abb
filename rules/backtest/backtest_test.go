package backtest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aitdr/aitdr/rules"
	"github.com/aitdr/aitdr/rules/backtest"
	"github.com/aitdr/aitdr/schemas"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// fixture returns events, shuffled out of time order: alice stops the
// trail twice, bob once; bob fails to log in three times within ten
// minutes (one threshold alert), carol twice (none).
func fixture() []*schemas.Event {
	ev := func(i int, id, action string, outcome schemas.Outcome, at time.Duration) *schemas.Event {
		return &schemas.Event{
			ID: fmt.Sprintf("e%d", i), SchemaVersion: schemas.EventSchemaVersion, Time: t0.Add(at),
			Source:   schemas.Source{Product: schemas.ProductAWSCloudTrail},
			Identity: schemas.Principal{ID: id}, Action: schemas.Action{Name: action}, Outcome: outcome,
		}
	}
	return []*schemas.Event{
		ev(0, "bob", "ConsoleLogin", schemas.OutcomeFailure, 8*time.Minute),
		ev(1, "alice", "StopLogging", schemas.OutcomeSuccess, time.Minute),
		ev(2, "bob", "ConsoleLogin", schemas.OutcomeFailure, 2*time.Minute),
		ev(3, "carol", "ConsoleLogin", schemas.OutcomeFailure, 3*time.Minute),
		ev(4, "alice", "StopLogging", schemas.OutcomeSuccess, 30*time.Minute),
		ev(5, "bob", "ConsoleLogin", schemas.OutcomeFailure, 5*time.Minute),
		ev(6, "carol", "ConsoleLogin", schemas.OutcomeFailure, 40*time.Minute),
		ev(7, "bob", "StopLogging", schemas.OutcomeSuccess, 50*time.Minute),
	}
}

func loadRules(t *testing.T) *rules.Set {
	t.Helper()
	set, err := rules.LoadPaths("testdata/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// checkCounts asserts the per-rule results of the fixture.
func checkCounts(t *testing.T, rep *backtest.Report) {
	t.Helper()
	want := map[string][2]int{"bt-stop-logging": {3, 2}, "bt-login-failures": {1, 1}}
	if len(rep.Rules) != len(want) {
		t.Fatalf("%d rules reported, want %d", len(rep.Rules), len(want))
	}
	for _, r := range rep.Rules {
		w := want[r.Rule]
		if r.Alerts != w[0] || r.Identities != w[1] {
			t.Errorf("%s: %d alerts on %d identities, want %d on %d", r.Rule, r.Alerts, r.Identities, w[0], w[1])
		}
	}
	if top := rep.Rules[0].Top; rep.Rules[0].Rule != "bt-stop-logging" || len(top) != 2 || top[0] != (backtest.IdentityCount{Identity: "alice", Alerts: 2}) {
		t.Errorf("first rule %s top %v, want bt-stop-logging with alice (2) first", rep.Rules[0].Rule, top)
	}
}

// Events out of order are replayed in event-time order through the
// stateful engine: the threshold sees bob's three failures in one window.
func TestRunCounts(t *testing.T) {
	rep, err := backtest.Run(context.Background(), loadRules(t), fixture(), backtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Events != 8 {
		t.Errorf("events = %d, want 8", rep.Events)
	}
	checkCounts(t, rep)
}

// A rule whose past false-positive share exceeds the maximum is flagged;
// one under it is not.
func TestRunFlagsFalsePositives(t *testing.T) {
	rep, err := backtest.Run(context.Background(), loadRules(t), fixture(), backtest.Options{History: map[string]backtest.History{
		"bt-stop-logging":   {Judged: 10, FalsePositives: 1},
		"bt-login-failures": {Judged: 4, FalsePositives: 2},
	}})
	if err != nil {
		t.Fatal(err)
	}
	flagged := rep.Flagged()
	if len(flagged) != 1 || flagged[0].Rule != "bt-login-failures" || flagged[0].FalsePositiveShare != 0.5 {
		t.Fatalf("flagged %+v, want bt-login-failures at 0.5 only", flagged)
	}
}
