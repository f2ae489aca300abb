package gcp_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/ingest/grants/gcp"
	"github.com/aitdr/aitdr/ingest/grants/snapshot"
)

func parseFile(t *testing.T, name string, opts ...gcp.Option) *snapshot.Snapshot {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if !gcp.Detect(data) {
		t.Fatalf("%s is not detected as an IAM policy", name)
	}
	s, err := gcp.NewParser(opts...).Parse(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func byIdentity(s *snapshot.Snapshot) map[string][]string {
	out := map[string][]string{}
	for _, g := range s.Grants {
		if l := out[g.IdentityID]; len(l) == 0 || l[len(l)-1] != g.Permission {
			out[g.IdentityID] = append(l, g.Permission)
		}
	}
	return out
}

// TestAssetSearch shows roles expanded through the catalog for the
// identities the audit normalizer names, with conditions kept, groups and
// the public counted but not stored, unknown roles listed and bad members
// and policies reported with their JSON path.
func TestAssetSearch(t *testing.T) {
	s := parseFile(t, "asset-search.json")
	c := gcp.DefaultCatalog()
	role := func(name string) []string { r, _ := c.Role(name); return r.Permissions }
	merge := func(lists ...[]string) []string {
		var out []string
		for _, l := range lists {
			out = append(out, l...)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	want := map[string][]string{
		"gcp:acme-ml-prod:inference-agent@acme-ml-prod.iam.gserviceaccount.com": merge(role("roles/aiplatform.user"), role("roles/secretmanager.secretAccessor")),
		"gcp:acme.example:dana.lee@acme.example":                                role("roles/storage.objectAdmin"),
		"gcp:481516234200:principal://iam.googleapis.com/projects/481516234200/locations/global/workloadIdentityPools/github-actions/subject/repo:acme/model-training:ref:refs/heads/main": role("roles/storage.objectAdmin"),
		"gcp:acme-ml-dev:rag-agent@acme-ml-dev.iam.gserviceaccount.com": role("roles/aiplatform.viewer"),
	}
	got := byIdentity(s)
	if len(got) != len(want) {
		t.Fatalf("identities %v", s.Identities())
	}
	for id, perms := range want {
		if !slices.Equal(got[id], perms) {
			t.Errorf("%s: got %v\nwant %v", id, got[id], perms)
		}
	}
	for _, g := range s.Grants {
		if g.Permission == "secretmanager.versions.access" {
			if g.Condition != `resource.name.startsWith("projects/481516234200/secrets/openai")` || g.Sensitive != snapshot.SensitiveSecret ||
				g.Resource != "projects/acme-ml-prod" || g.GrantedVia != "binding/roles/secretmanager.secretAccessor" {
				t.Errorf("secret grant %+v", g)
			}
		}
	}
	if s.Unattributed != 2 {
		t.Errorf("unattributed %d, want the group and allAuthenticatedUsers", s.Unattributed)
	}
	var unknown []string
	for _, u := range s.Unknown {
		unknown = append(unknown, u.What+" at "+u.Path)
	}
	wantUnknown := []string{
		"projects/acme-ml-prod/roles/customDeployer at asset-search.json: $[0].policy.bindings[4].role",
		"roles/owner at asset-search.json: $[0].policy.bindings[3].role",
	}
	if !slices.Equal(unknown, wantUnknown) {
		t.Errorf("unknown %v", unknown)
	}
	var problems []string
	for _, p := range s.Problems {
		problems = append(problems, p.Error())
	}
	wantProblems := []string{
		`asset-search.json: $[0].policy.bindings[5].members[1]: member "dana.lee@acme.example" is not kind:value; skipped`,
		"asset-search.json: $[2].policy: not an IAM policy: cannot unmarshal string into Go value of type gcp.policy; skipped",
	}
	if !slices.Equal(problems, wantProblems) {
		t.Errorf("problems:\n%s", strings.Join(problems, "\n"))
	}
	if s.Scope != "gcp:file/asset-search.json" {
		t.Errorf("scope %q", s.Scope)
	}
}

// TestBarePolicy shows a getIamPolicy response, with the organization
// setting naming users' account.
func TestBarePolicy(t *testing.T) {
	s := parseFile(t, "project-policy.json", gcp.WithOrg("246813579024"))
	ids := s.Identities()
	want := []string{
		"gcp:123456789:123456789-compute@developer.gserviceaccount.com",
		"gcp:246813579024:sam.ortiz@acme.example",
		"gcp:acme-ml-dev:rag-agent@acme-ml-dev.iam.gserviceaccount.com",
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("identities %v", ids)
	}
	if s.Scope != "gcp:file/project-policy.json" || len(s.Problems) > 0 {
		t.Fatalf("scope %q problems %v", s.Scope, s.Problems)
	}
	for _, g := range s.Grants {
		if g.Permission == "iam.serviceAccounts.getAccessToken" && g.Sensitive != snapshot.SensitiveSecret {
			t.Errorf("getAccessToken is %q", g.Sensitive)
		}
	}
}

// TestIdentitiesMatchTheAuditNormalizer reads the GCP audit goldens and
// checks the parser derives the same id for every service account and
// user principal they name.
func TestIdentitiesMatchTheAuditNormalizer(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "gcpaudit", "testdata", "*.golden.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no gcpaudit goldens: %v", err)
	}
	p := gcp.NewParser()
	checked := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ev struct {
			Identity struct {
				ID, Type, UID string
			} `json:"identity"`
		}
		if json.Unmarshal(data, &ev) != nil || ev.Identity.ID == "" {
			continue
		}
		member := ""
		switch ev.Identity.Type {
		case "ServiceAccount":
			member = "serviceAccount:" + ev.Identity.UID
		case "User":
			member = "user:" + ev.Identity.UID
		case "WorkloadIdentity":
			member = ev.Identity.UID
		default:
			continue
		}
		policy := `{"bindings":[{"role":"roles/ml.viewer","members":["` + member + `"]}]}`
		s, err := p.Parse("x.json", []byte(policy))
		if err != nil {
			t.Fatal(err)
		}
		if ids := s.Identities(); len(ids) != 1 || ids[0] != ev.Identity.ID {
			t.Errorf("%s: member %s gives %v, the normalizer %s", filepath.Base(f), member, ids, ev.Identity.ID)
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("checked only %d identities", checked)
	}
}

func TestCatalog(t *testing.T) {
	c := gcp.DefaultCatalog()
	if len(c.Roles()) < 18 || c.Version == "" {
		t.Fatalf("%d roles, version %q", len(c.Roles()), c.Version)
	}
	r, ok := c.Role("roles/aiplatform.user")
	if !ok || !slices.Contains(r.Permissions, "aiplatform.endpoints.predict") || r.Title != "Vertex AI User" {
		t.Fatalf("aiplatform.user: %+v", r)
	}
	for perm, want := range map[string]string{
		"resourcemanager.projects.setIamPolicy": snapshot.SensitiveIAM,
		"iam.serviceAccounts.actAs":             snapshot.SensitiveIAM,
		"secretmanager.versions.access":         snapshot.SensitiveSecret,
		"iam.serviceAccountKeys.create":         snapshot.SensitiveSecret,
		"storage.objects.delete":                snapshot.SensitiveDelete,
		"bigquery.tables.delete":                snapshot.SensitiveDelete,
		"aiplatform.endpoints.deploy":           snapshot.SensitiveModelDeploy,
		"logging.sinks.delete":                  snapshot.SensitiveLogging,
		"storage.objects.get":                   "",
		"aiplatform.endpoints.predict":          "",
	} {
		if got := gcp.Sensitive(perm); got != want {
			t.Errorf("Sensitive(%s) = %q, want %q", perm, got, want)
		}
	}
	for perm, want := range map[string]string{
		"storage.objects.list": "List", "storage.objects.get": "Read", "storage.objects.create": "Write",
		"resourcemanager.projects.setIamPolicy": "Permissions management", "aiplatform.endpoints.predict": "Read",
	} {
		if got := gcp.AccessLevel(perm); got != want {
			t.Errorf("AccessLevel(%s) = %q, want %q", perm, got, want)
		}
	}
	if _, err := gcp.ReadCatalog([]byte("roles:\n  owner:\n    permissions: {}\n")); err == nil {
		t.Error("a role name without roles/ was accepted")
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"asset-search.json", "project-policy.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"resource":"//x/projects/p","policy":{"bindings":[{"role":"roles/ml.viewer","members":["principal://a"]}]}}`))
	f.Add([]byte(`{"results":[{"policy":{}}]}`))
	p := gcp.NewParser()
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := p.Parse("fuzz.json", data)
		if err != nil {
			return
		}
		for _, g := range s.Grants {
			if !strings.HasPrefix(g.IdentityID, "gcp:") || g.Permission == "" {
				t.Fatalf("bad grant %+v", g)
			}
		}
	})
}
