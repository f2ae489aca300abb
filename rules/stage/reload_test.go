package stage_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aitdr/aitdr/rules"
	"github.com/aitdr/aitdr/rules/stage"
	"github.com/aitdr/aitdr/schemas"
)

// syncBuffer is a log buffer safe for the reloader's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHotReload shows that a changed rule file is loaded and swapped in
// while events flow, keeping the window of an unchanged rule; that a bad
// version is rejected with its file:line:col while the last good version
// keeps running; and that fixing the file loads the fix.
func TestHotReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.yaml")
	write := func(s string) {
		t.Helper()
		// Write to a temporary file and rename, as editors do.
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write(burstRule)
	loader := rules.NewLoader().AddPaths(dir)
	set, err := loader.Load()
	if err != nil {
		t.Fatal(err)
	}
	engine := rules.NewEngine(set, rules.WithLogger(quiet()))
	var logs syncBuffer
	reloader := stage.NewReloader(loader, engine, 20*time.Millisecond, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- reloader.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	list := func(i int) *schemas.Event {
		return &schemas.Event{
			ID: "list-" + string(rune('0'+i)), Time: t0.Add(time.Duration(i) * time.Minute),
			Identity: schemas.Principal{ID: "aws:1:role/scanner"},
			Action:   schemas.Action{Name: "ListFoundationModels", Category: schemas.CategoryModelManagement, Verb: schemas.VerbList},
		}
	}
	var alerts []*rules.Alert
	for i := range 3 {
		alerts = engine.Process(list(i), rules.Position{Offset: int64(i)}, alerts)
	}

	added := burstRule + `
  - id: added-later
    title: Added while running
    description: A rule added to the file while the stage runs.
    severity: low
    condition: 'action.name == "DeleteGuardrail"'
`
	write(added)
	waitFor(t, "the added rule", func() bool { return engine.Set().Rule("added-later") != nil })
	for i := 3; i < 5; i++ {
		alerts = engine.Process(list(i), rules.Position{Offset: int64(i)}, alerts)
	}
	if len(alerts) != 1 || len(alerts[0].EvidenceIDs) != 5 {
		t.Fatalf("alerts across the reload: %d, want one with the five events of the window kept", len(alerts))
	}

	write(strings.Replace(added, "severity: low", "severity: lowest", 1))
	waitFor(t, "the bad version's problem", func() bool { return strings.Contains(logs.String(), "rule file problem") })
	if !strings.Contains(logs.String(), path+":20:15") {
		t.Errorf("the problem does not name %s:20:15:\n%s", path, logs.String())
	}
	if s := engine.Set(); s.Rule("added-later") == nil || s.Rule("added-later").Severity != rules.SeverityLow || !slices.Equal(s.Previous(), []string{path}) {
		t.Errorf("after a bad version: %s, previous %v; want the last good version running", s, s.Previous())
	}

	write(strings.Replace(added, "severity: low", "severity: high", 1))
	waitFor(t, "the fixed version", func() bool {
		r := engine.Set().Rule("added-later")
		return r != nil && r.Severity == rules.SeverityHigh
	})
}
