package glob_test

import (
	"testing"

	"github.com/aitdr/aitdr/internal/glob"
)

// TestMatch shows stars match any run, question marks one character, and
// everything else only itself.
func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"bedrock-runtime.*.amazonaws.com", "bedrock-runtime.us-east-1.amazonaws.com", true},
		{"bedrock-runtime.*.amazonaws.com", "bedrock-runtime.amazonaws.com", false},
		{"*.openai.azure.com", "acme-eastus.openai.azure.com", true},
		{"*.openai.azure.com", "openai.azure.com", false},
		{"google.cloud.aiplatform.*.PredictionService.*", "google.cloud.aiplatform.v1.PredictionService.Predict", true},
		{"google.cloud.aiplatform.*.PredictionService.*", "google.cloud.aiplatform.v1.JobService.CreateCustomJob", false},
		{"acme-ml-??v", "acme-ml-dev", true},
		{"*", "", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"exact", "exact", true},
		{"exact", "exact2", false},
		{"", "", true},
		{"", "x", false},
	}
	for _, tt := range tests {
		if got := glob.Match(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

// TestTable shows exact keys win over patterns and patterns match in the
// order they were added.
func TestTable(t *testing.T) {
	var tb glob.Table[string]
	tb.Add("acme-*", "dev")
	tb.Add("acme-ml-prod", "prod")
	tb.Add("acme-ml-*", "staging")
	if tb.Add("acme-ml-prod", "other") {
		t.Error("a repeated exact key was added")
	}
	for s, want := range map[string]string{"acme-ml-prod": "prod", "acme-ml-test": "dev", "acme-x": "dev"} {
		if got, ok := tb.Lookup(s); !ok || got != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", s, got, ok, want)
		}
	}
	if _, ok := tb.Lookup("other"); ok {
		t.Error("Lookup(other) matched")
	}
	if tb.Len() != 3 {
		t.Errorf("Len = %d, want 3", tb.Len())
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("a*b?c", "axxbyc")
	f.Add("***", "")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		got := glob.Match(pattern, s)
		if !glob.IsPattern(pattern) && got != (pattern == s) {
			t.Fatalf("Match(%q, %q) = %v without wildcards", pattern, s, got)
		}
		// Every pattern matches its own text: "*" and "?" match themselves.
		if !glob.Match(s, s) {
			t.Fatalf("%q does not match itself", s)
		}
	})
}

func TestMatchRunes(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"caf?", "café", true},
		{"*é", "cafeé", true},
		{"??", "é", false},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
	} {
		if got := glob.Match(c.pattern, c.s); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}
