package baseline_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/aitdr/aitdr/baseline"
	"github.com/aitdr/aitdr/internal/changelog"
	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

// busyAgent returns the i-th event of a busy AI agent: every 30 seconds,
// around the clock, three categories, 12 actions, 100 resources, 6
// addresses on 2 networks, 2 clients, 3 models, 2 tenants, 2 environments,
// with bytes, records and tokens. Its first-seen sets are full or nearly.
func busyAgent(id string, i int, at time.Time) *schemas.Event {
	cats := []schemas.Category{schemas.CategoryModelInference, schemas.CategoryDataAccess, schemas.CategorySecretAccess}
	envs := []schemas.Environment{schemas.EnvProduction, schemas.EnvStaging}
	return event(id, at, func(ev *schemas.Event) {
		ev.Action = schemas.Action{Service: "bedrock.amazonaws.com", Name: fmt.Sprintf("Action%d", i%12), Category: cats[i%3]}
		ev.Target = schemas.Target{ID: fmt.Sprintf("arn:aws:s3:::bucket/object-%d", i%100), Environment: envs[i%2], Tenant: fmt.Sprintf("12345678901%d", i%2)}
		ev.Network = schemas.Network{SourceIP: fmt.Sprintf("10.0.%d.%d", i%2, i%6), UserAgent: fmt.Sprintf("agent/%d", i%2), Country: "US", ASN: uint32(16509 + i%2)}
		ev.AI = schemas.AIContext{Model: fmt.Sprintf("model-%d", i%3), Service: "bedrock"}
		ev.Volume = schemas.Volume{BytesIn: int64(2000 + i%700), BytesOut: int64(9000 + i%3000), Records: int64(i % 40), TokensIn: int64(400 + i%200), TokensOut: int64(600 + i%500)}
		ev.Enrichment.PeerGroup = "ai_agent/platform"
	})
}

// steadyState returns the changelog value of a busy agent after 30 days,
// and the partition holding it.
func steadyState(tb testing.TB) (*baseline.Partition, []byte) {
	tb.Helper()
	p, err := baseline.NewPartition(baseline.DefaultConfig(), 0)
	if err != nil {
		tb.Fatal(err)
	}
	const days = 30
	for i := range days * 24 * 120 {
		p.Observe(int64(i), busyAgent("aws:123456789012:role/busy-agent", i, day0.Add(time.Duration(i)*30*time.Second)))
	}
	for _, e := range p.Checkpoint(nil) {
		if string(e.Key) == "aws:123456789012:role/busy-agent" {
			return p, e.Value
		}
	}
	tb.Fatal("no state written")
	return nil, nil
}

// BenchmarkObserve measures the baseline itself, in process: the features
// of one event and its folding, over 10,000 busy agents at steady state
// (decoding and encoding the event excluded; see BenchmarkProcess).
func BenchmarkObserve(b *testing.B) {
	_, state := steadyState(b)
	p, _ := baseline.NewPartition(baseline.DefaultConfig(), 0)
	const identities = 10_000
	// Each agent's events take their ids from a pool of 16, reused every 8
	// minutes of event time: past the lateness, so never a copy.
	const idPool = 16
	evs := make([]*schemas.Event, identities)
	ids := make([]string, identities*idPool)
	for i := range identities {
		key := fmt.Sprintf("aws:123456789012:role/agent-%05d", i)
		if err := p.Restore([]byte(key), state); err != nil {
			b.Fatal(err)
		}
		evs[i] = busyAgent(key, i, day0)
		for j := range idPool {
			ids[i*idPool+j] = fmt.Sprintf("%s@%d", key, j)
		}
	}
	start := day0.Add(30 * 24 * time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		agent := i % identities
		ev := evs[agent]
		ev.ID = ids[agent*idPool+(i/identities)%idPool]
		ev.Time = start.Add(time.Duration(i) * 3 * time.Millisecond) // each agent every 30s
		ev.ObservedTime = ev.Time
		if o := p.Observe(int64(1<<40+i), ev); o != baseline.Folded {
			b.Fatalf("outcome %s", o)
		}
	}
}

// BenchmarkProcess measures the Worker's Process on a CloudTrail Bedrock
// event: decoding, the baseline, and encoding the scored event.
func BenchmarkProcess(b *testing.B) {
	raw, err := os.ReadFile("../ingest/cloudtrail/testdata/bedrock_invoke_model.golden.json")
	if err != nil {
		b.Fatal(err)
	}
	var ev schemas.Event
	if err := schemas.DecodeEvent(schemas.ContentTypeEventJSON, raw, &ev); err != nil {
		b.Fatal(err)
	}
	rec, err := stream.EventRecord(schemas.TopicEnriched, &ev)
	if err != nil {
		b.Fatal(err)
	}
	w, err := baseline.New(baseline.DefaultConfig(), baseline.WithLogger(discard()))
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	var out stream.Output
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(rec.Value)))
	b.ResetTimer()
	for i := range b.N {
		in := *rec
		in.Offset = int64(i)
		if err := w.Process(ctx, &in, &out); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 {
			out = stream.Output{} // Process appends; the Runner resets it per record
		}
	}
}

// BenchmarkStateSize reports the encoded state of a busy agent after 30
// days (bytes/identity), and the heap each identity restored from it
// holds, over 100,000 identities (heap-bytes/identity).
func BenchmarkStateSize(b *testing.B) {
	_, state := steadyState(b)
	const identities = 100_000
	for b.Loop() {
		heap := heapPerIdentity(b, state, identities)
		b.ReportMetric(heap, "heap-bytes/identity")
	}
	b.ReportMetric(float64(len(state)), "bytes/identity")
}

// BenchmarkMemory1M restores one million busy agents into one partition
// and reports the heap they hold (run alone: go test -run X -bench
// Memory1M -benchtime 1x).
func BenchmarkMemory1M(b *testing.B) {
	_, state := steadyState(b)
	for b.Loop() {
		per := heapPerIdentity(b, state, 1_000_000)
		b.ReportMetric(per*1_000_000/(1<<30), "GiB/1M-identities")
	}
}

func heapPerIdentity(b *testing.B, state []byte, n int) float64 {
	b.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p, _ := baseline.NewPartition(baseline.DefaultConfig(), 0)
	for i := range n {
		if err := p.Restore(fmt.Appendf(nil, "aws:123456789012:role/agent-%07d", i), state); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(p)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}

// BenchmarkRestore measures a Worker's restore of 100,000 busy agents from
// its changelog on Kafka when it is assigned their partition.
func BenchmarkRestore(b *testing.B) {
	_, state := steadyState(b)
	brokers := kafkatest.Cluster(b)
	topic := kafkatest.Topic(b, brokers, 1)
	log, err := changelog.Open(changelog.Config{Brokers: brokers, Topic: topic, Logger: discard()})
	if err != nil {
		b.Fatal(err)
	}
	defer log.Close()
	const identities = 100_000
	entries := make([]changelog.Entry, 0, 10_000)
	for i := range identities {
		entries = append(entries, changelog.Entry{Key: fmt.Appendf(nil, "aws:123456789012:role/agent-%06d", i), Value: state})
		if len(entries) == cap(entries) {
			if err := log.Write(context.Background(), entries); err != nil {
				b.Fatal(err)
			}
			entries = entries[:0]
		}
	}
	cfg := baseline.DefaultConfig()
	cfg.InputTopic = "enriched"
	b.ResetTimer()
	for b.Loop() {
		w, err := baseline.New(cfg, baseline.WithChangelog(log), baseline.WithLogger(discard()))
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Assign(context.Background(), map[string][]int32{"enriched": {0}}); err != nil {
			b.Fatal(err)
		}
		var out stream.Output
		probe, _ := stream.EventRecord("enriched", busyAgent("aws:123456789012:role/agent-000001", 1, day0.Add(31*24*time.Hour)))
		probe.Offset = 1 << 40
		if err := w.Process(context.Background(), probe, &out); err != nil {
			b.Fatal(err)
		}
		w.Close()
	}
	b.ReportMetric(identities, "identities/op")
}
