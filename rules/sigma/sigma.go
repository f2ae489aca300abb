// Package sigma converts Sigma rules for cloud and identity log sources
// (AWS CloudTrail, Azure sign-in and audit logs, GCP audit, Okta, GitHub
// audit), correlation rules included, into aitdr rules (docs/rules.md),
// each with generated inline tests that are checked through the real rules
// engine. What cannot be converted is reported with the reason.
package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/goccy/go-yaml"
)

// Rule is one Sigma document: a detection rule or a correlation rule, as
// written (Sigma's documented format; keys this package does not use are
// ignored).
type Rule struct {
	// File and Doc say where the rule is: its file and the index of its
	// YAML document in the file.
	File string `yaml:"-"`
	Doc  int    `yaml:"-"`

	Title          string         `yaml:"title"`
	ID             string         `yaml:"id"`
	Name           string         `yaml:"name"`
	Status         string         `yaml:"status"`
	Description    string         `yaml:"description"`
	References     []string       `yaml:"references"`
	Author         string         `yaml:"author"`
	Tags           []string       `yaml:"tags"`
	Level          string         `yaml:"level"`
	FalsePositives []string       `yaml:"falsepositives"`
	LogSource      LogSource      `yaml:"logsource"`
	Detection      map[string]any `yaml:"detection"`
	Correlation    *Correlation   `yaml:"correlation"`
}

// LogSource is a Sigma rule's logsource.
type LogSource struct {
	Product  string `yaml:"product"`
	Service  string `yaml:"service"`
	Category string `yaml:"category"`
}

// Correlation is the body of a Sigma correlation rule.
type Correlation struct {
	Type      string         `yaml:"type"`
	Rules     []string       `yaml:"rules"`
	GroupBy   []string       `yaml:"group-by"`
	Timespan  string         `yaml:"timespan"`
	Condition map[string]any `yaml:"condition"`
	Generate  bool           `yaml:"generate"`
	Aliases   map[string]any `yaml:"aliases"`
}

// String names the rule for reports: its file, document and title.
func (r *Rule) String() string {
	name := r.Title
	if name == "" {
		name = r.ID
	}
	return fmt.Sprintf("%s#%d %q", r.File, r.Doc, name)
}

// maxDocuments bounds the YAML documents of one file.
const maxDocuments = 10000

// Parse reads the Sigma documents of a file (one rule per YAML document,
// documents separated by ---). A document that is not a mapping or whose
// values have the wrong types is an error naming the file, the document
// and, where the YAML parser knows them, line and column.
func Parse(file string, data []byte) ([]*Rule, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []*Rule
	for i := 0; ; i++ {
		if i >= maxDocuments {
			return nil, fmt.Errorf("parse sigma %s: more than %d documents", file, maxDocuments)
		}
		var r Rule
		err := dec.Decode(&r)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("parse sigma %s document %d: %s", file, i, oneLine(err.Error()))
		}
		if r.Title == "" && r.ID == "" && r.Detection == nil && r.Correlation == nil {
			continue // an empty document, such as a trailing ---
		}
		r.File, r.Doc = file, i
		out = append(out, &r)
	}
}

// oneLine keeps the first line of a YAML error, which holds the position
// and the cause (the rest is a source excerpt).
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
