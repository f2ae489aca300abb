package cloudtrail_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/cloudtrail"
	"github.com/aitdr/aitdr/ingest/ingesttest"
	"github.com/aitdr/aitdr/schemas"
)

// now is the clock of the tests: a few days after the samples.
var now = time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC)

func newSource() *cloudtrail.Source {
	return cloudtrail.New(cloudtrail.WithClock(func() time.Time { return now }))
}

// TestGolden shows every sample in testdata normalizing to its golden
// event: single records, a log file and EventBridge envelopes (split
// first), each event valid under the contract; and the samples spanning
// the event families the brief names: at least 20 distinct actions, and
// each family. Run with -update to rewrite the golden files after a
// reviewed change.
func TestGolden(t *testing.T) {
	events := ingesttest.Golden{Source: newSource(), Observed: now, Split: true}.Run(t)
	actions := map[string]bool{}
	categories := map[schemas.Category]bool{}
	for _, ev := range events {
		actions[ev.Action.Service+" "+ev.Action.Name] = true
		categories[ev.Action.Category] = true
	}
	if len(actions) < 20 {
		t.Errorf("%d distinct actions, want at least 20", len(actions))
	}
	for _, c := range []schemas.Category{
		schemas.CategoryAuthentication, schemas.CategoryAuthorization, schemas.CategoryIAMChange,
		schemas.CategoryDataAccess, schemas.CategoryModelInference, schemas.CategoryModelManagement,
		schemas.CategoryTrainingPipeline, schemas.CategorySecretAccess, schemas.CategoryLoggingChange,
		schemas.CategoryOther,
	} {
		if !categories[c] {
			t.Errorf("no sample of category %s", c)
		}
	}
}

// record builds a minimal valid record with the given fields replaced.
func record(t testing.TB, change func(map[string]any)) []byte {
	t.Helper()
	r := map[string]any{
		"eventVersion": "1.10",
		"userIdentity": map[string]any{
			"type": "IAMUser", "principalId": "AIDAJ45Q7YFFAREXAMPLE",
			"arn": "arn:aws:iam::123456789012:user/Alice", "accountId": "123456789012",
			"accessKeyId": "AKIAIOSFODNN7EXAMPLE", "userName": "Alice",
		},
		"eventTime":          "2025-03-14T09:26:41Z",
		"eventSource":        "iam.amazonaws.com",
		"eventName":          "CreateUser",
		"awsRegion":          "us-east-1",
		"sourceIPAddress":    "192.0.2.1",
		"requestParameters":  map[string]any{"userName": "Bob"},
		"eventID":            "0a1c5d7e-3b2f-4e6a-9c8d-1f2e3d4c5b6a",
		"recipientAccountId": "123456789012",
	}
	if change != nil {
		change(r)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func identity(r map[string]any) map[string]any { return r["userIdentity"].(map[string]any) }

// TestBadRecords shows each kind of bad record rejected with an error that
// names the field, as a *ingest.FieldError where there is one.
func TestBadRecords(t *testing.T) {
	src := newSource()
	tests := []struct {
		name   string
		record []byte
		want   string
		field  bool // the error is a *ingest.FieldError
	}{
		{"truncated", []byte(`{"eventVersion":"1.10","eventTime":"2025-`), "normalize cloudtrail record: decode json: unexpected end of JSON input", false},
		{"empty", []byte(``), "normalize cloudtrail record: decode json: unexpected end of JSON input", false},
		{"not an object", []byte(`[1,2]`), "normalize cloudtrail record: record: array, want object", true},
		{"a string", []byte(`"eventTime"`), "normalize cloudtrail record: record: string, want object", true},
		{"trailing data", append(record(t, nil), " x"...), "normalize cloudtrail record: decode json: invalid character 'x' after top-level value", false},
		{"missing time", record(t, func(r map[string]any) { delete(r, "eventTime") }), "normalize cloudtrail record: eventTime: missing", true},
		{"time not a time", record(t, func(r map[string]any) { r["eventTime"] = "yesterday" }), `normalize cloudtrail record: eventTime: "yesterday" is not an RFC 3339 time`, true},
		{"time a number", record(t, func(r map[string]any) { r["eventTime"] = 1741944401 }), "normalize cloudtrail record: eventTime: number, want string", true},
		{"time before 2000", record(t, func(r map[string]any) { r["eventTime"] = "1999-12-31T23:59:59Z" }), "normalize cloudtrail record: eventTime: 1999-12-31T23:59:59Z is before 2000", true},
		{"time in the future", record(t, func(r map[string]any) { r["eventTime"] = "2025-03-21T00:00:01Z" }), "normalize cloudtrail record: eventTime: 2025-03-21T00:00:01Z is more than 24h in the future", true},
		{"missing name", record(t, func(r map[string]any) { delete(r, "eventName") }), "normalize cloudtrail record: eventName: missing", true},
		{"name an array", record(t, func(r map[string]any) { r["eventName"] = []string{"CreateUser"} }), "normalize cloudtrail record: eventName: array, want string", true},
		{"missing identity", record(t, func(r map[string]any) { delete(r, "userIdentity") }), "normalize cloudtrail record: userIdentity: missing", true},
		{"null identity", record(t, func(r map[string]any) { r["userIdentity"] = nil }), "normalize cloudtrail record: userIdentity: missing", true},
		{"identity a string", record(t, func(r map[string]any) { r["userIdentity"] = "Alice" }), "normalize cloudtrail record: userIdentity: string, want object", true},
		{"identity type a number", record(t, func(r map[string]any) { identity(r)["type"] = 7 }), "normalize cloudtrail record: userIdentity.type: number, want string", true},
		{"mfa flag a boolean", record(t, func(r map[string]any) {
			identity(r)["sessionContext"] = map[string]any{"attributes": map[string]any{"mfaAuthenticated": true}}
		}), "normalize cloudtrail record: userIdentity.sessionContext.attributes.mfaAuthenticated: bool, want string", true},
		{"read-only a string", record(t, func(r map[string]any) { r["readOnly"] = "true" }), "normalize cloudtrail record: readOnly: string, want boolean", true},
		{"resources an object", record(t, func(r map[string]any) { r["resources"] = map[string]any{"ARN": "x"} }), "normalize cloudtrail record: resources: object, want array", true},
		{"empty identity", record(t, func(r map[string]any) { r["userIdentity"] = map[string]any{} }), "normalize cloudtrail record: userIdentity.type: missing", true},
		{"user without name", record(t, func(r map[string]any) {
			r["userIdentity"] = map[string]any{"type": "IAMUser", "accountId": "123456789012"}
		}), "normalize cloudtrail record: userIdentity.userName: missing", true},
		{"role without issuer", record(t, func(r map[string]any) {
			r["userIdentity"] = map[string]any{"type": "AssumedRole", "accountId": "123456789012", "principalId": "AROAEXAMPLE:s"}
		}), "normalize cloudtrail record: userIdentity.sessionContext.sessionIssuer.userName: missing", true},
		{"service without invoker", record(t, func(r map[string]any) {
			r["userIdentity"] = map[string]any{"type": "AWSService"}
		}), "normalize cloudtrail record: userIdentity.invokedBy: missing", true},
		{"identity center user without user", record(t, func(r map[string]any) {
			r["userIdentity"] = map[string]any{"type": "IdentityCenterUser", "accountId": "123456789012"}
		}), "normalize cloudtrail record: userIdentity.onBehalfOf.userId: missing", true},
		{"account without account id", record(t, func(r map[string]any) {
			r["userIdentity"] = map[string]any{"type": "AWSAccount", "principalId": "AIDAEXAMPLE"}
		}), "normalize cloudtrail record: userIdentity.accountId: missing", true},
		{"federated user without name", record(t, func(r map[string]any) {
			r["userIdentity"] = map[string]any{"type": "FederatedUser", "accountId": "123456789012"}
		}), "normalize cloudtrail record: userIdentity.arn: missing", true},
		{"saml user without name", record(t, func(r map[string]any) {
			r["userIdentity"] = map[string]any{"type": "SAMLUser", "identityProvider": "x"}
		}), "normalize cloudtrail record: userIdentity.userName: missing", true},
		{"unknown type without id", record(t, func(r map[string]any) {
			r["userIdentity"] = map[string]any{"type": "Robot", "accountId": "123456789012"}
		}), "normalize cloudtrail record: userIdentity.principalId: missing", true},
		{"invalid UTF-8 in the name", bytes.Replace(record(t, nil), []byte(`"CreateUser"`), []byte("\"Create\xffUser\""), 1), "normalize cloudtrail record: eventName: invalid UTF-8", true},
		{"invalid UTF-8 in the user name", bytes.Replace(record(t, nil), []byte(`"userName":"Alice"`), []byte("\"userName\":\"Al\xc3\""), 1), "normalize cloudtrail record: userIdentity.userName: invalid UTF-8", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev schemas.Event
			err := src.Normalize(context.Background(), tt.record, &ev)
			if err == nil {
				t.Fatalf("no error, event %+v", ev)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tt.want)
			}
			var fe *ingest.FieldError
			if got := errors.As(err, &fe); got != tt.field {
				t.Errorf("errors.As(*ingest.FieldError) = %v, want %v", got, tt.field)
			}
		})
	}
}

// TestTolerated shows what a record may get wrong and still normalize:
// unusable optional values are left out and named in aws.invalid_fields,
// service-specific values of another type are ignored, and invalid UTF-8
// outside the key fields is replaced.
func TestTolerated(t *testing.T) {
	src := newSource()
	tests := []struct {
		name   string
		record []byte
		check  func(t *testing.T, ev *schemas.Event)
	}{
		{"bad session creation date", record(t, func(r map[string]any) {
			identity(r)["sessionContext"] = map[string]any{"attributes": map[string]any{"creationDate": "last week", "mfaAuthenticated": "true"}}
		}), func(t *testing.T, ev *schemas.Event) {
			want(t, "aws.invalid_fields", ev.Attributes["aws.invalid_fields"], "userIdentity.sessionContext.attributes.creationDate")
			want(t, "session.mfa", ev.Session.MFA, true)
		}},
		{"bytes not a number", record(t, func(r map[string]any) {
			r["eventSource"], r["eventName"] = "s3.amazonaws.com", "GetObject"
			r["requestParameters"] = map[string]any{"bucketName": "b", "key": "k"}
			r["additionalEventData"] = map[string]any{"bytesTransferredOut": "lots", "bytesTransferredIn": -1}
		}), func(t *testing.T, ev *schemas.Event) {
			want(t, "aws.invalid_fields", ev.Attributes["aws.invalid_fields"], "additionalEventData.bytesTransferredIn,additionalEventData.bytesTransferredOut")
			want(t, "volume", ev.Volume, schemas.Volume{})
			want(t, "target.id", ev.Target.ID, "arn:aws:s3:::b")
		}},
		{"request parameter of another type", record(t, func(r map[string]any) {
			r["requestParameters"] = map[string]any{"userName": map[string]any{"first": "Bob"}}
		}), func(t *testing.T, ev *schemas.Event) {
			// The target falls back to the calling user.
			want(t, "target.name", ev.Target.Name, "Alice")
			want(t, "aws.invalid_fields", ev.Attributes["aws.invalid_fields"], "")
		}},
		{"response element of another type", record(t, func(r map[string]any) {
			r["eventSource"], r["eventName"] = "sts.amazonaws.com", "AssumeRole"
			r["requestParameters"] = map[string]any{"roleArn": "arn:aws:iam::111122223333:role/x", "roleSessionName": "s"}
			r["responseElements"] = map[string]any{"credentials": "ASIA..."}
		}), func(t *testing.T, ev *schemas.Event) {
			want(t, "aws.invalid_fields", ev.Attributes["aws.invalid_fields"], "responseElements.credentials")
			want(t, "target.tenant", ev.Target.Tenant, "111122223333")
		}},
		{"invalid UTF-8 in the user agent", bytes.Replace(record(t, func(r map[string]any) { r["userAgent"] = "curl/8.0 XX" }), []byte("XX"), []byte("\xff\xfe"), 1),
			func(t *testing.T, ev *schemas.Event) {
				want(t, "network.user_agent", ev.Network.UserAgent, "curl/8.0 \uFFFD")
			}},
		{"service name as source address", record(t, func(r map[string]any) { r["sourceIPAddress"] = "AWS Internal" }),
			func(t *testing.T, ev *schemas.Event) {
				want(t, "network.source_ip", ev.Network.SourceIP, "")
				want(t, "aws.source_ip_address", ev.Attributes["aws.source_ip_address"], "AWS Internal")
			}},
		{"IPv4-mapped IPv6 address", record(t, func(r map[string]any) { r["sourceIPAddress"] = "::ffff:192.0.2.7" }),
			func(t *testing.T, ev *schemas.Event) {
				want(t, "network.source_ip", ev.Network.SourceIP, "192.0.2.7")
			}},
		{"unknown identity type with an ARN", record(t, func(r map[string]any) {
			r["userIdentity"] = map[string]any{"type": "Unknown", "arn": "arn:aws:iam::123456789012:user/Carol", "accountId": "123456789012"}
		}), func(t *testing.T, ev *schemas.Event) {
			want(t, "identity.id", ev.Identity.ID, "aws:123456789012:user/Carol")
			want(t, "identity.kind", ev.Identity.Kind, schemas.KindUnknown)
		}},
		{"unknown service and event", record(t, func(r map[string]any) {
			r["eventSource"], r["eventName"] = "newservice.amazonaws.com", "FrobnicateWidget"
			r["requestParameters"] = map[string]any{"widget": []int{1}}
		}), func(t *testing.T, ev *schemas.Event) {
			want(t, "action.verb", ev.Action.Verb, schemas.VerbOther)
			want(t, "action.category", ev.Action.Category, schemas.CategoryOther)
		}},
		{"unknown event of a known service", record(t, func(r map[string]any) {
			r["eventName"] = "TagRole"
			r["requestParameters"] = map[string]any{"roleName": "r", "tags": []any{map[string]any{"key": "k", "value": "v"}}}
		}), func(t *testing.T, ev *schemas.Event) {
			want(t, "action.verb", ev.Action.Verb, schemas.VerbUpdate)
			want(t, "action.category", ev.Action.Category, schemas.CategoryIAMChange)
			want(t, "target.id", ev.Target.ID, "arn:aws:iam::123456789012:role/r")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev schemas.Event
			if err := src.Normalize(context.Background(), tt.record, &ev); err != nil {
				t.Fatal(err)
			}
			ingesttest.Finish(&ev, src.Product(), tt.record, now)
			if err := ev.Validate(); err != nil {
				t.Errorf("invalid event: %v", err)
			}
			tt.check(t, &ev)
		})
	}
}

func want[T comparable](t *testing.T, field string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", field, got, want)
	}
}

// TestDetect shows Detect claiming CloudTrail records, log files and
// envelopes, and not the records of other sources.
func TestDetect(t *testing.T) {
	src := newSource()
	if !src.Detect(record(t, nil)) {
		t.Error("Detect = false for a CloudTrail record")
	}
	samples, _ := filepath.Glob("testdata/*.in.json")
	for _, in := range samples {
		if !src.Detect(ingesttest.ReadFile(t, in)) {
			t.Errorf("Detect = false for %s", in)
		}
	}
	others := map[string]string{
		"okta":         `{"uuid":"f2c1","published":"2025-03-14T09:26:41Z","eventType":"user.session.start","actor":{"id":"00u1","type":"User"},"outcome":{"result":"SUCCESS"}}`,
		"gcp audit":    `{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","methodName":"google.iam.admin.v1.CreateServiceAccountKey","authenticationInfo":{"principalEmail":"a@b.c"}},"timestamp":"2025-03-14T09:26:41Z","logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity"}`,
		"guardduty":    `{"version":"0","detail-type":"GuardDuty Finding","source":"aws.guardduty","region":"us-east-1","detail":{"type":"UnauthorizedAccess:IAMUser/MaliciousIPCaller","service":{"action":{"awsApiCallAction":{"api":"GetObject","serviceName":"s3.amazonaws.com"}}}}}`,
		"k8s audit":    `{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"create","user":{"username":"system:serviceaccount:ml:trainer"},"objectRef":{"resource":"secrets"}}`,
		"github audit": `{"action":"repo.create","actor":"octocat","created_at":1741944401000,"org":"acme"}`,
	}
	for name, rec := range others {
		if src.Detect([]byte(rec)) {
			t.Errorf("Detect = true for a %s record", name)
		}
	}
}

// TestInvalidUTF8Everywhere shows invalid UTF-8 planted in each string of
// sample records, one at a time: the record is rejected with a
// *ingest.FieldError naming a key field, or it normalizes and every string
// of the event is valid UTF-8.
func TestInvalidUTF8Everywhere(t *testing.T) {
	src := newSource()
	for _, name := range []string{"bedrock_invoke_model", "sso_get_role_credentials", "s3_get_object", "sts_assume_role_with_saml"} {
		data, err := os.ReadFile("testdata/" + name + ".in.json")
		if err != nil {
			t.Fatal(err)
		}
		planted := 0
		for i := 0; i+1 < len(data); i++ {
			// Plant after the opening quote of each string value.
			if data[i] != '"' || i < 2 || data[i-1] != ' ' || data[i-2] != ':' {
				continue
			}
			rec := append(append(append([]byte{}, data[:i+1]...), 0xff), data[i+1:]...)
			planted++
			var ev schemas.Event
			err := src.Normalize(context.Background(), rec, &ev)
			if err != nil {
				var fe *ingest.FieldError
				if !errors.As(err, &fe) || fe.Problem != "invalid UTF-8" {
					t.Errorf("%s at %d: %v", name, i, err)
				}
				continue
			}
			if field := ingesttest.InvalidUTF8(&ev); field != "" {
				t.Errorf("%s at %d: invalid UTF-8 in %s", name, i, field)
			}
		}
		if planted < 20 {
			t.Errorf("%s: only %d strings planted", name, planted)
		}
	}
}
