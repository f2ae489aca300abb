package clickhouse_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/clickhouse"
)

// The column lists the writer uses agree with the tables the migrations
// create: same names, same types, same order, as DESCRIBE TABLE shows them.
func TestColumnsMatchTables(t *testing.T) {
	conn, db := migrated(t)
	for _, table := range []string{"events", "alerts", "identities", "response_actions", "permission_grants", "baseline_snapshots", "alert_dispositions", "response_times",
		"rightsize_identities", "rightsize_permissions"} {
		t.Run(table, func(t *testing.T) {
			var got []clickhouse.Column
			for _, r := range query(t, conn, "DESCRIBE TABLE "+db+"."+table) {
				got = append(got, clickhouse.Column{Name: r[0], Type: r[1]})
			}
			want := clickhouse.Columns(table)
			if !slices.Equal(got, want) {
				for i := range max(len(got), len(want)) {
					var g, w clickhouse.Column
					if i < len(got) {
						g = got[i]
					}
					if i < len(want) {
						w = want[i]
					}
					if g != w {
						t.Errorf("column %d: table has %s %s, the writer declares %s %s", i, g.Name, g.Type, w.Name, w.Type)
					}
				}
			}
		})
	}
}

// Every table, view and column the analysts see carries a comment, so that
// DESCRIBE TABLE and system.columns document the schema.
func TestSchemaIsDocumented(t *testing.T) {
	conn, db := migrated(t)
	for _, r := range query(t, conn, "SELECT name FROM system.tables WHERE database = ? AND comment = ''", db) {
		t.Errorf("table %s has no comment", r[0])
	}
	for _, r := range query(t, conn, "SELECT table, name FROM system.columns WHERE database = ? AND comment = '' AND "+
		"table NOT IN (SELECT name FROM system.tables WHERE database = ? AND engine = 'MaterializedView') ORDER BY table, position", db, db) {
		t.Errorf("column %s.%s has no comment", r[0], r[1])
	}
}

// The features map is built from every field of schemas.Features, nested
// ones under dotted names, with booleans as 1 and zero values left out.
func TestFeatureNames(t *testing.T) {
	if s := clickhouse.FeatureSkipped(); len(s) > 0 {
		t.Errorf("fields of schemas.Features the features map cannot hold (a string or a list?): %v; give them a column", s)
	}
	names := clickhouse.FeatureNames()
	for _, want := range []string{"baseline_events", "rate_ratio.5m", "rate_ratio.1h", "tokens_z.1d", "is_new_model", "days_since_first_seen.environment", "hour_typicality"} {
		if !slices.Contains(names, want) {
			t.Errorf("FeatureNames lacks %q: %v", want, names)
		}
	}
	for _, own := range []string{"available", "learning", "unavailable_reason"} {
		if slices.Contains(names, own) {
			t.Errorf("FeatureNames has %q, which has its own column", own)
		}
	}
	e := schemas.Event{Features: schemas.Features{
		Available: true, Learning: true, BaselineEvents: 12, IsNewModel: true,
		TokensRatio: schemas.Horizons{M5: 14.2}, DaysSinceFirstSeen: schemas.FirstSeenDays{Environment: 3},
	}}
	vals := clickhouse.EventValues(&e)
	got := vals[columnIndex(t, "events", "features")]
	want := map[string]float64{"baseline_events": 12, "is_new_model": 1, "tokens_ratio.5m": 14.2, "days_since_first_seen.environment": 3}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("features = %v, want %v", got, want)
	}
}

func columnIndex(t testing.TB, table, name string) int {
	t.Helper()
	i := slices.IndexFunc(clickhouse.Columns(table), func(c clickhouse.Column) bool { return c.Name == name })
	if i < 0 {
		t.Fatalf("%s has no column %s", table, name)
	}
	return i
}

// readGolden returns a golden file of the schemas packages.
func readGolden(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goldenEvents are the golden events of the schemas package.
func goldenEvents(t testing.TB) []schemas.Event {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "*.golden.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("golden events: %v (%d files)", err, len(files))
	}
	var out []schemas.Event
	for _, f := range files {
		if filepath.Base(f) == "identity.golden.json" {
			continue
		}
		var e schemas.Event
		if err := schemas.DecodeEvent(schemas.ContentTypeEventJSON, readGolden(t, f), &e); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		// Two goldens are the same event before and after scoring: keep
		// the later (scored) one.
		if i := slices.IndexFunc(out, func(o schemas.Event) bool { return o.ID == e.ID }); i >= 0 {
			out[i] = e
			continue
		}
		out = append(out, e)
	}
	return out
}

// Every column of the golden events reads back as written: each ClickHouse
// type the events table uses (String, LowCardinality, DateTime64, Bool,
// integers, floats, arrays, Nested, maps) round-trips through clickhouse-go.
func TestEventsRoundTrip(t *testing.T) {
	conn, db := migrated(t)
	events := goldenEvents(t)
	ctx := context.Background()
	if err := clickhouse.InsertEvents(ctx, conn, db, events, "roundtrip"); err != nil {
		t.Fatalf("insert: %v", err)
	}
	cols := clickhouse.Columns("events")
	for _, e := range events {
		t.Run(e.ID, func(t *testing.T) {
			want := clickhouse.EventValues(&e)
			got := readRow(t, conn, db+".events", "event_id", e.ID, cols, want)
			compareRow(t, cols, got, want)
			// And the values are the event's, field by field.
			for _, c := range []struct {
				column string
				want   any
			}{
				{"time", e.Time}, {"observed_time", e.ObservedTime}, {"product", string(e.Source.Product)},
				{"source_account", e.Source.Account}, {"identity_id", e.Identity.ID},
				{"identity_kind", string(e.Identity.Kind)}, {"identity_account_type", string(e.Identity.AccountType)},
				{"credential_id", e.Identity.CredentialID}, {"session_id", e.Session.ID}, {"session_mfa", e.Session.MFA},
				{"action_name", e.Action.Name}, {"category", string(e.Action.Category)}, {"target_id", e.Target.ID},
				{"target_environment", string(e.Target.Environment)}, {"outcome", string(e.Outcome)},
				{"error_code", e.Error.Code}, {"source_ip", e.Network.SourceIP}, {"asn", e.Network.ASN},
				{"country", e.Network.Country}, {"bytes_out", e.Volume.BytesOut}, {"tokens_in", e.Volume.TokensIn},
				{"tokens_out", e.Volume.TokensOut}, {"ai_model", e.AI.Model}, {"prompt_hash", e.AI.Prompt.Hash},
				{"identity_class", string(e.Enrichment.Class)}, {"owner", e.Enrichment.Owner},
				{"ai_service_status", string(e.Enrichment.AIServiceStatus)}, {"features_available", e.Features.Available},
				{"learning", e.Features.Learning}, {"labels", e.Labels}, {"attributes", e.Attributes},
				{"raw", string(e.Raw.Data)},
			} {
				if g, w := normalize(reflect.ValueOf(got[columnIndex(t, "events", c.column)])), normalize(reflect.ValueOf(c.want)); !reflect.DeepEqual(g, w) {
					t.Errorf("%s = %#v, want the event's %#v", c.column, g, w)
				}
			}
			if g := got[columnIndex(t, "events", "findings.count")].([]int32); len(g) != len(e.AI.Findings) {
				t.Errorf("findings.count = %v, want %d findings", g, len(e.AI.Findings))
			}
			if e.Features.TokensRatio.M5 != 0 {
				if g := got[columnIndex(t, "events", "features")].(map[string]float64)["tokens_ratio.5m"]; g != e.Features.TokensRatio.M5 {
					t.Errorf("features['tokens_ratio.5m'] = %v, want %v", g, e.Features.TokensRatio.M5)
				}
			}
		})
	}
}

// readRow reads the row of table where key = id, scanning each column into
// a value of the Go type of the matching value of like.
func readRow(t testing.TB, conn driver.Conn, table, key, id string, cols []clickhouse.Column, like []any) []any {
	t.Helper()
	names := make([]string, len(cols))
	dest := make([]any, len(cols))
	for i, c := range cols {
		names[i] = "`" + c.Name + "`"
		dest[i] = reflect.New(reflect.TypeOf(like[i])).Interface()
	}
	q := "SELECT " + strings.Join(names, ", ") + " FROM " + table + " FINAL WHERE " + key + " = ?"
	if err := conn.QueryRow(context.Background(), q, id).Scan(dest...); err != nil {
		t.Fatalf("read %s %s: %v", table, id, err)
	}
	out := make([]any, len(dest))
	for i, d := range dest {
		out[i] = reflect.ValueOf(d).Elem().Interface()
	}
	return out
}

// compareRow reports every column whose value read back differs from the
// value written.
func compareRow(t testing.TB, cols []clickhouse.Column, got, want []any) {
	t.Helper()
	for i, c := range cols {
		if g, w := normalize(reflect.ValueOf(got[i])), normalize(reflect.ValueOf(want[i])); !reflect.DeepEqual(g, w) {
			t.Errorf("column %s (%s): read %#v, wrote %#v", c.Name, c.Type, g, w)
		}
	}
}

// normalize turns v into comparable plain values: times as UTC text with
// milliseconds, nil and empty slices and maps alike, NaN as text.
func normalize(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	if tm, ok := v.Interface().(time.Time); ok {
		return tm.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return normalize(v.Elem())
	case reflect.Slice:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = normalize(v.Index(i))
		}
		return out
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		out := make([]any, 0, 2*len(keys))
		for _, k := range keys {
			out = append(out, normalize(k), normalize(v.MapIndex(k)))
		}
		return out
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) {
			return "NaN"
		}
		return v.Float()
	case reflect.String:
		return v.String()
	}
	return v.Interface()
}

// Every column of the golden alert reads back as written.
func TestAlertsRoundTrip(t *testing.T) {
	conn, db := migrated(t)
	b := readGolden(t, "../ocsf/testdata/llmjacking_agent.golden.json")
	if err := clickhouse.InsertAlert(context.Background(), conn, db, b); err != nil {
		t.Fatalf("insert: %v", err)
	}
	want, err := clickhouse.AlertValues(b)
	if err != nil {
		t.Fatal(err)
	}
	cols := clickhouse.Columns("alerts")
	id := want[columnIndex(t, "alerts", "alert_id")].(string)
	got := readRow(t, conn, db+".alerts", "alert_id", id, cols, want)
	compareRow(t, cols, got, want)
	for _, c := range []struct {
		name string
		want any
	}{
		{"atlas_techniques", []string{"AML.T0034"}},
		{"severity_id", uint8(4)},
		{"baselines.feature", []string{"tokens_ratio.5m", "is_new_model"}},
	} {
		if g := got[columnIndex(t, "alerts", c.name)]; !reflect.DeepEqual(g, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, g, c.want)
		}
	}
}

// Every column of the golden identity reads back as written.
func TestIdentitiesRoundTrip(t *testing.T) {
	conn, db := migrated(t)
	var id schemas.Identity
	if err := schemas.DecodeIdentity(schemas.ContentTypeIdentityJSON, readGolden(t, "../testdata/identity.golden.json"), &id); err != nil {
		t.Fatal(err)
	}
	updated := time.Date(2025, 3, 14, 10, 0, 0, 123_000_000, time.UTC)
	if err := clickhouse.InsertIdentity(context.Background(), conn, db, &id, updated); err != nil {
		t.Fatalf("insert: %v", err)
	}
	want := clickhouse.IdentityValues(&id, updated)
	cols := clickhouse.Columns("identities")
	compareRow(t, cols, readRow(t, conn, db+".identities", "identity_id", id.ID, cols, want), want)
}
