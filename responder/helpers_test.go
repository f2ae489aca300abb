package responder_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	chserver "github.com/aitdr/aitdr/deploy/clickhouse"
	aitdrnats "github.com/aitdr/aitdr/deploy/nats"
	"github.com/aitdr/aitdr/internal/natstest"
	"github.com/aitdr/aitdr/internal/secret"
	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/responder/connectors/webhook"
	"github.com/aitdr/aitdr/schemas"
	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

// The embedded ClickHouse engine is one per process: the tests share one
// server, each test in its own database.
var (
	engineMu sync.Mutex
	engine   *chserver.Server
	stopCH   context.CancelFunc
	chDone   chan error
	chDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	engineMu.Lock()
	if engine != nil {
		stopCH()
		if err := <-chDone; err != nil {
			fmt.Fprintf(os.Stderr, "stop the embedded clickhouse: %v\n", err)
			code = 1
		}
		_ = os.RemoveAll(chDir)
	}
	engineMu.Unlock()
	os.Exit(code)
}

// clickhouseDB returns a connection to the shared embedded engine and a
// freshly migrated database. It fails (never skips) without libchdb.so.
func clickhouseDB(t testing.TB) (driver.Conn, string) {
	t.Helper()
	engineMu.Lock()
	if engine == nil {
		dir, err := os.MkdirTemp("", "aitdr-responder-clickhouse-")
		if err != nil {
			engineMu.Unlock()
			t.Fatal(err)
		}
		cfg := chserver.DefaultConfig()
		cfg.Listen, cfg.DataDir, cfg.ShutdownTimeout = "127.0.0.1:0", dir, 10*time.Second
		srv, err := chserver.New(cfg, chserver.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
		if err != nil {
			engineMu.Unlock()
			t.Fatalf("start the embedded clickhouse (run `make chdb` or set %s): %v", chserver.LibraryEnv, err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		engine, stopCH, chDone, chDir = srv, cancel, make(chan error, 1), dir
		go func() { chDone <- srv.Run(ctx) }()
	}
	url := engine.URL()
	engineMu.Unlock()
	conn, err := chschema.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	db := "t_" + strings.ToLower(randomID(t)[:12])
	if _, err := chschema.Migrate(context.Background(), conn, chschema.Options{Database: db}); err != nil {
		t.Fatalf("migrate %s: %v", db, err)
	}
	return conn, db
}

// queryRows returns the rows of sql as strings.
func queryRows(t testing.TB, conn driver.Conn, sql string, args ...any) [][]string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var out [][]string
	n := len(rows.Columns())
	for rows.Next() {
		vals := make([]string, n)
		ptrs := make([]any, n)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: scan: %v", sql, err)
		}
		out = append(out, vals)
	}
	return out
}

func randomID(t testing.TB) string {
	t.Helper()
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// natsServer returns the URL of a NATS server with the pipeline's streams.
func natsServer(t testing.TB) string {
	t.Helper()
	url := natstest.Server(t)
	_, js := connect(t, url)
	if _, err := aitdrnats.Provision(context.Background(), js, schemas.StreamLayout{}.Specs()); err != nil {
		t.Fatalf("provision streams: %v", err)
	}
	return url
}

// connect opens a connection of its own, closed when the test ends.
func connect(t testing.TB, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc := natstest.Connect(t, url)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// publish publishes the alert of s on its subject, with the message id
// given (the alert id by default, as the rules stage does).
func publish(t testing.TB, js jetstream.JetStream, s spec, msgID string) {
	t.Helper()
	a := parse(t, s)
	if msgID == "" {
		msgID = a.ID
	}
	subject := fmt.Sprintf("%s.%s.%s", schemas.SubjectAlerts, a.Severity, a.Class)
	if _, err := js.Publish(context.Background(), subject, alertJSON(t, s), jetstream.WithMsgID(msgID)); err != nil {
		t.Fatalf("publish %s: %v", subject, err)
	}
}

// receiver is a webhook endpoint (a SOAR) that records what it receives,
// verifies the signature, and acts once per idempotency key, as the
// webhook documentation asks of receivers.
type receiver struct {
	t      testing.TB
	srv    *httptest.Server
	secret string

	mu      sync.Mutex
	got     []webhook.Payload
	keys    map[string]int
	status  []int  // the answers of the next requests, in turn; 200 after them
	onFirst func() // runs on the first containment request, before answering
	alerts  map[string]bool
}

func newReceiver(t testing.TB) *receiver {
	rc := &receiver{t: t, secret: "s3cret", keys: map[string]int{}, alerts: map[string]bool{}}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !webhook.Verify([]byte(rc.secret), r.Header.Get(webhook.HeaderTimestamp), body, r.Header.Get(webhook.HeaderSignature)) {
		rc.t.Errorf("request with a bad signature: %s", body)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p webhook.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		rc.t.Errorf("bad payload: %v", err)
		return
	}
	rc.mu.Lock()
	if len(rc.alerts) > 0 && !rc.alerts[p.AlertID] {
		rc.mu.Unlock() // another test's alert on a shared server
		return
	}
	rc.got = append(rc.got, p)
	status := http.StatusOK
	if len(rc.status) > 0 {
		status, rc.status = rc.status[0], rc.status[1:]
	}
	first := rc.onFirst
	if p.Kind == responder.ActionWebhook {
		rc.onFirst = nil
		if status < 300 {
			rc.keys[r.Header.Get(webhook.HeaderIdempotencyKey)]++
		}
	} else {
		first = nil
	}
	rc.mu.Unlock()
	if first != nil {
		first()
	}
	w.WriteHeader(status)
}

// expect limits what the receiver counts to the alerts of this test.
func (rc *receiver) expect(ids ...string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, id := range ids {
		rc.alerts[id] = true
	}
}

// requests returns the requests of kind received.
func (rc *receiver) requests(kind responder.ActionKind) []webhook.Payload {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []webhook.Payload
	for _, p := range rc.got {
		if p.Kind == kind {
			out = append(out, p)
		}
	}
	return out
}

// answer makes the next requests answer statuses, in turn.
func (rc *receiver) answer(statuses ...int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.status = append(rc.status, statuses...)
}

// distinctKeys is the number of containment steps the receiver acted on:
// one per idempotency key.
func (rc *receiver) distinctKeys() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.keys)
}

// testConfig is a live responder on the e2e playbooks, posting to rc.
func testConfig(rc *receiver) responder.Config {
	cfg := responder.DefaultConfig()
	cfg.DryRun = false
	cfg.DefaultPlaybooks = false
	cfg.Playbooks = []string{"testdata/playbooks/e2e.yaml"}
	cfg.ReloadInterval = 100 * time.Millisecond
	cfg.Consumer = "responder-test"
	cfg.AckWait = time.Second
	cfg.Workers = 2
	cfg.HTTP.Listen = ""
	cfg.NotifyConnector = webhook.Name
	cfg.Step = responder.StepConfig{Timeout: 2 * time.Second, Retries: 2, Backoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
	cfg.Webhooks = map[string]responder.WebhookTarget{"soar": {URL: rc.srv.URL, Secret: secret.Secret{Value: rc.secret}, Rollback: true}}
	return cfg
}

// running is a responder running in the background.
type running struct {
	r      *responder.Responder
	nc     *nats.Conn
	js     jetstream.JetStream
	cancel context.CancelFunc
	done   chan error
}

// start runs a responder of cfg on a connection of its own.
func start(t testing.TB, url string, cfg responder.Config, opts ...responder.Option) *running {
	t.Helper()
	nc, js := connect(t, url)
	hook, err := webhook.New(cfg.Webhooks, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := responder.NewRegistry([]responder.Connector{hook})
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]responder.Option{responder.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts...)
	r, err := responder.New(cfg, js, reg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	run := &running{r: r, nc: nc, js: js, cancel: cancel, done: make(chan error, 1)}
	go func() { run.done <- r.Run(ctx) }()
	t.Cleanup(func() { run.stop(t, false) })
	return run
}

// stop stops the responder; with check, a Run error fails the test.
func (run *running) stop(t testing.TB, check bool) {
	t.Helper()
	run.cancel()
	select {
	case err := <-run.done:
		if check && err != nil {
			t.Errorf("responder Run: %v", err)
		}
		run.done <- err // for a second stop
	case <-time.After(30 * time.Second):
		t.Error("responder did not stop within 30s")
	}
}

// eventually waits up to 20s for cond.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// actionsFeed collects the messages on aitdr.actions.* of the test's alerts.
type actionsFeed struct {
	mu  sync.Mutex
	got []nats.Msg
}

func subscribeActions(t testing.TB, js jetstream.JetStream) *actionsFeed {
	t.Helper()
	ctx := context.Background()
	cons, err := js.OrderedConsumer(ctx, schemas.StreamActions, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	f := &actionsFeed{}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		f.mu.Lock()
		f.got = append(f.got, nats.Msg{Subject: m.Subject(), Data: m.Data(), Header: m.Headers()})
		f.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cc.Stop)
	return f
}

// of returns the actions published on subject for alert.
func (f *actionsFeed) of(subject, alert string) []responder.Action {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []responder.Action
	for _, m := range f.got {
		var a responder.Action
		if m.Subject == subject && json.Unmarshal(m.Data, &a) == nil && a.AlertID == alert {
			out = append(out, a)
		}
	}
	return out
}

// raw returns the messages on subject.
func (f *actionsFeed) raw(subject string) [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out [][]byte
	for _, m := range f.got {
		if m.Subject == subject {
			out = append(out, m.Data)
		}
	}
	return out
}

// waitIdle waits until the responder's consumer has acknowledged every
// alert it was given.
func waitIdle(t testing.TB, js jetstream.JetStream, consumer string) {
	t.Helper()
	eventually(t, "the consumer to acknowledge every alert", func() bool {
		c, err := js.Consumer(context.Background(), schemas.StreamAlerts, consumer)
		if errors.Is(err, jetstream.ErrConsumerNotFound) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		info, err := c.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.Stream > 0
	})
}

// storeOf opens the responder's store on its own connection.
func storeOf(t testing.TB, url string) *responder.Store {
	t.Helper()
	_, js := connect(t, url)
	s, err := responder.OpenStore(context.Background(), js, responder.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
