package rightsize_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/aitdr/aitdr/enrich/rightsize"
)

const (
	benchIdentities = 10_000
	benchEvents     = 1_000_000
	benchGrants     = 50 // per identity
)

// benchWorld fills a database, inside the engine, with 10k identities (a
// third each agents, builders, users), 50 granted actions each, and 1M
// successful events over 90 days using 60 actions (10 of them not
// granted) on 7 resources.
func benchWorld(b *testing.B, conn driver.Conn) {
	b.Helper()
	ctx := context.Background()
	for _, sql := range []string{
		`INSERT INTO identities (identity_id, kind, class, first_seen, updated_at)
		 SELECT concat('aws:123456789012:role/agent-', toString(number)),
		        'service', ['ai_agent', 'ai_builder', 'ai_user'][number % 3 + 1],
		        toDateTime64('2026-01-01 00:00:00', 3, 'UTC'), now64(3)
		 FROM numbers(` + strconv.Itoa(benchIdentities) + `)`,
		`INSERT INTO permission_grants (snapshot_time, identity_id, provider, permission, resource, granted_via, policy, scope, access_level, sensitive)
		 SELECT toDateTime64('2026-02-01 00:00:00', 3, 'UTC'),
		        concat('aws:123456789012:role/agent-', toString(intDiv(number, ` + strconv.Itoa(benchGrants) + `))),
		        'aws', concat('svc', toString(number % 10), ':Action', toString(number % ` + strconv.Itoa(benchGrants) + `)),
		        '*', 'role/agent', 'inline:agent', 'aws:123456789012', 'Write', if(number % 7 = 0, 'iam_change', '')
		 FROM numbers(` + strconv.Itoa(benchIdentities*benchGrants) + `)`,
		`INSERT INTO events (event_id, time, observed_time, product, identity_id, identity_provider, action_name, action_service, target_id, outcome)
		 SELECT concat('e', toString(number)),
		        toDateTime64('2026-03-01 00:00:00', 3, 'UTC') + toIntervalSecond(number % 7776000),
		        toDateTime64('2026-03-01 00:00:00', 3, 'UTC') + toIntervalSecond(number % 7776000),
		        'aws.cloudtrail', concat('aws:123456789012:role/agent-', toString(number % ` + strconv.Itoa(benchIdentities) + `)), 'aws',
		        concat('Action', toString(intDiv(number, ` + strconv.Itoa(benchIdentities) + `) % 60)),
		        concat('svc', toString(intDiv(number, ` + strconv.Itoa(benchIdentities) + `) % 60 % 10), '.amazonaws.com'),
		        concat('arn:aws:svc:::r', toString(number % 7)), 'success'
		 FROM numbers(` + strconv.Itoa(benchEvents) + `)`,
	} {
		if err := conn.Exec(ctx, sql); err != nil {
			b.Fatalf("%s: %v", sql, err)
		}
	}
}

// BenchmarkAnalysis measures a whole report on the embedded engine: read
// 500k grants and aggregate 1M events for 10k identities, then analyze and
// write the recommendations. It reports the process's peak resident
// memory, which includes the in-process engine.
func BenchmarkAnalysis(b *testing.B) {
	conn, _ := database(b)
	benchWorld(b, conn)
	opts := rightsize.Options{Now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), Config: rightsize.Config{Window: 100 * 24 * time.Hour, MinDays: 30, MinEvents: 50}}
	ctx := context.Background()
	var r *rightsize.Report
	for b.Loop() {
		var err error
		if r, err = rightsize.Build(ctx, conn, opts); err != nil {
			b.Fatal(err)
		}
	}
	if len(r.Identities) != benchIdentities || r.Overall.Granted != benchIdentities*benchGrants {
		b.Fatalf("report of %d identities, %d granted", len(r.Identities), r.Overall.Granted)
	}
	if r.Overall.Used != r.Overall.Granted || r.Identities[0].UsedNotGranted != 10 {
		b.Fatalf("used %d of %d, used not granted %d", r.Overall.Used, r.Overall.Granted, r.Identities[0].UsedNotGranted)
	}
	if mb := peakRSSMB(); mb > 0 {
		b.ReportMetric(mb, "peak-RSS-MB")
	}
}

// peakRSSMB reads the process's peak resident set (VmHWM), or 0.
func peakRSSMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if kb, err := strconv.ParseFloat(f[0], 64); err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}
