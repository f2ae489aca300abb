package simulate_test

import (
	"context"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest/simulate"
)

// counter is a sink that counts and drops the records.
type counter struct{ n, bytes int64 }

func (c *counter) Write(_ context.Context, records []simulate.Record) error {
	c.n += int64(len(records))
	for _, r := range records {
		c.bytes += int64(len(r.Data))
	}
	return nil
}

// benchConfig is the default population with an activity high enough
// that b.N records fit in its span.
func benchConfig(n int) simulate.Config {
	cfg := simulate.Default()
	cfg.Time.Start = testStart.Format(time.RFC3339)
	cfg.Time.Duration = 14 * 24 * time.Hour
	cfg.Population.Activity = max(1, float64(n)/150_000)
	cfg.Time.Count = int64(n)
	return cfg
}

// BenchmarkGenerate measures how many records a simulator makes per
// second in process: population rhythm, scenarios and JSON encoding, into
// a sink that drops them.
func BenchmarkGenerate(b *testing.B) {
	s := newSimulator(b, benchConfig(b.N))
	var c counter
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := s.Run(context.Background(), &c); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if c.n != int64(b.N) {
		b.Fatalf("%d records, want %d", c.n, b.N)
	}
	b.ReportMetric(float64(c.n)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(c.bytes)/float64(c.n), "bytes/record")
}

// BenchmarkRate shows how closely the output follows Time.Rate: it
// reports the rate achieved and its ratio to the one asked for (run it
// with a -benchtime of a few seconds' worth of records, such as 20000x).
func BenchmarkRate(b *testing.B) {
	const rate = 5000
	cfg := benchConfig(b.N)
	cfg.Time.Rate = rate
	cfg.Output.BatchSize = 100
	s, err := simulate.New(cfg, simulate.WithClock(func() time.Time { return testNow.Add(time.Since(benchEpoch)) }))
	if err != nil {
		b.Fatal(err)
	}
	var c counter
	b.ResetTimer()
	if _, err := s.Run(context.Background(), &c); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	achieved := float64(c.n) / b.Elapsed().Seconds()
	b.ReportMetric(achieved, "records/s")
	b.ReportMetric(achieved/rate, "of-target")
}

// benchEpoch anchors the benchmark's clock: testNow, advancing with the
// wall clock, so that pacing sleeps for real.
var benchEpoch = time.Now()
