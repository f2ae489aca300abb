package pack_test

import (
	"testing"

	"github.com/aitdr/aitdr/rules"
	"github.com/aitdr/aitdr/rules/pack"
)

// TestPackLoads shows that every file of the shipped pack loads without a
// problem: schema, expressions, ATLAS and ATT&CK ids.
func TestPackLoads(t *testing.T) {
	set, err := rules.NewLoader().AddFS(pack.FS(), pack.Name).Load()
	if err != nil {
		t.Fatalf("the pack does not load cleanly:\n%v", err)
	}
	if set.Len() == 0 {
		t.Log("the pack holds no rules yet")
	}
	t.Logf("pack: %s", set)
}

// TestPackInlineTests runs every inline test of the pack through the full
// stateful engine, as aitdr rules test does, and fails on any failing test.
func TestPackInlineTests(t *testing.T) {
	set, err := rules.NewLoader().AddFS(pack.FS(), pack.Name).Load()
	if err != nil {
		t.Fatalf("the pack does not load cleanly:\n%v", err)
	}
	results := rules.RunTests(set)
	passed := 0
	for _, r := range results {
		t.Run(r.Rule+"/"+r.Test, func(t *testing.T) {
			if r.Skipped {
				t.Skip(r.String())
			}
			if !r.Passed {
				t.Error(r.String())
			}
		})
		if r.Passed {
			passed++
		}
	}
	t.Logf("%d of %d inline tests passed", passed, len(results))
}
