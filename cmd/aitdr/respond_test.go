package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	aitdrnats "github.com/aitdr/aitdr/deploy/nats"
	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/internal/natstest"
	"github.com/aitdr/aitdr/responder/connectors/webhook"
	"github.com/aitdr/aitdr/schemas"
	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// TestRespondCommands runs the responder newResponder builds against a
// NATS server and the embedded ClickHouse, and drives it with the command
// line: respond status lists the step waiting for approval, respond
// approve runs it, alerts resolve records a false positive, denies what
// waited and proposes an exception.
func TestRespondCommands(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, _ := serveClickHouse(t, filepath.Join(t.TempDir(), "clickhouse"))

	var (
		mu    sync.Mutex
		steps []webhook.Payload
	)
	soar := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p webhook.Payload
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &p); err == nil && p.Kind == "webhook" {
			mu.Lock()
			steps = append(steps, p)
			mu.Unlock()
		}
	}))
	t.Cleanup(soar.Close)

	natsURL := natstest.Server(t)
	dir := t.TempDir()
	playbooks := filepath.Join(dir, "playbooks.yaml")
	if err := os.WriteFile(playbooks, []byte(`playbooks:
  - id: contain-builder
    match: {classes: [ai_builder]}
    steps:
      - {id: soar, action: webhook, connector: webhook}
      - {id: notify, action: notify}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "aitdr.yaml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(`data_dir: %s
nats:
  url: %s
clickhouse:
  dsn: %s
  schema: {database: respond_cli}
respond:
  dry_run: false
  default_playbooks: false
  playbooks: [%s]
  notify_connector: webhook
  http: {listen: ""}
  webhooks:
    soar: {url: %s}
`, dir, natsURL, srv.URL(), playbooks, soar.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}

	nc := natstest.Connect(t, natsURL)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := aitdrnats.Provision(ctx, js, cfg.NATS.Streams().Specs()); err != nil {
		t.Fatal(err)
	}
	conn, err := chschema.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := chschema.Migrate(ctx, conn, cfg.ClickHouse.Schema); err != nil {
		t.Fatal(err)
	}
	r, err := newResponder(cfg, js, conn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- r.Run(runCtx) }()
	defer func() { stop(); <-runDone }()

	publishAlert := func(id string) {
		t.Helper()
		f := ocsf.New(id, "Model weights changed after hours", time.Now(), ocsf.SeverityMedium)
		f.SetAnalytic("aitdr-builder-weights-after-hours", "Weights after hours", "1", ocsf.AnalyticRule)
		f.Unmapped.AITDR.Identity = ocsf.IdentityContext{ID: "okta:acme.okta.com:00u1builder", Class: schemas.ClassAIBuilder}
		data, _ := json.Marshal(f)
		if _, err := js.Publish(ctx, "aitdr.alerts.medium.ai_builder", data, jetstream.WithMsgID(id)); err != nil {
			t.Fatal(err)
		}
	}
	aitdr := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		cmd := newRootCommand()
		cmd.SetArgs(append([]string{"--config", cfgPath}, args...))
		cmd.SetOut(&out)
		if err := cmd.ExecuteContext(ctx); err != nil {
			t.Fatalf("aitdr %s: %v", strings.Join(args, " "), err)
		}
		return out.String()
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}

	publishAlert("alert-approve")
	publishAlert("alert-fp")
	wait("two pending approvals", func() bool { return strings.Contains(aitdr("respond", "status"), "Pending approvals: 2") })
	status := aitdr("respond", "status")
	if !strings.Contains(status, "policy: containment of ai_builder identities runs automatically from high severity") ||
		!strings.Contains(status, "contain-builder/soar webhook") {
		t.Errorf("status does not show the pending step and why:\n%s", status)
	}

	out := aitdr("respond", "approve", "alert-approve", "--as", "alice", "--note", "confirmed")
	if !strings.Contains(out, " approved: webhook webhook on okta:acme.okta.com:00u1builder (contain-builder/soar)") {
		t.Errorf("approve printed:\n%s", out)
	}
	wait("the approved step to run", func() bool { mu.Lock(); defer mu.Unlock(); return len(steps) == 1 })
	wait("the time to respond", func() bool {
		return strings.Contains(aitdr("respond", "status"), "live     1 alerts")
	})

	out = aitdr("alerts", "resolve", "alert-fp", "--disposition", "false_positive", "--note", "scheduled retraining", "--as", "bob")
	if !strings.Contains(out, "alert alert-fp: false_positive by bob") || !strings.Contains(out, "denied pending action ") ||
		!strings.Contains(out, "proposed exception for review: "+filepath.Join(dir, "exceptions", "aitdr-builder-weights-after-hours", "alert-fp.yaml")) {
		t.Errorf("alerts resolve printed:\n%s", out)
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM respond_cli.alert_dispositions FINAL WHERE alert_id = 'alert-fp' AND disposition = 'false_positive' AND analyst = 'bob'").Scan(&n); err != nil || n != 1 {
		t.Errorf("alert_dispositions holds %d rows for alert-fp (%v), want 1", n, err)
	}
	if !strings.Contains(aitdr("respond", "status"), "Pending approvals: 0") {
		t.Error("the false positive's step still waits")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(steps) != 1 {
		t.Errorf("%d containment steps ran, want the approved one", len(steps))
	}
}
