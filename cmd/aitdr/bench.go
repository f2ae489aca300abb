package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/ingest/simulate"
	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/schemas"
)

// benchFlags are the flags of aitdr bench.
type benchFlags struct {
	records     int64
	rate        float64
	latencyFor  time.Duration
	markerEvery time.Duration
	brokers     string
	jsonPath    string
	cpuProfile  string
	dataDir     string
	keep        bool
}

func newBenchCommand(g *globalFlags) *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the whole pipeline: events/s, event-to-alert and alert-to-action latency, per-stage rates, CPU and memory",
		Long: `Bench runs the whole pipeline in this process, as "aitdr run" does, on a fresh
data folder, against the Kafka broker named by --brokers, kafka.brokers or
$AITDR_TEST_KAFKA_BROKERS (on fresh topics of a unique prefix, deleted
afterwards), else the in-process Kafka; NATS and ClickHouse are the embedded
ones. It measures in two phases:

  throughput  the simulated organization's records (made beforehand, kept on
              disk) are produced to the raw topic at once; the phase ends
              when every stage has drained and ClickHouse holds every event.
              Events/s is records over that time; each stage's rate comes
              from its output topic's offsets; a CPU profile of the phase
              splits the process's CPU by stage; memory is sampled.
  latency     the rest of the records at a steady --rate, with a marked
              record every --marker-every: a Bedrock invocation-logging
              deletion by a simulated agent's key, which a single-event rule
              answers. Event to alert is from handing the marked record to the
              producer to its alert arriving on the alerts topic (and on
              NATS); alert to action is from the alert's creation to the end
              of its containment (response_times).

It prints a table and writes the figures as JSON (--json) to compare
commits. docs/benchmarks.md describes the method.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			brokers := cfg.Kafka.Brokers
			if f.brokers != "" {
				brokers = splitList(f.brokers)
			} else if len(brokers) == 0 {
				brokers = splitList(os.Getenv("AITDR_TEST_KAFKA_BROKERS"))
			}
			cfg.Kafka.Brokers = brokers
			dataDir, temporary := f.dataDir, f.dataDir == ""
			if temporary {
				if dataDir, err = os.MkdirTemp("", "aitdr-bench-"); err != nil {
					return fmt.Errorf("bench: data folder: %w", err)
				}
			}
			logFile, err := openRunLog(dataDir)
			if err != nil {
				return err
			}
			logger := cfg.Log.Logger(logFile)
			defer slog.SetDefault(slog.Default())
			slog.SetDefault(logger)
			rep, err := runBench(cmd.Context(), cfg, f, dataDir, logger, cmd.ErrOrStderr())
			logFile.Close()
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "bench: the pipeline's log and data are kept in %s\n", dataDir)
				return err
			}
			if temporary && !f.keep {
				os.RemoveAll(dataDir)
			}
			writeBenchTable(cmd.OutOrStdout(), rep)
			if f.jsonPath != "" {
				b, err := json.MarshalIndent(rep, "", "  ")
				if err != nil {
					return fmt.Errorf("bench: encode JSON: %w", err)
				}
				if err := os.WriteFile(f.jsonPath, append(b, '\n'), 0o644); err != nil {
					return fmt.Errorf("bench: %w", err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "\nJSON: %s\n", f.jsonPath)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.Int64Var(&f.records, "records", 0, "records to simulate (default: a simulated week of the simulate section, about 175,000)")
	fl.Float64Var(&f.rate, "rate", 2000, "records per second offered during the latency phase")
	fl.DurationVar(&f.latencyFor, "latency-duration", 20*time.Second, "length of the latency phase")
	fl.DurationVar(&f.markerEvery, "marker-every", 100*time.Millisecond, "interval between marked records in the latency phase")
	fl.StringVar(&f.brokers, "brokers", "", "Kafka brokers (default kafka.brokers, else $AITDR_TEST_KAFKA_BROKERS, else in-process Kafka)")
	fl.StringVar(&f.jsonPath, "json", "", "also write the figures as JSON to this file")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "also write the throughput phase's CPU profile to this file (go tool pprof)")
	fl.StringVar(&f.dataDir, "data-dir", "", "data folder of the run (default: a fresh temporary folder, removed afterwards)")
	fl.BoolVar(&f.keep, "keep", false, "keep the temporary data folder")
	return cmd
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// benchReport is what bench measured.
type benchReport struct {
	// Kafka says which broker carried the topics.
	Kafka      string `json:"kafka"`
	Partitions int32  `json:"partitions"`
	CPUs       int    `json:"cpus"`
	GoVersion  string `json:"go_version"`
	Started    string `json:"started"`
	// Records is how many simulated records the run made; Throughput and
	// Latency are the two phases.
	Records    int64           `json:"records"`
	Throughput benchThroughput `json:"throughput"`
	Stages     []stageRate     `json:"stages"`
	Latency    benchLatency    `json:"latency"`
	CPU        benchCPU        `json:"cpu"`
	Memory     benchMemory     `json:"memory"`
	// Targets are the targets, met or not.
	Targets []benchTarget `json:"targets"`
}

type benchThroughput struct {
	// Records went through every stage in Seconds: EventsPerSecond.
	Records         int64   `json:"records"`
	Seconds         float64 `json:"seconds"`
	EventsPerSecond float64 `json:"events_per_second"`
	// ProduceSeconds is how long the producer took to hand them over.
	ProduceSeconds float64 `json:"produce_seconds"`
	// EventsPerCPUSecond is Records over the CPU time the phase took (this
	// process's, and the external broker's when known): steadier than
	// events/s on a machine shared with other work.
	EventsPerCPUSecond float64 `json:"events_per_cpu_second"`
	// LoadAverage is the machine's 1-minute load average at the end of
	// the phase (/proc/loadavg): the other work it shared the CPUs with.
	LoadAverage float64 `json:"load_average"`
	// Alerts is the number of alerts the phase raised; DeadLetters the
	// records rejected.
	Alerts      int64 `json:"alerts"`
	DeadLetters int64 `json:"dead_letters"`
}

// stageRate is one stage's output during the throughput phase.
type stageRate struct {
	Stage string `json:"stage"`
	// Measured is where the figures come from: a topic's end offsets or a
	// group's committed offsets.
	Measured string `json:"measured"`
	Records  int64  `json:"records"`
	// Seconds is from the phase's start to the stage's last record;
	// PerSecond is Records over it; PeakPerSecond the best one-second rate.
	Seconds       float64 `json:"seconds"`
	PerSecond     float64 `json:"per_second"`
	PeakPerSecond float64 `json:"peak_per_second"`
}

type benchLatency struct {
	// OfferedRate and Seconds are the steady load; Markers the marked
	// records sent, Alerted those whose alert came back.
	OfferedRate float64 `json:"offered_rate"`
	Seconds     float64 `json:"seconds"`
	Records     int64   `json:"records"`
	Markers     int     `json:"markers"`
	Alerted     int     `json:"alerted"`
	// EventToAlert is from producing a marked record to its alert on the
	// alerts topic, EventToAlertNATS to its alert on NATS.
	EventToAlert     latencyStats `json:"event_to_alert"`
	EventToAlertNATS latencyStats `json:"event_to_alert_nats"`
	// AlertToAction is from the alert's creation to the end of its
	// containment (response_times); AlertToActionNATS from the alert on
	// NATS to the first succeeded containment step on aitdr.actions.
	Contained         int          `json:"contained"`
	AlertToAction     latencyStats `json:"alert_to_action"`
	AlertToActionNATS latencyStats `json:"alert_to_action_nats"`
}

// latencyStats summarize latencies in milliseconds.
type latencyStats struct {
	N     int     `json:"n"`
	P50ms float64 `json:"p50_ms"`
	P99ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

func latencies(ds []time.Duration) latencyStats {
	if len(ds) == 0 {
		return latencyStats{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(q float64) time.Duration {
		i := int(q*float64(len(s))+0.999999) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return latencyStats{N: len(s), P50ms: ms(rank(0.5)), P99ms: ms(rank(0.99)), MaxMs: ms(s[len(s)-1])}
}

func (l latencyStats) String() string {
	if l.N == 0 {
		return "-"
	}
	return fmt.Sprintf("p50 %.0f ms  p99 %.0f ms  (n %d)", l.P50ms, l.P99ms, l.N)
}

type benchCPU struct {
	// ProcessSeconds is the CPU time of this process during the throughput
	// phase (user + system); ProfiledSeconds what the Go CPU profile saw of
	// it. The rest ran on threads the Go profiler does not sample (the
	// embedded ClickHouse engine's own threads).
	ProcessSeconds  float64 `json:"process_seconds"`
	ProfiledSeconds float64 `json:"profiled_seconds"`
	// Cores is ProcessSeconds over the phase's wall time.
	Cores float64 `json:"cores"`
	// Shares split ProcessSeconds by part of the pipeline.
	Shares []cpuShare `json:"shares"`
	// BrokerSeconds is the CPU time of the external Kafka broker's process
	// in the phase, when it runs on this machine and its pid is known.
	BrokerSeconds float64 `json:"broker_seconds,omitempty"`
	// TopFunctions are the functions with the most CPU of the hottest
	// stage, for where its time goes.
	HottestStage string        `json:"hottest_stage"`
	TopFunctions []cpuFunction `json:"top_functions"`
}

type benchMemory struct {
	// PeakRSSBytes is the process's high-water resident set (VmHWM);
	// PeakHeapBytes the largest Go heap (live and not yet swept objects)
	// sampled each second; GoTotalBytes the Go runtime's mapped memory at
	// the end.
	PeakRSSBytes  uint64 `json:"peak_rss_bytes"`
	PeakHeapBytes uint64 `json:"peak_heap_bytes"`
	GoTotalBytes  uint64 `json:"go_total_bytes"`
}

type benchTarget struct {
	Target string `json:"target"`
	Value  string `json:"value"`
	Met    bool   `json:"met"`
}

// runBench runs both phases and returns the report.
func runBench(ctx context.Context, cfg config.Config, f benchFlags, dataDir string, logger *slog.Logger, progress io.Writer) (*benchReport, error) {
	rep := &benchReport{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Started: time.Now().UTC().Format(time.RFC3339), Partitions: cfg.Kafka.Topics.Partitions}
	external := len(cfg.Kafka.Brokers) > 0
	if external {
		rep.Kafka = "broker at " + strings.Join(cfg.Kafka.Brokers, ",")
		// Fresh topics and groups: nothing of an earlier run is read.
		cfg.Kafka.Topics.Prefix = fmt.Sprintf("bench-%d.", time.Now().Unix())
	} else {
		rep.Kafka = "in-process (kfake)"
	}
	cfg.NATS.URL = ""
	cfg.ClickHouse.DSN = ""
	if err := isolate(&cfg, dataDir); err != nil {
		return nil, err
	}
	scfg := cfg.Simulate
	scfg.Time = simulate.Time{Start: scfg.Time.Start, Duration: scfg.Time.Duration, Count: f.records}
	if scfg.Time.Duration == 0 {
		scfg.Time.Duration = simulate.Default().Time.Duration
	}
	if err := alignSimulation(&cfg, &scfg, logger); err != nil {
		return nil, err
	}
	endpoint, err := startContainmentEndpoint()
	if err != nil {
		return nil, err
	}
	defer endpoint.Close()
	if _, err := useContainmentEndpoint(&cfg, endpoint); err != nil {
		return nil, err
	}
	sim, err := simulate.New(scfg)
	if err != nil {
		return nil, err
	}
	if _, err := useSimulationContext(&cfg, sim); err != nil {
		return nil, err
	}
	recordsPath := filepath.Join(dataDir, "bench-records.tsv")
	n, err := writeBenchRecords(ctx, sim, recordsPath)
	if err != nil {
		return nil, err
	}
	rep.Records = n
	markerIDs := markerIdentities(sim.Truth())
	if len(markerIDs) == 0 {
		return nil, errors.New("bench: the simulated population has no agent on an IAM access key (batch_key) to mark records with")
	}
	// Four in five records measure throughput, the rest are the latency
	// phase's steady background.
	phaseA := n * 4 / 5
	fmt.Fprintf(progress, "bench: %d simulated records made (%s); Kafka %s, %d partitions per topic\n", n, recordsPath, rep.Kafka, rep.Partitions)

	h, err := startHarness(ctx, cfg, logger, 3*time.Minute)
	if err != nil {
		return nil, err
	}
	defer func() {
		if external {
			deleteBenchTopics(h, cfg.Kafka.Topics.Prefix)
		}
		h.stop()
	}()
	if err := waitReady(ctx, h, time.Minute); err != nil {
		return nil, err
	}
	records, err := openBenchRecords(recordsPath)
	if err != nil {
		return nil, err
	}
	defer records.Close()

	brokerPid := brokerPID(external)
	if err := benchThroughputPhase(ctx, h, records, phaseA, f, rep, brokerPid, progress); err != nil {
		return nil, err
	}
	if err := benchLatencyPhase(ctx, h, records, n-phaseA, markerIDs, f, rep, progress); err != nil {
		return nil, err
	}
	rep.Targets = []benchTarget{
		{Target: "events/s sustained >= 20000", Value: fmt.Sprintf("%.0f", rep.Throughput.EventsPerSecond), Met: rep.Throughput.EventsPerSecond >= 20000},
		{Target: "event-to-alert p99 < 1s", Value: fmt.Sprintf("%.0f ms", rep.Latency.EventToAlert.P99ms),
			Met: rep.Latency.EventToAlert.N > 0 && rep.Latency.EventToAlert.P99ms < 1000},
	}
	return rep, nil
}

// writeBenchRecords runs the simulation into a file of "product TAB key TAB
// record" lines, so that producing them later costs little CPU and no
// memory.
func writeBenchRecords(ctx context.Context, sim *simulate.Simulator, path string) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("bench: records file: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	sink := sinkFunc(func(_ context.Context, recs []simulate.Record) error {
		for _, r := range recs {
			w.WriteString(string(r.Product))
			w.WriteByte('\t')
			w.WriteString(r.IdentityID)
			w.WriteByte('\t')
			w.Write(r.Data)
			w.WriteByte('\n')
		}
		return nil
	})
	stats, err := sim.Run(ctx, sink)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("bench: simulate: %w", err)
	}
	return stats.Records, nil
}

// sinkFunc is a simulate.Sink of a function.
type sinkFunc func(ctx context.Context, records []simulate.Record) error

func (s sinkFunc) Write(ctx context.Context, records []simulate.Record) error { return s(ctx, records) }

// benchRecords reads the records file back.
type benchRecords struct {
	f  *os.File
	sc *bufio.Scanner
}

func openBenchRecords(path string) (*benchRecords, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	return &benchRecords{f: f, sc: sc}, nil
}

// next returns the next record for topic, or nil at the end.
func (b *benchRecords) next(topic string) (*kgo.Record, error) {
	if !b.sc.Scan() {
		return nil, b.sc.Err()
	}
	line := b.sc.Bytes()
	product, rest, ok1 := bytes.Cut(line, []byte{'\t'})
	key, data, ok2 := bytes.Cut(rest, []byte{'\t'})
	if !ok1 || !ok2 {
		return nil, errors.New("bench: malformed records file line")
	}
	return &kgo.Record{Topic: topic, Key: bytes.Clone(key), Value: bytes.Clone(data),
		Headers: []kgo.RecordHeader{{Key: schemas.HeaderSource, Value: bytes.Clone(product)}}}, nil
}

func (b *benchRecords) Close() error { return b.f.Close() }

// waitReady waits until every stage has its partitions.
func waitReady(ctx context.Context, h *harness, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		described, err := h.adm.DescribeGroups(ctx, h.groups...)
		ready := err == nil
		for _, g := range h.groups {
			d, ok := described[g]
			if !ok || d.Err != nil || d.State != "Stable" || len(d.Members) == 0 {
				ready = false
			}
		}
		if ready {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: the stages did not join their groups within %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// offsetSample is the pipeline's progress at one time.
type offsetSample struct {
	at     time.Time
	topics map[string]int64 // output topic → records
	sink   int64            // records of the scored topic the sink committed
	lag    int64
}

// stageOutputs are the stages measured by their output topic, in
// pipeline order.
var stageOutputs = [][2]string{
	{"ingest", schemas.TopicEvents},
	{"enrich", schemas.TopicEnriched},
	{"baseline", schemas.TopicScored},
	{"rules", schemas.TopicAlerts},
}

func (h *harness) sampleOffsets(ctx context.Context) (offsetSample, error) {
	s := offsetSample{at: time.Now(), topics: map[string]int64{}}
	prefix := h.cfg.Kafka.Topics.Prefix
	names := []string{prefix + schemas.TopicRaw}
	for _, st := range stageOutputs {
		names = append(names, prefix+st[1])
	}
	ends, err := h.adm.ListEndOffsets(ctx, names...)
	if err != nil {
		return s, fmt.Errorf("end offsets: %w", err)
	}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil {
			s.topics[o.Topic] += o.Offset
		}
	})
	lags, err := h.adm.Lag(ctx, h.groups...)
	if err != nil {
		return s, fmt.Errorf("lag: %w", err)
	}
	for g, l := range lags {
		if l.Error() != nil {
			return s, fmt.Errorf("lag of %s: %w", g, l.Error())
		}
		s.lag += l.Lag.Total()
		if g == prefix+"aitdr-"+sinkStage {
			for _, pl := range l.Lag[prefix+schemas.TopicScored] {
				if pl.Commit.At >= 0 {
					s.sink += pl.Commit.At
				}
			}
		}
	}
	return s, nil
}

// benchThroughputPhase produces count records at once and waits until the
// pipeline drained them, sampling offsets, CPU and memory.
func benchThroughputPhase(ctx context.Context, h *harness, records *benchRecords, count int64, f benchFlags, rep *benchReport, brokerPid int, progress io.Writer) error {
	client, err := h.producer(kgo.MaxBufferedRecords(20000))
	if err != nil {
		return err
	}
	defer client.Close()
	prefix := h.cfg.Kafka.Topics.Prefix
	raw := prefix + schemas.TopicRaw
	base, err := h.sampleOffsets(ctx)
	if err != nil {
		return err
	}

	var profile bytes.Buffer
	if err := pprof.StartCPUProfile(&profile); err != nil {
		return fmt.Errorf("bench: cpu profile: %w", err)
	}
	profiling := true
	stopProfile := func() {
		if profiling {
			pprof.StopCPUProfile()
			profiling = false
		}
	}
	defer stopProfile()
	cpu0 := processCPU()
	broker0 := pidCPU(brokerPid)
	mem := startMemorySampler()
	defer mem.stop()

	start := time.Now()
	var produceErr atomic.Pointer[error]
	var wg sync.WaitGroup
	var produced int64
	for produced < count {
		rec, err := records.next(raw)
		if err != nil {
			return err
		}
		if rec == nil {
			break
		}
		wg.Add(1)
		client.Produce(ctx, rec, func(_ *kgo.Record, err error) {
			if err != nil {
				produceErr.CompareAndSwap(nil, &err)
			}
			wg.Done()
		})
		produced++
	}
	wg.Wait()
	if p := produceErr.Load(); p != nil {
		return fmt.Errorf("bench: produce: %w", *p)
	}
	produceDone := time.Since(start)
	fmt.Fprintf(progress, "bench: throughput phase: %d records produced in %s; waiting for every stage to drain\n", produced, produceDone.Round(time.Millisecond))

	samples := []offsetSample{{at: start, topics: base.topics, sink: base.sink}}
	var last time.Time
	deadline := start.Add(15 * time.Minute)
	for {
		if err := h.failed(); err != nil {
			return fmt.Errorf("bench: pipeline failed: %w", err)
		}
		s, err := h.sampleOffsets(ctx)
		if err == nil {
			samples = append(samples, s)
			events := s.topics[prefix+schemas.TopicEvents] - base.topics[prefix+schemas.TopicEvents]
			dlq := int64(0)
			if t, err := h.topicTotal(ctx, prefix+schemas.TopicDeadLetter); err == nil {
				dlq = t
			}
			if s.lag == 0 && events+dlq >= produced && s.sink-base.sink >= events {
				break
			}
			if time.Since(last) >= 5*time.Second {
				last = time.Now()
				fmt.Fprintf(progress, "bench: %d of %d events through ingest, lag %d\n", events, produced, s.lag)
			}
		}
		if time.Now().After(deadline) {
			return errors.New("bench: the pipeline did not drain the throughput phase within 15 minutes")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	end := samples[len(samples)-1].at
	elapsed := end.Sub(start)
	stopProfile()
	cpu1 := processCPU()
	rep.Memory = mem.stop()
	rep.Throughput = benchThroughput{Records: produced, Seconds: elapsed.Seconds(), EventsPerSecond: float64(produced) / elapsed.Seconds(),
		ProduceSeconds: produceDone.Seconds()}
	lastSample := samples[len(samples)-1]
	rep.Throughput.Alerts = lastSample.topics[prefix+schemas.TopicAlerts] - base.topics[prefix+schemas.TopicAlerts]
	rep.Throughput.DeadLetters, _ = h.topicTotal(ctx, prefix+schemas.TopicDeadLetter)
	for _, st := range stageOutputs {
		topic := prefix + st[1]
		rep.Stages = append(rep.Stages, rateOf(st[0], "end offsets of "+st[1], samples, start, func(s offsetSample) int64 { return s.topics[topic] }))
	}
	rep.Stages = append(rep.Stages, rateOf(sinkStage, "committed offsets of "+schemas.TopicScored, samples, start, func(s offsetSample) int64 { return s.sink }))

	cpuSeconds := (cpu1 - cpu0).Seconds()
	rep.CPU = benchCPU{ProcessSeconds: cpuSeconds, Cores: cpuSeconds / elapsed.Seconds()}
	if brokerPid > 0 {
		rep.CPU.BrokerSeconds = (pidCPU(brokerPid) - broker0).Seconds()
	}
	if spent := cpuSeconds + rep.CPU.BrokerSeconds; spent > 0 {
		rep.Throughput.EventsPerCPUSecond = float64(produced) / spent
	}
	rep.Throughput.LoadAverage = loadAverage()
	prof, err := parseCPUProfile(profile.Bytes())
	if err != nil {
		return err
	}
	rep.CPU.ProfiledSeconds = prof.total().Seconds()
	rep.CPU.Shares = prof.shares(cpuSeconds)
	rep.CPU.HottestStage, rep.CPU.TopFunctions = prof.hottest(12)
	if f.cpuProfile != "" {
		if err := os.WriteFile(f.cpuProfile, profile.Bytes(), 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	return nil
}

// rateOf is a stage's rate from the samples of its counter.
func rateOf(stage, measured string, samples []offsetSample, start time.Time, count func(offsetSample) int64) stageRate {
	base := count(samples[0])
	total := count(samples[len(samples)-1]) - base
	r := stageRate{Stage: stage, Measured: measured, Records: total}
	var done time.Time
	for _, s := range samples {
		if count(s)-base >= total {
			done = s.at
			break
		}
	}
	if secs := done.Sub(start).Seconds(); secs > 0 {
		r.Seconds, r.PerSecond = secs, float64(total)/secs
	}
	// The best rate over any window of at least a second.
	for i := range samples {
		for j := i + 1; j < len(samples); j++ {
			if d := samples[j].at.Sub(samples[i].at).Seconds(); d >= 1 {
				r.PeakPerSecond = max(r.PeakPerSecond, float64(count(samples[j])-count(samples[i]))/d)
				break
			}
		}
	}
	return r
}

// marker is one marked record of the latency phase.
type marker struct {
	eventID string
	sent    time.Time
}

// markerIdentities are the simulated agents that run on an IAM user's
// access key: the marked records are theirs.
func markerIdentities(t simulate.Truth) []string {
	var out []string
	for _, a := range t.Agents {
		if a.Archetype == "batch_key" && strings.HasPrefix(a.IdentityID, "aws:") && strings.Contains(a.IdentityID, ":user/") && !slices.Contains(out, a.IdentityID) {
			out = append(out, a.IdentityID)
		}
	}
	return out
}

// markerRecord is a CloudTrail record of identity (aws:<account>:user/<name>)
// deleting the Bedrock model invocation logging configuration now, which
// aitdr-llmjacking-invocation-logging-deleted answers alone.
func markerRecord(identity string, now time.Time) (data []byte, eventID string) {
	parts := strings.SplitN(strings.TrimPrefix(identity, "aws:"), ":user/", 2)
	account, user := parts[0], parts[1]
	id := uuidText()
	rec := map[string]any{
		"eventVersion": "1.10",
		"userIdentity": map[string]any{
			"type": "IAMUser", "principalId": "AIDABENCHMARKER0000001", "arn": "arn:aws:iam::" + account + ":user/" + user,
			"accountId": account, "accessKeyId": "AKIABENCHMARKERKEY01", "userName": user,
		},
		"eventTime": now.UTC().Format(time.RFC3339), "eventSource": "bedrock.amazonaws.com",
		"eventName": "DeleteModelInvocationLoggingConfiguration", "awsRegion": "us-east-1",
		"sourceIPAddress": "198.51.100.77", "userAgent": "aitdr-bench/1.0",
		"requestParameters": nil, "responseElements": nil, "requestID": uuidText(), "eventID": id,
		"readOnly": false, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": account,
		"eventCategory": "Management",
	}
	data, _ = json.Marshal(rec) // a map of strings, bools and nil always encodes
	return data, schemas.EventID(schemas.ProductAWSCloudTrail, id, data)
}

// uuidText is a random RFC 4122 version 4 UUID.
func uuidText() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// alertSeen is when an alert arrived, and its evidence.
type alertSeen struct {
	id       string
	at       time.Time
	evidence []string
}

// findingIDs reads an alert's id and evidence event ids.
func findingIDs(b []byte) (string, []string, bool) {
	var f struct {
		FindingInfo struct {
			UID string `json:"uid"`
		} `json:"finding_info"`
		Unmapped struct {
			AITDR struct {
				EvidenceEventIDs []string `json:"evidence_event_ids"`
			} `json:"aitdr"`
		} `json:"unmapped"`
	}
	if err := json.Unmarshal(b, &f); err != nil || f.FindingInfo.UID == "" {
		return "", nil, false
	}
	return f.FindingInfo.UID, f.Unmapped.AITDR.EvidenceEventIDs, true
}

// alertWatch keeps the arrival of alerts on the alerts topic and on NATS,
// and of containment steps on aitdr.actions.succeeded.
type alertWatch struct {
	mu      sync.Mutex
	kafka   []alertSeen
	nats    []alertSeen
	actions map[string]time.Time // alert id → first succeeded containment step
}

func (w *alertWatch) byEvidence(list []alertSeen) map[string]alertSeen {
	out := map[string]alertSeen{}
	for _, a := range list {
		for _, e := range a.evidence {
			if prev, ok := out[e]; !ok || a.at.Before(prev.at) {
				out[e] = a
			}
		}
	}
	return out
}

// benchLatencyPhase offers count background records at a steady rate with
// a marked record every f.markerEvery, and measures how fast the markers'
// alerts and containments come back.
func benchLatencyPhase(ctx context.Context, h *harness, records *benchRecords, count int64, markerIDs []string, f benchFlags, rep *benchReport, progress io.Writer) error {
	prefix := h.cfg.Kafka.Topics.Prefix
	w := &alertWatch{actions: map[string]time.Time{}}
	opts, err := h.cfg.Kafka.ClientOpts(h.ep.kafkaBrokers)
	if err != nil {
		return err
	}
	consumer, err := kgo.NewClient(append(opts, kgo.ConsumeTopics(prefix+schemas.TopicAlerts), kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()),
		kgo.FetchMaxWait(50*time.Millisecond))...)
	if err != nil {
		return fmt.Errorf("bench: alerts consumer: %w", err)
	}
	defer consumer.Close()
	cctx, stopConsumer := context.WithCancel(ctx)
	defer stopConsumer()
	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		for cctx.Err() == nil {
			fetches := consumer.PollFetches(cctx)
			now := time.Now()
			fetches.EachRecord(func(r *kgo.Record) {
				if id, ev, ok := findingIDs(r.Value); ok {
					w.mu.Lock()
					w.kafka = append(w.kafka, alertSeen{id: id, at: now, evidence: ev})
					w.mu.Unlock()
				}
			})
		}
	}()
	// The consumer starts at the end: make it take its position first.
	consumer.ForceMetadataRefresh()
	nc, err := nats.Connect(h.ep.natsURL, nats.Name("aitdr-bench"))
	if err != nil {
		return fmt.Errorf("bench: nats: %w", err)
	}
	defer nc.Close()
	if _, err := nc.Subscribe(schemas.SubjectAlerts+".>", func(m *nats.Msg) {
		now := time.Now()
		if id, ev, ok := findingIDs(m.Data); ok {
			w.mu.Lock()
			w.nats = append(w.nats, alertSeen{id: id, at: now, evidence: ev})
			w.mu.Unlock()
		}
	}); err != nil {
		return fmt.Errorf("bench: subscribe alerts: %w", err)
	}
	if _, err := nc.Subscribe(schemas.SubjectActions+".succeeded", func(m *nats.Msg) {
		now := time.Now()
		var a struct {
			AlertID string `json:"alert_id"`
			Kind    string `json:"kind"`
		}
		if json.Unmarshal(m.Data, &a) != nil || a.AlertID == "" || a.Kind == "notify" {
			return
		}
		w.mu.Lock()
		if _, ok := w.actions[a.AlertID]; !ok {
			w.actions[a.AlertID] = now
		}
		w.mu.Unlock()
	}); err != nil {
		return fmt.Errorf("bench: subscribe actions: %w", err)
	}
	if err := nc.Flush(); err != nil {
		return fmt.Errorf("bench: nats: %w", err)
	}
	time.Sleep(time.Second) // the alerts consumer's first fetch is in flight

	client, err := h.producer()
	if err != nil {
		return err
	}
	defer client.Close()
	raw := prefix + schemas.TopicRaw
	var markers []marker
	var sent int64
	var produceErr atomic.Pointer[error]
	onAck := func(_ *kgo.Record, err error) {
		if err != nil {
			produceErr.CompareAndSwap(nil, &err)
		}
	}
	duration := f.latencyFor
	if f.rate > 0 {
		duration = min(duration, time.Duration(float64(count)/f.rate*float64(time.Second)))
	}
	fmt.Fprintf(progress, "bench: latency phase: %.0f records/s for %s, a marked record every %s\n", f.rate, duration.Round(time.Second), f.markerEvery)
	start := time.Now()
	nextMarker := start
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for now := start; now.Sub(start) < duration; now = <-tick.C {
		due := int64(now.Sub(start).Seconds() * f.rate)
		for sent < due {
			rec, err := records.next(raw)
			if err != nil {
				return err
			}
			if rec == nil {
				break
			}
			client.Produce(ctx, rec, onAck)
			sent++
		}
		for !nextMarker.After(now) {
			identity := markerIDs[len(markers)%len(markerIDs)]
			data, id := markerRecord(identity, time.Now())
			m := marker{eventID: id, sent: time.Now()}
			client.Produce(ctx, &kgo.Record{Topic: raw, Key: []byte(identity), Value: data,
				Headers: []kgo.RecordHeader{{Key: schemas.HeaderSource, Value: []byte(schemas.ProductAWSCloudTrail)}}}, onAck)
			markers = append(markers, m)
			nextMarker = nextMarker.Add(f.markerEvery)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	elapsed := time.Since(start)
	if err := client.Flush(ctx); err != nil {
		return fmt.Errorf("bench: produce: %w", err)
	}
	if p := produceErr.Load(); p != nil {
		return fmt.Errorf("bench: produce: %w", *p)
	}

	// Wait for the last markers' alerts and containments.
	pendingAlerts := func() (alerted, contained int) {
		w.mu.Lock()
		defer w.mu.Unlock()
		byEv := w.byEvidence(w.kafka)
		for _, m := range markers {
			if a, ok := byEv[m.eventID]; ok {
				alerted++
				if _, ok := w.actions[a.id]; ok {
					contained++
				}
			}
		}
		return alerted, contained
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if a, c := pendingAlerts(); a == len(markers) && c == len(markers) {
			break
		}
	}
	stopConsumer()
	<-consumed

	w.mu.Lock()
	kafkaBy, natsBy := w.byEvidence(w.kafka), w.byEvidence(w.nats)
	var e2a, e2aNATS, a2aNATS []time.Duration
	markerAlerts := map[string]bool{}
	for _, m := range markers {
		if a, ok := kafkaBy[m.eventID]; ok {
			e2a = append(e2a, a.at.Sub(m.sent))
		}
		if a, ok := natsBy[m.eventID]; ok {
			e2aNATS = append(e2aNATS, a.at.Sub(m.sent))
			markerAlerts[a.id] = true
			if done, ok := w.actions[a.id]; ok {
				a2aNATS = append(a2aNATS, done.Sub(a.at))
			}
		}
	}
	w.mu.Unlock()
	a2a, err := alertToAction(ctx, h, markerAlerts)
	if err != nil {
		return err
	}
	rep.Latency = benchLatency{OfferedRate: f.rate, Seconds: elapsed.Seconds(), Records: sent, Markers: len(markers), Alerted: len(e2a),
		EventToAlert: latencies(e2a), EventToAlertNATS: latencies(e2aNATS),
		Contained: len(a2a), AlertToAction: latencies(a2a), AlertToActionNATS: latencies(a2aNATS)}
	return nil
}

// alertToAction reads, for the given alerts, the time from creation to
// the end of containment from response_times.
func alertToAction(ctx context.Context, h *harness, alerts map[string]bool) ([]time.Duration, error) {
	// response_times is written by the responder a moment after the
	// containment; give it a few seconds.
	var out []time.Duration
	for deadline := time.Now().Add(10 * time.Second); ; {
		out = out[:0]
		rows, err := h.ch.Query(ctx, `SELECT alert_id, alert_at, contained_at FROM `+h.table("response_times")+` FINAL`)
		if err != nil {
			return nil, fmt.Errorf("bench: read response times: %w", err)
		}
		for rows.Next() {
			var id string
			var at, done time.Time
			if err := rows.Scan(&id, &at, &done); err != nil {
				rows.Close()
				return nil, fmt.Errorf("bench: read response times: %w", err)
			}
			if alerts[id] {
				out = append(out, done.Sub(at))
			}
		}
		rows.Close()
		if len(out) >= len(alerts) || time.Now().After(deadline) {
			return out, rows.Err()
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// deleteBenchTopics removes the run's topics from an external broker.
func deleteBenchTopics(h *harness, prefix string) {
	if h.adm == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	topics, err := h.adm.ListTopics(ctx)
	if err != nil {
		return
	}
	var names []string
	for _, t := range topics.Names() {
		if strings.HasPrefix(t, prefix) {
			names = append(names, t)
		}
	}
	if len(names) > 0 {
		_, _ = h.adm.DeleteTopics(ctx, names...) // best effort: the topics are this run's
	}
}

// processCPU is this process's user and system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// brokerPID is the pid of the Kafka broker "make kafka-start" runs, from
// its pid file, when the run uses an external broker; 0 when unknown.
func brokerPID(external bool) int {
	if !external {
		return 0
	}
	dir := os.Getenv("KAFKA_RUN_DIR")
	if dir == "" {
		dir = filepath.Join(".cache", "kafka", "run")
	}
	b, err := os.ReadFile(filepath.Join(dir, "broker.pid"))
	if err != nil {
		return 0
	}
	var pid int
	if _, err := fmt.Sscan(string(b), &pid); err != nil {
		return 0
	}
	return pid
}

// pidCPU is the user and system CPU time of a process from /proc, or 0.
func pidCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command (which may hold spaces) in parentheses:
	// utime and stime are the 12th and 13th after it, in clock ticks.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 13 {
		return 0
	}
	var utime, stime int64
	fmt.Sscan(fields[11], &utime)
	fmt.Sscan(fields[12], &stime)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks
}

// memorySampler samples the Go heap every second.
type memorySampler struct {
	stopCh chan struct{}
	done   chan benchMemory
	once   sync.Once
	result benchMemory
}

func startMemorySampler() *memorySampler {
	m := &memorySampler{stopCh: make(chan struct{}), done: make(chan benchMemory, 1)}
	go func() {
		samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"}}
		var peak uint64
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			metrics.Read(samples)
			peak = max(peak, samples[0].Value.Uint64())
			select {
			case <-m.stopCh:
				m.done <- benchMemory{PeakHeapBytes: peak, GoTotalBytes: samples[1].Value.Uint64(), PeakRSSBytes: peakRSS()}
				return
			case <-t.C:
			}
		}
	}()
	return m
}

// stop ends the sampling and returns what it saw; it may be called more
// than once.
func (m *memorySampler) stop() benchMemory {
	m.once.Do(func() {
		close(m.stopCh)
		m.result = <-m.done
	})
	return m.result
}

// loadAverage is the machine's 1-minute load average, or 0.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	fmt.Sscan(string(b), &l)
	return l
}

// peakRSS is the process's resident-set high-water mark (VmHWM), or 0.
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb uint64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}

// writeBenchTable prints the report for people.
func writeBenchTable(w io.Writer, r *benchReport) {
	t := r.Throughput
	fmt.Fprintf(w, "aitdr bench: Kafka %s, %d partitions, %d CPUs, %s\n\n", r.Kafka, r.Partitions, r.CPUs, r.GoVersion)
	fmt.Fprintf(w, "THROUGHPUT  %d records through every stage in %.1f s: %.0f events/s (produced in %.1f s; %d alerts, %d dead letters)\n",
		t.Records, t.Seconds, t.EventsPerSecond, t.ProduceSeconds, t.Alerts, t.DeadLetters)
	fmt.Fprintf(w, "            %.0f events per CPU-second; machine load average %.1f on %d CPUs\n\n", t.EventsPerCPUSecond, t.LoadAverage, r.CPUs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tRECORDS\tDONE AFTER\tRECORDS/S\tPEAK RECORDS/S\tMEASURED BY")
	for _, s := range r.Stages {
		fmt.Fprintf(tw, "%s\t%d\t%.1f s\t%.0f\t%.0f\t%s\n", s.Stage, s.Records, s.Seconds, s.PerSecond, s.PeakPerSecond, s.Measured)
	}
	tw.Flush()
	c := r.CPU
	fmt.Fprintf(w, "\nCPU  %.1f s of CPU in the phase (%.2f cores); the Go profile saw %.1f s", c.ProcessSeconds, c.Cores, c.ProfiledSeconds)
	if c.BrokerSeconds > 0 {
		fmt.Fprintf(w, "; the Kafka broker process %.1f s", c.BrokerSeconds)
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PART\tCPU S\tSHARE")
	for _, s := range c.Shares {
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f%%\n", s.Part, s.Seconds, 100*s.Share)
	}
	tw.Flush()
	if c.HottestStage != "" {
		fmt.Fprintf(w, "\nHOTTEST STAGE %s, its top functions (flat CPU):\n", c.HottestStage)
		for _, f := range c.TopFunctions {
			fmt.Fprintf(w, "  %6.2f s  %5.1f%%  %s\n", f.Seconds, 100*f.Share, f.Function)
		}
	}
	m := r.Memory
	fmt.Fprintf(w, "\nMEMORY  peak RSS %.0f MiB, peak Go heap %.0f MiB, Go runtime total %.0f MiB\n",
		float64(m.PeakRSSBytes)/(1<<20), float64(m.PeakHeapBytes)/(1<<20), float64(m.GoTotalBytes)/(1<<20))
	l := r.Latency
	fmt.Fprintf(w, "\nLATENCY  %.0f records/s offered for %.1f s, %d marked records, %d alerted, %d contained\n",
		l.OfferedRate, l.Seconds, l.Markers, l.Alerted, l.Contained)
	fmt.Fprintf(w, "  event to alert (alerts topic)   %s\n", l.EventToAlert)
	fmt.Fprintf(w, "  event to alert (NATS)           %s\n", l.EventToAlertNATS)
	fmt.Fprintf(w, "  alert to action (containment)   %s\n", l.AlertToAction)
	fmt.Fprintf(w, "  alert to aitdr.actions on NATS  %s\n", l.AlertToActionNATS)
	fmt.Fprintln(w)
	for _, tg := range r.Targets {
		mark := "MISSED"
		if tg.Met {
			mark = "met"
		}
		fmt.Fprintf(w, "TARGET %-30s %-12s %s\n", tg.Target, tg.Value, mark)
	}
}
