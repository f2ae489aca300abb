package reliability_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/aitdr/aitdr/schemas"
)

// EnvClickHouseOutage sets how long TestClickHouseOutage keeps the engine
// down (a Go duration, at least 10s). Default 30s.
const EnvClickHouseOutage = "AITDR_RELIABILITY_CLICKHOUSE_OUTAGE"

// TestClickHouseOutage shows that the sink holds while ClickHouse is down:
// the pipeline keeps running, the stages before the sink keep going, the
// sink commits nothing it has not written, and once the engine is back it
// catches up with every event exactly once. The responder keeps its audit
// rows meanwhile and logs the outage in a few lines: the first failed
// write, at most one summary per 10 s, and the recovery.
func TestClickHouseOutage(t *testing.T) {
	brokers, bin := suite(t)
	outage := durationEnv(t, EnvClickHouseOutage, 30*time.Second, 10*time.Second)
	adm := adminClient(t, brokers)
	ch := newClickHouseServer(t, bin)
	ch.start()
	// About 45 seconds of records at 800 a second: before, during and after
	// the outage.
	sim := simulation(t, 72*time.Hour, 0.3, 800)
	p := newPipeline(t, bin, brokers, pipelineSpec{name: "pipeline", natsURL: startNATSServer(t).url(), clickhouseDSN: ch.dsn(), sim: sim})
	p.cleanUpKafka(adm)
	p.start(time.Minute)
	f := startFeed(t, producer(t, brokers), p.topic(schemas.TopicRaw), sim)

	if _, ok := waitFor(t, time.Minute, 100*time.Millisecond, []*process{p.proc}, func() bool {
		return p.ch.mustCount(t, "SELECT count() FROM aitdr.events") >= 3000
	}); !ok {
		t.Fatal("fewer than 3000 events in ClickHouse after a minute")
	}
	ch.proc.stop(time.Minute)
	down := time.Now()
	linesAtStop := p.proc.lineCount()
	t.Logf("clickhouse stopped after %d records produced; down for %s", f.count(), outage)

	// While it is down: the pipeline runs, the stages before the sink keep
	// going, and the sink's committed offsets stay where the last insert
	// left them (a commit may still land in the first seconds, for an
	// insert that succeeded just before the stop).
	sinkTopics := p.groups()[p.stageGroup("sink")]
	time.Sleep(3 * time.Second)
	held := committed(t, adm, p.stageGroup("sink"), sinkTopics...)
	scoredBefore := endOffsets(t, adm, p.topic(schemas.TopicScored))
	var peakSinkLag, peakUpstreamLag int64
	for time.Since(down) < outage {
		p.proc.mustRun()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		lags, err := p.lags(ctx, adm)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		peakSinkLag = max(peakSinkLag, lags[p.stageGroup("sink")])
		peakUpstreamLag = max(peakUpstreamLag, totalLag(lags)-lags[p.stageGroup("sink")])
		if now := committed(t, adm, p.stageGroup("sink"), sinkTopics...); !equalOffsets(now, held) {
			t.Fatalf("the sink committed offsets while ClickHouse was down: %v, then %v", held, now)
		}
		time.Sleep(time.Second)
	}
	scoredDuring := endOffsets(t, adm, p.topic(schemas.TopicScored)) - scoredBefore
	outageLog := p.proc.linesFrom(linesAtStop, 0)
	linesDuringOutage := len(outageLog)
	t.Logf("the log during the outage:\n%s", strings.Join(outageLog[:min(len(outageLog), 20)], "\n"))
	auditFirst := p.proc.logLines(`msg="responder: write the audit trail to ClickHouse failed; retrying"`)
	auditSummaries := p.proc.logLines(`msg="responder: write the audit trail to ClickHouse still failing"`)
	t.Logf("log lines written during the outage: %d in all; the responder's audit: %d first failure, %d summaries",
		linesDuringOutage, len(auditFirst), len(auditSummaries))
	if len(auditFirst) > 1 {
		t.Errorf("%d first-failure warnings of the responder's audit in one outage, want 1: %q", len(auditFirst), auditFirst)
	}
	if most := int(outage/(10*time.Second)) + 1; len(auditSummaries) > most {
		t.Errorf("%d summaries of the responder's audit in a %s outage, want at most %d (one per 10s)", len(auditSummaries), outage, most)
	}
	if len(auditSummaries) > 0 {
		t.Logf("responder: %s", auditSummaries[len(auditSummaries)-1])
	}
	t.Logf("during the outage: %d events scored upstream, sink lag up to %d, the other stages' lag up to %d", scoredDuring, peakSinkLag, peakUpstreamLag)
	if scoredDuring < 1000 {
		t.Errorf("only %d events were scored while ClickHouse was down: the stages before the sink should not wait for it", scoredDuring)
	}
	if peakSinkLag < scoredDuring/2 {
		t.Errorf("sink lag peaked at %d while %d events were scored: the sink did not hold", peakSinkLag, scoredDuring)
	}

	ch.start()
	back := time.Now()
	// Caught up: the sink's lag is back under a second of input.
	caughtUp, ok := waitFor(t, 3*time.Minute, 250*time.Millisecond, []*process{p.proc}, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		lags, err := p.lags(ctx, adm)
		return err == nil && lags[p.stageGroup("sink")] < 800
	})
	if !ok {
		t.Fatalf("the sink did not catch up within 3 minutes of ClickHouse's return")
	}
	f.wait(t, 3*time.Minute)
	want := f.eventIDs()
	p.waitDrained(adm, int64(len(want)), 3*time.Minute)
	t.Logf("clickhouse back after %s; the sink caught up %s later (%d records produced in all, %.0f/s)",
		back.Sub(down).Round(time.Second), caughtUp.Round(time.Millisecond), len(want), f.rate())

	rows := p.ch.mustCount(t, "SELECT count() FROM aitdr.events FINAL")
	missing, extra := diff(want, p.ch.column(t, "SELECT DISTINCT event_id FROM aitdr.events"))
	if rows != int64(len(want)) || len(missing) > 0 || len(extra) > 0 {
		t.Errorf("%d event rows under FINAL, want %d: %d missing %v, %d unexpected %v", rows, len(want), len(missing), head(missing), len(extra), head(extra))
	}
	// The responder wrote the audit rows it held back: every alert has its
	// response actions in ClickHouse, and it said it recovered.
	raised, took := p.waitResponded(2 * time.Minute)
	t.Logf("every one of the %d alerts has its response actions in ClickHouse (%s after the drain)", len(raised), took.Round(time.Millisecond))
	if len(auditFirst) == 1 {
		if recovered := p.proc.logLines(`msg="responder: write the audit trail to ClickHouse recovered"`); len(recovered) != 1 {
			t.Errorf("recovery lines of the responder's audit %q, want one", recovered)
		} else {
			t.Logf("responder: %s", recovered[0])
		}
	}
	// The sink said it waited the outage out, and never gave up on a batch.
	retried := p.proc.logLines("clickhouse insert succeeded after retries")
	if len(retried) == 0 {
		t.Errorf("the sink logged no insert that succeeded after retries: did it write during the outage?")
	} else {
		t.Logf("sink: %s", retried[0])
	}
	p.stop()
	t.Logf("warnings and errors the pipeline logged:%s", p.proc.problems())
}

// committed returns the offsets group committed on topics.
func committed(t *testing.T, adm *kadm.Client, group string, topics ...string) map[string]map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resps, err := adm.FetchOffsetsForTopics(ctx, group, topics...)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		t.Fatalf("offsets of group %s: %v", group, err)
	}
	out := map[string]map[int32]int64{}
	resps.Each(func(o kadm.OffsetResponse) {
		if out[o.Topic] == nil {
			out[o.Topic] = map[int32]int64{}
		}
		out[o.Topic][o.Partition] = o.At
	})
	return out
}

func equalOffsets(a, b map[string]map[int32]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for topic, parts := range a {
		for p, o := range parts {
			if b[topic][p] != o {
				return false
			}
		}
		if len(parts) != len(b[topic]) {
			return false
		}
	}
	return true
}
