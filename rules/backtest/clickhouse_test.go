package backtest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kgo"

	chserver "github.com/aitdr/aitdr/deploy/clickhouse"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/rules/backtest"
	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/clickhouse"
)

// embedded starts the embedded ClickHouse engine behind its HTTP interface
// for the test and returns a connection to a freshly migrated database
// whose events never expire. It fails (never skips) when libchdb.so is
// missing: make test provides it.
func embedded(t *testing.T) driver.Conn {
	t.Helper()
	cfg := chserver.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	srv, err := chserver.New(cfg, chserver.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if errors.Is(err, chserver.ErrNoLibrary) {
		t.Fatalf("this test needs the embedded ClickHouse engine: run `make chdb` (make test does) or set %s: %v", chserver.LibraryEnv, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("embedded clickhouse: %v", err)
		}
	})
	admin, err := clickhouse.Connect("http://" + srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	const db = "backtest"
	if _, err := clickhouse.Migrate(ctx, admin, clickhouse.Options{Database: db, EventTTL: clickhouse.MaxTTL}); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	conn, err := clickhouse.Connect("http://" + srv.Addr() + "/" + db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// sinkRecords writes records through the ClickHouse sink, as the pipeline
// does.
func sinkRecords(t *testing.T, conn driver.Conn, records []*kgo.Record) {
	t.Helper()
	sink, err := clickhouse.NewSink(conn, clickhouse.SinkConfig{Database: "backtest"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, r := range records {
		r.Offset = int64(i)
		var out stream.Output
		if err := sink.Process(ctx, r, &out); err != nil {
			t.Fatal(err)
		}
	}
	if err := sink.Flush(ctx); err != nil {
		t.Fatalf("sink flush: %v", err)
	}
}

// Events written by the sink and read back by LoadEvents replay through the
// engine exactly as the events themselves do.
func TestBacktestFromClickHouse(t *testing.T) {
	conn := embedded(t)
	events := fixture()
	var records []*kgo.Record
	for _, ev := range events {
		ev.Enrichment.Class = schemas.ClassAIAgent
		ev.Enrichment.OffHours = true
		ev.Enrichment.CredentialWorkloads = 3
		ev.Features.Available = true
		ev.Features.RateRatio.H1 = 12.5
		ev.Features.AfterHours = true
		r, err := stream.EventRecord(schemas.TopicScored, ev)
		if err != nil {
			t.Fatal(err)
		}
		records = append(records, r)
	}
	sinkRecords(t, conn, records)

	loaded, err := backtest.LoadEvents(context.Background(), conn, time.Since(t0)+24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded) != len(events) {
		t.Fatalf("LoadEvents read %d events, want %d", len(loaded), len(events))
	}
	byID := map[string]*schemas.Event{}
	for _, ev := range loaded {
		byID[ev.ID] = ev
	}
	for _, want := range events {
		got := byID[want.ID]
		switch {
		case got == nil:
			t.Errorf("event %s not read back", want.ID)
		case !got.Time.Equal(want.Time) || got.Identity.ID != want.Identity.ID || got.Action.Name != want.Action.Name ||
			got.Outcome != want.Outcome || got.Source.Product != want.Source.Product || got.Enrichment.Class != want.Enrichment.Class ||
			got.Enrichment.OffHours != want.Enrichment.OffHours || got.Enrichment.CredentialWorkloads != want.Enrichment.CredentialWorkloads ||
			got.Features.Available != want.Features.Available || got.Features.RateRatio != want.Features.RateRatio || got.Features.AfterHours != want.Features.AfterHours:
			t.Errorf("event %s read back as %+v, want %+v", want.ID, got, want)
		}
	}
	rep, err := backtest.Run(context.Background(), loadRules(t), loaded, backtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep)
}

// LoadHistory counts each rule's judged alerts and false positives from
// the alerts and the analysts' latest verdicts.
func TestLoadHistoryFromClickHouse(t *testing.T) {
	conn := embedded(t)
	golden, err := os.ReadFile("../../schemas/ocsf/testdata/llmjacking_agent.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	const rule = "aitdr.llmjacking.token_spike" // the golden finding's rule
	var records []*kgo.Record
	var ids []string
	for i := range 4 {
		id := fmt.Sprintf("a7c1d9e3b5f70214c6e8a0b2d4f6135%d", i)
		value := bytes.Replace(golden, []byte("a7c1d9e3b5f70214c6e8a0b2d4f61357"), []byte(id), -1)
		records = append(records, &kgo.Record{Topic: schemas.TopicAlerts, Value: value})
		ids = append(ids, id)
	}
	sinkRecords(t, conn, records)
	at := time.Now().UTC()
	verdicts := []clickhouse.AlertDisposition{
		{AlertID: ids[0], Disposition: "false_positive", Analyst: "ana", Time: at},
		{AlertID: ids[1], Disposition: "true_positive", Analyst: "ana", Time: at},
		// The latest verdict wins: ids[2] was first judged a true positive.
		{AlertID: ids[2], Disposition: "true_positive", Analyst: "ana", Time: at.Add(-time.Hour)},
		{AlertID: ids[2], Disposition: "false_positive", Analyst: "bo", Time: at},
		// ids[3] is not judged.
	}
	if err := clickhouse.Insert(context.Background(), conn, "backtest", "", verdicts); err != nil {
		t.Fatal(err)
	}
	hist, err := backtest.LoadHistory(context.Background(), conn, 3650)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hist[rule], (backtest.History{Judged: 3, FalsePositives: 2}); got != want || len(hist) != 1 {
		t.Fatalf("history %+v, want only %s: %+v", hist, rule, want)
	}
}
