package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/spf13/cobra"

	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

// sinkStage is the stage name of the ClickHouse sink.
const sinkStage = "sink"

func newSinkCommand(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "sink",
		Short: "Run the ClickHouse sink alone: scored events, alerts and identities into ClickHouse",
		Long: `The sink consumes aitdr.scored, aitdr.alerts and aitdr.identities.changelog and
writes them into ClickHouse in batches, committing Kafka offsets only after
ClickHouse accepted them; while ClickHouse is down it retries and holds. It
applies the schema migrations first (clickhouse.migrate). It needs external
brokers (kafka.brokers) and a ClickHouse DSN (clickhouse.dsn); "aitdr run"
runs it on the embedded default.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if len(cfg.Kafka.Brokers) == 0 || cfg.ClickHouse.DSN == "" {
				return fmt.Errorf("sink: needs kafka.brokers and clickhouse.dsn (or AITDR_KAFKA_BROKERS)")
			}
			logger := cfg.Log.Logger(os.Stderr)
			runner, conn, err := newSink(cmd.Context(), cfg, cfg.Kafka.Brokers, cfg.ClickHouse.DSN, logger)
			if err != nil {
				return err
			}
			defer conn.Close()
			registerStageReadiness(stageReadiness(cmd.Context()), sinkStage, runner)
			return runner.Run(cmd.Context())
		},
	}
}

// newSink connects to ClickHouse at dsn, applies the migrations when
// configured, and returns the sink stage's runner; the caller closes conn
// after the runner stopped.
func newSink(ctx context.Context, cfg config.Config, brokers []string, dsn string, logger *slog.Logger) (*stream.Runner, driver.Conn, error) {
	conn, err := chschema.Connect(dsn)
	if err != nil {
		return nil, nil, err
	}
	if cfg.ClickHouse.Migrate {
		report, err := chschema.Migrate(ctx, conn, cfg.ClickHouse.Schema)
		if err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("migrate clickhouse schema: %w", err)
		}
		logger.Info("clickhouse schema migrated", "report", fmt.Sprintf("%+v", report))
	}
	scfg := cfg.ClickHouse.Sink
	if scfg.Database == "" {
		scfg.Database = cfg.ClickHouse.Schema.Database
	}
	prefix := cfg.Kafka.Topics.Prefix
	scfg.EventsTopic = prefix + schemas.TopicScored
	scfg.AlertsTopic = prefix + schemas.TopicAlerts
	scfg.IdentitiesTopic = prefix + schemas.TopicIdentityChangelog
	sink, err := chschema.NewSink(conn, scfg, chschema.WithLogger(logger))
	if err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("clickhouse sink: %w", err)
	}
	runner, err := newStageRunner(cfg, brokers, sinkStage, scfg.Topics(), sink, logger)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return runner, conn, nil
}
