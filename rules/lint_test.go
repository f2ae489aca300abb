package rules_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/rules"
)

// TestLint shows lint's warnings on rules that load (unused macros and
// lists, expired exceptions, missing tests, near misses and ATLAS
// mappings, references that are not URLs), each at its line, and its
// errors on a file that does not load, as reviewed in the golden file.
func TestLint(t *testing.T) {
	var lines []string
	for _, path := range []string{"testdata/lint", "testdata/bad/mappings.bad.yaml"} {
		set, err := rules.LoadPaths(path)
		for _, f := range rules.Lint(set, err, time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC)) {
			lines = append(lines, f.String())
		}
	}
	goldenCompare(t, "lint/lint.golden", []byte(strings.Join(lines, "\n")+"\n"))
}
