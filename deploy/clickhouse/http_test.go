package clickhouse_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aitdr/aitdr/deploy/clickhouse"
)

// TestHTTPQueryInURLAndBody shows curl-style requests: the query in the
// URL (GET and POST), in the body, and split between both, answered in
// TabSeparated with ClickHouse's headers.
func TestHTTPQueryInURLAndBody(t *testing.T) {
	srv := newServer(t)
	for _, tc := range []struct {
		name, method, path, body, want string
	}{
		{"GET query in URL", http.MethodGet, "/?query=" + url.QueryEscape("SELECT 1, 'a b'"), "", "1\ta b\n"},
		{"POST query in URL", http.MethodPost, "/?query=" + url.QueryEscape("SELECT 2"), "", "2\n"},
		{"POST query in body", http.MethodPost, "/", "SELECT number FROM numbers(3)", "0\n1\n2\n"},
		{"query in URL continued in body", http.MethodPost, "/?query=" + url.QueryEscape("SELECT 40 +"), "2", "42\n"},
		{"FORMAT clause", http.MethodPost, "/", "SELECT 1 AS x FORMAT JSONEachRow", "{\"x\":1}\n"},
		{"comment before the query", http.MethodPost, "/", "-- ready query\n/* more */ SELECT 3", "3\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := do(t, newRequest(t, srv, tc.method, tc.path, tc.body))
			if res.status != http.StatusOK || res.body != tc.want {
				t.Fatalf("status %d body %q, want 200 %q", res.status, res.body, tc.want)
			}
			if res.header.Get("X-ClickHouse-Query-Id") == "" {
				t.Error("no X-ClickHouse-Query-Id")
			}
			var summary map[string]string
			if err := json.Unmarshal([]byte(res.header.Get("X-ClickHouse-Summary")), &summary); err != nil || summary["result_rows"] == "" {
				t.Errorf("X-ClickHouse-Summary %q: %v", res.header.Get("X-ClickHouse-Summary"), err)
			}
		})
	}
	res := do(t, newRequest(t, srv, http.MethodGet, "/?query=SELECT+1", ""))
	if f := res.header.Get("X-ClickHouse-Format"); f != "TabSeparated" {
		t.Errorf("X-ClickHouse-Format %q, want TabSeparated", f)
	}
	req := newRequest(t, srv, http.MethodGet, "/?query=SELECT+1&query_id=my-query", "")
	if id := do(t, req).header.Get("X-ClickHouse-Query-Id"); id != "my-query" {
		t.Errorf("X-ClickHouse-Query-Id %q, want the client's my-query", id)
	}
}

// TestHTTPInsertFormats shows INSERT data in the body in JSONEachRow, CSV,
// TabSeparated, RowBinary and VALUES, with the query in the URL or in the
// body before the data, and the rows written counted in the summary.
func TestHTTPInsertFormats(t *testing.T) {
	srv := newServer(t)
	post := func(path, body string) httpResponse {
		t.Helper()
		return do(t, newRequest(t, srv, http.MethodPost, path, body))
	}
	if res := post("/", "CREATE TABLE identities (id String, class LowCardinality(String), n UInt32) ENGINE = MergeTree ORDER BY id"); res.status != 200 {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	q := func(sql string) string { return "/?query=" + url.QueryEscape(sql) }
	rowBinary := []byte{5, 'a', 'g', 'e', 'n', 't', 2, 'a', 'i', 7, 0, 0, 0}
	for _, tc := range []struct {
		name, path, body string
		rows             string
	}{
		{"JSONEachRow body", q("INSERT INTO identities FORMAT JSONEachRow"),
			`{"id":"alice","class":"ai_user","n":1}` + "\n" + `{"id":"bob","class":"ai_builder","n":2}`, "2"},
		{"CSV body", q("INSERT INTO identities FORMAT CSV"), "carol,ai_agent,3\n\"dave, jr\",human,4\n", "2"},
		{"TabSeparated body", q("INSERT INTO identities (id, n) FORMAT TabSeparated"), "erin\t5\n", "1"},
		{"RowBinary body", q("INSERT INTO identities FORMAT RowBinary"), string(rowBinary), "1"},
		{"query and data in the body", "/", "INSERT INTO identities FORMAT JSONEachRow\n{\"id\":\"frank\",\"n\":6}", "1"},
		{"VALUES in the body", "/", "INSERT INTO identities VALUES ('grace', 'service', 8)", "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := post(tc.path, tc.body)
			if res.status != http.StatusOK {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			var summary map[string]string
			_ = json.Unmarshal([]byte(res.header.Get("X-ClickHouse-Summary")), &summary)
			if summary["written_rows"] != tc.rows {
				t.Errorf("written_rows %q, want %s (summary %s)", summary["written_rows"], tc.rows, res.header.Get("X-ClickHouse-Summary"))
			}
		})
	}
	res := post("/?default_format=CSV", "SELECT id, class, n FROM identities ORDER BY n")
	want := "\"alice\",\"ai_user\",1\n\"bob\",\"ai_builder\",2\n\"carol\",\"ai_agent\",3\n\"dave, jr\",\"human\",4\n" +
		"\"erin\",\"\",5\n\"frank\",\"\",6\n\"agent\",\"ai\",7\n\"grace\",\"service\",8\n"
	if res.body != want {
		t.Errorf("rows:\n%s\nwant:\n%s", res.body, want)
	}
	res = post(q("INSERT INTO identities FORMAT JSONEachRow"), `{"id":"x","n":"not a number"}`)
	if res.status != http.StatusBadRequest || res.header.Get("X-ClickHouse-Exception-Code") != "27" || !strings.HasPrefix(res.body, "Code: 27. DB::Exception:") {
		t.Errorf("row that does not fit: %d %s %q, want 400 with code 27", res.status, res.header.Get("X-ClickHouse-Exception-Code"), res.body)
	}
}

// TestHTTPFormatsAndDatabase shows default_format (parameter and
// X-ClickHouse-Format header), the database parameter and header, and that
// neither nor USE and SET outlive their request.
func TestHTTPFormatsAndDatabase(t *testing.T) {
	srv := newServer(t)
	post := func(path, body string, header ...string) httpResponse {
		t.Helper()
		req := newRequest(t, srv, http.MethodPost, path, body)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		return do(t, req)
	}
	for _, tc := range []struct {
		name        string
		res         httpResponse
		body, fmt   string
		contentType string
	}{
		{"default_format", post("/?default_format=JSONEachRow", "SELECT 1 AS one"), "{\"one\":1}\n", "JSONEachRow", "application/x-ndjson; charset=UTF-8"},
		{"X-ClickHouse-Format", post("/", "SELECT 1 AS one", "X-ClickHouse-Format", "CSVWithNames"), "\"one\"\n1\n", "CSVWithNames", "text/csv; charset=UTF-8; header=present"},
		{"FORMAT clause over default_format", post("/?default_format=CSV", "SELECT 1 AS one FORMAT TSVWithNames"), "one\n1\n", "TSVWithNames", "text/tab-separated-values; charset=UTF-8"},
	} {
		if tc.res.status != 200 || tc.res.body != tc.body || tc.res.header.Get("X-ClickHouse-Format") != tc.fmt || tc.res.header.Get("Content-Type") != tc.contentType {
			t.Errorf("%s: %d %q format %q type %q; want %q %s %s", tc.name, tc.res.status, tc.res.body,
				tc.res.header.Get("X-ClickHouse-Format"), tc.res.header.Get("Content-Type"), tc.body, tc.fmt, tc.contentType)
		}
	}
	post("/", "CREATE DATABASE analytics")
	if res := post("/?database=analytics", "SELECT currentDatabase()"); res.body != "analytics\n" {
		t.Errorf("database parameter: %q", res.body)
	}
	if res := post("/", "SELECT currentDatabase()", "X-ClickHouse-Database", "analytics"); res.body != "analytics\n" {
		t.Errorf("X-ClickHouse-Database: %q", res.body)
	}
	if res := post("/?database=nope", "SELECT 1"); res.status != http.StatusNotFound || res.header.Get("X-ClickHouse-Exception-Code") != "81" {
		t.Errorf("unknown database: %d %q", res.status, res.body)
	}
	if res := post("/", "USE analytics"); res.status != 200 {
		t.Errorf("USE: %d %s", res.status, res.body)
	}
	if res := post("/", "SET max_threads = 1"); res.status != 200 {
		t.Errorf("SET: %d %s", res.status, res.body)
	}
	if res := post("/", "SET no_such_setting = 1"); res.header.Get("X-ClickHouse-Exception-Code") != "115" {
		t.Errorf("SET of an unknown setting: %d %s", res.status, res.body)
	}
	if res := post("/", "SELECT currentDatabase(), getSetting('max_threads') = 1"); res.body != "default\t0\n" {
		t.Errorf("after USE and SET: %q, want the default database and max_threads back", res.body)
	}
	if res := post("/?max_threads=1&max_block_size=1000", "SELECT getSetting('max_threads'), getSetting('max_block_size')"); res.body != "1\t1000\n" {
		t.Errorf("settings as URL parameters: %q", res.body)
	}
	if res := post("/?param_who=eve&param_n=2", "SELECT {who:String}, {n:UInt8} * 2"); res.body != "eve\t4\n" {
		t.Errorf("query parameters: %q", res.body)
	}
}

// TestHTTPErrors shows exceptions as ClickHouse sends them: status, body
// "Code: N. DB::Exception: ...", X-ClickHouse-Exception-Code, for engine
// errors and for what the HTTP interface itself refuses.
func TestHTTPErrors(t *testing.T) {
	srv := newServer(t)
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"unknown table", http.MethodPost, "/", "SELECT * FROM nope", 404, "60"},
		{"syntax error", http.MethodGet, "/?query=SELEC+1", "", 400, "62"},
		{"empty query", http.MethodPost, "/", "", 400, "62"},
		{"multi-statement", http.MethodPost, "/", "SELECT 1; SELECT 2", 400, "62"},
		{"unknown setting", http.MethodPost, "/?no_such_setting=1", "SELECT 1", 404, "115"},
		{"bad setting name", http.MethodPost, "/?bad-name=1", "SELECT 1", 404, "115"},
		{"GET implies readonly", http.MethodGet, "/?query=" + url.QueryEscape("CREATE TABLE t (a UInt8) ENGINE = Memory"), "", 500, "164"},
		{"GET cannot write files", http.MethodGet, "/?query=" + url.QueryEscape("INSERT INTO FUNCTION file('x.csv', 'CSV') SELECT 1"), "", 500, "164"},
		{"unsupported method", http.MethodPut, "/", "SELECT 1", 501, "48"},
		{"bad client_protocol_version", http.MethodPost, "/?client_protocol_version=x", "SELECT 1", 400, "36"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := do(t, newRequest(t, srv, tc.method, tc.path, tc.body))
			if res.status != tc.status || res.header.Get("X-ClickHouse-Exception-Code") != tc.code {
				t.Fatalf("status %d code %q body %q; want %d and code %s", res.status,
					res.header.Get("X-ClickHouse-Exception-Code"), res.body, tc.status, tc.code)
			}
			if !strings.HasPrefix(res.body, "Code: "+tc.code+". DB::Exception: ") || !strings.HasSuffix(res.body, "\n") {
				t.Fatalf("body %q is not a ClickHouse exception with code %s", res.body, tc.code)
			}
		})
	}
	res := do(t, newRequest(t, srv, http.MethodGet, "/?query="+url.QueryEscape("CREATE TABLE t (a UInt8) ENGINE = Memory"), ""))
	if !strings.Contains(res.body, "method GET implies readonly") {
		t.Errorf("GET write: %q lacks ClickHouse's hint to use POST", res.body)
	}
	if res := do(t, newRequest(t, srv, http.MethodGet, "/no/such/handler", "")); res.status != http.StatusNotFound {
		t.Errorf("unknown path: %d", res.status)
	}
	multipart := newRequest(t, srv, http.MethodPost, "/", "--x\r\n")
	multipart.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	if res := do(t, multipart); res.status != http.StatusNotImplemented || res.header.Get("X-ClickHouse-Exception-Code") != "48" {
		t.Errorf("external data: %d %q", res.status, res.body)
	}
}

// TestHTTPAuthentication shows every way ClickHouse takes credentials
// (basic authentication, X-ClickHouse-User/X-ClickHouse-Key, user and
// password parameters, none for "default"), mixing them refused, and wrong
// ones refused with 516 and HTTP 403.
func TestHTTPAuthentication(t *testing.T) {
	srv := newServer(t, func(c *clickhouse.Config) {
		// No passwordless default user: a request without credentials is
		// "default" and refused.
		c.Users = c.Users[1:]
	})
	whoami := func(configure func(*http.Request), path string) httpResponse {
		req := newRequest(t, srv, http.MethodPost, path, "SELECT 'ok'")
		configure(req)
		return do(t, req)
	}
	for _, tc := range []struct {
		name      string
		path      string
		configure func(*http.Request)
		status    int
	}{
		{"basic", "/", func(r *http.Request) { r.SetBasicAuth("writer", writerPassword) }, 200},
		{"headers", "/", func(r *http.Request) {
			r.Header.Set("X-ClickHouse-User", "analyst")
			r.Header.Set("X-ClickHouse-Key", analystPassword)
		}, 200},
		{"parameters", "/?user=writer&password=" + url.QueryEscape(writerPassword), func(*http.Request) {}, 200},
		{"wrong basic", "/", func(r *http.Request) { r.SetBasicAuth("writer", "nope") }, 403},
		{"wrong header key", "/", func(r *http.Request) {
			r.Header.Set("X-ClickHouse-User", "writer")
			r.Header.Set("X-ClickHouse-Key", analystPassword)
		}, 403},
		{"unknown user", "/?user=mallory&password=x", func(*http.Request) {}, 403},
		{"no credentials", "/", func(*http.Request) {}, 403},
		{"basic and headers", "/", func(r *http.Request) {
			r.SetBasicAuth("writer", writerPassword)
			r.Header.Set("X-ClickHouse-User", "writer")
		}, 403},
		{"headers and parameters", "/?user=writer", func(r *http.Request) {
			r.Header.Set("X-ClickHouse-User", "writer")
			r.Header.Set("X-ClickHouse-Key", writerPassword)
		}, 403},
		{"bearer token", "/", func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc") }, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := whoami(tc.configure, tc.path)
			if res.status != tc.status {
				t.Fatalf("status %d %q, want %d", res.status, res.body, tc.status)
			}
			if tc.status == 403 && res.header.Get("X-ClickHouse-Exception-Code") != "516" {
				t.Fatalf("code %q %q, want 516", res.header.Get("X-ClickHouse-Exception-Code"), res.body)
			}
		})
	}
	// A readonly user's setting with a bad value gets the engine's own error.
	req := newRequest(t, srv, http.MethodPost, "/?max_threads=lots", "SELECT 1")
	req.SetBasicAuth("analyst", analystPassword)
	if res := do(t, req); res.status == 200 || res.header.Get("X-ClickHouse-Exception-Code") == "1002" || !strings.Contains(res.body, "lots") {
		t.Errorf("analyst with max_threads=lots: %d %q, want the engine's error about the value", res.status, res.body)
	}
	// /ping needs no credentials, as on ClickHouse.
	if res := do(t, newRequest(t, srv, http.MethodGet, "/ping", "")); res.status != 200 || res.body != "Ok.\n" {
		t.Errorf("/ping: %d %q", res.status, res.body)
	}
}

// TestHTTPBodyLimit shows a body over max_body_size refused with 413 and
// QUERY_IS_TOO_LARGE, also when it is small compressed and large
// decompressed, while a body under the limit passes.
func TestHTTPBodyLimit(t *testing.T) {
	const limit = 64 << 10
	srv := newServer(t, func(c *clickhouse.Config) { c.MaxBodySize = limit })
	do(t, newRequest(t, srv, http.MethodPost, "/", "CREATE TABLE lines (s String) ENGINE = MergeTree ORDER BY s"))
	insert := "/?query=" + url.QueryEscape("INSERT INTO lines FORMAT TSV")
	line := strings.Repeat("x", 99) + "\n"
	if res := do(t, newRequest(t, srv, http.MethodPost, insert, strings.Repeat(line, 600))); res.status != 200 {
		t.Fatalf("60 KB body: %d %s", res.status, res.body)
	}
	res := do(t, newRequest(t, srv, http.MethodPost, insert, strings.Repeat(line, 700)))
	if res.status != http.StatusRequestEntityTooLarge || res.header.Get("X-ClickHouse-Exception-Code") != "229" {
		t.Fatalf("70 KB body: %d %s, want 413 with code 229", res.status, res.body)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(strings.Repeat(line, 10_000)))
	_ = zw.Close()
	req := newRequest(t, srv, http.MethodPost, insert, gz.String())
	req.Header.Set("Content-Encoding", "gzip")
	if res := do(t, req); res.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("%d bytes of gzip inflating to 1 MB: %d %s, want 413", gz.Len(), res.status, res.body)
	}
	if res := do(t, newRequest(t, srv, http.MethodPost, "/", "SELECT count() FROM lines")); res.body != "600\n" {
		t.Fatalf("rows after the refused bodies: %q, want 600", res.body)
	}
}

// TestHTTPCompressedBodiesAndResults shows gzip, deflate, br and zstd
// request bodies read, and a result gzip-compressed when the client offers
// it, as curl --compressed does.
func TestHTTPCompressedBodiesAndResults(t *testing.T) {
	srv := newServer(t)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte("SELECT 7"))
	_ = zw.Close()
	req := newRequest(t, srv, http.MethodPost, "/", gz.String())
	req.Header.Set("Content-Encoding", "gzip")
	if res := do(t, req); res.body != "7\n" {
		t.Fatalf("gzip body: %d %q", res.status, res.body)
	}
	req = newRequest(t, srv, http.MethodPost, "/", "SELECT 7")
	req.Header.Set("Content-Encoding", "snappy")
	if res := do(t, req); res.status != http.StatusUnsupportedMediaType {
		t.Fatalf("snappy body: %d %q, want 415", res.status, res.body)
	}

	req = newRequest(t, srv, http.MethodPost, "/", "SELECT number FROM numbers(10000)")
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", res.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil || !strings.HasSuffix(string(body), "\n9999\n") {
		t.Fatalf("gzip result: %v, ends %q", err, body[max(0, len(body)-20):])
	}
}

// TestHTTPPingDuringSlowQuery shows /ping answering at once while a slow
// query holds the engine, and a query queued behind it still served.
func TestHTTPPingDuringSlowQuery(t *testing.T) {
	srv := newServer(t)
	var wg sync.WaitGroup
	slowDone := make(chan time.Time, 1)
	slow := newRequest(t, srv, http.MethodPost, "/", "SELECT sleep(3)")
	wg.Go(func() {
		res, err := send(slow)
		if err != nil || res.status != 200 {
			t.Errorf("slow query: %v %d %s", err, res.status, res.body)
		}
		slowDone <- time.Now()
	})
	time.Sleep(300 * time.Millisecond) // the slow query is on the engine now
	start := time.Now()
	res := do(t, newRequest(t, srv, http.MethodGet, "/ping", ""))
	pinged := time.Now()
	if res.status != 200 || res.body != "Ok.\n" {
		t.Fatalf("/ping: %d %q", res.status, res.body)
	}
	if took := pinged.Sub(start); took > 500*time.Millisecond {
		t.Fatalf("/ping took %s while the slow query ran", took)
	}
	queued := do(t, newRequest(t, srv, http.MethodPost, "/", "SELECT 'after'"))
	wg.Wait()
	if queued.body != "after\n" {
		t.Fatalf("query behind the slow one: %d %q", queued.status, queued.body)
	}
	if done := <-slowDone; !done.After(pinged) {
		t.Fatalf("the slow query finished before /ping was answered; the test proves nothing")
	}
}

// TestHTTPQueueLimit shows a query beyond max_queued_queries refused at once
// with TOO_MANY_SIMULTANEOUS_QUERIES (202) instead of piling up.
func TestHTTPQueueLimit(t *testing.T) {
	srv := newServer(t, func(c *clickhouse.Config) { c.MaxQueuedQueries = 1 })
	var res httpResponse
	// The slow query must take the only slot first; on a loaded machine the
	// probe may win the race, and the attempt is repeated.
	for attempt := 0; attempt < 3 && res.header.Get("X-ClickHouse-Exception-Code") != "202"; attempt++ {
		var wg sync.WaitGroup
		slow := newRequest(t, srv, http.MethodPost, "/", "SELECT sleep(1)")
		wg.Go(func() { _, _ = send(slow) })
		time.Sleep(300 * time.Millisecond)
		res = do(t, newRequest(t, srv, http.MethodPost, "/", "SELECT 1"))
		wg.Wait()
	}
	if res.header.Get("X-ClickHouse-Exception-Code") != "202" {
		t.Fatalf("query with the only slot taken: %d %q, want code 202", res.status, res.body)
	}
	if res := do(t, newRequest(t, srv, http.MethodPost, "/", "SELECT 1")); res.body != "1\n" {
		t.Fatalf("after the slot is free: %d %q", res.status, res.body)
	}
}

// TestHTTPRootAndHead shows GET / answering "Ok." like ClickHouse, and HEAD
// with headers only.
func TestHTTPRootAndHead(t *testing.T) {
	srv := newServer(t)
	if res := do(t, newRequest(t, srv, http.MethodGet, "/", "")); res.status != 200 || res.body != "Ok.\n" {
		t.Errorf("GET /: %d %q", res.status, res.body)
	}
	res := do(t, newRequest(t, srv, http.MethodHead, "/?query=SELECT+1", ""))
	if res.status != 200 || res.body != "" || res.header.Get("X-ClickHouse-Format") != "TabSeparated" {
		t.Errorf("HEAD: %d %q %v", res.status, res.body, res.header)
	}
	if got := fmt.Sprint(do(t, newRequest(t, srv, http.MethodGet, "/replicas_status", "")).body); got != "Ok.\n" {
		t.Errorf("/replicas_status: %q", got)
	}
}

// TestHTTPQueryTimeout shows query_timeout applied as max_execution_time: a
// query running past it fails with TIMEOUT_EXCEEDED (159) and HTTP 408, and
// the engine serves the next one.
func TestHTTPQueryTimeout(t *testing.T) {
	srv := newServer(t, func(c *clickhouse.Config) { c.QueryTimeout = time.Second })
	start := time.Now()
	res := do(t, newRequest(t, srv, http.MethodPost, "/", "SELECT count() FROM system.numbers"))
	if res.status != http.StatusRequestTimeout || res.header.Get("X-ClickHouse-Exception-Code") != "159" {
		t.Fatalf("endless query: %d %q after %s, want 408 with code 159", res.status, res.body, time.Since(start))
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("endless query stopped after %s, want about 1s", took)
	}
	if res := do(t, newRequest(t, srv, http.MethodPost, "/", "SELECT 1")); res.body != "1\n" {
		t.Fatalf("next query: %d %q", res.status, res.body)
	}
}

// TestServerGracefulShutdown shows Run, once its context ends, letting the
// query in flight finish and answer, refusing new connections, and
// returning nil with the engine closed.
func TestServerGracefulShutdown(t *testing.T) {
	cfg := testConfig(t)
	srv, err := clickhouse.New(cfg, clickhouse.WithLookupEnv(func(string) (string, bool) { return analystPassword, true }),
		clickhouse.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()

	slow := newRequest(t, srv, http.MethodPost, "/", "SELECT 'finished', sleep(2)")
	answered := make(chan httpResponse, 1)
	go func() {
		res, err := send(slow)
		if err != nil {
			t.Errorf("query in flight: %v", err)
		}
		answered <- res
	}()
	time.Sleep(500 * time.Millisecond)
	cancel()
	if res := <-answered; res.status != 200 || !strings.HasPrefix(res.body, "finished") {
		t.Fatalf("query in flight at shutdown: %d %q", res.status, res.body)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if _, err := send(newRequest(t, srv, http.MethodGet, "/ping", "")); err == nil {
		t.Fatal("the server still answers after Run returned")
	}
	if _, err := srv.Engine().Exec(context.Background(), clickhouse.Query{SQL: []byte("SELECT 1")}); !errors.Is(err, clickhouse.ErrEngineClosed) {
		t.Fatalf("engine after Run: %v, want ErrEngineClosed", err)
	}
}
