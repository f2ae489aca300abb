// Package webhook is the generic HTTP webhook connector: a playbook step
// with the action webhook (or notify) POSTs the alert and the step as JSON
// to a configured endpoint — a SOAR, a ticketing system, an in-house
// containment service.
//
// Each request carries:
//
//	Content-Type: application/json
//	Idempotency-Key: <action id>        the same on every retry and redelivery
//	X-Aitdr-Action-Id: <action id>
//	X-Aitdr-Timestamp: <unix seconds>
//	X-Aitdr-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">
//
// The signature uses the target's secret; a receiver recomputes it, checks
// the timestamp is recent, and treats a second request with an
// Idempotency-Key it has seen as already done. The body is a Payload.
//
// A 2xx answer is success. 408, 429, 5xx and transport errors are
// retryable ProviderErrors, which the responder retries with backoff
// (respond.step.retries); other answers fail the step with the status and
// the start of the answer's body. In a dry run nothing is sent.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aitdr/aitdr/responder"
)

// Name is the connector's name in playbooks.
const Name = "webhook"

// DefaultTimeout bounds one request when the target sets none.
const DefaultTimeout = 10 * time.Second

// Header names of a request.
const (
	HeaderSignature      = "X-Aitdr-Signature"
	HeaderTimestamp      = "X-Aitdr-Timestamp"
	HeaderActionID       = "X-Aitdr-Action-Id"
	HeaderIdempotencyKey = "Idempotency-Key"
)

// ParamTarget is the step param naming the target; it may be left out
// when one target is configured.
const ParamTarget = "target"

// maxErrorBody bounds how much of a failed answer is kept in the error.
const maxErrorBody = 512

// Payload is the JSON body of a request.
type Payload struct {
	// ActionID is the idempotency key of the step.
	ActionID string `json:"action_id"`
	// AlertID is the alert the step answers.
	AlertID string `json:"alert_id"`
	// Kind is the step's action: webhook or notify.
	Kind responder.ActionKind `json:"kind"`
	// Target is the configured target's name.
	Target string `json:"target"`
	// Principal is the identity the alert is about.
	Principal responder.Principal `json:"principal"`
	// Params are the step's params.
	Params map[string]string `json:"params,omitempty"`
	// Rollback is true when the step undoes an earlier one (with the same
	// params); only sent to targets configured with rollback.
	Rollback bool `json:"rollback,omitempty"`
	// Alert is the alert as published (OCSF Detection Finding JSON).
	Alert json.RawMessage `json:"alert,omitempty"`
}

// target is a configured endpoint with its secret read.
type target struct {
	name     string
	cfg      responder.WebhookTarget
	secret   []byte
	timeout  time.Duration
	endpoint string
}

// Connector posts steps to configured endpoints. It is safe for
// concurrent use.
type Connector struct {
	targets map[string]*target
	client  *http.Client
	now     func() time.Time
}

var _ responder.Connector = (*Connector)(nil)

// Option sets an optional dependency of the connector.
type Option func(*Connector)

// WithHTTPClient sets the HTTP client. Default a client without a global
// timeout (each request is bounded by its target's timeout).
func WithHTTPClient(c *http.Client) Option { return func(w *Connector) { w.client = c } }

// WithClock sets the clock of the signature timestamps. Default time.Now.
func WithClock(now func() time.Time) Option { return func(w *Connector) { w.now = now } }

// New returns the connector of targets, reading their secrets (lookupEnv
// is os.LookupEnv when nil). A target without a secret sends unsigned
// requests.
func New(targets map[string]responder.WebhookTarget, lookupEnv func(string) (string, bool), opts ...Option) (*Connector, error) {
	c := &Connector{targets: map[string]*target{}, client: &http.Client{}, now: time.Now}
	for _, o := range opts {
		o(c)
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(targets)) {
		cfg := targets[name]
		t := &target{name: name, cfg: cfg, timeout: cfg.Timeout, endpoint: cfg.URL}
		if t.timeout <= 0 {
			t.timeout = DefaultTimeout
		}
		if cfg.Secret.IsSet() {
			s, err := cfg.Secret.Read(lookupEnv)
			if err != nil {
				errs = append(errs, fmt.Errorf("webhook %s: secret: %w", name, err))
				continue
			}
			t.secret = []byte(s)
		}
		c.targets[name] = t
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// Name implements responder.Connector.
func (c *Connector) Name() string { return Name }

// Supports implements responder.Connector: webhook and notify.
func (c *Connector) Supports(kind responder.ActionKind) bool {
	return kind == responder.ActionWebhook || kind == responder.ActionNotify
}

// Do implements responder.Connector: it POSTs the step to its target.
func (c *Connector) Do(ctx context.Context, req responder.Request) (responder.Result, error) {
	t, err := c.target(req.Params[ParamTarget])
	if err != nil {
		return responder.Result{}, &responder.ProviderError{Connector: Name, Op: "POST", Code: "UnknownTarget", Message: err.Error()}
	}
	body, err := json.Marshal(Payload{
		ActionID: req.ActionID, AlertID: req.AlertID, Kind: req.Kind, Target: t.name,
		Principal: req.Principal, Params: req.Params, Rollback: req.Rollback, Alert: validAlert(req.Alert),
	})
	if err != nil {
		return responder.Result{}, fmt.Errorf("webhook %s: encode step %s: %w", t.name, req.ActionID, err)
	}
	change := fmt.Sprintf("POST %s (%s %s)", t.endpoint, req.Kind, req.ActionID)
	if req.DryRun {
		return responder.Result{Changes: []string{"would " + change}, Completed: c.now()}, nil
	}
	status, err := c.post(ctx, t, req.ActionID, body)
	if err != nil {
		return responder.Result{}, err
	}
	res := responder.Result{Changes: []string{fmt.Sprintf("%s: %d", change, status)}, Completed: c.now()}
	if t.cfg.Rollback && !req.Rollback && req.Kind == responder.ActionWebhook {
		undo := req
		undo.Rollback, undo.DryRun, undo.Alert = true, false, nil
		undo.ActionID = "" // the responder gives the rollback its own id
		res.Rollback = &undo
	}
	return res, nil
}

func (c *Connector) target(name string) (*target, error) {
	if name == "" {
		if len(c.targets) == 1 {
			for _, t := range c.targets {
				return t, nil
			}
		}
		return nil, fmt.Errorf("the step names no %q param and %d webhook targets are configured", ParamTarget, len(c.targets))
	}
	t, ok := c.targets[name]
	if !ok {
		return nil, fmt.Errorf("webhook target %q is not configured (have %s)", name, strings.Join(slices.Sorted(maps.Keys(c.targets)), ", "))
	}
	return t, nil
}

// post sends one signed request and classifies the answer.
func (c *Connector) post(ctx context.Context, t *target, actionID string, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, &responder.ProviderError{Connector: Name, Op: "POST " + t.name, Code: "BadRequest", Message: err.Error()}
	}
	for k, v := range t.cfg.Headers {
		hr.Header.Set(k, v)
	}
	ts := strconv.FormatInt(c.now().Unix(), 10)
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("User-Agent", "aitdr-responder")
	hr.Header.Set(HeaderIdempotencyKey, actionID)
	hr.Header.Set(HeaderActionID, actionID)
	hr.Header.Set(HeaderTimestamp, ts)
	if len(t.secret) > 0 {
		hr.Header.Set(HeaderSignature, Sign(t.secret, ts, body))
	}
	resp, err := c.client.Do(hr)
	if err != nil {
		return 0, &responder.ProviderError{Connector: Name, Op: "POST " + t.name, Code: "Transport", Message: err.Error(), Retryable: true}
	}
	defer func() { _ = resp.Body.Close() }()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // reuse the connection
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, &responder.ProviderError{
		Connector: Name, Op: "POST " + t.name, Status: resp.StatusCode,
		Code:      strings.ReplaceAll(http.StatusText(resp.StatusCode), " ", ""),
		Message:   strings.TrimSpace(string(answer)),
		Retryable: resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout,
	}
}

// Sign returns the X-Aitdr-Signature value of body sent at timestamp ts
// (unix seconds as sent in X-Aitdr-Timestamp) with secret.
func Sign(secret []byte, ts string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether signature is the signature of body sent at ts
// with secret, in constant time: what a receiver checks.
func Verify(secret []byte, ts string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, ts, body)), []byte(signature))
}

func validAlert(b []byte) json.RawMessage {
	if len(b) == 0 || !json.Valid(b) {
		return nil
	}
	return b
}
