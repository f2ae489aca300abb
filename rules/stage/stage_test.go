package stage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/internal/changelog"
	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/natstest"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/rules"
	"github.com/aitdr/aitdr/rules/stage"
	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// waitTimeout bounds every wait of the tests.
const waitTimeout = 30 * time.Second

const burstRule = `
rules:
  - id: burst
    title: Burst of listing calls
    description: Five listing calls in ten minutes.
    severity: medium
    type: threshold
    condition: 'action.verb == "list"'
    threshold: {window: 10m, gte: 5}
  - id: invoke-with-key
    title: Model invoked with a leaked key
    description: A prompt carried an API key.
    severity: high
    identity_classes: [ai_agent]
    condition: 'action.name == "InvokeModel" && has_finding("api_key")'
`

// topics are the topics of one test run.
type topics struct {
	brokers                        []string
	scored, alerts, changelog, dlq string
}

func newTopics(t *testing.T) topics {
	brokers := kafkatest.Cluster(t)
	return topics{
		brokers:   brokers,
		scored:    kafkatest.Topic(t, brokers, 2),
		alerts:    kafkatest.Topic(t, brokers, 2),
		changelog: kafkatest.Topic(t, brokers, 2),
		dlq:       kafkatest.Topic(t, brokers, 1),
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func loadSet(t *testing.T, yaml string) *rules.Set {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "r.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := rules.LoadPaths(dir)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// startStage runs the rules stage over tp in group with its own engine and
// returns a function that stops it and returns Run's result.
func startStage(t *testing.T, tp topics, group string, set *rules.Set, sink stage.AlertSink) func() error {
	t.Helper()
	return runStage(t, tp, group, set, func(o *stage.Options) { o.Sink = sink }).stop
}

// running is a rules stage run by runStage.
type running struct {
	proc *stage.Processor
	// finished is closed when Run returned, by itself or after stop.
	finished <-chan struct{}
	// stop stops the stage (if still running) and returns Run's result.
	stop func() error
}

// runStage runs the rules stage over tp in group with its own engine and
// the options edit changes.
func runStage(t *testing.T, tp topics, group string, set *rules.Set, edit func(*stage.Options)) running {
	t.Helper()
	engine := rules.NewEngine(set, rules.WithLogger(quiet()))
	producer := kafkatest.Client(t, tp.brokers, kgo.ProducerLinger(0))
	log, err := changelog.Open(changelog.Config{Brokers: tp.brokers, Topic: tp.changelog, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(log.Close)
	opts := stage.Options{
		InputTopic: tp.scored, AlertsTopic: tp.alerts, Producer: producer, Changelog: log,
		PublishTimeout: 10 * time.Second, Logger: quiet(),
	}
	if edit != nil {
		edit(&opts)
	}
	proc, err := stage.New(engine, opts)
	if err != nil {
		t.Fatal(err)
	}
	runner, err := stream.New(stream.Config{
		Stage: stage.Name, Brokers: tp.brokers, Group: group, Topics: []string{tp.scored},
		DeadLetterTopic: tp.dlq, MaxPollRecords: 50, CommitInterval: 100 * time.Millisecond, DrainTimeout: 10 * time.Second,
		ClientOpts: []kgo.Opt{kgo.SessionTimeout(6 * time.Second), kgo.HeartbeatInterval(100 * time.Millisecond), kgo.RebalanceTimeout(5 * time.Second)},
	}, proc, stream.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	var result error
	go func() {
		result = runner.Run(ctx)
		close(finished)
	}()
	stop := func() error {
		cancel()
		select {
		case <-finished:
			return result
		case <-time.After(waitTimeout):
			t.Fatal("the stage did not stop")
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })
	return running{proc: proc, finished: finished, stop: stop}
}

func scored(t *testing.T, topic, id, identity string, at time.Time, mutate func(*schemas.Event)) *kgo.Record {
	t.Helper()
	ev := &schemas.Event{
		ID: id, SchemaVersion: schemas.EventSchemaVersion, Time: at,
		Source:     schemas.Source{Product: schemas.ProductAWSCloudTrail},
		Identity:   schemas.Principal{ID: identity, Kind: schemas.KindAgent},
		Action:     schemas.Action{Name: "ListFoundationModels", Category: schemas.CategoryModelManagement, Verb: schemas.VerbList},
		Outcome:    schemas.OutcomeSuccess,
		Enrichment: schemas.Enrichment{Class: schemas.ClassAIAgent},
	}
	if mutate != nil {
		mutate(ev)
	}
	r, err := stream.EventRecord(topic, ev)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestStageAlertsToKafkaAndNATS shows the stage end to end: scored events
// in, alerts out on the alerts topic keyed by identity and on JetStream on
// aitdr.alerts.<severity>.<class> with the alert id as Nats-Msg-Id, and a
// record that is not an event in the dead-letter topic.
func TestStageAlertsToKafkaAndNATS(t *testing.T) {
	tp := newTopics(t)
	nc := natstest.Connect(t, natstest.Server(t))
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	streamName := "ALERTS_" + strings.ToUpper(strings.ReplaceAll(kafkatest.Name(t), "-", "_"))
	subjectPrefix := "aitdr.alerts"
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: streamName, Subjects: []string{subjectPrefix + ".>"}, Duplicates: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	startStage(t, tp, kafkatest.Name(t), loadSet(t, burstRule), stage.NewJetStream(js))

	var records []*kgo.Record
	for i := range 5 {
		records = append(records, scored(t, tp.scored, fmt.Sprintf("list-%d", i), "aws:1:role/scanner", t0.Add(time.Duration(i)*time.Minute), nil))
	}
	records = append(records, scored(t, tp.scored, "invoke-0", "aws:1:role/agent", t0, func(ev *schemas.Event) {
		ev.Action = schemas.Action{Name: "InvokeModel", Category: schemas.CategoryModelInference, Verb: schemas.VerbInvoke}
		ev.AI.Findings = []schemas.DataFinding{{Type: schemas.DataAPIKey, Count: 1}}
	}))
	records = append(records, &kgo.Record{Topic: tp.scored, Key: []byte("x"), Value: []byte("not an event")})
	kafkatest.Produce(t, tp.brokers, records...)

	alerts := kafkatest.ReadAll(t, tp.brokers, tp.alerts, 2, waitTimeout)
	byRule := map[string]ocsf.DetectionFinding{}
	for _, r := range alerts {
		var f ocsf.DetectionFinding
		if err := json.Unmarshal(r.Value, &f); err != nil {
			t.Fatalf("alert is not JSON: %v", err)
		}
		if string(r.Key) != f.Unmapped.AITDR.Identity.ID {
			t.Errorf("alert keyed %q, want its identity %q", r.Key, f.Unmapped.AITDR.Identity.ID)
		}
		if got := string(stream.Header(r, schemas.HeaderContentType)); got != ocsf.ContentType {
			t.Errorf("content type %q", got)
		}
		byRule[f.Unmapped.AITDR.Rule.ID] = f
	}
	if got := byRule["burst"].Unmapped.AITDR.EvidenceEventIDs; len(got) != 5 {
		t.Errorf("burst alert evidence %v, want the five listing events", got)
	}
	if byRule["invoke-with-key"].FindingInfo.UID == "" {
		t.Errorf("no alert of invoke-with-key among %v", byRule)
	}

	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(2, jetstream.FetchMaxWait(waitTimeout))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for msg := range batch.Messages() {
		got[msg.Subject()] = msg.Headers().Get(schemas.HeaderNATSMsgID)
	}
	want := map[string]string{
		"aitdr.alerts.medium.ai_agent": byRule["burst"].FindingInfo.UID,
		"aitdr.alerts.high.ai_agent":   byRule["invoke-with-key"].FindingInfo.UID,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("NATS messages (subject: msg id) = %v, want %v", got, want)
	}
	dead := kafkatest.ReadAll(t, tp.brokers, tp.dlq, 1, waitTimeout)
	if reason := string(stream.Header(dead[0], schemas.HeaderDLQReason)); !strings.Contains(reason, "decode event") {
		t.Errorf("dead letter reason %q", reason)
	}
}

// TestStateRestoredThroughKafka shows that a threshold window survives a
// restart: the first stage checkpoints it to the changelog, the second
// restores it when its partitions are assigned and fires on the events
// that complete the window, with every event as evidence.
func TestStateRestoredThroughKafka(t *testing.T) {
	tp := newTopics(t)
	group := kafkatest.Name(t)
	set := loadSet(t, burstRule)
	list := func(i int) *kgo.Record {
		return scored(t, tp.scored, fmt.Sprintf("list-%d", i), "aws:1:role/scanner", t0.Add(time.Duration(i)*time.Minute), nil)
	}

	stop := startStage(t, tp, group, set, nil)
	kafkatest.Produce(t, tp.brokers, list(0), list(1), list(2))
	deadline := time.Now().Add(waitTimeout)
	for kafkatest.Count(t, tp.brokers, tp.changelog) == 0 || sum(kafkatest.Committed(t, tp.brokers, group, tp.scored)) < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the first stage did not checkpoint and commit its three events")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatalf("first stage: %v", err)
	}
	if n := kafkatest.Count(t, tp.brokers, tp.alerts); n != 0 {
		t.Fatalf("%d alerts before the window was full", n)
	}

	startStage(t, tp, group, set, nil)
	kafkatest.Produce(t, tp.brokers, list(3), list(4))
	alerts := kafkatest.ReadAll(t, tp.brokers, tp.alerts, 1, waitTimeout)
	var f ocsf.DetectionFinding
	if err := json.Unmarshal(alerts[0].Value, &f); err != nil {
		t.Fatal(err)
	}
	want := []string{"list-0", "list-1", "list-2", "list-3", "list-4"}
	if got := f.Unmapped.AITDR.EvidenceEventIDs; !slices.Equal(got, want) {
		t.Errorf("evidence after restore = %v, want %v", got, want)
	}
}

func sum(m map[int32]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
