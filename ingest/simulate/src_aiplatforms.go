package simulate

import (
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// OpenAI organization audit logs and usage rows, and Anthropic activity
// feed entries and usage report rows.

type openaiAudit struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	EffectiveAt int64          `json:"effective_at"`
	Project     *openaiProject `json:"project,omitempty"`
	Actor       openaiActor    `json:"actor"`
}

type openaiProject struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type openaiActor struct {
	Type    string        `json:"type"`
	Session openaiSession `json:"session"`
}

type openaiSession struct {
	User      openaiUser      `json:"user"`
	IPAddress string          `json:"ip_address"`
	UserAgent string          `json:"user_agent"`
	IPDetails openaiIPDetails `json:"ip_address_details"`
}

type openaiUser struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

type openaiIPDetails struct {
	Country string `json:"country"`
	ASN     string `json:"asn"`
}

// openaiAuditRecord is openaiAudit with its type-specific object, which
// OpenAI keys by the type name.
type openaiAuditRecord struct {
	openaiAudit
	LoginSucceeded *struct{}       `json:"login.succeeded,omitempty"`
	APIKeyCreated  *openaiKeyEvent `json:"api_key.created,omitempty"`
}

type openaiKeyEvent struct {
	ID   string         `json:"id"`
	Data map[string]any `json:"data"`
}

// openaiLogin is a person signing in to the OpenAI platform.
func (g *engine) openaiLogin(r rng, t time.Time, p *person) Record {
	ip, asn, _ := p.network(r, t)
	a := openaiAuditRecord{
		openaiAudit: openaiAudit{
			ID: "audit_log-" + r.hex(12) + "_" + t.UTC().Format("20060102"), Type: "login.succeeded", EffectiveAt: t.Unix(),
			Actor: openaiActor{Type: "session", Session: openaiSession{
				User: openaiUser{ID: p.openaiID, Email: p.email}, IPAddress: ip, UserAgent: p.browser,
				IPDetails: openaiIPDetails{Country: countryCode(p.rhythm.zone), ASN: itoa(asn)},
			}},
		},
		LoginSucceeded: &struct{}{},
	}
	return g.record(schemas.ProductOpenAI, t, t.Truncate(time.Second), a.ID, p.openaiIdentity(&g.cfg.Tenants), schemas.CategoryAuthentication, a)
}

// openaiKeyCreated is a person creating a project API key.
func (g *engine) openaiKeyCreated(r rng, t time.Time, p *person, project *Tenant) Record {
	ip, asn, _ := p.network(r, t)
	a := openaiAuditRecord{
		openaiAudit: openaiAudit{
			ID: "audit_log-" + r.hex(12) + "_" + t.UTC().Format("20060102"), Type: "api_key.created", EffectiveAt: t.Unix(),
			Project: &openaiProject{ID: project.ID, Name: project.Name},
			Actor: openaiActor{Type: "session", Session: openaiSession{
				User: openaiUser{ID: p.openaiID, Email: p.email}, IPAddress: ip, UserAgent: p.browser,
				IPDetails: openaiIPDetails{Country: countryCode(p.rhythm.zone), ASN: itoa(asn)},
			}},
		},
		APIKeyCreated: &openaiKeyEvent{ID: "key_" + r.chars(base62, 16), Data: map[string]any{"scopes": []string{"api.model.request"}}},
	}
	return g.record(schemas.ProductOpenAI, t, t.Truncate(time.Second), a.ID, p.openaiIdentity(&g.cfg.Tenants), schemas.CategorySecretAccess, a)
}

type openaiUsageRow struct {
	StartTime         int64   `json:"start_time"`
	EndTime           int64   `json:"end_time"`
	Object            string  `json:"object"`
	InputTokens       int     `json:"input_tokens"`
	OutputTokens      int     `json:"output_tokens"`
	InputCachedTokens int     `json:"input_cached_tokens"`
	NumModelRequests  int     `json:"num_model_requests"`
	ProjectID         string  `json:"project_id"`
	UserID            *string `json:"user_id"`
	APIKeyID          *string `json:"api_key_id"`
	Model             string  `json:"model"`
	Batch             bool    `json:"batch"`
	ServiceTier       string  `json:"service_tier"`
}

// openaiUsage is the completions usage of one user or key in the hour
// that t falls in, reported at t.
func (g *engine) openaiUsage(r rng, at time.Time, project, model, identity string, userID, keyID *string, requests int) Record {
	bucket := at.Truncate(time.Hour)
	in := requests * int(r.logNormal(900, 0.6))
	row := openaiUsageRow{
		StartTime: bucket.Unix(), EndTime: bucket.Add(time.Hour).Unix(),
		Object:      "organization.usage.completions.result",
		InputTokens: in, OutputTokens: in / r.between(4, 12), InputCachedTokens: in / r.between(3, 20),
		NumModelRequests: requests, ProjectID: project, UserID: userID, APIKeyID: keyID,
		Model: model, ServiceTier: "default",
	}
	return g.record(schemas.ProductOpenAI, at, bucket, "", identity, schemas.CategoryModelInference, row)
}

type anthropicActivity struct {
	ID               string         `json:"id"`
	CreatedAt        string         `json:"created_at"`
	OrganizationID   string         `json:"organization_id"`
	OrganizationUUID string         `json:"organization_uuid"`
	Actor            anthropicActor `json:"actor"`
	Type             string         `json:"type"`
	ClaudeChatID     string         `json:"claude_chat_id,omitempty"`
	ClaudeProjectID  string         `json:"claude_project_id,omitempty"`
}

type anthropicActor struct {
	Type         string `json:"type"`
	EmailAddress string `json:"email_address"`
	UserID       string `json:"user_id"`
	IPAddress    string `json:"ip_address"`
	UserAgent    string `json:"user_agent"`
}

// claudeChat is a person starting a chat in Claude for Work.
func (g *engine) claudeChat(r rng, t time.Time, p *person) Record {
	ip, _, _ := p.network(r, t)
	a := anthropicActivity{
		ID:               "activity_01" + r.chars(base62, 22),
		CreatedAt:        t.UTC().Format(time.RFC3339),
		OrganizationID:   g.cfg.Tenants.AnthropicOrg,
		OrganizationUUID: stableUUID(g.cfg.Seed, "anthropic-org"),
		Actor: anthropicActor{Type: "user_actor", EmailAddress: p.email, UserID: "user_01" + stableID(g.cfg.Seed, "claude:"+p.id, 22),
			IPAddress: ip, UserAgent: p.browser},
		Type:         "claude_chat_created",
		ClaudeChatID: "claude_chat_01" + r.chars(base62, 22),
	}
	return g.record(schemas.ProductAnthropic, t, t.Truncate(time.Second), a.ID, p.claudeIdentity(&g.cfg.Tenants), schemas.CategoryModelInference, a)
}

type anthropicUsageRow struct {
	StartingAt           string         `json:"starting_at"`
	EndingAt             string         `json:"ending_at"`
	UncachedInputTokens  int            `json:"uncached_input_tokens"`
	CacheCreation        map[string]int `json:"cache_creation"`
	CacheReadInputTokens int            `json:"cache_read_input_tokens"`
	OutputTokens         int            `json:"output_tokens"`
	APIKeyID             string         `json:"api_key_id"`
	WorkspaceID          string         `json:"workspace_id"`
	Model                string         `json:"model"`
	ServiceTier          string         `json:"service_tier"`
	ContextWindow        string         `json:"context_window"`
}

// anthropicUsage is the Messages usage of an API key in the hour that t
// falls in, reported at t.
func (g *engine) anthropicUsage(r rng, at time.Time, c *credential, model string) Record {
	bucket := at.Truncate(time.Hour)
	in := int(r.logNormal(40000, 0.7))
	row := anthropicUsageRow{
		StartingAt: bucket.UTC().Format(time.RFC3339), EndingAt: bucket.Add(time.Hour).UTC().Format(time.RFC3339),
		UncachedInputTokens: in, CacheCreation: map[string]int{"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": in / 10},
		CacheReadInputTokens: in / 4, OutputTokens: in / r.between(5, 15),
		APIKeyID: c.apiKeyID, WorkspaceID: c.workspace.ID, Model: model, ServiceTier: "standard", ContextWindow: "0-200k",
	}
	return g.record(schemas.ProductAnthropic, at, bucket, "", c.identity, schemas.CategoryModelInference, row)
}

type claudeCodeRow struct {
	Actor          claudeCodeActor  `json:"actor"`
	CoreMetrics    map[string]any   `json:"core_metrics"`
	CustomerType   string           `json:"customer_type"`
	Date           string           `json:"date"`
	ModelBreakdown []map[string]any `json:"model_breakdown"`
	OrganizationID string           `json:"organization_id"`
	TerminalType   string           `json:"terminal_type"`
	ToolActions    map[string]any   `json:"tool_actions"`
}

type claudeCodeActor struct {
	EmailAddress string `json:"email_address"`
	Type         string `json:"type"`
}

// claudeCode is a person's Claude Code usage of the day before at.
func (g *engine) claudeCode(r rng, at time.Time, p *person) Record {
	day := at.UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
	in := int(r.logNormal(30000, 0.8))
	row := claudeCodeRow{
		Actor: claudeCodeActor{EmailAddress: p.email, Type: "user_actor"},
		CoreMetrics: map[string]any{"commits_by_claude_code": r.IntN(4), "num_sessions": r.between(1, 8),
			"pull_requests_by_claude_code": r.IntN(2), "lines_of_code": map[string]int{"added": r.IntN(900), "removed": r.IntN(300)}},
		CustomerType: "subscription",
		Date:         day.Format("2006-01-02"),
		ModelBreakdown: []map[string]any{{"model": anthropicModels[0],
			"estimated_cost": map[string]any{"amount": in / 20, "currency": "USD"},
			"tokens":         map[string]int{"cache_creation": 0, "cache_read": in / 3, "input": in, "output": in / 5}}},
		OrganizationID: g.cfg.Tenants.AnthropicOrg,
		TerminalType:   "vscode",
		ToolActions:    map[string]any{"edit_tool": map[string]int{"accepted": r.IntN(40), "rejected": r.IntN(5)}},
	}
	return g.record(schemas.ProductAnthropic, at, day, "", p.claudeIdentity(&g.cfg.Tenants), schemas.CategoryModelInference, row)
}
