package simulate

// The word lists the population and its records are drawn from. Every
// address is in a documentation range (RFC 5737, RFC 3849) or private, and
// every autonomous system number in a documentation range (RFC 5398), so
// that no simulated record points at a real network.

var firstNames = []string{
	"Aisha", "Alex", "Amara", "Ana", "Arjun", "Ben", "Bianca", "Carlos", "Chen", "Chloe",
	"Dana", "Daniel", "Diego", "Elena", "Emma", "Farah", "Felix", "Grace", "Hana", "Hugo",
	"Ines", "Isaac", "Ivan", "Jade", "James", "Jonas", "Julia", "Kai", "Kenji", "Lara",
	"Leo", "Lina", "Lucas", "Maya", "Marco", "Mei", "Mia", "Nadia", "Noah", "Nora",
	"Omar", "Olivia", "Pablo", "Priya", "Quinn", "Rafael", "Rosa", "Sam", "Sara", "Sofia",
	"Tariq", "Tess", "Theo", "Uma", "Victor", "Wen", "Yara", "Yusuf", "Zoe", "Zara",
}

var lastNames = []string{
	"Adams", "Alvarez", "Becker", "Brooks", "Chandra", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia",
	"Hansen", "Ibrahim", "Ito", "Jensen", "Kaur", "Kim", "Kowalski", "Lee", "Lopez", "Martin",
	"Meyer", "Moreau", "Nakamura", "Natarajan", "Novak", "Okafor", "Ortiz", "Patel", "Petrov", "Quinn",
	"Rossi", "Santos", "Schmidt", "Silva", "Singh", "Tanaka", "Torres", "Varga", "Wagner", "Wang",
	"Weber", "Williams", "Wong", "Yilmaz", "Zhang",
}

var consumerMailDomains = []string{"gmail.com", "outlook.com", "proton.me", "icloud.com", "yahoo.com"}

var titles = map[role][]string{
	roleUser:    {"Analyst", "Account Executive", "Support Specialist", "Product Manager", "Marketing Manager", "Financial Analyst", "Recruiter", "Designer"},
	roleBuilder: {"ML Engineer", "Data Scientist", "Applied Scientist", "MLOps Engineer", "Research Engineer"},
	roleHuman:   {"Software Engineer", "Site Reliability Engineer", "Office Manager", "Legal Counsel", "Controller", "Facilities Lead"},
}

// aiApp is an AI SaaS application people sign in to through their
// identity provider, with the name the IdP's app catalog gives it.
type aiApp struct {
	name    string // app catalog name (Okta app instance, Entra application)
	service string // AI service, as ingest/aiapps names it
}

// sanctionedApps are the AI applications the simulated organization
// licenses and manages through SSO.
var sanctionedApps = []aiApp{
	{"ChatGPT Enterprise", "chatgpt"},
	{"Claude for Work", "claude"},
	{"GitHub Copilot", "copilot"},
	{"Microsoft 365 Copilot", "copilot"},
	{"Gemini for Workspace", "gemini"},
}

// shadowApps are AI applications people use without the organization
// having sanctioned them (shadow AI).
var shadowApps = []aiApp{
	{"Perplexity Pro", "perplexity"},
	{"Midjourney", "midjourney"},
	{"Hugging Face", "huggingface"},
	{"Mistral Le Chat", "le_chat"},
	{"Cursor", "cursor"},
}

// sanctionedServices are the AI services the simulated organization
// sanctions, by the ids of the enrich stage's AI service catalog: the SSO
// apps it licenses (sanctionedApps), its own OpenAI organization and
// Anthropic workspaces with Claude Code, and its LiteLLM gateway. The
// shadow apps are left out: the catalog holds third-party services
// unsanctioned until a deployment says otherwise.
var sanctionedServices = []string{
	"chatgpt", "claude", "github_copilot", "microsoft_copilot", "gemini",
	"openai_api", "anthropic_api", "claude_code", "litellm",
}

// SanctionedServices returns the AI service catalog ids the simulated
// organization sanctions: what enrich.catalog.sanctioned says for it.
func SanctionedServices() []string {
	return append([]string(nil), sanctionedServices...)
}

// ShadowServices returns the AI services the simulated users use without
// sanction, as ingest/aiapps names them, for the enrich stage's service
// catalog and the eval's checks.
func ShadowServices() []string {
	out := make([]string, len(shadowApps))
	for i, a := range shadowApps {
		out[i] = a.service
	}
	return out
}

// workApps are applications without AI that everyone signs in to.
var workApps = []string{"Slack", "Salesforce", "Workday", "Zoom", "Jira", "Confluence", "Google Workspace", "Box"}

// gatewayModels are the models the AI gateway routes to: model, provider
// (LiteLLM's custom_llm_provider) and the provider's API base.
var gatewayModels = []struct{ model, provider, apiBase string }{
	{"gpt-4o", "azure", "https://acme-openai-eu.openai.azure.com/"},
	{"gpt-4o-mini", "openai", "https://api.openai.com/v1"},
	{"claude-sonnet-4-20250514", "anthropic", "https://api.anthropic.com"},
	{"gemini-2.0-flash", "vertex_ai", "https://us-central1-aiplatform.googleapis.com"},
	{"bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0", "bedrock", "https://bedrock-runtime.us-east-1.amazonaws.com"},
}

// bedrockModels are Amazon Bedrock foundation models.
var bedrockModels = []string{
	"anthropic.claude-3-5-sonnet-20240620-v1:0",
	"anthropic.claude-3-haiku-20240307-v1:0",
	"amazon.nova-pro-v1:0",
	"meta.llama3-1-70b-instruct-v1:0",
}

// bedrockEmbedModel is the embedding model RAG indexers call.
const bedrockEmbedModel = "amazon.titan-embed-text-v2:0"

// llmjackingModels are the models an attacker with a stolen key asks for:
// the most expensive ones.
var llmjackingModels = []string{
	"anthropic.claude-3-opus-20240229-v1:0",
	"anthropic.claude-3-5-sonnet-20240620-v1:0",
	"anthropic.claude-3-7-sonnet-20250219-v1:0",
	"meta.llama3-1-405b-instruct-v1:0",
	"mistral.mistral-large-2407-v1:0",
}

var vertexModels = []string{"gemini-2.0-flash-001", "gemini-1.5-pro-002", "text-embedding-005"}

var openAIModels = []string{"gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "text-embedding-3-small"}

var anthropicModels = []string{"claude-sonnet-4-20250514", "claude-3-5-haiku-20241022"}

var awsRegions = []string{"us-east-1", "us-west-2", "eu-central-1"}

// browserAgents are the user agents of people's browsers.
var browserAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
	"Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
}

// Networks. Offices sit in the three IPv4 documentation prefixes; people
// at home and workloads in the cloud use private addresses or their own
// part of those prefixes; attackers come from a part no one else uses.
const (
	netOfficeAmericas = "198.51.100" // hosts 10-99
	netOfficeEurope   = "203.0.113"  // hosts 10-99
	netOfficeAsia     = "192.0.2"    // hosts 10-99
	netAttacker       = "203.0.113"  // hosts 200-250, no one else's
	asnOffice         = 64500
	asnHomeFirst      = 64501 // home ISPs: 64501-64505
	asnCloud          = 64510
	asnAttacker       = 65540
)

// officeNet returns the office prefix of a time zone offset.
func officeNet(offsetHours float64) string {
	switch {
	case offsetHours <= -3:
		return netOfficeAmericas
	case offsetHours <= 3:
		return netOfficeEurope
	}
	return netOfficeAsia
}

// Prompt parts. They hold no digits, addresses, keys or classification
// labels, so that the content scanner finds nothing in a benign prompt;
// the tests check it.
var (
	promptAsks = []string{
		"Summarise", "Rewrite", "Explain", "Draft", "Translate into German", "Review", "Outline",
		"Shorten", "Give three options for", "Proofread", "Turn into bullet points",
	}
	promptSubjects = []string{
		"the notes from this morning's planning meeting",
		"this customer email about a delayed shipment",
		"the release announcement for the new dashboard",
		"a polite reply declining the vendor's proposal",
		"the onboarding checklist for new support agents",
		"this Python function that parses dates",
		"the pros and cons of moving the reports to a weekly cadence",
		"the agenda for the quarterly business review",
		"a job description for a senior data engineer",
		"this SQL query that joins orders and refunds",
		"the feedback from the last customer survey",
		"a status update for the migration project",
		"the troubleshooting steps for a login loop in the mobile app",
		"the key points of the attached market report",
	}
	promptStyles = []string{
		"", " Keep it short.", " Use a friendly tone.", " Make it suitable for executives.",
		" Write it in plain language.", " Keep the technical terms.",
	}
	agentTasks = []string{
		"Classify the ticket and draft a reply.",
		"Extract the product names and the requested action.",
		"Answer the question using the retrieved passages only.",
		"Decide which team should handle this request.",
		"Summarise the conversation for the handover note.",
	}
	agentInputs = []string{
		"The customer cannot reset the password since the last update.",
		"Invoice totals differ between the portal and the exported report.",
		"The nightly sync stopped after the schema change.",
		"A user asks how to export their dashboard as a slide deck.",
		"The mobile app shows an empty list after login.",
	}
)
