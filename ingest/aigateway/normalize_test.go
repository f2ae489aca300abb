package aigateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/aigateway"
	"github.com/aitdr/aitdr/ingest/ingesttest"
	"github.com/aitdr/aitdr/schemas"
)

// testNow is the clock of every test: after every sample's event time.
var testNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newSource() *aigateway.Source {
	return aigateway.New(aigateway.WithClock(func() time.Time { return testNow }))
}

// TestGolden shows every sample record normalized: each one is detected as
// an AI-gateway record, normalizes to its testdata/<case>.golden.json
// (rewritten with -update), and with the fields the pipeline sets is a
// valid event.
func TestGolden(t *testing.T) {
	events := ingesttest.Golden{Source: newSource(), Observed: testNow, Unfinished: true}.Run(t)
	if len(events) < 10 {
		t.Errorf("%d samples, want at least 10", len(events))
	}
}

// TestBadRecords shows the error, naming the field, for each kind of bad
// record.
func TestBadRecords(t *testing.T) {
	base := `"call_type":"acompletion","startTime":"2025-03-14T14:41:09Z","user":"u@acme.example"`
	cases := []struct {
		name, record, want string
	}{
		{"truncated", `{"call_type":"acompletion","startTime":"2025-03-14T14:4`,
			"record: malformed JSON at offset 55: unexpected end of JSON input"},
		{"not an object", `[1, 2]`, "record: array, want an object"},
		{"no time", `{"call_type":"acompletion","user":"u"}`, "startTime: missing"},
		{"no call type", `{"startTime":"2025-03-14T14:41:09Z","user":"u"}`, "call_type: missing"},
		{"time not a time", `{` + strings.Replace(base, `"2025-03-14T14:41:09Z"`, `"yesterday"`, 1) + `}`, `startTime: "yesterday" is not a time`},
		{"time before 2000", `{"call_type":"acompletion","startTime":915148800,"user":"u"}`, "startTime: 1999-01-01T00:00:00Z is not a plausible event time"},
		{"time in the future", `{"call_type":"acompletion","startTime":"2026-01-03T00:00:00Z","user":"u"}`, "startTime: 2026-01-03T00:00:00Z is not a plausible event time"},
		{"no identity", `{"call_type":"acompletion","startTime":"2025-03-14T14:41:09Z"}`, "end_user, user and api_key: missing"},
		{"generic without identity", `{"timestamp":"2025-03-14T14:41:09Z","provider":"openai","api_key_id":""}`, "user: missing"},
		{"user not a string", `{"call_type":"acompletion","startTime":"2025-03-14T14:41:09Z","user":42}`, "user: number, want a string"},
		{"metadata alias not a string", `{` + base + `,"metadata":{"user_api_key_alias":["a"]}}`, "metadata.user_api_key_alias: array, want a string"},
		{"metadata not an object", `{` + base + `,"metadata":7}`, "metadata: not an object"},
		{"tokens negative", `{` + base + `,"prompt_tokens":-4}`, "prompt_tokens: -4 is not a token count"},
		{"tokens not a number", `{` + base + `,"prompt_tokens":"many"}`, `prompt_tokens: "many" is not a token count`},
		{"tokens an object", `{` + base + `,"completion_tokens":{}}`, "completion_tokens: {} is not a token count"},
		{"bad address", `{` + base + `,"requester_ip_address":"10.0.0.300"}`, `requester_ip_address: "10.0.0.300" is not an IP address`},
		{"generic bad status", `{"timestamp":"2025-03-14T14:41:09Z","provider":"openai","api_key_id":"k","status":"teapot"}`, `status: "teapot" is not an HTTP status`},
		{"invalid utf-8 in user", "{" + `"call_type":"acompletion","startTime":"2025-03-14T14:41:09Z","user":"bad` + "\xff" + `"}`, "user: invalid UTF-8"},
		{"invalid utf-8 in a message", "{" + base + `,"messages":[{"role":"user","content":"x` + "\xc3" + `"}]}`, "messages[0].content: invalid UTF-8"},
		{"identity too long", `{"call_type":"acompletion","startTime":"2025-03-14T14:41:09Z","user":"` + strings.Repeat("u", 600) + `"}`, "user: 600 bytes, more than 512"},
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

// TestDetect shows that Detect claims gateway records and leaves other
// sources' records alone.
func TestDetect(t *testing.T) {
	src := newSource()
	for _, c := range []struct {
		record string
		want   bool
	}{
		{`{"call_type":"acompletion","startTime":1}`, true},
		{`{"timestamp":"x","api_key_id":"k","provider":"openai"}`, true},
		{`{"eventVersion":"1.09","eventSource":"bedrock.amazonaws.com"}`, false},
		{`{"object":"organization.usage.completions.result","api_key_id":"key_1","input_tokens":5}`, false},
		{`{"id":"audit_log-1","type":"login.succeeded","effective_at":1,"actor":{}}`, false},
		{`{"api_key_id":"apikey_1","uncached_input_tokens":5,"model":"claude"}`, false},
	} {
		if got := src.Detect([]byte(c.record)); got != c.want {
			t.Errorf("Detect(%s) = %v, want %v", c.record, got, c.want)
		}
	}
}

// TestSplit shows a JSON array and a LiteLLM logs page split into their
// records, and a single record left whole.
func TestSplit(t *testing.T) {
	src := newSource()
	for _, c := range []struct {
		name, delivery string
		container      bool
		records        []string
		err            string
	}{
		{"array", `[{"a":1}, {"b":2}]`, true, []string{`{"a":1}`, `{"b":2}`}, ""},
		{"logs page", `{"data":[{"call_type":"acompletion"}],"total":1,"page":1}`, true, []string{`{"call_type":"acompletion"}`}, ""},
		{"record", `{"call_type":"acompletion","startTime":1}`, false, nil, ""},
		{"record with a data member", `{"call_type":"acompletion","data":[1]}`, false, nil, ""},
		{"broken array", `[{"a":1},`, true, nil, "records: not an array of records"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			ok, err := src.Split([]byte(c.delivery), func(r []byte) error { got = append(got, string(r)); return nil })
			if ok != c.container {
				t.Errorf("container %v, want %v", ok, c.container)
			}
			if c.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), c.err) {
					t.Errorf("error %v, want %q...", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(c.records, "|") {
				t.Errorf("records %q, want %q", got, c.records)
			}
		})
	}
}

// TestRedactContent shows that every content field of every sample is
// handed to replace with its path and rewritten, that credential headers
// and raw keys are removed whatever replace returns, that everything else
// is kept byte for byte, and that the result is JSON that still
// normalizes to the same identity.
func TestRedactContent(t *testing.T) {
	src := newSource()
	secrets := []string{
		"Tr0ub4dor&3", "4111 1111 1111 1111", "jane.doe@example.org", "sk-litellm-should-never-be-kept",
		"sk-1234abcdEFGH5678ijklMNOP9012qrstUVWX", "sk-ant-api03-notkept", "AKIAZ7Q2MRTW4XYBNP3K",
		"DE89370400440532013000", "sk-proj-Zq3vN8r2LkP0xY7wB4cT1mJ6hD9sF5gA2eR8uI0oW3nQ7vK1",
		"sk-Xt7pQm2Lr9Vw4Ks8Nd1Fb6Hj3Yc5Ga0E", "iVBORw0KGgo", "INTERNAL ONLY",
	}
	inputs, _ := filepath.Glob("testdata/*.in.json")
	for _, in := range inputs {
		raw := ingesttest.ReadFile(t, in)
		var fields []string
		out, err := src.RedactContentFields(raw, func(field, text string) string {
			fields = append(fields, field)
			return "keep" // even "keeping" content must not keep credentials
		})
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		dropped, err := src.RedactContent(raw, func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(dropped) {
			t.Fatalf("%s: redacted record is not JSON:\n%s", in, dropped)
		}
		for _, s := range secrets {
			if bytes.Contains(dropped, []byte(s)) || bytes.Contains(out, []byte(s)) {
				t.Errorf("%s: %q survived redaction", in, s)
			}
		}
		var before, after schemas.Event
		if err := src.Normalize(context.Background(), raw, &before); err != nil {
			t.Fatal(err)
		}
		if err := src.Normalize(context.Background(), dropped, &after); err != nil {
			t.Fatalf("%s: redacted record does not normalize: %v", in, err)
		}
		if after.Identity != before.Identity || after.Time != before.Time || after.Volume != before.Volume {
			t.Errorf("%s: redaction changed the event:\n got %+v\nwant %+v", in, after.Identity, before.Identity)
		}
		if after.AI.Prompt.Text != "" {
			t.Errorf("%s: prompt text %q survived", in, after.AI.Prompt.Text)
		}
		t.Logf("%s: %v", filepath.Base(in), fields)
	}
}

// TestRedactContentPaths shows the field paths of a chat record and that
// bytes outside content fields are kept as they are.
func TestRedactContentPaths(t *testing.T) {
	raw := []byte(`{"call_type": "acompletion", "n": 1.50,
 "messages": [{"role": "user", "content": [{"type": "text", "text": "hi \"there\""}, {"type": "image_url", "image_url": {"url": "data:x"}}]},
              {"role": "assistant", "content": "yo", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}],
 "response": {"choices": [{"message": {"role": "assistant", "content": "done"}}], "usage": {"prompt_tokens": 3}},
 "prompt": ["a", "b"],
 "metadata": {"headers": {"Authorization": "Bearer x", "accept": "*/*"}, "mcp_tool_call_metadata": {"name": "t", "arguments": {"q": 1}}}}`)
	var fields []string
	out, err := newSource().RedactContentFields(raw, func(field, text string) string {
		fields = append(fields, field+"="+text)
		return "<" + field + ">"
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`messages[0].content[0].text=hi "there"`,
		`messages[0].content[1].image_url.url=data:x`,
		`messages[1].content=yo`,
		`messages[1].tool_calls[0].function.arguments={}`,
		`response.choices[0].message.content=done`,
		`prompt[0]=a`, `prompt[1]=b`,
		`metadata.mcp_tool_call_metadata.arguments={"q": 1}`,
	}
	if strings.Join(fields, "\n") != strings.Join(want, "\n") {
		t.Errorf("fields:\n%s\nwant:\n%s", strings.Join(fields, "\n"), strings.Join(want, "\n"))
	}
	for _, keep := range []string{`"n": 1.50`, `"accept": "*/*"`, `"Authorization": "[REDACTED]"`, `"role": "user"`, `"prompt_tokens": 3`,
		`"text": "<messages[0].content[0].text>"`, `"arguments": "<metadata.mcp_tool_call_metadata.arguments>"`} {
		if !bytes.Contains(out, []byte(keep)) {
			t.Errorf("redacted record lacks %s:\n%s", keep, out)
		}
	}
	if _, err := newSource().RedactContent([]byte(`{"messages": [`), func(s string) string { return s }); err == nil {
		t.Error("truncated record redacted without error")
	}
}

// FuzzNormalize shows that no input makes Normalize or RedactContent panic,
// and that Normalize returns an error or an event that is valid once the
// pipeline fields are set.
func FuzzNormalize(f *testing.F) {
	ingesttest.Seed(f, "testdata/*.in.json")
	f.Add([]byte(`{"call_type":"acompletion","startTime":"2025-03-14T14:41:09Z","user":"u","messages":"x"}`))
	src := newSource()
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ev schemas.Event
		if err := src.Normalize(context.Background(), raw, &ev); err == nil {
			ingesttest.Finish(&ev, src.Product(), raw, testNow)
			if err := ev.Validate(); err != nil {
				t.Fatalf("normalized event is not valid: %v", err)
			}
		}
		if out, err := src.RedactContent(raw, func(string) string { return "" }); err == nil && json.Valid(raw) && !json.Valid(out) {
			t.Fatalf("redaction of valid JSON is not JSON: %s", out)
		}
		_, _ = src.Split(raw, func([]byte) error { return nil })
	})
}

// BenchmarkNormalize measures normalizing a LiteLLM standard logging
// payload of an agent's chat call.
func BenchmarkNormalize(b *testing.B) {
	raw := ingesttest.ReadFile(b, "testdata/litellm_payload_agent_key.in.json")
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

// BenchmarkRedactContent measures rewriting the content fields of the same
// record.
func BenchmarkRedactContent(b *testing.B) {
	raw := ingesttest.ReadFile(b, "testdata/litellm_payload_agent_key.in.json")
	src := newSource()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.RedactContent(raw, func(string) string { return "" }); err != nil {
			b.Fatal(err)
		}
	}
}
