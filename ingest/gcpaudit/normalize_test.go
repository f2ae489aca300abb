package gcpaudit

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
	return New(WithClock(func() time.Time { return now }))
}

// TestGolden shows every testdata record normalizing to its golden event,
// which passes the contract's validation.
func TestGolden(t *testing.T) {
	ingesttest.Golden{Source: newSource(), Observed: now, MinActions: 10}.Run(t)
}

// TestNormalizeErrors shows bad entries failing with an error that names the
// field, and never a panic.
func TestNormalizeErrors(t *testing.T) {
	const payload = `"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"storage.googleapis.com","methodName":"storage.objects.get","authenticationInfo":{"principalEmail":"a@acme.example"}}`
	for _, tc := range []struct {
		name, record, want string
		field              string
	}{
		{"no payload", `{"insertId":"e-1","timestamp":"2025-05-21T10:52:01Z","textPayload":"hello"}`,
			"normalize gcp audit entry e-1: protoPayload: missing", "protoPayload"},
		{"not an audit log", `{"insertId":"e-1","timestamp":"2025-05-21T10:52:01Z","protoPayload":{"@type":"type.googleapis.com/google.appengine.logging.v1.RequestLog"}}`,
			`normalize gcp audit entry e-1: protoPayload.@type: not an AuditLog: "type.googleapis.com/google.appengine.logging.v1.RequestLog"`, "protoPayload.@type"},
		{"no timestamp", `{"insertId":"e-1",` + payload + `}`,
			"normalize gcp audit entry e-1: timestamp: missing", "timestamp"},
		{"timestamp not a time", `{"insertId":"e-1","timestamp":"1747824721",` + payload + `}`,
			`normalize gcp audit entry e-1: timestamp: not a timestamp: "1747824721"`, "timestamp"},
		{"timestamp in 1999", `{"insertId":"e-1","timestamp":"1999-12-31T23:59:59Z",` + payload + `}`,
			"normalize gcp audit entry e-1: timestamp: absurd timestamp 1999-12-31T23:59:59Z: before 2000", "timestamp"},
		{"timestamp far ahead", `{"insertId":"e-1","timestamp":"2025-06-02T00:00:01Z",` + payload + `}`,
			"normalize gcp audit entry e-1: timestamp: absurd timestamp 2025-06-02T00:00:01Z: more than 24h in the future", "timestamp"},
		{"no principal", `{"insertId":"e-1","timestamp":"2025-05-21T10:52:01Z","logName":"projects/p/logs/cloudaudit.googleapis.com%2Fdata_access","protoPayload":{"methodName":"storage.objects.get","authenticationInfo":{}}}`,
			"normalize gcp audit entry e-1: protoPayload.authenticationInfo.principalEmail: missing", "protoPayload.authenticationInfo.principalEmail"},
		{"no method", `{"insertId":"e-1","timestamp":"2025-05-21T10:52:01Z","protoPayload":{"authenticationInfo":{"principalEmail":"a@acme.example"}}}`,
			"normalize gcp audit entry e-1: protoPayload.methodName: missing", "protoPayload.methodName"},
		{"principal a number", `{"insertId":"e-1","timestamp":"2025-05-21T10:52:01Z","protoPayload":{"methodName":"m","authenticationInfo":{"principalEmail":12}}}`,
			"normalize gcp audit entry: protoPayload.authenticationInfo.principalEmail: not a string (number)", "protoPayload.authenticationInfo.principalEmail"},
		{"authorization info an object", `{"insertId":"e-1","timestamp":"2025-05-21T10:52:01Z","protoPayload":{"methodName":"m","authorizationInfo":{"permission":"x"}}}`,
			"normalize gcp audit entry: protoPayload.authorizationInfo: not an array (object)", "protoPayload.authorizationInfo"},
		{"invalid UTF-8 in principal", "{\"insertId\":\"e-1\",\"timestamp\":\"2025-05-21T10:52:01Z\",\"protoPayload\":{\"methodName\":\"m\",\"authenticationInfo\":{\"principalEmail\":\"a\xff@acme.example\"}}}",
			"normalize gcp audit entry e-1: protoPayload.authenticationInfo.principalEmail: invalid UTF-8", "protoPayload.authenticationInfo.principalEmail"},
		{"invalid UTF-8 in method", "{\"insertId\":\"e-1\",\"timestamp\":\"2025-05-21T10:52:01Z\",\"protoPayload\":{\"methodName\":\"m\xc3\",\"authenticationInfo\":{\"principalEmail\":\"a@acme.example\"}}}",
			"normalize gcp audit entry e-1: protoPayload.methodName: invalid UTF-8", "protoPayload.methodName"},
		{"not an object", `[{"insertId":"e-1"}]`,
			"normalize gcp audit entry: record: not a JSON object (array)", "record"},
		{"truncated", `{"insertId":"e-1","timestamp":"2025-05-21T10:52:01Z",` + payload,
			"normalize gcp audit entry: invalid JSON at offset 258: unexpected end of JSON input", ""},
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

// TestFreeFormPayloads shows that request, response, metadata and
// serviceData of an unexpected shape do not fail the entry: they are
// method-specific extras, read best-effort.
func TestFreeFormPayloads(t *testing.T) {
	record := `{"insertId":"e-1","timestamp":"2025-05-21T10:52:01Z","protoPayload":{"serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.CreateServiceAccount","resourceName":"projects/p","authenticationInfo":{"principalEmail":"a@acme.example"},"request":{"account_id":{"nested":true},"setup":"x"},"response":"done","metadata":[1,2],"serviceData":{"policyDelta":{"bindingDeltas":{"not":"an array"}}}}}`
	ev, err := ingesttest.Normalize(newSource(), []byte(record), now)
	if err != nil {
		t.Fatalf("Normalize: %v", err)
	}
	if ev.Action.Category != schemas.CategoryIAMChange || ev.Target.ID != "projects/p" {
		t.Errorf("action %+v, target %+v", ev.Action, ev.Target)
	}
}

// TestIdentityAccounts shows the account part of identity ids: the project
// a service account names, the organization or mail domain of a user.
func TestIdentityAccounts(t *testing.T) {
	for _, tc := range []struct {
		email, org, want string
	}{
		{"agent@acme-ml-prod.iam.gserviceaccount.com", "", "gcp:acme-ml-prod:agent@acme-ml-prod.iam.gserviceaccount.com"},
		{"service-481516234200@gcp-sa-aiplatform.iam.gserviceaccount.com", "", "gcp:481516234200:service-481516234200@gcp-sa-aiplatform.iam.gserviceaccount.com"},
		{"481516234200-compute@developer.gserviceaccount.com", "", "gcp:481516234200:481516234200-compute@developer.gserviceaccount.com"},
		{"acme-web@appspot.gserviceaccount.com", "", "gcp:acme-web:acme-web@appspot.gserviceaccount.com"},
		{"dana.lee@acme.example", "", "gcp:acme.example:dana.lee@acme.example"},
		{"dana.lee@acme.example", "246813579024", "gcp:246813579024:dana.lee@acme.example"},
		{"agent@acme-ml-prod.iam.gserviceaccount.com", "246813579024", "gcp:acme-ml-prod:agent@acme-ml-prod.iam.gserviceaccount.com"},
	} {
		record := `{"insertId":"e","timestamp":"2025-05-21T10:52:01Z","logName":"projects/other-project/logs/cloudaudit.googleapis.com%2Factivity","protoPayload":{"methodName":"m","authenticationInfo":{"principalEmail":"` + tc.email + `"}}}`
		s := New(WithOrg(tc.org), WithClock(func() time.Time { return now }))
		ev, err := ingesttest.Normalize(s, []byte(record), now)
		if err != nil {
			t.Fatalf("%s: %v", tc.email, err)
		}
		if ev.Identity.ID != tc.want {
			t.Errorf("%s (org %q): id %q, want %q", tc.email, tc.org, ev.Identity.ID, tc.want)
		}
	}
}

// TestNormalizeReusedEvent shows that normalizing into a used event leaves
// nothing of the previous one behind.
func TestNormalizeReusedEvent(t *testing.T) {
	ingesttest.CheckReuse(t, newSource(), "testdata/set_iam_policy_project.in.json", "testdata/system_event_no_principal.in.json")
}

// TestDetect shows Detect claiming audit log entries and not other
// sources' records or other log entries.
func TestDetect(t *testing.T) {
	s := New()
	for _, tc := range []struct {
		name   string
		record string
		want   bool
	}{
		{"audit log", `{"insertId":"x","timestamp":"2025-01-01T00:00:00Z","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog"}}`, true},
		{"audit log without type", `{"insertId":"x","logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","protoPayload":{"methodName":"m"}}`, true},
		{"text log entry", `{"insertId":"x","logName":"projects/p/logs/stdout","textPayload":"hello"}`, false},
		{"request log", `{"insertId":"x","logName":"projects/p/logs/appengine.googleapis.com%2Frequest_log","protoPayload":{"@type":"type.googleapis.com/google.appengine.logging.v1.RequestLog"}}`, false},
		{"okta", `{"uuid":"x","published":"2025-01-01T00:00:00Z","eventType":"user.session.start","actor":{"id":"00u1"}}`, false},
		{"k8s audit", `{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"get","user":{"username":"x"}}`, false},
		{"entra", `{"time":"2025-01-01T00:00:00Z","category":"AuditLogs","properties":{}}`, false},
	} {
		if got := s.Detect([]byte(tc.record)); got != tc.want {
			t.Errorf("%s: Detect = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestSplit shows arrays of entries and entries.list pages splitting into
// their entries, and a single entry reported as such.
func TestSplit(t *testing.T) {
	s := New()
	for _, tc := range []struct {
		name, delivery string
		ok             bool
		records        []string
		err            string
	}{
		{"array", `[{"insertId":"a"},{"insertId":"b"}]`, true, []string{`{"insertId":"a"}`, `{"insertId":"b"}`}, ""},
		{"entries page", `{"entries":[{"insertId":"a"}],"nextPageToken":"t"}`, true, []string{`{"insertId":"a"}`}, ""},
		{"single entry", `{"insertId":"a","protoPayload":{"request":{"entries":3}}}`, false, nil, ""},
		{"truncated array", `[{"insertId":"a"}`, true, nil, "split gcp audit delivery: invalid JSON at offset 17: unexpected end of JSON input"},
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
	f.Add([]byte(`{"insertId":"x","timestamp":"2025-03-14T08:02:17Z","protoPayload":{"methodName":"m","authenticationInfo":{"principalSubject":"principal://x/workloadIdentityPools/p/subject/s"},"status":{"code":"7"},"request":[],"numResponseItems":"1e3"}}`))
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

// BenchmarkNormalize measures one Vertex AI GenerateContent entry.
func BenchmarkNormalize(b *testing.B) {
	record, err := os.ReadFile("testdata/vertex_generate_content_sa_key.in.json")
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
