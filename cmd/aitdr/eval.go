package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/aitdr/aitdr/ingest/simulate"
	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/schemas"
)

// evalFlags are the flags of aitdr eval.
type evalFlags struct {
	simConfig string
	seed      int64
	duration  time.Duration
	dataDir   string
	keep      bool
	jsonPath  string
	rate      float64
	slack     time.Duration
	drain     time.Duration
	minRecall float64
	maxFPRate float64
	maxTTR    time.Duration
	maxLost   int64
}

func newEvalCommand(g *globalFlags) *cobra.Command {
	var f evalFlags
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Score detection and response on a labelled simulation run through the whole pipeline",
		Long: `Eval runs a labelled simulation (the simulate section, or --sim-config) as fast
as possible through the whole pipeline in this process, on the embedded
Kafka, NATS and ClickHouse in a fresh data folder, waits until every stage
drained, and scores what came out against the simulator's ground truth:
recall per scenario and the rules that caught it, time to detect and to
respond, precision and false-positive rate (alerts on the background risks
the simulator plants, such as shadow AI and shared credentials, counted
apart), and events lost. It prints a table, writes the figures as JSON
with --json, and exits non-zero when a floor of the eval section (or the
flags) is missed. docs/eval.md defines every figure.`,
		Example: `  aitdr eval                                   # the default simulation, a week
  aitdr eval --duration 72h --seed 7 --json eval.json
  aitdr eval --sim-config small.yaml --max-fp-rate 0.1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			scfg, ecfg, err := f.config(cmd, cfg)
			if err != nil {
				return err
			}
			dataDir, temporary := f.dataDir, f.dataDir == ""
			if temporary {
				if dataDir, err = os.MkdirTemp("", "aitdr-eval-"); err != nil {
					return fmt.Errorf("eval: data folder: %w", err)
				}
			}
			logPath := filepath.Join(dataDir, "aitdr.log")
			logFile, err := openRunLog(dataDir)
			if err != nil {
				return err
			}
			logger := cfg.Log.Logger(logFile)
			// Components that log through the default logger write there
			// too, not over the table.
			defer slog.SetDefault(slog.Default())
			slog.SetDefault(logger)
			stderr := cmd.ErrOrStderr()
			run, err := runEval(cmd.Context(), cfg, scfg, ecfg, dataDir, logger, stderr)
			logFile.Close()
			if err != nil {
				fmt.Fprintf(stderr, "eval: the pipeline's log and data are kept in %s (log %s)\n", dataDir, logPath)
				return err
			}
			if temporary && !f.keep {
				if err := os.RemoveAll(dataDir); err != nil {
					fmt.Fprintf(stderr, "eval: remove %s: %v\n", dataDir, err)
				}
				run.DataDir = ""
			}
			out := cmd.OutOrStdout()
			writeEvalTable(out, run)
			if f.jsonPath != "" {
				if err := writeEvalJSON(f.jsonPath, run); err != nil {
					return err
				}
				fmt.Fprintf(out, "\nJSON: %s\n", f.jsonPath)
			}
			if len(run.Failures) > 0 {
				return fmt.Errorf("eval: %d floor(s) missed: %s", len(run.Failures), strings.Join(run.Failures, "; "))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.simConfig, "sim-config", "", "simulator configuration file (YAML of the simulate section; default: the aitdr configuration's)")
	fl.Int64Var(&f.seed, "seed", 0, "seed of the simulation")
	fl.DurationVar(&f.duration, "duration", 0, "simulated span (default eval.duration, else simulate.time.duration)")
	fl.StringVar(&f.dataDir, "data-dir", "", "data folder of the run (default: a fresh temporary folder, removed afterwards)")
	fl.BoolVar(&f.keep, "keep", false, "keep the temporary data folder (ClickHouse tables, logs, labels)")
	fl.StringVar(&f.jsonPath, "json", "", "also write the scorecard as JSON to this file")
	fl.Float64Var(&f.rate, "rate", 0, "at most this many records per second (default eval.rate; 0: as fast as the broker takes them)")
	fl.DurationVar(&f.slack, "slack", 0, "how long after an instance an alert on its identity still detects it (default eval.slack)")
	fl.DurationVar(&f.drain, "drain", 0, "how long to wait for the pipeline to drain (default eval.drain)")
	fl.Float64Var(&f.minRecall, "min-recall", 0, "floor: lowest recall accepted (default eval.floors.recall; 0 off)")
	fl.Float64Var(&f.maxFPRate, "max-fp-rate", 0, "floor: highest false-positive rate accepted (default eval.floors.fp_rate; 1 off)")
	fl.DurationVar(&f.maxTTR, "max-ttr-p95", 0, "floor: highest time-to-respond p95 accepted (default eval.floors.ttr_p95; 0 off)")
	fl.Int64Var(&f.maxLost, "max-lost", 0, "floor: most events lost accepted (default eval.floors.lost; -1 off)")
	return cmd
}

// config returns the simulator and eval configurations with the flags
// applied, validated.
func (f *evalFlags) config(cmd *cobra.Command, cfg config.Config) (simulate.Config, simulate.EvalConfig, error) {
	scfg := cfg.Simulate
	if f.simConfig != "" {
		var err error
		if scfg, err = simulate.LoadConfig(f.simConfig); err != nil {
			return simulate.Config{}, simulate.EvalConfig{}, err
		}
	}
	ecfg := cfg.Eval
	set := cmd.Flags().Changed
	if set("seed") {
		scfg.Seed = f.seed
	}
	if set("duration") {
		ecfg.Duration = f.duration
	}
	if set("rate") {
		ecfg.Rate = f.rate
	}
	if set("slack") {
		ecfg.Slack = f.slack
	}
	if set("drain") {
		ecfg.Drain = f.drain
	}
	if set("min-recall") {
		ecfg.Floors.Recall = f.minRecall
	}
	if set("max-fp-rate") {
		ecfg.Floors.FPRate = f.maxFPRate
	}
	if set("max-ttr-p95") {
		ecfg.Floors.TTRP95 = f.maxTTR
	}
	if set("max-lost") {
		ecfg.Floors.Lost = f.maxLost
	}
	if err := ecfg.Validate(); err != nil {
		return simulate.Config{}, simulate.EvalConfig{}, fmt.Errorf("eval config: %w", err)
	}
	return scfg, ecfg, nil
}

// evalRun is one scored run: what was simulated, how long it took, the
// scorecard and the floors it missed.
type evalRun struct {
	Seed     int64     `json:"seed"`
	SimStart time.Time `json:"sim_start"`
	SimEnd   time.Time `json:"sim_end"`
	// People, Agents and Services count the simulated population.
	People   int `json:"people"`
	Agents   int `json:"agents"`
	Services int `json:"services"`
	// Records and Labels are what the simulator produced.
	Records int64 `json:"records"`
	Labels  int   `json:"labels"`
	// Produce is how long the simulator took to hand every record to the
	// broker, Drain how long the pipeline then took to catch up, Total the
	// whole run with start-up; EventsPerSecond is Records over Produce +
	// Drain.
	Produce         seconds `json:"produce_s"`
	Drain           seconds `json:"drain_s"`
	Total           seconds `json:"total_s"`
	EventsPerSecond float64 `json:"events_per_second"`
	// DataDir is the kept data folder, when kept.
	DataDir  string             `json:"data_dir,omitempty"`
	Floors   evalFloors         `json:"floors"`
	Failures []string           `json:"failures"`
	Card     simulate.Scorecard `json:"scorecard"`
}

// seconds is a duration written as seconds in JSON.
type seconds time.Duration

// MarshalJSON writes s as a number of seconds.
func (s seconds) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(s).Seconds())
}

// evalFloors are the floors as JSON.
type evalFloors struct {
	Recall float64 `json:"recall"`
	FPRate float64 `json:"fp_rate"`
	TTRP95 float64 `json:"ttr_p95_s"`
	Lost   int64   `json:"lost"`
}

// recordingSink hands records to the next sink and keeps, for each, the
// wall time the broker acknowledged it. It is safe for concurrent use.
type recordingSink struct {
	next     simulate.Sink
	mu       sync.Mutex
	produced map[string]time.Time
	sent     int64
}

// Write writes records to the next sink, then notes their acknowledgement.
func (s *recordingSink) Write(ctx context.Context, records []simulate.Record) error {
	if err := s.next.Write(ctx, records); err != nil {
		return err
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range records {
		s.produced[records[i].EventID] = now
	}
	s.sent += int64(len(records))
	return nil
}

// runEval runs one labelled simulation through the pipeline in dataDir
// and scores it; progress gets a line now and then.
func runEval(ctx context.Context, cfg config.Config, scfg simulate.Config, ecfg simulate.EvalConfig, dataDir string, logger *slog.Logger, progress io.Writer) (*evalRun, error) {
	began := time.Now()
	// A fresh, self-contained pipeline: the embedded engines on free
	// ports, whatever the configuration points at.
	cfg.Kafka.Brokers = nil
	cfg.NATS.URL = ""
	cfg.ClickHouse.DSN = ""
	if err := isolate(&cfg, dataDir); err != nil {
		return nil, err
	}
	span := ecfg.Duration
	if span == 0 {
		span = scfg.Time.Duration
	}
	if span <= 0 {
		return nil, errors.New("eval: no simulated span: set eval.duration, --duration or simulate.time.duration")
	}
	// As fast as possible, from the configured start or else the default
	// one (the latest Monday 00:00 UTC a span before now), so that the
	// simulated weekdays, and with them the scenarios, do not move with the
	// hour the eval runs at.
	scfg.Time = simulate.Time{Start: scfg.Time.Start, Duration: span, Rate: ecfg.Rate}
	if err := alignSimulation(&cfg, &scfg, logger); err != nil {
		return nil, err
	}
	endpoint, err := startContainmentEndpoint()
	if err != nil {
		return nil, err
	}
	defer endpoint.Close()
	if _, err := useContainmentEndpoint(&cfg, endpoint); err != nil {
		return nil, err
	}
	simDir := filepath.Join(dataDir, "simulate")
	if err := os.MkdirAll(simDir, 0o755); err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	labelsPath := filepath.Join(simDir, "labels.jsonl")
	labelsFile, err := os.Create(labelsPath)
	if err != nil {
		return nil, fmt.Errorf("eval: labels: %w", err)
	}
	defer labelsFile.Close()
	var lastProgress time.Time
	sim, err := simulate.New(scfg, simulate.WithLabels(labelsFile), simulate.WithProgress(func(s simulate.Stats) {
		if now := time.Now(); now.Sub(lastProgress) >= 5*time.Second {
			lastProgress = now
			fmt.Fprintf(progress, "eval: simulated %d records up to %s\n", s.Records, s.SimTime.Format(time.RFC3339))
		}
	}))
	if err != nil {
		return nil, err
	}
	if _, err := useSimulationContext(&cfg, sim); err != nil {
		return nil, err
	}
	truth := sim.Truth()
	run := &evalRun{Seed: scfg.Seed, SimStart: sim.Start(), SimEnd: sim.End(), DataDir: dataDir,
		People: len(truth.People), Agents: len(truth.Agents), Services: len(truth.Services),
		Floors: evalFloors{Recall: ecfg.Floors.Recall, FPRate: ecfg.Floors.FPRate, TTRP95: ecfg.Floors.TTRP95.Seconds(), Lost: ecfg.Floors.Lost}}
	fmt.Fprintf(progress, "eval: %d people, %d agents, %d services; simulating %s to %s (seed %d); data in %s\n",
		run.People, run.Agents, run.Services, run.SimStart.Format(time.RFC3339), run.SimEnd.Format(time.RFC3339), scfg.Seed, dataDir)

	h, err := startHarness(ctx, cfg, logger, 3*time.Minute)
	if err != nil {
		return nil, err
	}
	defer h.stop()
	client, err := h.producer()
	if err != nil {
		return nil, err
	}
	defer client.Close()
	sink := &recordingSink{next: simulate.NewKafkaSink(client, cfg.Kafka.Topics.Prefix+schemas.TopicRaw), produced: map[string]time.Time{}}
	produceStart := time.Now()
	stats, err := sim.Run(ctx, sink)
	if err != nil {
		return nil, fmt.Errorf("eval: simulate: %w", err)
	}
	if err := labelsFile.Close(); err != nil {
		return nil, fmt.Errorf("eval: labels: %w", err)
	}
	run.Records, run.Labels = stats.Records, stats.Labels
	run.Produce = seconds(time.Since(produceStart))
	fmt.Fprintf(progress, "eval: %d records and %d labelled instances produced in %s; waiting for the pipeline to drain\n",
		stats.Records, stats.Labels, time.Duration(run.Produce).Round(time.Millisecond))

	drainStart := time.Now()
	var lastShown time.Time
	_, drainErr := h.drain(ctx, ecfg.Drain, 3*time.Second, func(st drainState) {
		if now := time.Now(); now.Sub(lastShown) >= 5*time.Second {
			lastShown = now
			fmt.Fprintf(progress, "eval: draining: %s\n", st)
		}
	})
	run.Drain = seconds(time.Since(drainStart))
	if drainErr != nil {
		if err := h.failed(); err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
		// Score what arrived: the lost figure shows what did not.
		fmt.Fprintf(progress, "eval: %v; scoring what arrived\n", drainErr)
	}
	run.EventsPerSecond = float64(run.Records) / max(time.Duration(run.Produce+run.Drain).Seconds(), 1e-9)

	labels, err := readLabelsFile(labelsPath)
	if err != nil {
		return nil, err
	}
	obs, err := observe(ctx, h, sink)
	if err != nil {
		return nil, err
	}
	if err := h.stop(); err != nil && !errors.Is(err, context.Canceled) {
		return nil, fmt.Errorf("eval: the pipeline stopped with an error: %w", err)
	}
	run.Card = simulate.Score(labels, truth, obs, simulate.ScoreOptions{Slack: ecfg.Slack})
	run.Failures = run.Card.Check(ecfg.Floors)
	if drainErr != nil {
		run.Failures = append(run.Failures, drainErr.Error())
	}
	if run.Failures == nil {
		run.Failures = []string{}
	}
	run.Total = seconds(time.Since(began))
	return run, nil
}

func readLabelsFile(path string) ([]simulate.Label, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("eval: labels: %w", err)
	}
	defer f.Close()
	labels, err := simulate.ReadLabels(f)
	if err != nil {
		return nil, fmt.Errorf("eval: labels %s: %w", path, err)
	}
	return labels, nil
}

// observe reads what the pipeline made of the simulation: alerts,
// contained alerts, and which produced events reached ClickHouse.
func observe(ctx context.Context, h *harness, sink *recordingSink) (simulate.Observed, error) {
	sink.mu.Lock()
	defer sink.mu.Unlock()
	obs := simulate.Observed{Produced: sink.produced, Delivery: simulate.Delivery{Sent: sink.sent}}

	rows, err := h.ch.Query(ctx, `SELECT alert_id, toString(rule_id), arrayMap(x -> toString(x), finding_types), toString(severity),
		identity_id, toString(identity_class), time, start_time, end_time, evidence_event_ids
		FROM `+h.table("alerts")+` FINAL`)
	if err != nil {
		return obs, fmt.Errorf("eval: read alerts: %w", err)
	}
	for rows.Next() {
		var a simulate.Alert
		var class string
		if err := rows.Scan(&a.ID, &a.RuleID, &a.Tags, &a.Severity, &a.IdentityID, &class, &a.Created, &a.Start, &a.End, &a.EvidenceIDs); err != nil {
			rows.Close()
			return obs, fmt.Errorf("eval: read alerts: %w", err)
		}
		a.IdentityClass = schemas.IdentityClass(class)
		obs.Alerts = append(obs.Alerts, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return obs, fmt.Errorf("eval: read alerts: %w", err)
	}

	rows, err = h.ch.Query(ctx, `SELECT alert_id, alert_at, contained_at, dry_run FROM `+h.table("response_times")+` FINAL`)
	if err != nil {
		return obs, fmt.Errorf("eval: read response times: %w", err)
	}
	for rows.Next() {
		var r simulate.Response
		if err := rows.Scan(&r.AlertID, &r.AlertAt, &r.ContainedAt, &r.DryRun); err != nil {
			rows.Close()
			return obs, fmt.Errorf("eval: read response times: %w", err)
		}
		obs.Responses = append(obs.Responses, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return obs, fmt.Errorf("eval: read response times: %w", err)
	}

	stored := make(map[string]bool, len(sink.produced))
	rows, err = h.ch.Query(ctx, `SELECT DISTINCT event_id FROM `+h.table("events"))
	if err != nil {
		return obs, fmt.Errorf("eval: read event ids: %w", err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return obs, fmt.Errorf("eval: read event ids: %w", err)
		}
		if _, ok := sink.produced[id]; ok {
			stored[id] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return obs, fmt.Errorf("eval: read event ids: %w", err)
	}
	obs.Delivery.Stored = int64(len(stored))
	obs.Delivery.Lost = int64(len(sink.produced)) - obs.Delivery.Stored
	for id := range sink.produced {
		if len(obs.Delivery.LostSample) >= simulate.MaxLostSample {
			break
		}
		if !stored[id] {
			obs.Delivery.LostSample = append(obs.Delivery.LostSample, id)
		}
	}
	dlq, err := h.topicTotal(ctx, h.cfg.Kafka.Topics.Prefix+schemas.TopicDeadLetter)
	if err != nil {
		return obs, fmt.Errorf("eval: %w", err)
	}
	obs.Delivery.DeadLetters = dlq
	return obs, nil
}

// writeEvalTable prints the scorecard for people.
func writeEvalTable(w io.Writer, run *evalRun) {
	c := &run.Card
	fmt.Fprintf(w, "aitdr eval: seed %d, %s simulated (%s to %s), %d people, %d agents, %d services\n",
		run.Seed, run.SimEnd.Sub(run.SimStart).Round(time.Minute), run.SimStart.Format(time.RFC3339), run.SimEnd.Format(time.RFC3339),
		run.People, run.Agents, run.Services)
	fmt.Fprintf(w, "%d records, %d labelled instances: produced in %s, drained %s later (%.0f events/s end to end), %s in all\n\n",
		run.Records, run.Labels, time.Duration(run.Produce).Round(time.Millisecond), time.Duration(run.Drain).Round(time.Millisecond),
		run.EventsPerSecond, time.Duration(run.Total).Round(time.Second))

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tINSTANCES\tDETECTED\tRECALL\tTIME TO DETECT\tINTO THE ATTACK\tRESPONDED\tTIME TO RESPOND\tDETECTED BY")
	for _, s := range c.Scenarios {
		var by []string
		for _, r := range s.Rules {
			by = append(by, fmt.Sprintf("%s (%d)", r.Rule, r.Instances))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%s\t%s\t%d\t%s\t%s\n", s.Scenario, s.Instances, s.Detected, s.Recall,
			s.TimeToDetect, s.SimTimeToDetect, s.Responded, s.TimeToRespond, strings.Join(by, ", "))
	}
	fmt.Fprintf(tw, "all\t%d\t%d\t%.3f\t%s\t\t\t%s\t\n", c.Instances, c.Detected, c.Recall, c.TimeToDetect, c.TimeToRespond)
	tw.Flush()
	for _, m := range c.Missed {
		fmt.Fprintf(w, "  missed %s on %s (%s to %s)\n", m.Instance, m.IdentityID, m.Start.Format(time.RFC3339), m.End.Format(time.RFC3339))
	}

	a := c.Alerts
	fmt.Fprintf(w, "\nALERTS %d: attack %d, background risk %d", a.Total, a.Attack, a.Background)
	if len(a.BackgroundByRisk) > 0 {
		var parts []string
		for _, risk := range []string{simulate.RiskShadowAI, simulate.RiskPersonalAccount, simulate.RiskSharedCredential} {
			if n := a.BackgroundByRisk[risk]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", risk, n))
			}
		}
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, ", false %d\nprecision %.3f, false-positive rate %.3f; %d of %d identities have a false alert\n",
		a.False, c.Precision, c.FPRate, c.FalseIdentities, c.Identities)
	var risks []string
	for _, r := range c.BackgroundRisks {
		unit := "people"
		if r.Risk == simulate.RiskSharedCredential {
			unit = "credentials"
		}
		risks = append(risks, fmt.Sprintf("%s %d of %d %s", r.Risk, r.Named, r.Holders, unit))
	}
	fmt.Fprintf(w, "planted background risks named by an alert: %s\n\n", strings.Join(risks, ", "))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tALERTS\tATTACK\tBACKGROUND\tFALSE\tPRECISION")
	for _, r := range c.Rules {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.2f\n", r.Rule, r.Alerts, r.Attack, r.Background, r.False, r.Precision)
	}
	tw.Flush()

	fmt.Fprintf(w, "\nTIME TO DETECT %s   TIME TO RESPOND %s   ALERT TO ACTION %s (over %d contained alerts)\n",
		c.TimeToDetect, c.TimeToRespond, c.AlertToAction, c.AlertToAction.N)
	d := c.Delivery
	fmt.Fprintf(w, "EVENTS sent %d, stored %d, lost %d, dead letters %d\n", d.Sent, d.Stored, d.Lost, d.DeadLetters)
	if len(d.LostSample) > 0 {
		fmt.Fprintf(w, "  lost for example: %s\n", strings.Join(d.LostSample, " "))
	}
	fl := run.Floors
	fmt.Fprintf(w, "FLOORS recall >= %.2f, false-positive rate <= %.2f, time to respond p95 <= %gs, lost <= %d: ", fl.Recall, fl.FPRate, fl.TTRP95, fl.Lost)
	if len(run.Failures) == 0 {
		fmt.Fprintln(w, "all met")
	} else {
		fmt.Fprintln(w, "MISSED")
		for _, f := range run.Failures {
			fmt.Fprintf(w, "  - %s\n", f)
		}
	}
	if run.DataDir != "" {
		fmt.Fprintf(w, "data kept in %s\n", run.DataDir)
	}
}

// writeEvalJSON writes run as indented JSON to path.
func writeEvalJSON(path string, run *evalRun) error {
	b, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return fmt.Errorf("eval: encode JSON: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("eval: write %s: %w", path, err)
	}
	return nil
}
