package reliability_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/baseline"
	"github.com/aitdr/aitdr/enrich"
	"github.com/aitdr/aitdr/ingest/simulate"
	"github.com/aitdr/aitdr/ingest/stage"
	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/internal/kafkatest"
	rulestage "github.com/aitdr/aitdr/rules/stage"
	"github.com/aitdr/aitdr/schemas"
)

// partitions of every pipeline topic in the suite: few, so that one broker
// and two cores serve several pipelines at once.
const partitions = 3

// promptHashKey is the ingest prompt-hash key of every pipeline, so that a
// restarted process hashes prompts as the one it replaces.
const promptHashKey = "reliability-suite-prompt-hash-key-not-a-secret"

// pipelineSpec is what a test chooses about one "aitdr run" process.
type pipelineSpec struct {
	// name names the process in logs and its directory.
	name string
	// natsURL is the nats-server the pipeline uses.
	natsURL string
	// clickhouseDSN is an external ClickHouse ("aitdr clickhouse serve");
	// empty runs the engine embedded in the pipeline process.
	clickhouseDSN string
	// sim provides the context files (directory, environments, catalog)
	// and the ingest sources its identity ids assume.
	sim *simulate.Simulator
	// rawTopics are raw topics consumed besides the pipeline's own.
	rawTopics []string
	// edit changes the configuration further.
	edit func(*config.Config)
}

// pipeline is one "aitdr run" process with its own topic prefix, consumer
// groups, data directory and configuration file.
type pipeline struct {
	t       *testing.T
	spec    pipelineSpec
	bin     string
	dir     string
	cfgPath string
	cfg     config.Config
	brokers []string
	ch      clickhouse
	health  string
	proc    *process
}

// newPipeline writes the configuration of a pipeline under a new directory
// of the test; start runs it.
func newPipeline(t *testing.T, bin string, brokers []string, spec pipelineSpec) *pipeline {
	t.Helper()
	dir := filepath.Join(t.TempDir(), spec.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Log.Level = "info"
	cfg.Kafka.Brokers = brokers
	cfg.Kafka.ClientID = spec.name
	cfg.Kafka.Topics.Prefix = kafkatest.Name(t) + "." + spec.name + "."
	cfg.Kafka.Topics.Partitions = partitions
	cfg.NATS.URL = spec.natsURL
	cfg.Telemetry.Listen = freeAddr(t)
	cfg.Ingest.HTTP.Listen = freeAddr(t)
	cfg.Respond.HTTP.Listen = freeAddr(t)
	if spec.clickhouseDSN != "" {
		cfg.ClickHouse.DSN = spec.clickhouseDSN
	} else {
		cfg.ClickHouse.Embedded.Listen = freeAddr(t)
	}
	if len(spec.rawTopics) > 0 {
		cfg.Ingest.RawTopics = map[string]schemas.Product{}
		for _, topic := range spec.rawTopics {
			cfg.Ingest.RawTopics[topic] = "" // the aitdr-source header names the product
		}
	}
	if spec.sim != nil {
		// As "aitdr run --simulate" does: the simulated organization's
		// tenancy and context files, and a learning period its few days
		// of history cover.
		src := spec.sim.SourcesConfig()
		cfg.Ingest.Sources.OktaOrg, cfg.Ingest.Sources.GCPOrg = src.OktaOrg, src.GCPOrg
		cfg.Ingest.Sources.AIGateway, cfg.Ingest.Sources.OpenAIOrg, cfg.Ingest.Sources.AnthropicOrg = src.AIGateway, src.OpenAIOrg, src.AnthropicOrg
		contextDir := filepath.Join(dir, "context")
		if err := spec.sim.WriteContext(contextDir); err != nil {
			t.Fatal(err)
		}
		cfg.Enrich.DirectoryFiles = []string{filepath.Join(contextDir, "directory.csv")}
		cfg.Enrich.EnvironmentFiles = []string{filepath.Join(contextDir, "environments.yaml")}
		cfg.Enrich.ClassificationFiles = []string{filepath.Join(contextDir, "data-catalog.csv")}
		cfg.Baseline.Learning.Period = 24 * time.Hour
	}
	if spec.edit != nil {
		spec.edit(&cfg)
	}
	out, err := yaml.MarshalWithOptions(cfg, yaml.IndentSequence(true))
	if err != nil {
		t.Fatalf("encode the configuration of %s: %v", spec.name, err)
	}
	cfgPath := filepath.Join(dir, "aitdr.yaml")
	if err := os.WriteFile(cfgPath, out, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(cfgPath, nil); err != nil {
		t.Fatalf("the configuration written for %s does not load: %v", spec.name, err)
	}
	p := &pipeline{t: t, spec: spec, bin: bin, dir: dir, cfgPath: cfgPath, cfg: cfg, brokers: brokers,
		health: "http://" + cfg.Telemetry.Listen}
	p.ch = clickhouse{url: spec.clickhouseDSN}
	if spec.clickhouseDSN == "" {
		p.ch.url = "http://" + cfg.ClickHouse.Embedded.Listen
	}
	return p
}

// start runs "aitdr run" and waits until it is ready: every stage has
// joined its group. After a kill -9 that takes the group session timeout,
// during which the dead members keep their partitions.
func (p *pipeline) start(readyWithin time.Duration) time.Duration {
	p.t.Helper()
	env := []string{"AITDR_PROMPT_HASH_KEY=" + promptHashKey}
	p.proc = startProcess(p.t, p.dir, p.spec.name, p.bin, env, "run", "--config", p.cfgPath, "--view", "off")
	took, ok := waitFor(p.t, readyWithin, 100*time.Millisecond, []*process{p.proc}, p.ready)
	if !ok {
		p.t.Fatalf("%s not ready within %s: %s", p.spec.name, readyWithin, p.readiness())
	}
	return took
}

func (p *pipeline) ready() bool {
	resp, err := http.Get(p.health + "/readyz")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

func (p *pipeline) readiness() string {
	resp, err := http.Get(p.health + "/readyz")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, b)
}

// topic is the name of one of the pipeline's topics, prefix included.
func (p *pipeline) topic(name string) string { return p.cfg.Kafka.Topics.Prefix + name }

// groups returns the consumer group of each stage and the topics it
// consumes, as "aitdr run" names them.
func (p *pipeline) groups() map[string][]string {
	g := func(stage string) string { return p.cfg.Kafka.Topics.Prefix + "aitdr-" + stage }
	raw := []string{p.topic(schemas.TopicRaw)}
	for topic := range p.cfg.Ingest.RawTopics {
		raw = append(raw, topic)
	}
	return map[string][]string{
		g(stage.Name):     raw,
		g(enrich.Name):    {p.topic(schemas.TopicEvents)},
		g(baseline.Name):  {p.topic(schemas.TopicEnriched)},
		g(rulestage.Name): {p.topic(schemas.TopicScored)},
		g("sink"):         {p.topic(schemas.TopicScored), p.topic(schemas.TopicAlerts), p.topic(schemas.TopicIdentityChangelog)},
	}
}

// stageGroup is the consumer group of one stage.
func (p *pipeline) stageGroup(stage string) string {
	return p.cfg.Kafka.Topics.Prefix + "aitdr-" + stage
}

// lags returns the consumer lag of every stage group: the records on its
// topics past its committed offsets, by group.
func (p *pipeline) lags(ctx context.Context, adm *kadm.Client) (map[string]int64, error) {
	out := map[string]int64{}
	for group, topics := range p.groups() {
		ends, err := adm.ListEndOffsets(ctx, topics...)
		if err == nil {
			err = ends.Error()
		}
		if err != nil {
			return nil, fmt.Errorf("end offsets of %v: %w", topics, err)
		}
		committed, err := adm.FetchOffsetsForTopics(ctx, group, topics...)
		if err == nil {
			err = committed.Error()
		}
		if err != nil {
			return nil, fmt.Errorf("offsets of group %s: %w", group, err)
		}
		var lag int64
		ends.Each(func(o kadm.ListedOffset) {
			at := int64(0) // topics are new: nothing before offset 0
			if c, ok := committed.Lookup(o.Topic, o.Partition); ok && c.At >= 0 {
				at = c.At
			}
			lag += max(o.Offset-at, 0)
		})
		out[group] = lag
	}
	return out, nil
}

// totalLag sums lags.
func totalLag(lags map[string]int64) int64 {
	var n int64
	for _, l := range lags {
		n += l
	}
	return n
}

// waitDrained waits until every stage group has committed everything on
// its topics and ClickHouse holds want events, and returns how long that
// took.
func (p *pipeline) waitDrained(adm *kadm.Client, want int64, timeout time.Duration) time.Duration {
	p.t.Helper()
	var lags map[string]int64
	var events int64
	took, ok := waitFor(p.t, timeout, 250*time.Millisecond, []*process{p.proc}, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var err error
		if lags, err = p.lags(ctx, adm); err != nil {
			p.t.Logf("%s: %v", p.spec.name, err)
			return false
		}
		if totalLag(lags) > 0 {
			return false
		}
		events, err = p.ch.count(ctx, "SELECT uniqExact(event_id) FROM aitdr.events")
		return err == nil && events >= want
	})
	if !ok {
		p.t.Fatalf("%s not drained within %s: lags %v, %d of %d events in ClickHouse", p.spec.name, timeout, lags, events, want)
	}
	return took
}

// waitResponded waits until the responder has acted on every alert in
// ClickHouse (each alert has at least one response action: the default
// playbooks notify on every alert), and returns the alert ids and how long
// that took.
func (p *pipeline) waitResponded(timeout time.Duration) ([]string, time.Duration) {
	p.t.Helper()
	var raised, missing []string
	took, ok := waitFor(p.t, timeout, 500*time.Millisecond, []*process{p.proc}, func() bool {
		raised = p.ch.column(p.t, "SELECT DISTINCT alert_id FROM aitdr.alerts")
		missing, _ = diff(set(raised), p.ch.column(p.t, "SELECT DISTINCT alert_id FROM aitdr.response_actions"))
		return len(raised) > 0 && len(missing) == 0
	})
	if !ok {
		p.t.Fatalf("%s: %d of %d alerts not acted on within %s: %v", p.spec.name, len(missing), len(raised), timeout, head(missing))
	}
	return raised, took
}

// clickhouse is the HTTP interface of a ClickHouse engine.
type clickhouse struct{ url string }

// query runs sql and returns the output, trimmed.
func (c clickhouse) query(ctx context.Context, sql string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/", strings.NewReader(sql))
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("clickhouse %s: %w", c.url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("clickhouse %s: read answer: %w", c.url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("clickhouse %s: %s: %s: %s", c.url, sql, resp.Status, b)
	}
	return strings.TrimSpace(string(b)), nil
}

// count runs sql, which returns one number.
func (c clickhouse) count(ctx context.Context, sql string) (int64, error) {
	out, err := c.query(ctx, sql)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(out, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("clickhouse: %s: answer %q is not a number", sql, out)
	}
	return n, nil
}

// mustCount is count that fails the test on error.
func (c clickhouse) mustCount(t *testing.T, sql string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := c.count(ctx, sql)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// column runs sql, which returns one column, and returns its values sorted.
func (c clickhouse) column(t *testing.T, sql string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := c.query(ctx, sql+" FORMAT TSV")
	if err != nil {
		t.Fatal(err)
	}
	if out == "" {
		return nil
	}
	values := strings.Split(out, "\n")
	slices.Sort(values)
	return values
}

// rows runs sql and returns its rows of tab-separated values.
func (c clickhouse) rows(t *testing.T, sql string) [][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := c.query(ctx, sql+" FORMAT TSV")
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for line := range strings.SplitSeq(out, "\n") {
		if line != "" {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows
}

// clickhouseServer is an "aitdr clickhouse serve" process: the embedded
// engine on its own, so that a test can stop it under a running pipeline.
type clickhouseServer struct {
	t       *testing.T
	bin     string
	dir     string
	addr    string
	proc    *process
	started int
}

func newClickHouseServer(t *testing.T, bin string) *clickhouseServer {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "clickhouse")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &clickhouseServer{t: t, bin: bin, dir: dir, addr: freeAddr(t)}
}

func (s *clickhouseServer) dsn() string { return "http://" + s.addr }

// start serves the engine on its data directory and port, and waits until
// it answers queries.
func (s *clickhouseServer) start() {
	s.t.Helper()
	s.started++
	s.proc = startProcess(s.t, s.dir, "clickhouse", s.bin, nil,
		"clickhouse", "serve", "--listen", s.addr, "--data-dir", filepath.Join(s.dir, "data"))
	ch := clickhouse{url: s.dsn()}
	if _, ok := waitFor(s.t, time.Minute, 100*time.Millisecond, []*process{s.proc}, func() bool {
		_, err := ch.query(context.Background(), "SELECT 1")
		return err == nil
	}); !ok {
		s.t.Fatalf("aitdr clickhouse serve on %s does not answer within a minute", s.addr)
	}
}

// natsServerProc is a standalone nats-server with JetStream on a port and
// store of its own, which a test may stop and start again.
type natsServerProc struct {
	t    *testing.T
	bin  string
	dir  string
	port string
	proc *process
}

// startNATSServer starts a nats-server for the test. Every pipeline gets
// its own: JetStream stream and bucket names are not prefixed like topics,
// so pipelines sharing a server would share their alerts and actions.
func startNATSServer(t *testing.T) *natsServerProc {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "nats")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(freeAddr(t), ":")
	n := &natsServerProc{t: t, bin: natsServer(t), dir: dir, port: port}
	n.start()
	return n
}

func (n *natsServerProc) url() string { return "nats://127.0.0.1:" + n.port }

// start runs the server on its port and store and waits until JetStream
// answers.
func (n *natsServerProc) start() {
	n.t.Helper()
	n.proc = startProcess(n.t, n.dir, "nats-server", n.bin, nil,
		"-js", "-a", "127.0.0.1", "-p", n.port, "-sd", filepath.Join(n.dir, "store"), "-n", "reliability")
	if _, ok := waitFor(n.t, 30*time.Second, 100*time.Millisecond, []*process{n.proc}, func() bool {
		nc, err := nats.Connect(n.url(), nats.Timeout(time.Second))
		if err != nil {
			return false
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			return false
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err = js.AccountInfo(ctx)
		return err == nil
	}); !ok {
		n.t.Fatalf("nats-server on port %s without JetStream after 30s", n.port)
	}
}

// adminClient returns a kadm client on brokers, closed when the test ends.
func adminClient(t *testing.T, brokers []string) *kadm.Client {
	t.Helper()
	return kafkatest.Admin(t, brokers)
}

// endOffsets sums the end offsets of topic's partitions: how many records
// were ever written to a topic that nothing deletes from.
func endOffsets(t *testing.T, adm *kadm.Client, topic string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		t.Fatalf("end offsets of %s: %v", topic, err)
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n
}

// createTopic creates a topic of the suite's partition count, deleted when
// the test ends.
func createTopic(t *testing.T, adm *kadm.Client, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := adm.CreateTopic(ctx, partitions, -1, nil, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = adm.DeleteTopic(ctx, name)
	})
}

// cleanUpKafka deletes the pipeline's topics and consumer groups when the
// test ends, so that repeated runs do not fill the broker. (A group whose
// members were killed stays until their sessions time out.)
func (p *pipeline) cleanUpKafka(adm *kadm.Client) {
	p.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var topics, groups []string
		for _, s := range p.cfg.Kafka.Topics.Layout().Specs() {
			topics = append(topics, s.Name)
		}
		for g := range p.groups() {
			groups = append(groups, g)
			// A static member stays in its group after it stops: remove
			// it, or the group is not empty and cannot be deleted.
			if p.cfg.Kafka.GroupInstanceID != "" {
				stage := strings.TrimPrefix(g, p.cfg.Kafka.Topics.Prefix+"aitdr-")
				_, _ = adm.LeaveGroup(ctx, kadm.LeaveGroup(g).InstanceIDs(p.cfg.Kafka.StageInstanceID(stage)))
			}
		}
		_, _ = adm.DeleteGroups(ctx, groups...)
		_, _ = adm.DeleteTopics(ctx, topics...)
	})
}

// stop stops the pipeline with SIGTERM and fails the test unless it exits
// cleanly within a minute: after whatever the test did to it, it still
// drains, commits and leaves its groups.
func (p *pipeline) stop() {
	p.t.Helper()
	start := time.Now()
	p.proc.stop(time.Minute)
	p.t.Logf("%s stopped cleanly in %s", p.spec.name, time.Since(start).Round(time.Millisecond))
}

// producer returns a Kafka client for the test's own records.
func producer(t *testing.T, brokers []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	return kafkatest.Client(t, brokers, append([]kgo.Opt{kgo.ProducerLinger(5 * time.Millisecond)}, opts...)...)
}
