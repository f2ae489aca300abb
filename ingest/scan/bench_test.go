package scan_test

import (
	"strings"
	"testing"

	"github.com/aitdr/aitdr/ingest/scan"
)

// benchPrompt returns a prompt of about 4 KB: prose, code, numbers, dates,
// URLs and identifiers, with a few secrets in it when secrets is true.
func benchPrompt(secrets bool) string {
	var b strings.Builder
	para := `Please review the quarterly plan below and rewrite the summary for the leadership team.
Revenue grew 12.5% to 4,210,000 in Q3 2024; churn fell from 3.1 to 2.4 percent. The migration
to the new billing service (ticket OPS-4412, started 2024-06-03) finished on time, and the
on-call rotation moves to https://wiki.example.com/oncall?team=payments#rota next week.
func handler(w http.ResponseWriter, r *http.Request) { id := r.URL.Query().Get("id"); log.Printf("got %s", id) }
Order 1048576 shipped to warehouse 7; tracking 1Z999AA10123456784. Build sha 9f86d081884c7d659a2feaa0c55ad015.
`
	for b.Len() < 3900 {
		b.WriteString(para)
	}
	if secrets {
		b.WriteString("creds: " + awsKey + " " + awsSecret + " card 4111 1111 1111 1111 mail jane@acme.io\n")
	}
	return b.String()
}

// BenchmarkScan measures the scanner over a 4 KB prompt, with and without
// secrets in it.
func BenchmarkScan(b *testing.B) {
	s := newScanner(b, scan.Config{
		Labels:   []string{"ACME SECRET", "PROJECT NIGHTJAR"},
		Patterns: []scan.Pattern{{Name: "ticket", Regex: `SEC-[0-9]{4,6}`, Type: "customer_record"}},
	})
	for _, c := range []struct {
		name    string
		secrets bool
	}{{"clean", false}, {"secrets", true}} {
		text := benchPrompt(c.secrets)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				s.Scan(text, func(scan.Match) { n++ })
			}
		})
	}
}
