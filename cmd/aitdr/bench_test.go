package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/config"
)

// TestPartOf shows how a stack is attributed: the stage frame nearest the
// leaf wins, then the engines in their order, native code by its binary.
func TestPartOf(t *testing.T) {
	tests := []struct {
		name  string
		stack []string
		want  string
	}{
		{"a stage calling the kafka client", []string{"runtime.memmove", "github.com/twmb/franz-go/pkg/kgo.(*Client).Produce",
			"github.com/aitdr/aitdr/enrich.(*Stage).Process", "github.com/aitdr/aitdr/internal/stream.(*Runner).Run", "runtime.goexit"}, "enrich"},
		{"the nearest stage wins", []string{"github.com/aitdr/aitdr/rules.(*Engine).Eval", "github.com/aitdr/aitdr/baseline.(*Worker).Process"}, "rules"},
		{"the sink", []string{"github.com/ClickHouse/ch-go/proto.(*ColStr).Append", "github.com/aitdr/aitdr/schemas/clickhouse.(*Sink).Process"}, "sink"},
		{"the kafka client alone", []string{"github.com/klauspost/compress/s2.encodeSnappyBlockAsm", "github.com/twmb/franz-go/pkg/kgo.(*sink).produce", "runtime.goexit"},
			"kafka client (franz-go, compression)"},
		{"the in-process broker", []string{"github.com/twmb/franz-go/pkg/kfake.(*Cluster).handleProduce", "github.com/twmb/franz-go/pkg/kmsg.(*ProduceRequest).ReadFrom"},
			"kafka broker (in-process kfake)"},
		{"the clickhouse engine's threads", []string{"[libc.so.6]", "[libchdb.so]", "runtime._ExternalCode"}, "clickhouse engine (embedded chDB)"},
		{"native code alone", []string{"[libc.so.6]"}, "native code outside Go (libc)"},
		{"garbage collection", []string{"runtime.scanObject", "runtime.gcDrain", "runtime.gcBgMarkWorker", "runtime.goexit"}, "go runtime: garbage collection"},
		{"the scheduler", []string{"runtime.futex", "runtime.findRunnable", "runtime.schedule", "runtime.mcall"}, "go runtime: scheduler, network poller, syscalls"},
		{"the stage runtime", []string{"github.com/aitdr/aitdr/internal/stream.(*Runner).commit", "runtime.goexit"}, "stage runtime (internal/stream)"},
		{"nothing known", []string{"encoding/json.Marshal"}, "other (standard library)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := partOf(tt.stack); got != tt.want {
				t.Errorf("partOf = %q, want %q", got, tt.want)
			}
		})
	}
}

//go:noinline
func benchSpin(until time.Time) (n uint64) {
	for time.Now().Before(until) {
		for i := range 10000 {
			n += uint64(i) * n
		}
	}
	return n
}

// TestParseCPUProfile shows a profile runtime/pprof wrote is read back:
// its CPU time, the stacks of a function that burnt it, and shares that
// add up.
func TestParseCPUProfile(t *testing.T) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		t.Skipf("a CPU profile is already running: %v", err)
	}
	benchSpin(time.Now().Add(400 * time.Millisecond))
	pprof.StopCPUProfile()
	p, err := parseCPUProfile(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if p.total() < 100*time.Millisecond {
		t.Fatalf("profile total %s, want most of the 400ms spin", p.total())
	}
	var spin time.Duration
	for _, s := range p.samples {
		if slices.ContainsFunc(s.stack, func(fn string) bool { return strings.HasSuffix(fn, ".benchSpin") }) {
			spin += s.cpu
		}
	}
	if spin < p.total()/2 {
		t.Errorf("benchSpin has %s of %s", spin, p.total())
	}
	shares := p.shares(p.total().Seconds() + 1)
	var sum float64
	for _, s := range shares {
		sum += s.Share
	}
	if math.Abs(sum-1) > 1e-9 || shares[len(shares)-1].Part != notProfiled && !slices.ContainsFunc(shares, func(s cpuShare) bool { return s.Part == notProfiled }) {
		t.Errorf("shares %+v add up to %g, want 1 with the unsampled second", shares, sum)
	}
	if _, err := parseCPUProfile([]byte("not a profile")); err == nil {
		t.Error("garbage parsed as a profile")
	}
}

// TestLatencies shows the nearest-rank percentiles in milliseconds.
func TestLatencies(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := latencies(ds)
	if got != (latencyStats{N: 100, P50ms: 50, P99ms: 99, MaxMs: 100}) {
		t.Errorf("latencies = %+v", got)
	}
	if latencies(nil).N != 0 {
		t.Error("no latencies gave figures")
	}
}

// TestBenchShortRun shows "aitdr bench" on a few thousand simulated
// records through the whole pipeline (the broker of
// AITDR_TEST_KAFKA_BROKERS, else in-process Kafka): every record passes
// every stage, each marked record's alert comes back and is contained,
// and the report has CPU and memory figures. It needs libchdb.so.
func TestBenchShortRun(t *testing.T) {
	t.Setenv("AITDR_CONFIG", "")
	cfg := config.Default()
	cfg.Kafka.Brokers = splitList(os.Getenv("AITDR_TEST_KAFKA_BROKERS"))
	f := benchFlags{records: 6000, rate: 500, latencyFor: 3 * time.Second, markerEvery: 200 * time.Millisecond}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	rep, err := runBench(context.Background(), cfg, f, t.TempDir(), logger, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	tp := rep.Throughput
	if tp.Records != 4800 || tp.EventsPerSecond <= 0 || tp.DeadLetters != 0 {
		t.Errorf("throughput %+v, want 4800 records at some rate, no dead letters", tp)
	}
	if len(rep.Stages) != 5 {
		t.Fatalf("stages %+v", rep.Stages)
	}
	for _, s := range rep.Stages {
		if s.Stage != "rules" && (s.Records != tp.Records || s.PerSecond <= 0) {
			t.Errorf("stage %+v, want every record at a rate", s)
		}
	}
	l := rep.Latency
	if l.Markers < 10 || l.Alerted != l.Markers || l.EventToAlert.N != l.Markers || l.EventToAlert.P50ms <= 0 || l.EventToAlertNATS.N != l.Markers {
		t.Errorf("latency %+v, want every marked record alerted", l)
	}
	if l.Contained != l.Markers || l.AlertToAction.N != l.Markers {
		t.Errorf("%d of %d marked alerts contained (%+v)", l.Contained, l.Markers, l.AlertToAction)
	}
	if rep.CPU.ProcessSeconds <= 0 || len(rep.CPU.Shares) == 0 || rep.CPU.HottestStage == "" || rep.Memory.PeakRSSBytes == 0 || rep.Memory.PeakHeapBytes == 0 {
		t.Errorf("cpu %+v memory %+v", rep.CPU, rep.Memory)
	}
	if len(rep.Targets) != 2 {
		t.Errorf("targets %+v", rep.Targets)
	}
	var out bytes.Buffer
	writeBenchTable(&out, rep)
	for _, want := range []string{"THROUGHPUT", "STAGE", "sink", "event to alert", "MEMORY", "TARGET"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, out.String())
		}
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bench.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"events_per_second"`) || !strings.Contains(string(b), `"event_to_alert":{"n":`) {
		t.Errorf("JSON lacks the figures: %s", b)
	}
}
