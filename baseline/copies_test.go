package baseline_test

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/metrictest"

	"github.com/twmb/franz-go/pkg/kgo"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/aitdr/aitdr/baseline"
	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

// copyOf returns a copy of ev as a stage before the baseline produces it
// again after a crash: the same event, read at a new offset.
func copyOf(ev *schemas.Event) *schemas.Event {
	c := *ev
	c.Features = schemas.Features{}
	return &c
}

// TestCopyNotFoldedTwice shows that a copy of an event its identity folded
// lately, at a new offset, is not folded again: its outcome is Copy, its
// features are computed as for a replay, and the identity's next event gets
// the features of a run that never saw the copy. A copy whose original is
// more than the lateness behind the identity's newest event is late, and
// not folded either.
func TestCopyNotFoldedTwice(t *testing.T) {
	evs := series("agent") // every 12 seconds
	const last = 400       // events folded before the copy
	tests := []struct {
		name    string
		of      int // index of the event copied
		restore bool
		want    baseline.Outcome
	}{
		{"the newest event", last - 1, false, baseline.Copy},
		{"an event 20 back (4 minutes)", last - 21, false, baseline.Copy},
		{"the newest event, after a restore", last - 1, true, baseline.Copy},
		{"an event 20 back, after a restore", last - 21, true, baseline.Copy},
		{"an event 30 back (6 minutes, past the lateness)", last - 31, false, baseline.Late},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reference := newFeeder(t, baseline.DefaultConfig())
			f := newFeeder(t, baseline.DefaultConfig())
			for _, ev := range evs[:last] {
				reference.fold(copyOf(ev))
				f.fold(copyOf(ev))
			}
			if tt.restore {
				restored := newFeeder(t, baseline.DefaultConfig())
				for k, v := range states(f.p) {
					if err := restored.p.Restore([]byte(k), v); err != nil {
						t.Fatal(err)
					}
				}
				restored.offset = f.offset
				f = restored
			}
			states(f.p)
			c := copyOf(evs[tt.of])
			if o := f.observe(c); o != tt.want {
				t.Fatalf("copy of event %d: outcome %s, want %s", tt.of, o, tt.want)
			}
			if tt.want == baseline.Copy && (!c.Features.Replayed || !c.Features.Available || c.Features.BaselineEvents != last) {
				t.Errorf("features of the copy = %+v, want replayed against the %d events folded", c.Features, last)
			}
			if changed := states(f.p); len(changed) != 0 {
				t.Errorf("the copy changed the baseline")
			}
			for _, ev := range evs[last : last+30] {
				want, got := reference.fold(copyOf(ev)), f.fold(copyOf(ev))
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("event %s after the copy: features\n%+v\nwithout the copy:\n%+v", ev.ID, got, want)
				}
			}
		})
	}
}

// TestCopiesBeyondTheBound shows the bound of what an identity remembers:
// of 100 events within the lateness (one every second), a copy of one of
// the last 64 is recognized, and a copy of an older one is folded again.
func TestCopiesBeyondTheBound(t *testing.T) {
	f := newFeeder(t, baseline.DefaultConfig())
	var evs []*schemas.Event
	for i := range 100 {
		ev := event("busy", day0.Add(time.Duration(i)*time.Second))
		evs = append(evs, ev)
		f.fold(copyOf(ev))
	}
	if o := f.observe(copyOf(evs[100-64])); o != baseline.Copy {
		t.Errorf("copy of the 64th newest event: %s, want copy", o)
	}
	if o := f.observe(copyOf(evs[100-65])); o != baseline.Folded {
		t.Errorf("copy of the 65th newest event: %s, want folded (beyond the bound)", o)
	}
}

// TestCopiesAmongEventsEqualUninterrupted shows a stream where, after a
// crash upstream, every event comes twice (the second time at a new
// offset, up to 15 events later, out of order within the lateness), with
// restores from the changelog in between: the features of every first
// delivery equal those of the stream without copies, and every copy is
// recognized.
func TestCopiesAmongEventsEqualUninterrupted(t *testing.T) {
	cfg := baseline.DefaultConfig()
	reference := newFeeder(t, cfg)
	want := map[string]schemas.Features{}
	var all []*schemas.Event
	for _, id := range []string{"a", "b"} {
		all = append(all, series(id)...)
	}
	for _, ev := range all {
		want[ev.ID] = reference.fold(copyOf(ev))
	}
	// Interleave the two identities and, every 60 events, deliver the
	// last 15 again.
	var stream []*schemas.Event
	for i := range len(all) / 2 {
		stream = append(stream, all[i], all[len(all)/2+i])
		if i%30 == 29 {
			stream = append(stream, all[i-7:i+1]...)
			stream = append(stream, all[len(all)/2+i-6:len(all)/2+i+1]...)
		}
	}
	f := newFeeder(t, cfg)
	seen := map[string]bool{}
	copies := 0
	for i, ev := range stream {
		if i%100 == 99 {
			restored := newFeeder(t, cfg)
			for k, v := range states(f.p) {
				if err := restored.p.Restore([]byte(k), v); err != nil {
					t.Fatal(err)
				}
			}
			restored.offset = f.offset
			f = restored
		}
		c := copyOf(ev)
		o := f.observe(c)
		if seen[ev.ID] {
			copies++
			if o != baseline.Copy {
				t.Fatalf("copy of %s: outcome %s, want copy", ev.ID, o)
			}
			continue
		}
		seen[ev.ID] = true
		if o != baseline.Folded || !reflect.DeepEqual(c.Features, want[ev.ID]) {
			t.Fatalf("event %s: outcome %s, features\n%+v\nwithout copies:\n%+v", ev.ID, o, c.Features, want[ev.ID])
		}
	}
	if copies == 0 {
		t.Fatal("test premise: no copies delivered")
	}
}

// TestRestoreVersion1State shows that baselines written by the previous
// version of the state (testdata/state-v1.json: the changelog of identity
// "agent" after series("agent") in peer group ai_agent/team, written
// without recent events) restore and give the next events the features of
// an uninterrupted run.
func TestRestoreVersion1State(t *testing.T) {
	raw, err := os.ReadFile("testdata/state-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	var log []struct {
		Key   string `json:"key"`
		Value []byte `json:"value"`
	}
	if err := json.Unmarshal(raw, &log); err != nil {
		t.Fatalf("testdata/state-v1.json: %v", err)
	}
	restored := newFeeder(t, baseline.DefaultConfig())
	for _, e := range log {
		if len(e.Value) < 2 || e.Value[0] != 1 {
			t.Fatalf("test premise: the state of %q is not of version 1", e.Key)
		}
		if err := restored.p.Restore([]byte(e.Key), e.Value); err != nil {
			t.Fatalf("restore the version 1 state of %q: %v", e.Key, err)
		}
	}
	live := newFeeder(t, baseline.DefaultConfig())
	for _, ev := range series("agent") {
		ev.Enrichment.PeerGroup = "ai_agent/team"
		live.fold(ev)
	}
	restored.offset = live.offset
	next := day0.Add(3 * time.Hour)
	for i := range 10 {
		at := next.Add(time.Duration(i) * 40 * time.Second)
		x, y := event("agent", at, withPeer("ai_agent/team"), withBytes(700)), event("agent", at, withPeer("ai_agent/team"), withBytes(700))
		if got, want := restored.fold(x), live.fold(y); !reflect.DeepEqual(got, want) {
			t.Fatalf("event %d after the restore: features\n%+v\nuninterrupted:\n%+v", i, got, want)
		}
	}
	if got := states(restored.p)["agent"]; len(got) == 0 || got[0] != 2 {
		t.Errorf("a restored version 1 state is written as version %v, want 2", got[:min(len(got), 1)])
	}
}

// TestCopiesCounted shows the Worker counts the copies it does not fold
// in aitdr.baseline.events{aitdr.outcome=copy}.
func TestCopiesCounted(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	w, err := baseline.New(baseline.DefaultConfig(), baseline.WithLogger(discard()),
		baseline.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	evs := series("agent")[:10]
	var offset int64
	process := func(ev *schemas.Event) {
		t.Helper()
		rec, err := stream.EventRecord(schemas.TopicEnriched, ev)
		if err != nil {
			t.Fatal(err)
		}
		rec.Offset = offset
		offset++
		var out stream.Output
		if err := w.Process(context.Background(), rec, &out); err != nil {
			t.Fatal(err)
		}
	}
	for _, ev := range evs {
		process(ev)
	}
	for _, ev := range evs[7:] {
		process(ev)
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, outcome := range []string{"folded", "copy"} {
		got[outcome] = metrictest.Sum(t, reader, baseline.MetricEvents, "aitdr.outcome", outcome)
	}
	if got["folded"] != 10 || got["copy"] != 3 {
		t.Errorf("%s = %v, want 10 folded and 3 copy", baseline.MetricEvents, got)
	}
}

// TestCopiesFromUpstreamAfterKill shows a worker killed in the middle of
// its work, and a stage before it that, after the same crash, produced the
// events it had not committed again: the new worker restores the
// baselines, skips by offset what they hold, recognizes the copies at
// their new offsets, and every event's first delivery gets the features of
// a run without the crash.
func TestCopiesFromUpstreamAfterKill(t *testing.T) {
	tp := newTopics(t, 3)
	const first, killAt, copied, second = 500, 400, 30, 200
	originals := events(0, first)
	kafkatest.Produce(t, tp.brokers, records(t, tp.in, originals)...)

	dying := &killable{Worker: tp.worker(t), killAt: killAt, blocked: make(chan struct{})}
	r := tp.start(t, dying, time.Hour)
	select {
	case <-dying.blocked:
	case <-time.After(waitTimeout):
		t.Fatal("the worker never reached the record to die on")
	}
	if err := r.stop(t); err == nil {
		t.Fatal("the killed runner stopped cleanly; want the drain timeout")
	}

	// The upstream copies: the last events again, at new offsets, then
	// new events.
	kafkatest.Produce(t, tp.brokers, records(t, tp.in, originals[first-copied:])...)
	kafkatest.Produce(t, tp.brokers, records(t, tp.in, events(first, second))...)
	next := tp.start(t, tp.worker(t), 100*time.Millisecond)
	total := first + copied + second
	in := kafkatest.ReadAll(t, tp.brokers, tp.in, total, waitTimeout)
	want := withoutCopies(t, in)
	out := kafkatest.ReadUntil(t, tp.brokers, tp.out, waitTimeout, func(rs []*kgo.Record) bool {
		return len(rs) >= total && allScored(t, first+second)(rs)
	})
	if err := next.stop(t); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	byID := scored(t, out)
	check(t, want, byID)
	for _, ev := range originals[first-copied:] {
		var folded, replayed int
		for _, r := range byID[ev.ID] {
			var got schemas.Event
			if err := schemas.DecodeEvent("", r.Value, &got); err != nil {
				t.Fatal(err)
			}
			if got.Features.Replayed {
				replayed++
			} else {
				folded++
			}
		}
		if ev.Identity.ID == "" {
			continue // no baseline: every delivery is no_identity
		}
		// Replayed: the copy, and the redelivery by offset when the
		// killed worker had folded the original.
		if folded != 1 || replayed < 1 {
			t.Errorf("event %s (copied upstream): %d folded and %d replayed outputs, want 1 folded and the copy replayed", ev.ID, folded, replayed)
		}
	}
}

// withoutCopies returns the features of a run over the input records
// without the copies (each event id's first record only): each
// partition's records in offset order through one Partition.
func withoutCopies(t *testing.T, in []*kgo.Record) map[string]schemas.Features {
	t.Helper()
	slices.SortFunc(in, func(a, b *kgo.Record) int {
		if a.Partition != b.Partition {
			return int(a.Partition - b.Partition)
		}
		return int(a.Offset - b.Offset)
	})
	parts := map[int32]*baseline.Partition{}
	want := map[string]schemas.Features{}
	for _, r := range in {
		var ev schemas.Event
		if err := schemas.DecodeEvent("", r.Value, &ev); err != nil {
			t.Fatal(err)
		}
		if _, ok := want[ev.ID]; ok {
			continue
		}
		p := parts[r.Partition]
		if p == nil {
			var err error
			if p, err = baseline.NewPartition(baseline.DefaultConfig(), r.Partition); err != nil {
				t.Fatal(err)
			}
			parts[r.Partition] = p
		}
		p.Observe(r.Offset, &ev)
		want[ev.ID] = ev.Features
	}
	return want
}
