// Command aitdr is the streaming detection and response pipeline for AI
// identities: one binary whose subcommands run the whole pipeline on the
// embedded default (aitdr run) or each stage on its own against external
// Kafka, ClickHouse and NATS clusters.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/aitdr/aitdr/internal/config"
)

// version is set at build time with -ldflags "-X main.version=..."; else it
// comes from the module build info.
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := newRootCommand().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "aitdr:", err)
		os.Exit(1)
	}
}

// globalFlags are the flags every subcommand shares.
type globalFlags struct {
	configPath string
	// runtime says how load set the Go runtime (runtime.*), for the log.
	runtime string
}

// load reads the configuration the flags and environment point at and
// applies its runtime section to this process.
func (g *globalFlags) load() (config.Config, error) {
	path := g.configPath
	if path == "" {
		path = os.Getenv("AITDR_CONFIG")
	}
	cfg, err := config.Load(path, os.LookupEnv)
	if err != nil {
		return cfg, err
	}
	g.runtime = cfg.Runtime.Apply(os.LookupEnv)
	return cfg, nil
}

func newRootCommand() *cobra.Command {
	var g globalFlags
	root := &cobra.Command{
		Use:   "aitdr",
		Short: "Detection and response for AI identities: AI users, AI builders and AI agents",
		Long: `aitdr discovers AI identities in audit events, measures how much of their
permission they use, learns how each one normally behaves, and catches and
contains the abnormal in seconds.

Audit events flow through Kafka topics (ingest, enrich, baseline, rules) into
ClickHouse; alerts fan out on NATS to the responder. "aitdr run" starts the
whole pipeline in one process on the embedded default (in-process Kafka and
NATS); configuration points each stage at external clusters instead.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildVersion(),
	}
	root.PersistentFlags().StringVarP(&g.configPath, "config", "c", "",
		"YAML configuration file (default: built-in defaults; env AITDR_CONFIG)")
	root.AddCommand(
		newRunCommand(&g),
		newIngestCommand(&g),
		newSinkCommand(&g),
		newEnrichCommand(&g),
		newBaselineCommand(&g),
		newTopicsCommand(&g),
		newConfigCommand(&g),
		newVersionCommand(),
		newClickHouseCommand(&g),
		newQueryCommand(&g),
		newInventoryCommand(&g),
		newRulesCommand(&g),
		newDetectCommand(&g),
		newRespondCommand(&g),
		newAlertsCommand(&g),
		newGrantsCommand(&g),
		newRightsizeCommand(&g),
		newSimulateCommand(&g),
		newEvalCommand(&g),
		newBenchCommand(&g),
		newProvisionCommand(&g),
		newHealthCommand(&g),
	)
	serveStageTelemetry(root, &g)
	return root
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the aitdr version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "aitdr", buildVersion())
			return err
		},
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}
