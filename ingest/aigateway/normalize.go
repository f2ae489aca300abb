// Package aigateway normalizes the request logs of AI gateways and proxies:
// LiteLLM spend logs (the LiteLLM_SpendLogs rows of its database and
// /spend/logs API) and standard logging payloads (what its logging
// callbacks send), and a generic OpenAI-compatible proxy log for other
// gateways. One record is one model call: who called (end user, internal
// user or virtual key), which model through which provider, how many
// tokens, and the prompt and response when the gateway stored them. The
// prompt text goes to ev.AI.Prompt.Text for the content scanner; the
// pipeline then drops or hashes it, and RedactContent rewrites the raw
// record the same way.
package aigateway

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	json "github.com/goccy/go-json"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/srcjson"
	"github.com/aitdr/aitdr/schemas"
)

var (
	_ ingest.Source          = (*Source)(nil)
	_ ingest.Splitter        = (*Source)(nil)
	_ ingest.ContentRedactor = (*Source)(nil)
)

// Source normalizes AI-gateway request logs. It is safe for concurrent use.
type Source struct {
	gateway string
	now     func() time.Time
}

// Option configures a Source.
type Option func(*Source)

// WithGateway names the gateway deployment, the account part of identity
// ids and the name in AI service "gateway:<name>". Default "litellm" for
// LiteLLM records; a generic record's own "gateway" field wins over it.
func WithGateway(name string) Option { return func(s *Source) { s.gateway = name } }

// WithClock sets the clock that bounds event times (no more than a day
// ahead of it). Default time.Now.
func WithClock(now func() time.Time) Option { return func(s *Source) { s.now = now } }

// New returns a Source.
func New(opts ...Option) *Source {
	s := &Source{now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Product returns schemas.ProductAIGateway.
func (s *Source) Product() schemas.Product { return schemas.ProductAIGateway }

// Detect reports a LiteLLM record (a call_type with a startTime, a model
// or messages) or a generic proxy log (a timestamp, an api_key_id and a
// provider).
func (s *Source) Detect(record []byte) bool {
	if detectCallType.In(record) && (detectStartTime.In(record) || detectModel.In(record) || detectMessages.In(record)) {
		return true
	}
	return detectAPIKeyID.In(record) && detectProvider.In(record) && detectTimestamp.In(record)
}

var (
	detectCallType  = srcjson.NewNeedle(`"call_type"`)
	detectStartTime = srcjson.NewNeedle(`"startTime"`)
	detectModel     = srcjson.NewNeedle(`"model"`)
	detectMessages  = srcjson.NewNeedle(`"messages"`)
	detectAPIKeyID  = srcjson.NewNeedle(`"api_key_id"`)
	detectProvider  = srcjson.NewNeedle(`"provider"`)
	detectTimestamp = srcjson.NewNeedle(`"timestamp"`)
)

// Split emits the records of a JSON array of logs or of a LiteLLM logs
// page ({"data": [...]}, as /spend/logs/ui returns).
func (s *Source) Split(delivery []byte, emit func(record []byte) error) (bool, error) {
	d := bytes.TrimLeft(delivery, " \t\r\n")
	if len(d) == 0 {
		return false, nil
	}
	var items []json.RawMessage
	field := "records"
	switch d[0] {
	case '[':
		if err := json.Unmarshal(d, &items); err != nil {
			return true, ingest.Invalid(field, "not an array of records: %v", err)
		}
	case '{':
		var page struct {
			Data     json.RawMessage `json:"data"`
			CallType *string         `json:"call_type"`
		}
		if !bytes.Contains(d, []byte(`"data"`)) {
			return false, nil
		}
		if err := json.Unmarshal(d, &page); err != nil || page.CallType != nil || len(page.Data) == 0 || page.Data[0] != '[' {
			return false, nil // a record, or not a page: Normalize says what is wrong
		}
		field = "data"
		if err := json.Unmarshal(page.Data, &items); err != nil {
			return true, ingest.Invalid(field, "not an array of records: %v", err)
		}
	default:
		return false, nil
	}
	for i, it := range items {
		if err := emit(it); err != nil {
			return true, fmt.Errorf("%s[%d]: %w", field, i, err)
		}
	}
	return true, nil
}

// record holds the fields of the three shapes: LiteLLM spend log row
// (request_id, startTime as text), LiteLLM standard logging payload (id,
// startTime as epoch seconds, identity in metadata) and the generic proxy
// log (timestamp, api_key_id, request and response objects).
type record struct {
	RequestID         string          `json:"request_id"`
	ID                string          `json:"id"`
	TraceID           string          `json:"trace_id"`
	SessionID         string          `json:"session_id"`
	CallType          string          `json:"call_type"`
	APIKey            string          `json:"api_key"`
	Spend             json.RawMessage `json:"spend"`
	ResponseCost      json.RawMessage `json:"response_cost"`
	PromptTokens      json.RawMessage `json:"prompt_tokens"`
	CompletionTokens  json.RawMessage `json:"completion_tokens"`
	StartTime         json.RawMessage `json:"startTime"`
	Model             string          `json:"model"`
	ModelGroup        string          `json:"model_group"`
	CustomLLMProvider string          `json:"custom_llm_provider"`
	APIBase           string          `json:"api_base"`
	User              string          `json:"user"`
	TeamID            string          `json:"team_id"`
	EndUser           string          `json:"end_user"`
	RequesterIP       string          `json:"requester_ip_address"`
	Status            json.RawMessage `json:"status"`
	Metadata          json.RawMessage `json:"metadata"`
	RequestTags       json.RawMessage `json:"request_tags"`
	Messages          json.RawMessage `json:"messages"`
	Prompt            json.RawMessage `json:"prompt"`
	Input             json.RawMessage `json:"input"`
	CacheHit          json.RawMessage `json:"cache_hit"`
	ErrorStr          string          `json:"error_str"`
	ErrorInformation  *errorInfo      `json:"error_information"`
	MCPToolName       string          `json:"mcp_namespaced_tool_name"`
	HiddenParams      struct {
		APIBase string `json:"api_base"`
	} `json:"hidden_params"`
	ProxyServerRequest json.RawMessage `json:"proxy_server_request"`

	// The generic proxy log.
	Timestamp  json.RawMessage `json:"timestamp"`
	Gateway    string          `json:"gateway"`
	APIKeyID   string          `json:"api_key_id"`
	APIKeyName string          `json:"api_key_name"`
	Provider   string          `json:"provider"`
	Endpoint   string          `json:"endpoint"`
	SourceIP   string          `json:"source_ip"`
	UserAgent  string          `json:"user_agent"`
	Tags       []string        `json:"tags"`
	Error      *errorInfo      `json:"error"`
	Request    struct {
		Messages json.RawMessage `json:"messages"`
		Prompt   json.RawMessage `json:"prompt"`
		Input    json.RawMessage `json:"input"`
	} `json:"request"`
	Response json.RawMessage `json:"response"`
}

// metadata is LiteLLM's metadata object: the virtual key, its owner and
// team, the caller's address, and the request's own metadata.
type metadata struct {
	KeyHash     string          `json:"user_api_key_hash"`
	KeyAlias    string          `json:"user_api_key_alias"`
	OrgID       string          `json:"user_api_key_org_id"`
	TeamID      string          `json:"user_api_key_team_id"`
	TeamAlias   string          `json:"user_api_key_team_alias"`
	UserID      string          `json:"user_api_key_user_id"`
	UserEmail   string          `json:"user_api_key_user_email"`
	EndUserID   string          `json:"user_api_key_end_user_id"`
	Route       string          `json:"user_api_key_request_route"`
	RequesterIP string          `json:"requester_ip_address"`
	UserAgent   string          `json:"user_agent"`
	Tags        json.RawMessage `json:"tags"`
	Error       *errorInfo      `json:"error_information"`
	MCPTool     struct {
		Name string `json:"name"`
	} `json:"mcp_tool_call_metadata"`
	Headers map[string]json.RawMessage `json:"headers"`
}

type errorInfo struct {
	Code    json.RawMessage `json:"error_code"`
	Class   string          `json:"error_class"`
	Message string          `json:"error_message"`
	// The generic log's error object.
	GenericCode    json.RawMessage `json:"code"`
	GenericMessage string          `json:"message"`
}

// Normalize fills ev from one gateway log record.
func (s *Source) Normalize(_ context.Context, raw []byte, ev *schemas.Event) error {
	if !utf8.Valid(raw) {
		return invalidUTF8(raw)
	}
	var r record
	if err := json.Unmarshal(raw, &r); err != nil {
		return srcjson.Explain(raw, &r, err)
	}
	var md metadata
	if err := decodeMetadata(r.Metadata, &md); err != nil {
		return err
	}
	generic := r.CallType == "" && len(r.Timestamp) > 0
	if !generic && r.CallType == "" {
		return ingest.Missing("call_type")
	}

	// Time.
	timeField, timeRaw := "startTime", r.StartTime
	if generic {
		timeField, timeRaw = "timestamp", r.Timestamp
	}
	t, err := parseTime(timeField, timeRaw, s.now())
	if err != nil {
		return err
	}
	ev.Time = t

	// Source.
	gateway := s.gateway
	if gateway == "" {
		gateway = "litellm"
		if generic {
			gateway = "proxy"
		}
	}
	if r.Gateway != "" {
		gateway = r.Gateway
	}
	ev.Source.Product = schemas.ProductAIGateway
	ev.Source.EventID = cmp.Or(r.RequestID, r.ID)
	ev.Source.Account = gateway
	ev.Source.Org = md.OrgID
	ev.Source.Project = cmp.Or(r.TeamID, md.TeamID)

	// What was called.
	callType := r.CallType
	if generic {
		callType = cmp.Or(r.Endpoint, "chat.completions")
	}
	ev.Action.Name = callType
	ev.Action.Service = md.Route
	ev.Action.Verb, ev.Action.Category = classify(callType, generic)
	model := r.Model
	if model != "" {
		ev.Target = schemas.Target{Type: "model", ID: cmp.Or(r.ModelGroup, model), Name: model}
	}
	ev.AI.Model = model
	ev.AI.Provider = providerOf(cmp.Or(r.CustomLLMProvider, r.Provider), model)
	ev.AI.Service = "gateway:" + gateway
	ev.AI.Tool = cmp.Or(r.MCPToolName, md.MCPTool.Name)
	if ev.AI.Tool != "" && strings.Contains(callType, "mcp") {
		ev.Target = schemas.Target{Type: "tool", ID: ev.AI.Tool, Name: ev.AI.Tool}
	}

	// Who called.
	tags := tagsOf(r.RequestTags, md.Tags, r.Tags)
	if err := s.identity(&r, &md, tags, gateway, generic, ev); err != nil {
		return err
	}

	// Outcome.
	ev.Outcome, err = outcome(r.Status, generic)
	if err != nil {
		return err
	}
	if e := firstError(r.ErrorInformation, md.Error, r.Error); e != nil {
		ev.Error.Code = cmp.Or(scalar(e.Code), scalar(e.GenericCode), e.Class)
		ev.Error.Message = srcjson.Clip(cmp.Or(e.Message, e.GenericMessage), 512, "")
	}
	if ev.Error.Message == "" && r.ErrorStr != "" {
		ev.Error.Message = srcjson.Clip(r.ErrorStr, 512, "")
	}
	if ev.Outcome == schemas.OutcomeSuccess && ev.Error.Code != "" {
		ev.Outcome = schemas.OutcomeFailure
	}

	// Network.
	ipField, ip := "requester_ip_address", r.RequesterIP
	if ip == "" {
		ipField, ip = "metadata.requester_ip_address", md.RequesterIP
	}
	if ip == "" {
		ipField, ip = "source_ip", r.SourceIP
	}
	if ip != "" {
		canonical, ok := srcjson.CanonicalIP(ip)
		if !ok {
			return ingest.Invalid(ipField, "%q is not an IP address", ip)
		}
		ev.Network.SourceIP = canonical
	}
	ev.Network.UserAgent = cmp.Or(md.UserAgent, r.UserAgent, headerString(md.Headers, "user-agent"))

	// Volume and prompt.
	var usage struct{ in, out int64 }
	if generic {
		usage.in, usage.out, err = genericUsage(r.Response)
		if err != nil {
			return err
		}
	} else {
		if usage.in, err = count("prompt_tokens", r.PromptTokens); err != nil {
			return err
		}
		if usage.out, err = count("completion_tokens", r.CompletionTokens); err != nil {
			return err
		}
	}
	ev.Volume.TokensIn, ev.Volume.TokensOut = usage.in, usage.out
	p := promptOf(&r, generic)
	ev.AI.Prompt.Text = p.text
	ev.AI.Prompt.Length = int64(utf8.RuneCountInString(p.text))
	ev.AI.Prompt.Tokens = usage.in
	ev.AI.Prompt.Attachments = p.attachments

	// Extras.
	attr := func(k, v string) {
		if v == "" {
			return
		}
		if ev.Attributes == nil {
			ev.Attributes = make(map[string]string, 8)
		}
		ev.Attributes[k] = v
	}
	attr("gateway.model_group", r.ModelGroup)
	attr("gateway.spend_usd", cmp.Or(amount(r.Spend), amount(r.ResponseCost)))
	attr("gateway.api_base_host", hostOf(cmp.Or(r.APIBase, r.HiddenParams.APIBase)))
	attr("gateway.key_alias", cmp.Or(md.KeyAlias, r.APIKeyName))
	attr("gateway.team_alias", md.TeamAlias)
	attr("gateway.tags", strings.Join(tags, ","))
	attr("gateway.cache_hit", cacheHit(r.CacheHit))
	attr("gateway.trace_id", r.TraceID)
	if reason := personalReason(ev.Identity.Email, cmp.Or(r.APIBase, r.HiddenParams.APIBase)); reason != "" {
		ev.Identity.AccountType = schemas.AccountPersonal
		attr("gateway.personal_account", reason)
	}
	return nil
}

// identity fills the principal: the end user the application passed, a
// virtual key marked as an agent's, the key's owner (an internal user), or
// the key itself.
func (s *Source) identity(r *record, md *metadata, tags []string, gateway string, generic bool, ev *schemas.Event) error {
	provider := "litellm"
	if generic {
		provider = "gateway"
	}
	keyField, key := "api_key", r.APIKey
	switch {
	case generic:
		keyField, key = "api_key_id", r.APIKeyID
	case key == "" && md.KeyHash != "":
		keyField, key = "metadata.user_api_key_hash", md.KeyHash
	}
	credential := redactedKey(key)
	alias := cmp.Or(md.KeyAlias, r.APIKeyName)
	userField, user := "user", r.User
	if !generic && user == "" && md.UserID != "" {
		userField, user = "metadata.user_api_key_user_id", md.UserID
	}
	if !generic && user == "default_user_id" {
		user = "" // LiteLLM's placeholder owner of the master key: the key acts
	}
	endUserField, endUser := "end_user", r.EndUser
	if endUser == "" && md.EndUserID != "" {
		endUserField, endUser = "metadata.user_api_key_end_user_id", md.EndUserID
	}
	for _, f := range []struct{ name, v string }{{endUserField, endUser}, {userField, user}, {keyField, key}, {"metadata.user_api_key_alias", alias}} {
		if len(f.v) > 512 {
			return ingest.Invalid(f.name, "%d bytes, more than 512", len(f.v))
		}
	}
	id := &ev.Identity
	id.Provider = provider
	id.Account = gateway
	ev.Session.CredentialType = schemas.CredentialAPIKey
	ev.Session.ID = cmp.Or(r.SessionID, r.TraceID)
	id.CredentialID = credential
	switch {
	case endUser != "":
		id.Kind = schemas.KindHuman
		id.Type = "end_user"
		id.UID, id.Name = endUser, endUser
		id.ID = provider + ":" + gateway + ":end_user/" + endUser
		id.AccountType = schemas.AccountUnknown
	case credential != "" && isAgent(alias, tags):
		id.Kind = schemas.KindAgent
		id.Type = "virtual_key"
		id.UID, id.Name, id.DisplayName = credential, cmp.Or(alias, credential), alias
		id.ID = provider + ":" + gateway + ":key/" + credential
		id.Owner = cmp.Or(md.UserEmail, user)
		id.AccountType = schemas.AccountCorporate
	case user != "":
		id.Kind = schemas.KindHuman
		id.Type = "internal_user"
		id.UID, id.Name = user, user
		id.ID = provider + ":" + gateway + ":user/" + user
		id.AccountType = schemas.AccountCorporate
	case credential != "":
		id.Kind = schemas.KindService
		id.Type = "virtual_key"
		id.UID, id.Name, id.DisplayName = credential, cmp.Or(alias, credential), alias
		id.ID = provider + ":" + gateway + ":key/" + credential
		id.Owner = md.UserEmail
		id.AccountType = schemas.AccountCorporate
	default:
		if generic {
			return ingest.Missing("user")
		}
		return ingest.Missing("end_user, user and api_key")
	}
	if id.Kind == schemas.KindHuman {
		switch {
		case strings.Contains(id.Name, "@"):
			id.Email = id.Name
		case md.UserEmail != "" && id.Type == "internal_user":
			id.Email = md.UserEmail
		}
	}
	return nil
}

// isAgent reports a virtual key the gateway's metadata marks as an agent's:
// a tag "agent" (or "agent:<name>", "agent=<name>"), or "agent" in the key
// alias.
func isAgent(alias string, tags []string) bool {
	for _, t := range tags {
		t = strings.ToLower(t)
		if t == "agent" || strings.HasPrefix(t, "agent:") || strings.HasPrefix(t, "agent=") {
			return true
		}
	}
	return strings.Contains(strings.ToLower(alias), "agent")
}

// redactedKey returns the key id to keep: LiteLLM stores the hex SHA-256
// of a virtual key, which is kept; a raw key ("sk-...", as older versions
// logged it) is replaced by that same hash, so that no secret is kept and
// the key keeps the identity id newer versions give it.
func redactedKey(k string) string {
	if strings.HasPrefix(k, "sk-") {
		sum := sha256.Sum256([]byte(k))
		return hex.EncodeToString(sum[:])
	}
	return k
}

// classify maps a LiteLLM call type (async "a" prefix or not) or a generic
// endpoint to the verb and category.
func classify(callType string, generic bool) (schemas.Verb, schemas.Category) {
	if generic {
		switch {
		case strings.Contains(callType, "fine_tuning") || strings.Contains(callType, "fine-tuning"):
			return schemas.VerbCreate, schemas.CategoryTrainingPipeline
		case strings.Contains(callType, "files") || strings.Contains(callType, "batches"):
			return schemas.VerbOther, schemas.CategoryDataAccess
		}
		return schemas.VerbInvoke, schemas.CategoryModelInference
	}
	c := strings.TrimPrefix(callType, "a")
	if _, ok := callTypes[c]; !ok {
		c = callType // "anthropic_messages" keeps its "a"
	}
	if vc, ok := callTypes[c]; ok {
		return vc.verb, vc.category
	}
	return schemas.VerbOther, schemas.CategoryOther
}

var callTypes = map[string]struct {
	verb     schemas.Verb
	category schemas.Category
}{
	"completion":               {schemas.VerbInvoke, schemas.CategoryModelInference},
	"text_completion":          {schemas.VerbInvoke, schemas.CategoryModelInference},
	"embedding":                {schemas.VerbInvoke, schemas.CategoryModelInference},
	"image_generation":         {schemas.VerbInvoke, schemas.CategoryModelInference},
	"image_edit":               {schemas.VerbInvoke, schemas.CategoryModelInference},
	"transcription":            {schemas.VerbInvoke, schemas.CategoryModelInference},
	"speech":                   {schemas.VerbInvoke, schemas.CategoryModelInference},
	"rerank":                   {schemas.VerbInvoke, schemas.CategoryModelInference},
	"moderation":               {schemas.VerbInvoke, schemas.CategoryModelInference},
	"responses":                {schemas.VerbInvoke, schemas.CategoryModelInference},
	"anthropic_messages":       {schemas.VerbInvoke, schemas.CategoryModelInference},
	"generate_content":         {schemas.VerbInvoke, schemas.CategoryModelInference},
	"realtime":                 {schemas.VerbInvoke, schemas.CategoryModelInference},
	"pass_through_endpoint":    {schemas.VerbInvoke, schemas.CategoryModelInference},
	"call_mcp_tool":            {schemas.VerbInvoke, schemas.CategoryOther},
	"create_fine_tuning_job":   {schemas.VerbCreate, schemas.CategoryTrainingPipeline},
	"cancel_fine_tuning_job":   {schemas.VerbUpdate, schemas.CategoryTrainingPipeline},
	"list_fine_tuning_jobs":    {schemas.VerbList, schemas.CategoryTrainingPipeline},
	"create_batch":             {schemas.VerbCreate, schemas.CategoryDataAccess},
	"create_file":              {schemas.VerbCreate, schemas.CategoryDataAccess},
	"file_content":             {schemas.VerbRead, schemas.CategoryDataAccess},
	"file_retrieve":            {schemas.VerbRead, schemas.CategoryDataAccess},
	"file_delete":              {schemas.VerbDelete, schemas.CategoryDataAccess},
	"file_list":                {schemas.VerbList, schemas.CategoryDataAccess},
	"create_vector_store":      {schemas.VerbCreate, schemas.CategoryDataAccess},
	"vector_store_search":      {schemas.VerbRead, schemas.CategoryDataAccess},
	"retrieve_fine_tuning_job": {schemas.VerbRead, schemas.CategoryTrainingPipeline},
}

// providerOf returns the model provider: the gateway's own field, else the
// prefix of a LiteLLM model name ("bedrock/anthropic.claude-3" → bedrock).
func providerOf(provider, model string) string {
	if provider != "" {
		return provider
	}
	if i := strings.IndexByte(model, '/'); i > 0 {
		return model[:i]
	}
	return ""
}

// outcome maps LiteLLM's status ("success", "failure") or the generic
// log's HTTP status.
func outcome(raw json.RawMessage, generic bool) (schemas.Outcome, error) {
	v := strings.Trim(string(bytes.TrimSpace(raw)), `"`)
	switch {
	case v == "" || v == "null":
		return schemas.OutcomeSuccess, nil // LiteLLM logs failures with status "failure"
	case v == "success":
		return schemas.OutcomeSuccess, nil
	case v == "failure":
		return schemas.OutcomeFailure, nil
	}
	if code, err := strconv.Atoi(v); err == nil && code >= 100 && code <= 599 {
		if code < 400 {
			return schemas.OutcomeSuccess, nil
		}
		return schemas.OutcomeFailure, nil
	}
	if !generic {
		return schemas.OutcomeUnknown, nil
	}
	return "", ingest.Invalid("status", "%q is not an HTTP status", v)
}

// prompt is what promptOf found in a record.
type prompt struct {
	text        string
	attachments int32
}

// promptOf returns the user's text of the request, the user messages
// joined by newlines (or the prompt or input of a completion or an
// embedding), and the number of non-text parts (images, audio, files).
func promptOf(r *record, generic bool) prompt {
	var b strings.Builder
	var p prompt
	msgs, prm, in := r.Messages, r.Prompt, r.Input
	if generic {
		msgs, prm, in = r.Request.Messages, r.Request.Prompt, r.Request.Input
	}
	if isEmptyJSON(msgs) && isEmptyJSON(prm) && len(r.ProxyServerRequest) > 0 {
		var psr struct {
			Messages json.RawMessage `json:"messages"`
			Prompt   json.RawMessage `json:"prompt"`
			Input    json.RawMessage `json:"input"`
		}
		if json.Unmarshal(r.ProxyServerRequest, &psr) == nil {
			msgs, prm, in = psr.Messages, psr.Prompt, psr.Input
		}
	}
	add := func(s string) {
		if s == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(s)
	}
	if len(msgs) > 0 && msgs[0] == '[' {
		var list []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		}
		if json.Unmarshal(msgs, &list) == nil {
			for _, m := range list {
				if m.Role != "user" {
					continue
				}
				text, att := contentText(m.Content)
				add(text)
				p.attachments += att
			}
		}
	} else if s, ok := srcjson.AsString(msgs); ok {
		add(s)
	}
	for _, raw := range []json.RawMessage{prm, in} {
		if s, ok := srcjson.AsString(raw); ok {
			add(s)
			continue
		}
		var list []string
		if len(raw) > 0 && raw[0] == '[' && json.Unmarshal(raw, &list) == nil {
			for _, s := range list {
				add(s)
			}
		}
	}
	p.text = b.String()
	return p
}

// contentText returns the text of a message content, a string or a list
// of parts, and the number of non-text parts.
func contentText(raw json.RawMessage) (string, int32) {
	if s, ok := srcjson.AsString(raw); ok {
		return s, 0
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &parts) != nil {
		return "", 0
	}
	var texts []string
	var att int32
	for _, p := range parts {
		switch p.Type {
		case "text", "input_text":
			texts = append(texts, p.Text)
		case "":
		default:
			att++
		}
	}
	return strings.Join(texts, "\n"), att
}

// genericUsage reads the token counts of a generic log's response.usage,
// in the chat completions names or the responses/messages names.
func genericUsage(raw json.RawMessage) (in, out int64, err error) {
	if isEmptyJSON(raw) || raw[0] != '{' {
		return 0, 0, nil
	}
	var resp struct {
		Usage struct {
			PromptTokens     json.RawMessage `json:"prompt_tokens"`
			CompletionTokens json.RawMessage `json:"completion_tokens"`
			InputTokens      json.RawMessage `json:"input_tokens"`
			OutputTokens     json.RawMessage `json:"output_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		return 0, 0, ingest.Invalid("response.usage", "not an object of token counts")
	}
	u := resp.Usage
	inField, inRaw := "response.usage.prompt_tokens", u.PromptTokens
	if isEmptyJSON(inRaw) {
		inField, inRaw = "response.usage.input_tokens", u.InputTokens
	}
	outField, outRaw := "response.usage.completion_tokens", u.CompletionTokens
	if isEmptyJSON(outRaw) {
		outField, outRaw = "response.usage.output_tokens", u.OutputTokens
	}
	if in, err = count(inField, inRaw); err != nil {
		return 0, 0, err
	}
	if out, err = count(outField, outRaw); err != nil {
		return 0, 0, err
	}
	return in, out, nil
}

// count parses a non-negative token count: a JSON number, or a string
// holding one.
func count(field string, raw json.RawMessage) (int64, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" || string(t) == `""` {
		return 0, nil
	}
	if t[0] == '{' || t[0] == '[' {
		return 0, ingest.Invalid(field, "%s is not a token count", srcjson.Clip(string(t), 40, ""))
	}
	v := scalar(raw)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 1e15 || f != float64(int64(f)) {
		if s, ok := srcjson.AsString(raw); ok {
			return 0, ingest.Invalid(field, "%q is not a token count", s)
		}
		return 0, ingest.Invalid(field, "%s is not a token count", v)
	}
	return int64(f), nil
}

// amount renders a JSON number (or a string holding one) as text.
func amount(raw json.RawMessage) string {
	v := scalar(raw)
	if _, err := strconv.ParseFloat(v, 64); err != nil {
		return ""
	}
	return v
}

// parseTime reads an event time given as epoch seconds (LiteLLM callbacks)
// or as text: RFC 3339, or ISO 8601 without a zone (Python's isoformat,
// read as UTC), with "T" or a space. It refuses times before 2000 or more
// than a day after now.
func parseTime(field string, raw json.RawMessage, now time.Time) (time.Time, error) {
	v := bytes.TrimSpace(raw)
	if len(v) == 0 || string(v) == "null" || string(v) == `""` {
		return time.Time{}, ingest.Missing(field)
	}
	var t time.Time
	if v[0] == '"' {
		s, ok := srcjson.AsString(v)
		if !ok {
			return time.Time{}, ingest.Invalid(field, "%s is not a time", v)
		}
		var err error
		if t, err = srcjson.ParseTimestamp(s); err != nil {
			return time.Time{}, ingest.Invalid(field, "%q is not a time", s)
		}
	} else {
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return time.Time{}, ingest.Invalid(field, "%s is not a time", v)
		}
		if f > 1e11 { // milliseconds
			f /= 1000
		}
		sec := int64(f)
		t = time.Unix(sec, int64((f-float64(sec))*1e9)).Round(time.Microsecond)
	}
	t = t.UTC()
	if srcjson.Implausible(t, now) != "" {
		return time.Time{}, ingest.Invalid(field, "%s is not a plausible event time", t.Format(time.RFC3339Nano))
	}
	return t, nil
}

// decodeMetadata reads LiteLLM's metadata, an object or (in some exports)
// a string holding one.
func decodeMetadata(raw json.RawMessage, md *metadata) error {
	if isEmptyJSON(raw) {
		return nil
	}
	if s, ok := srcjson.AsString(raw); ok {
		if s == "" {
			return nil
		}
		raw = json.RawMessage(s)
	}
	if raw[0] != '{' {
		return ingest.Invalid("metadata", "not an object")
	}
	if err := json.Unmarshal(raw, md); err != nil {
		var fe *ingest.FieldError
		if errors.As(srcjson.Explain(raw, md, err), &fe) && fe.Field != "record" {
			return ingest.Invalid("metadata."+fe.Field, "%s", fe.Problem)
		}
		return ingest.Invalid("metadata", "malformed: %s", err.Error())
	}
	return nil
}

// tagsOf returns the request tags, sorted and once each: LiteLLM's
// request_tags (a list, or a string holding one), metadata.tags, and the
// generic log's tags.
func tagsOf(requestTags, mdTags json.RawMessage, generic []string) []string {
	var out []string
	for _, raw := range []json.RawMessage{requestTags, mdTags} {
		if s, ok := srcjson.AsString(raw); ok {
			raw = json.RawMessage(s)
		}
		var list []string
		if len(raw) > 0 && raw[0] == '[' && json.Unmarshal(raw, &list) == nil {
			out = append(out, list...)
		}
	}
	out = append(out, generic...)
	slices.Sort(out)
	return slices.Compact(out)
}

func cacheHit(raw json.RawMessage) string {
	switch strings.ToLower(strings.Trim(string(raw), `"`)) {
	case "true":
		return "true"
	}
	return ""
}

// headerString returns a request header from LiteLLM's metadata.headers.
func headerString(h map[string]json.RawMessage, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			s, _ := srcjson.AsString(v)
			return s
		}
	}
	return ""
}

// consumerHosts are the consumer AI services: a gateway route pointing at
// one of them is personal-account AI use.
var consumerHosts = []string{
	"chatgpt.com", "chat.openai.com", "claude.ai", "gemini.google.com", "bard.google.com",
	"copilot.microsoft.com", "perplexity.ai", "poe.com", "character.ai", "chat.deepseek.com",
	"chat.mistral.ai", "grok.com", "meta.ai", "you.com",
}

// consumerDomains are e-mail domains of personal mailboxes.
var consumerDomains = []string{
	"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
	"yahoo.com", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me",
	"protonmail.com", "pm.me", "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com",
	"yandex.ru", "yandex.com", "qq.com", "163.com", "126.com", "zoho.com", "tutanota.com",
	"fastmail.com", "hey.com",
}

// personalReason says why the call is personal-account AI use, or "".
func personalReason(email, apiBase string) string {
	if host := hostOf(apiBase); host != "" {
		for _, h := range consumerHosts {
			if host == h || strings.HasSuffix(host, "."+h) {
				return "consumer endpoint " + host
			}
		}
	}
	if i := strings.LastIndexByte(email, '@'); i >= 0 {
		domain := strings.ToLower(email[i+1:])
		for _, d := range consumerDomains {
			if domain == d {
				return "consumer e-mail domain " + domain
			}
		}
	}
	return ""
}

// hostOf returns the lower-case host of a URL, without credentials, port,
// path or query.
func hostOf(rawURL string) string {
	if rawURL == "" {
		return ""
	}
	if !strings.Contains(rawURL, "://") {
		rawURL = "https://" + rawURL
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// Helpers.

// firstError returns the first error object that says something.
func firstError(vs ...*errorInfo) *errorInfo {
	for _, v := range vs {
		if v != nil && (v.Message != "" || v.GenericMessage != "" || v.Class != "" || !isEmptyJSON(v.Code) || !isEmptyJSON(v.GenericCode)) {
			return v
		}
	}
	return nil
}

func isEmptyJSON(raw json.RawMessage) bool {
	v := bytes.TrimSpace(raw)
	return len(v) == 0 || string(v) == "null" || string(v) == "{}" || string(v) == "[]" || string(v) == `""`
}

// scalar renders a JSON string or number as text.
func scalar(raw json.RawMessage) string {
	if s, ok := srcjson.AsString(raw); ok {
		return s
	}
	v := string(bytes.TrimSpace(raw))
	if v == "null" || (len(v) > 0 && (v[0] == '{' || v[0] == '[')) {
		return ""
	}
	return v
}

// invalidUTF8 returns a FieldError naming the field of the first string
// of raw that is not valid UTF-8.
func invalidUTF8(raw []byte) error {
	field := ""
	w := rewriter{edit: func(path []pathElem, kind byte, v []byte) ([]byte, bool) {
		if field == "" && !utf8.Valid(v) {
			field = pathString(path)
			if field == "" {
				field = "record"
			}
		}
		return nil, false
	}}
	// Object keys are paths too: a bad key names its parent.
	if _, err := w.rewrite(raw); err != nil || field == "" {
		field = "record"
	}
	return ingest.Invalid(field, "invalid UTF-8")
}
