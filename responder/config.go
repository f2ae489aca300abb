package responder

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aitdr/aitdr/internal/secret"
)

// Config is the respond: section of the configuration: how the responder
// consumes alerts, chooses playbooks and keeps its guardrails.
type Config struct {
	// DryRun makes every containment step report what it would do and
	// change nothing; notifications still go out. Default true: a new
	// install watches before it acts.
	DryRun bool `yaml:"dry_run"`
	// Playbooks are playbook files and directories (*.yaml, *.yml),
	// reloaded when they change. Default none: the embedded set only.
	Playbooks []string `yaml:"playbooks"`
	// DefaultPlaybooks loads the embedded default set under the files; a
	// file's playbook replaces a default one of the same id. Default true.
	DefaultPlaybooks bool `yaml:"default_playbooks"`
	// ReloadInterval is how often the playbook files are polled. Default 2s.
	ReloadInterval time.Duration `yaml:"reload_interval"`
	// Consumer is the durable JetStream consumer's name; replicas sharing
	// it share the alerts. Default "aitdr-responder".
	Consumer string `yaml:"consumer"`
	// Workers is how many alerts are handled at once. Default 4.
	Workers int `yaml:"workers"`
	// AckWait is how long an alert being handled stays invisible to other
	// consumers before it is delivered again; the responder extends it
	// while it works. Default 30s.
	AckWait time.Duration `yaml:"ack_wait"`
	// MaxAlertAge makes containment of an older alert (by creation time)
	// wait for approval: an old alert replayed must not act blindly. Zero
	// turns it off. Default 24h.
	MaxAlertAge time.Duration `yaml:"max_alert_age"`
	// RecordTTL is how long action and alert records are kept after their
	// last change; at least the alert stream's retention. Default 720h.
	RecordTTL time.Duration `yaml:"record_ttl"`
	// Policy maps identity classes to the lowest alert severity at which
	// containment runs without approval, or "never". Classes left out keep
	// DefaultPolicy: ai_agent info, service high, ai_builder high, ai_user
	// never, human never, unknown never.
	Policy map[string]string `yaml:"policy"`
	// Protected are identities never touched: globs over the identity id,
	// or "email:<glob>" and "name:<glob>". Default none.
	Protected []string `yaml:"protected"`
	// Limits are the blast-radius limits.
	Limits Limits `yaml:"limits"`
	// Step is the default timeout and retries of a step.
	Step StepConfig `yaml:"step"`
	// NotifyConnector runs notify steps that name no connector. Default
	// "feed" (the SOC feed outputs).
	NotifyConnector string `yaml:"notify_connector"`
	// HTTP is the API for approvals, status and dispositions.
	HTTP HTTPConfig `yaml:"http"`
	// ExceptionsDir is where resolving an alert as a false positive writes
	// a proposed rule exception for review. Default <data_dir>/exceptions.
	ExceptionsDir string `yaml:"exceptions_dir"`
	// Webhooks are the endpoints of the webhook connector, by name; a
	// step picks one with the param "target".
	Webhooks map[string]WebhookTarget `yaml:"webhooks"`
}

// StepConfig is the default timeout and retries of a playbook step.
type StepConfig struct {
	// Timeout bounds one connector call. Default 30s.
	Timeout time.Duration `yaml:"timeout"`
	// Retries is how often a retryable provider error (throttling,
	// timeouts, 5xx) is retried. Default 3.
	Retries int `yaml:"retries"`
	// Backoff is the wait before the first retry; it doubles each time,
	// with jitter, up to MaxBackoff. Default 1s.
	Backoff time.Duration `yaml:"backoff"`
	// MaxBackoff caps the wait between retries. Default 30s.
	MaxBackoff time.Duration `yaml:"max_backoff"`
}

// HTTPConfig is the responder's HTTP API.
type HTTPConfig struct {
	// Listen is the host:port to serve on; empty turns the API off.
	// Default "127.0.0.1:9471".
	Listen string `yaml:"listen"`
	// Tokens are the bearer tokens by analyst name: the name of the token
	// a request carries is who approved, denied or judged. Without any
	// token the API is not served.
	Tokens map[string]secret.Secret `yaml:"tokens"`
}

// WebhookTarget is one endpoint of the webhook connector.
type WebhookTarget struct {
	// URL receives a POST of the alert and the step as JSON.
	URL string `yaml:"url"`
	// Secret signs each request: the header X-Aitdr-Signature is
	// "sha256=" and the hex HMAC-SHA256 of "<timestamp>.<body>" with the
	// X-Aitdr-Timestamp header's value.
	Secret secret.Secret `yaml:"secret"`
	// Headers are added to every request.
	Headers map[string]string `yaml:"headers"`
	// Timeout bounds one request. Default 10s.
	Timeout time.Duration `yaml:"timeout"`
	// Rollback says the endpoint undoes a webhook step when posted the same
	// step with "rollback": true, so the responder offers a rollback of
	// webhook steps (never of notifications).
	Rollback bool `yaml:"rollback"`
}

// DefaultConfig returns the configuration of a new install.
func DefaultConfig() Config {
	return Config{
		DryRun:           true,
		DefaultPlaybooks: true,
		ReloadInterval:   2 * time.Second,
		Consumer:         "aitdr-responder",
		Workers:          4,
		AckWait:          30 * time.Second,
		MaxAlertAge:      24 * time.Hour,
		RecordTTL:        30 * 24 * time.Hour,
		Policy:           DefaultPolicy(),
		Limits:           Limits{Window: time.Minute, Total: 60, PerIdentity: 10, PerTenant: 30},
		Step:             StepConfig{Timeout: 30 * time.Second, Retries: 3, Backoff: time.Second, MaxBackoff: 30 * time.Second},
		NotifyConnector:  "feed",
		HTTP:             HTTPConfig{Listen: "127.0.0.1:9471"},
	}
}

// EffectivePolicy returns DefaultPolicy with c.Policy over it.
func (c Config) EffectivePolicy() map[string]string {
	p := DefaultPolicy()
	maps.Copy(p, c.Policy)
	return p
}

// Validate returns every problem of c, each naming its field path,
// joined with errors.Join, or nil.
func (c Config) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	for i, p := range c.Playbooks {
		if strings.TrimSpace(p) == "" {
			bad(fmt.Sprintf("playbooks[%d]", i), "must not be empty")
		}
	}
	if !c.DefaultPlaybooks && len(c.Playbooks) == 0 {
		bad("default_playbooks", "is false and no playbooks are listed: the responder would do nothing")
	}
	if c.ReloadInterval < 100*time.Millisecond {
		bad("reload_interval", "%s must be at least 100ms", c.ReloadInterval)
	}
	if c.Consumer == "" || strings.ContainsAny(c.Consumer, " .*>\t") {
		bad("consumer", "%q is not a consumer name (no spaces, dots or wildcards)", c.Consumer)
	}
	if c.Workers < 1 || c.Workers > 256 {
		bad("workers", "%d must be from 1 to 256", c.Workers)
	}
	if c.AckWait < time.Second {
		bad("ack_wait", "%s must be at least 1s", c.AckWait)
	}
	if c.MaxAlertAge < 0 {
		bad("max_alert_age", "%s must not be negative", c.MaxAlertAge)
	}
	if c.RecordTTL < time.Hour {
		bad("record_ttl", "%s must be at least 1h", c.RecordTTL)
	}
	if _, err := ParsePolicy(c.Policy); err != nil {
		for _, e := range unjoin(err) {
			errs = append(errs, fmt.Errorf("policy.%w", e))
		}
	}
	if _, err := NewProtected(c.Protected); err != nil {
		for _, e := range unjoin(err) {
			errs = append(errs, fmt.Errorf("protected%w", e))
		}
	}
	if c.Limits.Window < time.Second {
		bad("limits.window", "%s must be at least 1s", c.Limits.Window)
	}
	for _, l := range []struct {
		name string
		v    int
	}{{"total", c.Limits.Total}, {"per_identity", c.Limits.PerIdentity}, {"per_tenant", c.Limits.PerTenant}} {
		if l.v < 0 {
			bad("limits."+l.name, "%d must not be negative (0 turns the limit off)", l.v)
		}
	}
	if c.Step.Timeout <= 0 || c.Step.Timeout > maxStepTimeout {
		bad("step.timeout", "%s must be above 0 and at most %s", c.Step.Timeout, maxStepTimeout)
	}
	if c.Step.Retries < 0 || c.Step.Retries > maxStepRetries {
		bad("step.retries", "%d must be from 0 to %d", c.Step.Retries, maxStepRetries)
	}
	if c.Step.Backoff <= 0 {
		bad("step.backoff", "%s must be above 0", c.Step.Backoff)
	}
	if c.Step.MaxBackoff < c.Step.Backoff {
		bad("step.max_backoff", "%s must be at least step.backoff %s", c.Step.MaxBackoff, c.Step.Backoff)
	}
	if c.NotifyConnector == "" {
		bad("notify_connector", "must not be empty")
	}
	if c.HTTP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			bad("http.listen", "%q is not host:port", c.HTTP.Listen)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.HTTP.Tokens)) {
		tok := c.HTTP.Tokens[name]
		if name == "" || strings.ContainsAny(name, " \t") {
			bad("http.tokens", "%q is not an analyst name", name)
		}
		if !tok.IsSet() {
			bad("http.tokens."+name, "names no env, file or value")
		} else if err := tok.Validate(); err != nil {
			bad("http.tokens."+name, "%v", err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Webhooks)) {
		w := c.Webhooks[name]
		at := "webhooks." + name
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(at+".url", "%q is not an http or https URL", w.URL)
		}
		if err := w.Secret.Validate(); err != nil {
			bad(at+".secret", "%v", err)
		}
		if w.Timeout < 0 {
			bad(at+".timeout", "%s must not be negative", w.Timeout)
		}
	}
	return errors.Join(errs...)
}

// unjoin returns the errors joined in err, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
