package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/internal/changelog"
	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/rules"
	"github.com/aitdr/aitdr/rules/pack"
	rulestage "github.com/aitdr/aitdr/rules/stage"
	"github.com/aitdr/aitdr/schemas"
)

func newRulesCommand(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Run, check and test detection rules",
		Long: `Detection rules are YAML files (docs/rules.md): match, threshold, sequence,
new_terms and anomaly rules over the scored events, with macros, lists,
exceptions, suppression and inline tests. aitdr ships a pack (rules/pack);
rules.paths adds the deployment's own.`,
	}
	cmd.AddCommand(newRulesServeCommand(g), newRulesLintCommand(), newRulesTestCommand(), newRulesImportSigmaCommand(), newRulesBacktestCommand(g))
	return cmd
}

func newRulesServeCommand(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the rules stage alone: scored events in, alerts to Kafka and NATS",
		Long: `The rules stage consumes aitdr.scored, evaluates every event against the rule
set (the shipped pack and rules.paths), produces alerts to aitdr.alerts keyed
by identity and publishes them to NATS JetStream on
aitdr.alerts.<severity>.<identity_class>, with the alert id as Nats-Msg-Id.
The state of threshold, sequence, new_terms and suppression is checkpointed
to aitdr.rules.changelog and restored when partitions are assigned. Rule
files under rules.paths are reloaded when they change; a bad file is
reported with file:line:col and its last good version keeps running. It
needs external brokers (kafka.brokers) and NATS (nats.url); "aitdr run" runs
it on the embedded default.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if len(cfg.Kafka.Brokers) == 0 || cfg.NATS.URL == "" {
				return fmt.Errorf("rules serve: needs kafka.brokers and nats.url (or AITDR_KAFKA_BROKERS and AITDR_NATS_URL)")
			}
			logger := cfg.Log.Logger(os.Stderr)
			nc, err := connectNATS(cfg.NATS, cfg.NATS.URL)
			if err != nil {
				return err
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				return fmt.Errorf("jetstream on %s: %w", cfg.NATS.URL, err)
			}
			reg := stageReadiness(cmd.Context())
			runner, watch, err := newRulesStage(cfg, cfg.Kafka.Brokers, js, logger, reg)
			if err != nil {
				return err
			}
			registerStageReadiness(reg, rulestage.Name, runner)
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			watchDone := make(chan error, 1)
			go func() { watchDone <- watch(ctx) }()
			err = runner.Run(ctx)
			cancel()
			err = errors.Join(err, <-watchDone)
			if derr := nc.Drain(); derr != nil {
				err = errors.Join(err, fmt.Errorf("drain nats: %w", derr))
			}
			return err
		},
	}
}

// rulesLoader returns a loader of the configured rule set: the shipped
// pack (unless rules.pack is false), then rules.paths.
func rulesLoader(cfg rulestage.Config) *rules.Loader {
	l := rules.NewLoader()
	if cfg.Pack {
		l.AddFS(pack.FS(), pack.Name)
	}
	l.AddPaths(cfg.Paths...)
	l.Disable(cfg.Disabled...)
	return l
}

// newRulesStage returns the rules stage's runner on brokers, publishing
// alerts to js (nil publishes to Kafka only) for up to rules.publish_timeout
// a batch, and the function that runs the reload watcher until its context
// ends; after that it waits for the runner to stop and closes the stage's
// Kafka clients. With js and reg, it registers the readiness check "stage
// rules nats publish", failing while alerts cannot be published. Rule
// files with problems are logged and left out (or served in their last
// good version); the stage fails only when no rule at all loads.
func newRulesStage(cfg config.Config, brokers []string, js jetstream.JetStream, logger *slog.Logger, reg readinessRegistry) (*stream.Runner, func(context.Context) error, error) {
	rcfg := cfg.Rules
	loader := rulesLoader(rcfg)
	set, err := loader.Load()
	rulestage.LogProblems(logger, err)
	if set.Enabled() == 0 && err != nil {
		return nil, nil, fmt.Errorf("rules stage: no rule loaded: %w", err)
	}
	logger.Info("rules loaded", "set", set.String())
	engine := rules.NewEngine(set, rules.WithLogger(logger), rules.WithLimits(rcfg.Limits()))

	opts, err := cfg.Kafka.ClientOpts(brokers)
	if err != nil {
		return nil, nil, err
	}
	producer, err := kgo.NewClient(append(opts,
		kgo.ProducerLinger(0),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordDeliveryTimeout(30*time.Second),
	)...)
	if err != nil {
		return nil, nil, fmt.Errorf("rules stage: alerts producer: %w", err)
	}
	prefix := cfg.Kafka.Topics.Prefix
	log, err := changelog.Open(changelog.Config{
		Brokers: brokers, Topic: prefix + schemas.TopicRulesChangelog, ClientOpts: opts, Logger: logger,
	})
	if err != nil {
		producer.Close()
		return nil, nil, err
	}
	closeClients := func() {
		log.Close()
		producer.Close()
	}
	sopts := rulestage.Options{
		InputTopic:     prefix + schemas.TopicScored,
		AlertsTopic:    prefix + schemas.TopicAlerts,
		Producer:       producer,
		Changelog:      log,
		PublishTimeout: rcfg.PublishTimeout,
		Logger:         logger,
	}
	if js != nil {
		sopts.Sink = rulestage.NewJetStream(js)
	}
	proc, err := rulestage.New(engine, sopts)
	if err != nil {
		closeClients()
		return nil, nil, err
	}
	if sopts.Sink != nil && reg != nil {
		reg.RegisterReadinessDetail("stage "+rulestage.Name+" nats publish", func(ctx context.Context) (string, error) {
			return "no publish failing", proc.PublishReady(ctx)
		})
	}
	runner, err := newStageRunner(cfg, brokers, rulestage.Name, []string{sopts.InputTopic}, proc, logger)
	if err != nil {
		closeClients()
		return nil, nil, err
	}
	reloader := rulestage.NewReloader(loader, engine, rcfg.ReloadInterval, logger)
	watch := func(ctx context.Context) error {
		err := reloader.Run(ctx)
		_ = runner.Close() // waits for the runner to drain before the clients close
		closeClients()
		return err
	}
	return runner, watch, nil
}

// ruleSetFlags are the flags lint and test share.
type ruleSetFlags struct {
	pack bool
}

func (f *ruleSetFlags) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.pack, "pack", false, "load the shipped rule pack with the paths (for rules that use its macros and lists, or to check the pack itself)")
}

// load loads the paths (and the pack when asked).
func (f *ruleSetFlags) load(paths []string) (*rules.Set, error) {
	if len(paths) == 0 && !f.pack {
		return nil, errors.New("no rule files: give paths, or --pack for the shipped pack")
	}
	l := rules.NewLoader()
	if f.pack {
		l.AddFS(pack.FS(), pack.Name)
	}
	return l.AddPaths(paths...).Load()
}

func newRulesLintCommand() *cobra.Command {
	var sets ruleSetFlags
	var strict bool
	var now string
	cmd := &cobra.Command{
		Use:   "lint [PATH...]",
		Short: "Check rule files: schema, expressions and types, ATLAS and ATT&CK ids, duplicates, unused macros and lists, expired exceptions",
		Long: `Lint loads the rule files and directories given (recursively *.yaml and *.yml)
and prints every problem as file:line:col: level: message. Errors are what
keeps a file from loading (YAML, unknown fields, expressions that do not
compile or name unknown fields, unknown ATLAS techniques, malformed ATT&CK
ids, duplicate ids); warnings are macros and lists no rule uses, exceptions
past their expiry, rules without tests, stable rules without both a firing
test and a near miss, and stable rules without an ATLAS technique. The exit
status is 1 on any error (on any finding with --strict).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			at := time.Now()
			if now != "" {
				t, err := time.Parse(time.DateOnly, now)
				if err != nil {
					return fmt.Errorf("--now %q: want a date such as 2026-06-30", now)
				}
				at = t
			}
			set, err := sets.load(args)
			if set == nil {
				return err
			}
			return printLint(cmd.OutOrStdout(), set, err, at, strict)
		},
	}
	sets.add(cmd)
	cmd.Flags().BoolVar(&strict, "strict", false, "exit with status 1 on warnings too")
	cmd.Flags().StringVar(&now, "now", "", "the date exceptions expire against (default today)")
	return cmd
}

func printLint(w io.Writer, set *rules.Set, loadErr error, now time.Time, strict bool) error {
	findings := rules.Lint(set, loadErr, now)
	errs, warns := 0, 0
	for _, f := range findings {
		fmt.Fprintln(w, f)
		if f.Level == rules.LevelError {
			errs++
		} else {
			warns++
		}
	}
	fmt.Fprintf(w, "%s; %d errors, %d warnings\n", set, errs, warns)
	if errs > 0 || strict && warns > 0 {
		return fmt.Errorf("rules lint: %d errors, %d warnings", errs, warns)
	}
	return nil
}

func newRulesTestCommand() *cobra.Command {
	var sets ruleSetFlags
	var verbose bool
	var run string
	cmd := &cobra.Command{
		Use:   "test [PATH...]",
		Short: "Run the rules' inline tests through the full stateful engine",
		Long: `Test loads the rule files and runs every inline test: each test's events go,
in order and with the format's defaults, through a fresh engine holding the
rule alone (windows, sequences, new terms, suppression and exceptions
included), and the alerts are compared with the expectation. It prints FAIL
lines with the reason (PASS lines too with -v) and a summary; the exit status
is 1 when a file does not load or a test fails.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var filter *regexp.Regexp
			if run != "" {
				re, err := regexp.Compile(run)
				if err != nil {
					return fmt.Errorf("--run: %w", err)
				}
				filter = re
			}
			set, err := sets.load(args)
			if set == nil {
				return err
			}
			w := cmd.OutOrStdout()
			if err != nil {
				fmt.Fprintln(w, err)
			}
			return printTests(w, set, err, filter, verbose)
		},
	}
	sets.add(cmd)
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print passing tests too")
	cmd.Flags().StringVar(&run, "run", "", "run only the tests of rules whose id matches this regular expression")
	return cmd
}

func printTests(w io.Writer, set *rules.Set, loadErr error, filter *regexp.Regexp, verbose bool) error {
	results := rules.RunTests(set)
	passed, failed, skipped := 0, 0, 0
	untested := 0
	for _, r := range set.Rules() {
		if len(r.Spec.Tests) == 0 && (filter == nil || filter.MatchString(r.ID)) {
			untested++
		}
	}
	for _, r := range results {
		if filter != nil && !filter.MatchString(r.Rule) {
			continue
		}
		switch {
		case r.Skipped:
			skipped++
		case r.Passed:
			passed++
		default:
			failed++
		}
		if verbose || (!r.Passed && !r.Skipped) {
			fmt.Fprintln(w, r)
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed, %d skipped; %d rules without tests\n", passed, failed, skipped, untested)
	switch {
	case failed > 0:
		return fmt.Errorf("rules test: %d of %d tests failed", failed, passed+failed)
	case loadErr != nil:
		return errors.New("rules test: rule files have problems (listed above)")
	}
	return nil
}
