package atlas_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"testing"

	"github.com/aitdr/aitdr/rules/atlas"
)

// sharedCopy is the shared source copy of the table, outside the repository;
// the test compares with it when it is there.
const sharedCopy = "/work/shared/data/atlas/techniques.tsv"

// TestEmbeddedCopyMatchesSource shows that the embedded table is the shared
// source table byte for byte, when that table is present.
func TestEmbeddedCopyMatchesSource(t *testing.T) {
	src, err := os.ReadFile(sharedCopy)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is not present on this machine", sharedCopy)
	}
	if err != nil {
		t.Fatal(err)
	}
	local, err := os.ReadFile("techniques.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(src, local) {
		t.Fatalf("rules/atlas/techniques.tsv differs from %s: copy it again and update README.md", sharedCopy)
	}
}

// TestLookup shows techniques and sub-techniques are found with their
// tactics, and ids outside the release are not.
func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		id      string
		ok      bool
		name    string
		tactics int
	}{
		{"AML.T0012", true, "Valid Accounts", 2},
		{"AML.T0051.000", true, "Direct", 1},
		{"AML.T0034", true, "Cost Harvesting", 1},
		{"AML.T9999", false, "", 0},
		{"T1078", false, "", 0},
	} {
		got, ok := atlas.Lookup(tc.id)
		if ok != tc.ok {
			t.Errorf("Lookup(%q) found %v, want %v", tc.id, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if got.Name != tc.name || len(got.Tactics) < tc.tactics {
			t.Errorf("Lookup(%q) = %+v, want name %q and at least %d tactics", tc.id, got, tc.name, tc.tactics)
		}
		for _, tac := range got.Tactics {
			if atlas.TacticName(tac) == "" {
				t.Errorf("%s: tactic %s has no name", tc.id, tac)
			}
		}
	}
	if n := len(atlas.Techniques()); n != 170 {
		t.Errorf("Techniques() has %d entries, want 170", n)
	}
}
