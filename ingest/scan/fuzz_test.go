package scan_test

import (
	"testing"

	"github.com/aitdr/aitdr/ingest/scan"
)

// FuzzScan shows that no text makes the scanner panic and that every match
// lies within the text.
func FuzzScan(f *testing.F) {
	for _, seed := range []string{
		awsKey + " " + awsSecret, jwt, pemRSA, openaiProj, anthropicKey, githubPAT, githubFine, slackBot,
		"postgres://admin:S3cr3t!@db", "jane@acme.io", "4111 1111 1111 1111", "536-22-1947",
		"GB82 WEST 1234 5698 7654 32", "AB123456C", "CONFIDENTIAL", "PRJ-0042",
		"-----BEGIN RSA PRIVATE KEY-----", `"private_key_id": "x"`, "eyJ.eyJ.", "sk-", "ghp_", "xoxb-1-2-3",
		benchPrompt(true),
	} {
		f.Add(seed)
	}
	s, err := scan.New(scan.Config{
		Labels:   []string{"ACME SECRET", "[X]"},
		Patterns: []scan.Pattern{{Name: "project", Regex: `PRJ-[0-9]{4}`, Type: "project_codename"}},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var fs scan.Findings
		s.Scan(text, func(m scan.Match) {
			if m.Start < 0 || m.Start >= m.End || m.End > len(text) {
				t.Fatalf("%s match [%d, %d) outside the text of %d bytes", m.Detector, m.Start, m.End, len(text))
			}
			if !(m.Confidence > 0 && m.Confidence <= 1) || m.Type == "" {
				t.Fatalf("%s match with confidence %v and type %q", m.Detector, m.Confidence, m.Type)
			}
			fs.Add(m, "text")
		})
		for _, f := range fs.List() {
			if f.Count < 1 || len(f.Locations) != 1 {
				t.Fatalf("finding %+v", f)
			}
		}
	})
}
