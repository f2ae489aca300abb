package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	aitdrnats "github.com/aitdr/aitdr/deploy/nats"
	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/responder/connectors"
	"github.com/aitdr/aitdr/responder/connectors/webhook"
	"github.com/aitdr/aitdr/responder/feed"
	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

func newRespondCommand(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "respond",
		Short: "Run the responder alone: alerts from NATS to containment playbooks, with guardrails",
		Long: `Respond consumes alerts from the AITDR_ALERTS stream with a durable consumer,
selects a playbook for each (respond.playbooks, the embedded default set),
and runs its steps on the connectors under the guardrails: the class policy
(agents contained automatically, builders from high severity, users only
with approval), protected identities, blast-radius limits, dry run (the
default of a new install). Every decision and outcome is kept in JetStream
key-value buckets, published on aitdr.actions.<status> and, with
clickhouse.dsn set, written to the response_actions and response_times
tables. It needs an external NATS (nats.url); "aitdr run" runs it on the
embedded default. docs/response.md describes playbooks and policy.

The subcommands approve, deny, roll back and show what the responder did;
they talk to NATS (nats.url, or the embedded server of a running "aitdr run"
at nats.embedded_listen).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if cfg.NATS.URL == "" {
				return errors.New("respond: no NATS configured (nats.url or AITDR_NATS_URL); aitdr run runs the responder on the embedded default")
			}
			logger := cfg.Log.Logger(os.Stderr)
			ctx := cmd.Context()
			nc, err := connectNATS(cfg.NATS, cfg.NATS.URL)
			if err != nil {
				return err
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				return fmt.Errorf("jetstream on %s: %w", cfg.NATS.URL, err)
			}
			if cfg.NATS.Provision {
				if _, err := aitdrnats.Provision(ctx, js, cfg.NATS.Streams().Specs()); err != nil {
					return fmt.Errorf("provision jetstream streams on %s: %w", cfg.NATS.URL, err)
				}
			}
			var chConn driver.Conn
			if cfg.ClickHouse.DSN != "" {
				if chConn, err = chschema.Connect(cfg.ClickHouse.DSN); err != nil {
					return err
				}
				defer chConn.Close()
				if cfg.ClickHouse.Migrate {
					if _, err := chschema.Migrate(ctx, chConn, cfg.ClickHouse.Schema); err != nil {
						return fmt.Errorf("migrate clickhouse schema: %w", err)
					}
				}
			} else {
				logger.Warn("respond: no clickhouse.dsn: the audit stays in NATS (aitdr.actions.*, key-value buckets), dispositions are unavailable")
			}
			r, err := newResponder(cfg, js, chConn, logger)
			if err != nil {
				return err
			}
			err = r.Run(ctx)
			if derr := nc.Drain(); derr != nil && !errors.Is(derr, nats.ErrConnectionClosed) {
				err = errors.Join(err, fmt.Errorf("drain nats: %w", derr))
			}
			return err
		},
	}
	cmd.AddCommand(
		newDecideCommand(g, "approve", "Approve a pending action, or every pending action of an alert; a running responder runs it",
			func(ctx context.Context, s *responder.Store, id, who, note string) (any, error) {
				return s.Approve(ctx, id, who, note)
			}),
		newDecideCommand(g, "deny", "Deny a pending action, or every pending action of an alert",
			func(ctx context.Context, s *responder.Store, id, who, note string) (any, error) {
				return s.Deny(ctx, id, who, note)
			}),
		newDecideCommand(g, "rollback", "Roll back a succeeded action whose connector returned a rollback; a running responder runs it",
			func(ctx context.Context, s *responder.Store, id, who, note string) (any, error) {
				return s.RequestRollback(ctx, id, who, note)
			}),
		newRespondStatusCommand(g),
	)
	return cmd
}

// respondConnectors returns the connectors the responder runs steps on:
// the webhooks, the provider connectors configured under
// respond.connectors, and the feed's notifier when the feed has outputs
// (without outputs notify steps stay recommended: nobody would receive
// them).
func respondConnectors(ctx context.Context, cfg config.Config, f *feed.Feed) ([]responder.Connector, error) {
	hook, err := webhook.New(cfg.Respond.Webhooks, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("respond.webhooks: %w", err)
	}
	providers, err := connectors.Build(ctx, cfg.Respond.Connectors)
	if err != nil {
		return nil, fmt.Errorf("respond.connectors: %w", err)
	}
	out := append([]responder.Connector{hook}, providers...)
	if f != nil && len(f.Outputs()) > 0 {
		out = append(out, feed.NewNotifier(f, nil))
	}
	return out, nil
}

// newResponder builds the responder of cfg on js, writing its audit to
// ClickHouse through chConn when it is not nil.
func newResponder(cfg config.Config, js jetstream.JetStream, chConn driver.Conn, logger *slog.Logger) (interface{ Run(context.Context) error }, error) {
	f, err := feed.New(cfg.FeedConfig(), feed.WithLogger(logger))
	if err != nil {
		return nil, fmt.Errorf("respond.feed: %w", err)
	}
	conns, err := respondConnectors(context.Background(), cfg, f)
	if err != nil {
		return nil, err
	}
	reg, err := responder.NewRegistry(conns)
	if err != nil {
		return nil, err
	}
	opts := []responder.Option{
		responder.WithLogger(logger),
		responder.WithReplicas(cfg.NATS.StreamReplicas),
		responder.WithExceptionsDir(exceptionsDir(cfg)),
	}
	if chConn != nil {
		opts = append(opts, responder.WithAudit(responder.NewClickHouseAudit(chConn, cfg.ClickHouse.Schema.Database)))
	}
	r, err := responder.New(cfg.Respond.Config, js, reg, opts...)
	if err != nil {
		return nil, err
	}
	return responderWithFeed{r, f}, nil
}

// responderWithFeed runs the responder and the SOC feed it notifies through
// for as long as the context; the feed spills what it still holds when it
// stops.
type responderWithFeed struct {
	responder *responder.Responder
	feed      *feed.Feed
}

func (rf responderWithFeed) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return rf.responder.Run(gctx) })
	g.Go(func() error { return rf.feed.Run(gctx) })
	return g.Wait()
}

func exceptionsDir(cfg config.Config) string {
	if cfg.Respond.ExceptionsDir != "" {
		return cfg.Respond.ExceptionsDir
	}
	return filepath.Join(cfg.DataDir, "exceptions")
}

// openRespondStore connects to the NATS the configuration names (or the
// embedded server of a running "aitdr run") and opens the responder's
// store; close releases the connection.
func openRespondStore(ctx context.Context, cfg config.Config) (store *responder.Store, close func(), err error) {
	url := cfg.NATS.URL
	if url == "" {
		url = "nats://" + cfg.NATS.EmbeddedListen
	}
	nc, err := connectNATSOnce(cfg.NATS, url)
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream on %s: %w", url, err)
	}
	store, err = responder.OpenStore(ctx, js, responder.StoreConfig{Replicas: cfg.NATS.StreamReplicas, TTL: cfg.Respond.RecordTTL})
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return store, nc.Close, nil
}

// connectNATSOnce connects without retrying: a command line tool says at
// once that NATS is not there.
func connectNATSOnce(cfg config.NATS, url string) (*nats.Conn, error) {
	opts := []nats.Option{nats.Name("aitdr cli"), nats.Timeout(5 * time.Second)}
	if cfg.CredentialsFile != "" {
		opts = append(opts, nats.UserCredentials(cfg.CredentialsFile))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to nats %s (is the responder or aitdr run up?): %w", url, err)
	}
	return nc, nil
}

// currentUser names the analyst at the keyboard when --as is not given.
func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "cli"
}

func newDecideCommand(g *globalFlags, verb, short string, do func(context.Context, *responder.Store, string, string, string) (any, error)) *cobra.Command {
	var who, note string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   verb + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			store, closeStore, err := openRespondStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer closeStore()
			out, err := do(cmd.Context(), store, args[0], who, note)
			if err != nil {
				return fmt.Errorf("%s %s: %w", verb, args[0], err)
			}
			var actions []*responder.Action
			switch v := out.(type) {
			case []*responder.Action:
				actions = v
			case *responder.Action:
				actions = []*responder.Action{v}
			}
			if asJSON {
				return writeRespondJSON(cmd.OutOrStdout(), actions)
			}
			for _, a := range actions {
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s: %s %s on %s (%s/%s)\n", a.ID, a.Status, a.Connector, a.Kind,
					firstSet(a.Principal.ID, "unknown identity"), a.Playbook, a.Step)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&who, "as", currentUser(), "who decides, recorded as the approver")
	cmd.Flags().StringVar(&note, "note", "", "why, recorded with the decision")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the actions as JSON")
	return cmd
}

func newRespondStatusCommand(g *globalFlags) *cobra.Command {
	var recent, days int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show pending approvals, recent actions and the time to respond (p50, p95)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			store, closeStore, err := openRespondStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer closeStore()
			st, err := store.Status(cmd.Context(), recent, time.Now().AddDate(0, 0, -days))
			if err != nil {
				return err
			}
			if asJSON {
				return writeRespondJSON(cmd.OutOrStdout(), st)
			}
			return printStatus(cmd.OutOrStdout(), st, days)
		},
	}
	cmd.Flags().IntVar(&recent, "recent", 20, "how many recent actions to show")
	cmd.Flags().IntVar(&days, "days", 30, "the window of the time to respond, in days")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return cmd
}

func printStatus(w io.Writer, st *responder.Status, days int) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Pending approvals: %d\n", len(st.Pending))
	if len(st.Pending) > 0 {
		fmt.Fprintln(tw, "  ACTION\tALERT\tCLASS\tSEVERITY\tSTEP\tIDENTITY\tWAITING\tREASON")
		for _, a := range st.Pending {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s/%s %s\t%s\t%s\t%s\n", a.ID, a.AlertID, a.Class, a.Severity, a.Playbook, a.Step,
				a.Kind, firstSet(a.Principal.ID, "unknown"), time.Since(a.RequestedAt).Round(time.Second), a.Reason)
		}
	}
	fmt.Fprintf(tw, "\nRecent actions: %d\n", len(st.Recent))
	if len(st.Recent) > 0 {
		fmt.Fprintln(tw, "  WHEN\tACTION\tSTATUS\tSTEP\tCONNECTOR\tIDENTITY\tDETAIL")
		for _, a := range st.Recent {
			when := a.RequestedAt
			if n := len(a.History); n > 0 {
				when = a.History[n-1].At
			}
			status := string(a.Status)
			if a.DryRun {
				status += " (dry run)"
			}
			detail := firstSet(a.Error, a.Reason, strings.Join(a.Changes, "; "))
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s/%s %s\t%s\t%s\t%s\n", when.Local().Format(time.DateTime), a.ID, status,
				a.Playbook, a.Step, a.Kind, a.Connector, firstSet(a.Principal.ID, "unknown"), detail)
		}
	}
	fmt.Fprintf(tw, "\nTime to respond, first evidence to containment, last %d days:\n", days)
	ttr := func(label string, p responder.Percentiles) {
		if p.Alerts == 0 {
			fmt.Fprintf(tw, "  %s\tno alert contained\n", label)
			return
		}
		fmt.Fprintf(tw, "  %s\t%d alerts\tp50 %s\tp95 %s\n", label, p.Alerts, p.P50.Round(time.Millisecond), p.P95.Round(time.Millisecond))
	}
	ttr("live", st.TimeToRespond)
	ttr("dry run", st.DryRun)
	return tw.Flush()
}

// writeRespondJSON prints v as indented JSON.
func writeRespondJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// firstSet returns the first of s that is not empty.
func firstSet(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
