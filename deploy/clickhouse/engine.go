package clickhouse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// EngineConfig configures OpenEngine.
type EngineConfig struct {
	// Library is the path of libchdb.so. Empty: $AITDR_CHDB_LIB, then the
	// dynamic loader's search path.
	Library string
	// DataDir holds the engine's databases (ClickHouse's "path"). Required;
	// created when missing. Another process, or a second Engine in this
	// process, must not use it at the same time.
	DataDir string
	// Settings are ClickHouse settings every query starts from, such as
	// max_execution_time or max_memory_usage. A read-write query can override
	// them for itself; a readonly=1 query cannot. Names must be settings the
	// engine knows: OpenEngine fails otherwise.
	Settings map[string]string
}

// Query is one statement for Engine.Exec.
type Query struct {
	// SQL is the statement, with INSERT data inline after FORMAT <name> or
	// VALUES, as ClickHouse's HTTP interface receives it. One statement only.
	SQL []byte
	// Format is the output format when the statement has no FORMAT clause.
	// Default TabSeparated.
	Format string
	// Database is the current database for unqualified names. Default
	// "default".
	Database string
	// Settings are ClickHouse settings for this statement only. A
	// "readonly" entry raises ReadOnly (it can never lower it).
	Settings map[string]string
	// Params bind the statement's {name:Type} placeholders.
	Params map[string]string
	// ReadOnly is ClickHouse's readonly level the statement runs with: 0
	// allows everything; 1 allows reads only and no setting changes but
	// those bounding the query itself (see readonlyChangeable); 2 allows
	// reads and setting changes except readonly. The engine enforces it; a
	// query can never lower it.
	ReadOnly int
}

// Stats are the counters of one statement, as in ClickHouse's
// X-ClickHouse-Summary.
type Stats struct {
	// ReadRows and ReadBytes were read from tables and table functions.
	ReadRows, ReadBytes uint64
	// WrittenRows and WrittenBytes were written, materialized views included.
	WrittenRows, WrittenBytes uint64
	// ResultRows and ResultBytes are the size of the result.
	ResultRows, ResultBytes uint64
	// Elapsed is the engine's execution time.
	Elapsed time.Duration
}

// Result is the output of one statement. Data points into the engine's
// memory until Close; Close must be called. A Result does not hold the
// engine: other statements run while it is being read.
type Result struct {
	res   *chdbResult
	stats Stats
}

// Data returns the output in the statement's output format. It is valid
// until Close.
func (r *Result) Data() []byte {
	if r == nil || r.res == nil {
		return nil
	}
	return r.res.data()
}

// Stats returns the statement's counters.
func (r *Result) Stats() Stats {
	if r == nil {
		return Stats{}
	}
	return r.stats
}

// Close frees the output. It is idempotent.
func (r *Result) Close() {
	if r != nil && r.res != nil {
		r.res.free()
		r.res = nil
	}
}

// ErrEngineClosed is returned by Exec after Close.
var ErrEngineClosed = errors.New("the embedded ClickHouse engine is closed")

// Engine is the embedded ClickHouse engine: chDB (ClickHouse 26.7 as a
// library) on one data directory, one per process. It is safe for
// concurrent use; statements run one at a time (callers waiting for the
// engine are served in no guaranteed order).
//
// Each readonly level has its own chDB connection (a ClickHouse session) on
// the same engine, so readonly=1 is enforced by the engine itself and
// survives anything a client sends. Per-query settings and the current
// database are applied to the session before the statement and put back
// afterwards lazily (a statement with the same settings as the previous one
// costs no extra call); SET and USE statements do not outlive their request,
// as on ClickHouse's HTTP interface without a session.
type Engine struct {
	lib      *chdbLib
	dir      string
	base     map[string]string
	version  string
	timezone string
	openTime time.Duration

	// lock is the engine lock: a one-slot channel, so that waiting for it
	// can give up when a context ends.
	lock     chan struct{}
	sessions [3]*session // by readonly level; guarded by lock
	closed   bool        // guarded by lock
}

// session is one chDB connection and what this package set on it.
type session struct {
	conn     *chdbConn
	readonly int
	// db is the session's current database; "" when unknown.
	db string
	// applied holds the settings set on the session with SET, by name.
	applied map[string]string
	// args are the settings the connection was opened with.
	args map[string]string
}

var (
	openMu  sync.Mutex
	openDir string // the data directory of the open Engine, "" when none
)

// OpenEngine loads libchdb (once per process) and opens the engine on
// cfg.DataDir. It fails with ErrNoLibrary (wrapped) when the library is
// missing, naming `make chdb` and AITDR_CHDB_LIB, and when an Engine is
// already open in this process: chDB serves one data directory per process.
func OpenEngine(cfg EngineConfig) (*Engine, error) {
	start := time.Now()
	if strings.TrimSpace(cfg.DataDir) == "" {
		return nil, errors.New("open embedded clickhouse: the data directory is empty")
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("open embedded clickhouse on %s: %w", cfg.DataDir, err)
	}
	for name, value := range cfg.Settings {
		if !validSettingName(name) {
			return nil, fmt.Errorf("open embedded clickhouse on %s: setting %q is not a setting name", dir, name)
		}
		if name == "readonly" {
			return nil, fmt.Errorf("open embedded clickhouse on %s: setting readonly is chosen per query (Query.ReadOnly), not for the engine", dir)
		}
		if strings.ContainsAny(value, "\x00\n") {
			return nil, fmt.Errorf("open embedded clickhouse on %s: setting %s: the value holds a NUL or newline", dir, name)
		}
	}
	lib, err := loadLibrary(cfg.Library)
	if err != nil {
		return nil, fmt.Errorf("open embedded clickhouse on %s: %w", dir, err)
	}

	openMu.Lock()
	defer openMu.Unlock()
	if openDir != "" {
		return nil, fmt.Errorf("open embedded clickhouse on %s: the engine is already open on %s in this process (chDB serves one data directory per process)", dir, openDir)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("open embedded clickhouse: create data directory: %w", err)
	}
	e := &Engine{
		lib:  lib,
		dir:  dir,
		base: maps.Clone(cfg.Settings),
		lock: make(chan struct{}, 1),
	}
	rw, err := e.connect(0, e.base)
	if err != nil {
		if dirLocked(dir) {
			return nil, fmt.Errorf("open embedded clickhouse on %s: %s is locked: another process (aitdr run, aitdr clickhouse serve?) has this data directory open",
				dir, filepath.Join(dir, "status"))
		}
		return nil, fmt.Errorf("open embedded clickhouse on %s: %w", dir, err)
	}
	e.sessions[0] = rw
	info, err := e.info(rw)
	if err != nil {
		rw.conn.close()
		return nil, fmt.Errorf("open embedded clickhouse on %s: %w", dir, err)
	}
	e.version, e.timezone = info[0], info[1]
	openDir = dir
	e.openTime = time.Since(start)
	return e, nil
}

// dirLocked reports whether another engine holds the data directory: the
// engine flocks DIR/status while it has the directory open.
func dirLocked(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "status"))
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return errors.Is(err, syscall.EWOULDBLOCK)
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}

// info returns the engine's version and time zone.
func (e *Engine) info(s *session) ([2]string, error) {
	res := s.conn.query([]byte("SELECT version(), timezone()"), "TabSeparated", nil)
	defer res.free()
	if msg := res.err(); msg != "" {
		return [2]string{}, fmt.Errorf("read engine version: %w", parseException(msg))
	}
	fields := strings.Split(strings.TrimRight(string(res.data()), "\n"), "\t")
	if len(fields) != 2 {
		return [2]string{}, fmt.Errorf("read engine version: unexpected answer %q", res.data())
	}
	return [2]string{fields[0], fields[1]}, nil
}

// connect opens a chDB connection for a readonly level with settings as
// connection arguments (the engine's base settings, or for readonly=1 the
// base merged with the query's own).
func (e *Engine) connect(readonly int, settings map[string]string) (*session, error) {
	args := []string{"--path=" + e.dir}
	for _, name := range slices.Sorted(maps.Keys(settings)) {
		args = append(args, "--"+name+"="+settings[name])
	}
	if readonly > 0 {
		args = append(args, "--readonly="+strconv.Itoa(readonly))
	}
	conn, err := connectChdb(e.lib, args)
	if err != nil {
		return nil, err
	}
	return &session{conn: conn, readonly: readonly, db: "default", applied: map[string]string{}, args: settings}, nil
}

// Version is the engine's ClickHouse version, e.g. "26.7.2.1".
func (e *Engine) Version() string { return e.version }

// Timezone is the engine's time zone, e.g. "Etc/UTC".
func (e *Engine) Timezone() string { return e.timezone }

// DataDir is the absolute data directory.
func (e *Engine) DataDir() string { return e.dir }

// OpenTime is how long OpenEngine took, library loading included.
func (e *Engine) OpenTime() time.Duration { return e.openTime }

// acquire takes the engine lock, giving up when ctx ends.
func (e *Engine) acquire(ctx context.Context) error {
	select {
	case e.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *Engine) release() { <-e.lock }

// Exec runs one statement and returns its output; the caller closes it.
// Engine errors are *Exception with ClickHouse's code. A context that ends
// while waiting for the engine returns the context's error; a statement
// already running is not interrupted, so bound it with max_execution_time
// (a context deadline becomes max_execution_time when the query sets none).
// SET and USE statements are checked but last for the statement only, and
// more than one statement is refused (SYNTAX_ERROR), as on ClickHouse's
// HTTP interface.
func (e *Engine) Exec(ctx context.Context, q Query) (*Result, error) {
	if len(bytes.TrimSpace(q.SQL)) == 0 {
		return nil, newException(codeSyntaxError, "Empty query")
	}
	level, settings, err := querySettings(q)
	if err != nil {
		return nil, err
	}
	if deadline, ok := ctx.Deadline(); ok {
		if _, set := settings["max_execution_time"]; !set {
			secs := math.Ceil(time.Until(deadline).Seconds())
			if secs < 1 {
				secs = 1
			}
			settings["max_execution_time"] = strconv.FormatFloat(secs, 'f', 0, 64)
		}
	}
	if err := e.acquire(ctx); err != nil {
		return nil, fmt.Errorf("wait for the embedded clickhouse engine: %w", err)
	}
	defer e.release()
	if e.closed {
		return nil, ErrEngineClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("wait for the embedded clickhouse engine: %w", err)
	}
	s, err := e.session(level, settings)
	if err != nil {
		return nil, err
	}

	// An INSERT with inline data streams the data into the engine; only the
	// statement before the data goes through the parser here.
	head, inFormat, data, isInsert := splitInsert(q.SQL)
	statement := q.SQL
	if isInsert {
		statement = q.SQL[:len(q.SQL)-len(data)]
	}
	analysis, ok := s.conn.classify(statement)
	if ok && analysis.statementCount > 1 {
		return nil, newException(codeSyntaxError, "Multi-statements are not allowed")
	}
	// SET and USE are recognized by their first word whatever the parser
	// said, so that no statement can change the shared session for later ones.
	switch keyword, rest := leadingKeyword(q.SQL); keyword {
	case "SET":
		// SET does not outlive the request on ClickHouse's HTTP interface
		// without a session: check it as a query-level SETTINGS clause.
		return e.run(s, append([]byte("SELECT 1 FORMAT Null SETTINGS "), rest...), "TabSeparated", nil)
	case "USE":
		s.db = "" // put back before the next statement
		return e.run(s, q.SQL, "TabSeparated", nil)
	}
	if level > 0 && ok && analysis.queryClass != classReadOnly && analysis.queryClass != classUnknown {
		// The engine refuses writes to tables in readonly mode; chDB lets
		// INSERT INTO FUNCTION file() and SYSTEM through at readonly=2.
		return nil, newException(codeReadonly, "Cannot execute query in readonly mode")
	}
	if err := e.prepare(s, q.Database, settings); err != nil {
		return nil, err
	}
	if isInsert {
		return e.result(s.conn.insert(head, inFormat, data, q.Params))
	}
	format := q.Format
	if format == "" {
		format = "TabSeparated"
	}
	return e.run(s, q.SQL, format, q.Params)
}

// result wraps the outcome of a statement.
func (e *Engine) result(res *chdbResult) (*Result, error) {
	if msg := res.err(); msg != "" {
		res.free()
		return nil, parseException(msg)
	}
	return &Result{res: res, stats: res.stats()}, nil
}

// run executes sql on s and wraps the outcome.
func (e *Engine) run(s *session, sql []byte, format string, params map[string]string) (*Result, error) {
	return e.result(s.conn.query(sql, format, params))
}

// querySettings validates q's settings and takes the readonly level out of
// them. It returns a copy the caller may change.
func querySettings(q Query) (int, map[string]string, error) {
	level := q.ReadOnly
	if level < 0 || level > 2 {
		return 0, nil, newException(codeBadArguments, "Invalid readonly level %d", level)
	}
	settings := make(map[string]string, len(q.Settings)+1)
	for name, value := range q.Settings {
		if !validSettingName(name) {
			return 0, nil, newException(codeUnknownSetting, "Unknown setting '%s'", printable(name))
		}
		if name != "readonly" {
			settings[name] = value
			continue
		}
		v, err := strconv.ParseUint(strings.TrimSpace(value), 10, 64)
		if err != nil {
			return 0, nil, newException(codeBadArguments, "Invalid value '%s' for setting readonly: expected 0, 1 or 2", printable(value))
		}
		want := int(min(v, 2))
		if want < level || (level == 2 && want != 2) {
			return 0, nil, newException(codeReadonly, "Cannot modify 'readonly' setting in readonly mode")
		}
		level = want
	}
	return level, settings, nil
}

// session returns the session for a readonly level, connecting on first
// use. A readonly=1 connection cannot change a setting, so its settings are
// connection arguments: it is opened again when a query asks for others.
func (e *Engine) session(level int, settings map[string]string) (*session, error) {
	if level == 1 {
		want, err := e.readonlySettings(settings)
		if err != nil {
			return nil, err
		}
		if s := e.sessions[1]; s != nil {
			if maps.Equal(s.args, want) {
				return s, nil
			}
			s.conn.close()
			e.sessions[1] = nil
		}
		// A bad value would fail the connection with no message: let the
		// engine check the values first, scoped to one query on the
		// read-write session.
		if len(settings) > 0 {
			probe := "SELECT 1 FORMAT Null SETTINGS " + settingsAssignments(settings, nil, nil)
			res, err := e.run(e.sessions[0], []byte(probe), "TabSeparated", nil)
			if err != nil {
				return nil, err
			}
			res.Close()
		}
		s, err := e.connect(1, want)
		if err != nil {
			return nil, fmt.Errorf("open the readonly=1 session: %w", err)
		}
		e.sessions[1] = s
		return s, nil
	}
	if s := e.sessions[level]; s != nil {
		return s, nil
	}
	s, err := e.connect(level, e.base)
	if err != nil {
		return nil, fmt.Errorf("open the readonly=%d session: %w", level, err)
	}
	e.sessions[level] = s
	return s, nil
}

// readonlyChangeable are the settings a readonly=1 query may choose, as a
// ClickHouse administrator allows with changeable_in_readonly constraints
// (chDB does not load those): bounds on the query itself and the layout of
// its output. Settings prefixed output_format_ or format_ are allowed too.
var readonlyChangeable = map[string]bool{
	"max_execution_time":                true,
	"timeout_overflow_mode":             true,
	"max_threads":                       true,
	"max_block_size":                    true,
	"max_result_rows":                   true,
	"max_result_bytes":                  true,
	"result_overflow_mode":              true,
	"enable_http_compression":           true,
	"http_zlib_compression_level":       true,
	"network_compression_method":        true,
	"network_zstd_compression_level":    true,
	"send_progress_in_http_headers":     true,
	"http_headers_progress_interval_ms": true,
	"date_time_output_format":           true,
	"session_timezone":                  true,
}

// readonlySettings merges a readonly=1 query's settings over the engine's
// base: only readonlyChangeable ones, never one the engine configuration
// sets, except max_execution_time, which can only be lowered (a larger
// value is capped at the configured one).
func (e *Engine) readonlySettings(settings map[string]string) (map[string]string, error) {
	want := maps.Clone(e.base)
	if want == nil {
		want = map[string]string{}
	}
	for name, value := range settings {
		changeable := readonlyChangeable[name] || strings.HasPrefix(name, "output_format_") || strings.HasPrefix(name, "format_")
		base, fixed := e.base[name]
		if !changeable || (fixed && name != "max_execution_time") {
			if fixed && base == value {
				continue
			}
			return nil, newException(codeReadonly, "Cannot modify '%s' setting in readonly mode", name)
		}
		if strings.ContainsAny(value, "\x00\n") {
			return nil, newException(codeBadArguments, "Invalid value for setting %s", name)
		}
		if name == "max_execution_time" && fixed {
			limit, err1 := strconv.ParseFloat(base, 64)
			v, err2 := strconv.ParseFloat(value, 64)
			if err2 != nil {
				return nil, newException(codeBadArguments, "Invalid value '%s' for setting max_execution_time", printable(value))
			}
			if err1 == nil && limit > 0 && (v <= 0 || v > limit) {
				continue // keep the configured limit
			}
		}
		want[name] = value
	}
	return want, nil
}

// prepare brings s to the database and settings a statement asks for,
// changing only what differs from what the session has.
func (e *Engine) prepare(s *session, db string, settings map[string]string) error {
	if db == "" {
		db = "default"
	}
	if s.db != db {
		s.db = ""
		res := s.conn.query([]byte("USE "+quoteIdent(db)), "TabSeparated", nil)
		msg := res.err()
		res.free()
		if msg != "" {
			return parseException(msg)
		}
		s.db = db
	}
	if s.readonly == 1 {
		return nil // its settings are connection arguments (session)
	}
	var changed []string
	for name, value := range settings {
		if old, ok := s.applied[name]; !ok || old != value {
			changed = append(changed, name)
		}
	}
	var reset []string
	for name := range s.applied {
		if _, keep := settings[name]; !keep {
			reset = append(reset, name)
		}
	}
	if len(changed) == 0 && len(reset) == 0 {
		return nil
	}
	if err := e.set(s, settingsAssignments(settings, changed, e.baseValues(reset))); err != nil {
		// The session may hold part of the SET: put every setting it may
		// have touched back, or start a fresh session when that fails (a
		// client that set allow_ddl=0 locks it).
		touched := slices.Concat(changed, reset, slices.Collect(maps.Keys(s.applied)))
		if rerr := e.set(s, settingsAssignments(nil, nil, e.baseValues(touched))); rerr != nil {
			if cerr := e.reconnect(s); cerr != nil {
				return errors.Join(err, fmt.Errorf("restore the readonly=%d session: %w", s.readonly, cerr))
			}
		}
		clear(s.applied)
		return err
	}
	for _, name := range reset {
		delete(s.applied, name)
	}
	for _, name := range changed {
		s.applied[name] = settings[name]
	}
	return nil
}

// baseValues maps each name to its value before any query changed it: the
// engine's base setting, or DEFAULT.
func (e *Engine) baseValues(names []string) map[string]*string {
	out := make(map[string]*string, len(names))
	for _, name := range names {
		if v, ok := e.base[name]; ok {
			out[name] = &v
		} else {
			out[name] = nil
		}
	}
	return out
}

// settingsAssignments renders "name = 'value', other = DEFAULT" for the
// named settings (all of settings when names is nil) and the resets (nil
// value: DEFAULT), sorted by name.
func settingsAssignments(settings map[string]string, names []string, resets map[string]*string) string {
	if names == nil {
		names = slices.Collect(maps.Keys(settings))
	}
	parts := make([]string, 0, len(names)+len(resets))
	for _, name := range names {
		parts = append(parts, name+" = "+quoteString(settings[name]))
	}
	for name, v := range resets {
		if v == nil {
			parts = append(parts, name+" = DEFAULT")
		} else {
			parts = append(parts, name+" = "+quoteString(*v))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// set runs SET with the given assignments on s.
func (e *Engine) set(s *session, assignments string) error {
	if assignments == "" {
		return nil
	}
	res := s.conn.query([]byte("SET "+assignments), "TabSeparated", nil)
	msg := res.err()
	res.free()
	if msg != "" {
		return parseException(msg)
	}
	return nil
}

// reconnect replaces s's connection with a fresh one.
func (e *Engine) reconnect(s *session) error {
	fresh, err := e.connect(s.readonly, s.args)
	if err != nil {
		return err
	}
	s.conn.close()
	s.conn, s.db = fresh.conn, fresh.db
	clear(s.applied)
	return nil
}

// Close waits for the running statement, closes every session and frees the
// process's engine slot, so that OpenEngine can open a data directory again.
// It is idempotent. Results already returned stay readable until closed.
func (e *Engine) Close() error {
	e.lock <- struct{}{}
	defer e.release()
	if e.closed {
		return nil
	}
	e.closed = true
	for i := len(e.sessions) - 1; i >= 0; i-- {
		if s := e.sessions[i]; s != nil {
			s.conn.close()
			e.sessions[i] = nil
		}
	}
	openMu.Lock()
	openDir = ""
	openMu.Unlock()
	return nil
}
