package anthropic_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/anthropic"
	"github.com/aitdr/aitdr/ingest/ingesttest"
	"github.com/aitdr/aitdr/schemas"
)

// testNow is the clock of every test: after every sample's event time.
var testNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const org = "org_01Wv6QeBcDfGhJkLmNpQrSt8"

func newSource() *anthropic.Source {
	return anthropic.New(anthropic.WithOrganization(org), anthropic.WithClock(func() time.Time { return testNow }))
}

// TestGolden shows every sample record normalized: each one is detected as
// an Anthropic record, normalizes to its testdata/<case>.golden.json
// (rewritten with -update), and with the fields the pipeline sets is a
// valid event.
func TestGolden(t *testing.T) {
	events := ingesttest.Golden{Source: newSource(), Observed: testNow, Unfinished: true}.Run(t)
	if len(events) < 10 {
		t.Errorf("%d samples, want at least 10", len(events))
	}
}

// TestIdentityAcrossRecords shows that one person and one key get one
// identity id in every record kind that names them.
func TestIdentityAcrossRecords(t *testing.T) {
	src := newSource()
	id := func(file string) string {
		var ev schemas.Event
		if err := src.Normalize(context.Background(), ingesttest.ReadFile(t, "testdata/"+file), &ev); err != nil {
			t.Fatal(err)
		}
		return ev.Identity.ID
	}
	if a, b := id("activity_claude_chat_created.in.json"), "anthropic:"+org+":user/priya.natarajan@acme.example"; a != b {
		t.Errorf("activity user %s, want %s", a, b)
	}
	if a, b := id("usage_messages_row.in.json"), "anthropic:"+org+":key/apikey_01Rj2N8SVvo6BePZj99NhmiT"; a != b {
		t.Errorf("usage key %s, want %s", a, b)
	}
	if a, b := id("activity_service_account_added_to_workspace.in.json"), "anthropic:"+org+":key/apikey_01ProvisionerBot00001"; a != b {
		t.Errorf("activity key %s, want %s", a, b)
	}
	if a, b := id("admin_user.in.json"), "anthropic:"+org+":user/lena.kim@acme.example"; a != b {
		t.Errorf("admin user %s, want %s", a, b)
	}
}

// TestBadRecords shows the error, naming the field, for each kind of bad
// record.
func TestBadRecords(t *testing.T) {
	user := `"actor":{"type":"user_actor","email_address":"a@acme.example","user_id":"user_1"}`
	cases := []struct {
		name, record, want string
	}{
		{"truncated", `{"id":"activity_1","created_at":"2025-04-10T08:09:10Z","actor":{"type":`, "record: malformed JSON at offset 71: unexpected end of JSON input"},
		{"not an object", `[]`, "record: array, want an object"},
		{"activity without actor", `{"id":"activity_1","created_at":"2025-04-10T08:09:10Z","type":"claude_chat_created"}`, "actor: missing"},
		{"activity without type", `{"id":"activity_1","created_at":"2025-04-10T08:09:10Z",` + user + `}`, "type: missing"},
		{"activity without time", `{"id":"activity_1","type":"claude_chat_created",` + user + `}`, "created_at: missing"},
		{"activity time not a time", `{"id":"activity_1","created_at":"10/04/2025","type":"x",` + user + `}`, `created_at: "10/04/2025" is not a time`},
		{"activity from the future", `{"id":"activity_1","created_at":"2030-01-01T00:00:00Z","type":"x",` + user + `}`, "created_at: 2030-01-01T00:00:00Z is not a plausible event time"},
		{"unknown actor type", `{"id":"activity_1","created_at":"2025-04-10T08:09:10Z","type":"x","actor":{"type":"ghost"}}`, `actor.type: unknown actor type "ghost"`},
		{"user actor without identity", `{"id":"activity_1","created_at":"2025-04-10T08:09:10Z","type":"x","actor":{"type":"user_actor"}}`, "actor.email_address: missing"},
		{"api actor without key", `{"id":"activity_1","created_at":"2025-04-10T08:09:10Z","type":"x","actor":{"type":"api_actor"}}`, "actor.api_key_id: missing"},
		{"bad address", `{"id":"activity_1","created_at":"2025-04-10T08:09:10Z","type":"x","actor":{"type":"api_actor","api_key_id":"k","ip_address":"::zz"}}`, `actor.ip_address: "::zz" is not an IP address`},
		{"scopes not a list", `{"id":"activity_1","created_at":"2025-04-10T08:09:10Z","type":"api_key_created",` + user + `,"scopes":"all"}`, "scopes: string, want an array"},
		{"invite object", `{"id":"invite_1","type":"invite","email":"x@acme.example","invited_at":"2025-01-01T00:00:00Z"}`,
			`type: "invite" objects carry no actor: ingest the activity feed (org_user_invite_sent) instead`},
		{"workspace member object", `{"type":"workspace_member","user_id":"user_1","workspace_id":"wrkspc_1","workspace_role":"workspace_user"}`,
			`type: "workspace_member" objects carry no actor: ingest the activity feed (platform_workspace_member_added) instead`},
		{"api key without creator", `{"id":"apikey_1","type":"api_key","created_at":"2025-01-01T00:00:00Z"}`, "created_by.id: missing"},
		{"unknown object", `{"id":"x","type":"gadget"}`, `type: unknown record type "gadget"`},
		{"usage row without key", `{"starting_at":"2025-08-01T00:00:00Z","uncached_input_tokens":5,"api_key_id":null}`,
			"api_key_id: missing: the row is not per API key (group the report by api_key_id; Console usage has none)"},
		{"usage tokens negative", `{"starting_at":"2025-08-01T00:00:00Z","uncached_input_tokens":-5,"api_key_id":"k"}`, "uncached_input_tokens: -5 is not a count"},
		{"usage cache tokens not a number", `{"starting_at":"2025-08-01T00:00:00Z","api_key_id":"k","cache_creation":{"ephemeral_5m_input_tokens":"lots"}}`, `cache_creation.ephemeral_5m_input_tokens: "lots" is not a count`},
		{"usage start not a string", `{"starting_at":20250801,"uncached_input_tokens":5,"api_key_id":"k"}`, "starting_at: 20250801 is not a time"},
		{"claude code row without date", `{"actor":{"type":"user_actor","email_address":"a@acme.example"},"core_metrics":{}}`, "date: missing"},
		{"claude code bad tokens", `{"date":"2025-09-08","actor":{"type":"user_actor","email_address":"a@acme.example"},"core_metrics":{},"model_breakdown":[{"tokens":{"input":1.5}}]}`,
			"model_breakdown[0].tokens.input: 1.5 is not a count"},
		{"invalid utf-8", `{"id":"activity_1","created_at":"2025-04-10T08:09:10Z","type":"x","actor":{"type":"user_actor","email_address":"a` + "\xfe" + `"}}`, "email_address: invalid UTF-8"},
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

// TestDetect shows that Detect claims Anthropic records and leaves other
// sources' records alone.
func TestDetect(t *testing.T) {
	src := newSource()
	for _, c := range []struct {
		record string
		want   bool
	}{
		{`{"id":"activity_1","actor":{"type":"user_actor"}}`, true},
		{`{"data":[{"starting_at":"x","results":[{"uncached_input_tokens":1}]}],"has_more":false}`, true},
		{`{"type":"workspace_member","user_id":"user_1","workspace_id":"wrkspc_1","workspace_role":"workspace_user"}`, true},
		{`{"id":"audit_log-1","type":"login.succeeded","effective_at":1,"actor":{"type":"session"}}`, false},
		{`{"call_type":"acompletion","startTime":1,"api_key":"x"}`, false},
		{`{"object":"organization.usage.completions.result","api_key_id":"key_1"}`, false},
		{`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole"}}`, false},
	} {
		if got := src.Detect([]byte(c.record)); got != c.want {
			t.Errorf("Detect(%s) = %v, want %v", c.record, got, c.want)
		}
	}
}

// TestSplit shows pages split into their records, usage buckets into rows
// with the bucket's times in front, and single records left whole.
func TestSplit(t *testing.T) {
	src := newSource()
	for _, c := range []struct {
		name, delivery string
		container      bool
		records        []string
		err            string
	}{
		{"activity page", string(ingesttest.ReadFile(t, "testdata/activity_page.delivery.json")), true, nil, ""},
		{"bucket", `{"starting_at":"a","ending_at":"b","results":[{"x":1},{ }]}`, true,
			[]string{`{"starting_at":"a","ending_at":"b","x":1}`, `{"starting_at":"a","ending_at":"b" }`}, ""},
		{"record", `{"id":"activity_1","type":"x","actor":{}}`, false, nil, ""},
		{"record with data but no page", `{"id":"activity_1","data":[1]}`, false, nil, ""},
		{"page of garbage", `{"data":{},"has_more":true}`, true, nil, "data: not an array of records"},
		{"bucket with a bad row", `{"starting_at":"a","results":["x"]}`, true, nil, "results[0]: not an object"},
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
		})
	}
	var rows [][]byte
	if _, err := src.Split(ingesttest.ReadFile(t, "testdata/usage_report_page.delivery.json"), func(r []byte) error { rows = append(rows, r); return nil }); err != nil {
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
	if ok != 3 || failed != 1 {
		t.Errorf("%d rows normalized and %d failed, want 3 and 1", ok, failed)
	}
}

// FuzzNormalize shows that no input makes Normalize or Split panic, and
// that Normalize returns an error or an event that is valid once the
// pipeline fields are set.
func FuzzNormalize(f *testing.F) {
	ingesttest.Seed(f, "testdata/*.in.json")
	f.Add(ingesttest.ReadFile(f, "testdata/activity_page.delivery.json"))
	f.Add(ingesttest.ReadFile(f, "testdata/usage_report_page.delivery.json"))
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

// BenchmarkNormalize measures normalizing an activity of the compliance
// feed.
func BenchmarkNormalize(b *testing.B) {
	raw := ingesttest.ReadFile(b, "testdata/activity_api_key_created.in.json")
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
