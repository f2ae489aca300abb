package feed

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/textproto"
	"slices"
	"strings"
	"time"
)

// Email is the e-mail output: one plain-text message per feed message,
// with the full context, over SMTP with STARTTLS (required by default),
// implicit TLS, or, to a loopback relay, plain. Notifications to an owner
// add the owner's address to the recipients. Create it with NewEmail; it
// is safe for concurrent use.
type Email struct {
	name, address, host string
	security            string
	tls                 *tls.Config
	auth                smtp.Auth
	from                string
	to                  []string
	prefix, hello       string
	now                 func() time.Time
}

var _ Output = (*Email)(nil)

// NewEmail returns the output of cfg with its password ("" without AUTH).
func NewEmail(cfg EmailConfig, name, password string, now func() time.Time) (*Email, error) {
	host, _, err := net.SplitHostPort(cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("feed email %s: address: %w", name, err)
	}
	e := &Email{
		name: name, address: cfg.Address, host: host, security: cmp.Or(cfg.Security, "starttls"),
		from: cfg.From, to: cfg.To, prefix: cmp.Or(cfg.SubjectPrefix, "[aitdr]"),
		hello: cmp.Or(cfg.HelloName, "localhost"), now: now,
	}
	if e.security != "none" {
		if e.tls, err = cfg.TLS.config(host); err != nil {
			return nil, fmt.Errorf("feed email %s: %w", name, err)
		}
	}
	if cfg.Username != "" {
		e.auth = smtp.PlainAuth("", cfg.Username, password, host)
	}
	return e, nil
}

// Name returns the output's name.
func (e *Email) Name() string { return e.name }

// noBreaks removes line breaks, which would end a header field.
func noBreaks(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// Compose returns the RFC 5322 message of m to the recipients rcpt.
func (e *Email) Compose(m Message, rcpt []string) []byte {
	v := m.view()
	date := m.Time
	if date.IsZero() {
		date = e.now()
	}
	sum := sha256.Sum256([]byte(m.ID))
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", e.from)
	fmt.Fprintf(&b, "To: %s\r\n", strings.Join(rcpt, ", "))
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", noBreaks(e.prefix+" "+m.headline(v))))
	fmt.Fprintf(&b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@aitdr>\r\n", hex.EncodeToString(sum[:16]))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	var text strings.Builder
	for _, l := range m.lines(v) {
		if strings.Contains(l[1], "\n") {
			text.WriteString(l[0] + ":\n  " + strings.ReplaceAll(l[1], "\n", "\n  ") + "\n")
		} else {
			text.WriteString(l[0] + ": " + l[1] + "\n")
		}
	}
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(strings.ReplaceAll(text.String(), "\n", "\r\n")))
	_ = qp.Close()
	return b.Bytes()
}

// Send delivers m over one SMTP session.
func (e *Email) Send(ctx context.Context, m Message) error {
	rcpt := slices.Clone(e.to)
	for _, to := range m.To {
		if !slices.Contains(rcpt, to) {
			rcpt = append(rcpt, to)
		}
	}
	if err := e.send(ctx, rcpt, e.Compose(m, rcpt)); err != nil {
		return fmt.Errorf("feed email %s: %w", e.name, err)
	}
	return nil
}

func (e *Email) send(ctx context.Context, rcpt []string, msg []byte) (err error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.address)
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if e.security == "tls" {
		tc := tls.Client(conn, e.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("TLS handshake: %w", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, e.host)
	if err != nil {
		return smtpError("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(e.hello); err != nil {
		return smtpError("EHLO", err)
	}
	if e.security == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return Permanent(errors.New("the server does not offer STARTTLS, which security starttls requires"))
		}
		if err := c.StartTLS(e.tls); err != nil {
			return smtpError("STARTTLS", err)
		}
	}
	if e.auth != nil {
		if err := c.Auth(e.auth); err != nil {
			return smtpError("AUTH", err)
		}
	}
	if err := c.Mail(e.from); err != nil {
		return smtpError("MAIL FROM", err)
	}
	for _, r := range rcpt {
		if err := c.Rcpt(r); err != nil {
			return smtpError("RCPT TO "+r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpError("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return smtpError("DATA", err)
	}
	if err := w.Close(); err != nil {
		return smtpError("end of DATA", err)
	}
	return smtpError("QUIT", c.Quit())
}

// smtpError marks a 5xx reply permanent; 4xx replies and transport errors
// are worth a retry.
func smtpError(step string, err error) error {
	if err == nil {
		return nil
	}
	err = fmt.Errorf("%s: %w", step, err)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return Permanent(err)
	}
	return err
}
