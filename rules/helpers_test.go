package rules_test

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/aitdr/aitdr/rules"
	"github.com/aitdr/aitdr/schemas"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// t0 is the time the test events start at.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// fixedClock is the creation time of alerts in tests.
func fixedClock() time.Time { return time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC) }

// loadYAML loads rule file contents written to a temporary directory under
// the given names, and fails the test on any problem.
func loadYAML(t *testing.T, files map[string]string) *rules.Set {
	t.Helper()
	set, err := rules.LoadPaths(writeFiles(t, t.TempDir(), files))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return set
}

func writeFiles(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// testRules loads the engine's test rules under testdata/rules.
func testRules(t *testing.T) *rules.Set {
	t.Helper()
	set, err := rules.LoadPaths("testdata/rules")
	if err != nil {
		t.Fatalf("load testdata/rules: %v", err)
	}
	return set
}

// quietLogger discards logs.
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newEngine returns an engine over set with a fixed clock, quiet logs and
// metrics read by the returned reader.
func newEngine(t *testing.T, set *rules.Set, opts ...rules.Option) (*rules.Engine, *sdkmetric.ManualReader) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	all := append([]rules.Option{rules.WithClock(fixedClock), rules.WithLogger(quietLogger()), rules.WithMeterProvider(mp)}, opts...)
	return rules.NewEngine(set, all...), reader
}

// event is a test event builder.
type event struct{ schemas.Event }

func ev(id string, at time.Time) *event {
	return &event{schemas.Event{
		ID: id, SchemaVersion: schemas.EventSchemaVersion, Time: at,
		Source:   schemas.Source{Product: schemas.ProductAWSCloudTrail},
		Identity: schemas.Principal{ID: "aws:111122223333:role/agent", Kind: schemas.KindAgent},
		Outcome:  schemas.OutcomeSuccess,
	}}
}

func (e *event) action(name string, cat schemas.Category, verb schemas.Verb) *event {
	e.Action = schemas.Action{Name: name, Category: cat, Verb: verb}
	return e
}

func (e *event) class(c schemas.IdentityClass) *event { e.Enrichment.Class = c; return e }

func (e *event) identity(id string) *event { e.Identity.ID = id; return e }

func (e *event) attr(k, v string) *event {
	if e.Attributes == nil {
		e.Attributes = map[string]string{}
	}
	e.Attributes[k] = v
	return e
}

func (e *event) ip(ip string) *event { e.Network.SourceIP = ip; return e }

func (e *event) get() *schemas.Event { return &e.Event }

// run processes events at offsets from 0 on partition 0 and returns the
// alerts.
func run(e *rules.Engine, events ...*schemas.Event) []*rules.Alert {
	var out []*rules.Alert
	for i, ev := range events {
		out = e.Process(ev, rules.Position{Offset: int64(i)}, out)
	}
	return out
}

func evidenceIDs(alerts []*rules.Alert) [][]string {
	var out [][]string
	for _, a := range alerts {
		out = append(out, a.EvidenceIDs)
	}
	return out
}

// goldenCompare compares got with testdata/name, rewriting it with -update.
func goldenCompare(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run with -update after review):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
