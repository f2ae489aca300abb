package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

// TestEnrichCheck shows "aitdr enrich check" reports valid files and fails
// on a bad one with its file:line and cause, for CI.
func TestEnrichCheck(t *testing.T) {
	run := func(args ...string) (string, error) {
		root := newRootCommand()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(append([]string{"enrich", "check"}, args...))
		err := root.ExecuteContext(context.Background())
		return out.String(), err
	}
	out, err := run("--directory", "../../enrich/testdata/directory.csv",
		"--environments", "../../enrich/testdata/environments.yaml",
		"--catalog", "../../enrich/catalog/testdata/extend.yaml")
	if err != nil || !strings.Contains(out, "directory: 6 people from 1 files") || !strings.Contains(out, "all files are valid") {
		t.Errorf("valid files: err %v, output:\n%s", err, out)
	}
	_, err = run("--directory", "../../enrich/directory/testdata/missing_identity.bad.csv")
	if err == nil || !strings.Contains(err.Error(), "missing_identity.bad.csv:3:1: no e-mail address and no user name") {
		t.Errorf("bad file: err = %v", err)
	}
}

// TestEnrichStage runs the stage newEnrichStage builds, as "aitdr enrich"
// and "aitdr run" do, on the configured topics: an event in, the enriched
// event out, the identity on the changelog; then both functions return
// after a stop.
func TestEnrichStage(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	cfg := config.Default()
	cfg.Kafka.Brokers = brokers
	cfg.Kafka.Topics.Prefix = kafkatest.Name(t) + "."
	cfg.Enrich.DirectoryFiles = []string{"../../enrich/testdata/directory.csv"}
	adm := kafkatest.Admin(t, brokers)
	for _, topic := range []string{schemas.TopicEvents, schemas.TopicEnriched, schemas.TopicIdentityChangelog, schemas.TopicDeadLetter} {
		if _, err := adm.CreateTopic(context.Background(), 2, -1, nil, cfg.Kafka.Topics.Prefix+topic); err != nil {
			t.Fatal(err)
		}
	}
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	runner, watch, err := newEnrichStage(cfg, brokers, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 2)
	go func() { done <- runner.Run(ctx) }()
	go func() { done <- watch(ctx) }()

	data, err := os.ReadFile("../../ingest/gcpaudit/testdata/vertex_create_training_pipeline.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev schemas.Event
	if err := schemas.DecodeEvent(schemas.ContentTypeEventJSON, data, &ev); err != nil {
		t.Fatal(err)
	}
	rec, err := stream.EventRecord(cfg.Kafka.Topics.Prefix+schemas.TopicEvents, &ev)
	if err != nil {
		t.Fatal(err)
	}
	kafkatest.Produce(t, brokers, rec)
	out := kafkatest.ReadAll(t, brokers, cfg.Kafka.Topics.Prefix+schemas.TopicEnriched, 1, time.Minute)
	var got schemas.Event
	if err := schemas.DecodeEvent("", out[0].Value, &got); err != nil {
		t.Fatal(err)
	}
	if got.Enrichment.Class != schemas.ClassAIBuilder || got.Enrichment.Owner != "priya.natarajan@acme.example" {
		t.Errorf("enriched: class %s owner %q", got.Enrichment.Class, got.Enrichment.Owner)
	}
	cancel()
	for range 2 {
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("stop: %v", err)
			}
		case <-time.After(time.Minute):
			t.Fatal("the stage did not stop")
		}
	}
	if n := kafkatest.Count(t, brokers, cfg.Kafka.Topics.Prefix+schemas.TopicIdentityChangelog); n != 1 {
		t.Errorf("%d identities on the changelog, want 1", n)
	}
}
