package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/ingest/simulate"
	"github.com/aitdr/aitdr/ingest/sources"
	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/schemas"
)

// simulateFlags are the flags of aitdr simulate that override the
// simulator's configuration.
type simulateFlags struct {
	file                   string
	seed                   int64
	start                  string
	duration               time.Duration
	count                  int64
	rate, speedup          float64
	live                   bool
	out, dir, url          string
	tokenFile, topic       string
	labels                 string
	batchSize              int
	progressInterval       time.Duration
	contextDir, contextOut string
}

func newSimulateCommand(g *globalFlags) *cobra.Command {
	var f simulateFlags
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Simulate an organization's audit traffic, with labelled attacks, into the HTTP input, Kafka or files",
		Long: `Simulate makes realistic audit records in the sources' own formats (CloudTrail,
Okta, Entra ID, Google Cloud, GitHub, Kubernetes, OpenAI, Anthropic, AI
gateway logs) for a simulated organization of AI users, builders and agents
in several tenants, each on its own working hours and weekly rhythm, with
shadow AI, personal accounts and shared agent credentials; and injects
attacks at configured times, writing their ground truth as JSON lines
(--labels). The same seed and start time give byte-identical output.

The simulator's settings are the simulate section of the aitdr configuration,
or the file given with --sim-config; the flags below override them. Identity
ids depend on ingest.sources (okta_org, gcp_org, ai_gateway, openai_org,
anthropic_org): the simulator takes them from the aitdr configuration when set.

Outputs: files (one <product>.jsonl per source in --dir, for aitdr ingest
file), http (POST /v1/events/<product> to --url with the bearer token of
--token-file or $AITDR_INGEST_TOKEN) or kafka (the raw topic of
kafka.brokers, with the aitdr-source header).

"aitdr simulate context --out DIR" writes the directory export, environment
map, data catalog, assumed inventory and ground truth of the same population.`,
		Example: `  # A week of the past, as fast as possible, into files:
  aitdr simulate --out files --dir sim
  # Into a running aitdr, a week played in five minutes:
  aitdr simulate --out http --url http://127.0.0.1:8088 --speedup 2016
  # Live: the last 48 hours at once, then at the wall clock, 200 records/s at most:
  aitdr simulate --out kafka --start -48h --duration 0 --live --rate 200`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			scfg, notes, err := f.config(cmd, cfg, true)
			if err != nil {
				return err
			}
			return runSimulation(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), cfg, scfg, notes, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.file, "sim-config", "", "simulator configuration file (YAML of the simulate section; default: the aitdr configuration's)")
	fl.Int64Var(&f.seed, "seed", 0, "seed of the simulation")
	fl.StringVar(&f.start, "start", "", `simulated start: RFC 3339, "now" or a duration before now such as -72h`)
	fl.DurationVar(&f.duration, "duration", 0, "simulated time span (0 with --live: until stopped)")
	fl.Int64Var(&f.count, "count", 0, "stop after this many records")
	fl.Float64Var(&f.rate, "rate", 0, "at most this many records per second (0: unlimited)")
	fl.Float64Var(&f.speedup, "speedup", 0, "simulated seconds per wall second (0: as fast as the rate allows)")
	fl.BoolVar(&f.live, "live", false, "never get ahead of the wall clock: records carry times near now")
	fl.StringVar(&f.out, "out", "", "output: files, http or kafka")
	fl.StringVar(&f.dir, "dir", "", "folder of the files output")
	fl.StringVar(&f.url, "url", "", "base URL of the ingest HTTP input")
	fl.StringVar(&f.tokenFile, "token-file", "", "file holding the HTTP input's bearer token (default $AITDR_INGEST_TOKEN)")
	fl.StringVar(&f.topic, "topic", "", "raw topic of the kafka output (default aitdr.raw with the topic prefix)")
	fl.StringVar(&f.labels, "labels", "", "file of the ground-truth labels (default <dir>/labels.jsonl, or labels.jsonl)")
	fl.IntVar(&f.batchSize, "batch-size", 0, "records handed to the output at once")
	fl.DurationVar(&f.progressInterval, "progress", 5*time.Second, "how often to print progress (0: never)")
	fl.StringVar(&f.contextDir, "context", "", "also write the context files into this folder")

	ctxCmd := &cobra.Command{
		Use:   "context --out DIR",
		Short: "Write the simulated organization's directory, environments, data catalog, assumed inventory and ground truth",
		Long: `Context writes the files the enrich stage and the visibility report read about
the simulated organization, for the same configuration and seed as aitdr
simulate: directory.csv and directory.json (people, teams, managers, time
zones, working hours, linked accounts), workloads.csv (the CMDB's agent
credentials with their owners and teams), environments.yaml (accounts,
projects and clusters to prod or dev), data-catalog.csv (resource
sensitivities), assumed-inventory.csv (the
licences, registered agents and service accounts the organization believes
it has, missing part of what the records show) and population.json (the
ground truth, for the scorecard only). docs/simulate.md describes them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			scfg, _, err := f.config(cmd, cfg, false)
			if err != nil {
				return err
			}
			sim, err := simulate.New(scfg)
			if err != nil {
				return err
			}
			if err := sim.WriteContext(f.contextOut); err != nil {
				return err
			}
			truth := sim.Truth()
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "context of %d people, %d agents and %d services written to %s\n",
				len(truth.People), len(truth.Agents), len(truth.Services), f.contextOut)
			return err
		},
	}
	ctxCmd.Flags().StringVar(&f.contextOut, "out", "", "folder to write the context files into (required)")
	ctxCmd.Flags().StringVar(&f.file, "sim-config", "", "simulator configuration file (default: the aitdr configuration's)")
	ctxCmd.Flags().Int64Var(&f.seed, "seed", 0, "seed of the simulation")
	_ = ctxCmd.MarkFlagRequired("out")
	cmd.AddCommand(ctxCmd)
	return cmd
}

// config returns the simulator configuration: the file's or the aitdr
// configuration's, aligned with the deployment's ingest sources, with the
// flags that were set applied (the output flags only when output is
// set), validated; and notes for the user.
func (f *simulateFlags) config(cmd *cobra.Command, cfg config.Config, output bool) (simulate.Config, []string, error) {
	scfg := cfg.Simulate
	if f.file != "" {
		var err error
		if scfg, err = simulate.LoadConfig(f.file); err != nil {
			return simulate.Config{}, nil, err
		}
	}
	notes := alignSources(&scfg, cfg.Ingest.Sources)
	set := cmd.Flags().Changed
	out := func(name string) bool { return output && set(name) }
	if set("seed") {
		scfg.Seed = f.seed
	}
	if set("start") {
		scfg.Time.Start = f.start
	}
	if set("duration") {
		scfg.Time.Duration = f.duration
	}
	if set("count") {
		scfg.Time.Count = f.count
	}
	if set("rate") {
		scfg.Time.Rate = f.rate
	}
	if set("speedup") {
		scfg.Time.Speedup = f.speedup
	}
	if set("live") {
		scfg.Time.Live = f.live
	}
	if out("out") {
		scfg.Output.Kind = f.out
	}
	if out("dir") {
		scfg.Output.Dir = f.dir
	}
	if out("url") {
		scfg.Output.URL = f.url
	}
	if out("token-file") {
		scfg.Output.TokenFile = f.tokenFile
	}
	if out("topic") {
		scfg.Output.Topic = f.topic
	}
	if out("labels") {
		scfg.Output.Labels = f.labels
	}
	if out("batch-size") {
		scfg.Output.BatchSize = f.batchSize
	}
	if err := scfg.Validate(); err != nil {
		return simulate.Config{}, nil, fmt.Errorf("simulator config: %w", err)
	}
	return scfg, notes, nil
}

// alignSources makes the simulator's tenancy the deployment's where
// ingest.sources names it, so that the identity ids the simulator labels
// are the ones ingest derives, and says which settings ingest lacks.
func alignSources(scfg *simulate.Config, src sources.Config) []string {
	t := &scfg.Tenants
	var notes []string
	for _, s := range []struct {
		key      string
		deployed string
		sim      *string
	}{
		{"okta_org", src.OktaOrg, &t.OktaOrg},
		{"gcp_org", src.GCPOrg, &t.GCPOrg},
		{"ai_gateway", src.AIGateway, &t.AIGateway},
		{"openai_org", src.OpenAIOrg, &t.OpenAIOrg},
		{"anthropic_org", src.AnthropicOrg, &t.AnthropicOrg},
	} {
		if s.deployed != "" {
			*s.sim = s.deployed
			continue
		}
		notes = append(notes, fmt.Sprintf("ingest.sources.%s is not set: the simulator's labels assume %q", s.key, *s.sim))
	}
	return notes
}

// runSimulation runs the simulator into the configured output.
func runSimulation(ctx context.Context, stdout, stderr io.Writer, cfg config.Config, scfg simulate.Config, notes []string, f simulateFlags) error {
	var progress func(simulate.Stats)
	if f.progressInterval > 0 {
		var last time.Time
		progress = func(s simulate.Stats) {
			if now := time.Now(); now.Sub(last) >= f.progressInterval {
				last = now
				fmt.Fprintf(stderr, "simulate: %d records (%.0f/s), %d labels, simulated time %s\n",
					s.Records, float64(s.Records)/max(s.Elapsed.Seconds(), 1e-3), s.Labels, s.SimTime.Format(time.RFC3339))
			}
		}
	}
	labelsPath := scfg.Output.Labels
	if labelsPath == "" {
		labelsPath = "labels.jsonl"
		if scfg.Output.Kind == simulate.OutputFiles {
			labelsPath = filepath.Join(scfg.Output.Dir, "labels.jsonl")
		}
	}
	if err := os.MkdirAll(filepath.Dir(labelsPath), 0o755); err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	labels, err := os.Create(labelsPath)
	if err != nil {
		return fmt.Errorf("simulate: labels: %w", err)
	}
	defer labels.Close()
	opts := []simulate.Option{simulate.WithLabels(labels)}
	if progress != nil {
		opts = append(opts, simulate.WithProgress(progress))
	}
	sim, err := simulate.New(scfg, opts...)
	if err != nil {
		return err
	}
	if f.contextDir != "" {
		if err := sim.WriteContext(f.contextDir); err != nil {
			return err
		}
	}
	sink, where, closeSink, err := openSimulationSink(cfg, scfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "simulating %s to %s (seed %d) into %s; labels in %s\n",
		sim.Start().Format(time.RFC3339), endText(sim), scfg.Seed, where, labelsPath)
	if scfg.Output.Kind != simulate.OutputFiles {
		for _, n := range notes {
			fmt.Fprintln(stderr, "simulate: note:", n)
		}
	}
	stats, runErr := sim.Run(ctx, sink)
	closeErr := closeSink()
	fmt.Fprintf(stdout, "%d records (%s), %d injected in %d labelled instances, in %s\n",
		stats.Records, byProduct(stats.ByProduct), stats.Injected, stats.Labels, stats.Elapsed.Round(time.Millisecond))
	if runErr != nil && ctx.Err() == nil {
		return runErr
	}
	if closeErr != nil {
		return closeErr
	}
	if err := labels.Close(); err != nil {
		return fmt.Errorf("simulate: labels: %w", err)
	}
	return nil
}

func endText(sim *simulate.Simulator) string {
	if sim.Config().Time.Duration == 0 {
		return "when stopped"
	}
	return sim.End().Format(time.RFC3339)
}

// openSimulationSink opens the configured output; close releases it.
func openSimulationSink(cfg config.Config, scfg simulate.Config) (sink simulate.Sink, where string, close func() error, err error) {
	out := scfg.Output
	switch out.Kind {
	case simulate.OutputFiles:
		fs, err := simulate.NewFileSink(out.Dir)
		if err != nil {
			return nil, "", nil, err
		}
		return fs, "files in " + out.Dir, fs.Close, nil
	case simulate.OutputHTTP:
		token, err := simulationToken(out)
		if err != nil {
			return nil, "", nil, err
		}
		hs, err := simulate.NewHTTPSink(simulate.HTTPSinkConfig{URL: out.URL, Token: token, Gzip: true})
		if err != nil {
			return nil, "", nil, err
		}
		return hs, out.URL, func() error { return nil }, nil
	case simulate.OutputKafka:
		if len(cfg.Kafka.Brokers) == 0 {
			return nil, "", nil, fmt.Errorf("simulate: the kafka output needs brokers (kafka.brokers or AITDR_KAFKA_BROKERS)")
		}
		opts, err := cfg.Kafka.ClientOpts(cfg.Kafka.Brokers)
		if err != nil {
			return nil, "", nil, err
		}
		client, err := kgo.NewClient(append(opts, kgo.ProducerLinger(5*time.Millisecond), kgo.RecordDeliveryTimeout(30*time.Second))...)
		if err != nil {
			return nil, "", nil, fmt.Errorf("simulate: kafka producer: %w", err)
		}
		topic := out.Topic
		if topic == "" {
			topic = cfg.Kafka.Topics.Prefix + schemas.TopicRaw
		}
		return simulate.NewKafkaSink(client, topic), "Kafka topic " + topic, func() error { client.Close(); return nil }, nil
	}
	return nil, "", nil, fmt.Errorf("simulate: unknown output %q", out.Kind)
}

// simulationToken reads the HTTP output's bearer token.
func simulationToken(out simulate.Output) (string, error) {
	if out.TokenFile != "" {
		b, err := os.ReadFile(out.TokenFile)
		if err != nil {
			return "", fmt.Errorf("simulate: token file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	env := out.TokenEnv
	if env == "" {
		env = simulate.DefaultTokenEnv
	}
	return strings.TrimSpace(os.Getenv(env)), nil
}

func byProduct(m map[schemas.Product]int64) string {
	var parts []string
	for _, p := range schemas.Products() {
		if n := m[p]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", p, n))
		}
	}
	return strings.Join(parts, ", ")
}
