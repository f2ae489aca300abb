package responder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	chschema "github.com/aitdr/aitdr/schemas/clickhouse"

	"github.com/aitdr/aitdr/schemas"
)

// The audit trail follows the outbox pattern: every decision is first a
// transition in the action's record in the key-value store (the source of
// truth and the idempotency record), and an emitter watching the bucket
// writes each transition not yet emitted to the audit sink and to
// aitdr.actions.<status>, then counts it emitted. A crash or a ClickHouse
// outage delays the trail; it never loses it. Writes carry tokens and
// message ids, so a transition emitted twice (two replicas, a crash before
// counting) is stored and published once.
//
// A failed write is retried every second for as long as the record lives
// (respond.record_ttl after its last change, 30 days by default): the
// rows wait in the key-value store, not in memory, so the backlog is
// bounded by the bucket and survives restarts. The failures are logged
// rate-limited (the first with its error, then one summary per interval
// with the failed writes and the rows waiting, then the recovery), and
// MetricAuditWaiting tells the rows waiting. Only a record that expires
// before its rows were written loses them; they are counted in
// MetricAuditDropped and logged as an error.

// auditBacklog counts, by record, the audit rows whose write failed and
// waits for its retry; the rows themselves stay in the key-value store.
// It is safe for concurrent use.
type auditBacklog struct {
	mu   sync.Mutex
	rows map[string]int64
	sum  int64
}

// set records that n rows of key wait.
func (b *auditBacklog) set(key string, n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.rows == nil {
		b.rows = map[string]int64{}
	}
	b.sum += n - b.rows[key]
	b.rows[key] = n
}

// done forgets key and returns the rows it had waiting.
func (b *auditBacklog) done(key string) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, ok := b.rows[key]
	if ok {
		delete(b.rows, key)
		b.sum -= n
	}
	return n
}

// total returns the rows waiting.
func (b *auditBacklog) total() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sum
}

// Backlog keys of the two kinds of audit rows.
func actionBacklogKey(id string) string { return "action/" + id }
func alertBacklogKey(id string) string  { return "ttr/" + id }

// keyQueue is a set of keys to work on, taken in batches. Adding a key
// already queued does nothing, so it never grows past the number of keys
// in the bucket. It is safe for concurrent use.
type keyQueue struct {
	mu     sync.Mutex
	keys   map[string]time.Time // key to the earliest time to take it
	signal chan struct{}
}

func newKeyQueue() *keyQueue {
	return &keyQueue{keys: map[string]time.Time{}, signal: make(chan struct{}, 1)}
}

// add queues key, to be taken from at.
func (q *keyQueue) add(key string, at time.Time) {
	q.mu.Lock()
	if prev, ok := q.keys[key]; !ok || at.Before(prev) {
		q.keys[key] = at
	}
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// take removes and returns the keys due at now, and when the next one is.
func (q *keyQueue) take(now time.Time) (due []string, next time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for k, at := range q.keys {
		if at.After(now) {
			if next.IsZero() || at.Before(next) {
				next = at
			}
			continue
		}
		due = append(due, k)
		delete(q.keys, k)
	}
	return due, next
}

// maxRetryFactor caps the backoff of a queue whose writes keep failing at
// this many times its retry interval.
const maxRetryFactor = 10

// backoff is the retry delay of a queue's failed keys: the retry interval
// while writes succeed, doubled after each pass in which one failed, up to
// maxRetryFactor times the interval. The keys of a queue share their sink
// (the audit database, NATS): a database that is down sees each waiting
// key tried every ten seconds at most, not every second.
type backoff struct {
	base, delay time.Duration
}

func newBackoff(retry time.Duration) *backoff { return &backoff{base: retry, delay: retry} }

func (b *backoff) failed()    { b.delay = min(2*b.delay, maxRetryFactor*b.base) }
func (b *backoff) succeeded() { b.delay = b.base }

// drain runs fn on each due key until ctx is done; a key whose fn fails is
// queued again after the backoff.
func (q *keyQueue) drain(ctx context.Context, now func() time.Time, retry time.Duration, fn func(context.Context, string) error) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	bo := newBackoff(retry)
	for {
		due, next := q.take(now())
		failed := false
		for _, k := range due {
			if ctx.Err() != nil {
				return
			}
			if err := fn(ctx, k); err != nil {
				q.add(k, now().Add(bo.delay))
				failed = true
			}
		}
		if failed {
			bo.failed()
		} else if len(due) > 0 {
			bo.succeeded()
		}
		q.wait(ctx, timer, next)
		if ctx.Err() != nil {
			return
		}
	}
}

// drainBatch is drain for a function that takes the due keys at once, at
// most limit at a time, and returns those to try again.
func (q *keyQueue) drainBatch(ctx context.Context, now func() time.Time, retry time.Duration, limit int,
	fn func(context.Context, []string) []string) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	bo := newBackoff(retry)
	for {
		due, next := q.take(now())
		failed := false
		tried := len(due) > 0
		for len(due) > 0 && ctx.Err() == nil {
			n := min(len(due), limit)
			for _, k := range fn(ctx, due[:n]) {
				q.add(k, now().Add(bo.delay))
				failed = true
			}
			due = due[n:]
		}
		if failed {
			bo.failed()
		} else if tried {
			bo.succeeded()
		}
		for _, k := range due { // stopped halfway: keep them for the next run
			q.add(k, now())
		}
		q.wait(ctx, timer, next)
		if ctx.Err() != nil {
			return
		}
	}
}

// wait returns when a key is added, the next one (at next, if not zero) is
// due, or ctx is done.
func (q *keyQueue) wait(ctx context.Context, timer *time.Timer, next time.Time) {
	wait := time.Hour
	if !next.IsZero() {
		wait = max(time.Until(next), time.Millisecond)
	}
	timer.Reset(wait)
	select {
	case <-ctx.Done():
	case <-q.signal:
	case <-timer.C:
	}
}

// watchActions feeds the queues from the actions bucket: transitions to
// emit, approved actions to run, running ones whose lease runs out.
func (r *Responder) watchActions(ctx context.Context) error {
	w, err := r.store.actions.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return fmt.Errorf("watch %s: %w", BucketActions, err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("watch %s: %w", BucketActions, errWatchClosed)
			}
			if e == nil {
				continue
			}
			// Only what the queues need: a full decode of every update
			// would cost more than the rest of the watch.
			var a struct {
				ID         string       `json:"id"`
				Status     ActionStatus `json:"status"`
				LeaseUntil time.Time    `json:"lease_until"`
				History    []struct{}   `json:"history"`
				Emitted    int          `json:"emitted"`
			}
			if err := json.Unmarshal(e.Value(), &a); err != nil {
				continue
			}
			now := r.o.now()
			if a.Emitted < len(a.History) {
				r.emitQ.add(a.ID, now)
			}
			switch a.Status {
			case StatusApproved:
				r.runQ.add(a.ID, now)
			case StatusRunning:
				r.runQ.add(a.ID, a.LeaseUntil.Add(time.Millisecond))
			}
		}
	}
}

// watchAlerts queues the contained alerts whose time to respond is not in
// the audit yet.
func (r *Responder) watchAlerts(ctx context.Context) error {
	w, err := r.store.alerts.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return fmt.Errorf("watch %s: %w", BucketAlerts, err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("watch %s: %w", BucketAlerts, errWatchClosed)
			}
			if e == nil {
				continue
			}
			var rec struct {
				ID                  string `json:"id"`
				Contained           bool   `json:"contained"`
				ResponseTimeEmitted bool   `json:"response_time_emitted"`
			}
			if err := json.Unmarshal(e.Value(), &rec); err == nil && rec.Contained && !rec.ResponseTimeEmitted {
				r.alertQ.add(rec.ID, r.o.now())
			}
		}
	}
}

var errWatchClosed = errors.New("watch closed")

// maxEmitBatch bounds the actions whose transitions go into one audit
// insert.
const maxEmitBatch = 500

// emitActions writes the transitions not emitted yet of the actions ids to
// the audit sink (one insert for the batch: ClickHouse prefers few large
// inserts) and to the action subjects, then counts them emitted. It
// returns the ids to try again.
func (r *Responder) emitActions(ctx context.Context, ids []string) (retry []string) {
	type due struct {
		a        *Action
		from, to int
	}
	var batch []due
	var rows []chschema.ResponseAction
	h := sha256.New()
	for _, id := range ids {
		a, err := r.store.Action(ctx, id)
		if errors.Is(err, ErrNotFound) {
			r.auditExpired(ctx, actionBacklogKey(id))
			continue
		}
		if err != nil {
			r.trailFailed(ctx, "read action "+id, err)
			retry = append(retry, id)
			continue
		}
		if a.Emitted >= len(a.History) {
			r.backlog.done(actionBacklogKey(id))
			continue
		}
		d := due{a, a.Emitted, len(a.History)}
		batch = append(batch, d)
		for i := d.from; i < d.to; i++ {
			rows = append(rows, actionRow(a, i))
		}
		fmt.Fprintf(h, "%s/%d-%d;", a.ID, d.from, d.to)
	}
	if len(batch) == 0 {
		return retry
	}
	if r.o.audit != nil {
		token := "responder/actions/" + hex.EncodeToString(h.Sum(nil)[:16])
		if err := r.o.audit.WriteActions(ctx, token, rows); err != nil {
			for _, d := range batch {
				r.backlog.set(actionBacklogKey(d.a.ID), int64(d.to-d.from))
				retry = append(retry, d.a.ID)
			}
			r.auditWriteFailed(ctx, "response_actions", len(rows), err)
			return retry
		}
		for _, d := range batch {
			r.backlog.done(actionBacklogKey(d.a.ID))
		}
		r.auditWrites.OK("rows_waiting", r.backlog.total())
	}
	for _, d := range batch {
		if err := r.publishAndCount(ctx, d.a, d.from, d.to); err != nil {
			r.trailFailed(ctx, "publish action "+d.a.ID, err)
			retry = append(retry, d.a.ID)
			continue
		}
		r.trail.OK()
	}
	return retry
}

// publishAndCount publishes transitions [from, to) of a and counts them
// emitted.
func (r *Responder) publishAndCount(ctx context.Context, a *Action, from, to int) error {
	for i := from; i < to; i++ {
		if err := r.publishTransition(ctx, a, i); err != nil {
			return err
		}
	}
	_, err := r.store.updateAction(ctx, a.ID, func(x *Action) error {
		if x.Emitted >= to {
			return errUnchanged
		}
		x.Emitted = to
		return nil
	})
	return err
}

// publishTransition publishes transition i of a on aitdr.actions.<status>:
// the action as it stood then, its history up to i.
func (r *Responder) publishTransition(ctx context.Context, a *Action, i int) error {
	snap := a.clone()
	tr := a.History[i]
	snap.Status, snap.History = tr.Status, snap.History[:i+1]
	if i+1 < len(a.History) && !tr.Status.Final() {
		snap.Changes, snap.Error, snap.ErrorCode, snap.CompletedAt, snap.Undo = nil, "", "", time.Time{}, nil
	}
	snap.LeaseUntil = time.Time{}
	data, err := json.Marshal(snap)
	if err != nil {
		return fmt.Errorf("encode action %s: %w", a.ID, err)
	}
	msg := &nats.Msg{
		Subject: schemas.SubjectActions + "." + string(tr.Status),
		Data:    data,
		Header:  nats.Header{"Content-Type": []string{"application/json"}, "Aitdr-Alert-Id": []string{a.AlertID}},
	}
	_, err = r.js.PublishMsg(ctx, msg, jetstream.WithMsgID(fmt.Sprintf("%s.%d", a.ID, i)))
	if err != nil {
		return fmt.Errorf("publish %s: %w", msg.Subject, err)
	}
	r.ins.transition(ctx, a, tr.Status)
	return nil
}

// emitAlert writes the time to respond of a contained alert to the audit.
func (r *Responder) emitAlert(ctx context.Context, id string) error {
	rec, err := r.store.Alert(ctx, id)
	if errors.Is(err, ErrNotFound) {
		r.auditExpired(ctx, alertBacklogKey(id))
		return nil
	}
	if err != nil {
		return r.trailFailed(ctx, "read alert "+id, err)
	}
	if !rec.Contained || rec.ResponseTimeEmitted {
		r.backlog.done(alertBacklogKey(id))
		return nil
	}
	if r.o.audit != nil {
		token := "responder/ttr/" + rec.ID + "/" + rec.ContainedAt.Format(time.RFC3339Nano)
		if err := r.o.audit.WriteResponseTimes(ctx, token, []chschema.ResponseTime{responseTimeRow(rec)}); err != nil {
			r.backlog.set(alertBacklogKey(id), 1)
			return r.auditWriteFailed(ctx, "response_times", 1, err)
		}
		r.backlog.done(alertBacklogKey(id))
		r.auditWrites.OK("rows_waiting", r.backlog.total())
	}
	_, err = r.store.updateAlert(ctx, id, func(x *AlertRecord) error {
		if x.ResponseTimeEmitted {
			return errUnchanged
		}
		x.ResponseTimeEmitted = true
		return nil
	})
	if err != nil {
		return r.trailFailed(ctx, "count alert "+id+" emitted", err)
	}
	r.trail.OK()
	return nil
}

// auditWriteFailed counts a failed write of rows to the audit sink's
// table, which is retried, and logs it rate-limited with the rows waiting.
func (r *Responder) auditWriteFailed(ctx context.Context, table string, rows int, err error) error {
	if ctx.Err() == nil {
		r.ins.auditErrors.Add(ctx, 1)
		r.auditWrites.Fail(err, "table", table, "rows", rows, "rows_waiting", r.backlog.total())
	}
	return err
}

// trailFailed counts a failed read, publish or update of the trail on
// NATS, which is retried, and logs it rate-limited.
func (r *Responder) trailFailed(ctx context.Context, what string, err error) error {
	if ctx.Err() == nil {
		r.ins.auditErrors.Add(ctx, 1)
		r.trail.Fail(err, "what", what)
	}
	return err
}

// auditExpired handles a record gone from the key-value store: rows of it
// still waiting for the audit sink are lost, counted and logged.
func (r *Responder) auditExpired(ctx context.Context, key string) {
	if n := r.backlog.done(key); n > 0 {
		r.ins.auditDropped.Add(ctx, n)
		r.o.log.Error("responder: audit rows lost: their record expired before the audit sink took them",
			"record", key, "rows", n, "record_ttl", r.cfg.RecordTTL)
	}
}
