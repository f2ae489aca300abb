package input

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/aitdr/aitdr/ingest/pipeline"
	"github.com/aitdr/aitdr/schemas"
)

// Header names of the HTTP input.
const (
	// HeaderSource names the source product of the records of a request,
	// like the path /v1/events/{source} and the query parameter source.
	HeaderSource = "X-Aitdr-Source"
	// HeaderRequestID is the request id: taken from the request when it is
	// 1 to 64 letters, digits, '.', '_' or '-', else generated, and always
	// answered. Dead letters name it in their input header.
	HeaderRequestID = "X-Request-Id"
)

// HTTP is the HTTP input of the ingest stage (aitdr ingest serve, part of
// aitdr run). It serves:
//
//   - POST /v1/events, POST /v1/events/{source}: a batch of source records.
//     The body is NDJSON (Content-Type application/x-ndjson; also
//     application/ndjson and application/jsonl), or JSON (application/json):
//     an array of records or one object, a record or a container such as a
//     CloudTrail log file ({"Records": [...]}), which the source splits.
//     Content-Encoding gzip is accepted. The source product of the records
//     ("aws.cloudtrail", "okta", ...) is named by the path, the query
//     parameter source or the X-Aitdr-Source header, or else detected per
//     record. The request carries "Authorization: Bearer <token>".
//   - GET /healthz: 200 while the process serves.
//
// Answers to POST, each a JSON object:
//
//   - 202 Accepted, {"request_id", "accepted": N, "rejected": M, "errors":
//     [{"index", "line", "record", "reason"}], "errors_omitted"}: every
//     record is on Kafka, acknowledged by the brokers; the N events on the
//     events topic and the M rejected records on the dead-letter topic,
//     with their reason. index is the 0-based position of the record in
//     the body (the array element, or the record line of NDJSON, blank
//     lines not counted), line its 1-based line in NDJSON, record its
//     0-based index inside a container that held several. At most
//     MaxErrors errors are listed.
//   - 400 Bad Request, {"error", "errors"}: the body as a whole is not
//     JSON or NDJSON (with the position of the syntax error), is empty, or
//     no line of NDJSON is a JSON object (the reason of each line in
//     errors); or the source name is unknown. Nothing was published.
//   - 401 Unauthorized with WWW-Authenticate: no token, or a wrong one.
//   - 413 Content Too Large: the body is over MaxBodyBytes, or over
//     MaxDecompressedBytes once decompressed.
//   - 415 Unsupported Media Type: another Content-Type, charset or
//     Content-Encoding.
//   - 503 Service Unavailable with Retry-After: the brokers did not
//     acknowledge every record within AckTimeout (or the server was too
//     busy to start within it). The client must send the request again:
//     some of its records may be on Kafka already, so a retry can
//     duplicate them (at-least-once; events keep their deterministic ids,
//     so duplicates can be dropped downstream).
//
// Create it with NewHTTP; run it with Run or Serve. It is safe for
// concurrent use.
type HTTP struct {
	cfg    HTTPConfig
	proc   Processor
	pub    *Publisher
	opts   options
	tokens [][sha256.Size]byte
	slots  chan struct{}
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
	ins    *recordInstruments

	requests metric.Int64Counter
	duration metric.Float64Histogram

	bufs sync.Pool
	// lastWarn is when a 503 was last logged (Unix nanoseconds): during
	// an outage of Kafka one line per warnInterval, the metric counts all.
	lastWarn atomic.Int64
}

// warnInterval is the least time between two logged 503 answers.
const warnInterval = 10 * time.Second

// NewHTTP returns the HTTP input over proc (the pipeline) and pub. It
// validates cfg, reads the tokens from the token file and the environment,
// and fails listing every problem; it does not listen: Run does.
func NewHTTP(cfg HTTPConfig, proc Processor, pub *Publisher, opts ...Option) (*HTTP, error) {
	if proc == nil || pub == nil {
		return nil, errors.New("ingest http input: nil processor or publisher")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ingest http input config: %w", err)
	}
	cfg = cfg.withDefaults()
	tokens, err := cfg.tokenHashes()
	if err != nil {
		return nil, fmt.Errorf("ingest http input config: %w", err)
	}
	h := &HTTP{
		cfg:    cfg,
		proc:   proc,
		pub:    pub,
		opts:   newOptions(opts),
		tokens: tokens,
		slots:  make(chan struct{}, cfg.MaxConcurrentRequests),
		prop:   propagation.TraceContext{},
	}
	h.tracer = h.opts.tp.Tracer(instrumentation)
	m := h.opts.mp.Meter(instrumentation)
	if h.ins, err = newRecordInstruments(m, "http"); err != nil {
		return nil, fmt.Errorf("ingest http input: %w", err)
	}
	if h.requests, err = m.Int64Counter(MetricHTTPRequests, metric.WithUnit("{request}"),
		metric.WithDescription("HTTP requests answered by the ingest HTTP input, by status.")); err != nil {
		return nil, fmt.Errorf("ingest http input: create metric %s: %w", MetricHTTPRequests, err)
	}
	if h.duration, err = m.Float64Histogram(MetricHTTPDuration, metric.WithUnit("s"),
		metric.WithDescription("Time from an HTTP request's arrival to its answer, records acknowledged, by status."),
		metric.WithExplicitBucketBoundaries(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30)); err != nil {
		return nil, fmt.Errorf("ingest http input: create metric %s: %w", MetricHTTPDuration, err)
	}
	if cfg.Auth.Disabled {
		h.opts.log.Warn("ingest http input: bearer-token authentication disabled", "listen", cfg.Listen)
	}
	return h, nil
}

// Handler returns the handler of the input's routes, for tests and for
// callers that serve it on a server of their own.
func (h *HTTP) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/events", h.serveEvents)
	mux.HandleFunc("POST /v1/events/{source}", h.serveEvents)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return mux
}

// Run listens on Config.Listen and serves until ctx ends, then shuts down
// gracefully (see Serve). It returns nil after a clean shutdown.
func (h *HTTP) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", h.cfg.Listen)
	if err != nil {
		return fmt.Errorf("ingest http input: listen on %s: %w", h.cfg.Listen, err)
	}
	return h.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends, then stops accepting connections,
// lets the requests in progress finish (their records acknowledged and
// answered) within Config.ShutdownTimeout, closes the connections and
// returns. It returns nil after a clean shutdown, and the error that
// stopped the server otherwise. Serve closes ln.
func (h *HTTP) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           h.Handler(),
		ReadHeaderTimeout: min(h.cfg.ReadTimeout, 10*time.Second),
		ReadTimeout:       h.cfg.ReadTimeout,
		// From the end of the headers: a slot, the body, the records.
		WriteTimeout:   h.cfg.ReadTimeout + 2*h.cfg.AckTimeout + 5*time.Second,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(h.opts.log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() {
		var err error
		if h.cfg.TLS.CertFile != "" {
			err = srv.ServeTLS(ln, h.cfg.TLS.CertFile, h.cfg.TLS.KeyFile)
		} else {
			err = srv.Serve(ln)
		}
		done <- err
	}()
	h.opts.log.Info("ingest http input listening", "addr", ln.Addr().String(), "tls", h.cfg.TLS.CertFile != "")
	select {
	case err := <-done:
		return fmt.Errorf("ingest http input: serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		err = errors.Join(fmt.Errorf("ingest http input: graceful shutdown within %s: %w", h.cfg.ShutdownTimeout, err), srv.Close())
	}
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("ingest http input: serve: %w", serr))
	}
	return err
}

// response is the JSON answer to POST /v1/events.
type response struct {
	RequestID     string        `json:"request_id"`
	Error         string        `json:"error,omitempty"`
	Accepted      *int64        `json:"accepted,omitempty"`
	Rejected      *int64        `json:"rejected,omitempty"`
	Errors        []RecordError `json:"errors,omitempty"`
	ErrorsOmitted int           `json:"errors_omitted,omitempty"`
}

// RecordError is a rejected record in an answer of the HTTP input.
type RecordError struct {
	// Index is the 0-based position of the record in the body: the array
	// element, or the record line of NDJSON (blank lines not counted).
	Index int `json:"index"`
	// Line is the 1-based line of an NDJSON record; 0 otherwise.
	Line int `json:"line,omitempty"`
	// Record is the 0-based index of the record inside a container (such
	// as a CloudTrail log file) that held several; nil otherwise.
	Record *int `json:"record,omitempty"`
	// Reason is why the record was rejected.
	Reason string `json:"reason"`
}

// errorList keeps the first max record errors and counts the others.
type errorList struct {
	max     int
	list    []RecordError
	omitted int
}

func (l *errorList) add(it item, record int, reason error) {
	if len(l.list) >= l.max {
		l.omitted++
		return
	}
	e := RecordError{Index: it.index, Line: it.line, Reason: reason.Error()}
	if record >= 0 {
		e.Record = &record
	}
	l.list = append(l.list, e)
}

func (h *HTTP) serveEvents(w http.ResponseWriter, r *http.Request) {
	start := h.opts.now()
	ctx := h.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := h.tracer.Start(ctx, "aitdr.ingest.http", trace.WithSpanKind(trace.SpanKindServer))
	defer span.End()
	id := requestID(r.Header.Get(HeaderRequestID))
	w.Header().Set(HeaderRequestID, id)
	res := h.events(ctx, w, r, id)
	if res.status >= 400 {
		span.SetStatus(codes.Error, res.body.Error)
	}
	if span.IsRecording() {
		span.SetAttributes(attribute.String("aitdr.request_id", id), attrStatus.Int(res.status))
	}
	if !res.gone {
		writeJSON(w, res.status, res.body)
	}
	status := metric.WithAttributes(attrStatus.Int(res.status))
	h.requests.Add(ctx, 1, status)
	h.duration.Record(ctx, h.opts.now().Sub(start).Seconds(), status)
}

// answer is the status and body of an answer.
type answer struct {
	status int
	body   response
	// gone is true when the client went away: nothing is written, and
	// the status is statusClientGone in the metrics.
	gone bool
}

// statusClientGone is the status counted for a request whose client went
// away before the answer (nginx's 499).
const statusClientGone = 499

var goneAnswer = answer{status: statusClientGone, gone: true}

func (h *HTTP) fail(id string, status int, err error) answer {
	return answer{status: status, body: response{RequestID: id, Error: err.Error()}}
}

// events handles POST /v1/events.
func (h *HTTP) events(ctx context.Context, w http.ResponseWriter, r *http.Request, id string) answer {
	if a, ok := h.authorize(w, r, id); !ok {
		return a
	}
	hint, err := h.hint(r)
	if err != nil {
		return h.fail(id, http.StatusBadRequest, err)
	}
	f, gz, a, ok := h.negotiate(w, r, id)
	if !ok {
		return a
	}
	if r.ContentLength > h.cfg.MaxBodyBytes {
		return h.fail(id, http.StatusRequestEntityTooLarge,
			fmt.Errorf("body of %d bytes is over the %d-byte limit", r.ContentLength, h.cfg.MaxBodyBytes))
	}

	// A slot bounds the bodies held in memory.
	wait, cancel := context.WithTimeout(ctx, h.cfg.AckTimeout)
	select {
	case h.slots <- struct{}{}:
		cancel()
	case <-wait.Done():
		cancel()
		if ctx.Err() != nil {
			return goneAnswer
		}
		w.Header().Set("Retry-After", "1")
		return h.fail(id, http.StatusServiceUnavailable, fmt.Errorf("server busy: no slot among %d within %s", h.cfg.MaxConcurrentRequests, h.cfg.AckTimeout))
	}
	defer func() { <-h.slots }()

	buf := h.buffer()
	defer h.release(buf)
	if a, ok := h.read(w, r, id, gz, buf); !ok {
		return a
	}
	items, err := splitBody(buf.Bytes(), f)
	if err != nil {
		a := h.fail(id, http.StatusBadRequest, fmt.Errorf("%s body: %w", f, err))
		l := errorList{max: h.cfg.MaxErrors}
		for _, it := range items {
			if it.err != nil {
				l.add(it, -1, it.err)
			}
		}
		a.body.Errors, a.body.ErrorsOmitted = l.list, l.omitted
		return a
	}
	return h.publish(ctx, w, id, hint, items)
}

// publish normalizes the items and publishes the results, and answers 202
// once the brokers acknowledged them all.
func (h *HTTP) publish(ctx context.Context, w http.ResponseWriter, id string, hint schemas.Product, items []item) answer {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.AckTimeout)
	defer cancel()
	batch := h.pub.NewBatch()
	errs := errorList{max: h.cfg.MaxErrors}
	var counts pipeline.Counts
	// stopped is why not every item was processed: ctx ended, or the
	// batch failed.
	var stopped error
	prefix := "http request " + id
	for _, it := range items {
		base := prefix
		switch {
		case it.element:
			base += " index " + strconv.Itoa(it.index)
		case it.line > 0:
			base += " line " + strconv.Itoa(it.line)
		}
		if it.err != nil {
			counts = counts.Add(pipeline.Counts{In: 1, Rejected: 1})
			errs.add(it, -1, it.err)
			if stopped = batch.Reject(ctx, it.data, hint, base, it.err); stopped != nil {
				break
			}
			continue
		}
		c, err := deliver(ctx, h.proc, it.data, hint, func(res pipeline.Result, record int) {
			if res.Err != nil {
				errs.add(it, record, res.Err)
			}
			if stopped == nil {
				stopped = batch.Add(ctx, res, origin(base, record))
			}
		})
		counts = counts.Add(c)
		if err != nil && stopped == nil {
			stopped = fmt.Errorf("normalize the records: %w", err)
		}
		if stopped != nil {
			break
		}
	}
	tally, err := batch.Wait(ctx, counts)
	if stopped != nil {
		// Some records were not published: the request fails as a whole.
		err = errors.Join(stopped, err)
	}
	switch {
	case errors.Is(err, ErrUnbalanced):
		h.opts.log.Error("ingest http input: records do not balance", "request_id", id, "err", err)
		return h.fail(id, http.StatusInternalServerError, err)
	case err != nil && ctx.Err() != nil && context.Cause(ctx) == context.Canceled:
		return goneAnswer
	case err != nil:
		if now, last := h.opts.now().UnixNano(), h.lastWarn.Load(); now-last >= int64(warnInterval) && h.lastWarn.CompareAndSwap(last, now) {
			h.opts.log.Warn("ingest http input: records not acknowledged, answering 503 (logged once per interval; see the metric "+MetricHTTPRequests+")",
				"request_id", id, "interval", warnInterval, "err", err)
		}
		w.Header().Set("Retry-After", "1")
		return h.fail(id, http.StatusServiceUnavailable, fmt.Errorf("records not acknowledged by Kafka, send the request again: %w", err))
	}
	h.ins.record(ctx, tally)
	return answer{status: http.StatusAccepted, body: response{
		RequestID:     id,
		Accepted:      &tally.Events,
		Rejected:      &tally.DeadLettered,
		Errors:        errs.list,
		ErrorsOmitted: errs.omitted,
	}}
}

// authorize checks the bearer token.
func (h *HTTP) authorize(w http.ResponseWriter, r *http.Request, id string) (answer, bool) {
	if h.cfg.Auth.Disabled {
		return answer{}, true
	}
	const challenge = `Bearer realm="aitdr ingest"`
	auth := r.Header.Get("Authorization")
	scheme, token, found := strings.Cut(auth, " ")
	if auth == "" || !found || !strings.EqualFold(scheme, "Bearer") {
		w.Header().Set("WWW-Authenticate", challenge)
		return h.fail(id, http.StatusUnauthorized, errors.New("missing bearer token: send Authorization: Bearer <token>")), false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	match := 0
	for i := range h.tokens {
		match |= subtle.ConstantTimeCompare(sum[:], h.tokens[i][:])
	}
	if match != 1 {
		w.Header().Set("WWW-Authenticate", challenge+`, error="invalid_token"`)
		return h.fail(id, http.StatusUnauthorized, errors.New("invalid bearer token")), false
	}
	return answer{}, true
}

// hint returns the source product the request names, if any.
func (h *HTTP) hint(r *http.Request) (schemas.Product, error) {
	var hint schemas.Product
	var from string
	for _, c := range []struct{ from, value string }{
		{"path", r.PathValue("source")},
		{"query parameter source", r.URL.Query().Get("source")},
		{"header " + HeaderSource, r.Header.Get(HeaderSource)},
	} {
		v := schemas.Product(strings.TrimSpace(c.value))
		switch {
		case v == "":
		case hint == "":
			hint, from = v, c.from
		case v != hint:
			return "", fmt.Errorf("source %q in the %s differs from %q in the %s", v, c.from, hint, from)
		}
	}
	if err := checkHint(h.proc, hint); err != nil {
		return "", fmt.Errorf("%s: %w", from, err)
	}
	return hint, nil
}

// ndjsonTypes are the media types of NDJSON bodies.
var ndjsonTypes = map[string]bool{
	"application/x-ndjson":    true,
	"application/ndjson":      true,
	"application/jsonl":       true,
	"application/x-jsonl":     true,
	"application/jsonlines":   true,
	"application/x-jsonlines": true,
}

// negotiate checks the Content-Type and Content-Encoding of a request.
func (h *HTTP) negotiate(w http.ResponseWriter, r *http.Request, id string) (f format, gz bool, a answer, ok bool) {
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		gz = true
	default:
		w.Header().Set("Accept-Encoding", "gzip")
		return 0, false, h.fail(id, http.StatusUnsupportedMediaType, fmt.Errorf("content encoding %q not supported: send gzip or none", enc)), false
	}
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	switch {
	case ct == "":
		err = errors.New("no Content-Type")
	case err != nil:
		err = fmt.Errorf("content type %q: %w", ct, err)
	case mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"):
		f = formatJSON
	case ndjsonTypes[mt]:
		f = formatNDJSON
	default:
		err = fmt.Errorf("content type %q not supported", mt)
	}
	if cs, set := params["charset"]; err == nil && set && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		err = fmt.Errorf("charset %q not supported", cs)
	}
	if err != nil {
		return 0, false, h.fail(id, http.StatusUnsupportedMediaType,
			fmt.Errorf("%w: send application/x-ndjson (one JSON object per line) or application/json (an array of objects, or one object), in UTF-8", err)), false
	}
	return f, gz, answer{}, true
}

// read reads the body into buf, decompressing it, within the limits.
func (h *HTTP) read(w http.ResponseWriter, r *http.Request, id string, gz bool, buf *bytes.Buffer) (answer, bool) {
	body := http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes)
	var src io.Reader = body
	limit := h.cfg.MaxBodyBytes
	if gz {
		zr, err := gzip.NewReader(body)
		if err != nil {
			return h.readError(id, "gzip body", err)
		}
		defer zr.Close()
		src, limit = zr, h.cfg.MaxDecompressedBytes
	}
	if r.ContentLength > 0 && !gz {
		// ReadFrom wants MinRead bytes of room to see the end.
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	n, err := buf.ReadFrom(io.LimitReader(src, limit+1))
	if err != nil {
		return h.readError(id, "body", err)
	}
	if n > limit {
		return h.fail(id, http.StatusRequestEntityTooLarge,
			fmt.Errorf("decompressed body over the %d-byte limit", h.cfg.MaxDecompressedBytes)), false
	}
	return answer{}, true
}

// readError answers a failure to read the body.
func (h *HTTP) readError(id, what string, err error) (answer, bool) {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return h.fail(id, http.StatusRequestEntityTooLarge, fmt.Errorf("body over the %d-byte limit", tooLarge.Limit)), false
	case errors.Is(err, os.ErrDeadlineExceeded):
		return h.fail(id, http.StatusRequestTimeout, fmt.Errorf("read %s: %w", what, err)), false
	}
	return h.fail(id, http.StatusBadRequest, fmt.Errorf("read %s: %w", what, err)), false
}

// maxPooledBuffer is the largest body buffer kept for reuse.
const maxPooledBuffer = 16 << 20

func (h *HTTP) buffer() *bytes.Buffer {
	if b, ok := h.bufs.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

func (h *HTTP) release(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	h.bufs.Put(b)
}

// requestID returns the client's request id when it is safe to log and
// echo, else a random one.
func requestID(client string) string {
	if n := len(client); n > 0 && n <= 64 && !strings.ContainsFunc(client, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
	}) {
		return client
	}
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand.Read)
	return hex.EncodeToString(b[:])
}

// writeJSON writes v as the JSON body of an answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v) // the client may be gone; nothing to do about it
}
