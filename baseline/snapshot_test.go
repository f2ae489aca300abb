package baseline_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aitdr/aitdr/baseline"
	chserver "github.com/aitdr/aitdr/deploy/clickhouse"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas/clickhouse"
)

// The embedded ClickHouse engine is one per process: started on first use,
// stopped by TestMain.
var (
	engineMu  sync.Mutex
	engineURL string
	stopCH    func() error
	engineDir string
)

func TestMain(m *testing.M) {
	code := m.Run()
	engineMu.Lock()
	if stopCH != nil {
		if err := stopCH(); err != nil {
			fmt.Fprintf(os.Stderr, "stop the embedded clickhouse: %v\n", err)
			code = 1
		}
		_ = os.RemoveAll(engineDir)
	}
	engineMu.Unlock()
	os.Exit(code)
}

// clickhouseURL returns the URL of the shared engine, starting it on first
// use. It fails the test (never skips) when libchdb.so is missing.
func clickhouseURL(t testing.TB) string {
	t.Helper()
	engineMu.Lock()
	defer engineMu.Unlock()
	if stopCH != nil {
		return engineURL
	}
	dir, err := os.MkdirTemp("", "aitdr-baseline-")
	if err != nil {
		t.Fatal(err)
	}
	cfg := chserver.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = dir
	cfg.ShutdownTimeout = 10 * time.Second
	srv, err := chserver.New(cfg, chserver.WithLogger(discard()))
	if errors.Is(err, chserver.ErrNoLibrary) {
		t.Fatalf("this test needs the embedded ClickHouse engine: run `make chdb` or set %s: %v", chserver.LibraryEnv, err)
	}
	if err != nil {
		t.Fatalf("start the embedded clickhouse: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	engineURL, engineDir = srv.URL(), dir
	stopCH = func() error { cancel(); return <-done }
	return engineURL
}

// TestSnapshotsToClickHouse shows the periodic snapshots: once the interval
// has passed (wall clock), the next flush writes the mean, variance and
// samples of every measure, horizon and category of the identities that
// changed, and the hour-of-week profile on the rate/1h row, into the
// baseline_snapshots table; identities that did not change since are not
// written again.
func TestSnapshotsToClickHouse(t *testing.T) {
	conn, err := clickhouse.Connect(clickhouseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()
	const db = "baseline_snapshot_test"
	if _, err := clickhouse.Migrate(ctx, conn, clickhouse.Options{Database: db}); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	now := time.Now().UTC().Truncate(time.Hour) // rows past the table's TTL would be dropped
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	cfg := baseline.DefaultConfig()
	cfg.Snapshots.Interval = time.Hour
	w, err := baseline.New(cfg, baseline.WithSnapshots(baseline.NewClickHouseSnapshots(conn, db)),
		baseline.WithClock(clock), baseline.WithLogger(discard()))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	var out stream.Output
	var offset int64
	feed := func(id string, from, hours int) {
		for b := from * 12; b < (from+hours)*12; b++ {
			for j := range 10 {
				r, err := stream.EventRecord("in", event(id, day0.Add(time.Duration(b)*bucket5m+time.Duration(j)*30*time.Second), withBytes(1000)))
				if err != nil {
					t.Fatal(err)
				}
				offset++
				r.Offset = offset
				if err := w.Process(ctx, r, &out); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	feed("agent-a", 0, 48)
	feed("agent-b", 0, 2)
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	count := func(where string) int64 {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+db+".baseline_snapshots WHERE "+where).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return int64(n)
	}
	if n := count("1"); n != 0 {
		t.Fatalf("%d rows before the interval passed", n)
	}

	advance(time.Hour)
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// 12 measure rows (4 measures x 3 horizons) and 3 category rows each.
	waitFor(t, func() bool { return count("1") == 2*15 })
	var mean, variance float64
	var samples int64
	var profile []float32
	if err := conn.QueryRow(ctx, "SELECT mean, variance, samples, hour_of_week FROM "+db+
		".baseline_snapshots WHERE identity_id = 'agent-a' AND metric = 'rate' AND horizon = '1h'").
		Scan(&mean, &variance, &samples, &profile); err != nil {
		t.Fatal(err)
	}
	// 48 hours of 120 events an hour; the last hour is still open.
	if mean != 120 || variance != 0 || samples != 46 {
		t.Errorf("agent-a rate/1h: mean %g, variance %g, samples %d; want 120, 0, 46", mean, variance, samples)
	}
	if len(profile) != 168 || profile[0] != 1 || profile[47] != 1 || profile[48] != 0 {
		t.Errorf("hour_of_week = %v, want Monday and Tuesday full (Monday 00:00 UTC first)", profile)
	}
	if n := count("metric = 'category_rate.model_inference' AND identity_id = 'agent-b' AND horizon = '5m' AND mean = 10"); n != 1 {
		t.Errorf("%d category rate rows of agent-b with a mean of 10 events per 5 minutes, want 1", n)
	}

	// Only agent-b changes before the next round.
	feed("agent-b", 2, 1)
	advance(time.Hour)
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return count("1") == 2*15+15 })
	if n := count("identity_id = 'agent-a'"); n != 15 {
		t.Errorf("agent-a, unchanged, has %d rows, want 15 from the first round only", n)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
