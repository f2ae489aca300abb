package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/spf13/cobra"

	"github.com/aitdr/aitdr/ingest/grants"
	"github.com/aitdr/aitdr/internal/config"
	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

func newGrantsCommand(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "grants",
		Short: "Import permission snapshots (AWS IAM, Google Cloud IAM, Kubernetes RBAC, Okta, Entra, GitHub) into ClickHouse",
	}
	cmd.AddCommand(newGrantsImportCommand(g), newGrantsWatchCommand(g))
	return cmd
}

// storeFlags choose the ClickHouse a command reads or writes.
type storeFlags struct {
	dsn, database, dataDir string
	embedded               bool
}

func (f *storeFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.dsn, "dsn", "", "ClickHouse DSN (default clickhouse.dsn, else the embedded engine's HTTP interface)")
	cmd.Flags().StringVar(&f.database, "database", "", "the database when the DSN names none (default clickhouse.schema.database, aitdr)")
	cmd.Flags().BoolVar(&f.embedded, "embedded", false, "open the embedded engine's data directory (<data_dir>/clickhouse) in this process instead of connecting")
	cmd.Flags().StringVar(&f.dataDir, "data-dir", "", "open the embedded engine on this data directory in this process (implies --embedded)")
}

// open connects to ClickHouse as the flags and cfg say, applies the
// migrations when clickhouse.migrate is set, and returns a connection
// whose default database is the one returned; closeFn closes both.
func (f *storeFlags) open(ctx context.Context, cfg config.Config, stderr io.Writer) (conn driver.Conn, database string, closeFn func(), err error) {
	database = f.database
	if database == "" {
		database = cfg.ClickHouse.Schema.Database
	}
	if database == "" {
		database = chschema.DefaultDatabase
	}
	dsn := f.dsn
	embedded := f.embedded || f.dataDir != ""
	if embedded && dsn != "" {
		return nil, "", nil, errors.New("--dsn connects to a running ClickHouse, --embedded and --data-dir open one: give one or the other")
	}
	stop := func() error { return nil }
	if embedded {
		ch := clickhouseConfig(cfg)
		ch.Listen = "127.0.0.1:0"
		if f.dataDir != "" {
			ch.DataDir = f.dataDir
		}
		quiet := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		if dsn, stop, err = openEmbedded(ctx, ch, quiet); err != nil {
			return nil, "", nil, err
		}
	}
	if dsn == "" {
		dsn = cfg.ClickHouse.DSN
	}
	if dsn == "" {
		dsn = "http://" + cfg.ClickHouse.Embedded.Listen
	}
	if dsn, err = withDatabase(dsn, database); err != nil {
		_ = stop()
		return nil, "", nil, err
	}
	u, err := url.Parse(dsn)
	if err != nil {
		_ = stop()
		return nil, "", nil, fmt.Errorf("clickhouse dsn: %w", err)
	}
	database = strings.Trim(u.Path, "/")
	if cfg.ClickHouse.Migrate {
		// The database may not exist yet: migrate over a connection
		// without one.
		admin := *u
		admin.Path = ""
		if err := migrateDatabase(ctx, admin.String(), cfg, database); err != nil {
			_ = stop()
			return nil, "", nil, err
		}
	}
	conn, err = chschema.Connect(dsn)
	if err != nil {
		_ = stop()
		return nil, "", nil, err
	}
	closeFn = func() {
		_ = conn.Close()
		if err := stop(); err != nil {
			fmt.Fprintln(stderr, "aitdr: close the embedded clickhouse:", err)
		}
	}
	return conn, database, closeFn, nil
}

// migrateDatabase applies the schema migrations to database.
func migrateDatabase(ctx context.Context, dsn string, cfg config.Config, database string) error {
	conn, err := chschema.Connect(dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	opts := cfg.ClickHouse.Schema
	opts.Database = database
	if _, err := chschema.Migrate(ctx, conn, opts); err != nil {
		return fmt.Errorf("migrate clickhouse database %s: %w", database, err)
	}
	return nil
}

// grantsAccounts are the account names of identity ids: the ingest
// sources' settings, then the flags.
type grantsAccounts struct{ okta, entra, gcp, k8s, github string }

func (a *grantsAccounts) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&a.okta, "okta-org", "", "the Okta org domain of Okta identity ids (default ingest.sources.okta_org, else the links' host)")
	cmd.Flags().StringVar(&a.entra, "entra-tenant", "", "the Entra tenant id of Entra identity ids (default ingest.sources.entra_tenant)")
	cmd.Flags().StringVar(&a.gcp, "gcp-org", "", "the Google Cloud organization of user identity ids (default ingest.sources.gcp_org, else the mail domain)")
	cmd.Flags().StringVar(&a.k8s, "k8s-cluster", "", "the Kubernetes cluster of RBAC files (default ingest.sources.k8s_cluster, else default)")
	cmd.Flags().StringVar(&a.github, "github-account", "", "the GitHub enterprise or organization of token grants (default grants.github_account)")
}

func (a *grantsAccounts) resolve(cfg config.Config) grants.Accounts {
	s := cfg.Ingest.Sources
	return grants.Accounts{
		OktaOrg:       firstSet(a.okta, s.OktaOrg),
		EntraTenant:   firstSet(a.entra, s.EntraTenant),
		GCPOrg:        firstSet(a.gcp, s.GCPOrg),
		K8sCluster:    firstSet(a.k8s, s.K8sCluster),
		GitHubAccount: firstSet(a.github, cfg.Grants.GitHubAccount),
	}
}

func newGrantsImportCommand(g *globalFlags) *cobra.Command {
	var (
		store        storeFlags
		accounts     grantsAccounts
		snapshotTime string
		dryRun       bool
	)
	cmd := &cobra.Command{
		Use:   "import FILE|DIR...",
		Short: "Import permission snapshot files into ClickHouse's permission_grants",
		Long: `Import reads permission snapshots and stores the permissions each identity
holds in ClickHouse's permission_grants table, with the snapshot time (each
file's modification time unless --snapshot-time is given) and scope, so that
importing a file again changes nothing. The format of each file is detected:

  aws iam get-account-authorization-details --output json
  gcloud projects get-iam-policy PROJECT --format=json, or
    gcloud asset search-all-iam-policies --format=json
  kubectl get roles,clusterroles,rolebindings,clusterrolebindings -A -o yaml
  Okta GET /api/v1/apps/{appId}/users (AppUser lists)
  Microsoft Graph appRoleAssignments (and servicePrincipals, to resolve them)
  GitHub GET /orgs/{org}/credential-authorizations and
    GET /orgs/{org}/personal-access-tokens

Wildcards, NotAction and roles are expanded against the shipped catalogs;
explicit denies and permission boundaries apply. A malformed policy
document is reported with the file and JSON path and skipped, and the rest
of the file imported; actions and roles the catalogs do not know are
listed, never guessed. The command fails when a file could not be imported
at all. docs/protect.md says how to export each snapshot.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			var at time.Time
			if snapshotTime != "" {
				if at, err = parseTime(snapshotTime); err != nil {
					return fmt.Errorf("--snapshot-time: %w", err)
				}
			}
			acc := accounts.resolve(cfg)
			out, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			var results []grants.FileResult
			if dryRun {
				if results, _, err = grants.NewImporter(nil, "", acc).Parse(args); err != nil {
					return err
				}
			} else {
				conn, database, closeFn, err := store.open(cmd.Context(), cfg, stderr)
				if err != nil {
					return err
				}
				defer closeFn()
				results, err = grants.NewImporter(conn, database, acc).Import(cmd.Context(), args, at)
				printGrantResults(out, results, false)
				if err != nil {
					return err
				}
				return importFailures(results)
			}
			printGrantResults(out, results, true)
			return importFailures(results)
		},
	}
	store.add(cmd)
	accounts.add(cmd)
	cmd.Flags().StringVar(&snapshotTime, "snapshot-time", "", "the time the snapshots were taken (UTC, 2026-01-01T08:00:00Z); default each file's modification time")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "read and report the files without storing anything")
	return cmd
}

// printGrantResults writes one line per file, then its problems and the
// names the catalogs do not know.
func printGrantResults(w io.Writer, results []grants.FileResult, dryRun bool) {
	verb := "imported"
	if dryRun {
		verb = "read"
	}
	for _, r := range results {
		name := filepath.ToSlash(r.File)
		if r.Err != nil {
			fmt.Fprintf(w, "%s: not imported: %v\n", name, r.Err)
			continue
		}
		fmt.Fprintf(w, "%s: %s %s, scope %s: %d grants of %d identities", name, verb, r.Format, r.Scope, r.Grants, r.Identities)
		if r.Unattributed > 0 {
			fmt.Fprintf(w, ", %d grants to groups or the public not attributed", r.Unattributed)
		}
		fmt.Fprintln(w)
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  skipped: %s\n", p.Error())
		}
		for _, u := range r.Unknown {
			fmt.Fprintf(w, "  not in the catalog, not expanded: %s (%s)\n", u.What, u.Path)
		}
	}
}

func importFailures(results []grants.FileResult) error {
	failed := 0
	for _, r := range results {
		if r.Err != nil {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be imported", failed, len(results))
	}
	return nil
}

// parseTime reads a UTC time or date.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time such as 2026-01-01 or 2026-01-01T08:00:00Z", s)
}

func newGrantsWatchCommand(g *globalFlags) *cobra.Command {
	var (
		store    storeFlags
		accounts grantsAccounts
		interval time.Duration
	)
	cmd := &cobra.Command{
		Use:   "watch DIR",
		Short: "Import the permission snapshots dropped in a folder, now and whenever they change",
		Long: `Watch imports every snapshot in DIR (see "aitdr grants import"), then
looks at the folder every --interval and imports each new or changed file
once it has stopped changing, until interrupted. A file that cannot be
imported is logged with its cause; what its previous version stored keeps
serving. "aitdr run" does the same for the folder of grants.folder.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if interval <= 0 {
				interval = cfg.Grants.Interval
			}
			conn, database, closeFn, err := store.open(cmd.Context(), cfg, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer closeFn()
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			f := grants.NewFolder(grants.NewImporter(conn, database, accounts.resolve(cfg)), args[0], interval, logger)
			if err := f.Run(cmd.Context()); err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			return nil
		},
	}
	store.add(cmd)
	accounts.add(cmd)
	cmd.Flags().DurationVar(&interval, "interval", 0, "how often to look at the folder (default grants.interval, 15m)")
	return cmd
}

// newGrantsImporter returns the scheduled folder import of cfg.Grants
// writing through chConn, or nil (and no error) when grants.folder is not
// set. aitdr run starts it beside the stages.
func newGrantsImporter(cfg config.Config, chConn driver.Conn, logger *slog.Logger) (interface{ Run(context.Context) error }, error) {
	if cfg.Grants.Folder == "" {
		return nil, nil
	}
	if chConn == nil {
		return nil, errors.New("grants: the folder import needs a ClickHouse connection")
	}
	database := cfg.ClickHouse.Schema.Database
	if database == "" {
		database = chschema.DefaultDatabase
	}
	var accounts grantsAccounts
	im := grants.NewImporter(chConn, database, accounts.resolve(cfg))
	return grants.NewFolder(im, cfg.Grants.Folder, cfg.Grants.Interval, logger), nil
}
