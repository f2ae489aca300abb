package clickhouse_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/clickhouse"
)

// waitTimeout bounds every wait of the tests.
const waitTimeout = 90 * time.Second

// fixture is the template of generated events: the golden scored event
// (enriched, with features and a raw record).
func fixture(t testing.TB) schemas.Event {
	t.Helper()
	var e schemas.Event
	if err := schemas.DecodeEvent(schemas.ContentTypeEventJSON, readGolden(t, "../testdata/scored_enriched_agent.golden.json"), &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// makeEvent returns the i-th generated event: the fixture with its own id,
// one of 100 identities, and a time i milliseconds after base.
func makeEvent(tmpl *schemas.Event, i int, base time.Time) schemas.Event {
	e := *tmpl
	e.ID = schemas.EventID(e.Source.Product, fmt.Sprintf("gen-%d", i), nil)
	e.Identity.ID = fmt.Sprintf("aws:123456789012:role/agent-%d", i%100)
	e.Time = base.Add(time.Duration(i) * time.Millisecond)
	e.ObservedTime = e.Time.Add(time.Second)
	e.Volume.TokensIn = int64(i % 1000)
	return e
}

// eventRecord returns e as the baseline stage produces it on topic.
func eventRecord(t testing.TB, topic string, e *schemas.Event) *kgo.Record {
	t.Helper()
	v, err := schemas.AppendEvent(nil, e)
	if err != nil {
		t.Fatal(err)
	}
	return &kgo.Record{
		Topic: topic, Key: []byte(e.Identity.ID), Value: v,
		Headers: []kgo.RecordHeader{{Key: schemas.HeaderContentType, Value: []byte(schemas.ContentTypeEventMsgpack)}},
	}
}

// eventRecords returns n generated event records for topic, starting at
// index from.
func eventRecords(t testing.TB, topic string, from, n int) []*kgo.Record {
	t.Helper()
	tmpl := fixture(t)
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	out := make([]*kgo.Record, n)
	for i := range out {
		e := makeEvent(&tmpl, from+i, base)
		out[i] = eventRecord(t, topic, &e)
	}
	return out
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// newSink returns a sink into db with fast retries.
func newSink(t testing.TB, conn driver.Conn, db string, configure ...func(*clickhouse.SinkConfig)) *clickhouse.Sink {
	t.Helper()
	cfg := clickhouse.SinkConfig{Database: db, RetryMin: 20 * time.Millisecond, RetryMax: 500 * time.Millisecond}
	for _, f := range configure {
		f(&cfg)
	}
	s, err := clickhouse.NewSink(conn, cfg, clickhouse.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// process hands records to the sink as the Runner does, with increasing
// offsets per partition.
func process(t testing.TB, s *clickhouse.Sink, records []*kgo.Record) {
	t.Helper()
	next := map[int32]int64{}
	for _, r := range records {
		r.Offset = next[r.Partition]
		next[r.Partition]++
		if err := s.Process(context.Background(), r, &stream.Output{}); err != nil {
			t.Fatalf("process: %v", err)
		}
	}
}

// counts returns count(), count() FINAL and uniqExact(event_id) of events.
func counts(t testing.TB, conn driver.Conn, db string) (rows, final, distinct int64) {
	t.Helper()
	rows = queryInt(t, conn, "SELECT count() FROM "+db+".events")
	final = queryInt(t, conn, "SELECT count() FROM "+db+".events FINAL")
	distinct = queryInt(t, conn, "SELECT uniqExact(event_id) FROM "+db+".events")
	return rows, final, distinct
}

// A batch of 100k events goes through the sink's writer in one insert and
// reads back whole: every event once, the volumes summed, and the
// materialized views fed.
func TestSink100kEvents(t *testing.T) {
	conn, db := migrated(t)
	const n = 100_000
	s := newSink(t, conn, db)
	process(t, s, eventRecords(t, schemas.TopicScored, 0, n))
	start := time.Now()
	if err := s.Flush(context.Background()); err != nil {
		t.Fatalf("flush: %v", err)
	}
	t.Logf("inserted %d events in %s", n, time.Since(start).Round(time.Millisecond))
	if rows, final, distinct := counts(t, conn, db); rows != n || final != n || distinct != n {
		t.Errorf("events: count %d, FINAL %d, distinct ids %d; want %d each", rows, final, distinct, n)
	}
	var wantTokens int64
	for i := range n {
		wantTokens += int64(i % 1000)
	}
	for _, c := range []struct {
		sql  string
		want int64
	}{
		{"SELECT sum(tokens_in) FROM " + db + ".events", wantTokens},
		{"SELECT uniqExact(identity_id) FROM " + db + ".events", 100},
		{"SELECT countIf(features['tokens_ratio.5m'] > 0 AND learning = false AND length(class_evidence) > 0) FROM " + db + ".events", n},
		{"SELECT sum(events) FROM " + db + ".identity_hourly_activity", n},
		{"SELECT sum(tokens_in) FROM " + db + ".identity_daily_volume", wantTokens},
		{"SELECT sum(uses) FROM " + db + ".permission_usage WHERE permission = 'bedrock:InvokeModel'", n},
	} {
		if got := queryInt(t, conn, c.sql); got != c.want {
			t.Errorf("%s = %d, want %d", c.sql, got, c.want)
		}
	}
}

// lossyProxy forwards requests to ClickHouse, but answers the first fail
// INSERTs with 502 Bad Gateway after ClickHouse executed them: the answer
// of a successful insert is lost, as on a network failure.
func lossyProxy(t testing.TB, target string, fail int32) (dsn string, lost *atomic.Int32) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	lost = new(atomic.Int32)
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ModifyResponse = func(r *http.Response) error {
		q := strings.ToUpper(strings.TrimSpace(r.Request.URL.Query().Get("query")))
		if strings.HasPrefix(q, "INSERT") && r.StatusCode == http.StatusOK && lost.Load() < fail {
			lost.Add(1)
			return errors.New("answer lost on the way back")
		}
		return nil
	}
	proxy.ErrorLog = nil
	proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, err error) {
		http.Error(w, err.Error(), http.StatusBadGateway)
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	return "http://" + srv.Listener.Addr().String(), lost
}

// collect returns the sums of the counters and the counts of the
// histograms of reader, by "name{attributes}".
func collect(t testing.TB, reader *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("collect metrics: %v", err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out[m.Name+"{"+p.Attributes.Encoded(attribute.DefaultEncoder())+"}"] += p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					out[m.Name+"{"+p.Attributes.Encoded(attribute.DefaultEncoder())+"}"] += int64(p.Count)
				}
			}
		}
	}
	return out
}

// An insert whose answer was lost after ClickHouse stored it is retried
// with the same deduplication token and dropped by ClickHouse: the rows are
// there once, without FINAL, and the materialized views count them once.
// Rows inserted again under another token (a batch cut differently after a
// crash) are stored twice until merged: FINAL and uniqExact count them once,
// the summing views twice.
func TestSinkRetryIsDeduplicated(t *testing.T) {
	_, db := migrated(t)
	proxyDSN, lost := lossyProxy(t, dsn(t), 2)
	conn, err := clickhouse.Connect(proxyDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	direct := connect(t)
	const n = 1000
	records := eventRecords(t, schemas.TopicScored, 0, n)
	reader := sdkmetric.NewManualReader()
	s, err := clickhouse.NewSink(conn, clickhouse.SinkConfig{Database: db, RetryMin: 10 * time.Millisecond},
		clickhouse.WithLogger(testLogger(t)), clickhouse.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	if err != nil {
		t.Fatal(err)
	}
	process(t, s, records)
	if err := s.Flush(context.Background()); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if lost.Load() != 2 {
		t.Fatalf("the proxy lost %d answers, want 2", lost.Load())
	}
	metrics := collect(t, reader)
	for name, want := range map[string]int64{
		clickhouse.MetricRowsWritten + "{aitdr.table=events}":                       n,
		clickhouse.MetricInsertRetries + "{aitdr.table=events}":                     2,
		clickhouse.MetricInsertDuration + "{aitdr.result=error,aitdr.table=events}": 2,
		clickhouse.MetricInsertDuration + "{aitdr.result=ok,aitdr.table=events}":    1,
	} {
		if metrics[name] != want {
			t.Errorf("%s = %d, want %d (all: %v)", name, metrics[name], want, metrics)
		}
	}
	rows, final, distinct := counts(t, direct, db)
	views := queryInt(t, direct, "SELECT sum(events) FROM "+db+".identity_daily_volume")
	t.Logf("same batch inserted 3 times with one token: count %d, FINAL %d, distinct %d, identity_daily_volume.events %d", rows, final, distinct, views)
	if rows != n || final != n || distinct != n || views != n {
		t.Errorf("after 2 lost answers and retries: count %d, FINAL %d, distinct %d, views %d; want %d each", rows, final, distinct, views, n)
	}

	// The same records redelivered in two batches cut elsewhere: new tokens.
	s = newSink(t, direct, db)
	for _, part := range [][]*kgo.Record{records[:300], records[300:]} {
		process(t, s, part)
		if err := s.Flush(context.Background()); err != nil {
			t.Fatalf("flush: %v", err)
		}
	}
	rows, final, distinct = counts(t, direct, db)
	views = queryInt(t, direct, "SELECT sum(events) FROM "+db+".identity_daily_volume")
	t.Logf("redelivered in other batches: count %d, FINAL %d, distinct %d, identity_daily_volume.events %d", rows, final, distinct, views)
	if final != n || distinct != n {
		t.Errorf("after a redelivery: FINAL %d, distinct %d; want %d", final, distinct, n)
	}
	exec(t, direct, "OPTIMIZE TABLE "+db+".events FINAL")
	if rows = queryInt(t, direct, "SELECT count() FROM "+db+".events"); rows != n {
		t.Errorf("after OPTIMIZE FINAL: count %d, want %d", rows, n)
	}
}

// While ClickHouse is down, Flush retries and holds; once it is back the
// batch is inserted whole, once.
func TestSinkHoldsWhileClickHouseIsDown(t *testing.T) {
	conn, db := migrated(t)
	const n = 500
	s := newSink(t, conn, db)
	process(t, s, eventRecords(t, schemas.TopicScored, 0, n))
	done := make(chan error, 1)
	restartServer(t, func() {
		go func() { done <- s.Flush(context.Background()) }()
		select {
		case err := <-done:
			t.Fatalf("Flush returned %v while ClickHouse was down, want it to hold", err)
		case <-time.After(2 * time.Second):
		}
	})
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("flush: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatalf("Flush did not return within %s of ClickHouse coming back", waitTimeout)
	}
	if rows, final, distinct := counts(t, connect(t), db); rows != n || final != n || distinct != n {
		t.Errorf("count %d, FINAL %d, distinct %d; want %d each", rows, final, distinct, n)
	}
}

// Flush gives up when its context ends, and fails at once on a permanent
// error such as a missing table.
func TestSinkFlushErrors(t *testing.T) {
	conn, db := migrated(t)
	t.Run("context", func(t *testing.T) {
		dead, err := clickhouse.Connect("http://127.0.0.1:1")
		if err != nil {
			t.Fatal(err)
		}
		s := newSink(t, dead, db)
		process(t, s, eventRecords(t, schemas.TopicScored, 0, 10))
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		err = s.Flush(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "insert 10 rows into "+db+".events") {
			t.Errorf("Flush = %v, want the insert error and context.DeadlineExceeded", err)
		}
	})
	t.Run("permanent", func(t *testing.T) {
		s := newSink(t, conn, db+"_missing")
		process(t, s, eventRecords(t, schemas.TopicScored, 0, 10))
		start := time.Now()
		err := s.Flush(context.Background())
		if err == nil || exceptionCode(err) == 0 || time.Since(start) > 5*time.Second {
			t.Errorf("Flush = %v after %s, want a ClickHouse exception at once", err, time.Since(start))
		}
	})
}

// runnerConfig is a Runner config for the sink: a unique group, small
// batches, fast group timings.
func runnerConfig(t testing.TB, brokers []string, topics []string, dlq string) stream.Config {
	return stream.Config{
		Stage:           "sink",
		Brokers:         brokers,
		Group:           kafkatest.Name(t),
		Topics:          topics,
		DeadLetterTopic: dlq,
		MaxPollRecords:  500,
		CommitInterval:  100 * time.Millisecond,
		DrainTimeout:    20 * time.Second,
		ClientOpts: []kgo.Opt{
			kgo.SessionTimeout(6 * time.Second),
			kgo.HeartbeatInterval(100 * time.Millisecond),
			kgo.RebalanceTimeout(5 * time.Second),
		},
	}
}

// running is a Runner started by run.
type running struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned
	err    error         // Run's result, once done is closed
}

// run runs p under cfg in the background until stop is called or the test
// ends.
func run(t testing.TB, cfg stream.Config, p stream.Processor) *running {
	t.Helper()
	r, err := stream.New(cfg, p, stream.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rr := &running{cancel: cancel, done: make(chan struct{})}
	go func() {
		rr.err = r.Run(ctx)
		close(rr.done)
	}()
	t.Cleanup(func() { _ = rr.stop() })
	return rr
}

// stop cancels the Runner and returns Run's result.
func (r *running) stop() error {
	r.cancel()
	<-r.done
	return r.err
}

// until polls cond every 100ms until it holds, failing the test after
// waitTimeout with what describes the last state.
func until(t testing.TB, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not reached within %s (%s)", what, waitTimeout, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// untilEvents waits until events holds n distinct event ids.
func untilEvents(t testing.TB, conn driver.Conn, db string, n int64) {
	t.Helper()
	until(t, fmt.Sprintf("%d events", n), func() (bool, string) {
		_, final, distinct := counts(t, conn, db)
		return distinct >= n, fmt.Sprintf("FINAL %d, distinct %d", final, distinct)
	})
}

// withTopics sets the topics and database of sc on a sink config.
func withTopics(sc clickhouse.SinkConfig) func(*clickhouse.SinkConfig) {
	return func(c *clickhouse.SinkConfig) {
		c.Database, c.EventsTopic, c.AlertsTopic, c.IdentitiesTopic = sc.Database, sc.EventsTopic, sc.AlertsTopic, sc.IdentitiesTopic
	}
}

// topics creates the sink's topics and the dead-letter topic.
func topics(t testing.TB, brokers []string) (cfg clickhouse.SinkConfig, dlq string) {
	t.Helper()
	return clickhouse.SinkConfig{
		EventsTopic:     kafkatest.Topic(t, brokers, 4),
		AlertsTopic:     kafkatest.Topic(t, brokers, 1),
		IdentitiesTopic: kafkatest.Topic(t, brokers, 1),
	}, kafkatest.Topic(t, brokers, 1)
}

// Through a Runner on Kafka: N events, an alert and an identity land in
// ClickHouse exactly once each, and records that cannot become rows go to
// the dead-letter topic with the reason, without stopping the stage.
func TestSinkStage(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	conn, db := migrated(t)
	sc, dlq := topics(t, brokers)
	sc.Database = db
	const n = 3000
	records := eventRecords(t, sc.EventsTopic, 0, n)

	tmpl := fixture(t)
	bad := func(mod func(*schemas.Event)) *kgo.Record {
		e := makeEvent(&tmpl, -1, time.Now())
		mod(&e)
		return eventRecord(t, sc.EventsTopic, &e)
	}
	poison := []struct {
		rec    *kgo.Record
		reason string
	}{
		{&kgo.Record{Topic: sc.EventsTopic, Value: []byte("not msgpack")}, "decode event (msgpack): msgp:"},
		{bad(func(e *schemas.Event) { e.Time = time.Date(1850, 1, 1, 0, 0, 0, 0, time.UTC) }), "time 1850-01-01T00:00:00Z is outside the range of ClickHouse DateTime64"},
		{bad(func(e *schemas.Event) { e.ID = "" }), `event "" does not fit the events table: id is missing`},
		{bad(func(e *schemas.Event) { e.SchemaVersion = schemas.EventSchemaVersion + 1 }), "unsupported schema version"},
		{&kgo.Record{Topic: sc.EventsTopic, Value: []byte("{}"), Headers: []kgo.RecordHeader{{Key: schemas.HeaderContentType, Value: []byte("text/csv")}}}, "content type"},
		{&kgo.Record{Topic: sc.AlertsTopic, Value: []byte(`{"finding_info": `)}, "decode alert (json)"},
		{&kgo.Record{Topic: sc.AlertsTopic, Value: []byte(`{"time": 1741944524250}`)}, "finding_info.uid is missing"},
	}
	var all []*kgo.Record
	all = append(all, records[:n/2]...)
	for _, p := range poison {
		all = append(all, p.rec)
	}
	all = append(all, records[n/2:]...)
	all = append(all,
		&kgo.Record{Topic: sc.AlertsTopic, Value: readGolden(t, "../ocsf/testdata/llmjacking_agent.golden.json")},
		&kgo.Record{Topic: sc.IdentitiesTopic, Key: []byte("id"), Value: readGolden(t, "../testdata/identity.golden.json"),
			Headers: []kgo.RecordHeader{{Key: schemas.HeaderContentType, Value: []byte(schemas.ContentTypeIdentityJSON)}}},
		&kgo.Record{Topic: sc.IdentitiesTopic, Key: []byte("gone")}, // a tombstone: nothing to store
	)
	kafkatest.Produce(t, brokers, all...)

	r := run(t, runnerConfig(t, brokers, sc.Topics(), dlq), newSink(t, connect(t), db, withTopics(sc)))
	untilEvents(t, conn, db, n)
	dead := kafkatest.ReadAll(t, brokers, dlq, len(poison), waitTimeout)
	until(t, "the alert and the identity", func() (bool, string) {
		a := queryInt(t, conn, "SELECT count() FROM "+db+".alerts")
		i := queryInt(t, conn, "SELECT count() FROM "+db+".identities")
		return a == 1 && i == 1, fmt.Sprintf("%d alerts, %d identities", a, i)
	})
	if err := r.stop(); err != nil {
		t.Fatalf("runner: %v", err)
	}
	if rows, final, distinct := counts(t, conn, db); final != n || distinct != n || rows != n {
		t.Errorf("events: count %d, FINAL %d, distinct %d; want %d", rows, final, distinct, n)
	}
	if got := kafkatest.Count(t, brokers, dlq); got != int64(len(poison)) {
		t.Errorf("%d dead letters, want %d", got, len(poison))
	}
	// Records without a key land on any partition: match reasons in any
	// order, each dead letter to one poison record.
	reasons := make([]string, 0, len(dead))
	for _, d := range dead {
		reason, stage := "", ""
		for _, h := range d.Headers {
			switch h.Key {
			case schemas.HeaderDLQReason:
				reason = string(h.Value)
			case schemas.HeaderDLQStage:
				stage = string(h.Value)
			}
		}
		if stage != "sink" {
			t.Errorf("dead letter with stage %q, want sink (reason %q)", stage, reason)
		}
		reasons = append(reasons, reason)
	}
	for _, p := range poison {
		i := slices.IndexFunc(reasons, func(r string) bool { return strings.Contains(r, p.reason) })
		if i < 0 {
			t.Errorf("no dead letter with a reason containing %q among %q", p.reason, reasons)
			continue
		}
		reasons = slices.Delete(reasons, i, i+1)
	}
}

// crashing is the sink of a process that dies right after an insert, before
// the Runner commits the batch: its Flush fails after the crashAfter-th
// successful flush, once the rows are in ClickHouse.
type crashing struct {
	*clickhouse.Sink
	crashAfter, flushes int
}

func (c *crashing) Flush(ctx context.Context) error {
	if err := c.Sink.Flush(ctx); err != nil {
		return err
	}
	if c.flushes++; c.flushes == c.crashAfter {
		return errors.New("simulated crash after the insert, before the commit")
	}
	return nil
}

// A sink that dies after inserting a batch but before committing it, then
// restarts in the same group, inserts that batch again (cut differently):
// ClickHouse holds exactly N distinct events, and N rows after merging.
func TestSinkCrashAndRestart(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	conn, db := migrated(t)
	sc, dlq := topics(t, brokers)
	sc.Database = db
	const n = 4000
	kafkatest.Produce(t, brokers, eventRecords(t, sc.EventsTopic, 0, n)...)
	cfg := runnerConfig(t, brokers, sc.Topics(), dlq)

	// Inserts of about 500 events: the crash comes after the third of eight.
	smallInserts := func(c *clickhouse.SinkConfig) { c.MaxInsertBytes = 1 << 20 }
	first := &crashing{Sink: newSink(t, connect(t), db, withTopics(sc), smallInserts), crashAfter: 3}
	r1 := run(t, cfg, first)
	select {
	case <-r1.done:
		if r1.err == nil || !strings.Contains(r1.err.Error(), "simulated crash") {
			t.Fatalf("first runner: %v, want the simulated crash", r1.err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("the first runner did not crash")
	}
	before, _, _ := counts(t, conn, db)

	r2 := run(t, cfg, newSink(t, connect(t), db, withTopics(sc)))
	untilEvents(t, conn, db, n)
	if err := r2.stop(); err != nil {
		t.Fatalf("second runner: %v", err)
	}
	rows, final, distinct := counts(t, conn, db)
	t.Logf("rows before the crash %d; after the restart: count %d, FINAL %d, distinct %d", before, rows, final, distinct)
	if final != n || distinct != n {
		t.Errorf("FINAL %d, distinct %d; want %d", final, distinct, n)
	}
	exec(t, conn, "OPTIMIZE TABLE "+db+".events FINAL")
	if rows := queryInt(t, conn, "SELECT count() FROM "+db+".events"); rows != n {
		t.Errorf("count after OPTIMIZE FINAL %d, want %d", rows, n)
	}
}

// When the ClickHouse engine stops and starts again mid-stream, the sink
// holds and then catches up: nothing is lost.
func TestSinkSurvivesClickHouseRestart(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	conn, db := migrated(t)
	sc, dlq := topics(t, brokers)
	sc.Database = db
	const n = 4000
	kafkatest.Produce(t, brokers, eventRecords(t, sc.EventsTopic, 0, n/2)...)
	r := run(t, runnerConfig(t, brokers, sc.Topics(), dlq), newSink(t, connect(t), db, withTopics(sc)))
	untilEvents(t, conn, db, 1)
	restartServer(t, func() {
		kafkatest.Produce(t, brokers, eventRecords(t, sc.EventsTopic, n/2, n/2)...)
		time.Sleep(2 * time.Second) // the sink meets the outage
		select {
		case <-r.done:
			t.Fatalf("the runner stopped while ClickHouse was down: %v", r.err)
		default:
		}
	})
	untilEvents(t, conn, db, n)
	if err := r.stop(); err != nil {
		t.Fatalf("runner: %v", err)
	}
	if _, final, distinct := counts(t, conn, db); final != n || distinct != n {
		t.Errorf("FINAL %d, distinct %d; want %d", final, distinct, n)
	}
}
