package entra_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/ingest/grants/entra"
)

func read(t testing.TB, name string) []byte {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestAssignments shows assignments resolved to the application ids that
// sign-ins name, through the service principals of the same import; an
// unresolved one is kept under its object id and reported.
func TestAssignments(t *testing.T) {
	sps := entra.ServicePrincipals{}
	spData := read(t, "service-principals.json")
	if !entra.Detect(spData) || !entra.ReadServicePrincipals(spData, sps) || len(sps) != 2 {
		t.Fatalf("service principals %v", sps)
	}
	data := read(t, "assignments.json")
	if !entra.Detect(data) || entra.ReadServicePrincipals(data, entra.ServicePrincipals{}) {
		t.Fatal("assignments mistaken for service principals")
	}
	const tenant = "3f2a9c1e-5b7d-4e8f-a1c2-6d4b8e0f2a13"
	s, err := entra.NewParser(tenant, sps).Parse("assignments.json", data)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range s.Grants {
		got = append(got, g.IdentityID+" "+g.Permission)
	}
	want := []string{
		"entra:" + tenant + ":9d370547-cb61-4753-be23-68534909af90 app:00000000-dead-beef-0000-000000000000",
		"entra:" + tenant + ":d7b5c3a1-2f4e-4d6c-8b0a-9e1f3a5c7d92 app:797f4846-ba00-4fd7-ba43-dac1f8f63013",
		"entra:" + tenant + ":d7b5c3a1-2f4e-4d6c-8b0a-9e1f3a5c7d92 app:a3b5c7d9-e1f2-4a3b-9c5d-7e9f1a3b5c46",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("grants:\n%s", strings.Join(got, "\n"))
	}
	var problems []string
	for _, p := range s.Problems {
		problems = append(problems, p.Error())
	}
	wantProblems := []string{
		"assignments.json: $.value[3].resourceId: service principal 00000000-dead-beef-0000-000000000000 (Legacy CRM) is in no servicePrincipals list of the import: the grant names its object id, which sign-ins do not",
		"assignments.json: $.value[4]: assignment without a principalId or resourceId; skipped",
	}
	if !slices.Equal(problems, wantProblems) {
		t.Fatalf("problems:\n%s", strings.Join(problems, "\n"))
	}
	if s.Unattributed != 1 {
		t.Fatalf("unattributed %d", s.Unattributed)
	}
	if _, err := entra.NewParser("", nil).Parse("a.json", data); !errors.Is(err, entra.ErrNoTenant) {
		t.Fatalf("no tenant: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(read(f, "assignments.json"))
	f.Add(read(f, "service-principals.json"))
	p := entra.NewParser("t", entra.ServicePrincipals{"x": "y"})
	f.Fuzz(func(t *testing.T, data []byte) {
		entra.ReadServicePrincipals(data, entra.ServicePrincipals{})
		s, err := p.Parse("fuzz.json", data)
		if err != nil {
			return
		}
		for _, g := range s.Grants {
			if !strings.HasPrefix(g.IdentityID, "entra:t:") || !strings.HasPrefix(g.Permission, "app:") {
				t.Fatalf("bad grant %+v", g)
			}
		}
	})
}
