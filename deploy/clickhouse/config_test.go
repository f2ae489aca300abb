package clickhouse_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/aitdr/aitdr/deploy/clickhouse"
)

// TestConfigDefaultsAreValid shows the defaults passing Validate: loopback
// listen address, a passwordless default user, limits set.
func TestConfigDefaultsAreValid(t *testing.T) {
	if err := clickhouse.DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}

// TestConfigValidateListsEveryProblem shows Validate naming every bad field
// by its path, in one error.
func TestConfigValidateListsEveryProblem(t *testing.T) {
	cfg := clickhouse.DefaultConfig()
	cfg.Listen = "0.0.0.0:99999"
	cfg.MaxBodySize = 10
	cfg.MaxQueuedQueries = 0
	cfg.QueryTimeout = -time.Second
	cfg.ShutdownTimeout = 0
	cfg.Settings = map[string]string{"readonly": "0", "max_execution_time": "1", "bad-name": "1", "max_threads": "4"}
	cfg.Users = []clickhouse.User{
		{Name: "default", NoPassword: true},
		{Name: "default", PasswordEnv: "OK_NAME"},
		{Name: "bad name", PasswordSHA256Hex: "abc"},
		{Name: "both", PasswordEnv: "1BAD", NoPassword: true},
		{Name: "none"},
	}
	err := cfg.Validate()
	var paths []string
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		t.Fatalf("Validate: %v, want joined field errors", err)
	}
	for _, e := range joined.Unwrap() {
		var fe *clickhouse.FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("%v is not a *FieldError", e)
		}
		paths = append(paths, fe.Path)
	}
	for _, want := range []string{
		"listen", "max_body_size", "max_queued_queries", "query_timeout", "shutdown_timeout",
		"settings.readonly", "settings.max_execution_time", "settings.bad-name",
		"users[0].no_password", "users[1].name", "users[2].name", "users[2].password_sha256_hex",
		"users[3].password_env", "users[3]", "users[4]",
	} {
		if !slices.Contains(paths, want) {
			t.Errorf("no problem reported for %s in:\n%v", want, err)
		}
	}
	if slices.Contains(paths, "settings.max_threads") {
		t.Errorf("max_threads reported though valid:\n%v", err)
	}
}

// TestConfigDecodesFromYAML shows the section as it appears in the aitdr
// configuration file, durations and users included.
func TestConfigDecodesFromYAML(t *testing.T) {
	const doc = `
listen: 127.0.0.1:18123
data_dir: /var/lib/aitdr/clickhouse
max_body_size: 67108864
query_timeout: 90s
settings:
  max_memory_usage: "4000000000"
users:
  - name: aitdr
    password_env: AITDR_CLICKHOUSE_PASSWORD
  - name: analyst
    password_sha256_hex: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
    readonly: true
`
	cfg := clickhouse.DefaultConfig()
	if err := yaml.UnmarshalWithOptions([]byte(doc), &cfg, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if cfg.QueryTimeout != 90*time.Second || cfg.MaxBodySize != 64<<20 || len(cfg.Users) != 2 || !cfg.Users[1].ReadOnly ||
		cfg.Settings["max_memory_usage"] != "4000000000" || cfg.MaxQueuedQueries != 32 {
		t.Fatalf("decoded %+v", cfg)
	}
}

// TestNewRefusesUnsetPasswordEnv shows New failing before opening anything
// when a user's password variable is not set.
func TestNewRefusesUnsetPasswordEnv(t *testing.T) {
	cfg := testConfig(t)
	_, err := clickhouse.New(cfg, clickhouse.WithLookupEnv(func(string) (string, bool) { return "", false }))
	if err == nil || !strings.Contains(err.Error(), analystEnv) {
		t.Fatalf("New with %s unset: %v", analystEnv, err)
	}
}
