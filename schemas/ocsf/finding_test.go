package ocsf_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// scoredEvent returns the enriched and scored golden event of the schemas
// package: the agent with 14x its usual token volume.
func scoredEvent(tb testing.TB) *schemas.Event {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "scored_enriched_agent.golden.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var e schemas.Event
	if err := schemas.DecodeEvent(schemas.ContentTypeEventJSON, b, &e); err != nil {
		tb.Fatal(err)
	}
	return &e
}

// llmjackingAlert builds the alert the rules stage raises on the scored
// event and a second event of the same burst two minutes later.
func llmjackingAlert(tb testing.TB) *ocsf.DetectionFinding {
	first := scoredEvent(tb)
	second := scoredEvent(tb)
	second.ID = schemas.EventID(second.Source.Product, "0c4f7d2e-11aa-4b8e-9f3c-5d6e7f8a9b0c", nil)
	second.Source.EventID = "0c4f7d2e-11aa-4b8e-9f3c-5d6e7f8a9b0c"
	second.Time = first.Time.Add(2 * time.Minute)

	created := time.Date(2025, 3, 14, 9, 28, 41, 250000000, time.UTC)
	f := ocsf.New("a7c1d9e3b5f70214c6e8a0b2d4f61357", "Agent token volume 14x its baseline with a new model", created, ocsf.SeverityHigh)
	f.Metadata.Product.Version = "0.1.0"
	f.Message = "aws:123456789012:role/bedrock-support-agent invoked anthropic.claude-3-5-sonnet-20240620-v1:0 at 14.2x its 5-minute token baseline"
	f.FindingInfo.Desc = "The agent's model tokens over 5 minutes are 14.2 times its baseline, with a model and a source address it never used, outside its usual hours: the pattern of a stolen key used to run models on the victim's bill (LLMjacking)."
	f.FindingInfo.Types = []string{"baseline_anomaly", "llmjacking"}
	f.Metadata.Labels = []string{"ai_agent", "llmjacking"}
	f.SetAnalytic("aitdr.llmjacking.token_spike", "Agent token volume spike", "3", ocsf.AnalyticBehavioral)
	f.SetConfidence(85)
	f.RiskScore = 82
	f.AddAttack(ocsf.Technique{UID: "AML.T0034", Name: "Cost Harvesting"}, ocsf.Tactic{UID: "AML.TA0011", Name: "Impact"}, "ATLAS 4.7")
	f.AddAttack(ocsf.Technique{UID: "T1496", Name: "Resource Hijacking"}, ocsf.Tactic{UID: "TA0040", Name: "Impact"}, "ATT&CK 15")
	f.AddEvidence(first)
	f.AddEvidence(second)
	f.Remediation = ocsf.Remediation{
		Desc: "Sessions of the role were revoked. Disable the role's trust for the agent runtime until its owner confirms the activity, then rotate any long-lived keys of the runtime.",
	}
	ext := &f.Unmapped.AITDR
	ext.Baselines = []ocsf.BaselineBreak{
		{Feature: "tokens_ratio.5m", Observed: 32310, Baseline: 2275, Ratio: 14.2},
		{Feature: "is_new_model", Observed: 1, Baseline: 0},
	}
	ext.Response = []ocsf.ResponseAction{
		{Action: ocsf.ResponseRevokeSessions, Target: first.Identity.ID, Status: ocsf.ResponseSucceeded, Time: ocsf.Millis(created.Add(3 * time.Second))},
		{Action: ocsf.ResponseDisableAccount, Target: first.Identity.ID, Status: ocsf.ResponseRecommended},
		{Action: ocsf.ResponseNotifyOwner, Target: "priya.natarajan@acme.example", Status: ocsf.ResponsePending},
	}
	return f
}

// TestAlertGolden shows the full alert JSON against the committed golden
// (rewritten with -update), that the golden decodes back to the same alert,
// is valid, and carries the fixed OCSF uids and the aitdr extension.
func TestAlertGolden(t *testing.T) {
	f := llmjackingAlert(t)
	if err := f.Validate(); err != nil {
		t.Fatalf("alert is not valid: %v", err)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", "llmjacking_agent.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, golden) {
		t.Errorf("alert JSON differs from %s (run with -update after review):\n%s", path, b)
	}
	var back ocsf.DetectionFinding
	if err := json.Unmarshal(golden, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, f) {
		t.Errorf("golden decodes to\n%+v\nwant\n%+v", back, *f)
	}
	var generic map[string]any
	if err := json.Unmarshal(golden, &generic); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]float64{"class_uid": 2004, "category_uid": 2, "type_uid": 200401, "severity_id": 4, "status_id": 1} {
		if generic[key] != want {
			t.Errorf("%s = %v, want %v", key, generic[key], want)
		}
	}
	aitdr, _ := generic["unmapped"].(map[string]any)["aitdr"].(map[string]any)
	if aitdr["identity"].(map[string]any)["class"] != "ai_agent" || len(aitdr["evidence_event_ids"].([]any)) != 2 {
		t.Errorf("unmapped.aitdr lacks the identity class or the evidence ids: %v", aitdr)
	}
}

// TestAlertMatchesSchema shows that the golden alert validates against the
// committed alert JSON Schema, and that a finding of another class does not.
func TestAlertMatchesSchema(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "jsonschema", "alert.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "https://github.com/aitdr/aitdr/schemas/jsonschema/alert.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "llmjacking_agent.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		json  string
		valid bool
	}{
		{"golden alert", string(golden), true},
		{"security finding class", strings.Replace(string(golden), `"class_uid": 2004`, `"class_uid": 2001`, 1), false},
		{"unknown response status", strings.Replace(string(golden), `"status": "succeeded"`, `"status": "done"`, 1), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(v); (err == nil) != tt.valid {
				t.Errorf("Validate() = %v, want valid %v", err, tt.valid)
			}
		})
	}
}

// TestNewFixedUIDs shows that New and SetActivity set the fixed category
// and class and the type uid of each activity.
func TestNewFixedUIDs(t *testing.T) {
	tests := []struct {
		activity ocsf.ActivityID
		typeUID  int
		typeName string
	}{
		{ocsf.ActivityCreate, 200401, "Detection Finding: Create"},
		{ocsf.ActivityUpdate, 200402, "Detection Finding: Update"},
		{ocsf.ActivityClose, 200403, "Detection Finding: Close"},
		{ocsf.ActivityOther, 200499, "Detection Finding: Other"},
	}
	for _, tt := range tests {
		t.Run(tt.activity.String(), func(t *testing.T) {
			f := ocsf.New("id", "title", time.UnixMilli(1741944401000), ocsf.SeverityMedium)
			f.SetActivity(tt.activity)
			if f.ClassUID != 2004 || f.CategoryUID != 2 || f.ClassName != "Detection Finding" || f.CategoryName != "Findings" {
				t.Errorf("class %d %q category %d %q", f.ClassUID, f.ClassName, f.CategoryUID, f.CategoryName)
			}
			if f.TypeUID != tt.typeUID || f.TypeName != tt.typeName {
				t.Errorf("type %d %q, want %d %q", f.TypeUID, f.TypeName, tt.typeUID, tt.typeName)
			}
			if f.Time != 1741944401000 || f.Metadata.Version != ocsf.Version || f.Metadata.Product.Name != "aitdr" || f.StatusID != ocsf.StatusNew {
				t.Errorf("time %d, metadata %+v, status %d", f.Time, f.Metadata, f.StatusID)
			}
			if err := f.Validate(); err != nil {
				t.Errorf("Validate() = %v", err)
			}
		})
	}
}

// TestSeverityAndConfidence shows how severity sets the risk level and how
// confidence scores map to buckets.
func TestSeverityAndConfidence(t *testing.T) {
	for _, tt := range []struct {
		sev  ocsf.SeverityID
		risk ocsf.RiskLevelID
		name string
	}{
		{ocsf.SeverityInformational, ocsf.RiskInfo, "Info"},
		{ocsf.SeverityLow, ocsf.RiskLow, "Low"},
		{ocsf.SeverityMedium, ocsf.RiskMedium, "Medium"},
		{ocsf.SeverityHigh, ocsf.RiskHigh, "High"},
		{ocsf.SeverityCritical, ocsf.RiskCritical, "Critical"},
		{ocsf.SeverityFatal, ocsf.RiskCritical, "Critical"},
	} {
		t.Run("severity "+tt.sev.String(), func(t *testing.T) {
			f := ocsf.New("id", "title", time.Now(), ocsf.SeverityUnknown)
			f.SetSeverity(tt.sev)
			if f.RiskLevelID != tt.risk || f.RiskLevel != tt.name || f.Severity != tt.sev.String() {
				t.Errorf("risk %d %q severity %q, want %d %q", f.RiskLevelID, f.RiskLevel, f.Severity, tt.risk, tt.name)
			}
		})
	}
	for _, tt := range []struct {
		score, want int
		id          ocsf.ConfidenceID
	}{{-5, 0, ocsf.ConfidenceLow}, {39, 39, ocsf.ConfidenceLow}, {40, 40, ocsf.ConfidenceMedium}, {69, 69, ocsf.ConfidenceMedium}, {70, 70, ocsf.ConfidenceHigh}, {250, 100, ocsf.ConfidenceHigh}} {
		t.Run("confidence "+tt.id.String(), func(t *testing.T) {
			f := ocsf.New("id", "title", time.Now(), ocsf.SeverityLow)
			f.SetConfidence(tt.score)
			if f.ConfidenceScore != tt.want || f.ConfidenceID != tt.id || f.Confidence != tt.id.String() {
				t.Errorf("SetConfidence(%d): %d %d %q, want %d %d", tt.score, f.ConfidenceScore, f.ConfidenceID, f.Confidence, tt.want, tt.id)
			}
		})
	}
}

// TestAddEvidence shows what evidence events add: counts, the time range,
// related events and extension ids in order, resources once per id, the
// actor and identity context from the first event, and the cloud profile.
func TestAddEvidence(t *testing.T) {
	f := llmjackingAlert(t)
	first := scoredEvent(t)
	if f.Count != 2 || len(f.Evidences) != 2 || len(f.FindingInfo.RelatedEvents) != 2 {
		t.Errorf("count %d, evidences %d, related %d, want 2 each", f.Count, len(f.Evidences), len(f.FindingInfo.RelatedEvents))
	}
	if got, want := f.StartTime, first.Time.UnixMilli(); got != want || f.FindingInfo.FirstSeenTime != want {
		t.Errorf("start %d first seen %d, want %d", got, f.FindingInfo.FirstSeenTime, want)
	}
	if got, want := f.EndTime, first.Time.Add(2*time.Minute).UnixMilli(); got != want || f.FindingInfo.LastSeenTime != want {
		t.Errorf("end %d last seen %d, want %d", got, f.FindingInfo.LastSeenTime, want)
	}
	if ids := f.Unmapped.AITDR.EvidenceEventIDs; len(ids) != 2 || ids[0] != first.ID || ids[0] == ids[1] {
		t.Errorf("evidence ids %v", ids)
	}
	if len(f.Resources) != 1 || f.Resources[0].UID != first.Target.ID {
		t.Errorf("resources %+v, want the one model once", f.Resources)
	}
	if u := f.Actor.User; u.UID != first.Identity.ID || u.TypeID != ocsf.UserOther || u.Type != "AI Agent" {
		t.Errorf("actor user %+v", u)
	}
	if s := f.Actor.Session; s.UID != "support-agent-7f3c" || s.CredentialUID != "ASIAXQDEMOKEY7F3C2EX" || s.CreatedTime == 0 {
		t.Errorf("actor session %+v", s)
	}
	id := f.Unmapped.AITDR.Identity
	if id.Class != schemas.ClassAIAgent || id.Owner != "priya.natarajan@acme.example" || id.Kind != schemas.KindAgent {
		t.Errorf("extension identity %+v", id)
	}
	if f.Cloud.Provider != "AWS" || f.Cloud.Account.UID != "123456789012" || !reflect.DeepEqual(f.Metadata.Profiles, []string{"cloud"}) {
		t.Errorf("cloud %+v profiles %v", f.Cloud, f.Metadata.Profiles)
	}
	if f.Metadata.CorrelationUID != "aitdr.llmjacking.token_spike/"+first.Identity.ID {
		t.Errorf("correlation uid %q", f.Metadata.CorrelationUID)
	}
	if got := f.Unmapped.AITDR.ATLASTechniques; !reflect.DeepEqual(got, []string{"AML.T0034"}) {
		t.Errorf("ATLAS techniques %v, want only the AML one", got)
	}
}

// TestValidateFinding shows that Validate catches a finding whose fixed
// uids, captions or extension were broken.
func TestValidateFinding(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *ocsf.DetectionFinding)
		want   string
	}{
		{"other class", func(f *ocsf.DetectionFinding) { f.ClassUID = 2001 }, "class_uid"},
		{"type uid of another activity", func(f *ocsf.DetectionFinding) { f.ActivityID = ocsf.ActivityClose }, "type_uid"},
		{"severity caption", func(f *ocsf.DetectionFinding) { f.SeverityID = ocsf.SeverityCritical }, "severity"},
		{"no finding uid", func(f *ocsf.DetectionFinding) { f.FindingInfo.UID = "" }, "finding_info.uid"},
		{"no time", func(f *ocsf.DetectionFinding) { f.Time = 0 }, "time: required"},
		{"extension version", func(f *ocsf.DetectionFinding) { f.Unmapped.AITDR.Version = 0 }, "unmapped.aitdr.version"},
		{"response status", func(f *ocsf.DetectionFinding) { f.Unmapped.AITDR.Response[0].Status = "done" }, "unmapped.aitdr.response[0].status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := llmjackingAlert(t)
			tt.change(f)
			err := f.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error about %s", err, tt.want)
			}
		})
	}
}

// TestCaptions shows the captions of ids, including unknown ones.
func TestCaptions(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{ocsf.StatusInProgress.String(), "In Progress"},
		{ocsf.AnalyticLearning.String(), "Learning (ML/DL)"},
		{ocsf.UserRegular.String(), "User"},
		{ocsf.SeverityID(42).String(), "Other (42)"},
		{ocsf.TypeName(ocsf.ActivityUpdate), "Detection Finding: Update"},
	} {
		if tt.got != tt.want {
			t.Errorf("caption %q, want %q", tt.got, tt.want)
		}
	}
	if ocsf.Millis(time.Time{}) != 0 {
		t.Error("Millis of the zero time is not 0")
	}
}
