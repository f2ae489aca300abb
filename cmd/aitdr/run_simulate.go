package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/baseline"
	"github.com/aitdr/aitdr/ingest/simulate"
	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/schemas"
)

// The simulation "aitdr run --simulate" plays when the configuration leaves
// the simulator's clock at its defaults: the last five days at once, which
// hold every default scenario, so that baselines exist and the attacks of
// that history raise alerts in the first minutes; then live traffic at the
// wall clock. The baselines' learning period shrinks to a day (unless
// configured) so the compressed history is enough to learn from.
const (
	runSimHistory  = "-120h"
	runSimRate     = 5000
	runSimLearning = 24 * time.Hour
)

// prepareSimulation sets cfg up for a simulated organization: the ingest
// sources' tenancy and the enrich stage's context files (written under
// data_dir/simulate unless the configuration names its own), and returns
// the function that produces the simulated raw records.
func prepareSimulation(cfg *config.Config, logger *slog.Logger) (func(context.Context, []string) error, error) {
	scfg := cfg.Simulate
	def := simulate.Default()
	if scfg.Time.Start == def.Time.Start && scfg.Time.Duration == def.Time.Duration && !scfg.Time.Live {
		scfg.Time.Start = runSimHistory
		scfg.Time.Duration = 0
		scfg.Time.Live = true
		if scfg.Time.Rate == 0 {
			scfg.Time.Rate = runSimRate
		}
	}
	if err := alignSimulation(cfg, &scfg, logger); err != nil {
		return nil, err
	}
	dir := filepath.Join(cfg.DataDir, "simulate")
	labelsPath := filepath.Join(dir, "labels.jsonl")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	labels, err := os.Create(labelsPath)
	if err != nil {
		return nil, fmt.Errorf("simulate labels: %w", err)
	}
	sim, err := simulate.New(scfg, simulate.WithLabels(labels))
	if err != nil {
		labels.Close()
		return nil, err
	}
	contextDir, err := useSimulationContext(cfg, sim)
	if err != nil {
		labels.Close()
		return nil, err
	}
	logger.Info("simulation prepared", "context", contextDir, "labels", labelsPath, "start", sim.Start(), "live", scfg.Time.Live)

	topic := cfg.Kafka.Topics.Prefix + schemas.TopicRaw
	return func(ctx context.Context, brokers []string) error {
		defer labels.Close()
		opts, err := cfg.Kafka.ClientOpts(brokers)
		if err != nil {
			return err
		}
		client, err := kgo.NewClient(append(opts, kgo.ProducerLinger(5*time.Millisecond))...)
		if err != nil {
			return fmt.Errorf("simulate: kafka client: %w", err)
		}
		defer client.Close()
		stats, err := sim.Run(ctx, simulate.NewKafkaSink(client, topic))
		if err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("simulate: %w", err)
		}
		logger.Info("simulation ended", "records", stats.Records, "labels", stats.Labels)
		return nil
	}, nil
}

// alignSimulation fits cfg and scfg to each other for a simulated
// organization: the baselines learn for a day (unless configured), since
// a simulated history is short; the simulator takes the deployment's
// tenancy where ingest.sources names it, and the deployment the
// simulator's where it names none. scfg is validated.
func alignSimulation(cfg *config.Config, scfg *simulate.Config, logger *slog.Logger) error {
	if cfg.Baseline.Learning == baseline.DefaultConfig().Learning {
		cfg.Baseline.Learning.Period = runSimLearning
		logger.Info("simulate: baseline learning period shortened for the simulated history", "period", runSimLearning)
	}
	for _, note := range alignSources(scfg, cfg.Ingest.Sources) {
		logger.Debug("simulate", "note", note)
	}
	src := &cfg.Ingest.Sources
	t := scfg.Tenants
	for _, s := range []struct {
		deployed *string
		sim      string
	}{
		{&src.OktaOrg, t.OktaOrg}, {&src.GCPOrg, t.GCPOrg}, {&src.AIGateway, t.AIGateway},
		{&src.OpenAIOrg, t.OpenAIOrg}, {&src.AnthropicOrg, t.AnthropicOrg},
	} {
		if *s.deployed == "" {
			*s.deployed = s.sim
		}
	}
	if err := scfg.Validate(); err != nil {
		return fmt.Errorf("simulator config: %w", err)
	}
	return nil
}

// useSimulationContext writes the simulated organization's context files
// under data_dir/simulate/context and points the enrich stage at those the
// configuration does not name itself (the directory export and the
// CMDB's workload register as directory files), and at the AI services the
// simulated organization sanctions unless enrich.catalog.sanctioned names
// some; it returns the folder.
func useSimulationContext(cfg *config.Config, sim *simulate.Simulator) (string, error) {
	contextDir := filepath.Join(cfg.DataDir, "simulate", "context")
	if err := sim.WriteContext(contextDir); err != nil {
		return "", err
	}
	e := &cfg.Enrich
	if len(e.Catalog.Sanctioned) == 0 {
		e.Catalog.Sanctioned = simulate.SanctionedServices()
	}
	if len(e.DirectoryFiles) == 0 {
		e.DirectoryFiles = []string{filepath.Join(contextDir, simulate.FileDirectoryCSV), filepath.Join(contextDir, simulate.FileWorkloads)}
	}
	if len(e.EnvironmentFiles) == 0 {
		e.EnvironmentFiles = []string{filepath.Join(contextDir, "environments.yaml")}
	}
	if len(e.ClassificationFiles) == 0 {
		e.ClassificationFiles = []string{filepath.Join(contextDir, "data-catalog.csv")}
	}
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	return contextDir, nil
}
