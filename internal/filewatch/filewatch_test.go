package filewatch_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/filewatch"
)

func TestReportsChangesOnce(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rules", "a.yaml")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("a: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	extra := filepath.Join(dir, "lists.yaml") // missing at start
	w := filewatch.New([]string{filepath.Join(dir, "rules"), extra}, 10*time.Millisecond)

	var calls atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, func(context.Context) { calls.Add(1) }) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	waitFor := func(want int32) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for calls.Load() < want && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(60 * time.Millisecond) // no extra call for the same change
		if got := calls.Load(); got != want {
			t.Fatalf("changed called %d times, want %d", got, want)
		}
	}

	time.Sleep(50 * time.Millisecond)
	if got := calls.Load(); got != 0 {
		t.Fatalf("changed called %d times with no change", got)
	}
	// Same size, new content.
	if err := os.WriteFile(file, []byte("a: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(1)
	// A watched file appears.
	if err := os.WriteFile(extra, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(2)
	// A file disappears.
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	waitFor(3)
}
