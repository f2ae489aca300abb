package stream_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/stream"
)

// slowRestore is a stateful test processor whose Assign, standing for a
// changelog restore, waits until release is closed.
type slowRestore struct {
	restoring chan struct{} // closed when Assign starts
	release   chan struct{}
}

func (s *slowRestore) Process(context.Context, *kgo.Record, *stream.Output) error { return nil }

func (s *slowRestore) Assign(ctx context.Context, _ map[string][]int32) error {
	close(s.restoring)
	select {
	case <-s.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var _ stream.Assigner = (*slowRestore)(nil)

// condition returns the condition name of r's readiness now.
func condition(t *testing.T, r *stream.Runner, name string) stream.Condition {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range r.Readiness(ctx) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no condition %q in the readiness of the runner", name)
	return stream.Condition{}
}

// waitCondition waits for condition name of r to be ok and its reason to
// hold want.
func waitCondition(t *testing.T, r *stream.Runner, name string, ok bool, want string) stream.Condition {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		c := condition(t, r, name)
		if c.OK == ok && strings.Contains(c.Reason, want) {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition %s = %+v, want ok=%t with %q", name, c, ok, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A runner is not ready before it runs; once the group assigned it its
// partitions it holds them, and its state condition fails, saying what
// it restores and for how long, until its Assigner has restored them; then
// both hold, with the partitions named; once stopped it is not ready
// again.
func TestReadinessWaitsForPartitionsAndRestore(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	in, dlq := kafkatest.Topic(t, brokers, 2), kafkatest.Topic(t, brokers, 1)
	cfg := config(t, brokers, in, dlq)
	proc := &slowRestore{restoring: make(chan struct{}), release: make(chan struct{})}
	r, err := stream.New(cfg, proc, stream.WithLogger(logger(t)))
	if err != nil {
		t.Fatal(err)
	}
	if c := condition(t, r, stream.ConditionPartitions); c.OK || !strings.Contains(c.Reason, "not consuming") {
		t.Errorf("partitions before Run = %+v, want not ok: not consuming", c)
	}
	if c := condition(t, r, stream.ConditionState); c.OK || !strings.Contains(c.Reason, "no assignment yet") {
		t.Errorf("state before Run = %+v, want not ok: no assignment yet", c)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case <-proc.restoring:
	case <-time.After(waitTimeout):
		t.Fatal("Assign was not called")
	}
	held := waitCondition(t, r, stream.ConditionPartitions, true, "holds 2 partitions ("+in+": 0,1) in consumer group "+cfg.Group)
	restoring := waitCondition(t, r, stream.ConditionState, false, "restoring the state of 2 partitions ("+in+": 0,1) for ")
	if err := restoring.Err(); err == nil || err.Error() != restoring.Reason {
		t.Errorf("Err of a failing condition = %v, want its reason", err)
	}
	if r.Ready() {
		t.Error("Ready while the state is being restored")
	}
	t.Logf("during the restore: %s; %s", held.Reason, restoring.Reason)

	close(proc.release)
	restored := waitCondition(t, r, stream.ConditionState, true, "state restored: last 2 partitions ("+in+": 0,1) in ")
	if err := restored.Err(); err != nil {
		t.Errorf("Err of a condition that holds = %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	done <- nil // for the cleanup
	if c := condition(t, r, stream.ConditionPartitions); c.OK {
		t.Errorf("partitions after Run = %+v, want not ok", c)
	}
}

// Two runners of one group on a topic of one partition: one holds it, the
// other holds none, and both are ready, the idle one because its group
// has more members than the topic has partitions, as its reason says. A
// runner without an Assigner has no state to wait for.
func TestReadinessOfAnIdleMember(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	in, dlq := kafkatest.Topic(t, brokers, 1), kafkatest.Topic(t, brokers, 1)
	cfg := config(t, brokers, in, dlq)
	noop := stream.ProcessorFunc(func(context.Context, *kgo.Record, *stream.Output) error { return nil })
	a := start(t, cfg, noop)
	waitCondition(t, a.Runner, stream.ConditionPartitions, true, "holds 1 partition ("+in+": 0)")
	b := start(t, cfg, noop)

	// Once the group settled, one member holds the partition and the
	// other is idle; which one keeps it is the balancer's choice.
	deadline := time.Now().Add(waitTimeout)
	var ca, cb stream.Condition
	for {
		ca, cb = condition(t, a.Runner, stream.ConditionPartitions), condition(t, b.Runner, stream.ConditionPartitions)
		holding := strings.Contains(ca.Reason, "holds 1 partition") != strings.Contains(cb.Reason, "holds 1 partition")
		if ca.OK && cb.OK && holding {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("partitions of a = %+v, of b = %+v: want both ready, one holding the partition", ca, cb)
		}
		time.Sleep(50 * time.Millisecond)
	}
	idle := ca
	if strings.Contains(ca.Reason, "holds 1 partition") {
		idle = cb
	}
	if want := "holds no partitions: consumer group " + cfg.Group + " has 2 members for 1 partition of " + in; idle.Reason != want {
		t.Errorf("idle member's reason = %q, want %q", idle.Reason, want)
	}
	if c := condition(t, b.Runner, stream.ConditionState); !c.OK || c.Reason != "the stage keeps no per-partition state" {
		t.Errorf("state of a stateless runner = %+v", c)
	}
}
