package classify_test

import (
	"slices"
	"testing"

	"github.com/aitdr/aitdr/enrich/catalog"
	"github.com/aitdr/aitdr/enrich/classify"
	"github.com/aitdr/aitdr/schemas"
)

func evidence(facts ...classify.Fact) *classify.Evidence {
	var e classify.Evidence
	e.Set(facts)
	return &e
}

func fact(s classify.Signal, detail string) classify.Fact {
	return classify.Fact{Signal: s, Detail: detail}
}

// TestDecide shows the decision rules on evidence alone: builders before
// users, agents for any AI activity of a non-person, administration not
// deciding, and the low confidence of an undecided humanness.
func TestDecide(t *testing.T) {
	tests := []struct {
		name       string
		e          *classify.Evidence
		events     int64
		class      schemas.IdentityClass
		kind       schemas.IdentityKind
		confidence float64
		evidence   []string
	}{
		{"builder beats user", evidence(
			fact(classify.SourceHuman, "okta User"), fact(classify.AIInference, "ChatGPT"), fact(classify.AIBuild, "Vertex AI (DeployModel)"),
		), 3, schemas.ClassAIBuilder, schemas.KindHuman, 0.72, []string{
			"builds AI on Vertex AI (DeployModel)", "runs models on ChatGPT", "source reports a person (okta User)",
		}},
		{"administration alone is no AI activity", evidence(
			fact(classify.SourceHuman, "github User"), fact(classify.AIAdmin, "GitHub Copilot (seat)"),
		), 1, schemas.ClassHuman, schemas.KindHuman, 0.48, []string{
			"administers GitHub Copilot (seat)", "source reports a person (github User)", "no AI activity seen yet",
		}},
		{"non-person running models", evidence(
			fact(classify.NonHumanType, "ServiceAccount"), fact(classify.SDKClient, "grpc-python"), fact(classify.AIInference, "Vertex AI (Predict)"),
		), 1, schemas.ClassAIAgent, schemas.KindAgent, 0.84, []string{
			"runs models on Vertex AI (Predict)", "non-human principal type (ServiceAccount)", "calls APIs from an SDK or script (grpc-python)",
		}},
		{"agent by its source", evidence(fact(classify.SourceAgent, "litellm virtual_key")), 1,
			schemas.ClassAIAgent, schemas.KindAgent, 0.66, []string{"source reports an agent (litellm virtual_key)"}},
		{"service, more sure with more events", evidence(fact(classify.SourceService, "aws AssumedRole")), 60,
			schemas.ClassService, schemas.KindService, 0.68, []string{"source reports a non-human principal (aws AssumedRole)", "no AI activity in 50+ events"}},
		{"undecided humanness", evidence(fact(classify.PersonName, "jo.doe"), fact(classify.SDKClient, "Boto3")), 1,
			schemas.ClassUnknown, schemas.KindUnknown, 0.24, []string{
				"has a person's name (jo.doe)", "calls APIs from an SDK or script (Boto3)",
				"not known whether a person or a service", "no AI activity seen yet",
			}},
		{"undecided humanness building", evidence(fact(classify.AIBuild, "KServe (patch inferenceservices)")), 1,
			schemas.ClassAIBuilder, schemas.KindUnknown, 0.36, []string{
				"builds AI on KServe (patch inferenceservices)", "not known whether a person or a service",
			}},
		{"contradicting evidence: the sum decides, the agreeing facts explain", evidence(
			fact(classify.SourceService, "gateway virtual_key"), fact(classify.BrowserClient, "Mozilla"), fact(classify.AIInference, "ChatGPT"),
		), 1, schemas.ClassAIAgent, schemas.KindAgent, 0.66, []string{
			"runs models on ChatGPT", "source reports a non-human principal (gateway virtual_key)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := classify.Decide(tt.e, tt.events)
			if r.Class != tt.class || r.Kind != tt.kind || r.Confidence != tt.confidence {
				t.Errorf("Decide = %s %s %.2f, want %s %s %.2f", r.Class, r.Kind, r.Confidence, tt.class, tt.kind, tt.confidence)
			}
			if !slices.Equal(r.Evidence, tt.evidence) {
				t.Errorf("evidence\n %q\nwant\n %q", r.Evidence, tt.evidence)
			}
		})
	}
}

// TestObserve shows what one event tells: the source's kind, sign-in,
// client, credential and the AI use, each signal once.
func TestObserve(t *testing.T) {
	ev := &schemas.Event{
		Identity: schemas.Principal{Provider: "aws", Type: "IAMUser", Name: "svc-llm-batch"},
		Session:  schemas.Session{CredentialType: schemas.CredentialAPIKey},
		Action:   schemas.Action{Name: "InvokeModel", Category: schemas.CategoryModelInference},
		Network:  schemas.Network{UserAgent: "[python-requests/2.31.0]"},
	}
	var e classify.Evidence
	use := classify.AIUse{Use: catalog.UseInference, Service: "Amazon Bedrock", Action: "InvokeModel", Via: "litellm"}
	if !classify.Observe(ev, use, &e) {
		t.Fatal("no evidence from the first event")
	}
	want := []classify.Fact{
		fact(classify.ServiceName, "svc-llm-batch"),
		fact(classify.SDKClient, "python-requests"),
		fact(classify.MachineCredential, "api_key"),
		fact(classify.AIInference, "Amazon Bedrock (InvokeModel, through gateway litellm)"),
	}
	if !slices.Equal(e.Facts(), want) {
		t.Errorf("facts\n %+v\nwant\n %+v", e.Facts(), want)
	}
	if classify.Observe(ev, use, &e) {
		t.Error("the same event added evidence twice")
	}
	if e.Humanness() != -4 {
		t.Errorf("humanness %d, want -4", e.Humanness())
	}
	for s := range classify.SharedCredential + 1 {
		if got, ok := classify.SignalByName(s.String()); !ok || got != s {
			t.Errorf("signal %d does not round-trip its name %q", s, s.String())
		}
	}
}
