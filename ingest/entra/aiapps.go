package entra

import "strings"

// aiApp is an AI SaaS application recognized by its name in the identity
// provider's app catalog.
type aiApp struct {
	match    string // lower-case substring of the app's name
	provider string // schemas.AIContext.Provider
	service  string // schemas.AIContext.Service
}

// aiApps are checked in order: the more specific names first.
var aiApps = []aiApp{
	{"chatgpt", "openai", "chatgpt"},
	{"azure openai", "azure.openai", "azure_openai"},
	{"openai", "openai", "openai_platform"},
	{"claude", "anthropic", "claude"},
	{"anthropic", "anthropic", "claude"},
	{"github copilot", "github", "copilot"},
	{"copilot", "microsoft", "copilot"},
	{"gemini", "google", "gemini"},
	{"notebooklm", "google", "notebooklm"},
	{"perplexity", "perplexity", "perplexity"},
	{"hugging face", "huggingface", "huggingface"},
	{"huggingface", "huggingface", "huggingface"},
	{"mistral", "mistral", "le_chat"},
	{"cohere", "cohere", "cohere"},
	{"cursor", "anysphere", "cursor"},
	{"midjourney", "midjourney", "midjourney"},
}

// aiAppOf returns the AI application named name, if it is one.
func aiAppOf(name string) (aiApp, bool) {
	if name == "" {
		return aiApp{}, false
	}
	lower := strings.ToLower(name)
	for _, a := range aiApps {
		if strings.Contains(lower, a.match) {
			return a, true
		}
	}
	return aiApp{}, false
}
