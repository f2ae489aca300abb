package telemetry

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config configures OpenTelemetry metrics and traces and the health server of
// one aitdr process. The zero value is not usable: start from DefaultConfig.
// The configuration file embeds it as the "telemetry:" section.
type Config struct {
	// ServiceName is the service.name resource attribute of every metric and
	// span. OTEL_SERVICE_NAME overrides it. Default "aitdr".
	ServiceName string `yaml:"service_name"`
	// ServiceVersion is the service.version resource attribute. Default
	// empty: the main module's version from the build information.
	ServiceVersion string `yaml:"service_version"`
	// Listen is the host:port of the HTTP server with the metrics path,
	// /healthz and /readyz. Empty disables the server. Default
	// "127.0.0.1:9464".
	Listen string `yaml:"listen"`
	// Prometheus serves metrics in the Prometheus text format on MetricsPath.
	// Default true.
	Prometheus bool `yaml:"prometheus"`
	// MetricsPath is where the server exposes Prometheus metrics. Default
	// "/metrics".
	MetricsPath string `yaml:"metrics_path"`
	// ReadinessTimeout bounds each readiness check run by /readyz. Default 2s.
	ReadinessTimeout time.Duration `yaml:"readiness_timeout"`
	// OTLP pushes metrics and traces to an OpenTelemetry collector.
	OTLP OTLP `yaml:"otlp"`
	// Traces configures trace sampling.
	Traces Traces `yaml:"traces"`
	// Logger receives exporter errors. Not read from the file; nil uses
	// slog.Default().
	Logger *slog.Logger `yaml:"-"`
}

// OTLP configures export over OTLP/HTTP with protobuf bodies.
type OTLP struct {
	// Endpoint is the base URL of the collector, such as
	// "http://127.0.0.1:4318"; metrics are posted to Endpoint + "/v1/metrics"
	// and traces to Endpoint + "/v1/traces". Empty falls back to the standard
	// OTEL_EXPORTER_OTLP_ENDPOINT (and OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) variables; with none of them set,
	// nothing is exported over OTLP. Default empty.
	Endpoint string `yaml:"endpoint"`
	// Headers are added to every export request (authentication, tenant).
	// OTEL_EXPORTER_OTLP_HEADERS is honoured when this is empty.
	Headers map[string]string `yaml:"headers"`
	// Compression of request bodies: "gzip" or "none". Default "gzip".
	Compression string `yaml:"compression"`
	// Timeout of one export request. Default 10s.
	Timeout time.Duration `yaml:"timeout"`
	// MetricsInterval is how often metrics are pushed. Default 15s.
	MetricsInterval time.Duration `yaml:"metrics_interval"`
	// Metrics turns the OTLP metric exporter on when an endpoint is known.
	// Default true.
	Metrics bool `yaml:"metrics"`
	// Traces turns the OTLP trace exporter on when an endpoint is known.
	// Default true.
	Traces bool `yaml:"traces"`
}

// Traces configures trace sampling.
type Traces struct {
	// SampleRatio is the share of new traces that are sampled, from 0 (none)
	// to 1 (all). Spans whose parent was sampled (trace context from Kafka or
	// NATS headers) follow their parent's decision. Default 0.01.
	SampleRatio float64 `yaml:"sample_ratio"`
}

// DefaultConfig returns the defaults: Prometheus metrics and health endpoints
// on 127.0.0.1:9464, OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is set, 1% of
// new traces sampled.
func DefaultConfig() Config {
	return Config{
		ServiceName:      "aitdr",
		Listen:           "127.0.0.1:9464",
		Prometheus:       true,
		MetricsPath:      "/metrics",
		ReadinessTimeout: 2 * time.Second,
		OTLP: OTLP{
			Compression:     "gzip",
			Timeout:         10 * time.Second,
			MetricsInterval: 15 * time.Second,
			Metrics:         true,
			Traces:          true,
		},
		Traces: Traces{SampleRatio: 0.01},
	}
}

// FieldError is one problem with one configuration field.
type FieldError struct {
	// Path is the field's path below the telemetry section, such as
	// "otlp.endpoint".
	Path string
	// Problem says what is wrong with it.
	Problem string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Problem }

// Validate returns every problem of the configuration joined with
// errors.Join, each a *FieldError naming its field path; nil when the
// configuration is usable.
func (c Config) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, &FieldError{Path: path, Problem: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(c.ServiceName) == "" {
		bad("service_name", "must not be empty")
	}
	if c.Listen != "" {
		if _, port, err := net.SplitHostPort(c.Listen); err != nil {
			bad("listen", "%q is not host:port", c.Listen)
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			bad("listen", "port %q is not a number from 0 to 65535", port)
		}
	}
	switch p := c.MetricsPath; {
	case !strings.HasPrefix(p, "/"):
		bad("metrics_path", "%q must start with /", p)
	case p == healthzPath || p == readyzPath:
		bad("metrics_path", "%q is taken by the health endpoints", p)
	}
	if c.ReadinessTimeout <= 0 {
		bad("readiness_timeout", "%s must be positive", c.ReadinessTimeout)
	}
	if e := c.OTLP.Endpoint; e != "" {
		if u, err := url.Parse(e); err != nil {
			bad("otlp.endpoint", "%q is not a URL: %v", e, err)
		} else if u.Scheme != "http" && u.Scheme != "https" {
			bad("otlp.endpoint", "%q must be an http:// or https:// URL", e)
		} else if u.Host == "" {
			bad("otlp.endpoint", "%q has no host", e)
		} else if u.RawQuery != "" || u.Fragment != "" {
			bad("otlp.endpoint", "%q must not have a query or fragment", e)
		}
	}
	for k := range c.OTLP.Headers {
		if strings.TrimSpace(k) == "" || strings.ContainsAny(k, " :\r\n") {
			bad("otlp.headers", "%q is not a valid header name", k)
		}
	}
	if c.OTLP.Compression != "gzip" && c.OTLP.Compression != "none" {
		bad("otlp.compression", "%q is not one of gzip, none", c.OTLP.Compression)
	}
	if c.OTLP.Timeout <= 0 {
		bad("otlp.timeout", "%s must be positive", c.OTLP.Timeout)
	}
	if c.OTLP.MetricsInterval < time.Second {
		bad("otlp.metrics_interval", "%s must be at least 1s", c.OTLP.MetricsInterval)
	}
	if r := c.Traces.SampleRatio; math.IsNaN(r) || r < 0 || r > 1 {
		bad("traces.sample_ratio", "%v must be from 0 to 1", r)
	}
	return errors.Join(errs...)
}
