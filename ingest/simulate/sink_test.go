package simulate_test

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/ingest/input"
	"github.com/aitdr/aitdr/ingest/simulate"
	"github.com/aitdr/aitdr/ingest/stage"
	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

// readTimeout bounds the reads of the test topics.
const readTimeout = 60 * time.Second

// sinkConfig is a short simulation, with a few scenarios, for the sink
// tests that go through Kafka.
func sinkConfig() simulate.Config {
	cfg := smallConfig()
	cfg.Time.Duration = 30 * time.Hour
	cfg.Scenarios = []simulate.Scenario{
		{Kind: simulate.ScenarioConfidentialPrompt, At: time.Hour, Every: 6 * time.Hour, Times: 3},
		{Kind: simulate.ScenarioAgentDataSpike, At: 25 * time.Hour},
	}
	return cfg
}

// eventIDs reads n events from topic and returns their ids, checking
// each is keyed by its identity.
func eventIDs(t *testing.T, brokers []string, topic string, n int) map[string]string {
	t.Helper()
	recs := kafkatest.ReadAll(t, brokers, topic, n, readTimeout)
	if len(recs) != n {
		t.Fatalf("events topic: %d records, want %d", len(recs), n)
	}
	out := make(map[string]string, n)
	for _, r := range recs {
		var ev schemas.Event
		if err := schemas.DecodeEvent(string(stream.Header(r, schemas.HeaderContentType)), r.Value, &ev); err != nil {
			t.Fatal(err)
		}
		if string(r.Key) != ev.Identity.ID {
			t.Errorf("event %s keyed %q, identity %q", ev.ID, r.Key, ev.Identity.ID)
		}
		out[ev.ID] = ev.Identity.ID
	}
	return out
}

// checkDelivered checks that the events are exactly the records.
func checkDelivered(t *testing.T, records []simulate.Record, events map[string]string) {
	t.Helper()
	if len(events) != len(records) {
		t.Errorf("%d distinct events for %d records", len(events), len(records))
	}
	for _, r := range records {
		id, ok := events[r.EventID]
		if !ok {
			t.Errorf("%s record %s never arrived", r.Product, r.EventID)
			continue
		}
		if id != r.IdentityID {
			t.Errorf("%s record %s: identity %s, want %s", r.Product, r.EventID, id, r.IdentityID)
		}
	}
}

// tee is a sink writing to another sink and keeping the records.
type tee struct {
	collector
	next simulate.Sink
}

func (s *tee) Write(ctx context.Context, records []simulate.Record) error {
	if err := s.next.Write(ctx, records); err != nil {
		return err
	}
	return s.collector.Write(ctx, records)
}

// TestHTTPSinkThroughTheIngestInput shows a simulation posted to the real
// ingest HTTP input on a loopback port: every record becomes an event on
// the events topic, none a dead letter; and a wrong token is an error.
func TestHTTPSinkThroughTheIngestInput(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	events := kafkatest.Topic(t, brokers, 3)
	dlq := kafkatest.Topic(t, brokers, 1)
	cl := kafkatest.Client(t, brokers, kgo.ProducerLinger(time.Millisecond))
	pub, err := input.NewPublisher(cl, input.PublisherConfig{EventsTopic: events, DeadLetterTopic: dlq, Stage: stage.Name})
	if err != nil {
		t.Fatal(err)
	}
	s := newSimulator(t, sinkConfig())
	const token = "simulate-test-token-0123"
	h, err := input.NewHTTP(input.HTTPConfig{Auth: input.HTTPAuth{Tokens: []string{token}, TokensEnv: "AITDR_TEST_UNSET_TOKENS"}, AckTimeout: 30 * time.Second},
		newPipeline(t, s.SourcesConfig()), pub)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- h.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	url := "http://" + ln.Addr().String()

	sink, err := simulate.NewHTTPSink(simulate.HTTPSinkConfig{URL: url, Token: token, Gzip: true, MaxBodyBytes: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	out := &tee{next: sink}
	stats, err := s.Run(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Records < 1000 || stats.Injected == 0 {
		t.Fatalf("stats %+v", stats)
	}
	checkDelivered(t, out.records, eventIDs(t, brokers, events, len(out.records)))
	if n := kafkatest.Count(t, brokers, dlq); n != 0 {
		t.Errorf("%d dead letters", n)
	}

	bad, err := simulate.NewHTTPSink(simulate.HTTPSinkConfig{URL: url, Token: "not-the-token-0123456"})
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Write(context.Background(), out.records[:1])
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong token: err = %v", err)
	}
}

// TestKafkaSinkThroughTheIngestStage shows a simulation produced to a raw
// topic with the source header, then normalized by the real ingest stage:
// every record becomes an event, none a dead letter.
func TestKafkaSinkThroughTheIngestStage(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	raw := kafkatest.Topic(t, brokers, 3)
	events := kafkatest.Topic(t, brokers, 3)
	dlq := kafkatest.Topic(t, brokers, 1)
	s := newSimulator(t, sinkConfig())
	cl := kafkatest.Client(t, brokers, kgo.ProducerLinger(time.Millisecond))
	out := &tee{next: simulate.NewKafkaSink(cl, raw)}
	if _, err := s.Run(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	// The raw records carry their source, as ingest expects them.
	for _, r := range kafkatest.ReadAll(t, brokers, raw, 3, readTimeout) {
		if p := schemas.Product(stream.Header(r, schemas.HeaderSource)); !p.IsBuiltin() {
			t.Errorf("raw record with source header %q", p)
		}
	}

	runner, err := stream.New(stream.Config{
		Stage: stage.Name, Brokers: brokers, Group: kafkatest.Name(t), Topics: []string{raw}, DeadLetterTopic: dlq,
	}, stage.New(newPipeline(t, s.SourcesConfig()), stage.Config{EventsTopic: events, DeadLetterTopic: dlq}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx) }()
	got := eventIDs(t, brokers, events, len(out.records))
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("runner: %v", err)
	}
	checkDelivered(t, out.records, got)
	if n := kafkatest.Count(t, brokers, dlq); n != 0 {
		t.Errorf("%d dead letters", n)
	}
}

// TestFileSink shows the files output: one JSON-lines file per product,
// each line a record, in order.
func TestFileSink(t *testing.T) {
	cfg := smallConfig()
	cfg.Time.Duration = 6 * time.Hour
	dir := t.TempDir()
	sink, err := simulate.NewFileSink(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := &tee{next: sink}
	if _, err := newSimulator(t, cfg).Run(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	byProduct := map[schemas.Product][][]byte{}
	for _, r := range out.records {
		byProduct[r.Product] = append(byProduct[r.Product], r.Data)
	}
	for p, want := range byProduct {
		f, err := os.Open(sink.Path(p))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		i := 0
		for sc.Scan() {
			if i >= len(want) || !bytes.Equal(sc.Bytes(), want[i]) {
				t.Fatalf("%s line %d differs", p, i+1)
			}
			i++
		}
		f.Close()
		if i != len(want) {
			t.Errorf("%s: %d lines, want %d", p, i, len(want))
		}
	}
	if err := sink.Write(context.Background(), out.records[:1]); err == nil {
		t.Error("write after close: no error")
	}
}
