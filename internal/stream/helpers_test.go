package stream_test

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/stream"
)

// waitTimeout bounds every wait of the tests.
const waitTimeout = 30 * time.Second

// config returns a runner config for tests: a unique group, small batches,
// fast group timings (the broker's minimum session timeout is 6s).
func config(t *testing.T, brokers []string, in, dlq string) stream.Config {
	return stream.Config{
		Stage:           "test",
		Brokers:         brokers,
		Group:           kafkatest.Name(t),
		Topics:          []string{in},
		DeadLetterTopic: dlq,
		MaxPollRecords:  50,
		CommitInterval:  100 * time.Millisecond,
		DrainTimeout:    10 * time.Second,
		ClientOpts: []kgo.Opt{
			kgo.SessionTimeout(6 * time.Second),
			kgo.HeartbeatInterval(100 * time.Millisecond),
			kgo.RebalanceTimeout(5 * time.Second),
		},
	}
}

func logger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// running is a Runner started in the background.
type running struct {
	*stream.Runner
	cancel context.CancelFunc
	done   chan error
}

// start runs a new Runner until stop is called or the test ends.
func start(t *testing.T, cfg stream.Config, p stream.Processor, opts ...stream.Option) *running {
	t.Helper()
	r, err := stream.New(cfg, p, append([]stream.Option{stream.WithLogger(logger(t))}, opts...)...)
	if err != nil {
		t.Fatalf("new runner: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rr := &running{Runner: r, cancel: cancel, done: make(chan error, 1)}
	go func() { rr.done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-rr.done
	})
	return rr
}

// stop cancels the runner and returns Run's result.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	return r.wait(t)
}

// wait returns Run's result once it returns by itself.
func (r *running) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(waitTimeout):
		t.Fatalf("runner did not return within %s", waitTimeout)
		return nil
	}
}

// state is what a test processor saw, shared by the runners of a test. Every
// change wakes the goroutines waiting in until.
type state struct {
	mu      sync.Mutex
	seen    map[int]int                // record index -> times processed
	by      map[string]map[int]bool    // runner name -> indexes it processed
	owned   map[string]map[string]bool // runner name -> "topic/partition" it owns
	changed chan struct{}
}

func newState() *state {
	return &state{
		seen:    make(map[int]int),
		by:      make(map[string]map[int]bool),
		owned:   make(map[string]map[string]bool),
		changed: make(chan struct{}),
	}
}

// update runs fn under the lock and wakes the waiters.
func (s *state) update(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn()
	close(s.changed)
	s.changed = make(chan struct{})
}

// until waits for cond (run under the lock) to hold, re-checking after every
// change; it fails the test after waitTimeout.
func (s *state) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	timeout := time.After(waitTimeout)
	for {
		s.mu.Lock()
		ok, ch := cond(), s.changed
		s.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("waiting for %s: not reached within %s", what, waitTimeout)
		}
	}
}

// copier is a test processor: it copies each record to topic to (keeping key,
// value and headers), records what it processed in st under name, and runs
// hook first if set; a non-nil error from hook is returned as an
// infrastructure failure.
type copier struct {
	name string
	to   string
	st   *state
	hook func(ctx context.Context, i int, in *kgo.Record, out *stream.Output) error
}

func (c *copier) Process(ctx context.Context, in *kgo.Record, out *stream.Output) error {
	i := kafkatest.Index(in.Value)
	if c.hook != nil {
		if err := c.hook(ctx, i, in, out); err != nil {
			return err
		}
	}
	c.st.update(func() {
		c.st.seen[i]++
		if c.st.by[c.name] == nil {
			c.st.by[c.name] = make(map[int]bool)
		}
		c.st.by[c.name][i] = true
	})
	out.Produce(&kgo.Record{Topic: c.to, Key: in.Key, Value: in.Value, Headers: in.Headers})
	return nil
}

func (c *copier) Assign(_ context.Context, ps map[string][]int32) error {
	c.st.update(func() {
		if c.st.owned[c.name] == nil {
			c.st.owned[c.name] = make(map[string]bool)
		}
		for t, parts := range ps {
			for _, p := range parts {
				c.st.owned[c.name][tp(t, p)] = true
			}
		}
	})
	return nil
}

func (c *copier) Revoke(_ context.Context, ps map[string][]int32) {
	c.st.update(func() {
		for t, parts := range ps {
			for _, p := range parts {
				delete(c.st.owned[c.name], tp(t, p))
			}
		}
	})
}

var (
	_ stream.Assigner = (*copier)(nil)
	_ stream.Revoker  = (*copier)(nil)
)

func tp(topic string, partition int32) string {
	return topic + "/" + strconv.Itoa(int(partition))
}

// indexes returns how many times each record index occurs in rs.
func indexes(rs []*kgo.Record) map[int]int {
	m := make(map[int]int, len(rs))
	for _, r := range rs {
		m[kafkatest.Index(r.Value)]++
	}
	return m
}

// distinct returns a ReadUntil condition: every index below n was read.
func distinct(n int) func([]*kgo.Record) bool {
	return func(rs []*kgo.Record) bool {
		m := indexes(rs)
		for i := range n {
			if m[i] == 0 {
				return false
			}
		}
		return true
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
