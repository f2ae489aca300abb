package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/aitdr/aitdr/enrich"
	"github.com/aitdr/aitdr/internal/changelog"
	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

func newEnrichCommand(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "enrich",
		Short: "Run the enrich stage alone: classify identities, keep the inventory, add context to events",
		Long: `The enrich stage consumes aitdr.events, gives every identity its class
(ai_user, ai_builder, ai_agent, human, service) with evidence, keeps the
identity inventory on aitdr.identities.changelog (restored after a restart),
and produces each event with its enrichment (class, owner, team, peer group,
environments, data sensitivity, sanctioned or shadow AI) to aitdr.enriched.
The AI service catalog, directory, environment and classification files
(enrich.*) are reloaded when they change. It needs external brokers
(kafka.brokers); "aitdr run" runs it on the embedded default.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if len(cfg.Kafka.Brokers) == 0 {
				return fmt.Errorf("enrich: no brokers configured (kafka.brokers or AITDR_KAFKA_BROKERS)")
			}
			logger := cfg.Log.Logger(os.Stderr)
			runner, watch, err := newEnrichStage(cfg, cfg.Kafka.Brokers, logger)
			if err != nil {
				return err
			}
			registerStageReadiness(stageReadiness(cmd.Context()), enrich.Name, runner)
			group, ctx := errgroup.WithContext(cmd.Context())
			group.Go(func() error { return runner.Run(ctx) })
			group.Go(func() error { return watch(ctx) })
			return group.Wait()
		},
	}
	var extra enrich.Config
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the AI service catalog, directory, environment and classification files",
		Long: `Check loads every file the configuration names (enrich.catalog.files,
enrich.directory_files, enrich.environment_files, enrich.classification_files)
plus those given as flags, reports every problem with its file:line:col and
cause, and exits with status 1 when there is one: a step for CI before the
files are deployed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			ec := cfg.Enrich
			ec.Catalog.Files = append(ec.Catalog.Files, extra.Catalog.Files...)
			ec.DirectoryFiles = append(ec.DirectoryFiles, extra.DirectoryFiles...)
			ec.EnvironmentFiles = append(ec.EnvironmentFiles, extra.EnvironmentFiles...)
			ec.ClassificationFiles = append(ec.ClassificationFiles, extra.ClassificationFiles...)
			return checkEnrichFiles(cmd.OutOrStdout(), ec)
		},
	}
	check.Flags().StringSliceVar(&extra.Catalog.Files, "catalog", nil, "a catalog file to check besides the configured ones")
	check.Flags().StringSliceVar(&extra.DirectoryFiles, "directory", nil, "a directory export (CSV or JSON) to check")
	check.Flags().StringSliceVar(&extra.EnvironmentFiles, "environments", nil, "an environment map (YAML) to check")
	check.Flags().StringSliceVar(&extra.ClassificationFiles, "classification", nil, "a classification catalog (YAML or CSV) to check")
	catalogCmd := &cobra.Command{
		Use:   "catalog",
		Short: "List the AI service catalog in force: shipped services and the deployment's, with their status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			l, err := enrich.LoadLookups(cfg.Enrich)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "catalog %s: %d services\n\n", l.Catalog.Version(), len(l.Catalog.Services()))
			fmt.Fprintln(w, "ID\tKIND\tPROVIDER\tSTATUS\tNAME")
			for _, s := range l.Catalog.Services() {
				status := "unsanctioned"
				if s.Sanctioned {
					status = "sanctioned"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.Kind, s.Provider, status, s.Name)
			}
			return w.Flush()
		},
	}
	cmd.AddCommand(check, catalogCmd)
	return cmd
}

// checkEnrichFiles loads the files of cfg and writes a summary, or
// returns every problem found.
func checkEnrichFiles(out io.Writer, cfg enrich.Config) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("enrich config: %w", err)
	}
	l, err := enrich.LoadLookups(cfg)
	if err != nil {
		return err
	}
	envs, classes := l.Context.Entries()
	_, err = fmt.Fprintf(out, "catalog %s: %d services from %d files\ndirectory: %d people from %d files\nenvironments: %d entries from %d files\nclassification: %d entries from %d files\nall files are valid\n",
		l.Catalog.Version(), len(l.Catalog.Services()), len(l.Catalog.Files()),
		l.Directory.Len(), len(cfg.DirectoryFiles), envs, len(cfg.EnvironmentFiles), classes, len(cfg.ClassificationFiles))
	return err
}

// newEnrichStage returns the enrich stage's runner on brokers, and a
// function that reloads the stage's files when they change until its
// context is done, then waits for the runner to stop and closes the
// stage's changelog client: run both, and the function after the runner
// has been started or not at all.
func newEnrichStage(cfg config.Config, brokers []string, logger *slog.Logger) (*stream.Runner, func(context.Context) error, error) {
	reloader, err := enrich.NewReloader(cfg.Enrich, logger)
	if err != nil {
		return nil, nil, fmt.Errorf("enrich stage: %w", err)
	}
	opts, err := cfg.Kafka.ClientOpts(brokers)
	if err != nil {
		return nil, nil, err
	}
	prefix := cfg.Kafka.Topics.Prefix
	log, err := changelog.Open(changelog.Config{
		Brokers:    brokers,
		Topic:      prefix + schemas.TopicIdentityChangelog,
		ClientOpts: opts,
		Logger:     logger,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("enrich stage: %w", err)
	}
	input := prefix + schemas.TopicEvents
	stage := enrich.NewStage(enrich.StageConfig{InputTopic: input, OutputTopic: prefix + schemas.TopicEnriched},
		enrich.NewEnricher(cfg.Enrich, reloader.Current), log, logger)
	runner, err := newStageRunner(cfg, brokers, enrich.Name, []string{input}, stage, logger)
	if err != nil {
		log.Close()
		return nil, nil, err
	}
	watch := func(ctx context.Context) error {
		err := reloader.Run(ctx)
		// The runner's last flush writes to the changelog: close it only
		// once the runner returned.
		_ = runner.Close()
		log.Close()
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		return err
	}
	return runner, watch, nil
}
