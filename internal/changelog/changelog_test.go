package changelog_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/changelog"
	"github.com/aitdr/aitdr/internal/kafkatest"
)

func open(t *testing.T, brokers []string, topic string) *changelog.Log {
	t.Helper()
	l, err := changelog.Open(changelog.Config{Brokers: brokers, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

func restore(t *testing.T, l *changelog.Log, partitions ...int32) map[int32]map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := map[int32]map[string]string{}
	err := l.Restore(ctx, partitions, func(p int32, key, value []byte) error {
		if got[p] == nil {
			got[p] = map[string]string{}
		}
		if value == nil {
			delete(got[p], string(key))
			return nil
		}
		got[p][string(key)] = string(value)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestWriteRestoreByPartition(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	topic := kafkatest.Topic(t, brokers, 3)
	l := open(t, brokers, topic)
	ctx := context.Background()

	var entries []changelog.Entry
	for i := range 30 {
		entries = append(entries, changelog.Entry{
			Partition: int32(i % 3),
			Key:       fmt.Appendf(nil, "id-%d", i),
			Value:     fmt.Appendf(nil, "v1-%d", i),
		})
	}
	if err := l.Write(ctx, entries); err != nil {
		t.Fatal(err)
	}
	// Newer states and a tombstone: the last write of a key wins.
	if err := l.Write(ctx, []changelog.Entry{
		{Partition: 0, Key: []byte("id-0"), Value: []byte("v2-0")},
		{Partition: 1, Key: []byte("id-1")},
	}); err != nil {
		t.Fatal(err)
	}

	got := restore(t, l, 0, 1)
	if _, ok := got[2]; ok {
		t.Errorf("partition 2 restored though not asked for")
	}
	if len(got[0]) != 10 || got[0]["id-0"] != "v2-0" || got[0]["id-3"] != "v1-3" {
		t.Errorf("partition 0 = %v, want 10 keys with id-0=v2-0", got[0])
	}
	if len(got[1]) != 9 {
		t.Errorf("partition 1 has %d keys, want 9 (id-1 deleted)", len(got[1]))
	}
	if _, ok := got[1]["id-1"]; ok {
		t.Errorf("tombstoned id-1 restored")
	}
	for k := range got[1] {
		var i int
		fmt.Sscanf(k, "id-%d", &i)
		if i%3 != 1 {
			t.Errorf("key %s restored from partition 1, written to %d", k, i%3)
		}
	}
}

func TestRestoreEmptyAndMissingPartition(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	topic := kafkatest.Topic(t, brokers, 2)
	l := open(t, brokers, topic)
	if got := restore(t, l, 0, 1); len(got) != 0 {
		t.Errorf("empty changelog restored %v", got)
	}
	err := l.Restore(context.Background(), []int32{5}, func(int32, []byte, []byte) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "no partition 5") {
		t.Errorf("restore of a missing partition: err = %v, want one naming partition 5", err)
	}
}

func TestRestoreApplyError(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	topic := kafkatest.Topic(t, brokers, 1)
	l := open(t, brokers, topic)
	if err := l.Write(context.Background(), []changelog.Entry{{Key: []byte("bad"), Value: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	err := l.Restore(context.Background(), []int32{0}, func(int32, []byte, []byte) error {
		return fmt.Errorf("cannot decode")
	})
	if err == nil || !strings.Contains(err.Error(), `key "bad"`) || !strings.Contains(err.Error(), "cannot decode") {
		t.Errorf("err = %v, want the key and the cause", err)
	}
}

func BenchmarkRestore(b *testing.B) {
	brokers := kafkatest.Cluster(b)
	topic := kafkatest.Topic(b, brokers, 1)
	l, err := changelog.Open(changelog.Config{Brokers: brokers, Topic: topic})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	const keys = 100_000
	value := make([]byte, 1024)
	entries := make([]changelog.Entry, 0, 10_000)
	for i := range keys {
		entries = append(entries, changelog.Entry{Key: fmt.Appendf(nil, "identity-%d", i), Value: value})
		if len(entries) == cap(entries) {
			if err := l.Write(context.Background(), entries); err != nil {
				b.Fatal(err)
			}
			entries = entries[:0]
		}
	}
	b.ResetTimer()
	for b.Loop() {
		n := 0
		if err := l.Restore(context.Background(), []int32{0}, func(int32, []byte, []byte) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != keys {
			b.Fatalf("restored %d records, want %d", n, keys)
		}
	}
	b.ReportMetric(float64(keys), "keys/op")
}
