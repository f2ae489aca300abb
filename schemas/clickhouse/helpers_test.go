package clickhouse_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	chserver "github.com/aitdr/aitdr/deploy/clickhouse"
	"github.com/aitdr/aitdr/schemas/clickhouse"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The embedded engine is one per process: the tests share one server, each
// test in its own database. Tests that stop the server (to show that the
// sink holds while ClickHouse is down) restart it on the same data directory
// and port before they end.
var (
	engineMu sync.Mutex
	shared   *engine
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	engineMu.Lock()
	if shared != nil {
		if err := shared.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop the embedded clickhouse: %v\n", err)
			code = 1
		}
		_ = os.RemoveAll(shared.dir)
	}
	engineMu.Unlock()
	os.Exit(code)
}

// engine is the embedded ClickHouse behind its HTTP interface.
type engine struct {
	dir    string
	addr   string // 127.0.0.1:0 until the first start, then the port it got
	srv    *chserver.Server
	cancel context.CancelFunc
	done   chan error
}

// start opens the engine on e.dir and serves it on e.addr.
func (e *engine) start() error {
	cfg := chserver.DefaultConfig()
	cfg.Listen = e.addr
	cfg.DataDir = e.dir
	cfg.ShutdownTimeout = 10 * time.Second
	srv, err := chserver.New(cfg, chserver.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if errors.Is(err, chserver.ErrNoLibrary) {
		return fmt.Errorf("these tests need the embedded ClickHouse engine: run `make chdb` (make test does) or set %s: %w",
			chserver.LibraryEnv, err)
	}
	if err != nil {
		return fmt.Errorf("start the embedded clickhouse: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.srv, e.cancel, e.done = srv, cancel, make(chan error, 1)
	e.addr = srv.Addr()
	go func() { e.done <- srv.Run(ctx) }()
	return nil
}

// stop stops serving and closes the engine.
func (e *engine) stop() error {
	if e.srv == nil {
		return nil
	}
	e.cancel()
	err := <-e.done
	e.srv = nil
	return err
}

// server returns the shared engine, starting it on first use. It fails the
// test (never skips) when libchdb.so is missing.
func server(t testing.TB) *engine {
	t.Helper()
	engineMu.Lock()
	defer engineMu.Unlock()
	if shared == nil {
		dir, err := os.MkdirTemp("", "aitdr-schemas-clickhouse-")
		if err != nil {
			t.Fatalf("data dir: %v", err)
		}
		shared = &engine{dir: dir, addr: "127.0.0.1:0"}
	}
	if shared.srv == nil {
		if err := shared.start(); err != nil {
			t.Fatal(err)
		}
	}
	return shared
}

// restartServer stops the shared engine, runs during (with the engine down)
// and starts it again on the same data directory and port.
func restartServer(t testing.TB, during func()) {
	t.Helper()
	e := server(t)
	engineMu.Lock()
	defer engineMu.Unlock()
	if err := e.stop(); err != nil {
		t.Fatalf("stop the embedded clickhouse: %v", err)
	}
	during()
	var err error
	for range 50 { // the port may take a moment to be free again
		if err = e.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("restart the embedded clickhouse on %s: %v", e.addr, err)
}

// dsn returns the HTTP DSN of the shared engine.
func dsn(t testing.TB) string {
	t.Helper()
	return "http://" + server(t).addr
}

// connect opens clickhouse-go over HTTP to the shared engine, closed when the
// test ends.
func connect(t testing.TB) driver.Conn {
	t.Helper()
	conn, err := clickhouse.Connect(dsn(t))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// database returns a database name unique to this call.
func database(t testing.TB) string {
	t.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(t.Name()))
	if len(name) > 40 {
		name = name[:40]
	}
	return "t_" + name + "_" + hex.EncodeToString(b[:])
}

// keepLong is an event TTL under which the golden events of 2025 are not
// expired: ClickHouse drops rows already past their TTL as it inserts them.
const keepLong = clickhouse.MaxTTL

// migrated returns a connection and a freshly migrated database whose
// events never expire.
func migrated(t testing.TB) (driver.Conn, string) {
	t.Helper()
	conn := connect(t)
	db := database(t)
	if _, err := clickhouse.Migrate(context.Background(), conn, clickhouse.Options{Database: db, EventTTL: keepLong}); err != nil {
		t.Fatalf("migrate %s: %v", db, err)
	}
	return conn, db
}

// query returns the rows of sql as strings (each value formatted with %v).
func query(t testing.TB, conn driver.Conn, sql string, args ...any) [][]string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var out [][]string
	types := rows.ColumnTypes()
	for rows.Next() {
		vals := make([]any, len(types))
		for i, ct := range types {
			vals[i] = newValue(ct.ScanType())
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatalf("%s: scan: %v", sql, err)
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = fmt.Sprint(deref(v))
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// queryInt returns the single integer sql selects.
func queryInt(t testing.TB, conn driver.Conn, sql string, args ...any) int64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(context.Background(), "SELECT toUInt64(("+sql+"))", args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return int64(n)
}

// exec runs a statement and fails the test on error.
func exec(t testing.TB, conn driver.Conn, sql string, args ...any) {
	t.Helper()
	if err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// exceptionCode returns the ClickHouse code of a clickhouse-go error, or 0.
func exceptionCode(err error) int32 {
	var ex *ch.Exception
	if errors.As(err, &ex) {
		return ex.Code
	}
	return 0
}

func newValue(t reflect.Type) any { return reflect.New(t).Interface() }

func deref(v any) any { return reflect.ValueOf(v).Elem().Interface() }
