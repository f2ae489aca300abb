package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

// TestQuery runs "aitdr query" against the embedded engine: a ready query by
// name in each format, raw SQL with a parameter, and --list. It needs
// libchdb.so (make test fetches it).
func TestQuery(t *testing.T) {
	srv, _ := serveClickHouse(t, filepath.Join(t.TempDir(), "clickhouse"))
	ctx := t.Context()

	conn, err := chschema.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const db = "q_test"
	if _, err := chschema.Migrate(ctx, conn, chschema.Options{Database: db}); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`INSERT INTO q_test.identities (identity_id, kind, class, account_type, owner, registered, updated_at) VALUES
			('a', 'agent', 'ai_agent', 'corporate', '', false, '2026-01-01 00:00:00'),
			('b', 'human', 'ai_user', 'personal', 'b', true, '2026-01-01 00:00:00')`,
		// A later version of a: counted once.
		`INSERT INTO q_test.identities (identity_id, kind, class, account_type, owner, registered, updated_at) VALUES
			('a', 'agent', 'ai_agent', 'corporate', 'ops', false, '2026-01-02 00:00:00')`,
	} {
		if err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}

	run := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		cmd := newRootCommand()
		cmd.SetArgs(append([]string{"query", "--dsn", srv.URL(), "--database", db}, args...))
		cmd.SetOut(&out)
		if err := cmd.ExecuteContext(ctx); err != nil {
			t.Fatalf("aitdr query %v: %v", args, err)
		}
		return out.String()
	}

	csvOut := run("identities_by_class", "--format", "csv")
	wantCSV := "class,identities,humans,services,agents,personal,unregistered,without_owner\n" +
		"ai_agent,1,0,0,1,0,1,0\n" +
		"ai_user,1,1,0,0,1,0,0\n"
	if csvOut != wantCSV {
		t.Errorf("csv:\n%s\nwant:\n%s", csvOut, wantCSV)
	}

	var objs []map[string]any
	if err := json.Unmarshal([]byte(run("identities_by_class", "--format", "json")), &objs); err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[0]["class"] != "ai_agent" || objs[0]["agents"] != float64(1) {
		t.Errorf("json: %v", objs)
	}

	table := run("SELECT identity_id, owner FROM identities FINAL WHERE kind = {kind:String}", "--param", "kind=agent")
	if lines := strings.Split(strings.TrimSpace(table), "\n"); len(lines) != 2 ||
		strings.Join(strings.Fields(lines[0]), " ") != "identity_id owner" || strings.Join(strings.Fields(lines[1]), " ") != "a ops" {
		t.Errorf("table:\n%s", table)
	}

	list := run("--list")
	for _, q := range chschema.Queries() {
		if !strings.Contains(list, q.Name+"\n  "+q.Question) {
			t.Errorf("--list lacks %s", q.Name)
		}
	}

	cmd := newRootCommand()
	cmd.SetArgs([]string{"query", "--dsn", srv.URL(), "--database", db, "identities_by_class", "--param", "nope=1"})
	cmd.SetOut(&bytes.Buffer{})
	if err := cmd.ExecuteContext(ctx); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("an unknown parameter: %v", err)
	}
}
