package baseline_test

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/baseline"
	"github.com/aitdr/aitdr/internal/changelog"
	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

const waitTimeout = 60 * time.Second

// topics of one Kafka test.
type topics struct {
	brokers                 []string
	in, out, dlq, changelog string
	group                   string
}

func newTopics(t *testing.T, partitions int32) topics {
	brokers := kafkatest.Cluster(t)
	return topics{
		brokers:   brokers,
		in:        kafkatest.Topic(t, brokers, partitions),
		out:       kafkatest.Topic(t, brokers, partitions),
		dlq:       kafkatest.Topic(t, brokers, 1),
		changelog: kafkatest.Topic(t, brokers, partitions),
		group:     kafkatest.Name(t),
	}
}

// worker returns a Worker of the test's topics, checkpointing to its
// changelog.
func (tp topics) worker(t *testing.T) *baseline.Worker {
	t.Helper()
	log, err := changelog.Open(changelog.Config{Brokers: tp.brokers, Topic: tp.changelog, Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(log.Close)
	cfg := baseline.DefaultConfig()
	cfg.InputTopic, cfg.OutputTopic = tp.in, tp.out
	w, err := baseline.New(cfg, baseline.WithChangelog(log), baseline.WithLogger(discard()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// running is a Runner started in the background.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

func (tp topics) start(t *testing.T, p stream.Processor, commitInterval time.Duration) *running {
	t.Helper()
	r, err := stream.New(stream.Config{
		Stage:           baseline.Name,
		Brokers:         tp.brokers,
		Group:           tp.group,
		Topics:          []string{tp.in},
		DeadLetterTopic: tp.dlq,
		MaxPollRecords:  25,
		CommitInterval:  commitInterval,
		DrainTimeout:    300 * time.Millisecond,
		ClientOpts: []kgo.Opt{
			kgo.SessionTimeout(6 * time.Second),
			kgo.HeartbeatInterval(100 * time.Millisecond),
			kgo.RebalanceTimeout(5 * time.Second),
		},
	}, p, stream.WithLogger(discard()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rr := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { rr.done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-rr.done
	})
	return rr
}

// stop cancels the runner and returns Run's result.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err
		return err
	case <-time.After(waitTimeout):
		t.Fatalf("runner did not stop within %s", waitTimeout)
		return nil
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// stream returns n events of 8 identities in two peer groups, 7 seconds
// apart, from event index from: every 97th has no identity and every 131st
// is an hour late.
func events(from, n int) []*schemas.Event {
	var out []*schemas.Event
	for i := from; i < from+n; i++ {
		id := fmt.Sprintf("aws:123456789012:role/agent-%d", i%8)
		at := day0.Add(time.Duration(i) * 7 * time.Second)
		if i%131 == 130 {
			at = at.Add(-time.Hour)
		}
		ev := event(id, at, withBytes(int64(1000+i%13*700)), withPeer(fmt.Sprintf("ai_agent/team-%d", i%2)),
			func(ev *schemas.Event) {
				ev.Action.Name = fmt.Sprintf("Action%d", i%5)
				ev.Network.SourceIP = fmt.Sprintf("10.0.0.%d", i%11)
				ev.Volume.TokensOut = int64(i % 300)
			})
		ev.ID = fmt.Sprintf("event-%d", i)
		if i%97 == 96 {
			ev.Identity.ID = ""
		}
		out = append(out, ev)
	}
	return out
}

func records(t *testing.T, topic string, evs []*schemas.Event) []*kgo.Record {
	t.Helper()
	var out []*kgo.Record
	for _, ev := range evs {
		r, err := stream.EventRecord(topic, ev)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// reference returns the features of an uninterrupted run over the input
// topic as it holds n records: each partition's records in offset order
// through one Partition.
func (tp topics) reference(t *testing.T, n int) map[string]schemas.Features {
	t.Helper()
	in := kafkatest.ReadAll(t, tp.brokers, tp.in, n, waitTimeout)
	slices.SortFunc(in, func(a, b *kgo.Record) int {
		if a.Partition != b.Partition {
			return int(a.Partition - b.Partition)
		}
		return int(a.Offset - b.Offset)
	})
	parts := map[int32]*baseline.Partition{}
	want := map[string]schemas.Features{}
	for _, r := range in {
		p := parts[r.Partition]
		if p == nil {
			var err error
			if p, err = baseline.NewPartition(baseline.DefaultConfig(), r.Partition); err != nil {
				t.Fatal(err)
			}
			parts[r.Partition] = p
		}
		var ev schemas.Event
		if err := schemas.DecodeEvent("", r.Value, &ev); err != nil {
			t.Fatal(err)
		}
		p.Observe(r.Offset, &ev)
		want[ev.ID] = ev.Features
	}
	return want
}

// scored decodes the output records by event id, in the order written.
func scored(t *testing.T, rs []*kgo.Record) map[string][]*kgo.Record {
	out := map[string][]*kgo.Record{}
	for _, r := range rs {
		var ev schemas.Event
		if err := schemas.DecodeEvent("", r.Value, &ev); err != nil {
			t.Fatalf("decode scored event: %v", err)
		}
		out[ev.ID] = append(out[ev.ID], r)
	}
	return out
}

// allScored is a ReadUntil condition: every one of n events has an output
// that is not a replay.
func allScored(t *testing.T, n int) func([]*kgo.Record) bool {
	return func(rs []*kgo.Record) bool {
		folded := map[string]bool{}
		for _, r := range rs {
			var ev schemas.Event
			if err := schemas.DecodeEvent("", r.Value, &ev); err != nil {
				t.Fatalf("decode scored event: %v", err)
			}
			if !ev.Features.Replayed {
				folded[ev.ID] = true
			}
		}
		return len(folded) >= n
	}
}

// check compares every output with the uninterrupted run's features: a
// folded output must be equal, a replayed one is a redelivery of an event
// that has a folded output too or was folded before the kill. It returns
// the number of replays seen.
func check(t *testing.T, want map[string]schemas.Features, out map[string][]*kgo.Record) (replays int) {
	t.Helper()
	for id, wf := range want {
		rs := out[id]
		if len(rs) == 0 {
			t.Errorf("event %s: no output", id)
			continue
		}
		for _, r := range rs {
			var ev schemas.Event
			if err := schemas.DecodeEvent("", r.Value, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Identity.ID != "" && string(r.Key) != ev.Identity.ID {
				t.Errorf("event %s: output key %q, want the identity %q", id, r.Key, ev.Identity.ID)
			}
			if ev.Features.Replayed {
				replays++
				continue
			}
			if !reflect.DeepEqual(ev.Features, wf) {
				t.Errorf("event %s: features\n%+v\nuninterrupted run:\n%+v", id, ev.Features, wf)
			}
		}
	}
	return replays
}

// killable is a Worker whose Process blocks on the killAt-th record until
// the Runner's drain timeout cancels it: the Runner then dies without
// flushing that batch or committing anything more.
type killable struct {
	*baseline.Worker
	killAt  int64
	n       atomic.Int64
	blocked chan struct{}
}

func (k *killable) Process(ctx context.Context, in *kgo.Record, out *stream.Output) error {
	if k.n.Add(1) == k.killAt {
		close(k.blocked)
		<-ctx.Done()
		return context.Cause(ctx)
	}
	return k.Worker.Process(ctx, in, out)
}

// TestRestoreAfterKill shows that a worker killed in the middle of its work
// (no clean stop: the batch at hand is neither flushed nor committed, and
// offsets are committed rarely, so most of what it folded is delivered
// again) is replaced by one that restores the baselines from the changelog,
// skips the records they already hold, and gives every event the features
// an uninterrupted run gives.
func TestRestoreAfterKill(t *testing.T) {
	tp := newTopics(t, 3)
	const first, second, killAt = 500, 200, 400
	kafkatest.Produce(t, tp.brokers, records(t, tp.in, events(0, first))...)

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

	next := tp.start(t, tp.worker(t), 100*time.Millisecond)
	kafkatest.Produce(t, tp.brokers, records(t, tp.in, events(first, second))...)
	want := tp.reference(t, first+second)
	out := kafkatest.ReadUntil(t, tp.brokers, tp.out, waitTimeout, allScored(t, first+second))
	if err := next.stop(t); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	replays := check(t, want, scored(t, out))
	if replays == 0 {
		t.Errorf("no replayed output: the test did not make the new worker skip folded records")
	}
	t.Logf("%d outputs for %d events, %d of them replays", len(out), first+second, replays)
}

// tracked is a Worker that counts the partitions it owns and the records
// it processes.
type tracked struct {
	*baseline.Worker
	owned     atomic.Int64
	processed atomic.Int64
}

func (w *tracked) Assign(ctx context.Context, assigned map[string][]int32) error {
	for _, ps := range assigned {
		w.owned.Add(int64(len(ps)))
	}
	return w.Worker.Assign(ctx, assigned)
}

func (w *tracked) Revoke(ctx context.Context, revoked map[string][]int32) {
	for _, ps := range revoked {
		w.owned.Add(-int64(len(ps)))
	}
	w.Worker.Revoke(ctx, revoked)
}

func (w *tracked) Process(ctx context.Context, in *kgo.Record, out *stream.Output) error {
	w.processed.Add(1)
	return w.Worker.Process(ctx, in, out)
}

// until waits for cond.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, waitTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRebalanceKeepsState shows two workers in one group: when the second
// joins, it restores the baselines of the partitions it takes; when the
// first leaves, the second restores the rest; every event gets the
// features of an uninterrupted run.
func TestRebalanceKeepsState(t *testing.T) {
	tp := newTopics(t, 4)
	const phase = 300
	all := records(t, tp.in, events(0, 3*phase))

	kafkatest.Produce(t, tp.brokers, all[:phase]...)
	wa := &tracked{Worker: tp.worker(t)}
	a := tp.start(t, wa, 100*time.Millisecond)
	kafkatest.ReadUntil(t, tp.brokers, tp.out, waitTimeout, allScored(t, phase))

	wb := &tracked{Worker: tp.worker(t)}
	b := tp.start(t, wb, 100*time.Millisecond)
	until(t, "a and b splitting the partitions", func() bool {
		return wa.owned.Load() > 0 && wb.owned.Load() > 0 && wa.owned.Load()+wb.owned.Load() == 4
	})
	kafkatest.Produce(t, tp.brokers, all[phase:2*phase]...)
	kafkatest.ReadUntil(t, tp.brokers, tp.out, waitTimeout, allScored(t, 2*phase))
	if wb.processed.Load() == 0 {
		t.Fatal("b processed nothing after joining")
	}

	if err := a.stop(t); err != nil {
		t.Fatalf("graceful stop of a: %v", err)
	}
	until(t, "b owning every partition", func() bool { return wb.owned.Load() == 4 })
	processedByB := wb.processed.Load()
	kafkatest.Produce(t, tp.brokers, all[2*phase:]...)
	want := tp.reference(t, 3*phase)
	out := kafkatest.ReadUntil(t, tp.brokers, tp.out, waitTimeout, allScored(t, 3*phase))
	if err := b.stop(t); err != nil {
		t.Fatalf("graceful stop of b: %v", err)
	}
	if wb.processed.Load()-processedByB < phase {
		t.Errorf("b processed %d records of the last phase, want all %d", wb.processed.Load()-processedByB, phase)
	}
	check(t, want, scored(t, out))
}

// TestUndecodableToDeadLetter shows that a record that is not an event goes
// to the dead-letter topic with the reason, and the events around it are
// scored.
func TestUndecodableToDeadLetter(t *testing.T) {
	tp := newTopics(t, 1)
	good := records(t, tp.in, events(0, 2))
	bad := &kgo.Record{Topic: tp.in, Key: []byte("aws:123456789012:role/agent-0"), Value: []byte("not msgpack")}
	kafkatest.Produce(t, tp.brokers, good[0], bad, good[1])
	r := tp.start(t, tp.worker(t), 100*time.Millisecond)
	dead := kafkatest.ReadAll(t, tp.brokers, tp.dlq, 1, waitTimeout)
	kafkatest.ReadUntil(t, tp.brokers, tp.out, waitTimeout, allScored(t, 2))
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	reason := string(stream.Header(dead[0], schemas.HeaderDLQReason))
	if string(dead[0].Value) != "not msgpack" || !strings.Contains(reason, "baseline: decode event") {
		t.Errorf("dead letter %q with reason %q", dead[0].Value, reason)
	}
}
