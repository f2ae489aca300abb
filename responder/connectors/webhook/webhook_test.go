package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/secret"
	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/responder/connectors/webhook"
)

// received is one request a test endpoint got.
type received struct {
	header  http.Header
	body    []byte
	payload webhook.Payload
}

// endpoint is an HTTP receiver answering with the statuses given, in turn
// (the last one repeated), and keeping what it received.
func endpoint(t *testing.T, statuses ...int) (*httptest.Server, func() []received) {
	t.Helper()
	var (
		mu   sync.Mutex
		got  []received
		next int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var p webhook.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("body is not a payload: %v: %s", err, body)
		}
		mu.Lock()
		got = append(got, received{header: r.Header.Clone(), body: body, payload: p})
		status := statuses[min(next, len(statuses)-1)]
		next++
		mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, http.StatusText(status))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []received {
		mu.Lock()
		defer mu.Unlock()
		return append([]received(nil), got...)
	}
}

var step = responder.Request{
	ActionID:  "5f0c3b1e9a7d4c2b8e6f1a3d5c7b9e0f",
	AlertID:   "a7c1d9e3b5f70214c6e8a0b2d4f61357",
	Kind:      responder.ActionWebhook,
	Principal: responder.Principal{ID: "aws:123456789012:role/bedrock-support-agent", Provider: "aws", Account: "123456789012", NativeID: "role/bedrock-support-agent"},
	Params:    map[string]string{"target": "soar", "playbook": "isolate"},
	Alert:     []byte(`{"finding_info":{"uid":"a7c1d9e3b5f70214c6e8a0b2d4f61357"}}`),
}

// A step is POSTed as JSON with the alert, signed with the target's secret
// over the timestamp and the body, and keyed by the action id.
func TestDoPostsSignedStep(t *testing.T) {
	srv, got := endpoint(t, http.StatusAccepted)
	now := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	c, err := webhook.New(map[string]responder.WebhookTarget{
		"soar": {URL: srv.URL + "/hooks/aitdr", Secret: secret.Secret{Env: "SOAR_SECRET"}, Headers: map[string]string{"X-Team": "soc"}},
	}, func(k string) (string, bool) { return "s3cret", k == "SOAR_SECRET" }, webhook.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Do(context.Background(), step)
	if err != nil {
		t.Fatal(err)
	}
	reqs := got()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	for h, want := range map[string]string{
		"Content-Type":               "application/json",
		webhook.HeaderIdempotencyKey: step.ActionID,
		webhook.HeaderActionID:       step.ActionID,
		webhook.HeaderTimestamp:      "1772416800",
		"X-Team":                     "soc",
	} {
		if v := r.header.Get(h); v != want {
			t.Errorf("header %s = %q, want %q", h, v, want)
		}
	}
	if !webhook.Verify([]byte("s3cret"), "1772416800", r.body, r.header.Get(webhook.HeaderSignature)) {
		t.Errorf("signature %q does not verify", r.header.Get(webhook.HeaderSignature))
	}
	if webhook.Verify([]byte("other"), "1772416800", r.body, r.header.Get(webhook.HeaderSignature)) {
		t.Error("signature verifies with another secret")
	}
	p := r.payload
	if p.ActionID != step.ActionID || p.AlertID != step.AlertID || p.Kind != responder.ActionWebhook || p.Target != "soar" ||
		p.Principal.ID != step.Principal.ID || p.Params["playbook"] != "isolate" || string(p.Alert) != string(step.Alert) {
		t.Errorf("payload = %+v", p)
	}
	if len(res.Changes) != 1 || !strings.Contains(res.Changes[0], "/hooks/aitdr") || !strings.HasSuffix(res.Changes[0], ": 202") {
		t.Errorf("changes = %q", res.Changes)
	}
	if !res.Completed.Equal(now) || res.Rollback != nil {
		t.Errorf("completed %s, rollback %+v: want %s and none", res.Completed, res.Rollback, now)
	}
}

// Answers are classified: 5xx, 429 and 408 are retryable provider errors,
// other non-2xx answers permanent ones with the status and the body.
func TestDoClassifiesAnswers(t *testing.T) {
	tests := []struct {
		status    int
		retryable bool
		code      string
	}{
		{http.StatusInternalServerError, true, "InternalServerError"},
		{http.StatusBadGateway, true, "BadGateway"},
		{http.StatusTooManyRequests, true, "TooManyRequests"},
		{http.StatusRequestTimeout, true, "RequestTimeout"},
		{http.StatusBadRequest, false, "BadRequest"},
		{http.StatusUnauthorized, false, "Unauthorized"},
		{http.StatusNotFound, false, "NotFound"},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			srv, got := endpoint(t, tt.status)
			c, err := webhook.New(map[string]responder.WebhookTarget{"soar": {URL: srv.URL}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Do(context.Background(), step)
			var pe *responder.ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a ProviderError", err)
			}
			if pe.Status != tt.status || pe.Retryable != tt.retryable || pe.Code != tt.code || pe.Message != http.StatusText(tt.status) {
				t.Errorf("error = %+v, want status %d retryable %v code %s", pe, tt.status, tt.retryable, tt.code)
			}
			if len(got()) != 1 {
				t.Errorf("%d requests: the connector itself does not retry (the responder does)", len(got()))
			}
		})
	}
}

// A target that cannot be reached is a retryable transport error.
func TestDoUnreachableIsRetryable(t *testing.T) {
	srv, _ := endpoint(t, http.StatusOK)
	url := srv.URL
	srv.Close()
	c, err := webhook.New(map[string]responder.WebhookTarget{"soar": {URL: url, Timeout: time.Second}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Do(context.Background(), step)
	var pe *responder.ProviderError
	if !errors.As(err, &pe) || !pe.Retryable || pe.Code != "Transport" {
		t.Fatalf("err = %v, want a retryable transport error", err)
	}
}

// A dry run sends nothing and says what it would have sent.
func TestDryRunSendsNothing(t *testing.T) {
	srv, got := endpoint(t, http.StatusOK)
	c, err := webhook.New(map[string]responder.WebhookTarget{"soar": {URL: srv.URL}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	req := step
	req.DryRun = true
	res, err := c.Do(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(got()) != 0 {
		t.Errorf("a dry run sent %d requests", len(got()))
	}
	if len(res.Changes) != 1 || !strings.HasPrefix(res.Changes[0], "would POST "+srv.URL) {
		t.Errorf("changes = %q", res.Changes)
	}
}

// Targets are chosen by the step's target param; with one target it may be
// left out; an unknown target is a permanent error.
func TestTargetSelection(t *testing.T) {
	a, gotA := endpoint(t, http.StatusOK)
	b, gotB := endpoint(t, http.StatusOK)
	one, err := webhook.New(map[string]responder.WebhookTarget{"only": {URL: a.URL}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	req := step
	req.Params = nil
	if _, err := one.Do(context.Background(), req); err != nil || len(gotA()) != 1 {
		t.Fatalf("single target without param: err %v, %d requests", err, len(gotA()))
	}
	two, err := webhook.New(map[string]responder.WebhookTarget{"a": {URL: a.URL}, "b": {URL: b.URL}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Params = map[string]string{"target": "b"}
	if _, err := two.Do(context.Background(), req); err != nil || len(gotB()) != 1 {
		t.Fatalf("target b: err %v, %d requests", err, len(gotB()))
	}
	for _, params := range []map[string]string{nil, {"target": "c"}} {
		req.Params = params
		_, err := two.Do(context.Background(), req)
		var pe *responder.ProviderError
		if !errors.As(err, &pe) || pe.Retryable || pe.Code != "UnknownTarget" {
			t.Errorf("params %v: err = %v, want a permanent UnknownTarget error", params, err)
		}
	}
}

// A target configured with rollback offers the same webhook step with
// rollback true as the undo; posting it does not offer another, nor does a
// notification.
func TestRollbackOffered(t *testing.T) {
	srv, got := endpoint(t, http.StatusOK)
	c, err := webhook.New(map[string]responder.WebhookTarget{"soar": {URL: srv.URL, Rollback: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Do(context.Background(), step)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rollback == nil || !res.Rollback.Rollback || res.Rollback.Kind != step.Kind || res.Rollback.Params["target"] != "soar" {
		t.Fatalf("rollback = %+v", res.Rollback)
	}
	undo := *res.Rollback
	undo.ActionID = "undo-1"
	res, err = c.Do(context.Background(), undo)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rollback != nil {
		t.Errorf("the rollback offers a rollback: %+v", res.Rollback)
	}
	if reqs := got(); len(reqs) != 2 || !reqs[1].payload.Rollback || reqs[1].payload.ActionID != "undo-1" {
		t.Errorf("requests = %+v", reqs)
	}
	notify := step
	notify.Kind = responder.ActionNotify
	if res, err := c.Do(context.Background(), notify); err != nil || res.Rollback != nil {
		t.Errorf("a notification offers a rollback: %v %+v", err, res.Rollback)
	}
}

// A secret that cannot be read fails New, naming the target.
func TestNewFailsOnMissingSecret(t *testing.T) {
	_, err := webhook.New(map[string]responder.WebhookTarget{
		"soar": {URL: "http://127.0.0.1:1", Secret: secret.Secret{Env: "NOT_SET"}},
	}, func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), "webhook soar: secret") {
		t.Fatalf("err = %v", err)
	}
}
