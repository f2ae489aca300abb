package entra

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/ingesttest"
	"github.com/aitdr/aitdr/schemas"
)

// now is the fixed clock of the tests: every testdata record is before it.
var now = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

func newSource() *Source {
	return New(WithTenant("3f2a9c1e-5b7d-4e8f-a1c2-6d4b8e0f2a13"), WithClock(func() time.Time { return now }))
}

// TestGolden shows every testdata record normalizing to its golden event,
// which passes the contract's validation.
func TestGolden(t *testing.T) {
	ingesttest.Golden{Source: newSource(), Observed: now, MinActions: 10}.Run(t)
}

// TestNormalizeErrors shows bad records failing with an error that names the
// field, in both shapes, and never a panic.
func TestNormalizeErrors(t *testing.T) {
	const signIn = `"id":"s-1","createdDateTime":"2025-04-02T14:27:51Z","userPrincipalName":"a@acme.example","appId":"x","status":{"errorCode":0}`
	for _, tc := range []struct {
		name, record, want string
		field              string
	}{
		{"graph sign-in without user", `{"id":"s-1","createdDateTime":"2025-04-02T14:27:51Z","appId":"x","isInteractive":true,"status":{"errorCode":0}}`,
			"normalize entra record s-1: userId: missing", "userId"},
		{"graph sign-in without time", `{"id":"s-1","userId":"u-1","appId":"x","status":{"errorCode":0},"signInEventTypes":["interactiveUser"]}`,
			"normalize entra record s-1: createdDateTime: missing", "createdDateTime"},
		{"graph sign-in time not a time", `{"id":"s-1","createdDateTime":"04/02/2025 14:27","userId":"u-1"}`,
			`normalize entra record s-1: createdDateTime: not a timestamp: "04/02/2025 14:27"`, "createdDateTime"},
		{"graph sign-in time in 1601", `{"id":"s-1","createdDateTime":"1601-01-01T00:00:00Z","userId":"u-1"}`,
			"normalize entra record s-1: createdDateTime: absurd timestamp 1601-01-01T00:00:00Z: before 2000", "createdDateTime"},
		{"graph sign-in time in the future", `{"id":"s-1","createdDateTime":"2026-01-01T00:00:00Z","userId":"u-1"}`,
			"normalize entra record s-1: createdDateTime: absurd timestamp 2026-01-01T00:00:00Z: more than 24h in the future", "createdDateTime"},
		{"service principal without id", `{"id":"s-1","createdDateTime":"2025-04-02T14:27:51Z","appId":"x","signInEventTypes":["servicePrincipal"],"status":{"errorCode":0}}`,
			"normalize entra record s-1: servicePrincipalId: missing", "servicePrincipalId"},
		{"user id a number", `{` + signIn + `,"userId":7}`,
			"normalize entra record: userId: not a string (number)", "userId"},
		{"invalid UTF-8 in user id", "{" + signIn + ",\"userId\":\"u-\xff\"}",
			"normalize entra record s-1: userId: invalid UTF-8", "userId"},
		{"monitor record without properties", `{"time":"2025-04-02T14:27:51Z","category":"SignInLogs","tenantId":"t","properties":null}`,
			"normalize entra record: properties: missing", "properties"},
		{"monitor sign-in without user", `{"time":"2025-04-02T14:27:51Z","category":"SignInLogs","tenantId":"t","properties":{"id":"s-1","createdDateTime":"2025-04-02T14:27:51Z"}}`,
			"normalize entra record s-1: properties.userId: missing", "properties.userId"},
		{"monitor time absurd", `{"time":"3025-04-02T14:27:51Z","category":"SignInLogs","tenantId":"t","properties":{"id":"s-1","userId":"u"}}`,
			"normalize entra record s-1: time: absurd timestamp 3025-04-02T14:27:51Z: more than 24h in the future", "time"},
		{"monitor properties a string", `{"time":"2025-04-02T14:27:51Z","category":"SignInLogs","properties":"x"}`,
			"normalize entra record: properties: not an object (string)", "properties"},
		{"audit without initiator", `{"id":"a-1","activityDisplayName":"Add user","activityDateTime":"2025-05-02T10:14:33Z","initiatedBy":{"user":null,"app":null}}`,
			"normalize entra record a-1: initiatedBy: missing", "initiatedBy"},
		{"monitor audit without initiator", `{"time":"2025-05-02T10:14:33Z","category":"AuditLogs","tenantId":"t","properties":{"id":"a-1","activityDisplayName":"Add user","activityDateTime":"2025-05-02T10:14:33Z"}}`,
			"normalize entra record a-1: properties.initiatedBy: missing", "properties.initiatedBy"},
		{"audit target resources an object", `{"id":"a-1","activityDisplayName":"Add user","activityDateTime":"2025-05-02T10:14:33Z","initiatedBy":{"user":{"id":"u"}},"targetResources":{"id":"x"}}`,
			"normalize entra record: targetResources: not an array (object)", "targetResources"},
		{"not an object", `"signIn"`,
			"normalize entra record: record: not a JSON object (string)", "record"},
		{"truncated", `{` + signIn,
			"normalize entra record: invalid JSON at offset 126: unexpected end of JSON input", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ev schemas.Event
			err := newSource().Normalize(context.Background(), []byte(tc.record), &ev)
			if err == nil {
				t.Fatalf("Normalize succeeded, want %q", tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got %q\nwant %q", err.Error(), tc.want)
			}
			var fe *ingest.FieldError
			if tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field) {
				t.Errorf("error %v is not a FieldError of %q", err, tc.field)
			}
		})
	}
}

// TestNormalizeReusedEvent shows that normalizing into a used event leaves
// nothing of the previous one behind.
func TestNormalizeReusedEvent(t *testing.T) {
	ingesttest.CheckReuse(t, newSource(), "testdata/graph_signin_interactive_chatgpt.in.json", "testdata/graph_audit_add_member_to_role.in.json")
}

// TestDetect shows Detect claiming Entra records of both shapes and not
// other sources'.
func TestDetect(t *testing.T) {
	s := New()
	for _, tc := range []struct {
		name   string
		record string
		want   bool
	}{
		{"graph sign-in", `{"id":"x","createdDateTime":"2025-01-01T00:00:00Z","userPrincipalName":"a@b.c","appId":"y","status":{"errorCode":0}}`, true},
		{"graph audit", `{"id":"x","activityDisplayName":"Add user","activityDateTime":"2025-01-01T00:00:00Z","initiatedBy":{"user":{"id":"u"}}}`, true},
		{"monitor record", `{"time":"2025-01-01T00:00:00Z","resourceId":"/tenants/t/providers/Microsoft.aadiam","category":"SignInLogs","properties":{}}`, true},
		{"monitor record without resource id", `{"time":"2025-01-01T00:00:00Z","category":"ServicePrincipalSignInLogs","properties":{}}`, true},
		{"monitor export", `{"records":[{"time":"2025-01-01T00:00:00Z","category":"AuditLogs","properties":{}}]}`, true},
		{"azure activity log", `{"time":"2025-01-01T00:00:00Z","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/R","category":"Administrative","operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE","properties":{}}`, false},
		{"okta", `{"uuid":"x","published":"2025-01-01T00:00:00Z","eventType":"user.session.start","actor":{"id":"00u1"}}`, false},
		{"cloudtrail", `{"eventVersion":"1.09","eventTime":"2025-01-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","userIdentity":{"type":"IAMUser"}}`, false},
		{"gcp audit", `{"insertId":"x","timestamp":"2025-01-01T00:00:00Z","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog"}}`, false},
		{"openai audit", `{"id":"audit_log-x","type":"api_key.created","effective_at":1720000000,"actor":{"type":"session"}}`, false},
	} {
		if got := s.Detect([]byte(tc.record)); got != tc.want {
			t.Errorf("%s: Detect = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestSplit shows Graph pages, Azure Monitor exports and arrays splitting
// into their records, and a single record, even one with nested "value"
// keys, reported as such.
func TestSplit(t *testing.T) {
	s := New()
	for _, tc := range []struct {
		name, delivery string
		ok             bool
		records        []string
		err            string
	}{
		{"graph page", `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns","@odata.nextLink":"https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=x","value":[{"id":"a"},{"id":"b"}]}`,
			true, []string{`{"id":"a"}`, `{"id":"b"}`}, ""},
		{"monitor export", `{"records":[{"time":"t","properties":{"id":"a"}}]}`,
			true, []string{`{"time":"t","properties":{"id":"a"}}`}, ""},
		{"array", `[{"id":"a"}]`, true, []string{`{"id":"a"}`}, ""},
		{"empty page", `{"value":[]}`, true, nil, ""},
		{"single sign-in", `{"id":"a","authenticationProcessingDetails":[{"key":"k","value":"v"}]}`, false, nil, ""},
		{"single record with a value key", `{"id":"a","value":"x"}`, false, nil, ""},
		{"truncated array", `[{"id":"a"},`, true, nil, "split entra delivery: invalid JSON at offset 12: unexpected end of JSON input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			ok, err := s.Split([]byte(tc.delivery), func(r []byte) error {
				got = append(got, string(r))
				return nil
			})
			if ok != tc.ok {
				t.Errorf("Split = %v, want %v", ok, tc.ok)
			}
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Errorf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if strings.Join(got, "|") != strings.Join(tc.records, "|") {
				t.Errorf("records = %q, want %q", got, tc.records)
			}
		})
	}
}

// FuzzNormalize shows that no input panics: Normalize returns an error or
// an event that passes validation.
func FuzzNormalize(f *testing.F) {
	ingesttest.Seed(f, "testdata/*.in.json")
	f.Add([]byte(`{"id":"x","createdDateTime":"2025-03-14T08:02:17Z","userId":"u","status":{"errorCode":"0"},"autonomousSystemNumber":"1e30"}`))
	f.Add([]byte(`{"time":"2025-03-14T08:02:17Z","category":"AuditLogs","properties":{"activityDisplayName":"x","initiatedBy":{"app":{"displayName":"y"}}}}`))
	s := newSource()
	f.Fuzz(func(t *testing.T, record []byte) {
		ev, err := ingesttest.Normalize(s, record, now)
		if err != nil {
			return
		}
		if err := ev.Validate(); err != nil {
			t.Errorf("normalized event fails validation: %v", err)
		}
	})
}

// BenchmarkNormalize measures one interactive Graph sign-in into ChatGPT.
func BenchmarkNormalize(b *testing.B) {
	record, err := os.ReadFile("testdata/graph_signin_interactive_chatgpt.in.json")
	if err != nil {
		b.Fatal(err)
	}
	s := newSource()
	ctx := context.Background()
	b.SetBytes(int64(len(record)))
	b.ReportAllocs()
	b.ResetTimer()
	var ev schemas.Event
	for b.Loop() {
		if err := s.Normalize(ctx, record, &ev); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/event")
}
