package clickhouse

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// migrationFS holds the migrations, NNNN_name.sql, applied in version order.
// A migration is never edited once released (Migrate refuses a database where
// an applied migration's checksum differs): changes go in a new file.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// Defaults of the Options fields left at their zero value.
const (
	// DefaultDatabase is the database the tables are created in.
	DefaultDatabase = "aitdr"
	// DefaultEventTTL is how long events are kept, by event time.
	DefaultEventTTL = 90 * 24 * time.Hour
	// DefaultSnapshotTTL is how long baseline snapshots are kept.
	DefaultSnapshotTTL = 400 * 24 * time.Hour
	// MaxTTL is the longest EventTTL and SnapshotTTL: TTLs are computed as
	// DateTime, which ends in 2106, and a TTL past it wraps around and
	// expires everything at once.
	MaxTTL = 20 * 365 * 24 * time.Hour
	// DefaultDedupWindow is the number of recent insert blocks whose
	// deduplication tokens a single-server table remembers
	// (non_replicated_deduplication_window), so that a retried insert of the
	// same batch is dropped.
	DefaultDedupWindow = 1000
)

// Options chooses how the schema is laid out. The zero value is a single
// server with the Default* constants.
type Options struct {
	// Database holds every table. Letters, digits and underscores, not
	// starting with a digit. Default DefaultDatabase.
	Database string `yaml:"database"`
	// Cluster is the ClickHouse cluster (remote_servers) to lay the schema
	// out on: every statement runs ON CLUSTER, each table <t> is a
	// Replicated*MergeTree table <t>_local on every node (ZooKeeper path
	// /clickhouse/tables/{shard}/{database}/{table}, replica '{replica}': the
	// nodes need the shard and replica macros) behind a Distributed table <t>
	// sharded by cityHash64(identity_id). Empty (the default) lays it out on
	// a single server with MergeTree tables.
	Cluster string `yaml:"cluster"`
	// EventTTL is how long events are kept after their event time, in whole
	// days (rounded up), at most MaxTTL. Events already older are dropped as
	// they are inserted (a backfill needs a longer TTL). Migrate changes the
	// TTL of an existing events table to match. Default DefaultEventTTL.
	EventTTL time.Duration `yaml:"event_ttl"`
	// SnapshotTTL is how long baseline snapshots are kept, in whole days
	// (rounded up), at most MaxTTL. Default DefaultSnapshotTTL.
	SnapshotTTL time.Duration `yaml:"snapshot_ttl"`
	// DedupWindow is non_replicated_deduplication_window of the single-server
	// tables: how many recent inserts a table remembers to drop a retried
	// one (Replicated tables remember 10000 by default). Applies when tables
	// are created. Default DefaultDedupWindow.
	DedupWindow int `yaml:"dedup_window"`
}

var (
	identRe   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	clusterRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
)

// Validate returns every problem of the options joined with errors.Join, each
// naming its field, or nil.
func (o Options) Validate() error {
	var errs []error
	if o.Database != "" && !identRe.MatchString(o.Database) {
		errs = append(errs, fmt.Errorf("database: %q is not a plain identifier (letters, digits, underscores)", o.Database))
	}
	if o.Cluster != "" && !clusterRe.MatchString(o.Cluster) {
		errs = append(errs, fmt.Errorf("cluster: %q is not a cluster name (letters, digits, '_', '.', '-')", o.Cluster))
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"event_ttl", o.EventTTL}, {"snapshot_ttl", o.SnapshotTTL}} {
		switch {
		case d.v < 0:
			errs = append(errs, fmt.Errorf("%s: %s is negative", d.field, d.v))
		case d.v > MaxTTL:
			errs = append(errs, fmt.Errorf("%s: %s is longer than %d days, past which ClickHouse's TTL dates wrap around", d.field, d.v, days(MaxTTL)))
		}
	}
	if o.DedupWindow < 0 {
		errs = append(errs, fmt.Errorf("dedup_window: %d is negative", o.DedupWindow))
	}
	return errors.Join(errs...)
}

func (o Options) withDefaults() Options {
	if o.Database == "" {
		o.Database = DefaultDatabase
	}
	if o.EventTTL == 0 {
		o.EventTTL = DefaultEventTTL
	}
	if o.SnapshotTTL == 0 {
		o.SnapshotTTL = DefaultSnapshotTTL
	}
	if o.DedupWindow == 0 {
		o.DedupWindow = DefaultDedupWindow
	}
	return o
}

// days is d in whole days, rounded up, at least 1.
func days(d time.Duration) int {
	const day = 24 * time.Hour
	return max(1, int((d+day-1)/day))
}

// Migration is one schema migration, rendered for some Options.
type Migration struct {
	// Version orders the migrations; applied ones are recorded by it.
	Version int
	// Name is the file name without the version and extension.
	Name string
	// Checksum is the hex SHA-256 of the migration file as embedded: the
	// same for every Options, so that changing a TTL or the database name
	// does not look like an edited migration.
	Checksum string
	// Statements are the rendered statements, in order, each idempotent.
	Statements []string
}

// String returns the file name stem, such as "0001_events".
func (m Migration) String() string { return fmt.Sprintf("%04d_%s", m.Version, m.Name) }

// migrationSource is one embedded migration file.
type migrationSource struct {
	version  int
	name     string
	checksum string
	tmpl     *template.Template
}

var migrationFileRe = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// sources parses the embedded migrations once.
var sources = sync.OnceValues(func() ([]migrationSource, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var out []migrationSource
	for _, e := range entries {
		m := migrationFileRe.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("embedded migration %s: name is not NNNN_name.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if want := len(out) + 1; v != want {
			return nil, fmt.Errorf("embedded migration %s: version %d, want %d (versions are consecutive from 1)", e.Name(), v, want)
		}
		b, err := fs.ReadFile(migrationFS, path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read embedded migration %s: %w", e.Name(), err)
		}
		t, err := template.New(e.Name()).Option("missingkey=error").Funcs(templateStubs).Parse(string(b))
		if err != nil {
			return nil, fmt.Errorf("parse embedded migration %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(b)
		out = append(out, migrationSource{version: v, name: m[2], checksum: hex.EncodeToString(sum[:]), tmpl: t})
	}
	return out, nil
})

// templateStubs declare the template functions for parsing; layout.funcs
// gives them their meaning for one Options.
var templateStubs = template.FuncMap{
	"db": func() string { return "" }, "on": func() string { return "" },
	"table":       func(string) string { return "" },
	"engine":      func(string, string) string { return "" },
	"settings":    func(...string) string { return "" },
	"distributed": func(string, string) string { return "" },
}

// layout renders the names and clauses that differ between a single server
// and a cluster.
type layout struct{ o Options }

// templateData is what the migrations read with {{.Field}}.
type templateData struct {
	EventTTLDays    int
	SnapshotTTLDays int
}

// quote returns s as a ClickHouse string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// on is the ON CLUSTER clause, with its leading space, or "".
func (l layout) on() string {
	if l.o.Cluster == "" {
		return ""
	}
	return " ON CLUSTER " + quote(l.o.Cluster)
}

// local is the name of the table that stores t: t itself on a single
// server, t_local on a cluster.
func (l layout) local(t string) string {
	if l.o.Cluster == "" {
		return t
	}
	return t + "_local"
}

// table is the qualified name of the table that stores t.
func (l layout) table(t string) string { return l.o.Database + "." + l.local(t) }

// engine is the table engine: name(args) on a single server, the Replicated
// variant with the ZooKeeper path and replica name first on a cluster.
func (l layout) engine(name, args string) string {
	if l.o.Cluster == "" {
		if args == "" {
			return name
		}
		return name + "(" + args + ")"
	}
	a := "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'"
	if args != "" {
		a += ", " + args
	}
	return "Replicated" + name + "(" + a + ")"
}

// settings is the body of a SETTINGS clause: extra, and on a single server
// the deduplication window of retried inserts.
func (l layout) settings(extra ...string) string {
	s := append([]string{"index_granularity = 8192"}, extra...)
	if l.o.Cluster == "" {
		s = append(s, fmt.Sprintf("non_replicated_deduplication_window = %d", l.o.DedupWindow))
	}
	return strings.Join(s, ", ")
}

// distributed is, on a cluster, the statement creating the Distributed
// table t over t_local sharded by key; "" on a single server.
func (l layout) distributed(t, key string) string {
	if l.o.Cluster == "" {
		return ""
	}
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s%s AS %s ENGINE = Distributed(%s, %s, %s, %s);",
		l.o.Database, t, l.on(), l.table(t), quote(l.o.Cluster), quote(l.o.Database), quote(l.local(t)), key)
}

func (l layout) funcs() template.FuncMap {
	return template.FuncMap{
		"db":          func() string { return l.o.Database },
		"on":          l.on,
		"table":       l.table,
		"engine":      l.engine,
		"settings":    l.settings,
		"distributed": l.distributed,
	}
}

// bootstrap returns the statements that create the database and the
// migrations table.
func (l layout) bootstrap() []string {
	engine := "ReplacingMergeTree(applied_at)"
	if l.o.Cluster != "" {
		// One table replicated to every node of every shard.
		engine = "ReplicatedReplacingMergeTree('/clickhouse/tables/{database}/schema_migrations', '{replica}', applied_at)"
	}
	return []string{
		"CREATE DATABASE IF NOT EXISTS " + l.o.Database + l.on(),
		"CREATE TABLE IF NOT EXISTS " + l.o.Database + ".schema_migrations" + l.on() + ` (
    version UInt32 COMMENT 'The migration version (the NNNN of NNNN_name.sql).',
    name String COMMENT 'The migration name.',
    checksum String COMMENT 'The hex SHA-256 of the migration file when it was applied.',
    applied_at DateTime64(3, 'UTC') COMMENT 'When it was applied.'
)
ENGINE = ` + engine + `
ORDER BY version
COMMENT 'The schema migrations applied to this database (aitdr schemas/clickhouse).'`,
	}
}

// Bootstrap returns the statements Migrate runs before any migration,
// rendered for opts: they create the database and the schema_migrations
// table that records the applied migrations.
func Bootstrap(opts Options) ([]string, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("clickhouse schema options: %w", err)
	}
	return layout{opts.withDefaults()}.bootstrap(), nil
}

// Migrations returns every migration of this build, rendered for opts.
func Migrations(opts Options) ([]Migration, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("clickhouse schema options: %w", err)
	}
	return render(opts.withDefaults())
}

func render(o Options) ([]Migration, error) {
	srcs, err := sources()
	if err != nil {
		return nil, err
	}
	l := layout{o}
	data := templateData{EventTTLDays: days(o.EventTTL), SnapshotTTLDays: days(o.SnapshotTTL)}
	out := make([]Migration, 0, len(srcs))
	for _, s := range srcs {
		t, err := s.tmpl.Clone()
		if err != nil {
			return nil, fmt.Errorf("render migration %04d_%s: %w", s.version, s.name, err)
		}
		var buf bytes.Buffer
		if err := t.Funcs(l.funcs()).Execute(&buf, data); err != nil {
			return nil, fmt.Errorf("render migration %04d_%s: %w", s.version, s.name, err)
		}
		out = append(out, Migration{
			Version: s.version, Name: s.name, Checksum: s.checksum,
			Statements: splitStatements(buf.String()),
		})
	}
	return out, nil
}

// Report is what Migrate did.
type Report struct {
	// Applied are the migrations this call applied, in order.
	Applied []Migration
	// Present are the migrations that were already applied.
	Present []Migration
	// Newer are versions recorded in the database that this build does not
	// have: a newer build migrated the database. They are left alone.
	Newer []int
	// TTLChanged names the tables whose TTL this call changed to match the
	// Options.
	TTLChanged []string
}

// ChecksumError is returned by Migrate when a migration recorded as applied
// has another checksum than the same migration in this build: the migration
// file was edited after it was released, and the database may not have the
// schema this build expects.
type ChecksumError struct {
	// Migration is the migration of this build.
	Migration Migration
	// Applied is the checksum recorded when it was applied.
	Applied string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("migration %s was applied with checksum %s but this build has %s: "+
		"applied migrations must not change, add a new migration instead", e.Migration, e.Applied, e.Migration.Checksum)
}

// Migrate creates the database and applies, in order, every migration of
// this build that the database's schema_migrations table does not record,
// recording each after its last statement succeeded; then it brings the
// TTLs of existing tables in line with opts.
//
// Every statement is idempotent (CREATE ... IF NOT EXISTS, ADD COLUMN IF NOT
// EXISTS), so several processes may migrate one database at the same time,
// and a migration interrupted half-way is completed by the next call. A
// recorded migration whose checksum differs from this build's fails with a
// *ChecksumError before anything is applied. Errors name the migration and
// the statement.
func Migrate(ctx context.Context, conn driver.Conn, opts Options) (Report, error) {
	var rep Report
	if err := opts.Validate(); err != nil {
		return rep, fmt.Errorf("clickhouse schema options: %w", err)
	}
	o := opts.withDefaults()
	ms, err := render(o)
	if err != nil {
		return rep, err
	}
	l := layout{o}
	for i, stmt := range l.bootstrap() {
		if err := conn.Exec(ctx, stmt); err != nil {
			return rep, fmt.Errorf("create %s: bootstrap statement %d (%s): %w", o.Database, i+1, summary(stmt), err)
		}
	}
	applied, err := appliedMigrations(ctx, conn, o.Database)
	if err != nil {
		return rep, err
	}
	known := make(map[int]bool, len(ms))
	for _, m := range ms {
		known[m.Version] = true
		a, ok := applied[m.Version]
		if !ok {
			continue
		}
		if a.checksum != m.Checksum {
			return rep, &ChecksumError{Migration: m, Applied: a.checksum}
		}
	}
	for v := range applied {
		if !known[v] {
			rep.Newer = append(rep.Newer, v)
		}
	}
	slices.Sort(rep.Newer)
	for _, m := range ms {
		if _, ok := applied[m.Version]; ok {
			rep.Present = append(rep.Present, m)
			continue
		}
		for i, stmt := range m.Statements {
			if err := conn.Exec(ctx, stmt); err != nil {
				return rep, fmt.Errorf("apply migration %s: statement %d (%s): %w", m, i+1, summary(stmt), err)
			}
		}
		err := conn.Exec(ctx, "INSERT INTO "+o.Database+".schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, now64(3))",
			uint32(m.Version), m.Name, m.Checksum)
		if err != nil {
			return rep, fmt.Errorf("record migration %s in %s.schema_migrations: %w", m, o.Database, err)
		}
		rep.Applied = append(rep.Applied, m)
	}
	changed, err := reconcileTTLs(ctx, conn, l)
	rep.TTLChanged = changed
	return rep, err
}

// appliedMigration is one row of schema_migrations, the latest per version.
type appliedMigration struct {
	name, checksum string
}

func appliedMigrations(ctx context.Context, conn driver.Conn, db string) (map[int]appliedMigration, error) {
	rows, err := conn.Query(ctx, "SELECT version, argMax(name, applied_at), argMax(checksum, applied_at) FROM "+
		db+".schema_migrations GROUP BY version ORDER BY version")
	if err != nil {
		return nil, fmt.Errorf("read %s.schema_migrations: %w", db, err)
	}
	defer rows.Close()
	out := make(map[int]appliedMigration)
	for rows.Next() {
		var (
			v uint32
			a appliedMigration
		)
		if err := rows.Scan(&v, &a.name, &a.checksum); err != nil {
			return nil, fmt.Errorf("read %s.schema_migrations: %w", db, err)
		}
		out[int(v)] = a
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s.schema_migrations: %w", db, err)
	}
	return out, nil
}

// ttlSpec is a table whose TTL follows the Options.
type ttlSpec struct {
	table, column string
	days          func(Options) int
}

var ttlSpecs = []ttlSpec{
	{"events", "time", func(o Options) int { return days(o.EventTTL) }},
	{"baseline_snapshots", "snapshot_time", func(o Options) int { return days(o.SnapshotTTL) }},
}

// ttlDaysRe finds the TTL of a table in system.tables.engine_full, as
// ClickHouse prints "TTL toDateTime(time) + toIntervalDay(90)".
var ttlDaysRe = regexp.MustCompile(`\bTTL\s+toDateTime\(\w+\)\s*\+\s*toIntervalDay\((\d+)\)`)

// reconcileTTLs changes the TTL of the tables whose TTL differs from the
// Options and returns their names.
func reconcileTTLs(ctx context.Context, conn driver.Conn, l layout) ([]string, error) {
	var changed []string
	for _, s := range ttlSpecs {
		want := s.days(l.o)
		var engine string
		err := conn.QueryRow(ctx, "SELECT engine_full FROM system.tables WHERE database = "+quote(l.o.Database)+
			" AND name = "+quote(l.local(s.table))).Scan(&engine)
		if err != nil {
			return changed, fmt.Errorf("read the TTL of %s: %w", l.table(s.table), err)
		}
		if m := ttlDaysRe.FindStringSubmatch(engine); m != nil && m[1] == strconv.Itoa(want) {
			continue
		}
		stmt := fmt.Sprintf("ALTER TABLE %s%s MODIFY TTL toDateTime(%s) + toIntervalDay(%d)", l.table(s.table), l.on(), s.column, want)
		if err := conn.Exec(ctx, stmt); err != nil {
			return changed, fmt.Errorf("change the TTL of %s to %d days: %w", l.table(s.table), want, err)
		}
		changed = append(changed, s.table)
	}
	return changed, nil
}

// summary is the first line of code of a statement, shortened, for errors.
func summary(stmt string) string {
	for line := range strings.SplitSeq(stmt, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "--") || strings.HasPrefix(line, "# ") {
			continue
		}
		if len(line) > 100 {
			line = line[:100] + "..."
		}
		return line
	}
	return ""
}
