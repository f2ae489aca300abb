package schemas_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// The events below are the golden cases: realistic events of each source
// kind, filled the way ingest, enrich and baseline fill them.

// goldenCase is one golden event.
type goldenCase struct {
	name  string
	event func(testing.TB) *schemas.Event
}

var goldenCases = []goldenCase{
	{"cloudtrail_bedrock_invoke_model", bedrockInvokeModel},
	{"okta_signin_human", oktaSignIn},
	{"ai_gateway_prompt_findings", gatewayPrompt},
	{"scored_enriched_agent", scoredAgent},
}

// readTestdata returns a file of testdata, failing the test when it is missing.
func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatalf("read testdata: %v", err)
	}
	return b
}

// bedrockInvokeModel is a CloudTrail Bedrock InvokeModel call by an assumed
// role that an agent runs on: 45 filled fields and a 1.4 KB raw record.
func bedrockInvokeModel(tb testing.TB) *schemas.Event {
	raw := bytes.TrimSpace(readTestdata(tb, "cloudtrail_bedrock_invoke_model.raw.json"))
	const sourceID = "e3b9a1c4-7d2f-4e8a-b6c5-9f0d1a2b3c4d"
	return &schemas.Event{
		ID:            schemas.EventID(schemas.ProductAWSCloudTrail, sourceID, nil),
		SchemaVersion: schemas.EventSchemaVersion,
		Time:          time.Date(2025, 3, 14, 9, 26, 41, 0, time.UTC),
		ObservedTime:  time.Date(2025, 3, 14, 9, 27, 12, 513000000, time.UTC),
		Source: schemas.Source{
			Product: schemas.ProductAWSCloudTrail,
			EventID: sourceID,
			Account: "123456789012",
			Org:     "o-a1b2c3d4e5",
			Region:  "us-east-1",
		},
		Identity: schemas.Principal{
			ID:           "aws:123456789012:role/bedrock-support-agent",
			Kind:         schemas.KindAgent,
			Provider:     "aws",
			Account:      "123456789012",
			AccountType:  schemas.AccountCorporate,
			Type:         "AssumedRole",
			UID:          "arn:aws:sts::123456789012:assumed-role/bedrock-support-agent/support-agent-7f3c",
			Name:         "bedrock-support-agent",
			CredentialID: "ASIAXQDEMOKEY7F3C2EX",
		},
		Session: schemas.Session{
			ID:             "support-agent-7f3c",
			IssuedAt:       time.Date(2025, 3, 14, 9, 12, 3, 0, time.UTC),
			CredentialType: schemas.CredentialSessionToken,
			Issuer:         "arn:aws:iam::123456789012:role/bedrock-support-agent",
		},
		Action: schemas.Action{
			Name:     "InvokeModel",
			Service:  "bedrock.amazonaws.com",
			Verb:     schemas.VerbInvoke,
			Category: schemas.CategoryModelInference,
		},
		Target: schemas.Target{
			Type:        "model",
			ID:          "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0",
			Name:        "anthropic.claude-3-5-sonnet-20240620-v1:0",
			Environment: schemas.EnvProduction,
			Tenant:      "123456789012",
		},
		Outcome: schemas.OutcomeSuccess,
		Network: schemas.Network{
			SourceIP:  "10.20.31.44",
			UserAgent: "Boto3/1.34.62 md/Botocore#1.34.62 ua/2.0 os/linux#6.1.0 lang/python#3.12.2",
		},
		Volume: schemas.Volume{TokensIn: 1843, TokensOut: 412},
		AI: schemas.AIContext{
			Provider: "aws.bedrock",
			Service:  "bedrock",
			Model:    "anthropic.claude-3-5-sonnet-20240620-v1:0",
		},
		Labels: map[string]string{"pipeline": "prod-us"},
		Attributes: map[string]string{
			"aws.request_id":       "5b6c2d1e-8f0a-4c3b-9d7e-2a1f0e9c8b7d",
			"aws.event_type":       "AwsApiCall",
			"aws.management_event": "true",
		},
		Raw: schemas.Raw{Format: schemas.RawJSON, Data: raw},
	}
}

const oktaRaw = `{"uuid":"8f1e2d3c-4b5a-11ef-9a8b-0c1d2e3f4a5b","published":"2025-03-14T08:02:17.331Z","eventType":"user.session.start","displayMessage":"User login to Okta","severity":"INFO","actor":{"id":"00u1a2b3c4D5e6F7g8h9","type":"User","alternateId":"dana.lee@acme.example","displayName":"Dana Lee"},"client":{"userAgent":{"rawUserAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 Version/17.3 Safari/605.1.15"},"ipAddress":"198.51.100.23","geographicalContext":{"country":"Germany"}},"authenticationContext":{"externalSessionId":"102bZxY9wVu8TsR7q6P5o4N3m"},"outcome":{"result":"SUCCESS"},"securityContext":{"asNumber":3320,"asOrg":"deutsche telekom ag"}}`

// oktaSignIn is an Okta sign-in of a person with MFA.
func oktaSignIn(testing.TB) *schemas.Event {
	const sourceID = "8f1e2d3c-4b5a-11ef-9a8b-0c1d2e3f4a5b"
	return &schemas.Event{
		ID:            schemas.EventID(schemas.ProductOkta, sourceID, nil),
		SchemaVersion: schemas.EventSchemaVersion,
		Time:          time.Date(2025, 3, 14, 8, 2, 17, 331000000, time.UTC),
		ObservedTime:  time.Date(2025, 3, 14, 8, 2, 19, 0, time.UTC),
		Source: schemas.Source{
			Product: schemas.ProductOkta,
			EventID: sourceID,
			Tenant:  "acme.okta.com",
		},
		Identity: schemas.Principal{
			ID:          "okta:acme.okta.com:00u1a2b3c4D5e6F7g8h9",
			Kind:        schemas.KindHuman,
			Provider:    "okta",
			Account:     "acme.okta.com",
			AccountType: schemas.AccountCorporate,
			Type:        "User",
			UID:         "00u1a2b3c4D5e6F7g8h9",
			Name:        "dana.lee@acme.example",
			DisplayName: "Dana Lee",
			Email:       "dana.lee@acme.example",
		},
		Session: schemas.Session{
			ID:             "102bZxY9wVu8TsR7q6P5o4N3m",
			MFA:            true,
			CredentialType: schemas.CredentialPassword,
		},
		Action: schemas.Action{
			Name:     "user.session.start",
			Verb:     schemas.VerbAuthenticate,
			Category: schemas.CategoryAuthentication,
		},
		Target:  schemas.Target{Type: "application", ID: "okta", Name: "Okta Dashboard", Tenant: "acme.okta.com"},
		Outcome: schemas.OutcomeSuccess,
		Network: schemas.Network{
			SourceIP:  "198.51.100.23",
			UserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 Version/17.3 Safari/605.1.15",
			ASN:       3320,
			ASOrg:     "deutsche telekom ag",
			Country:   "DE",
		},
		Attributes: map[string]string{"okta.severity": "INFO"},
		Raw:        schemas.Raw{Format: schemas.RawJSON, Data: []byte(oktaRaw)},
	}
}

const gatewayRaw = `{"ts":"2025-03-14T14:41:09.052Z","route":"chatgpt-enterprise","user":"sam.ortiz@acme.example","account":"personal","model":"gpt-4o","prompt":{"chars":5230,"tokens":1317,"sha256":"9c1185a5c5e9fc54612808977ee8f548b2258d31e3a3f2b8c6b1c1e0f6c7a9d2","lang":"en","files":1},"dlp":[{"type":"credit_card","count":3,"score":0.97},{"type":"customer_record","count":41,"score":0.82}],"status":200,"bytes_in":21944,"bytes_out":3310}`

// gatewayPrompt is a prompt to a personal ChatGPT account seen by an AI
// gateway, with sensitive data found in it; the prompt text is not kept.
func gatewayPrompt(testing.TB) *schemas.Event {
	raw := []byte(gatewayRaw)
	return &schemas.Event{
		ID:            schemas.EventID(schemas.ProductAIGateway, "", raw),
		SchemaVersion: schemas.EventSchemaVersion,
		Time:          time.Date(2025, 3, 14, 14, 41, 9, 52000000, time.UTC),
		ObservedTime:  time.Date(2025, 3, 14, 14, 41, 9, 400000000, time.UTC),
		Source:        schemas.Source{Product: schemas.ProductAIGateway, Tenant: "acme"},
		Identity: schemas.Principal{
			ID:          "okta:acme.okta.com:sam.ortiz@acme.example",
			Kind:        schemas.KindHuman,
			Provider:    "okta",
			AccountType: schemas.AccountPersonal,
			Name:        "sam.ortiz@acme.example",
			Email:       "sam.ortiz@acme.example",
		},
		Session: schemas.Session{CredentialType: schemas.CredentialSSO},
		Action: schemas.Action{
			Name:     "chat.completions",
			Verb:     schemas.VerbInvoke,
			Category: schemas.CategoryModelInference,
		},
		Outcome: schemas.OutcomeSuccess,
		Network: schemas.Network{SourceIP: "2001:db8:4:17::2a", Country: "US"},
		Volume:  schemas.Volume{BytesIn: 21944, BytesOut: 3310, TokensIn: 1317},
		AI: schemas.AIContext{
			Provider: "openai",
			Service:  "chatgpt",
			Model:    "gpt-4o",
			Prompt: schemas.Prompt{
				Length:      5230,
				Tokens:      1317,
				Hash:        "9c1185a5c5e9fc54612808977ee8f548b2258d31e3a3f2b8c6b1c1e0f6c7a9d2",
				Language:    "en",
				Attachments: 1,
			},
			Findings: []schemas.DataFinding{
				{Type: schemas.DataCreditCard, Count: 3, Confidence: 0.97, Locations: []string{"messages[1].content"}},
				{Type: schemas.DataCustomerRecord, Count: 41, Confidence: 0.82},
			},
		},
		Attributes: map[string]string{"gateway.route": "chatgpt-enterprise", "http.status": "200"},
		Raw:        schemas.Raw{Format: schemas.RawJSON, Data: raw},
	}
}

// scoredAgent is the Bedrock event after enrichment and scoring: an agent
// reaching 14x its usual token volume with a model it never used, from a
// new address, after hours.
func scoredAgent(tb testing.TB) *schemas.Event {
	e := bedrockInvokeModel(tb)
	e.Enrichment = schemas.Enrichment{
		Class:             schemas.ClassAIAgent,
		ClassConfidence:   0.93,
		ClassEvidence:     []string{"no interactive sign-in", "invokes bedrock models", "role session names from an agent runtime"},
		Owner:             "priya.natarajan@acme.example",
		Team:              "support-automation",
		PeerGroup:         "ai_agent/support-automation",
		Environment:       schemas.EnvProduction,
		DataSensitivity:   schemas.SensitivityConfidential,
		AIServiceStatus:   schemas.AIServiceSanctioned,
		Registered:        true,
		IdentityFirstSeen: time.Date(2024, 11, 2, 16, 40, 0, 0, time.UTC),
	}
	e.Features = schemas.Features{
		Available:         true,
		BaselineEvents:    48211,
		RateRatio:         schemas.Horizons{M5: 6.5, H1: 3.2, D1: 1.4},
		RateZ:             schemas.Horizons{M5: 7.9, H1: 4.1, D1: 0.8},
		TokensRatio:       schemas.Horizons{M5: 14.2, H1: 9.8, D1: 2.1},
		TokensZ:           schemas.Horizons{M5: 11.3, H1: 8.7, D1: 1.9},
		CategoryRateRatio: schemas.Horizons{M5: 6.1, H1: 3.0, D1: 1.3},
		VolumePercentile:  99.7,
		HourTypicality:    0.04,
		AfterHours:        true,
		PeerRateRatio:     4.8,
		PeerVolumeRatio:   11.5,
		IsNewModel:        true,
		IsNewSourceIP:     true,
		DaysSinceFirstSeen: schemas.FirstSeenDays{
			Action: 132.7, Resource: 0, SourceIP: 0, UserAgent: 41.2, Model: 0,
			AIService: 132.7, Tenant: 132.7, Environment: 132.7,
		},
	}
	return e
}
