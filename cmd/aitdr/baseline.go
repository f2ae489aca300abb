package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/aitdr/aitdr/baseline"
	"github.com/aitdr/aitdr/internal/changelog"
	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

func newBaselineCommand(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "baseline",
		Short: "Run the baseline stage alone: per-identity baselines and the features of every event",
		Long: `The baseline stage consumes aitdr.enriched, keyed by identity, computes each
event's features against the identity's rolling baseline and its peer
group's (docs/features.md), folds the event in, and produces it to
aitdr.scored. Baselines are checkpointed to aitdr.baseline.changelog and
restored on partition assignment. With clickhouse.dsn set it also writes
periodic snapshots to the baseline_snapshots table (applying the migrations
first when clickhouse.migrate). It needs external brokers (kafka.brokers);
"aitdr run" runs it on the embedded default. Run more processes in the same
group to scale out.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if len(cfg.Kafka.Brokers) == 0 {
				return fmt.Errorf("baseline: no brokers configured (kafka.brokers or AITDR_KAFKA_BROKERS)")
			}
			logger := cfg.Log.Logger(os.Stderr)
			var snapshots baseline.SnapshotWriter
			if cfg.ClickHouse.DSN != "" && cfg.Baseline.Snapshots.Interval > 0 {
				conn, err := chschema.Connect(cfg.ClickHouse.DSN)
				if err != nil {
					return err
				}
				defer conn.Close()
				if cfg.ClickHouse.Migrate {
					if _, err := chschema.Migrate(cmd.Context(), conn, cfg.ClickHouse.Schema); err != nil {
						return fmt.Errorf("migrate clickhouse schema: %w", err)
					}
				}
				snapshots = baseline.NewClickHouseSnapshots(conn, cfg.ClickHouse.Schema.Database)
			}
			runner, release, err := newBaselineStage(cfg, cfg.Kafka.Brokers, logger, snapshots)
			if err != nil {
				return err
			}
			defer release()
			registerStageReadiness(stageReadiness(cmd.Context()), baseline.Name, runner)
			return runner.Run(cmd.Context())
		},
	}
}

// newBaselineStage returns the baseline stage's runner on brokers, with its
// changelog, and the function that releases them after the runner stopped;
// snapshots may be nil (no ClickHouse).
func newBaselineStage(cfg config.Config, brokers []string, logger *slog.Logger, snapshots baseline.SnapshotWriter) (*stream.Runner, func(), error) {
	opts, err := cfg.Kafka.ClientOpts(brokers)
	if err != nil {
		return nil, nil, err
	}
	prefix := cfg.Kafka.Topics.Prefix
	log, err := changelog.Open(changelog.Config{
		Brokers:    brokers,
		Topic:      prefix + schemas.TopicBaselineChangelog,
		ClientOpts: opts,
		Logger:     logger,
	})
	if err != nil {
		return nil, nil, err
	}
	bcfg := cfg.Baseline
	bcfg.InputTopic = prefix + schemas.TopicEnriched
	bcfg.OutputTopic = prefix + schemas.TopicScored
	workerOpts := []baseline.Option{baseline.WithChangelog(log), baseline.WithLogger(logger)}
	if snapshots != nil {
		workerOpts = append(workerOpts, baseline.WithSnapshots(snapshots))
	}
	worker, err := baseline.New(bcfg, workerOpts...)
	if err != nil {
		log.Close()
		return nil, nil, err
	}
	runner, err := newStageRunner(cfg, brokers, baseline.Name, []string{bcfg.InputTopic}, worker, logger)
	if err != nil {
		log.Close()
		worker.Close()
		return nil, nil, err
	}
	release := func() {
		worker.Close()
		log.Close()
	}
	return runner, release, nil
}
