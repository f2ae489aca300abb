package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/deploy/kafka"
	aitdrnats "github.com/aitdr/aitdr/deploy/nats"
	"github.com/aitdr/aitdr/internal/config"
	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

func newProvisionCommand(g *globalFlags) *cobra.Command {
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "provision",
		Short: "Create the Kafka topics, JetStream streams and ClickHouse schema the stages need, then exit",
		Long: `Provision prepares external clusters for the stages, in order: the Kafka
topics (as "aitdr topics provision"), when kafka.brokers is set; the JetStream
streams, when nats.url is set; the ClickHouse schema migrations (cluster
layout when clickhouse.schema.cluster is set), when clickhouse.dsn is set.
Every step is idempotent, so it is the one-shot init job of a deployment and
safe to run again on every upgrade. A step whose engine does not answer yet
is retried until --wait has passed. Partition counts never grow here: use
"aitdr topics provision --grow-partitions" with the stages stopped.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			logger := cfg.Log.Logger(os.Stderr)
			ctx, cancel := context.WithTimeout(cmd.Context(), wait)
			defer cancel()
			return provision(ctx, cfg, cmd.OutOrStdout(), logger)
		},
	}
	cmd.Flags().DurationVar(&wait, "wait", 3*time.Minute, "how long to retry a step whose engine does not answer yet")
	return cmd
}

// provision runs each configured step, retrying it until it succeeds or ctx
// ends, and writes what each did to w.
func provision(ctx context.Context, cfg config.Config, w io.Writer, logger *slog.Logger) error {
	type step struct {
		name string
		run  func(context.Context) (string, error)
	}
	var steps []step
	if len(cfg.Kafka.Brokers) > 0 {
		steps = append(steps, step{"kafka topics on " + strings.Join(cfg.Kafka.Brokers, ","), func(ctx context.Context) (string, error) {
			return provisionTopics(ctx, cfg)
		}})
	}
	if cfg.NATS.URL != "" {
		steps = append(steps, step{"jetstream streams on " + cfg.NATS.URL, func(ctx context.Context) (string, error) {
			return provisionStreams(ctx, cfg)
		}})
	}
	if cfg.ClickHouse.DSN != "" {
		steps = append(steps, step{"clickhouse schema", func(ctx context.Context) (string, error) {
			return migrateClickHouse(ctx, cfg)
		}})
	}
	if len(steps) == 0 {
		return errors.New("provision: nothing to provision: set kafka.brokers, nats.url or clickhouse.dsn (the embedded default provisions itself in aitdr run)")
	}
	for _, s := range steps {
		report, err := retry(ctx, func(ctx context.Context) (string, error) { return s.run(ctx) }, func(err error) {
			logger.Warn("provision: not yet, retrying", "step", s.name, "err", err)
		})
		if err != nil {
			return fmt.Errorf("provision %s: %w", s.name, err)
		}
		if _, err := fmt.Fprintf(w, "%s: %s\n", s.name, report); err != nil {
			return err
		}
	}
	return nil
}

// retry calls try until it succeeds, or a *chschema.ChecksumError says
// retrying cannot help, or ctx ends; it waits 2s after each failure, which
// it reports to failed.
func retry(ctx context.Context, try func(context.Context) (string, error), failed func(error)) (string, error) {
	for {
		out, err := try(ctx)
		if err == nil {
			return out, nil
		}
		var checksum *chschema.ChecksumError
		if errors.As(err, &checksum) {
			return "", err
		}
		failed(err)
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%w (gave up: %w)", err, context.Cause(ctx))
		case <-time.After(2 * time.Second):
		}
	}
}

func provisionTopics(ctx context.Context, cfg config.Config) (string, error) {
	opts, err := cfg.Kafka.ClientOpts(cfg.Kafka.Brokers)
	if err != nil {
		return "", err
	}
	client, err := kgo.NewClient(opts...)
	if err != nil {
		return "", fmt.Errorf("kafka client: %w", err)
	}
	defer client.Close()
	report, err := kafka.Provision(ctx, kadm.NewClient(client), cfg.Kafka.Topics.Layout().Specs())
	if err != nil {
		return "", err
	}
	return report.String(), nil
}

func provisionStreams(ctx context.Context, cfg config.Config) (string, error) {
	nc, err := connectNATSOnce(cfg.NATS, cfg.NATS.URL)
	if err != nil {
		return "", err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return "", fmt.Errorf("jetstream on %s: %w", cfg.NATS.URL, err)
	}
	report, err := aitdrnats.Provision(ctx, js, cfg.NATS.Streams().Specs())
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("created %s, updated %s, unchanged %s",
		listOrNone(report.Created), listOrNone(report.Updated), listOrNone(report.Unchanged)), nil
}

func migrateClickHouse(ctx context.Context, cfg config.Config) (string, error) {
	conn, err := chschema.Connect(cfg.ClickHouse.DSN)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	report, err := chschema.Migrate(ctx, conn, cfg.ClickHouse.Schema)
	if err != nil {
		return "", err
	}
	names := func(ms []chschema.Migration) []string {
		out := make([]string, len(ms))
		for i, m := range ms {
			out[i] = m.String()
		}
		return out
	}
	s := fmt.Sprintf("applied %s, already present %d", listOrNone(names(report.Applied)), len(report.Present))
	if len(report.Newer) > 0 {
		s += fmt.Sprintf(", newer versions from a later build %v", report.Newer)
	}
	if len(report.TTLChanged) > 0 {
		s += ", TTL changed on " + strings.Join(report.TTLChanged, ", ")
	}
	return s, nil
}

func listOrNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ", ")
}
