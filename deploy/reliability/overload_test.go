package reliability_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

// sample is one observation of a pipeline under load.
type sample struct {
	at   time.Duration    // since the load started
	lag  int64            // all stage groups
	lags map[string]int64 // by stage
	rss  int64
}

// sampler observes a pipeline's consumer lag and memory until stopped.
type sampler struct {
	mu      sync.Mutex
	samples []sample
	errs    []error
	stop    chan struct{}
	done    chan struct{}
}

func startSampler(p *pipeline, t *testing.T, every time.Duration) *sampler {
	adm := adminClient(t, p.brokers)
	s := &sampler{stop: make(chan struct{}), done: make(chan struct{})}
	start := time.Now()
	go func() {
		defer close(s.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			lags, err := p.lags(ctx, adm)
			cancel()
			rss, _, merr := p.proc.memory()
			s.mu.Lock()
			if err == nil && merr == nil {
				byStage := map[string]int64{}
				for _, st := range []string{"ingest", "enrich", "baseline", "rules", "sink"} {
					byStage[st] = lags[p.stageGroup(st)]
				}
				s.samples = append(s.samples, sample{at: time.Since(start), lag: totalLag(lags), lags: byStage, rss: rss})
			} else if len(s.errs) < 5 {
				s.errs = append(s.errs, fmt.Errorf("sample at %s: lag: %v, memory: %v", time.Since(start).Round(time.Millisecond), err, merr))
			}
			s.mu.Unlock()
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(s.halt)
	return s
}

func (s *sampler) halt() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
}

// stagePeaks returns the highest lag of each stage, and the stage of the
// highest of them: the bottleneck.
func (s *sampler) stagePeaks() (map[string]int64, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	peaks := map[string]int64{}
	var worst string
	for _, x := range s.samples {
		for st, l := range x.lags {
			peaks[st] = max(peaks[st], l)
			if worst == "" || peaks[st] > peaks[worst] {
				worst = st
			}
		}
	}
	return peaks, worst
}

// peak returns the sample of the highest lag.
func (s *sampler) peak() sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	var p sample
	for _, x := range s.samples {
		if x.lag > p.lag {
			p = x
		}
	}
	return p
}

// TestSustainedOverload shows that raw records arriving faster than the
// pipeline processes them for a while make the consumer lag grow, not the
// process: the lag drains back to 0 once the burst is over, every event
// reaches ClickHouse once, and the process's peak resident memory stays
// under a bound set by the stages' in-flight limits, not by the backlog.
func TestSustainedOverload(t *testing.T) {
	brokers, bin := suite(t)
	adm := adminClient(t, brokers)
	ch := newClickHouseServer(t, bin)
	ch.start()
	// The default organization over a week, produced at 10,000 records a
	// second: about twice what the pipeline processes on two cores, for
	// some fifteen seconds.
	rate := 10000.0
	if v := os.Getenv(EnvLoadRate); v != "" {
		var err error
		if rate, err = strconv.ParseFloat(v, 64); err != nil || rate <= 0 {
			t.Fatalf("%s=%q: want a positive number of records a second", EnvLoadRate, v)
		}
	}
	sim := simulation(t, 168*time.Hour, 1, rate)
	// The engine runs in its own process, so that the pipeline's memory is
	// the stages' alone.
	p := newPipeline(t, bin, brokers, pipelineSpec{name: "pipeline", natsURL: startNATSServer(t).url(), clickhouseDSN: ch.dsn(), sim: sim})
	p.cleanUpKafka(adm)
	p.start(time.Minute)
	_, idle, err := p.proc.memory()
	if err != nil {
		t.Fatal(err)
	}

	s := startSampler(p, t, 500*time.Millisecond)
	start := time.Now()
	f := startFeed(t, producer(t, brokers), p.topic(schemas.TopicRaw), sim)
	f.wait(t, 5*time.Minute)
	produced := time.Since(start)
	want := f.eventIDs()
	drained := p.waitDrained(adm, int64(len(want)), 5*time.Minute)
	total := time.Since(start)
	s.halt()
	_, hwm, err := p.proc.memory()
	if err != nil {
		t.Fatal(err)
	}
	_, chHWM, _ := ch.proc.memory()

	peak := s.peak()
	processed := float64(len(want)) / total.Seconds()
	t.Logf("load: %d records in %s (%.0f/s) into a pipeline that processed them in %s (%.0f/s end to end)",
		len(want), produced.Round(time.Millisecond), f.rate(), total.Round(time.Millisecond), processed)
	peaks, bottleneck := s.stagePeaks()
	t.Logf("lag: peak %d records over all stages at %s (by stage: %v); 0 again %s after the last record was produced",
		peak.lag, peak.at.Round(time.Millisecond), peaks, drained.Round(time.Millisecond))
	t.Logf("memory: pipeline idle %d MiB, peak (VmHWM) %d MiB; ClickHouse engine process peak %d MiB",
		idle>>20, hwm>>20, chHWM>>20)
	for _, e := range s.errs {
		t.Log(e)
	}

	// Above capacity: the backlog of the slowest stage reached a good
	// part of the load.
	if peaks[bottleneck] < int64(len(want))/4 {
		t.Errorf("the lag of the slowest stage (%s) peaked at %d of %d records: the load was not above what the pipeline processes (raise %s)",
			bottleneck, peaks[bottleneck], len(want), EnvLoadRate)
	}
	rows := p.ch.mustCount(t, "SELECT count() FROM aitdr.events FINAL")
	missing, extra := diff(want, p.ch.column(t, "SELECT DISTINCT event_id FROM aitdr.events"))
	if rows != int64(len(want)) || len(missing) > 0 || len(extra) > 0 {
		t.Errorf("%d event rows under FINAL, want %d: %d missing %v, %d unexpected %v", rows, len(want), len(missing), head(missing), len(extra), head(extra))
	}
	largest := largestRecord(t, brokers, p.topic(schemas.TopicScored), 2000)
	limit := memoryBound(idle, largest)
	t.Logf("memory bound: idle %d MiB + %d x (%d stages x (%d MiB in flight + %d records polled x %d bytes) + %d partitions fetched x %d MiB x %d) = %d MiB",
		idle>>20, gcHeadroom(), len(stageTopics), stream.DefaultMaxInFlightBytes>>20, stream.DefaultMaxPollRecords, largest,
		partitions*(1+1+1+1+3), fetchPartitionBytes>>20, decompression, limit>>20)
	if hwm > limit {
		t.Errorf("peak resident memory %d MiB, over the %d MiB the in-flight limits allow", hwm>>20, limit>>20)
	}
	p.stop()
	t.Logf("warnings and errors the pipeline logged:%s", p.proc.problems())
}

// EnvLoadRate sets the records a second of TestSustainedOverload's load
// (default 10000): raise it if the pipeline gets faster than that.
const EnvLoadRate = "AITDR_RELIABILITY_LOAD_RATE"

// stageTopics is how many topics each Kafka stage of "aitdr run"
// consumes: ingest, enrich, baseline and rules one each, the sink three
// (scored events, alerts, identities).
var stageTopics = []int{1, 1, 1, 1, 3}

// fetchPartitionBytes is franz-go's default FetchMaxPartitionBytes: what
// one fetch brings of a partition, compressed; one fetch per broker is in
// flight or buffered at a time.
const fetchPartitionBytes = 1 << 20

// decompression is how much larger records may be in memory than on the
// wire: the producers send uncompressed to a broker on loopback (as here),
// and snappy, used elsewhere, shrinks these JSON-bearing records about
// four times; the bound takes the larger.
const decompression = 4

// memoryBound is the most resident memory the pipeline may reach under
// any backlog, from the limits every stage keeps, all stages at their
// limits at once: the bytes produced and not yet acknowledged
// (stream.DefaultMaxInFlightBytes), one polled batch being processed
// (stream.DefaultMaxPollRecords records of at most largest bytes) and one
// buffered fetch (a partition's fetch bytes per partition consumed,
// decompressed); times the garbage collector's headroom (runtime.gc_percent,
// default 200, lets the heap grow to three times what is live); over what
// the process holds idle. A process that buffered the backlog instead of leaving it in Kafka
// would go past it: the load is gigabytes of records over all topics.
func memoryBound(idle int64, largest int) int64 {
	var live int64
	for _, topics := range stageTopics {
		live += int64(stream.DefaultMaxInFlightBytes) +
			int64(stream.DefaultMaxPollRecords)*int64(largest) +
			int64(topics*partitions*fetchPartitionBytes*decompression)
	}
	return idle + gcHeadroom()*live
}

// gcHeadroom is how many times its live heap the pipeline's heap may grow
// to under the default runtime.gc_percent.
func gcHeadroom() int64 { return 1 + int64(config.Default().Runtime.GCPercent)/100 }

// largestRecord returns the size of the largest of the first n records of
// topic: the pipeline's largest records are the scored events, which carry
// the raw record, the enrichment and the features.
func largestRecord(t *testing.T, brokers []string, topic string, n int) int {
	t.Helper()
	largest := 0
	for _, r := range kafkatest.ReadAll(t, brokers, topic, n, time.Minute) {
		size := len(r.Key) + len(r.Value)
		for _, h := range r.Headers {
			size += len(h.Key) + len(h.Value)
		}
		largest = max(largest, size)
	}
	return largest
}
