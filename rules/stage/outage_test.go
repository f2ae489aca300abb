package stage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/metrictest"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/twmb/franz-go/pkg/kgo"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/rules/stage"
	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// restartableNATS is an in-process nats-server with JetStream that a test
// stops and starts again on the same port and store, as a NATS restart
// under a running stage does. The outage tests cannot use a shared server
// (natstest with AITDR_TEST_NATS_URL): they stop it.
type restartableNATS struct {
	t     *testing.T
	port  int
	store string
	ns    *server.Server
}

func startNATS(t *testing.T) *restartableNATS {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	n := &restartableNATS{t: t, port: port, store: t.TempDir()}
	n.start()
	t.Cleanup(n.stop)
	return n
}

func (n *restartableNATS) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.port) }

func (n *restartableNATS) start() {
	n.t.Helper()
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: n.port, JetStream: true, StoreDir: n.store, NoSigs: true, NoLog: true,
	})
	if err != nil {
		n.t.Fatalf("configure nats on port %d: %v", n.port, err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		n.t.Fatalf("nats on port %d not ready after 10s", n.port)
	}
	n.ns = ns
}

func (n *restartableNATS) stop() {
	if n.ns != nil {
		n.ns.Shutdown()
		n.ns.WaitForShutdown()
		n.ns = nil
	}
}

// connectJS connects to n the way the stage does (reconnecting for ever)
// and returns the connection and its JetStream.
func connectJS(t *testing.T, n *restartableNATS) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(n.url(), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond), nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// alertStream creates a stream of the test capturing the alert subjects
// and returns its name.
func alertStream(t *testing.T, js jetstream.JetStream) string {
	t.Helper()
	name := "ALERTS_" + strings.ToUpper(strings.ReplaceAll(kafkatest.Name(t), "-", "_"))
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{schemas.SubjectAlerts + ".>"}, Duplicates: time.Minute}); err != nil {
		t.Fatal(err)
	}
	return name
}

// streamMsgIDs returns the Nats-Msg-Id of every message in the stream, or
// nil when the server does not answer.
func streamMsgIDs(js jetstream.JetStream, name string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, name)
	if err != nil {
		return nil
	}
	info, err := st.Info(ctx)
	if err != nil || info.State.Msgs == 0 {
		return nil
	}
	var ids []string
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			return nil
		}
		ids = append(ids, m.Header.Get(schemas.HeaderNATSMsgID))
	}
	return ids
}

// invoke is a scored event that raises invoke-with-key, a high-severity
// alert on an AI agent: subject aitdr.alerts.high.ai_agent.
func invoke(t *testing.T, topic string, i int) *kgo.Record {
	return scored(t, topic, fmt.Sprintf("invoke-%d", i), fmt.Sprintf("aws:1:role/agent-%d", i), t0, func(ev *schemas.Event) {
		ev.Action = schemas.Action{Name: "InvokeModel", Category: schemas.CategoryModelInference, Verb: schemas.VerbInvoke}
		ev.AI.Findings = []schemas.DataFinding{{Type: schemas.DataAPIKey, Count: 1}}
	})
}

// While NATS is down the stage holds the batch (its offset is not
// committed) and says so as an operator needs it: one warning with the
// subject, stream and error when publishing starts failing, then at most
// one summary per interval counting the failed attempts, PublishReady
// failing and a failure metric; once NATS is back the alert is published,
// the batch committed, and one info line tells how long publishing was
// down.
func TestPublishDuringNATSOutage(t *testing.T) {
	tp := newTopics(t)
	n := startNATS(t)
	_, js := connectJS(t, n)
	streamName := alertStream(t, js)
	group := kafkatest.Name(t)
	var logs syncBuffer
	reader := sdkmetric.NewManualReader()
	r := runStage(t, tp, group, loadSet(t, burstRule), func(o *stage.Options) {
		o.Sink = stage.NewJetStream(js)
		o.PublishTimeout = time.Minute
		o.FailureLogInterval = time.Second
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		o.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	})
	ctx := t.Context()

	kafkatest.Produce(t, tp.brokers, invoke(t, tp.scored, 0))
	waitFor(t, "the first alert in the stream", func() bool { return len(streamMsgIDs(js, streamName)) == 1 })
	waitFor(t, "the first event committed", func() bool { return sum(kafkatest.Committed(t, tp.brokers, group, tp.scored)) == 1 })
	if err := r.proc.PublishReady(ctx); err != nil {
		t.Fatalf("PublishReady with NATS up = %v", err)
	}

	n.stop()
	kafkatest.Produce(t, tp.brokers, invoke(t, tp.scored, 1))
	waitFor(t, "PublishReady failing", func() bool { return r.proc.PublishReady(ctx) != nil })
	t.Logf("PublishReady while NATS is down: %v", r.proc.PublishReady(ctx))
	waitFor(t, "a summary of the failed attempts", func() bool { return strings.Contains(logs.String(), "still failing") })
	if got := sum(kafkatest.Committed(t, tp.brokers, group, tp.scored)); got != 1 {
		t.Errorf("%d events committed while NATS was down, want the 1 published before", got)
	}
	failedAttempts := metrictest.Sum(t, reader, stage.MetricPublishFailures)
	if failedAttempts < 2 {
		t.Errorf("%s = %d with a summary logged, want at least 2", stage.MetricPublishFailures, failedAttempts)
	}

	n.start()
	waitFor(t, "the held alert in the stream", func() bool { return len(streamMsgIDs(js, streamName)) == 2 })
	waitFor(t, "the held event committed", func() bool { return sum(kafkatest.Committed(t, tp.brokers, group, tp.scored)) == 2 })
	if err := r.proc.PublishReady(ctx); err != nil {
		t.Errorf("PublishReady after NATS came back = %v", err)
	}

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	count := func(msg string) (n int, first string) {
		for _, l := range lines {
			if strings.Contains(l, msg) {
				if n == 0 {
					first = l
				}
				n++
			}
		}
		return n, first
	}
	if n, first := count(`msg="publish alerts to NATS failed; retrying"`); n != 1 {
		t.Errorf("%d first-failure warnings, want 1:\n%s", n, logs.String())
	} else {
		for _, want := range []string{"level=WARN", "subject=aitdr.alerts.high.ai_agent", "stream=" + streamName, "err="} {
			if !strings.Contains(first, want) {
				t.Errorf("first-failure warning lacks %s: %s", want, first)
			}
		}
	}
	summaries, summary := count(`msg="publish alerts to NATS still failing"`)
	if summaries == 0 || !strings.Contains(summary, "failures=") || !strings.Contains(summary, "failing_for=") {
		t.Errorf("no summary with the failures and how long: %q", summary)
	}
	if n, line := count(`msg="publish alerts to NATS recovered"`); n != 1 || !strings.Contains(line, "level=INFO") || !strings.Contains(line, "failed_for=") {
		t.Errorf("%d recovery lines, want 1 at info with failed_for: %q", n, line)
	}
	// One line per failed attempt would be failedAttempts lines: the
	// summaries come at most once per second, and attempts are seconds
	// apart, so here the point is the count and the shape, not the ratio.
	t.Logf("log during the outage: %d lines for %d failed attempts\n%s", len(lines), failedAttempts, logs.String())
}

// Past rules.publish_timeout the batch fails: the stage stops with the
// error, commits nothing of the batch, and once restarted with NATS back
// it publishes the same alert under the same id, which the stream stores
// once.
func TestPublishTimeoutFailsBatchUncommitted(t *testing.T) {
	tp := newTopics(t)
	n := startNATS(t)
	nc, js := connectJS(t, n)
	streamName := alertStream(t, js)
	group := kafkatest.Name(t)
	r := runStage(t, tp, group, loadSet(t, burstRule), func(o *stage.Options) {
		o.Sink = stage.NewJetStream(js)
		o.PublishTimeout = 3 * time.Second
	})
	// Stop NATS once the stage holds its partitions, so that the publish
	// and not the group join meets the outage.
	kafkatest.Produce(t, tp.brokers, scored(t, tp.scored, "warm-up", "aws:1:role/warm", t0, nil))
	waitFor(t, "the stage to join and commit", func() bool {
		return sum(kafkatest.Committed(t, tp.brokers, group, tp.scored)) > 0
	})
	committedBefore := sum(kafkatest.Committed(t, tp.brokers, group, tp.scored))
	n.stop()
	kafkatest.Produce(t, tp.brokers, invoke(t, tp.scored, 0))
	select {
	case <-r.finished:
	case <-time.After(waitTimeout):
		t.Fatal("the stage kept going past its publish timeout")
	}
	err := r.stop()
	if err == nil || !strings.Contains(err.Error(), "gave up") || !strings.Contains(err.Error(), "rules.publish_timeout 3s") {
		t.Fatalf("Run = %v, want the publish that gave up at rules.publish_timeout", err)
	}
	t.Logf("Run: %v", err)
	if got := sum(kafkatest.Committed(t, tp.brokers, group, tp.scored)); got != committedBefore {
		t.Errorf("committed %d events, want %d: the failed batch must not be committed", got, committedBefore)
	}
	produced := kafkatest.ReadAll(t, tp.brokers, tp.alerts, 1, waitTimeout)
	alertID := alertIDOf(t, produced[0])
	// The process is gone: its buffered publishes with it.
	nc.Close()

	n.start()
	_, js2 := connectJS(t, n)
	runStage(t, tp, group, loadSet(t, burstRule), func(o *stage.Options) { o.Sink = stage.NewJetStream(js2) })
	waitFor(t, "the alert published after the restart", func() bool { return len(streamMsgIDs(js2, streamName)) == 1 })
	if ids := streamMsgIDs(js2, streamName); len(ids) != 1 || ids[0] != alertID {
		t.Errorf("stream holds %v, want the alert %s once", ids, alertID)
	}
	waitFor(t, "the batch committed after the restart", func() bool {
		return sum(kafkatest.Committed(t, tp.brokers, group, tp.scored)) == committedBefore+1
	})
}

// alertIDOf returns the alert id of an alerts-topic record.
func alertIDOf(t *testing.T, r *kgo.Record) string {
	t.Helper()
	var f ocsf.DetectionFinding
	if err := json.Unmarshal(r.Value, &f); err != nil {
		t.Fatalf("alert is not JSON: %v", err)
	}
	if f.FindingInfo.UID == "" {
		t.Fatalf("alert without an id: %s", r.Value)
	}
	return f.FindingInfo.UID
}
