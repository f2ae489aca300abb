package embedded_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/deploy/embedded"
	aitdrnats "github.com/aitdr/aitdr/deploy/nats"
	"github.com/aitdr/aitdr/schemas"
)

func start(t *testing.T, dir string) *embedded.Stack {
	t.Helper()
	s, err := embedded.Start(embedded.Config{
		Kafka: &embedded.KafkaConfig{Dir: filepath.Join(dir, "kafka")},
		NATS:  &embedded.NATSConfig{Dir: filepath.Join(dir, "nats")},
	})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestStackKeepsDataAcrossRestarts shows that records written to the
// in-process Kafka and messages stored in JetStream are still there after the
// stack is closed and started again on the same data directory.
func TestStackKeepsDataAcrossRestarts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()

	s := start(t, dir)
	kc, err := kgo.NewClient(kgo.SeedBrokers(s.KafkaBrokers()...))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kadm.NewClient(kc).CreateTopic(ctx, 2, 1, nil, schemas.TopicEvents); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	for i := range 10 {
		r := &kgo.Record{Topic: schemas.TopicEvents, Key: fmt.Appendf(nil, "identity-%d", i), Value: []byte("event")}
		if err := kc.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
	kc.Close()

	nc, err := nats.Connect(s.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	if _, err := aitdrnats.Provision(ctx, js, (schemas.StreamLayout{}).Specs()); err != nil {
		t.Fatalf("provision streams: %v", err)
	}
	if _, err := js.Publish(ctx, schemas.SubjectAlerts+".high.ai_agent", []byte("alert")); err != nil {
		t.Fatalf("publish: %v", err)
	}
	nc.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = start(t, dir)
	kc, err = kgo.NewClient(kgo.SeedBrokers(s.KafkaBrokers()...), kgo.ConsumeTopics(schemas.TopicEvents),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	var got int
	for got < 10 {
		fs := kc.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read back %d of 10 records before timeout", got)
		}
		fs.EachRecord(func(*kgo.Record) { got++ })
	}
	if got != 10 {
		t.Fatalf("read back %d records, want 10", got)
	}

	nc, err = nats.Connect(s.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ = jetstream.New(nc)
	stream, err := js.Stream(ctx, schemas.StreamAlerts)
	if err != nil {
		t.Fatalf("alerts stream after restart: %v", err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Fatalf("alerts stream holds %d messages after restart, want 1", info.State.Msgs)
	}
}

// TestCloseIsIdempotent shows that closing twice neither panics nor errors.
func TestCloseIsIdempotent(t *testing.T) {
	s := start(t, t.TempDir())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestStartRequiresNATSDir shows the configuration error names what is missing.
func TestStartRequiresNATSDir(t *testing.T) {
	_, err := embedded.Start(embedded.Config{NATS: &embedded.NATSConfig{}})
	if err == nil || err.Error() != "start embedded nats: JetStream data directory is empty" {
		t.Fatalf("err = %v", err)
	}
}

// TestStackRunsOnlyWhatIsConfigured shows a process with an external Kafka
// can still embed NATS alone, and housekeeping then just waits for the end.
func TestStackRunsOnlyWhatIsConfigured(t *testing.T) {
	s, err := embedded.Start(embedded.Config{NATS: &embedded.NATSConfig{Dir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.KafkaBrokers() != nil {
		t.Fatalf("kafka brokers = %v, want none", s.KafkaBrokers())
	}
	if s.NATSURL() == "" {
		t.Fatal("no NATS URL")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatalf("run after cancel: %v", err)
	}
}
