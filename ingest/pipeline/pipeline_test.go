package pipeline_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/aigateway"
	"github.com/aitdr/aitdr/ingest/anthropic"
	"github.com/aitdr/aitdr/ingest/openai"
	"github.com/aitdr/aitdr/ingest/pipeline"
	"github.com/aitdr/aitdr/schemas"
)

var (
	testNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	testKey = []byte("0123456789abcdef0123456789abcdef")
)

// kubeSource is a tiny test-local source: {"kind":"TestAudit","user":...,
// "verb":...,"ts":...}, with no content and no containers. Its "kind"
// "Robot" user normalizes to an invalid identity kind, so that the
// pipeline's validation has something to reject.
type kubeSource struct{}

func (kubeSource) Product() schemas.Product { return schemas.ProductK8sAudit }
func (kubeSource) Detect(r []byte) bool     { return bytes.Contains(r, []byte(`"kind":"TestAudit"`)) }
func (kubeSource) Normalize(_ context.Context, r []byte, ev *schemas.Event) error {
	var rec struct {
		User, Verb, TS, UserKind string
	}
	if _, err := fmt.Sscanf(string(r), `{"kind":"TestAudit","user":%q,"verb":%q,"ts":%q,"user_kind":%q}`, &rec.User, &rec.Verb, &rec.TS, &rec.UserKind); err != nil {
		return ingest.Invalid("record", "not a test audit record: %v", err)
	}
	if rec.User == "" {
		return ingest.Missing("user")
	}
	t, err := time.Parse(time.RFC3339, rec.TS)
	if err != nil {
		return ingest.Invalid("ts", "%q is not a time", rec.TS)
	}
	ev.Time = t
	ev.Identity = schemas.Principal{ID: "kubernetes:test:" + rec.User, Kind: schemas.IdentityKind(rec.UserKind), Name: rec.User}
	ev.Action = schemas.Action{Name: rec.Verb, Verb: schemas.VerbRead, Category: schemas.CategoryDataAccess}
	ev.Outcome = schemas.OutcomeSuccess
	return nil
}

func kubeRecord(user, verb, kind string) []byte {
	return fmt.Appendf(nil, `{"kind":"TestAudit","user":%q,"verb":%q,"ts":"2025-03-14T10:00:00Z","user_kind":%q}`, user, verb, kind)
}

func newPipeline(t testing.TB, mutate func(*pipeline.Config)) *pipeline.Pipeline {
	t.Helper()
	cfg := pipeline.Default()
	cfg.Content.HashKey = testKey
	cfg.Now = func() time.Time { return testNow }
	if mutate != nil {
		mutate(&cfg)
	}
	clock := func() time.Time { return testNow }
	p, err := pipeline.New(cfg,
		openai.New(openai.WithClock(clock)),
		anthropic.New(anthropic.WithClock(clock)),
		aigateway.New(aigateway.WithClock(clock)),
		kubeSource{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// run processes deliveries and returns every result, checking the
// accounting of each delivery.
func run(t testing.TB, p *pipeline.Pipeline, hint schemas.Product, deliveries ...[]byte) []pipeline.Result {
	t.Helper()
	var all []pipeline.Result
	for _, d := range deliveries {
		var got []pipeline.Result
		c, err := p.Process(context.Background(), d, hint, func(r pipeline.Result) { got = append(got, r) })
		if err != nil {
			t.Fatal(err)
		}
		if !c.Balanced() || c.In != int64(len(got)) {
			t.Errorf("counts %+v for %d results", c, len(got))
		}
		all = append(all, got...)
	}
	return all
}

func readTestdata(t testing.TB, pkg, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", pkg, "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gatewayRecord is a LiteLLM spend log whose messages hold a password in a
// URL, a card number, an AWS key and its secret, an e-mail address and a
// classification label, in the user message and in the response.
const gatewayRecord = `{"request_id":"req-1","call_type":"acompletion","startTime":"2025-03-14T14:41:09Z",
"user":"priya@acme.example","model":"gpt-4o","prompt_tokens":40,"completion_tokens":9,
"messages":[{"role":"system","content":"Be brief."},
 {"role":"user","content":"CONFIDENTIAL: db postgres://app:Hunter2Secret@db.acme.internal/x, card 4111 1111 1111 1111, key AKIAZ7Q2MRTW4XYBNP3K wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, mail jane.doe@example.org"}],
"response":{"choices":[{"message":{"role":"assistant","content":"Noted card 4111 1111 1111 1111."}}]},
"status":"success"}`

var gatewaySecrets = []string{
	"Hunter2Secret", "4111 1111 1111 1111", "AKIAZ7Q2MRTW4XYBNP3K", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"jane.doe@example.org", "CONFIDENTIAL", "Be brief", "Noted card",
}

// TestDetection shows each record going to its source without a hint, the
// hint overriding detection, and records no source knows rejected with
// ingest.ErrUnknownSource.
func TestDetection(t *testing.T) {
	p := newPipeline(t, nil)
	cases := []struct {
		name     string
		delivery []byte
		hint     schemas.Product
		want     schemas.Product
		err      string
	}{
		{"gateway", []byte(gatewayRecord), "", schemas.ProductAIGateway, ""},
		{"openai", readTestdata(t, "openai", "login_succeeded.in.json"), "", schemas.ProductOpenAI, ""},
		{"anthropic", readTestdata(t, "anthropic", "activity_api_key_created.in.json"), "", schemas.ProductAnthropic, ""},
		{"test source", kubeRecord("alice", "get", "human"), "", schemas.ProductK8sAudit, ""},
		{"hint names the source", kubeRecord("alice", "get", "human"), schemas.ProductK8sAudit, schemas.ProductK8sAudit, ""},
		{"hint overrides detection", []byte(gatewayRecord), schemas.ProductK8sAudit, schemas.ProductK8sAudit,
			"normalize k8s.audit record: record: not a test audit record"},
		{"unknown record", []byte(`{"hello":"world"}`), "", "", "no source recognizes the record"},
		{"hint without a source", []byte(gatewayRecord), schemas.ProductOkta, "",
			`no source for product "okta": no source recognizes the record`},
		{"empty delivery", nil, "", "", "no source recognizes the record"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := run(t, p, c.hint, c.delivery)
			if len(res) != 1 {
				t.Fatalf("%d results", len(res))
			}
			r := res[0]
			if r.Product != c.want {
				t.Errorf("product %q, want %q", r.Product, c.want)
			}
			if c.err == "" {
				if r.Err != nil {
					t.Fatalf("rejected: %v", r.Err)
				}
				if r.Event.Source.Product != c.want {
					t.Errorf("event product %q", r.Event.Source.Product)
				}
				return
			}
			if r.Err == nil || !strings.HasPrefix(r.Err.Error(), c.err) {
				t.Fatalf("error %v, want %q...", r.Err, c.err)
			}
			if c.want == "" && !errors.Is(r.Err, ingest.ErrUnknownSource) {
				t.Errorf("%v is not ingest.ErrUnknownSource", r.Err)
			}
			if r.Event != nil || r.Record == nil && c.delivery != nil {
				t.Errorf("rejected result %+v", r)
			}
		})
	}
}

// TestSplit shows containers split into their records: a JSON array of
// gateway logs, an OpenAI audit-log page, an Anthropic usage report whose
// buckets hold rows; a broken container is rejected whole.
func TestSplit(t *testing.T) {
	p := newPipeline(t, nil)
	array := []byte(`[` + gatewayRecord + `,` + strings.Replace(gatewayRecord, `"req-1"`, `"req-2"`, 1) + `]`)
	for _, c := range []struct {
		name      string
		delivery  []byte
		events    int
		rejected  int
		wantError string
	}{
		{"gateway array", array, 2, 0, ""},
		{"openai audit log page", readTestdata(t, "openai", "list_page.delivery.json"), 3, 0, ""},
		{"anthropic usage report", readTestdata(t, "anthropic", "usage_report_page.delivery.json"), 3, 1, "normalize anthropic record: api_key_id: missing"},
		{"array with a bad record", []byte(`[` + gatewayRecord + `,{"call_type":"acompletion","startTime":"2025-03-14T14:41:09Z"}]`), 1, 1,
			"normalize ai_gateway record: end_user, user and api_key: missing"},
		{"broken container", []byte(`{"object":"list","data":[{"id":"audit_log-1","actor":{"type":"session"},"effective_at":`), 0, 1, "split openai delivery: data:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := run(t, p, "", c.delivery)
			var events, rejected int
			for _, r := range res {
				if r.Err != nil {
					rejected++
					if c.wantError == "" || !strings.HasPrefix(r.Err.Error(), c.wantError) {
						t.Errorf("rejected: %v", r.Err)
					}
					continue
				}
				events++
			}
			if events != c.events || rejected != c.rejected {
				t.Errorf("%d events and %d rejected, want %d and %d", events, rejected, c.events, c.rejected)
			}
		})
	}
}

// TestEventFields shows the fields the pipeline owns: the id from the
// source's event id (or the record when it has none) and stable across
// deliveries and policies, the schema version, the observed time from the
// injected clock, and the raw record.
func TestEventFields(t *testing.T) {
	rec := kubeRecord("alice", "get", "human")
	var ids []string
	for _, policy := range []pipeline.Policy{pipeline.PolicyDrop, pipeline.PolicyHash, pipeline.PolicyKeep} {
		p := newPipeline(t, func(c *pipeline.Config) { c.Content.Policy = policy })
		for range 2 {
			ev := run(t, p, "", rec)[0].Event
			ids = append(ids, ev.ID)
			if ev.SchemaVersion != schemas.EventSchemaVersion || !ev.ObservedTime.Equal(testNow) {
				t.Errorf("schema version %d, observed %v", ev.SchemaVersion, ev.ObservedTime)
			}
			if ev.Raw.Format != schemas.RawJSON || !bytes.Equal(ev.Raw.Data, rec) {
				t.Errorf("raw %+v", ev.Raw)
			}
		}
	}
	if want := schemas.EventID(schemas.ProductK8sAudit, "", rec); slices.ContainsFunc(ids, func(id string) bool { return id != want }) {
		t.Errorf("ids %v, want %s everywhere", ids, want)
	}
	gw := run(t, newPipeline(t, nil), "", []byte(gatewayRecord))[0].Event
	if want := schemas.EventID(schemas.ProductAIGateway, "req-1", nil); gw.ID != want {
		t.Errorf("gateway id %s, want %s from the request id", gw.ID, want)
	}
	// The raw record is the event's own, not the caller's buffer.
	buf := slices.Clone(rec)
	ev := run(t, newPipeline(t, nil), "", buf)[0].Event
	clear(buf)
	if !bytes.Equal(ev.Raw.Data, rec) {
		t.Error("raw record shares the delivery's memory")
	}
}

// TestRedaction shows that with the default policy no sensitive text of a
// gateway record survives anywhere in the encoded event, in MessagePack or
// JSON, while the findings, their field paths, the keyed prompt hash and
// the prompt length do.
func TestRedaction(t *testing.T) {
	p := newPipeline(t, nil)
	ev := run(t, p, "", []byte(gatewayRecord))[0].Event
	mp, err := schemas.MarshalEvent(ev)
	if err != nil {
		t.Fatal(err)
	}
	js, err := schemas.MarshalEventJSON(ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range gatewaySecrets {
		for enc, b := range map[string][]byte{"msgpack": mp, "json": js} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%q survives in the %s event", s, enc)
			}
		}
	}
	userText := "CONFIDENTIAL: db postgres://app:Hunter2Secret@db.acme.internal/x, card 4111 1111 1111 1111, key AKIAZ7Q2MRTW4XYBNP3K wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, mail jane.doe@example.org"
	if ev.AI.Prompt.Text != "" || ev.AI.Prompt.Length != int64(len(userText)) || ev.AI.Prompt.Hash != hmacHex(userText) {
		t.Errorf("prompt %+v", ev.AI.Prompt)
	}
	user, response := "messages[1].content", "response.choices[0].message.content"
	want := []schemas.DataFinding{
		{Type: schemas.DataCloudCredential, Count: 2, Confidence: 0.9, Locations: []string{user}},
		{Type: schemas.DataConfidentialMarker, Count: 1, Confidence: 0.9, Locations: []string{user}},
		{Type: schemas.DataCreditCard, Count: 2, Confidence: 0.9, Locations: []string{user, response}},
		{Type: schemas.DataEmailAddress, Count: 1, Confidence: 0.9, Locations: []string{user}},
		{Type: schemas.DataPassword, Count: 1, Confidence: 0.9, Locations: []string{user}},
	}
	if fmt.Sprint(ev.AI.Findings) != fmt.Sprint(want) {
		t.Errorf("findings\n got %+v\nwant %+v", ev.AI.Findings, want)
	}
}

// hmacHex is the keyed hash the pipeline must produce, computed here on
// its own.
func hmacHex(text string) string {
	m := hmac.New(sha256.New, testKey)
	m.Write([]byte(text))
	return hex.EncodeToString(m.Sum(nil))
}

// TestPolicies shows the three content policies on the prompt and on the
// raw record, per source: drop empties the content fields, hash replaces
// them with keyed hashes that match across records, keep keeps the text;
// and that the hash depends on the key.
func TestPolicies(t *testing.T) {
	rec := []byte(gatewayRecord)
	drop := run(t, newPipeline(t, nil), "", rec)[0].Event
	hashed := run(t, newPipeline(t, func(c *pipeline.Config) { c.Content.Policy = pipeline.PolicyHash }), "", rec)[0].Event
	kept := run(t, newPipeline(t, func(c *pipeline.Config) {
		c.Content.Sources = map[schemas.Product]pipeline.Policy{schemas.ProductAIGateway: pipeline.PolicyKeep}
	}), "", rec)[0].Event
	otherKey := run(t, newPipeline(t, func(c *pipeline.Config) { c.Content.HashKey = bytes.Repeat([]byte("k"), 32) }), "", rec)[0].Event

	if !bytes.Contains(drop.Raw.Data, []byte(`"content":""`)) || bytes.Contains(drop.Raw.Data, []byte("hmac-sha256:")) {
		t.Errorf("drop raw: %s", drop.Raw.Data)
	}
	if n := bytes.Count(hashed.Raw.Data, []byte(`"hmac-sha256:`)); n != 3 {
		t.Errorf("hash raw has %d hashed fields, want 3: %s", n, hashed.Raw.Data)
	}
	if !bytes.Contains(hashed.Raw.Data, []byte(`"hmac-sha256:`+hmacHex("Be brief.")+`"`)) {
		t.Errorf("hash raw lacks the keyed hash of the system message: %s", hashed.Raw.Data)
	}
	if drop.AI.Prompt.Hash == "" || hashed.AI.Prompt.Hash != drop.AI.Prompt.Hash || kept.AI.Prompt.Hash != drop.AI.Prompt.Hash {
		t.Errorf("prompt hashes %q %q %q differ", drop.AI.Prompt.Hash, hashed.AI.Prompt.Hash, kept.AI.Prompt.Hash)
	}
	if otherKey.AI.Prompt.Hash == drop.AI.Prompt.Hash {
		t.Error("the hash does not depend on the key")
	}
	if drop.AI.Prompt.Text != "" || hashed.AI.Prompt.Text != "" || !strings.HasPrefix(kept.AI.Prompt.Text, "CONFIDENTIAL: db") {
		t.Errorf("prompt texts %q %q %q", drop.AI.Prompt.Text, hashed.AI.Prompt.Text, kept.AI.Prompt.Text)
	}
	if !bytes.Equal(kept.Raw.Data, rec) {
		t.Errorf("keep changed the raw record: %s", kept.Raw.Data)
	}
	for _, ev := range []*schemas.Event{drop, hashed, kept} {
		if len(ev.AI.Findings) != 5 {
			t.Errorf("findings %+v", ev.AI.Findings)
		}
	}
}

// TestRejects shows rejected records with their reasons (naming the
// field), the reason of an event that fails validation, and that a
// rejected record's content is redacted when its source can parse it.
func TestRejects(t *testing.T) {
	p := newPipeline(t, nil)
	noTime := strings.Replace(gatewayRecord, `"startTime":"2025-03-14T14:41:09Z",`, "", 1)
	for _, c := range []struct {
		name     string
		record   []byte
		field    string
		reason   string
		redacted bool
	}{
		{"missing field", []byte(noTime), "startTime", "normalize ai_gateway record: startTime: missing", true},
		{"truncated", []byte(gatewayRecord[:200]), "record", "normalize ai_gateway record: record: malformed JSON at offset 200", false},
		{"missing user", kubeRecord("", "get", "human"), "user", "normalize k8s.audit record: user: missing", false},
		{"invalid event", kubeRecord("robot", "get", "robot"), "identity.kind", `invalid k8s.audit event: identity.kind: unknown value "robot"`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := run(t, p, "", c.record)
			if len(res) != 1 || res[0].Event != nil {
				t.Fatalf("results %+v", res)
			}
			r := res[0]
			if r.Err == nil || !strings.HasPrefix(r.Err.Error(), c.reason) {
				t.Fatalf("reason %v, want %q...", r.Err, c.reason)
			}
			var ife *ingest.FieldError
			var sfe *schemas.FieldError
			switch {
			case errors.As(r.Err, &ife):
				if ife.Field != c.field {
					t.Errorf("field %q, want %q", ife.Field, c.field)
				}
			case errors.As(r.Err, &sfe):
				if sfe.Field != c.field {
					t.Errorf("field %q, want %q", sfe.Field, c.field)
				}
			default:
				t.Errorf("%v names no field", r.Err)
			}
			for _, s := range gatewaySecrets {
				if c.redacted && bytes.Contains(r.Record, []byte(s)) {
					t.Errorf("%q survives in the rejected record", s)
				}
			}
			if !c.redacted && !bytes.Equal(r.Record, c.record) {
				t.Errorf("record %s, want the original", r.Record)
			}
		})
	}
}

// TestAccounting shows in = out + rejected for a mix of deliveries, per
// delivery and in the totals.
func TestAccounting(t *testing.T) {
	p := newPipeline(t, nil)
	deliveries := [][]byte{
		[]byte(gatewayRecord),
		[]byte(`[` + gatewayRecord + `,{"call_type":"acompletion"}]`),
		readTestdata(t, "openai", "list_page.delivery.json"),
		readTestdata(t, "anthropic", "usage_report_page.delivery.json"),
		[]byte(`{"nobody":"knows"}`),
		[]byte(`{"object":"list","data":[{"actor":{},"effective_at":`),
		kubeRecord("robot", "get", "robot"),
	}
	var sum pipeline.Counts
	for _, d := range deliveries {
		c, err := p.Process(context.Background(), d, "", func(pipeline.Result) {})
		if err != nil {
			t.Fatal(err)
		}
		if !c.Balanced() {
			t.Errorf("delivery %.40s: counts %+v", d, c)
		}
		sum = sum.Add(c)
	}
	want := pipeline.Counts{In: 13, Out: 8, Rejected: 5}
	if sum != want || p.Totals() != want {
		t.Errorf("sum %+v, totals %+v, want %+v", sum, p.Totals(), want)
	}
}

// TestCancel shows that Process stops between records when its context
// ends, counting only what it emitted.
func TestCancel(t *testing.T) {
	p := newPipeline(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	c, err := p.Process(ctx, readTestdata(t, "openai", "list_page.delivery.json"), "", func(pipeline.Result) { n++; cancel() })
	if !errors.Is(err, context.Canceled) || n != 1 || c != (pipeline.Counts{In: 1, Out: 1}) {
		t.Errorf("err %v, %d results, counts %+v", err, n, c)
	}
}

// TestConfig shows the configuration: YAML keys, defaults, every problem
// reported with its path, and how the hash key is found.
func TestConfig(t *testing.T) {
	var cfg pipeline.Config
	src := `
content:
  policy: hash
  sources:
    ai_gateway: keep
  hash_key_env: MY_KEY
  require_hash_key: true
scan:
  disabled: [email_address]
  labels: ["ACME SECRET"]
  patterns:
    - {name: ticket, regex: "SEC-[0-9]+", type: customer_record, confidence: 0.7}
`
	if err := yaml.UnmarshalWithOptions([]byte(src), &cfg, yaml.Strict()); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Content.Sources[schemas.ProductAIGateway] != pipeline.PolicyKeep || cfg.Scan.Patterns[0].Confidence != 0.7 {
		t.Errorf("decoded %+v", cfg)
	}

	bad := pipeline.Config{
		Content: pipeline.Content{
			Policy:  "shred",
			Sources: map[schemas.Product]pipeline.Policy{"My Space!": "keep", schemas.ProductOkta: "forget"},
			HashKey: []byte("short"),
		},
	}
	bad.Scan.Disabled = []string{"telepathy"}
	want := `content.policy: unknown policy "shred" (drop, hash or keep)
content.sources.My Space!: unknown source product
content.sources.okta: unknown policy "forget" (drop, hash or keep)
content.hash_key: 5 bytes, want at least 32
scan.disabled[0]: unknown detector "telepathy"`
	if err := bad.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate:\n%v\nwant:\n%s", err, want)
	}
	if _, err := pipeline.New(bad); err == nil || !strings.HasPrefix(err.Error(), "ingest pipeline config: content.policy") {
		t.Errorf("New: %v", err)
	}
}

// TestHashKey shows where the key comes from, and the warning and random
// key when there is none.
func TestHashKey(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "key")
	if err := os.WriteFile(good, append(bytes.Repeat([]byte("f"), 40), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(vals map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vals[k]; return v, ok }
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	for _, c := range []struct {
		name      string
		content   pipeline.Content
		env       map[string]string
		ephemeral bool
		err       string
	}{
		{"file", pipeline.Content{HashKeyFile: good}, nil, false, ""},
		{"default environment variable", pipeline.Content{}, map[string]string{"AITDR_PROMPT_HASH_KEY": strings.Repeat("e", 32)}, false, ""},
		{"named environment variable", pipeline.Content{HashKeyEnv: "K"}, map[string]string{"K": strings.Repeat("e", 32)}, false, ""},
		{"short file", pipeline.Content{HashKeyFile: short}, nil, false, "ingest pipeline: content.hash_key_file: " + short + " holds 3 bytes, want at least 32"},
		{"missing file", pipeline.Content{HashKeyFile: filepath.Join(dir, "nope")}, nil, false, "ingest pipeline: content.hash_key_file: open "},
		{"short environment variable", pipeline.Content{}, map[string]string{"AITDR_PROMPT_HASH_KEY": "x"}, false, "ingest pipeline: content.hash_key_env: $AITDR_PROMPT_HASH_KEY holds 1 bytes"},
		{"required and missing", pipeline.Content{RequireHashKey: true}, nil, false,
			"ingest pipeline: content.require_hash_key: no prompt-hash key: set content.hash_key_file or $AITDR_PROMPT_HASH_KEY"},
		{"none: random per process", pipeline.Content{}, nil, true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			logs.Reset()
			p, err := pipeline.New(pipeline.Config{Content: c.content, LookupEnv: env(c.env), Logger: logger})
			if c.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), c.err) {
					t.Fatalf("error %v, want %q...", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.EphemeralKey() != c.ephemeral || strings.Contains(logs.String(), "random key") != c.ephemeral {
				t.Errorf("ephemeral %v, log %q", p.EphemeralKey(), logs.String())
			}
		})
	}
}

// BenchmarkProcess measures the whole path for one LiteLLM record of an
// agent's chat call: detection, normalization, scanning, redaction of the
// prompt and the raw record, validation.
func BenchmarkProcess(b *testing.B) {
	p := newPipeline(b, nil)
	rec := readTestdata(b, "aigateway", "litellm_payload_agent_key.in.json")
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		if _, err := p.Process(ctx, rec, "", func(r pipeline.Result) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// FuzzProcess shows that no delivery makes the pipeline panic, that every
// record comes out as a valid event or a rejection with a reason, and that
// the counts balance.
func FuzzProcess(f *testing.F) {
	f.Add([]byte(gatewayRecord))
	f.Add([]byte(`[` + gatewayRecord + `]`))
	f.Add(readTestdata(f, "openai", "list_page.delivery.json"))
	f.Add(readTestdata(f, "anthropic", "usage_report_page.delivery.json"))
	f.Add(kubeRecord("alice", "get", "human"))
	p := newPipeline(f, nil)
	f.Fuzz(func(t *testing.T, delivery []byte) {
		n := int64(0)
		c, err := p.Process(context.Background(), delivery, "", func(r pipeline.Result) {
			n++
			switch {
			case r.Event == nil && r.Err == nil:
				t.Fatal("a result with neither event nor reason")
			case r.Event != nil:
				if err := r.Event.Validate(); err != nil {
					t.Fatalf("emitted an invalid event: %v", err)
				}
			}
		})
		if err != nil || !c.Balanced() || c.In != n {
			t.Fatalf("err %v, counts %+v, %d results", err, c, n)
		}
	})
}
