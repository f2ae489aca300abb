package responder

import (
	"context"
	"math"
	"slices"
	"time"
)

// Status is what `aitdr respond status` shows: the actions waiting for
// approval, the most recent actions, and the time to respond.
type Status struct {
	// Pending are the actions waiting for approval, oldest first.
	Pending []*Action `json:"pending"`
	// Recent are the most recently changed actions, newest first.
	Recent []*Action `json:"recent"`
	// Counts are the stored actions by status.
	Counts map[ActionStatus]int `json:"counts"`
	// TimeToRespond is over the alerts contained for real; DryRun over
	// those contained in dry runs (what the time would have been).
	TimeToRespond Percentiles `json:"time_to_respond"`
	DryRun        Percentiles `json:"time_to_respond_dry_run"`
}

// Percentiles summarize times to respond.
type Percentiles struct {
	// Alerts is the number of contained alerts.
	Alerts int `json:"alerts"`
	// P50 and P95 are the median and the 95th percentile.
	P50 time.Duration `json:"p50"`
	P95 time.Duration `json:"p95"`
}

// Status reads the store: the pending actions, the recent most recently
// changed actions, and the time to respond over alerts contained since.
func (s *Store) Status(ctx context.Context, recent int, since time.Time) (*Status, error) {
	st := &Status{Counts: map[ActionStatus]int{}}
	var all []*Action
	err := s.Actions(ctx, func(a *Action) bool {
		st.Counts[a.Status]++
		if a.Status == StatusPending {
			st.Pending = append(st.Pending, a)
		}
		all = append(all, a)
		return true
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(st.Pending, func(a, b *Action) int { return a.RequestedAt.Compare(b.RequestedAt) })
	slices.SortFunc(all, func(a, b *Action) int { return lastChange(b).Compare(lastChange(a)) })
	st.Recent = all[:min(recent, len(all))]

	var live, dry []time.Duration
	err = s.Alerts(ctx, func(r *AlertRecord) bool {
		if r.Contained && !r.ContainedAt.Before(since) {
			if r.ContainmentDryRun {
				dry = append(dry, r.TimeToRespond)
			} else {
				live = append(live, r.TimeToRespond)
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	st.TimeToRespond, st.DryRun = percentiles(live), percentiles(dry)
	return st, nil
}

func lastChange(a *Action) time.Time {
	if n := len(a.History); n > 0 {
		return a.History[n-1].At
	}
	return a.RequestedAt
}

// percentiles returns the median and 95th percentile of ds by the
// nearest-rank method.
func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	slices.Sort(ds)
	rank := func(q float64) time.Duration {
		i := int(math.Ceil(q*float64(len(ds)))) - 1
		return ds[min(max(i, 0), len(ds)-1)]
	}
	return Percentiles{Alerts: len(ds), P50: rank(0.50), P95: rank(0.95)}
}
