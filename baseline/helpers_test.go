package baseline_test

import (
	"testing"
	"time"

	"github.com/aitdr/aitdr/baseline"
	"github.com/aitdr/aitdr/schemas"
)

// day0 is a Monday 00:00 UTC: series that start here fill whole buckets of
// every horizon.
var day0 = time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)

// event returns an event of identity id at time t; opts change it.
func event(id string, t time.Time, opts ...func(*schemas.Event)) *schemas.Event {
	ev := &schemas.Event{
		ID:           id + "@" + t.Format(time.RFC3339Nano),
		Time:         t,
		ObservedTime: t.Add(time.Second),
		Identity:     schemas.Principal{ID: id},
		Action:       schemas.Action{Name: "InvokeModel", Service: "bedrock.amazonaws.com", Category: schemas.CategoryModelInference},
		Network:      schemas.Network{SourceIP: "10.0.0.1", UserAgent: "agent/1.0", Country: "FR", ASN: 64500},
	}
	for _, o := range opts {
		o(ev)
	}
	return ev
}

func withBytes(n int64) func(*schemas.Event) {
	return func(ev *schemas.Event) { ev.Volume.BytesIn = n }
}

// withID sets the event id, for events of one identity at one time that
// are distinct events (the default id is the identity and the time).
func withID(id string) func(*schemas.Event) {
	return func(ev *schemas.Event) { ev.ID = id }
}

func withPeer(group string) func(*schemas.Event) {
	return func(ev *schemas.Event) { ev.Enrichment.PeerGroup = group }
}

// feeder observes events on one partition with growing offsets.
type feeder struct {
	t      *testing.T
	p      *baseline.Partition
	offset int64
}

func newFeeder(t *testing.T, cfg baseline.Config) *feeder {
	t.Helper()
	p, err := baseline.NewPartition(cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &feeder{t: t, p: p}
}

// observe observes ev and returns its outcome.
func (f *feeder) observe(ev *schemas.Event) baseline.Outcome {
	f.offset++
	return f.p.Observe(f.offset, ev)
}

// fold observes ev and fails the test unless it is folded.
func (f *feeder) fold(ev *schemas.Event) schemas.Features {
	f.t.Helper()
	if o := f.observe(ev); o != baseline.Folded {
		f.t.Fatalf("event %s: outcome %s, want folded", ev.ID, o)
	}
	return ev.Features
}
