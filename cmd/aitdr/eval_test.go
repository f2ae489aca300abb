package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/enrich/catalog"
	"github.com/aitdr/aitdr/ingest/simulate"
	"github.com/aitdr/aitdr/responder"
)

// TestEvalSmallSimulation shows "aitdr eval" running a small labelled
// simulation (testdata/eval-small.yaml, two days, five attacks) through the whole
// pipeline on the embedded engines: every record reaches ClickHouse, every
// injected attack is detected, the agents' are contained through the
// containment endpoint, the floors hold, and the table and the JSON carry
// the figures. It needs libchdb.so (make test fetches it) and fails
// without it.
func TestEvalSmallSimulation(t *testing.T) {
	t.Setenv("AITDR_CONFIG", "")
	jsonPath := filepath.Join(t.TempDir(), "eval.json")
	dataDir := filepath.Join(t.TempDir(), "data")
	var out, errOut bytes.Buffer
	cmd := newRootCommand()
	// The time-to-respond floor is left to make eval: on a busy machine
	// the test checks that containment is timed, not how fast it is.
	cmd.SetArgs([]string{"eval", "--sim-config", "testdata/eval-small.yaml", "--duration", "48h",
		"--data-dir", dataDir, "--json", jsonPath, "--max-ttr-p95", "0"})
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("eval: %v\n%s\n%s", err, out.String(), errOut.String())
	}

	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var run struct {
		Records  int64              `json:"records"`
		Labels   int                `json:"labels"`
		Failures []string           `json:"failures"`
		Card     simulate.Scorecard `json:"scorecard"`
	}
	if err := json.Unmarshal(b, &run); err != nil {
		t.Fatalf("eval JSON: %v\n%s", err, b)
	}
	c := run.Card
	if run.Records < 1000 || c.Delivery.Sent != run.Records || c.Delivery.Stored != run.Records || c.Delivery.Lost != 0 {
		t.Errorf("records %d: sent %d, stored %d, lost %d; want every record stored", run.Records, c.Delivery.Sent, c.Delivery.Stored, c.Delivery.Lost)
	}
	if run.Labels != 5 || c.Instances != 5 || c.Detected != 5 || c.Recall != 1 {
		t.Errorf("%d labels, %d instances, %d detected (recall %g); want 5 of 5 (missed %+v)", run.Labels, c.Instances, c.Detected, c.Recall, c.Missed)
	}
	responded := map[string]int{}
	for _, s := range c.Scenarios {
		responded[s.Scenario] = s.Responded
	}
	// Agents are contained automatically, users only with approval.
	if responded[simulate.ScenarioLLMjacking] != 1 || responded[simulate.ScenarioAgentPrivilegeEscalation] != 1 ||
		responded[simulate.ScenarioConfidentialPrompt] != 0 || responded[simulate.ScenarioPersonalAccountAI] != 0 {
		t.Errorf("responded per scenario %v, want the two agent attacks contained and the prompts not", responded)
	}
	if c.TimeToRespond.N != 2 || c.TimeToRespond.P50 <= 0 || c.AlertToAction.N < 2 {
		t.Errorf("time to respond %+v, alert to action %+v; want two contained instances", c.TimeToRespond, c.AlertToAction)
	}
	if c.TimeToDetect.N != 5 || c.TimeToDetect.P50 <= 0 {
		t.Errorf("time to detect %+v, want five measured", c.TimeToDetect)
	}
	if len(run.Failures) != 0 || c.Alerts.Total == 0 || c.FPRate > simulate.DefaultFloors().FPRate {
		t.Errorf("failures %q, %d alerts, fp rate %g", run.Failures, c.Alerts.Total, c.FPRate)
	}
	for _, want := range []string{"SCENARIO", simulate.ScenarioLLMjacking, "aitdr-llmjacking-", "RULE", "lost 0", "all met"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, out.String())
		}
	}
	// The labels, the context and the pipeline's log stay in the data
	// folder that was given.
	for _, f := range []string{"simulate/labels.jsonl", "simulate/context/directory.csv", "aitdr.log", containmentPlaybooksFile} {
		if _, err := os.Stat(filepath.Join(dataDir, f)); err != nil {
			t.Errorf("data folder: %v", err)
		}
	}
}

// TestEvalFloorMissedFails shows a floor the run cannot reach makes eval
// fail after printing the scorecard, and that bad floors are refused
// before anything runs.
func TestEvalFloorMissedFails(t *testing.T) {
	t.Setenv("AITDR_CONFIG", "")
	cmd := newRootCommand()
	cmd.SetArgs([]string{"eval", "--max-fp-rate", "1.5"})
	cmd.SetOut(new(bytes.Buffer))
	cmd.SetErr(new(bytes.Buffer))
	err := cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), "floors.fp_rate: 1.5 must be from 0 to 1") {
		t.Fatalf("bad floor: err = %v", err)
	}
}

// TestEvalPlaybooksMirrorTheDefaults shows the eval's playbooks are the
// default set with containment steps sent to the containment endpoint:
// the same playbooks, selection and steps, approvals kept.
func TestEvalPlaybooksMirrorTheDefaults(t *testing.T) {
	b, err := evalPlaybooks()
	if err != nil {
		t.Fatal(err)
	}
	got, err := responder.ParsePlaybooks(containmentPlaybooksFile, b)
	if err != nil {
		t.Fatalf("the eval playbooks do not load: %v\n%s", err, b)
	}
	defaults, err := responder.LoadPlaybooks(nil, true)
	if err != nil {
		t.Fatal(err)
	}
	want := defaults.All()
	if len(got) != len(want) {
		t.Fatalf("%d eval playbooks, want %d", len(got), len(want))
	}
	for i, p := range want {
		g := got[i]
		if g.ID != p.ID || g.Priority != p.Priority || len(g.Steps) != len(p.Steps) || g.Match.MinSeverity != p.Match.MinSeverity ||
			strings.Join(g.Match.Tags, ",") != strings.Join(p.Match.Tags, ",") || len(g.Match.Classes) != len(p.Match.Classes) {
			t.Errorf("playbook %s differs from the default: %+v", p.ID, g)
			continue
		}
		for j, s := range p.Steps {
			gs := g.Steps[j]
			switch {
			case gs.ID != s.ID || gs.ApprovalRequired != s.ApprovalRequired:
				t.Errorf("%s step %s: %+v", p.ID, s.ID, gs)
			case s.Action == responder.ActionNotify && gs.Action != responder.ActionNotify:
				t.Errorf("%s step %s: notify became %s", p.ID, s.ID, gs.Action)
			case s.Action.Contains() && (gs.Action != responder.ActionWebhook || gs.Params["action"] != string(s.Action) || gs.Params["target"] != containmentTarget):
				t.Errorf("%s step %s: %s became %s %v, want a webhook to the containment endpoint", p.ID, s.ID, s.Action, gs.Action, gs.Params)
			}
		}
	}
}

// TestSimulatedSanctionedServicesAreInTheCatalog shows every AI service
// the simulated organization sanctions is a service of the shipped
// catalog, and that each AI app it licenses resolves to one of them.
func TestSimulatedSanctionedServicesAreInTheCatalog(t *testing.T) {
	cat, err := catalog.Load(catalog.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sanctioned := simulate.SanctionedServices()
	for _, id := range sanctioned {
		if _, ok := cat.Service(id); !ok {
			t.Errorf("sanctioned service %q is not in the catalog", id)
		}
	}
	sim, err := simulate.New(simulate.Default())
	if err != nil {
		t.Fatal(err)
	}
	truth := sim.Truth()
	for _, app := range truth.SanctionedApps {
		svc, ok := cat.ByApp(app)
		if !ok {
			t.Errorf("sanctioned app %q resolves to no catalog service", app)
			continue
		}
		if !contains(sanctioned, svc.ID) {
			t.Errorf("sanctioned app %q is catalog service %s, which the simulation does not sanction", app, svc.ID)
		}
	}
	for _, shadow := range truth.ShadowServices {
		if contains(sanctioned, shadow) {
			t.Errorf("shadow service %s is sanctioned", shadow)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
