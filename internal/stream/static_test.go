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

// TestGroupInstanceIDValidate shows which static member ids a Config
// accepts: the brokers' rule for names.
func TestGroupInstanceIDValidate(t *testing.T) {
	valid := stream.Config{
		Stage:           "enrich",
		Brokers:         []string{"127.0.0.1:9092"},
		Group:           "aitdr-enrich",
		Topics:          []string{"aitdr.events"},
		DeadLetterTopic: "aitdr.dlq",
	}
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"", true},
		{"aitdr-0-enrich", true},
		{"host_1.example-enrich", true},
		{strings.Repeat("a", 249), true},
		{strings.Repeat("a", 250), false},
		{"pod 0", false},
		{"pod/0", false},
		{"pod:0", false},
		{"pöd", false},
	} {
		cfg := valid
		cfg.GroupInstanceID = tc.id
		err := cfg.Validate()
		if tc.ok != (err == nil) {
			t.Errorf("group_instance_id %q: Validate() = %v, want ok %v", tc.id, err, tc.ok)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "group_instance_id: ") {
			t.Errorf("group_instance_id %q: error %q does not name the field", tc.id, err)
		}
	}
}

// TestStaticMemberTakesItsPartitionsBack shows a Runner with a group
// instance id: it does not leave its group when it stops (so, to the
// group, a stop and a crash look alike), and the Runner that replaces it
// under the same id gets all its partitions back at once, long before the
// session timeout would have let a new member in, and goes on from the
// committed offsets.
func TestStaticMemberTakesItsPartitionsBack(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	in, out, dlq := kafkatest.Topic(t, brokers, 3), kafkatest.Topic(t, brokers, 3), kafkatest.Topic(t, brokers, 1)
	const sessionTimeout = 20 * time.Second
	cfg := config(t, brokers, in, dlq)
	cfg.GroupInstanceID = "aitdr-test-0-" + cfg.Stage
	cfg.ClientOpts = []kgo.Opt{
		kgo.SessionTimeout(sessionTimeout),
		kgo.HeartbeatInterval(100 * time.Millisecond),
		kgo.RebalanceTimeout(5 * time.Second),
	}
	records := kafkatest.Generate(in, 40, 8, 64)
	st := newState()

	kafkatest.Produce(t, brokers, records[:20]...)
	a := start(t, cfg, &copier{name: "a", to: out, st: st})
	st.until(t, "a processing the first records", func() bool { return len(st.by["a"]) == 20 })
	if err := a.stop(t); err != nil {
		t.Fatalf("stop a: %v", err)
	}

	// The stopped static member is still in the group, holding the
	// partitions: a dynamic member would have left it empty.
	adm := kafkatest.Admin(t, brokers)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	described, err := adm.DescribeGroups(ctx, cfg.Group)
	if err != nil {
		t.Fatalf("describe group %s: %v", cfg.Group, err)
	}
	g := described[cfg.Group]
	if len(g.Members) != 1 || g.Members[0].InstanceID == nil || *g.Members[0].InstanceID != cfg.GroupInstanceID {
		t.Fatalf("group %s after the stop: state %s, members %+v; want the static member %q kept", cfg.Group, g.State, g.Members, cfg.GroupInstanceID)
	}

	started := time.Now()
	kafkatest.Produce(t, brokers, records[20:]...)
	b := start(t, cfg, &copier{name: "b", to: out, st: st})
	st.until(t, "b owning every partition and processing the new records", func() bool {
		return len(st.owned["b"]) == 3 && len(st.by["b"]) == 20
	})
	took := time.Since(started)
	t.Logf("the replacing static member owned its partitions and processed the new records %s after it started", took.Round(time.Millisecond))
	if took >= sessionTimeout/2 {
		t.Errorf("the replacing member took %s, want it well within the %s session timeout", took, sessionTimeout)
	}
	if err := b.stop(t); err != nil {
		t.Fatalf("stop b: %v", err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for i := range records {
		if st.seen[i] != 1 {
			t.Errorf("record %d processed %d times, want once", i, st.seen[i])
		}
	}
	for i := range 20 {
		if st.by["b"][i] {
			t.Errorf("record %d, committed by a, processed again by b", i)
		}
	}
}
