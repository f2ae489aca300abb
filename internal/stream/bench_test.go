package stream_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/stream"
)

// acks is a franz-go hook on the runner's client that signals acknowledged
// produces, to time the runner without a consumer of the output competing
// for the CPU.
type acks struct {
	mu      sync.Mutex
	n, at   int
	reached chan struct{}
	each    chan struct{} // if non-nil, receives a value per acknowledgement
}

func (a *acks) OnProduceRecordUnbuffered(_ *kgo.Record, err error) {
	if err != nil {
		return
	}
	if a.each != nil {
		a.each <- struct{}{}
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n++; a.n == a.at {
		close(a.reached)
	}
}

// benchConfig is the runner config of the benchmarks: the defaults, with
// short group timings.
func benchConfig(b *testing.B, brokers []string, in, dlq string) stream.Config {
	return stream.Config{
		Stage:           "bench",
		Brokers:         brokers,
		Group:           kafkatest.Name(b),
		Topics:          []string{in},
		DeadLetterTopic: dlq,
		ClientOpts: []kgo.Opt{
			kgo.SessionTimeout(6 * time.Second),
			kgo.HeartbeatInterval(100 * time.Millisecond),
		},
	}
}

// BenchmarkRunnerPassThrough measures a runner copying 1 KiB records from a
// 6-partition topic to another, with the default Config (batches of
// DefaultMaxPollRecords): one op is one record. Sub-benchmarks name the
// producer linger of the runner (DefaultLinger is 1ms, franz-go's 10ms). The input is
// written before the timer starts, and the runner is held on its first
// record until then, so the timing covers consuming, processing, producing
// and acknowledging, and not the group join. Run it with -benchtime=200000x
// or so: each op costs 1 KiB of input and output.
func BenchmarkRunnerPassThrough(b *testing.B) {
	for _, linger := range []time.Duration{10 * time.Millisecond, time.Millisecond, 0} {
		b.Run("linger="+linger.String(), func(b *testing.B) { benchPassThrough(b, linger) })
	}
}

func benchPassThrough(b *testing.B, linger time.Duration) {
	const partitions, valueSize = 6, 1024
	brokers := kafkatest.Cluster(b)
	in, out, dlq := kafkatest.Topic(b, brokers, partitions), kafkatest.Topic(b, brokers, partitions), kafkatest.Topic(b, brokers, 1)
	kafkatest.Produce(b, brokers, kafkatest.Generate(in, b.N, 1<<16, valueSize)...)

	hook := &acks{at: b.N, reached: make(chan struct{})}
	cfg := benchConfig(b, brokers, in, dlq)
	cfg.ClientOpts = append(cfg.ClientOpts, kgo.ProducerLinger(linger), kgo.WithHooks(hook))
	first, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	p := stream.ProcessorFunc(func(_ context.Context, rec *kgo.Record, o *stream.Output) error {
		once.Do(func() {
			close(first)
			<-release
		})
		o.Produce(&kgo.Record{Topic: out, Key: rec.Key, Value: rec.Value, Headers: rec.Headers})
		return nil
	})
	r, err := stream.New(cfg, p, stream.WithLogger(discard()))
	if err != nil {
		b.Fatalf("new runner: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("runner: %v", err)
		}
	}()
	select {
	case <-first:
	case err := <-done:
		b.Fatalf("runner returned before its first record: %v", err)
	}

	b.ResetTimer()
	close(release)
	select {
	case <-hook.reached:
	case err := <-done:
		b.Fatalf("runner returned before all records were acknowledged: %v", err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(b.N)*valueSize/b.Elapsed().Seconds()/(1<<20), "MiB/s")
}

// BenchmarkRunnerLatency measures the time from producing one 1 KiB record
// (acknowledged) to the runner's copy of it being acknowledged, one record at
// a time, and reports the median and 99th percentile. Sub-benchmarks name the
// producer linger of the runner.
func BenchmarkRunnerLatency(b *testing.B) {
	for _, linger := range []time.Duration{10 * time.Millisecond, time.Millisecond, 0} {
		b.Run("linger="+linger.String(), func(b *testing.B) {
			brokers := kafkatest.Cluster(b)
			in, out, dlq := kafkatest.Topic(b, brokers, 1), kafkatest.Topic(b, brokers, 1), kafkatest.Topic(b, brokers, 1)
			hook := &acks{each: make(chan struct{}, 1)}
			cfg := benchConfig(b, brokers, in, dlq)
			cfg.ClientOpts = append(cfg.ClientOpts, kgo.ProducerLinger(linger), kgo.WithHooks(hook))
			r, err := stream.New(cfg, stream.ProcessorFunc(func(_ context.Context, rec *kgo.Record, o *stream.Output) error {
				o.Produce(&kgo.Record{Topic: out, Key: rec.Key, Value: rec.Value})
				return nil
			}), stream.WithLogger(discard()))
			if err != nil {
				b.Fatalf("new runner: %v", err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx) }()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					b.Errorf("runner: %v", err)
				}
			}()
			producer := kafkatest.Client(b, brokers, kgo.ProducerLinger(0))
			rec := kafkatest.Generate(in, 1, 0, 1024)[0]
			roundTrip := func() time.Duration {
				start := time.Now()
				if err := producer.ProduceSync(ctx, &kgo.Record{Topic: in, Key: rec.Key, Value: rec.Value}).FirstErr(); err != nil {
					b.Fatalf("produce: %v", err)
				}
				select {
				case <-hook.each:
				case err := <-done:
					b.Fatalf("runner returned: %v", err)
				}
				return time.Since(start)
			}
			roundTrip() // joins the group

			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				lat = append(lat, roundTrip())
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}
