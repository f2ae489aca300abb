package enrich_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aitdr/aitdr/enrich"
)

// syncBuffer is a log destination safe for the reloader's goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReloadKeepsPreviousIndex shows a reload replaces an index only when
// its files load: a bad directory file is reported with its file:line and
// the previous directory keeps serving, while the good catalog change is
// taken; fixing the file takes it.
func TestReloadKeepsPreviousIndex(t *testing.T) {
	dir := t.TempDir()
	people := filepath.Join(dir, "people.csv")
	extra := filepath.Join(dir, "catalog.yaml")
	write(t, people, "email,department\nann@acme.example,Research\n")
	write(t, extra, "services:\n  - {id: acme_llm, provider: acme, name: Acme LLM, kind: api, hosts: [llm.acme.example]}\n")
	cfg := enrich.DefaultConfig()
	cfg.DirectoryFiles = []string{people}
	cfg.Catalog.Files = []string{extra}
	r, err := enrich.NewReloader(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	v1 := r.Current()
	if _, ok := v1.Directory.Lookup("ann@acme.example"); !ok {
		t.Fatal("ann not in the directory")
	}

	write(t, people, "email,department\nann@acme.example,Research\n,Sales\n")
	write(t, extra, "services:\n  - {id: acme_llm, provider: acme, name: Acme LLM v2, kind: api, hosts: [llm.acme.example]}\n")
	err = r.Reload()
	if err == nil || !strings.Contains(err.Error(), people+":3:1: no e-mail address and no user name") {
		t.Fatalf("reload of a bad file: err = %v", err)
	}
	v2 := r.Current()
	if v2.Directory != v1.Directory {
		t.Error("the bad directory replaced the previous one")
	}
	if s, _ := v2.Catalog.Service("acme_llm"); s.Name != "Acme LLM v2" {
		t.Errorf("the good catalog change was not taken: %q", s.Name)
	}
	if v2.Version <= v1.Version {
		t.Errorf("version %d after %d", v2.Version, v1.Version)
	}

	write(t, people, "email,department\nann@acme.example,Research\nbob@acme.example,Sales\n")
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	if p, ok := r.Current().Directory.Lookup("bob@acme.example"); !ok || p.Team != "Sales" {
		t.Errorf("fixed file not taken: %+v %v", p, ok)
	}
}

// TestWatchReloads shows the watcher reloads changed files by itself, logs
// a bad file with its file:line while the previous index keeps serving,
// and an enricher picks the new lookups up.
func TestWatchReloads(t *testing.T) {
	dir := t.TempDir()
	people := filepath.Join(dir, "people.csv")
	write(t, people, "email,department\nann@acme.example,Research\n")
	cfg := enrich.DefaultConfig()
	cfg.DirectoryFiles = []string{people}
	cfg.ReloadInterval = 100 * time.Millisecond
	var logs syncBuffer
	r, err := enrich.NewReloader(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	x := enrich.NewEnricher(cfg, r.Current)
	ev := golden(t, "gcpaudit/set_iam_policy_project")[0] // dana.lee@acme.example
	x.Enrich(ev, 0, 1)
	if ev.Enrichment.Team != "" {
		t.Fatalf("team %q before dana is in the directory", ev.Enrichment.Team)
	}

	write(t, people, "email,department\nann@acme.example,Research\ndana.lee@acme.example\n")
	waitFor(t, "the bad file to be logged", func() bool { return strings.Contains(logs.String(), people+":3:1: wrong number of fields") })
	if _, ok := r.Current().Directory.Lookup("ann@acme.example"); !ok {
		t.Fatal("the previous directory stopped serving")
	}

	write(t, people, "email,department\nann@acme.example,Research\ndana.lee@acme.example,Cloud Security\n")
	waitFor(t, "the fixed file to be loaded", func() bool {
		_, ok := r.Current().Directory.Lookup("dana.lee@acme.example")
		return ok
	})
	ev = golden(t, "gcpaudit/set_iam_policy_project")[0]
	x.Enrich(ev, 0, 2)
	if ev.Enrichment.Team != "Cloud Security" || ev.Enrichment.Owner != "dana.lee@acme.example" {
		t.Errorf("after the reload: owner %q team %q", ev.Enrichment.Owner, ev.Enrichment.Team)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: timed out", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLoadLookupsReportsEveryFile shows a start with bad files fails with
// the problems of each, so the stage does not start half-configured.
func TestLoadLookupsReportsEveryFile(t *testing.T) {
	cfg := testConfig()
	cfg.DirectoryFiles = []string{"directory/testdata/no_column.bad.csv"}
	cfg.EnvironmentFiles = []string{"contextmap/testdata/environments.bad.yaml"}
	cfg.Catalog.Files = []string{"missing.yaml"}
	_, err := enrich.LoadLookups(cfg)
	if err == nil {
		t.Fatal("loaded")
	}
	for _, want := range []string{
		"catalog: read catalog file: open missing.yaml",
		"directory: directory/testdata/no_column.bad.csv:1:1: no e-mail or user-name column",
		`context: contextmap/testdata/environments.bad.yaml:3:19: accounts: "999999999999"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
