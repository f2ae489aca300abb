package clickhouse_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aitdr/aitdr/schemas/clickhouse"
)

// Migrating a new database applies every migration and records it; running
// Migrate again applies nothing and changes nothing.
func TestMigrateAppliesOnce(t *testing.T) {
	conn := connect(t)
	db := database(t)
	ctx := context.Background()
	ms, err := clickhouse.Migrations(clickhouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := clickhouse.Migrate(ctx, conn, clickhouse.Options{Database: db})
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if len(rep.Applied) != len(ms) || len(rep.Present) != 0 {
		t.Fatalf("first migrate applied %d and found %d present, want %d and 0", len(rep.Applied), len(rep.Present), len(ms))
	}
	if n := queryInt(t, conn, "SELECT count() FROM "+db+".schema_migrations FINAL"); n != int64(len(ms)) {
		t.Fatalf("schema_migrations holds %d versions, want %d", n, len(ms))
	}
	tables := query(t, conn, "SELECT name, create_table_query FROM system.tables WHERE database = ? ORDER BY name", db)
	rep, err = clickhouse.Migrate(ctx, conn, clickhouse.Options{Database: db})
	if err != nil {
		t.Fatalf("migrate again: %v", err)
	}
	if len(rep.Applied) != 0 || len(rep.Present) != len(ms) || len(rep.TTLChanged) != 0 || len(rep.Newer) != 0 {
		t.Fatalf("second migrate: %d applied, %d present, TTL changed %v, newer %v; want 0, %d, none, none",
			len(rep.Applied), len(rep.Present), rep.TTLChanged, rep.Newer, len(ms))
	}
	if again := query(t, conn, "SELECT name, create_table_query FROM system.tables WHERE database = ? ORDER BY name", db); fmt.Sprint(again) != fmt.Sprint(tables) {
		t.Errorf("the second migrate changed the tables:\nbefore %v\nafter  %v", tables, again)
	}
	for _, want := range []string{"events", "identities", "alerts", "alert_dispositions", "response_actions",
		"permission_grants", "permission_usage", "permission_usage_mv", "baseline_snapshots",
		"identity_hourly_activity", "identity_hourly_activity_mv", "identity_daily_volume", "identity_daily_volume_mv", "response_times", "schema_migrations"} {
		if !strings.Contains(fmt.Sprint(tables), "["+want+" ") {
			t.Errorf("no table %s after migrating", want)
		}
	}
}

// Two processes migrating one database at the same time both succeed and
// leave it fully migrated, each version recorded once after merges.
func TestMigrateConcurrently(t *testing.T) {
	db := database(t)
	ms, err := clickhouse.Migrations(clickhouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		conn := connect(t)
		wg.Go(func() {
			_, errs[i] = clickhouse.Migrate(context.Background(), conn, clickhouse.Options{Database: db})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("migrator %d: %v", i, err)
		}
	}
	conn := connect(t)
	if n := queryInt(t, conn, "SELECT uniqExact(version) FROM "+db+".schema_migrations"); n != int64(len(ms)) {
		t.Errorf("%d versions recorded, want %d", n, len(ms))
	}
	rep, err := clickhouse.Migrate(context.Background(), conn, clickhouse.Options{Database: db})
	if err != nil || len(rep.Applied) != 0 {
		t.Errorf("migrate after the concurrent ones: %d applied, %v; want 0, nil", len(rep.Applied), err)
	}
}

// A migration recorded with another checksum than this build's (its file
// was edited after release) stops Migrate with an error naming it, before
// anything else is applied.
func TestMigrateDetectsEditedMigration(t *testing.T) {
	conn, db := migrated(t)
	exec(t, conn, "INSERT INTO "+db+".schema_migrations (version, name, checksum, applied_at) VALUES (3, 'alerts', 'feedface', now64(3) + 1)")
	_, err := clickhouse.Migrate(context.Background(), conn, clickhouse.Options{Database: db})
	var ce *clickhouse.ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("migrate = %v, want a *ChecksumError", err)
	}
	if ce.Migration.Version != 3 || ce.Applied != "feedface" || !strings.Contains(err.Error(), "0003_alerts") {
		t.Errorf("error %q (version %d, applied %q): want it to name 0003_alerts and checksum feedface", err, ce.Migration.Version, ce.Applied)
	}
}

// A database migrated by a newer build (a version this build does not have)
// is reported and left alone.
func TestMigrateReportsNewerVersions(t *testing.T) {
	conn, db := migrated(t)
	exec(t, conn, "INSERT INTO "+db+".schema_migrations (version, name, checksum, applied_at) VALUES (999, 'future', 'abc', now64(3))")
	rep, err := clickhouse.Migrate(context.Background(), conn, clickhouse.Options{Database: db, EventTTL: keepLong})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rep.Newer) != "[999]" {
		t.Errorf("Newer = %v, want [999]", rep.Newer)
	}
}

// Changing the configured TTLs changes the TTL of the existing tables.
func TestMigrateChangesTTL(t *testing.T) {
	conn, db := migrated(t)
	rep, err := clickhouse.Migrate(context.Background(), conn, clickhouse.Options{Database: db, EventTTL: 30 * 24 * time.Hour, SnapshotTTL: 36 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rep.TTLChanged) != "[events baseline_snapshots]" {
		t.Errorf("TTLChanged = %v, want [events baseline_snapshots]", rep.TTLChanged)
	}
	for table, want := range map[string]string{"events": "toIntervalDay(30)", "baseline_snapshots": "toIntervalDay(2)"} {
		if e := query(t, conn, "SELECT engine_full FROM system.tables WHERE database = ? AND name = ?", db, table); !strings.Contains(fmt.Sprint(e), want) {
			t.Errorf("%s: %v, want a TTL of %s", table, e, want)
		}
	}
	rep, err = clickhouse.Migrate(context.Background(), conn, clickhouse.Options{Database: db, EventTTL: 30 * 24 * time.Hour, SnapshotTTL: 36 * time.Hour})
	if err != nil || len(rep.TTLChanged) != 0 {
		t.Errorf("migrate again with the same TTLs: changed %v, %v; want none", rep.TTLChanged, err)
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts clickhouse.Options
		want []string
	}{
		{"zero", clickhouse.Options{}, nil},
		{"cluster", clickhouse.Options{Database: "prod_1", Cluster: "aitdr-cluster.eu"}, nil},
		{"bad names", clickhouse.Options{Database: "a-b", Cluster: "x y"}, []string{"database: \"a-b\"", "cluster: \"x y\""}},
		{"bad durations", clickhouse.Options{EventTTL: -time.Hour, SnapshotTTL: 30 * 365 * 24 * time.Hour, DedupWindow: -1},
			[]string{"event_ttl: -1h0m0s is negative", "snapshot_ttl: 262800h0m0s is longer than 7300 days", "dedup_window: -1 is negative"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if (err == nil) != (len(tc.want) == 0) {
				t.Fatalf("Validate() = %v, want errors %q", err, tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

// Every statement of every migration can run again without effect: it
// creates only what does not exist and adds only columns that are missing.
func TestMigrationsAreIdempotent(t *testing.T) {
	idempotent := regexp.MustCompile(`(?is)^\s*(` +
		`CREATE (TABLE|MATERIALIZED VIEW|VIEW|DATABASE|DICTIONARY) IF NOT EXISTS` +
		`|ALTER TABLE \S+( ON CLUSTER '[^']+')? (ADD (COLUMN|INDEX|PROJECTION) IF NOT EXISTS|DROP (COLUMN|INDEX|PROJECTION) IF EXISTS|MODIFY (TTL|COMMENT|SETTING)|COMMENT COLUMN IF EXISTS|MODIFY COLUMN IF EXISTS))`)
	for _, opts := range []clickhouse.Options{{}, {Cluster: "c"}} {
		ms, err := clickhouse.Migrations(opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			for i, stmt := range m.Statements {
				if !idempotent.MatchString(stripComments(stmt)) {
					t.Errorf("migration %s (cluster %q) statement %d is not idempotent:\n%s", m, opts.Cluster, i+1, stmt)
				}
			}
		}
	}
}

// stripComments removes leading comment lines.
func stripComments(stmt string) string {
	lines := strings.Split(stmt, "\n")
	for len(lines) > 0 && (strings.HasPrefix(strings.TrimSpace(lines[0]), "--") || strings.TrimSpace(lines[0]) == "") {
		lines = lines[1:]
	}
	return strings.Join(lines, "\n")
}

// The migrations rendered for a single server and for a cluster are kept in
// testdata/{single,cluster} for review (go test -update rewrites them), and
// every cluster statement is valid ClickHouse syntax: the engine parses it
// (EXPLAIN AST) although it cannot run it without a cluster.
func TestMigrationsGolden(t *testing.T) {
	conn := connect(t)
	for _, tc := range []struct {
		dir  string
		opts clickhouse.Options
	}{
		{"single", clickhouse.Options{}},
		{"cluster", clickhouse.Options{Cluster: "aitdr"}},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			ms, err := clickhouse.Migrations(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			boot := clickhouse.BootstrapStatements(tc.opts)
			files := map[string]string{"0000_bootstrap.sql": strings.Join(boot, ";\n\n") + ";\n"}
			all := map[string][]string{"0000_bootstrap": boot}
			for _, m := range ms {
				files[m.String()+".sql"] = strings.Join(m.Statements, ";\n\n") + ";\n"
				all[m.String()] = m.Statements
			}
			if tc.opts.Cluster != "" {
				for name, stmts := range all {
					for i, stmt := range stmts {
						if err := conn.Exec(context.Background(), "EXPLAIN AST "+stmt); err != nil {
							t.Errorf("%s statement %d does not parse: %v\n%s", name, i+1, err, stmt)
						}
					}
				}
			}
			dir := filepath.Join("testdata", tc.dir)
			for name, text := range files {
				path := filepath.Join(dir, name)
				if *update {
					if err := os.MkdirAll(dir, 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update to write the golden files)", err)
				}
				if string(want) != text {
					t.Errorf("%s differs from the rendered migration; review and run go test -update:\n%s", path, text)
				}
			}
			if entries, _ := os.ReadDir(dir); len(entries) != len(files) {
				t.Errorf("%s holds %d files, want %d: remove stale ones", dir, len(entries), len(files))
			}
		})
	}
}
