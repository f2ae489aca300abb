package simulate_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest/simulate"
)

// TestDefaultIsValid shows the defaults validate and make a simulator at
// the real clock.
func TestDefaultIsValid(t *testing.T) {
	cfg := simulate.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := simulate.New(cfg); err != nil {
		t.Fatal(err)
	}
}

// TestLoadFullFile shows a file setting every section is read over the
// defaults.
func TestLoadFullFile(t *testing.T) {
	cfg, err := simulate.LoadConfig(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Seed != 42 || cfg.Population.Users != 50 || cfg.Tenants.Domain != "globex.example" ||
		cfg.Time.Duration != 48*time.Hour || len(cfg.Scenarios) != 2 || cfg.Scenarios[1].Every != 6*time.Hour ||
		cfg.Output.Kind != simulate.OutputHTTP || cfg.Output.BatchSize != 200 {
		t.Fatalf("loaded %+v", cfg)
	}
	s, err := simulate.New(cfg, simulate.WithClock(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.SourcesConfig(); got.OktaOrg != "globex.okta.com" || got.AIGateway != "globex-gw" || got.EntraTenant != "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e" {
		t.Fatalf("sources config %+v", got)
	}
}

// TestBadFiles shows that a bad file fails with its name, the line and
// column of the problem, and the reason.
func TestBadFiles(t *testing.T) {
	cases := []struct {
		file string
		want []string
	}{
		{"unknown-key.bad.yaml", []string{"unknown-key.bad.yaml", "[4:3]", `unknown field "robots"`}},
		{"wrong-type.bad.yaml", []string{"wrong-type.bad.yaml", "[2:10]", "int"}},
		{"bad-duration.bad.yaml", []string{"bad-duration.bad.yaml", "[3:9] scenarios[0].at", `"3 days" is not a duration`}},
		{"many-problems.bad.yaml", []string{
			"[2:10] population.users: -1 must be from 0 to 1000000",
			"[3:19] population.personal_share: 1.5 must be from 0 to 1",
			`[4:16] population.time_zones[0]: unknown zone "Mars/Olympus"`,
			`[7:12] tenants.aws_accounts[0].id: "12345" is not a 12-digit AWS account id`,
			"[7:5] tenants.aws_accounts: must list at least one prod and one non-prod entry",
			"[9:9] time.rate: -5 must be 0",
			`[11:12] scenarios[0].kind: unknown scenario "ddos"`,
			"[12:34] scenarios[1].at: 2h0m0s: the agent needs at least 24h0m0s of normal history",
			`[14:9] output.kind: "carrier-pigeon" is not one of files, http, kafka`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			_, err := simulate.LoadConfig(filepath.Join("testdata", tc.file))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestValidateReturnsFieldErrors shows every problem comes back as a
// FieldError with its path.
func TestValidateReturnsFieldErrors(t *testing.T) {
	cfg := simulate.Default()
	cfg.Population.Users = -3
	cfg.Tenants.Domain = "nodot"
	cfg.Time.Live = true
	cfg.Time.Speedup = 60
	cfg.Scenarios = append(cfg.Scenarios, simulate.Scenario{Kind: simulate.ScenarioLLMjacking, Every: time.Minute, Times: -1})
	err := cfg.Validate()
	want := map[string]bool{
		"population.users": false, "tenants.domain": false, "time.speedup": false,
		"scenarios[7].every": false, "scenarios[7].times": false,
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		t.Fatalf("err = %v", err)
	}
	for _, e := range joined.Unwrap() {
		var fe *simulate.FieldError
		if !errors.As(e, &fe) {
			t.Errorf("%v is not a FieldError", e)
			continue
		}
		if _, ok := want[fe.Path]; !ok {
			t.Errorf("unexpected problem %v", fe)
		}
		want[fe.Path] = true
	}
	for path, seen := range want {
		if !seen {
			t.Errorf("no problem reported for %s", path)
		}
	}
}

// FuzzParseConfig shows that no input makes the parser panic, and that
// what it accepts validates.
func FuzzParseConfig(f *testing.F) {
	for _, name := range []string{"full.yaml", "unknown-key.bad.yaml", "wrong-type.bad.yaml", "bad-duration.bad.yaml", "many-problems.bad.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("population: {users: 1}\nscenarios: []\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := simulate.ParseConfig(data)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted a config that does not validate: %v", err)
		}
	})
}
