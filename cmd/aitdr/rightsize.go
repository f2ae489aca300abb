package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/aitdr/aitdr/enrich/rightsize"
)

func newRightsizeCommand(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rightsize",
		Short: "Measure granted against used permissions and recommend least privilege",
	}
	cmd.AddCommand(newRightsizeReportCommand(g))
	return cmd
}

func newRightsizeReportCommand(g *globalFlags) *cobra.Command {
	var (
		store     storeFlags
		window    string
		minDays   int
		minEvents int64
		at        string
		format    string
		outPath   string
		artifacts string
		save      bool
	)
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Report, per identity, the permissions granted against those used, and the least-privilege change",
		Long: `Report puts, for every identity with imported grants ("aitdr grants import"),
the permissions of its latest snapshots beside the permissions its
successful events used over the window, and recommends the least-privilege
change: an AWS IAM policy of the used actions with resources narrowed where
the events show them, a Kubernetes Role, a Google Cloud custom role, the
application assignments or token scopes to drop, each with its difference
from what is granted. Recommendations come in the order to apply them:
agents first, builders next, users last. One whose identity was observed
fewer than --min-days days or --min-events events is flagged as too short
to trust and removes nothing in the totals.

Its first line is the attack-surface reduction available for the AI
identities: the share of granted permissions the trusted recommendations
remove. The report is printed as tables, or written as JSON, CSV or a
self-contained HTML page with charts (--format, --out); --artifacts writes
each recommendation to a file. It is also stored in ClickHouse
(rightsize_identities, rightsize_permissions; --store=false not to), where
the ready queries rightsize_* read the same numbers.

It reads ClickHouse like "aitdr inventory report": clickhouse.dsn or --dsn,
else the embedded engine's HTTP interface, or --embedded / --data-dir to
open the embedded engine's data directory in this process.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := rightsize.ParseFormat(format)
			if err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			rc := cfg.Rightsize
			if window != "" {
				if rc.Window, err = parseWindow(window); err != nil {
					return err
				}
			}
			if cmd.Flags().Changed("min-days") {
				rc.MinDays = minDays
			}
			if cmd.Flags().Changed("min-events") {
				rc.MinEvents = minEvents
			}
			if err := rc.Validate(); err != nil {
				return fmt.Errorf("rightsize: %w", err)
			}
			now := time.Now().UTC()
			if at != "" {
				if now, err = parseTime(at); err != nil {
					return fmt.Errorf("--at: %w", err)
				}
			}
			conn, database, closeFn, err := store.open(cmd.Context(), cfg, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer closeFn()
			r, err := rightsize.Build(cmd.Context(), conn, rightsize.Options{Now: now, Config: rc})
			if err != nil {
				return fmt.Errorf("rightsize report from database %s: %w", database, err)
			}
			if save {
				if err := rightsize.Store(cmd.Context(), conn, database, r); err != nil {
					return err
				}
			}
			if artifacts != "" {
				files, err := r.WriteArtifacts(artifacts)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "aitdr: wrote %d recommendation files to %s\n", len(files), artifacts)
			}
			return writeRightsize(cmd.OutOrStdout(), outPath, r, f)
		},
	}
	store.add(cmd)
	cmd.Flags().StringVar(&window, "window", "", "the usage window back from --at: 90d, 2160h (default rightsize.window, 90 days)")
	cmd.Flags().IntVar(&minDays, "min-days", rightsize.DefaultMinDays, "days an identity must have been observed for its recommendation to be trusted (default rightsize.min_days)")
	cmd.Flags().Int64Var(&minEvents, "min-events", rightsize.DefaultMinEvents, "successful events an identity must have for its recommendation to be trusted (default rightsize.min_events)")
	cmd.Flags().StringVar(&at, "at", "", "the end of the window (UTC time or date); default now")
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json, csv or html")
	cmd.Flags().StringVar(&outPath, "out", "", "write the report to this file instead of standard output")
	cmd.Flags().StringVar(&artifacts, "artifacts", "", "write each identity's recommended policy or role and its diff to files in this directory")
	cmd.Flags().BoolVar(&save, "store", true, "store the report in ClickHouse's rightsize_identities and rightsize_permissions")
	return cmd
}

// parseWindow reads a window: whole days (90d) or a Go duration.
func parseWindow(s string) (time.Duration, error) {
	now := time.Now()
	from, err := parseSince(s, now)
	if err != nil || from.IsZero() {
		return 0, fmt.Errorf("--window %q: want a duration such as 90d or 720h", s)
	}
	return now.Sub(from), nil
}

// writeRightsize renders r in format f to path, or to stdout when path is
// empty (see writeOutput).
func writeRightsize(stdout io.Writer, path string, r *rightsize.Report, f rightsize.Format) error {
	return writeOutput(stdout, path, func(w io.Writer) error { return r.Write(w, f) })
}
