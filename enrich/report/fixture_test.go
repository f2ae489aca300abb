package report_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/clickhouse"
)

// reportTime is when the fixture's reports are computed.
var reportTime = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)

func day(d, h int) time.Time { return time.Date(2025, 6, d, h, 0, 0, 0, time.UTC) }

// The fixture world: the identities of a small company in June 2025, as the
// enrich stage would publish them and the sink would store them.
const (
	alice      = "okta:acme.okta.com:00u1alice"
	bob        = "okta:acme.okta.com:00u1bob"
	bobHome    = "openai:personal:user/bob.smith.home@gmail.com"
	carol      = "okta:acme.okta.com:00u1carol"
	trainer    = "gcp:acme-ml-dev:serviceAccount/trainer@acme-ml-dev.iam.gserviceaccount.com"
	batchAgent = "aws:123456789012:user/svc-llm-batch"
	support    = "aws:123456789012:role/bedrock-support-agent"
	reportBot  = "aws:123456789012:user/report-bot"
	dave       = "okta:acme.okta.com:00u1dave"
	reviewer   = "anthropic:org_01Wv6QeBcDfGhJkLmNpQrSt8:key_name/ci-claude-code-reviewer"
	cron       = "kubernetes:prod-eks:system:serviceaccount:batch:cron"
)

// identityVersion is an inventory row and when the enrich stage published it.
type identityVersion struct {
	id      schemas.Identity
	updated time.Time
}

func fixtureIdentities() []identityVersion {
	ident := func(id string, kind schemas.IdentityKind, class schemas.IdentityClass, acct schemas.AccountType,
		name, email string, first, last time.Time) schemas.Identity {
		return schemas.Identity{ID: id, Kind: kind, Class: class, AccountType: acct, DisplayName: name, Email: email,
			FirstSeen: first, LastSeen: last, Events: 1}
	}
	aliceOld := ident(alice, schemas.KindHuman, schemas.ClassHuman, schemas.AccountCorporate, "Alice Martin", "alice.martin@acme.example",
		time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
	aliceNow := aliceOld
	aliceNow.Class, aliceNow.LastSeen, aliceNow.Team = schemas.ClassAIUser, day(20, 9), "support"
	supportAgent := ident(support, schemas.KindAgent, schemas.ClassAIAgent, schemas.AccountCorporate, "", "",
		time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC), day(30, 10))
	supportAgent.SharedCredential, supportAgent.Owner = true, "ops@acme.example"
	batch := ident(batchAgent, schemas.KindAgent, schemas.ClassAIAgent, schemas.AccountCorporate, "", "",
		time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), day(30, 11))
	batch.Owner = "data-team@acme.example"
	return []identityVersion{
		// A stale version first: the report reads the latest (FINAL).
		{aliceOld, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)},
		{aliceNow, day(30, 23)},
		{ident(bob, schemas.KindHuman, schemas.ClassAIUser, schemas.AccountCorporate, "Bob Smith", "bob.smith@acme.example",
			time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), day(18, 14)), day(30, 23)},
		{ident(bobHome, schemas.KindHuman, schemas.ClassAIUser, schemas.AccountPersonal, "", "",
			time.Date(2025, 5, 10, 0, 0, 0, 0, time.UTC), day(27, 21)), day(30, 23)},
		{ident(carol, schemas.KindHuman, schemas.ClassAIBuilder, schemas.AccountCorporate, "Carol Diaz", "carol.diaz@acme.example",
			time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), day(29, 2)), day(30, 23)},
		{ident(trainer, schemas.KindService, schemas.ClassAIBuilder, schemas.AccountCorporate, "", "",
			time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC), day(1, 3)), day(30, 23)},
		{batch, day(30, 23)},
		{supportAgent, day(30, 23)},
		{ident(reportBot, schemas.KindService, schemas.ClassService, schemas.AccountCorporate, "", "",
			time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), day(25, 6)), day(30, 23)},
		{ident(dave, schemas.KindHuman, schemas.ClassHuman, schemas.AccountCorporate, "Dave Okafor", "dave.okafor@acme.example",
			time.Date(2025, 1, 5, 0, 0, 0, 0, time.UTC), day(20, 8)), day(30, 23)},
	}
}

func fixtureEvents() []schemas.Event {
	n := 0
	ev := func(id string, kind schemas.IdentityKind, class schemas.IdentityClass, acct schemas.AccountType, at time.Time,
		fill func(*schemas.Event)) schemas.Event {
		n++
		e := schemas.Event{
			ID: fmt.Sprintf("ev-%02d", n), SchemaVersion: schemas.EventSchemaVersion, Time: at, ObservedTime: at.Add(time.Second),
			Source:     schemas.Source{Product: schemas.ProductAWSCloudTrail},
			Identity:   schemas.Principal{ID: id, Kind: kind, AccountType: acct},
			Action:     schemas.Action{Name: "InvokeModel", Service: "bedrock.amazonaws.com", Verb: schemas.VerbInvoke, Category: schemas.CategoryModelInference},
			Outcome:    schemas.OutcomeSuccess,
			Enrichment: schemas.Enrichment{Class: class, Environment: schemas.EnvProduction},
		}
		fill(&e)
		return e
	}
	chat := func(service, provider, model string, status schemas.AIServiceStatus) func(*schemas.Event) {
		return func(e *schemas.Event) {
			e.Source.Product = schemas.ProductAIGateway
			e.Action = schemas.Action{Name: "chat.completions", Verb: schemas.VerbInvoke, Category: schemas.CategoryModelInference}
			e.AI = schemas.AIContext{Service: service, Provider: provider, Model: model}
			e.Enrichment.AIServiceStatus = status
			e.Volume = schemas.Volume{TokensIn: 400, TokensOut: 600}
		}
	}
	and := func(fs ...func(*schemas.Event)) func(*schemas.Event) {
		return func(e *schemas.Event) {
			for _, f := range fs {
				f(e)
			}
		}
	}
	human, agent, service := schemas.KindHuman, schemas.KindAgent, schemas.KindService
	corp, personal := schemas.AccountCorporate, schemas.AccountPersonal

	aliceChat := ev(alice, human, schemas.ClassAIUser, corp, day(10, 9), and(chat("chatgpt", "openai", "gpt-4o", schemas.AIServiceSanctioned),
		func(e *schemas.Event) {
			e.Identity.Name, e.Identity.Email = "alice.martin@acme.example", "Alice.Martin@acme.example"
		}))
	events := []schemas.Event{
		aliceChat,
		aliceChat, // redelivered after a crash: counted once
		ev(alice, human, schemas.ClassAIUser, corp, day(20, 9), chat("chatgpt", "openai", "gpt-4o", schemas.AIServiceSanctioned)),
		ev(bob, human, schemas.ClassAIUser, corp, day(18, 14), and(chat("claude", "anthropic", "claude-3-5-sonnet", schemas.AIServiceShadow),
			func(e *schemas.Event) { e.Identity.Name = "bob.smith" })),
		ev(bobHome, human, schemas.ClassAIUser, personal, day(5, 20), and(chat("chatgpt", "openai", "gpt-4o", schemas.AIServiceShadow),
			func(e *schemas.Event) {
				e.Identity.Name = "bob.smith.home@gmail.com"
				e.AI.Findings = []schemas.DataFinding{{Type: schemas.DataCreditCard, Count: 2, Confidence: 0.97}}
			})),
		ev(bobHome, human, schemas.ClassAIUser, personal, day(27, 21), and(chat("chatgpt", "openai", "gpt-4o", schemas.AIServiceShadow),
			func(e *schemas.Event) {
				e.Enrichment.DataSensitivity = schemas.SensitivityRestricted
				e.AI.Findings = []schemas.DataFinding{{Type: schemas.DataCustomerRecord, Count: 5, Confidence: 0.9}}
			})),
		ev(carol, human, schemas.ClassAIBuilder, corp, day(12, 2), func(e *schemas.Event) {
			e.Action = schemas.Action{Name: "UpdateModel", Service: "sagemaker.amazonaws.com", Verb: schemas.VerbUpdate, Category: schemas.CategoryModelManagement}
			e.Target = schemas.Target{Type: "model", ID: "arn:aws:sagemaker:us-east-1:123456789012:model/fraud-detector", Environment: schemas.EnvProduction}
			e.Enrichment.Environment = schemas.EnvDevelopment
		}),
		ev(carol, human, schemas.ClassAIBuilder, corp, day(29, 2), func(e *schemas.Event) {
			e.AI = schemas.AIContext{Service: "bedrock", Provider: "aws.bedrock", Model: "anthropic.claude-3-5-sonnet"}
			e.Enrichment.AIServiceStatus = schemas.AIServiceSanctioned
			e.Target = schemas.Target{Type: "model", ID: "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet", Environment: schemas.EnvProduction}
			e.Enrichment.Environment = schemas.EnvDevelopment
		}),
		ev(carol, human, schemas.ClassAIBuilder, corp, day(29, 3), func(e *schemas.Event) {
			e.Action = schemas.Action{Name: "ListModels", Service: "sagemaker.amazonaws.com", Verb: schemas.VerbList, Category: schemas.CategoryModelManagement}
			e.Target = schemas.Target{Type: "model", ID: "arn:aws:sagemaker:us-east-1:210987654321:model/fraud-detector-dev", Environment: schemas.EnvDevelopment}
			e.Enrichment.Environment = schemas.EnvDevelopment
		}),
		ev(trainer, service, schemas.ClassAIBuilder, corp, day(1, 3), func(e *schemas.Event) {
			e.Source.Product = schemas.ProductGCPAudit
			e.Action = schemas.Action{Name: "google.cloud.aiplatform.v1.EndpointService.DeployModel", Service: "aiplatform.googleapis.com",
				Verb: schemas.VerbUpdate, Category: schemas.CategoryModelManagement}
			e.AI = schemas.AIContext{Service: "vertex_ai", Provider: "google.vertex", Model: "gemini-1.5-pro"}
			e.Enrichment.AIServiceStatus = schemas.AIServiceSanctioned
			e.Target = schemas.Target{Type: "model", ID: "projects/acme-ml-prod/locations/us-central1/endpoints/fraud", Environment: schemas.EnvProduction}
			e.Enrichment.Environment = schemas.EnvTest
		}),
	}
	bedrock := func(model, credential string) func(*schemas.Event) {
		return func(e *schemas.Event) {
			e.AI = schemas.AIContext{Service: "bedrock", Provider: "aws.bedrock", Model: model}
			e.Enrichment.AIServiceStatus = schemas.AIServiceSanctioned
			e.Identity.CredentialID = credential
			e.Volume = schemas.Volume{TokensIn: 2000, TokensOut: 500}
		}
	}
	events = append(events,
		ev(batchAgent, agent, schemas.ClassAIAgent, corp, day(16, 1), bedrock("anthropic.claude-3-haiku", "AKIAEXAMPLESHARED01")),
		ev(batchAgent, agent, schemas.ClassAIAgent, corp, day(30, 11), bedrock("anthropic.claude-3-haiku", "AKIAEXAMPLESHARED01")),
		ev(support, agent, schemas.ClassAIAgent, corp, day(22, 4), and(bedrock("anthropic.claude-3-5-sonnet", "ASIAEXAMPLESUPPORT1"),
			func(e *schemas.Event) { e.Identity.UID = "arn:aws:iam::123456789012:role/bedrock-support-agent" })),
		ev(support, agent, schemas.ClassAIAgent, corp, day(30, 10), func(e *schemas.Event) {
			e.Action = schemas.Action{Name: "GetObject", Service: "s3.amazonaws.com", Verb: schemas.VerbRead, Category: schemas.CategoryDataAccess}
			e.Target = schemas.Target{Type: "s3_bucket", ID: "arn:aws:s3:::acme-customer-exports", Environment: schemas.EnvProduction,
				Sensitivity: schemas.SensitivityRestricted}
			e.Identity.CredentialID = "ASIAEXAMPLESUPPORT1"
		}),
		// The batch agent's access key, used by the report bot too.
		ev(reportBot, service, schemas.ClassService, corp, day(25, 6), func(e *schemas.Event) {
			e.Action = schemas.Action{Name: "GetObject", Service: "s3.amazonaws.com", Verb: schemas.VerbRead, Category: schemas.CategoryDataAccess}
			e.Target = schemas.Target{Type: "s3_bucket", ID: "arn:aws:s3:::acme-reports", Environment: schemas.EnvProduction}
			e.Identity.CredentialID = "AKIAEXAMPLESHARED01"
		}),
		ev(dave, human, schemas.ClassHuman, corp, day(20, 8), func(e *schemas.Event) {
			e.Source.Product = schemas.ProductOkta
			e.Action = schemas.Action{Name: "user.session.start", Verb: schemas.VerbAuthenticate, Category: schemas.CategoryAuthentication}
		}),
		// An agent the inventory has no row for yet: seen in events only.
		ev(reviewer, agent, schemas.ClassAIAgent, corp, day(24, 12), and(chat("claude_api", "anthropic", "claude-3-5-sonnet", schemas.AIServiceShadow),
			func(e *schemas.Event) { e.Source.Product = schemas.ProductAnthropic })),
		ev(reviewer, agent, schemas.ClassAIAgent, corp, day(26, 12), and(chat("claude_api", "anthropic", "claude-3-5-sonnet", schemas.AIServiceShadow),
			func(e *schemas.Event) { e.Source.Product = schemas.ProductAnthropic })),
		// An identity the classifier has not classified.
		ev(cron, service, "", schemas.AccountUnknown, day(23, 0), func(e *schemas.Event) {
			e.Source.Product = schemas.ProductK8sAudit
			e.Action = schemas.Action{Name: "list", Service: "pods", Verb: schemas.VerbList, Category: schemas.CategoryOther}
		}),
	)
	return events
}

// fixtureGrants are the policy snapshot of the agents and the report bot.
func fixtureGrants() []clickhouse.PermissionGrant {
	snap := day(30, 0)
	var out []clickhouse.PermissionGrant
	grant := func(id string, perms ...string) {
		for _, p := range perms {
			out = append(out, clickhouse.PermissionGrant{SnapshotTime: snap, IdentityID: id, Provider: "aws", Permission: p,
				Resource: "*", GrantedVia: "policy attachment", Policy: "arn:aws:iam::123456789012:policy/" + id[len("aws:123456789012:"):]})
		}
	}
	// A wildcard grant: broad whatever the agent uses.
	grant(batchAgent, "bedrock:InvokeModel", "s3:*", "iam:PassRole")
	// Eight of ten grants unused: broad at the default 0.8.
	grant(support, "bedrock:InvokeModel", "s3:GetObject", "bedrock:CreateModelCustomizationJob", "bedrock:DeleteCustomModel",
		"secretsmanager:GetSecretValue", "kms:Decrypt", "iam:PassRole", "lambda:InvokeFunction", "dynamodb:Scan", "sqs:SendMessage")
	// Not an agent: not listed.
	grant(reportBot, "s3:*")
	return out
}

// loadFixture writes the fixture world into the database of conn through
// the sink stage, as the pipeline does, and the grants with Insert when
// withGrants.
func loadFixture(t *testing.T, conn driver.Conn, db string, withGrants bool) {
	t.Helper()
	ctx := context.Background()
	sink, err := clickhouse.NewSink(conn, clickhouse.SinkConfig{Database: db})
	if err != nil {
		t.Fatal(err)
	}
	var records []*kgo.Record
	for i, iv := range fixtureIdentities() {
		v, err := schemas.AppendIdentity(nil, &iv.id)
		if err != nil {
			t.Fatal(err)
		}
		records = append(records, &kgo.Record{Topic: schemas.TopicIdentityChangelog, Key: []byte(iv.id.ID), Value: v,
			Timestamp: iv.updated, Offset: int64(i),
			Headers: []kgo.RecordHeader{{Key: schemas.HeaderContentType, Value: []byte(schemas.ContentTypeIdentityMsgpack)}}})
	}
	for i, e := range fixtureEvents() {
		r, err := stream.EventRecord(schemas.TopicScored, &e)
		if err != nil {
			t.Fatal(err)
		}
		r.Offset = int64(i)
		records = append(records, r)
	}
	for _, r := range records {
		var out stream.Output
		if err := sink.Process(ctx, r, &out); err != nil {
			t.Fatal(err)
		}
	}
	if err := sink.Flush(ctx); err != nil {
		t.Fatalf("flush the fixture into %s: %v", db, err)
	}
	if withGrants {
		if err := clickhouse.Insert(ctx, conn, db, "fixture-grants", fixtureGrants()); err != nil {
			t.Fatal(err)
		}
	}
}
