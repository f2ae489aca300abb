package clickhouse_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/aitdr/aitdr/deploy/clickhouse"
)

// benchDDL is an event table shaped like the pipeline's: 32 columns of the
// types it uses.
const benchDDL = `CREATE TABLE bench_events (
	event_id       UUID,
	time           DateTime64(3, 'UTC'),
	ingest_time    DateTime64(3, 'UTC'),
	source         LowCardinality(String),
	provider       LowCardinality(String),
	action         LowCardinality(String),
	outcome        LowCardinality(String),
	identity_id    String,
	identity_class LowCardinality(String),
	identity_kind  LowCardinality(String),
	account        String,
	account_type   LowCardinality(String),
	tenant         LowCardinality(String),
	src_ip         IPv4,
	user_agent     String,
	session_id     Nullable(String),
	resource       String,
	resource_type  LowCardinality(String),
	service        LowCardinality(String),
	region         LowCardinality(String),
	model          LowCardinality(String),
	bytes_in       UInt64,
	bytes_out      UInt64,
	tokens_in      UInt32,
	tokens_out     UInt32,
	latency_ms     Float64,
	score          Float64,
	anomalous      Bool,
	severity       UInt8,
	labels         Map(String, String),
	tags           Array(String),
	raw_size       UInt32
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(time)
ORDER BY (identity_id, time)`

// benchColumns are bench_events' columns and types, in order.
var benchColumns = func() [][2]string {
	var cols [][2]string
	body := benchDDL[strings.Index(benchDDL, "(")+1 : strings.LastIndex(benchDDL, ") ENGINE")]
	for _, line := range strings.Split(body, ",\n") {
		f := strings.Fields(strings.TrimSpace(line))
		cols = append(cols, [2]string{f[0], strings.Join(f[1:], " ")})
	}
	return cols
}()

// benchRow is the i-th event row, about 600 bytes of values.
func benchRow(i int) []any {
	ts := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 37 * time.Millisecond)
	var session *string
	if i%4 != 0 {
		s := fmt.Sprintf("sess-%08x", i/50)
		session = &s
	}
	providers := []string{"openai", "anthropic", "bedrock", "vertex", "azure-openai"}
	actions := []string{"chat.completions.create", "models.list", "InvokeModel", "iam:CreateAccessKey", "files.upload"}
	return []any{
		uuid.NewSHA1(uuid.NameSpaceOID, []byte(strconv.Itoa(i))),
		ts,
		ts.Add(850 * time.Millisecond),
		[]string{"cloudtrail", "okta", "entra", "github", "gateway"}[i%5],
		providers[i%5],
		actions[i%5],
		[]string{"success", "failure"}[i%9/8],
		fmt.Sprintf("arn:aws:iam::1234567890%02d:role/agent-%d", i%50, i%2000),
		[]string{"ai_user", "ai_builder", "ai_agent", "human", "service"}[i%5],
		[]string{"user", "role", "service_account"}[i%3],
		fmt.Sprintf("acct-%d@corp.example", i%300),
		[]string{"corporate", "personal"}[i%7/6],
		[]string{"tenant-a", "tenant-b", "tenant-c"}[i%3],
		net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)).To4(),
		"Mozilla/5.0 (X11; Linux x86_64) aitdr-bench/1.0 python-requests/2.32",
		session,
		fmt.Sprintf("arn:aws:bedrock:us-east-1::foundation-model/model-%d", i%40),
		[]string{"model", "bucket", "secret", "pipeline"}[i%4],
		[]string{"bedrock", "s3", "iam", "sagemaker"}[i%4],
		[]string{"us-east-1", "eu-west-1", "ap-south-1"}[i%3],
		[]string{"gpt-5", "claude-opus", "llama-4", "gemini-3"}[i%4],
		uint64(i % 100000),
		uint64(i % 7777 * 13),
		uint32(i % 4096),
		uint32(i % 2048),
		float64(i%1000) / 3.7,
		float64(i%100) / 100,
		i%97 == 0,
		uint8(i % 5),
		map[string]string{"mitre": "AML.T0040", "rule": fmt.Sprintf("r-%d", i%30), "env": []string{"dev", "prod"}[i%2]},
		[]string{"llm", "shadow-ai", fmt.Sprintf("team-%d", i%12)},
		uint32(800 + i%400),
	}
}

// benchBatch is the rows per insert, a sink batch.
const benchBatch = 10_000

// BenchmarkInsert measures event inserts of 10,000 32-column rows into a
// MergeTree table: "http" through clickhouse-go over the HTTP interface
// (PrepareBatch, Append, Send), "direct" through Engine.Exec with the same
// Native encoding built in process. Each reports rows/s, CPU per million
// rows, the process's resident memory (rss_MB, engine and Go together), its
// peak (hwm_MB) and the Go runtime's share (go_MB). "interleaved" alternates
// one batch of each, so that both see the same background merges and
// machine load, and reports their throughputs and the ratio http/direct:
// the cost of the HTTP front.
func BenchmarkInsert(b *testing.B) {
	srv := newServer(b)
	ctx := context.Background()
	conn := newClient(b, srv, "writer", writerPassword)
	mustExec(b, conn, benchDDL)
	rows := make([][]any, benchBatch)
	for i := range rows {
		rows[i] = benchRow(i)
	}
	viaHTTP := func() error { return insertHTTP(ctx, conn, rows) }
	direct := func() error { return insertDirect(ctx, srv.Engine(), rows) }
	for _, bench := range []struct {
		name   string
		insert func() error
	}{{"http", viaHTTP}, {"direct", direct}} {
		b.Run(bench.name, func(b *testing.B) {
			n := 0
			cpu := cpuTime()
			for b.Loop() {
				if err := bench.insert(); err != nil {
					b.Fatal(err)
				}
				n += len(rows)
			}
			reportInsert(b, float64(n)/b.Elapsed().Seconds(), cpuTime()-cpu, n)
		})
	}
	b.Run("interleaved", func(b *testing.B) {
		var took [2]time.Duration
		n := 0
		for i := 0; b.Loop(); i++ {
			order := [2]int{0, 1}
			if i%2 == 1 {
				order = [2]int{1, 0}
			}
			for _, which := range order {
				start := time.Now()
				insert := viaHTTP
				if which == 1 {
					insert = direct
				}
				if err := insert(); err != nil {
					b.Fatal(err)
				}
				took[which] += time.Since(start)
			}
			n += len(rows)
		}
		httpRate, directRate := float64(n)/took[0].Seconds(), float64(n)/took[1].Seconds()
		b.ReportMetric(httpRate, "http_rows/s")
		b.ReportMetric(directRate, "direct_rows/s")
		b.ReportMetric(httpRate/directRate, "http/direct")
	})
}

// insertHTTP inserts rows with a clickhouse-go batch over the HTTP interface.
func insertHTTP(ctx context.Context, conn driver.Conn, rows [][]any) error {
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO bench_events")
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := batch.Append(r...); err != nil {
			return err
		}
	}
	return batch.Send()
}

// insertDirect inserts rows through Engine.Exec, encoded in Native as
// clickhouse-go encodes a batch.
func insertDirect(ctx context.Context, engine *clickhouse.Engine, rows [][]any) error {
	block := proto.NewBlock()
	for _, c := range benchColumns {
		if err := block.AddColumn(c[0], column.Type(c[1])); err != nil {
			return err
		}
	}
	for _, r := range rows {
		if err := block.Append(r...); err != nil {
			return err
		}
	}
	buf := chproto.Buffer{Buf: append(make([]byte, 0, 8<<20), "INSERT INTO bench_events FORMAT Native\n"...)}
	if err := block.Encode(&buf, 0); err != nil {
		return err
	}
	res, err := engine.Exec(ctx, clickhouse.Query{SQL: buf.Buf})
	if err != nil {
		return err
	}
	res.Close()
	return nil
}

// reportInsert reports throughput, CPU and memory of an insert benchmark.
// cpu_s/Mrows is the process's CPU time (engine, merges, client and server
// together) per million rows: on a shared machine it shows the HTTP
// front's cost better than wall time.
func reportInsert(b *testing.B, rowsPerSec float64, cpu time.Duration, rows int) {
	b.ReportMetric(rowsPerSec, "rows/s")
	if rows > 0 {
		b.ReportMetric(cpu.Seconds()/float64(rows)*1e6, "cpu_s/Mrows")
	}
	rss, hwm := procMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(rss)/(1<<20), "rss_MB")
	b.ReportMetric(float64(hwm)/(1<<20), "hwm_MB")
	b.ReportMetric(float64(ms.Sys)/(1<<20), "go_MB")
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procMemory returns the process's resident and peak resident memory in
// bytes, from /proc/self/status.
func procMemory() (rss, hwm uint64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseUint(fields[1], 10, 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			hwm = kb << 10
		}
	}
	return rss, hwm
}

// BenchmarkMixedLoad measures the embedded engine as aitdr run uses it:
// per iteration 4 clickhouse-go writers each send a 5,000-row batch
// concurrently, while the read-only analyst runs an aggregate and a GET
// query reads the latest rows, all through the HTTP interface (three engine
// sessions, statements serialized). It reports inserted rows/s and memory,
// and shows the engine stable under concurrent writers and readers.
func BenchmarkMixedLoad(b *testing.B) {
	const writers, batchRows = 4, 5_000
	srv := newServer(b)
	ctx := context.Background()
	admin := newClient(b, srv, "writer", writerPassword)
	mustExec(b, admin, benchDDL)
	conns := make([]driver.Conn, writers)
	for i := range conns {
		conns[i] = newClient(b, srv, "writer", writerPassword)
	}
	analyst := newClient(b, srv, "analyst", analystPassword)
	rows := make([][]any, batchRows)
	for i := range rows {
		rows[i] = benchRow(i)
	}
	get := srv.URL() + "/?query=" + url.QueryEscape("SELECT identity_id, max(time) FROM bench_events GROUP BY identity_id ORDER BY 2 DESC LIMIT 10")
	n := 0
	cpu := cpuTime()
	for b.Loop() {
		g, gctx := errgroup.WithContext(ctx)
		for _, conn := range conns {
			g.Go(func() error {
				batch, err := conn.PrepareBatch(gctx, "INSERT INTO bench_events")
				if err != nil {
					return err
				}
				for _, r := range rows {
					if err := batch.Append(r...); err != nil {
						return err
					}
				}
				return batch.Send()
			})
		}
		g.Go(func() error {
			var count uint64
			return analyst.QueryRow(gctx, "SELECT uniqExact(identity_id) FROM bench_events WHERE anomalous").Scan(&count)
		})
		g.Go(func() error {
			res, err := http.Get(get)
			if err != nil {
				return err
			}
			defer res.Body.Close()
			if _, err := io.Copy(io.Discard, res.Body); err != nil {
				return err
			}
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("GET: %s", res.Status)
			}
			return nil
		})
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
		n += writers * batchRows
	}
	reportInsert(b, float64(n)/b.Elapsed().Seconds(), cpuTime()-cpu, n)
}
