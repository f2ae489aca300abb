package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/internal/telemetry"
	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

// stageCommand is a long-running command that runs one stage alone, and the
// engines its readiness depends on.
type stageCommand struct {
	path []string
	// service completes the service name of its traces: aitdr-<service>.
	service                 string
	kafka, nats, clickhouse bool
}

// stageCommands are the commands a deployment runs, one per container; the
// deploy/compose and deploy/kubernetes files probe them on /healthz and
// /readyz. "aitdr run" sets up its own telemetry.
var stageCommands = []stageCommand{
	{path: []string{"ingest", "stage"}, service: "ingest", kafka: true},
	{path: []string{"ingest", "serve"}, service: "ingest-http", kafka: true},
	{path: []string{"enrich"}, service: "enrich", kafka: true},
	{path: []string{"baseline"}, service: "baseline", kafka: true, clickhouse: true},
	{path: []string{"rules", "serve"}, service: "rules", kafka: true, nats: true},
	{path: []string{"respond"}, service: "respond", nats: true, clickhouse: true},
	{path: []string{"sink"}, service: "sink", kafka: true, clickhouse: true},
}

// serveStageTelemetry makes every stage command of root serve the
// telemetry server (telemetry.listen: /metrics, /healthz, /readyz) and
// export metrics and traces for as long as it runs. The telemetry is set
// up before the stage is built, so the stage's runner records on it; /readyz
// checks that the engines the stage uses answer (Kafka brokers, the NATS
// connection, ClickHouse) with the deployment's credentials.
func serveStageTelemetry(root *cobra.Command, g *globalFlags) {
	for _, s := range stageCommands {
		cmd, _, err := root.Find(s.path)
		if err != nil || cmd == root || cmd.Name() != s.path[len(s.path)-1] || cmd.RunE == nil {
			continue
		}
		run, stage := cmd.RunE, s
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return run(cmd, args) // it reports the configuration's problems as usual
			}
			return withStageTelemetry(cmd.Context(), cfg, stage, func(ctx context.Context) error {
				cmd.SetContext(ctx)
				return run(cmd, args)
			})
		}
	}
}

// withStageTelemetry sets up telemetry for the stage, serves it while run
// runs, then flushes and stops it.
func withStageTelemetry(ctx context.Context, cfg config.Config, stage stageCommand, run func(context.Context) error) (err error) {
	tcfg := cfg.Telemetry
	tcfg.Logger = cfg.Log.Logger(os.Stderr)
	if tcfg.ServiceName == telemetry.DefaultConfig().ServiceName {
		// One service per stage in trace views: aitdr-enrich, aitdr-rules...
		tcfg.ServiceName += "-" + stage.service
	}
	tel, err := telemetry.Setup(ctx, tcfg)
	if err != nil {
		return err
	}
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			_ = c.Close()
		}
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err = errors.Join(err, tel.Shutdown(shutdownCtx))
	}()
	if stage.kafka && len(cfg.Kafka.Brokers) > 0 {
		opts, err := cfg.Kafka.ClientOpts(cfg.Kafka.Brokers)
		if err != nil {
			return err
		}
		client, err := kgo.NewClient(opts...)
		if err != nil {
			return fmt.Errorf("kafka client for readiness: %w", err)
		}
		closers = append(closers, closerFunc(client.Close))
		tel.RegisterReadiness("kafka", client.Ping)
	}
	if stage.nats && cfg.NATS.URL != "" {
		opts := []nats.Option{nats.Name("aitdr readiness"), nats.RetryOnFailedConnect(true),
			nats.MaxReconnects(-1), nats.ReconnectWait(time.Second), nats.Timeout(5 * time.Second)}
		if cfg.NATS.CredentialsFile != "" {
			opts = append(opts, nats.UserCredentials(cfg.NATS.CredentialsFile))
		}
		nc, err := nats.Connect(cfg.NATS.URL, opts...)
		if err != nil {
			return fmt.Errorf("nats connection for readiness to %s: %w", cfg.NATS.URL, err)
		}
		closers = append(closers, closerFunc(nc.Close))
		tel.RegisterReadiness("nats", func(context.Context) error {
			if s := nc.Status(); s != nats.CONNECTED {
				return fmt.Errorf("nats connection is %s", s)
			}
			return nil
		})
	}
	if stage.clickhouse && cfg.ClickHouse.DSN != "" {
		conn, err := chschema.Connect(cfg.ClickHouse.DSN)
		if err != nil {
			return err
		}
		closers = append(closers, conn)
		tel.RegisterReadiness("clickhouse", conn.Ping)
	}

	serveCtx, stopServing := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- tel.Serve(serveCtx) }()
	// The stage adds its own checks (partitions held, state restored) once
	// it has built its runner.
	err = run(context.WithValue(ctx, readinessKey{}, readinessRegistry(tel)))
	stopServing()
	return errors.Join(err, <-served)
}

// readinessRegistry is where a stage registers its own readiness checks:
// the telemetry of "aitdr run", or of a stage run alone.
type readinessRegistry interface {
	RegisterReadinessDetail(name string, check func(ctx context.Context) (detail string, err error))
}

// readinessKey is the context key of the readinessRegistry that
// withStageTelemetry hands to the stage command.
type readinessKey struct{}

// stageReadiness returns the readinessRegistry of the stage command's
// telemetry in ctx, or nil.
func stageReadiness(ctx context.Context) readinessRegistry {
	reg, _ := ctx.Value(readinessKey{}).(readinessRegistry)
	return reg
}

// registerStageReadiness adds the runner's own conditions to reg (nil:
// nothing), as "stage <name> partitions" (in its consumer group, holding
// partitions or legitimately none) and "stage <name> state" (its
// changelog state restored), each with its reason.
func registerStageReadiness(reg readinessRegistry, name string, r *stream.Runner) {
	if reg == nil {
		return
	}
	for _, cond := range []string{stream.ConditionPartitions, stream.ConditionState} {
		reg.RegisterReadinessDetail("stage "+name+" "+cond, func(ctx context.Context) (string, error) {
			for _, c := range r.Readiness(ctx) {
				if c.Name == cond {
					return c.Reason, c.Err()
				}
			}
			return "", fmt.Errorf("the %s runner reports no %s condition", name, cond)
		})
	}
}

// closerFunc adapts a Close without a result to io.Closer.
type closerFunc func()

func (f closerFunc) Close() error { f(); return nil }
