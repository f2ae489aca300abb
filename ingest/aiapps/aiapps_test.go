package aiapps_test

import (
	"testing"

	"github.com/aitdr/aitdr/ingest/aiapps"
)

// TestLookup shows specific names win over general ones and unrelated apps
// are not taken for AI.
func TestLookup(t *testing.T) {
	tests := []struct {
		name string
		want aiapps.App
		ok   bool
	}{
		{"ChatGPT Enterprise", aiapps.App{Provider: "openai", Service: "chatgpt"}, true},
		{"Azure OpenAI Service", aiapps.App{Provider: "azure.openai", Service: "azure_openai"}, true},
		{"OpenAI API", aiapps.App{Provider: "openai", Service: "openai_platform"}, true},
		{"GitHub Copilot Business", aiapps.App{Provider: "github", Service: "copilot"}, true},
		{"Microsoft 365 Copilot", aiapps.App{Provider: "microsoft", Service: "copilot"}, true},
		{"Claude for Work", aiapps.App{Provider: "anthropic", Service: "claude"}, true},
		{"Salesforce", aiapps.App{}, false},
		{"", aiapps.App{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := aiapps.Lookup(tt.name)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("Lookup(%q) = %+v, %v; want %+v, %v", tt.name, got, ok, tt.want, tt.ok)
			}
		})
	}
}
