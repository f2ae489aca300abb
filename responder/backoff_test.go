package responder

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// A queue whose writes keep failing backs off to maxRetryFactor times its
// retry interval, and a success brings the interval back.
func TestDrainBacksOff(t *testing.T) {
	const retry, run = 10 * time.Millisecond, 600 * time.Millisecond
	for _, batch := range []bool{false, true} {
		q := newKeyQueue()
		var attempts atomic.Int64
		var healthy atomic.Bool
		write := func() bool { attempts.Add(1); return healthy.Load() }
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			if batch {
				q.drainBatch(ctx, time.Now, retry, 10, func(_ context.Context, keys []string) []string {
					if write() {
						return nil
					}
					return keys
				})
				return
			}
			q.drain(ctx, time.Now, retry, func(context.Context, string) error {
				if write() {
					return nil
				}
				return errors.New("audit database down")
			})
		}()
		q.add("a", time.Now())
		time.Sleep(run)
		failing := attempts.Load()
		// Without backoff: run/retry = 60 attempts. With it: 10, 20, 40, 80,
		// then every 100 ms: about 9.
		if failing > 15 || failing < 4 {
			t.Errorf("batch %v: %d attempts in %s of failures at a %s retry, want the backoff's 4 to 15", batch, failing, run, retry)
		}
		healthy.Store(true)
		deadline := time.Now().Add(time.Second)
		for attempts.Load() == failing && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if attempts.Load() == failing {
			t.Errorf("batch %v: the key was not tried again within %s of the last failure", batch, time.Second)
		}
		q.add("b", time.Now())
		time.Sleep(50 * time.Millisecond)
		if q.pending() != 0 {
			t.Errorf("batch %v: %d keys still queued after the writes recovered", batch, q.pending())
		}
		cancel()
		<-done
	}
}

// pending is the number of keys queued.
func (q *keyQueue) pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.keys)
}
