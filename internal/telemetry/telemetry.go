// Package telemetry sets up OpenTelemetry for every aitdr stage and for
// `aitdr run`: a global MeterProvider and TracerProvider, the W3C trace
// context propagator (trace context travels in Kafka and NATS headers),
// Prometheus metrics served over HTTP by default, OTLP/HTTP export of metrics
// and traces when a collector is configured, and the /healthz and /readyz
// endpoints.
//
// Stages record through the global providers (otel.Meter, otel.Tracer) with
// names of the form aitdr.<stage>.<noun>; the Prometheus endpoint shows them
// with dots turned into underscores and unit and _total suffixes added.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

const (
	healthzPath = "/healthz"
	readyzPath  = "/readyz"
)

// Telemetry is the OpenTelemetry set-up of one process and its health
// server. Create it with Setup and release it with Shutdown. Its methods are
// safe for concurrent use.
type Telemetry struct {
	cfg    Config
	logger *slog.Logger

	meters  *sdkmetric.MeterProvider
	tracers *sdktrace.TracerProvider
	handler http.Handler

	// otlpMetrics and otlpTraces tell whether OTLP exporters are installed.
	otlpMetrics, otlpTraces bool

	// addr is the bound address of the health server, "" when disabled.
	addr string

	mu     sync.Mutex
	checks map[string]detailCheck
	ln     net.Listener // bound by Setup, taken by Serve
	served bool

	shutdownOnce sync.Once
	shutdownErr  error
}

// Setup validates cfg, builds the meter and tracer providers with their
// exporters, and installs them as the OpenTelemetry globals together with the
// W3C TraceContext and Baggage propagators. When Listen is set it binds the
// health server's address, so that a port in use fails start-up and Addr is
// known at once; Serve then serves it. Call Shutdown to flush and stop the
// exporters.
func Setup(ctx context.Context, cfg Config) (t *Telemetry, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("telemetry config: %w", err)
	}
	t = &Telemetry{
		cfg:    cfg,
		logger: cfg.Logger,
		checks: make(map[string]detailCheck),
	}
	if t.logger == nil {
		t.logger = slog.Default()
	}

	res, err := newResource(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Listen != "" {
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("telemetry: listen on %s: %w", cfg.Listen, err)
		}
		defer func() {
			if err != nil {
				_ = ln.Close()
			}
		}()
		t.ln, t.addr = ln, ln.Addr().String()
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET "+healthzPath, t.serveHealthz)
	mux.HandleFunc("GET "+readyzPath, t.serveReadyz)

	meterOpts := []sdkmetric.Option{sdkmetric.WithResource(res)}
	if cfg.Prometheus {
		reg := prometheus.NewRegistry()
		if err := reg.Register(collectors.NewGoCollector()); err != nil {
			return nil, fmt.Errorf("telemetry: register Go runtime metrics: %w", err)
		}
		if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
			return nil, fmt.Errorf("telemetry: register process metrics: %w", err)
		}
		exp, err := otelprom.New(otelprom.WithRegisterer(reg))
		if err != nil {
			return nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
		}
		meterOpts = append(meterOpts, sdkmetric.WithReader(exp))
		mux.Handle("GET "+cfg.MetricsPath, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
			ErrorLog:      slog.NewLogLogger(t.logger.Handler(), slog.LevelWarn),
			ErrorHandling: promhttp.ContinueOnError,
		}))
	}
	if metricsOpts, ok := cfg.otlpMetricOptions(); ok {
		exp, err := otlpmetrichttp.New(ctx, metricsOpts...)
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP metric exporter: %w", err)
		}
		meterOpts = append(meterOpts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp,
			sdkmetric.WithInterval(cfg.OTLP.MetricsInterval),
			sdkmetric.WithTimeout(cfg.OTLP.Timeout))))
		t.otlpMetrics = true
		defer func() {
			if t.meters == nil { // the trace exporter failed: release this one
				_ = exp.Shutdown(context.WithoutCancel(ctx))
			}
		}()
	}

	traceOpts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.Traces.SampleRatio))),
	}
	if spanOpts, ok := cfg.otlpTraceOptions(); ok {
		exp, err := otlptracehttp.New(ctx, spanOpts...)
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP trace exporter: %w", err)
		}
		traceOpts = append(traceOpts, sdktrace.WithBatcher(exp, sdktrace.WithExportTimeout(cfg.OTLP.Timeout)))
		t.otlpTraces = true
	}

	t.meters = sdkmetric.NewMeterProvider(meterOpts...)
	t.tracers = sdktrace.NewTracerProvider(traceOpts...)
	t.handler = mux

	otel.SetMeterProvider(t.meters)
	otel.SetTracerProvider(t.tracers)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(
		propagation.TraceContext{}, propagation.Baggage{}))
	logger := t.logger
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("telemetry: export failed", "err", err)
	}))
	return t, nil
}

// newResource describes this process: service name and version from cfg
// (OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override them), host,
// process id and the SDK.
func newResource(ctx context.Context, cfg Config) (*resource.Resource, error) {
	version := cfg.ServiceVersion
	if version == "" {
		if info, ok := debug.ReadBuildInfo(); ok {
			version = info.Main.Version
		}
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", cfg.ServiceName)}
	if version != "" {
		attrs = append(attrs, attribute.String("service.version", version))
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attrs...),
		resource.WithTelemetrySDK(),
		resource.WithHost(),
		resource.WithProcessPID(),
		resource.WithFromEnv(),
	)
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	return res, nil
}

// otlpMetricOptions returns the OTLP metric exporter options and whether the
// exporter is wanted: the configured endpoint, else the OTEL_EXPORTER_OTLP_*
// endpoint variables, which the exporter reads itself.
func (c Config) otlpMetricOptions() ([]otlpmetrichttp.Option, bool) {
	if !c.OTLP.Metrics || !c.otlpEndpointKnown("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") {
		return nil, false
	}
	opts := []otlpmetrichttp.Option{otlpmetrichttp.WithTimeout(c.OTLP.Timeout)}
	if c.OTLP.Endpoint != "" {
		opts = append(opts, otlpmetrichttp.WithEndpointURL(signalURL(c.OTLP.Endpoint, "/v1/metrics")))
	}
	if len(c.OTLP.Headers) > 0 {
		opts = append(opts, otlpmetrichttp.WithHeaders(c.OTLP.Headers))
	}
	if c.OTLP.Compression == "gzip" {
		opts = append(opts, otlpmetrichttp.WithCompression(otlpmetrichttp.GzipCompression))
	} else {
		opts = append(opts, otlpmetrichttp.WithCompression(otlpmetrichttp.NoCompression))
	}
	return opts, true
}

// otlpTraceOptions is otlpMetricOptions for the trace exporter.
func (c Config) otlpTraceOptions() ([]otlptracehttp.Option, bool) {
	if !c.OTLP.Traces || !c.otlpEndpointKnown("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
		return nil, false
	}
	opts := []otlptracehttp.Option{otlptracehttp.WithTimeout(c.OTLP.Timeout)}
	if c.OTLP.Endpoint != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(signalURL(c.OTLP.Endpoint, "/v1/traces")))
	}
	if len(c.OTLP.Headers) > 0 {
		opts = append(opts, otlptracehttp.WithHeaders(c.OTLP.Headers))
	}
	if c.OTLP.Compression == "gzip" {
		opts = append(opts, otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
	} else {
		opts = append(opts, otlptracehttp.WithCompression(otlptracehttp.NoCompression))
	}
	return opts, true
}

func (c Config) otlpEndpointKnown(signalVar string) bool {
	return c.OTLP.Endpoint != "" || os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv(signalVar) != ""
}

// signalURL appends a signal's path to a base endpoint URL, as the OTLP
// specification does for OTEL_EXPORTER_OTLP_ENDPOINT.
func signalURL(base, signalPath string) string {
	return strings.TrimRight(base, "/") + signalPath
}

// MeterProvider returns the meter provider Setup installed globally, for
// libraries that take one explicitly (such as franz-go's kotel plugin).
func (t *Telemetry) MeterProvider() metric.MeterProvider { return t.meters }

// TracerProvider returns the tracer provider Setup installed globally.
func (t *Telemetry) TracerProvider() trace.TracerProvider { return t.tracers }

// Handler returns the HTTP handler of the health server: the metrics path
// (when Prometheus is on), /healthz and /readyz.
func (t *Telemetry) Handler() http.Handler { return t.handler }

// Addr returns the host:port the health server listens on (with the real
// port when Listen asked for port 0), or "" when Listen is empty.
func (t *Telemetry) Addr() string { return t.addr }

// Serve serves Handler on the address Setup bound until ctx is done, then
// shuts the server down gracefully and returns nil. With an empty Listen it
// returns nil at once. It may be called once.
func (t *Telemetry) Serve(ctx context.Context) error {
	if t.addr == "" {
		return nil
	}
	t.mu.Lock()
	ln, served := t.ln, t.served
	t.ln, t.served = nil, true
	t.mu.Unlock()
	if served {
		return errors.New("telemetry: Serve called twice")
	}
	if ln == nil {
		return errors.New("telemetry: Serve called after Shutdown")
	}
	return t.ServeListener(ctx, ln)
}

// ServeListener serves Handler on a listener the caller opened, as Serve
// does; it closes ln.
func (t *Telemetry) ServeListener(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           t.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(t.logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	t.logger.Info("telemetry: serving", "addr", ln.Addr().String(),
		"metrics", t.cfg.Prometheus, "metrics_path", t.cfg.MetricsPath,
		"otlp_metrics", t.otlpMetrics, "otlp_traces", t.otlpTraces)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("telemetry: serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("telemetry: shut down server on %s: %w", ln.Addr(), err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("telemetry: serve on %s: %w", ln.Addr(), err)
	}
	return nil
}

// Shutdown flushes pending metrics and spans to the exporters and stops
// them. It is idempotent: later calls return the first call's result.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	t.shutdownOnce.Do(func() {
		var errs []error
		t.mu.Lock()
		if t.ln != nil { // never served
			_ = t.ln.Close()
			t.ln = nil
		}
		t.mu.Unlock()
		if err := t.tracers.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("telemetry: shut down tracer provider: %w", err))
		}
		if err := t.meters.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("telemetry: shut down meter provider: %w", err))
		}
		t.shutdownErr = errors.Join(errs...)
	})
	return t.shutdownErr
}
