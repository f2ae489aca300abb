package clickhouse_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/deploy/clickhouse"
)

// openEngine opens the engine on a fresh directory and closes it when the
// test ends; it fails (never skips) when libchdb.so is missing.
func openEngine(t testing.TB, dir string) *clickhouse.Engine {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	e, err := clickhouse.OpenEngine(clickhouse.EngineConfig{DataDir: dir})
	if errors.Is(err, clickhouse.ErrNoLibrary) {
		t.Fatalf("the embedded ClickHouse tests need libchdb.so: run `make chdb` (make test does) or set %s: %v",
			clickhouse.LibraryEnv, err)
	}
	if err != nil {
		t.Fatalf("open engine: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// query runs sql on e and returns its TabSeparated output.
func query(t testing.TB, e *clickhouse.Engine, sql string) string {
	t.Helper()
	res, err := e.Exec(context.Background(), clickhouse.Query{SQL: []byte(sql)})
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer res.Close()
	return string(res.Data())
}

// TestEngineKeepsDataAcrossReopen shows the data directory surviving a
// close and reopen (an analyst opening the pipeline's data later), a second
// engine in the same process refused, and Exec after Close refused.
func TestEngineKeepsDataAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	e := openEngine(t, dir)
	if e.Version() == "" || e.Timezone() == "" || e.OpenTime() <= 0 {
		t.Fatalf("engine info: version %q timezone %q open time %s", e.Version(), e.Timezone(), e.OpenTime())
	}
	t.Logf("engine %s opened in %s", e.Version(), e.OpenTime())
	query(t, e, "CREATE TABLE kept (n UInt32) ENGINE = MergeTree ORDER BY n")
	query(t, e, "INSERT INTO kept SELECT number FROM numbers(1000)")

	if _, err := clickhouse.OpenEngine(clickhouse.EngineConfig{DataDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "already open") {
		t.Fatalf("second engine in the process: %v, want a refusal", err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := e.Exec(context.Background(), clickhouse.Query{SQL: []byte("SELECT 1")}); !errors.Is(err, clickhouse.ErrEngineClosed) {
		t.Fatalf("exec after close: %v, want ErrEngineClosed", err)
	}
	again := openEngine(t, dir)
	if got := query(t, again, "SELECT count(), sum(n) FROM kept"); got != "1000\t499500\n" {
		t.Fatalf("after reopening: %q", got)
	}
}

// TestEngineSerializesAndHonoursContext shows a caller waiting for a busy
// engine giving up when its context ends, and a result staying readable
// while later statements run.
func TestEngineSerializesAndHonoursContext(t *testing.T) {
	e := openEngine(t, "")
	first, err := e.Exec(context.Background(), clickhouse.Query{SQL: []byte("SELECT 'first'")})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()

	slow := make(chan error, 1)
	go func() {
		res, err := e.Exec(context.Background(), clickhouse.Query{SQL: []byte("SELECT sleep(2)")})
		if err == nil {
			res.Close()
		}
		slow <- err
	}()
	// Until the slow statement holds the engine, a quick one may still pass.
	for deadline := time.Now().Add(1500 * time.Millisecond); ; time.Sleep(20 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		res, err := e.Exec(ctx, clickhouse.Query{SQL: []byte("SELECT 1")})
		cancel()
		if err == nil {
			res.Close()
			if time.Now().After(deadline) {
				t.Fatal("the engine ran a statement while another held it")
			}
			continue
		}
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 600*time.Millisecond {
			t.Fatalf("waiting behind a slow statement: %v after %s, want the deadline after ~100ms", err, time.Since(start))
		}
		break
	}
	if err := <-slow; err != nil {
		t.Fatalf("slow statement: %v", err)
	}
	if string(first.Data()) != "first\n" {
		t.Fatalf("first result after other statements: %q", first.Data())
	}
}

// TestEngineStreamsInlineInsertData shows an INSERT whose data follows the
// statement (as the HTTP interface receives it) streamed in, beyond
// ClickHouse's max_query_size of 256 KiB for the statement text.
func TestEngineStreamsInlineInsertData(t *testing.T) {
	e := openEngine(t, "")
	query(t, e, "CREATE TABLE wide (n UInt64, s String) ENGINE = MergeTree ORDER BY n")
	native, err := e.Exec(context.Background(), clickhouse.Query{
		SQL:    []byte("SELECT number AS n, repeat('x', 100) AS s FROM numbers(200000)"),
		Format: "Native",
	})
	if err != nil {
		t.Fatal(err)
	}
	sql := append([]byte("INSERT INTO wide FORMAT Native\n"), native.Data()...)
	native.Close()
	res, err := e.Exec(context.Background(), clickhouse.Query{SQL: sql})
	if err != nil {
		t.Fatalf("insert %d bytes of Native: %v", len(sql), err)
	}
	if st := res.Stats(); st.WrittenRows != 200000 {
		t.Errorf("written rows %d, want 200000", st.WrittenRows)
	}
	res.Close()
	if got := query(t, e, "SELECT count(), sum(length(s)) FROM wide"); got != "200000\t20000000\n" {
		t.Fatalf("rows: %q", got)
	}
}

// TestEngineWithoutLibrary shows a binary importing the package running
// where libchdb.so is missing, and opening the engine failing with
// ErrNoLibrary and a message naming make chdb and AITDR_CHDB_LIB. It runs
// the test binary again in a process that never loaded the library.
func TestEngineWithoutLibrary(t *testing.T) {
	if os.Getenv("AITDR_TEST_WITHOUT_LIBRARY") == "1" {
		_, err := clickhouse.OpenEngine(clickhouse.EngineConfig{DataDir: t.TempDir()})
		if !errors.Is(err, clickhouse.ErrNoLibrary) {
			t.Fatalf("open without the library: %v, want ErrNoLibrary", err)
		}
		os.Stdout.WriteString("ERROR: " + err.Error() + "\n")
		return
	}
	missing := filepath.Join(t.TempDir(), "libchdb.so")
	cmd := exec.Command(os.Args[0], "-test.run=^TestEngineWithoutLibrary$", "-test.v")
	cmd.Env = append(os.Environ(), "AITDR_TEST_WITHOUT_LIBRARY=1", clickhouse.LibraryEnv+"="+missing)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child process: %v\n%s", err, out)
	}
	for _, want := range []string{"ERROR: ", missing, "make chdb", clickhouse.LibraryEnv} {
		if !strings.Contains(string(out), want) {
			t.Errorf("error message lacks %q:\n%s", want, out)
		}
	}
}
