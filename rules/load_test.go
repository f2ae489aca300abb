package rules_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/rules"
)

// TestBadFiles shows that each bad rule file is rejected with every
// problem at its file, line and column, as reviewed in the golden file
// next to it (testdata/bad/<case>.bad.yaml → <case>.golden).
func TestBadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.bad.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad files: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".bad.yaml")
		t.Run(name, func(t *testing.T) {
			set, err := rules.LoadPaths(file)
			var problems rules.Problems
			if !errors.As(err, &problems) || len(problems) == 0 {
				t.Fatalf("loaded without problems: %v", err)
			}
			if set.Len() != 0 || len(set.Files()) != 0 {
				t.Errorf("the bad file's rules loaded: %s", set)
			}
			for _, p := range problems {
				if p.Pos.File != file || p.Pos.Line == 0 {
					t.Errorf("problem without its file and line: %v", p)
				}
			}
			goldenCompare(t, "bad/"+name+".golden", []byte(err.Error()+"\n"))
		})
	}
}

// TestOneBadFileDoesNotStopTheOthers shows that a bad file is rejected
// alone: the rules of the other files load, and the problems name only
// the bad file.
func TestOneBadFileDoesNotStopTheOthers(t *testing.T) {
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"good.yaml": thresholdRule,
		"sub/bad.yaml": `rules:
  - id: bad
    title: t
    description: d
    severity: low
    condition: 'action.nope'
`,
		"sub/.hidden.yaml": "not: [a rule file",
		"notes.txt":        "not a rule file",
	})
	set, err := rules.LoadPaths(dir)
	var problems rules.Problems
	if !errors.As(err, &problems) {
		t.Fatalf("no problems reported: %v", err)
	}
	if got, want := problems.Files(), []string{filepath.Join(dir, "sub/bad.yaml")}; !slices.Equal(got, want) {
		t.Errorf("problems in %v, want %v", got, want)
	}
	if set.Rule("burst") == nil || set.Rule("bad") != nil {
		t.Errorf("set = %s, want the good file's rule only", set)
	}
}

// TestRejectedMacroFileRejectsItsUsers shows that a rule using a macro of
// a rejected file is rejected in turn, saying where the macro was, while a
// rule that does not use it loads.
func TestRejectedMacroFileRejectsItsUsers(t *testing.T) {
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"a-macros.yaml": `macros:
  - name: fine
    description: A good macro in a bad file.
    condition: 'outcome == "success"'
  - name: broken
    description: A bad macro.
    condition: 'outcome =='
`,
		"b-users.yaml": `rules:
  - id: uses-fine
    title: t
    description: d
    severity: low
    condition: 'fine && action.name == "x"'
`,
		"c-others.yaml": thresholdRule,
	})
	set, err := rules.LoadPaths(dir)
	if set.Rule("uses-fine") != nil || set.Rule("burst") == nil {
		t.Errorf("set = %s, want burst only", set)
	}
	want := filepath.Join(dir, "b-users.yaml") + ":6:17: rules[0].condition: unknown name fine: it is defined in " +
		filepath.Join(dir, "a-macros.yaml") + ", which was rejected"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("problems:\n%v\nwant among them:\n%s", err, want)
	}
}

// TestLoaderServesLastGoodVersion shows that a file that turns bad keeps
// its last good version in the set, reported as such with the new
// version's problems, until it is fixed.
func TestLoaderServesLastGoodVersion(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.yaml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	loader := rules.NewLoader().AddPaths(dir)
	write(thresholdRule)
	if _, err := loader.Load(); err != nil {
		t.Fatal(err)
	}
	write(strings.Replace(thresholdRule, "gte: 5", "gte: five", 1))
	set, err := loader.Load()
	if err == nil || !strings.Contains(err.Error(), path+":9:") {
		t.Errorf("problems %v, want one at %s:9", err, path)
	}
	if set.Rule("burst") == nil || !slices.Equal(set.Previous(), []string{path}) {
		t.Errorf("set = %s, previous %v: want the last good version of %s", set, set.Previous(), path)
	}
	write(strings.Replace(thresholdRule, "gte: 5", "gte: 7", 1))
	set, err = loader.Load()
	if err != nil || len(set.Previous()) != 0 || set.Rule("burst").Spec.Threshold.GTE != 7 {
		t.Errorf("after the fix: %v, %s", err, set)
	}
	// A file that never loaded is left out.
	fresh := rules.NewLoader().AddPaths(dir)
	write("rules: [")
	if set, err := fresh.Load(); err == nil || set.Len() != 0 {
		t.Errorf("a bad file with no good version: %v, %s", err, set)
	}
}

// TestMissingPath shows a path that does not exist is a problem naming it.
func TestMissingPath(t *testing.T) {
	_, err := rules.LoadPaths("testdata/no-such-dir")
	if err == nil || !strings.Contains(err.Error(), "testdata/no-such-dir: read: no such file or directory") {
		t.Errorf("err = %v", err)
	}
}
