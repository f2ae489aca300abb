package feed

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aitdr/aitdr/internal/secret"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// Defaults of the fields left at their zero value.
const (
	DefaultQueueSize      = 1000
	DefaultMaxAttempts    = 5
	DefaultBackoff        = time.Second
	DefaultMaxBackoff     = time.Minute
	DefaultTimeout        = 10 * time.Second
	DefaultMaxSpillBytes  = 256 << 20
	DefaultReplayInterval = time.Minute
	DefaultHECBatchSize   = 100
	DefaultFlushInterval  = time.Second
	DefaultPagingURL      = "https://events.pagerduty.com/v2/enqueue"
	// DefaultPagingMinSeverity is the min_severity of paging outputs: a
	// page wakes someone.
	DefaultPagingMinSeverity = "high"
)

// Config configures the feed: where undelivered messages are kept and the
// outputs.
//
//	feed:
//	  spill_dir: /var/lib/aitdr/feed
//	  syslog: [{address: siem.example:6514, network: tls}]
//	  hec: [{url: https://splunk.example:8088/services/collector/event, token: {env: AITDR_HEC_TOKEN}}]
//	  chat: [{url: {env: AITDR_SLACK_WEBHOOK}}]
//	  email: [{address: smtp.example:587, from: aitdr@acme.example, to: [soc@acme.example]}]
//	  paging: [{routing_key: {env: AITDR_PAGERDUTY_KEY}, min_severity: high}]
type Config struct {
	// SpillDir holds one spill file per output (<name>.spill.jsonl). The
	// responder's configuration defaults it to <data_dir>/feed.
	SpillDir string `yaml:"spill_dir"`
	// MaxSpillBytes bounds each spill file; past it a message is dropped,
	// counted and logged. Default DefaultMaxSpillBytes (256 MiB).
	MaxSpillBytes int64 `yaml:"max_spill_bytes"`
	// ReplayInterval is how often spilled messages are tried again while
	// running (they are always tried at start). Default
	// DefaultReplayInterval.
	ReplayInterval time.Duration `yaml:"replay_interval"`
	// Syslog outputs: RFC 5424 with a CEF payload.
	Syslog []SyslogConfig `yaml:"syslog"`
	// HEC outputs: HTTP event collectors.
	HEC []HECConfig `yaml:"hec"`
	// Chat outputs: Slack-compatible incoming webhooks.
	Chat []ChatConfig `yaml:"chat"`
	// Email outputs: SMTP.
	Email []EmailConfig `yaml:"email"`
	// Paging outputs: PagerDuty Events API v2 style.
	Paging []PagingConfig `yaml:"paging"`
}

// Delivery is how one output delivers: its name, queue, retries and
// which messages it takes.
type Delivery struct {
	// Name names the output in metrics, logs and its spill file; unique.
	// Default the output type and, after the first, its position:
	// "syslog", "syslog-2".
	Name string `yaml:"name"`
	// QueueSize bounds the messages waiting for the output; past it
	// messages are spilled. Default DefaultQueueSize.
	QueueSize int `yaml:"queue_size"`
	// MaxAttempts bounds the attempts to send one message before it is
	// spilled. Default DefaultMaxAttempts.
	MaxAttempts int `yaml:"max_attempts"`
	// Backoff is the wait before the second attempt; it doubles, with
	// jitter, up to MaxBackoff. Default DefaultBackoff.
	Backoff time.Duration `yaml:"backoff"`
	// MaxBackoff caps the wait between attempts. Default DefaultMaxBackoff.
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// Timeout bounds one attempt. Default DefaultTimeout.
	Timeout time.Duration `yaml:"timeout"`
	// MinSeverity drops messages below it: informational, low, medium,
	// high or critical. A failed containment step counts as high at
	// least. Default every message.
	MinSeverity string `yaml:"min_severity"`
	// Kinds are the message kinds the output takes: alert, action,
	// notification. Default all.
	Kinds []Kind `yaml:"kinds"`
}

// severities are the MinSeverity names and their OCSF ids.
var severities = map[string]ocsf.SeverityID{
	"informational": ocsf.SeverityInformational, "low": ocsf.SeverityLow, "medium": ocsf.SeverityMedium,
	"high": ocsf.SeverityHigh, "critical": ocsf.SeverityCritical,
}

func (d Delivery) withDefaults(name string) Delivery {
	if d.Name == "" {
		d.Name = name
	}
	if d.QueueSize == 0 {
		d.QueueSize = DefaultQueueSize
	}
	if d.MaxAttempts == 0 {
		d.MaxAttempts = DefaultMaxAttempts
	}
	if d.Backoff == 0 {
		d.Backoff = DefaultBackoff
	}
	if d.MaxBackoff == 0 {
		d.MaxBackoff = DefaultMaxBackoff
	}
	if d.Timeout == 0 {
		d.Timeout = DefaultTimeout
	}
	return d
}

// takes reports whether the output wants m.
func (d Delivery) takes(m *Message) bool {
	if len(d.Kinds) > 0 && !slices.Contains(d.Kinds, m.Kind) {
		return false
	}
	if min, ok := severities[d.MinSeverity]; ok && m.severity() < min {
		return false
	}
	return true
}

func (d Delivery) validate(bad func(string, ...any)) {
	if d.Name != "" && (strings.ContainsAny(d.Name, `/\ :`) || d.Name == "." || d.Name == "..") {
		bad("name: %q must not contain slashes, spaces or colons", d.Name)
	}
	for _, f := range [...]struct {
		field string
		v     int64
	}{{"queue_size", int64(d.QueueSize)}, {"max_attempts", int64(d.MaxAttempts)}, {"backoff", int64(d.Backoff)},
		{"max_backoff", int64(d.MaxBackoff)}, {"timeout", int64(d.Timeout)}} {
		if f.v < 0 {
			bad("%s: must not be negative", f.field)
		}
	}
	if d.MinSeverity != "" {
		if _, ok := severities[d.MinSeverity]; !ok {
			bad("min_severity: %q is not one of informational, low, medium, high, critical", d.MinSeverity)
		}
	}
	for i, k := range d.Kinds {
		if k != KindAlert && k != KindAction && k != KindNotification {
			bad("kinds[%d]: %q is not one of alert, action, notification", i, k)
		}
	}
}

// TLSConfig is the TLS of a connection to an output.
type TLSConfig struct {
	// CAFile is a PEM bundle to check the server against. Default the
	// system roots.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a client certificate, for mutual TLS.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName overrides the name checked in the server's certificate.
	// Default the host of the address.
	ServerName string `yaml:"server_name"`
}

func (t TLSConfig) validate(bad func(string, ...any)) {
	if (t.CertFile == "") != (t.KeyFile == "") {
		bad("tls: cert_file %q and key_file %q: set both or neither", t.CertFile, t.KeyFile)
	}
}

// SyslogConfig is a syslog output: RFC 5424 messages with a CEF payload.
type SyslogConfig struct {
	Delivery `yaml:",inline"`
	// Network is udp (RFC 5426), tcp (RFC 6587) or tls (RFC 5425).
	// Default udp.
	Network string `yaml:"network"`
	// Address is the receiver's host:port.
	Address string `yaml:"address"`
	// Framing of tcp and tls: octet_counting (RFC 6587 3.4.1, the
	// default) or newline.
	Framing string `yaml:"framing"`
	// Facility is the syslog facility name, such as local4 (the default),
	// auth or security.
	Facility string `yaml:"facility"`
	// Hostname is the HOSTNAME field. Default the machine's host name.
	Hostname string `yaml:"hostname"`
	// AppName is the APP-NAME field. Default "aitdr".
	AppName string `yaml:"app_name"`
	// MaxMessageBytes bounds one message; CEF fields of least importance
	// are left out to fit. Default 8192 for udp, 65536 otherwise.
	MaxMessageBytes int `yaml:"max_message_bytes"`
	// TLS of network tls.
	TLS TLSConfig `yaml:"tls"`
}

// HECConfig is an HTTP event collector output (Splunk HEC style): batches
// of JSON events, authenticated with a token header.
type HECConfig struct {
	Delivery `yaml:",inline"`
	// URL is the collector's event endpoint, such as
	// https://splunk.example:8088/services/collector/event.
	URL string `yaml:"url"`
	// Token is the collector token.
	Token secret.Secret `yaml:"token"`
	// Header carries the token. Default "Authorization".
	Header string `yaml:"header"`
	// Scheme is put before the token in Header. Default "Splunk"; "-" for
	// none.
	Scheme string `yaml:"scheme"`
	// Index, Source, SourceType and Host are the event metadata. Source
	// defaults to "aitdr", SourceType to "aitdr:<kind>".
	Index      string `yaml:"index"`
	Source     string `yaml:"source"`
	SourceType string `yaml:"sourcetype"`
	Host       string `yaml:"host"`
	// BatchSize bounds the events of one request. Default
	// DefaultHECBatchSize.
	BatchSize int `yaml:"batch_size"`
	// FlushInterval bounds the wait for a batch to fill. Default
	// DefaultFlushInterval.
	FlushInterval time.Duration `yaml:"flush_interval"`
	// TLS of an https URL.
	TLS TLSConfig `yaml:"tls"`
}

// ChatConfig is a chat webhook output: Slack-compatible JSON (text and
// blocks), which Slack incoming webhooks and compatible endpoints take.
type ChatConfig struct {
	Delivery `yaml:",inline"`
	// URL is the webhook URL; it is a credential, so it is a secret.
	URL secret.Secret `yaml:"url"`
}

// EmailConfig is an e-mail output over SMTP.
type EmailConfig struct {
	Delivery `yaml:",inline"`
	// Address is the SMTP server's host:port (587 for submission).
	Address string `yaml:"address"`
	// Security is starttls (the default: STARTTLS is required), tls
	// (implicit TLS, port 465) or none (plain, loopback servers only).
	Security string `yaml:"security"`
	// Username and Password authenticate with AUTH PLAIN when set.
	Username string        `yaml:"username"`
	Password secret.Secret `yaml:"password"`
	// From is the sender address.
	From string `yaml:"from"`
	// To are the recipients; notifications to an owner add theirs.
	To []string `yaml:"to"`
	// SubjectPrefix starts every subject. Default "[aitdr]".
	SubjectPrefix string `yaml:"subject_prefix"`
	// HelloName is the EHLO name. Default "localhost".
	HelloName string `yaml:"hello_name"`
	// TLS of starttls and tls.
	TLS TLSConfig `yaml:"tls"`
}

// PagingConfig is a paging output: PagerDuty Events API v2 style trigger
// events, deduplicated by the alert id. Its min_severity defaults to
// DefaultPagingMinSeverity.
type PagingConfig struct {
	Delivery `yaml:",inline"`
	// URL is the events endpoint. Default DefaultPagingURL.
	URL string `yaml:"url"`
	// RoutingKey is the integration key of the service to page.
	RoutingKey secret.Secret `yaml:"routing_key"`
	// TLS of an https URL.
	TLS TLSConfig `yaml:"tls"`
}

// Validate returns every problem of c, each naming its field path, joined
// with errors.Join, or nil. It reads no secret: New does.
func (c Config) Validate() error {
	var errs []error
	at := func(prefix string) func(string, ...any) {
		return func(format string, args ...any) {
			errs = append(errs, fmt.Errorf(prefix+format, args...))
		}
	}
	bad := at("")
	if c.SpillDir == "" && c.outputs() > 0 {
		bad("spill_dir: must be set when outputs are configured")
	}
	if c.MaxSpillBytes < 0 {
		bad("max_spill_bytes: must not be negative")
	}
	if c.ReplayInterval < 0 {
		bad("replay_interval: must not be negative")
	}
	checkURL := func(b func(string, ...any), field, u string, required bool) {
		if u == "" {
			if required {
				b("%s: must be set", field)
			}
			return
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			b("%s: %q is not an http(s) URL", field, u)
		}
	}
	checkSecret := func(b func(string, ...any), field string, s secret.Secret, required bool) {
		if !s.IsSet() {
			if required {
				b("%s: must name the credential (env, file or value)", field)
			}
			return
		}
		if err := s.Validate(); err != nil {
			b("%s: %w", field, err)
		}
	}
	for i, s := range c.Syslog {
		b := at(fmt.Sprintf("syslog[%d].", i))
		s.Delivery.validate(b)
		if s.Network != "" && s.Network != "udp" && s.Network != "tcp" && s.Network != "tls" {
			b("network: %q is not one of udp, tcp, tls", s.Network)
		}
		if _, _, err := net.SplitHostPort(s.Address); err != nil {
			b("address: %q is not host:port", s.Address)
		}
		if s.Framing != "" && s.Framing != "octet_counting" && s.Framing != "newline" {
			b("framing: %q is not one of octet_counting, newline", s.Framing)
		}
		if s.Framing != "" && (s.Network == "" || s.Network == "udp") {
			b("framing: only tcp and tls are framed")
		}
		if _, ok := facilities[s.Facility]; s.Facility != "" && !ok {
			b("facility: %q is not a syslog facility name (kern ... local7)", s.Facility)
		}
		if s.MaxMessageBytes != 0 && s.MaxMessageBytes < 480 {
			b("max_message_bytes: %d is under 480, the least every receiver takes", s.MaxMessageBytes)
		}
		s.TLS.validate(b)
	}
	for i, h := range c.HEC {
		b := at(fmt.Sprintf("hec[%d].", i))
		h.Delivery.validate(b)
		checkURL(b, "url", h.URL, true)
		checkSecret(b, "token", h.Token, true)
		if h.BatchSize < 0 {
			b("batch_size: must not be negative")
		}
		if h.FlushInterval < 0 {
			b("flush_interval: must not be negative")
		}
		h.TLS.validate(b)
	}
	for i, ch := range c.Chat {
		b := at(fmt.Sprintf("chat[%d].", i))
		ch.Delivery.validate(b)
		checkSecret(b, "url", ch.URL, true)
	}
	for i, e := range c.Email {
		b := at(fmt.Sprintf("email[%d].", i))
		e.Delivery.validate(b)
		host, _, err := net.SplitHostPort(e.Address)
		if err != nil {
			b("address: %q is not host:port", e.Address)
		}
		switch e.Security {
		case "", "starttls", "tls":
		case "none":
			if ip := net.ParseIP(host); err == nil && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				b("security: none is only allowed for a loopback server, not %q", e.Address)
			}
		default:
			b("security: %q is not one of starttls, tls, none", e.Security)
		}
		if _, err := mail.ParseAddress(e.From); err != nil {
			b("from: %q is not an e-mail address", e.From)
		}
		if len(e.To) == 0 {
			b("to: at least one recipient is needed")
		}
		for j, to := range e.To {
			if _, err := mail.ParseAddress(to); err != nil {
				b("to[%d]: %q is not an e-mail address", j, to)
			}
		}
		if (e.Username == "") != !e.Password.IsSet() {
			b("username and password: set both or neither")
		}
		checkSecret(b, "password", e.Password, false)
		e.TLS.validate(b)
	}
	for i, p := range c.Paging {
		b := at(fmt.Sprintf("paging[%d].", i))
		p.Delivery.validate(b)
		checkURL(b, "url", p.URL, false)
		checkSecret(b, "routing_key", p.RoutingKey, true)
		p.TLS.validate(b)
	}
	names := map[string]string{}
	for _, n := range c.names() {
		if prev, ok := names[n[1]]; ok {
			bad("%s.name: %q is also the name of %s", n[0], n[1], prev)
		}
		names[n[1]] = n[0]
	}
	return errors.Join(errs...)
}

func (c Config) outputs() int {
	return len(c.Syslog) + len(c.HEC) + len(c.Chat) + len(c.Email) + len(c.Paging)
}

// names returns the field path and effective name of every output.
func (c Config) names() [][2]string {
	var out [][2]string
	add := func(typ string, i int, name string) {
		if name == "" {
			name = typ
			if i > 0 {
				name = fmt.Sprintf("%s-%d", typ, i+1)
			}
		}
		out = append(out, [2]string{fmt.Sprintf("%s[%d]", typ, i), name})
	}
	for i, s := range c.Syslog {
		add("syslog", i, s.Name)
	}
	for i, s := range c.HEC {
		add("hec", i, s.Name)
	}
	for i, s := range c.Chat {
		add("chat", i, s.Name)
	}
	for i, s := range c.Email {
		add("email", i, s.Name)
	}
	for i, s := range c.Paging {
		add("paging", i, s.Name)
	}
	return out
}
