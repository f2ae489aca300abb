package okta_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/ingest/grants/okta"
)

// TestAssignments shows active assignments granting app:<id> to the user
// named as the Okta normalizer names it, inactive ones ignored and bad
// ones reported with their JSON path.
func TestAssignments(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "app-users.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !okta.Detect(data) {
		t.Fatal("not detected")
	}
	s, err := okta.NewParser("").Parse("app-users.json", data)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range s.Grants {
		got = append(got, g.IdentityID+" "+g.Permission+" "+g.GrantedVia)
	}
	want := []string{
		"okta:acme.okta.com:00u1a2b3c4D5e6F7g8h9 app:0oa5x8y9z0AbCdEfG1d7 assignment/user",
		"okta:acme.okta.com:00u8k2m4p6R8t0V2x4Z6 app:0oa5x8y9z0AbCdEfG1d7 assignment/group",
		"okta:acme.okta.com:00u8k2m4p6R8t0V2x4Z6 app:0oa7c9e1g3I5k7M9o1d7 assignment/user",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("grants:\n%s", strings.Join(got, "\n"))
	}
	var problems []string
	for _, p := range s.Problems {
		problems = append(problems, p.Error())
	}
	wantProblems := []string{
		"app-users.json: $[4]: assignment without a user id or an _links.app.href naming the app; skipped",
		"app-users.json: $[5]: not an application assignment: cannot unmarshal string into Go value of type okta.appUser; skipped",
	}
	if !slices.Equal(problems, wantProblems) {
		t.Fatalf("problems:\n%s", strings.Join(problems, "\n"))
	}
	if s.Scope != "okta:acme.okta.com" {
		t.Fatalf("scope %q", s.Scope)
	}
	s2, err := okta.NewParser("acme").Parse("x.json", data)
	if err != nil || !strings.HasPrefix(s2.Grants[0].IdentityID, "okta:acme:") {
		t.Fatalf("configured org: %v %v", s2.Grants, err)
	}
}

func FuzzParse(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "app-users.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`[[{"id":"u","_links":{"app":{"href":"https://o/api/v1/apps/a"}}}]]`))
	p := okta.NewParser("")
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := p.Parse("fuzz.json", data)
		if err != nil {
			return
		}
		for _, g := range s.Grants {
			if !strings.HasPrefix(g.IdentityID, "okta:") || !strings.HasPrefix(g.Permission, "app:") {
				t.Fatalf("bad grant %+v", g)
			}
		}
	})
}
