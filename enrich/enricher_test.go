package enrich_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/enrich"
	"github.com/aitdr/aitdr/schemas"
)

var t0 = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

// gcpUser is an event of a GCP user with the given method.
func gcpUser(i int, method string, cat schemas.Category) *schemas.Event {
	service := "iam.googleapis.com"
	if strings.HasPrefix(method, "google.cloud.aiplatform.") {
		service = "aiplatform.googleapis.com"
	}
	return &schemas.Event{
		ID:     "e" + string(rune('a'+i)),
		Time:   t0.Add(time.Duration(i) * time.Minute),
		Source: schemas.Source{Product: schemas.ProductGCPAudit, Project: "acme-ml-prod"},
		Identity: schemas.Principal{
			ID: "gcp:acme.example:sam.ortiz@acme.example", Kind: schemas.KindHuman, Provider: "gcp",
			Account: "acme.example", Type: "User", Email: "sam.ortiz@acme.example", Name: "sam.ortiz@acme.example",
		},
		Action:  schemas.Action{Name: method, Service: service, Category: cat},
		Target:  schemas.Target{Type: "endpoint", ID: "projects/acme-ml-prod/locations/us-central1/endpoints/42", Tenant: "acme-ml-prod"},
		Outcome: schemas.OutcomeSuccess,
		Network: schemas.Network{SourceIP: "198.51.100.7", UserAgent: "Mozilla/5.0 (Macintosh)"},
	}
}

// TestClassReEvaluated shows a class follows the evidence as it
// accumulates: a person with no AI activity, then an AI user, then an AI
// builder, the evidence growing with each step and the confidence in
// "no AI activity" growing with the events.
func TestClassReEvaluated(t *testing.T) {
	x := enrich.NewEnricher(testConfig(), fixed(lookups(t, testConfig())))
	steps := []struct {
		ev       *schemas.Event
		class    schemas.IdentityClass
		evidence []string
	}{
		{gcpUser(0, "google.iam.admin.v1.GetServiceAccount", schemas.CategoryOther), schemas.ClassHuman, []string{
			"source reports a person (gcp User)", "uses a web browser (Mozilla)", "no AI activity seen yet",
		}},
		{gcpUser(1, "google.cloud.aiplatform.v1.PredictionService.Predict", schemas.CategoryModelInference), schemas.ClassAIUser, []string{
			"runs models on Vertex AI (google.cloud.aiplatform.v1.PredictionService.Predict)",
			"source reports a person (gcp User)", "uses a web browser (Mozilla)",
		}},
		{gcpUser(2, "google.cloud.aiplatform.v1.EndpointService.DeployModel", schemas.CategoryModelManagement), schemas.ClassAIBuilder, []string{
			"builds AI on Vertex AI (google.cloud.aiplatform.v1.EndpointService.DeployModel)",
			"runs models on Vertex AI (google.cloud.aiplatform.v1.PredictionService.Predict)",
			"source reports a person (gcp User)", "uses a web browser (Mozilla)",
		}},
	}
	for i, s := range steps {
		x.Enrich(s.ev, 0, int64(i))
		en := s.ev.Enrichment
		if en.Class != s.class || !slices.Equal(en.ClassEvidence, s.evidence) {
			t.Errorf("step %d: %s %q, want %s %q", i, en.Class, en.ClassEvidence, s.class, s.evidence)
		}
	}
	row := x.Identity("gcp:acme.example:sam.ortiz@acme.example").Identity
	if row.Events != 3 || row.Kind != schemas.KindHuman || !row.FirstSeen.Equal(t0) || !row.LastSeen.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("row: events %d kind %s first %s last %s", row.Events, row.Kind, row.FirstSeen, row.LastSeen)
	}
	if len(row.AIServices) != 1 || row.AIServices[0].Service != "vertex_ai" || row.AIServices[0].Events != 2 ||
		row.AIServices[0].Status != schemas.AIServiceSanctioned {
		t.Errorf("ai services %+v", row.AIServices)
	}
	if !slices.Equal(row.Environments, []schemas.Environment{schemas.EnvProduction}) || row.AccountType != schemas.AccountCorporate {
		t.Errorf("environments %v account type %s", row.Environments, row.AccountType)
	}

	// A person with no AI activity grows more certain of it.
	y := enrich.NewEnricher(testConfig(), fixed(lookups(t, testConfig())))
	var first, later float64
	for i := range 60 {
		ev := gcpUser(i, "google.iam.admin.v1.GetServiceAccount", schemas.CategoryOther)
		y.Enrich(ev, 0, int64(i))
		if i == 0 {
			first = ev.Enrichment.ClassConfidence
		}
		later = ev.Enrichment.ClassConfidence
		if i == 59 && !slices.Contains(ev.Enrichment.ClassEvidence, "no AI activity in 50+ events") {
			t.Errorf("evidence after 60 events: %q", ev.Enrichment.ClassEvidence)
		}
	}
	if later <= first {
		t.Errorf("confidence %.2f after 60 events, %.2f after one", later, first)
	}
}

// TestDirectoryLinksAccounts shows the directory makes an IAM user the
// source cannot place a person, links it to the person's other accounts
// (one owner and team across providers), and names the owner of an agent
// from its source-given owner.
func TestDirectoryLinksAccounts(t *testing.T) {
	x := enrich.NewEnricher(testConfig(), fixed(lookups(t, testConfig())))
	iam := golden(t, "cloudtrail/iam_create_user")[0]                  // aws:...:user/priya.natarajan
	vertex := golden(t, "gcpaudit/vertex_create_training_pipeline")[0] // gcp priya
	chat := golden(t, "entra/graph_signin_interactive_chatgpt")[0]     // entra priya
	for _, ev := range []*schemas.Event{iam, vertex, chat} {
		x.Enrich(ev, 0, -1)
		if ev.Enrichment.Owner != "priya.natarajan@acme.example" || ev.Enrichment.Team != "ML Platform" {
			t.Errorf("%s: owner %q team %q", ev.Identity.ID, ev.Enrichment.Owner, ev.Enrichment.Team)
		}
	}
	if !slices.Contains(iam.Enrichment.ClassEvidence, "listed in the directory as priya.natarajan@acme.example") {
		t.Errorf("IAM user evidence: %q", iam.Enrichment.ClassEvidence)
	}
	if iam.Enrichment.PeerGroup != "human/ML Platform" || vertex.Enrichment.PeerGroup != "ai_builder/ML Platform" {
		t.Errorf("peer groups %q %q", iam.Enrichment.PeerGroup, vertex.Enrichment.PeerGroup)
	}
	agent := golden(t, "aigateway/litellm_payload_agent_key")[0]
	x.Enrich(agent, 0, -1)
	if agent.Enrichment.Owner != "marco.rossi@acme.example" || agent.Enrichment.Team != "Support Automation" ||
		agent.Enrichment.PeerGroup != "ai_agent/Support Automation" {
		t.Errorf("agent owner %q team %q peer group %q", agent.Enrichment.Owner, agent.Enrichment.Team, agent.Enrichment.PeerGroup)
	}
	// A GitHub account is personal unless the directory or SSO links it.
	clone := golden(t, "github/git_clone")[0]
	repo := golden(t, "github/repo_create")[0]
	x.Enrich(clone, 0, -1)
	x.Enrich(repo, 0, -1)
	if clone.Identity.AccountType != schemas.AccountPersonal || repo.Identity.AccountType != schemas.AccountCorporate {
		t.Errorf("GitHub account types: contractor %s, linked %s", clone.Identity.AccountType, repo.Identity.AccountType)
	}
}

// awsKeyEvent is an event of an IAM identity with an access key.
func awsKeyEvent(id, key, ua, ip string, at time.Duration) *schemas.Event {
	return &schemas.Event{
		Time:     t0.Add(at),
		Source:   schemas.Source{Product: schemas.ProductAWSCloudTrail, Account: "123456789012"},
		Identity: schemas.Principal{ID: id, Kind: schemas.KindService, Provider: "aws", Account: "123456789012", Type: "IAMUser", CredentialID: key},
		Session:  schemas.Session{CredentialType: schemas.CredentialAccessKey},
		Action:   schemas.Action{Name: "InvokeModel", Service: "bedrock.amazonaws.com", Category: schemas.CategoryModelInference},
		Outcome:  schemas.OutcomeSuccess,
		Network:  schemas.Network{SourceIP: ip, UserAgent: ua},
	}
}

// TestSharedCredentials shows agents sharing one credential are flagged:
// the same key used by two principals flags both, and one principal's key
// used from unrelated clients (another client, another network) within
// the window flags it, while the same use hours apart does not.
func TestSharedCredentials(t *testing.T) {
	x := enrich.NewEnricher(testConfig(), fixed(lookups(t, testConfig())))
	a := awsKeyEvent("aws:123456789012:user/agent-a", "AKIASHARED", "Boto3/1.34", "10.0.1.5", 0)
	b := awsKeyEvent("aws:123456789012:user/agent-b", "AKIASHARED", "Boto3/1.34", "10.0.1.6", time.Minute)
	x.Enrich(a, 0, 1)
	x.Enrich(b, 0, 2)
	for _, id := range []string{"aws:123456789012:user/agent-a", "aws:123456789012:user/agent-b"} {
		row := x.Identity(id).Identity
		if !row.SharedCredential {
			t.Errorf("%s not flagged", id)
		}
	}
	want := "shares a credential: credential AKIASHARED is also used by aws:123456789012:user/agent-a"
	if !slices.Contains(b.Enrichment.ClassEvidence, want) {
		t.Errorf("evidence of b: %q", b.Enrichment.ClassEvidence)
	}
	if ev := x.Identity("aws:123456789012:user/agent-a").Identity.ClassEvidence; !slices.Contains(ev,
		"shares a credential: credential AKIASHARED is also used by aws:123456789012:user/agent-b") {
		t.Errorf("evidence of a, flagged after its event: %q", ev)
	}

	y := enrich.NewEnricher(testConfig(), fixed(lookups(t, testConfig())))
	y.Enrich(awsKeyEvent("aws:123456789012:user/c", "AKIAC", "Boto3/1.34", "10.0.1.5", 0), 0, 1)
	y.Enrich(awsKeyEvent("aws:123456789012:user/c", "AKIAC", "aws-cli/2.15", "10.0.1.9", time.Minute), 0, 2)  // same network
	y.Enrich(awsKeyEvent("aws:123456789012:user/c", "AKIAC", "Boto3/1.34", "203.0.113.9", 3*time.Hour), 0, 3) // hours later
	if y.Identity("aws:123456789012:user/c").Identity.SharedCredential {
		t.Fatal("flagged without unrelated clients at once")
	}
	ev := awsKeyEvent("aws:123456789012:user/c", "AKIAC", "Mozilla/5.0", "198.51.100.20", 3*time.Hour+2*time.Minute)
	y.Enrich(ev, 0, 4)
	if !y.Identity("aws:123456789012:user/c").Identity.SharedCredential || !slices.Contains(ev.Enrichment.ClassEvidence,
		"shares a credential: credential AKIAC used from unrelated clients at once (Boto3 from 203.0.113.0/24, Mozilla from 198.51.100.0/24)") {
		t.Errorf("not flagged: %q", ev.Enrichment.ClassEvidence)
	}
}

// TestReplaySkipped shows an event at or below an identity's last folded
// offset is enriched but not counted again.
func TestReplaySkipped(t *testing.T) {
	x := enrich.NewEnricher(testConfig(), fixed(lookups(t, testConfig())))
	for _, off := range []int64{10, 11, 11, 10, 12} {
		ev := golden(t, "cloudtrail/bedrock_invoke_model")[0]
		x.Enrich(ev, 0, off)
		if ev.Enrichment.Class != schemas.ClassAIAgent {
			t.Errorf("offset %d: replay not enriched: %s", off, ev.Enrichment.Class)
		}
	}
	st := x.Identity("aws:123456789012:role/bedrock-support-agent")
	if st.Identity.Events != 3 || st.Offset != 12 {
		t.Errorf("events %d offset %d, want 3 and 12", st.Identity.Events, st.Offset)
	}
}

// TestContextAndStatus shows the target's environment and sensitivity come
// from the maps where the source left them, prompt findings raise the data
// sensitivity, a sanctioned service used from a personal account is shadow
// AI, and events without an identity are enriched with what is known but
// not inventoried.
func TestContextAndStatus(t *testing.T) {
	x := enrich.NewEnricher(testConfig(), fixed(lookups(t, testConfig())))
	s3 := golden(t, "cloudtrail/s3_get_object")[0]
	x.Enrich(s3, 0, -1)
	if s3.Target.Environment != schemas.EnvProduction || s3.Target.Sensitivity != schemas.SensitivityRestricted ||
		s3.Enrichment.DataSensitivity != schemas.SensitivityRestricted {
		t.Errorf("s3 target %s %s data %s", s3.Target.Environment, s3.Target.Sensitivity, s3.Enrichment.DataSensitivity)
	}
	gw := golden(t, "aigateway/litellm_spendlog_chat")[0] // a sanctioned service (Azure OpenAI)
	gw.AI.Findings = []schemas.DataFinding{{Type: schemas.DataCreditCard, Count: 1, Confidence: 0.9}}
	x.Enrich(gw, 0, -1)
	if gw.Enrichment.DataSensitivity != schemas.SensitivityRestricted || gw.Enrichment.AIServiceStatus != schemas.AIServiceSanctioned {
		t.Errorf("gateway data %s status %s", gw.Enrichment.DataSensitivity, gw.Enrichment.AIServiceStatus)
	}
	personal := golden(t, "aigateway/litellm_spendlog_chat")[0]
	personal.Identity.ID, personal.Identity.Email, personal.Identity.AccountType = "litellm:litellm:user/p@gmail.com", "p@gmail.com", ""
	x.Enrich(personal, 0, -1)
	if personal.Enrichment.AIServiceStatus != schemas.AIServiceShadow || personal.Identity.AccountType != schemas.AccountPersonal {
		t.Errorf("personal use of a sanctioned service: %s, account %s", personal.Enrichment.AIServiceStatus, personal.Identity.AccountType)
	}
	none := golden(t, "gcpaudit/system_event_no_principal")[0]
	n := x.Identities()
	x.Enrich(none, 0, -1)
	if x.Identities() != n || none.Enrichment.Class != "" {
		t.Errorf("an event without identity was inventoried: %+v", none.Enrichment)
	}
	unknownAI := golden(t, "aigateway/generic_proxy_chat")[0]
	unknownAI.Identity.ID, unknownAI.AI.Provider, unknownAI.AI.Service = "gw:x:user/u", "acme-llm", "gateway:acme"
	x.Enrich(unknownAI, 0, -1)
	if unknownAI.Enrichment.AIServiceStatus != schemas.AIServiceUnknown {
		t.Errorf("unknown AI service status %q", unknownAI.Enrichment.AIServiceStatus)
	}
	if svc := x.Identity("gw:x:user/u").Identity.AIServices; len(svc) != 1 || svc[0].Service != "gateway:acme" || svc[0].Status != schemas.AIServiceUnknown {
		t.Errorf("unknown AI service in the inventory: %+v", svc)
	}
}

// TestEveryGolden shows every event of every ingest source is enriched:
// an identity gets a valid class with evidence and an inventory row that
// validates.
func TestEveryGolden(t *testing.T) {
	x := enrich.NewEnricher(testConfig(), fixed(lookups(t, testConfig())))
	events := allGoldens(t)
	for i, ev := range events {
		x.Enrich(ev, 0, int64(i))
		if ev.Identity.ID == "" {
			continue
		}
		en := ev.Enrichment
		if !en.Class.Valid() || en.Class == "" || len(en.ClassEvidence) == 0 || en.ClassConfidence <= 0 || en.ClassConfidence > 1 {
			t.Errorf("%s (%s): class %q %.2f %q", ev.Identity.ID, ev.Action.Name, en.Class, en.ClassConfidence, en.ClassEvidence)
		}
		if en.IdentityFirstSeen.IsZero() {
			t.Errorf("%s: no first seen", ev.Identity.ID)
		}
	}
	if len(x.Dirty()) != x.Identities() {
		t.Errorf("%d identities changed, %d in the inventory", len(x.Dirty()), x.Identities())
	}
	for _, st := range x.Dirty() {
		st.Prepare()
		if err := st.Identity.Validate(); err != nil {
			t.Errorf("%s: %v", st.Identity.ID, err)
		}
	}
	if x.Identities() < 80 {
		t.Errorf("%d identities from %d events", x.Identities(), len(events))
	}
}

// TestConfigValidate shows every problem of the enrich section is named
// by its field.
func TestConfigValidate(t *testing.T) {
	cfg := enrich.DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	cfg.DirectoryFiles = []string{" "}
	cfg.Catalog.Sanctioned = []string{"chatgpt"}
	cfg.Catalog.Unsanctioned = []string{"chatgpt"}
	cfg.Accounts.CorporateDomains = []string{"no"}
	cfg.FindingSensitivity = map[string]schemas.Sensitivity{"credit_card": "secret"}
	cfg.ReloadInterval = time.Millisecond
	cfg.SharedCredentialWindow = 0
	err := cfg.Validate()
	want := []string{
		"directory_files[0]: empty file name",
		`catalog.sanctioned: "chatgpt" is also in catalog.unsanctioned`,
		`accounts.corporate_domains[0]: "no" is not a mail domain such as acme.example`,
		`finding_sensitivity.credit_card: "secret" is not one of public, internal, confidential, restricted`,
		"reload_interval: 1ms must be at least 100ms",
		"shared_credential_window: 0s must be positive",
	}
	if err == nil || strings.Join(strings.Split(err.Error(), "\n"), "\n") != strings.Join(want, "\n") {
		t.Errorf("Validate =\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
}
