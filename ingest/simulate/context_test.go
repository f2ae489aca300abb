package simulate_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/aitdr/aitdr/ingest/simulate"
	"github.com/aitdr/aitdr/schemas"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/context")

// tinyConfig is a population small enough to review its context files.
func tinyConfig() simulate.Config {
	cfg := smallConfig()
	cfg.Population.Users = 6
	cfg.Population.Builders = 2
	cfg.Population.Agents = 14
	cfg.Population.Humans = 2
	cfg.Population.Services = 7
	cfg.Population.PersonalShare = 0.5
	cfg.Population.ShadowShare = 0.5
	cfg.Population.SharedCredentials = 1
	return cfg
}

// TestContextGolden shows the context files of a small population; run
// with -update to rewrite them, and review the diff.
func TestContextGolden(t *testing.T) {
	s := newSimulator(t, tinyConfig())
	dir := t.TempDir()
	if err := s.WriteContext(dir); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "context")
	names := []string{simulate.FileDirectoryCSV, simulate.FileDirectoryJSON, simulate.FileWorkloads, simulate.FileEnvironments,
		simulate.FileDataCatalog, simulate.FileAssumedInventory, simulate.FilePopulation}
	for _, name := range names {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(golden, name)
		if *update {
			if err := os.MkdirAll(golden, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to write the golden files)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (run go test -update and review the diff)", name, path)
		}
	}
}

func readCSV(t *testing.T, path string, header []string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.Comment = '#'
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 2 || !slices.Equal(rows[0], header) {
		t.Fatalf("%s: header %v, want %v", path, rows[0], header)
	}
	return rows[1:]
}

// TestContextMatchesTheRecords shows the context files describe the
// organization the records come from: the directory links the identities
// people's records carry, every account and project the events name is in
// the environment map, the data catalog covers the buckets read, and the
// assumed inventory misses a part of the AI identities seen while listing
// some that never show up.
func TestContextMatchesTheRecords(t *testing.T) {
	s, _, _, events := smallRunEvents(t)
	dir := t.TempDir()
	if err := s.WriteContext(dir); err != nil {
		t.Fatal(err)
	}
	seen := map[string]*schemas.Event{}
	for _, n := range events {
		seen[n.ev.Identity.ID] = n.ev
	}

	// Directory: CSV and JSON agree, and the accounts are seen.
	var dirJSON simulate.Directory
	b, err := os.ReadFile(filepath.Join(dir, simulate.FileDirectoryJSON))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &dirJSON); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, filepath.Join(dir, simulate.FileDirectoryCSV), simulate.DirectoryColumns)
	if len(rows) != len(dirJSON.People) {
		t.Fatalf("%d CSV rows, %d JSON people", len(rows), len(dirJSON.People))
	}
	col := func(name string) int { return slices.Index(simulate.DirectoryColumns, name) }
	linked, linkedSeen, withHours := 0, 0, 0
	emails := map[string]bool{}
	for i, p := range dirJSON.People {
		emails[p.Email] = true
		var wh simulate.WorkingHours
		if p.WorkingHours != nil {
			wh = *p.WorkingHours
			withHours++
		}
		if rows[i][col("email")] != p.Email || rows[i][col("accounts")] != strings.Join(p.Accounts, ";") ||
			rows[i][col("time_zone")] != p.TimeZone || rows[i][col("working_days")] != wh.Days ||
			rows[i][col("working_hours_start")] != wh.Start || rows[i][col("working_hours_end")] != wh.End {
			t.Errorf("person %s: CSV %v, JSON %+v", p.PersonID, rows[i], p)
		}
		for _, id := range p.Accounts {
			linked++
			if seen[id] != nil {
				linkedSeen++
			}
		}
	}
	for _, p := range dirJSON.People {
		if p.ManagerEmail != "" && !emails[p.ManagerEmail] {
			t.Errorf("%s: manager %s is not in the directory", p.Email, p.ManagerEmail)
		}
	}
	if float64(linkedSeen) < 0.8*float64(linked) {
		t.Errorf("only %d of %d linked accounts seen in the records", linkedSeen, linked)
	}
	if n := len(dirJSON.People); withHours == 0 || withHours == n {
		t.Errorf("%d of %d people set working hours: want most, not all", withHours, n)
	}

	// Workloads: every agent credential once, with its owner and team,
	// each seen in the records.
	truthAgents := s.Truth().Agents
	creds := map[string]simulate.TruthAgent{}
	for _, a := range truthAgents {
		if _, ok := creds[a.IdentityID]; !ok {
			creds[a.IdentityID] = a
		}
	}
	wl := readCSV(t, filepath.Join(dir, simulate.FileWorkloads), simulate.WorkloadColumns)
	if len(wl) != len(creds) {
		t.Errorf("%d workload rows, %d agent credentials", len(wl), len(creds))
	}
	for _, r := range wl {
		a, ok := creds[r[0]]
		switch {
		case !ok:
			t.Errorf("workload %v is no agent's credential", r)
		case r[1] != a.Name || r[3] != a.OwnerEmail || r[4] != a.Team || r[3] == "" || r[4] == "" || !emails[r[3]]:
			t.Errorf("workload %v, agent %+v", r, a)
		case seen[r[0]] == nil:
			t.Errorf("workload %s not seen in the records", r[0])
		}
	}

	// Environments: every AWS account, Entra tenant, GCP project and
	// cluster of an event.
	b, err = os.ReadFile(filepath.Join(dir, simulate.FileEnvironments))
	if err != nil {
		t.Fatal(err)
	}
	var envMap map[string]map[string]schemas.Environment
	if err := yaml.UnmarshalWithOptions(b, &envMap, yaml.Strict()); err != nil {
		t.Fatal(err)
	}
	envs := map[string]schemas.Environment{}
	for scope, m := range envMap {
		for k, v := range m {
			if !v.Valid() || v == schemas.EnvUnknown {
				t.Errorf("%s %s: environment %q", scope, k, v)
			}
			envs[strings.TrimSuffix(k, "/*")] = v
		}
	}
	for _, n := range events {
		src := n.ev.Source
		for _, id := range []string{src.Account, src.Tenant, src.Project} {
			if id != "" && src.Product != schemas.ProductAIGateway && src.Product != schemas.ProductGitHub && src.Product != schemas.ProductOkta && envs[id] == "" {
				t.Errorf("%s event of %s: %s is not in the environment map", src.Product, n.ev.Identity.ID, id)
			}
		}
	}

	// Data catalog: every bucket read or written, S3 or Cloud Storage, is
	// classified by its id and type, as the normalizers name buckets.
	exact := map[string]string{}
	for _, r := range readCSV(t, filepath.Join(dir, simulate.FileDataCatalog), simulate.DataCatalogColumns) {
		if !schemas.Sensitivity(r[1]).Valid() {
			t.Errorf("catalog row %v", r)
		}
		exact[r[0]] = r[2]
	}
	buckets := 0
	for _, n := range events {
		switch id, typ := n.ev.Target.ID, n.ev.Target.Type; typ {
		case "s3_bucket", "gcs_bucket":
			buckets++
			if exact[id] != typ {
				t.Errorf("%s %s is not in the data catalog", typ, id)
			}
		}
	}
	if buckets == 0 {
		t.Error("no bucket read or written in the records")
	}

	// Assumed inventory: part of what is seen, plus some never seen.
	inventory := readCSV(t, filepath.Join(dir, simulate.FileAssumedInventory), simulate.AssumedInventoryColumns)
	listed := map[string]bool{}
	neverSeen := 0
	for _, r := range inventory {
		listed[r[0]] = true
		if seen[r[0]] == nil {
			neverSeen++
		}
	}
	truth := s.Truth()
	var agents, agentsListed int
	for _, a := range truth.Agents {
		agents++
		if listed[a.IdentityID] {
			agentsListed++
		}
	}
	if neverSeen < 3 || agentsListed == 0 || agentsListed == agents {
		t.Errorf("inventory: %d entries never seen, %d of %d agents listed", neverSeen, agentsListed, agents)
	}
	for _, p := range truth.People {
		if !p.Registered {
			for _, id := range p.Identities {
				if listed[id] {
					t.Errorf("unregistered %s is listed as %s", p.Email, id)
				}
			}
		}
	}
}

// TestContextNeedsNoRun shows the context files depend on the
// configuration and seed only, not on the clock.
func TestContextNeedsNoRun(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	cfg := tinyConfig()
	if err := newSimulator(t, cfg).WriteContext(a); err != nil {
		t.Fatal(err)
	}
	later, err := simulate.New(cfg, simulate.WithClock(func() time.Time { return testNow.Add(24 * time.Hour) }))
	if err != nil {
		t.Fatal(err)
	}
	if err := later.WriteContext(b); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{simulate.FileDirectoryCSV, simulate.FileAssumedInventory, simulate.FileDataCatalog} {
		x, _ := os.ReadFile(filepath.Join(a, name))
		y, _ := os.ReadFile(filepath.Join(b, name))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s differs with the clock", name)
		}
	}
}
