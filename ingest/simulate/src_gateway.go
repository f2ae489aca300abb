package simulate

import (
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// AI gateway logs: LiteLLM spend log rows (people through the gateway,
// with the prompt when the gateway stores prompts), LiteLLM standard
// logging payloads (agents' virtual keys), and the generic proxy log of
// the organization's egress proxy (calls to consumer AI endpoints).

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type litellmSpendLog struct {
	RequestID         string          `json:"request_id"`
	CallType          string          `json:"call_type"`
	APIKey            string          `json:"api_key"`
	Spend             float64         `json:"spend"`
	TotalTokens       int             `json:"total_tokens"`
	PromptTokens      int             `json:"prompt_tokens"`
	CompletionTokens  int             `json:"completion_tokens"`
	StartTime         string          `json:"startTime"`
	EndTime           string          `json:"endTime"`
	Model             string          `json:"model"`
	ModelGroup        string          `json:"model_group"`
	CustomLLMProvider string          `json:"custom_llm_provider"`
	APIBase           string          `json:"api_base"`
	User              string          `json:"user"`
	Metadata          litellmMetadata `json:"metadata"`
	CacheHit          string          `json:"cache_hit"`
	RequestTags       []string        `json:"request_tags"`
	TeamID            string          `json:"team_id"`
	EndUser           string          `json:"end_user"`
	RequesterIP       string          `json:"requester_ip_address"`
	Messages          []chatMessage   `json:"messages"`
	Response          map[string]any  `json:"response"`
	SessionID         string          `json:"session_id,omitempty"`
	Status            string          `json:"status"`
}

type litellmMetadata struct {
	UserAPIKey   string   `json:"user_api_key,omitempty"`
	KeyHash      string   `json:"user_api_key_hash,omitempty"`
	KeyAlias     string   `json:"user_api_key_alias"`
	TeamID       string   `json:"user_api_key_team_id"`
	TeamAlias    string   `json:"user_api_key_team_alias,omitempty"`
	UserID       string   `json:"user_api_key_user_id"`
	UserEmail    string   `json:"user_api_key_user_email,omitempty"`
	OrgID        string   `json:"user_api_key_org_id,omitempty"`
	RequestRoute string   `json:"user_api_key_request_route"`
	RequesterIP  string   `json:"requester_ip_address"`
	UserAgent    string   `json:"user_agent,omitempty"`
	Tags         []string `json:"tags,omitempty"`
	Status       string   `json:"status,omitempty"`
}

// litellmTime is the time format of spend log rows.
const litellmTime = "2006-01-02T15:04:05.000000Z"

// gatewayChat is a person's chat completion through the gateway under the
// user name user (their corporate or personal e-mail), with messages.
func (g *engine) gatewayChat(r rng, t time.Time, p *person, user, identity string, messages []chatMessage, category schemas.Category) Record {
	gm := pick(r, gatewayModels)
	keyHash := stableHex(g.cfg.Seed, "gateway-key:"+user, 64)
	in := 0
	for _, msg := range messages {
		in += len(msg.Content) / 4
	}
	in += r.between(20, 200)
	out := int(r.logNormal(220, 0.6))
	dur := time.Duration(400+r.IntN(4000)) * time.Millisecond
	ip := p.officeIP
	if !p.rhythm.working(t) {
		ip = p.homeIP
	}
	row := litellmSpendLog{
		RequestID:         "chatcmpl-" + r.uuid(),
		CallType:          "acompletion",
		APIKey:            keyHash,
		Spend:             float64(in+out*3) / 1e6,
		TotalTokens:       in + out,
		PromptTokens:      in,
		CompletionTokens:  out,
		StartTime:         t.UTC().Format(litellmTime),
		EndTime:           t.Add(dur).UTC().Format(litellmTime),
		Model:             gm.model,
		ModelGroup:        gm.model,
		CustomLLMProvider: gm.provider,
		APIBase:           gm.apiBase,
		User:              user,
		Metadata: litellmMetadata{
			UserAPIKey: keyHash, KeyAlias: p.login + "-laptop", TeamID: "team-" + p.team, TeamAlias: p.team,
			UserID: user, OrgID: "org-" + g.pop.prefix, RequestRoute: "/chat/completions", RequesterIP: ip, Status: "success",
		},
		CacheHit:    "False",
		RequestTags: []string{"chat"},
		TeamID:      "team-" + p.team,
		RequesterIP: ip,
		Messages:    messages,
		Response: map[string]any{"object": "chat.completion", "model": gm.model,
			"choices": []map[string]any{{"index": 0, "finish_reason": "stop", "message": chatMessage{Role: "assistant", Content: "Here is a draft you can adapt."}}},
			"usage":   map[string]int{"prompt_tokens": in, "completion_tokens": out, "total_tokens": in + out}},
		SessionID: "sess-" + r.hex(6),
		Status:    "success",
	}
	return g.record(schemas.ProductAIGateway, t, t, row.RequestID, identity, category, row)
}

// benignPrompt returns the messages of an everyday request.
func benignPrompt(r rng) []chatMessage {
	return []chatMessage{
		{Role: "system", Content: "You are a helpful assistant for the company's employees."},
		{Role: "user", Content: pick(r, promptAsks) + " " + pick(r, promptSubjects) + "." + pick(r, promptStyles)},
	}
}

type litellmPayload struct {
	ID               string          `json:"id"`
	TraceID          string          `json:"trace_id"`
	CallType         string          `json:"call_type"`
	ResponseCost     float64         `json:"response_cost"`
	Status           string          `json:"status"`
	TotalTokens      int             `json:"total_tokens"`
	PromptTokens     int             `json:"prompt_tokens"`
	CompletionTokens int             `json:"completion_tokens"`
	StartTime        float64         `json:"startTime"`
	EndTime          float64         `json:"endTime"`
	Model            string          `json:"model"`
	ModelGroup       string          `json:"model_group"`
	APIBase          string          `json:"api_base"`
	Metadata         litellmMetadata `json:"metadata"`
	RequestTags      []string        `json:"request_tags"`
	Messages         []chatMessage   `json:"messages"`
	MCPToolName      string          `json:"mcp_namespaced_tool_name,omitempty"`
	Response         map[string]any  `json:"response"`
}

// gatewayAgentCall is an agent's call through the gateway with its
// virtual key: a completion, or an MCP tool call.
func (g *engine) gatewayAgentCall(r rng, t time.Time, a *agent, tool bool) Record {
	c := a.cred
	gm := gatewayModels[0]
	for _, x := range gatewayModels {
		if x.model == a.models[0] {
			gm = x
		}
	}
	in := int(r.logNormal(1800, 0.5))
	out := int(r.logNormal(250, 0.5))
	callType, category := "acompletion", schemas.CategoryModelInference
	messages := []chatMessage{{Role: "system", Content: pick(r, agentTasks)}, {Role: "user", Content: pick(r, agentInputs)}}
	tool_ := ""
	if tool {
		callType, category, tool_ = "call_mcp_tool", schemas.CategoryOther, "tickets-lookup_ticket"
		messages = nil
	}
	// The key's team and user are the key's, set when it was issued to
	// its agent, whichever workload holds it now.
	holder := c.shared[0]
	owner := ""
	if holder.owner != nil {
		owner = holder.owner.email
	}
	dur := 0.4 + r.Float64()*3
	start := float64(t.UnixMilli()) / 1000
	row := litellmPayload{
		ID:               r.uuid(),
		TraceID:          "trace-" + a.name + "-" + r.hex(6),
		CallType:         callType,
		ResponseCost:     float64(in+out*4) / 1e6,
		Status:           "success",
		TotalTokens:      in + out,
		PromptTokens:     in,
		CompletionTokens: out,
		StartTime:        start,
		EndTime:          start + float64(int(dur*1000))/1000,
		Model:            gm.model,
		ModelGroup:       gm.model,
		APIBase:          gm.apiBase,
		Metadata: litellmMetadata{
			KeyHash: c.keyHash, KeyAlias: c.alias, TeamID: "team-" + holder.team, TeamAlias: holder.team, UserID: owner, UserEmail: owner,
			RequestRoute: "/v1/chat/completions", RequesterIP: a.ip, UserAgent: a.userAgent, Tags: []string{"agent", holder.team},
		},
		RequestTags: []string{"agent", holder.team},
		Messages:    messages,
		MCPToolName: tool_,
		Response:    map[string]any{"choices": []map[string]any{{"message": chatMessage{Role: "assistant", Content: "Done."}}}},
	}
	return g.record(schemas.ProductAIGateway, t, t, row.ID, c.identity, category, row)
}

type proxyLog struct {
	Timestamp  string         `json:"timestamp"`
	RequestID  string         `json:"request_id"`
	Gateway    string         `json:"gateway"`
	User       string         `json:"user"`
	APIKeyID   string         `json:"api_key_id"`
	APIKeyName string         `json:"api_key_name"`
	Model      string         `json:"model"`
	Provider   string         `json:"provider"`
	APIBase    string         `json:"api_base"`
	Endpoint   string         `json:"endpoint"`
	Status     int            `json:"status"`
	SourceIP   string         `json:"source_ip"`
	UserAgent  string         `json:"user_agent"`
	Tags       []string       `json:"tags"`
	Request    map[string]any `json:"request"`
	Response   map[string]any `json:"response"`
}

// consumerEndpoints are consumer AI services the egress proxy sees people
// reach with personal accounts.
var consumerEndpoints = []struct{ provider, base, model string }{
	{"openai", "https://chatgpt.com/backend-api", "gpt-4o"},
	{"anthropic", "https://claude.ai/api", "claude-sonnet-4"},
	{"google", "https://gemini.google.com/app", "gemini-2.0-flash"},
}

// proxyConsumerChat is a person's request to a consumer AI endpoint, as
// the egress proxy logs it.
func (g *engine) proxyConsumerChat(r rng, t time.Time, p *person, messages []chatMessage) Record {
	ep := pick(r, consumerEndpoints)
	in := 0
	for _, msg := range messages {
		in += len(msg.Content) / 4
	}
	row := proxyLog{
		Timestamp:  t.UTC().Format("2006-01-02T15:04:05.000Z"),
		RequestID:  "req_" + r.hex(12),
		Gateway:    egressProxy,
		User:       p.email,
		APIKeyID:   "device_" + stableHex(g.cfg.Seed, "device:"+p.id, 12),
		APIKeyName: p.login + "-laptop",
		Model:      ep.model,
		Provider:   ep.provider,
		APIBase:    ep.base,
		Endpoint:   "/v1/chat/completions",
		Status:     200,
		SourceIP:   p.officeIP,
		UserAgent:  p.browser,
		Tags:       []string{"egress"},
		Request:    map[string]any{"model": ep.model, "messages": messages},
		Response: map[string]any{"choices": []map[string]any{{"index": 0, "message": chatMessage{Role: "assistant", Content: "Sure, here it is."}}},
			"usage": map[string]int{"prompt_tokens": in + 20, "completion_tokens": r.between(80, 400)}},
	}
	return g.record(schemas.ProductAIGateway, t, t, row.RequestID, p.consumerIdentity(), schemas.CategoryModelInference, row)
}

// stableHex returns n hex digits that depend on the seed and name only.
func stableHex(seed int64, name string, n int) string {
	h := uint64(1469598103934665603)
	for i := range len(name) {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	return newRNG(seed, h).hex(n)
}
