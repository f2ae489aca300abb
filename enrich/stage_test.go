package enrich_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/enrich"
	"github.com/aitdr/aitdr/internal/changelog"
	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

const waitTimeout = 60 * time.Second

// topics are one test's topics.
type topics struct {
	brokers                    []string
	events, enriched, log, dlq string
}

func newTopics(t *testing.T) topics {
	brokers := kafkatest.Cluster(t)
	return topics{
		brokers:  brokers,
		events:   kafkatest.Topic(t, brokers, 3),
		enriched: kafkatest.Topic(t, brokers, 3),
		log:      kafkatest.Topic(t, brokers, 3),
		dlq:      kafkatest.Topic(t, brokers, 1),
	}
}

// run runs an enrich stage in group until stop is called.
type run struct {
	cancel context.CancelFunc
	done   chan error
}

func startStage(t *testing.T, tp topics, group string) *run {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := testConfig()
	reloader, err := enrich.NewReloader(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := changelog.Open(changelog.Config{Brokers: tp.brokers, Topic: tp.log, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	stage := enrich.NewStage(enrich.StageConfig{InputTopic: tp.events, OutputTopic: tp.enriched},
		enrich.NewEnricher(cfg, reloader.Current), cl, logger)
	r, err := stream.New(stream.Config{
		Stage:           enrich.Name,
		Brokers:         tp.brokers,
		Group:           group,
		Topics:          []string{tp.events},
		DeadLetterTopic: tp.dlq,
		MaxPollRecords:  40,
		CommitInterval:  100 * time.Millisecond,
		DrainTimeout:    20 * time.Second,
		ClientOpts: []kgo.Opt{
			kgo.SessionTimeout(6 * time.Second),
			kgo.HeartbeatInterval(100 * time.Millisecond),
			kgo.RebalanceTimeout(5 * time.Second),
		},
	}, stage, stream.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rr := &run{cancel: cancel, done: make(chan error, 1)}
	go func() { rr.done <- r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-rr.done; rr.done <- nil })
	return rr
}

// stop stops the stage after it drained and committed.
func (r *run) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- nil
		if err != nil {
			t.Fatalf("stage: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("stage did not stop")
	}
}

// produceEvents writes events keyed by identity, as ingest does.
func produceEvents(t *testing.T, tp topics, events []*schemas.Event) {
	t.Helper()
	var recs []*kgo.Record
	for _, ev := range events {
		rec, err := stream.EventRecord(tp.events, ev)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	kafkatest.Produce(t, tp.brokers, recs...)
}

// inventory reads the changelog as the sink does: the last value of each
// key, decoded as a schemas.Identity.
func changelogInventory(t *testing.T, tp topics) map[string]schemas.Identity {
	t.Helper()
	n := int(kafkatest.Count(t, tp.brokers, tp.log))
	recs := kafkatest.ReadAll(t, tp.brokers, tp.log, n, waitTimeout)
	out := map[string]schemas.Identity{}
	for _, r := range recs {
		var id schemas.Identity
		if err := schemas.DecodeIdentity(string(stream.Header(r, schemas.HeaderContentType)), r.Value, &id); err != nil {
			t.Fatalf("changelog record %q is not an identity: %v", r.Key, err)
		}
		if id.ID != string(r.Key) {
			t.Fatalf("changelog key %q holds identity %q", r.Key, id.ID)
		}
		out[id.ID] = id
	}
	return out
}

// expected is the inventory of events folded once each, in process.
func expected(t *testing.T, events []*schemas.Event) map[string]schemas.Identity {
	t.Helper()
	x := enrich.NewEnricher(testConfig(), fixed(lookups(t, testConfig())))
	for _, ev := range events {
		x.Enrich(clone(t, ev), 0, -1)
	}
	out := map[string]schemas.Identity{}
	for _, ev := range events {
		if id := ev.Identity.ID; id != "" {
			out[id] = x.Identity(id).Identity
		}
	}
	return out
}

// clone returns a copy of ev that shares nothing with it.
func clone(t *testing.T, ev *schemas.Event) *schemas.Event {
	t.Helper()
	b, err := schemas.MarshalEvent(ev)
	if err != nil {
		t.Fatal(err)
	}
	var c schemas.Event
	if err := schemas.DecodeEvent("", b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func compare(t *testing.T, when string, got, want map[string]schemas.Identity) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d identities on the changelog, want %d", when, len(got), len(want))
	}
	for id, w := range want {
		g, ok := got[id]
		switch {
		case !ok:
			t.Errorf("%s: %s missing", when, id)
		case g.Events != w.Events || g.Failures != w.Failures || !g.FirstSeen.Equal(w.FirstSeen) ||
			!g.LastSeen.Equal(w.LastSeen) || g.Class != w.Class || g.TargetsTotal != w.TargetsTotal:
			t.Errorf("%s: %s: events %d failures %d first %s last %s class %s targets %d; want %d %d %s %s %s %d", when, id,
				g.Events, g.Failures, g.FirstSeen, g.LastSeen, g.Class, g.TargetsTotal,
				w.Events, w.Failures, w.FirstSeen, w.LastSeen, w.Class, w.TargetsTotal)
		}
	}
}

// TestStageSurvivesRestart shows the inventory survives a restart of the
// stage on a real consumer group: every event is enriched to the output
// topic under its key, the inventory is checkpointed to the changelog as
// schemas.Identity records, a restarted stage restores it and goes on
// from the committed offsets, and a stage that replays the whole input
// (a new group) enriches every event again without folding any twice. A
// record that is not an event goes to the dead-letter topic.
func TestStageSurvivesRestart(t *testing.T) {
	tp := newTopics(t)
	all := allGoldens(t)
	var events []*schemas.Event
	for _, ev := range all {
		if ev.Identity.ID != "" {
			events = append(events, ev)
		}
	}
	first, second := events[:len(events)*2/3], events[len(events)*2/3:]

	group := kafkatest.Name(t)
	produceEvents(t, tp, first)
	kafkatest.Produce(t, tp.brokers, &kgo.Record{Topic: tp.events, Key: []byte("x"), Value: []byte("not an event")})
	r1 := startStage(t, tp, group)
	out := kafkatest.ReadAll(t, tp.brokers, tp.enriched, len(first), waitTimeout)
	r1.stop(t)
	for _, rec := range out {
		var ev schemas.Event
		if err := schemas.DecodeEvent(string(stream.Header(rec, schemas.HeaderContentType)), rec.Value, &ev); err != nil {
			t.Fatalf("enriched record: %v", err)
		}
		if string(rec.Key) != ev.Identity.ID || ev.Enrichment.Class == "" || ev.Enrichment.IdentityFirstSeen.IsZero() {
			t.Fatalf("enriched record key %q identity %q class %q", rec.Key, ev.Identity.ID, ev.Enrichment.Class)
		}
	}
	compare(t, "after the first run", changelogInventory(t, tp), expected(t, first))
	dl := kafkatest.ReadAll(t, tp.brokers, tp.dlq, 1, waitTimeout)
	if reason := string(stream.Header(dl[0], schemas.HeaderDLQReason)); !strings.Contains(reason, "enrich: decode event") {
		t.Errorf("dead letter reason %q", reason)
	}

	// A restart in the same group restores the inventory and goes on.
	produceEvents(t, tp, second)
	r2 := startStage(t, tp, group)
	kafkatest.ReadAll(t, tp.brokers, tp.enriched, len(events), waitTimeout)
	r2.stop(t)
	compare(t, "after the restart", changelogInventory(t, tp), expected(t, events))

	// A new group replays the input from the start: every event is
	// enriched again, none is folded twice.
	r3 := startStage(t, tp, kafkatest.Name(t))
	kafkatest.ReadAll(t, tp.brokers, tp.enriched, 2*len(events), waitTimeout)
	r3.stop(t)
	compare(t, "after the replay", changelogInventory(t, tp), expected(t, events))
	if n := kafkatest.Count(t, tp.brokers, tp.dlq); n != 2 {
		t.Errorf("%d dead letters, want 2 (the bad record, once per group)", n)
	}
}
