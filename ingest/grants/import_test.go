package grants_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest/grants"
)

// fixtures copies every subpackage's snapshot fixtures into a folder, with
// a file of another kind and a malformed AWS export beside them.
func fixtures(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{
		"aws/testdata/account.json", "gcp/testdata/asset-search.json", "kubernetes/testdata/rbac.yaml",
		"okta/testdata/app-users.json", "entra/testdata/assignments.json", "entra/testdata/service-principals.json",
		"github/testdata/credential-authorizations.json", "github/testdata/fine-grained.json",
	} {
		b, err := os.ReadFile(filepath.FromSlash(f))
		if err != nil {
			t.Fatal(err)
		}
		name := strings.ReplaceAll(f, "/testdata/", "-")
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("notes.txt", "not a snapshot\n")
	write("broken-aws.json", `{"RoleDetailList": [{"RoleName": "r", "Arn": "arn:aws:iam::1:role/r",
  "RolePolicyList": [{"PolicyName": "bad", "PolicyDocument": {"Statement": [{"Effect": "Permit", "Action": "s3:*", "Resource": "*"}]}},
                     {"PolicyName": "good", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}}]}]}`)
	return dir
}

var accounts = grants.Accounts{EntraTenant: "3f2a9c1e-5b7d-4e8f-a1c2-6d4b8e0f2a13", K8sCluster: "ml-prod", GitHubAccount: "acme-corp"}

// TestImport imports a folder of every format into ClickHouse: each file is
// read by its format with the configured accounts, a bad policy document
// is reported with file and JSON path while the rest of its file is
// stored, a file of no known format is reported, and importing again
// stores nothing twice.
func TestImport(t *testing.T) {
	conn, db := database(t)
	dir := fixtures(t)
	im := grants.NewImporter(conn, db, accounts)
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	results, err := im.Import(context.Background(), []string{dir}, at)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range results {
		line := filepath.Base(r.File) + " " + r.Format + " " + r.Scope
		if r.Err != nil {
			line = filepath.Base(r.File) + " error"
			if !errors.Is(r.Err, grants.ErrUnknownFormat) {
				t.Errorf("%s: %v", r.File, r.Err)
			}
		}
		got = append(got, line)
	}
	want := []string{
		"aws-account.json aws-authorization-details aws:123456789012",
		"broken-aws.json aws-authorization-details aws:1",
		"entra-assignments.json entra-app-role-assignments entra:3f2a9c1e-5b7d-4e8f-a1c2-6d4b8e0f2a13",
		"entra-service-principals.json entra-app-role-assignments ",
		"gcp-asset-search.json gcp-iam-policy gcp:file/gcp-asset-search.json",
		"github-credential-authorizations.json github-token-grants github:acme-corp",
		"github-fine-grained.json github-token-grants github:acme-corp",
		"kubernetes-rbac.yaml kubernetes-rbac kubernetes:ml-prod",
		"notes.txt error",
		"okta-app-users.json okta-app-users okta:acme.okta.com",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("results:\n%s", strings.Join(got, "\n"))
	}
	broken := results[1]
	if len(broken.Problems) != 1 || broken.Problems[0].Path != "$.RoleDetailList[0].RolePolicyList[0].PolicyDocument.Statement[0].Effect" ||
		broken.Grants != 1 || broken.SnapshotTime != at {
		t.Fatalf("broken file: %+v", broken)
	}
	// Entra assignments resolve through the service principals of the
	// import: two of Dana's apps are application ids.
	entra := rows(t, conn, "SELECT permission FROM permission_grants WHERE identity_id = 'entra:3f2a9c1e-5b7d-4e8f-a1c2-6d4b8e0f2a13:d7b5c3a1-2f4e-4d6c-8b0a-9e1f3a5c7d92' ORDER BY permission")
	if !slices.Equal(entra, []string{"app:797f4846-ba00-4fd7-ba43-dac1f8f63013", "app:a3b5c7d9-e1f2-4a3b-9c5d-7e9f1a3b5c46"}) {
		t.Fatalf("entra grants %v", entra)
	}
	count := func() []string {
		return rows(t, conn, "SELECT provider, toString(count()), toString(uniqExact(identity_id)) FROM permission_grants GROUP BY provider ORDER BY provider")
	}
	before := count()
	total := 0
	for _, r := range results {
		total += r.Grants
	}
	var stored int
	for _, c := range before {
		var n int
		f := strings.Fields(c)
		for _, ch := range f[1] {
			n = n*10 + int(ch-'0')
		}
		stored += n
	}
	if stored != total {
		t.Fatalf("stored %d grants, the results count %d: %v", stored, total, before)
	}
	if _, err := im.Import(context.Background(), []string{dir}, at); err != nil {
		t.Fatal(err)
	}
	if after := count(); !slices.Equal(after, before) {
		t.Fatalf("a second import changed the table: %v, then %v", before, after)
	}
	// Every column is filled: the agent role's secret grant.
	secret := rows(t, conn, "SELECT resource, granted_via, policy, scope, granted_as, access_level, sensitive FROM permission_grants "+
		"WHERE identity_id = 'aws:123456789012:role/bedrock-support-agent' AND permission = 'secretsmanager:GetSecretValue'")
	if !slices.Equal(secret, []string{"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/openai/* role/bedrock-support-agent inline:agent-permissions aws:123456789012  Read secret_access"}) {
		t.Fatalf("secret grant %q", secret)
	}
}

// TestFolder shows the folder import storing every file at start, nothing
// when nothing changed, and a changed file again as a new snapshot.
func TestFolder(t *testing.T) {
	conn, db := database(t)
	dir := fixtures(t)
	f := grants.NewFolder(grants.NewImporter(conn, db, accounts), dir, time.Second, nil)
	ctx := context.Background()
	if n := len(f.Scan(ctx)); n != 10 {
		t.Fatalf("first scan saw %d files", n)
	}
	if n := len(f.Scan(ctx)); n != 0 {
		t.Fatalf("second scan imported %d files", n)
	}
	path := filepath.Join(dir, "okta-app-users.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The app is unassigned from the first user.
	b = []byte(strings.Replace(string(b), `"status": "ACTIVE",`, `"status": "DEPROVISIONED",`, 1))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	got := f.Scan(ctx)
	if len(got) != 1 || got[0].File != path || got[0].Grants != 2 {
		t.Fatalf("third scan: %+v", got)
	}
	snaps := rows(t, conn, "SELECT toString(count()) FROM (SELECT DISTINCT snapshot_time FROM permission_grants WHERE provider = 'okta')")
	if !slices.Equal(snaps, []string{"2"}) {
		t.Fatalf("okta snapshots %v", snaps)
	}
	ctxDone, cancel := context.WithCancel(ctx)
	cancel()
	if err := f.Run(ctxDone); err != nil {
		t.Fatalf("Run on a done context: %v", err)
	}
	if err := grants.NewFolder(nil, filepath.Join(dir, "nope"), 0, nil).Run(ctx); err == nil {
		t.Fatal("Run on a missing folder succeeded")
	}
}
