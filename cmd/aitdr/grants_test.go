package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/enrich/rightsize"
	"github.com/aitdr/aitdr/internal/config"
	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

// TestGrantsImportAndRightsizeReport runs "aitdr grants import" on the
// grants fixtures and "aitdr rightsize report" on what it stored, against
// the embedded engine over its HTTP interface. It needs libchdb.so.
func TestGrantsImportAndRightsizeReport(t *testing.T) {
	srv, _ := serveClickHouse(t, filepath.Join(t.TempDir(), "clickhouse"))
	run := func(args ...string) (string, error) {
		root := newRootCommand()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(args)
		err := root.ExecuteContext(context.Background())
		return out.String(), err
	}
	bad := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(bad, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fixtures := []string{
		filepath.Join("..", "..", "ingest", "grants", "aws", "testdata", "account.json"),
		filepath.Join("..", "..", "ingest", "grants", "kubernetes", "testdata", "rbac.yaml"),
	}
	conn := []string{"--dsn", srv.URL(), "--database", "grants_test"}

	out, err := run(append(append([]string{"grants", "import", "--dry-run", "--k8s-cluster", "ml-prod"}, fixtures...), bad)...)
	if err == nil || !strings.Contains(err.Error(), "1 of 3 files could not be imported") ||
		!strings.Contains(out, "account.json: read aws-authorization-details, scope aws:123456789012:") ||
		!strings.Contains(out, "rbac.yaml: read kubernetes-rbac, scope kubernetes:ml-prod:") ||
		!strings.Contains(out, "not in the catalog, not expanded: serving.kserve.io/*") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	out, err = run(append(append([]string{"grants", "import", "--k8s-cluster", "ml-prod", "--snapshot-time", "2026-01-01"}, conn...), fixtures...)...)
	if err != nil || !strings.Contains(out, "account.json: imported aws-authorization-details") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	ch, err := chschema.Connect(srv.URL() + "/grants_test")
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	var n uint64
	if err := ch.QueryRow(context.Background(), "SELECT uniqExact(identity_id) FROM permission_grants WHERE snapshot_time = '2026-01-01 00:00:00'").Scan(&n); err != nil || n != 7 {
		t.Fatalf("stored grants of %d identities: %v", n, err)
	}

	out, err = run(append([]string{"rightsize", "report", "--format", "json", "--at", "2026-02-01", "--window", "30d"}, conn...)...)
	if err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	var r rightsize.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report JSON: %v\n%.500s", err, out)
	}
	if len(r.Identities) != 7 || r.Overall.Trusted != 0 || r.Overall.Removable != 0 || r.Overall.Used != 0 {
		t.Fatalf("report without events: %+v", r.Overall)
	}
	if err := ch.QueryRow(context.Background(), "SELECT count() FROM rightsize_identities").Scan(&n); err != nil || n != 7 {
		t.Fatalf("stored %d rightsizing rows: %v", n, err)
	}
	dir := t.TempDir()
	out, err = run(append([]string{"rightsize", "report", "--store=false", "--format", "html", "--out", filepath.Join(dir, "r.html"),
		"--artifacts", filepath.Join(dir, "recs"), "--at", "2026-02-01"}, conn...)...)
	if err != nil {
		t.Fatalf("html report: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "r.html")); err != nil || !bytes.Contains(b, []byte("aitdr permission rightsizing")) {
		t.Fatalf("html report file: %v", err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "recs", "*.diff")); len(files) != 7 {
		t.Fatalf("wrote %d diffs", len(files))
	}
	if _, err := run(append([]string{"rightsize", "report", "--min-days", "400"}, conn...)...); err == nil || !strings.Contains(err.Error(), "min_days") {
		t.Fatalf("a minimum longer than the window was accepted: %v", err)
	}
}

// TestGrantsImporter shows the constructor aitdr run uses: nothing without
// a folder, a folder import with one.
func TestGrantsImporter(t *testing.T) {
	cfg := config.Default()
	if r, err := newGrantsImporter(cfg, nil, nil); err != nil || r != nil {
		t.Fatalf("without a folder: %v, %v", r, err)
	}
	cfg.Grants.Folder = t.TempDir()
	if _, err := newGrantsImporter(cfg, nil, nil); err == nil {
		t.Fatal("a folder import without ClickHouse was built")
	}
	conn, err := chschema.Connect("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r, err := newGrantsImporter(cfg, conn, slog.New(slog.DiscardHandler))
	if err != nil || r == nil {
		t.Fatalf("with a folder: %v, %v", r, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Run(ctx); err != nil {
		t.Fatalf("Run on an empty folder and a done context: %v", err)
	}
}
