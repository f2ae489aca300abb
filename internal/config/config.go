// Package config is the configuration of the aitdr binary: one YAML file,
// decoded strictly (unknown keys are errors), defaults in one place
// (Default), environment variables overriding the file for containers, and
// Validate listing every problem with its field path.
package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aitdr/aitdr/internal/yamlstrict"

	"github.com/aitdr/aitdr/baseline"
	"github.com/aitdr/aitdr/deploy/clickhouse"
	"github.com/aitdr/aitdr/enrich"
	"github.com/aitdr/aitdr/enrich/rightsize"
	"github.com/aitdr/aitdr/ingest/grants"
	"github.com/aitdr/aitdr/ingest/input"
	"github.com/aitdr/aitdr/ingest/pipeline"
	"github.com/aitdr/aitdr/ingest/simulate"
	"github.com/aitdr/aitdr/ingest/sources"
	"github.com/aitdr/aitdr/internal/telemetry"
	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/responder/connectors"
	"github.com/aitdr/aitdr/responder/feed"
	rulestage "github.com/aitdr/aitdr/rules/stage"
	"github.com/aitdr/aitdr/schemas"
	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

// Config is the whole configuration of one aitdr process.
type Config struct {
	// DataDir holds everything the embedded engines and the stages keep on
	// disk. Default "./data".
	DataDir string `yaml:"data_dir"`
	// Log chooses the log level and format.
	Log Log `yaml:"log"`
	// Runtime tunes the Go runtime: garbage collection and memory limit.
	Runtime Runtime `yaml:"runtime"`
	// Kafka is the event bus: external brokers, or the in-process cluster.
	Kafka Kafka `yaml:"kafka"`
	// NATS carries alerts to the responder and forwarders.
	NATS NATS `yaml:"nats"`
	// Telemetry is OpenTelemetry metrics and traces, and the health server.
	Telemetry telemetry.Config `yaml:"telemetry"`
	// Ingest configures the ingest stage: sources, content policy, raw topics.
	Ingest Ingest `yaml:"ingest"`
	// ClickHouse is where events, identities and alerts are stored.
	ClickHouse ClickHouse `yaml:"clickhouse"`
	// Enrich configures the enrich stage: the AI service catalog, the
	// people directory, environment and classification maps, accounts.
	Enrich enrich.Config `yaml:"enrich"`
	// Baseline configures the baseline stage: lateness, learning period,
	// smoothing, first-seen sets, time zones, retention and snapshots.
	Baseline baseline.Config `yaml:"baseline"`
	// Rules configures the rules stage: the shipped pack, the deployment's
	// rule files (hot reloaded), disabled rules and state bounds.
	Rules rulestage.Config `yaml:"rules"`
	// Respond configures the responder: dry run, playbooks, class policy,
	// protected identities, blast-radius limits, approvals API, webhooks,
	// the provider connectors and the SOC feed.
	Respond Respond `yaml:"respond"`
	// Simulate configures the simulator (aitdr simulate): population,
	// tenants, simulated time and pace, scenarios, output.
	Simulate simulate.Config `yaml:"simulate"`
	// Eval configures the scorecard (aitdr eval): simulated span, matching
	// slack, drain bound and the floors it must reach.
	Eval simulate.EvalConfig `yaml:"eval"`
	// Grants is the scheduled import of permission snapshots from a folder
	// (aitdr grants watch, and aitdr run when a folder is set).
	Grants grants.Config `yaml:"grants"`
	// Rightsize is the permission rightsizing analysis (aitdr rightsize
	// report): the usage window and when a recommendation is trusted.
	Rightsize rightsize.Config `yaml:"rightsize"`
}

// Respond configures the responder (responder.Config, inline), the
// provider connectors it acts through and the SOC feed it notifies. The
// connectors and the feed import the responder's contract, so their
// settings are composed here rather than inside responder.Config.
type Respond struct {
	responder.Config `yaml:",inline"`
	// Connectors are the provider connectors: aws, okta, entra, github,
	// kubernetes. A connector without a section is not built.
	Connectors connectors.Config `yaml:"connectors"`
	// Feed is the SOC feed: syslog/CEF, HTTP event collector, chat,
	// e-mail and paging outputs. Its spill_dir defaults to
	// <data_dir>/feed.
	Feed feed.Config `yaml:"feed"`
}

// ClickHouse configures the store analysts query.
type ClickHouse struct {
	// DSN of an external ClickHouse server or cluster, in clickhouse-go's
	// form: "clickhouse://user:pass@host:9000/aitdr" (native protocol) or
	// "http://host:8123/aitdr". Empty (the default) runs the embedded engine.
	DSN string `yaml:"dsn"`
	// Embedded is the embedded engine and its HTTP interface, used when
	// DSN is empty. Its data_dir defaults to <data_dir>/clickhouse.
	Embedded clickhouse.Config `yaml:"embedded"`
	// Schema is the database, cluster layout and TTLs the migrations apply.
	Schema chschema.Options `yaml:"schema"`
	// Migrate applies the schema migrations at start. Default true.
	Migrate bool `yaml:"migrate"`
	// Sink is how the sink stage writes: insert size, timeout, retries.
	// Its topics follow kafka.topics.prefix.
	Sink chschema.SinkConfig `yaml:"sink"`
}

// Ingest configures the ingest stage and its inputs.
type Ingest struct {
	// Sources is what the source normalizers need to know about the
	// deployment (Okta org, Kubernetes cluster, mapping files).
	Sources sources.Config `yaml:"sources"`
	// Pipeline is the content policy (what is kept of prompt text) and the
	// sensitive-data scanner's configuration.
	Pipeline pipeline.Config `yaml:"pipeline"`
	// RawTopics are raw topics to consume besides aitdr.raw, each with the
	// source product of its records ("" detects it per record), such as
	// {"cloudtrail-raw": "aws.cloudtrail"}. Names are used as they are,
	// without kafka.topics.prefix.
	RawTopics map[string]schemas.Product `yaml:"raw_topics"`
	// HTTP is the HTTP input (POST /v1/events). aitdr run serves it; without
	// a configured token it makes one for the run and prints it.
	HTTP input.HTTPConfig `yaml:"http"`
}

// Log chooses how the process logs.
type Log struct {
	// Level is debug, info, warn or error. Default info.
	Level string `yaml:"level"`
	// Format is text or json. Default text.
	Format string `yaml:"format"`
}

// Kafka configures the event bus.
type Kafka struct {
	// Brokers are the seed brokers of an external cluster. Empty (the
	// default) runs the in-process Kafka of the embedded default; commands
	// that need an external cluster reject an empty list.
	Brokers []string `yaml:"brokers"`
	// EmbeddedListen is the address of the in-process Kafka when Brokers is
	// empty. Only 127.0.0.1 is served. Default "127.0.0.1:9092".
	EmbeddedListen string `yaml:"embedded_listen"`
	// ClientID names this process to the brokers. Default "aitdr".
	ClientID string `yaml:"client_id"`
	// GroupInstanceID, when set, makes each stage of this process a static
	// member of its consumer group, with the group.instance.id of
	// Kafka.StageInstanceID: this value, "-" and the stage name (every
	// stage has a group of its own). Restarted with the same value, after
	// a crash as after a stop, the process takes its partitions back at
	// once, where a new dynamic member waits for the dead one's session to
	// time out (45 s). A static member does not leave its group when it
	// stops: if it does not come back, its partitions wait for the session
	// timeout. Set it where each process keeps a name of its own across
	// restarts (one process per host, a StatefulSet pod name), never to one
	// value in two running processes. At most 240 ASCII letters, digits,
	// '.', '_' and '-'. Default empty: dynamic members.
	GroupInstanceID string `yaml:"group_instance_id"`
	// Compression of produced batches: auto, none, snappy, lz4, zstd or
	// gzip. Auto (the default) sends uncompressed to the in-process Kafka
	// and to brokers that are all on loopback, where compressing only costs
	// CPU, and snappy elsewhere.
	Compression string `yaml:"compression"`
	// Provision creates missing topics and corrects their configs at start.
	// Default true.
	Provision bool `yaml:"provision"`
	// Topics is the topic layout: prefix, partitions, replication, retention.
	Topics Topics `yaml:"topics"`
	// TLS secures connections to the brokers.
	TLS TLS `yaml:"tls"`
	// SASL authenticates to the brokers.
	SASL SASL `yaml:"sasl"`
}

// Topics is the topic layout of the pipeline.
type Topics struct {
	// Prefix is prepended to every topic name. Default empty.
	Prefix string `yaml:"prefix"`
	// Partitions of every topic; the unit of scale-out of each stage.
	// Default 6.
	Partitions int32 `yaml:"partitions"`
	// ReplicationFactor of every topic; -1 takes the broker default.
	// Default -1.
	ReplicationFactor int16 `yaml:"replication_factor"`
	// Retention of the event topics; changelogs are compacted instead.
	// Default 168h.
	Retention time.Duration `yaml:"retention"`
}

// Layout returns the schemas.TopicLayout these settings describe.
func (t Topics) Layout() schemas.TopicLayout {
	return schemas.TopicLayout{
		Prefix:            t.Prefix,
		Partitions:        t.Partitions,
		ReplicationFactor: t.ReplicationFactor,
		Retention:         t.Retention,
	}
}

// TLS configures TLS to Kafka brokers.
type TLS struct {
	// Enabled turns TLS on. Default false.
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM bundle of the CAs to trust; empty uses the system pool.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a PEM client certificate and key for mTLS.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName overrides the name checked in the broker certificate.
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify disables certificate verification (testing only).
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// SASL configures SASL authentication to Kafka brokers.
type SASL struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty disables SASL.
	Mechanism string `yaml:"mechanism"`
	// Username and Password are the credentials.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// NATS configures the alert fan-out.
type NATS struct {
	// URL of an external NATS cluster (comma-separated URLs allowed). Empty
	// (the default) runs the embedded NATS server with JetStream.
	URL string `yaml:"url"`
	// EmbeddedListen is the address of the embedded server when URL is
	// empty. Default "127.0.0.1:4222".
	EmbeddedListen string `yaml:"embedded_listen"`
	// CredentialsFile is a NATS .creds file for an external cluster.
	CredentialsFile string `yaml:"credentials_file"`
	// Provision creates or updates the JetStream streams at start. Default true.
	Provision bool `yaml:"provision"`
	// StreamReplicas is the replica count of the streams. Default 1.
	StreamReplicas int `yaml:"stream_replicas"`
	// StreamMaxAge is how long streams keep messages. Default 168h.
	StreamMaxAge time.Duration `yaml:"stream_max_age"`
}

// Streams returns the schemas.StreamLayout these settings describe.
func (n NATS) Streams() schemas.StreamLayout {
	return schemas.StreamLayout{Replicas: n.StreamReplicas, MaxAge: n.StreamMaxAge}
}

// Default returns the configuration of the embedded default: everything in
// one process, data under ./data.
func Default() Config {
	return Config{
		DataDir: "data",
		Log:     Log{Level: "info", Format: "text"},
		Runtime: Runtime{GCPercent: DefaultGCPercent, MemoryLimit: "auto"},
		Kafka: Kafka{
			EmbeddedListen: "127.0.0.1:9092",
			ClientID:       "aitdr",
			Compression:    "auto",
			Provision:      true,
			Topics:         Topics{Partitions: 6, ReplicationFactor: -1, Retention: 7 * 24 * time.Hour},
		},
		NATS: NATS{
			EmbeddedListen: "127.0.0.1:4222",
			Provision:      true,
			StreamReplicas: 1,
			StreamMaxAge:   7 * 24 * time.Hour,
		},
		Telemetry:  telemetry.DefaultConfig(),
		Ingest:     Ingest{Pipeline: pipeline.Default(), HTTP: input.DefaultHTTPConfig()},
		ClickHouse: ClickHouse{Embedded: clickhouse.DefaultConfig(), Migrate: true},
		Enrich:     enrich.DefaultConfig(),
		Baseline:   baseline.DefaultConfig(),
		Rules:      rulestage.DefaultConfig(),
		Respond:    Respond{Config: responder.DefaultConfig()},
		Simulate:   simulate.Default(),
		Eval:       simulate.DefaultEvalConfig(),
		Grants:     grants.DefaultConfig(),
		Rightsize:  rightsize.DefaultConfig(),
	}
}

// Load returns the configuration from the defaults, then the YAML file at
// path (when path is not empty), then the environment, validated. lookupEnv
// is os.LookupEnv outside tests. A file error names the file, line and
// column; a validation error lists every problem by field path.
func Load(path string, lookupEnv func(string) (string, bool)) (Config, error) {
	cfg := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("read config: %w", err)
		}
		if err := decode(data, &cfg); err != nil {
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := cfg.applyEnv(lookupEnv); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		if path != "" {
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

// decode reads YAML over cfg: unknown keys, type mismatches, duplicate keys
// and bad durations are errors with line and column.
func decode(data []byte, cfg *Config) error {
	_, err := yamlstrict.Decode(data, cfg)
	return err
}

// EnvVars lists the environment variables that override the file, with the
// field each one sets. A list value is comma-separated.
var EnvVars = []struct{ Name, Field string }{
	{"AITDR_DATA_DIR", "data_dir"},
	{"AITDR_LOG_LEVEL", "log.level"},
	{"AITDR_LOG_FORMAT", "log.format"},
	{"AITDR_KAFKA_BROKERS", "kafka.brokers"},
	{"AITDR_KAFKA_TOPIC_PREFIX", "kafka.topics.prefix"},
	{"AITDR_KAFKA_PARTITIONS", "kafka.topics.partitions"},
	{"AITDR_KAFKA_GROUP_INSTANCE_ID", "kafka.group_instance_id"},
	{"AITDR_KAFKA_SASL_MECHANISM", "kafka.sasl.mechanism"},
	{"AITDR_KAFKA_SASL_USERNAME", "kafka.sasl.username"},
	{"AITDR_KAFKA_SASL_PASSWORD", "kafka.sasl.password"},
	{"AITDR_NATS_URL", "nats.url"},
	{"AITDR_NATS_CREDENTIALS_FILE", "nats.credentials_file"},
	{"AITDR_TELEMETRY_LISTEN", "telemetry.listen"},
	{"AITDR_CLICKHOUSE_DSN", "clickhouse.dsn"},
}

func (c *Config) applyEnv(lookupEnv func(string) (string, bool)) error {
	if lookupEnv == nil {
		return nil
	}
	var errs []error
	for _, v := range EnvVars {
		val, ok := lookupEnv(v.Name)
		if !ok {
			continue
		}
		if err := c.set(v.Field, val); err != nil {
			errs = append(errs, fmt.Errorf("environment %s: %w", v.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (c *Config) set(field, val string) error {
	switch field {
	case "data_dir":
		c.DataDir = val
	case "log.level":
		c.Log.Level = val
	case "log.format":
		c.Log.Format = val
	case "kafka.brokers":
		c.Kafka.Brokers = splitList(val)
	case "kafka.compression":
		c.Kafka.Compression = val
	case "kafka.topics.prefix":
		c.Kafka.Topics.Prefix = val
	case "kafka.topics.partitions":
		n, err := strconv.ParseInt(val, 10, 32)
		if err != nil {
			return fmt.Errorf("partitions %q: %w", val, err)
		}
		c.Kafka.Topics.Partitions = int32(n)
	case "kafka.group_instance_id":
		c.Kafka.GroupInstanceID = val
	case "kafka.sasl.mechanism":
		c.Kafka.SASL.Mechanism = val
	case "kafka.sasl.username":
		c.Kafka.SASL.Username = val
	case "kafka.sasl.password":
		c.Kafka.SASL.Password = val
	case "nats.url":
		c.NATS.URL = val
	case "nats.credentials_file":
		c.NATS.CredentialsFile = val
	case "telemetry.listen":
		c.Telemetry.Listen = val
	case "clickhouse.dsn":
		c.ClickHouse.DSN = val
	default:
		return fmt.Errorf("unknown field %s", field)
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// FieldError is one problem with one configuration field.
type FieldError struct {
	// Path is the field's path in the YAML file, e.g. "kafka.brokers[1]".
	Path string
	// Problem says what is wrong with it.
	Problem string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Problem }

// Validate returns every problem of the configuration, joined, each a
// *FieldError naming its field path; nil when the configuration is usable.
func (c *Config) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, &FieldError{Path: path, Problem: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(c.DataDir) == "" {
		bad("data_dir", "must not be empty")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Log.Level)); err != nil {
		bad("log.level", "%q is not one of debug, info, warn, error", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", "%q is not one of text, json", c.Log.Format)
	}
	c.Runtime.validate(bad)

	for i, b := range c.Kafka.Brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			bad(fmt.Sprintf("kafka.brokers[%d]", i), "%q is not host:port", b)
		}
	}
	if len(c.Kafka.Brokers) == 0 {
		if host, port, err := net.SplitHostPort(c.Kafka.EmbeddedListen); err != nil || host != "127.0.0.1" {
			bad("kafka.embedded_listen", "%q must be 127.0.0.1:PORT (the in-process Kafka serves loopback only)", c.Kafka.EmbeddedListen)
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			bad("kafka.embedded_listen", "port %q is not a number from 0 to 65535", port)
		}
	}
	if c.Kafka.ClientID == "" {
		bad("kafka.client_id", "must not be empty")
	}
	if id := c.Kafka.GroupInstanceID; id != "" && !validInstanceID(id) {
		bad("kafka.group_instance_id", "%q must be at most %d ASCII letters, digits, '.', '_' and '-'", id, maxGroupInstanceID)
	}
	if _, ok := compressionCodecs[c.Kafka.Compression]; !ok && c.Kafka.Compression != "auto" {
		bad("kafka.compression", "%q is not one of auto, none, snappy, lz4, zstd, gzip", c.Kafka.Compression)
	}
	if c.Kafka.Topics.Partitions < 1 {
		bad("kafka.topics.partitions", "%d must be at least 1", c.Kafka.Topics.Partitions)
	}
	if rf := c.Kafka.Topics.ReplicationFactor; rf == 0 || rf < -1 {
		bad("kafka.topics.replication_factor", "%d must be -1 (broker default) or at least 1", rf)
	}
	if c.Kafka.Topics.Retention < time.Minute {
		bad("kafka.topics.retention", "%s must be at least 1m", c.Kafka.Topics.Retention)
	}
	if p := c.Kafka.Topics.Prefix; strings.ContainsAny(p, " /\\:") {
		bad("kafka.topics.prefix", "%q must not contain spaces, slashes or colons", p)
	}
	tls := c.Kafka.TLS
	if (tls.CertFile == "") != (tls.KeyFile == "") {
		bad("kafka.tls", "cert_file %q and key_file %q must be set together", tls.CertFile, tls.KeyFile)
	}
	if !tls.Enabled && (tls.CAFile != "" || tls.CertFile != "" || tls.InsecureSkipVerify) {
		bad("kafka.tls.enabled", "is false but other TLS settings are set")
	}
	switch s := c.Kafka.SASL; s.Mechanism {
	case "":
		if s.Username != "" || s.Password != "" {
			bad("kafka.sasl.mechanism", "is empty but a username or password is set")
		}
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if s.Username == "" {
			bad("kafka.sasl.username", "must be set for mechanism %s", s.Mechanism)
		}
	default:
		bad("kafka.sasl.mechanism", "%q is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512", s.Mechanism)
	}

	if c.NATS.URL == "" {
		if host, port, err := net.SplitHostPort(c.NATS.EmbeddedListen); err != nil || host == "" {
			bad("nats.embedded_listen", "%q is not host:port", c.NATS.EmbeddedListen)
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			bad("nats.embedded_listen", "port %q is not a number from 0 to 65535", port)
		}
		if c.NATS.CredentialsFile != "" {
			bad("nats.credentials_file", "is set but nats.url is empty (the embedded server needs no credentials)")
		}
	}
	if c.NATS.StreamReplicas < 1 || c.NATS.StreamReplicas > 5 {
		bad("nats.stream_replicas", "%d must be from 1 to 5", c.NATS.StreamReplicas)
	}
	if c.NATS.StreamMaxAge < time.Minute {
		bad("nats.stream_max_age", "%s must be at least 1m", c.NATS.StreamMaxAge)
	}

	if err := c.Telemetry.Validate(); err != nil {
		errs = append(errs, prefixFieldErrors("telemetry", err))
	}
	if c.ClickHouse.DSN == "" {
		embedded := c.ClickHouse.Embedded
		if embedded.DataDir == "" {
			embedded.DataDir = c.ClickHouseDataDir()
		}
		if err := embedded.Validate(); err != nil {
			errs = append(errs, prefixFieldErrors("clickhouse.embedded", err))
		}
	} else if _, err := url.Parse(c.ClickHouse.DSN); err != nil || !strings.Contains(c.ClickHouse.DSN, "://") {
		bad("clickhouse.dsn", "is not a URL such as clickhouse://host:9000 or http://host:8123")
	}
	if err := c.ClickHouse.Schema.Validate(); err != nil {
		errs = append(errs, prefixFieldErrors("clickhouse.schema", err))
	}
	if err := c.ClickHouse.Sink.Validate(); err != nil {
		errs = append(errs, prefixFieldErrors("clickhouse.sink", err))
	}
	if err := c.Ingest.HTTP.Validate(); err != nil {
		errs = append(errs, prefixFieldErrors("ingest.http", err))
	}
	if err := c.Ingest.Pipeline.Validate(); err != nil {
		errs = append(errs, prefixFieldErrors("ingest.pipeline", err))
	}
	if err := c.Enrich.Validate(); err != nil {
		errs = append(errs, prefixFieldErrors("enrich", err))
	}
	if err := c.Baseline.Validate(); err != nil {
		errs = append(errs, prefixFieldErrors("baseline", err))
	}
	if err := c.Rules.Validate(); err != nil {
		errs = append(errs, prefixFieldErrors("rules", err))
	}
	if err := c.Respond.Validate(); err != nil {
		errs = append(errs, prefixFieldErrors("respond", err))
	}
	if err := c.Respond.Connectors.Validate(); err != nil {
		errs = append(errs, prefixFieldErrors("respond.connectors", err))
	}
	if err := c.FeedConfig().Validate(); err != nil {
		errs = append(errs, prefixFieldErrors("respond.feed", err))
	}
	if err := c.Simulate.Validate(); err != nil {
		errs = append(errs, prefixFieldErrors("simulate", err))
	}
	if err := c.Grants.Validate(); err != nil {
		errs = append(errs, prefixFieldErrors("grants", err))
	}
	if err := c.Rightsize.Validate(); err != nil {
		errs = append(errs, prefixFieldErrors("rightsize", err))
	}
	if err := c.Eval.Validate(); err != nil {
		errs = append(errs, prefixFieldErrors("eval", err))
	}
	for topic, product := range c.Ingest.RawTopics {
		if topic == "" || strings.ContainsAny(topic, " /\\:") {
			bad("ingest.raw_topics", "%q is not a topic name", topic)
		}
		if product != "" && !product.Valid() {
			bad("ingest.raw_topics."+topic, "%q is not a source product", product)
		}
	}
	return errors.Join(errs...)
}

// prefixFieldErrors puts a section name before the paths of a nested
// Validate's errors.
func prefixFieldErrors(section string, err error) error {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		var out []error
		for _, e := range joined.Unwrap() {
			out = append(out, prefixFieldErrors(section, e))
		}
		return errors.Join(out...)
	}
	return fmt.Errorf("%s.%w", section, err)
}

// KafkaDataDir is where the in-process Kafka keeps its log segments.
func (c *Config) KafkaDataDir() string { return filepath.Join(c.DataDir, "kafka") }

// ClickHouseDataDir is where the embedded ClickHouse engine keeps its data,
// unless clickhouse.embedded.data_dir says otherwise.
func (c *Config) ClickHouseDataDir() string {
	if c.ClickHouse.Embedded.DataDir != "" {
		return c.ClickHouse.Embedded.DataDir
	}
	return filepath.Join(c.DataDir, "clickhouse")
}

// NATSDataDir is where the embedded NATS server keeps JetStream.
func (c *Config) NATSDataDir() string { return filepath.Join(c.DataDir, "nats") }

// FeedConfig returns respond.feed with its spill directory defaulted to
// <data_dir>/feed.
func (c *Config) FeedConfig() feed.Config {
	f := c.Respond.Feed
	if f.SpillDir == "" {
		f.SpillDir = filepath.Join(c.DataDir, "feed")
	}
	return f
}

// Logger returns the slog logger the Log settings describe, writing to w.
func (l Log) Logger(w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(l.Level)) // validated by Validate
	opts := &slog.HandlerOptions{Level: level}
	if l.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
