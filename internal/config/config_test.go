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
	}))
	if err != nil {
		t.Fatal(err)
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
