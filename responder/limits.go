package responder

import (
	"fmt"
	"sync"
	"time"
)

// Limits are the blast-radius limits: how many containment steps may run
// automatically within Window, overall, per identity and per tenant. A
// step over a limit waits for approval instead of running. Zero leaves a
// limit off.
type Limits struct {
	// Window is the sliding window the limits count over. Default 1m.
	Window time.Duration `yaml:"window"`
	// Total bounds the steps of every identity. Default 60.
	Total int `yaml:"total"`
	// PerIdentity bounds the steps on one identity. Default 10.
	PerIdentity int `yaml:"per_identity"`
	// PerTenant bounds the steps in one provider account or tenant.
	// Default 30.
	PerTenant int `yaml:"per_tenant"`
}

// Limiter counts the containment steps started within the window and
// refuses those over the limits. Counts live in the process: each
// responder replica applies the limits to what it runs. It is safe for
// concurrent use.
type Limiter struct {
	limits Limits
	now    func() time.Time

	mu       sync.Mutex
	total    []time.Time
	identity map[string][]time.Time
	tenant   map[string][]time.Time
	calls    int
}

// NewLimiter returns a limiter of l on the clock now (time.Now when nil).
func NewLimiter(l Limits, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	if l.Window <= 0 {
		l.Window = time.Minute
	}
	return &Limiter{limits: l, now: now, identity: map[string][]time.Time{}, tenant: map[string][]time.Time{}}
}

// Allow reserves one step on identity in tenant and returns "" when every
// limit allows it, else the limit it would break (and reserves nothing).
func (l *Limiter) Allow(identity, tenant string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	cut := now.Add(-l.limits.Window)
	l.calls++
	if l.calls%1024 == 0 {
		l.prune(cut)
	}
	l.total = trim(l.total, cut)
	ids := trim(l.identity[identity], cut)
	tenants := trim(l.tenant[tenant], cut)
	switch {
	case l.limits.Total > 0 && len(l.total) >= l.limits.Total:
		return fmt.Sprintf("blast radius: %d containment steps in the last %s, the limit overall", len(l.total), l.limits.Window)
	case l.limits.PerIdentity > 0 && len(ids) >= l.limits.PerIdentity:
		return fmt.Sprintf("blast radius: %d containment steps on %s in the last %s, the limit per identity", len(ids), identity, l.limits.Window)
	case l.limits.PerTenant > 0 && tenant != "" && len(tenants) >= l.limits.PerTenant:
		return fmt.Sprintf("blast radius: %d containment steps in tenant %s in the last %s, the limit per tenant", len(tenants), tenant, l.limits.Window)
	}
	l.total = append(l.total, now)
	l.identity[identity] = append(ids, now)
	if tenant != "" {
		l.tenant[tenant] = append(tenants, now)
	}
	return ""
}

// Count records a step that ran without asking the limits (an approved
// one), so that it counts against the following ones.
func (l *Limiter) Count(identity, tenant string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.total = append(l.total, now)
	l.identity[identity] = append(l.identity[identity], now)
	if tenant != "" {
		l.tenant[tenant] = append(l.tenant[tenant], now)
	}
}

// prune drops the keys with nothing in the window, so that the maps stay
// as small as the set of recently contained identities.
func (l *Limiter) prune(cut time.Time) {
	for _, m := range []map[string][]time.Time{l.identity, l.tenant} {
		for k, ts := range m {
			if len(ts) == 0 || !ts[len(ts)-1].After(cut) {
				delete(m, k)
			}
		}
	}
}

// trim drops the times at or before cut from the sorted ts.
func trim(ts []time.Time, cut time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	if i == 0 {
		return ts
	}
	return append(ts[:0], ts[i:]...)
}
