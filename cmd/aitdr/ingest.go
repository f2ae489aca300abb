package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/aitdr/aitdr/ingest/pipeline"
	"github.com/aitdr/aitdr/ingest/sources"
	"github.com/aitdr/aitdr/ingest/stage"
	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

func newIngestCommand(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Normalize audit records from clouds, IdPs, AI platforms and code hosts into events",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "stage",
		Short: "Run the ingest stage alone: consume raw topics, produce events and dead letters",
		Long: `The ingest stage consumes aitdr.raw (and ingest.raw_topics), normalizes each
record with the source it names in the aitdr-source header or the source
detected from its shape, and produces the events to aitdr.events keyed by
identity; what cannot be normalized goes to aitdr.dlq with the reason. It
needs external brokers (kafka.brokers); "aitdr run" runs it on the embedded
default. Run more processes in the same group to scale out.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if len(cfg.Kafka.Brokers) == 0 {
				return fmt.Errorf("ingest stage: no brokers configured (kafka.brokers or AITDR_KAFKA_BROKERS)")
			}
			logger := cfg.Log.Logger(os.Stderr)
			runner, err := newIngestStage(cfg, cfg.Kafka.Brokers, logger)
			if err != nil {
				return err
			}
			return runner.Run(cmd.Context())
		},
	})
	return cmd
}

// newIngestPipeline builds the normalization pipeline over every shipped
// source and the deployment's mappings.
func newIngestPipeline(cfg config.Config, logger *slog.Logger) (*pipeline.Pipeline, error) {
	all, err := sources.Build(cfg.Ingest.Sources)
	if err != nil {
		return nil, err
	}
	pcfg := cfg.Ingest.Pipeline
	pcfg.Logger = logger
	p, err := pipeline.New(pcfg, all...)
	if err != nil {
		return nil, fmt.Errorf("ingest pipeline: %w", err)
	}
	return p, nil
}

// newIngestStage returns the ingest stage's runner on brokers.
func newIngestStage(cfg config.Config, brokers []string, logger *slog.Logger) (*stream.Runner, error) {
	p, err := newIngestPipeline(cfg, logger)
	if err != nil {
		return nil, err
	}
	prefix := cfg.Kafka.Topics.Prefix
	topics := []string{prefix + schemas.TopicRaw}
	for topic := range cfg.Ingest.RawTopics {
		topics = append(topics, topic)
	}
	slices.Sort(topics[1:])
	proc := stage.New(p, stage.Config{
		EventsTopic:     prefix + schemas.TopicEvents,
		DeadLetterTopic: prefix + schemas.TopicDeadLetter,
		Products:        cfg.Ingest.RawTopics,
	})
	return newStageRunner(cfg, brokers, stage.Name, topics, proc, logger)
}

// newStageRunner returns a stage runner with the deployment's Kafka client
// settings (TLS, SASL) and its group named after the stage.
func newStageRunner(cfg config.Config, brokers []string, name string, topics []string, proc stream.Processor, logger *slog.Logger) (*stream.Runner, error) {
	opts, err := cfg.Kafka.ClientOpts(brokers)
	if err != nil {
		return nil, err
	}
	runner, err := stream.New(stream.Config{
		Stage:           name,
		Brokers:         brokers,
		Group:           cfg.Kafka.Topics.Prefix + "aitdr-" + name,
		Topics:          topics,
		DeadLetterTopic: cfg.Kafka.Topics.Prefix + schemas.TopicDeadLetter,
		ClientOpts:      opts,
	}, proc, stream.WithLogger(logger))
	if err != nil {
		return nil, fmt.Errorf("%s stage: %w", name, err)
	}
	return runner, nil
}

// runStage runs r until ctx is done; it is a function for errgroup.
func runStage(ctx context.Context, r *stream.Runner) func() error {
	return func() error { return r.Run(ctx) }
}
