package openai_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/ingesttest"
	"github.com/aitdr/aitdr/ingest/openai"
	"github.com/aitdr/aitdr/schemas"
)

// testNow is the clock of every test: after every sample's event time.
var testNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newSource() *openai.Source {
	return openai.New(openai.WithOrganization("org-AcmeCorp"), openai.WithClock(func() time.Time { return testNow }))
}

// TestGolden shows every sample record normalized: each one is detected as
// an OpenAI record, normalizes to its testdata/<case>.golden.json
// (rewritten with -update), and with the fields the pipeline sets is a
// valid event.
func TestGolden(t *testing.T) {
	ingesttest.Golden{Source: newSource(), Observed: testNow, Unfinished: true, MinActions: 10}.Run(t)
}

// TestBadRecords shows the error, naming the field, for each kind of bad
// record.
func TestBadRecords(t *testing.T) {
	session := `"actor":{"type":"session","session":{"user":{"id":"user-1"}}}`
	cases := []struct {
		name, record, want string
	}{
		{"truncated", `{"id":"audit_log-1","type":"login.succeeded","effective_at":17419`, "record: malformed JSON at offset 65: unexpected end of JSON input"},
		{"not an object", `"login"`, "record: string, want an object"},
		{"no type", `{"id":"a","effective_at":1741946469,` + session + `}`, "type: missing"},
		{"no time", `{"id":"a","type":"login.succeeded",` + session + `}`, "effective_at: missing"},
		{"time as text", `{"id":"a","type":"login.succeeded","effective_at":"yesterday",` + session + `}`, `effective_at: "yesterday" is not Unix seconds`},
		{"time in milliseconds", `{"id":"a","type":"login.succeeded","effective_at":1741946469000,` + session + `}`, "effective_at: 57170-02-01T11:10:00Z is not a plausible event time"},
		{"time before 2000", `{"id":"a","type":"login.succeeded","effective_at":86400,` + session + `}`, "effective_at: 1970-01-02T00:00:00Z is not a plausible event time"},
		{"no actor", `{"id":"a","type":"login.succeeded","effective_at":1741946469}`, "actor: missing"},
		{"actor without type", `{"id":"a","type":"login.succeeded","effective_at":1741946469,"actor":{}}`, "actor.type: missing"},
		{"unknown actor type", `{"id":"a","type":"login.succeeded","effective_at":1741946469,"actor":{"type":"robot"}}`, `actor.type: unknown actor type "robot"`},
		{"session without user", `{"id":"a","type":"login.succeeded","effective_at":1741946469,"actor":{"type":"session","session":{"user":{}}}}`, "actor.session.user.id: missing"},
		{"key without owner", `{"id":"a","type":"login.succeeded","effective_at":1741946469,"actor":{"type":"api_key","api_key":{"id":"k","type":"service_account"}}}`, "actor.api_key.service_account.id: missing"},
		{"user id not a string", `{"id":"a","type":"login.succeeded","effective_at":1741946469,"actor":{"type":"session","session":{"user":{"id":7}}}}`, "actor.session.user.id: number, want a string"},
		{"bad address", `{"id":"a","type":"login.succeeded","effective_at":1741946469,"actor":{"type":"session","session":{"user":{"id":"u"},"ip_address":"nowhere"}}}`, `actor.session.ip_address: "nowhere" is not an IP address`},
		{"type object not an object of strings", `{"id":"a","type":"api_key.created","effective_at":1741946469,` + session + `,"api_key.created":{"id":5}}`, "api_key.created.id: number, want a string"},
		{"invalid utf-8", `{"id":"a","type":"login.succeeded","effective_at":1741946469,"actor":{"type":"session","session":{"user":{"id":"u` + "\xff" + `"}}}}`, "id: invalid UTF-8"},
		{"aggregate usage row", `{"start_time":1741910400,"object":"organization.usage.completions.result","input_tokens":5,"api_key_id":null}`,
			"api_key_id: missing: the row is an aggregate (group the usage by api_key_id or user_id)"},
		{"usage negative tokens", `{"start_time":1741910400,"object":"organization.usage.completions.result","input_tokens":-5,"api_key_id":"k"}`, "input_tokens: -5 is not a count"},
		{"usage without time", `{"object":"organization.usage.completions.result","api_key_id":"k"}`, "start_time: missing"},
	}
	src := newSource()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ev schemas.Event
			err := src.Normalize(context.Background(), []byte(c.record), &ev)
			if err == nil || err.Error() != c.want {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			var fe *ingest.FieldError
			if !errors.As(err, &fe) {
				t.Errorf("%T is not a *ingest.FieldError", err)
			}
		})
	}
}

// TestDetect shows that Detect claims OpenAI records and leaves other
// sources' records alone.
func TestDetect(t *testing.T) {
	src := newSource()
	for _, c := range []struct {
		record string
		want   bool
	}{
		{`{"id":"audit_log-1","type":"login.succeeded","effective_at":1,"actor":{}}`, true},
		{`{"object":"page","data":[{"object":"bucket","results":[{"object":"organization.usage.completions.result"}]}]}`, true},
		{`{"eventVersion":"1.09","eventSource":"bedrock.amazonaws.com","userIdentity":{}}`, false},
		{`{"call_type":"acompletion","startTime":1,"api_key":"x"}`, false},
		{`{"id":"activity_1","created_at":"2025-01-01T00:00:00Z","actor":{"type":"user_actor"}}`, false},
		{`{"data":[{"starting_at":"x","results":[{"uncached_input_tokens":1}]}],"has_more":false}`, false},
	} {
		if got := src.Detect([]byte(c.record)); got != c.want {
			t.Errorf("Detect(%s) = %v, want %v", c.record, got, c.want)
		}
	}
}

// TestSplit shows an audit-log page split into its records and a usage
// page into its rows, each with its bucket's times in front.
func TestSplit(t *testing.T) {
	src := newSource()
	for _, c := range []struct {
		name, delivery string
		container      bool
		records        []string
		err            string
	}{
		{"audit log page", string(ingesttest.ReadFile(t, "testdata/list_page.delivery.json")), true, nil, ""},
		{"usage bucket", `{"object":"bucket","start_time":1,"end_time":2,"results":[{"object":"organization.usage.completions.result","a":1},{}]}`, true,
			[]string{`{"start_time":1,"end_time":2,"object":"organization.usage.completions.result","a":1}`, `{"start_time":1,"end_time":2}`}, ""},
		{"record", `{"id":"audit_log-1","type":"login.succeeded"}`, false, nil, ""},
		{"list without an array", `{"object":"list","data":{}}`, true, nil, "data: not an array of records"},
		{"page with a bad bucket", `{"object":"page","data":[{"object":"thing"}]}`, true, nil, "data[0]: not a usage bucket"},
		{"bucket with a bad row", `{"object":"bucket","start_time":1,"results":[7]}`, true, nil, "results[0]: not an object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			ok, err := src.Split([]byte(c.delivery), func(r []byte) error { got = append(got, string(r)); return nil })
			if ok != c.container {
				t.Errorf("container %v, want %v", ok, c.container)
			}
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Errorf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.records != nil && strings.Join(got, "|") != strings.Join(c.records, "|") {
				t.Errorf("records %q, want %q", got, c.records)
			}
			for _, r := range got {
				if !json.Valid([]byte(r)) {
					t.Errorf("record is not JSON: %s", r)
				}
			}
		})
	}
	// The usage page: two per-key rows normalize, the aggregate one does not.
	var rows [][]byte
	if _, err := src.Split(ingesttest.ReadFile(t, "testdata/usage_page.delivery.json"), func(r []byte) error { rows = append(rows, r); return nil }); err != nil {
		t.Fatal(err)
	}
	var ok, failed int
	for _, r := range rows {
		var ev schemas.Event
		if err := src.Normalize(context.Background(), r, &ev); err != nil {
			failed++
			continue
		}
		ok++
	}
	if ok != 2 || failed != 1 {
		t.Errorf("%d rows normalized and %d failed, want 2 and 1", ok, failed)
	}
}

// FuzzNormalize shows that no input makes Normalize or Split panic, and
// that Normalize returns an error or an event that is valid once the
// pipeline fields are set.
func FuzzNormalize(f *testing.F) {
	ingesttest.Seed(f, "testdata/*.in.json")
	f.Add(ingesttest.ReadFile(f, "testdata/list_page.delivery.json"))
	f.Add(ingesttest.ReadFile(f, "testdata/usage_page.delivery.json"))
	src := newSource()
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ev schemas.Event
		if err := src.Normalize(context.Background(), raw, &ev); err == nil {
			ingesttest.Finish(&ev, src.Product(), raw, testNow)
			if err := ev.Validate(); err != nil {
				t.Fatalf("normalized event is not valid: %v", err)
			}
		}
		_, _ = src.Split(raw, func([]byte) error { return nil })
	})
}

// BenchmarkNormalize measures normalizing an api_key.created audit log.
func BenchmarkNormalize(b *testing.B) {
	raw := ingesttest.ReadFile(b, "testdata/api_key_created.in.json")
	src := newSource()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		var ev schemas.Event
		if err := src.Normalize(context.Background(), raw, &ev); err != nil {
			b.Fatal(err)
		}
	}
}
