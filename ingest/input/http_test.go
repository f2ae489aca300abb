package input_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/aitdr/aitdr/ingest/input"
	"github.com/aitdr/aitdr/ingest/pipeline"
	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

const testToken = "test-token-0123456789"

// answer is the JSON answer of the HTTP input.
type answer struct {
	RequestID     string              `json:"request_id"`
	Error         string              `json:"error"`
	Accepted      *int64              `json:"accepted"`
	Rejected      *int64              `json:"rejected"`
	Errors        []input.RecordError `json:"errors"`
	ErrorsOmitted int                 `json:"errors_omitted"`
}

// server serves an HTTP input over e with cfg (the test token and small
// defaults filled in).
func (e *env) server(t testing.TB, mutate func(*input.HTTPConfig)) *httptest.Server {
	t.Helper()
	cfg := input.HTTPConfig{
		Auth:       input.HTTPAuth{Tokens: []string{testToken}, TokensEnv: "AITDR_TEST_UNSET_TOKENS"},
		AckTimeout: 20 * time.Second,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	h, err := input.NewHTTP(cfg, e.proc, e.pub)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// request is one POST to the input.
type request struct {
	path     string // default /v1/events
	ctype    string // default application/x-ndjson
	encoding string
	token    string // default testToken; "-" for none
	headers  map[string]string
	body     []byte
}

func post(t testing.TB, srv *httptest.Server, r request) (*http.Response, answer) {
	t.Helper()
	if r.path == "" {
		r.path = "/v1/events"
	}
	if r.ctype == "" {
		r.ctype = "application/x-ndjson"
	}
	req, err := http.NewRequest(http.MethodPost, srv.URL+r.path, bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", r.ctype)
	if r.encoding != "" {
		req.Header.Set("Content-Encoding", r.encoding)
	}
	switch r.token {
	case "":
		req.Header.Set("Authorization", "Bearer "+testToken)
	case "-":
	default:
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("answer %d is not JSON: %v: %s", resp.StatusCode, err, body)
	}
	return resp, a
}

// accepted checks a 202 answer and its counts.
func accepted(t testing.TB, resp *http.Response, a answer, events, rejected int64) {
	t.Helper()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d (%s), want 202", resp.StatusCode, a.Error)
	}
	if a.Accepted == nil || a.Rejected == nil || *a.Accepted != events || *a.Rejected != rejected {
		t.Fatalf("accepted %v rejected %v, want %d and %d (errors %+v)", a.Accepted, a.Rejected, events, rejected, a.Errors)
	}
}

func records(t testing.TB, pkg string, names ...string) [][]byte {
	out := make([][]byte, len(names))
	for i, n := range names {
		out[i] = sample(t, pkg, n)
	}
	return out
}

// TestHTTPGoodBodies shows that NDJSON, a JSON array, a gzip body and a
// CloudTrail log file are accepted (202 with the counts, once on Kafka),
// and that every event lands on the events topic keyed by its identity.
func TestHTTPGoodBodies(t *testing.T) {
	ct := records(t, "cloudtrail", cloudTrailRecords...)
	ok := records(t, "okta", oktaRecords...)
	logFile := sample(t, "cloudtrail", "logfile_pipeline_run") // 3 records
	for _, tc := range []struct {
		name   string
		req    request
		events int64
	}{
		{"ndjson", request{body: ndjson(ct...)}, int64(len(ct))},
		{"ndjson of two sources", request{body: ndjson(append(ok, ct...)...)}, int64(len(ok) + len(ct))},
		{"json array", request{ctype: "application/json", body: jsonArray(ok...)}, int64(len(ok))},
		{"gzip ndjson", request{encoding: "gzip", body: gzipped(t, ndjson(ct...))}, int64(len(ct))},
		{"gzip array with charset", request{ctype: "application/json; charset=utf-8", encoding: "gzip", body: gzipped(t, jsonArray(ct...))}, int64(len(ct))},
		{"cloudtrail log file", request{ctype: "application/json", body: logFile}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			srv := e.server(t, nil)
			resp, a := post(t, srv, tc.req)
			accepted(t, resp, a, tc.events, 0)
			if a.RequestID == "" || resp.Header.Get(input.HeaderRequestID) != a.RequestID {
				t.Errorf("request id %q, header %q", a.RequestID, resp.Header.Get(input.HeaderRequestID))
			}
			evs := e.readEvents(t, int(tc.events))
			for _, ev := range evs {
				if ev.Source.Product != schemas.ProductAWSCloudTrail && ev.Source.Product != schemas.ProductOkta {
					t.Errorf("event %s of product %q", ev.ID, ev.Source.Product)
				}
			}
			e.counts(t, tc.events, 0)
		})
	}
}

// TestHTTPMixedRecords shows that a body of good and bad records is
// accepted: the good ones become events, every bad one is on the
// dead-letter topic with its original bytes, its reason and the request
// and line it came from, and the answer lists each with its reason.
func TestHTTPMixedRecords(t *testing.T) {
	e := newEnv(t)
	srv := e.server(t, nil)
	good := records(t, "cloudtrail", "bedrock_invoke_model", "s3_get_object")
	noTime := bytes.Replace(good[0], []byte(`"eventTime"`), []byte(`"eventTimeX"`), 1)
	unknown := []byte(`{"hello":"world"}`)
	truncated := good[1][:len(good[1])/2]
	scalar := []byte(`42`)
	body := ndjson(good[0], noTime, unknown, []byte(""), truncated, scalar, good[1])
	resp, a := post(t, srv, request{body: body, headers: map[string]string{input.HeaderRequestID: "req-mixed-1"}})
	accepted(t, resp, a, 2, 4)

	want := []struct {
		index, line int
		reason      string
	}{
		{1, 2, "eventTime"},
		{2, 3, "no source recognizes the record"},
		{3, 5, "invalid JSON at line 5"},
		{4, 6, "not a JSON object"},
	}
	if len(a.Errors) != len(want) {
		t.Fatalf("errors %+v, want %d", a.Errors, len(want))
	}
	for i, w := range want {
		got := a.Errors[i]
		if got.Index != w.index || got.Line != w.line || got.Record != nil || !strings.Contains(got.Reason, w.reason) {
			t.Errorf("error %d: %+v, want index %d line %d reason with %q", i, got, w.index, w.line, w.reason)
		}
	}

	e.readEvents(t, 2)
	dead := e.readDeadLetters(t, 4)
	wantDead := []struct {
		value  []byte
		input  string
		reason string
		source string
	}{
		{noTime, "http request req-mixed-1 line 2", "eventTime", "aws.cloudtrail"},
		{unknown, "http request req-mixed-1 line 3", "no source recognizes the record", ""},
		{truncated, "http request req-mixed-1 line 5", "invalid JSON at line 5 column", ""},
		{scalar, "http request req-mixed-1 line 6", "not a JSON object: found a number", ""},
	}
	for i, w := range wantDead {
		d := dead[i]
		if d.value != string(w.value) || d.input != w.input || !strings.Contains(d.reason, w.reason) || d.source != w.source || d.stage != "ingest" {
			t.Errorf("dead letter %d: input %q reason %q source %q stage %q value %.60q;\nwant input %q reason with %q source %q value %.60q",
				i, d.input, d.reason, d.source, d.stage, d.value, w.input, w.reason, w.source, w.value)
		}
	}
	e.counts(t, 2, 4)
}

// TestHTTPContainerErrors shows that a rejected record inside a CloudTrail
// log file is reported with its index in the container.
func TestHTTPContainerErrors(t *testing.T) {
	e := newEnv(t)
	srv := e.server(t, nil)
	r := records(t, "cloudtrail", "bedrock_invoke_model", "s3_get_object")
	bad := bytes.Replace(r[1], []byte(`"userIdentity"`), []byte(`"userIdentityX"`), 1)
	logFile := []byte(`{"Records":[` + string(r[0]) + `,` + string(bad) + `]}`)
	resp, a := post(t, srv, request{ctype: "application/json", body: jsonArray(r[1], logFile), headers: map[string]string{input.HeaderRequestID: "req-c"}})
	accepted(t, resp, a, 2, 1)
	if len(a.Errors) != 1 || a.Errors[0].Index != 1 || a.Errors[0].Record == nil || *a.Errors[0].Record != 1 || !strings.Contains(a.Errors[0].Reason, "userIdentity") {
		t.Fatalf("errors %+v, want index 1 record 1 about userIdentity", a.Errors)
	}
	if d := e.readDeadLetters(t, 1)[0]; d.input != "http request req-c index 1 record 1" || d.value != string(bad) {
		t.Errorf("dead letter input %q value %.60q", d.input, d.value)
	}
}

// TestHTTPSourceNamed shows that the path, the query parameter and the
// X-Aitdr-Source header name the source of the records, that they must
// agree, and that an invalid name is refused before anything is published.
func TestHTTPSourceNamed(t *testing.T) {
	e := newEnv(t)
	srv := e.server(t, nil)
	ok := records(t, "okta", oktaRecords...)
	ct := sample(t, "cloudtrail", "s3_get_object")
	for _, tc := range []struct {
		name     string
		req      request
		status   int
		accepted int64
		rejected int64
		errText  string
	}{
		{name: "path", req: request{path: "/v1/events/okta", body: ndjson(ok...)}, status: 202, accepted: int64(len(ok))},
		{name: "query", req: request{path: "/v1/events?source=okta", body: ndjson(ok...)}, status: 202, accepted: int64(len(ok))},
		{name: "header", req: request{headers: map[string]string{input.HeaderSource: "aws.cloudtrail"}, body: ndjson(ct)}, status: 202, accepted: 1},
		{name: "path and header agree", req: request{path: "/v1/events/okta", headers: map[string]string{input.HeaderSource: "okta"}, body: ndjson(ok[0])}, status: 202, accepted: 1},
		{name: "named source rejects the others", req: request{path: "/v1/events/okta", body: ndjson(ct)}, status: 202, rejected: 1},
		{name: "disagree", req: request{path: "/v1/events/okta", headers: map[string]string{input.HeaderSource: "aws.cloudtrail"}, body: ndjson(ct)},
			status: 400, errText: `source "aws.cloudtrail" in the header X-Aitdr-Source differs from "okta" in the path`},
		{name: "invalid name", req: request{headers: map[string]string{input.HeaderSource: "Not A Product"}, body: ndjson(ct)},
			status: 400, errText: "not a valid source product name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, a := post(t, srv, tc.req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, a.Error, tc.status)
			}
			if tc.status == 202 {
				accepted(t, resp, a, tc.accepted, tc.rejected)
			} else if !strings.Contains(a.Error, tc.errText) {
				t.Errorf("error %q, want %q", a.Error, tc.errText)
			}
		})
	}
}

// TestHTTPRefused shows the answers to requests refused as a whole: bad
// JSON (400 with the position), an NDJSON body with no JSON line (400 with
// the reason of each line), wrong content type or encoding (415), bodies
// too large as sent or once decompressed (413, a gzip bomb included), and
// missing or wrong tokens (401 with WWW-Authenticate). Nothing of them
// reaches Kafka.
func TestHTTPRefused(t *testing.T) {
	e := newEnv(t)
	srv := e.server(t, func(c *input.HTTPConfig) {
		c.MaxBodyBytes = 64 << 10
		c.MaxDecompressedBytes = 256 << 10
	})
	good := ndjson(sample(t, "cloudtrail", "s3_get_object"))
	bomb := gzipped(t, bytes.Repeat([]byte(" "), 32<<20)) // 32 MiB of spaces in ~32 KiB
	for _, tc := range []struct {
		name    string
		req     request
		status  int
		errText string
		header  [2]string
		errors  int
	}{
		{name: "truncated json", req: request{ctype: "application/json", body: []byte(`[{"a":1},{"b":`)}, status: 400,
			errText: "json body: invalid JSON at line 1 column 15 (byte 14): unexpected end of input"},
		{name: "not json", req: request{ctype: "application/json", body: []byte(`<xml/>`)}, status: 400, errText: "unexpected character '<'"},
		{name: "ndjson without json", req: request{body: []byte("a,b,c\n1,2,3\n")}, status: 400, errText: "no line of the body is a JSON object", errors: 2},
		{name: "empty", req: request{body: nil}, status: 400, errText: "empty body"},
		{name: "bad gzip", req: request{encoding: "gzip", body: []byte("not gzip")}, status: 400, errText: "gzip"},
		{name: "text/plain", req: request{ctype: "text/plain", body: good}, status: 415, errText: `content type "text/plain" not supported`},
		{name: "form", req: request{ctype: "application/x-www-form-urlencoded", body: good}, status: 415},
		{name: "latin-1", req: request{ctype: "application/json; charset=iso-8859-1", body: good}, status: 415, errText: "charset"},
		{name: "brotli", req: request{encoding: "br", body: good}, status: 415, errText: `content encoding "br"`, header: [2]string{"Accept-Encoding", "gzip"}},
		{name: "too large", req: request{body: bytes.Repeat(good, 64<<10/len(good)+1)}, status: 413, errText: "over the 65536-byte limit"},
		{name: "gzip too large", req: request{encoding: "gzip", body: append(gzipped(t, good), bytes.Repeat([]byte{0}, 64<<10)...)}, status: 413},
		{name: "gzip bomb", req: request{encoding: "gzip", body: bomb}, status: 413, errText: "decompressed body over the 262144-byte limit"},
		{name: "no token", req: request{token: "-", body: good}, status: 401, errText: "missing bearer token",
			header: [2]string{"WWW-Authenticate", `Bearer realm="aitdr ingest"`}},
		{name: "wrong token", req: request{token: "wrong-token-0123456789", body: good}, status: 401, errText: "invalid bearer token",
			header: [2]string{"WWW-Authenticate", `Bearer realm="aitdr ingest", error="invalid_token"`}},
		{name: "basic auth", req: request{token: "-", headers: map[string]string{"Authorization": "Basic dTpw"}, body: good}, status: 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, a := post(t, srv, tc.req)
			if resp.StatusCode != tc.status || !strings.Contains(a.Error, tc.errText) {
				t.Errorf("status %d error %q, want %d with %q", resp.StatusCode, a.Error, tc.status, tc.errText)
			}
			if tc.header[0] != "" && resp.Header.Get(tc.header[0]) != tc.header[1] {
				t.Errorf("%s: %q, want %q", tc.header[0], resp.Header.Get(tc.header[0]), tc.header[1])
			}
			if len(a.Errors) != tc.errors {
				t.Errorf("errors %+v, want %d", a.Errors, tc.errors)
			}
		})
	}
	e.counts(t, 0, 0)
}

// TestHTTPErrorsBounded shows that an answer lists the first MaxErrors
// record errors and counts the others, while every rejected record is
// dead-lettered.
func TestHTTPErrorsBounded(t *testing.T) {
	e := newEnv(t)
	srv := e.server(t, func(c *input.HTTPConfig) { c.MaxErrors = 2 })
	bad := make([][]byte, 5)
	for i := range bad {
		bad[i] = fmt.Appendf(nil, `{"n":%d}`, i)
	}
	resp, a := post(t, srv, request{body: ndjson(append(bad, sample(t, "okta", "auth_via_mfa"))...)})
	accepted(t, resp, a, 1, 5)
	if len(a.Errors) != 2 || a.ErrorsOmitted != 3 {
		t.Errorf("%d errors, %d omitted; want 2 and 3", len(a.Errors), a.ErrorsOmitted)
	}
	e.counts(t, 1, 5)
}

// TestHTTPUnavailable shows that when Kafka does not acknowledge within
// AckTimeout the answer is 503 with Retry-After, so the client retries.
func TestHTTPUnavailable(t *testing.T) {
	// Nothing listens on this address: records are never acknowledged.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	pub, err := input.NewPublisher(cl, input.PublisherConfig{EventsTopic: "events", DeadLetterTopic: "dlq", Stage: "ingest"})
	if err != nil {
		t.Fatal(err)
	}
	h, err := input.NewHTTP(input.HTTPConfig{Auth: input.HTTPAuth{Tokens: []string{testToken}}, AckTimeout: 300 * time.Millisecond}, newPipeline(t), pub)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	start := time.Now()
	resp, a := post(t, srv, request{body: ndjson(sample(t, "cloudtrail", "s3_get_object"))})
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(a.Error, "not acknowledged") {
		t.Errorf("status %d Retry-After %q error %q, want 503", resp.StatusCode, resp.Header.Get("Retry-After"), a.Error)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("answered after %s", d)
	}
}

// TestHTTPServe shows that Serve answers /healthz, refuses other methods,
// and returns nil after a graceful shutdown once ctx ends.
func TestHTTPServe(t *testing.T) {
	e := newEnv(t)
	h, err := input.NewHTTP(input.HTTPConfig{Auth: input.HTTPAuth{Disabled: true}}, e.proc, e.pub)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()

	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
	resp, err = http.Get(base + "/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /v1/events: %d, want 405", resp.StatusCode)
	}
	// Authentication is disabled: no token needed.
	resp, err = http.Post(base+"/v1/events", "application/x-ndjson", bytes.NewReader(ndjson(sample(t, "okta", "auth_via_mfa"))))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("POST without token, auth disabled: %d", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after ctx ended")
	}
}

// TestHTTPConfig shows that Validate names every problem by its field path,
// and that tokens come from the config, a file and the environment.
func TestHTTPConfig(t *testing.T) {
	if err := input.DefaultHTTPConfig().Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
	bad := input.HTTPConfig{
		Listen:               "0.0.0.0",
		TLS:                  input.HTTPTLS{CertFile: "cert.pem"},
		Auth:                 input.HTTPAuth{Tokens: []string{"short"}},
		MaxBodyBytes:         -1,
		MaxDecompressedBytes: -1,
		AckTimeout:           -time.Second,
	}
	err := bad.Validate()
	for _, want := range []string{"listen: ", "tls: cert_file", "auth.tokens[0]: 5 bytes", "max_body_bytes: -1", "max_decompressed_bytes: -1", "ack_timeout: -1s"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v; want %q", err, want)
		}
	}
	if err := (input.HTTPConfig{Listen: "0.0.0.0:8088", Auth: input.HTTPAuth{Disabled: true}}).Validate(); err == nil || !strings.Contains(err.Error(), "auth.disabled: only allowed on a loopback") {
		t.Errorf("auth disabled on all interfaces: %v", err)
	}

	e := &env{proc: newPipeline(t)}
	pub, err := input.NewPublisher(instantAcks{}, input.PublisherConfig{EventsTopic: "e", DeadLetterTopic: "d", Stage: "ingest"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := input.NewHTTP(input.HTTPConfig{LookupEnv: noEnv}, e.proc, pub); err == nil || !strings.Contains(err.Error(), "no bearer token configured") {
		t.Errorf("no token: %v", err)
	}
	file := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(file, []byte("# ingest tokens\nfile-token-0123456789\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) (string, bool) {
		if k == "MY_TOKENS" {
			return "env-token-0123456789, env-token-abcdefghij", true
		}
		return "", false
	}
	h, err := input.NewHTTP(input.HTTPConfig{Auth: input.HTTPAuth{TokensFile: file, TokensEnv: "MY_TOKENS"}, LookupEnv: env}, e.proc, pub)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	for token, want := range map[string]int{
		"file-token-0123456789": 202, "env-token-0123456789": 202, "env-token-abcdefghij": 202, "# ingest tokens": 401, testToken: 401,
	} {
		resp, a := post(t, srv, request{token: token, body: ndjson(sample(t, "okta", "auth_via_mfa"))})
		if resp.StatusCode != want {
			t.Errorf("token %q: %d (%s), want %d", token, resp.StatusCode, a.Error, want)
		}
	}
}

func noEnv(string) (string, bool) { return "", false }

// instantAcks acknowledges every record at once. Only the fuzz targets, the
// timing test and the no-Kafka benchmark use it, where a broker's latency
// would hide what they measure; every test of publishing runs on
// kafkatest.Cluster (kfake, or the real broker in CI).
type instantAcks struct{}

func (instantAcks) Produce(_ context.Context, r *kgo.Record, promise func(*kgo.Record, error)) {
	promise(r, nil)
}

// TestHTTPTelemetry shows the metrics of the HTTP input (requests and their
// duration by status, records accepted and rejected by product) and that
// the trace of a request continues in the records it produced: the
// client's traceparent, through the input's span, into their headers.
func TestHTTPTelemetry(t *testing.T) {
	e := newEnv(t)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	h, err := input.NewHTTP(input.HTTPConfig{Auth: input.HTTPAuth{Tokens: []string{testToken}}}, e.proc, e.pub,
		input.WithMeterProvider(mp), input.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	body := ndjson(sample(t, "okta", "auth_via_mfa"), sample(t, "cloudtrail", "s3_get_object"), []byte(`{"x":1}`))
	resp, a := post(t, srv, request{body: body, headers: map[string]string{"traceparent": "00-" + traceID + "-00f067aa0ba902b7-01"}})
	accepted(t, resp, a, 2, 1)
	post(t, srv, request{token: "-", body: body})

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := make(map[string]int64)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					got[m.Name+" "+p.Attributes.Encoded(attribute.DefaultEncoder())] += p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					got[m.Name+" "+p.Attributes.Encoded(attribute.DefaultEncoder())] += int64(p.Count)
				}
			}
		}
	}
	for key, want := range map[string]int64{
		input.MetricHTTPRequests + " http.response.status_code=202":                           1,
		input.MetricHTTPRequests + " http.response.status_code=401":                           1,
		input.MetricHTTPDuration + " http.response.status_code=202":                           1,
		input.MetricRecordsAccepted + " aitdr.input=http,aitdr.source.product=okta":           1,
		input.MetricRecordsAccepted + " aitdr.input=http,aitdr.source.product=aws.cloudtrail": 1,
		input.MetricRecordsRejected + " aitdr.input=http,aitdr.source.product=":               1,
	} {
		if got[key] != want {
			t.Errorf("%s = %d, want %d (all: %v)", key, got[key], want, got)
		}
	}

	for i, r := range kafkatest.ReadAll(t, e.brokers, e.events, 2, readTimeout) {
		if tp := string(stream.Header(r, schemas.HeaderTraceParent)); !strings.Contains(tp, traceID) {
			t.Errorf("event record %d: traceparent %q, want trace %s", i, tp, traceID)
		}
	}
	var server bool
	for _, s := range spans.Ended() {
		if s.Name() == "aitdr.ingest.http" && s.SpanContext().TraceID().String() == traceID {
			server = true
		}
	}
	if !server {
		t.Error("no aitdr.ingest.http span in the client's trace")
	}
}

// slowProcessor normalizes with a delay per delivery.
type slowProcessor struct {
	input.Processor
	delay time.Duration
}

func (p slowProcessor) Process(ctx context.Context, d []byte, hint schemas.Product, emit func(pipeline.Result)) (pipeline.Counts, error) {
	select {
	case <-time.After(p.delay):
	case <-ctx.Done():
		return pipeline.Counts{}, ctx.Err()
	}
	return p.Processor.Process(ctx, d, hint, emit)
}

// TestHTTPDeadlineMidRequest shows that a request whose records cannot all
// be processed within AckTimeout is answered 503, never 202 with only part
// of its records.
func TestHTTPDeadlineMidRequest(t *testing.T) {
	pub, err := input.NewPublisher(instantAcks{}, input.PublisherConfig{EventsTopic: "e", DeadLetterTopic: "d", Stage: "ingest"})
	if err != nil {
		t.Fatal(err)
	}
	h, err := input.NewHTTP(input.HTTPConfig{Auth: input.HTTPAuth{Tokens: []string{testToken}}, AckTimeout: 150 * time.Millisecond},
		slowProcessor{newPipeline(t), 50 * time.Millisecond}, pub)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	ok := records(t, "okta", oktaRecords...)
	resp, a := post(t, srv, request{body: ndjson(append(ok, ok...)...)})
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(a.Error, "deadline") {
		t.Errorf("status %d error %q, want 503 for a deadline", resp.StatusCode, a.Error)
	}
}
