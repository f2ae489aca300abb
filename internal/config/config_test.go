package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/config"
)

func noEnv(string) (string, bool) { return "", false }

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestDefaultsAreValid shows the embedded default needs no file at all.
func TestDefaultsAreValid(t *testing.T) {
	cfg, err := config.Load("", noEnv)
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if len(cfg.Kafka.Brokers) != 0 || cfg.NATS.URL != "" {
		t.Fatalf("defaults point at external clusters: %+v %+v", cfg.Kafka.Brokers, cfg.NATS.URL)
	}
	if cfg.Kafka.Topics.Layout().Specs()[0].Partitions != 6 {
		t.Fatalf("default partitions = %d, want 6", cfg.Kafka.Topics.Partitions)
	}
	if !cfg.Respond.DryRun {
		t.Fatal("respond.dry_run defaults to false: a new install would act before anyone watched it")
	}
}

// TestLoadFullFile shows every section of a production file is read.
func TestLoadFullFile(t *testing.T) {
	cfg, err := config.Load("testdata/full.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"data_dir", cfg.DataDir, "/var/lib/aitdr"},
		{"log.format", cfg.Log.Format, "json"},
		{"kafka.brokers", strings.Join(cfg.Kafka.Brokers, ","), "kafka-1:9092,kafka-2:9092"},
		{"kafka.provision", cfg.Kafka.Provision, false},
		{"kafka.topics.prefix", cfg.Kafka.Topics.Prefix, "prod."},
		{"kafka.topics.partitions", cfg.Kafka.Topics.Partitions, int32(24)},
		{"kafka.topics.retention", cfg.Kafka.Topics.Retention, 72 * time.Hour},
		{"kafka.sasl.mechanism", cfg.Kafka.SASL.Mechanism, "SCRAM-SHA-512"},
		{"nats.stream_replicas", cfg.NATS.StreamReplicas, 3},
		{"nats.stream_max_age", cfg.NATS.StreamMaxAge, 24 * time.Hour},
		{"enrich.catalog.sanctioned", strings.Join(cfg.Enrich.Catalog.Sanctioned, ","), "chatgpt,claude"},
		{"enrich.directory_files", cfg.Enrich.DirectoryFiles[0], "/etc/aitdr/okta-users.csv"},
		{"enrich.accounts.github_emu_shortcodes", cfg.Enrich.Accounts.GitHubEMUShortcodes[0], "acme"},
		{"enrich.finding_sensitivity.source_code", string(cfg.Enrich.FindingSensitivity["source_code"]), "restricted"},
		{"enrich.shared_credential_window", cfg.Enrich.SharedCredentialWindow, 10 * time.Minute},
		// Unset fields of a set section keep their defaults.
		{"enrich.reload_interval", cfg.Enrich.ReloadInterval, 2 * time.Second},
		{"baseline.lateness", cfg.Baseline.Lateness, 2 * time.Minute},
		{"baseline.learning.events", cfg.Baseline.Learning.Events, int64(500)},
		{"baseline.smoothing.5m", cfg.Baseline.Smoothing.M5, 144},
		{"baseline.first_seen.resources", cfg.Baseline.FirstSeen.Resources, 64},
		{"baseline.time_zones.default", cfg.Baseline.TimeZones.Default, "Europe/Paris"},
		{"baseline.snapshots.interval", cfg.Baseline.Snapshots.Interval, 30 * time.Minute},
		// Unset fields of a set section keep their defaults.
		{"baseline.smoothing.1h", cfg.Baseline.Smoothing.H1, 168},
		{"baseline.first_seen.actions", cfg.Baseline.FirstSeen.Actions, 32},
		{"rules.paths", cfg.Rules.Paths[0], "/etc/aitdr/rules"},
		{"rules.reload_interval", cfg.Rules.ReloadInterval, 5 * time.Second},
		{"rules.max_keys_per_rule", cfg.Rules.MaxKeysPerRule, 50000},
		// Unset fields of a set section keep their defaults.
		{"rules.max_events_per_key", cfg.Rules.MaxEventsPerKey, 1000},
		{"respond.dry_run", cfg.Respond.DryRun, false},
		{"respond.playbooks", cfg.Respond.Playbooks[0], "/etc/aitdr/playbooks"},
		{"respond.policy.ai_user", cfg.Respond.EffectivePolicy()["ai_user"], "critical"},
		{"respond.protected", len(cfg.Respond.Protected), 2},
		{"respond.limits.per_identity", cfg.Respond.Limits.PerIdentity, 3},
		{"respond.step.timeout", cfg.Respond.Step.Timeout, 10 * time.Second},
		{"respond.http.tokens.alice", cfg.Respond.HTTP.Tokens["alice"].Env, "AITDR_TOKEN_ALICE"},
		{"respond.webhooks.soar.rollback", cfg.Respond.Webhooks["soar"].Rollback, true},
		// Unset fields of a set section keep their defaults.
		{"respond.policy.ai_agent", cfg.Respond.EffectivePolicy()["ai_agent"], "info"},
		{"respond.limits.total", cfg.Respond.Limits.Total, 60},
		{"respond.step.retries", cfg.Respond.Step.Retries, 3},
		{"grants.folder", cfg.Grants.Folder, "/var/lib/aitdr/grants"},
		{"grants.interval", cfg.Grants.Interval, time.Hour},
		{"grants.github_account", cfg.Grants.GitHubAccount, "acme-corp"},
		{"rightsize.window", cfg.Rightsize.Window, 60 * 24 * time.Hour},
		{"rightsize.min_events", cfg.Rightsize.MinEvents, int64(50)},
		// Unset fields of a set section keep their defaults.
		{"rightsize.min_days", cfg.Rightsize.MinDays, 30},
		// Unset sections keep their defaults.
		{"nats.provision", cfg.NATS.Provision, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if _, err := cfg.Kafka.ClientOpts(nil); err != nil {
		t.Errorf("client options: %v", err)
	}
}

// TestEnvironmentOverridesFile shows containers can override the file.
func TestEnvironmentOverridesFile(t *testing.T) {
	cfg, err := config.Load("testdata/full.yaml", env(map[string]string{
		"AITDR_KAFKA_BROKERS":    " b1:9092 , b2:9092 ",
		"AITDR_NATS_URL":         "nats://other:4222",
		"AITDR_KAFKA_PARTITIONS": "12",
		"AITDR_LOG_LEVEL":        "warn",
		"AITDR_CLICKHOUSE_DSN":   "clickhouse://aitdr:secret@ch-1:9000/aitdr",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClickHouse.DSN != "clickhouse://aitdr:secret@ch-1:9000/aitdr" {
		t.Errorf("clickhouse dsn = %q", cfg.ClickHouse.DSN)
	}
	if got := strings.Join(cfg.Kafka.Brokers, ","); got != "b1:9092,b2:9092" {
		t.Errorf("brokers = %q", got)
	}
	if cfg.NATS.URL != "nats://other:4222" || cfg.Kafka.Topics.Partitions != 12 || cfg.Log.Level != "warn" {
		t.Errorf("overrides not applied: %+v", cfg)
	}
	_, err = config.Load("", env(map[string]string{"AITDR_KAFKA_PARTITIONS": "many"}))
	if err == nil || !strings.Contains(err.Error(), "environment AITDR_KAFKA_PARTITIONS") {
		t.Fatalf("bad environment value: err = %v", err)
	}
}

// TestBadFiles shows a bad file fails with every problem named: the file and
// line for decoding errors, the field path for validation errors.
func TestBadFiles(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"unknown-key.bad.yaml", []string{
			"config testdata/unknown-key.bad.yaml:",
			"[3:3] unknown field \"partitons\"",
		}},
		{"wrong-type.bad.yaml", []string{
			"config testdata/wrong-type.bad.yaml:",
			`[3:16] kafka.topics.retention: "a week" is not a duration such as 90s, 15m or 168h`,
		}},
		{"many-problems.bad.yaml", []string{
			"data_dir: must not be empty",
			`log.level: "loud" is not one of debug, info, warn, error`,
			`log.format: "xml" is not one of text, json`,
			`kafka.brokers[0]: "kafka-1" is not host:port`,
			"kafka.topics.partitions: 0 must be at least 1",
			"kafka.topics.replication_factor: 0 must be -1 (broker default) or at least 1",
			`kafka.sasl.mechanism: "GSSAPI" is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512`,
			"nats.stream_replicas: 7 must be from 1 to 5",
			`enrich.catalog.sanctioned: "chatgpt" is also in catalog.unsanctioned`,
			"enrich.reload_interval: 1ms must be at least 100ms",
			"baseline.lateness: 1h0m0s must be from 0 to 5m0s",
			`baseline.time_zones.default: "Mars/Olympus" is not a time zone such as UTC or Europe/Paris`,
			`rules.disabled[0]: "Not_A_Rule" is not a rule id`,
			"rules.reload_interval: -1s is negative",
			"respond.workers: 0 must be from 1 to 256",
			"respond.policy.robots: not an identity class (ai_user, ai_builder, ai_agent, human, service, unknown)",
			`respond.webhooks.soar.url: "ftp://soar" is not an http or https URL`,
		}},
		{"missing.yaml", []string{"read config: open testdata/missing.yaml: no such file or directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := config.Load("testdata/"+tt.file, noEnv)
			if err == nil {
				t.Fatal("loaded without error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestValidateReturnsFieldErrors shows callers can inspect each problem.
func TestValidateReturnsFieldErrors(t *testing.T) {
	cfg := config.Default()
	cfg.Kafka.Topics.Partitions = -1
	cfg.NATS.EmbeddedListen = "nowhere"
	err := cfg.Validate()
	var fe *config.FieldError
	if !errors.As(err, &fe) || fe.Path != "kafka.topics.partitions" {
		t.Fatalf("first field error = %+v (err %v)", fe, err)
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 2 {
		t.Fatalf("%d problems reported, want 2:\n%v", n, err)
	}
}
