package stream_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/internal/kafkatest"
	"github.com/aitdr/aitdr/internal/stream"
)

// gatherer is a BufferingFlusher: it buffers the indexes of the records it
// processes and, at Flush, writes them to a store shared by the runners of
// a test; a flush is due at rows records or interval after the first.
type gatherer struct {
	rows     int
	interval time.Duration
	store    *store
	failAt   int // the failAt-th Flush fails (1-based); 0 never

	buf     []int
	first   time.Time
	flushes int
}

// store is what the gatherers of a test wrote, and the size of each write.
type store struct {
	mu      sync.Mutex
	written map[int]int
	writes  []int
}

func newStore() *store { return &store{written: make(map[int]int)} }

func (s *store) snapshot() (written map[int]int, writes []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.written), append([]int(nil), s.writes...)
}

func (g *gatherer) Process(_ context.Context, in *kgo.Record, _ *stream.Output) error {
	if len(g.buf) == 0 {
		g.first = time.Now()
	}
	g.buf = append(g.buf, kafkatest.Index(in.Value))
	return nil
}

func (g *gatherer) FlushDue(now time.Time) (bool, time.Time) {
	if len(g.buf) == 0 {
		return false, time.Time{}
	}
	by := g.first.Add(g.interval)
	return len(g.buf) >= g.rows || !now.Before(by), by
}

func (g *gatherer) Flush(context.Context) error {
	g.flushes++
	buf := g.buf
	g.buf = g.buf[:0]
	if g.flushes == g.failAt {
		return errors.New("insert refused")
	}
	if len(buf) == 0 {
		return nil
	}
	g.store.mu.Lock()
	defer g.store.mu.Unlock()
	for _, i := range buf {
		g.store.written[i]++
	}
	g.store.writes = append(g.store.writes, len(buf))
	return nil
}

// until waits for cond to hold, polling; it fails the test after
// waitTimeout.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not reached within %s", what, waitTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func sum(m map[int32]int64) (n int64) {
	for _, v := range m {
		n += v
	}
	return n
}

// TestBufferingFlusherGathersBatches shows that a BufferingFlusher writes
// the records of many polls together, that the Runner commits only what was
// flushed, and that a graceful stop flushes what is held.
func TestBufferingFlusherGathersBatches(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	in, dlq := kafkatest.Topic(t, brokers, 3), kafkatest.Topic(t, brokers, 1)
	const n, rows = 2500, 1000
	kafkatest.Produce(t, brokers, kafkatest.Generate(in, n, 0, 100)...)
	cfg := config(t, brokers, in, dlq) // polls of at most 50 records

	st := newStore()
	r := start(t, cfg, &gatherer{rows: rows, interval: time.Hour, store: st})
	until(t, "two full writes", func() bool { _, w := st.snapshot(); return len(w) == 2 })
	// The last 500 records wait for a third write that only the stop makes:
	// nothing of theirs may be committed meanwhile.
	time.Sleep(3 * cfg.CommitInterval)
	if c := sum(kafkatest.Committed(t, brokers, cfg.Group, in)); c > 2*rows {
		t.Errorf("%d records committed before the stop, but only %d were written", c, 2*rows)
	}
	if err := r.stop(t); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	written, writes := st.snapshot()
	if len(writes) != 3 || writes[0] < rows || writes[1] < rows {
		t.Errorf("writes of %v records, want two of at least %d then the rest", writes, rows)
	}
	for i := range n {
		if written[i] != 1 {
			t.Fatalf("record %d written %d times, want once", i, written[i])
		}
	}
	if got, want := kafkatest.Committed(t, brokers, cfg.Group, in), kafkatest.EndOffsets(t, brokers, in); !maps.Equal(got, want) {
		t.Errorf("committed offsets after stop = %v, want the end offsets %v", got, want)
	}
}

// TestBufferingFlusherFlushesQuietInput shows that held records are flushed
// and committed when their flush is due even if no record follows them.
func TestBufferingFlusherFlushesQuietInput(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	in, dlq := kafkatest.Topic(t, brokers, 3), kafkatest.Topic(t, brokers, 1)
	const n = 40
	kafkatest.Produce(t, brokers, kafkatest.Generate(in, n, 0, 100)...)
	cfg := config(t, brokers, in, dlq)

	st := newStore()
	start(t, cfg, &gatherer{rows: 1 << 20, interval: 300 * time.Millisecond, store: st})
	until(t, "every record written", func() bool { w, _ := st.snapshot(); return len(w) == n })
	end := kafkatest.EndOffsets(t, brokers, in)
	until(t, "the offsets committed while running", func() bool {
		return maps.Equal(kafkatest.Committed(t, brokers, cfg.Group, in), end)
	})
}

// TestBufferingFlusherFailureLosesNothing shows that when a Flush fails,
// none of the batches it held is committed: the Runner stops with the
// error, and the next runner of the group writes every record that was not
// written.
func TestBufferingFlusherFailureLosesNothing(t *testing.T) {
	brokers := kafkatest.Cluster(t)
	in, dlq := kafkatest.Topic(t, brokers, 3), kafkatest.Topic(t, brokers, 1)
	const n, rows = 1000, 300
	kafkatest.Produce(t, brokers, kafkatest.Generate(in, n, 0, 100)...)
	cfg := config(t, brokers, in, dlq)

	st := newStore()
	dying := start(t, cfg, &gatherer{rows: rows, interval: time.Hour, store: st, failAt: 2})
	err := dying.wait(t)
	if err == nil || !strings.Contains(err.Error(), "insert refused") {
		t.Fatalf("dying runner returned %v, want the flush error", err)
	}
	if c := sum(kafkatest.Committed(t, brokers, cfg.Group, in)); c > rows {
		t.Errorf("%d records committed, but only the first write of %d succeeded", c, rows)
	}
	next := start(t, cfg, &gatherer{rows: rows, interval: 100 * time.Millisecond, store: st})
	until(t, "every record written", func() bool { w, _ := st.snapshot(); return len(w) == n })
	if err := next.stop(t); err != nil {
		t.Fatalf("graceful stop of the next runner: %v", err)
	}
}
