package clickhouse_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/google/uuid"
)

// eventsDDL is a MergeTree table with every column type the pipeline's
// tables use.
const eventsDDL = `CREATE TABLE events (
	event_id   UUID,
	time       DateTime64(3, 'UTC'),
	day        Date,
	seen       DateTime('UTC'),
	identity   LowCardinality(String),
	kind       Enum8('user' = 1, 'builder' = 2, 'agent' = 3),
	labels     Map(String, String),
	tags       Array(String),
	session    Nullable(String),
	bytes      UInt64,
	tokens     Int32,
	score      Float64,
	anomalous  Bool,
	src_ip     IPv4,
	src_ip6    IPv6
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(time)
ORDER BY (identity, time)
TTL toDateTime(time) + INTERVAL 3650 DAY`

// event is one row of eventsDDL.
type event struct {
	ID        uuid.UUID
	Time      time.Time
	Day       time.Time
	Seen      time.Time
	Identity  string
	Kind      string
	Labels    map[string]string
	Tags      []string
	Session   *string
	Bytes     uint64
	Tokens    int32
	Score     float64
	Anomalous bool
	IP        net.IP
	IP6       net.IP
}

// testEvent is the i-th deterministic row.
func testEvent(i int) event {
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ts := base.Add(time.Duration(i) * 1500 * time.Millisecond).Add(time.Duration(i%1000) * time.Millisecond).Truncate(time.Millisecond)
	var session *string
	if i%3 != 0 {
		s := fmt.Sprintf("sess-%d", i%97)
		session = &s
	}
	return event{
		ID:        uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprint(i))),
		Time:      ts,
		Day:       time.Date(ts.Year(), ts.Month(), ts.Day(), 0, 0, 0, 0, time.UTC),
		Seen:      ts.Truncate(time.Second),
		Identity:  fmt.Sprintf("agent-%d@corp.example", i%500),
		Kind:      []string{"user", "builder", "agent"}[i%3],
		Labels:    map[string]string{"provider": []string{"openai", "anthropic", "bedrock"}[i%3], "n": fmt.Sprint(i % 7)},
		Tags:      []string{"t" + fmt.Sprint(i%5), "é-ünïcode", strings.Repeat("x", i%4)},
		Session:   session,
		Bytes:     uint64(i),
		Tokens:    int32(i%20000) - 10000,
		Score:     float64(i) / 7,
		Anomalous: i%11 == 0,
		IP:        net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)).To4(),
		IP6:       net.ParseIP(fmt.Sprintf("2001:db8::%x:%x", i>>16, i&0xffff)),
	}
}

// TestClientPing shows that clickhouse-go over HTTP connects, pings and
// reads the server version (its handshake runs a query over the interface).
func TestClientPing(t *testing.T) {
	srv := newServer(t)
	conn := newClient(t, srv, "default", "")
	if err := conn.Ping(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	v, err := conn.ServerVersion()
	if err != nil {
		t.Fatalf("server version: %v", err)
	}
	if v.Version.Major < 26 {
		t.Errorf("server version %s, want the 26.x engine", v.Version)
	}
}

// TestClientBatchInsertAndReadEveryType shows a 100,000-row
// PrepareBatch/Append/Send into a MergeTree table and every value of every
// column type read back as written.
func TestClientBatchInsertAndReadEveryType(t *testing.T) {
	const rows = 100_000
	srv := newServer(t)
	conn := newClient(t, srv, "writer", writerPassword)
	ctx := context.Background()
	mustExec(t, conn, eventsDDL)

	start := time.Now()
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO events")
	if err != nil {
		t.Fatalf("prepare batch: %v", err)
	}
	for i := range rows {
		e := testEvent(i)
		if err := batch.Append(e.ID, e.Time, e.Day, e.Seen, e.Identity, e.Kind, e.Labels, e.Tags, e.Session,
			e.Bytes, e.Tokens, e.Score, e.Anomalous, e.IP, e.IP6); err != nil {
			t.Fatalf("append row %d: %v", i, err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatalf("send batch of %d rows: %v", rows, err)
	}
	t.Logf("100k-row batch: %s", time.Since(start).Round(time.Millisecond))

	var count, sum uint64
	if err := conn.QueryRow(ctx, "SELECT count(), sum(bytes) FROM events").Scan(&count, &sum); err != nil {
		t.Fatalf("count: %v", err)
	}
	if count != rows || sum != rows*(rows-1)/2 {
		t.Fatalf("count %d sum %d, want %d and %d", count, sum, rows, rows*(rows-1)/2)
	}

	res, err := conn.Query(ctx, `SELECT event_id, time, day, seen, identity, kind, labels, tags, session,
		bytes, tokens, score, anomalous, src_ip, src_ip6 FROM events ORDER BY bytes`)
	if err != nil {
		t.Fatalf("select: %v", err)
	}
	defer res.Close()
	i := 0
	for res.Next() {
		var got event
		if err := res.Scan(&got.ID, &got.Time, &got.Day, &got.Seen, &got.Identity, &got.Kind, &got.Labels, &got.Tags,
			&got.Session, &got.Bytes, &got.Tokens, &got.Score, &got.Anomalous, &got.IP, &got.IP6); err != nil {
			t.Fatalf("scan row %d: %v", i, err)
		}
		if msg := diffEvent(got, testEvent(i)); msg != "" {
			t.Fatalf("row %d: %s", i, msg)
		}
		i++
	}
	if err := res.Err(); err != nil {
		t.Fatalf("read rows: %v", err)
	}
	if i != rows {
		t.Fatalf("read %d rows, want %d", i, rows)
	}
}

// diffEvent describes how got differs from want, "" when equal.
func diffEvent(got, want event) string {
	var d []string
	check := func(name string, ok bool, g, w any) {
		if !ok {
			d = append(d, fmt.Sprintf("%s = %v, want %v", name, g, w))
		}
	}
	check("event_id", got.ID == want.ID, got.ID, want.ID)
	check("time", got.Time.Equal(want.Time), got.Time, want.Time)
	check("day", got.Day.Equal(want.Day), got.Day, want.Day)
	check("seen", got.Seen.Equal(want.Seen), got.Seen, want.Seen)
	check("identity", got.Identity == want.Identity, got.Identity, want.Identity)
	check("kind", got.Kind == want.Kind, got.Kind, want.Kind)
	check("labels", maps.Equal(got.Labels, want.Labels), got.Labels, want.Labels)
	check("tags", slices.Equal(got.Tags, want.Tags), got.Tags, want.Tags)
	check("session", (got.Session == nil) == (want.Session == nil) && (got.Session == nil || *got.Session == *want.Session), got.Session, want.Session)
	check("bytes", got.Bytes == want.Bytes, got.Bytes, want.Bytes)
	check("tokens", got.Tokens == want.Tokens, got.Tokens, want.Tokens)
	check("score", got.Score == want.Score, got.Score, want.Score)
	check("anomalous", got.Anomalous == want.Anomalous, got.Anomalous, want.Anomalous)
	check("src_ip", got.IP.Equal(want.IP), got.IP, want.IP)
	check("src_ip6", got.IP6.Equal(want.IP6), got.IP6, want.IP6)
	return strings.Join(d, "; ")
}

// TestClientErrorsCarryTheirCode shows engine errors reaching clickhouse-go
// as *clickhouse.Exception with ClickHouse's code, behind the HTTP status
// ClickHouse gives that code.
func TestClientErrorsCarryTheirCode(t *testing.T) {
	srv := newServer(t)
	conn := newClient(t, srv, "default", "")
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		run    func() error
		code   int32
		status int
	}{
		{"unknown table", func() error { return conn.Exec(ctx, "SELECT * FROM no_such_table") }, 60, 404},
		{"syntax error", func() error { return conn.Exec(ctx, "SELEC 1") }, 62, 400},
		{"unknown setting", func() error {
			return conn.Exec(ch.Context(ctx, ch.WithSettings(ch.Settings{"no_such_setting": 1})), "SELECT 1")
		}, 115, 404},
		{"unknown function", func() error { return conn.Exec(ctx, "SELECT no_such_function(1)") }, 46, 404},
		{"multi-statement", func() error { return conn.Exec(ctx, "SELECT 1; SELECT 2") }, 62, 400},
		{"row that does not fit", func() error {
			if err := conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS nums (n UInt8) ENGINE = MergeTree ORDER BY n"); err != nil {
				return err
			}
			return conn.Exec(ctx, `INSERT INTO nums FORMAT JSONEachRow {"n": "many"}`)
		}, 27, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if code := exceptionCode(err); code != tc.code {
				t.Fatalf("error %v: code %d, want %d", err, code, tc.code)
			}
			var httpErr *ch.HTTPError
			if !errors.As(err, &httpErr) || httpErr.StatusCode != tc.status {
				t.Fatalf("error %v: want an HTTP %d", err, tc.status)
			}
		})
	}
	t.Run("unknown database", func(t *testing.T) {
		bad := newClient(t, srv, "default", "", func(o *ch.Options) { o.Auth.Database = "no_such_db" })
		if code := exceptionCode(bad.Ping(ctx)); code != 81 {
			t.Fatalf("ping with database no_such_db: code %d, want 81 (UNKNOWN_DATABASE)", code)
		}
	})
}

// TestClientWrongPasswordIsRefused shows unknown users and wrong passwords
// refused with AUTHENTICATION_FAILED (516) and HTTP 403, and the right ones
// let in.
func TestClientWrongPasswordIsRefused(t *testing.T) {
	srv := newServer(t)
	ctx := context.Background()
	for _, tc := range []struct{ user, password string }{
		{"writer", "wrong"},
		{"writer", ""},
		{"analyst", writerPassword},
		{"nobody", ""},
		{"default", "something"},
	} {
		conn, err := ch.Open(&ch.Options{Protocol: ch.HTTP, Addr: []string{srv.Addr()},
			Auth: ch.Auth{Username: tc.user, Password: tc.password}})
		if err == nil {
			err = conn.Ping(ctx)
			_ = conn.Close()
		}
		if code := exceptionCode(err); code != 516 {
			t.Errorf("user %q password %q: code %d (%v), want 516", tc.user, tc.password, code, err)
		}
	}
	if err := newClient(t, srv, "writer", writerPassword).Ping(ctx); err != nil {
		t.Errorf("writer with its password: %v", err)
	}
	if err := newClient(t, srv, "analyst", analystPassword).Ping(ctx); err != nil {
		t.Errorf("analyst with its password: %v", err)
	}
}

// TestClientReadonlyUserCannotWrite shows the analyst (readonly=1) reading
// but refused every write and every attempt to lift readonly, with READONLY
// (164), while the data stays untouched.
func TestClientReadonlyUserCannotWrite(t *testing.T) {
	srv := newServer(t)
	ctx := context.Background()
	writer := newClient(t, srv, "writer", writerPassword)
	mustExec(t, writer, "CREATE TABLE notes (n UInt32) ENGINE = MergeTree ORDER BY n")
	mustExec(t, writer, "INSERT INTO notes VALUES (1), (2), (3)")

	analyst := newClient(t, srv, "analyst", analystPassword)
	var count uint64
	if err := analyst.QueryRow(ctx, "SELECT count() FROM notes").Scan(&count); err != nil || count != 3 {
		t.Fatalf("analyst count: %d, %v; want 3", count, err)
	}
	batch, err := analyst.PrepareBatch(ctx, "INSERT INTO notes")
	if err == nil {
		_ = batch.Append(uint32(4))
		err = batch.Send()
	}
	if code := exceptionCode(err); code != 164 {
		t.Errorf("analyst batch insert: code %d (%v), want 164", code, err)
	}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		sql  string
	}{
		{"insert", ctx, "INSERT INTO notes VALUES (5)"},
		{"insert select", ctx, "INSERT INTO notes SELECT 6"},
		{"create", ctx, "CREATE TABLE other (n UInt8) ENGINE = Memory"},
		{"drop", ctx, "DROP TABLE notes"},
		{"truncate", ctx, "TRUNCATE TABLE notes"},
		{"alter delete", ctx, "ALTER TABLE notes DELETE WHERE 1"},
		{"table function write", ctx, "INSERT INTO FUNCTION file('x.csv', 'CSV') SELECT 1"},
		{"table function read", ctx, "SELECT * FROM file('/etc/hostname', 'LineAsString')"},
		{"readonly=0 setting", ch.Context(ctx, ch.WithSettings(ch.Settings{"readonly": 0})), "SELECT 1"},
		{"readonly=0 in the query", ctx, "SELECT 1 SETTINGS readonly = 0"},
		{"SET readonly", ctx, "SET readonly = 0"},
		{"a limit it may not lift", ch.Context(ctx, ch.WithSettings(ch.Settings{"max_memory_usage": 1 << 40})), "SELECT 1"},
		{"SET a setting", ctx, "SET max_threads = 1"},
	} {
		err := analyst.Exec(tc.ctx, tc.sql)
		if code := exceptionCode(err); code != 164 {
			t.Errorf("analyst %s (%s): code %d (%v), want 164 (READONLY)", tc.name, tc.sql, code, err)
		}
	}
	if err := writer.QueryRow(ctx, "SELECT count() FROM notes").Scan(&count); err != nil || count != 3 {
		t.Fatalf("after the analyst: %d rows, %v; want 3", count, err)
	}

	// What an administrator allows with changeable_in_readonly: bounds on
	// the query itself, and a lower max_execution_time than configured.
	var threads, limit string
	bounded := ch.Context(ctx, ch.WithSettings(ch.Settings{"max_threads": 1, "max_execution_time": 20}))
	if err := analyst.QueryRow(bounded, "SELECT toString(getSetting('max_threads')), toString(getSetting('max_execution_time'))").Scan(&threads, &limit); err != nil {
		t.Fatalf("analyst with max_threads and max_execution_time: %v", err)
	}
	if threads != "1" || limit != "20" {
		t.Errorf("analyst settings: max_threads %s, max_execution_time %s; want 1 and 20", threads, limit)
	}
	longer := ch.Context(ctx, ch.WithSettings(ch.Settings{"max_execution_time": 100000}))
	if err := analyst.QueryRow(longer, "SELECT toString(getSetting('max_execution_time'))").Scan(&limit); err != nil || limit != "300" {
		t.Errorf("analyst asking for a longer max_execution_time: %s, %v; want the configured 300", limit, err)
	}
}

// TestClientCompression shows batch inserts and reads with every
// compression clickhouse-go offers over HTTP: ClickHouse's block format
// (LZ4, ZSTD: compress=1, decompress=1) and HTTP Content-Encoding (gzip,
// deflate, br).
func TestClientCompression(t *testing.T) {
	srv := newServer(t)
	ctx := context.Background()
	mustExec(t, newClient(t, srv, "default", ""), eventsDDL)
	total := 0
	for _, method := range []ch.CompressionMethod{ch.CompressionNone, ch.CompressionLZ4, ch.CompressionZSTD,
		ch.CompressionGZIP, ch.CompressionDeflate, ch.CompressionBrotli} {
		t.Run(method.String(), func(t *testing.T) {
			conn := newClient(t, srv, "writer", writerPassword, func(o *ch.Options) {
				o.Compression = &ch.Compression{Method: method}
			})
			batch, err := conn.PrepareBatch(ctx, "INSERT INTO events")
			if err != nil {
				t.Fatalf("prepare batch: %v", err)
			}
			for i := total; i < total+5000; i++ {
				e := testEvent(i)
				if err := batch.Append(e.ID, e.Time, e.Day, e.Seen, e.Identity, e.Kind, e.Labels, e.Tags, e.Session,
					e.Bytes, e.Tokens, e.Score, e.Anomalous, e.IP, e.IP6); err != nil {
					t.Fatalf("append: %v", err)
				}
			}
			if err := batch.Send(); err != nil {
				t.Fatalf("send: %v", err)
			}
			total += 5000
			var count uint64
			var tags []string
			if err := conn.QueryRow(ctx, "SELECT count(), groupArray(tags[1]) FROM events").Scan(&count, &tags); err != nil {
				t.Fatalf("read: %v", err)
			}
			if int(count) != total || len(tags) != total {
				t.Fatalf("count %d, %d tags; want %d", count, len(tags), total)
			}
			if err := conn.Exec(ctx, "SELECT * FROM no_such_table"); exceptionCode(err) != 60 {
				t.Fatalf("error through %s: %v, want code 60", method, err)
			}
		})
	}
}

// TestClientSettingsAndParameters shows per-query settings applied to that
// query only, query parameters bound server-side, a context deadline
// turned into max_execution_time, and the database chosen per connection.
func TestClientSettingsAndParameters(t *testing.T) {
	srv := newServer(t)
	ctx := context.Background()
	conn := newClient(t, srv, "default", "")
	var threads string
	withOne := ch.Context(ctx, ch.WithSettings(ch.Settings{"max_threads": 1}))
	if err := conn.QueryRow(withOne, "SELECT toString(getSetting('max_threads'))").Scan(&threads); err != nil || threads != "1" {
		t.Fatalf("max_threads with the setting: %q, %v; want 1", threads, err)
	}
	if err := conn.QueryRow(ctx, "SELECT toString(getSetting('max_threads'))").Scan(&threads); err != nil || threads == "1" {
		t.Fatalf("max_threads on the next query: %q, %v; want the default back", threads, err)
	}

	var sum uint64
	var name string
	withParams := ch.Context(ctx, ch.WithParameters(ch.Parameters{"n": "41", "who": "o'brien"}))
	if err := conn.QueryRow(withParams, "SELECT {n:UInt64} + 1, {who:String}").Scan(&sum, &name); err != nil || sum != 42 || name != "o'brien" {
		t.Fatalf("parameters: %d %q %v; want 42 o'brien", sum, name, err)
	}

	deadline, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var limit string
	if err := conn.QueryRow(deadline, "SELECT toString(getSetting('max_execution_time'))").Scan(&limit); err != nil || limit == "0" || limit == "300" {
		t.Fatalf("max_execution_time under a 30s deadline: %q, %v", limit, err)
	}
	if err := conn.QueryRow(ctx, "SELECT toString(getSetting('max_execution_time'))").Scan(&limit); err != nil || limit != "300" {
		t.Fatalf("max_execution_time without deadline: %q, %v; want the configured 300", limit, err)
	}

	mustExec(t, conn, "CREATE DATABASE aitdr")
	mustExec(t, conn, "CREATE TABLE aitdr.t (n UInt8) ENGINE = Memory")
	inDB := newClient(t, srv, "default", "", func(o *ch.Options) { o.Auth.Database = "aitdr" })
	var db string
	if err := inDB.QueryRow(ctx, "SELECT currentDatabase()").Scan(&db); err != nil || db != "aitdr" {
		t.Fatalf("current database: %q, %v; want aitdr", db, err)
	}
	if err := inDB.Exec(ctx, "INSERT INTO t VALUES (7)"); err != nil {
		t.Fatalf("insert into an unqualified table of the chosen database: %v", err)
	}
	if err := conn.QueryRow(ctx, "SELECT currentDatabase()").Scan(&db); err != nil || db != "default" {
		t.Fatalf("current database of the other client: %q, %v; want default", db, err)
	}
}

// TestClientEmptyResult shows a query with no rows read as zero rows.
func TestClientEmptyResult(t *testing.T) {
	srv := newServer(t)
	conn := newClient(t, srv, "default", "")
	rows, err := conn.Query(context.Background(), "SELECT number FROM numbers(10) WHERE number > 100")
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Fatal("a row from an empty result")
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("rows: %v", err)
	}
}

// TestClientReadsEngineTypes shows results of every type clickhouse-go
// reads arriving intact through the Native re-encoding for its protocol
// revision, types it reads but cannot write (Nothing, intervals) included,
// and a type it cannot read (an aggregate state) refused with a clear
// NOT_IMPLEMENTED instead of corrupt data.
func TestClientReadsEngineTypes(t *testing.T) {
	srv := newServer(t)
	conn := newClient(t, srv, "default", "")
	ctx := context.Background()
	for _, q := range []string{
		"SELECT NULL, toIntervalDay(3), []",
		"SELECT tuple(1, 'a'), (1, [2])::Tuple(a UInt8, b Array(UInt8)), (1.0, 2.0)::Point",
		"SELECT toDecimal64(1.5, 2), toDecimal128(1.5, 20), toInt128(-1), toUInt256(1), toBFloat16(1.5)",
		`SELECT '{"a":1}'::JSON, 1::Dynamic, 1::Variant(UInt8, String)`,
		"SELECT toLowCardinality('x'), toNullable(toLowCardinality('a')), CAST(1 AS Enum8('a' = 1)), toFixedString('ab', 2)",
		"SELECT now64(9), toDate32('2020-01-01'), toTime('12:00:00'), [map('a', [1, 2])], [toNullable(1), NULL]",
	} {
		rows, err := conn.Query(ctx, q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		types := rows.ColumnTypes()
		n := 0
		for rows.Next() {
			vals := make([]any, len(types))
			for i, ct := range types {
				vals[i] = reflect.New(ct.ScanType()).Interface()
			}
			if err := rows.Scan(vals...); err != nil {
				t.Errorf("%s: scan: %v", q, err)
			}
			n++
		}
		if err := rows.Err(); err != nil || n != 1 {
			t.Errorf("%s: %d rows, %v; want 1 row", q, n, err)
		}
		rows.Close()
	}
	var null *string
	var interval string
	if err := conn.QueryRow(ctx, "SELECT NULL::Nullable(String), toIntervalDay(3)").Scan(&null, &interval); err != nil || null != nil || interval != "3 Days" {
		t.Errorf("NULL and interval: %v %q %v", null, interval, err)
	}
	var count uint64
	var sum string
	if err := conn.QueryRow(ctx, "SELECT count(), toString(sum(number)) FROM numbers(1000000)").Scan(&count, &sum); err != nil || count != 1e6 || sum != "499999500000" {
		t.Errorf("count and sum: %d %s %v", count, sum, err)
	}
	err := conn.QueryRow(ctx, "SELECT uniqState(1)").Err()
	var httpErr *ch.HTTPError
	if exceptionCode(err) != 48 || !errors.As(err, &httpErr) || httpErr.StatusCode != 501 || !strings.Contains(err.Error(), "AggregateFunction") {
		t.Errorf("aggregate state: %v, want NOT_IMPLEMENTED (48) naming the type", err)
	}
}
