package telemetry_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"

	"github.com/aitdr/aitdr/internal/telemetry"
)

// testConfig is the default configuration with the OTLP environment cleared,
// so that a developer's OTEL_EXPORTER_OTLP_ENDPOINT does not leak into tests.
func testConfig(t *testing.T) telemetry.Config {
	t.Helper()
	for _, v := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES"} {
		t.Setenv(v, "")
	}
	cfg := telemetry.DefaultConfig()
	cfg.ServiceName = "aitdr-test"
	cfg.Listen = "" // tests serve the handler on their own listeners
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	return cfg
}

func setup(t *testing.T, cfg telemetry.Config) *telemetry.Telemetry {
	t.Helper()
	tel, err := telemetry.Setup(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	t.Cleanup(func() {
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return tel
}

// serve runs the health server on a loopback port until the test ends and
// returns its base URL.
func serve(t *testing.T, tel *telemetry.Telemetry) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tel.ServeListener(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeListener returned %v after cancel, want nil", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// A counter recorded through the global meter shows up on /metrics in the
// Prometheus format, with the resource as target_info and Go runtime metrics.
func TestMetricsEndpointExposesGlobalMeter(t *testing.T) {
	tel := setup(t, testConfig(t))
	base := serve(t, tel)

	counter, err := otel.Meter("aitdr/test").Int64Counter("aitdr.test.records_in",
		metric.WithDescription("Records read by the test stage."))
	if err != nil {
		t.Fatal(err)
	}
	counter.Add(t.Context(), 3, metric.WithAttributes(attribute.String("topic", "aitdr.events")))
	counter.Add(t.Context(), 4, metric.WithAttributes(attribute.String("topic", "aitdr.events")))

	code, body := get(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics = %d, want 200\n%s", code, body)
	}
	var line string
	for l := range strings.Lines(body) {
		if strings.HasPrefix(l, "aitdr_test_records_in_total{") {
			line = strings.TrimSpace(l)
		}
	}
	if line == "" {
		t.Fatalf("no aitdr_test_records_in_total sample in /metrics:\n%s", body)
	}
	if !strings.Contains(line, `topic="aitdr.events"`) || !strings.HasSuffix(line, " 7") {
		t.Errorf("sample = %q, want topic=\"aitdr.events\" and value 7", line)
	}
	for _, want := range []string{
		"# HELP aitdr_test_records_in_total Records read by the test stage.",
		`service_name="aitdr-test"`, // target_info
		"go_goroutines ",
		"process_cpu_seconds_total ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// /readyz answers 503 while a check fails, naming it and its error in the
// JSON body, and 200 once every check passes.
func TestReadyzFollowsChecks(t *testing.T) {
	tel := setup(t, testConfig(t))
	base := serve(t, tel)

	var kafkaUp atomic.Bool
	tel.RegisterReadiness("kafka", func(ctx context.Context) error {
		if !kafkaUp.Load() {
			return errors.New("no broker reachable")
		}
		return nil
	})
	tel.RegisterReadiness("nats", func(ctx context.Context) error { return nil })

	decode := func(body string) telemetry.Readiness {
		t.Helper()
		var rd telemetry.Readiness
		if err := json.Unmarshal([]byte(body), &rd); err != nil {
			t.Fatalf("body is not the readiness JSON: %v\n%s", err, body)
		}
		return rd
	}

	code, body := get(t, base+"/readyz")
	if code != http.StatusServiceUnavailable {
		t.Fatalf("GET /readyz with a failing check = %d, want 503\n%s", code, body)
	}
	rd := decode(body)
	if rd.Ready || len(rd.Checks) != 2 {
		t.Fatalf("readiness = %+v, want not ready with 2 checks", rd)
	}
	if c := rd.Checks[0]; c.Name != "kafka" || c.OK || c.Error != "no broker reachable" {
		t.Errorf("checks[0] = %+v, want kafka failed with its error", c)
	}
	if c := rd.Checks[1]; c.Name != "nats" || !c.OK || c.Error != "" {
		t.Errorf("checks[1] = %+v, want nats ok", c)
	}

	kafkaUp.Store(true)
	code, body = get(t, base+"/readyz")
	if code != http.StatusOK {
		t.Fatalf("GET /readyz with passing checks = %d, want 200\n%s", code, body)
	}
	if rd := decode(body); !rd.Ready || len(rd.Checks) != 2 || !rd.Checks[0].OK {
		t.Errorf("readiness = %+v, want ready with both checks ok", rd)
	}

	// Removing a check drops it from the report.
	tel.RegisterReadiness("nats", nil)
	if rd := tel.Ready(t.Context()); len(rd.Checks) != 1 || rd.Checks[0].Name != "kafka" {
		t.Errorf("after removing nats: %+v, want only kafka", rd)
	}
}

// A check registered with a detail shows why it passes in the /readyz
// JSON, and its error, not the detail, when it fails.
func TestReadyzShowsDetail(t *testing.T) {
	tel := setup(t, testConfig(t))
	base := serve(t, tel)
	var idle atomic.Bool
	tel.RegisterReadinessDetail("stage rules partitions", func(context.Context) (string, error) {
		if idle.Load() {
			return "holds no partitions", errors.New("holds no partitions while the group rebalances")
		}
		return "holds 3 partitions", nil
	})
	for _, tc := range []struct {
		name string
		idle bool
		code int
		want telemetry.CheckStatus
	}{
		{"passing", false, http.StatusOK, telemetry.CheckStatus{Name: "stage rules partitions", OK: true, Detail: "holds 3 partitions"}},
		{"failing", true, http.StatusServiceUnavailable, telemetry.CheckStatus{Name: "stage rules partitions", Error: "holds no partitions while the group rebalances"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idle.Store(tc.idle)
			code, body := get(t, base+"/readyz")
			var rd telemetry.Readiness
			if err := json.Unmarshal([]byte(body), &rd); err != nil {
				t.Fatalf("body is not the readiness JSON: %v\n%s", err, body)
			}
			if code != tc.code || len(rd.Checks) != 1 {
				t.Fatalf("GET /readyz = %d %s, want %d with one check", code, body, tc.code)
			}
			got := rd.Checks[0]
			got.DurationMS = 0
			if got != tc.want {
				t.Errorf("check = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// A check that ignores its context is cut off at ReadinessTimeout and
// reported as failed; a panicking check fails without crashing the server.
func TestReadyzBoundsChecks(t *testing.T) {
	cfg := testConfig(t)
	cfg.ReadinessTimeout = 50 * time.Millisecond
	tel := setup(t, cfg)
	base := serve(t, tel)

	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	tel.RegisterReadiness("stuck", func(context.Context) error { <-release; return nil })
	tel.RegisterReadiness("panics", func(context.Context) error { panic("boom") })

	start := time.Now()
	code, body := get(t, base+"/readyz")
	if code != http.StatusServiceUnavailable {
		t.Fatalf("GET /readyz = %d, want 503\n%s", code, body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("/readyz took %s with a 50ms check timeout", d)
	}
	for _, want := range []string{"no answer within 50ms", "check panicked: boom"} {
		if !strings.Contains(body, want) {
			t.Errorf("/readyz body lacks %q:\n%s", want, body)
		}
	}
}

// /healthz is 200 whenever the process serves HTTP, whatever readiness says.
func TestHealthz(t *testing.T) {
	tel := setup(t, testConfig(t))
	tel.RegisterReadiness("never", func(context.Context) error { return errors.New("not yet") })
	base := serve(t, tel)

	code, body := get(t, base+"/healthz")
	if code != http.StatusOK || !strings.Contains(body, `"status": "ok"`) {
		t.Errorf("GET /healthz = %d %q, want 200 with status ok", code, body)
	}
	if code, _ := get(t, base+"/nothing"); code != http.StatusNotFound {
		t.Errorf("GET /nothing = %d, want 404", code)
	}
}

// collector is an OTLP/HTTP receiver that decodes the protobuf bodies.
type collector struct {
	mu          sync.Mutex
	metricPosts int
	tracePosts  int
	metrics     map[string]bool
	spans       map[string]bool
	services    map[string]bool
	problems    []string
}

func newCollector(t *testing.T) (*collector, *httptest.Server) {
	c := &collector{metrics: map[string]bool{}, spans: map[string]bool{}, services: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(srv.Close)
	return c, srv
}

func (c *collector) serve(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ct := r.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		c.problems = append(c.problems, r.URL.Path+": Content-Type "+ct)
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			c.problems = append(c.problems, "gzip: "+err.Error())
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var resp proto.Message
	switch r.URL.Path {
	case "/v1/metrics":
		var req colmetricpb.ExportMetricsServiceRequest
		if err := proto.Unmarshal(raw, &req); err != nil {
			c.problems = append(c.problems, "metrics: "+err.Error())
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c.metricPosts++
		for _, rm := range req.ResourceMetrics {
			c.addService(rm.GetResource().GetAttributes())
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					c.metrics[m.Name] = true
				}
			}
		}
		resp = &colmetricpb.ExportMetricsServiceResponse{}
	case "/v1/traces":
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(raw, &req); err != nil {
			c.problems = append(c.problems, "traces: "+err.Error())
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c.tracePosts++
		for _, rs := range req.ResourceSpans {
			c.addService(rs.GetResource().GetAttributes())
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					c.spans[s.Name] = true
				}
			}
		}
		resp = &coltracepb.ExportTraceServiceResponse{}
	default:
		c.problems = append(c.problems, "unexpected path "+r.URL.Path)
		http.NotFound(w, r)
		return
	}
	out, _ := proto.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (c *collector) addService(attrs []*commonpb.KeyValue) {
	for _, kv := range attrs {
		if kv.GetKey() == "service.name" {
			c.services[kv.GetValue().GetStringValue()] = true
		}
	}
}

// Metrics and spans reach an OTLP/HTTP collector as protobuf posts to
// /v1/metrics and /v1/traces: from the configured endpoint, and from
// OTEL_EXPORTER_OTLP_ENDPOINT when the configuration names none. Shutdown
// flushes them.
func TestOTLPExport(t *testing.T) {
	for _, tc := range []struct {
		name        string
		fromEnv     bool
		compression string
	}{
		{name: "configured endpoint, gzip", compression: "gzip"},
		{name: "OTEL_EXPORTER_OTLP_ENDPOINT, no compression", fromEnv: true, compression: "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			col, srv := newCollector(t)
			cfg := testConfig(t)
			if tc.fromEnv {
				t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
			} else {
				cfg.OTLP.Endpoint = srv.URL + "/"
			}
			cfg.OTLP.Compression = tc.compression
			cfg.OTLP.MetricsInterval = time.Hour // only Shutdown's flush exports
			cfg.Traces.SampleRatio = 1
			tel, err := telemetry.Setup(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}

			counter, err := otel.Meter("aitdr/test").Int64Counter("aitdr.test.batches")
			if err != nil {
				t.Fatal(err)
			}
			counter.Add(t.Context(), 1)
			ctx, parent := otel.Tracer("aitdr/test").Start(t.Context(), "aitdr.test.batch")
			_, child := otel.Tracer("aitdr/test").Start(ctx, "aitdr.test.produce")
			child.End()
			parent.End()

			if err := tel.Shutdown(t.Context()); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			if err := tel.Shutdown(t.Context()); err != nil {
				t.Fatalf("second Shutdown: %v", err)
			}

			col.mu.Lock()
			defer col.mu.Unlock()
			if len(col.problems) > 0 {
				t.Errorf("collector problems: %v", col.problems)
			}
			if col.metricPosts == 0 || !col.metrics["aitdr.test.batches"] {
				t.Errorf("metrics: %d posts with %v, want aitdr.test.batches", col.metricPosts, col.metrics)
			}
			if col.tracePosts == 0 || !col.spans["aitdr.test.batch"] || !col.spans["aitdr.test.produce"] {
				t.Errorf("traces: %d posts with %v, want both spans", col.tracePosts, col.spans)
			}
			if !col.services["aitdr-test"] {
				t.Errorf("service.name in posts = %v, want aitdr-test", col.services)
			}
		})
	}
}

// The global propagator carries W3C trace context, and sampling follows a
// sampled parent even at ratio 0 while new root traces are dropped.
func TestTraceContextPropagationAndParentBasedSampling(t *testing.T) {
	cfg := testConfig(t)
	cfg.Traces.SampleRatio = 0
	setup(t, cfg)
	tracer := otel.Tracer("aitdr/test")

	_, root := tracer.Start(t.Context(), "root")
	root.End()
	if root.SpanContext().IsSampled() {
		t.Errorf("a new root trace was sampled at ratio 0")
	}

	// A sampled upstream span, as a Kafka header would carry it.
	upstream := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		SpanID:     trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8},
		TraceFlags: trace.FlagsSampled,
		Remote:     true,
	})
	headers := propagation.MapCarrier{}
	otel.GetTextMapPropagator().Inject(trace.ContextWithRemoteSpanContext(t.Context(), upstream), headers)
	want := "00-0102030405060708090a0b0c0d0e0f10-0102030405060708-01"
	if got := headers["traceparent"]; got != want {
		t.Fatalf("traceparent = %q, want %q", got, want)
	}

	ctx := otel.GetTextMapPropagator().Extract(t.Context(), headers)
	_, child := tracer.Start(ctx, "child")
	child.End()
	if child.SpanContext().TraceID() != upstream.TraceID() || !child.SpanContext().IsSampled() {
		t.Errorf("child = %v sampled=%v, want trace %v sampled", child.SpanContext().TraceID(),
			child.SpanContext().IsSampled(), upstream.TraceID())
	}
}

// Setup binds Listen so that Addr is known before Serve runs (port 0 gets a
// real port); Serve serves it until the context ends; a busy port fails
// Setup; an empty Listen serves nothing.
func TestServe(t *testing.T) {
	cfg := testConfig(t)
	cfg.Listen = "127.0.0.1:0"
	tel := setup(t, cfg)
	addr := tel.Addr()
	if !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
		t.Fatalf("Addr() = %q, want 127.0.0.1 with the bound port", addr)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- tel.Serve(ctx) }()
	if code, _ := get(t, "http://"+addr+"/healthz"); code != http.StatusOK {
		t.Errorf("GET /healthz on Addr() = %d, want 200", code)
	}
	if err := tel.Serve(ctx); err == nil {
		t.Errorf("second Serve = nil, want an error")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel = %v, want nil", err)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Errorf("server still answers after Serve returned")
	}

	cfg.Listen = ""
	empty := setup(t, cfg)
	if empty.Addr() != "" {
		t.Errorf("Addr() with empty Listen = %q, want empty", empty.Addr())
	}
	if err := empty.Serve(t.Context()); err != nil {
		t.Errorf("Serve with empty Listen = %v, want nil", err)
	}

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg.Listen = busy.Addr().String()
	if _, err := telemetry.Setup(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), busy.Addr().String()) {
		t.Errorf("Setup on a busy port = %v, want an error naming %s", err, busy.Addr())
	}
}

// Validate lists every bad field by its path, and Setup refuses a bad config.
func TestValidate(t *testing.T) {
	if err := telemetry.DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(*telemetry.Config)
		paths  []string
	}{
		{"empty listen disables the server", func(c *telemetry.Config) { c.Listen = "" }, nil},
		{"https endpoint", func(c *telemetry.Config) { c.OTLP.Endpoint = "https://otel.example:4318/base" }, nil},
		{"service name", func(c *telemetry.Config) { c.ServiceName = " " }, []string{"service_name"}},
		{"listen not host:port", func(c *telemetry.Config) { c.Listen = "9464" }, []string{"listen"}},
		{"listen port", func(c *telemetry.Config) { c.Listen = "127.0.0.1:99999" }, []string{"listen"}},
		{"metrics path", func(c *telemetry.Config) { c.MetricsPath = "metrics" }, []string{"metrics_path"}},
		{"metrics path taken", func(c *telemetry.Config) { c.MetricsPath = "/readyz" }, []string{"metrics_path"}},
		{"readiness timeout", func(c *telemetry.Config) { c.ReadinessTimeout = 0 }, []string{"readiness_timeout"}},
		{"endpoint scheme", func(c *telemetry.Config) { c.OTLP.Endpoint = "grpc://collector:4317" }, []string{"otlp.endpoint"}},
		{"endpoint host", func(c *telemetry.Config) { c.OTLP.Endpoint = "http:///v1" }, []string{"otlp.endpoint"}},
		{"header name", func(c *telemetry.Config) { c.OTLP.Headers = map[string]string{"bad name": "x"} }, []string{"otlp.headers"}},
		{"compression", func(c *telemetry.Config) { c.OTLP.Compression = "zstd" }, []string{"otlp.compression"}},
		{"timeout", func(c *telemetry.Config) { c.OTLP.Timeout = -time.Second }, []string{"otlp.timeout"}},
		{"interval", func(c *telemetry.Config) { c.OTLP.MetricsInterval = time.Millisecond }, []string{"otlp.metrics_interval"}},
		{"ratio", func(c *telemetry.Config) { c.Traces.SampleRatio = 1.5 }, []string{"traces.sample_ratio"}},
		{"everything at once", func(c *telemetry.Config) {
			*c = telemetry.Config{Traces: telemetry.Traces{SampleRatio: -1}, Listen: "x"}
		}, []string{"service_name", "listen", "metrics_path", "readiness_timeout", "otlp.compression",
			"otlp.timeout", "otlp.metrics_interval", "traces.sample_ratio"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := telemetry.DefaultConfig()
			tc.change(&cfg)
			err := cfg.Validate()
			var got []string
			if err != nil {
				for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
					var fe *telemetry.FieldError
					if !errors.As(e, &fe) {
						t.Fatalf("%v is not a *FieldError", e)
					}
					if !strings.HasPrefix(e.Error(), fe.Path+": ") {
						t.Errorf("error %q does not start with its path", e)
					}
					got = append(got, fe.Path)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.paths, ",") {
				t.Errorf("Validate paths = %v, want %v (error: %v)", got, tc.paths, err)
			}
			if len(tc.paths) > 0 {
				if _, err := telemetry.Setup(t.Context(), cfg); err == nil {
					t.Errorf("Setup accepted a config Validate rejects")
				} else if fe := (*telemetry.FieldError)(nil); !errors.As(err, &fe) {
					t.Errorf("Setup error %v does not wrap a *FieldError", err)
				}
			}
		})
	}
}
