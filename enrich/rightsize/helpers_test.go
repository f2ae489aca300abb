package rightsize_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
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

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The embedded engine is one per process: the tests share one server, each
// test in its own database.
var (
	engineMu sync.Mutex
	engine   *chserver.Server
	stop     func() error
	engineTo string
)

func TestMain(m *testing.M) {
	flag.Parse()
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

// serverURL returns the URL of the shared engine, starting it on first
// use. It fails the test (never skips) when libchdb.so is missing.
func serverURL(t testing.TB) string {
	t.Helper()
	engineMu.Lock()
	defer engineMu.Unlock()
	if engine != nil {
		return engine.URL()
	}
	dir, err := os.MkdirTemp("", "aitdr-rightsize-")
	if err != nil {
		t.Fatal(err)
	}
	cfg := chserver.DefaultConfig()
	cfg.Listen, cfg.DataDir, cfg.ShutdownTimeout = "127.0.0.1:0", dir, 10*time.Second
	srv, err := chserver.New(cfg, chserver.WithLogger(slog.New(slog.DiscardHandler)))
	if errors.Is(err, chserver.ErrNoLibrary) {
		t.Fatalf("these tests need the embedded ClickHouse engine: run `make chdb` or set %s: %v", chserver.LibraryEnv, err)
	}
	if err != nil {
		t.Fatalf("start the embedded clickhouse: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	engine, engineTo = srv, dir
	stop = func() error { cancel(); return <-done }
	return srv.URL()
}

// database returns a freshly migrated database unique to this call and a
// connection whose default database it is, closed when the test ends.
func database(t testing.TB) (driver.Conn, string) {
	t.Helper()
	url := serverURL(t)
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
	// The fixture is of 2025: short TTLs would drop it on insert.
	if _, err := clickhouse.Migrate(context.Background(), admin, clickhouse.Options{Database: db, EventTTL: clickhouse.MaxTTL, SnapshotTTL: clickhouse.MaxTTL}); err != nil {
		t.Fatalf("migrate %s: %v", db, err)
	}
	conn, err := clickhouse.Connect(url + "/" + db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn, db
}
