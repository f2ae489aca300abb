// Package scan finds sensitive data in prompt and request text: cloud
// credentials, private keys, tokens, passwords in URLs, e-mail addresses,
// payment cards, national identifiers, AI and API keys, classification
// labels and the customer's own patterns. Ingest runs it over the text of a
// record before the content policy drops or hashes that text, so that what
// was found survives as schemas.DataFinding even when the text does not.
//
// Every detector runs in time linear in the text: each starts from a cheap
// byte or substring scan (strings.Index, a byte-class loop) and validates
// the few candidates it finds with bounded work; customer patterns use Go's
// RE2 regexp, which is linear too.
package scan

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/aitdr/aitdr/schemas"
)

// DataAuthToken is the data type of bearer tokens that are not API keys of
// a named platform, such as JWTs. It extends the open schemas.DataType list.
const DataAuthToken schemas.DataType = "auth_token"

// Names of the built-in detectors, as Match.Detector reports them and
// Config.Disabled takes them.
const (
	DetectorAWSAccessKey      = "aws_access_key_id"
	DetectorAWSSecretKey      = "aws_secret_access_key"
	DetectorGCPServiceAccount = "gcp_service_account_key"
	DetectorPrivateKey        = "pem_private_key"
	DetectorJWT               = "jwt"
	DetectorURLPassword       = "url_password"
	DetectorEmail             = "email_address"
	DetectorPaymentCard       = "payment_card"
	DetectorUSSSN             = "us_ssn"
	DetectorUKNINO            = "uk_nino"
	DetectorIBAN              = "iban"
	DetectorOpenAIKey         = "openai_api_key"
	DetectorAnthropicKey      = "anthropic_api_key"
	DetectorGitHubToken       = "github_token"
	DetectorSlackToken        = "slack_token"
	DetectorLabel             = "classification_label"
)

// Detectors returns the names of the built-in detectors.
func Detectors() []string {
	return []string{
		DetectorAWSAccessKey, DetectorAWSSecretKey, DetectorGCPServiceAccount, DetectorPrivateKey,
		DetectorJWT, DetectorURLPassword, DetectorEmail, DetectorPaymentCard, DetectorUSSSN,
		DetectorUKNINO, DetectorIBAN, DetectorOpenAIKey, DetectorAnthropicKey, DetectorGitHubToken,
		DetectorSlackToken, DetectorLabel,
	}
}

// DefaultLabels are the classification labels every scanner looks for,
// matched as written (upper case) on word boundaries.
var DefaultLabels = []string{"CONFIDENTIAL", "INTERNAL ONLY", "RESTRICTED"}

// DefaultPatternConfidence is the confidence of a customer pattern that
// sets none.
const DefaultPatternConfidence = 0.8

// Match is one occurrence of sensitive data in a text.
type Match struct {
	// Detector is the name of the detector that found it: one of the
	// Detector constants, or "custom:<name>" for a customer pattern.
	Detector string
	// Type is the kind of data.
	Type schemas.DataType
	// Start and End are the byte offsets of the occurrence in the text:
	// 0 <= Start < End <= len(text).
	Start, End int
	// Confidence is the detector's confidence, from 0 to 1.
	Confidence float64
}

// Config configures a Scanner. The zero Config runs every built-in
// detector with the default labels and no customer patterns.
type Config struct {
	// Disabled lists built-in detectors not to run, by name (see
	// Detectors), such as "email_address" where addresses are expected in
	// every prompt. Default none.
	Disabled []string `yaml:"disabled"`
	// Labels are the customer's classification labels, looked for beside
	// DefaultLabels, matched exactly as written on word boundaries and
	// reported as confidential_marker. Default none.
	Labels []string `yaml:"labels"`
	// Patterns are the customer's own detectors. Default none.
	Patterns []Pattern `yaml:"patterns"`
}

// Pattern is a customer-defined detector: a named RE2 regular expression
// reporting a data type.
type Pattern struct {
	// Name names the pattern; matches report Detector "custom:<name>".
	// Required, unique.
	Name string `yaml:"name"`
	// Regex is the RE2 expression (Go regexp syntax). Required.
	Regex string `yaml:"regex"`
	// Type is the data type a match reports, one of the schemas.DataType
	// values or the customer's own, such as "customer_record" or
	// "project_codename". Required.
	Type schemas.DataType `yaml:"type"`
	// Confidence of a match, from 0 to 1. Default DefaultPatternConfidence.
	Confidence float64 `yaml:"confidence"`
}

// Validate reports every problem of c with its field path, joined, or nil.
func (c Config) Validate() error {
	var errs []error
	known := Detectors()
	for i, d := range c.Disabled {
		if !slices.Contains(known, d) {
			errs = append(errs, fmt.Errorf("disabled[%d]: unknown detector %q", i, d))
		}
	}
	for i, l := range c.Labels {
		if strings.TrimSpace(l) == "" {
			errs = append(errs, fmt.Errorf("labels[%d]: empty", i))
		}
	}
	names := map[string]int{}
	for i, p := range c.Patterns {
		field := fmt.Sprintf("patterns[%d]", i)
		if p.Name == "" {
			errs = append(errs, fmt.Errorf("%s.name: required", field))
		} else if j, dup := names[p.Name]; dup {
			errs = append(errs, fmt.Errorf("%s.name: %q is also the name of patterns[%d]", field, p.Name, j))
		} else {
			names[p.Name] = i
		}
		if p.Regex == "" {
			errs = append(errs, fmt.Errorf("%s.regex: required", field))
		} else if _, err := regexp.Compile(p.Regex); err != nil {
			errs = append(errs, fmt.Errorf("%s.regex: %w", field, err))
		}
		if p.Type == "" {
			errs = append(errs, fmt.Errorf("%s.type: required", field))
		}
		if !(p.Confidence >= 0 && p.Confidence <= 1) {
			errs = append(errs, fmt.Errorf("%s.confidence: %v is outside [0, 1]", field, p.Confidence))
		}
	}
	return errors.Join(errs...)
}

// Scanner finds sensitive data in text. It is immutable after New and safe
// for concurrent use.
type Scanner struct {
	disabled map[string]bool
	labels   []string
	patterns []pattern
}

type pattern struct {
	detector   string
	re         *regexp.Regexp
	prefix     string // literal every match starts with, for a cheap prefilter
	typ        schemas.DataType
	confidence float64
}

// New returns a Scanner for cfg, or the errors of cfg.Validate.
func New(cfg Config) (*Scanner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("scan config: %w", err)
	}
	s := &Scanner{disabled: map[string]bool{}}
	for _, d := range cfg.Disabled {
		s.disabled[d] = true
	}
	s.labels = append(slices.Clone(DefaultLabels), cfg.Labels...)
	for _, p := range cfg.Patterns {
		re := regexp.MustCompile(p.Regex) // validated above
		prefix, _ := re.LiteralPrefix()
		conf := p.Confidence
		if conf == 0 {
			conf = DefaultPatternConfidence
		}
		s.patterns = append(s.patterns, pattern{
			detector: "custom:" + p.Name, re: re, prefix: prefix, typ: p.Type, confidence: conf,
		})
	}
	return s, nil
}

// Scan calls emit with every match in text. Matches of one detector come
// in text order; detectors run one after another. Scan does not allocate
// unless a candidate needs decoding (a JWT header) or a customer pattern
// matches.
func (s *Scanner) Scan(text string, emit func(Match)) {
	if len(text) == 0 {
		return
	}
	on := func(d string) bool { return !s.disabled[d] }
	if on(DetectorAWSAccessKey) || on(DetectorAWSSecretKey) {
		scanAWS(text, on(DetectorAWSAccessKey), on(DetectorAWSSecretKey), emit)
	}
	if on(DetectorGCPServiceAccount) {
		scanGCPKey(text, emit)
	}
	if on(DetectorPrivateKey) {
		scanPEM(text, emit)
	}
	if on(DetectorJWT) {
		scanJWT(text, emit)
	}
	if on(DetectorURLPassword) {
		scanURLPassword(text, emit)
	}
	if on(DetectorEmail) {
		scanEmail(text, emit)
	}
	if on(DetectorPaymentCard) || on(DetectorUSSSN) || on(DetectorIBAN) || on(DetectorUKNINO) {
		scanIDs(text, on(DetectorPaymentCard), on(DetectorUSSSN), on(DetectorIBAN), on(DetectorUKNINO), emit)
	}
	if on(DetectorOpenAIKey) || on(DetectorAnthropicKey) {
		scanSKKeys(text, on(DetectorOpenAIKey), on(DetectorAnthropicKey), emit)
	}
	if on(DetectorGitHubToken) {
		scanGitHub(text, emit)
	}
	if on(DetectorSlackToken) {
		scanSlack(text, emit)
	}
	if on(DetectorLabel) {
		for _, l := range s.labels {
			scanLabel(text, l, emit)
		}
	}
	for i := range s.patterns {
		p := &s.patterns[i]
		if p.prefix != "" && !strings.Contains(text, p.prefix) {
			continue
		}
		for _, loc := range p.re.FindAllStringIndex(text, -1) {
			if loc[1] > loc[0] {
				emit(Match{Detector: p.detector, Type: p.typ, Start: loc[0], End: loc[1], Confidence: p.confidence})
			}
		}
	}
}

// ScanInto scans text and adds every match to f at location, the field
// path the text came from.
func (s *Scanner) ScanInto(f *Findings, text, location string) {
	s.Scan(text, func(m Match) { f.Add(m, location) })
}

// Findings sums matches into one schemas.DataFinding per data type: the
// count of matches, the highest confidence, and up to
// schemas.MaxFindingLocations distinct locations in the order found. The
// zero Findings is empty and ready; it is not safe for concurrent use.
type Findings struct {
	list []schemas.DataFinding
}

// Add counts m, found at location (a field path; empty adds no location).
func (f *Findings) Add(m Match, location string) {
	i := slices.IndexFunc(f.list, func(d schemas.DataFinding) bool { return d.Type == m.Type })
	if i < 0 {
		f.list = append(f.list, schemas.DataFinding{Type: m.Type})
		i = len(f.list) - 1
	}
	d := &f.list[i]
	if d.Count < math.MaxInt32 {
		d.Count++
	}
	if m.Confidence > d.Confidence {
		d.Confidence = m.Confidence
	}
	if location != "" && len(d.Locations) < schemas.MaxFindingLocations && !slices.Contains(d.Locations, location) {
		d.Locations = append(d.Locations, location)
	}
}

// Len returns the number of data types found.
func (f *Findings) Len() int { return len(f.list) }

// List returns the findings ordered by data type, or nil when there are
// none. The slice is f's own: hand it over and stop adding to f.
func (f *Findings) List() []schemas.DataFinding {
	if len(f.list) == 0 {
		return nil
	}
	slices.SortFunc(f.list, func(a, b schemas.DataFinding) int { return strings.Compare(string(a.Type), string(b.Type)) })
	return f.list
}
