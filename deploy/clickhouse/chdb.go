package clickhouse

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// This file is the binding to libchdb (chDB: ClickHouse built as a shared
// library). It is loaded with purego on first use, never at import, so a
// binary that imports this package runs on machines without the library and
// fails only when the embedded engine is asked for.

// LibraryEnv is the environment variable holding the path of libchdb.so when
// EngineConfig.Library is empty. `make chdb` fetches the library into
// .cache/chdb and the Makefile exports this variable for make test, make run
// and make bench.
const LibraryEnv = "AITDR_CHDB_LIB"

// defaultLibrary is the name handed to the dynamic loader when neither
// EngineConfig.Library nor LibraryEnv names a file: the loader then searches
// LD_LIBRARY_PATH and the system directories.
const defaultLibrary = "libchdb.so"

// ErrNoLibrary is returned (wrapped) by OpenEngine and New when libchdb
// cannot be loaded: the file is missing, is not a shared library for this
// platform, or lacks a symbol this binding needs.
var ErrNoLibrary = errors.New("the embedded ClickHouse engine (libchdb.so) is not available")

// chdbLib holds the functions of a loaded libchdb. Pointer arguments follow
// chdb.h: a connection is chdb_connection* from chdb_connect, its handle
// (*conn) is what the query functions take; results are chdb_result*.
type chdbLib struct {
	path string

	setSignalHandlersEnabled func(enabled int32)
	connect                  func(argc int32, argv **byte) unsafe.Pointer
	closeConn                func(conn unsafe.Pointer)
	queryN                   func(conn unsafe.Pointer, query *byte, queryLen uintptr, format *byte, formatLen uintptr) unsafe.Pointer
	queryWithParamsN         func(conn unsafe.Pointer, query *byte, queryLen uintptr, format *byte, formatLen uintptr,
		names **byte, nameLens *uintptr, values **byte, valueLens *uintptr, count uintptr) unsafe.Pointer
	classifyQueryN      func(conn unsafe.Pointer, sql *byte, sqlLen uintptr, db *byte, dbLen uintptr, out *queryAnalysis) int32
	streamInsertN       func(conn unsafe.Pointer, query *byte, queryLen uintptr, format *byte, formatLen uintptr) unsafe.Pointer
	streamInsertParamsN func(conn unsafe.Pointer, query *byte, queryLen uintptr, format *byte, formatLen uintptr,
		names **byte, nameLens *uintptr, values **byte, valueLens *uintptr, count uintptr) unsafe.Pointer
	streamAppend        func(stream unsafe.Pointer, data *byte, dataLen uintptr) int32
	streamDone          func(stream unsafe.Pointer) unsafe.Pointer
	streamInsertError   func(stream unsafe.Pointer) *byte
	destroyInsertStream func(stream unsafe.Pointer)
	resultBuffer        func(res unsafe.Pointer) *byte
	resultLength        func(res unsafe.Pointer) uintptr
	resultElapsed       func(res unsafe.Pointer) float64
	resultRowsRead      func(res unsafe.Pointer) uint64
	resultBytesRead     func(res unsafe.Pointer) uint64
	resultStorageRows   func(res unsafe.Pointer) uint64
	resultStorageBytes  func(res unsafe.Pointer) uint64
	resultRowsWritten   func(res unsafe.Pointer) uint64
	resultBytesWritten  func(res unsafe.Pointer) uint64
	resultError         func(res unsafe.Pointer) *byte
	destroyQueryResult  func(res unsafe.Pointer)

	// signalsOnce turns chDB's signal handlers off before the first connect.
	signalsOnce sync.Once
}

// queryAnalysis is chdb_query_analysis_v1 from chdb.h.
type queryAnalysis struct {
	structSize     uint32
	statementCount uint32
	_              uint32 // flags (chdb_query_analysis_flag), not used here
	queryClass     uint32
}

// Statement classes of chdb_classify_query_n (chdb_query_class in chdb.h).
const (
	classReadOnly       = 0 // SELECT, SHOW, DESCRIBE, EXPLAIN, EXISTS, CHECK
	classMutating       = 1 // INSERT, CREATE, ALTER, DROP, TRUNCATE, RENAME, OPTIMIZE, ...
	classMutatingGlobal = 2 // UDFs, named collections, access management, writes to system
	classControl        = 3 // USE, SET, SYSTEM, KILL, BACKUP, INTO OUTFILE, INSERT INTO FUNCTION, ...
	classUnknown        = 4 // did not parse
)

var (
	libMu     sync.Mutex
	loadedLib *chdbLib
)

// resolveLibrary returns the path to load: path, else $AITDR_CHDB_LIB, else
// the bare library name for the dynamic loader's search path; and where it
// came from, for error messages.
func resolveLibrary(path string) (string, string) {
	if path != "" {
		return path, "configured"
	}
	if env := os.Getenv(LibraryEnv); env != "" {
		return env, "from " + LibraryEnv
	}
	return defaultLibrary, LibraryEnv + " is not set"
}

// loadLibrary loads libchdb from path (resolved with resolveLibrary) once per
// process. A later call naming another file fails: a process holds one engine.
func loadLibrary(path string) (*chdbLib, error) {
	path, source := resolveLibrary(path)
	if !engineBuiltIn {
		return nil, fmt.Errorf("load %s: %w: %w", path, ErrNoLibrary, errEngineLeftOut)
	}
	libMu.Lock()
	defer libMu.Unlock()
	if loadedLib != nil {
		if loadedLib.path != path {
			return nil, fmt.Errorf("load %s: %w: this process already loaded %s", path, ErrNoLibrary, loadedLib.path)
		}
		return loadedLib, nil
	}
	if path != defaultLibrary {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("load %s (%s): %w: %w; run `make chdb` to fetch it into .cache/chdb, or set %s to the path of libchdb.so",
				path, source, ErrNoLibrary, err, LibraryEnv)
		}
	}
	lib := &chdbLib{path: path}
	syms := []librarySymbol{
		{&lib.setSignalHandlersEnabled, "chdb_set_signal_handlers_enabled"},
		{&lib.connect, "chdb_connect"},
		{&lib.closeConn, "chdb_close_conn"},
		{&lib.queryN, "chdb_query_n"},
		{&lib.queryWithParamsN, "chdb_query_with_params_n"},
		{&lib.classifyQueryN, "chdb_classify_query_n"},
		{&lib.streamInsertN, "chdb_stream_insert_n"},
		{&lib.streamInsertParamsN, "chdb_stream_insert_with_params_n"},
		{&lib.streamAppend, "chdb_stream_append"},
		{&lib.streamDone, "chdb_stream_done"},
		{&lib.streamInsertError, "chdb_stream_insert_error"},
		{&lib.destroyInsertStream, "chdb_destroy_insert_stream"},
		{&lib.resultBuffer, "chdb_result_buffer"},
		{&lib.resultLength, "chdb_result_length"},
		{&lib.resultElapsed, "chdb_result_elapsed"},
		{&lib.resultRowsRead, "chdb_result_rows_read"},
		{&lib.resultBytesRead, "chdb_result_bytes_read"},
		{&lib.resultStorageRows, "chdb_result_storage_rows_read"},
		{&lib.resultStorageBytes, "chdb_result_storage_bytes_read"},
		{&lib.resultRowsWritten, "chdb_result_rows_written"},
		{&lib.resultBytesWritten, "chdb_result_bytes_written"},
		{&lib.resultError, "chdb_result_error"},
		{&lib.destroyQueryResult, "chdb_destroy_query_result"},
	}
	missing, err := bindLibrary(path, syms)
	if err != nil {
		return nil, fmt.Errorf("load %s (%s): %w: %w; run `make chdb` to fetch it into .cache/chdb, or set %s to the path of libchdb.so",
			path, source, ErrNoLibrary, err, LibraryEnv)
	}
	if len(missing) > 0 {
		// The handle stays open: unloading a half-initialized C++ runtime is
		// riskier than leaking it, and loading is refused from now on anyway.
		return nil, fmt.Errorf("load %s: %w: missing symbols %s (aitdr needs chDB 26.7 or newer; run `make chdb`)",
			path, ErrNoLibrary, strings.Join(missing, ", "))
	}
	loadedLib = lib
	return lib, nil
}

// goString copies a NUL-terminated C string into Go memory; nil gives "".
func goString(p *byte) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice(p, n))
}

// cArgs builds a NULL-terminated argv from args in Go memory. The caller
// keeps the returned backing slices alive (runtime.KeepAlive) for the call.
func cArgs(args []string) ([]*byte, [][]byte) {
	ptrs := make([]*byte, 0, len(args)+1)
	bufs := make([][]byte, 0, len(args))
	for _, a := range args {
		b := append([]byte(a), 0)
		bufs = append(bufs, b)
		ptrs = append(ptrs, &b[0])
	}
	ptrs = append(ptrs, nil)
	return ptrs, bufs
}

// chdbConn is one chDB connection (a ClickHouse session on the process's
// data directory). It is not safe for concurrent use: the Engine serializes
// every call.
type chdbConn struct {
	lib  *chdbLib
	ptr  unsafe.Pointer // chdb_connection*
	args []string
}

// connectChdb opens a connection with the given command-line style
// arguments (--path=DIR, --readonly=1, --<setting>=<value>).
func connectChdb(lib *chdbLib, args []string) (*chdbConn, error) {
	// ClickHouse installs process-wide handlers for SIGSEGV, SIGBUS, SIGINT,
	// ... unless told not to before its first connection; the Go runtime
	// owns them here.
	lib.signalsOnce.Do(func() { lib.setSignalHandlersEnabled(0) })
	argv := append([]string{"clickhouse"}, args...)
	ptrs, bufs := cArgs(argv)
	ptr := lib.connect(int32(len(argv)), &ptrs[0])
	runtime.KeepAlive(ptrs)
	runtime.KeepAlive(bufs)
	if ptr == nil || *(*unsafe.Pointer)(ptr) == nil {
		return nil, fmt.Errorf("chdb_connect %s: the engine refused the connection (is another process using the data directory, or an argument invalid?)",
			strings.Join(args, " "))
	}
	return &chdbConn{lib: lib, ptr: ptr, args: args}, nil
}

// handle is the chdb_connection the query functions take.
func (c *chdbConn) handle() unsafe.Pointer { return *(*unsafe.Pointer)(c.ptr) }

// close closes the connection; it is a no-op when already closed.
func (c *chdbConn) close() {
	if c.ptr != nil {
		c.lib.closeConn(c.ptr)
		c.ptr = nil
	}
}

// bytesPtr returns a pointer to b's first byte, or to a static zero byte
// for an empty slice (chDB reads no byte when the length is 0).
func bytesPtr(b []byte) *byte {
	if len(b) == 0 {
		return &zeroByte
	}
	return &b[0]
}

var zeroByte byte

// query runs one statement with the default output format and returns its
// result, which the caller must free. params binds {name:Type} placeholders.
func (c *chdbConn) query(sql []byte, format string, params map[string]string) *chdbResult {
	fmtBytes := []byte(format)
	var res unsafe.Pointer
	if len(params) == 0 {
		res = c.lib.queryN(c.handle(), bytesPtr(sql), uintptr(len(sql)), bytesPtr(fmtBytes), uintptr(len(fmtBytes)))
	} else {
		p := newCParams(params)
		res = c.lib.queryWithParamsN(c.handle(), bytesPtr(sql), uintptr(len(sql)), bytesPtr(fmtBytes), uintptr(len(fmtBytes)),
			&p.names[0], &p.nameLens[0], &p.values[0], &p.valueLens[0], uintptr(len(p.names)))
		runtime.KeepAlive(p)
	}
	runtime.KeepAlive(sql)
	runtime.KeepAlive(fmtBytes)
	return &chdbResult{lib: c.lib, ptr: res}
}

// insertChunk is how much INSERT data one chdb_stream_append call passes.
const insertChunk = 4 << 20

// insert runs a streaming INSERT: head is the statement without its FORMAT
// clause or data ("INSERT INTO t (a, b)"), format names the data's format.
// The returned result carries the counters or the error; the caller frees it.
func (c *chdbConn) insert(head []byte, format string, data []byte, params map[string]string) *chdbResult {
	fmtBytes := []byte(format)
	var stream unsafe.Pointer
	if len(params) == 0 {
		stream = c.lib.streamInsertN(c.handle(), bytesPtr(head), uintptr(len(head)), bytesPtr(fmtBytes), uintptr(len(fmtBytes)))
	} else {
		p := newCParams(params)
		stream = c.lib.streamInsertParamsN(c.handle(), bytesPtr(head), uintptr(len(head)), bytesPtr(fmtBytes), uintptr(len(fmtBytes)),
			&p.names[0], &p.nameLens[0], &p.values[0], &p.valueLens[0], uintptr(len(p.names)))
		runtime.KeepAlive(p)
	}
	runtime.KeepAlive(head)
	runtime.KeepAlive(fmtBytes)
	if stream == nil {
		return &chdbResult{lib: c.lib, errText: "Code: 1002. DB::Exception: chdb_stream_insert returned no stream. (UNKNOWN_EXCEPTION)"}
	}
	defer c.lib.destroyInsertStream(stream)
	if msg := goString(c.lib.streamInsertError(stream)); msg != "" {
		return &chdbResult{lib: c.lib, errText: msg}
	}
	for len(data) > 0 {
		n := min(len(data), insertChunk)
		rc := c.lib.streamAppend(stream, &data[0], uintptr(n))
		runtime.KeepAlive(data)
		if rc != 0 {
			msg := goString(c.lib.streamInsertError(stream))
			if msg == "" {
				msg = "Code: 1002. DB::Exception: chdb_stream_append failed. (UNKNOWN_EXCEPTION)"
			}
			return &chdbResult{lib: c.lib, errText: msg}
		}
		data = data[n:]
	}
	return &chdbResult{lib: c.lib, ptr: c.lib.streamDone(stream)}
}

// cParams is a parameter set laid out for chdb's *_with_params_n calls.
type cParams struct {
	names, values       []*byte
	nameLens, valueLens []uintptr
	keep                [][]byte
}

// newCParams lays params out for chdb; params must not be empty.
func newCParams(params map[string]string) *cParams {
	n := len(params)
	p := &cParams{
		names: make([]*byte, 0, n), values: make([]*byte, 0, n),
		nameLens: make([]uintptr, 0, n), valueLens: make([]uintptr, 0, n),
		keep: make([][]byte, 0, 2*n),
	}
	for k, v := range params {
		kb, vb := []byte(k), []byte(v)
		p.keep = append(p.keep, kb, vb)
		p.names, p.nameLens = append(p.names, bytesPtr(kb)), append(p.nameLens, uintptr(len(kb)))
		p.values, p.valueLens = append(p.values, bytesPtr(vb)), append(p.valueLens, uintptr(len(vb)))
	}
	return p
}

// classify asks the engine's parser what sql would do, without running it.
// ok is false when the engine could not answer.
func (c *chdbConn) classify(sql []byte) (a queryAnalysis, ok bool) {
	a.structSize = uint32(unsafe.Sizeof(a))
	rc := c.lib.classifyQueryN(c.handle(), bytesPtr(sql), uintptr(len(sql)), nil, 0, &a)
	runtime.KeepAlive(sql)
	return a, rc == 0
}

// chdbResult is one chdb_result. Its buffer lives in C memory until free.
type chdbResult struct {
	lib *chdbLib
	ptr unsafe.Pointer
	// errText is an error found before a chdb_result existed.
	errText string
}

// err returns the engine's error text, or "" when the statement succeeded.
func (r *chdbResult) err() string {
	if r.errText != "" {
		return r.errText
	}
	if r.ptr == nil {
		return "Code: 1002. DB::Exception: chDB returned no result. (UNKNOWN_EXCEPTION)"
	}
	return goString(r.lib.resultError(r.ptr))
}

// data returns the output, pointing into C memory: valid until free.
func (r *chdbResult) data() []byte {
	if r.ptr == nil {
		return nil
	}
	n := r.lib.resultLength(r.ptr)
	p := r.lib.resultBuffer(r.ptr)
	if n == 0 || p == nil {
		return nil
	}
	return unsafe.Slice(p, n)
}

// stats returns the result's counters.
func (r *chdbResult) stats() Stats {
	if r.ptr == nil {
		return Stats{}
	}
	return Stats{
		ReadRows:     r.lib.resultStorageRows(r.ptr),
		ReadBytes:    r.lib.resultStorageBytes(r.ptr),
		WrittenRows:  r.lib.resultRowsWritten(r.ptr),
		WrittenBytes: r.lib.resultBytesWritten(r.ptr),
		ResultRows:   r.lib.resultRowsRead(r.ptr),
		ResultBytes:  r.lib.resultBytesRead(r.ptr),
		Elapsed:      time.Duration(r.lib.resultElapsed(r.ptr) * float64(time.Second)),
	}
}

// free releases the result; it is a no-op when already freed.
func (r *chdbResult) free() {
	if r.ptr != nil {
		r.lib.destroyQueryResult(r.ptr)
		r.ptr = nil
	}
}
