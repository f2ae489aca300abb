package compose_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	composeschema "github.com/compose-spec/compose-go/v2/schema"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/aitdr/aitdr/internal/aitdrtest"
	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/responder"
)

// bin is the aitdr binary built as the image builds it.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "aitdr-compose-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin, err = aitdrtest.Build(context.Background(), dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	composeFile = "compose.yaml"
	envFile     = ".env.example"
	configPath  = "/etc/aitdr/aitdr.yaml"
	aitdrPath   = "/usr/local/bin/aitdr"
)

// stageNeeds is every command the Compose set must run, with the engines
// each needs configured.
var stageNeeds = map[string]struct{ kafka, nats, clickhouse bool }{
	"provision":    {kafka: true, nats: true, clickhouse: true},
	"ingest serve": {kafka: true},
	"ingest stage": {kafka: true},
	"enrich":       {kafka: true},
	"baseline":     {kafka: true},
	"rules serve":  {kafka: true, nats: true},
	"respond":      {nats: true, clickhouse: true},
	"sink":         {kafka: true, clickhouse: true},
}

// The Compose file, as written (YAML anchors and merge keys resolved, before
// interpolation), is valid against the Compose specification's JSON Schema:
// the schema compose-go embeds, pinned by go.mod.
func TestComposeFileMatchesSchema(t *testing.T) {
	doc := decodeYAML(t, composeFile)
	sch := compileComposeSchema(t)
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("%s does not match the Compose specification:\n%v", composeFile, err)
	}

	// And the schema is strict enough to catch a typo in a service key.
	services := doc.(map[string]any)["services"].(map[string]any)
	services["sink"].(map[string]any)["restrat"] = "always"
	if err := sch.Validate(doc); err == nil || !strings.Contains(err.Error(), "restrat") {
		t.Errorf("a misspelled key passed the schema: %v", err)
	}
}

// decodeYAML reads a YAML file into JSON-shaped values (maps, slices,
// float64 numbers), as the schema validator takes them.
func decodeYAML(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func compileComposeSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	spec, err := jsonschema.UnmarshalJSON(strings.NewReader(composeschema.Schema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("compose-spec.json", spec); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("compose-spec.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// loadProject loads the Compose file as "docker compose config" does:
// interpolation with the example environment, schema validation, and the
// consistency checks (dependencies, volumes and networks that exist).
func loadProject(t *testing.T) *types.Project {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	env, err := dotenv.Read(envFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, composeFile)}},
		Environment: env,
	}, func(o *loader.Options) { o.SetProjectName("aitdr", true) })
	if err != nil {
		t.Fatalf("load %s: %v", composeFile, err)
	}
	return p
}

// Without the secrets in the environment, Compose refuses to start rather
// than run the stages with empty passwords.
func TestComposeRequiresSecrets(t *testing.T) {
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	_, err = loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, composeFile)}},
		Environment: map[string]string{},
	}, func(o *loader.Options) { o.SetProjectName("aitdr", true) })
	if err == nil || !strings.Contains(err.Error(), "CLICKHOUSE_PASSWORD") {
		t.Fatalf("loaded without CLICKHOUSE_PASSWORD: err = %v", err)
	}
}

// aitdrServices returns the services that run the aitdr image, by name.
func aitdrServices(t *testing.T, p *types.Project) map[string]types.ServiceConfig {
	t.Helper()
	out := map[string]types.ServiceConfig{}
	for name, s := range p.Services {
		if strings.HasPrefix(s.Image, "aitdr:") {
			out[name] = s
		}
	}
	if len(out) == 0 {
		t.Fatal("no service runs the aitdr image")
	}
	return out
}

// commandPath is the subcommand words of a command line.
func commandPath(args []string) string {
	var words []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			break
		}
		words = append(words, a)
	}
	return strings.Join(words, " ")
}

// Every aitdr service runs a real subcommand of the binary with flags it
// has, every stage and the init runs, and the health check is a real
// command too.
func TestServiceCommandsExist(t *testing.T) {
	p := loadProject(t)
	ran := map[string]string{}
	for name, s := range aitdrServices(t, p) {
		t.Run(name, func(t *testing.T) {
			if err := aitdrtest.CheckCommand(context.Background(), bin, s.Command); err != nil {
				t.Errorf("command %q: %v", s.Command, err)
			}
			ran[commandPath(s.Command)] = name
			hc := s.HealthCheck
			if name == "init" {
				if hc == nil || !hc.Disable {
					t.Errorf("the one-shot init has a health check")
				}
				return
			}
			if hc == nil || hc.Disable || len(hc.Test) < 3 || hc.Test[0] != "CMD" || hc.Test[1] != aitdrPath {
				t.Fatalf("health check %v: want [CMD %s health --ready]", hc, aitdrPath)
			}
			if !slices.Equal(hc.Test[2:], []string{"health", "--ready"}) {
				t.Errorf("health check %v does not ask /readyz", hc.Test)
			}
			if err := aitdrtest.CheckCommand(context.Background(), bin, hc.Test[2:]); err != nil {
				t.Errorf("health check: %v", err)
			}
		})
	}
	for cmd := range stageNeeds {
		if ran[cmd] == "" {
			t.Errorf("no service runs aitdr %s", cmd)
		}
	}
}

// The check itself fails on what is not a command, or not a flag of it.
func TestCheckCommandRejects(t *testing.T) {
	for _, args := range [][]string{
		{"ingest", "stages"},
		{"rules", "serve", "--no-such-flag"},
		{"sinks"},
		{"enrich", "extra-argument"},
	} {
		if err := aitdrtest.CheckCommand(context.Background(), bin, args); err == nil {
			t.Errorf("%q passed as a command", args)
		}
	}
}

// lookup is a LookupEnv over a service's resolved environment.
func lookup(env types.MappingWithEquals) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		if !ok || v == nil {
			return "", false
		}
		return *v, true
	}
}

// hostPath maps a path inside a service's container to the file mounted
// there from this directory, or "".
func hostPath(s types.ServiceConfig, inContainer string) string {
	for _, v := range s.Volumes {
		if v.Type != types.VolumeTypeBind {
			continue
		}
		if inContainer == v.Target {
			return v.Source
		}
		if rest, ok := strings.CutPrefix(inContainer, v.Target+"/"); ok {
			return filepath.Join(v.Source, rest)
		}
	}
	return ""
}

// The configuration file each aitdr service mounts passes "aitdr config
// check" with the environment the service gets (internal/config Load and
// Validate), names the engines its command needs, serves telemetry where
// the health check and Prometheus reach it, and every credential it names
// is in the service's environment.
func TestMountedConfigIsValid(t *testing.T) {
	p := loadProject(t)
	for name, s := range aitdrServices(t, p) {
		t.Run(name, func(t *testing.T) {
			if v, _ := lookup(s.Environment)("AITDR_CONFIG"); v != configPath {
				t.Errorf("AITDR_CONFIG = %q, want %q", v, configPath)
			}
			file := hostPath(s, configPath)
			if file == "" {
				t.Fatalf("nothing is mounted at %s", configPath)
			}
			cfg, err := config.Load(file, lookup(s.Environment))
			if err != nil {
				t.Fatalf("aitdr config check %s with the service's environment: %v", file, err)
			}
			cmd := commandPath(s.Command)
			needs, ok := stageNeeds[cmd]
			if !ok {
				t.Fatalf("aitdr %s is not a stage of the set", cmd)
			}
			if needs.kafka && len(cfg.Kafka.Brokers) == 0 {
				t.Error("kafka.brokers is empty")
			}
			if needs.nats && cfg.NATS.URL == "" {
				t.Error("nats.url is empty")
			}
			if needs.clickhouse && cfg.ClickHouse.DSN == "" {
				t.Error("clickhouse.dsn is empty: AITDR_CLICKHOUSE_DSN is not set")
			}
			if host, _, err := net.SplitHostPort(cfg.Telemetry.Listen); err != nil || (host != "0.0.0.0" && host != "") {
				t.Errorf("telemetry.listen %q is not reachable from outside the container", cfg.Telemetry.Listen)
			}
			env := lookup(s.Environment)
			switch cmd {
			case "ingest serve":
				if v, _ := env(cfg.Ingest.HTTP.Auth.TokensEnv); len(v) < 16 {
					t.Errorf("the HTTP input's tokens (%s) are not in the environment", cfg.Ingest.HTTP.Auth.TokensEnv)
				}
				checkPublished(t, s, cfg.Ingest.HTTP.Listen)
			case "respond":
				for analyst, tok := range cfg.Respond.HTTP.Tokens {
					if v, _ := env(tok.Env); tok.Env != "" && v == "" {
						t.Errorf("respond.http.tokens.%s names %s, which the service does not set", analyst, tok.Env)
					}
				}
				checkPublished(t, s, cfg.Respond.HTTP.Listen)
			}
			if limit := memoryLimit(s); limit > 0 {
				soft, err := parseBytes(mustEnv(t, s, "GOMEMLIMIT", name != "init"))
				if err == nil && soft >= limit {
					t.Errorf("GOMEMLIMIT %d is not below the memory limit %d", soft, limit)
				}
			}
		})
	}
}

// checkPublished fails unless the port of listen is published.
func checkPublished(t *testing.T, s types.ServiceConfig, listen string) {
	t.Helper()
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		t.Errorf("listen %q: %v", listen, err)
		return
	}
	for _, p := range s.Ports {
		if strconv.Itoa(int(p.Target)) == port {
			return
		}
	}
	t.Errorf("the service listens on %s but publishes no port %s", listen, port)
}

func mustEnv(t *testing.T, s types.ServiceConfig, key string, required bool) string {
	t.Helper()
	v, ok := lookup(s.Environment)(key)
	if !ok && required {
		t.Errorf("%s is not set", key)
	}
	return v
}

func memoryLimit(s types.ServiceConfig) int64 {
	if s.Deploy == nil || s.Deploy.Resources.Limits == nil {
		return 0
	}
	return int64(s.Deploy.Resources.Limits.MemoryBytes)
}

// parseBytes parses a GOMEMLIMIT value such as 400MiB.
func parseBytes(s string) (int64, error) {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			n, err := strconv.ParseInt(num, 10, 64)
			return n * u.mult, err
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// Every service restarts on failure (the init runs once), has CPU and
// memory limits, and starts in order: the engines healthy before the init,
// the init done before the stages.
func TestRestartLimitsAndOrder(t *testing.T) {
	p := loadProject(t)
	stages := aitdrServices(t, p)
	for name, s := range p.Services {
		t.Run(name, func(t *testing.T) {
			want := "unless-stopped"
			if name == "init" {
				want = "no"
			}
			if s.Restart != want {
				t.Errorf("restart = %q, want %q", s.Restart, want)
			}
			if s.Deploy == nil || s.Deploy.Resources.Limits == nil ||
				s.Deploy.Resources.Limits.NanoCPUs <= 0 || s.Deploy.Resources.Limits.MemoryBytes <= 0 {
				t.Errorf("no CPU and memory limits")
			}
			_, isStage := stages[name]
			switch {
			case name == "init":
				for _, engine := range []string{"kafka", "clickhouse", "nats"} {
					if d, ok := s.DependsOn[engine]; !ok || d.Condition != types.ServiceConditionHealthy {
						t.Errorf("init does not wait for %s to be healthy", engine)
					}
				}
			case isStage:
				if d, ok := s.DependsOn["init"]; !ok || d.Condition != types.ServiceConditionCompletedSuccessfully {
					t.Errorf("does not wait for init to complete")
				}
				if !s.ReadOnly {
					t.Errorf("root file system is writable")
				}
			default:
				if s.HealthCheck == nil || len(s.HealthCheck.Test) == 0 {
					t.Errorf("engine without a health check")
				}
				if len(s.Volumes) == 0 || s.Volumes[0].Type != types.VolumeTypeVolume {
					t.Errorf("engine keeps its data in no named volume: %+v", s.Volumes)
				}
			}
		})
	}
}

// The rule files mounted into the rules stage pass "aitdr rules lint" and
// their inline tests pass "aitdr rules test", with the shipped pack as the
// stage loads it; the playbooks mounted into the responder load over the
// default set.
func TestMountedRulesAndPlaybooks(t *testing.T) {
	p := loadProject(t)
	var sawRules, sawPlaybooks bool
	for name, s := range aitdrServices(t, p) {
		cfg, err := config.Load(hostPath(s, configPath), lookup(s.Environment))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		switch commandPath(s.Command) {
		case "rules serve":
			for _, path := range cfg.Rules.Paths {
				src := hostPath(s, path)
				if src == "" {
					t.Fatalf("%s: rules.paths %s is not mounted", name, path)
				}
				for _, verb := range []string{"lint", "test"} {
					args := []string{"rules", verb, src}
					if cfg.Rules.Pack {
						args = append(args, "--pack")
					}
					if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
						t.Errorf("aitdr %s: %v\n%s", strings.Join(args, " "), err, out)
					}
				}
				sawRules = true
			}
		case "respond":
			var files []string
			for _, path := range cfg.Respond.Playbooks {
				src := hostPath(s, path)
				if src == "" {
					t.Fatalf("%s: respond.playbooks %s is not mounted", name, path)
				}
				files = append(files, src)
			}
			set, err := responder.LoadPlaybooks(files, cfg.Respond.DefaultPlaybooks)
			if err != nil {
				t.Errorf("%s: playbooks: %v", name, err)
			}
			if set == nil {
				t.Fatalf("%s: no playbook set", name)
			}
			sawPlaybooks = len(files) > 0
		}
	}
	if !sawRules || !sawPlaybooks {
		t.Errorf("the set mounts no deployment rules (%v) or playbooks (%v)", sawRules, sawPlaybooks)
	}
}
