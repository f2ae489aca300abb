package stream_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

// TestConfigValidate shows that Validate lists every problem of a config,
// each naming its field, and that New refuses an invalid config with them.
func TestConfigValidate(t *testing.T) {
	valid := stream.Config{
		Stage:           "enrich",
		Brokers:         []string{"127.0.0.1:9092"},
		Group:           "aitdr-enrich",
		Topics:          []string{"aitdr.events"},
		DeadLetterTopic: "aitdr.dlq",
	}
	tests := []struct {
		name string
		edit func(*stream.Config)
		want []string // one per line of the error, in order
	}{
		{"valid", func(*stream.Config) {}, nil},
		{"zero", func(c *stream.Config) { *c = stream.Config{} }, []string{
			"stage: required",
			"brokers: required",
			"group: required",
			"topics: required",
			"dead_letter_topic: required",
		}},
		{"bad values", func(c *stream.Config) {
			c.Stage = "en rich"
			c.Brokers = []string{"127.0.0.1:9092", " "}
			c.Topics = []string{"x", "", "x"}
			c.DeadLetterTopic = "x"
			c.MaxPollRecords = -1
			c.MaxInFlightRecords = -2
			c.MaxInFlightBytes = -3
			c.CommitInterval = -time.Second
			c.DrainTimeout = -time.Minute
			c.Linger = -time.Millisecond
		}, []string{
			`stage: "en rich" contains spaces or control characters`,
			"brokers[1]: empty",
			"topics[1]: empty",
			`topics[2]: "x" repeats topics[0]`,
			`dead_letter_topic: "x" is also consumed as topics[0]`,
			"max_poll_records: -1 is negative",
			"max_in_flight_records: -2 is negative",
			"max_in_flight_bytes: -3 is negative",
			"commit_interval: -1s is negative",
			"drain_timeout: -1m0s is negative",
			"linger: -1ms is negative",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.edit(&cfg)
			err := cfg.Validate()
			_, nerr := stream.New(cfg, stream.ProcessorFunc(func(context.Context, *kgo.Record, *stream.Output) error { return nil }))
			if tt.want == nil {
				if err != nil || nerr != nil {
					t.Fatalf("Validate() = %v, New() = %v, want nil", err, nerr)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %d problems", len(tt.want))
			}
			if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, tt.want) {
				t.Errorf("Validate() problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if nerr == nil || !strings.Contains(nerr.Error(), tt.want[0]) {
				t.Errorf("New() = %v, want an error listing %q", nerr, tt.want[0])
			}
		})
	}
}

// TestShutdownCommitsProcessed shows that a graceful stop finishes the work in
// flight and commits it: the group's offsets reach the end of every
// partition, the output holds every record once, and a restarted runner
// processes only the record produced after the stop.
func TestShutdownCommitsProcessed(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	in, out, dlq := kafkatest.Topic(t, brokers, 3), kafkatest.Topic(t, brokers, 3), kafkatest.Topic(t, brokers, 1)
	const n = 300
	kafkatest.Produce(t, brokers, kafkatest.Generate(in, n, 0, 100)...)
	cfg := config(t, brokers, in, dlq)
	cfg.CommitInterval = time.Hour // only the shutdown commits

	st := newState()
	first := start(t, cfg, &copier{name: "first", to: out, st: st})
	st.until(t, "every record processed", func() bool { return len(st.seen) == n })
	if err := first.stop(t); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	if got, want := kafkatest.Committed(t, brokers, cfg.Group, in), kafkatest.EndOffsets(t, brokers, in); !maps.Equal(got, want) {
		t.Fatalf("committed offsets after stop = %v, want the end offsets %v", got, want)
	}
	if c := kafkatest.Count(t, brokers, out); c != n {
		t.Errorf("output holds %d records, want %d", c, n)
	}

	kafkatest.Produce(t, brokers, kafkatest.Generate(in, n+1, 0, 100)[n])
	second := start(t, cfg, &copier{name: "second", to: out, st: st})
	st.until(t, "the new record processed", func() bool { return st.seen[n] == 1 })
	if err := second.stop(t); err != nil {
		t.Fatalf("graceful stop of the second runner: %v", err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if got := st.by["second"]; len(got) != 1 {
		t.Errorf("restarted runner processed %d records, want only the new one", len(got))
	}
	for i := range n + 1 {
		if st.seen[i] != 1 {
			t.Errorf("record %d processed %d times, want once", i, st.seen[i])
		}
	}
}

// flushCopier is a copier whose Flush fails once a batch held record failAt.
type flushCopier struct {
	*copier
	failAt int
	saw    atomic.Bool
	failed atomic.Bool
}

func (f *flushCopier) Process(ctx context.Context, in *kgo.Record, out *stream.Output) error {
	if kafkatest.Index(in.Value) == f.failAt {
		f.saw.Store(true)
	}
	return f.copier.Process(ctx, in, out)
}

func (f *flushCopier) Flush(context.Context) error {
	if f.saw.Load() && !f.failed.Swap(true) {
		return errors.New("clickhouse insert failed")
	}
	return nil
}

// TestCrashMidBatchLosesNothing shows at-least-once delivery: when a runner
// dies in the middle of a batch (its processor fails on infrastructure, its
// flush fails, or its shutdown drain times out on a stuck processor), nothing
// of that batch is committed, and a new runner in the group processes every
// record that did not make it, the failing one included.
func TestCrashMidBatchLosesNothing(t *testing.T) {
	const n, failAt = 300, 150
	errDown := errors.New("database down")
	tests := []struct {
		name string
		// processor wraps c into the dying runner's processor; it closes
		// blocked if it blocks on a record.
		processor func(c *copier, blocked chan<- struct{}) stream.Processor
		kill      bool   // stop the runner once blocked is closed
		wantErr   string // in the error Run returns
		wantIs    error  // wrapped by that error, if set
	}{
		{
			name: "processor error",
			processor: func(c *copier, _ chan<- struct{}) stream.Processor {
				var failed atomic.Bool
				c.hook = func(_ context.Context, i int, _ *kgo.Record, _ *stream.Output) error {
					if i == failAt && !failed.Swap(true) {
						return errDown
					}
					return nil
				}
				return c
			},
			wantErr: "database down",
			wantIs:  errDown,
		},
		{
			name: "flush error",
			processor: func(c *copier, _ chan<- struct{}) stream.Processor {
				return &flushCopier{copier: c, failAt: failAt}
			},
			wantErr: "clickhouse insert failed",
		},
		{
			name: "drain timeout",
			processor: func(c *copier, blocked chan<- struct{}) stream.Processor {
				c.hook = func(ctx context.Context, i int, _ *kgo.Record, _ *stream.Output) error {
					if i == failAt {
						close(blocked)
						<-ctx.Done()
						return context.Cause(ctx)
					}
					return nil
				}
				return c
			},
			kill:    true,
			wantErr: "drain timeout 300ms exceeded",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			brokers := kafkatest.Cluster(t)
			in, out, dlq := kafkatest.Topic(t, brokers, 3), kafkatest.Topic(t, brokers, 3), kafkatest.Topic(t, brokers, 1)
			kafkatest.Produce(t, brokers, kafkatest.Generate(in, n, 0, 100)...)
			cfg := config(t, brokers, in, dlq)
			cfg.DrainTimeout = 300 * time.Millisecond

			st := newState()
			blocked := make(chan struct{})
			dying := start(t, cfg, tt.processor(&copier{name: "dying", to: out, st: st}, blocked))
			if tt.kill {
				select {
				case <-blocked:
				case <-time.After(waitTimeout):
					t.Fatal("processor never reached the record to block on")
				}
				dying.cancel()
			}
			err := dying.wait(t)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("dying runner returned %v, want an error with %q", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v does not wrap %v", err, tt.wantIs)
			}

			cfg.DrainTimeout = 10 * time.Second
			next := start(t, cfg, &copier{name: "next", to: out, st: st})
			kafkatest.ReadUntil(t, brokers, out, waitTimeout, distinct(n))
			if err := next.stop(t); err != nil {
				t.Fatalf("graceful stop of the next runner: %v", err)
			}
			st.mu.Lock()
			defer st.mu.Unlock()
			if !st.by["next"][failAt] {
				t.Errorf("record %d, in the batch that failed, was not processed again", failAt)
			}
		})
	}
}

// TestPoisonRecordsGoToDeadLetters shows that records the processor rejects,
// panics on, or answers with an invalid output go to the dead-letter topic
// with their original key, value and headers plus the reason, stage and
// origin headers, while every other record is processed.
func TestPoisonRecordsGoToDeadLetters(t *testing.T) {
	const n = 100
	poison := []struct {
		name   string
		index  int
		act    func(i int, out *stream.Output)
		reason string
	}{
		{"rejected", 7, func(i int, out *stream.Output) {
			out.Reject(fmt.Errorf("decode event %d: unexpected end of JSON input", i))
		}, "decode event 7: unexpected end of JSON input"},
		{"rejected after producing", 23, func(i int, out *stream.Output) {
			out.Produce(&kgo.Record{Topic: "never-produced"})
			out.Reject(errors.New("bad identity"))
		}, "bad identity"},
		{"panic", 50, func(int, *stream.Output) { panic("index out of range") }, "panic: index out of range"},
		{"output without topic", 77, func(_ int, out *stream.Output) { out.Produce(&kgo.Record{Value: []byte("x")}) }, "output record 0 has no topic"},
		{"output over the record limit", 91, func(_ int, out *stream.Output) {
			out.Produce(&kgo.Record{Topic: "too-large", Value: make([]byte, stream.DefaultMaxRecordBytes+1)})
		}, fmt.Sprintf("output record 0 to too-large is %d bytes, over the %d-byte record limit", stream.DefaultMaxRecordBytes+1, stream.DefaultMaxRecordBytes)},
	}
	brokers := kafkatest.Cluster(t)
	in, out, dlq := kafkatest.Topic(t, brokers, 3), kafkatest.Topic(t, brokers, 3), kafkatest.Topic(t, brokers, 1)
	records := kafkatest.Generate(in, n, 0, 64)
	for i, r := range records {
		r.Headers = []kgo.RecordHeader{{Key: "origin", Value: []byte("test-" + strconv.Itoa(i))}}
	}
	kafkatest.Produce(t, brokers, records...)

	byIndex := make(map[int]func(int, *stream.Output))
	for _, p := range poison {
		byIndex[p.index] = p.act
	}
	p := stream.ProcessorFunc(func(_ context.Context, rec *kgo.Record, o *stream.Output) error {
		i := kafkatest.Index(rec.Value)
		if act := byIndex[i]; act != nil {
			act(i, o)
			return nil
		}
		o.Produce(&kgo.Record{Topic: out, Key: rec.Key, Value: rec.Value})
		return nil
	})
	r := start(t, config(t, brokers, in, dlq), p)
	dead := kafkatest.ReadAll(t, brokers, dlq, len(poison), waitTimeout)
	kafkatest.ReadAll(t, brokers, out, n-len(poison), waitTimeout)
	if err := r.stop(t); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	if c := kafkatest.Count(t, brokers, out); c != n-int64(len(poison)) {
		t.Errorf("output holds %d records, want %d", c, n-len(poison))
	}
	if c := kafkatest.Count(t, brokers, dlq); c != int64(len(poison)) {
		t.Errorf("dead-letter topic holds %d records, want %d", c, len(poison))
	}

	// Where each input record was written, to check the origin headers.
	inputs := make(map[int]*kgo.Record)
	for _, rec := range kafkatest.ReadAll(t, brokers, in, n, waitTimeout) {
		inputs[kafkatest.Index(rec.Value)] = rec
	}
	got := make(map[int]*kgo.Record)
	for _, rec := range dead {
		got[kafkatest.Index(rec.Value)] = rec
	}
	for _, p := range poison {
		t.Run(p.name, func(t *testing.T) {
			rec, orig := got[p.index], inputs[p.index]
			if rec == nil {
				t.Fatalf("record %d not in the dead-letter topic", p.index)
			}
			if string(rec.Key) != string(orig.Key) || string(rec.Value) != string(orig.Value) {
				t.Errorf("dead letter key/value = %q/%q, want the original %q/%q", rec.Key, rec.Value, orig.Key, orig.Value)
			}
			h := make(map[string]string)
			for _, kv := range rec.Headers {
				h[kv.Key] = string(kv.Value)
			}
			want := map[string]string{
				"origin":                   "test-" + strconv.Itoa(p.index),
				schemas.HeaderDLQReason:    p.reason,
				schemas.HeaderDLQStage:     "test",
				schemas.HeaderDLQTopic:     in,
				schemas.HeaderDLQPartition: strconv.Itoa(int(orig.Partition)),
				schemas.HeaderDLQOffset:    strconv.FormatInt(orig.Offset, 10),
			}
			for k, v := range want {
				if h[k] != v {
					t.Errorf("header %s = %q, want %q", k, h[k], v)
				}
			}
			if ts, err := time.Parse(time.RFC3339Nano, h[schemas.HeaderDLQTime]); err != nil || time.Since(ts) > time.Minute {
				t.Errorf("header %s = %q, want a recent RFC 3339 time (%v)", schemas.HeaderDLQTime, h[schemas.HeaderDLQTime], err)
			}
		})
	}
}

// TestOversizedRecordsGoToDeadLettersCut shows that records too large to
// carry through the stage (up to what the broker accepts, over the
// stage's record limit) go to the dead-letter topic cut down to the limit,
// with their original length in a header, and the stage goes on: a dead
// letter as large as its record would be refused by the producer and stop
// the stage on every redelivery. Both the Runner's own dead letters and a
// processor's are cut.
func TestOversizedRecordsGoToDeadLettersCut(t *testing.T) {
	const n, size = 20, 1_010_000
	brokers := kafkatest.Cluster(t)
	in, out, dlq := kafkatest.Topic(t, brokers, 1), kafkatest.Topic(t, brokers, 3), kafkatest.Topic(t, brokers, 1)
	records := kafkatest.Generate(in, n, 0, 64)
	oversized := map[int]int{5: size, 12: size} // index: value length
	for i := range oversized {
		records[i] = kafkatest.Generate(in, i+1, 0, size)[i]
	}
	big := kafkatest.Client(t, brokers, kgo.ProducerBatchMaxBytes(2<<20))
	if err := big.ProduceSync(context.Background(), records...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}

	p := stream.ProcessorFunc(func(_ context.Context, rec *kgo.Record, o *stream.Output) error {
		switch i := kafkatest.Index(rec.Value); i {
		case 5: // its output is over the limit: the Runner dead-letters the input
			o.Produce(&kgo.Record{Topic: out, Key: rec.Key, Value: rec.Value})
		case 12: // the processor dead-letters it itself, beside a good output
			o.Produce(stream.DeadLetter(dlq, "test", rec.Key, rec.Value, rec.Headers,
				stream.Origin{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}, errors.New("record 12 is bad"), time.Now()))
			o.Produce(&kgo.Record{Topic: out, Key: rec.Key, Value: []byte("12 summary")})
		default:
			o.Produce(&kgo.Record{Topic: out, Key: rec.Key, Value: rec.Value})
		}
		return nil
	})
	r := start(t, config(t, brokers, in, dlq), p)
	dead := kafkatest.ReadAll(t, brokers, dlq, len(oversized), waitTimeout)
	kafkatest.ReadAll(t, brokers, out, n-1, waitTimeout)
	if err := r.stop(t); err != nil {
		t.Fatalf("the stage stopped with %v, want it to carry on past oversized records", err)
	}
	if c := kafkatest.Count(t, brokers, dlq); c != int64(len(oversized)) {
		t.Errorf("dead-letter topic holds %d records, want %d", c, len(oversized))
	}
	reasons := map[int]string{5: "over the 999488-byte record limit", 12: "record 12 is bad"}
	for _, dl := range dead {
		i := kafkatest.Index(dl.Value)
		size := len(dl.Key) + len(dl.Value)
		for _, h := range dl.Headers {
			size += len(h.Key) + len(h.Value)
		}
		if size > stream.DefaultMaxRecordBytes {
			t.Errorf("dead letter of record %d is %d bytes, over the limit", i, size)
		}
		if got, want := string(stream.Header(dl, schemas.HeaderDLQTruncated)), strconv.Itoa(oversized[i]); got != want {
			t.Errorf("dead letter of record %d: header %s = %q, want %q", i, schemas.HeaderDLQTruncated, got, want)
		}
		if reason := string(stream.Header(dl, schemas.HeaderDLQReason)); !strings.Contains(reason, reasons[i]) {
			t.Errorf("dead letter of record %d: reason %q, want it to say %q", i, reason, reasons[i])
		}
	}
}

// TestRebalanceLosesNothing shows that two runners in one group split the
// partitions between them, and that the rebalances when the second joins and
// when the first leaves, both in the middle of the work, lose nothing and,
// being graceful (work in flight committed before partitions are revoked),
// repeat nothing either.
func TestRebalanceLosesNothing(t *testing.T) {
	const parts, perPhase = 4, 200
	brokers := kafkatest.Cluster(t)
	in, out, dlq := kafkatest.Topic(t, brokers, parts), kafkatest.Topic(t, brokers, parts), kafkatest.Topic(t, brokers, 1)
	all := kafkatest.Generate(in, 3*perPhase, 0, 100)
	cfg := config(t, brokers, in, dlq)
	cfg.MaxPollRecords = 20
	st := newState()
	// Simulated work, so that the rebalances happen while records are in
	// flight.
	work := func(context.Context, int, *kgo.Record, *stream.Output) error {
		time.Sleep(500 * time.Microsecond)
		return nil
	}

	// Phase 1: the second runner joins while the first is at work.
	kafkatest.Produce(t, brokers, all[:perPhase]...)
	a := start(t, cfg, &copier{name: "a", to: out, st: st, hook: work})
	st.until(t, "runner a at work", func() bool { return len(st.seen) >= perPhase/10 })
	b := start(t, cfg, &copier{name: "b", to: out, st: st, hook: work})
	st.until(t, "runners a and b splitting the partitions", func() bool {
		oa, ob := st.owned["a"], st.owned["b"]
		if len(oa) == 0 || len(ob) == 0 || len(oa)+len(ob) != parts {
			return false
		}
		for p := range oa {
			if ob[p] {
				return false
			}
		}
		return true
	})

	// Phase 2: both share the new records.
	kafkatest.Produce(t, brokers, all[perPhase:2*perPhase]...)
	st.until(t, "phases 1 and 2 processed", func() bool { return len(st.seen) == 2*perPhase })
	st.mu.Lock()
	var byA, byB int
	for i := perPhase; i < 2*perPhase; i++ {
		if st.by["a"][i] {
			byA++
		}
		if st.by["b"][i] {
			byB++
		}
	}
	st.mu.Unlock()
	if byA == 0 || byB == 0 {
		t.Errorf("phase 2: runner a processed %d records, b %d; want both to share the work", byA, byB)
	}

	// Phase 3: the first runner leaves while at work; the second takes
	// every partition.
	kafkatest.Produce(t, brokers, all[2*perPhase:]...)
	st.until(t, "phase 3 under way", func() bool { return len(st.seen) >= 2*perPhase+perPhase/10 })
	if err := a.stop(t); err != nil {
		t.Fatalf("graceful stop of runner a: %v", err)
	}
	st.until(t, "runner b owning every partition", func() bool { return len(st.owned["b"]) == parts })
	kafkatest.ReadUntil(t, brokers, out, waitTimeout, distinct(len(all)))
	if err := b.stop(t); err != nil {
		t.Fatalf("graceful stop of runner b: %v", err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for i := range all {
		if st.seen[i] != 1 {
			t.Errorf("record %d processed %d times, want once", i, st.seen[i])
		}
	}
	if c := kafkatest.Count(t, brokers, out); c != int64(len(all)) {
		t.Errorf("output holds %d records for %d inputs", c, len(all))
	}
}

// TestClose shows that Close is idempotent: before Run it makes Run return
// ErrClosed, during Run it stops Run cleanly and waits for it.
func TestClose(t *testing.T) {
	noop := stream.ProcessorFunc(func(context.Context, *kgo.Record, *stream.Output) error { return nil })
	t.Run("before run", func(t *testing.T) {
		r, err := stream.New(config(t, []string{"127.0.0.1:1"}, "in", "dlq"), noop)
		if err != nil {
			t.Fatalf("new runner: %v", err)
		}
		for range 2 {
			if err := r.Close(); err != nil {
				t.Fatalf("Close() = %v", err)
			}
		}
		if err := r.Run(context.Background()); !errors.Is(err, stream.ErrClosed) {
			t.Fatalf("Run() after Close = %v, want ErrClosed", err)
		}
	})
	t.Run("during run", func(t *testing.T) {
		brokers := kafkatest.Cluster(t)
		in, dlq := kafkatest.Topic(t, brokers, 1), kafkatest.Topic(t, brokers, 1)
		st := newState()
		r, err := stream.New(config(t, brokers, in, dlq), &copier{name: "a", to: dlq, st: st}, stream.WithLogger(logger(t)))
		if err != nil {
			t.Fatalf("new runner: %v", err)
		}
		done := make(chan error, 1)
		go func() { done <- r.Run(context.Background()) }()
		st.until(t, "partitions assigned", func() bool { return len(st.owned["a"]) == 1 })
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				if err := r.Close(); err != nil {
					t.Errorf("Close() = %v", err)
				}
			})
		}
		wg.Wait()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Run() after Close = %v, want nil", err)
			}
		default:
			t.Fatal("Close returned before Run")
		}
		if r.Ready() {
			t.Error("Ready() after Close = true")
		}
	})
}

// inflight is a franz-go hook that tracks the records and bytes buffered by
// the producer, and their maxima.
type inflight struct {
	mu                sync.Mutex
	records, bytes    int64
	maxRecs, maxBytes int64
}

func (h *inflight) OnProduceRecordBuffered(r *kgo.Record) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records++
	h.bytes += size(r)
	h.maxRecs = max(h.maxRecs, h.records)
	h.maxBytes = max(h.maxBytes, h.bytes)
}

func (h *inflight) OnProduceRecordUnbuffered(r *kgo.Record, _ error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records--
	h.bytes -= size(r)
}

func size(r *kgo.Record) int64 {
	n := len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return int64(n)
}

// TestBackpressure shows that the records and bytes produced but not yet
// acknowledged never exceed their bounds, and that the bound is what holds
// the producer back under load.
func TestBackpressure(t *testing.T) {
	const n, valueSize = 400, 1024
	tests := []struct {
		name       string
		maxRecords int
		maxBytes   int64
	}{
		{"records", 16, 0},
		{"bytes", 0, 8 * (valueSize + 16)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			brokers := kafkatest.Cluster(t)
			in, out, dlq := kafkatest.Topic(t, brokers, 2), kafkatest.Topic(t, brokers, 2), kafkatest.Topic(t, brokers, 1)
			kafkatest.Produce(t, brokers, kafkatest.Generate(in, n, 0, valueSize)...)
			hook := new(inflight)
			cfg := config(t, brokers, in, dlq)
			cfg.MaxPollRecords = 500
			cfg.MaxInFlightRecords = tt.maxRecords
			cfg.MaxInFlightBytes = tt.maxBytes
			cfg.Linger = 10 * time.Millisecond // records pile up in flight
			cfg.ClientOpts = append(cfg.ClientOpts, kgo.WithHooks(hook))
			r := start(t, cfg, stream.ProcessorFunc(func(_ context.Context, rec *kgo.Record, o *stream.Output) error {
				o.Produce(&kgo.Record{Topic: out, Key: rec.Key, Value: rec.Value})
				return nil
			}))
			kafkatest.ReadAll(t, brokers, out, n, waitTimeout)
			if err := r.stop(t); err != nil {
				t.Fatalf("graceful stop: %v", err)
			}
			hook.mu.Lock()
			defer hook.mu.Unlock()
			if tt.maxRecords > 0 && (hook.maxRecs > int64(tt.maxRecords) || hook.maxRecs < int64(tt.maxRecords)/2) {
				t.Errorf("at most %d records in flight, want between %d and the bound %d", hook.maxRecs, tt.maxRecords/2, tt.maxRecords)
			}
			if tt.maxBytes > 0 && (hook.maxBytes > tt.maxBytes || hook.maxBytes < tt.maxBytes/2) {
				t.Errorf("at most %d bytes in flight, want between %d and the bound %d", hook.maxBytes, tt.maxBytes/2, tt.maxBytes)
			}
			t.Logf("max in flight: %d records, %d bytes", hook.maxRecs, hook.maxBytes)
		})
	}
}
