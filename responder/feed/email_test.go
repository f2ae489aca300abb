package feed

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/pem"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http/httptest"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aitdr/aitdr/internal/secret"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// smtpServer is an SMTP server on loopback speaking the protocol over
// net/textproto: EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, QUIT. It
// keeps every message it accepts, and answers RCPT with reject for the
// addresses in rejects (a 4xx or 5xx code).
type smtpServer struct {
	addr    string
	tls     *tls.Config
	rejects map[string]int

	mu    sync.Mutex
	mails []smtpMail
}

type smtpMail struct {
	from, auth string
	to         []string
	data       string
	tls        bool
}

func newSMTPServer(t *testing.T, tlsConf *tls.Config) *smtpServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &smtpServer{addr: ln.Addr().String(), tls: tlsConf, rejects: map[string]int{}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.session(c)
		}
	}()
	return s
}

func (s *smtpServer) session(c net.Conn) {
	defer c.Close()
	tp := textproto.NewConn(c)
	_ = tp.PrintfLine("220 mail.acme.example ESMTP test")
	var m smtpMail
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			_ = tp.PrintfLine("250-mail.acme.example")
			if s.tls != nil && !m.tls {
				_ = tp.PrintfLine("250-STARTTLS")
			}
			_ = tp.PrintfLine("250 AUTH PLAIN")
		case "STARTTLS":
			_ = tp.PrintfLine("220 go ahead")
			tc := tls.Server(c, s.tls)
			if tc.Handshake() != nil {
				return
			}
			c, tp = tc, textproto.NewConn(tc)
			m.tls = true
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			b, _ := base64.StdEncoding.DecodeString(resp)
			if mech != "PLAIN" {
				_ = tp.PrintfLine("504 unrecognized mechanism")
				continue
			}
			m.auth = string(b)
			_ = tp.PrintfLine("235 authenticated")
		case "MAIL":
			m.from = strings.Trim(strings.TrimPrefix(arg, "FROM:"), "<>")
			_ = tp.PrintfLine("250 ok")
		case "RCPT":
			to := strings.Trim(strings.TrimPrefix(arg, "TO:"), "<>")
			if code := s.rejects[to]; code != 0 {
				_ = tp.PrintfLine("%d mailbox unavailable", code)
				continue
			}
			m.to = append(m.to, to)
			_ = tp.PrintfLine("250 ok")
		case "DATA":
			_ = tp.PrintfLine("354 end with .")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			m.data = string(b)
			s.mu.Lock()
			s.mails = append(s.mails, m)
			s.mu.Unlock()
			_ = tp.PrintfLine("250 queued")
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("502 not implemented")
		}
	}
}

func (s *smtpServer) received() []smtpMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMail(nil), s.mails...)
}

// TestEmail shows the e-mail output upgrades with STARTTLS, authenticates,
// and sends a plain-text message with the full context to the configured
// recipients and, for an owner notification, the owner; a 5xx refusal
// spills the message at once, a 4xx is retried.
func TestEmail(t *testing.T) {
	cert := httptest.NewTLSServer(nil)
	defer cert.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := newSMTPServer(t, &tls.Config{Certificates: cert.TLS.Certificates})
	cfg := Config{SpillDir: t.TempDir(), Email: []EmailConfig{{
		Delivery: fast(Delivery{}), Address: srv.addr, Username: "aitdr", Password: secret.Secret{Value: "s3cret"},
		From: "aitdr@acme.example", To: []string{"soc@acme.example"}, TLS: TLSConfig{CAFile: caFile, ServerName: "example.com"},
	}}}
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := goldenAlert(t)
	ctx := context.Background()
	_ = f.Publish(ctx, NewMessage(a))
	_ = f.Publish(ctx, Message{ID: a.FindingInfo.UID + "/n1", Kind: KindNotification, Alert: a, Note: "approval needed: disable_account", To: []string{"priya.natarajan@acme.example"}})
	stop := runFeed(t, f)
	eventually(t, "2 mails", func() bool { return len(srv.received()) == 2 })
	stop()

	mails := srv.received()
	for _, m := range mails {
		if !m.tls || m.auth != "\x00aitdr\x00s3cret" || m.from != "aitdr@acme.example" {
			t.Errorf("session tls %v auth %q from %q", m.tls, m.auth, m.from)
		}
	}
	if strings.Join(mails[1].to, ",") != "soc@acme.example,priya.natarajan@acme.example" {
		t.Errorf("notification recipients %v", mails[1].to)
	}
	msg, err := mail.ReadMessage(strings.NewReader(mails[0].data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != "[aitdr] High: "+a.FindingInfo.Title+" (aws:123456789012:role/bedrock-support-agent)" {
		t.Errorf("subject %q, %v", subject, err)
	}
	if msg.Header.Get("Content-Transfer-Encoding") != "quoted-printable" || msg.Header.Get("Message-Id") == "" {
		t.Errorf("header %v", msg.Header)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	for _, want := range []string{
		"Identity: aws:123456789012:role/bedrock-support-agent", "Class: ai_agent", "Owner: priya.natarajan@acme.example (support-automation)",
		"Baseline broken:\n  tokens_ratio.5m observed 32310", "ATLAS: AML.T0034 Cost Harvesting", "Evidence:\n  2025-03-14T09:26:41Z InvokeModel",
		"Recommended containment:", "revoke_sessions aws:123456789012:role/bedrock-support-agent: succeeded",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}

	// A permanent refusal spills at once; a temporary one is retried.
	srv.rejects["gone@acme.example"] = 550
	srv.rejects["busy@acme.example"] = 451
	for _, tc := range []struct {
		to       string
		attempts int64
	}{{"gone@acme.example", 1}, {"busy@acme.example", 3}} {
		cfg.SpillDir = t.TempDir()
		cfg.Email[0].To = []string{tc.to}
		cfg.Email[0].MaxAttempts = 3
		f, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_ = f.Publish(ctx, NewMessage(alertWithID(t, "x", ocsf.SeverityHigh)))
		stop := runFeed(t, f)
		eventually(t, "spilled", func() bool { return f.Stats("email").Spilled == 1 })
		stop()
		if got := f.Stats("email").FailedAttempts; got != tc.attempts {
			t.Errorf("%s: %d attempts, want %d", tc.to, got, tc.attempts)
		}
	}
}

// TestEmailRequiresStartTLS shows security starttls refuses a server that
// does not offer it, rather than sending in the clear.
func TestEmailRequiresStartTLS(t *testing.T) {
	srv := newSMTPServer(t, nil)
	e, err := NewEmail(EmailConfig{Address: srv.addr, From: "aitdr@acme.example", To: []string{"soc@acme.example"}}, "email", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = e.Send(context.Background(), NewMessage(goldenAlert(t)))
	if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("error %v, want a permanent STARTTLS refusal", err)
	}
	if len(srv.received()) != 0 {
		t.Error("a message went out in the clear")
	}
}
