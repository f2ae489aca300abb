package github

import (
	"context"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/schemas"
)

// TestRedactContent shows that the body of an API request is replaced
// before the record is kept, that the redacted record normalizes to the
// same event, and that records without a body are returned as they are.
func TestRedactContent(t *testing.T) {
	s := New()
	const secret = `{"message":"add weights","content":"c2stbGl2ZS1BQkNERUZHSElKS0xNTk9Q"}`
	record := []byte(`{"@timestamp":1741943565123,"_document_id":"d1","action":"api.request","actor":"alice","org":"acme-ai",` +
		`"request_method":"PUT","route":"/repos/:owner/:repo/contents/:path","status_code":200,` +
		`"request_body":` + quote(secret) + `}`)
	var seen string
	out, err := s.RedactContent(record, func(text string) string { seen = text; return "" })
	if err != nil {
		t.Fatal(err)
	}
	if seen != secret {
		t.Errorf("replace got %q, want the body %q", seen, secret)
	}
	if strings.Contains(string(out), "c2stbGl2ZS1") || !strings.Contains(string(out), `"request_body":""`) {
		t.Errorf("redacted record still holds the body: %s", out)
	}
	var before, after schemas.Event
	if err := s.Normalize(context.Background(), record, &before); err != nil {
		t.Fatal(err)
	}
	if err := s.Normalize(context.Background(), out, &after); err != nil {
		t.Fatalf("redacted record does not normalize: %v", err)
	}
	b1, _ := schemas.MarshalEventJSON(&before)
	b2, _ := schemas.MarshalEventJSON(&after)
	if string(b1) != string(b2) {
		t.Errorf("redaction changed the event:\n%s\n%s", b1, b2)
	}

	for _, tt := range []struct {
		name, record string
		replace      func(string) string
	}{
		{"no body", `{"action":"repo.create","actor":"alice"}`, func(string) string { return "" }},
		{"empty body", `{"action":"api.request","actor":"alice","request_body":""}`, func(string) string { return "x" }},
		{"capture enabled", string(record), func(s string) string { return s }},
	} {
		out, err := s.RedactContent([]byte(tt.record), tt.replace)
		if err != nil || string(out) != tt.record {
			t.Errorf("%s: RedactContent = %s, %v; want the record unchanged", tt.name, out, err)
		}
	}
	if _, err := s.RedactContent([]byte(`{"request_body":"x"`), func(string) string { return "" }); err == nil {
		t.Errorf("truncated record: no error")
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
