package rules_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/metrictest"
	"github.com/aitdr/aitdr/rules"
	"github.com/aitdr/aitdr/schemas"
)

const thresholdRule = `
rules:
  - id: burst
    title: Burst of listing calls
    description: Five listing calls in ten minutes.
    severity: medium
    type: threshold
    condition: 'action.verb == "list"'
    threshold: {window: 10m, gte: 5}
`

// TestThresholdSlidingWindow shows that a threshold window slides with
// event time, whatever order the events arrive in: a burst across any
// ten-minute boundary fires once, on the event that completes it, and a
// spread that never puts five events in ten minutes does not.
func TestThresholdSlidingWindow(t *testing.T) {
	set := loadYAML(t, map[string]string{"r.yaml": thresholdRule})
	at := func(min float64) time.Time { return t0.Add(time.Duration(min * float64(time.Minute))) }
	for _, tc := range []struct {
		name     string
		minutes  []float64 // event times, in arrival order
		evidence [][]string
	}{
		{"burst across a boundary", []float64{8, 9, 9.5, 11, 12}, [][]string{{"e0", "e1", "e2", "e3", "e4"}}},
		{"spread out", []float64{0, 4, 8, 12, 16, 20}, nil},
		{"late event completes a window", []float64{1, 2, 3, 9, 0}, [][]string{{"e4", "e0", "e1", "e2", "e3"}}},
		{"late event completes a window inside the retained ones", []float64{20, 21, 22, 29, 31, 24}, [][]string{{"e0", "e1", "e2", "e5", "e3"}}},
		{"two bursts fire twice", []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, [][]string{{"e0", "e1", "e2", "e3", "e4"}, {"e5", "e6", "e7", "e8", "e9"}}},
		{"too late for the window kept", []float64{60, 61, 62, 63, 10}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newEngine(t, set)
			var events []*schemas.Event
			for i, m := range tc.minutes {
				events = append(events, ev(fmt.Sprintf("e%d", i), at(m)).action("ListModels", schemas.CategoryModelManagement, schemas.VerbList).get())
			}
			got := evidenceIDs(run(e, events...))
			if !slices.EqualFunc(got, tc.evidence, slices.Equal) {
				t.Errorf("alerts' evidence = %v, want %v", got, tc.evidence)
			}
		})
	}
}

// TestThresholdCountsACopyOnce shows that a copy of an event the window
// holds (redelivered upstream after a crash, so at a new offset) counts
// once: four distinct listing calls and a copy of one do not reach five.
func TestThresholdCountsACopyOnce(t *testing.T) {
	set := loadYAML(t, map[string]string{"r.yaml": thresholdRule})
	events := func(ids ...string) []*schemas.Event {
		var out []*schemas.Event
		for i, id := range ids {
			out = append(out, ev(id, t0.Add(time.Duration(i)*time.Minute)).action("ListModels", schemas.CategoryModelManagement, schemas.VerbList).get())
		}
		return out
	}
	e, _ := newEngine(t, set)
	if got := evidenceIDs(run(e, events("e0", "e1", "e2", "e3", "e1")...)); len(got) != 0 {
		t.Fatalf("four distinct events and a copy fired %v", got)
	}
	e, _ = newEngine(t, set)
	got := evidenceIDs(run(e, events("e0", "e1", "e2", "e3", "e1", "e4")...))
	if want := [][]string{{"e0", "e1", "e2", "e3", "e4"}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("evidence = %v, want %v (the copy counted once)", got, want)
	}
}

// TestSequenceOutOfOrderArrival shows that sequence steps are ordered by
// event time, not arrival: a later step arriving first completes when the
// earlier step arrives, and an absent step's event between them, arriving
// at any time before the completion, prevents it.
func TestSequenceOutOfOrderArrival(t *testing.T) {
	set := testRules(t).Only("test-weights-then-service-account")
	weights := func(id string, at time.Time) *schemas.Event {
		return ev(id, at).class(schemas.ClassAIBuilder).action("UpdateModel", schemas.CategoryModelManagement, schemas.VerbUpdate).get()
	}
	account := func(id string, at time.Time) *schemas.Event {
		e := ev(id, at).class(schemas.ClassAIBuilder).action("CreateServiceAccount", schemas.CategoryIAMChange, schemas.VerbCreate)
		e.Target.Environment = schemas.EnvProduction
		return e.get()
	}
	approve := func(id string, at time.Time) *schemas.Event {
		return ev(id, at).class(schemas.ClassAIBuilder).action("ApproveChange", schemas.CategoryAdmin, schemas.VerbUpdate).get()
	}
	for _, tc := range []struct {
		name   string
		events []*schemas.Event
		want   [][]string
	}{
		{"in order", []*schemas.Event{weights("w", t0), account("a", t0.Add(time.Hour))}, [][]string{{"w", "a"}}},
		{"second step first", []*schemas.Event{account("a", t0.Add(time.Hour)), weights("w", t0)}, [][]string{{"w", "a"}}},
		{"steps reversed in time", []*schemas.Event{account("a", t0), weights("w", t0.Add(time.Hour))}, nil},
		{"approval between arriving first", []*schemas.Event{approve("x", t0.Add(30*time.Minute)), weights("w", t0), account("a", t0.Add(time.Hour))}, nil},
		{"approval before the first step does not count", []*schemas.Event{approve("x", t0.Add(-time.Minute)), weights("w", t0), account("a", t0.Add(time.Hour))}, [][]string{{"w", "a"}}},
		{"the latest first step makes the tightest chain", []*schemas.Event{weights("w1", t0), approve("x", t0.Add(10*time.Minute)), weights("w2", t0.Add(20*time.Minute)), account("a", t0.Add(time.Hour))}, [][]string{{"w2", "a"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newEngine(t, set)
			if got := evidenceIDs(run(e, tc.events...)); !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Errorf("alerts' evidence = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSuppressionCountsAndCarries shows that firings within the
// suppression window are not dropped: each is counted (metric) and the
// key's next alert carries their number, in the alert and its extension.
func TestSuppressionCountsAndCarries(t *testing.T) {
	set := testRules(t).Only("test-agent-admin-policy")
	e, reader := newEngine(t, set)
	grant := func(id string, at time.Time, who string) *schemas.Event {
		return ev(id, at).identity(who).class(schemas.ClassAIAgent).
			action("AttachRolePolicy", schemas.CategoryIAMChange, schemas.VerbGrant).attr("aws.policy_name", "IAMFullAccess").get()
	}
	alerts := run(e,
		grant("e0", t0, "agent-a"),
		grant("e1", t0.Add(10*time.Minute), "agent-a"),
		grant("e2", t0.Add(20*time.Minute), "agent-b"), // another key
		grant("e3", t0.Add(30*time.Minute), "agent-a"),
		grant("e4", t0.Add(59*time.Minute), "agent-a"),
		grant("e5", t0.Add(70*time.Minute), "agent-a"), // the window passed
	)
	var got []string
	for _, a := range alerts {
		got = append(got, fmt.Sprintf("%s:%d", a.EvidenceIDs[0], a.SuppressedCount))
		if a.Finding.Unmapped.AITDR.SuppressedCount != a.SuppressedCount || a.Finding.Unmapped.AITDR.DedupKey != a.DedupKey {
			t.Errorf("alert %s: extension suppressed_count %d dedup_key %q, want %d %q", a.ID,
				a.Finding.Unmapped.AITDR.SuppressedCount, a.Finding.Unmapped.AITDR.DedupKey, a.SuppressedCount, a.DedupKey)
		}
	}
	if want := []string{"e0:0", "e2:0", "e5:3"}; !slices.Equal(got, want) {
		t.Errorf("alerts (first evidence:suppressed) = %v, want %v", got, want)
	}
	if n := metrictest.Sum(t, reader, rules.MetricSuppressed, "rule", "test-agent-admin-policy"); n != 3 {
		t.Errorf("%s = %d, want 3", rules.MetricSuppressed, n)
	}
}

// TestExceptions shows that an exception allows the events all its fields
// match (globs and CIDR ranges included) until the end of its expiry day,
// and that the allowed events are counted.
func TestExceptions(t *testing.T) {
	set := testRules(t).Only("test-agent-admin-policy")
	grant := func(at time.Time, who, ip string) *schemas.Event {
		return ev("e", at).identity(who).ip(ip).class(schemas.ClassAIAgent).
			action("AttachRolePolicy", schemas.CategoryIAMChange, schemas.VerbGrant).attr("aws.policy_name", "AdministratorAccess").get()
	}
	lastDay := time.Date(2026, 6, 30, 23, 59, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		event  *schemas.Event
		alerts int
	}{
		{"terraform before expiry", grant(lastDay, "aws:111122223333:role/terraform", ""), 0},
		{"terraform after expiry", grant(lastDay.Add(2*time.Minute), "aws:111122223333:role/terraform", ""), 1},
		{"break-glass from the office", grant(t0, "aws:1:role/breakglass-ops", "10.20.30.40"), 0},
		{"break-glass from elsewhere", grant(t0, "aws:1:role/breakglass-ops", "203.0.113.7"), 1},
		{"another role from the office", grant(t0, "aws:1:role/agent", "10.20.30.40"), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, reader := newEngine(t, set)
			if got := len(run(e, tc.event)); got != tc.alerts {
				t.Errorf("%d alerts, want %d", got, tc.alerts)
			}
			if excepted := metrictest.Sum(t, reader, rules.MetricExceptions, "rule", "test-agent-admin-policy"); excepted != int64(1-tc.alerts) {
				t.Errorf("%s = %d, want %d", rules.MetricExceptions, excepted, 1-tc.alerts)
			}
		})
	}
}

// TestRuntimeErrorCountedOnce shows that an expression failing on an event
// is counted every time, logged once per rule, and that the event still
// goes through the other rules.
func TestRuntimeErrorCountedOnce(t *testing.T) {
	set := loadYAML(t, map[string]string{"r.yaml": `
rules:
  - id: first-finding
    title: First finding is a key
    description: Reads the first finding, failing when there is none.
    severity: low
    condition: 'ai.findings[0].type == "api_key"'
  - id: any-invoke
    title: Any invocation
    description: Every invocation.
    severity: info
    condition: 'action.name == "InvokeModel"'
`})
	var logs bytes.Buffer
	e, reader := newEngine(t, set, rules.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	invoke := func(id string) *schemas.Event {
		return ev(id, t0).action("InvokeModel", schemas.CategoryModelInference, schemas.VerbInvoke).get()
	}
	alerts := run(e, invoke("e0"), invoke("e1"))
	if len(alerts) != 2 || alerts[0].Rule.ID != "any-invoke" {
		t.Fatalf("alerts %v, want one of any-invoke per event", evidenceIDs(alerts))
	}
	if n := metrictest.Sum(t, reader, rules.MetricErrors, "rule", "first-finding"); n != 2 {
		t.Errorf("%s = %d, want 2", rules.MetricErrors, n)
	}
	if n := strings.Count(logs.String(), "rule=first-finding"); n != 1 {
		t.Errorf("the failing rule was logged %d times, want once:\n%s", n, logs.String())
	}
}

// TestCheckpointRestoreAndReplay shows that state checkpointed by one
// engine and restored into another continues where it stopped, and that
// events replayed at offsets the state already folded are skipped rather
// than counted twice.
func TestCheckpointRestoreAndReplay(t *testing.T) {
	set := loadYAML(t, map[string]string{"r.yaml": thresholdRule})
	var events []*schemas.Event
	for i := range 5 {
		events = append(events, ev(fmt.Sprintf("e%d", i), t0.Add(time.Duration(i)*time.Minute)).
			action("ListModels", schemas.CategoryModelManagement, schemas.VerbList).get())
	}
	first, _ := newEngine(t, set)
	for i := range 3 {
		if a := first.Process(events[i], rules.Position{Partition: 2, Offset: int64(i)}, nil); len(a) > 0 {
			t.Fatalf("fired early at event %d", i)
		}
	}
	entries := first.Checkpoint()
	var windows int
	for _, en := range entries {
		if en.Partition != 2 || en.Value == nil {
			t.Fatalf("checkpoint entry %q of partition %d (value %d bytes), want partition 2 and a value", en.Key, en.Partition, len(en.Value))
		}
		if bytes.HasPrefix(en.Key, []byte("burst\x00")) {
			windows++
		}
	}
	// The rule's window, and the ids the engine remembers.
	if windows != 1 || len(entries) != 2 {
		t.Fatalf("checkpoint = %d entries, %d of the rule, want the rule's window and the recent ids", len(entries), windows)
	}
	if again := first.Checkpoint(); len(again) != 0 {
		t.Errorf("a second checkpoint without changes wrote %d entries", len(again))
	}

	second, _ := newEngine(t, set)
	for _, en := range entries {
		if err := second.Restore(en.Partition, en.Key, en.Value); err != nil {
			t.Fatal(err)
		}
	}
	var alerts []*rules.Alert
	// The batch after the last commit replays offsets 1 and 2.
	for i := 1; i < 5; i++ {
		alerts = second.Process(events[i], rules.Position{Partition: 2, Offset: int64(i)}, alerts)
	}
	want := [][]string{{"e0", "e1", "e2", "e3", "e4"}}
	if got := evidenceIDs(alerts); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("after restore and replay: evidence %v, want %v", got, want)
	}
	uninterrupted, _ := newEngine(t, set)
	if ref := run(uninterrupted, events...); len(ref) != 1 || ref[0].ID != alerts[0].ID {
		t.Errorf("alert id %s differs from the uninterrupted run's %v", alerts[0].ID, evidenceIDs(ref))
	}
}

// TestSwapKeepsStateOfUnchangedRules shows that a new rule set keeps the
// windows of the rules whose definition did not change, and drops (with a
// tombstone for the changelog) those of a rule that changed.
func TestSwapKeepsStateOfUnchangedRules(t *testing.T) {
	other := `
  - id: other
    title: Other
    description: Another rule, changed between the sets.
    severity: low
    condition: 'action.name == "%s"'
`
	list := func(id string, m int) *schemas.Event {
		return ev(id, t0.Add(time.Duration(m)*time.Minute)).action("ListModels", schemas.CategoryModelManagement, schemas.VerbList).get()
	}
	before := loadYAML(t, map[string]string{"r.yaml": thresholdRule + fmt.Sprintf(other, "A")})

	t.Run("unchanged rule keeps its window", func(t *testing.T) {
		e, _ := newEngine(t, before)
		run(e, list("e0", 0), list("e1", 1), list("e2", 2))
		e.Swap(loadYAML(t, map[string]string{"r.yaml": thresholdRule + fmt.Sprintf(other, "B")}))
		alerts := e.Process(list("e3", 3), rules.Position{Offset: 3}, nil)
		alerts = e.Process(list("e4", 4), rules.Position{Offset: 4}, alerts)
		if len(alerts) != 1 || len(alerts[0].EvidenceIDs) != 5 {
			t.Errorf("alerts %v, want one with five events", evidenceIDs(alerts))
		}
	})
	t.Run("changed rule starts over", func(t *testing.T) {
		e, _ := newEngine(t, before)
		run(e, list("e0", 0), list("e1", 1), list("e2", 2))
		e.Checkpoint()
		changed := strings.Replace(thresholdRule, "gte: 5", "gte: 4", 1)
		e.Swap(loadYAML(t, map[string]string{"r.yaml": changed + fmt.Sprintf(other, "A")}))
		alerts := e.Process(list("e3", 3), rules.Position{Offset: 3}, nil)
		if len(alerts) != 0 {
			t.Errorf("the changed rule fired on old state: %v", evidenceIDs(alerts))
		}
		var tombstones int
		for _, en := range e.Checkpoint() {
			if en.Value == nil {
				tombstones++
			}
		}
		if tombstones != 1 {
			t.Errorf("%d tombstones, want 1 for the dropped window", tombstones)
		}
	})
}

// TestStateBounds shows that a rule keeps at most MaxKeysPerRule keys,
// evicting the least recently used and counting each eviction.
func TestStateBounds(t *testing.T) {
	set := loadYAML(t, map[string]string{"r.yaml": thresholdRule})
	e, reader := newEngine(t, set, rules.WithLimits(rules.Limits{MaxKeysPerRule: 2}))
	for i := range 5 {
		e.Process(ev(fmt.Sprint(i), t0).identity(fmt.Sprintf("id-%d", i)).
			action("ListModels", schemas.CategoryModelManagement, schemas.VerbList).get(), rules.Position{Offset: int64(i)}, nil)
	}
	if n := e.StateKeys(); n != 2 {
		t.Errorf("%d state keys, want 2", n)
	}
	if n := metrictest.Sum(t, reader, rules.MetricEvictions, "rule", "burst"); n != 3 {
		t.Errorf("%s = %d, want 3", rules.MetricEvictions, n)
	}
}

// TestIndexSkipsRulesThatCannotMatch shows that an event meets only the
// rules listed under its action, category, source or class, and those
// listing none: rules for other actions never see it.
func TestIndexSkipsRulesThatCannotMatch(t *testing.T) {
	var b strings.Builder
	b.WriteString("rules:\n")
	for i := range 20 {
		fmt.Fprintf(&b, `  - id: r%d
    title: t
    description: d
    severity: low
    actions: [Action%d]
    condition: 'ai.findings[0].type == "x"'
`, i, i)
	}
	b.WriteString(`  - id: any
    title: t
    description: d
    severity: low
    condition: 'action.name == "Action3"'
`)
	set := loadYAML(t, map[string]string{"r.yaml": b.String()})
	e, reader := newEngine(t, set)
	alerts := run(e, ev("e", t0).action("Action3", schemas.CategoryOther, schemas.VerbOther).get())
	if len(alerts) != 1 || alerts[0].Rule.ID != "any" {
		t.Fatalf("alerts from %v, want rule any", alerts)
	}
	// Every indexed rule fails on an event without findings, so the errors
	// count the rules the event met: r3 only.
	if n := metrictest.Sum(t, reader, rules.MetricErrors); n != 1 {
		t.Errorf("the event met %d indexed rules, want 1 (r3)", n)
	}
}

// TestAlertIsDeterministic shows that processing the same events again
// gives alerts with the same ids and the same content, and matches the
// reviewed golden alert.
func TestAlertIsDeterministic(t *testing.T) {
	set := testRules(t).Only("test-agent-admin-policy")
	event := func() *schemas.Event {
		e := ev("0b4c1e5a9d7f3e21a8c6b2d4f0e9a7c5", t0).class(schemas.ClassAIAgent).
			action("AttachRolePolicy", schemas.CategoryIAMChange, schemas.VerbGrant).
			attr("aws.policy_name", "AdministratorAccess").ip("203.0.113.7")
		e.Source.Account, e.Source.Region = "111122223333", "us-east-1"
		e.Target = schemas.Target{Type: "iam_role", ID: "arn:aws:iam::111122223333:role/agent", Name: "agent", Environment: schemas.EnvProduction}
		e.Features = schemas.Features{Available: true, RateRatio: schemas.Horizons{H1: 12}}
		return e.get()
	}
	var outs [][]byte
	for range 2 {
		e, _ := newEngine(t, set)
		alerts := run(e, event())
		if len(alerts) != 1 {
			t.Fatalf("%d alerts, want 1", len(alerts))
		}
		if err := alerts[0].Finding.Validate(); err != nil {
			t.Errorf("the finding breaks the alert contract: %v", err)
		}
		if got := alerts[0].Subject(); got != "aitdr.alerts.critical.ai_agent" {
			t.Errorf("subject %q", got)
		}
		b, err := json.MarshalIndent(alerts[0].Finding, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, append(b, '\n'))
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Error("two runs over the same events gave different alerts")
	}
	goldenCompare(t, "alerts/agent-admin-policy.golden.json", outs[0])
}

// TestBaselineBreaks shows that an alert lists the baseline features its
// rule reads, with their values, as the features that fired.
func TestBaselineBreaks(t *testing.T) {
	set := testRules(t).Only("test-token-spike")
	e, _ := newEngine(t, set)
	event := ev("e", t0).get()
	event.Features = schemas.Features{Available: true, TokensRatio: schemas.Horizons{H1: 14}, TokensZ: schemas.Horizons{H1: 5}}
	alerts := run(e, event)
	if len(alerts) != 1 {
		t.Fatalf("%d alerts, want 1", len(alerts))
	}
	var got []string
	for _, b := range alerts[0].Finding.Unmapped.AITDR.Baselines {
		got = append(got, fmt.Sprintf("%s=%g/%g", b.Feature, b.Observed, b.Ratio))
	}
	if want := []string{"tokens_ratio.1h=14/14", "tokens_z.1h=5/0"}; !slices.Equal(got, want) {
		t.Errorf("baselines %v, want %v", got, want)
	}
}

// TestInlineTestsOfTestdata shows the runner passes every inline test of
// the engine's test rules and reports a wrong expectation with its reason.
func TestInlineTestsOfTestdata(t *testing.T) {
	for _, r := range rules.RunTests(testRules(t)) {
		if !r.Passed {
			t.Error(r)
		}
	}
	set, err := rules.LoadPaths("testdata/failing")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rules.RunTests(set) {
		got = append(got, r.String())
	}
	goldenCompare(t, "failing/results.golden", []byte(strings.Join(got, "\n")+"\n"))
}
