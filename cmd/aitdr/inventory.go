package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aitdr/aitdr/deploy/clickhouse"
	"github.com/aitdr/aitdr/enrich/report"
	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

func newInventoryCommand(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Look at the AI identity inventory aitdr keeps in ClickHouse",
	}
	cmd.AddCommand(newInventoryReportCommand(g))
	return cmd
}

func newInventoryReportCommand(g *globalFlags) *cobra.Command {
	var (
		assumedPath    string
		since          string
		format         string
		outPath        string
		dsn            string
		database       string
		embedded       bool
		dataDir        string
		minUnusedShare float64
	)
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Put the assumed AI identity inventory beside the observed one",
		Long: `Report puts the assumed inventory (--assumed, a CSV of licences, registered
agents and known service accounts: see docs/discover.md for its columns)
beside the inventory aitdr observed, per class (ai_user, ai_builder,
ai_agent, human, service): how many were observed, assumed and matched,
the gap both ways with its lists, shadow AI (unsanctioned services,
personal accounts) and high-risk patterns (personal accounts reaching
sensitive data, agents on shared credentials, dev and test identities
reaching production, agents with broad permissions). Its first line is
"observed N AI identities, the assumed inventory knew M (x%)".

A bad row of the CSV is reported with file:line and cause and skipped;
the rest is used. --since limits the window, as a duration back from now
(30d, 12h) or a UTC time (2026-01-01, 2026-01-01T08:00:00Z).

The report reads ClickHouse only: clickhouse.dsn or --dsn, else the
embedded engine's HTTP interface (clickhouse.embedded.listen, which "aitdr
run" or "aitdr clickhouse serve" serves); --embedded opens the embedded
engine's data directory in this process instead (stop "aitdr run" first),
--data-dir names another one. It is printed as a table, or written as JSON,
CSV or a self-contained HTML page with charts (--format, --out).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := report.ParseFormat(format)
			if err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			now := time.Now().UTC()
			from, err := parseSince(since, now)
			if err != nil {
				return err
			}
			if minUnusedShare <= 0 || minUnusedShare > 1 {
				return fmt.Errorf("--min-unused-share %g: want a share above 0 and at most 1", minUnusedShare)
			}
			var assumed *report.Assumed
			if assumedPath != "" {
				if assumed, err = report.ReadAssumed(assumedPath); err != nil {
					return err
				}
				if n := len(assumed.BadRows); n > 0 {
					fmt.Fprintf(cmd.ErrOrStderr(), "aitdr: skipped %d bad rows of %s:\n", n, assumedPath)
					for _, b := range assumed.BadRows {
						fmt.Fprintf(cmd.ErrOrStderr(), "  %s\n", b.Error())
					}
				}
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if database == "" {
				database = cfg.ClickHouse.Schema.Database
			}
			if database == "" {
				database = chschema.DefaultDatabase
			}
			if dataDir != "" {
				embedded = true
			}
			if embedded && dsn != "" {
				return errors.New("--dsn connects to a running ClickHouse, --embedded and --data-dir open one: give one or the other")
			}
			if embedded {
				ch := clickhouseConfig(cfg)
				ch.Listen = "127.0.0.1:0"
				if dataDir != "" {
					ch.DataDir = dataDir
				}
				// The engine's start and stop are no news to the reader of a report.
				quiet := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
				url, stop, err := openEmbedded(cmd.Context(), ch, quiet)
				if err != nil {
					return err
				}
				defer func() {
					if err := stop(); err != nil {
						fmt.Fprintln(cmd.ErrOrStderr(), "aitdr: close the embedded clickhouse:", err)
					}
				}()
				dsn = url
			}
			if dsn == "" {
				dsn = cfg.ClickHouse.DSN
			}
			if dsn == "" {
				dsn = "http://" + cfg.ClickHouse.Embedded.Listen
			}
			if dsn, err = withDatabase(dsn, database); err != nil {
				return err
			}
			conn, err := chschema.Connect(dsn)
			if err != nil {
				return err
			}
			defer conn.Close()
			r, err := report.Build(cmd.Context(), conn, assumed, report.Options{Since: from, Now: now, MinUnusedShare: minUnusedShare})
			if err != nil {
				return fmt.Errorf("inventory report from database %s: %w", database, err)
			}
			return writeReport(cmd.OutOrStdout(), outPath, r, f)
		},
	}
	cmd.Flags().StringVar(&assumedPath, "assumed", "", "the assumed inventory CSV (licences, registered agents, service accounts)")
	cmd.Flags().StringVar(&since, "since", "", "the start of the window: a duration back from now (30d, 12h) or a UTC time (2026-01-01); default all time")
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json, csv or html")
	cmd.Flags().StringVar(&outPath, "out", "", "write the report to this file instead of standard output")
	cmd.Flags().StringVar(&dsn, "dsn", "", "ClickHouse DSN (default clickhouse.dsn, else the embedded engine's HTTP interface)")
	cmd.Flags().StringVar(&database, "database", "", "the database when the DSN names none (default clickhouse.schema.database, aitdr)")
	cmd.Flags().BoolVar(&embedded, "embedded", false, "open the embedded engine's data directory (<data_dir>/clickhouse) in this process instead of connecting")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "open the embedded engine on this data directory in this process (implies --embedded)")
	cmd.Flags().Float64Var(&minUnusedShare, "min-unused-share", report.DefaultMinUnusedShare,
		"the share of unused grants that makes an agent's permissions broad")
	return cmd
}

// parseSince reads --since: empty for all time, a duration back from now
// (Go's, or whole days as 30d), or a UTC date or time.
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: want a duration such as 30d or 12h, or a time such as 2026-01-01 or 2026-01-01T08:00:00Z", s)
}

// openEmbedded opens the embedded ClickHouse engine on cfg.DataDir and
// serves it on a free local port for this process; stop closes it.
func openEmbedded(ctx context.Context, cfg clickhouse.Config, logger *slog.Logger) (url string, stop func() error, err error) {
	srv, err := clickhouse.New(cfg, clickhouse.WithLogger(logger))
	if err != nil {
		return "", nil, fmt.Errorf("open the embedded clickhouse on %s: %w", cfg.DataDir, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	return srv.URL(), func() error {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	}, nil
}

// writeReport renders r in format f to path, or to stdout when path is
// empty.
func writeReport(stdout io.Writer, path string, r *report.Report, f report.Format) error {
	return writeOutput(stdout, path, func(w io.Writer) error { return r.Write(w, f) })
}

// writeOutput writes what write produces to path, or to stdout when path
// is empty. A file is written whole or not at all: into a temporary file
// beside it, renamed over it once complete.
func writeOutput(stdout io.Writer, path string, write func(io.Writer) error) error {
	if path == "" {
		return write(stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".aitdr-report-*")
	if err != nil {
		return fmt.Errorf("write report to %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write report to %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write report to %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write report to %s: %w", path, err)
	}
	return nil
}
