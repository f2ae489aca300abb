package reliability_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/aitdr/aitdr/internal/telemetry"
	"github.com/aitdr/aitdr/schemas"
)

// EnvNATSOutage sets how long TestNATSOutage keeps nats-server down (a Go
// duration, at least 10s, and under rules.publish_timeout, 1m, past which
// the rules stage gives up and "aitdr run" stops). Default 20s.
const EnvNATSOutage = "AITDR_RELIABILITY_NATS_OUTAGE"

// auditSettle is how long the responder's audit rows of alerts taken before
// an outage may take to reach ClickHouse.
const auditSettle = 5 * time.Second

// TestNATSOutage shows that with nats-server stopped under a running
// pipeline the rules stage holds its batch (alerts are not lost) and says
// so: one warning when publishing starts failing, at most one summary per
// 10 s, /readyz failing on "stage rules nats publish", and one info line
// on the recovery. Once the server is back on its JetStream store the
// responder catches up: it answers every alert the pipeline raised,
// before, during and after the outage, and its durable consumer has
// nothing left pending.
func TestNATSOutage(t *testing.T) {
	brokers, bin := suite(t)
	outage := durationEnv(t, EnvNATSOutage, 20*time.Second, 10*time.Second)
	adm := adminClient(t, brokers)
	ns := startNATSServer(t)
	sim := simulation(t, 72*time.Hour, 0.3, 800)
	p := newPipeline(t, bin, brokers, pipelineSpec{name: "pipeline", natsURL: ns.url(), sim: sim})
	p.cleanUpKafka(adm)
	p.start(time.Minute)
	f := startFeed(t, producer(t, brokers), p.topic(schemas.TopicRaw), sim)

	actedOn := func() int64 {
		return p.ch.mustCount(t, "SELECT uniqExact(alert_id) FROM aitdr.response_actions")
	}
	if _, ok := waitFor(t, 2*time.Minute, 200*time.Millisecond, []*process{p.proc}, func() bool { return actedOn() >= 20 }); !ok {
		t.Fatalf("the responder acted on %d alerts in 2 minutes, want 20 before the outage", actedOn())
	}
	ns.proc.stop(30 * time.Second)
	down := time.Now()
	linesAtStop := p.proc.lineCount()
	// The responder writes its audit rows in batches: an alert it took
	// from NATS just before the stop reaches ClickHouse a moment later.
	// Count from after that settling time.
	time.Sleep(auditSettle)
	actedBefore := actedOn()
	alertsBefore := endOffsets(t, adm, p.topic(schemas.TopicAlerts))
	t.Logf("nats-server stopped after %d records produced, %d alerts acted on; down for %s", f.count(), actedBefore, outage)

	// While it is down: the process runs, the rules stage holds (its lag
	// grows), and nothing reaches the responder.
	var peakRulesLag int64
	var publishFailing string
	for time.Since(down) < outage {
		p.proc.mustRun()
		if c, ok := p.check("stage rules nats publish"); ok && !c.OK && publishFailing == "" {
			publishFailing = c.Error
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		lags, err := p.lags(ctx, adm)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		peakRulesLag = max(peakRulesLag, lags[p.stageGroup("rules")])
		time.Sleep(time.Second)
	}
	actedAtRestart := actedOn()
	outageLog := p.proc.linesFrom(linesAtStop, 0)
	linesDuringOutage := len(outageLog)
	t.Logf("the log during the outage:\n%s", strings.Join(outageLog[:min(len(outageLog), 20)], "\n"))
	t.Logf("during the outage: rules lag up to %d, %d more alerts on the alerts topic, %d more alerts acted on",
		peakRulesLag, endOffsets(t, adm, p.topic(schemas.TopicAlerts))-alertsBefore, actedAtRestart-actedBefore)
	if peakRulesLag < 2000 {
		t.Errorf("rules lag peaked at %d during the outage: the stage should hold its batch until NATS is back", peakRulesLag)
	}
	if actedAtRestart != actedBefore {
		t.Errorf("the responder acted on %d alerts while nats-server was down: they did not come through NATS", actedAtRestart-actedBefore)
	}
	// What an operator saw: /readyz failing on the rules stage's publish,
	// and a few lines, not one per attempt.
	if publishFailing == "" {
		t.Errorf("/readyz never reported the rules stage's NATS publish failing during the outage")
	} else {
		t.Logf("/readyz during the outage: stage rules nats publish: %s", publishFailing)
	}
	first := p.proc.logLines(`msg="publish alerts to NATS failed; retrying"`)
	summaries := p.proc.logLines(`msg="publish alerts to NATS still failing"`)
	t.Logf("log lines written during the outage: %d in all; the rules stage's: %d first failure, %d summaries",
		linesDuringOutage, len(first), len(summaries))
	if len(first) != 1 {
		t.Errorf("%d first-failure warnings of the rules stage, want 1: %q", len(first), first)
	} else {
		for _, want := range []string{"subject=aitdr.alerts.", "stream=" + schemas.StreamAlerts, "err="} {
			if !strings.Contains(first[0], want) {
				t.Errorf("first-failure warning lacks %s: %s", want, first[0])
			}
		}
	}
	if most := int(outage/(10*time.Second)) + 1; len(summaries) > most {
		t.Errorf("%d summaries in a %s outage, want at most %d (one per 10s)", len(summaries), outage, most)
	}

	ns.start()
	back := time.Now()
	// The rules stage resumes: its lag is back under a second of input.
	rulesBack, ok := waitFor(t, 2*time.Minute, 250*time.Millisecond, []*process{p.proc}, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		lags, err := p.lags(ctx, adm)
		return err == nil && lags[p.stageGroup("rules")] < 800
	})
	if !ok {
		t.Fatalf("the rules stage did not catch up within 2 minutes of nats-server's return")
	}
	t.Logf("nats-server back after %s; the rules stage caught up %s later", back.Sub(down).Round(time.Second), rulesBack.Round(time.Millisecond))
	if recovered := p.proc.logLines(`msg="publish alerts to NATS recovered"`); len(recovered) != 1 || !strings.Contains(recovered[0], "failed_for=") {
		t.Errorf("recovery lines of the rules stage %q, want one with how long publishing failed", recovered)
	} else {
		t.Logf("rules stage: %s", recovered[0])
	}
	if _, ok := waitFor(t, time.Minute, 250*time.Millisecond, []*process{p.proc}, p.ready); !ok {
		t.Errorf("/readyz still failing a minute after nats-server's return: %s", p.readiness())
	}
	f.wait(t, 3*time.Minute)
	want := f.eventIDs()
	p.waitDrained(adm, int64(len(want)), 3*time.Minute)

	// Every alert of the run reached the responder: the alert ids it acted
	// on are those of the alerts table.
	raised, _ := p.waitResponded(2 * time.Minute)
	t.Logf("the responder had acted on all %d alerts, %d of them after nats-server's return, %s after it (the pipeline drained: %d records, %.0f/s)",
		len(raised), int64(len(raised))-actedAtRestart, time.Since(back).Round(time.Millisecond), len(want), f.rate())
	if int64(len(raised)) <= actedAtRestart {
		t.Errorf("no alert was left for the responder after nats-server's return: the outage held nothing back")
	}

	// JetStream: the stream holds each alert once, the responder's durable
	// consumer has nothing pending or unacknowledged.
	nc, err := nats.Connect(ns.url())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := js.Stream(ctx, schemas.StreamAlerts)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != uint64(len(raised)) {
		t.Errorf("stream %s holds %d messages, want one per alert: %d", schemas.StreamAlerts, info.State.Msgs, len(raised))
	}
	cons, err := stream.Consumer(ctx, p.cfg.Respond.Consumer)
	if err != nil {
		t.Fatal(err)
	}
	ci, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ci.NumPending != 0 || ci.NumAckPending != 0 || ci.AckFloor.Stream != info.State.LastSeq {
		t.Errorf("consumer %s: %d pending, %d unacknowledged, %d redelivered, ack floor %d of %d",
			ci.Name, ci.NumPending, ci.NumAckPending, ci.NumRedelivered, ci.AckFloor.Stream, info.State.LastSeq)
	}
	t.Logf("%s: %d alerts; consumer %s acknowledged up to %d, %d redelivered", schemas.StreamAlerts, info.State.Msgs, ci.Name, ci.AckFloor.Stream, ci.NumRedelivered)
	p.stop()
	t.Logf("warnings and errors the pipeline logged:%s", p.proc.problems())
}

// check returns the readiness check name of the pipeline's /readyz, and
// whether /readyz answered with it.
func (p *pipeline) check(name string) (telemetry.CheckStatus, bool) {
	resp, err := http.Get(p.health + "/readyz")
	if err != nil {
		return telemetry.CheckStatus{}, false
	}
	defer resp.Body.Close()
	var rd telemetry.Readiness
	if err := json.NewDecoder(resp.Body).Decode(&rd); err != nil {
		return telemetry.CheckStatus{}, false
	}
	for _, c := range rd.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return telemetry.CheckStatus{}, false
}
