package feed

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/aitdr/aitdr/schemas/ocsf"
)

// facilities are the syslog facility names and codes (RFC 5424 6.2.1).
var facilities = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
	"uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11, "ntp": 12, "security": 13, "console": 14,
	"solaris-cron": 15, "local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20,
	"local5": 21, "local6": 22, "local7": 23,
}

// syslogSeverity maps an alert's severity to a syslog severity: critical
// (2) for Critical, error (3) for High, warning (4) for Medium, notice (5)
// for Low, informational (6) otherwise.
func syslogSeverity(s ocsf.SeverityID) int {
	switch s {
	case ocsf.SeverityCritical, ocsf.SeverityFatal:
		return 2
	case ocsf.SeverityHigh:
		return 3
	case ocsf.SeverityMedium:
		return 4
	case ocsf.SeverityLow:
		return 5
	}
	return 6
}

// headerField makes s a valid RFC 5424 header field: printable US-ASCII
// without spaces, at most max characters, "-" when empty.
func headerField(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r < 33 || r > 126 {
			return -1
		}
		return r
	}, s)
	if len(s) > max {
		s = s[:max]
	}
	return cmp.Or(s, "-")
}

// sdValue escapes an RFC 5424 PARAM-VALUE: '"', '\' and ']'.
func sdValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`).Replace(s)
}

// Syslog is the syslog output: each message is an RFC 5424 message with a
// CEF payload, sent over UDP (one datagram each), TCP or TLS (octet
// counting framing, or a newline after each). It reconnects after a
// failed write. Create it with NewSyslog; it is safe for concurrent use.
type Syslog struct {
	name     string
	network  string
	address  string
	newline  bool
	facility int
	hostname string
	appName  string
	procID   string
	version  string
	limit    int
	tls      *tls.Config

	mu   sync.Mutex
	conn net.Conn
}

var _ Output = (*Syslog)(nil)

// NewSyslog returns the output of cfg; version is the aitdr version in the
// CEF header and the origin structured data.
func NewSyslog(cfg SyslogConfig, name, version string) (*Syslog, error) {
	s := &Syslog{
		name:     name,
		network:  cmp.Or(cfg.Network, "udp"),
		address:  cfg.Address,
		newline:  cfg.Framing == "newline",
		facility: facilities[cmp.Or(cfg.Facility, "local4")],
		appName:  headerField(cmp.Or(cfg.AppName, "aitdr"), 48),
		procID:   strconv.Itoa(os.Getpid()),
		version:  cmp.Or(version, "dev"),
		limit:    cfg.MaxMessageBytes,
	}
	host := cfg.Hostname
	if host == "" {
		host, _ = os.Hostname()
	}
	s.hostname = headerField(host, 255)
	if s.limit == 0 {
		s.limit = 65536
		if s.network == "udp" {
			s.limit = 8192
		}
	}
	if s.network == "tls" {
		host, _, _ := net.SplitHostPort(cfg.Address)
		t, err := cfg.TLS.config(host)
		if err != nil {
			return nil, fmt.Errorf("feed syslog %s: %w", name, err)
		}
		s.tls = t
	}
	return s, nil
}

// Name returns the output's name.
func (s *Syslog) Name() string { return s.name }

// Format returns m as one RFC 5424 message (without framing).
func (s *Syslog) Format(m Message) string {
	pri := s.facility*8 + syslogSeverity(m.severity())
	msgID := headerField(string(m.Kind), 32)
	header := fmt.Sprintf("<%d>1 %s %s %s %s %s [origin software=\"aitdr\" swVersion=\"%s\"] ",
		pri, formatTime(m.Time), s.hostname, s.appName, s.procID, msgID, sdValue(s.version))
	return header + formatCEF(&m, s.version, s.limit-len(header))
}

// Send writes m to the receiver, connecting first if needed.
func (s *Syslog) Send(ctx context.Context, m Message) error {
	line := s.Format(m)
	var frame []byte
	switch {
	case s.network == "udp":
		frame = []byte(line)
	case s.newline:
		frame = []byte(line + "\n")
	default:
		frame = []byte(strconv.Itoa(len(line)) + " " + line)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		if err := s.dial(ctx); err != nil {
			return err
		}
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = s.conn.SetWriteDeadline(dl)
	}
	if _, err := s.conn.Write(frame); err != nil {
		s.conn.Close()
		s.conn = nil
		return fmt.Errorf("feed syslog %s: write to %s: %w", s.name, s.address, err)
	}
	return nil
}

func (s *Syslog) dial(ctx context.Context) error {
	var d net.Dialer
	network := s.network
	if network == "tls" {
		network = "tcp"
	}
	conn, err := d.DialContext(ctx, network, s.address)
	if err != nil {
		return fmt.Errorf("feed syslog %s: connect to %s: %w", s.name, s.address, err)
	}
	if s.tls != nil {
		tc := tls.Client(conn, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("feed syslog %s: TLS handshake with %s: %w", s.name, s.address, err)
		}
		conn = tc
	}
	s.conn = conn
	return nil
}

// Close closes the connection, if any.
func (s *Syslog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}

// config returns the TLS configuration of t for a server named host.
func (t TLSConfig) config(host string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cmp.Or(t.ServerName, host)}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.ca_file: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.ca_file: %s holds no PEM certificate", t.CAFile)
		}
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls.cert_file: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
