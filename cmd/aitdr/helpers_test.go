package main

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aitdr/aitdr/deploy/clickhouse"
	"github.com/aitdr/aitdr/internal/config"
)

// serveClickHouse serves the embedded ClickHouse engine, on dataDir, on a
// free loopback port until stop is called or the test ends; stop may be
// called more than once. It fails the test when libchdb.so is missing.
func serveClickHouse(t *testing.T, dataDir string) (srv *clickhouse.Server, stop func()) {
	t.Helper()
	cfg := clickhouse.DefaultConfig()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", dataDir
	srv, err := clickhouse.New(cfg, clickhouse.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("embedded clickhouse (needs libchdb.so: make chdb): %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	stop = sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("embedded clickhouse: %v", err)
		}
	})
	t.Cleanup(stop)
	return srv, stop
}

// startPipeline runs "aitdr run" on cfg until stop is called or the test
// ends, and returns its endpoints once everything accepts work. stop
// returns the run's result (nil after a clean stop); it fails the test when
// the run does not stop within 30 s, and may be called more than once.
func startPipeline(t *testing.T, cfg config.Config) (ep endpoints, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan endpoints, 1)
	done := make(chan error, 1)
	go func() {
		done <- runPipeline(ctx, cfg, slog.New(slog.DiscardHandler), runOptions{started: func(e endpoints) { started <- e }})
	}()
	stop = sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Error("run did not stop within 30s of cancellation")
			return nil
		}
	})
	t.Cleanup(func() { _ = stop() }) // before the data folders go: the engines write there
	select {
	case ep = <-started:
	case err := <-done:
		t.Fatalf("run ended before it started: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("run did not start within 30s")
	}
	return ep, stop
}
