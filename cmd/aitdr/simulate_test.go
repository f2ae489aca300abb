package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/enrich"
	"github.com/aitdr/aitdr/ingest/simulate"
)

// simConfig is a small simulator configuration for the command's tests.
const simConfig = `
seed: 5
population: {users: 12, builders: 3, agents: 14, humans: 3, services: 4, personal_share: 0.5, shared_credentials: 1}
time: {start: "2026-03-02T00:00:00Z", duration: 30h}
scenarios:
  - {kind: confidential_prompt, at: 2h, every: 8h, times: 2}
  - {kind: llmjacking, at: 4h}
`

// TestSimulateCommand runs "aitdr simulate" into files with the context
// files beside, and "aitdr simulate context": the records, labels and
// context files are written, the flags override the configuration, and a
// bad flag value fails with the field.
func TestSimulateCommand(t *testing.T) {
	dir := t.TempDir()
	simFile := filepath.Join(dir, "sim.yaml")
	if err := os.WriteFile(simFile, []byte(simConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	cmd := newRootCommand()
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs([]string{"simulate", "--sim-config", simFile, "--out", "files", "--dir", out, "--context", filepath.Join(out, "context"), "--progress", "0"})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "simulating 2026-03-02T00:00:00Z to 2026-03-03T06:00:00Z (seed 5)") {
		t.Errorf("stdout: %s", stdout.String())
	}
	for _, name := range []string{"aws.cloudtrail.jsonl", "okta.jsonl", "ai_gateway.jsonl", "labels.jsonl", "context/directory.csv", "context/population.json"} {
		if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	f, err := os.Open(filepath.Join(out, "labels.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	labels, err := simulate.ReadLabels(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 3 {
		t.Errorf("%d labels, want 3", len(labels))
	}

	ctxDir := filepath.Join(dir, "ctx")
	cmd = newRootCommand()
	cmd.SetOut(&stdout)
	cmd.SetArgs([]string{"simulate", "context", "--sim-config", simFile, "--out", ctxDir})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(ctxDir, simulate.FileAssumedInventory))
	b, _ := os.ReadFile(filepath.Join(out, "context", simulate.FileAssumedInventory))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("simulate context and simulate --context wrote different inventories")
	}

	cmd = newRootCommand()
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs([]string{"simulate", "--sim-config", simFile, "--rate", "-3"})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "time.rate: -3 must be 0") {
		t.Fatalf("err = %v", err)
	}
}

// TestSimulatedContextEnriches shows the simulated organization's context
// files load as the enrich stage's directory: people with their time zone
// and, for most, their working hours; every agent credential (a shared one
// once) with its owner and team from the CMDB's workload register.
func TestSimulatedContextEnriches(t *testing.T) {
	scfg := simulate.Default()
	scfg.Seed = 5
	scfg.Population.Users, scfg.Population.Builders, scfg.Population.Agents = 12, 3, 14
	scfg.Population.Humans, scfg.Population.Services, scfg.Population.SharedCredentials = 3, 4, 1
	scfg.Time.Start = "2026-03-02T00:00:00Z"
	scfg.Time.Duration = 30 * time.Hour
	sim, err := simulate.New(scfg, simulate.WithClock(func() time.Time { return time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC) }))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := sim.WriteContext(dir); err != nil {
		t.Fatal(err)
	}
	for _, files := range [][]string{
		{filepath.Join(dir, simulate.FileDirectoryCSV), filepath.Join(dir, simulate.FileWorkloads)},
		{filepath.Join(dir, simulate.FileDirectoryJSON), filepath.Join(dir, simulate.FileWorkloads)},
	} {
		cfg := enrich.DefaultConfig()
		cfg.DirectoryFiles = files
		l, err := enrich.LoadLookups(cfg)
		if err != nil {
			t.Fatalf("%s: %v", files[0], err)
		}
		withHours := 0
		for _, p := range sim.Truth().People {
			e, ok := l.Directory.Lookup(p.Email)
			if !ok || e.TimeZone == nil || e.TimeZone.String() != p.TimeZone {
				t.Fatalf("%s: %s: %+v", files[0], p.Email, e)
			}
			if !e.WorkingHours.IsZero() {
				withHours++
			}
		}
		if withHours == 0 || withHours == len(sim.Truth().People) {
			t.Errorf("%s: %d of %d people with working hours", files[0], withHours, len(sim.Truth().People))
		}
		shared := 0
		for _, a := range sim.Truth().Agents {
			e, ok := l.Directory.Lookup(a.IdentityID)
			if !ok || e.Email != "" || e.Team == "" || e.Owner == "" {
				t.Fatalf("agent %s (%s): %+v", a.Name, a.IdentityID, e)
			}
			if len(a.SharedWith) > 0 {
				shared++
				continue // listed under the agent it was issued to
			}
			if e.Owner != a.OwnerEmail || e.Team != a.Team || e.DisplayName != a.Name {
				t.Errorf("agent %s: owner %s team %s name %s; want %s %s", a.Name, e.Owner, e.Team, e.DisplayName, a.OwnerEmail, a.Team)
			}
		}
		if shared != 2 {
			t.Errorf("%d agents on the shared credential, want 2", shared)
		}
	}
}
