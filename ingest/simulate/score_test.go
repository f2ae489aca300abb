package simulate_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest/simulate"
	"github.com/aitdr/aitdr/schemas"
)

// t0 is the start of the crafted simulations below.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

// eventID makes a well-formed event id from a short name.
func eventID(name string) string {
	id := fmt.Sprintf("%-32s", name)
	return strings.ReplaceAll(id, " ", "0")[:schemas.EventIDLen]
}

func label(instance, scenario, identity string, start, end time.Time, events ...string) simulate.Label {
	l := simulate.Label{Scenario: scenario, Instance: instance, IdentityID: identity, Start: start, End: end, Complete: true}
	for _, e := range events {
		l.Events = append(l.Events, simulate.LabelEvent{EventID: eventID(e), Time: start})
	}
	return l
}

func alert(id, rule, identity string, end time.Time, evidence ...string) simulate.Alert {
	a := simulate.Alert{ID: id, RuleID: rule, IdentityID: identity, Created: end, Start: end, End: end}
	for _, e := range evidence {
		a.EvidenceIDs = append(a.EvidenceIDs, eventID(e))
	}
	return a
}

func tagged(a simulate.Alert, tags ...string) simulate.Alert {
	a.Tags = tags
	return a
}

// truth is a ground truth with one shadow-AI user, one personal account and
// one shared agent credential, and one plain agent.
func truth() simulate.Truth {
	return simulate.Truth{
		People: []simulate.TruthPerson{
			{PersonID: "p1", Class: schemas.ClassAIUser, Identities: []string{"okta:o:shadow-user"}, ShadowServices: []string{"perplexity"}},
			{PersonID: "p2", Class: schemas.ClassAIUser, Identities: []string{"okta:o:plain-user"}, PersonalIdentities: []string{"litellm:g:user/me@gmail.com"}},
		},
		Agents: []simulate.TruthAgent{
			{Name: "a1", IdentityID: "aws:1:role/shared", SharedWith: []string{"a2"}},
			{Name: "a2", IdentityID: "aws:1:role/shared", SharedWith: []string{"a1"}},
			{Name: "a3", IdentityID: "aws:1:role/agent"},
		},
	}
}

// TestScoreMatchesAlertsToLabels shows how alerts are matched: by identity
// and time within the instance plus the slack, or by evidence, whatever
// the identity; an alert matching nothing is false, and a planted risk
// counts only when the rule is tagged with it.
func TestScoreMatchesAlertsToLabels(t *testing.T) {
	labels := []simulate.Label{
		label("llmjacking-1", simulate.ScenarioLLMjacking, "aws:1:role/agent", at(0), at(10), "e1", "e2"),
		label("agent_data_spike-1", simulate.ScenarioAgentDataSpike, "aws:1:role/other", at(100), at(160), "e3"),
		label("llmjacking-2", simulate.ScenarioLLMjacking, "aws:1:role/third", at(300), at(310), "e4"),
	}
	tests := []struct {
		name      string
		alert     simulate.Alert
		detects   string // the instance it detects, "" for none
		kind      string // attack, background or false
		riskNamed string
	}{
		{"identity, inside the span", alert("a", "r1", "aws:1:role/agent", at(5)), "llmjacking-1", "attack", ""},
		{"identity, within the slack", alert("a", "r1", "aws:1:role/agent", at(39)), "llmjacking-1", "attack", ""},
		{"identity, after the slack", alert("a", "r1", "aws:1:role/agent", at(41)), "", "false", ""},
		{"identity, before the start", alert("a", "r1", "aws:1:role/agent", at(-1)), "", "false", ""},
		{"evidence, another identity, later", alert("a", "r2", "aws:1:role/elsewhere", at(500), "e3"), "agent_data_spike-1", "attack", ""},
		{"other identity, same time", alert("a", "r1", "aws:1:role/other", at(5)), "", "false", ""},
		{"shadow user, shadow rule", tagged(alert("a", "r3", "okta:o:shadow-user", at(50)), "new_terms", "shadow_ai"), "", "background", simulate.RiskShadowAI},
		{"shadow user, another rule", tagged(alert("a", "r4", "okta:o:shadow-user", at(50)), "unusual_prompt_pattern"), "", "false", ""},
		{"plain user, shadow rule", tagged(alert("a", "r3", "okta:o:plain-user", at(50)), "shadow_ai"), "", "false", ""},
		{"personal account", tagged(alert("a", "r5", "litellm:g:user/me@gmail.com", at(50)), "personal_account_ai"), "", "background", simulate.RiskPersonalAccount},
		{"shared credential", tagged(alert("a", "r6", "aws:1:role/shared", at(50)), "shared_credentials"), "", "background", simulate.RiskSharedCredential},
		{"unshared agent, sharing rule", tagged(alert("a", "r6", "aws:1:role/agent", at(50)), "shared_credentials"), "", "false", ""},
		{"attack wins over a planted risk", tagged(alert("a", "r6", "aws:1:role/shared", at(50), "e1"), "shared_credentials"), "llmjacking-1", "attack", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := simulate.Score(labels, truth(), simulate.Observed{Alerts: []simulate.Alert{tt.alert}}, simulate.ScoreOptions{Slack: 30 * time.Minute})
			var detected []string
			for _, s := range sc.Scenarios {
				if s.Detected > 0 {
					detected = append(detected, s.Scenario)
				}
			}
			wantDetected := 0
			if tt.detects != "" {
				wantDetected = 1
			}
			if sc.Detected != wantDetected || sc.Instances != 3 || len(sc.Missed) != 3-wantDetected {
				t.Fatalf("detected %d of %d (missed %d), want %d of 3", sc.Detected, sc.Instances, len(sc.Missed), wantDetected)
			}
			if tt.detects != "" && slices.ContainsFunc(sc.Missed, func(m simulate.MissedInstance) bool { return m.Instance == tt.detects }) {
				t.Errorf("%s is missed, want detected", tt.detects)
			}
			if tt.detects != "" && (len(detected) != 1 || detected[0] != tt.detects[:strings.LastIndex(tt.detects, "-")]) {
				t.Errorf("scenarios detected %v, want the one of %s", detected, tt.detects)
			}
			got := map[string]int{"attack": sc.Alerts.Attack, "background": sc.Alerts.Background, "false": sc.Alerts.False}
			for kind, n := range got {
				want := 0
				if kind == tt.kind {
					want = 1
				}
				if n != want {
					t.Errorf("%s alerts = %d, want %d (counts %+v)", kind, n, want, sc.Alerts)
				}
			}
			if tt.riskNamed != "" && sc.Alerts.BackgroundByRisk[tt.riskNamed] != 1 {
				t.Errorf("background by risk = %v, want one %s", sc.Alerts.BackgroundByRisk, tt.riskNamed)
			}
			if tt.kind == "false" && (len(sc.FalseAlerts) != 1 || sc.FPRate != 1 || sc.FalseIdentities != 1) {
				t.Errorf("false alerts %d, fp rate %g, false identities %d; want 1, 1, 1", len(sc.FalseAlerts), sc.FPRate, sc.FalseIdentities)
			}
			if tt.kind != "false" && (sc.FPRate != 0 || sc.Precision != 1) {
				t.Errorf("fp rate %g precision %g, want 0 and 1", sc.FPRate, sc.Precision)
			}
		})
	}
}

// TestScoreFigures shows the figures of a crafted run: recall per scenario
// and overall, precision and false-positive rate over every alert, the
// rules per scenario and per rule, times to detect and respond from the
// produce times, and delivery passed through.
func TestScoreFigures(t *testing.T) {
	labels := []simulate.Label{
		label("llmjacking-1", simulate.ScenarioLLMjacking, "aws:1:role/agent", at(0), at(10), "l1a", "l1b"),
		label("llmjacking-2", simulate.ScenarioLLMjacking, "aws:1:role/agent2", at(200), at(210), "l2a"),
		label("confidential_prompt-1", simulate.ScenarioConfidentialPrompt, "litellm:g:user/u@acme", at(100), at(101), "c1"),
		label("confidential_prompt-2", simulate.ScenarioConfidentialPrompt, "litellm:g:user/v@acme", at(400), at(401), "c2"),
	}
	wall := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	produced := map[string]time.Time{
		eventID("l1a"): wall, eventID("l1b"): wall.Add(time.Second),
		eventID("l2a"): wall.Add(10 * time.Second),
		eventID("c1"):  wall.Add(20 * time.Second),
		eventID("bg"):  wall.Add(30 * time.Second),
	}
	created := func(a simulate.Alert, d time.Duration) simulate.Alert {
		a.Created = wall.Add(d)
		return a
	}
	alerts := []simulate.Alert{
		// llmjacking-1: two rules; the first alert is created 3s after its
		// newest evidence (l1b at +1s), contained at +6s.
		created(alert("A1", "enumerate", "aws:1:role/agent", at(4), "l1a", "l1b"), 4*time.Second),
		created(alert("A2", "logging-off", "aws:1:role/agent", at(9), "l1b"), 5*time.Second),
		// llmjacking-2: one rule, 2s after l2a, contained at +14s.
		created(alert("A3", "enumerate", "aws:1:role/agent2", at(205), "l2a"), 12*time.Second),
		// confidential_prompt-1 by evidence; never contained.
		created(alert("A4", "prompt-secret", "litellm:g:user/u@acme", at(100), "c1"), 20*time.Second+500*time.Millisecond),
		// Background risk and two false alerts of one rule.
		created(tagged(alert("A5", "shadow", "okta:o:shadow-user", at(50), "bg"), "shadow_ai"), 31*time.Second),
		created(alert("A6", "noisy", "aws:1:role/agent", at(600), "bg"), 32*time.Second),
		created(alert("A7", "noisy", "aws:1:role/agent", at(700), "bg"), 33*time.Second),
	}
	obs := simulate.Observed{
		Alerts: alerts,
		Responses: []simulate.Response{
			{AlertID: "A1", AlertAt: wall.Add(4 * time.Second), ContainedAt: wall.Add(6 * time.Second)},
			{AlertID: "A2", AlertAt: wall.Add(5 * time.Second), ContainedAt: wall.Add(9 * time.Second)},
			{AlertID: "A3", AlertAt: wall.Add(12 * time.Second), ContainedAt: wall.Add(14 * time.Second)},
		},
		Produced: produced,
		Delivery: simulate.Delivery{Sent: 5, Stored: 5, DeadLetters: 1},
	}
	sc := simulate.Score(labels, truth(), obs, simulate.ScoreOptions{Slack: 10 * time.Minute})

	if sc.Instances != 4 || sc.Detected != 3 || sc.Recall != 0.75 {
		t.Errorf("instances %d detected %d recall %g, want 4, 3, 0.75", sc.Instances, sc.Detected, sc.Recall)
	}
	if len(sc.Missed) != 1 || sc.Missed[0].Instance != "confidential_prompt-2" {
		t.Errorf("missed %+v, want confidential_prompt-2", sc.Missed)
	}
	if a := sc.Alerts; a.Total != 7 || a.Attack != 4 || a.Background != 1 || a.False != 2 {
		t.Errorf("alerts %+v, want 7: 4 attack, 1 background, 2 false", a)
	}
	if !near(sc.FPRate, 2.0/7) || !near(sc.Precision, 5.0/7) || sc.FalseIdentities != 1 {
		t.Errorf("fp rate %g precision %g false identities %d, want 2/7, 5/7, 1", sc.FPRate, sc.Precision, sc.FalseIdentities)
	}
	wantRisks := []simulate.RiskScore{{Risk: simulate.RiskShadowAI, Holders: 1, Named: 1}, {Risk: simulate.RiskPersonalAccount, Holders: 1, Named: 0},
		{Risk: simulate.RiskSharedCredential, Holders: 1, Named: 0}}
	if !slices.Equal(sc.BackgroundRisks, wantRisks) {
		t.Errorf("background risks %+v, want %+v", sc.BackgroundRisks, wantRisks)
	}
	if sc.Identities != 5 {
		t.Errorf("identities %d, want 5 (two people's, one personal, two agents')", sc.Identities)
	}

	byKind := map[string]simulate.ScenarioScore{}
	for _, s := range sc.Scenarios {
		byKind[s.Scenario] = s
	}
	if got := []string{sc.Scenarios[0].Scenario, sc.Scenarios[1].Scenario}; got[0] != simulate.ScenarioLLMjacking || got[1] != simulate.ScenarioConfidentialPrompt {
		t.Errorf("scenario order %v, want the ScenarioKinds order", got)
	}
	lj := byKind[simulate.ScenarioLLMjacking]
	if lj.Instances != 2 || lj.Detected != 2 || lj.Recall != 1 || lj.Responded != 2 {
		t.Errorf("llmjacking %+v, want 2 of 2 detected and responded", lj)
	}
	if len(lj.Rules) != 2 || lj.Rules[0] != (simulate.RuleHits{Rule: "enumerate", Instances: 2}) || lj.Rules[1] != (simulate.RuleHits{Rule: "logging-off", Instances: 1}) {
		t.Errorf("llmjacking rules %+v, want enumerate (2), logging-off (1)", lj.Rules)
	}
	// Time to detect: 3s (A1 at +4s, newest evidence l1b at +1s) and 2s
	// (A3 at +12s after l2a at +10s).
	if lj.TimeToDetect != (simulate.Percentiles{N: 2, P50: 2 * time.Second, P95: 3 * time.Second, Max: 3 * time.Second}) {
		t.Errorf("llmjacking time to detect %+v", lj.TimeToDetect)
	}
	// Into the attack: A1 fired on the event at 4 min, A3 at 5 min.
	if lj.SimTimeToDetect.P50 != 4*time.Minute || lj.SimTimeToDetect.Max != 5*time.Minute {
		t.Errorf("llmjacking simulated time to detect %+v, want 4m and 5m", lj.SimTimeToDetect)
	}
	// Time to respond: the first containment, A1 at +6s, 5s after l1b;
	// A3 at +14s, 4s after l2a.
	if lj.TimeToRespond != (simulate.Percentiles{N: 2, P50: 4 * time.Second, P95: 5 * time.Second, Max: 5 * time.Second}) {
		t.Errorf("llmjacking time to respond %+v", lj.TimeToRespond)
	}
	cp := byKind[simulate.ScenarioConfidentialPrompt]
	if cp.Instances != 2 || cp.Detected != 1 || cp.Recall != 0.5 || cp.Responded != 0 || cp.TimeToRespond.N != 0 {
		t.Errorf("confidential prompt %+v, want 1 of 2 detected, none responded", cp)
	}
	if cp.TimeToDetect.P50 != 500*time.Millisecond {
		t.Errorf("confidential prompt time to detect %s, want 500ms", cp.TimeToDetect.P50)
	}
	if sc.TimeToDetect.N != 3 || sc.TimeToRespond.N != 2 {
		t.Errorf("overall time to detect over %d, to respond over %d; want 3 and 2", sc.TimeToDetect.N, sc.TimeToRespond.N)
	}
	// Alert to action over every contained alert: 2s, 4s, 2s.
	if sc.AlertToAction != (simulate.Percentiles{N: 3, P50: 2 * time.Second, P95: 4 * time.Second, Max: 4 * time.Second}) {
		t.Errorf("alert to action %+v", sc.AlertToAction)
	}

	rules := map[string]simulate.RuleScore{}
	for _, r := range sc.Rules {
		rules[r.Rule] = r
	}
	if sc.Rules[0].Rule != "enumerate" && sc.Rules[0].Rule != "noisy" {
		t.Errorf("first rule %s, want one of the two with the most alerts", sc.Rules[0].Rule)
	}
	if r := rules["noisy"]; r.Alerts != 2 || r.False != 2 || r.Precision != 0 {
		t.Errorf("noisy %+v, want 2 false alerts, precision 0", r)
	}
	if r := rules["shadow"]; r.Alerts != 1 || r.Background != 1 || r.Precision != 1 {
		t.Errorf("shadow %+v, want 1 background alert, precision 1", r)
	}
	if r := rules["enumerate"]; r.Alerts != 2 || r.Attack != 2 {
		t.Errorf("enumerate %+v, want 2 attack alerts", r)
	}
	if sc.Delivery.DeadLetters != 1 || sc.Delivery.Sent != 5 {
		t.Errorf("delivery %+v not passed through", sc.Delivery)
	}

	// The JSON carries the figures, durations in milliseconds.
	b, err := json.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"recall":0.75`, `"time_to_respond":{"n":2,"p50_ms":4000,"p95_ms":5000,"max_ms":5000}`, `"background_by_risk":{"shadow_ai":1}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
	var back simulate.Scorecard
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.TimeToRespond != sc.TimeToRespond || back.Scenarios[0].TimeToDetect != lj.TimeToDetect {
		t.Errorf("percentiles read back as %+v and %+v", back.TimeToRespond, back.Scenarios[0].TimeToDetect)
	}
}

// TestScoreNothingInjected shows an empty run is perfect, not a division
// by zero.
func TestScoreNothingInjected(t *testing.T) {
	sc := simulate.Score(nil, simulate.Truth{}, simulate.Observed{}, simulate.ScoreOptions{})
	if sc.Recall != 1 || sc.Precision != 1 || sc.FPRate != 0 || len(sc.Scenarios) != 0 {
		t.Errorf("empty scorecard: recall %g precision %g fp %g scenarios %d", sc.Recall, sc.Precision, sc.FPRate, len(sc.Scenarios))
	}
}

// TestScorecardCheck shows which floors a scorecard misses.
func TestScorecardCheck(t *testing.T) {
	good := simulate.Scorecard{Recall: 0.97, FPRate: 0.03, TimeToRespond: simulate.Percentiles{N: 10, P95: 4 * time.Second}}
	tests := []struct {
		name   string
		card   func(simulate.Scorecard) simulate.Scorecard
		floors func(simulate.Floors) simulate.Floors
		want   []string
	}{
		{"all met", nil, nil, nil},
		{"recall", func(s simulate.Scorecard) simulate.Scorecard { s.Recall = 0.9; return s }, nil, []string{"recall 0.900 is below the floor 0.950"}},
		{"fp rate", func(s simulate.Scorecard) simulate.Scorecard { s.FPRate = 0.2; return s }, nil, []string{"false-positive rate 0.200 is above the ceiling 0.050"}},
		{"slow response", func(s simulate.Scorecard) simulate.Scorecard { s.TimeToRespond.P95 = 12 * time.Second; return s }, nil,
			[]string{"time to respond p95 12s is above the ceiling 10s"}},
		{"nothing contained", func(s simulate.Scorecard) simulate.Scorecard { s.TimeToRespond = simulate.Percentiles{}; return s }, nil,
			[]string{"time to respond: no detected instance was contained, so p95 <= 10s cannot be shown"}},
		{"lost events", func(s simulate.Scorecard) simulate.Scorecard { s.Delivery.Lost = 3; return s }, nil, []string{"3 events lost, more than 0"}},
		{"floors off", func(s simulate.Scorecard) simulate.Scorecard {
			s.Recall, s.FPRate, s.TimeToRespond, s.Delivery.Lost = 0, 1, simulate.Percentiles{}, 9
			return s
		}, func(simulate.Floors) simulate.Floors {
			return simulate.Floors{Recall: 0, FPRate: 1, TTRP95: 0, Lost: -1}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card, floors := good, simulate.DefaultFloors()
			if tt.card != nil {
				card = tt.card(card)
			}
			if tt.floors != nil {
				floors = tt.floors(floors)
			}
			if got := card.Check(floors); !slices.Equal(got, tt.want) {
				t.Errorf("Check = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEvalConfigValidate shows a bad eval section is refused field by
// field.
func TestEvalConfigValidate(t *testing.T) {
	if err := simulate.DefaultEvalConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	c := simulate.DefaultEvalConfig()
	c.Duration = 30 * time.Minute
	c.Slack = -time.Second
	c.Rate = -1
	c.Drain = 0
	c.Floors = simulate.Floors{Recall: 1.5, FPRate: -0.1, TTRP95: -time.Second, Lost: -2}
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"duration: 30m0s must be 0", "rate: -1 must be 0 (unlimited)", "slack: -1s must not be negative", "drain: 0s must be at least 1s",
		"floors.recall: 1.5 must be from 0 to 1", "floors.fp_rate: -0.1 must be from 0 to 1", "floors.ttr_p95: -1s must not be negative",
		"floors.lost: -2 must be -1 (off) or at least 0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
