package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/aitdr/aitdr/baseline"
	"github.com/aitdr/aitdr/enrich"
	"github.com/aitdr/aitdr/ingest/pipeline"
	"github.com/aitdr/aitdr/rules/backtest"
	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/clickhouse"
)

func newRulesBacktestCommand(g *globalFlags) *cobra.Command {
	var sets ruleSetFlags
	var rulePaths []string
	var fromCH, asJSON bool
	var since time.Duration
	var top, historyDays int
	cmd := &cobra.Command{
		Use:   "backtest --rules PATH... [--pack] (--from-clickhouse [--since 7d] | FILE...)",
		Short: "Replay stored events through a candidate rule set; alerts, identities and past false-positive share per rule",
		Long: `Backtest replays events through the rule set given (--rules, with --pack for
the shipped pack) in process, in event-time order, on the real engine
(thresholds, sequences, new terms and suppression included), and reports
per rule the alerts it would raise, on how many identities (the top ones
listed), and the share of the rule's past alerts analysts marked false
positive (alert_dispositions in ClickHouse, when clickhouse.dsn is set).
Rules above 10% are flagged and make the exit status 1.

Events come from the ClickHouse events table (--from-clickhouse, the last
--since), or from files: normalized event JSON lines (as stored), or raw
source logs, which go through normalize, enrich and baseline as in
"aitdr detect".`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if fromCH == (len(args) > 0) {
				return errors.New("backtest: give FILE... or --from-clickhouse, not both nor neither")
			}
			set, err := sets.load(rulePaths)
			if set == nil {
				return err
			}
			if err != nil {
				return fmt.Errorf("backtest: rule files have problems: %w", err)
			}
			ctx := cmd.Context()
			var events []*schemas.Event
			opts := backtest.Options{TopN: top}
			if cfg.ClickHouse.DSN != "" {
				conn, err := clickhouse.Connect(cfg.ClickHouse.DSN)
				if err != nil {
					return fmt.Errorf("backtest: %w", err)
				}
				defer conn.Close()
				if opts.History, err = backtest.LoadHistory(ctx, conn, historyDays); err != nil {
					return fmt.Errorf("backtest: %w", err)
				}
				if fromCH {
					if events, err = backtest.LoadEvents(ctx, conn, since); err != nil {
						return fmt.Errorf("backtest: %w", err)
					}
				}
			} else if fromCH {
				return errors.New("backtest: --from-clickhouse needs clickhouse.dsn (or AITDR_CLICKHOUSE_DSN)")
			}
			if !fromCH {
				if events, err = backtestFileEvents(cmd, g, args); err != nil {
					return err
				}
			}
			rep, err := backtest.Run(ctx, set, events, opts)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return fmt.Errorf("backtest: %w", err)
				}
			} else {
				rep.WriteTable(w)
			}
			if n := len(rep.Flagged()); n > 0 {
				return fmt.Errorf("backtest: %d rules over the false-positive maximum", n)
			}
			return nil
		},
	}
	sets.add(cmd)
	cmd.Flags().StringSliceVar(&rulePaths, "rules", nil, "candidate rule files or folders")
	cmd.Flags().BoolVar(&fromCH, "from-clickhouse", false, "replay the events table of clickhouse.dsn")
	cmd.Flags().DurationVar(&since, "since", 7*24*time.Hour, "with --from-clickhouse, how far back to replay")
	cmd.Flags().IntVar(&top, "top", 5, "identities listed per rule")
	cmd.Flags().IntVar(&historyDays, "history-days", 90, "days of analyst verdicts the false-positive share is taken over")
	cmd.Flags().BoolVar(&asJSON, "json", false, "write the report as JSON")
	return cmd
}

// backtestFileEvents reads events from files: normalized events as JSON
// lines are used as they are; raw source records go through normalize,
// enrich and baseline as in detect.
func backtestFileEvents(cmd *cobra.Command, g *globalFlags, paths []string) ([]*schemas.Event, error) {
	cfg, err := g.load()
	if err != nil {
		return nil, err
	}
	logger := cfg.Log.Logger(os.Stderr)
	files, err := detectFiles(paths)
	if err != nil {
		return nil, err
	}
	p, err := newIngestPipeline(cfg, logger)
	if err != nil {
		return nil, err
	}
	var ready, raw []*schemas.Event
	for _, f := range files {
		deliveries, err := readDeliveries(f)
		if err != nil {
			return nil, fmt.Errorf("backtest: %s: %w", f, err)
		}
		for _, d := range deliveries {
			var ev schemas.Event
			if json.Unmarshal(d, &ev) == nil && ev.SchemaVersion > 0 && ev.ID != "" && !ev.Time.IsZero() {
				ready = append(ready, &ev)
				continue
			}
			if _, err := p.Process(cmd.Context(), d, "", func(r pipeline.Result) {
				if r.Event != nil {
					raw = append(raw, r.Event)
				}
			}); err != nil {
				return nil, err
			}
		}
	}
	if len(raw) > 0 {
		lookups, err := enrich.NewReloader(cfg.Enrich, logger)
		if err != nil {
			return nil, fmt.Errorf("backtest: enrich: %w", err)
		}
		enricher := enrich.NewEnricher(cfg.Enrich, lookups.Current)
		baselines, err := baseline.NewPartition(cfg.Baseline, 0)
		if err != nil {
			return nil, fmt.Errorf("backtest: baseline: %w", err)
		}
		sortByTime(raw)
		for i, ev := range raw {
			enricher.Enrich(ev, 0, int64(i))
			baselines.Observe(int64(i), ev)
		}
	}
	return append(ready, raw...), nil
}

func sortByTime(events []*schemas.Event) {
	slices.SortStableFunc(events, func(a, b *schemas.Event) int { return a.Time.Compare(b.Time) })
}
