// Package aiapps recognizes AI SaaS applications by the names identity
// providers give them in their app catalogs (Okta app instances, Entra
// applications), so that a sign-in to one carries its AI context. The
// enrich stage's AI service catalog is the fuller, configurable list; this
// one only lets the IdP sources mark what they can see in a record.
package aiapps

import "strings"

// App is an AI SaaS application.
type App struct {
	// Provider is the schemas.AIContext.Provider of the app.
	Provider string
	// Service is the schemas.AIContext.Service of the app.
	Service string
}

// apps are checked in order: the more specific names first.
var apps = []struct {
	match string // lower-case substring of the app's name
	App
}{
	{"chatgpt", App{"openai", "chatgpt"}},
	{"azure openai", App{"azure.openai", "azure_openai"}},
	{"openai", App{"openai", "openai_platform"}},
	{"claude", App{"anthropic", "claude"}},
	{"anthropic", App{"anthropic", "claude"}},
	{"github copilot", App{"github", "copilot"}},
	{"copilot", App{"microsoft", "copilot"}},
	{"gemini", App{"google", "gemini"}},
	{"notebooklm", App{"google", "notebooklm"}},
	{"perplexity", App{"perplexity", "perplexity"}},
	{"hugging face", App{"huggingface", "huggingface"}},
	{"huggingface", App{"huggingface", "huggingface"}},
	{"mistral", App{"mistral", "le_chat"}},
	{"cohere", App{"cohere", "cohere"}},
	{"cursor", App{"anysphere", "cursor"}},
	{"midjourney", App{"midjourney", "midjourney"}},
}

// Lookup returns the AI application an app catalog names name, if it is
// one; the match is a case-insensitive substring, most specific first.
func Lookup(name string) (App, bool) {
	if name == "" {
		return App{}, false
	}
	lower := strings.ToLower(name)
	for _, a := range apps {
		if strings.Contains(lower, a.match) {
			return a.App, true
		}
	}
	return App{}, false
}
