package clickhouse

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
)

// Option configures New.
type Option func(*options)

type options struct {
	logger    *slog.Logger
	lookupEnv func(string) (string, bool)
}

// WithLogger sets the logger of the server's notable events; each request
// is logged at debug level. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithLookupEnv sets how the users' PasswordEnv variables are read.
// Default os.LookupEnv.
func WithLookupEnv(f func(string) (string, bool)) Option {
	return func(o *options) { o.lookupEnv = f }
}

// Server serves ClickHouse's HTTP interface over the embedded Engine, so
// that clickhouse-go (Protocol: clickhouse.HTTP), curl, Grafana and DBeaver
// talk to it as to a ClickHouse server:
//
//   - GET and POST on / with the query in the query parameter or the body
//     (the parameter, a line break, then the body, as ClickHouse joins
//     them); INSERT data inline in the body in any input format (Native,
//     RowBinary, JSONEachRow, CSV, TabSeparated, ...); the database and
//     default_format parameters (or X-ClickHouse-Database and
//     X-ClickHouse-Format headers); param_<name> for {name:Type}
//     placeholders; every other parameter is a setting for this query,
//     except the client-side ones (user, password, query_id, compress,
//     decompress, client_protocol_version, session_*, ...).
//   - GET and HEAD run with readonly=2, as on ClickHouse.
//   - Native results re-encoded for the client's client_protocol_version.
//   - Compression: Content-Encoding gzip, deflate, br, zstd and lz4 bodies;
//     gzip, deflate, br and zstd results when Accept-Encoding offers them
//     (enable_http_compression, on by default since ClickHouse 25); and
//     ClickHouse's block compression (decompress=1, compress=1).
//   - Errors as ClickHouse answers them: the HTTP status of the code, the
//     body "Code: N. DB::Exception: ...", X-ClickHouse-Exception-Code.
//   - X-ClickHouse-Query-Id, X-ClickHouse-Format, X-ClickHouse-Summary,
//     X-ClickHouse-Timezone headers; /ping and / answer "Ok.".
//   - Users from Config with passwords (basic authentication,
//     X-ClickHouse-User and X-ClickHouse-Key, or user and password
//     parameters); a read-only user runs with readonly=1 on its own
//     engine session: it may only bound its own query (a shorter
//     max_execution_time, max_threads, result limits, output format
//     settings), as ClickHouse's changeable_in_readonly constraints allow.
//
// Not supported: external data (multipart/form-data, 501), HTTP sessions
// (session_id is ignored: SET and USE last for their request), JWT and
// certificate authentication, progress headers. Writers are trusted as a
// ClickHouse administrator is: chDB does not confine file() and url() to
// user_files_path, so a read-write user reaches the host's files and
// network; readonly=1 users cannot use table functions.
//
// Requests are served concurrently; statements run one at a time on the
// engine, and /ping never waits for them.
type Server struct {
	cfg      Config
	engine   *Engine
	accounts *accounts
	ln       net.Listener
	srv      *http.Server
	slots    chan struct{}
	// columns is what clickhouse-go's column library needs to know of the
	// server to read Native output.
	columns  column.ServerContext
	hostname string
	logger   *slog.Logger

	running   atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// New validates cfg, opens the engine on cfg.DataDir and binds cfg.Listen.
// It fails with ErrNoLibrary (wrapped) when libchdb.so is missing. Serve
// with Run; Close releases everything when Run is not called.
func New(cfg Config, opts ...Option) (*Server, error) {
	o := options{logger: slog.Default(), lookupEnv: os.LookupEnv}
	for _, opt := range opts {
		opt(&o)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("clickhouse config: %w", err)
	}
	if strings.TrimSpace(cfg.DataDir) == "" {
		return nil, errors.New("clickhouse config: data_dir: must be set")
	}
	accts, err := newAccounts(cfg.Users, o.lookupEnv)
	if err != nil {
		return nil, err
	}
	engine, err := OpenEngine(EngineConfig{Library: cfg.Library, DataDir: cfg.DataDir, Settings: cfg.engineSettings()})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("clickhouse http interface: listen on %s: %w", cfg.Listen, err), engine.Close())
	}
	tz, err := time.LoadLocation(engine.Timezone())
	if err != nil {
		tz = time.UTC
	}
	columns := column.ServerContext{Timezone: tz}
	if v := strings.SplitN(engine.Version(), ".", 4); len(v) >= 3 {
		columns.VersionMajor, _ = strconv.ParseUint(v[0], 10, 64)
		columns.VersionMinor, _ = strconv.ParseUint(v[1], 10, 64)
		columns.VersionPatch, _ = strconv.ParseUint(v[2], 10, 64)
	}
	hostname, err := os.Hostname()
	if err != nil {
		hostname = "localhost"
	}
	s := &Server{
		cfg:      cfg,
		engine:   engine,
		accounts: accts,
		ln:       ln,
		slots:    make(chan struct{}, cfg.MaxQueuedQueries),
		columns:  columns,
		hostname: hostname,
		logger:   o.logger,
	}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(o.logger.Handler(), slog.LevelDebug),
	}
	return s, nil
}

// Addr is the address the HTTP interface listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the base URL of the HTTP interface, e.g. "http://127.0.0.1:8123".
func (s *Server) URL() string { return "http://" + s.Addr() }

// Engine is the engine the server serves.
func (s *Server) Engine() *Engine { return s.engine }

// Run serves until ctx ends, then stops accepting requests, waits up to
// ShutdownTimeout for those in flight and closes the engine. It returns nil
// after a shutdown asked by ctx, and the error that stopped it otherwise.
// Run is called at most once.
func (s *Server) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("clickhouse http interface: Run called twice")
	}
	s.logger.Info("embedded clickhouse serving", "url", s.URL(), "data", s.engine.DataDir(),
		"version", s.engine.Version(), "open_time", s.engine.OpenTime().Round(time.Millisecond))
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		if err := s.srv.Shutdown(sctx); err != nil {
			s.logger.Warn("embedded clickhouse: requests still running at shutdown timeout, closing their connections",
				"timeout", s.cfg.ShutdownTimeout)
			_ = s.srv.Close()
		}
		cancel()
		serveErr = <-errc
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	} else if serveErr != nil {
		serveErr = fmt.Errorf("clickhouse http interface on %s: %w", s.Addr(), serveErr)
	}
	err := errors.Join(serveErr, s.Close())
	s.logger.Info("embedded clickhouse stopped", "url", s.URL(), "error", err)
	return err
}

// Close stops serving at once and closes the engine. It is idempotent and
// safe for concurrent use; Run returns after it.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		_ = s.srv.Close()
		_ = s.ln.Close()
		if err := s.engine.Close(); err != nil {
			s.closeErr = fmt.Errorf("close embedded clickhouse: %w", err)
		}
	})
	return s.closeErr
}

// ServeHTTP answers /ping and /replicas_status with "Ok." without touching
// the engine, and queries on /.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/ping", "/replicas_status":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
			return
		}
		writeOk(w, r)
	case "/":
		s.serveQuery(w, r)
	default:
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = fmt.Fprintf(w, "There is no handle %s\n\nUse / or /ping for health checks.\n"+
			"Send queries with POST, or GET /?query=...\n", printable(r.URL.Path))
	}
}

// writeOk writes ClickHouse's "Ok.\n".
func writeOk(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	w.Header().Set("Content-Length", "4")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, "Ok.\n")
	}
}

// serveQuery runs the query of one request on the engine.
func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	readonly := 0
	switch r.Method {
	case http.MethodPost:
	case http.MethodGet, http.MethodHead:
		readonly = 2
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		s.fail(w, r, "", newException(codeNotImplemented, "HTTP method %s is not supported: use GET or POST", printable(r.Method)))
		return
	}
	req, ex := parseRequest(r.URL.RawQuery, r.Header)
	if ex != nil {
		s.fail(w, r, "", ex)
		return
	}
	if req.queryID == "" {
		req.queryID = newQueryID()
	}
	if readonly == 2 && !req.hasQuery && r.ContentLength <= 0 {
		writeOk(w, r) // GET / is ClickHouse's health check too
		return
	}
	acct, ex := s.accounts.authenticate(req.user, req.password)
	if ex != nil {
		s.logger.Debug("clickhouse request refused", "user", printable(req.user), "remote", r.RemoteAddr, "error", ex.Text)
		s.fail(w, r, req.queryID, ex)
		return
	}
	if acct.readonly {
		readonly = 1
	}
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "multipart/form-data") {
		s.fail(w, r, req.queryID, newException(codeNotImplemented, "External data (multipart/form-data) is not supported by the embedded engine"))
		return
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	default:
		s.fail(w, r, req.queryID, newException(codeTooManySimultaneousQueries, "Too many simultaneous queries. Maximum: %d", s.cfg.MaxQueuedQueries))
		return
	}

	var sql bytes.Buffer
	if r.ContentLength > 0 && r.Header.Get("Content-Encoding") == "" && !req.decompress {
		sql.Grow(len(req.query) + 1 + int(min(r.ContentLength, s.cfg.MaxBodySize)))
	}
	if req.query != "" {
		sql.WriteString(req.query)
		sql.WriteByte('\n')
	}
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBodySize)
	if ex := readBody(&sql, body, r.Header.Get("Content-Encoding"), req.decompress, s.cfg.MaxBodySize); ex != nil {
		s.fail(w, r, req.queryID, ex)
		return
	}

	q := Query{
		SQL:      sql.Bytes(),
		Format:   req.format,
		Database: req.database,
		Settings: req.settings,
		Params:   req.params,
		ReadOnly: readonly,
	}
	res, err := s.engine.Exec(r.Context(), q)
	if err != nil {
		if r.Context().Err() != nil {
			s.logger.Debug("clickhouse request abandoned by the client", "user", acct.name, "query_id", req.queryID, "error", err)
			return
		}
		var ex *Exception
		switch {
		case errors.As(err, &ex):
			if readonly == 2 && ex.Code == codeReadonly && strings.Contains(ex.Text, "Cannot execute query in readonly mode") {
				ex = newException(codeReadonly, "Cannot execute query in readonly mode. For queries over HTTP, method GET implies readonly. You should use method POST for modifying queries")
			}
		case errors.Is(err, ErrEngineClosed):
			ex = newException(codeAborted, "The embedded ClickHouse engine is shutting down")
		default:
			ex = newException(codeUnknownException, "%s", err.Error())
		}
		s.logger.Debug("clickhouse query failed", "user", acct.name, "query_id", req.queryID, "code", ex.Code, "elapsed", time.Since(start))
		s.fail(w, r, req.queryID, ex)
		return
	}
	defer res.Close()

	format := outputFormat(q.SQL)
	if format == "" {
		format = req.format
	}
	if format == "" {
		format = "TabSeparated"
	}
	data := res.Data()
	if strings.EqualFold(format, "Native") && req.revision > 0 && len(data) > 0 {
		sc := s.columns
		sc.Revision = req.revision
		data, err = reencodeNative(make([]byte, 0, len(data)+len(data)/8), data, req.revision, sc)
		if err != nil {
			s.logger.Warn("clickhouse native result cannot be re-encoded for the client", "query_id", req.queryID, "revision", req.revision, "error", err)
			s.fail(w, r, req.queryID, newException(codeNotImplemented, "Cannot encode the Native result for client_protocol_version %d: %s", req.revision, err.Error()))
			return
		}
	}
	stats := res.Stats()
	stats.Elapsed = time.Since(start)
	if err := s.writeResult(w, r, req, format, data, stats); err != nil {
		s.logger.Debug("clickhouse result not delivered", "query_id", req.queryID, "error", err)
	}
	s.logger.Debug("clickhouse query", "user", acct.name, "query_id", req.queryID, "format", format,
		"result_bytes", len(data), "written_rows", stats.WrittenRows, "elapsed", stats.Elapsed)
}

// minCompressSize is the smallest result compressed for Content-Encoding;
// below it compression costs more than it saves.
const minCompressSize = 512

// writeResult writes a successful result with ClickHouse's headers and the
// compression the request asked for.
func (s *Server) writeResult(w http.ResponseWriter, r *http.Request, req *request, format string, data []byte, stats Stats) error {
	h := w.Header()
	h.Set("Content-Type", contentType(format))
	h.Set("X-ClickHouse-Format", format)
	h.Set("X-ClickHouse-Timezone", s.engine.Timezone())
	h.Set("X-ClickHouse-Server-Display-Name", s.hostname)
	h.Set("X-ClickHouse-Query-Id", req.queryID)
	h.Set("X-ClickHouse-Summary", summary(stats))
	if len(data) == 0 || r.Method == http.MethodHead {
		h.Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodHead {
			return nil
		}
		_, err := w.Write(data)
		return err
	}
	enc := ""
	if len(data) >= minCompressSize && settingOn(req.settings, "enable_http_compression", true) {
		enc = httpEncoding(r.Header.Get("Accept-Encoding"))
	}
	var blocks *blockWriter
	if req.compress {
		var ex *Exception
		if blocks, ex = newBlockWriter(nil, req.settings["network_compression_method"]); ex != nil {
			s.fail(w, r, req.queryID, ex)
			return nil
		}
	}
	if enc == "" && blocks == nil {
		h.Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusOK)
		_, err := w.Write(data)
		return err
	}
	level := 3
	if v, err := strconv.Atoi(req.settings["http_zlib_compression_level"]); err == nil {
		level = min(max(v, 1), 9)
	}
	encoder, err := newHTTPEncoder(w, enc, level)
	if err != nil {
		return err
	}
	if enc != "" {
		h.Set("Content-Encoding", enc)
	}
	w.WriteHeader(http.StatusOK)
	var out io.Writer = encoder
	if blocks != nil {
		blocks.w = encoder
		out = blocks
	}
	if _, err := out.Write(data); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	if blocks != nil {
		if err := blocks.Close(); err != nil {
			return fmt.Errorf("write result: %w", err)
		}
	}
	if err := encoder.Close(); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}

// fail answers with an exception as ClickHouse does.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, queryID string, ex *Exception) {
	h := w.Header()
	h.Del("Content-Encoding")
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("X-ClickHouse-Exception-Code", strconv.Itoa(ex.Code))
	h.Set("X-ClickHouse-Server-Display-Name", s.hostname)
	if queryID != "" {
		h.Set("X-ClickHouse-Query-Id", queryID)
	}
	body := ex.Text + "\n"
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(ex.HTTPStatus())
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, body)
	}
}

// summary renders X-ClickHouse-Summary.
func summary(st Stats) string {
	return fmt.Sprintf(`{"read_rows":"%d","read_bytes":"%d","written_rows":"%d","written_bytes":"%d",`+
		`"total_rows_to_read":"%d","result_rows":"%d","result_bytes":"%d","elapsed_ns":"%d"}`,
		st.ReadRows, st.ReadBytes, st.WrittenRows, st.WrittenBytes, st.ReadRows, st.ResultRows, st.ResultBytes, st.Elapsed.Nanoseconds())
}

// contentType is the Content-Type ClickHouse sends for an output format.
func contentType(format string) string {
	f := strings.ToLower(format)
	switch {
	case strings.HasPrefix(f, "tabseparated") || strings.HasPrefix(f, "tsv"):
		return "text/tab-separated-values; charset=UTF-8"
	case strings.HasPrefix(f, "csv"):
		if strings.Contains(f, "withnames") {
			return "text/csv; charset=UTF-8; header=present"
		}
		return "text/csv; charset=UTF-8; header=absent"
	case f == "jsoneachrow" || f == "jsonlines" || f == "ndjson" || f == "jsoncompacteachrow":
		return "application/x-ndjson; charset=UTF-8"
	case strings.HasPrefix(f, "json"):
		return "application/json; charset=UTF-8"
	case f == "xml":
		return "application/xml; charset=UTF-8"
	case f == "native" || strings.HasPrefix(f, "rowbinary") || f == "parquet" || f == "arrow" || f == "arrowstream" ||
		f == "orc" || f == "avro" || f == "protobuf" || f == "msgpack" || f == "capnproto" || f == "npy":
		return "application/octet-stream"
	}
	return "text/plain; charset=UTF-8"
}

// settingOn reads a boolean setting of the request, def when absent or not
// a boolean.
func settingOn(settings map[string]string, name string, def bool) bool {
	v, ok := settings[name]
	if !ok {
		return def
	}
	b, err := parseBool(v)
	if err != nil {
		return def
	}
	return b
}

// newQueryID returns a random UUID, as ClickHouse gives a query without one.
func newQueryID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
