package responder_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// spec describes a test alert; zero fields take the defaults of an AI
// agent's high-severity alert in AWS.
type spec struct {
	id         string
	rule       string
	severity   ocsf.SeverityID
	class      schemas.IdentityClass
	identity   string
	email      string
	tags       []string
	env        string
	playbook   string
	created    time.Time
	evidenceAt time.Time
}

var testNow = time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)

// alertJSON builds the alert of s as the rules stage publishes it.
func alertJSON(t testing.TB, s spec) []byte {
	t.Helper()
	if s.id == "" {
		s.id = "a7c1d9e3b5f70214c6e8a0b2d4f61357"
	}
	if s.rule == "" {
		s.rule = "aitdr-agent-token-spike"
	}
	if s.severity == 0 {
		s.severity = ocsf.SeverityHigh
	}
	if s.class == "" {
		s.class = schemas.ClassAIAgent
	}
	if s.identity == "" {
		s.identity = "aws:123456789012:role/bedrock-support-agent"
	}
	if s.created.IsZero() {
		s.created = testNow
	}
	if s.evidenceAt.IsZero() {
		s.evidenceAt = s.created.Add(-2 * time.Minute)
	}
	f := ocsf.New(s.id, "Agent token volume spike", s.created, s.severity)
	f.SetAnalytic(s.rule, "Agent token volume spike", "1", ocsf.AnalyticBehavioral)
	f.Unmapped.AITDR.Identity = ocsf.IdentityContext{ID: s.identity, Class: s.class, Owner: "priya@acme.example"}
	f.Unmapped.AITDR.Playbook = s.playbook
	f.Actor = ocsf.Actor{
		User:    ocsf.User{UID: s.identity, Name: "bedrock-support-agent", EmailAddr: s.email, TypeID: ocsf.UserOther},
		Session: ocsf.Session{UID: "support-agent-7f3c", CredentialUID: "ASIAXQDEMOKEY7F3C2EX"},
	}
	f.Metadata.Labels = s.tags
	f.StartTime = ocsf.Millis(s.evidenceAt)
	f.FindingInfo.FirstSeenTime = f.StartTime
	f.Count = 1
	f.Evidences = []ocsf.Evidence{{
		Actor:       f.Actor,
		SrcEndpoint: ocsf.Endpoint{IP: "203.0.113.7"},
		Data:        ocsf.EvidenceData{EventID: "396ff3c2daabbf22a47b3a362321a412", Model: "anthropic.claude-3-5-sonnet-20240620-v1:0"},
	}}
	if s.env != "" {
		f.Resources = []ocsf.Resource{{UID: "model-1", Labels: []string{"environment:" + s.env, "tenant:123456789012"}}}
	}
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// parse reads an alert built by alertJSON.
func parse(t testing.TB, s spec) *responder.Alert {
	t.Helper()
	a, err := responder.ParseAlert(alertJSON(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// ParseAlert resolves the identity into a principal connectors can use,
// and says why when it cannot.
func TestParseAlert(t *testing.T) {
	a := parse(t, spec{tags: []string{"llmjacking"}, env: "prod", playbook: "disable-model-access"})
	p := a.Principal
	if p.Provider != "aws" || p.Account != "123456789012" || p.NativeID != "role/bedrock-support-agent" || a.Unresolved != "" {
		t.Errorf("principal = %+v (unresolved %q)", p, a.Unresolved)
	}
	if len(p.CredentialIDs) != 1 || p.CredentialIDs[0] != "ASIAXQDEMOKEY7F3C2EX" || len(p.SessionIDs) != 1 {
		t.Errorf("credentials %v, sessions %v", p.CredentialIDs, p.SessionIDs)
	}
	if a.Tenant != "aws:123456789012" || a.Severity != responder.SeverityHigh || a.Class != schemas.ClassAIAgent ||
		a.Playbook != "disable-model-access" || a.RuleID != "aitdr-agent-token-spike" {
		t.Errorf("alert = %+v", a)
	}
	if !a.FirstEvidence.Equal(testNow.Add(-2*time.Minute)) || len(a.Environments) != 1 || a.Environments[0] != "prod" ||
		len(a.SourceIPs) != 1 || len(a.Models) != 1 {
		t.Errorf("first evidence %s, environments %v, ips %v, models %v", a.FirstEvidence, a.Environments, a.SourceIPs, a.Models)
	}
	for _, tt := range []struct{ identity, want string }{
		{"agent-42", `identity "agent-42" is not <provider>:<account>:<native id>`},
		{"okta::00u1", `identity "okta::00u1" is not <provider>:<account>:<native id>`},
	} {
		if u := parse(t, spec{identity: tt.identity}).Unresolved; u != tt.want {
			t.Errorf("identity %q: unresolved %q, want %q", tt.identity, u, tt.want)
		}
	}
	k := parse(t, spec{identity: "kubernetes:prod-eu:system:serviceaccount:ml:trainer"}).Principal
	if k.Account != "prod-eu" || k.NativeID != "system:serviceaccount:ml:trainer" {
		t.Errorf("a native id with colons: %+v", k)
	}
	for _, bad := range []string{`not json`, `{}`, `{"finding_info":{"uid":"x"}}`} {
		if _, err := responder.ParseAlert([]byte(bad)); err == nil {
			t.Errorf("ParseAlert(%s) accepted it", bad)
		}
	}
}

// FuzzParseAlert feeds the alert decoder arbitrary bytes, as a NATS
// subject may carry them: it never panics, and an accepted alert has an id
// and either a resolved principal or the reason it has none.
func FuzzParseAlert(f *testing.F) {
	f.Add(alertJSON(f, spec{}))
	f.Add(alertJSON(f, spec{identity: "kubernetes:prod:system:serviceaccount:ml:trainer", tags: []string{"llmjacking"}, env: "prod"}))
	f.Add(alertJSON(f, spec{identity: "agent-42"}))
	f.Add([]byte(`{"finding_info":{"uid":"x"},"unmapped":{"aitdr":{"version":1}}}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := responder.ParseAlert(data)
		if err != nil {
			return
		}
		if a.ID == "" {
			t.Fatal("accepted an alert without an id")
		}
		p := a.Principal
		if a.Unresolved == "" && (p.Provider == "" || p.Account == "" || p.NativeID == "") {
			t.Fatalf("resolved principal with empty parts: %+v", p)
		}
		if a.Unresolved != "" && p.Provider != "" {
			t.Fatalf("unresolved principal with a provider: %+v (%s)", p, a.Unresolved)
		}
	})
}
