package rightsize_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/enrich/rightsize"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/clickhouse"
)

// The fixture world: the grants the grants import reads from the
// ingest/grants fixtures (an AWS account, a Google Cloud project, a
// Kubernetes cluster, an Okta org, a GitHub organization), the golden
// events of the same identities from the ingest normalizers, and more of
// their everyday events, reported on 1 June 2025 over 180 days.
const (
	agent     = "aws:123456789012:role/bedrock-support-agent"
	builder   = "aws:123456789012:role/ml-engineers"
	user      = "aws:123456789012:user/dana.lee"
	gcpAgent  = "gcp:acme-ml-prod:inference-agent@acme-ml-prod.iam.gserviceaccount.com"
	k8sAgent  = "kubernetes:ml-prod:system:serviceaccount:ml-serving:prod-model-pusher"
	k8sTrain  = "kubernetes:ml-prod:system:serviceaccount:ml-train:trainer"
	oktaUser  = "okta:acme.okta.com:00u8k2m4p6R8t0V2x4Z6"
	ghBuilder = "github:acme-corp:dev-jkim"
)

var (
	reportTime   = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	snapshotTime = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	fixtureOpts  = rightsize.Options{Now: reportTime, Config: rightsize.Config{Window: 180 * 24 * time.Hour, MinDays: 30, MinEvents: 20}}
)

var classes = map[string]schemas.IdentityClass{
	agent: schemas.ClassAIAgent, gcpAgent: schemas.ClassAIAgent, k8sAgent: schemas.ClassAIAgent,
	builder: schemas.ClassAIBuilder, k8sTrain: schemas.ClassAIBuilder, ghBuilder: schemas.ClassAIBuilder,
	user: schemas.ClassAIUser, oktaUser: schemas.ClassAIUser,
}

// goldenEvents reads the golden events of the fixture identities.
func goldenEvents(t testing.TB) map[string]schemas.Event {
	t.Helper()
	out := map[string]schemas.Event{}
	for _, dir := range []string{"cloudtrail", "gcpaudit", "k8saudit", "okta", "github"} {
		files, err := filepath.Glob(filepath.Join("..", "..", "ingest", dir, "testdata", "*.golden.json"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no golden events of %s: %v", dir, err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var evs []schemas.Event
			if data[0] == '[' {
				err = json.Unmarshal(data, &evs)
			} else {
				var e schemas.Event
				err = json.Unmarshal(data, &e)
				evs = []schemas.Event{e}
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for i, e := range evs {
				if _, ok := classes[e.Identity.ID]; ok {
					out[fmt.Sprintf("%s/%s#%d", dir, filepath.Base(f), i)] = e
				}
			}
		}
	}
	return out
}

// fixtureEvents are the golden events and, copied from them, each
// identity's everyday activity: enough for the agents and builders to be
// trusted, not for the users.
func fixtureEvents(t testing.TB) []schemas.Event {
	golden := goldenEvents(t)
	var out []schemas.Event
	for _, e := range golden {
		out = append(out, e)
	}
	n := 0
	repeat := func(key string, count int, from time.Time, edit func(e *schemas.Event)) {
		base, ok := golden[key]
		if !ok {
			t.Fatalf("no golden event %s", key)
		}
		for i := range count {
			e := base
			n++
			e.ID = fmt.Sprintf("fixture-%04d", n)
			e.Source.EventID = e.ID
			e.Time = from.Add(time.Duration(i) * 12 * time.Hour)
			e.ObservedTime = e.Time.Add(time.Second)
			if edit != nil {
				edit(&e)
			}
			out = append(out, e)
		}
	}
	repeat("cloudtrail/bedrock_invoke_model.golden.json#0", 120, time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC), nil)
	repeat("cloudtrail/bedrock_invoke_model.golden.json#0", 10, time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC), func(e *schemas.Event) {
		e.Action.Name, e.Action.Service, e.Action.Category = "GetObject", "s3.amazonaws.com", schemas.CategoryDataAccess
		e.Target = schemas.Target{Type: "s3_bucket", ID: "arn:aws:s3:::acme-support-kb", Name: "acme-support-kb", Tenant: "123456789012"}
		e.AI = schemas.AIContext{}
	})
	repeat("cloudtrail/sagemaker_create_training_job.golden.json#0", 30, time.Date(2025, 3, 16, 0, 0, 0, 0, time.UTC), func(e *schemas.Event) {
		e.Action.Name, e.Action.Verb = "DescribeTrainingJob", schemas.VerbRead
	})
	repeat("gcpaudit/vertex_predict_impersonated.golden.json#0", 25, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), nil)
	repeat("k8saudit/impersonation_secret_get.golden.json#0", 25, time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC), nil)
	repeat("k8saudit/pod_create_pod_security.golden.json#0", 20, time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC), nil)
	dana := golden["cloudtrail/iam_attach_role_policy.golden.json#0"].Identity
	repeat("cloudtrail/bedrock_invoke_model.golden.json#0", 3, time.Date(2025, 5, 25, 0, 0, 0, 0, time.UTC), func(e *schemas.Event) {
		e.Identity = dana
	})
	repeat("github/repo_create_actions_secret.golden.json#0", 20, time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), func(e *schemas.Event) {
		e.Action.Name, e.Action.Verb = "git.push", schemas.VerbUpdate
	})
	return out
}

func fixtureIdentities() []schemas.Identity {
	var out []schemas.Identity
	for id, class := range classes {
		kind := schemas.KindService
		if class == schemas.ClassAIUser || id == ghBuilder {
			kind = schemas.KindHuman
		}
		if class == schemas.ClassAIAgent {
			kind = schemas.KindAgent
		}
		out = append(out, schemas.Identity{ID: id, Kind: kind, Class: class, AccountType: schemas.AccountCorporate,
			FirstSeen: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), LastSeen: reportTime.Add(-time.Hour), Events: 1})
	}
	// The users were first seen recently: their windows are short.
	for i := range out {
		if out[i].Class == schemas.ClassAIUser {
			out[i].FirstSeen = time.Date(2025, 5, 20, 0, 0, 0, 0, time.UTC)
		}
	}
	return out
}

// fixtureGrants reads the grants of the fixture identities, as the grants
// import writes them (testdata/grants.jsonl.gz, made from the
// ingest/grants fixtures).
func fixtureGrants(t testing.TB) []clickhouse.PermissionGrant {
	f, err := os.Open(filepath.Join("testdata", "grants.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []clickhouse.PermissionGrant
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		var g map[string]string
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatal(err)
		}
		out = append(out, clickhouse.PermissionGrant{
			SnapshotTime: snapshotTime, IdentityID: g["identity_id"], Provider: g["provider"], Permission: g["permission"],
			Resource: g["resource"], GrantedVia: g["granted_via"], Policy: g["policy"], Scope: g["scope"],
			GrantedAs: g["granted_as"], Condition: g["condition"], AccessLevel: g["access_level"], Sensitive: g["sensitive"],
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// loadFixture writes the fixture world into the database of conn: events
// and identities through the sink stage, as the pipeline does, grants
// with Insert, as the grants import does. An older snapshot of the agent,
// granting everything, shows that only the latest snapshot counts.
func loadFixture(t testing.TB, conn driver.Conn, db string) {
	t.Helper()
	ctx := context.Background()
	sink, err := clickhouse.NewSink(conn, clickhouse.SinkConfig{Database: db})
	if err != nil {
		t.Fatal(err)
	}
	var records []*kgo.Record
	for i, id := range fixtureIdentities() {
		v, err := schemas.AppendIdentity(nil, &id)
		if err != nil {
			t.Fatal(err)
		}
		records = append(records, &kgo.Record{Topic: schemas.TopicIdentityChangelog, Key: []byte(id.ID), Value: v,
			Timestamp: reportTime.Add(-time.Hour), Offset: int64(i),
			Headers: []kgo.RecordHeader{{Key: schemas.HeaderContentType, Value: []byte(schemas.ContentTypeIdentityMsgpack)}}})
	}
	events := fixtureEvents(t)
	for i, e := range events {
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
	ids := map[string]bool{}
	for _, e := range events {
		ids[e.ID] = true // two goldens are one event seen two ways
	}
	var stored uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM events FINAL").Scan(&stored); err != nil || int(stored) != len(ids) {
		t.Fatalf("%d events stored of %d: %v", stored, len(ids), err)
	}
	grants := fixtureGrants(t)
	old := clickhouse.PermissionGrant{SnapshotTime: snapshotTime.Add(-30 * 24 * time.Hour), IdentityID: agent, Provider: "aws",
		Permission: "iam:CreateUser", Resource: "*", GrantedVia: "role/bedrock-support-agent", Policy: "inline:old", Scope: "aws:123456789012"}
	if err := clickhouse.Insert(ctx, conn, db, "fixture-grants", append(grants, old)); err != nil {
		t.Fatal(err)
	}
}
