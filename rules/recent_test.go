package rules_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/metrictest"
	"github.com/aitdr/aitdr/rules"
	"github.com/aitdr/aitdr/schemas"
)

const everyListRule = `
rules:
  - id: every-list
    title: Listing call
    description: Every listing call.
    severity: low
    condition: 'action.verb == "list"'
`

// copyAt returns ev as a stage before the rules produces it again after a
// crash: the same event, which the caller delivers at a new offset.
func copyAt(ev *schemas.Event) *schemas.Event {
	c := *ev
	return &c
}

// TestCopiesEvaluatedOnce shows that a copy of an event the engine
// evaluated lately, at a new offset, is not evaluated again by any rule:
// the alerts are those of the stream without the copy, and the copy is
// counted. Without it, a threshold would count a copy of an event an alert
// already took as evidence, a sequence step would advance again on a copy
// and complete with a later event, and a match would fire twice.
func TestCopiesEvaluatedOnce(t *testing.T) {
	list := func(id string, m int) *schemas.Event {
		return ev(id, t0.Add(time.Duration(m)*time.Minute)).action("ListModels", schemas.CategoryModelManagement, schemas.VerbList).get()
	}
	weights := func(id string, m int) *schemas.Event {
		return ev(id, t0.Add(time.Duration(m)*time.Minute)).class(schemas.ClassAIBuilder).action("UpdateModel", schemas.CategoryModelManagement, schemas.VerbUpdate).get()
	}
	account := func(id string, m int) *schemas.Event {
		e := ev(id, t0.Add(time.Duration(m)*time.Minute)).class(schemas.ClassAIBuilder).action("CreateServiceAccount", schemas.CategoryIAMChange, schemas.VerbCreate)
		e.Target.Environment = schemas.EnvProduction
		return e.get()
	}
	for _, tc := range []struct {
		name   string
		set    func(t *testing.T) *rules.Set
		events []*schemas.Event
		copies []int // after the events, copies of these indexes; then more
		more   []*schemas.Event
	}{
		{
			name:   "threshold: a copy of an event taken as evidence",
			set:    func(t *testing.T) *rules.Set { return loadYAML(t, map[string]string{"r.yaml": thresholdRule}) },
			events: []*schemas.Event{list("e0", 0), list("e1", 1), list("e2", 2), list("e3", 3), list("e4", 4)},
			copies: []int{4},
			more:   []*schemas.Event{list("e5", 5), list("e6", 6), list("e7", 7), list("e8", 8)},
		},
		{
			name:   "sequence: a copy of a step already used",
			set:    func(t *testing.T) *rules.Set { return testRules(t).Only("test-weights-then-service-account") },
			events: []*schemas.Event{weights("w", 0), account("a", 30)},
			copies: []int{0},
			more:   []*schemas.Event{account("a2", 90)},
		},
		{
			name:   "sequence: copies of a whole chain",
			set:    func(t *testing.T) *rules.Set { return testRules(t).Only("test-weights-then-service-account") },
			events: []*schemas.Event{weights("w", 0), account("a", 30)},
			copies: []int{0, 1},
		},
		{
			name:   "match: a copy of a firing event",
			set:    func(t *testing.T) *rules.Set { return loadYAML(t, map[string]string{"r.yaml": everyListRule}) },
			events: []*schemas.Event{list("e0", 0), list("e1", 1)},
			copies: []int{0, 1},
			more:   []*schemas.Event{list("e2", 2)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reference, _ := newEngine(t, tc.set(t))
			want := run(reference, append(slices.Clone(tc.events), tc.more...)...)
			if len(want) == 0 {
				t.Fatal("test premise: the stream without copies raises nothing")
			}

			e, reader := newEngine(t, tc.set(t))
			stream := slices.Clone(tc.events)
			for _, i := range tc.copies {
				stream = append(stream, copyAt(tc.events[i]))
			}
			got := run(e, append(stream, tc.more...)...)
			if !slices.EqualFunc(evidenceIDs(got), evidenceIDs(want), slices.Equal) || !slices.EqualFunc(got, want, sameAlertID) {
				t.Errorf("alerts with copies %v, without %v", evidenceIDs(got), evidenceIDs(want))
			}
			if n := metrictest.Sum(t, reader, rules.MetricCopies); n != int64(len(tc.copies)) {
				t.Errorf("%s = %d, want %d", rules.MetricCopies, n, len(tc.copies))
			}
		})
	}
}

func sameAlertID(a, b *rules.Alert) bool { return a.ID == b.ID }

// TestCopiesRecognizedAfterRestore shows that the ids the engine remembers
// are checkpointed and restored with the rest of the state, the ring
// having wrapped: after a restore, a copy of any of the last RecentEvents
// events of the partition is recognized, and a copy of an older one is
// evaluated again (the bound). Another partition's ids are its own.
func TestCopiesRecognizedAfterRestore(t *testing.T) {
	const remembered = 256 // two segments
	set := loadYAML(t, map[string]string{"r.yaml": everyListRule})
	limits := rules.WithLimits(rules.Limits{RecentEvents: remembered})
	var events []*schemas.Event
	for i := range 600 {
		events = append(events, ev(fmt.Sprintf("e%d", i), t0.Add(time.Duration(i)*time.Second)).
			action("ListModels", schemas.CategoryModelManagement, schemas.VerbList).get())
	}
	first, _ := newEngine(t, set, limits)
	var entries []rules.StateEntry
	for i, e := range events {
		first.Process(e, rules.Position{Partition: 1, Offset: int64(i)}, nil)
		if i%50 == 49 || i == len(events)-1 {
			entries = append(entries, first.Checkpoint()...)
		}
	}
	second, reader := newEngine(t, set, limits)
	for _, en := range entries {
		if err := second.Restore(en.Partition, en.Key, en.Value); err != nil {
			t.Fatalf("restore %q: %v", en.Key, err)
		}
	}
	offset := int64(len(events))
	process := func(e *rules.Engine, partition int32, ev *schemas.Event) int {
		offset++
		return len(e.Process(copyAt(ev), rules.Position{Partition: partition, Offset: offset}, nil))
	}
	for _, i := range []int{599, 500, 600 - remembered} {
		if n := process(second, 1, events[i]); n != 0 {
			t.Errorf("copy of e%d (within the last %d) after the restore raised %d alerts, want none", i, remembered, n)
		}
	}
	if n := metrictest.Sum(t, reader, rules.MetricCopies); n != 3 {
		t.Errorf("%s = %d, want 3", rules.MetricCopies, n)
	}
	if n := process(second, 1, events[600-remembered-1]); n != 1 {
		t.Errorf("copy of e%d (beyond the last %d) raised %d alerts, want it evaluated again", 600-remembered-1, remembered, n)
	}
	if n := process(second, 0, events[599]); n != 1 {
		t.Errorf("e599 on another partition raised %d alerts, want 1: partitions remember their own ids", n)
	}

	// The same from the compacted changelog (the latest value of each
	// key), in another order: the ring starts where it stopped whatever
	// the order of its segments.
	latest := map[string]rules.StateEntry{}
	for _, en := range entries {
		latest[string(en.Key)] = en
	}
	keys := slices.Sorted(maps.Keys(latest))
	slices.Reverse(keys)
	third, _ := newEngine(t, set, limits)
	for _, k := range keys {
		if err := third.Restore(latest[k].Partition, latest[k].Key, latest[k].Value); err != nil {
			t.Fatal(err)
		}
	}
	if n := process(third, 1, events[599]); n != 0 {
		t.Errorf("copy of e599 after a restore in reverse order raised %d alerts, want none", n)
	}
	// Ten new events replace the ten oldest remembered.
	for i := range 10 {
		newer := ev(fmt.Sprintf("n%d", i), t0.Add(time.Hour)).action("ListModels", schemas.CategoryModelManagement, schemas.VerbList).get()
		if n := process(third, 1, newer); n != 1 {
			t.Fatalf("new event n%d raised %d alerts, want 1", i, n)
		}
	}
	if n := process(third, 1, events[600-remembered+10]); n != 0 {
		t.Errorf("copy of e%d, the oldest remembered after ten more events, raised %d alerts, want none", 600-remembered+10, n)
	}
	if n := process(third, 1, events[600-remembered+9]); n != 1 {
		t.Errorf("copy of e%d, forgotten after ten more events, raised %d alerts, want it evaluated again", 600-remembered+9, n)
	}
}

// TestRecentEventsRestoreRejectsBadValues shows that a ring segment that
// does not decode is an error naming it, which the stage logs and skips.
func TestRecentEventsRestoreRejectsBadValues(t *testing.T) {
	set := loadYAML(t, map[string]string{"r.yaml": everyListRule})
	e, _ := newEngine(t, set)
	e.Process(ev("e0", t0).action("ListModels", schemas.CategoryModelManagement, schemas.VerbList).get(), rules.Position{Offset: 0}, nil)
	var seg rules.StateEntry
	for _, en := range e.Checkpoint() {
		if len(en.Key) > 0 && en.Key[0] == 0 {
			seg = en
		}
	}
	if seg.Value == nil {
		t.Fatal("test premise: no segment of recent ids checkpointed")
	}
	for _, tc := range []struct {
		name       string
		key, value []byte
	}{
		{"truncated", seg.Key, seg.Value[:len(seg.Value)-3]},
		{"unknown kind", seg.Key, append([]byte{seg.Value[0], 'x'}, seg.Value[2:]...)},
		{"bad segment number", append(slices.Clone(seg.Key[:len(seg.Key)-1]), 'x'), seg.Value},
		{"negative segment number", append(slices.Clone(seg.Key[:len(seg.Key)-1]), '-', '1'), seg.Value},
	} {
		fresh, _ := newEngine(t, set)
		if err := fresh.Restore(0, tc.key, tc.value); err == nil {
			t.Errorf("%s: restored without an error", tc.name)
		}
	}
	// A segment past the ring's capacity (RecentEvents lowered since it
	// was written) is dropped, however far.
	fresh, _ := newEngine(t, set)
	for _, key := range []string{"\x00recent:512", "\x00recent:9223372036854775807"} {
		if err := fresh.Restore(0, []byte(key), seg.Value); err != nil {
			t.Errorf("segment %q past the capacity: %v, want it dropped", key, err)
		}
	}
}
