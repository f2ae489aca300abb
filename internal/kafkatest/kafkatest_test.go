package kafkatest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/kafkatest"
)

// TestRoundTrip shows the helpers together on the cluster of the run (kfake,
// or the broker named by AITDR_TEST_KAFKA_BROKERS): a unique topic, records
// produced, read back and counted.
func TestRoundTrip(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	topic := kafkatest.Topic(t, brokers, 3)
	if !strings.HasPrefix(topic, "aitdr-test-testroundtrip-") {
		t.Errorf("topic name %q does not start with the test's name", topic)
	}
	if other := kafkatest.Name(t); other == topic {
		t.Errorf("Name returned %q twice", other)
	}
	const n = 30
	kafkatest.Produce(t, brokers, kafkatest.Generate(topic, n, 5, 100)...)
	rs := kafkatest.ReadAll(t, brokers, topic, n, 10*time.Second)
	seen := make(map[int]bool)
	for _, r := range rs {
		if len(r.Value) != 100 {
			t.Errorf("value of %d bytes, want 100", len(r.Value))
		}
		seen[kafkatest.Index(r.Value)] = true
	}
	if len(seen) != n {
		t.Errorf("read %d distinct records, want %d", len(seen), n)
	}
	if c := kafkatest.Count(t, brokers, topic); c != n {
		t.Errorf("Count = %d, want %d", c, n)
	}
	if ends := kafkatest.EndOffsets(t, brokers, topic); len(ends) != 3 {
		t.Errorf("EndOffsets has %d partitions, want 3", len(ends))
	}
	if got := kafkatest.Index([]byte("x12")); got != -1 {
		t.Errorf("Index(x12) = %d, want -1", got)
	}
}
