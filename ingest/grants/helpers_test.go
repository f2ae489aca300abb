package grants_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	chserver "github.com/aitdr/aitdr/deploy/clickhouse"
	"github.com/aitdr/aitdr/schemas/clickhouse"
)

// The embedded engine is one per process: the tests share one server, each
// test in its own database.
var (
	engineMu sync.Mutex
	engine   *chserver.Server
	stop     func() error
	engineTo string
)

func TestMain(m *testing.M) {
	code := m.Run()
	engineMu.Lock()
	if stop != nil {
		if err := stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop the embedded clickhouse: %v\n", err)
			code = 1
		}
		_ = os.RemoveAll(engineTo)
	}
	engineMu.Unlock()
	os.Exit(code)
}

// database returns a freshly migrated database unique to the test and a
// connection whose default database it is. It fails (never skips) when
// the embedded engine's library is missing.
func database(t testing.TB) (driver.Conn, string) {
	t.Helper()
	engineMu.Lock()
	if engine == nil {
		dir, err := os.MkdirTemp("", "aitdr-grants-")
		if err != nil {
			t.Fatal(err)
		}
		cfg := chserver.DefaultConfig()
		cfg.Listen, cfg.DataDir, cfg.ShutdownTimeout = "127.0.0.1:0", dir, 10*time.Second
		srv, err := chserver.New(cfg, chserver.WithLogger(slog.New(slog.DiscardHandler)))
		if errors.Is(err, chserver.ErrNoLibrary) {
			engineMu.Unlock()
			t.Fatalf("these tests need the embedded ClickHouse engine: run `make chdb` or set %s: %v", chserver.LibraryEnv, err)
		}
		if err != nil {
			engineMu.Unlock()
			t.Fatalf("start the embedded clickhouse: %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Run(ctx) }()
		engine, engineTo = srv, dir
		stop = func() error { cancel(); return <-done }
	}
	url := engine.URL()
	engineMu.Unlock()
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
	db := "t_" + name[:min(len(name), 40)] + "_" + hex.EncodeToString(b[:])
	admin, err := clickhouse.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := clickhouse.Migrate(context.Background(), admin, clickhouse.Options{Database: db}); err != nil {
		t.Fatalf("migrate %s: %v", db, err)
	}
	conn, err := clickhouse.Connect(url + "/" + db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn, db
}

// rows returns the rows of a query as strings joined by spaces.
func rows(t testing.TB, conn driver.Conn, sql string) []string {
	t.Helper()
	r, err := conn.Query(context.Background(), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer r.Close()
	var out []string
	n := len(r.ColumnTypes())
	for r.Next() {
		vals := make([]string, n)
		ptrs := make([]any, n)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			t.Fatalf("%s: scan: %v", sql, err)
		}
		out = append(out, strings.Join(vals, " "))
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
