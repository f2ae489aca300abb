package baseline_test

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aitdr/aitdr/baseline"
	"github.com/aitdr/aitdr/internal/changelog"
	"github.com/aitdr/aitdr/schemas"
)

// states returns the encoded baselines of p by key, as its changelog holds
// them; it marks them clean.
func states(p *baseline.Partition) map[string][]byte {
	out := map[string][]byte{}
	for _, e := range p.Checkpoint(nil) {
		out[string(e.Key)] = e.Value
	}
	return out
}

// series returns a busy identity's events over 3 hours: 5 events a minute
// with varied volumes, actions and addresses.
func series(id string) []*schemas.Event {
	var out []*schemas.Event
	for i := range 900 {
		at := day0.Add(time.Duration(i) * 12 * time.Second)
		out = append(out, event(id, at, withBytes(int64(100+i%37*50)), func(ev *schemas.Event) {
			ev.Action.Name = []string{"InvokeModel", "Converse", "ListModels"}[i%3]
			ev.Network.SourceIP = []string{"10.0.0.1", "10.0.0.2"}[i%2]
			ev.Volume.TokensIn = int64(i % 50)
			ev.Action.Category = []schemas.Category{schemas.CategoryModelInference, schemas.CategoryDataAccess}[i%2]
		}))
	}
	return out
}

// TestOutOfOrderWithinLateness shows that events shuffled within the
// lateness fold into the same baseline as in order: the features of the
// next event are equal, number for number.
func TestOutOfOrderWithinLateness(t *testing.T) {
	cfg := baseline.DefaultConfig()
	inOrder := series("agent")
	shuffled := slices.Clone(inOrder)
	// Shuffle within windows of 20 events (4 minutes < 5 minutes of
	// lateness), so each event arrives at most 4 minutes after a newer one.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < len(shuffled); i += 20 {
		w := shuffled[i:min(i+20, len(shuffled))]
		rng.Shuffle(len(w), func(a, b int) { w[a], w[b] = w[b], w[a] })
	}
	if slices.Equal(inOrder, shuffled) {
		t.Fatal("test premise: nothing shuffled")
	}
	probe := func(events []*schemas.Event) schemas.Features {
		f := newFeeder(t, cfg)
		for _, ev := range events {
			c := *ev
			f.fold(&c)
		}
		next := event("agent", day0.Add(3*time.Hour+time.Minute), withBytes(777))
		return f.fold(next)
	}
	a, b := probe(inOrder), probe(shuffled)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("features after the events in order:\n%+v\nafter them shuffled within the lateness:\n%+v", a, b)
	}
	if a.BaselineEvents != int64(len(inOrder)) {
		t.Errorf("baseline_events = %d, want %d", a.BaselineEvents, len(inOrder))
	}
}

// TestLateEvents shows that an event older than the identity's newest by
// more than the lateness is passed through with features unavailable and
// not folded, while one just within the lateness is folded.
func TestLateEvents(t *testing.T) {
	cfg := baseline.DefaultConfig()
	cfg.Lateness = 2 * time.Minute
	f := newFeeder(t, cfg)
	newest := day0.Add(time.Hour)
	f.fold(event("id", newest))
	states(f.p)

	late := event("id", newest.Add(-2*time.Minute-time.Millisecond), withBytes(1<<30))
	if o := f.observe(late); o != baseline.Late {
		t.Fatalf("outcome %s, want late_event", o)
	}
	if want := (schemas.Features{UnavailableReason: "late_event"}); late.Features != want {
		t.Errorf("features of a late event = %+v, want %+v", late.Features, want)
	}
	if after := states(f.p); len(after) != 0 {
		t.Errorf("a late event changed the baselines of %v", slices.Collect(mapsKeys(after)))
	}

	onTime := f.fold(event("id", newest.Add(-2*time.Minute), withBytes(10)))
	if onTime.BaselineEvents != 1 || onTime.WindowEvents.M5 < 2 {
		t.Errorf("an event exactly at the lateness: baseline_events %d, window_events.5m %g; want 1 and both events in the window",
			onTime.BaselineEvents, onTime.WindowEvents.M5)
	}
	// Another identity has its own clock: its first event may be older.
	if o := f.observe(event("other", day0)); o != baseline.Folded {
		t.Errorf("first event of another identity, older than this one's: %s", o)
	}
}

func mapsKeys(m map[string][]byte) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestBadInputNeverFolded shows that events without an identity or with an
// absurd time are passed through with the reason and never folded.
func TestBadInputNeverFolded(t *testing.T) {
	f := newFeeder(t, baseline.DefaultConfig())
	f.fold(event("id", day0))
	states(f.p)
	tests := []struct {
		name   string
		ev     *schemas.Event
		reason string
	}{
		{"no identity", event("", day0.Add(time.Minute)), "no_identity"},
		{"identity starting with a NUL byte", event("\x00peer:x", day0.Add(time.Minute)), "no_identity"},
		{"no time", event("id", time.Time{}), "absurd_time"},
		{"before 2000", event("id", time.Date(1999, 12, 31, 23, 59, 0, 0, time.UTC)), "absurd_time"},
		{"in 2100", event("id", time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), func(ev *schemas.Event) { ev.ObservedTime = time.Time{} }), "absurd_time"},
		{"an hour ahead of its observed time", event("id", day0.Add(time.Minute), func(ev *schemas.Event) {
			ev.ObservedTime = ev.Time.Add(-time.Hour)
		}), "absurd_time"},
	}
	for _, tt := range tests {
		o := f.observe(tt.ev)
		if o.String() != tt.reason || tt.ev.Features != (schemas.Features{UnavailableReason: tt.reason}) {
			t.Errorf("%s: outcome %s, features %+v; want %s", tt.name, o, tt.ev.Features, tt.reason)
		}
	}
	if changed := states(f.p); len(changed) != 0 || f.p.Len() != 1 {
		t.Errorf("bad input changed baselines %v; %d identities", slices.Collect(mapsKeys(changed)), f.p.Len())
	}
	// Ten minutes ahead of the observed time is within max_future (15m).
	skewed := event("id", day0.Add(time.Minute), func(ev *schemas.Event) { ev.ObservedTime = ev.Time.Add(-10 * time.Minute) })
	if o := f.observe(skewed); o != baseline.Folded {
		t.Errorf("an event 10 minutes ahead of its observed time: %s, want folded", o)
	}
}

// TestReplayedNotFoldedTwice shows that an event at or below its
// identity's last folded offset (a redelivery after a crash) gets features
// computed against the baseline, marked replayed, and is not folded again.
func TestReplayedNotFoldedTwice(t *testing.T) {
	p, err := baseline.NewPartition(baseline.DefaultConfig(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		p.Observe(int64(i), event("id", day0.Add(time.Duration(i)*time.Second)))
	}
	states(p)
	again := event("id", day0.Add(9*time.Second))
	if o := p.Observe(9, again); o != baseline.Replayed {
		t.Fatalf("outcome %s, want replayed", o)
	}
	if !again.Features.Replayed || !again.Features.Available || again.Features.BaselineEvents != 10 {
		t.Errorf("replayed features = %+v", again.Features)
	}
	if changed := states(p); len(changed) != 0 {
		t.Errorf("a replayed event changed the baseline")
	}
	next := event("id", day0.Add(10*time.Second))
	if o := p.Observe(10, next); o != baseline.Folded || next.Features.BaselineEvents != 10 {
		t.Errorf("the next event: %s with baseline_events %d, want folded after 10", o, next.Features.BaselineEvents)
	}
}

// TestRestoreEqualsUninterrupted shows that a partition restored from the
// changelog entries of another gives the next events the same features,
// and that encoding is stable: restored baselines encode to the same bytes.
func TestRestoreEqualsUninterrupted(t *testing.T) {
	cfg := baseline.DefaultConfig()
	orig, err := baseline.NewPartition(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	var log []changelog.Entry
	var offset int64
	for _, id := range []string{"a", "b", "c"} {
		for _, ev := range series(id) {
			ev.Enrichment.PeerGroup = "ai_agent/team"
			offset++
			orig.Observe(offset, ev)
		}
		log = orig.Checkpoint(log)
	}
	restored, err := baseline.NewPartition(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range log {
		if e.Partition != 3 {
			t.Fatalf("entry of key %q written to partition %d, want 3", e.Key, e.Partition)
		}
		if err := restored.Restore(e.Key, e.Value); err != nil {
			t.Fatalf("restore %q: %v", e.Key, err)
		}
	}
	if restored.Len() != 3 {
		t.Fatalf("restored %d identities, want 3", restored.Len())
	}
	for i, id := range []string{"a", "b", "c", "a"} {
		at := day0.Add(3*time.Hour + time.Duration(i)*time.Hour)
		x, y := event(id, at, withPeer("ai_agent/team"), withBytes(5000)), event(id, at, withPeer("ai_agent/team"), withBytes(5000))
		offset++
		orig.Observe(offset, x)
		restored.Observe(offset, y)
		if !reflect.DeepEqual(x.Features, y.Features) {
			t.Errorf("next event of %s: features\n%+v\nafter a restore:\n%+v", id, x.Features, y.Features)
		}
	}
	a, b := states(orig), states(restored)
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			t.Errorf("baseline %q encodes differently after a restore", k)
		}
	}
}

// TestRestoreRejectsBadState shows that Restore refuses values it cannot
// decode, naming the cause, and keeps the partition as it was.
func TestRestoreRejectsBadState(t *testing.T) {
	p, err := baseline.NewPartition(baseline.DefaultConfig(), 0)
	if err != nil {
		t.Fatal(err)
	}
	p.Observe(1, event("id", day0))
	good := states(p)["id"]
	tests := []struct {
		name  string
		value []byte
		want  string
	}{
		{"empty", []byte{}, "version: truncated"},
		{"newer version", append([]byte{3}, good[1:]...), "unknown state version 3"},
		{"version 0", append([]byte{0}, good[1:]...), "unknown state version 0"},
		{"peer kind under an identity key", append([]byte{2, 2}, good[2:]...), "kind"},
		{"more recent events than kept", overRecent(good), "recent events: 65 is over 64"},
		{"truncated", good[:len(good)-3], "decode identity baseline"},
		{"trailing bytes", append(slices.Clone(good), 0), "bytes after the state"},
	}
	q, _ := baseline.NewPartition(baseline.DefaultConfig(), 0)
	for _, tt := range tests {
		err := q.Restore([]byte("x"), tt.value)
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.want)) {
			t.Errorf("%s: err = %v, want one with %q", tt.name, err, tt.want)
		}
	}
	if q.Len() != 0 {
		t.Errorf("bad states restored %d identities", q.Len())
	}
	if err := q.Restore([]byte("id"), good); err != nil || q.Len() != 1 {
		t.Errorf("good state: %v, %d identities", err, q.Len())
	}
	if err := q.Restore([]byte("id"), nil); err != nil || q.Len() != 0 {
		t.Errorf("tombstone: %v, %d identities", err, q.Len())
	}
}

// overRecent returns good, the state of an identity that folded one event,
// claiming 65 recent events.
func overRecent(good []byte) []byte {
	// The state ends with the recent events: a count of 1, an 8-byte hash
	// and a one-byte age.
	out := slices.Clone(good[:len(good)-10])
	out = append(out, 65)
	return append(out, good[len(good)-9:]...)
}

// FuzzRestore shows that no changelog value makes Restore panic, and that
// whatever it accepts encodes back to a value it accepts.
func FuzzRestore(f *testing.F) {
	p, _ := baseline.NewPartition(baseline.DefaultConfig(), 0)
	for i, ev := range series("seed") {
		ev.Enrichment.PeerGroup = "g"
		p.Observe(int64(i), ev)
	}
	for _, e := range p.Checkpoint(nil) {
		f.Add(e.Key, e.Value)
	}
	f.Add([]byte("k"), []byte{1, 1, 0})
	f.Fuzz(func(t *testing.T, key, value []byte) {
		q, _ := baseline.NewPartition(baseline.DefaultConfig(), 0)
		if err := q.Restore(key, value); err != nil {
			return
		}
		// An accepted identity baseline can take an event and be written.
		if q.Len() == 1 {
			ev := event(string(key), time.Date(2090, 1, 1, 0, 0, 0, 0, time.UTC))
			ev.ObservedTime = time.Time{}
			q.Observe(1<<62, ev)
		}
		for _, e := range q.Checkpoint(nil) {
			r, _ := baseline.NewPartition(baseline.DefaultConfig(), 0)
			if err := r.Restore(e.Key, e.Value); err != nil {
				t.Fatalf("a written baseline does not restore: %v", err)
			}
		}
	})
}

// TestRetention shows that identities idle for longer than the retention,
// against the newest event of their partition, are dropped with a
// tombstone, and start afresh when they come back.
func TestRetention(t *testing.T) {
	f := newFeeder(t, baseline.DefaultConfig()) // 90 days
	f.fold(event("old", day0))
	f.fold(event("recent", day0.Add(30*24*time.Hour)))
	f.fold(event("new", day0.Add(91*24*time.Hour)))
	f.p.Checkpoint(nil)
	if n := f.p.Sweep(); n != 1 || f.p.Len() != 2 {
		t.Fatalf("swept %d identities, %d left; want 1 and 2", n, f.p.Len())
	}
	back := f.fold(event("old", day0.Add(92*24*time.Hour)))
	if back.BaselineEvents != 0 || !back.IsNewAction {
		t.Errorf("a retired identity came back with baseline_events %d", back.BaselineEvents)
	}
	entries := f.p.Checkpoint(nil)
	if len(entries) != 2 || string(entries[0].Key) != "old" || entries[0].Value != nil ||
		string(entries[1].Key) != "old" || entries[1].Value == nil {
		t.Errorf("checkpoint after the sweep and the return: %d entries; want the tombstone of old, then its new baseline", len(entries))
	}
}
