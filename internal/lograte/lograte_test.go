package lograte_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/lograte"
)

// clock is a settable clock for the tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newOutage returns an Outage logging without times into the returned
// buffer, on a clock the test moves.
func newOutage(every time.Duration) (*lograte.Outage, *bytes.Buffer, *clock) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	c := &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	return lograte.New(log, "publish alerts to NATS", lograte.WithInterval(every), lograte.WithClock(c.now)), &buf, c
}

// A failure retried every second for 30 s, then a success, writes the
// first failure with its error, one summary per interval with the count
// of failures since the line before, and one recovery line with how long
// it was failing and how many attempts failed, where logging every failed
// attempt would write 30 lines.
func TestOutageLogsFirstFailureSummariesAndRecovery(t *testing.T) {
	o, buf, c := newOutage(10 * time.Second)
	down := errors.New("nats: connection closed")
	wrote := 0
	for i := range 30 {
		if o.Fail(fmt.Errorf("publish alert a%d: %w", i, down), "subject", "aitdr.alerts.high.ai_agent") {
			wrote++
		}
		c.add(time.Second)
	}
	if !o.OK("alerts", 12) {
		t.Error("OK after failures did not report the recovery")
	}
	if o.OK() {
		t.Error("OK with no failure since the last one reported a recovery")
	}
	want := strings.Join([]string{
		`level=WARN msg="publish alerts to NATS failed; retrying" subject=aitdr.alerts.high.ai_agent err="publish alert a0: nats: connection closed"`,
		`level=WARN msg="publish alerts to NATS still failing" subject=aitdr.alerts.high.ai_agent failures=10 failing_for=10s err="publish alert a10: nats: connection closed"`,
		`level=WARN msg="publish alerts to NATS still failing" subject=aitdr.alerts.high.ai_agent failures=10 failing_for=20s err="publish alert a20: nats: connection closed"`,
		`level=INFO msg="publish alerts to NATS recovered" alerts=12 failed_for=30s failures=30`,
	}, "\n") + "\n"
	if got := buf.String(); got != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}
	if wrote != 3 {
		t.Errorf("Fail reported %d lines written, want 3", wrote)
	}
}

// Err tells a readiness check whether the operation is failing, for how
// long and with which error, and is nil again once it recovered.
func TestOutageErr(t *testing.T) {
	o, _, c := newOutage(time.Minute)
	if err := o.Err(); err != nil {
		t.Fatalf("Err before any failure = %v", err)
	}
	down := errors.New("nats: timeout")
	o.Fail(down)
	c.add(12 * time.Second)
	o.Fail(down)
	err := o.Err()
	if err == nil || !errors.Is(err, down) {
		t.Fatalf("Err while failing = %v, want it to wrap %v", err, down)
	}
	if want := "publish alerts to NATS failing for 12s (2 failed attempts): nats: timeout"; err.Error() != want {
		t.Errorf("Err = %q, want %q", err, want)
	}
	o.OK()
	if err := o.Err(); err != nil {
		t.Errorf("Err after the recovery = %v", err)
	}
}

// A second outage after a recovery starts afresh: its first failure is
// logged at once, its counts start from zero.
func TestOutageAfterRecoveryStartsAfresh(t *testing.T) {
	o, buf, c := newOutage(time.Minute)
	o.Fail(errors.New("first"))
	c.add(time.Second)
	o.OK()
	buf.Reset()
	c.add(time.Second)
	if !o.Fail(errors.New("second")) {
		t.Fatal("the first failure of a new outage was not logged")
	}
	c.add(3 * time.Second)
	o.OK()
	want := `level=WARN msg="publish alerts to NATS failed; retrying" err=second` + "\n" +
		`level=INFO msg="publish alerts to NATS recovered" failed_for=3s failures=1` + "\n"
	if got := buf.String(); got != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}
}

// Failures from many goroutines at once are each counted once.
func TestOutageConcurrentFailures(t *testing.T) {
	o, buf, _ := newOutage(time.Hour)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				o.Fail(errors.New("down"))
			}
		})
	}
	wg.Wait()
	o.OK()
	if !strings.Contains(buf.String(), "failures=800") {
		t.Errorf("recovery line does not count the 800 failures:\n%s", buf.String())
	}
	if n := strings.Count(buf.String(), "\n"); n != 2 {
		t.Errorf("%d lines for 800 failures within the interval, want 2:\n%s", n, buf.String())
	}
}

// An attempt that waited for its timeout before failing dates the outage
// from its start: the recovery line and Err count the wait.
func TestOutageFailSinceDatesFromTheAttempt(t *testing.T) {
	o, buf, c := newOutage(time.Minute)
	start := c.now()
	c.add(5 * time.Second) // the attempt waits for its timeout
	o.FailSince(start, errors.New("no acknowledgement within 5s"))
	if err := o.Err(); err == nil || !strings.Contains(err.Error(), "failing for 5s") {
		t.Errorf("Err = %v, want it failing for the 5s the attempt waited", err)
	}
	c.add(2 * time.Second)
	o.FailSince(c.now().Add(-time.Hour), errors.New("later attempts do not move the start"))
	o.OK()
	if !strings.Contains(buf.String(), "failed_for=7s failures=2") {
		t.Errorf("recovery line does not count 7s from the first attempt's start:\n%s", buf.String())
	}
}
