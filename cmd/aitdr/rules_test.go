package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/schemas/ocsf"
)

// runRoot runs the root command with args and returns its output and error.
func runRoot(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root := newRootCommand()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// TestRulesLintAndTestCommands shows that rules lint and rules test report
// on the shipped pack and on rule files, with an exit status (an error)
// when a file does not load or a test fails.
func TestRulesLintAndTestCommands(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		fails   bool
		outputs []string
	}{
		{"lint the pack", []string{"rules", "lint", "--pack"}, false, []string{"0 errors"}},
		{"test the pack", []string{"rules", "test", "--pack"}, false, []string{" passed, 0 failed"}},
		{"lint a bad file", []string{"rules", "lint", "../../rules/testdata/bad/mappings.bad.yaml"}, true,
			[]string{"mappings.bad.yaml:9:24: error: rules[0].atlas[1]: \"AML.T9999\" is not a technique of MITRE ATLAS"}},
		{"lint warnings are fatal with --strict", []string{"rules", "lint", "--strict", "--now", "2026-07-15", "../../rules/testdata/lint"}, true,
			[]string{"warning: rule lint-expired: exception old-pipeline expired on 2026-06-30"}},
		{"test a failing expectation", []string{"rules", "test", "../../rules/testdata/failing"}, true,
			[]string{"FAIL wrong-expectations: expects an alert that does not come", "got 0 alerts, want 1", "1 passed, 3 failed"}},
		{"test the engine's rules", []string{"rules", "test", "-v", "../../rules/testdata/rules"}, false,
			[]string{"PASS test-weights-then-service-account: fires on the two steps in order", " 0 failed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := runRoot(t, tc.args...)
			if (err != nil) != tc.fails {
				t.Errorf("err = %v, want failure %v\n%s", err, tc.fails, out)
			}
			for _, want := range tc.outputs {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// TestDetectCommand shows detect running the whole chain in process over
// raw log files: every alert a valid OCSF finding on its own line, and a
// summary of records, events and alerts.
func TestDetectCommand(t *testing.T) {
	files, err := filepath.Glob("../../ingest/cloudtrail/testdata/*.in.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no CloudTrail samples: %v", err)
	}
	t.Setenv("AITDR_LOG_LEVEL", "error")
	out, summary, err := runRoot(t, append([]string{"detect"}, files...)...)
	if err != nil {
		t.Fatalf("detect: %v\n%s", err, summary)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if out == "" || len(lines) == 0 {
		t.Fatalf("no alerts on the CloudTrail samples; summary:\n%s", summary)
	}
	for _, line := range lines {
		var f ocsf.DetectionFinding
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("alert line is not JSON: %v", err)
		}
		if err := f.Validate(); err != nil {
			t.Errorf("alert %s breaks the alert contract: %v", f.FindingInfo.UID, err)
		}
	}
	if !strings.Contains(summary, "detect: ") || !strings.Contains(summary, " alerts") {
		t.Errorf("summary:\n%s", summary)
	}
}
