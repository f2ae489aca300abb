package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/internal/telemetry"
	"github.com/aitdr/aitdr/schemas"
)

// TestRunEmbeddedDefault shows "aitdr run" on the embedded default brings up
// Kafka with every pipeline topic, NATS with every stream, and a ready
// health server, then stops cleanly when its context ends.
func TestRunEmbeddedDefault(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Kafka.EmbeddedListen = "127.0.0.1:0"
	cfg.NATS.EmbeddedListen = "127.0.0.1:0"
	cfg.Telemetry.Listen = "127.0.0.1:0"
	cfg.ClickHouse.Embedded.Listen = "127.0.0.1:0"
	cfg.Ingest.HTTP.Listen = freeAddr(t)
	t.Setenv(cfg.Ingest.HTTP.Auth.TokensEnv, "") // not set: run makes a token
	os.Unsetenv(cfg.Ingest.HTTP.Auth.TokensEnv)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ep, stop := startPipeline(t, cfg)
	ctx := t.Context()

	var banner bytes.Buffer
	ep.print(&banner)
	for _, want := range []string{"Kafka (embedded)", ep.kafkaBrokers[0], schemas.TopicEvents, schemas.StreamAlerts, "/readyz"} {
		if !strings.Contains(banner.String(), want) {
			t.Errorf("banner does not mention %q:\n%s", want, banner.String())
		}
	}

	// Ready once the stages have joined their groups.
	var status int
	var body []byte
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get("http://" + ep.telemetryAddr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if status = resp.StatusCode; status == http.StatusOK {
			break
		}
	}
	for _, check := range []string{"kafka", "nats", "clickhouse", "stage ingest partitions", "stage enrich state", "stage baseline state",
		"stage rules partitions", "stage rules state", "stage rules nats publish", "stage sink partitions"} {
		if status != http.StatusOK || !strings.Contains(string(body), check) {
			t.Fatalf("/readyz = %d %s, want 200 with the %s check", status, body, check)
		}
	}

	kc, err := kgo.NewClient(kgo.SeedBrokers(ep.kafkaBrokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	topics, err := kadm.NewClient(kc).ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range cfg.Kafka.Topics.Layout().Specs() {
		if !topics.Has(spec.Name) {
			t.Errorf("topic %s was not provisioned", spec.Name)
		}
	}

	// A raw record written to aitdr.raw goes through every stage: normalized
	// on aitdr.events, then enriched, scored and written to ClickHouse with
	// its identity in the inventory. (With a recent time: rows older than
	// the events TTL are dropped.)
	raw, err := os.ReadFile("../../ingest/okta/testdata/session_start_success.in.json")
	if err != nil {
		t.Fatal(err)
	}
	var record map[string]any
	if err := json.Unmarshal(raw, &record); err != nil {
		t.Fatal(err)
	}
	record["published"] = time.Now().UTC().Format(time.RFC3339Nano)
	if raw, err = json.Marshal(record); err != nil {
		t.Fatal(err)
	}
	if err := kc.ProduceSync(ctx, &kgo.Record{Topic: schemas.TopicRaw, Value: raw}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	chQuery := func(q string) string {
		t.Helper()
		resp, err := http.Get(ep.clickhouse + "/?query=" + url.QueryEscape(q))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return strings.TrimSpace(string(b))
	}
	var row string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		row = chQuery(`SELECT count(), any(identity_class), any(features_available) FROM aitdr.events FINAL WHERE identity_id LIKE 'okta:%' FORMAT TSV`)
		if strings.HasPrefix(row, "1\t") {
			break
		}
	}
	if f := strings.Split(row, "\t"); len(f) != 3 || f[0] != "1" || f[1] == "" || f[1] == "unknown" || f[2] != "true" {
		t.Fatalf("aitdr.events in ClickHouse: count, class, scored = %q, want 1, a class, true", row)
	}
	var inventory string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && inventory == ""; time.Sleep(200 * time.Millisecond) {
		inventory = chQuery(`SELECT class FROM aitdr.identities FINAL WHERE identity_id LIKE 'okta:%' FORMAT TSV`)
	}
	if inventory == "" || inventory == "unknown" {
		t.Fatalf("the Okta identity is not in the ClickHouse inventory with a class: %q", inventory)
	}

	// The HTTP input takes a record with the token the run made.
	req, err := http.NewRequest(http.MethodPost, ep.ingestURL, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+ep.ingestToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(string(answer), `"accepted":1`) {
		t.Fatalf("POST %s = %d %s, want 202 with one accepted", ep.ingestURL, resp.StatusCode, answer)
	}
	req.Header.Set("Authorization", "Bearer wrong-token-of-enough-length")
	req.Body = io.NopCloser(bytes.NewReader(raw))
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST with a wrong token = %v %v, want 401", resp.StatusCode, err)
	}
	resp.Body.Close()

	nc, err := nats.Connect(ep.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	for _, spec := range cfg.NATS.Streams().Specs() {
		if _, err := js.Stream(ctx, spec.Name); err != nil {
			t.Errorf("stream %s: %v", spec.Name, err)
		}
	}

	if err := stop(); err != nil {
		t.Fatalf("run returned %v after a clean stop", err)
	}
}

// TestCommandsHelp shows every command documents itself.
func TestCommandsHelp(t *testing.T) {
	root := newRootCommand()
	for _, c := range root.Commands() {
		if c.Short == "" {
			t.Errorf("command %q has no short help", c.Name())
		}
	}
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"config", "defaults"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"data_dir: data", "embedded_listen: 127.0.0.1:9092", "partitions: 6", "listen: 127.0.0.1:9464"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("config defaults does not print %q:\n%s", want, out.String())
		}
	}
	// What defaults prints is itself a valid configuration file.
	path := filepath.Join(t.TempDir(), "aitdr.yaml")
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(path, func(string) (string, bool) { return "", false }); err != nil {
		t.Fatalf("printed defaults do not load: %v", err)
	}
}

// freeAddr returns a loopback address with a port free at the time of the
// call.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestRunExternalClickHouseReadiness shows "aitdr run" against a ClickHouse
// of its own (here the engine served apart, as a ClickHouse server is):
// /readyz carries a clickhouse check that passes while the server answers
// and fails, naming it, once the server is gone.
func TestRunExternalClickHouseReadiness(t *testing.T) {
	srv, stopClickHouse := serveClickHouse(t, filepath.Join(t.TempDir(), "clickhouse"))

	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Kafka.EmbeddedListen = "127.0.0.1:0"
	cfg.NATS.EmbeddedListen = "127.0.0.1:0"
	cfg.Telemetry.Listen = "127.0.0.1:0"
	cfg.ClickHouse.DSN = srv.URL()
	cfg.Ingest.HTTP.Listen = freeAddr(t)
	t.Setenv(cfg.Ingest.HTTP.Auth.TokensEnv, "")
	os.Unsetenv(cfg.Ingest.HTTP.Auth.TokensEnv)
	ep, _ := startPipeline(t, cfg)
	readyz := func() (int, string) {
		resp, err := http.Get("http://" + ep.telemetryAddr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	until := func(what string, cond func(int, string) bool) {
		t.Helper()
		var status int
		var body string
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if status, body = readyz(); cond(status, body) {
				return
			}
		}
		t.Fatalf("%s: /readyz = %d %s", what, status, body)
	}
	until("ready with the clickhouse check", func(status int, body string) bool {
		return status == http.StatusOK && strings.Contains(body, `"clickhouse"`)
	})

	stopClickHouse()
	until("not ready, the clickhouse check failing, once clickhouse is gone", func(status int, body string) bool {
		var r telemetry.Readiness
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			return false
		}
		i := slices.IndexFunc(r.Checks, func(c telemetry.CheckStatus) bool { return c.Name == "clickhouse" })
		return status == http.StatusServiceUnavailable && i >= 0 && !r.Checks[i].OK && r.Checks[i].Error != ""
	})
}
