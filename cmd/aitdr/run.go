package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"

	"github.com/aitdr/aitdr/deploy/clickhouse"
	"github.com/aitdr/aitdr/deploy/embedded"
	"github.com/aitdr/aitdr/deploy/kafka"
	aitdrnats "github.com/aitdr/aitdr/deploy/nats"
	"github.com/aitdr/aitdr/ingest/input"
	"github.com/aitdr/aitdr/ingest/stage"
	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/internal/telemetry"
	"github.com/aitdr/aitdr/schemas"
)

func newRunCommand(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Run the whole pipeline in one process (embedded Kafka and NATS by default)",
		Long: `Run starts every stage of the pipeline in one process. With no brokers and
no NATS URL configured it also starts the embedded default: franz-go's
in-process Kafka and a NATS server with JetStream, both keeping their data
under data_dir. Topics and streams are provisioned at start. Ctrl-C (SIGINT)
or SIGTERM drains the stages, commits what was written and stops.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			logger := cfg.Log.Logger(os.Stderr)
			slog.SetDefault(logger)
			return runPipeline(cmd.Context(), cfg, logger, func(e endpoints) { e.print(cmd.OutOrStdout()) })
		},
	}
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
  ClickHouse         %s   try: curl '%s/?query=SHOW+TABLES'
  Ingest (HTTP)      %s%s
  Stages             %s
  Metrics            http://%s/metrics
  Health             http://%s/healthz  http://%s/readyz
  Data               %s

`, buildVersion(), where(e.embeddedKafka), strings.Join(e.kafkaBrokers, ","), strings.Join(topics, ", "),
		where(e.embeddedNATS), e.natsURL, strings.Join(streams, ", "), e.clickhouse, e.clickhouse, e.ingestURL, tokenNote(e.ingestToken, e.ingestURL), strings.Join(e.stages, ", "),
		e.telemetryAddr, e.telemetryAddr, e.telemetryAddr, e.dataDir)
}

// runPipeline runs until ctx is done, then shuts down in order: stages
// drain and commit, NATS drains, the embedded engines stop, telemetry
// flushes. started is called once everything accepts work.
func runPipeline(ctx context.Context, cfg config.Config, logger *slog.Logger, started func(endpoints)) (err error) {
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

	ingestStage, err := newIngestStage(cfg, ep.kafkaBrokers, logger)
	if err != nil {
		return err
	}
	chDSN := cfg.ClickHouse.DSN
	if chDSN == "" {
		chDSN = chServer.URL()
	}
	sinkRunner, chConn, err := newSink(ctx, cfg, ep.kafkaBrokers, chDSN, logger)
	if err != nil {
		return err
	}
	defer chConn.Close()
	stages := map[string]*stream.Runner{stage.Name: ingestStage, sinkStage: sinkRunner}
	for _, name := range []string{stage.Name, sinkStage} {
		runner := stages[name]
		ep.stages = append(ep.stages, name)
		tel.RegisterReadiness("stage "+name, func(context.Context) error {
			if !runner.Ready() {
				return errors.New("not yet assigned partitions")
			}
			return nil
		})
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
	group.Go(runStage(gctx, ingestStage))
	group.Go(runStage(gctx, sinkRunner))
	ep.telemetryAddr = tel.Addr()
	if started != nil {
		started(ep)
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
