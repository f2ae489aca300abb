package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/natstest"
	"github.com/aitdr/aitdr/schemas"
)

// runAitdr runs the root command with args and returns its output.
func runAitdr(ctx context.Context, args ...string) (string, error) {
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

// TestProvisionAndStageHealth shows what a container deployment relies on:
// "aitdr provision" creates the topics and JetStream streams on external
// engines (and again, idempotently); a stage run alone serves /healthz and
// /readyz on telemetry.listen, which "aitdr health" asks; and the stage
// stops cleanly when its context ends.
func TestProvisionAndStageHealth(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	natsURL := natstest.Server(t)
	prefix := kafkatest.Name(t) + "."
	telemetryAddr := freeAddr(t)
	cfgFile := filepath.Join(t.TempDir(), "aitdr.yaml")
	err := os.WriteFile(cfgFile, fmt.Appendf(nil, `kafka:
  brokers: [%s]
  provision: false
  topics: {prefix: %q, partitions: 2}
nats:
  url: %s
  provision: false
telemetry:
  listen: %s
`, strings.Join(brokers, ", "), prefix, natsURL, telemetryAddr), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	for range 2 {
		out, err := runAitdr(ctx, "provision", "--config", cfgFile, "--wait", "30s")
		if err != nil {
			t.Fatalf("provision: %v\n%s", err, out)
		}
		if !strings.Contains(out, "kafka topics on") || !strings.Contains(out, "jetstream streams on") {
			t.Errorf("provision did not report both steps:\n%s", out)
		}
	}
	topics, err := kafkatest.Admin(t, brokers).ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{schemas.TopicRaw, schemas.TopicEvents, schemas.TopicIdentityChangelog} {
		if d, ok := topics[prefix+topic]; !ok || len(d.Partitions) != 2 {
			t.Errorf("topic %s%s not provisioned with 2 partitions", prefix, topic)
		}
	}

	if out, err := runAitdr(ctx, "health", "--config", cfgFile); err == nil {
		t.Fatalf("health passed with no stage running:\n%s", out)
	}

	stageCtx, stop := context.WithCancel(ctx)
	defer stop()
	stageDone := make(chan error, 1)
	go func() {
		out, err := runAitdr(stageCtx, "ingest", "stage", "--config", cfgFile)
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, out)
		}
		stageDone <- err
	}()
	deadline := time.Now().Add(30 * time.Second)
	var out string
	for {
		out, err = runAitdr(ctx, "health", "--ready", "--config", cfgFile)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the ingest stage never became ready: %v\n%s", err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(out, `"kafka"`) {
		t.Errorf("/readyz does not check Kafka: %s", out)
	}
	// The stage's own checks: it holds its partitions (named) and, being
	// stateless, has no state to restore.
	for _, want := range []string{`"name": "stage ingest partitions"`, `"detail": "holds 2 partitions (` + prefix, `"name": "stage ingest state"`} {
		if !strings.Contains(out, want) {
			t.Errorf("/readyz lacks %s: %s", want, out)
		}
	}
	if out, err := runAitdr(ctx, "health", "--addr", telemetryAddr); err != nil {
		t.Errorf("/healthz: %v\n%s", err, out)
	}
	// The stage records on the telemetry set up before it: its metrics are
	// on /metrics, the names docs/operations.md tells operators to watch.
	metrics := httpGet(t, "http://"+telemetryAddr+"/metrics")
	for _, name := range []string{"aitdr_stage_inflight_records", "go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(metrics, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if os.Getenv("AITDR_TEST_PRINT_METRICS") != "" {
		t.Log(metrics)
	}
	stop()
	select {
	case err := <-stageDone:
		if err != nil {
			t.Errorf("the stage did not stop cleanly: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the stage did not stop")
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	return string(body)
}

// TestDialableAddr shows the health check asks a wildcard listener on
// loopback.
func TestDialableAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0.0.0.0:9464":   "127.0.0.1:9464",
		":9464":          "127.0.0.1:9464",
		"[::]:9464":      "[::1]:9464",
		"10.1.2.3:9464":  "10.1.2.3:9464",
		"localhost:9464": "localhost:9464",
	} {
		if got := dialableAddr(in); got != want {
			t.Errorf("dialableAddr(%q) = %q, want %q", in, got, want)
		}
	}
}
