package main

import (
	"cmp"
	"context"
	"crypto/rand"
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

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/aitdr/aitdr/baseline"
	"github.com/aitdr/aitdr/deploy/clickhouse"
	"github.com/aitdr/aitdr/deploy/embedded"
	"github.com/aitdr/aitdr/deploy/kafka"
	aitdrnats "github.com/aitdr/aitdr/deploy/nats"
	"github.com/aitdr/aitdr/enrich"
	"github.com/aitdr/aitdr/ingest/input"
	"github.com/aitdr/aitdr/ingest/stage"
	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/internal/telemetry"
	rulestage "github.com/aitdr/aitdr/rules/stage"
	"github.com/aitdr/aitdr/schemas"
	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

func newRunCommand(g *globalFlags) *cobra.Command {
	var simulateTraffic bool
	var view string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the whole pipeline in one process (embedded Kafka, NATS and ClickHouse by default)",
		Long: `Run starts every stage of the pipeline in one process: ingest, enrich,
baseline, rules, the ClickHouse sink and the responder. With no brokers,
NATS URL or ClickHouse DSN configured it also starts the embedded default:
franz-go's in-process Kafka, a NATS server with JetStream and the embedded
ClickHouse engine, all keeping their data under data_dir. Topics, streams
and tables are provisioned at start. Ctrl-C (SIGINT) or SIGTERM drains the
stages, commits what was written and stops.

--simulate feeds the pipeline with the simulator's realistic traffic
(simulate: in the config): a population of AI users, builders and agents
with injected attacks, its context files (directory, environments, data
catalog, assumed inventory) written under data_dir/simulate and used by the
enrich stage unless the config names its own.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			terminal := isTerminal(out)
			var logOut io.Writer = os.Stderr
			if wantView(view, terminal) && terminal {
				// The view owns the terminal; logs go to a file beside the data.
				f, err := openRunLog(cfg.DataDir)
				if err != nil {
					return err
				}
				defer f.Close()
				logOut = f
				// The embedded engines' own libraries write to the process's
				// standard error; they go to the log file too.
				if err := unix.Dup2(int(f.Fd()), int(os.Stderr.Fd())); err != nil {
					return fmt.Errorf("send standard error to %s: %w", f.Name(), err)
				}
			}
			logger := cfg.Log.Logger(logOut)
			slog.SetDefault(logger)
			logger.Info("go runtime", "settings", g.runtime)
			var opts runOptions
			opts.started = func(e endpoints) { e.print(out) }
			if simulateTraffic {
				sim, err := prepareSimulation(&cfg, logger)
				if err != nil {
					return err
				}
				opts.simulator = sim
				// The simulated organization's accounts are contained for
				// real, through its own containment service, so that the
				// actions and the time to respond show.
				endpoint, err := startContainmentEndpoint()
				if err != nil {
					return err
				}
				defer endpoint.Close()
				used, err := useContainmentEndpoint(&cfg, endpoint)
				if err != nil {
					return err
				}
				if used {
					opts.started = func(e endpoints) {
						e.print(out)
						fmt.Fprintf(out, "Response: the simulated organization's accounts are contained through its containment service\n"+
							"          at %s (playbooks: %s; a real deployment starts in dry run)\n\n", endpoint.URL(), cfg.Respond.Playbooks[0])
					}
				}
			}
			if wantView(view, terminal) {
				opts.view = func(ctx context.Context, s *liveSampler, ep endpoints) error {
					return runLiveView(ctx, out, s, 2*time.Second, terminal, ep.short())
				}
			}
			return runPipeline(cmd.Context(), cfg, logger, opts)
		},
	}
	cmd.Flags().BoolVar(&simulateTraffic, "simulate", false, "feed the pipeline with simulated traffic and attacks (see docs/simulate.md)")
	cmd.Flags().StringVar(&view, "view", "auto", "live view of the pipeline: auto (on a terminal), on, off")
	return cmd
}

// runOptions are what "aitdr run" adds around the pipeline.
type runOptions struct {
	// started is called once everything accepts work.
	started func(endpoints)
	// simulator, when set, produces simulated raw records to the brokers
	// until its context ends or the simulation is over.
	simulator func(ctx context.Context, brokers []string) error
	// view, when set, shows the live view until its context ends.
	view func(ctx context.Context, s *liveSampler, ep endpoints) error
}

// wantView decides the live view from the --view flag.
func wantView(flag string, terminal bool) bool {
	switch flag {
	case "on":
		return true
	case "off":
		return false
	}
	return terminal
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// openRunLog opens data_dir/aitdr.log for the logs while the live view
// owns the terminal.
func openRunLog(dataDir string) (*os.File, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", dataDir, err)
	}
	path := filepath.Join(dataDir, "aitdr.log")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("run log: %w", err)
	}
	return f, nil
}

// endpoints is where a running pipeline can be reached.
type endpoints struct {
	embeddedKafka, embeddedNATS bool
	kafkaBrokers                []string
	natsURL                     string
	telemetryAddr               string
	dataDir                     string
	topics                      []schemas.TopicSpec
	streams                     []schemas.StreamSpec
	stages                      []string
	clickhouse                  string
	database                    string
	ingestURL, ingestToken      string
}

func (e endpoints) print(w io.Writer) {
	where := func(embedded bool) string {
		if embedded {
			return "embedded"
		}
		return "external"
	}
	var topics, streams []string
	for _, t := range e.topics {
		topics = append(topics, t.Name)
	}
	for _, s := range e.streams {
		streams = append(streams, fmt.Sprintf("%s (%s)", s.Name, strings.Join(s.Subjects, " ")))
	}
	fmt.Fprintf(w, `aitdr %s is running. Ctrl-C stops it.

  Kafka (%s)   %s
                     topics: %s
  NATS (%s)    %s
                     streams: %s
                     alerts: nats sub '%s.>'   actions: nats sub '%s.>'
  ClickHouse         %s
  Ingest (HTTP)      %s%s
  Stages             %s
  Metrics            http://%s/metrics
  Health             http://%s/healthz  http://%s/readyz
  Data               %s

Try in ClickHouse (or: aitdr query NAME):
%s
Reports: aitdr inventory report --format html --out inventory.html
         aitdr rightsize report --format html --out rightsize.html

`, buildVersion(), where(e.embeddedKafka), strings.Join(e.kafkaBrokers, ","), strings.Join(topics, ", "),
		where(e.embeddedNATS), e.natsURL, strings.Join(streams, ", "), schemas.SubjectAlerts, schemas.SubjectActions,
		e.clickhouse, e.ingestURL, tokenNote(e.ingestToken, e.ingestURL), strings.Join(e.stages, ", "),
		e.telemetryAddr, e.telemetryAddr, e.telemetryAddr, e.dataDir, tryQueries(e.clickhouse))
}

// short is the few lines the live view keeps under its figures.
func (e endpoints) short() string {
	return fmt.Sprintf("  ClickHouse %s   try: curl '%s/?query=%s'\n  Alerts     nats sub '%s.>' -s %s\n  Logs       %s\n",
		e.clickhouse, e.clickhouse, url.QueryEscape("SELECT rule_id, severity, count() FROM "+e.database+".alerts GROUP BY ALL"),
		schemas.SubjectAlerts, e.natsURL, filepath.Join(e.dataDir, "aitdr.log"))
}

// featuredQueries are the ready queries "aitdr run" suggests first.
var featuredQueries = []string{"identities_by_class", "alerts_by_rule_severity", "shadow_ai_by_user"}

// tryQueries lists the featured ready queries with a curl line each.
func tryQueries(chURL string) string {
	var b strings.Builder
	for _, name := range featuredQueries {
		q, ok := chschema.LookupQuery(name)
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "  %-26s %s\n", q.Name, q.Question)
		fmt.Fprintf(&b, "  %-26s aitdr query %s   (curl '%s/?query=...')\n", "", q.Name, chURL)
	}
	return b.String()
}

// runPipeline runs until ctx is done, then shuts down in order: stages
// drain and commit, NATS drains, the embedded engines stop, telemetry
// flushes.
func runPipeline(ctx context.Context, cfg config.Config, logger *slog.Logger, opts runOptions) (err error) {
	tel, err := telemetry.Setup(ctx, cfg.Telemetry)
	if err != nil {
		return err
	}
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = errors.Join(err, tel.Shutdown(shutdownCtx))
	}()

	ep := endpoints{
		kafkaBrokers:  cfg.Kafka.Brokers,
		natsURL:       cfg.NATS.URL,
		dataDir:       cfg.DataDir,
		embeddedKafka: len(cfg.Kafka.Brokers) == 0,
		embeddedNATS:  cfg.NATS.URL == "",
		topics:        cfg.Kafka.Topics.Layout().Specs(),
		streams:       cfg.NATS.Streams().Specs(),
	}
	stack, err := startEmbedded(cfg, logger)
	if err != nil {
		return err
	}
	defer stack.Close()
	if ep.embeddedKafka {
		ep.kafkaBrokers = stack.KafkaBrokers()
	}
	if ep.embeddedNATS {
		ep.natsURL = stack.NATSURL()
	}

	kopts, err := cfg.Kafka.ClientOpts(ep.kafkaBrokers)
	if err != nil {
		return err
	}
	admin, err := kgo.NewClient(kopts...)
	if err != nil {
		return fmt.Errorf("kafka admin client: %w", err)
	}
	defer admin.Close()
	adm := kadm.NewClient(admin)
	if cfg.Kafka.Provision {
		report, err := kafka.Provision(ctx, adm, ep.topics)
		if err != nil {
			return fmt.Errorf("provision kafka topics on %s: %w", strings.Join(ep.kafkaBrokers, ","), err)
		}
		logger.Info("kafka topics provisioned", "report", report.String())
	}

	nc, err := connectNATS(cfg.NATS, ep.natsURL)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream on %s: %w", ep.natsURL, err)
	}
	if cfg.NATS.Provision {
		report, err := aitdrnats.Provision(ctx, js, ep.streams)
		if err != nil {
			return fmt.Errorf("provision jetstream streams on %s: %w", ep.natsURL, err)
		}
		logger.Info("jetstream streams provisioned", "created", report.Created, "updated", report.Updated, "unchanged", report.Unchanged)
	}

	tel.RegisterReadiness("kafka", func(ctx context.Context) error {
		return admin.Ping(ctx)
	})
	tel.RegisterReadiness("nats", func(context.Context) error {
		if s := nc.Status(); s != nats.CONNECTED {
			return fmt.Errorf("nats connection is %s", s)
		}
		return nil
	})

	// The embedded ClickHouse outlives the stages: it gets its own context,
	// ended only after they drained, so their last writes are accepted.
	var chServer *clickhouse.Server
	ep.clickhouse = cfg.ClickHouse.DSN
	ep.database = cmp.Or(cfg.ClickHouse.Schema.Database, chschema.DefaultDatabase)
	if cfg.ClickHouse.DSN == "" {
		chServer, err = clickhouse.New(clickhouseConfig(cfg), clickhouse.WithLogger(logger))
		if err != nil {
			return err
		}
		ep.clickhouse = chServer.URL()
		tel.RegisterReadiness("clickhouse", func(ctx context.Context) error {
			_, err := chServer.Engine().Exec(ctx, clickhouse.Query{SQL: []byte("SELECT 1")})
			return err
		})
	}
	chCtx, stopClickHouse := context.WithCancel(context.WithoutCancel(ctx))
	chDone := make(chan error, 1)
	if chServer != nil {
		go func() { chDone <- chServer.Run(chCtx) }()
	} else {
		close(chDone)
	}
	chStopped := false
	defer func() { // on the early returns below: close the engine before the rest
		if !chStopped {
			stopClickHouse()
			<-chDone
		}
	}()

	chDSN := cfg.ClickHouse.DSN
	if chDSN == "" {
		chDSN = chServer.URL()
	}
	sinkRunner, chConn, err := newSink(ctx, cfg, ep.kafkaBrokers, chDSN, logger)
	if err != nil {
		return err
	}
	defer chConn.Close()
	if chServer == nil {
		// An external ClickHouse: ready while the sink's connection answers.
		tel.RegisterReadiness("clickhouse", chConn.Ping)
	}

	// The stages in pipeline order, and what runs beside them: file
	// watchers that reload rules and context, the responder, the simulator.
	type namedStage struct {
		name   string
		runner *stream.Runner
	}
	var stages []namedStage
	var background []func(context.Context) error
	ingestStage, err := newIngestStage(cfg, ep.kafkaBrokers, logger)
	if err != nil {
		return err
	}
	stages = append(stages, namedStage{stage.Name, ingestStage})
	enrichRunner, enrichWatch, err := newEnrichStage(cfg, ep.kafkaBrokers, logger)
	if err != nil {
		return err
	}
	stages = append(stages, namedStage{enrich.Name, enrichRunner})
	background = append(background, enrichWatch)
	baselineRunner, closeBaseline, err := newBaselineStage(cfg, ep.kafkaBrokers, logger,
		baseline.NewClickHouseSnapshots(chConn, cfg.ClickHouse.Schema.Database))
	if err != nil {
		return err
	}
	defer closeBaseline()
	stages = append(stages, namedStage{baseline.Name, baselineRunner})
	rulesRunner, rulesWatch, err := newRulesStage(cfg, ep.kafkaBrokers, js, logger, tel)
	if err != nil {
		return err
	}
	stages = append(stages, namedStage{rulestage.Name, rulesRunner})
	background = append(background, rulesWatch)
	stages = append(stages, namedStage{sinkStage, sinkRunner})
	resp, err := newResponder(cfg, js, chConn, logger)
	if err != nil {
		return err
	}
	background = append(background, resp.Run)
	grantsImporter, err := newGrantsImporter(cfg, chConn, logger)
	if err != nil {
		return err
	}
	if grantsImporter != nil { // nil without grants.folder
		background = append(background, grantsImporter.Run)
	}
	groups := map[string]string{}
	for _, st := range stages {
		ep.stages = append(ep.stages, st.name)
		groups[st.name] = cfg.Kafka.Topics.Prefix + "aitdr-" + st.name
		registerStageReadiness(tel, st.name, st.runner)
	}

	hcfg := cfg.Ingest.HTTP
	if ep.ingestToken = runToken(hcfg); ep.ingestToken != "" {
		hcfg.Auth.Tokens = []string{ep.ingestToken}
	}
	httpIn, httpClient, err := newHTTPInput(cfg, ep.kafkaBrokers, hcfg, logger)
	if err != nil {
		return err
	}
	defer httpClient.Close() // after the group: the input has stopped
	ep.ingestURL = "http://" + hcfg.Listen + "/v1/events"

	group, gctx := errgroup.WithContext(ctx)
	group.Go(func() error { return httpIn.Run(gctx) })
	group.Go(func() error { return tel.Serve(gctx) })
	group.Go(func() error { return stack.Run(gctx) })
	for _, st := range stages {
		group.Go(runStage(gctx, st.runner))
	}
	for _, run := range background {
		group.Go(func() error { return run(gctx) })
	}
	if opts.simulator != nil {
		group.Go(func() error { return opts.simulator(gctx, ep.kafkaBrokers) })
	}
	ep.telemetryAddr = tel.Addr()
	if opts.started != nil {
		opts.started(ep)
	}
	if opts.view != nil {
		sampler := newLiveSampler(adm, chConn, ep.database, liveTopics(cfg.Kafka.Topics.Prefix), groups)
		group.Go(func() error { return opts.view(gctx, sampler, ep) })
	}
	logger.Info("pipeline running", "kafka", ep.kafkaBrokers, "nats", ep.natsURL)
	err = group.Wait()
	logger.Info("pipeline stopping")
	stopClickHouse()
	chStopped = true
	if cherr := <-chDone; cherr != nil {
		err = errors.Join(err, fmt.Errorf("embedded clickhouse: %w", cherr))
	}
	if derr := nc.Drain(); derr != nil && !errors.Is(derr, nats.ErrConnectionClosed) {
		err = errors.Join(err, fmt.Errorf("drain nats: %w", derr))
	}
	return err
}

// runToken returns a random bearer token for the HTTP input when the
// configuration names none, so that "aitdr run" accepts records at once
// without an open endpoint; "" when tokens are configured.
func runToken(h input.HTTPConfig) string {
	if len(h.Auth.Tokens) > 0 || h.Auth.TokensFile != "" || h.Auth.Disabled {
		return ""
	}
	if _, ok := os.LookupEnv(h.Auth.TokensEnv); ok && h.Auth.TokensEnv != "" {
		return ""
	}
	return rand.Text()
}

func tokenNote(token, url string) string {
	if token == "" {
		return ""
	}
	return "\n                     token for this run: " + token + "\n                     try: curl -H 'Authorization: Bearer " + token +
		"' -H 'Content-Type: application/json' --data-binary @ingest/okta/testdata/session_start_success.in.json " + url
}

// startEmbedded starts the engines the configuration does not point
// elsewhere; with both external it returns an empty stack.
func startEmbedded(cfg config.Config, logger *slog.Logger) (*embedded.Stack, error) {
	var ecfg embedded.Config
	ecfg.Logger = logger
	if len(cfg.Kafka.Brokers) == 0 {
		port, err := listenPort(cfg.Kafka.EmbeddedListen)
		if err != nil {
			return nil, fmt.Errorf("kafka.embedded_listen: %w", err)
		}
		ecfg.Kafka = &embedded.KafkaConfig{Dir: cfg.KafkaDataDir(), Port: port}
	}
	if cfg.NATS.URL == "" {
		host, portText, err := net.SplitHostPort(cfg.NATS.EmbeddedListen)
		if err != nil {
			return nil, fmt.Errorf("nats.embedded_listen: %w", err)
		}
		port, err := strconv.Atoi(portText)
		if err != nil {
			return nil, fmt.Errorf("nats.embedded_listen port %q: %w", portText, err)
		}
		ecfg.NATS = &embedded.NATSConfig{Dir: cfg.NATSDataDir(), Host: host, Port: port}
	}
	return embedded.Start(ecfg)
}

func listenPort(addr string) (int, error) {
	_, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(portText)
}

// connectNATS connects with reconnects that never give up: a NATS cluster
// restart must not stop the pipeline.
func connectNATS(cfg config.NATS, url string) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name("aitdr"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.Timeout(5 * time.Second),
	}
	if cfg.CredentialsFile != "" {
		opts = append(opts, nats.UserCredentials(cfg.CredentialsFile))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to nats %s: %w", url, err)
	}
	return nc, nil
}
