package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/responder"
	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

func newAlertsCommand(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "Record analysts' verdicts on alerts (the false-positive rate comes from them)",
		Long: `ack and resolve record an analyst's disposition of an alert, true_positive,
false_positive or benign, in ClickHouse (alert_dispositions), where the
false_positive_rate_by_rule query and the rules backtest read it.

resolve closes the alert: as false_positive or benign, its actions still
waiting for approval are denied; as false_positive, an exception for the
rule is proposed in a file under respond.exceptions_dir (default
<data_dir>/exceptions) for review: rule files are never changed.

They need ClickHouse (clickhouse.dsn, or the embedded engine of a running
"aitdr run") and NATS (nats.url, or the embedded server of "aitdr run").`,
	}
	cmd.AddCommand(newDispositionCommand(g, "ack", "Acknowledge an alert with a disposition; it stays open", false),
		newDispositionCommand(g, "resolve", "Resolve an alert with a disposition", true))
	return cmd
}

func newDispositionCommand(g *globalFlags, verb, short string, resolve bool) *cobra.Command {
	var (
		verdict, note, who, dsn, database string
		noException                       bool
	)
	cmd := &cobra.Command{
		Use:   verb + " ALERT_ID --disposition true_positive|false_positive|benign",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			res, err := recordDisposition(cmd.Context(), cfg, dsn, database, responder.Disposition{
				AlertID: args[0], Verdict: verdict, Analyst: who, Note: note,
				Resolve: resolve, ProposeException: resolve && !noException,
			})
			if err != nil {
				return fmt.Errorf("%s %s: %w", verb, args[0], err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "alert %s: %s by %s\n", args[0], verdict, who)
			for _, id := range res.Denied {
				fmt.Fprintf(out, "denied pending action %s\n", id)
			}
			if res.ExceptionFile != "" {
				fmt.Fprintf(out, "proposed exception for review: %s\n", res.ExceptionFile)
			}
			if res.ExceptionNote != "" {
				fmt.Fprintln(out, res.ExceptionNote)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&verdict, "disposition", "", "true_positive, false_positive or benign (required)")
	cmd.Flags().StringVar(&note, "note", "", "the analyst's note; the reason of a proposed exception")
	cmd.Flags().StringVar(&who, "as", currentUser(), "the analyst")
	cmd.Flags().StringVar(&dsn, "dsn", "", "ClickHouse DSN (default clickhouse.dsn, else the embedded engine's HTTP interface)")
	cmd.Flags().StringVar(&database, "database", "", "ClickHouse database (default clickhouse.schema.database)")
	if resolve {
		cmd.Flags().BoolVar(&noException, "no-exception", false, "do not propose a rule exception for a false positive")
	}
	_ = cmd.MarkFlagRequired("disposition")
	return cmd
}

// recordDisposition stores d in ClickHouse and on the alert's record.
func recordDisposition(ctx context.Context, cfg config.Config, dsn, database string, d responder.Disposition) (responder.DispositionResult, error) {
	if dsn == "" {
		dsn = cfg.ClickHouse.DSN
	}
	if dsn == "" {
		dsn = "http://" + cfg.ClickHouse.Embedded.Listen
	}
	if database == "" {
		database = cfg.ClickHouse.Schema.Database
	}
	if database == "" {
		database = chschema.DefaultDatabase
	}
	conn, err := chschema.Connect(dsn)
	if err != nil {
		return responder.DispositionResult{}, err
	}
	defer conn.Close()
	store, closeStore, err := openRespondStore(ctx, cfg)
	if err != nil {
		return responder.DispositionResult{}, err
	}
	defer closeStore()
	ds := responder.NewDispositions(store, responder.NewClickHouseAudit(conn, database), exceptionsDir(cfg), nil)
	return ds.Record(ctx, d)
}
