package main

import (
	"fmt"
	"os"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"

	"github.com/aitdr/aitdr/internal/config"
)

func newConfigCommand(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check a configuration file or print the defaults",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check [FILE]",
		Short: "Validate a configuration file (and the environment) and list every problem",
		Long: `Validate decodes the file strictly (unknown keys are errors), applies the
AITDR_* environment variables and lists every problem by field path.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				g.configPath = args[0]
			}
			if _, err := g.load(); err != nil {
				return err
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "configuration is valid")
			return err
		},
	}, &cobra.Command{
		Use:   "defaults",
		Short: "Print the default configuration as YAML, a starting point for a file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := yaml.MarshalWithOptions(config.Default(), yaml.IndentSequence(true))
			if err != nil {
				return fmt.Errorf("encode defaults: %w", err)
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}, &cobra.Command{
		Use:   "env",
		Short: "List the environment variables that override the configuration file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, v := range config.EnvVars {
				set := ""
				if _, ok := os.LookupEnv(v.Name); ok {
					set = " (set)"
				}
				if _, err := fmt.Fprintf(cmd.OutOrStdout(), "%-30s %s%s\n", v.Name, v.Field, set); err != nil {
					return err
				}
			}
			return nil
		},
	})
	return cmd
}
