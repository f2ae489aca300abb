package report_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/enrich/report"
)

// TestDiscoverDocDescribesTheReport keeps the Visibility report section of
// docs/discover.md true: every header name, class and source word of the
// CSV, every ready query the report runs, and the example output, which is
// the golden table of the since_no_grants case.
func TestDiscoverDocDescribesTheReport(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "discover.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Visibility report\n")
	if !ok {
		t.Fatal("docs/discover.md has no Visibility report section")
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	for field, names := range report.HeaderNames() {
		for _, n := range names {
			if !strings.Contains(section, "`"+n+"`") {
				t.Errorf("the header name %s of the %s field is not documented", n, field)
			}
		}
	}
	classes, sources := report.ClassWords()
	for _, w := range append(classes, sources...) {
		if !strings.Contains(section, "`"+w+"`") {
			t.Errorf("the class or source word %s is not documented", w)
		}
	}
	for _, q := range []string{"observed_inventory", "shadow_ai_by_service", "personal_accounts_sensitive_data",
		"shared_credential_agents", "dev_identities_reaching_prod", "broad_permission_agents"} {
		if !strings.Contains(section, "`"+q+"`") {
			t.Errorf("the ready query %s is not documented", q)
		}
	}
	example, err := os.ReadFile(filepath.Join("testdata", "since_no_grants.golden.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(section, "```\n"+string(example)+"```\n") {
		t.Error("the example output differs from testdata/since_no_grants.golden.txt: paste it again")
	}
}
