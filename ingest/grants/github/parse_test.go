package github_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/ingest/grants/github"
)

func parse(t testing.TB, name string) ([]string, []string) {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if !github.Detect(data) {
		t.Fatalf("%s not detected", name)
	}
	s, err := github.NewParser("acme-corp").Parse(name, data)
	if err != nil {
		t.Fatal(err)
	}
	var grants, problems []string
	for _, g := range s.Grants {
		grants = append(grants, g.IdentityID+" "+g.Permission+" "+g.Resource+" "+g.Sensitive)
	}
	for _, p := range s.Problems {
		problems = append(problems, p.Error())
	}
	return grants, problems
}

// TestClassicScopes shows each scope granting the scopes it includes, SSH
// keys granting nothing, and a record without a login reported.
func TestClassicScopes(t *testing.T) {
	grants, problems := parse(t, "credential-authorizations.json")
	jkim := "github:acme-corp:dev-jkim scope:"
	want := []string{
		jkim + "admin:org * iam_change", jkim + "manage_runners:org * ", jkim + "public_repo * ", jkim + "read:org * ",
		jkim + "repo * ", jkim + "repo:invite * ", jkim + "repo:status * ", jkim + "repo_deployment * model_deployment",
		jkim + "security_events * ", jkim + "workflow * model_deployment", jkim + "write:org * iam_change",
		"github:acme-corp:maria-okafor scope:delete_repo * data_deletion", "github:acme-corp:maria-okafor scope:read:org * ",
	}
	if !slices.Equal(grants, want) {
		t.Errorf("grants:\n%s", strings.Join(grants, "\n"))
	}
	if !slices.Equal(problems, []string{"credential-authorizations.json: $[3]: credential authorization without a login; skipped"}) {
		t.Errorf("problems %v", problems)
	}
}

// TestFineGrained shows levels granting the lower levels, the repository
// selection narrowing repository permissions, expired tokens granting
// nothing and an unknown level reported.
func TestFineGrained(t *testing.T) {
	grants, problems := parse(t, "fine-grained.json")
	c := "github:acme-corp:ml-contractor-7 "
	want := []string{
		c + "contents:read repositories:selected ", c + "contents:write repositories:selected ",
		c + "members:read * ", c + "metadata:read repositories:selected ",
		c + "secrets:admin repositories:selected ", c + "secrets:read repositories:selected secret_access",
		c + "secrets:write repositories:selected secret_access",
	}
	if !slices.Equal(grants, want) {
		t.Errorf("grants:\n%s", strings.Join(grants, "\n"))
	}
	if !slices.Equal(problems, []string{`fine-grained.json: $[2].permissions.repository.issues: level "owner" is not read, write or admin; skipped`}) {
		t.Errorf("problems %v", problems)
	}
	if _, err := github.NewParser("").Parse("x.json", []byte("[]")); !errors.Is(err, github.ErrNoAccount) {
		t.Errorf("no account: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"credential-authorizations.json", "fine-grained.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	p := github.NewParser("acme")
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := p.Parse("fuzz.json", data)
		if err != nil {
			return
		}
		for _, g := range s.Grants {
			if !strings.HasPrefix(g.IdentityID, "github:acme:") || !strings.Contains(g.Permission, ":") {
				t.Fatalf("bad grant %+v", g)
			}
		}
	})
}
