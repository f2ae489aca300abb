package feed

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rfc5424 is a message as a receiver parses it.
type rfc5424 struct {
	pri                                           int
	timestamp                                     time.Time
	hostname, appName, procID, msgID, sd, message string
}

var sdElement = regexp.MustCompile(`^\[([^ \]=]+)((?: [^ =\]"]+="(?:[^"\\\]]|\\["\\\]])*")*)\]`)

// parseRFC5424 parses one RFC 5424 message strictly: PRI, version 1, an
// RFC 3339 timestamp, the header fields, structured data (nil or
// elements) and the MSG.
func parseRFC5424(s string) (rfc5424, error) {
	var m rfc5424
	if !strings.HasPrefix(s, "<") {
		return m, errors.New("no PRI")
	}
	end := strings.IndexByte(s, '>')
	if end < 2 || end > 4 {
		return m, errors.New("bad PRI")
	}
	pri, err := strconv.Atoi(s[1:end])
	if err != nil || pri > 191 {
		return m, fmt.Errorf("bad PRI %q", s[1:end])
	}
	m.pri = pri
	rest, ok := strings.CutPrefix(s[end+1:], "1 ")
	if !ok {
		return m, errors.New("version is not 1")
	}
	fields := strings.SplitN(rest, " ", 6)
	if len(fields) != 6 {
		return m, errors.New("too few header fields")
	}
	if m.timestamp, err = time.Parse(time.RFC3339Nano, fields[0]); err != nil {
		return m, fmt.Errorf("timestamp: %w", err)
	}
	m.hostname, m.appName, m.procID, m.msgID = fields[1], fields[2], fields[3], fields[4]
	for i, f := range fields[1:5] {
		if f == "" || len(f) > [4]int{255, 48, 128, 32}[i] || strings.ContainsFunc(f, func(r rune) bool { return r < 33 || r > 126 }) {
			return m, fmt.Errorf("header field %d %q is not PRINTUSASCII of the allowed length", i+2, f)
		}
	}
	rest = fields[5]
	if strings.HasPrefix(rest, "-") {
		m.sd, rest = "-", rest[1:]
	} else {
		for strings.HasPrefix(rest, "[") {
			loc := sdElement.FindStringIndex(rest)
			if loc == nil {
				return m, fmt.Errorf("bad structured data %q", rest)
			}
			m.sd += rest[:loc[1]]
			rest = rest[loc[1]:]
		}
		if m.sd == "" {
			return m, errors.New("no structured data")
		}
	}
	if rest != "" {
		var ok bool
		if m.message, ok = strings.CutPrefix(rest, " "); !ok {
			return m, errors.New("no space before MSG")
		}
	}
	return m, nil
}

// receiver is a syslog receiver on loopback: UDP datagrams, or TCP/TLS
// streams with octet-counting or newline framing.
type receiver struct {
	addr string
	msgs chan string
}

func newUDPReceiver(t *testing.T) *receiver {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	r := &receiver{addr: pc.LocalAddr().String(), msgs: make(chan string, 100)}
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			r.msgs <- string(buf[:n])
		}
	}()
	return r
}

func newStreamReceiver(t *testing.T, tlsConf *tls.Config, newline bool) *receiver {
	var ln net.Listener
	var err error
	if tlsConf != nil {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", tlsConf)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	r := &receiver{addr: ln.Addr().String(), msgs: make(chan string, 100)}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				for {
					if newline {
						line, err := br.ReadString('\n')
						if err != nil {
							return
						}
						r.msgs <- strings.TrimSuffix(line, "\n")
						continue
					}
					// RFC 6587 octet counting: MSG-LEN SP SYSLOG-MSG.
					lenText, err := br.ReadString(' ')
					if err != nil {
						return
					}
					n, err := strconv.Atoi(strings.TrimSpace(lenText))
					if err != nil || n <= 0 {
						r.msgs <- "bad frame length " + lenText
						return
					}
					buf := make([]byte, n)
					if _, err := io.ReadFull(br, buf); err != nil {
						return
					}
					r.msgs <- string(buf)
				}
			}()
		}
	}()
	return r
}

func (r *receiver) next(t *testing.T) string {
	t.Helper()
	select {
	case m := <-r.msgs:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("the receiver got nothing")
		return ""
	}
}

// TestSyslogReceived shows each transport delivers RFC 5424 messages whose
// CEF payload a receiver parses back into the alert's full context, and
// action outcomes into act/outcome.
func TestSyslogReceived(t *testing.T) {
	srv := httptest.NewTLSServer(nil) // for its certificate
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	tlsConf := &tls.Config{Certificates: srv.TLS.Certificates}

	alert := goldenAlert(t)
	for _, tc := range []struct {
		name string
		recv func(t *testing.T) *receiver
		cfg  SyslogConfig
	}{
		{"udp", newUDPReceiver, SyslogConfig{Network: "udp"}},
		{"tcp octet counting", func(t *testing.T) *receiver { return newStreamReceiver(t, nil, false) }, SyslogConfig{Network: "tcp"}},
		{"tcp newline", func(t *testing.T) *receiver { return newStreamReceiver(t, nil, true) }, SyslogConfig{Network: "tcp", Framing: "newline"}},
		{"tls", func(t *testing.T) *receiver { return newStreamReceiver(t, tlsConf, false) },
			SyslogConfig{Network: "tls", TLS: TLSConfig{CAFile: caFile, ServerName: "example.com"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.recv(t)
			cfg := tc.cfg
			cfg.Address, cfg.Hostname, cfg.Facility = r.addr, "aitdr-1.acme.example", "local4"
			s, err := NewSyslog(cfg, "syslog", "0.1.0")
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			step := Action{ID: "act-1", Kind: "revoke_sessions", Connector: "aws", Target: alert.Unmapped.AITDR.Identity.ID,
				Status: "succeeded", Changes: []string{"iam:PutRolePolicy bedrock-support-agent AWSRevokeOlderSessions"},
				Time: time.UnixMilli(1741944524250)}
			for _, m := range []Message{NewMessage(alert), NewMessage(alert, step)} {
				if err := s.Send(ctx, m); err != nil {
					t.Fatal(err)
				}
			}

			got, err := parseRFC5424(r.next(t))
			if err != nil {
				t.Fatal(err)
			}
			if got.pri != 20*8+3 || got.hostname != "aitdr-1.acme.example" || got.appName != "aitdr" || got.msgID != "alert" ||
				!got.timestamp.Equal(time.UnixMilli(alert.Time)) || got.sd != `[origin software="aitdr" swVersion="0.1.0"]` {
				t.Errorf("header %+v", got)
			}
			h, ext, err := parseCEF(got.message)
			if err != nil {
				t.Fatal(err)
			}
			if h[4] != "aitdr.llmjacking.token_spike" || ext["suid"] != alert.Unmapped.AITDR.Identity.ID || ext["cs1"] != "ai_agent" ||
				ext["cs2"] != "priya.natarajan@acme.example" || !strings.HasPrefix(ext["cs4"], "tokens_ratio.5m observed 32310") ||
				ext["cs3"] != "AML.T0034 Cost Harvesting" || ext["cn1"] != "2" || ext["cs6"] == "" {
				t.Errorf("alert context lost: header %q extension %q", h, ext)
			}

			act, err := parseRFC5424(r.next(t))
			if err != nil {
				t.Fatal(err)
			}
			_, aext, err := parseCEF(act.message)
			if err != nil {
				t.Fatal(err)
			}
			if act.msgID != "action" || aext["act"] != "revoke_sessions" || aext["outcome"] != "succeeded" ||
				!strings.Contains(aext["flexString2"], "AWSRevokeOlderSessions") {
				t.Errorf("action %+v %q", act, aext)
			}
		})
	}
}

// TestSyslogReconnects shows a TCP output whose receiver went away fails
// the send, and connects again once a receiver listens.
func TestSyslogReconnects(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s, err := NewSyslog(SyslogConfig{Network: "tcp", Address: addr}, "syslog", "0.1.0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := NewMessage(goldenAlert(t))
	if err := s.Send(context.Background(), m); err == nil {
		t.Fatal("send without a receiver succeeded")
	}
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addr, err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		b, _ := bufio.NewReader(c).ReadString(' ')
		got <- b
	}()
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		if _, err := strconv.Atoi(strings.TrimSpace(b)); err != nil {
			t.Errorf("frame starts %q, want an octet count", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received after reconnecting")
	}
}

// FuzzRFC5424Header shows any host and app name become valid header fields.
func FuzzRFC5424Header(f *testing.F) {
	f.Add("aitdr-1.acme.example", "aitdr")
	f.Add("", " spaced name ")
	f.Fuzz(func(t *testing.T, host, app string) {
		s := &Syslog{hostname: headerField(host, 255), appName: headerField(app, 48), procID: "1", version: "v", limit: 2048}
		m := NewMessage(goldenAlert(t))
		if _, err := parseRFC5424(s.Format(m)); err != nil {
			t.Fatalf("host %q app %q: %v", host, app, err)
		}
	})
}
