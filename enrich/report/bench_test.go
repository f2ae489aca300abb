package report_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/enrich/report"
)

// BenchmarkCompute matches a 50000-row assumed inventory against 100000
// observed identities and renders the report as JSON: the work of a large
// customer's report besides the queries.
func BenchmarkCompute(b *testing.B) {
	classes := []string{"ai_user", "ai_builder", "ai_agent", "human", "service"}
	obs := &report.Observed{PermissionSnapshots: true}
	for i := range 100_000 {
		obs.Identities = append(obs.Identities, report.ObservedIdentity{
			ID:     fmt.Sprintf("okta:acme.okta.com:00u%06d", i),
			Class:  classes[i%len(classes)],
			Emails: []string{fmt.Sprintf("user%06d@acme.example", i)},
			Names:  []string{fmt.Sprintf("User %06d", i)},
		})
	}
	var csv strings.Builder
	csv.WriteString("email,name,class\n")
	for i := range 50_000 {
		// Every other entry matches by e-mail, a quarter by name only.
		switch i % 4 {
		case 0, 1:
			fmt.Fprintf(&csv, "user%06d@acme.example,,%s\n", i*2, classes[i%len(classes)])
		case 2:
			fmt.Fprintf(&csv, ",User %06d,%s\n", i*2, classes[i%len(classes)])
		default:
			fmt.Fprintf(&csv, "nobody%06d@acme.example,,%s\n", i, classes[i%len(classes)])
		}
	}
	assumed, err := report.ParseAssumed("bench.csv", strings.NewReader(csv.String()))
	if err != nil || len(assumed.BadRows) > 0 {
		b.Fatal(err, assumed.BadRows)
	}
	b.ReportAllocs()
	for b.Loop() {
		r := report.Compute(obs, assumed, report.Options{})
		if err := r.WriteJSON(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseAssumed reads a 50000-row assumed inventory.
func BenchmarkParseAssumed(b *testing.B) {
	var csv strings.Builder
	csv.WriteString("email,name,class,owner,source\n")
	for i := range 50_000 {
		fmt.Fprintf(&csv, "user%06d@acme.example,User %06d,,it@acme.example,licence\n", i, i)
	}
	text := csv.String()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := report.ParseAssumed("bench.csv", strings.NewReader(text)); err != nil {
			b.Fatal(err)
		}
	}
}
