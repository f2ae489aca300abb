// Package kafkatest gives tests a Kafka cluster: franz-go's in-process kfake
// by default, or the real broker named by the AITDR_TEST_KAFKA_BROKERS
// environment variable, so that one test suite runs on both engines.
//
// Every name it hands out (topics, groups) carries a random suffix, so tests
// can share one real broker, run in parallel and run again without cleaning
// up. Helpers fail the test (t.Fatal) on any error; they are safe to call
// from parallel tests, but not from goroutines other than the test's own.
package kafkatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// EnvBrokers names the environment variable holding the comma-separated seed
// brokers of a real cluster (e.g. "127.0.0.1:9092"). When it is set, Cluster
// uses that cluster and fails the test if it is unreachable; when it is unset
// or empty, Cluster starts a kfake cluster.
const EnvBrokers = "AITDR_TEST_KAFKA_BROKERS"

// ReachTimeout is how long Cluster waits for a real broker to answer before
// failing the test.
const ReachTimeout = 5 * time.Second

// opTimeout bounds every admin and produce call of the helpers.
const opTimeout = 30 * time.Second

// External reports whether the tests run against the real broker named by
// EnvBrokers rather than kfake.
func External() bool { return len(externalBrokers()) > 0 }

func externalBrokers() []string {
	var brokers []string
	for b := range strings.SplitSeq(os.Getenv(EnvBrokers), ",") {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	return brokers
}

// Cluster returns the seed brokers of the cluster the test runs against. With
// EnvBrokers set it checks that the broker answers within ReachTimeout and
// fails the test (not skips it) otherwise: CI asked for that broker. Without
// it, it starts a single-broker kfake cluster that is closed when the test
// ends.
func Cluster(t testing.TB) []string {
	t.Helper()
	if brokers := externalBrokers(); len(brokers) > 0 {
		adm, err := kadm.NewOptClient(kgo.SeedBrokers(brokers...))
		if err != nil {
			t.Fatalf("kafkatest: %s=%q: new client: %v", EnvBrokers, os.Getenv(EnvBrokers), err)
		}
		defer adm.Close()
		ctx, cancel := context.WithTimeout(context.Background(), ReachTimeout)
		defer cancel()
		if _, err := adm.ListBrokers(ctx); err != nil {
			t.Fatalf("kafkatest: %s=%q: broker unreachable within %s: %v", EnvBrokers, os.Getenv(EnvBrokers), ReachTimeout, err)
		}
		return brokers
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatalf("kafkatest: start kfake cluster: %v", err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

// Name returns a name unique to this call: "aitdr-test-", the test's name
// made safe for Kafka and a random suffix. Use it for topics, groups and
// topic prefixes on a shared broker.
func Name(t testing.TB) string {
	t.Helper()
	var suffix [6]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		t.Fatalf("kafkatest: random name suffix: %v", err)
	}
	var b strings.Builder
	b.WriteString("aitdr-test-")
	for _, r := range strings.ToLower(t.Name()) {
		if b.Len() >= 120 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	b.WriteByte('-')
	b.WriteString(hex.EncodeToString(suffix[:]))
	return b.String()
}

// Client returns a kgo client on brokers with opts, closed when the test ends.
func Client(t testing.TB, brokers []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...)}, opts...)...)
	if err != nil {
		t.Fatalf("kafkatest: new client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// Admin returns a kadm client on brokers, closed when the test ends.
func Admin(t testing.TB, brokers []string) *kadm.Client {
	t.Helper()
	return kadm.NewClient(Client(t, brokers))
}

// Topic creates a uniquely named topic with the given partition count and the
// broker's default replication, and deletes it when the test ends.
func Topic(t testing.TB, brokers []string, partitions int32) string {
	t.Helper()
	name := Name(t)
	adm := Admin(t, brokers)
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if _, err := adm.CreateTopic(ctx, partitions, -1, nil, name); err != nil {
		t.Fatalf("kafkatest: create topic %q with %d partitions: %v", name, partitions, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		if _, err := adm.DeleteTopic(ctx, name); err != nil {
			t.Logf("kafkatest: delete topic %q: %v", name, err)
		}
	})
	return name
}

// Generate returns n records for topic: record i has the key "identity-<i%keys>"
// (keys spread over partitions; keys <= 0 means n distinct keys) and a value of
// at least size bytes that starts with the decimal i and a space (see Index).
func Generate(topic string, n, keys, size int) []*kgo.Record {
	if keys <= 0 {
		keys = max(n, 1)
	}
	rs := make([]*kgo.Record, n)
	for i := range rs {
		v := fmt.Appendf(make([]byte, 0, max(size, 16)), "%d ", i)
		for len(v) < size {
			v = append(v, 'x')
		}
		rs[i] = &kgo.Record{
			Topic: topic,
			Key:   fmt.Appendf(nil, "identity-%d", i%keys),
			Value: v,
		}
	}
	return rs
}

// Index returns the record index that Generate wrote at the start of value,
// or -1 if value does not start with one.
func Index(value []byte) int {
	n, digits := 0, 0
	for _, c := range value {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
		digits++
	}
	if digits == 0 {
		return -1
	}
	return n
}

// Produce writes records synchronously with an idempotent producer and fails
// the test if any of them is not acknowledged.
func Produce(t testing.TB, brokers []string, records ...*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.MaxBufferedRecords(max(len(records), 1)))
	if err != nil {
		t.Fatalf("kafkatest: new producer: %v", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := cl.ProduceSync(ctx, records...).FirstErr(); err != nil {
		t.Fatalf("kafkatest: produce %d records: %v", len(records), err)
	}
}

// ReadAll reads topic from the start, without a group, until it has read at
// least n records, and returns them; it fails the test if fewer than n arrive
// within timeout. It may return more than n records but does not wait for
// them: use Count to check that a topic holds exactly n records.
func ReadAll(t testing.TB, brokers []string, topic string, n int, timeout time.Duration) []*kgo.Record {
	t.Helper()
	return ReadUntil(t, brokers, topic, timeout, func(rs []*kgo.Record) bool { return len(rs) >= n })
}

// ReadUntil reads topic from the start, without a group, until done returns
// true for the records read so far (it is called after every poll), and
// returns them; it fails the test if done is still false after timeout.
func ReadUntil(t testing.TB, brokers []string, topic string, timeout time.Duration, done func([]*kgo.Record) bool) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		// Partitions whose offsets resolve late wait for the fetch in
		// flight; keep that short.
		kgo.FetchMaxWait(200*time.Millisecond),
	)
	if err != nil {
		t.Fatalf("kafkatest: new consumer of %q: %v", topic, err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out []*kgo.Record
	for !done(out) {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("kafkatest: read %q: condition not met after %d records in %s", topic, len(out), timeout)
		}
		fs.EachError(func(topic string, partition int32, err error) {
			t.Logf("kafkatest: read %q partition %d: %v", topic, partition, err)
		})
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	return out
}

// Count returns how many records topic holds (end offsets minus start
// offsets, summed over partitions).
func Count(t testing.TB, brokers []string, topic string) int64 {
	t.Helper()
	adm := Admin(t, brokers)
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		t.Fatalf("kafkatest: list start offsets of %q: %v", topic, err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		t.Fatalf("kafkatest: list end offsets of %q: %v", topic, err)
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) {
		s, _ := starts.Lookup(o.Topic, o.Partition)
		n += o.Offset - s.Offset
	})
	return n
}

// Committed returns the offsets group has committed on topic, by partition.
func Committed(t testing.TB, brokers []string, group, topic string) map[int32]int64 {
	t.Helper()
	adm := Admin(t, brokers)
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	resps, err := adm.FetchOffsetsForTopics(ctx, group, topic)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		t.Fatalf("kafkatest: fetch offsets of group %q on %q: %v", group, topic, err)
	}
	out := make(map[int32]int64)
	resps.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.At >= 0 {
			out[o.Partition] = o.At
		}
	})
	return out
}

// EndOffsets returns the end offset of every partition of topic.
func EndOffsets(t testing.TB, brokers []string, topic string) map[int32]int64 {
	t.Helper()
	adm := Admin(t, brokers)
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		t.Fatalf("kafkatest: list end offsets of %q: %v", topic, err)
	}
	out := make(map[int32]int64)
	ends.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out
}
