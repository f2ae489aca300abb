package responder_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/responder/connectors/webhook"
	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// planner returns a planner on the selection playbooks with the webhook
// connector registered, the default policy, and protected identities.
func planner(t *testing.T, change func(*responder.Planner)) *responder.Planner {
	t.Helper()
	set, err := responder.LoadPlaybooks([]string{"testdata/playbooks/select.yaml"}, false)
	if err != nil {
		t.Fatal(err)
	}
	hook, err := webhook.New(map[string]responder.WebhookTarget{"soar": {URL: "http://127.0.0.1:1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := responder.NewRegistry([]responder.Connector{hook})
	if err != nil {
		t.Fatal(err)
	}
	policy, err := responder.ParsePolicy(responder.DefaultConfig().EffectivePolicy())
	if err != nil {
		t.Fatal(err)
	}
	protected, err := responder.NewProtected([]string{"aws:*:user/breakglass-*", "email:*@soc.acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	p := &responder.Planner{
		Playbooks: set, Policy: policy, Protected: protected, Registry: reg,
		MaxAlertAge: 24 * time.Hour, NotifyConnector: "webhook", StepTimeout: 30 * time.Second, StepRetries: 3,
	}
	if change != nil {
		change(p)
	}
	return p
}

// step is the expected outcome of one planned step: "<step>=<status>",
// with " dry" for a dry run and ": <reason start>" for a reason.
func describe(a *responder.Action) string {
	s := a.Step + "=" + string(a.Status)
	if a.DryRun {
		s += " dry"
	}
	if a.Reason != "" {
		s += ": " + a.Reason
	}
	return s
}

// Selection applies the class policy in the order of disruption risk
// (agents automatically, builders automatically from high, users only with
// approval), never touches protected identities, escalates unknown
// identities to a human, honours dry runs, and recommends what no
// configured connector can do.
func TestPlanSelection(t *testing.T) {
	tests := []struct {
		name     string
		alert    spec
		change   func(*responder.Planner)
		playbook string
		steps    []string
	}{
		{
			name:     "agent low is contained automatically",
			alert:    spec{class: schemas.ClassAIAgent, severity: ocsf.SeverityLow},
			playbook: "contain-agent",
			steps:    []string{"soar=planned", "notify=planned"},
		},
		{
			name:     "service high is contained automatically",
			alert:    spec{class: schemas.ClassService, severity: ocsf.SeverityHigh},
			playbook: "contain-agent",
			steps:    []string{"soar=planned", "notify=planned"},
		},
		{
			name:     "service medium waits",
			alert:    spec{class: schemas.ClassService, severity: ocsf.SeverityMedium},
			playbook: "contain-agent",
			steps:    []string{"soar=pending: policy: containment of service identities runs automatically from high severity", "notify=planned"},
		},
		{
			name:     "builder critical is contained automatically",
			alert:    spec{class: schemas.ClassAIBuilder, severity: ocsf.SeverityCritical},
			playbook: "contain-builder",
			steps:    []string{"soar=planned", "notify=planned"},
		},
		{
			name:     "builder high is contained automatically",
			alert:    spec{class: schemas.ClassAIBuilder, severity: ocsf.SeverityHigh},
			playbook: "contain-builder",
			steps:    []string{"soar=planned", "notify=planned"},
		},
		{
			name:     "builder medium waits for approval",
			alert:    spec{class: schemas.ClassAIBuilder, severity: ocsf.SeverityMedium},
			playbook: "contain-builder",
			steps:    []string{"soar=pending: policy: containment of ai_builder identities runs automatically from high severity", "notify=planned"},
		},
		{
			name:     "user critical is notified, contained only with approval",
			alert:    spec{class: schemas.ClassAIUser, severity: ocsf.SeverityCritical},
			playbook: "contain-user",
			steps:    []string{"notify=planned", "soar=pending: policy: containment of ai_user identities waits for approval"},
		},
		{
			name:     "user under a policy that trusts critical alerts",
			alert:    spec{class: schemas.ClassAIUser, severity: ocsf.SeverityCritical},
			change:   withPolicy(map[string]string{"ai_user": "critical"}),
			playbook: "contain-user",
			steps:    []string{"notify=planned", "soar=planned"},
		},
		{
			name:     "protected identity by id is never touched, still notified",
			alert:    spec{identity: "aws:123456789012:user/breakglass-ops"},
			playbook: "contain-agent",
			steps:    []string{`soar=skipped: protected identity (matches "aws:*:user/breakglass-*"): never touched`, "notify=planned"},
		},
		{
			name:     "protected identity by e-mail",
			alert:    spec{identity: "okta:acme.okta.com:00u1", email: "Lead@SOC.acme.example"},
			playbook: "contain-agent",
			steps:    []string{`soar=skipped: protected identity (matches "email:*@soc.acme.example"): never touched`, "notify=planned"},
		},
		{
			name:     "unknown identity is escalated, not acted on",
			alert:    spec{identity: "agent-42"},
			playbook: "contain-agent",
			steps: []string{`soar=pending: unknown identity, escalated to a human: identity "agent-42" is not <provider>:<account>:<native id>`,
				"notify=planned"},
		},
		{
			name:     "waiting without a notify step adds the escalation",
			alert:    spec{identity: "agent-42", rule: "aitdr-careful-1"},
			playbook: "careful",
			steps: []string{`soar=pending: unknown identity, escalated to a human: identity "agent-42" is not <provider>:<account>:<native id>`,
				"escalate=planned"},
		},
		{
			name:     "playbook step requiring approval tightens the policy",
			alert:    spec{rule: "aitdr-careful-2"},
			playbook: "careful",
			steps:    []string{"soar=pending: playbook step requires approval", "escalate=planned"},
		},
		{
			name:     "no configured connector: recommended",
			alert:    spec{tags: []string{"aws_disable"}},
			playbook: "disable-aws",
			steps:    []string{`disable=recommended: connector "aws" is not configured`},
		},
		{
			name:     "dry run: containment reports, notifications go out",
			alert:    spec{},
			change:   func(p *responder.Planner) { p.DryRun = true },
			playbook: "contain-agent",
			steps:    []string{"soar=planned dry", "notify=planned"},
		},
		{
			name:     "a playbook's own dry run while live",
			alert:    spec{env: "staging"},
			playbook: "trial",
			steps:    []string{"soar=planned dry"},
		},
		{
			name:     "stale alert waits",
			alert:    spec{created: testNow.Add(-48 * time.Hour)},
			playbook: "contain-agent",
			steps:    []string{"soar=pending: alert is 48h0m0s old, older than max_alert_age 24h0m0s", "notify=planned"},
		},
		{
			name:     "the rule's recommended playbook wins when it matches",
			alert:    spec{class: schemas.ClassAIBuilder, playbook: "contain-user", severity: ocsf.SeverityCritical},
			playbook: "contain-builder", // contain-user's match (classes) does not hold: fall back
			steps:    []string{"soar=planned", "notify=planned"},
		},
		{
			name:     "recommended and matching",
			alert:    spec{class: schemas.ClassAIAgent, playbook: "careful", rule: "aitdr-careful-3"},
			playbook: "careful",
			steps:    []string{"soar=pending: playbook step requires approval", "escalate=planned"},
		},
		{
			name:     "nothing matches",
			alert:    spec{class: schemas.ClassUnknown},
			playbook: "",
			steps:    nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := planner(t, tt.change)
			a := parse(t, tt.alert)
			rec := p.Plan(a, testNow)
			if rec.Playbook != tt.playbook {
				t.Fatalf("playbook %q (%s), want %q", rec.Playbook, rec.PlaybookReason, tt.playbook)
			}
			var got []string
			for i := range rec.Plan {
				got = append(got, describe(&rec.Plan[i]))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.steps) {
				t.Errorf("steps:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.steps, "\n  "))
			}
			for i := range rec.Plan {
				act := &rec.Plan[i]
				if act.ID != responder.ActionID(a.ID, rec.Playbook, act.Step) || len(act.History) != 1 || act.History[0].Status != act.Status {
					t.Errorf("step %s: id %s, history %+v", act.Step, act.ID, act.History)
				}
			}
		})
	}
}

func withPolicy(m map[string]string) func(*responder.Planner) {
	return func(p *responder.Planner) {
		cfg := responder.DefaultConfig()
		cfg.Policy = m
		policy, err := responder.ParsePolicy(cfg.EffectivePolicy())
		if err != nil {
			panic(err)
		}
		p.Policy = policy
	}
}

// The same alert always gets the same action ids, so a redelivery or a
// duplicate finds the actions it already ran.
func TestPlanIsDeterministic(t *testing.T) {
	p := planner(t, nil)
	a1 := p.Plan(parse(t, spec{}), testNow)
	a2 := p.Plan(parse(t, spec{}), testNow.Add(time.Hour))
	for i := range a1.Plan {
		if a1.Plan[i].ID != a2.Plan[i].ID {
			t.Errorf("step %d: ids %s and %s", i, a1.Plan[i].ID, a2.Plan[i].ID)
		}
	}
	other := p.Plan(parse(t, spec{id: "b0b"}), testNow)
	if other.Plan[0].ID == a1.Plan[0].ID {
		t.Error("two alerts share an action id")
	}
}

// The blast-radius limits refuse steps over the limit overall, per
// identity and per tenant within the sliding window, and allow them again
// once the window moved on.
func TestLimiter(t *testing.T) {
	type call struct {
		at       time.Duration // from the start
		identity string
		tenant   string
		approved bool // counted without asking
		want     string
	}
	tests := []struct {
		name   string
		limits responder.Limits
		calls  []call
	}{
		{"per identity", responder.Limits{Window: time.Minute, PerIdentity: 2}, []call{
			{0, "a", "t", false, ""},
			{time.Second, "a", "t", false, ""},
			{2 * time.Second, "a", "t", false, "blast radius: 2 containment steps on a in the last 1m0s, the limit per identity"},
			{3 * time.Second, "b", "t", false, ""},
			{61 * time.Second, "a", "t", false, ""}, // the steps at 0 and 1s left the window
			{62 * time.Second, "a", "t", false, ""},
			{63 * time.Second, "a", "t", false, "blast radius: 2 containment steps on a in the last 1m0s, the limit per identity"},
		}},
		{"per tenant", responder.Limits{Window: time.Minute, PerTenant: 2}, []call{
			{0, "a", "t1", false, ""},
			{0, "b", "t1", false, ""},
			{0, "c", "t1", false, "blast radius: 2 containment steps in tenant t1 in the last 1m0s, the limit per tenant"},
			{0, "c", "t2", false, ""},
		}},
		{"overall, approved steps count", responder.Limits{Window: 10 * time.Second, Total: 3}, []call{
			{0, "a", "t1", true, ""},
			{0, "b", "t2", false, ""},
			{time.Second, "c", "t3", false, ""},
			{2 * time.Second, "d", "t4", false, "blast radius: 3 containment steps in the last 10s, the limit overall"},
			{10 * time.Second, "d", "t4", false, ""},
		}},
		{"off", responder.Limits{}, []call{{0, "a", "t", false, ""}, {0, "a", "t", false, ""}, {0, "a", "t", false, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var now time.Time
			l := responder.NewLimiter(tt.limits, func() time.Time { return now })
			for i, c := range tt.calls {
				now = testNow.Add(c.at)
				if c.approved {
					l.Count(c.identity, c.tenant)
					continue
				}
				if got := l.Allow(c.identity, c.tenant); got != c.want {
					t.Errorf("call %d at +%s: %q, want %q", i, c.at, got, c.want)
				}
			}
		})
	}
}

// Protected patterns are globs over the identity id, or over the e-mail
// address or name with a prefix, case-insensitive.
func TestProtected(t *testing.T) {
	l, err := responder.NewProtected([]string{"aws:*:role/BreakGlass", "name:admin-?", "email:*@vault.example"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		p    responder.Principal
		want string
	}{
		{responder.Principal{ID: "aws:1:role/breakglass"}, "aws:*:role/BreakGlass"},
		{responder.Principal{ID: "aws:1:role/breakglass-2"}, ""},
		{responder.Principal{ID: "okta:o:1", Name: "admin-1"}, "name:admin-?"},
		{responder.Principal{ID: "okta:o:1", Name: "admin-12"}, ""},
		{responder.Principal{ID: "okta:o:1", Email: "x@vault.example"}, "email:*@vault.example"},
		{responder.Principal{ID: "okta:o:1"}, ""},
	} {
		if got := l.Match(tt.p); got != tt.want {
			t.Errorf("Match(%+v) = %q, want %q", tt.p, got, tt.want)
		}
	}
	if _, err := responder.NewProtected([]string{"email:"}); err == nil {
		t.Error("an empty pattern is accepted")
	}
}
