package report_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/enrich/report"
)

// TestMatching shows how an assumed entry finds its observed identity: by
// id (the aitdr id, its native part or a provider id), e-mail, name or
// alias, whatever the case, the strongest key winning; and what is left
// on each side.
func TestMatching(t *testing.T) {
	observed := []report.ObservedIdentity{
		{ID: "okta:acme.okta.com:00u1alice", Class: "ai_user", Emails: []string{"alice@acme.example"}, DisplayName: "Alice Martin"},
		{ID: "aws:123456789012:role/Support-Agent", Class: "ai_agent", UIDs: []string{"arn:aws:iam::123456789012:role/Support-Agent"}},
		{ID: "anthropic:org_1:user/chloe@acme.example", Class: "ai_user"},
		{ID: "github:acme:user/dev-bot", Class: "ai_agent", Names: []string{"dev-bot", "Dev Bot"}},
		{ID: "openai:org_2:user/u-77", Class: "ai_user", Names: []string{"sam@acme.example"}},
		{ID: "okta:acme.okta.com:00u1sam", Class: "ai_user", Emails: []string{"sam@acme.example"}},
		{ID: "gcp:proj:serviceAccount/etl@proj.iam.gserviceaccount.com", Class: "weird"},
	}
	for _, c := range []struct {
		name, csv string
		want      []string // identity key=value, in the report's order
	}{
		{"aitdr id, any case", "id,class\nOKTA:acme.okta.com:00u1ALICE,ai_user\n",
			[]string{"okta:acme.okta.com:00u1alice id=OKTA:acme.okta.com:00u1ALICE"}},
		{"provider id", "arn,class\narn:aws:iam::123456789012:role/support-agent,agent\n",
			[]string{"aws:123456789012:role/Support-Agent id=arn:aws:iam::123456789012:role/support-agent"}},
		{"native id", "id,class\nrole/support-agent,agent\n",
			[]string{"aws:123456789012:role/Support-Agent id=role/support-agent"}},
		{"e-mail in the native id", "email,class\nChloe@Acme.example,ai_user\n",
			[]string{"anthropic:org_1:user/chloe@acme.example email=chloe@acme.example"}},
		{"e-mail in the id column", "id,class\nchloe@acme.example,ai_user\n",
			[]string{"anthropic:org_1:user/chloe@acme.example email=chloe@acme.example"}},
		{"display name", "name,class\nalice martin,ai_user\n",
			[]string{"okta:acme.okta.com:00u1alice name=alice martin"}},
		{"role name", "name,class\nSUPPORT-AGENT,agent\n",
			[]string{"aws:123456789012:role/Support-Agent name=SUPPORT-AGENT"}},
		{"alias", "name,aliases,class\nBuild robot,robot;dev bot,agent\n",
			[]string{"github:acme:user/dev-bot alias=dev bot"}},
		// One person's e-mail finds both accounts it is used by (a login
		// name that is an e-mail counts).
		{"one e-mail, two identities", "email,class\nsam@acme.example,ai_user\n",
			[]string{"okta:acme.okta.com:00u1sam email=sam@acme.example", "openai:org_2:user/u-77 email=sam@acme.example"}},
		// The id matches: the weaker name is not tried.
		{"the strongest key wins", "id,name,class\ngithub:acme:user/dev-bot,Alice Martin,agent\n",
			[]string{"github:acme:user/dev-bot id=github:acme:user/dev-bot"}},
		{"no match", "email,name,class\nnobody@acme.example,Nobody,ai_user\n", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, err := report.ParseAssumed("in.csv", strings.NewReader(c.csv))
			if err != nil || len(a.BadRows) > 0 {
				t.Fatalf("%v %v", err, a.BadRows)
			}
			r := report.Compute(&report.Observed{Identities: observed, PermissionSnapshots: true}, a, report.Options{Now: reportTime})
			var got []string
			for _, m := range r.Matches {
				got = append(got, m.IdentityID+" "+m.Key+"="+m.Value)
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("matches:\n got %q\nwant %q", got, c.want)
			}
			if seen := len(c.want) > 0; seen == (len(r.AssumedNotSeen) == 1) {
				t.Errorf("assumed not seen %v with matches %v", r.AssumedNotSeen, got)
			}
			if r.Total.Observed != len(observed) || r.Total.Matched != len(c.want) ||
				r.Total.ObservedNotAssumed != len(observed)-len(c.want) {
				t.Errorf("totals %+v", r.Total)
			}
		})
	}
}

// TestComputeWithoutAssumedInventory shows the report with no CSV: every
// observed identity is in the gap, a class the report does not know counts
// as unknown, and the notes say so.
func TestComputeWithoutAssumedInventory(t *testing.T) {
	obs := &report.Observed{Identities: []report.ObservedIdentity{
		{ID: "a", Class: "ai_agent"}, {ID: "b", Class: "ai_user"}, {ID: "c", Class: ""},
	}}
	r := report.Compute(obs, nil, report.Options{Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if r.Headline.Text != "observed 2 AI identities, the assumed inventory knew 0 (0.0%)" {
		t.Errorf("headline %q", r.Headline.Text)
	}
	if len(r.ObservedNotAssumed) != 3 || r.Classes[len(r.Classes)-1].Class != "unknown" || r.Classes[len(r.Classes)-1].Observed != 1 {
		t.Errorf("gap %+v, classes %+v", r.ObservedNotAssumed, r.Classes)
	}
	for _, want := range []string{report.NoPermissionSnapshots, "no assumed inventory given: every observed identity is in the gap"} {
		found := false
		for _, n := range r.Notes {
			found = found || n == want
		}
		if !found {
			t.Errorf("notes %q lack %q", r.Notes, want)
		}
	}
	one := report.Compute(&report.Observed{Identities: obs.Identities[:1]}, nil, report.Options{})
	if one.Headline.Text != "observed 1 AI identity, the assumed inventory knew 0 (0.0%)" {
		t.Errorf("headline %q", one.Headline.Text)
	}
	none := report.Compute(&report.Observed{}, nil, report.Options{})
	if none.Headline.KnownPercent != 0 || len(none.Classes) != len(report.Classes) {
		t.Errorf("empty report %+v", none)
	}
}
