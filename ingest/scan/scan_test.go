package scan_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest/scan"
	"github.com/aitdr/aitdr/schemas"
)

// Test values. None is a live credential: the AWS, Stripe-style and
// GitHub shapes are made up, the JWT is jwt.io's example, the cards are the
// issuers' published test numbers, the IBANs are the ISO 13616 examples.
const (
	awsKey       = "AKIAZ7Q2MRTW4XYBNP3K"
	awsTempKey   = "ASIAY34FZKBOKMUTVV7A"
	awsSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	jwt          = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	openaiProj   = "sk-proj-Zq3vN8r2LkP0xY7wB4cT1mJ6hD9sF5gA2eR8uI0oW3nQ7vK1"
	openaiLegacy = "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"
	openaiLike   = "sk-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	anthropicKey = "sk-ant-api03-Xk2mP9qR4tV7wY1zB5cD8eF3gH6jK0lN2oQ5rS8uW1xA4yC7dE0fG3hJ6kM9nP2qS5tV8wX1zA4bD7eG0hJ3kM6nQ9AA"
	githubPAT    = "ghp_R4nd0mT0k3nV4lu3F0rT3st1ngOnly012345"
	githubFine   = "github_pat_11ABCDEFG0aBcDeFgHiJkLmN_oPqRsTuVwXyZ0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ012345678"
	slackBot     = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
	pemRSA       = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----"
)

func newScanner(t testing.TB, cfg scan.Config) *scan.Scanner {
	t.Helper()
	s, err := scan.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// found returns the text of every match of detector in text.
func found(s *scan.Scanner, text, detector string) []string {
	var out []string
	s.Scan(text, func(m scan.Match) {
		if m.Detector == detector {
			out = append(out, text[m.Start:m.End])
		}
	})
	return out
}

// TestDetectors shows, for every detector, what it finds and the near
// misses it leaves alone.
func TestDetectors(t *testing.T) {
	s := newScanner(t, scan.Config{
		Labels:   []string{"ACME SECRET"},
		Patterns: []scan.Pattern{{Name: "project", Regex: `PRJ-[0-9]{4}`, Type: "project_codename"}},
	})
	cases := []struct {
		name     string
		detector string
		text     string
		want     []string
	}{
		// AWS access key ids.
		{"aws key id", scan.DetectorAWSAccessKey, "export AWS_ACCESS_KEY_ID=" + awsKey + "\n", []string{awsKey}},
		{"aws temporary key id", scan.DetectorAWSAccessKey, "key " + awsTempKey + ".", []string{awsTempKey}},
		{"aws documentation key", scan.DetectorAWSAccessKey, "AKIAIOSFODNN7EXAMPLE", []string{"AKIAIOSFODNN7EXAMPLE"}},
		{"aws key id one short", scan.DetectorAWSAccessKey, "AKIAZ7Q2MRTW4XYBNP3", nil},
		{"aws key id one long", scan.DetectorAWSAccessKey, awsKey + "Q", nil},
		{"aws key id glued to a word", scan.DetectorAWSAccessKey, "X" + awsKey, nil},
		{"aws key id with digits outside base32", scan.DetectorAWSAccessKey, "AKIA1234567890ABCDEF", nil},
		// AWS secret keys near a key id.
		{"aws secret next to its key id", scan.DetectorAWSSecretKey, "id=" + awsKey + " secret=" + awsSecret, []string{awsSecret}},
		{"aws secret before its key id", scan.DetectorAWSSecretKey, awsSecret + " is the secret of " + awsKey, []string{awsSecret}},
		{"aws secret found once for two key ids", scan.DetectorAWSSecretKey, awsKey + " " + awsSecret + " " + awsTempKey, []string{awsSecret}},
		{"aws secret without a key id", scan.DetectorAWSSecretKey, "secret=" + awsSecret, nil},
		{"aws secret far from the key id", scan.DetectorAWSSecretKey, awsKey + strings.Repeat(" ", 300) + awsSecret, nil},
		{"hex digest next to a key id", scan.DetectorAWSSecretKey, awsKey + " da39a3ee5e6b4b0d3255bfef95601890afd80709", nil},
		{"41 characters next to a key id", scan.DetectorAWSSecretKey, awsKey + " " + awsSecret + "Z", nil},
		// GCP service-account keys.
		{"gcp key file", scan.DetectorGCPServiceAccount, `{"type": "service_account", "private_key_id": "8c1f", "client_email": "ci@p.iam.gserviceaccount.com"}`, []string{`private_key_id":`}},
		{"gcp key in yaml", scan.DetectorGCPServiceAccount, "private_key_id: 8c1f", []string{"private_key_id:"}},
		{"gcp key id mentioned in prose", scan.DetectorGCPServiceAccount, "the private_key_id field is missing", nil},
		{"gcp key id inside another name", scan.DetectorGCPServiceAccount, "my_private_key_id: 5", nil},
		// PEM private keys.
		{"pem rsa key", scan.DetectorPrivateKey, "key:\n" + pemRSA + "\n", []string{pemRSA}},
		{"pem key header only", scan.DetectorPrivateKey, "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn", []string{"-----BEGIN OPENSSH PRIVATE KEY-----"}},
		{"pem public key", scan.DetectorPrivateKey, "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----", nil},
		{"pem certificate", scan.DetectorPrivateKey, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", nil},
		// JWTs.
		{"jwt bearer token", scan.DetectorJWT, "Authorization: Bearer " + jwt + "\n", []string{jwt}},
		{"jwt with alg none", scan.DetectorJWT, "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", []string{"eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."}},
		{"jwt header not json", scan.DetectorJWT, "eyJub3QganNvbg.eyJzdWIiOiIxIn0.c2ln", nil},
		{"jwt header without alg", scan.DetectorJWT, "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln", nil},
		{"jwt with two parts", scan.DetectorJWT, "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0", nil},
		{"jwt glued to a word", scan.DetectorJWT, "x" + jwt, nil},
		// Passwords in URLs.
		{"url password", scan.DetectorURLPassword, "DATABASE_URL=postgres://admin:S3cr3t!@db.internal:5432/app", []string{"postgres://admin:S3cr3t!@"}},
		{"url password without user", scan.DetectorURLPassword, "redis://:hunter2@cache:6379/0", []string{"redis://:hunter2@"}},
		{"url user without password", scan.DetectorURLPassword, "https://user@example.com/x", nil},
		{"url port without userinfo", scan.DetectorURLPassword, "https://example.com:8443/path@v2", nil},
		{"url password template", scan.DetectorURLPassword, "postgres://admin:${DB_PASSWORD}@db/app", nil},
		{"url password masked", scan.DetectorURLPassword, "mysql://root:****@db/app", nil},
		// E-mail addresses.
		{"email", scan.DetectorEmail, "mail jane.doe+ai@corp.example.com today", []string{"jane.doe+ai@corp.example.com"}},
		{"email in mailto", scan.DetectorEmail, "<a href=\"mailto:bob@acme.io\">", []string{"bob@acme.io"}},
		{"email at the end of a sentence", scan.DetectorEmail, "write to ops@acme.io.", []string{"ops@acme.io"}},
		{"email without a dot in the domain", scan.DetectorEmail, "user@localhost", nil},
		{"email with a one-letter tld", scan.DetectorEmail, "a@b.c", nil},
		{"mention", scan.DetectorEmail, "thanks @jane.doe", nil},
		{"url userinfo is not an email", scan.DetectorEmail, "postgres://bob:secret@db.example.com/app", nil},
		{"url user is not an email", scan.DetectorEmail, "https://bob@git.example.com/repo", nil},
		// Payment cards.
		{"visa with spaces", scan.DetectorPaymentCard, "card 4111 1111 1111 1111 exp 12/25", []string{"4111 1111 1111 1111"}},
		{"visa with dashes", scan.DetectorPaymentCard, "4111-1111-1111-1111", []string{"4111-1111-1111-1111"}},
		{"amex", scan.DetectorPaymentCard, "amex 378282246310005", []string{"378282246310005"}},
		{"mastercard", scan.DetectorPaymentCard, "5555555555554444", []string{"5555555555554444"}},
		{"card after other digits", scan.DetectorPaymentCard, "order 12 4111 1111 1111 1111", []string{"4111 1111 1111 1111"}},
		{"card failing luhn", scan.DetectorPaymentCard, "4111 1111 1111 1112", nil},
		{"luhn-valid number with no issuer", scan.DetectorPaymentCard, "1234567812345670", nil},
		{"twenty digits", scan.DetectorPaymentCard, "41111111111111111111", nil},
		{"card digits glued to letters", scan.DetectorPaymentCard, "a4111111111111111", nil},
		{"card digits after a decimal point", scan.DetectorPaymentCard, "0.4111111111111111", nil},
		{"card with mixed separators", scan.DetectorPaymentCard, "4111 1111-1111 1111", nil},
		// US social security numbers.
		{"ssn", scan.DetectorUSSSN, "id 536-22-1947", []string{"536-22-1947"}},
		{"ssn area 000", scan.DetectorUSSSN, "000-12-3456", nil},
		{"ssn area 666", scan.DetectorUSSSN, "666-12-3456", nil},
		{"ssn area 9xx", scan.DetectorUSSSN, "912-12-3456", nil},
		{"ssn group 00", scan.DetectorUSSSN, "536-00-1947", nil},
		{"ssn serial 0000", scan.DetectorUSSSN, "536-22-0000", nil},
		{"ssn from an advertisement", scan.DetectorUSSSN, "078-05-1120", nil},
		{"ssn with spaces", scan.DetectorUSSSN, "536 22 1947", nil},
		{"date", scan.DetectorUSSSN, "2024-01-15", nil},
		{"phone number", scan.DetectorUSSSN, "555-123-4567", nil},
		// UK National Insurance numbers.
		{"nino", scan.DetectorUKNINO, "NI number AB123456C.", []string{"AB123456C"}},
		{"nino with spaces", scan.DetectorUKNINO, "JG 10 37 54 A", []string{"JG 10 37 54 A"}},
		{"nino example prefix QQ", scan.DetectorUKNINO, "QQ123456C", nil},
		{"nino unallocated prefix GB", scan.DetectorUKNINO, "GB123456A", nil},
		{"nino bad suffix", scan.DetectorUKNINO, "AB123456E", nil},
		{"nino five digits", scan.DetectorUKNINO, "AB12345C", nil},
		// IBANs.
		{"iban printed", scan.DetectorIBAN, "pay to GB82 WEST 1234 5698 7654 32 now", []string{"GB82 WEST 1234 5698 7654 32"}},
		{"iban electronic", scan.DetectorIBAN, "DE89370400440532013000", []string{"DE89370400440532013000"}},
		{"iban with letters in the account", scan.DetectorIBAN, "FR1420041010050500013M02606", []string{"FR1420041010050500013M02606"}},
		{"iban failing mod 97", scan.DetectorIBAN, "GB82 WEST 1234 5698 7654 33", nil},
		{"iban of the wrong length", scan.DetectorIBAN, "DE8937040044053201300", nil},
		{"iban of an unknown country", scan.DetectorIBAN, "XX89370400440532013000", nil},
		// OpenAI and Anthropic keys.
		{"openai project key", scan.DetectorOpenAIKey, "OPENAI_API_KEY=" + openaiProj, []string{openaiProj}},
		{"openai legacy key", scan.DetectorOpenAIKey, openaiLegacy, []string{openaiLegacy}},
		{"openai-compatible key", scan.DetectorOpenAIKey, "key: " + openaiLike, []string{openaiLike}},
		{"sk- too short", scan.DetectorOpenAIKey, "sk-abc123", nil},
		{"sk- inside a word", scan.DetectorOpenAIKey, "task-force-alpha-bravo-charlie-delta-echo-foxtrot-1234", nil},
		{"sk- without digits", scan.DetectorOpenAIKey, "sk-" + strings.Repeat("a", 40), nil},
		{"anthropic key is not an openai key", scan.DetectorOpenAIKey, anthropicKey, nil},
		{"anthropic key", scan.DetectorAnthropicKey, "x-api-key: " + anthropicKey, []string{anthropicKey}},
		{"anthropic key too short", scan.DetectorAnthropicKey, "sk-ant-api03-short", nil},
		// GitHub tokens.
		{"github classic token", scan.DetectorGitHubToken, "token " + githubPAT, []string{githubPAT}},
		{"github fine-grained token", scan.DetectorGitHubToken, githubFine, []string{githubFine}},
		{"github token one short", scan.DetectorGitHubToken, githubPAT[:len(githubPAT)-1], nil},
		{"github unknown prefix", scan.DetectorGitHubToken, "ghx_" + githubPAT[4:], nil},
		{"github token glued to a word", scan.DetectorGitHubToken, "a" + githubPAT, nil},
		// Slack tokens.
		{"slack bot token", scan.DetectorSlackToken, "SLACK_TOKEN=" + slackBot, []string{slackBot}},
		{"slack token too short", scan.DetectorSlackToken, "xoxb-abc", nil},
		{"slack app-level prefix", scan.DetectorSlackToken, "xoxa-123456789012-1234567890123-AbCdEfGh", nil},
		// Classification labels.
		{"label", scan.DetectorLabel, "This memo is CONFIDENTIAL.", []string{"CONFIDENTIAL"}},
		{"labels", scan.DetectorLabel, "INTERNAL ONLY - RESTRICTED", []string{"INTERNAL ONLY", "RESTRICTED"}},
		{"customer label", scan.DetectorLabel, "[ACME SECRET] roadmap", []string{"ACME SECRET"}},
		{"label in lower case prose", scan.DetectorLabel, "keep this confidential", nil},
		{"label inside a longer word", scan.DetectorLabel, "CONFIDENTIALITY agreement", nil},
		{"label inside an identifier", scan.DetectorLabel, "return ACCESS_RESTRICTED", nil},
		// Customer patterns.
		{"custom pattern", "custom:project", "ship PRJ-0042 today", []string{"PRJ-0042"}},
		{"custom pattern near miss", "custom:project", "ship PRJ-42 today", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := found(s, c.text, c.detector); !slices.Equal(got, c.want) {
				t.Errorf("%s found %q, want %q", c.detector, got, c.want)
			}
		})
	}
}

// TestConfidence shows the confidence a detector gives what it is sure of
// and what it is not: an example key, a key header without its body, the
// generic sk- shape, an SSN with and without a keyword near it.
func TestConfidence(t *testing.T) {
	s := newScanner(t, scan.Config{})
	cases := []struct {
		text string
		want float64
	}{
		{awsKey, 0.9},
		{"AKIAIOSFODNN7EXAMPLE", 0.5},
		{pemRSA, 0.99},
		{"-----BEGIN EC PRIVATE KEY-----", 0.9},
		{openaiProj, 0.99},
		{openaiLike, 0.8},
		{"536-22-1947", 0.75},
		{"SSN: 536-22-1947", 0.95},
		{`{"type": "service_account", "private_key_id": "8c1f"}`, 0.99},
		{"private_key_id: 8c1f", 0.9},
	}
	for _, c := range cases {
		var got []float64
		s.Scan(c.text, func(m scan.Match) { got = append(got, m.Confidence) })
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("%q: confidences %v, want [%v]", c.text, got, c.want)
		}
	}
}

// TestDisabled shows that a disabled detector finds nothing while the
// others keep working.
func TestDisabled(t *testing.T) {
	s := newScanner(t, scan.Config{Disabled: []string{scan.DetectorEmail}})
	text := "jane@acme.io " + awsKey
	var got []string
	s.Scan(text, func(m scan.Match) { got = append(got, m.Detector) })
	if !slices.Equal(got, []string{scan.DetectorAWSAccessKey}) {
		t.Errorf("detectors %v, want only %s", got, scan.DetectorAWSAccessKey)
	}
}

// TestFindings shows how matches sum into one finding per data type: the
// count of every match, the highest confidence, distinct locations in the
// order found and never more than schemas.MaxFindingLocations of them.
func TestFindings(t *testing.T) {
	s := newScanner(t, scan.Config{})
	var f scan.Findings
	s.ScanInto(&f, "a@acme.io b@acme.io "+awsKey, "messages[0].content")
	s.ScanInto(&f, "AKIAIOSFODNN7EXAMPLE", "messages[1].content")
	s.ScanInto(&f, "c@acme.io", "messages[0].content")
	for i := range 10 {
		s.ScanInto(&f, "4111 1111 1111 1111", "messages["+string(rune('a'+i))+"]")
	}
	want := []schemas.DataFinding{
		{Type: schemas.DataCloudCredential, Count: 2, Confidence: 0.9, Locations: []string{"messages[0].content", "messages[1].content"}},
		{Type: schemas.DataCreditCard, Count: 10, Confidence: 0.9, Locations: []string{
			"messages[a]", "messages[b]", "messages[c]", "messages[d]", "messages[e]", "messages[f]", "messages[g]", "messages[h]"}},
		{Type: schemas.DataEmailAddress, Count: 3, Confidence: 0.9, Locations: []string{"messages[0].content"}},
	}
	if got := f.List(); !reflect.DeepEqual(got, want) {
		t.Errorf("findings\n got %+v\nwant %+v", got, want)
	}
	var empty scan.Findings
	if empty.List() != nil || empty.Len() != 0 {
		t.Error("empty Findings is not empty")
	}
}

// TestConfigValidate shows every configuration error with its field path.
func TestConfigValidate(t *testing.T) {
	cfg := scan.Config{
		Disabled: []string{"email_address", "psychic"},
		Labels:   []string{"OK", " "},
		Patterns: []scan.Pattern{
			{Name: "a", Regex: "x", Type: "t"},
			{Name: "a", Regex: "(", Type: "t", Confidence: 2},
			{},
		},
	}
	want := `disabled[1]: unknown detector "psychic"
labels[1]: empty
patterns[1].name: "a" is also the name of patterns[0]
patterns[1].regex: error parsing regexp: missing closing ): ` + "`(`" + `
patterns[1].confidence: 2 is outside [0, 1]
patterns[2].name: required
patterns[2].regex: required
patterns[2].type: required`
	err := cfg.Validate()
	if err == nil || err.Error() != want {
		t.Errorf("Validate:\n%v\nwant:\n%s", err, want)
	}
	if _, err := scan.New(cfg); err == nil || !strings.HasPrefix(err.Error(), "scan config: disabled[1]") {
		t.Errorf("New: %v", err)
	}
	if err := (scan.Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
}

// TestNoMatchInPlainText shows that ordinary prose, code and numbers find
// nothing: the detectors' near misses in bulk.
func TestNoMatchInPlainText(t *testing.T) {
	s := newScanner(t, scan.Config{})
	text := benchPrompt(false)
	s.Scan(text, func(m scan.Match) {
		t.Errorf("unexpected %s match %q", m.Detector, text[m.Start:m.End])
	})
}

// linearSize is the size of each input of TestLinearTime.
var linearSize = 256 << 10

// TestLinearTime shows that inputs built to make a detector revisit text
// (repeated prefixes, separators and half-finished tokens) scan in linear
// time: a quarter megabyte of each takes well under a second, where a
// quadratic detector would take minutes.
func TestLinearTime(t *testing.T) {
	s := newScanner(t, scan.Config{Labels: []string{"AA"}})
	for _, unit := range []string{
		"eyJ.", "eyJhbGciOiJub25lIn0.", "@", "a@", "a@b.", "://", "x://a:b", "-----BEGIN PRIVATE KEY-----",
		"AKIA", awsKey + " ", "1 ", "1-", "4111 ", "AB ", "GB82 ", "sk-", "sk-a1", "ghp_", "github_pat_",
		"xoxb-", "xoxb-1-", "private_key_id:", "A", "AA", "0",
	} {
		text := strings.Repeat(unit, linearSize/len(unit))
		start := time.Now()
		s.Scan(text, func(scan.Match) {})
		if d := time.Since(start); d > time.Second {
			t.Errorf("%q repeated: %v for %d bytes", unit, d, len(text))
		}
	}
}
