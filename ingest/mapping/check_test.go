package mapping_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/ingest/ingesttest"
	"github.com/aitdr/aitdr/ingest/mapping"
)

// TestCheck shows the report of a sample that does not fully map: the
// value of every field, the paths the sample lacks, the field whose value
// the mapping cannot take, and the rule that matched. The text form is a
// golden file (testdata/acme/check_sample.report.txt).
func TestCheck(t *testing.T) {
	sample, err := os.ReadFile("testdata/acme/check_sample.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := mapping.Check("testdata/acme/mapping.yaml", sample)
	if err != nil {
		t.Fatal(err)
	}
	field := func(target string) *mapping.FieldReport {
		for _, f := range r.Fields {
			if f.Target == target {
				return f
			}
		}
		t.Fatalf("no report of %s", target)
		return nil
	}
	want(t, "detect", r.Detect, `matched: $.schema equals "acme.v1"`)
	want(t, "category", r.Category, `rule 2 matched: when $.event in ["model.call", "model.stream"]`)
	want(t, "identity.id", field("identity.id").Value, "acme:acme-prod:u-2077")
	want(t, "identity.kind", field("identity.kind").Value, "unknown")
	want(t, "outcome", field("outcome").Value, "unknown")
	want(t, "session.mfa problem", field("session.mfa").Problem, `"sometimes" is not a boolean`)
	want(t, "identity.email missing", strings.Join(field("identity.email").Missing, ","), "$.user.email")
	want(t, "action.verb", field("action.verb").Source, "category rule 2")
	want(t, "error", r.Error, `$.auth.mfa: "sometimes" is not a boolean`)
	if r.Event != nil {
		t.Error("a report of a failing sample has an event")
	}
	for _, p := range []string{"$.bytes", "$.error.code", "$.usage.completion_tokens", "$.user.email"} {
		if !strings.Contains(strings.Join(r.Missing, " "), p) {
			t.Errorf("missing lacks %s: %v", p, r.Missing)
		}
	}

	ingesttest.CheckGolden(t, "testdata/acme/check_sample.report.txt", []byte(r.String()))
	if _, err := json.Marshal(r); err != nil {
		t.Errorf("report does not marshal: %v", err)
	}
}

// TestCheckGoodSample shows a sample that maps fully: an event, no
// missing paths for the required fields, and the delivery split first.
func TestCheckGoodSample(t *testing.T) {
	sample, err := os.ReadFile("testdata/acme/export_page.in.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := mapping.Check("testdata/acme/mapping.yaml", sample)
	if err != nil {
		t.Fatal(err)
	}
	want(t, "split", r.Split, "the sample holds 2 records at $.events; the first is checked")
	want(t, "error", r.Error, "")
	if r.Event == nil || r.Event.Action.Name != "apikey.create" {
		t.Fatalf("event = %+v", r.Event)
	}
	if !strings.Contains(r.String(), "the sample normalizes to") {
		t.Errorf("text report:\n%s", r)
	}
}

// TestCheckBadMapping shows Check returning the mapping's load errors.
func TestCheckBadMapping(t *testing.T) {
	if _, err := mapping.Check("testdata/unknown_key.bad.yaml", []byte(`{}`)); err == nil || !strings.Contains(err.Error(), `unknown key "pth"`) {
		t.Errorf("error = %v", err)
	}
}
