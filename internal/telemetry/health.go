package telemetry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"
)

// RegisterReadiness adds a readiness check run by /readyz and Ready, such as
// "the Kafka client reaches a broker" or "the consumer group has joined".
// check must honour its context's deadline (ReadinessTimeout). A check with
// the same name replaces the earlier one; a nil check removes it.
func (t *Telemetry) RegisterReadiness(name string, check func(ctx context.Context) error) {
	if check == nil {
		t.RegisterReadinessDetail(name, nil)
		return
	}
	t.RegisterReadinessDetail(name, func(ctx context.Context) (string, error) { return "", check(ctx) })
}

// detailCheck is a readiness check that also says why it passes.
type detailCheck func(ctx context.Context) (detail string, err error)

// RegisterReadinessDetail is RegisterReadiness for a check that also says
// why it passes, such as "holds 3 partitions": /readyz shows the detail
// beside the check's status. check must honour its context's deadline. A
// check with the same name replaces the earlier one; a nil check removes
// it.
func (t *Telemetry) RegisterReadinessDetail(name string, check func(ctx context.Context) (detail string, err error)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if check == nil {
		delete(t.checks, name)
		return
	}
	t.checks[name] = check
}

// CheckStatus is the outcome of one readiness check.
type CheckStatus struct {
	// Name is the name the check was registered with.
	Name string `json:"name"`
	// OK tells whether the check passed.
	OK bool `json:"ok"`
	// Error is the check's error when it failed.
	Error string `json:"error,omitempty"`
	// Detail says why a check registered with RegisterReadinessDetail
	// passed.
	Detail string `json:"detail,omitempty"`
	// DurationMS is how long the check took, in milliseconds.
	DurationMS float64 `json:"duration_ms"`
}

// Readiness is the outcome of all readiness checks; /readyz serves it as
// JSON.
type Readiness struct {
	// Ready is true when every check passed (and when there is none).
	Ready bool `json:"ready"`
	// Checks lists every check by name.
	Checks []CheckStatus `json:"checks"`
}

// Ready runs every registered readiness check concurrently, each bounded by
// ReadinessTimeout, and reports them by name.
func (t *Telemetry) Ready(ctx context.Context) Readiness {
	t.mu.Lock()
	names := make([]string, 0, len(t.checks))
	for name := range t.checks {
		names = append(names, name)
	}
	sort.Strings(names)
	checks := make([]detailCheck, len(names))
	for i, name := range names {
		checks[i] = t.checks[name]
	}
	t.mu.Unlock()

	out := Readiness{Ready: true, Checks: make([]CheckStatus, len(names))}
	var wg sync.WaitGroup
	for i := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			detail, err := runCheck(ctx, t.cfg.ReadinessTimeout, checks[i])
			st := CheckStatus{Name: names[i], OK: err == nil, DurationMS: float64(time.Since(start).Microseconds()) / 1000}
			if err != nil {
				st.Error = err.Error()
			} else {
				st.Detail = detail
			}
			out.Checks[i] = st
		}()
	}
	wg.Wait()
	for _, c := range out.Checks {
		out.Ready = out.Ready && c.OK
	}
	return out
}

// runCheck runs one check with a deadline; a check that ignores its context
// is reported as timed out (and left to finish on its own), one that panics
// as failed.
func runCheck(ctx context.Context, timeout time.Duration, check detailCheck) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		detail string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- result{err: fmt.Errorf("check panicked: %v", r)}
			}
		}()
		detail, err := check(ctx)
		done <- result{detail, err}
	}()
	select {
	case res := <-done:
		return res.detail, res.err
	case <-ctx.Done():
		return "", fmt.Errorf("no answer within %s: %w", timeout, ctx.Err())
	}
}

func (t *Telemetry) serveReadyz(w http.ResponseWriter, r *http.Request) {
	rd := t.Ready(r.Context())
	status := http.StatusOK
	if !rd.Ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, rd)
}

// serveHealthz is the liveness probe: the process is up and serving HTTP.
func (t *Telemetry) serveHealthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
