package clickhouse_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

// BenchmarkSink measures the sink into the embedded engine over its HTTP
// interface: decoding and buffering MessagePack records of the golden
// scored event (45 filled fields, 40 features, a 1.4 KB raw record) and
// inserting them in batches of 500 (about what one poll of a busy real
// broker returns), 5000 (the Runner's largest poll) or 20000, with the
// materialized views fed. It reports events/s and the process's CPU per
// event (the engine's threads included): an insert has a large fixed cost
// in time, which is why the sink gathers the rows of many polls
// (FlushDue).
func BenchmarkSink(b *testing.B) {
	for _, batch := range []int{500, 5000, 20000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			conn, db := migrated(b)
			records := eventRecords(b, schemas.TopicScored, 0, batch)
			for i, r := range records {
				r.Offset = int64(i)
			}
			s := newSink(b, conn, db)
			ctx := context.Background()
			start, cpu := time.Now(), cpuTime()
			var n int
			for b.Loop() {
				for _, r := range records {
					r.Offset += int64(batch) // a new batch: new offsets, new token
					if err := s.Process(ctx, r, &stream.Output{}); err != nil {
						b.Fatal(err)
					}
				}
				if err := s.Flush(ctx); err != nil {
					b.Fatal(err)
				}
				n += batch
			}
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "events/s")
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(n), "cpu-µs/event")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// cpuTime is the process's CPU time so far, the engine's threads included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSinkStage measures the sink stage end to end: a Runner on the
// test's Kafka cluster (kfake, or the real broker of AITDR_TEST_KAFKA_BROKERS)
// consuming b.N pre-produced events from 4 partitions in polls of 5000 and
// writing them into the embedded engine, timed from the start of the Runner
// until ClickHouse holds them all. It reports events/s.
func BenchmarkSinkStage(b *testing.B) {
	brokers := kafkatest.Cluster(b)
	conn, db := migrated(b)
	sc, dlq := topics(b, brokers)
	sc.Database = db
	n := max(b.N, 20000)
	for from := 0; from < n; from += 20000 {
		kafkatest.Produce(b, brokers, eventRecords(b, sc.EventsTopic, from, min(20000, n-from))...)
	}
	cfg := runnerConfig(b, brokers, sc.Topics(), dlq)
	cfg.MaxPollRecords = 5000
	b.ResetTimer()
	start := time.Now()
	r := run(b, cfg, newSink(b, connect(b), db, withTopics(sc)))
	until(b, "every event", func() (bool, string) {
		got := queryInt(b, conn, "SELECT count() FROM "+db+".events")
		return got >= int64(n), fmt.Sprintf("%d of %d", got, n)
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if err := r.stop(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "events/s")
	b.ReportMetric(0, "ns/op")
}
