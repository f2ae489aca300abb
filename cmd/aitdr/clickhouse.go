package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aitdr/aitdr/deploy/clickhouse"
	"github.com/aitdr/aitdr/internal/config"
)

func newClickHouseCommand(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "clickhouse",
		Short: "Run the embedded ClickHouse engine on its own, or print the schema's DDL",
	}
	var listen, dataDir, library string
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Serve the embedded ClickHouse engine over ClickHouse's HTTP interface",
		Long: `Serve opens the embedded ClickHouse engine (chDB's libchdb.so, ClickHouse
26.7) on a data directory and serves ClickHouse's HTTP interface, so that
an analyst can open the data "aitdr run" wrote, with curl, clickhouse-go
(Protocol: HTTP), Grafana's ClickHouse data source or DBeaver. Stop
"aitdr run" first: one process at a time holds a data directory.

The library comes from AITDR_CHDB_LIB (make chdb fetches it into
.cache/chdb, and make run exports the variable). Ctrl-C (SIGINT) or
SIGTERM lets running queries finish and stops.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			logger := cfg.Log.Logger(os.Stderr)
			slog.SetDefault(logger)
			ch := clickhouseConfig(cfg)
			if cmd.Flags().Changed("listen") {
				ch.Listen = listen
			}
			if cmd.Flags().Changed("data-dir") {
				ch.DataDir = dataDir
			}
			if cmd.Flags().Changed("library") {
				ch.Library = library
			}
			srv, err := clickhouse.New(ch, clickhouse.WithLogger(logger))
			if err != nil {
				return err
			}
			printClickHouse(cmd.OutOrStdout(), srv, ch)
			return srv.Run(cmd.Context())
		},
	}
	serve.Flags().StringVar(&listen, "listen", "", `host:port of the HTTP interface (default "127.0.0.1:8123")`)
	serve.Flags().StringVar(&dataDir, "data-dir", "", "the engine's data directory (default <data_dir>/clickhouse)")
	serve.Flags().StringVar(&library, "library", "", "path of libchdb.so (default $"+clickhouse.LibraryEnv+")")
	cmd.AddCommand(serve, newClickHouseDDLCommand(g))
	return cmd
}

// clickhouseConfig is the embedded ClickHouse configuration of cfg, with
// its data under <data_dir>/clickhouse unless configured elsewhere.
func clickhouseConfig(cfg config.Config) clickhouse.Config {
	ch := cfg.ClickHouse.Embedded
	ch.DataDir = cfg.ClickHouseDataDir()
	return ch
}

// printClickHouse tells the operator where the engine is and how to reach it.
func printClickHouse(w io.Writer, srv *clickhouse.Server, cfg clickhouse.Config) {
	var users []string
	for _, u := range cfg.Users {
		desc := u.Name
		switch {
		case u.NoPassword:
			desc += " (no password"
		default:
			desc += " (password"
		}
		if u.ReadOnly {
			desc += ", read-only)"
		} else {
			desc += ", read-write)"
		}
		users = append(users, desc)
	}
	base := srv.URL()
	fmt.Fprintf(w, `aitdr embedded ClickHouse %s is serving %s (opened in %s). Ctrl-C stops it.

  HTTP interface  %s
  users           %s
  try             curl '%s/?query=%s'
                  echo 'SELECT version()' | curl --data-binary @- '%s/'
  clickhouse-go   clickhouse.Open(&clickhouse.Options{Protocol: clickhouse.HTTP, Addr: []string{%q}})
`, srv.Engine().Version(), srv.Engine().DataDir(), srv.Engine().OpenTime().Round(1e6),
		base, strings.Join(users, ", "), base, url.QueryEscape("SHOW TABLES"), base, srv.Addr())
}
