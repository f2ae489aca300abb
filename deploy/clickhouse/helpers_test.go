package clickhouse_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/aitdr/aitdr/deploy/clickhouse"
)

// Users of the test server: default (no password, read-write), writer
// (password from a SHA-256 digest, read-write) and analyst (password from
// the environment, readonly=1).
const (
	writerPassword  = "writer-secret"
	analystPassword = "analyst-secret"
	analystEnv      = "AITDR_TEST_ANALYST_PASSWORD"
)

// testConfig is the configuration newServer starts from.
func testConfig(t testing.TB) clickhouse.Config {
	cfg := clickhouse.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	digest := sha256.Sum256([]byte(writerPassword))
	cfg.Users = []clickhouse.User{
		{Name: "default", NoPassword: true},
		{Name: "writer", PasswordSHA256Hex: hex.EncodeToString(digest[:])},
		{Name: "analyst", PasswordEnv: analystEnv, ReadOnly: true},
	}
	cfg.ShutdownTimeout = 10 * time.Second
	return cfg
}

// newServer starts the embedded engine behind its HTTP interface on a free
// loopback port with testConfig changed by configure, and stops it when the
// test ends, failing the test when Run does not return cleanly. It fails
// (never skips) when libchdb.so is missing: make test fetches it.
func newServer(t testing.TB, configure ...func(*clickhouse.Config)) *clickhouse.Server {
	t.Helper()
	cfg := testConfig(t)
	for _, f := range configure {
		f(&cfg)
	}
	env := func(name string) (string, bool) {
		if name == analystEnv {
			return analystPassword, true
		}
		return "", false
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := clickhouse.New(cfg, clickhouse.WithLookupEnv(env), clickhouse.WithLogger(logger))
	if errors.Is(err, clickhouse.ErrNoLibrary) {
		t.Fatalf("the embedded ClickHouse tests need libchdb.so: run `make chdb` (make test does) or set %s: %v",
			clickhouse.LibraryEnv, err)
	}
	if err != nil {
		t.Fatalf("start embedded clickhouse: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("embedded clickhouse Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("embedded clickhouse Run did not return within 30s of its context ending")
		}
	})
	return srv
}

// newClient opens clickhouse-go over HTTP to srv as user, with configure
// applied to the options.
func newClient(t testing.TB, srv *clickhouse.Server, user, password string, configure ...func(*ch.Options)) driver.Conn {
	t.Helper()
	opts := &ch.Options{
		Protocol:    ch.HTTP,
		Addr:        []string{srv.Addr()},
		Auth:        ch.Auth{Username: user, Password: password},
		DialTimeout: 10 * time.Second,
	}
	for _, f := range configure {
		f(opts)
	}
	conn, err := ch.Open(opts)
	if err != nil {
		t.Fatalf("open clickhouse-go as %s: %v", user, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// mustExec runs a statement with clickhouse-go and fails the test on error.
func mustExec(t testing.TB, conn driver.Conn, sql string) {
	t.Helper()
	if err := conn.Exec(context.Background(), sql); err != nil {
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

// httpResponse is a raw HTTP answer.
type httpResponse struct {
	status int
	header http.Header
	body   string
}

// do sends a raw request to the server and reads the whole answer,
// failing the test when there is none.
func do(t testing.TB, req *http.Request) httpResponse {
	t.Helper()
	res, err := send(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// send sends a raw request and reads the whole answer; for goroutines.
func send(req *http.Request) (httpResponse, error) {
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return httpResponse{}, fmt.Errorf("%s %s: %w", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return httpResponse{}, fmt.Errorf("%s %s: read body: %w", req.Method, req.URL, err)
	}
	return httpResponse{status: res.StatusCode, header: res.Header, body: string(body)}, nil
}

// newRequest builds a raw request to srv; path includes the query string.
func newRequest(t testing.TB, srv *clickhouse.Server, method, path, body string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL()+path, r)
	if err != nil {
		t.Fatalf("build request %s %s: %v", method, path, err)
	}
	return req
}
