package reliability_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/schemas"
)

// poisonKind is one kind of bad raw record in the burst, with what its
// dead-letter reason must say.
type poisonKind struct {
	name   string
	count  int
	record func(i int) *kgo.Record
	reason string
}

// TestPoisonBurst shows that a burst of bad raw records (malformed JSON,
// unknown sources, records no source recognizes, records too large to
// carry through the pipeline) only grows the dead-letter topic, each bad
// record once with its reason and origin, while the good records around
// the burst flow on: every one of them reaches ClickHouse and nothing bad
// reaches any other topic.
func TestPoisonBurst(t *testing.T) {
	brokers, bin := suite(t)
	adm := adminClient(t, brokers)
	sim := simulation(t, 72*time.Hour, 0.15, 800)
	p := newPipeline(t, bin, brokers, pipelineSpec{name: "pipeline", natsURL: startNATSServer(t).url(), sim: sim})
	p.cleanUpKafka(adm)
	p.start(time.Minute)
	rawTopic := p.topic(schemas.TopicRaw)
	f := startFeed(t, producer(t, brokers), rawTopic, sim)

	oversized := oversizedCloudTrail(t)
	kinds := []poisonKind{
		{"malformed-json-with-source", 300, func(i int) *kgo.Record {
			return &kgo.Record{Value: fmt.Appendf(nil, `{"eventVersion":"1.10","eventID":"bad-%d","userIdentity":{"type":`, i),
				Headers: []kgo.RecordHeader{sourceHeader(schemas.ProductAWSCloudTrail)}}
		}, "normalize aws.cloudtrail record"},
		{"malformed-json", 300, func(i int) *kgo.Record {
			return &kgo.Record{Value: fmt.Appendf(nil, `not json %d {"a":`, i)}
		}, "no source"},
		{"unknown-source", 300, func(i int) *kgo.Record {
			return &kgo.Record{Value: fmt.Appendf(nil, `{"id":%d,"what":"an audit record of a product aitdr does not know"}`, i),
				Headers: []kgo.RecordHeader{sourceHeader("acme.unknown")}}
		}, `no source for product "acme.unknown"`},
		{"unrecognized-shape", 300, func(i int) *kgo.Record {
			return &kgo.Record{Value: fmt.Appendf(nil, `{"hello":"world","n":%d}`, i)}
		}, "no source"},
		{"oversized", 5, func(i int) *kgo.Record {
			return &kgo.Record{Value: bytes.Replace(oversized, []byte("OVERSIZED-ID"), fmt.Appendf(nil, "oversized-%d", i), 1),
				Headers: []kgo.RecordHeader{sourceHeader(schemas.ProductAWSCloudTrail)}}
		}, "over the"},
	}
	var burst []*kgo.Record
	want := map[string]poisonKind{}
	lengths := map[string]int{}
	for _, k := range kinds {
		for i := range k.count {
			r := k.record(i)
			r.Topic = rawTopic
			r.Key = fmt.Appendf(nil, "poison/%s/%d", k.name, i)
			want[string(r.Key)] = k
			lengths[string(r.Key)] = len(r.Value)
			burst = append(burst, r)
		}
	}

	if _, ok := waitFor(t, time.Minute, 100*time.Millisecond, []*process{p.proc}, func() bool {
		return p.ch.mustCount(t, "SELECT count() FROM aitdr.events") >= 3000
	}); !ok {
		t.Fatal("fewer than 3000 events in ClickHouse after a minute")
	}
	// The burst goes in at once, interleaved with the simulation's records.
	big := producer(t, brokers, kgo.ProducerBatchMaxBytes(2<<20), kgo.MaxBufferedRecords(len(burst)))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := big.ProduceSync(ctx, burst...).FirstErr(); err != nil {
		t.Fatalf("produce %d poison records: %v", len(burst), err)
	}
	t.Logf("burst of %d poison records after %d good ones", len(burst), f.count())
	if !f.running() {
		t.Fatal("the simulation ended before the burst: good records did not flow around it")
	}

	f.wait(t, 3*time.Minute)
	good := f.eventIDs()
	p.waitDrained(adm, int64(len(good)), 3*time.Minute)

	// Good records: every one in ClickHouse, once.
	rows := p.ch.mustCount(t, "SELECT count() FROM aitdr.events FINAL")
	missing, extra := diff(good, p.ch.column(t, "SELECT DISTINCT event_id FROM aitdr.events"))
	if rows != int64(len(good)) || len(missing) > 0 || len(extra) > 0 {
		t.Errorf("%d event rows under FINAL, want the %d good records: %d missing %v, %d unexpected %v",
			rows, len(good), len(missing), head(missing), len(extra), head(extra))
	}
	// Only the dead-letter topic grew: the event topics hold exactly the
	// good records, the dead-letter topic exactly the bad ones.
	for _, topic := range []string{schemas.TopicEvents, schemas.TopicEnriched, schemas.TopicScored} {
		if n := endOffsets(t, adm, p.topic(topic)); n != int64(len(good)) {
			t.Errorf("%s holds %d records, want the %d good ones", topic, n, len(good))
		}
	}
	dlqTopic := p.topic(schemas.TopicDeadLetter)
	if n := endOffsets(t, adm, dlqTopic); n != int64(len(burst)) {
		t.Errorf("%s holds %d records, want the %d poison records", dlqTopic, n, len(burst))
	}
	letters := kafkatest.ReadAll(t, brokers, dlqTopic, len(burst), time.Minute)
	seen := map[string]int{}
	reasons := map[string]string{}
	for _, dl := range letters {
		key := string(dl.Key)
		k, ok := want[key]
		if !ok {
			t.Errorf("dead letter of a record that was not poison: key %q, reason %q", key, header(dl, schemas.HeaderDLQReason))
			continue
		}
		seen[key]++
		reason := header(dl, schemas.HeaderDLQReason)
		if !strings.Contains(reason, k.reason) {
			t.Errorf("dead letter %s: reason %q, want it to say %q", key, reason, k.reason)
		}
		if stage, topic := header(dl, schemas.HeaderDLQStage), header(dl, schemas.HeaderDLQTopic); stage != "ingest" || topic != rawTopic {
			t.Errorf("dead letter %s: stage %q from topic %q, want ingest from %s", key, stage, topic, rawTopic)
		}
		if header(dl, schemas.HeaderDLQOffset) == "" || header(dl, schemas.HeaderDLQTime) == "" {
			t.Errorf("dead letter %s has no origin offset or time", key)
		}
		if k.name == "oversized" {
			// Cut to fit the record limit, saying how long it was.
			if got, want := header(dl, schemas.HeaderDLQTruncated), fmt.Sprint(lengths[key]); got != want {
				t.Errorf("dead letter %s: header %s = %q, want the original length %s", key, schemas.HeaderDLQTruncated, got, want)
			}
		}
		reasons[k.name] = reason
	}
	for key, k := range want {
		if seen[key] != 1 {
			t.Errorf("poison record %s (%s) is on the dead-letter topic %d times, want once", key, k.name, seen[key])
		}
	}
	for _, k := range kinds {
		t.Logf("%-27s %4d dead letters, reason: %.160s", k.name, k.count, reasons[k.name])
	}
	p.stop()
	t.Logf("good records: %d, all in ClickHouse; warnings and errors the pipeline logged:%s", len(good), p.proc.problems())
}

// oversizedCloudTrail returns a CloudTrail record of about 1 MB: within
// what the broker accepts, but its event, which carries the raw record,
// is over the pipeline's record limit. Its eventID is OVERSIZED-ID.
func oversizedCloudTrail(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(), "ingest", "cloudtrail", "testdata", "bedrock_converse_stream_agent.in.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	rec["eventID"] = "OVERSIZED-ID"
	rec["eventTime"] = time.Now().UTC().Format(time.RFC3339)
	rec["requestParameters"] = map[string]any{"padding": strings.Repeat("x", 1_010_000)}
	out, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// header returns the value of a record's header.
func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
