package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/enrich/report"
	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

// TestInventoryReport runs "aitdr inventory report" against the embedded
// engine, over its HTTP interface (--dsn) and then on its data directory
// in process (--data-dir), in every format. It needs libchdb.so.
func TestInventoryReport(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "clickhouse")
	srv, stop := serveClickHouse(t, dataDir)
	ctx := t.Context()

	conn, err := chschema.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	const db = "inv_test"
	if _, err := chschema.Migrate(ctx, conn, chschema.Options{Database: db}); err != nil {
		t.Fatal(err)
	}
	recent := time.Now().UTC().Add(-2 * time.Hour).Format("2006-01-02 15:04:05")
	old := time.Now().UTC().Add(-10 * 24 * time.Hour).Format("2006-01-02 15:04:05")
	for _, sql := range []string{
		`INSERT INTO inv_test.identities (identity_id, kind, class, account_type, display_name, email, last_seen, updated_at) VALUES
			('okta:acme:00u1', 'human', 'ai_user', 'corporate', 'Alice', 'alice@acme.example', '` + recent + `', '` + recent + `'),
			('aws:1:role/agent', 'agent', 'ai_agent', 'corporate', '', '', '` + recent + `', '` + recent + `'),
			('aws:1:role/old-agent', 'agent', 'ai_agent', 'corporate', '', '', '` + old + `', '` + old + `')`,
		`INSERT INTO inv_test.events (event_id, time, observed_time, identity_id, identity_class, identity_account_type, ai_service, ai_service_status) VALUES
			('e1', '` + recent + `', '` + recent + `', 'openai:home:user/al@gmail.com', 'ai_user', 'personal', 'chatgpt', 'shadow')`,
	} {
		if err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()

	assumed := filepath.Join(t.TempDir(), "assumed.csv")
	if err := os.WriteFile(assumed, []byte("email,class\nalice@acme.example,ai_user\nbob@acme.example,ai_user\nnot-an-email,ai_user\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		cmd := newRootCommand()
		cmd.SetArgs(append([]string{"inventory", "report", "--database", db, "--assumed", assumed}, args...))
		cmd.SetOut(&out)
		cmd.SetErr(&errOut)
		err := cmd.ExecuteContext(context.Background())
		return out.String(), errOut.String(), err
	}

	table, stderr, err := run("--dsn", srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(table, "aitdr visibility report, ") ||
		!strings.Contains(table, "Observed 4 AI identities, the assumed inventory knew 1 (25.0%).") {
		t.Errorf("table:\n%s", table)
	}
	if !strings.Contains(stderr, assumed+`:4:1: email "not-an-email" is not an e-mail address`) {
		t.Errorf("the bad row is not reported on stderr: %q", stderr)
	}

	// --since leaves out the agent last seen ten days ago; --out writes a file.
	jsonPath := filepath.Join(t.TempDir(), "report.json")
	if _, _, err := run("--dsn", srv.URL(), "--since", "3d", "--format", "json", "--out", jsonPath); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Headline.ObservedAI != 3 || r.Headline.KnownAI != 1 || r.Since.IsZero() || len(r.AssumedNotSeen) != 1 ||
		len(r.ShadowAI.PersonalAccounts) != 1 || r.HighRisk.PermissionSnapshots {
		t.Errorf("json report: %s", b)
	}

	for _, c := range []struct{ format, want string }{
		{"csv", strings.Join(report.CSVHeader, ",") + "\n"},
		{"html", "<!DOCTYPE html>"},
	} {
		out, _, err := run("--dsn", srv.URL(), "--format", c.format)
		if err != nil || !strings.HasPrefix(out, c.want) {
			t.Errorf("--format %s: %v\n%.200s", c.format, err, out)
		}
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "pdf"}, `--format: format "pdf": want table, json, csv or html`},
		{[]string{"--since", "yesterday"}, `--since "yesterday"`},
		{[]string{"--min-unused-share", "2"}, "--min-unused-share 2"},
		{[]string{"--dsn", srv.URL(), "--database", "nowhere"}, "inventory report from database nowhere"},
		{[]string{"--dsn", srv.URL(), "--data-dir", dataDir}, "give one or the other"},
	} {
		if _, _, err := run(c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
	if _, _, err := run("--assumed", filepath.Join(t.TempDir(), "none.csv")); err == nil || !strings.Contains(err.Error(), "none.csv") {
		t.Errorf("a missing assumed file: %v", err)
	}

	// With the server stopped, the command opens the data directory itself.
	stop()
	table, _, err = run("--data-dir", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table, "Observed 4 AI identities, the assumed inventory knew 1 (25.0%).") {
		t.Errorf("--data-dir table:\n%s", table)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"30d", now.AddDate(0, 0, -30)},
		{"12h", now.Add(-12 * time.Hour)},
		{"2026-01-01", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-01-01 08:30:00", time.Date(2026, 1, 1, 8, 30, 0, 0, time.UTC)},
		{"2026-01-01T08:30:00+02:00", time.Date(2026, 1, 1, 6, 30, 0, 0, time.UTC)},
	} {
		got, err := parseSince(c.in, now)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"-3d", "0d", "soon", "-1h"} {
		if _, err := parseSince(bad, now); err == nil {
			t.Errorf("parseSince(%q) accepted", bad)
		}
	}
}
