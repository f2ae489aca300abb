package mapping_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/ingesttest"
	"github.com/aitdr/aitdr/ingest/mapping"
	"github.com/aitdr/aitdr/schemas"
)

// now is the clock of the tests: a few days after the samples.
var now = time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC)

func load(t testing.TB, file string) *mapping.Source {
	t.Helper()
	m, err := mapping.Load(file)
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	return mapping.New(m, mapping.WithClock(func() time.Time { return now }))
}

// validate checks ev against the contract, custom product included.
func validate(t testing.TB, ev *schemas.Event) {
	t.Helper()
	if err := ev.Validate(); err != nil {
		t.Errorf("invalid event: %v", err)
	}
}

// TestGolden shows the sample records of each mapping in testdata
// normalizing to their golden events; deliveries are split first. Run
// with -update to rewrite the golden files after a reviewed change.
func TestGolden(t *testing.T) {
	mappings, err := filepath.Glob("testdata/*/mapping.yaml")
	if err != nil || len(mappings) == 0 {
		t.Fatalf("no mappings: %v", err)
	}
	for _, file := range mappings {
		dir := filepath.Dir(file)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			g := ingesttest.Golden{Source: load(t, file), Inputs: filepath.Join(dir, "*.in.json"), Observed: now, Split: true}
			g.Run(t)
		})
	}
}

// inline loads a mapping from text.
func inline(t testing.TB, yaml string) *mapping.Source {
	t.Helper()
	m, err := mapping.Parse("inline.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return mapping.New(m, mapping.WithClock(func() time.Time { return now }))
}

const minimal = `
product: acme.audit
fields:
  time: {path: "$.ts", format: unix}
  identity.id: "$.user"
  action.name: "$.event"
  volume.bytes_out: "$.bytes"
  session.mfa: "$.mfa"
  identity.kind: "$.kind"
  network.source_ip: "$.ip"
`

// TestBadRecords shows each kind of bad record rejected with an error that
// names the path of the field in the record.
func TestBadRecords(t *testing.T) {
	src := inline(t, minimal)
	tests := []struct {
		name   string
		record string
		want   string
		field  bool
	}{
		{"truncated", `{"ts": 1741944401, "user": "u1"`, "normalize acme.audit record: decode json: unexpected end of JSON input", false},
		{"trailing data", `{"ts": 1741944401} {}`, "normalize acme.audit record: decode json: invalid character '{' after top-level value", false},
		{"not an object", `[{"ts": 1741944401}]`, "normalize acme.audit record: $: array, want object", true},
		{"missing time", `{"user": "u1", "event": "e"}`, "normalize acme.audit record: $.ts: missing", true},
		{"time not a number", `{"ts": "soon", "user": "u1", "event": "e"}`, `normalize acme.audit record: $.ts: "soon" is not a number of seconds since the Unix epoch`, true},
		{"time before 2000", `{"ts": 946684799, "user": "u1", "event": "e"}`, "normalize acme.audit record: $.ts: 1999-12-31T23:59:59Z is before 2000", true},
		{"time in the future", `{"ts": 1742515201, "user": "u1", "event": "e"}`, "normalize acme.audit record: $.ts: 2025-03-21T00:00:01Z is more than 24h in the future", true},
		{"missing identity", `{"ts": 1741944401, "event": "e"}`, "normalize acme.audit record: $.user: missing", true},
		{"empty identity", `{"ts": 1741944401, "user": "", "event": "e"}`, "normalize acme.audit record: $.user: missing", true},
		{"identity an object", `{"ts": 1741944401, "user": {"id": 1}, "event": "e"}`, "normalize acme.audit record: $.user: object, want a string, number or boolean", true},
		{"missing action", `{"ts": 1741944401, "user": "u1"}`, "normalize acme.audit record: $.event: missing", true},
		{"bytes not a number", `{"ts": 1741944401, "user": "u1", "event": "e", "bytes": "lots"}`, `normalize acme.audit record: $.bytes: "lots" is not a number`, true},
		{"negative bytes", `{"ts": 1741944401, "user": "u1", "event": "e", "bytes": -3}`, `normalize acme.audit record: $.bytes: negative: -3`, true},
		{"mfa not a boolean", `{"ts": 1741944401, "user": "u1", "event": "e", "mfa": "maybe"}`, `normalize acme.audit record: $.mfa: "maybe" is not a boolean`, true},
		{"unknown kind", `{"ts": 1741944401, "user": "u1", "event": "e", "kind": "robot"}`, `normalize acme.audit record: $.kind: "robot" is not one of human, service, agent, unknown`, true},
		{"bad address", `{"ts": 1741944401, "user": "u1", "event": "e", "ip": "10.0.0.300"}`, `normalize acme.audit record: $.ip: "10.0.0.300" is not an IP address`, true},
		{"invalid UTF-8 in the identity", "{\"ts\": 1741944401, \"user\": \"u\xff1\", \"event\": \"e\"}", "normalize acme.audit record: $.user: invalid UTF-8", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev schemas.Event
			err := src.Normalize(context.Background(), []byte(tt.record), &ev)
			if err == nil {
				t.Fatalf("no error, event %+v", ev)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tt.want)
			}
			var fe *ingest.FieldError
			if errors.As(err, &fe) != tt.field {
				t.Errorf("errors.As(*ingest.FieldError) = %v, want %v", !tt.field, tt.field)
			}
		})
	}
}

// TestDefaults shows what a record gets that the mapping does not set: a
// derived identity id, the product as provider, outcome and category
// defaults, and the precedence of category rules over mapped fields.
func TestDefaults(t *testing.T) {
	src := inline(t, `
product: acme.audit
fields:
  time: "$.ts"
  identity.name: "$.user"
  identity.account: "$.org"
  action.name: "$.event"
  action.category: {path: "$.cat"}
  action.verb: {path: "$.verb"}
  error.code: "$.err"
  volume.records: {path: "$.n", default: 1}
categories:
  - {when: {field: "$.event", equals: "export"}, category: data_access, verb: export}
  - {when: {field: "$.event", suffix: ".delete"}, category: admin}
`)
	tests := []struct {
		name   string
		record string
		check  func(t *testing.T, ev *schemas.Event)
	}{
		{"derived identity", `{"ts": "2025-03-14T09:26:41Z", "user": "dana", "org": "o1", "event": "view"}`, func(t *testing.T, ev *schemas.Event) {
			want(t, "identity.id", ev.Identity.ID, "acme.audit:o1:dana")
			want(t, "identity.provider", ev.Identity.Provider, "acme.audit")
			want(t, "outcome", ev.Outcome, schemas.OutcomeUnknown)
			want(t, "action.category", ev.Action.Category, schemas.CategoryOther)
			want(t, "action.verb", ev.Action.Verb, schemas.VerbOther)
			want(t, "volume.records", ev.Volume.Records, 1)
		}},
		{"error means failure", `{"ts": "2025-03-14T09:26:41Z", "user": "dana", "event": "view", "err": "E42"}`, func(t *testing.T, ev *schemas.Event) {
			want(t, "outcome", ev.Outcome, schemas.OutcomeFailure)
			want(t, "identity.id", ev.Identity.ID, "acme.audit::dana")
		}},
		{"rule over fields", `{"ts": "2025-03-14T09:26:41Z", "user": "dana", "event": "export", "cat": "other", "verb": "read"}`, func(t *testing.T, ev *schemas.Event) {
			want(t, "action.category", ev.Action.Category, schemas.CategoryDataAccess)
			want(t, "action.verb", ev.Action.Verb, schemas.VerbExport)
		}},
		{"rule without verb keeps the field's", `{"ts": "2025-03-14T09:26:41Z", "user": "dana", "event": "repo.delete", "verb": "delete"}`, func(t *testing.T, ev *schemas.Event) {
			want(t, "action.category", ev.Action.Category, schemas.CategoryAdmin)
			want(t, "action.verb", ev.Action.Verb, schemas.VerbDelete)
		}},
		{"fields without a rule", `{"ts": "2025-03-14T09:26:41Z", "user": "dana", "event": "x", "cat": "iam_change", "verb": "grant", "n": 7}`, func(t *testing.T, ev *schemas.Event) {
			want(t, "action.category", ev.Action.Category, schemas.CategoryIAMChange)
			want(t, "action.verb", ev.Action.Verb, schemas.VerbGrant)
			want(t, "volume.records", ev.Volume.Records, 7)
		}},
		{"fractional seconds and offsets", `{"ts": "2025-03-14T10:26:41.5+01:00", "user": "dana", "event": "x"}`, func(t *testing.T, ev *schemas.Event) {
			want(t, "time", ev.Time, time.Date(2025, 3, 14, 9, 26, 41, 500_000_000, time.UTC))
		}},
		{"numbers keep their digits", `{"ts": "2025-03-14T09:26:41Z", "user": 12345678901234567890, "event": "x"}`, func(t *testing.T, ev *schemas.Event) {
			want(t, "identity.name", ev.Identity.Name, "12345678901234567890")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev schemas.Event
			if err := src.Normalize(context.Background(), []byte(tt.record), &ev); err != nil {
				t.Fatal(err)
			}
			ingesttest.Finish(&ev, src.Product(), []byte(tt.record), now)
			validate(t, &ev)
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

// TestTimeFormats shows the three time formats.
func TestTimeFormats(t *testing.T) {
	want := time.Date(2025, 3, 14, 9, 26, 41, 250_000_000, time.UTC)
	for _, tt := range []struct{ format, value string }{
		{"rfc3339", `"2025-03-14T09:26:41.25Z"`},
		{"unix", `1741944401.25`},
		{"unix", `"1741944401.25"`},
		{"unix_ms", `1741944401250`},
	} {
		src := inline(t, `
product: acme.audit
fields:
  time: {path: "$.t", format: `+tt.format+`}
  identity.id: "$.u"
  action.name: "$.e"
`)
		var ev schemas.Event
		rec := `{"t": ` + tt.value + `, "u": "x", "e": "y"}`
		if err := src.Normalize(context.Background(), []byte(rec), &ev); err != nil {
			t.Fatalf("%s %s: %v", tt.format, tt.value, err)
		}
		if !ev.Time.Equal(want) {
			t.Errorf("%s %s: time = %v, want %v", tt.format, tt.value, ev.Time, want)
		}
	}
}

// TestDetect shows Detect claiming the mapping's records and turning away
// others, and a mapping without a detect rule claiming nothing.
func TestDetect(t *testing.T) {
	src := load(t, "testdata/acme/mapping.yaml")
	tests := []struct {
		record string
		want   bool
	}{
		{`{"schema": "acme.v1", "event": "x"}`, true},
		{`{"schema": "acme.v2", "event": "x"}`, false},
		{`{"meta": {"schema": "acme.v1"}}`, false},
		{`{"eventVersion": "1.10", "eventSource": "s3.amazonaws.com", "awsRegion": "us-east-1"}`, false},
		{`{"schema": "acme.v1"`, false},
	}
	for _, tt := range tests {
		if got := src.Detect([]byte(tt.record)); got != tt.want {
			t.Errorf("Detect(%s) = %v, want %v", tt.record, got, tt.want)
		}
	}
	if inline(t, minimal).Detect([]byte(`{"ts": 1}`)) {
		t.Error("a mapping without a detect rule claimed a record")
	}
}

// TestSplit shows deliveries split at the mapping's split path, single
// records left alone, and a split path holding something else rejected.
func TestSplit(t *testing.T) {
	src := load(t, "testdata/acme/mapping.yaml")
	tests := []struct {
		name     string
		delivery string
		split    bool
		records  []string
		err      string
	}{
		{"page", `{"events": [{"a": 1}, {"b": [2]}]}`, true, []string{`{"a": 1}`, `{"b": [2]}`}, ""},
		{"empty page", `{"events": []}`, true, nil, ""},
		{"single record", `{"schema": "acme.v1", "event": "x"}`, false, nil, ""},
		{"null events", `{"events": null}`, false, nil, ""},
		{"events not an array", `{"events": {"a": 1}}`, false, nil, "split acme.audit delivery: $.events: not an array"},
		{"truncated", `{"events": [`, false, nil, "split acme.audit delivery: decode json: unexpected end of JSON input"},
		{"an array", `[{"events": []}]`, false, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			split, err := src.Split([]byte(tt.delivery), func(r []byte) error {
				got = append(got, string(r))
				return nil
			})
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if split != tt.split || strings.Join(got, "|") != strings.Join(tt.records, "|") {
				t.Errorf("split = %v %q, want %v %q", split, got, tt.split, tt.records)
			}
		})
	}
}
