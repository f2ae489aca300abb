package sigma_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/rules"
	"github.com/aitdr/aitdr/rules/sigma"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// readInputs parses every Sigma file of testdata/in.
func readInputs(t *testing.T) []*sigma.Rule {
	t.Helper()
	paths, err := filepath.Glob("testdata/in/*.yml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	var docs []*sigma.Rule
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		d, err := sigma.Parse(filepath.Base(p), data)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d...)
	}
	return docs
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the conversion (run with -update and review the diff):\n%s", path, got)
	}
}

// The Sigma set converts to the golden aitdr files and report; the
// converted files load in the rules engine without a problem and every
// generated test passes there.
func TestConvertGolden(t *testing.T) {
	res := sigma.Convert(readInputs(t))
	var report bytes.Buffer
	res.Report(&report)
	golden(t, "testdata/golden/report.txt", report.Bytes())
	if len(res.Files) == 0 {
		t.Fatal("nothing converted")
	}
	dir := t.TempDir()
	for name, data := range res.Files {
		out := strings.TrimSuffix(name, filepath.Ext(name)) + ".yaml"
		golden(t, filepath.Join("testdata/golden", out), data)
		if err := os.WriteFile(filepath.Join(dir, out), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, err := rules.LoadPaths(dir)
	if err != nil {
		t.Fatalf("converted rules do not load: %v", err)
	}
	converted := 0
	for _, o := range res.Outcomes {
		if o.RuleID != "" {
			converted++
			if set.Rule(o.RuleID) == nil {
				t.Errorf("%s: rule %s missing from the loaded set", o.Sigma, o.RuleID)
			}
		}
	}
	if set.Len() != converted {
		t.Errorf("loaded %d rules, the report lists %d", set.Len(), converted)
	}
	results := rules.RunTests(set)
	if len(results) != 2*set.Len() {
		t.Errorf("%d tests for %d rules, want two each", len(results), set.Len())
	}
	for _, r := range results {
		if !r.Passed {
			t.Errorf("%s", r)
		}
	}
}

// Each rule that must not convert says why.
func TestConvertReasons(t *testing.T) {
	res := sigma.Convert(readInputs(t))
	want := map[string]string{
		"M365 Mail Forwarding Rule":                                "unsupported logsource",
		"AWS Base64 Encoded User Agent":                            `unsupported modifier "base64offset"`,
		"AWS Many Console Login Failures (deprecated aggregation)": "aggregation",
		"AWS Keyword Search":                                       "keyword search",
		"Okta Few Sign-ins":                                        "condition lt",
		"Okta Policy Rule Modified Via Display Message":            `unmapped field "displayMessage"`,
	}
	seen := 0
	for _, o := range res.Outcomes {
		for title, reason := range want {
			if !strings.Contains(o.Sigma, `"`+title+`"`) {
				continue
			}
			seen++
			if o.Converted || !strings.Contains(o.Reason, reason) {
				t.Errorf("%s: converted=%v reason %q, want not converted because of %q", title, o.Converted, o.Reason, reason)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d rules that must fail", seen, len(want))
	}
}

// A file that is not YAML, or whose fields have the wrong types, is an
// error that names the file and document.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"syntax", "title: [unclosed\n", "bad.yml document 0"},
		{"type", "title: a\n---\ntags: {a: b}\n", "bad.yml document 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sigma.Parse("bad.yml", []byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to name %q", err, tc.want)
			}
		})
	}
}

// FuzzParse feeds the Sigma parser alone, which sees outside files: it
// never panics, names the file in every error, and numbers the documents it
// returns in order. FuzzConvert covers conversion too, more slowly (it
// compiles every converted rule).
func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob("testdata/in/*.yml")
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("title: a\n---\n- not a mapping\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := sigma.Parse("fuzz.yml", data)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yml") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		last := -1
		for _, d := range docs {
			if d.File != "fuzz.yml" || d.Doc <= last {
				t.Fatalf("rule %s: file %q, document %d after %d", d, d.File, d.Doc, last)
			}
			last = d.Doc
		}
	})
}

// FuzzConvert checks that every parsed rule gets an outcome, and a reason
// when it is not converted.
func FuzzConvert(f *testing.F) {
	paths, _ := filepath.Glob("testdata/in/*.yml")
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := sigma.Parse("fuzz.yml", data)
		if err != nil {
			return
		}
		res := sigma.Convert(docs)
		if len(res.Outcomes) != len(docs) {
			t.Fatalf("%d outcomes for %d rules", len(res.Outcomes), len(docs))
		}
		for _, o := range res.Outcomes {
			if !o.Converted && o.Reason == "" {
				t.Fatalf("%s not converted without a reason", o.Sigma)
			}
		}
	})
}
