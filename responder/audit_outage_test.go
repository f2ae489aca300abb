package responder_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/metrictest"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/aitdr/aitdr/responder"
	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

// logBuffer is a log destination safe for the responder's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the lines holding msg="<msg>".
func (l *logBuffer) lines(msg string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for line := range strings.Lines(l.b.String()) {
		if strings.Contains(line, `msg="`+msg+`"`) {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// While every audit write fails (here the audit database does not exist
// yet; a ClickHouse outage fails the same writes) the responder keeps
// acting and keeps every audit row: it logs the first failed write with
// its error, then at most one summary per interval with the failed writes
// and the rows waiting, where it used to log every failed write; once the
// writes succeed it logs one recovery line and every row is in
// ClickHouse, none lost, the rows waiting back to 0.
func TestAuditOutageIsLoggedRateLimitedAndLosesNoRow(t *testing.T) {
	url := natsServer(t)
	conn, _ := clickhouseDB(t)
	db := "t_" + strings.ToLower(randomID(t)[:12]) // migrated only once the outage ends
	rc := newReceiver(t)
	_, js := connect(t, url)
	var logs logBuffer
	reader := sdkmetric.NewManualReader()
	const interval = time.Second
	start(t, url, testConfig(rc),
		responder.WithAudit(responder.NewClickHouseAudit(conn, db)),
		responder.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		responder.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))),
		responder.WithFailureLogInterval(interval))

	const alerts = 5
	var ids []string
	for range alerts {
		s := live(t, spec{}, time.Second)
		rc.expect(s.id)
		publish(t, js, s, "")
		ids = append(ids, s.id)
	}
	eventually(t, "the SOAR to receive every step", func() bool { return len(rc.requests(responder.ActionWebhook)) == alerts })
	// Four action rows per alert (planned and succeeded for each of two
	// steps) and its time to respond.
	const rows = alerts * (4 + 1)
	eventually(t, "every audit row waiting", func() bool { return metrictest.Sum(t, reader, responder.MetricAuditWaiting) >= rows })
	outageStart := time.Now()
	time.Sleep(3 * interval)
	failedWrites := metrictest.Sum(t, reader, responder.MetricAuditErrors)
	first := logs.lines("responder: write the audit trail to ClickHouse failed; retrying")
	summaries := logs.lines("responder: write the audit trail to ClickHouse still failing")
	if len(first) != 1 || !strings.Contains(first[0], "level=WARN") || !strings.Contains(first[0], "err=") || !strings.Contains(first[0], "table=response_") {
		t.Errorf("first-failure warnings %q, want one with the table and the error", first)
	}
	if len(summaries) == 0 || !strings.Contains(summaries[len(summaries)-1], "failures=") || !strings.Contains(summaries[len(summaries)-1], "rows_waiting=") {
		t.Errorf("summaries %q, want at least one with the failed writes and the rows waiting", summaries)
	}
	// At most one line per interval, against one per failed write before.
	if most := int(time.Since(outageStart)/interval) + 3; len(first)+len(summaries) > most || int64(len(first)+len(summaries)) >= failedWrites {
		t.Errorf("%d warnings for %d failed writes in %s, want at most %d", len(first)+len(summaries), failedWrites, time.Since(outageStart).Round(time.Millisecond), most)
	}
	t.Logf("%d failed writes logged in %d lines; last summary: %s", failedWrites, len(first)+len(summaries), summaries[len(summaries)-1])

	if _, err := chschema.Migrate(context.Background(), conn, chschema.Options{Database: db}); err != nil {
		t.Fatalf("migrate %s: %v", db, err)
	}
	count := func(table string) int {
		return len(queryRows(t, conn, "SELECT alert_id FROM "+db+"."+table+" WHERE has(?, alert_id)", ids))
	}
	eventually(t, "every row in ClickHouse", func() bool {
		return count("response_actions") == alerts*4 && count("response_times") == alerts
	})
	eventually(t, "no row waiting", func() bool { return metrictest.Sum(t, reader, responder.MetricAuditWaiting) == 0 })
	if rec := logs.lines("responder: write the audit trail to ClickHouse recovered"); len(rec) != 1 || !strings.Contains(rec[0], "level=INFO") || !strings.Contains(rec[0], "failed_for=") {
		t.Errorf("recovery lines %q, want one at info with how long writes failed", rec)
	}
	if n := metrictest.Sum(t, reader, responder.MetricAuditDropped); n != 0 {
		t.Errorf("%s = %d, want 0: no record expired", responder.MetricAuditDropped, n)
	}
}
