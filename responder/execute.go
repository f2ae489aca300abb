package responder

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// errShutdown is returned when the responder stops while a step waits to
// retry: the step stays running under its lease and is taken over after
// it runs out (the connector call is idempotent).
var errShutdown = errors.New("responder stopping")

// errTaken is returned by a claim that another responder won.
var errTaken = errors.New("taken by another responder")

// lease is how long the responder running a owns it: every attempt and
// the waits between them (with their jitter), and a margin of one more
// attempt, from 1s to 10s, for recording the outcome.
func (r *Responder) lease(a *Action) time.Duration {
	waits := time.Duration(0)
	for i := range a.Retries {
		waits += r.backoff(i) * 6 / 5
	}
	return a.Timeout*time.Duration(a.Retries+1) + waits + min(max(a.Timeout, time.Second), 10*time.Second)
}

// backoff is the wait before retry i+1: Step.Backoff doubled i times, at
// most Step.MaxBackoff.
func (r *Responder) backoff(i int) time.Duration {
	d := r.cfg.Step.Backoff
	for range i {
		d *= 2
		if d >= r.cfg.Step.MaxBackoff {
			return r.cfg.Step.MaxBackoff
		}
	}
	return min(d, r.cfg.Step.MaxBackoff)
}

// claimable reports whether a responder may start a now.
func claimable(a *Action, now time.Time) bool {
	switch a.Status {
	case StatusPlanned, StatusApproved:
		return true
	case StatusRunning:
		return now.After(a.LeaseUntil)
	}
	return false
}

// execute runs action id if it is due: planned (within the blast-radius
// limits), approved, or running under a lease that ran out (a responder
// died in the call; the call is repeated with the same idempotency key).
// Any other status means there is nothing to do: done, waiting for a
// human, or running elsewhere. alert is the alert as published.
func (r *Responder) execute(ctx context.Context, id string, alert []byte) error {
	now := r.o.now()
	a, err := r.store.Action(ctx, id)
	if err != nil {
		return err
	}
	if !claimable(a, now) {
		return nil
	}
	if a.Kind.Contains() && !a.DryRun {
		switch a.Status {
		case StatusPlanned:
			if reason := r.limiter.Allow(a.Principal.ID, a.Tenant); reason != "" {
				_, err := r.store.updateAction(ctx, id, func(x *Action) error {
					if x.Status != StatusPlanned {
						return errUnchanged
					}
					x.transition(StatusPending, r.o.now().UTC(), "responder", reason, "")
					return nil
				})
				return err
			}
		case StatusApproved:
			r.limiter.Count(a.Principal.ID, a.Tenant)
		}
	}
	a, err = r.store.updateAction(ctx, id, func(x *Action) error {
		now := r.o.now()
		if !claimable(x, now) {
			return errTaken
		}
		x.Status = StatusRunning
		x.LeaseUntil = now.Add(r.lease(x)).UTC()
		if x.StartedAt.IsZero() {
			x.StartedAt = now.UTC()
		}
		return nil
	})
	if errors.Is(err, errTaken) {
		return nil
	}
	if err != nil {
		return err
	}
	return r.run(ctx, a, alert)
}

// run calls the connector of a claimed action and records the outcome.
func (r *Responder) run(ctx context.Context, a *Action, alert []byte) error {
	c, ok := r.reg.Lookup(a.Connector)
	var (
		res      Result
		callErr  error
		provider time.Duration
		calls    int
	)
	if !ok {
		callErr = fmt.Errorf("connector %q is not configured", a.Connector)
	} else if !c.Supports(a.Kind) {
		callErr = fmt.Errorf("connector %q does not support %s", a.Connector, a.Kind)
	} else {
		res, provider, calls, callErr = r.call(ctx, c, a, alert)
		if errors.Is(callErr, errShutdown) {
			return callErr
		}
	}
	// The outcome is recorded even when the responder is stopping: the
	// provider already acted.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	done, err := r.store.updateAction(rctx, a.ID, func(x *Action) error {
		if x.Status != StatusRunning {
			// A responder that took the step over after our lease ran out
			// recorded it first; the call was idempotent.
			return errUnchanged
		}
		now := r.o.now().UTC()
		x.Attempts += calls
		x.ProviderTime += provider
		x.LeaseUntil = time.Time{}
		if callErr != nil {
			x.CompletedAt = now
			x.Error = callErr.Error()
			var pe *ProviderError
			if errors.As(callErr, &pe) {
				x.ErrorCode = pe.Code
			}
			x.transition(StatusFailed, now, "responder", "", x.Error)
			return nil
		}
		x.CompletedAt = now
		if !res.Completed.IsZero() && !res.Completed.After(now) {
			x.CompletedAt = res.Completed.UTC()
		}
		x.Changes, x.Undo, x.Error, x.ErrorCode = res.Changes, res.Rollback, "", ""
		x.transition(StatusSucceeded, x.CompletedAt, "responder", "", "")
		return nil
	})
	if err != nil {
		return err
	}
	if done.Status == StatusSucceeded && done.RollbackOf != "" {
		if _, err := r.store.updateAction(rctx, done.RollbackOf, func(x *Action) error {
			if x.Status == StatusRolledBack {
				return errUnchanged
			}
			x.RolledBackBy = done.ID
			x.transition(StatusRolledBack, done.CompletedAt, done.Approver, "rolled back by "+done.ID, "")
			return nil
		}); err != nil {
			return err
		}
	}
	if done.RollbackOf == "" && !done.AlertPublishedAt.IsZero() && done.Approver == "" {
		lat := done.CompletedAt.Sub(done.AlertPublishedAt) - done.ProviderTime
		r.ins.latency.Record(rctx, max(lat, 0).Seconds())
	}
	if !done.Kind.Contains() {
		return nil // notifications do not change containment
	}
	return r.refreshContainment(rctx, done.AlertID)
}

// call runs the connector with retries and exponential backoff on
// retryable errors, each attempt bounded by the step timeout. It returns
// the time spent in the connector and the number of calls.
func (r *Responder) call(ctx context.Context, c Connector, a *Action, alert []byte) (Result, time.Duration, int, error) {
	req := a.request(alert)
	var provider time.Duration
	for attempt := 0; ; attempt++ {
		// The call itself is not cut short by a shutdown: a provider
		// call abandoned halfway leaves the step in doubt.
		callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.Timeout)
		start := time.Now()
		res, err := safeDo(callCtx, c, req)
		provider += time.Since(start)
		timedOut := callCtx.Err() != nil
		cancel()
		if err == nil {
			return res, provider, attempt + 1, nil
		}
		if timedOut && !errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w (step timeout %s)", err, a.Timeout)
		}
		var pe *ProviderError
		retryable := timedOut || errors.As(err, &pe) && pe.Retryable
		if !retryable || attempt >= a.Retries {
			return res, provider, attempt + 1, err
		}
		wait := r.backoff(attempt)
		wait += time.Duration(rand.Int64N(int64(wait)/5 + 1)) // jitter: replicas do not retry in step
		r.o.log.Info("responder: retrying step", "action", a.ID, "connector", a.Connector, "kind", a.Kind,
			"attempt", attempt+1, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return res, provider, attempt + 1, errShutdown
		case <-t.C:
		}
	}
}

// safeDo calls c.Do, turning a panic of the connector into an error so
// that one bad connector cannot stop the responder.
func safeDo(ctx context.Context, c Connector, req Request) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("connector %s panicked on %s: %v", c.Name(), req.Kind, p)
		}
	}()
	return c.Do(ctx, req)
}

// refreshContainment marks the alert contained once every containment
// step of its plan ended, at least one succeeded and none failed, and
// records its time to respond.
func (r *Responder) refreshContainment(ctx context.Context, alertID string) error {
	rec, err := r.store.Alert(ctx, alertID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil || rec.Contained {
		return err
	}
	var (
		steps     int
		last      time.Time
		allDry    = true
		approved  bool
		undecided bool
	)
	for i := range rec.Plan {
		if !rec.Plan[i].Kind.Contains() {
			continue
		}
		a, err := r.store.Action(ctx, rec.Plan[i].ID)
		if err != nil {
			return err
		}
		switch a.Status {
		case StatusSucceeded, StatusRolledBack:
			steps++
			last = maxTime(last, a.CompletedAt)
			allDry = allDry && a.DryRun
			approved = approved || a.Approver != ""
		case StatusFailed:
			return nil
		case StatusPlanned, StatusPending, StatusApproved, StatusRunning:
			undecided = true
		}
	}
	if undecided || steps == 0 {
		return nil
	}
	var became bool
	done, err := r.store.updateAlert(ctx, alertID, func(x *AlertRecord) error {
		if x.Contained {
			return errUnchanged
		}
		x.Contained, x.ContainedAt = true, last
		x.TimeToRespond = max(last.Sub(x.FirstEvidence), 0)
		x.ContainmentDryRun, x.ContainmentApproved, x.ContainmentSteps = allDry, approved, steps
		became = true
		return nil
	})
	if err != nil {
		return err
	}
	if became {
		r.ins.ttr.Record(ctx, done.TimeToRespond.Seconds(), ttrAttrs(done))
	}
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func firstTime(t ...time.Time) time.Time {
	for _, v := range t {
		if !v.IsZero() {
			return v
		}
	}
	return time.Time{}
}
