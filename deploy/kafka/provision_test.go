package kafka_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/aitdr/aitdr/deploy/kafka"
	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/schemas"
)

// layout returns the pipeline's topic layout under a prefix unique to the
// test, with 2 partitions to keep the broker light, and deletes its topics
// when the test ends.
func layout(t *testing.T, adm *kadm.Client) []schemas.TopicSpec {
	t.Helper()
	specs := schemas.TopicLayout{Prefix: kafkatest.Name(t) + ".", Partitions: 2}.Specs()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		names := make([]string, len(specs))
		for i, s := range specs {
			names[i] = s.Name
		}
		if _, err := adm.DeleteTopics(ctx, names...); err != nil {
			t.Logf("delete topics: %v", err)
		}
	})
	return specs
}

func describe(t *testing.T, adm *kadm.Client, topic string) map[string]string {
	t.Helper()
	rcs, err := adm.DescribeTopicConfigs(t.Context(), topic)
	if err != nil {
		t.Fatalf("describe configs of %q: %v", topic, err)
	}
	rc, err := rcs.On(topic, nil)
	if err == nil {
		err = rc.Err
	}
	if err != nil {
		t.Fatalf("describe configs of %q: %v", topic, err)
	}
	out := make(map[string]string)
	for _, c := range rc.Configs {
		out[c.Key] = c.MaybeValue()
	}
	return out
}

// TestProvisionIdempotent shows that provisioning creates every topic of the
// layout with its partitions and configs (changelogs compacted, event topics
// with time retention), and that a second run changes nothing and says so.
func TestProvisionIdempotent(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	adm := kafkatest.Admin(t, brokers)
	specs := layout(t, adm)

	first, err := kafka.Provision(t.Context(), adm, specs)
	if err != nil {
		t.Fatalf("first provision: %v", err)
	}
	for _, tr := range first.Topics {
		if tr.Action != kafka.Created || tr.Partitions != 2 {
			t.Errorf("first provision of %s: %s with %d partitions, want created with 2", tr.Name, tr.Action, tr.Partitions)
		}
	}

	second, err := kafka.Provision(t.Context(), adm, specs)
	if err != nil {
		t.Fatalf("second provision: %v", err)
	}
	if second.Changed() {
		t.Errorf("second provision changed topics: %s", second)
	}
	if got := second.String(); got != "9 topics: all up to date" {
		t.Errorf("second provision report = %q, want %q", got, "9 topics: all up to date")
	}

	details, err := adm.ListTopics(kadm.WithAuthorizedOps(t.Context()), specs[0].Name)
	if err != nil {
		t.Fatalf("list topics: %v", err)
	}
	if n := len(details[specs[0].Name].Partitions); n != 2 {
		t.Errorf("%s has %d partitions, want 2", specs[0].Name, n)
	}
	for _, s := range specs {
		got := describe(t, adm, s.Name)
		want := "delete"
		if strings.HasSuffix(s.Name, ".changelog") {
			want = "compact"
		}
		if got["cleanup.policy"] != want {
			t.Errorf("%s: cleanup.policy = %q, want %q", s.Name, got["cleanup.policy"], want)
		}
		for k, v := range s.Configs {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", s.Name, k, got[k], v)
			}
		}
	}
}

// TestProvisionCorrectsDrift shows that a config changed behind the
// pipeline's back is set back to the spec, that the report names the change,
// and that configs outside the spec are left alone.
func TestProvisionCorrectsDrift(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	adm := kafkatest.Admin(t, brokers)
	specs := layout(t, adm)
	if _, err := kafka.Provision(t.Context(), adm, specs); err != nil {
		t.Fatalf("provision: %v", err)
	}

	var events schemas.TopicSpec
	for _, s := range specs {
		if strings.HasSuffix(s.Name, "."+schemas.TopicEvents) {
			events = s
		}
	}
	drift := []kadm.AlterConfig{
		{Op: kadm.SetConfig, Name: "retention.ms", Value: kadm.StringPtr("1000")},
		{Op: kadm.SetConfig, Name: "retention.bytes", Value: kadm.StringPtr("1048576")},
	}
	resps, err := adm.AlterTopicConfigs(t.Context(), drift, events.Name)
	if err == nil {
		_, err = resps.On(events.Name, func(r *kadm.AlterConfigsResponse) error { return r.Err })
	}
	if err != nil {
		t.Fatalf("alter configs of %s: %v", events.Name, err)
	}
	eventually(t, "the broker reporting the drift", func() bool { return describe(t, adm, events.Name)["retention.ms"] == "1000" })

	report, err := kafka.Provision(t.Context(), adm, specs)
	if err != nil {
		t.Fatalf("provision after drift: %v", err)
	}
	want := []kafka.ConfigChange{{Name: "retention.ms", Old: "1000", New: events.Configs["retention.ms"]}}
	for _, tr := range report.Topics {
		switch {
		case tr.Name == events.Name:
			if tr.Action != kafka.Updated || len(tr.Configs) != 1 || tr.Configs[0] != want[0] {
				t.Errorf("%s: %s %+v, want updated %+v", tr.Name, tr.Action, tr.Configs, want)
			}
		case tr.Action != kafka.Unchanged:
			t.Errorf("%s: %s, want unchanged", tr.Name, tr.Action)
		}
	}
	if !strings.Contains(report.String(), "retention.ms 1000 -> ") {
		t.Errorf("report %q does not name the retention.ms change", report)
	}
	got := describe(t, adm, events.Name)
	if got["retention.ms"] != events.Configs["retention.ms"] {
		t.Errorf("retention.ms = %q after provision, want %q", got["retention.ms"], events.Configs["retention.ms"])
	}
	if got["retention.bytes"] != "1048576" {
		t.Errorf("retention.bytes = %q after provision, want the operator's 1048576 kept", got["retention.bytes"])
	}
}

// TestProvisionPartitions shows that a topic with fewer partitions than its
// spec is an error naming the topic unless growth is asked for, that growth
// then happens, and that a topic with more partitions is kept with a note.
func TestProvisionPartitions(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	adm := kafkatest.Admin(t, brokers)
	small := kafkatest.Topic(t, brokers, 1)
	large := kafkatest.Topic(t, brokers, 3)
	spec := func(name string) schemas.TopicSpec {
		return schemas.TopicSpec{Name: name, Partitions: 2, ReplicationFactor: -1, Configs: map[string]string{"cleanup.policy": "delete"}}
	}
	specs := []schemas.TopicSpec{spec(small), spec(large)}

	report, err := kafka.Provision(t.Context(), adm, specs)
	if err == nil || !strings.Contains(err.Error(), small) || !strings.Contains(err.Error(), "has 1 partitions, spec wants 2") {
		t.Fatalf("provision without growth: error %v, want one naming %s and its partition counts", err, small)
	}
	if tr := report.Topics[1]; tr.Action != kafka.Unchanged || len(tr.Notes) != 1 || !strings.Contains(tr.Notes[0], "3 partitions, spec 2") {
		t.Errorf("larger topic: %s %q, want unchanged with a note on 3 partitions", tr.Action, tr.Notes)
	}

	report, err = kafka.Provision(t.Context(), adm, specs, kafka.GrowPartitions())
	if err != nil {
		t.Fatalf("provision with growth: %v", err)
	}
	if tr := report.Topics[0]; tr.Action != kafka.Updated || tr.GrewFrom != 1 || tr.Partitions != 2 {
		t.Errorf("smaller topic: %s from %d to %d partitions, want updated from 1 to 2", tr.Action, tr.GrewFrom, tr.Partitions)
	}
	eventually(t, small+" has 2 partitions", func() bool {
		details, err := adm.ListTopics(kadm.WithAuthorizedOps(t.Context()), small)
		if err != nil {
			t.Fatalf("list topics: %v", err)
		}
		return len(details[small].Partitions) == 2
	})
}

// eventually polls cond until it holds, for up to 10s: a broker applies
// metadata changes (partitions, configs) asynchronously.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestProvisionErrorsNameTheTopic shows that a topic the broker refuses is
// reported by name with the failing step, while the other topics are still
// provisioned.
func TestProvisionErrorsNameTheTopic(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	adm := kafkatest.Admin(t, brokers)
	good := kafkatest.Name(t)
	// Topic names that differ only in '.' and '_' collide in Kafka.
	taken := kafkatest.Name(t) + ".x"
	bad := strings.ReplaceAll(taken, ".", "_")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = adm.DeleteTopics(ctx, good, taken)
	})
	specs := []schemas.TopicSpec{
		{Name: taken, Partitions: 1, ReplicationFactor: -1},
		{Name: bad, Partitions: 1, ReplicationFactor: -1},
		{Name: good, Partitions: 1, ReplicationFactor: -1},
	}
	report, err := kafka.Provision(t.Context(), adm, specs)
	if err == nil || !strings.Contains(err.Error(), `provision topic "`+bad+`": create`) {
		t.Fatalf("error = %v, want one naming %q and the create step", err, bad)
	}
	if report.Topics[2].Action != kafka.Created {
		t.Errorf("%s: %s, want created despite the other topic failing", good, report.Topics[2].Action)
	}

	if _, err := kafka.Provision(t.Context(), adm, []schemas.TopicSpec{specs[2], specs[2]}); err == nil || !strings.Contains(err.Error(), "specified twice") {
		t.Errorf("duplicate specs: error %v, want one saying the topic is specified twice", err)
	}
}
