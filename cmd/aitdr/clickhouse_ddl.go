package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

func newClickHouseDDLCommand(g *globalFlags) *cobra.Command {
	var cluster, database string
	var record bool
	cmd := &cobra.Command{
		Use:   "ddl [--cluster NAME]",
		Short: "Print the ClickHouse schema as SQL: every migration, for a single server or a cluster",
		Long: `DDL prints the statements "aitdr provision" (and every stage with
clickhouse.migrate) applies through Migrate, in order: the database and the
schema_migrations table, then each migration, and the rows that record the
migrations as applied. Nothing is connected to.

With --cluster (default clickhouse.schema.cluster) every statement runs ON
CLUSTER, each table is a Replicated*MergeTree <table>_local on every node
(ZooKeeper path /clickhouse/tables/{shard}/{database}/{table}, replica
'{replica}': the nodes need the shard and replica macros) behind a
Distributed <table> sharded by cityHash64(identity_id). Without it the
layout is a single server's.

Use it to review a schema change before an upgrade, or to let a database
administrator apply it (clickhouse-client --multiquery < schema.sql on one
node); the recorded rows make a later Migrate find it applied.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			opts := cfg.ClickHouse.Schema
			if cmd.Flags().Changed("cluster") {
				opts.Cluster = cluster
			}
			if cmd.Flags().Changed("database") {
				opts.Database = database
			}
			return writeDDL(cmd.OutOrStdout(), opts, record)
		},
	}
	cmd.Flags().StringVar(&cluster, "cluster", "", "the ClickHouse cluster (remote_servers) to lay the schema out on; empty for a single server (default clickhouse.schema.cluster)")
	cmd.Flags().StringVar(&database, "database", "", "the database (default clickhouse.schema.database, aitdr)")
	cmd.Flags().BoolVar(&record, "record", true, "end with the INSERTs that record each migration in schema_migrations, as Migrate does")
	return cmd
}

// writeDDL writes the bootstrap statements and every migration rendered
// for opts, each statement ending in ";" and a blank line.
func writeDDL(w io.Writer, opts chschema.Options, record bool) error {
	boot, err := chschema.Bootstrap(opts)
	if err != nil {
		return err
	}
	ms, err := chschema.Migrations(opts)
	if err != nil {
		return err
	}
	database := opts.Database
	if database == "" {
		database = chschema.DefaultDatabase
	}
	layout := "a single server"
	if opts.Cluster != "" {
		layout = "cluster '" + opts.Cluster + "'"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- The aitdr ClickHouse schema, database %s, laid out for %s:\n", database, layout)
	fmt.Fprintf(&b, "-- migrations %s to %s, printed by aitdr clickhouse ddl. Statements are\n", ms[0], ms[len(ms)-1])
	b.WriteString("-- idempotent; aitdr provision applies the same through Migrate.\n\n")
	b.WriteString("-- bootstrap: the database and the migrations table\n")
	for _, stmt := range boot {
		b.WriteString(stmt + ";\n\n")
	}
	for _, m := range ms {
		fmt.Fprintf(&b, "-- migration %s (sha256 %s)\n", m, m.Checksum)
		for _, stmt := range m.Statements {
			b.WriteString(stmt + ";\n\n")
		}
	}
	if record {
		b.WriteString("-- record the migrations as applied, so that Migrate finds them\n")
		for _, m := range ms {
			fmt.Fprintf(&b, "INSERT INTO %s.schema_migrations (version, name, checksum, applied_at) VALUES (%d, '%s', '%s', now64(3));\n",
				database, m.Version, m.Name, m.Checksum)
		}
	}
	_, err = io.WriteString(w, b.String())
	return err
}
