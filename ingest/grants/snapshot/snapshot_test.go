package snapshot_test

import (
	"slices"
	"testing"

	"github.com/aitdr/aitdr/ingest/grants/snapshot"
)

// TestDedup shows repeated grants and unknown names folded and sorted, so
// that equal inputs give equal snapshots.
func TestDedup(t *testing.T) {
	g := func(id, perm, res string) snapshot.Grant {
		return snapshot.Grant{IdentityID: id, Permission: perm, Resource: res}
	}
	s := &snapshot.Snapshot{
		Grants:  []snapshot.Grant{g("b", "s3:GetObject", "*"), g("a", "s3:PutObject", "*"), g("b", "s3:GetObject", "*"), g("a", "s3:GetObject", "x")},
		Unknown: []snapshot.Unknown{{What: "z:*", Path: "p"}, {What: "a:B", Path: "p"}, {What: "z:*", Path: "p"}},
	}
	s.Dedup()
	want := []snapshot.Grant{g("a", "s3:GetObject", "x"), g("a", "s3:PutObject", "*"), g("b", "s3:GetObject", "*")}
	if !slices.Equal(s.Grants, want) {
		t.Fatalf("grants %v", s.Grants)
	}
	if len(s.Unknown) != 2 || s.Unknown[0].What != "a:B" {
		t.Fatalf("unknown %v", s.Unknown)
	}
	if ids := s.Identities(); !slices.Equal(ids, []string{"a", "b"}) {
		t.Fatalf("identities %v", ids)
	}
}

func TestJSONPath(t *testing.T) {
	for _, c := range []struct {
		base string
		elem any
		want string
	}{
		{"$", "Policies", "$.Policies"}, {"$.Policies", 3, "$.Policies[3]"}, {"$", "a b", `$["a b"]`}, {"$.x", "", `$.x[""]`},
	} {
		if got := snapshot.JSONPath(c.base, c.elem); got != c.want {
			t.Errorf("JSONPath(%q, %v) = %q, want %q", c.base, c.elem, got, c.want)
		}
	}
	p := snapshot.Problem{File: "f.json", Path: "$.a", Cause: "bad"}
	if p.Error() != "f.json: $.a: bad" {
		t.Errorf("problem %q", p.Error())
	}
}
