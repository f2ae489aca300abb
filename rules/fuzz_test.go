package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the rule file loader: decoding,
// compiling and running the inline tests must never panic, and a file
// either loads or has problems that name it with a line.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"testdata/*/*.yaml", "pack/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("rules: [{id: a, title: t, description: d, severity: low, condition: 'true'}]"))
	f.Add([]byte("macros: [{name: m, condition: 'm'}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pf, problems := parseFile("fuzz.yaml", data)
		if pf == nil {
			if len(problems) == 0 {
				t.Fatal("a file that does not parse has no problems")
			}
			for _, p := range problems {
				if p.Pos.File != "fuzz.yaml" || !strings.HasPrefix(p.Error(), "fuzz.yaml") {
					t.Fatalf("problem does not name the file: %v", p)
				}
			}
			return
		}
		set, rejected := compileSet([]*parsedFile{pf}, nil)
		if len(rejected) == 0 && len(pf.spec.Rules) != set.Len() {
			t.Fatalf("%d rules in the file, %d in the set", len(pf.spec.Rules), set.Len())
		}
		for _, p := range rejected["fuzz.yaml"] {
			if p.Pos.File != "fuzz.yaml" {
				t.Fatalf("problem does not name the file: %v", p)
			}
		}
		RunTests(set)
	})
}
