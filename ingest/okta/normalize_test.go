package okta

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
	return New(WithOrg("acme.okta.com"), WithClock(func() time.Time { return now }))
}

// TestGolden shows every testdata record normalizing to its golden event,
// which passes the contract's validation.
func TestGolden(t *testing.T) {
	ingesttest.Golden{Source: newSource(), Observed: now, MinActions: 10}.Run(t)
}

// TestNormalizeErrors shows bad records failing with an error that names the
// field, and never a panic.
func TestNormalizeErrors(t *testing.T) {
	const base = `"uuid":"u-1","published":"2025-03-14T08:02:17.331Z","eventType":"user.session.start","actor":{"id":"00u1","type":"User","alternateId":"a@acme.example"}`
	for _, tc := range []struct {
		name, record, want string
		field              string
	}{
		{"missing event type", `{"uuid":"u-1","published":"2025-03-14T08:02:17Z","actor":{"id":"00u1"}}`,
			"normalize okta event u-1: eventType: missing", "eventType"},
		{"missing actor", `{"uuid":"u-1","published":"2025-03-14T08:02:17Z","eventType":"user.session.start"}`,
			"normalize okta event u-1: actor.id: missing", "actor.id"},
		{"null actor id", `{"published":"2025-03-14T08:02:17Z","eventType":"user.session.start","actor":{"id":null}}`,
			"normalize okta event: actor.id: missing", "actor.id"},
		{"missing published", `{"uuid":"u-1","eventType":"user.session.start","actor":{"id":"00u1"}}`,
			"normalize okta event u-1: published: missing", "published"},
		{"published not a time", `{"uuid":"u-1","published":"yesterday","eventType":"user.session.start","actor":{"id":"00u1"}}`,
			`normalize okta event u-1: published: not a timestamp: "yesterday"`, "published"},
		{"published before 2000", `{"uuid":"u-1","published":"1970-01-01T00:00:00Z","eventType":"user.session.start","actor":{"id":"00u1"}}`,
			"normalize okta event u-1: published: absurd timestamp 1970-01-01T00:00:00Z: before 2000", "published"},
		{"published in the future", `{"uuid":"u-1","published":"2025-06-03T00:00:00Z","eventType":"user.session.start","actor":{"id":"00u1"}}`,
			"normalize okta event u-1: published: absurd timestamp 2025-06-03T00:00:00Z: more than 24h in the future", "published"},
		{"actor id a number", `{"uuid":"u-1","published":"2025-03-14T08:02:17Z","eventType":"user.session.start","actor":{"id":42}}`,
			"normalize okta event: actor.id: not a string (number)", "actor.id"},
		{"actor a string", `{"uuid":"u-1","published":"2025-03-14T08:02:17Z","eventType":"user.session.start","actor":"dana"}`,
			"normalize okta event: actor: not an object (string)", "actor"},
		{"target an object", `{` + base + `,"target":{"id":"x"}}`,
			"normalize okta event: target: not an array (object)", "target"},
		{"event type a boolean", `{"uuid":"u-1","published":"2025-03-14T08:02:17Z","eventType":true,"actor":{"id":"00u1"}}`,
			"normalize okta event: eventType: not a string (bool)", "eventType"},
		{"not an object", `["user.session.start"]`,
			"normalize okta event: record: not a JSON object (array)", "record"},
		{"invalid UTF-8 in actor id", "{\"uuid\":\"u-1\",\"published\":\"2025-03-14T08:02:17Z\",\"eventType\":\"user.session.start\",\"actor\":{\"id\":\"00u\xff\"}}",
			"normalize okta event u-1: actor.id: invalid UTF-8", "actor.id"},
		{"invalid UTF-8 in event type", "{\"uuid\":\"u-1\",\"published\":\"2025-03-14T08:02:17Z\",\"eventType\":\"user.\xc3\x28\",\"actor\":{\"id\":\"00u1\"}}",
			"normalize okta event u-1: eventType: invalid UTF-8", "eventType"},
		{"truncated", `{` + base,
			"normalize okta event: invalid JSON at offset 152: unexpected end of JSON input", ""},
		{"empty", ``,
			"normalize okta event: invalid JSON at offset 0: unexpected end of JSON input", ""},
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
	ingesttest.CheckReuse(t, newSource(), "testdata/sso_chatgpt_enterprise.in.json", "testdata/user_lifecycle_deactivate_system.in.json")
}

// TestDetect shows Detect claiming Okta events and not other sources'.
func TestDetect(t *testing.T) {
	s := New()
	for _, tc := range []struct {
		name   string
		record string
		want   bool
	}{
		{"okta", `{"uuid":"x","published":"2025-01-01T00:00:00Z","eventType":"user.session.start","actor":{"id":"00u1"}}`, true},
		{"okta page", `[{"uuid":"x","published":"2025-01-01T00:00:00Z","eventType":"user.session.start","actor":{"id":"00u1"}}]`, true},
		{"cloudtrail", `{"eventVersion":"1.09","eventTime":"2025-01-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","userIdentity":{"type":"IAMUser"}}`, false},
		{"gcp audit", `{"insertId":"x","timestamp":"2025-01-01T00:00:00Z","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog"}}`, false},
		{"entra sign-in", `{"id":"x","createdDateTime":"2025-01-01T00:00:00Z","userPrincipalName":"a@b.c","appId":"y","status":{"errorCode":0}}`, false},
		{"github audit", `{"@timestamp":1736000000000,"action":"repo.create","actor":"octocat","org":"acme"}`, false},
		{"k8s audit", `{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"get","user":{"username":"x"}}`, false},
	} {
		if got := s.Detect([]byte(tc.record)); got != tc.want {
			t.Errorf("%s: Detect = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestSplit shows a System Log API page splitting into its events, and a
// single event or a malformed page handled as such.
func TestSplit(t *testing.T) {
	s := New()
	var got []string
	ok, err := s.Split([]byte(` [{"uuid":"a"}, {"uuid":"b"}]`), func(r []byte) error {
		got = append(got, string(r))
		return nil
	})
	if !ok || err != nil || len(got) != 2 || got[0] != `{"uuid":"a"}` || got[1] != `{"uuid":"b"}` {
		t.Errorf("Split page = %v, %v, %q", ok, err, got)
	}
	ok, err = s.Split([]byte(`{"uuid":"a"}`), func([]byte) error { t.Error("emit called for a single record"); return nil })
	if ok || err != nil {
		t.Errorf("Split single record = %v, %v; want false, nil", ok, err)
	}
	_, err = s.Split([]byte(`[{"uuid":"a"},`), func([]byte) error { return nil })
	if err == nil || !strings.HasPrefix(err.Error(), "split okta page: invalid JSON") {
		t.Errorf("Split truncated page: err = %v", err)
	}
	stop := errors.New("stop")
	_, err = s.Split([]byte(`[{"uuid":"a"},{"uuid":"b"}]`), func([]byte) error { return stop })
	if !errors.Is(err, stop) || err.Error() != "split okta page: record 0: stop" {
		t.Errorf("Split with failing emit: err = %v", err)
	}
}

// FuzzNormalize shows that no input panics: Normalize returns an error or
// an event that passes validation.
func FuzzNormalize(f *testing.F) {
	ingesttest.Seed(f, "testdata/*.in.json")
	f.Add([]byte(`{"published":"2025-03-14T08:02:17Z","eventType":"x","actor":{"id":"1"},"securityContext":{"asNumber":"1e30"}}`))
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

// BenchmarkNormalize measures one SSO to ChatGPT Enterprise event.
func BenchmarkNormalize(b *testing.B) {
	record, err := os.ReadFile("testdata/sso_chatgpt_enterprise.in.json")
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
