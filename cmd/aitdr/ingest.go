package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/ingest/input"
	"github.com/aitdr/aitdr/ingest/mapping"
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
			registerStageReadiness(stageReadiness(cmd.Context()), stage.Name, runner)
			return runner.Run(cmd.Context())
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "serve",
		Short: "Serve the HTTP input alone: POST /v1/events, normalized into the events topic",
		Long: `Serve accepts audit records over HTTP (NDJSON, JSON arrays or containers,
gzip; bearer tokens from ingest.http.auth or AITDR_INGEST_TOKENS), normalizes
them and answers 202 with the accepted and rejected counts once Kafka has
acknowledged every event and dead letter. It needs external brokers
(kafka.brokers); "aitdr run" serves it on the embedded default.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if len(cfg.Kafka.Brokers) == 0 {
				return fmt.Errorf("ingest serve: no brokers configured (kafka.brokers or AITDR_KAFKA_BROKERS)")
			}
			logger := cfg.Log.Logger(os.Stderr)
			httpIn, client, err := newHTTPInput(cfg, cfg.Kafka.Brokers, cfg.Ingest.HTTP, logger)
			if err != nil {
				return err
			}
			defer client.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "ingest HTTP input on %s: POST /v1/events\n", cfg.Ingest.HTTP.Listen)
			return httpIn.Run(cmd.Context())
		},
	})
	var source string
	file := &cobra.Command{
		Use:   "file PATH...",
		Short: "Normalize files and folders (NDJSON, JSON arrays, CloudTrail log files, .gz) into the events topic",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if len(cfg.Kafka.Brokers) == 0 {
				return fmt.Errorf("ingest file: no brokers configured (kafka.brokers or AITDR_KAFKA_BROKERS)")
			}
			logger := cfg.Log.Logger(os.Stderr)
			p, err := newIngestPipeline(cfg, logger)
			if err != nil {
				return err
			}
			pub, client, err := newPublisher(cfg, cfg.Kafka.Brokers, logger)
			if err != nil {
				return err
			}
			defer client.Close()
			files, err := input.NewFiles(input.FilesConfig{Paths: args, Source: schemas.Product(source), Progress: os.Stderr},
				p, pub, input.WithLogger(logger))
			if err != nil {
				return err
			}
			summary, err := files.Run(cmd.Context())
			fmt.Fprintln(cmd.OutOrStdout(), summary.String())
			return err
		},
	}
	file.Flags().StringVar(&source, "source", "", "source product of every record (default: detect per record)")
	var mappingFile string
	mapCmd := &cobra.Command{
		Use:   "map --check MAPPING SAMPLE",
		Short: "Check a declarative source mapping: what a sample record maps to, and which paths are missing",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sample, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("read sample: %w", err)
			}
			report, err := mapping.Check(mappingFile, sample)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), report.String())
			return err
		},
	}
	mapCmd.Flags().StringVar(&mappingFile, "check", "", "the mapping file to check (required)")
	_ = mapCmd.MarkFlagRequired("check")
	cmd.AddCommand(file, mapCmd)
	return cmd
}

// newPublisher returns a publisher of events and dead letters on brokers,
// with a producer that gives up on a record after 30s rather than hang
// when Kafka is down. The caller closes the client after the input stopped.
func newPublisher(cfg config.Config, brokers []string, logger *slog.Logger) (*input.Publisher, *kgo.Client, error) {
	opts, err := cfg.Kafka.ClientOpts(brokers)
	if err != nil {
		return nil, nil, err
	}
	pcfg := input.PublisherConfig{
		EventsTopic:     cfg.Kafka.Topics.Prefix + schemas.TopicEvents,
		DeadLetterTopic: cfg.Kafka.Topics.Prefix + schemas.TopicDeadLetter,
		Stage:           stage.Name,
	}
	client, err := kgo.NewClient(append(opts,
		kgo.ProducerLinger(time.Millisecond),
		kgo.MaxBufferedRecords(2*input.DefaultMaxInFlightRecords),
		kgo.RecordDeliveryTimeout(30*time.Second),
	)...)
	if err != nil {
		return nil, nil, fmt.Errorf("kafka producer: %w", err)
	}
	pub, err := input.NewPublisher(client, pcfg, input.WithLogger(logger))
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	return pub, client, nil
}

// newHTTPInput returns the HTTP input publishing to brokers.
func newHTTPInput(cfg config.Config, brokers []string, hcfg input.HTTPConfig, logger *slog.Logger) (*input.HTTP, *kgo.Client, error) {
	p, err := newIngestPipeline(cfg, logger)
	if err != nil {
		return nil, nil, err
	}
	pub, client, err := newPublisher(cfg, brokers, logger)
	if err != nil {
		return nil, nil, err
	}
	h, err := input.NewHTTP(hcfg, p, pub, input.WithLogger(logger))
	if err != nil {
		client.Close()
		return nil, nil, fmt.Errorf("ingest http input: %w", err)
	}
	return h, client, nil
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
// settings (TLS, SASL), its group named after the stage, and a static
// membership of the group when kafka.group_instance_id is set.
func newStageRunner(cfg config.Config, brokers []string, name string, topics []string, proc stream.Processor, logger *slog.Logger) (*stream.Runner, error) {
	opts, err := cfg.Kafka.ClientOpts(brokers)
	if err != nil {
		return nil, err
	}
	runner, err := stream.New(stream.Config{
		Stage:           name,
		Brokers:         brokers,
		Group:           cfg.Kafka.Topics.Prefix + "aitdr-" + name,
		GroupInstanceID: cfg.Kafka.StageInstanceID(name),
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
