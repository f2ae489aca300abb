package github

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/ingesttest"
	"github.com/aitdr/aitdr/schemas"
)

// observed is the ObservedTime the tests give every event.
var observed = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)

// TestGolden shows that each documented record shape normalizes to the
// event in its golden file, and that the event meets the contract.
func TestGolden(t *testing.T) {
	ingesttest.Golden{Source: New(), Observed: observed}.Run(t)
}

// TestNormalizeBadInput shows that records that cannot be normalized are
// rejected with an error naming the field, and never half-normalized.
func TestNormalizeBadInput(t *testing.T) {
	future := time.Now().Add(48 * time.Hour).UnixMilli()
	tests := []struct {
		name   string
		record string
		want   string
		field  bool // whether the error is an *ingest.FieldError
	}{
		{"truncated", `{"action":"repo.create","actor":"a`, "decode github audit record: json: string unexpected end of JSON input", false},
		{"not an object", `["repo.create"]`, "decode github audit record: not a JSON object (got array)", false},
		{"empty", ``, "decode github audit record: empty record", false},
		{"missing action", `{"@timestamp":1741943565123,"actor":"alice"}`, "action: missing", true},
		{"missing actor", `{"@timestamp":1741943565123,"action":"repo.create"}`, "actor: missing", true},
		{"null", `null`, "action: missing", true},
		{"missing time", `{"action":"repo.create","actor":"alice"}`, "@timestamp: missing", true},
		{"action not a string", `{"@timestamp":1741943565123,"action":7,"actor":"alice"}`, "action: not a string (got number)", true},
		{"nested wrong type", `{"@timestamp":1741943565123,"action":"repo.create","actor":"alice","actor_location":{"country_code":true}}`,
			"actor_location.country_code: not a string (got bool)", true},
		{"actor_id not a number", `{"@timestamp":1741943565123,"action":"repo.create","actor":"alice","actor_id":true}`,
			"actor_id: not a number (got bool)", true},
		{"timestamp not a number", `{"@timestamp":{"ms":1},"action":"repo.create","actor":"alice"}`,
			"@timestamp: not a number or a string", true},
		{"timestamp garbage string", `{"@timestamp":"yesterday","action":"repo.create","actor":"alice"}`,
			`@timestamp: "yesterday" is neither epoch milliseconds nor an RFC 3339 time`, true},
		{"long bad timestamp is clipped", `{"@timestamp":"` + strings.Repeat("x", 100) + `","action":"repo.create","actor":"alice"}`,
			`@timestamp: "` + strings.Repeat("x", 64) + `..." is neither epoch milliseconds nor an RFC 3339 time`, true},
		{"timestamp in seconds", `{"@timestamp":1741943565,"action":"repo.create","actor":"alice"}`,
			"@timestamp: 1970-01-21T03:52:23.565Z is before 2000", true},
		{"created_at before 2000", `{"created_at":915148800000,"action":"repo.create","actor":"alice"}`,
			"created_at: 1999-01-01T00:00:00Z is before 2000", true},
		{"timestamp in the future", `{"@timestamp":` + strconv.FormatInt(future, 10) + `,"action":"repo.create","actor":"alice"}`,
			"@timestamp: " + time.UnixMilli(future).UTC().Format(time.RFC3339Nano) + " is more than 24h in the future", true},
		{"invalid UTF-8 actor", "{\"@timestamp\":1741943565123,\"action\":\"repo.create\",\"actor\":\"al\xffice\"}",
			"actor: invalid UTF-8", true},
		{"invalid UTF-8 org", "{\"@timestamp\":1741943565123,\"action\":\"repo.create\",\"actor\":\"alice\",\"org\":\"\xc3\x28\"}",
			"org: invalid UTF-8", true},
	}
	s := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev schemas.Event
			err := s.Normalize(context.Background(), []byte(tt.record), &ev)
			if err == nil {
				t.Fatalf("Normalize succeeded: %+v", ev)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q\n want %q", err, tt.want)
			}
			var fe *ingest.FieldError
			if errors.As(err, &fe) != tt.field {
				t.Errorf("errors.As(*ingest.FieldError) = %v, want %v", !tt.field, tt.field)
			}
		})
	}
}

// TestNormalizeLenient shows what a record may lack or get wrong without
// being rejected: an address that does not parse is kept as an attribute,
// an unknown action normalizes to Category other.
func TestNormalizeLenient(t *testing.T) {
	record := []byte(`{"@timestamp":1741943565123,"action":"frobnicator.spin","actor":"alice","actor_ip":"not-an-ip"}`)
	var ev schemas.Event
	if err := New().Normalize(context.Background(), record, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Network.SourceIP != "" || ev.Attributes["github.actor_ip"] != "not-an-ip" {
		t.Errorf("network = %+v, attributes = %v", ev.Network, ev.Attributes)
	}
	if ev.Action.Category != schemas.CategoryOther || ev.Action.Verb != schemas.VerbOther {
		t.Errorf("action = %+v, want category and verb other", ev.Action)
	}
	if ev.Identity.ID != "github:github.com:alice" {
		t.Errorf("identity id = %q", ev.Identity.ID)
	}
}

// TestClassify pins the classification of actions that the golden files do
// not cover.
func TestClassify(t *testing.T) {
	tests := []struct {
		action, opType string
		verb           schemas.Verb
		cat            schemas.Category
	}{
		{"repo.remove_actions_secret", "remove", schemas.VerbDelete, schemas.CategorySecretAccess},
		{"environment.update_actions_secret", "modify", schemas.VerbUpdate, schemas.CategorySecretAccess},
		{"codespaces.create_an_org_secret", "create", schemas.VerbCreate, schemas.CategorySecretAccess},
		{"oauth_application.reset_secret", "modify", schemas.VerbUpdate, schemas.CategorySecretAccess},
		{"secret_scanning.enable", "modify", schemas.VerbEnable, schemas.CategoryAdmin},
		{"audit_log_streaming.destroy", "remove", schemas.VerbDelete, schemas.CategoryLoggingChange},
		{"personal_access_token.credential_revoked", "remove", schemas.VerbRevoke, schemas.CategoryIAMChange},
		{"personal_access_token.expiration_limit_set", "modify", schemas.VerbUpdate, schemas.CategoryIAMChange},
		{"deploy_key.create", "create", schemas.VerbCreate, schemas.CategoryIAMChange},
		{"git.fetch", "access", schemas.VerbRead, schemas.CategoryDataAccess},
		{"workflows.delete_workflow_run", "remove", schemas.VerbDelete, schemas.CategoryAdmin},
		{"repo.advanced_security_disabled", "modify", schemas.VerbDisable, schemas.CategoryAdmin},
		{"org.transfer", "transfer", schemas.VerbUpdate, schemas.CategoryAdmin},
		{"user.failed_login", "authentication", schemas.VerbAuthenticate, schemas.CategoryAuthentication},
		{"pull_request.merge", "modify", schemas.VerbUpdate, schemas.CategoryOther},
		{"project.frobnicate", "", schemas.VerbOther, schemas.CategoryOther},
	}
	for _, tt := range tests {
		c := classify(tt.action)
		v := c.verb
		if v == "" {
			v = verbOf(tt.action, tt.opType)
		}
		if v != tt.verb || c.cat != tt.cat {
			t.Errorf("%s: verb %q category %q, want %q %q", tt.action, v, c.cat, tt.verb, tt.cat)
		}
	}
}

// TestDetect shows that Detect claims GitHub entries and pages and leaves
// other sources' records alone.
func TestDetect(t *testing.T) {
	s := New()
	for _, tt := range []struct {
		name   string
		record string
		want   bool
	}{
		{"streamed entry", `{"@timestamp":1,"_document_id":"x","action":"repo.create","actor":"a"}`, true},
		{"legacy entry", `{"actor": "a", "org":"o","created_at":1583364382722,"action":"org.invite_member"}`, true},
		{"page", `[{"_document_id":"x","action":"repo.create"}]`, true},
		{"okta", `{"uuid":"u","published":"2025-03-14T08:02:17.331Z","eventType":"user.session.start","actor":{"id":"00u1","type":"User"},"outcome":{"result":"SUCCESS"}}`, false},
		{"cloudtrail", `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser"},"eventTime":"2025-03-14T09:26:41Z","eventSource":"bedrock.amazonaws.com","eventName":"InvokeModel"}`, false},
		{"kubernetes", `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"ResponseComplete","verb":"get","user":{"username":"alice"}}`, false},
		{"openai", `{"id":"audit_log-1","type":"api_key.created","effective_at":1741943565,"actor":{"type":"session","session":{"user":{"id":"user-1"}}}}`, false},
	} {
		if got := s.Detect([]byte(tt.record)); got != tt.want {
			t.Errorf("%s: Detect = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestSplit shows that a REST API page splits into its entries, each
// normalizable, and that Split leaves single records and other arrays alone.
func TestSplit(t *testing.T) {
	s := New()
	var page bytes.Buffer
	page.WriteString("[\n")
	files, _ := filepath.Glob("testdata/*.in.json")
	files = files[:3]
	for i, f := range files {
		b := ingesttest.ReadFile(t, f)
		if i > 0 {
			page.WriteString(",\n")
		}
		page.Write(b)
	}
	page.WriteString("]\n")

	var got []string
	ok, err := s.Split(page.Bytes(), func(record []byte) error {
		var ev schemas.Event
		if err := s.Normalize(context.Background(), record, &ev); err != nil {
			return err
		}
		got = append(got, ev.Source.EventID)
		return nil
	})
	if !ok || err != nil || len(got) != len(files) {
		t.Fatalf("Split = %v, %v with %d records, want true, nil with %d", ok, err, len(got), len(files))
	}

	one, _ := os.ReadFile(files[0])
	for _, tt := range []struct {
		name     string
		delivery string
		ok       bool
		err      string
	}{
		{"single record", string(one), false, ""},
		{"empty page", " [ ] ", true, ""},
		{"other array", `[{"eventType":"user.session.start","actor":{"id":"x"}}]`, false, ""},
		{"malformed page", `[{"_document_id":"x","action":"repo.create"},`, true, "split github audit log page: json: null unexpected end of JSON input"},
	} {
		n := 0
		ok, err := s.Split([]byte(tt.delivery), func([]byte) error { n++; return nil })
		if ok != tt.ok || (err == nil) != (tt.err == "") || (err != nil && err.Error() != tt.err) {
			t.Errorf("%s: Split = %v, %v; want %v, %q", tt.name, ok, err, tt.ok, tt.err)
		}
		if !ok && n > 0 {
			t.Errorf("%s: emitted %d records while reporting false", tt.name, n)
		}
	}

	stop := errors.New("stop")
	_, err = s.Split(page.Bytes(), func([]byte) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("Split error = %v, want the emit error", err)
	}
}

// FuzzNormalize shows that no input panics Normalize, Split or
// RedactContent, and that whatever Normalize accepts meets the event
// contract.
func FuzzNormalize(f *testing.F) {
	ingesttest.Seed(f, "testdata/*.in.json")
	f.Add([]byte(`[{"_document_id":"x","action":"repo.create","actor":"a","@timestamp":1741943565123}]`))
	s := New()
	f.Fuzz(func(t *testing.T, record []byte) {
		_, _ = s.RedactContent(record, func(string) string { return "" })
		var ev schemas.Event
		if err := s.Normalize(context.Background(), record, &ev); err != nil {
			return
		}
		ingesttest.Finish(&ev, s.Product(), record, observed)
		if err := ev.Validate(); err != nil {
			t.Fatalf("accepted record gives an invalid event: %v\n%q", err, record)
		}
		if ev.Identity.ID == "" || ev.Action.Name == "" || ev.Time.IsZero() {
			t.Fatalf("accepted record without identity, action or time: %q", record)
		}
		_, _ = s.Split(record, func([]byte) error { return nil })
	})
}

// BenchmarkNormalize measures one streamed entry with a token, an address
// and a linked identity.
func BenchmarkNormalize(b *testing.B) {
	record, err := os.ReadFile(filepath.Join("testdata", "pat_access_granted.in.json"))
	if err != nil {
		b.Fatal(err)
	}
	var compact bytes.Buffer
	if err := stdjson.Compact(&compact, record); err != nil {
		b.Fatal(err)
	}
	record = compact.Bytes()
	s := New()
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(record)))
	for b.Loop() {
		var ev schemas.Event
		if err := s.Normalize(ctx, record, &ev); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/event")
}
