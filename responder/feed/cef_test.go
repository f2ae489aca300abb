package feed

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aitdr/aitdr/schemas/ocsf"
)

// goldenAlert is the OCSF alert the schemas package documents: an AI agent's
// LLMjacking token spike with its baseline, evidence, ATLAS technique and
// response.
func goldenAlert(t testing.TB) *ocsf.DetectionFinding {
	t.Helper()
	b, err := os.ReadFile("../../schemas/ocsf/testdata/llmjacking_agent.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var f ocsf.DetectionFinding
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

// parseCEF splits a CEF line into its seven header fields and its
// extension, undoing the escaping: the receiving side of the spec.
func parseCEF(s string) ([7]string, map[string]string, error) {
	var h [7]string
	rest, ok := strings.CutPrefix(s, "CEF:")
	if !ok {
		return h, nil, errors.New("no CEF: prefix")
	}
	field := 0
	var b strings.Builder
	i := 0
	for ; i < len(rest) && field < 7; i++ {
		c := rest[i]
		switch {
		case c == '\\' && i+1 < len(rest) && (rest[i+1] == '\\' || rest[i+1] == '|'):
			b.WriteByte(rest[i+1])
			i++
		case c == '|':
			h[field] = b.String()
			b.Reset()
			field++
		default:
			b.WriteByte(c)
		}
	}
	if field < 7 {
		return h, nil, errors.New("fewer than 7 header fields")
	}
	ext := map[string]string{}
	rest = rest[i:]
	// Keys start after a space (or at the start) and end at an unescaped
	// '='; a value runs to the space before the next key.
	type pos struct{ keyStart, eq int }
	var keys []pos
	for j := 0; j < len(rest); j++ {
		if rest[j] == '\\' {
			j++
			continue
		}
		if rest[j] != '=' {
			continue
		}
		k := j
		for k > 0 && rest[k-1] != ' ' {
			k--
		}
		keys = append(keys, pos{k, j})
	}
	for n, p := range keys {
		end := len(rest)
		if n+1 < len(keys) {
			end = keys[n+1].keyStart - 1
		}
		if end < p.eq+1 {
			return h, nil, errors.New("bad extension")
		}
		key := rest[p.keyStart:p.eq]
		ext[key] = unescapeValue(rest[p.eq+1 : end])
	}
	return h, ext, nil
}

func unescapeValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(s[i+1])
			}
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// TestEscaping shows the CEF escaping of header fields and extension
// values, as the specification lists it.
func TestEscaping(t *testing.T) {
	for _, tc := range []struct{ in, header, value string }{
		{`plain`, `plain`, `plain`},
		{`a|b`, `a\|b`, `a|b`},
		{`a\b`, `a\\b`, `a\\b`},
		{`k=v`, `k=v`, `k\=v`},
		{"line1\nline2\r", "line1 line2 ", `line1\nline2\r`},
		{`\|=`, `\\\|=`, `\\|\=`},
	} {
		if got := escapeHeader(tc.in); got != tc.header {
			t.Errorf("escapeHeader(%q) = %q, want %q", tc.in, got, tc.header)
		}
		if got := escapeValue(tc.in); got != tc.value {
			t.Errorf("escapeValue(%q) = %q, want %q", tc.in, got, tc.value)
		}
	}
}

// FuzzCEFRoundTrip shows any header field and extension value comes back
// unchanged from escaping and parsing, the other fields unharmed (header
// fields lose only their line breaks, which CEF headers cannot hold).
func FuzzCEFRoundTrip(f *testing.F) {
	for _, s := range []string{"", "a|b", `a\b`, "k=v", "x\ny\r", `\|=\\`, "msg=end ", " lead", "é=ü|\\n"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, header, value string) {
		if !utf8.ValidString(header) || !utf8.ValidString(value) {
			return
		}
		line := "CEF:0|aitdr|aitdr|1|" + escapeHeader(header) + "|name|5|rt=1 cs1Label=x cs1=" + escapeValue(value) + " msg=" + escapeValue(value) + " end=2"
		h, ext, err := parseCEF(line)
		if err != nil {
			t.Fatalf("parse %q: %v", line, err)
		}
		wantHeader := strings.NewReplacer("\r", " ", "\n", " ").Replace(header)
		if h[4] != wantHeader || h[5] != "name" || h[6] != "5" {
			t.Fatalf("header %q, want field 4 %q", h, wantHeader)
		}
		if ext["cs1"] != value || ext["msg"] != value || ext["rt"] != "1" || ext["end"] != "2" || ext["cs1Label"] != "x" {
			t.Fatalf("extension %q of %q, want values %q", ext, line, value)
		}
	})
}

// TestFormatCEF shows an alert's CEF carries its full context, and that a
// size limit leaves out whole fields, least important first.
func TestFormatCEF(t *testing.T) {
	a := goldenAlert(t)
	m := NewMessage(a)
	line := formatCEF(&m, "0.1.0", 0)
	h, ext, err := parseCEF(line)
	if err != nil {
		t.Fatal(err)
	}
	if want := [7]string{"0", "aitdr", "aitdr", "0.1.0", "aitdr.llmjacking.token_spike", a.FindingInfo.Title, "8"}; h != want {
		t.Errorf("header %q, want %q", h, want)
	}
	for k, want := range map[string]string{
		"externalId": a.FindingInfo.UID,
		"suid":       "aws:123456789012:role/bedrock-support-agent",
		"cs1":        "ai_agent",
		"cs2":        "priya.natarajan@acme.example",
		"cs3":        "AML.T0034 Cost Harvesting",
		"cs4":        "tokens_ratio.5m observed 32310, baseline 2275 (14.2x); is_new_model observed 1, baseline 0",
		"cs5":        "396ff3c2daabbf22a47b3a362321a412,2575ced162a656b040be9b444efaa3f5",
		"cn1":        "2",
		"src":        "10.20.31.44",
		"rt":         "1741944521250",
		"start":      "1741944401000",
	} {
		if ext[k] != want {
			t.Errorf("%s = %q, want %q", k, ext[k], want)
		}
	}
	if !strings.Contains(ext["cs6"], "disable_account aws:123456789012:role/bedrock-support-agent") ||
		!strings.Contains(ext["flexString2"], "revoke_sessions aws:123456789012:role/bedrock-support-agent: succeeded") {
		t.Errorf("recommended %q, taken %q", ext["cs6"], ext["flexString2"])
	}

	short := formatCEF(&m, "0.1.0", 400)
	if len(short) > 400 {
		t.Errorf("%d bytes over the limit of 400", len(short))
	}
	_, sext, err := parseCEF(short)
	if err != nil {
		t.Fatalf("parse %q: %v", short, err)
	}
	if sext["externalId"] != a.FindingInfo.UID || sext["suid"] == "" || sext["msg"] != "" {
		t.Errorf("limited extension kept %q; want the alert and identity first, the message dropped", sext)
	}
	for k := range sext {
		if strings.HasSuffix(k, "Label") && sext[strings.TrimSuffix(k, "Label")] == "" {
			t.Errorf("label %s without its value", k)
		}
	}

	failed := NewMessage(a, Action{ID: "s1", Kind: "disable_account", Connector: "aws", Target: "aws:123456789012:role/bedrock-support-agent",
		Status: "failed", Error: "aws iam:PutRolePolicy: HTTP 403 AccessDenied: not authorized", Time: time.UnixMilli(1741944530000)})
	_, fext, _ := parseCEF(formatCEF(&failed, "0.1.0", 0))
	if fext["act"] != "disable_account" || fext["outcome"] != "failed" || !strings.Contains(fext["reason"], "AccessDenied") {
		t.Errorf("action extension %q", fext)
	}
}
