package stage_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/ingest/pipeline"
	"github.com/aitdr/aitdr/ingest/sources"
	"github.com/aitdr/aitdr/ingest/stage"
	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStageNormalizesRawTopics shows the ingest stage on a real consumer
// group: a CloudTrail log file is split into its events, an Okta event named
// by its header and a GitHub event detected by shape are normalized, every
// event lands on the events topic keyed by its identity, and the records
// that cannot be normalized land in the dead-letter topic with the reason
// and where they came from; records in = events out + dead letters.
func TestStageNormalizesRawTopics(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	raw := kafkatest.Topic(t, brokers, 3)
	events := kafkatest.Topic(t, brokers, 3)
	dlq := kafkatest.Topic(t, brokers, 1)

	logFile := readFile(t, "../cloudtrail/testdata/logfile_pipeline_run.in.json")
	var logFileEvents int
	{
		var n int
		p := newPipeline(t)
		if _, err := p.Process(context.Background(), logFile, "", func(r pipeline.Result) {
			if r.Event != nil {
				n++
			}
		}); err != nil {
			t.Fatal(err)
		}
		logFileEvents = n
	}
	if logFileEvents < 2 {
		t.Fatalf("log file holds %d events, want several", logFileEvents)
	}
	okta := readFile(t, "../okta/testdata/session_start_success.in.json")
	gh := readFile(t, "../github/testdata/repo_create.in.json")
	kafkatest.Produce(t, brokers,
		&kgo.Record{Topic: raw, Value: logFile},
		&kgo.Record{Topic: raw, Value: okta, Headers: []kgo.RecordHeader{{Key: schemas.HeaderSource, Value: []byte("okta")}}},
		&kgo.Record{Topic: raw, Value: gh},
		&kgo.Record{Topic: raw, Value: []byte(`{"truncated": `)},
		&kgo.Record{Topic: raw, Value: []byte(`{"eventType":"user.session.start"}`), Headers: []kgo.RecordHeader{{Key: schemas.HeaderSource, Value: []byte("okta")}}},
	)

	runner, err := stream.New(stream.Config{
		Stage:           stage.Name,
		Brokers:         brokers,
		Group:           kafkatest.Name(t),
		Topics:          []string{raw},
		DeadLetterTopic: dlq,
	}, stage.New(newPipeline(t), stage.Config{EventsTopic: events, DeadLetterTopic: dlq}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx) }()

	wantEvents := logFileEvents + 2
	got := kafkatest.ReadAll(t, brokers, events, wantEvents, 30*time.Second)
	dead := kafkatest.ReadAll(t, brokers, dlq, 2, 30*time.Second)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("runner: %v", err)
	}

	products := map[schemas.Product]int{}
	for _, r := range got {
		var ev schemas.Event
		if err := schemas.DecodeEvent(string(stream.Header(r, schemas.HeaderContentType)), r.Value, &ev); err != nil {
			t.Fatalf("decode produced event: %v", err)
		}
		if err := ev.Validate(); err != nil {
			t.Errorf("produced event %s is invalid: %v", ev.ID, err)
		}
		if string(r.Key) != ev.Identity.ID {
			t.Errorf("event %s keyed %q, identity %q", ev.ID, r.Key, ev.Identity.ID)
		}
		products[ev.Source.Product]++
	}
	if products[schemas.ProductAWSCloudTrail] != logFileEvents || products[schemas.ProductOkta] != 1 || products[schemas.ProductGitHub] != 1 {
		t.Errorf("events by product = %v", products)
	}

	reasons := map[string]bool{}
	for _, r := range dead {
		reason := string(stream.Header(r, schemas.HeaderDLQReason))
		if string(stream.Header(r, schemas.HeaderDLQStage)) != stage.Name || string(stream.Header(r, schemas.HeaderDLQTopic)) != raw {
			t.Errorf("dead letter headers: %v", r.Headers)
		}
		switch {
		case bytes.Equal(r.Value, []byte(`{"truncated": `)):
			reasons["truncated"] = reason != ""
		case strings.Contains(string(r.Value), "user.session.start"):
			reasons["okta"] = strings.Contains(reason, "actor") || strings.Contains(reason, "published")
		}
		t.Logf("dead letter: %s: %s", r.Value, reason)
	}
	if !reasons["truncated"] || !reasons["okta"] {
		t.Errorf("dead letters %v, want the truncated record and the Okta event naming its missing field", reasons)
	}
}

func newPipeline(t *testing.T) *pipeline.Pipeline {
	t.Helper()
	all, err := sources.Build(sources.Config{OktaOrg: "acme.okta.com"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.Default()
	cfg.Content.HashKey = bytes.Repeat([]byte("k"), pipeline.MinHashKeyLen)
	p, err := pipeline.New(cfg, all...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDeadLettersKeepNoContent shows that a gateway record rejected by its
// source reaches the dead-letter topic with its prompt and tool content
// redacted: the secret it carried is not on Kafka in clear.
func TestDeadLettersKeepNoContent(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	raw := kafkatest.Topic(t, brokers, 1)
	events := kafkatest.Topic(t, brokers, 1)
	dlq := kafkatest.Topic(t, brokers, 1)

	record := readFile(t, "../aigateway/testdata/litellm_mcp_tool_call.in.json")
	const secret = "AKIAZ7Q2MRTW4XYBNP3K"
	if !bytes.Contains(record, []byte(secret)) {
		t.Fatal("the sample no longer carries the secret this test looks for")
	}
	// Without call_type the gateway source rejects the record.
	bad := bytes.Replace(record, []byte(`"call_type": "call_mcp_tool",`), nil, 1)
	kafkatest.Produce(t, brokers, &kgo.Record{Topic: raw, Value: bad,
		Headers: []kgo.RecordHeader{{Key: schemas.HeaderSource, Value: []byte(schemas.ProductAIGateway)}}})

	runner, err := stream.New(stream.Config{
		Stage: stage.Name, Brokers: brokers, Group: kafkatest.Name(t), Topics: []string{raw}, DeadLetterTopic: dlq,
	}, stage.New(newPipeline(t), stage.Config{EventsTopic: events, DeadLetterTopic: dlq}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx) }()
	dead := kafkatest.ReadAll(t, brokers, dlq, 1, 30*time.Second)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if reason := string(stream.Header(dead[0], schemas.HeaderDLQReason)); !strings.Contains(reason, "call_type") {
		t.Errorf("reason %q does not name call_type", reason)
	}
	if bytes.Contains(dead[0].Value, []byte(secret)) || bytes.Contains(dead[0].Value, []byte("sk-litellm-should-never-be-kept")) {
		t.Fatalf("dead letter carries content in clear:\n%s", dead[0].Value)
	}
}
