package simulate_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aitdr/aitdr/ingest/pipeline"
	"github.com/aitdr/aitdr/ingest/simulate"
	"github.com/aitdr/aitdr/schemas"
)

// normalized is a record and the event the real pipeline made of it.
type normalized struct {
	rec simulate.Record
	ev  *schemas.Event
}

// normalizeAll runs every record through p, once named by its product
// (as the HTTP and Kafka outputs send it) and once detected from its
// shape (as aitdr ingest file reads the files output), and fails the test
// on any rejected record or any difference between the two.
func normalizeAll(t *testing.T, p *pipeline.Pipeline, records []simulate.Record) []normalized {
	t.Helper()
	out := make([]normalized, 0, len(records))
	rejects := 0
	for _, rec := range records {
		var named, detected []pipeline.Result
		for _, hint := range []schemas.Product{rec.Product, ""} {
			var got []pipeline.Result
			if _, err := p.Process(context.Background(), rec.Data, hint, func(r pipeline.Result) { got = append(got, r) }); err != nil {
				t.Fatal(err)
			}
			if hint != "" {
				named = got
			} else {
				detected = got
			}
		}
		if len(named) != 1 || len(detected) != 1 {
			t.Fatalf("%s record %s: %d results named, %d detected, want 1", rec.Product, rec.EventID, len(named), len(detected))
		}
		for _, res := range []pipeline.Result{named[0], detected[0]} {
			if res.Err != nil {
				rejects++
				if rejects <= 5 {
					t.Errorf("%s record rejected: %v\n%s", rec.Product, res.Err, rec.Data)
				}
			}
		}
		if named[0].Event == nil {
			continue
		}
		if detected[0].Product != rec.Product {
			t.Errorf("%s record detected as %q", rec.Product, detected[0].Product)
		}
		out = append(out, normalized{rec: rec, ev: named[0].Event})
	}
	if rejects > 0 {
		t.Fatalf("%d of %d records rejected", rejects, 2*len(records))
	}
	return out
}

// smallRun is the records, labels and events of smallConfig, made once
// for the tests that only read them.
var smallRun struct {
	once    sync.Once
	sim     *simulate.Simulator
	records []simulate.Record
	labels  []simulate.Label
	stats   simulate.Stats
	events  []normalized
}

func smallRunEvents(t *testing.T) (*simulate.Simulator, []simulate.Label, simulate.Stats, []normalized) {
	t.Helper()
	smallRun.once.Do(func() {
		cfg := smallConfig()
		smallRun.records, smallRun.labels, smallRun.stats = run(t, cfg)
		smallRun.sim = newSimulator(t, cfg)
		smallRun.events = normalizeAll(t, newPipeline(t, smallRun.sim.SourcesConfig()), smallRun.records)
	})
	if smallRun.events == nil {
		t.Fatal("the shared run failed")
	}
	return smallRun.sim, smallRun.labels, smallRun.stats, smallRun.events
}

// TestEveryRecordNormalizes shows that every record of a simulation, of
// every source and every scenario, goes through the real ingest pipeline
// with no reject, and that the event has the id, time, identity and
// action category the simulator says it has.
func TestEveryRecordNormalizes(t *testing.T) {
	_, _, _, events := smallRunEvents(t)
	if len(events) < 3000 {
		t.Fatalf("only %d records", len(events))
	}

	products := map[schemas.Product]int{}
	categories := map[schemas.Category]int{}
	for _, n := range events {
		rec, ev := n.rec, n.ev
		products[rec.Product]++
		categories[ev.Action.Category]++
		if ev.ID != rec.EventID {
			t.Errorf("%s %s: event id %s, simulator says %s", rec.Product, ev.Action.Name, ev.ID, rec.EventID)
		}
		if ev.Source.EventID != rec.SourceEventID {
			t.Errorf("%s %s: source event id %q, simulator says %q", rec.Product, ev.Action.Name, ev.Source.EventID, rec.SourceEventID)
		}
		if !ev.Time.Equal(rec.Time) {
			t.Errorf("%s %s: time %s, simulator says %s", rec.Product, ev.Action.Name, ev.Time, rec.Time)
		}
		if ev.Identity.ID != rec.IdentityID {
			t.Errorf("%s %s: identity %q, simulator says %q", rec.Product, ev.Action.Name, ev.Identity.ID, rec.IdentityID)
		}
		if ev.Action.Category != rec.Category {
			t.Errorf("%s %s: category %q, simulator says %q", rec.Product, ev.Action.Name, ev.Action.Category, rec.Category)
		}
		if rec.Time.After(rec.At) {
			t.Errorf("%s %s: event time %s after emission %s", rec.Product, ev.Action.Name, rec.Time, rec.At)
		}
		// Background prompts carry nothing the content scanner flags, so
		// that every finding is an injected one.
		if rec.Scenario == "" && len(ev.AI.Findings) > 0 {
			t.Errorf("background %s record has findings %v:\n%s", rec.Product, ev.AI.Findings, rec.Data)
		}
	}
	for _, p := range schemas.Products() {
		if products[p] == 0 {
			t.Errorf("no %s records", p)
		}
	}
	for _, c := range []schemas.Category{
		schemas.CategoryAuthentication, schemas.CategoryAuthorization, schemas.CategoryIAMChange, schemas.CategoryDataAccess,
		schemas.CategoryModelInference, schemas.CategoryModelManagement, schemas.CategoryTrainingPipeline,
		schemas.CategorySecretAccess, schemas.CategoryLoggingChange,
	} {
		if categories[c] == 0 {
			t.Errorf("no %s events", c)
		}
	}
	t.Logf("%d records: %v", len(events), products)
}

// TestIdentitiesAndKinds shows the identities the simulation declares in
// its ground truth are the ones the events carry, with the kind of
// principal each source tells: people as humans, agents' credentials as
// services or agents, never a person.
func TestIdentitiesAndKinds(t *testing.T) {
	s, _, _, events := smallRunEvents(t)
	kinds := map[string]schemas.IdentityKind{}
	for _, n := range events {
		kinds[n.ev.Identity.ID] = n.ev.Identity.Kind
	}
	truth := s.Truth()
	seenPeople := 0
	for _, p := range truth.People {
		for _, id := range p.Identities {
			k, ok := kinds[id]
			if !ok {
				continue // not every account is used in three days
			}
			seenPeople++
			if k != schemas.KindHuman && k != schemas.KindUnknown {
				t.Errorf("person %s identity %s has kind %s", p.Email, id, k)
			}
		}
	}
	if seenPeople < len(truth.People) {
		t.Errorf("only %d identities of %d people seen", seenPeople, len(truth.People))
	}
	for _, a := range truth.Agents {
		k, ok := kinds[a.IdentityID]
		if !ok {
			t.Errorf("agent %s (%s) identity %s never seen", a.Name, a.Archetype, a.IdentityID)
			continue
		}
		if k == schemas.KindHuman {
			t.Errorf("agent %s identity %s is a human", a.Name, a.IdentityID)
		}
	}
	for _, sv := range truth.Services {
		if _, ok := kinds[sv.IdentityID]; !ok {
			t.Errorf("service %s identity %s never seen", sv.Name, sv.IdentityID)
		}
	}
	known := map[string]bool{}
	for _, p := range truth.People {
		for _, id := range append(p.Identities, p.PersonalIdentities...) {
			known[id] = true
		}
	}
	for _, a := range truth.Agents {
		known[a.IdentityID] = true
	}
	for _, sv := range truth.Services {
		known[sv.IdentityID] = true
	}
	for id := range kinds {
		if !known[id] {
			t.Errorf("identity %s is in no ground truth", id)
		}
	}
}

// TestShadowAIAndSharedCredentials shows the population's risky patterns
// in the events: unsanctioned AI services used only by the people the
// ground truth says, and each shared agent credential used from as many
// networks as agents hold it.
func TestShadowAIAndSharedCredentials(t *testing.T) {
	s, _, _, events := smallRunEvents(t)
	truth := s.Truth()
	shadowOf := map[string]bool{}
	for _, p := range truth.People {
		for _, id := range p.Identities {
			shadowOf[id] = len(p.ShadowServices) > 0
		}
	}
	ips := map[string]map[string]bool{}
	shadowEvents := 0
	for _, n := range events {
		ev := n.ev
		if slices.Contains(simulate.ShadowServices(), ev.AI.Service) {
			shadowEvents++
			if !shadowOf[ev.Identity.ID] {
				t.Errorf("%s used %s without being a shadow AI user", ev.Identity.ID, ev.AI.Service)
			}
		}
		if n.rec.Scenario == "" && ev.Network.SourceIP != "" {
			if ips[ev.Identity.ID] == nil {
				ips[ev.Identity.ID] = map[string]bool{}
			}
			ips[ev.Identity.ID][ev.Network.SourceIP] = true
		}
	}
	if shadowEvents == 0 {
		t.Error("no shadow AI use")
	}
	shared := 0
	for _, a := range truth.Agents {
		if len(a.SharedWith) == 0 {
			continue
		}
		shared++
		if got := len(ips[a.IdentityID]); got < len(a.SharedWith)+1 {
			t.Errorf("shared credential %s of %s and %v seen from %d networks", a.IdentityID, a.Name, a.SharedWith, got)
		}
	}
	if shared == 0 {
		t.Error("no shared credential in the ground truth")
	}
}

// TestLabelsMatchEvents shows that every label names exactly the records
// of its instance, with the identity and times the pipeline gives them,
// and that each scenario's events show what the scenario is about.
func TestLabelsMatchEvents(t *testing.T) {
	_, labels, stats, events := smallRunEvents(t)
	byInstance := map[string][]normalized{}
	for _, n := range events {
		if n.rec.Instance != "" {
			byInstance[n.rec.Instance] = append(byInstance[n.rec.Instance], n)
		}
	}
	if len(labels) != len(byInstance) || stats.Labels != len(labels) {
		t.Fatalf("%d labels (stats %d) for %d instances", len(labels), stats.Labels, len(byInstance))
	}
	kinds := map[string]int{}
	for _, l := range labels {
		kinds[l.Scenario]++
		evs := byInstance[l.Instance]
		if !l.Complete || len(evs) != len(l.Events) {
			t.Errorf("%s: complete %v, %d label events, %d records", l.Instance, l.Complete, len(l.Events), len(evs))
			continue
		}
		ids := map[string]bool{}
		for _, e := range l.Events {
			ids[e.EventID] = true
		}
		start, end := evs[0].ev.Time, evs[0].ev.Time
		for _, n := range evs {
			if !ids[n.ev.ID] {
				t.Errorf("%s: event %s not in the label", l.Instance, n.ev.ID)
			}
			if n.ev.Identity.ID != l.IdentityID {
				t.Errorf("%s: event of %s, label says %s", l.Instance, n.ev.Identity.ID, l.IdentityID)
			}
			if n.rec.Scenario != l.Scenario {
				t.Errorf("%s: record of scenario %q", l.Instance, n.rec.Scenario)
			}
			start = minTime(start, n.ev.Time)
			end = maxTime(end, n.ev.Time)
		}
		if !start.Equal(l.Start) || !end.Equal(l.End) {
			t.Errorf("%s: label spans %s to %s, events %s to %s", l.Instance, l.Start, l.End, start, end)
		}
		checkScenario(t, l, evs)
	}
	for _, k := range simulate.ScenarioKinds() {
		if kinds[k] == 0 {
			t.Errorf("no %s instance", k)
		}
	}
}

// checkScenario checks what makes an instance the attack it is.
func checkScenario(t *testing.T, l simulate.Label, evs []normalized) {
	t.Helper()
	names := map[string]int{}
	failures := 0
	for _, n := range evs {
		names[n.ev.Action.Name]++
		if n.ev.Outcome == schemas.OutcomeFailure {
			failures++
		}
	}
	has := func(name string) bool { return names[name] > 0 }
	switch l.Scenario {
	case simulate.ScenarioAfterHoursModelChange:
		model := has("UpdateEndpoint") || has("google.cloud.aiplatform.v1.EndpointService.DeployModel")
		account := has("CreateUser") || has("google.iam.admin.v1.CreateServiceAccount")
		if !model || !account || l.IdentityClass != schemas.ClassAIBuilder {
			t.Errorf("%s: actions %v, class %s", l.Instance, names, l.IdentityClass)
		}
		for _, n := range evs {
			if n.ev.Source.Account != "" && n.ev.Source.Account != "210987654321" || n.ev.Source.Project != "" && n.ev.Source.Project != "acme-ml-prod" {
				t.Errorf("%s: event outside production: %+v", l.Instance, n.ev.Source)
			}
		}
	case simulate.ScenarioAgentCrossTenant:
		foreign := 0
		for _, n := range evs {
			if n.ev.Target.Tenant != "" && n.ev.Target.Tenant != n.ev.Identity.Account {
				foreign++
			}
		}
		if foreign != len(evs) || names["AssumeRole"] != len(evs) {
			t.Errorf("%s: %d of %d role assumptions into another tenant", l.Instance, foreign, len(evs))
		}
	case simulate.ScenarioAgentDataSpike:
		if names["GetObject"] < 100 {
			t.Errorf("%s: %d object reads", l.Instance, names["GetObject"])
		}
	case simulate.ScenarioAgentPrivilegeEscalation:
		if !has("AttachRolePolicy") || !has("CreateRole") || failures < 3 || failures == len(evs) {
			t.Errorf("%s: actions %v, %d failures", l.Instance, names, failures)
		}
		passRole := 0
		for _, n := range evs {
			if strings.Contains(n.ev.Error.Message, "iam:PassRole") {
				passRole++
			}
		}
		if passRole == 0 {
			t.Errorf("%s: no PassRole attempt", l.Instance)
		}
	case simulate.ScenarioLLMjacking:
		for _, name := range []string{"ListFoundationModels", "GetFoundationModelAvailability", "PutUseCaseForModelAccess",
			"CreateFoundationModelAgreement", "DeleteModelInvocationLoggingConfiguration", "InvokeModel"} {
			if !has(name) {
				t.Errorf("%s: no %s", l.Instance, name)
			}
		}
		for _, n := range evs {
			if !strings.HasPrefix(n.ev.Network.SourceIP, "203.0.113.2") {
				t.Errorf("%s: call from %s, not the attacker's network", l.Instance, n.ev.Network.SourceIP)
			}
		}
	case simulate.ScenarioConfidentialPrompt:
		found := map[schemas.DataType]bool{}
		for _, n := range evs {
			for _, f := range n.ev.AI.Findings {
				found[f.Type] = true
			}
		}
		if len(l.DataTypes) == 0 {
			t.Errorf("%s: no data types", l.Instance)
		}
		for _, dt := range l.DataTypes {
			if !found[dt] {
				t.Errorf("%s: the scanner found no %s (found %v)", l.Instance, dt, found)
			}
		}
	case simulate.ScenarioPersonalAccountAI:
		for _, n := range evs {
			if n.ev.Identity.AccountType != schemas.AccountPersonal {
				t.Errorf("%s: account type %q", l.Instance, n.ev.Identity.AccountType)
			}
		}
	}
	if !slices.Contains([]schemas.IdentityClass{schemas.ClassAIUser, schemas.ClassAIBuilder, schemas.ClassAIAgent}, l.IdentityClass) {
		t.Errorf("%s: class %q", l.Instance, l.IdentityClass)
	}
}

// TestCredentialsBelongToOneIdentity shows every credential id the records
// carry belongs to one identity, as an access key belongs to one IAM user
// in one account: the credentials the population shares are shared by
// workloads on one identity, never by two identities by accident.
func TestCredentialsBelongToOneIdentity(t *testing.T) {
	_, _, _, events := smallRunEvents(t)
	owner := map[string]string{}
	for _, n := range events {
		id, cred := n.ev.Identity.ID, n.ev.Identity.CredentialID
		if cred == "" || id == "" {
			continue
		}
		if prev, ok := owner[cred]; ok && prev != id {
			t.Fatalf("credential %s is carried by %s and %s", cred, prev, id)
		}
		owner[cred] = id
	}
	if len(owner) < 10 {
		t.Fatalf("only %d credentials in the records", len(owner))
	}
}
