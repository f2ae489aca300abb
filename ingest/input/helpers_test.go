package input_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/ingest/cloudtrail"
	"github.com/aitdr/aitdr/ingest/input"
	"github.com/aitdr/aitdr/ingest/okta"
	"github.com/aitdr/aitdr/ingest/pipeline"
	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

// readTimeout bounds the reads of the test topics.
const readTimeout = 30 * time.Second

// env is a Kafka cluster (kfake, or the real broker of
// AITDR_TEST_KAFKA_BROKERS) with an events and a dead-letter topic of the
// test's own, a producer client, a pipeline of the CloudTrail and Okta
// sources, and a Publisher.
type env struct {
	brokers     []string
	events, dlq string
	cl          *kgo.Client
	proc        *pipeline.Pipeline
	pub         *input.Publisher
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{brokers: kafkatest.Cluster(t)}
	e.events = kafkatest.Topic(t, e.brokers, 3)
	e.dlq = kafkatest.Topic(t, e.brokers, 1)
	e.cl = kafkatest.Client(t, e.brokers, kgo.ProducerLinger(time.Millisecond))
	e.proc = newPipeline(t)
	var err error
	e.pub, err = input.NewPublisher(e.cl, input.PublisherConfig{EventsTopic: e.events, DeadLetterTopic: e.dlq, Stage: "ingest"})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// newPipeline returns the pipeline of the real CloudTrail and Okta sources.
func newPipeline(t testing.TB) *pipeline.Pipeline {
	t.Helper()
	cfg := pipeline.Default()
	cfg.Content.HashKey = []byte("0123456789abcdef0123456789abcdef")
	p, err := pipeline.New(cfg, cloudtrail.New(), okta.New(okta.WithOrg("acme.okta.com")))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// events reads n events from the events topic, checks that each is keyed
// by its identity id, and returns them.
func (e *env) readEvents(t testing.TB, n int) []*schemas.Event {
	t.Helper()
	recs := kafkatest.ReadAll(t, e.brokers, e.events, n, readTimeout)
	if len(recs) != n {
		t.Fatalf("events topic: %d records, want %d", len(recs), n)
	}
	evs := make([]*schemas.Event, len(recs))
	for i, r := range recs {
		ev := new(schemas.Event)
		if err := schemas.DecodeEvent(string(stream.Header(r, schemas.HeaderContentType)), r.Value, ev); err != nil {
			t.Fatalf("decode event record %d: %v", i, err)
		}
		if string(r.Key) != ev.Identity.ID || ev.Identity.ID == "" {
			t.Errorf("event %s: key %q, identity %q", ev.ID, r.Key, ev.Identity.ID)
		}
		evs[i] = ev
	}
	return evs
}

// deadLetter is a dead letter as the tests look at it.
type deadLetter struct {
	value, reason, input, source, stage string
}

// readDeadLetters reads n dead letters.
func (e *env) readDeadLetters(t testing.TB, n int) []deadLetter {
	t.Helper()
	recs := kafkatest.ReadAll(t, e.brokers, e.dlq, n, readTimeout)
	if len(recs) != n {
		t.Fatalf("dead-letter topic: %d records, want %d", len(recs), n)
	}
	out := make([]deadLetter, len(recs))
	for i, r := range recs {
		out[i] = deadLetter{
			value:  string(r.Value),
			reason: string(stream.Header(r, schemas.HeaderDLQReason)),
			input:  string(stream.Header(r, schemas.HeaderDLQInput)),
			source: string(stream.Header(r, schemas.HeaderSource)),
			stage:  string(stream.Header(r, schemas.HeaderDLQStage)),
		}
	}
	return out
}

// counts checks how many records the topics hold.
func (e *env) counts(t testing.TB, events, dead int64) {
	t.Helper()
	if got := kafkatest.Count(t, e.brokers, e.events); got != events {
		t.Errorf("events topic holds %d records, want %d", got, events)
	}
	if got := kafkatest.Count(t, e.brokers, e.dlq); got != dead {
		t.Errorf("dead-letter topic holds %d records, want %d", got, dead)
	}
}

// sample returns a source sample from ingest/<pkg>/testdata as compact
// JSON, one line.
func sample(t testing.TB, pkg, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", pkg, "testdata", name+".in.json"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("compact %s/%s: %v", pkg, name, err)
	}
	return buf.Bytes()
}

// cloudTrailRecords are single CloudTrail records that normalize.
var cloudTrailRecords = []string{"bedrock_invoke_model", "s3_get_object", "iam_create_user", "iam_attach_role_policy", "sts_get_session_token"}

// oktaRecords are Okta System Log events that normalize.
var oktaRecords = []string{"auth_via_mfa", "session_start_success", "sso_chatgpt_enterprise", "api_token_create"}

// ndjson joins records into an NDJSON body.
func ndjson(records ...[]byte) []byte {
	return append(bytes.Join(records, []byte("\n")), '\n')
}

// jsonArray joins records into a JSON array.
func jsonArray(records ...[]byte) []byte {
	return append(append([]byte("["), bytes.Join(records, []byte(","))...), ']')
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
