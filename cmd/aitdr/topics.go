package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/deploy/kafka"
)

func newTopicsCommand(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topics",
		Short: "Show or provision the pipeline's Kafka topics",
	}
	var grow bool
	provision := &cobra.Command{
		Use:   "provision",
		Short: "Create missing topics and correct drifted topic configs on the configured brokers",
		Long: `Provision creates every pipeline topic that is missing and brings the
configs of existing ones back to their spec (retention, compaction). It is
idempotent; "aitdr run" and every stage also run it at start-up unless
kafka.provision is false. Partition counts grow only with --grow-partitions.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if len(cfg.Kafka.Brokers) == 0 {
				return fmt.Errorf("topics provision: no brokers configured (kafka.brokers or AITDR_KAFKA_BROKERS); the embedded Kafka is provisioned by aitdr run")
			}
			opts, err := cfg.Kafka.ClientOpts(nil)
			if err != nil {
				return err
			}
			client, err := kgo.NewClient(opts...)
			if err != nil {
				return fmt.Errorf("kafka client: %w", err)
			}
			defer client.Close()
			var popts []kafka.Option
			if grow {
				popts = append(popts, kafka.GrowPartitions())
			}
			report, err := kafka.Provision(cmd.Context(), kadm.NewClient(client), cfg.Kafka.Topics.Layout().Specs(), popts...)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), report)
			return err
		},
	}
	provision.Flags().BoolVar(&grow, "grow-partitions", false,
		"add partitions to topics that have fewer than configured (moves identities between partitions: stop the stages first)")
	cmd.AddCommand(provision, &cobra.Command{
		Use:   "list",
		Short: "List the topics the configuration describes, with partitions and configs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "TOPIC\tPARTITIONS\tREPLICATION\tCONFIGS")
			for _, s := range cfg.Kafka.Topics.Layout().Specs() {
				fmt.Fprintf(w, "%s\t%d\t%d\tcleanup.policy=%s", s.Name, s.Partitions, s.ReplicationFactor, s.Configs["cleanup.policy"])
				if r, ok := s.Configs["retention.ms"]; ok {
					fmt.Fprintf(w, " retention.ms=%s", r)
				}
				fmt.Fprintln(w)
			}
			return w.Flush()
		},
	})
	return cmd
}
