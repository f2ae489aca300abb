// Package anthropic normalizes Anthropic organization records:
//
//   - the Compliance API activity feed (/v1/compliance/activities): logins,
//     API keys, members, workspaces, chats, files and projects, each with
//     its actor (user, API key, admin key, service account, SCIM, federated
//     workload, Anthropic staff or system);
//   - Admin API objects that record an action with its time and actor: API
//     keys (created_at, created_by) and organization users (added_at);
//   - usage reports: Messages usage rows grouped by API key
//     (/v1/organizations/usage_report/messages) and Claude Code usage rows
//     per user or key (/v1/organizations/usage_report/claude_code).
//
// Identity ids are "anthropic:<org>:user/<email>" for people (the e-mail
// address, lower case, which every record kind carries; the user id when
// only that is known), "anthropic:<org>:key/<api key id>",
// "anthropic:<org>:admin_key/<id>", "anthropic:<org>:service_account/<id>".
// <org> is the organization set with WithOrganization: the usage reports
// and Admin API objects do not name it, so it is not read from the
// records, which keeps one id per key or person across record kinds.
// Without the option it is empty; Anthropic's key and user ids are global.
package anthropic

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
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
	_ ingest.Source   = (*Source)(nil)
	_ ingest.Splitter = (*Source)(nil)
)

// Source normalizes Anthropic activity, Admin API objects and usage rows.
// It is safe for concurrent use.
type Source struct {
	org string
	now func() time.Time
}

// Option configures a Source.
type Option func(*Source)

// WithOrganization sets the Anthropic organization id the records come
// from, the <org> of identity ids. Default empty.
func WithOrganization(org string) Option { return func(s *Source) { s.org = org } }

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

// Product returns schemas.ProductAnthropic.
func (s *Source) Product() schemas.Product { return schemas.ProductAnthropic }

// Detect reports an activity (an activity id and an actor type ending in
// "_actor"), an Admin API key or user, a Messages or Claude Code usage row,
// or a page of them.
func (s *Source) Detect(record []byte) bool {
	for _, d := range detectAny {
		if d[0].In(record) && (len(d) == 1 || d[1].In(record)) {
			return true
		}
	}
	return false
}

// detectAny lists what marks a record of this source: one needle, or two
// that must both be there.
var detectAny = [][]srcjson.Needle{
	{srcjson.NewNeedle(`"activity_`), srcjson.NewNeedle(`_actor"`)},
	{srcjson.NewNeedle(`"uncached_input_tokens"`)},
	{srcjson.NewNeedle(`"core_metrics"`)},
	{srcjson.NewNeedle(`"partial_key_hint"`)},
	{srcjson.NewNeedle(`"added_at"`), srcjson.NewNeedle(`"user_`)},
	{srcjson.NewNeedle(`"workspace_role"`), srcjson.NewNeedle(`"wrkspc_`)},
	{srcjson.NewNeedle(`"invited_at"`), srcjson.NewNeedle(`"invite_`)},
}

// Split emits the records of a page ({"data": [...], "has_more": ...}):
// activities, Admin API objects, Claude Code rows; and the rows of Messages
// usage buckets ({"starting_at", "ending_at", "results": [...]}), each with
// its bucket's starting_at and ending_at added in front so that it stands
// alone. A bucket delivered alone is split too.
func (s *Source) Split(delivery []byte, emit func(record []byte) error) (bool, error) {
	d := bytes.TrimSpace(delivery)
	if len(d) == 0 || d[0] != '{' {
		return false, nil
	}
	var c page
	if err := json.Unmarshal(d, &c); err != nil {
		if bytes.Contains(d, []byte(`"has_more"`)) {
			return true, ingest.Invalid("data", "malformed page: %v", err)
		}
		return false, nil
	}
	switch {
	case len(c.Results) > 0:
		return true, splitBucket("results", &c, emit)
	case len(c.Data) > 0 && c.HasMore != nil:
		var items []json.RawMessage
		if err := json.Unmarshal(c.Data, &items); err != nil {
			return true, ingest.Invalid("data", "not an array of records")
		}
		for i, it := range items {
			var b page
			if json.Unmarshal(it, &b) == nil && len(b.Results) > 0 {
				if err := splitBucket(fmt.Sprintf("data[%d].results", i), &b, emit); err != nil {
					return true, err
				}
				continue
			}
			if err := emit(it); err != nil {
				return true, fmt.Errorf("data[%d]: %w", i, err)
			}
		}
		return true, nil
	}
	return false, nil
}

type page struct {
	Data       json.RawMessage `json:"data"`
	HasMore    *bool           `json:"has_more"`
	Results    json.RawMessage `json:"results"`
	StartingAt json.RawMessage `json:"starting_at"`
	EndingAt   json.RawMessage `json:"ending_at"`
}

func splitBucket(field string, b *page, emit func([]byte) error) error {
	var rows []json.RawMessage
	if err := json.Unmarshal(b.Results, &rows); err != nil {
		return ingest.Invalid(field, "not an array of rows")
	}
	for i, row := range rows {
		r := bytes.TrimSpace(row)
		if len(r) < 2 || r[0] != '{' {
			return ingest.Invalid(fmt.Sprintf("%s[%d]", field, i), "not an object")
		}
		rec := make([]byte, 0, len(r)+96)
		rec = append(rec, `{"starting_at":`...)
		rec = append(rec, orNull(b.StartingAt)...)
		rec = append(rec, `,"ending_at":`...)
		rec = append(rec, orNull(b.EndingAt)...)
		if rest := bytes.TrimSpace(r[1:]); len(rest) > 0 && rest[0] != '}' {
			rec = append(rec, ',')
		}
		rec = append(rec, r[1:]...)
		if err := emit(rec); err != nil {
			return fmt.Errorf("%s[%d]: %w", field, i, err)
		}
	}
	return nil
}

func orNull(raw json.RawMessage) []byte {
	if len(bytes.TrimSpace(raw)) == 0 {
		return []byte("null")
	}
	return raw
}

// record holds the fields of every record kind this source reads.
type record struct {
	// Activity feed.
	ID             string `json:"id"`
	Type           string `json:"type"`
	CreatedAt      string `json:"created_at"`
	OrganizationID string `json:"organization_id"`
	Actor          *actor `json:"actor"`
	// Activity targets, by type.
	ClaudeChatID     string   `json:"claude_chat_id"`
	ClaudeProjectID  string   `json:"claude_project_id"`
	ClaudeFileID     string   `json:"claude_file_id"`
	ClaudeArtifactID string   `json:"claude_artifact_id"`
	Filename         string   `json:"filename"`
	APIKeyID         string   `json:"api_key_id"`
	AdminAPIKeyID    string   `json:"admin_api_key_id"`
	ServiceAccountID string   `json:"service_account_id"`
	WorkspaceID      string   `json:"workspace_id"`
	Scopes           []string `json:"scopes"`
	Updates          []struct {
		Type          string `json:"type"`
		PreviousValue string `json:"previous_value"`
		CurrentValue  string `json:"current_value"`
	} `json:"updates"`

	// Admin API objects.
	Name           string `json:"name"`
	Email          string `json:"email"`
	Role           string `json:"role"`
	Status         string `json:"status"`
	PartialKeyHint string `json:"partial_key_hint"`
	AddedAt        string `json:"added_at"`
	CreatedBy      *struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"created_by"`

	// Messages usage rows.
	StartingAt          json.RawMessage `json:"starting_at"`
	EndingAt            string          `json:"ending_at"`
	Model               string          `json:"model"`
	ServiceTier         string          `json:"service_tier"`
	ContextWindow       string          `json:"context_window"`
	UncachedInputTokens json.RawMessage `json:"uncached_input_tokens"`
	CacheReadTokens     json.RawMessage `json:"cache_read_input_tokens"`
	OutputTokens        json.RawMessage `json:"output_tokens"`
	CacheCreation       *struct {
		Ephemeral1h json.RawMessage `json:"ephemeral_1h_input_tokens"`
		Ephemeral5m json.RawMessage `json:"ephemeral_5m_input_tokens"`
	} `json:"cache_creation"`
	ServerToolUse *struct {
		WebSearchRequests json.RawMessage `json:"web_search_requests"`
	} `json:"server_tool_use"`

	// Claude Code usage rows.
	Date         string          `json:"date"`
	CustomerType string          `json:"customer_type"`
	TerminalType string          `json:"terminal_type"`
	CoreMetrics  json.RawMessage `json:"core_metrics"`
	ModelBreak   []struct {
		Model  string `json:"model"`
		Tokens struct {
			Input         json.RawMessage `json:"input"`
			Output        json.RawMessage `json:"output"`
			CacheRead     json.RawMessage `json:"cache_read"`
			CacheCreation json.RawMessage `json:"cache_creation"`
		} `json:"tokens"`
		EstimatedCost struct {
			Amount   json.RawMessage `json:"amount"`
			Currency string          `json:"currency"`
		} `json:"estimated_cost"`
	} `json:"model_breakdown"`
}

// actor is the union of the activity feed's actor objects.
type actor struct {
	Type                 string `json:"type"`
	EmailAddress         string `json:"email_address"`
	UserID               string `json:"user_id"`
	IPAddress            string `json:"ip_address"`
	UserAgent            string `json:"user_agent"`
	UnauthenticatedEmail string `json:"unauthenticated_email_address"`
	APIKeyID             string `json:"api_key_id"`
	APIKeyName           string `json:"api_key_name"`
	AdminAPIKeyID        string `json:"admin_api_key_id"`
	ServiceAccountID     string `json:"service_account_id"`
	Service              string `json:"service"`
	DirectoryID          string `json:"directory_id"`
	IdPConnectionType    string `json:"idp_connection_type"`
	Issuer               string `json:"issuer"`
	Subject              string `json:"subject"`
	ExternalClientID     string `json:"external_client_id"`
	Provider             *struct {
		Type            string `json:"type"`
		AccountID       string `json:"account_id"`
		SignedPrincipal string `json:"signed_principal"`
		SubscriptionID  string `json:"subscription_id"`
		ProjectNumber   string `json:"project_number"`
		Issuer          string `json:"issuer"`
	} `json:"provider"`
}

// Normalize fills ev from one activity, Admin API object or usage row.
func (s *Source) Normalize(_ context.Context, raw []byte, ev *schemas.Event) error {
	if !utf8.Valid(raw) {
		return srcjson.InvalidUTF8(raw)
	}
	var r record
	if err := json.Unmarshal(raw, &r); err != nil {
		return srcjson.Explain(raw, &r, err)
	}
	ev.Source.Product = schemas.ProductAnthropic
	ev.Source.Org = cmp.Or(r.OrganizationID, s.org)
	ev.Identity.Provider, ev.Identity.Account = "anthropic", s.org
	ev.AI.Provider = "anthropic"
	switch {
	case len(r.UncachedInputTokens) > 0 || len(r.StartingAt) > 0:
		return s.messagesUsage(&r, ev)
	case len(r.CoreMetrics) > 0:
		return s.claudeCodeUsage(&r, ev)
	case r.Actor != nil || strings.HasPrefix(r.ID, "activity_"):
		return s.activity(&r, ev)
	case r.Type == "api_key":
		return s.apiKey(&r, ev)
	case r.Type == "user":
		return s.user(&r, ev)
	case r.Type == "invite", r.Type == "workspace_member", r.Type == "workspace":
		return ingest.Invalid("type", "%q objects carry no actor: ingest the activity feed (%s) instead", r.Type, activityFor[r.Type])
	case r.Type == "":
		return ingest.Missing("type")
	}
	return ingest.Invalid("type", "unknown record type %q", r.Type)
}

var activityFor = map[string]string{
	"invite":           "org_user_invite_sent",
	"workspace_member": "platform_workspace_member_added",
	"workspace":        "platform_workspace_created",
}

// userID returns the identity id of a person: by e-mail when known.
func (s *Source) userID(email, id string) string {
	if email != "" {
		return "anthropic:" + s.org + ":user/" + strings.ToLower(email)
	}
	return "anthropic:" + s.org + ":user/" + id
}

// activity fills ev from an activity of the Compliance API feed.
func (s *Source) activity(r *record, ev *schemas.Event) error {
	if r.Type == "" {
		return ingest.Missing("type")
	}
	if r.Actor == nil {
		return ingest.Missing("actor")
	}
	t, err := parseTime("created_at", r.CreatedAt, s.now())
	if err != nil {
		return err
	}
	ev.Time = t
	ev.Source.EventID = r.ID
	ev.Source.Project = r.WorkspaceID
	if err := s.actor(r.Actor, ev); err != nil {
		return err
	}
	k := activityKind(r.Type)
	ev.Action = schemas.Action{Name: r.Type, Verb: k.verb, Category: k.category}
	ev.Outcome = schemas.OutcomeSuccess
	if strings.HasSuffix(r.Type, "_failed") {
		ev.Outcome = schemas.OutcomeFailure
	}
	switch {
	case strings.HasPrefix(r.Type, "claude_"), strings.HasPrefix(r.Type, "design_project_"):
		ev.AI.Service = "claude"
	case strings.HasPrefix(r.Type, "ccr_"), strings.HasPrefix(r.Type, "claude_code_"):
		ev.AI.Service = "claude-code"
	default:
		ev.AI.Service = "platform"
	}
	for _, c := range []struct{ typ, id string }{
		{"chat", r.ClaudeChatID}, {"file", r.ClaudeFileID}, {"artifact", r.ClaudeArtifactID},
		{"project", r.ClaudeProjectID}, {"api_key", r.APIKeyID}, {"admin_api_key", r.AdminAPIKeyID},
		{"service_account", r.ServiceAccountID}, {"workspace", r.WorkspaceID},
	} {
		if c.id != "" && !(c.typ == "api_key" && r.Actor.Type == "api_actor" && c.id == r.Actor.APIKeyID) {
			ev.Target = schemas.Target{Type: c.typ, ID: c.id, Name: r.Filename}
			break
		}
	}
	if r.ClaudeProjectID != "" && ev.Target.Type != "project" {
		s.attr(ev, "anthropic.claude_project_id", r.ClaudeProjectID)
	}
	s.attr(ev, "anthropic.scopes", strings.Join(r.Scopes, ","))
	for _, u := range r.Updates {
		s.attr(ev, "anthropic.update."+u.Type, u.PreviousValue+" -> "+u.CurrentValue)
	}
	return nil
}

// actor fills the identity, session and network of an activity.
func (s *Source) actor(a *actor, ev *schemas.Event) error {
	id := &ev.Identity
	id.Type = a.Type
	kind := schemas.KindService
	switch a.Type {
	case "user_actor":
		if a.EmailAddress == "" && a.UserID == "" {
			return ingest.Missing("actor.email_address")
		}
		kind = schemas.KindHuman
		id.ID = s.userID(a.EmailAddress, a.UserID)
		id.UID, id.Name, id.Email = cmp.Or(a.UserID, a.EmailAddress), cmp.Or(a.EmailAddress, a.UserID), a.EmailAddress
		id.AccountType = schemas.AccountCorporate
	case "api_actor":
		if a.APIKeyID == "" {
			return ingest.Missing("actor.api_key_id")
		}
		id.ID = "anthropic:" + s.org + ":key/" + a.APIKeyID
		id.UID, id.Name, id.CredentialID = a.APIKeyID, a.APIKeyID, a.APIKeyID
		ev.Session.CredentialType = schemas.CredentialAPIKey
		id.AccountType = schemas.AccountCorporate
	case "admin_api_key_actor":
		if a.AdminAPIKeyID == "" {
			return ingest.Missing("actor.admin_api_key_id")
		}
		id.ID = "anthropic:" + s.org + ":admin_key/" + a.AdminAPIKeyID
		id.UID, id.Name, id.CredentialID = a.AdminAPIKeyID, a.AdminAPIKeyID, a.AdminAPIKeyID
		ev.Session.CredentialType = schemas.CredentialAPIKey
		id.AccountType = schemas.AccountCorporate
	case "service_account_actor":
		if a.ServiceAccountID == "" {
			return ingest.Missing("actor.service_account_id")
		}
		id.ID = "anthropic:" + s.org + ":service_account/" + a.ServiceAccountID
		id.UID, id.Name = a.ServiceAccountID, a.ServiceAccountID
		id.AccountType = schemas.AccountCorporate
	case "scim_directory_sync_actor":
		if a.DirectoryID == "" {
			return ingest.Missing("actor.directory_id")
		}
		id.ID = "anthropic:" + s.org + ":scim/" + a.DirectoryID
		id.UID, id.Name = a.DirectoryID, cmp.Or(a.IdPConnectionType, a.DirectoryID)
	case "federated_identity_actor":
		if a.Issuer == "" || a.Subject == "" {
			return ingest.Missing("actor.issuer and actor.subject")
		}
		id.ID = "anthropic:" + s.org + ":federated/" + a.Issuer + "#" + a.Subject
		id.UID, id.Name = a.Subject, a.Subject
		ev.Session.CredentialType, ev.Session.Issuer = schemas.CredentialWorkloadIdentity, a.Issuer
	case "federated_actor":
		if a.Provider == nil {
			return ingest.Missing("actor.provider")
		}
		p := a.Provider
		principal := cmp.Or(p.SignedPrincipal, a.Subject)
		account := cmp.Or(p.AccountID, p.SubscriptionID, p.ProjectNumber, p.Issuer)
		if principal == "" {
			return ingest.Missing("actor.provider.signed_principal")
		}
		id.ID = "anthropic:" + s.org + ":federated/" + p.Type + "/" + principal
		id.UID, id.Name, id.Account = principal, principal, account
		ev.Session.CredentialType, ev.Session.Issuer = schemas.CredentialWorkloadIdentity, cmp.Or(p.Issuer, p.Type)
	case "attested_device_actor":
		if a.ExternalClientID == "" {
			return ingest.Missing("actor.external_client_id")
		}
		kind = schemas.KindUnknown
		id.ID = "anthropic:" + s.org + ":device/" + a.ExternalClientID
		id.UID, id.Name = a.ExternalClientID, a.ExternalClientID
	case "unauthenticated_user_actor":
		// Someone not signed in: the address they claimed, if any, names
		// them, so that failed sign-ins count against that person.
		kind = schemas.KindUnknown
		if a.UnauthenticatedEmail != "" {
			kind = schemas.KindHuman
			id.ID = s.userID(a.UnauthenticatedEmail, "")
			id.Name, id.Email = a.UnauthenticatedEmail, a.UnauthenticatedEmail
		}
	case "anthropic_actor":
		// Anthropic staff: an identity of Anthropic's, not the customer's.
		kind = schemas.KindHuman
		id.Account = "anthropic"
		id.ID = "anthropic:anthropic:staff/" + cmp.Or(strings.ToLower(a.EmailAddress), "unknown")
		id.Name, id.Email = a.EmailAddress, a.EmailAddress
	case "system_actor":
		id.Account = "anthropic"
		id.ID = "anthropic:anthropic:system/" + cmp.Or(a.Service, "unknown")
		id.Name = a.Service
	case "":
		return ingest.Missing("actor.type")
	default:
		return ingest.Invalid("actor.type", "unknown actor type %q", a.Type)
	}
	id.Kind = kind
	if a.IPAddress != "" {
		canonical, ok := srcjson.CanonicalIP(a.IPAddress)
		if !ok {
			return ingest.Invalid("actor.ip_address", "%q is not an IP address", a.IPAddress)
		}
		ev.Network.SourceIP = canonical
	}
	ev.Network.UserAgent = a.UserAgent
	return nil
}

// apiKey fills ev from an Admin API key object: its creation, by its
// creator.
func (s *Source) apiKey(r *record, ev *schemas.Event) error {
	t, err := parseTime("created_at", r.CreatedAt, s.now())
	if err != nil {
		return err
	}
	if r.CreatedBy == nil || r.CreatedBy.ID == "" {
		return ingest.Missing("created_by.id")
	}
	ev.Time = t
	ev.Source.Project = r.WorkspaceID
	id := &ev.Identity
	id.Type, id.UID, id.Name = r.CreatedBy.Type, r.CreatedBy.ID, r.CreatedBy.ID
	id.AccountType = schemas.AccountCorporate
	switch r.CreatedBy.Type {
	case "user", "":
		id.Kind, id.ID = schemas.KindHuman, s.userID("", r.CreatedBy.ID)
	default:
		id.Kind, id.ID = schemas.KindService, "anthropic:"+s.org+":"+r.CreatedBy.Type+"/"+r.CreatedBy.ID
	}
	ev.Action = schemas.Action{Name: "api_key.created", Service: "api_keys", Verb: schemas.VerbCreate, Category: schemas.CategorySecretAccess}
	ev.Outcome = schemas.OutcomeSuccess
	ev.Target = schemas.Target{Type: "api_key", ID: r.ID, Name: r.Name, Tenant: r.WorkspaceID}
	ev.AI.Service = "platform"
	s.attr(ev, "anthropic.key_status", r.Status)
	s.attr(ev, "anthropic.partial_key_hint", r.PartialKeyHint)
	return nil
}

// user fills ev from an Admin API user object: the person joining the
// organization, at added_at.
func (s *Source) user(r *record, ev *schemas.Event) error {
	t, err := parseTime("added_at", r.AddedAt, s.now())
	if err != nil {
		return err
	}
	if r.ID == "" && r.Email == "" {
		return ingest.Missing("id")
	}
	ev.Time = t
	id := &ev.Identity
	id.ID = s.userID(r.Email, r.ID)
	id.Kind, id.Type, id.AccountType = schemas.KindHuman, "user", schemas.AccountCorporate
	id.UID, id.Name, id.DisplayName, id.Email = r.ID, cmp.Or(r.Email, r.ID), r.Name, r.Email
	ev.Action = schemas.Action{Name: "user.added", Service: "users", Verb: schemas.VerbCreate, Category: schemas.CategoryIAMChange}
	ev.Outcome = schemas.OutcomeSuccess
	ev.Target = schemas.Target{Type: "user", ID: r.ID, Name: r.Email}
	ev.AI.Service = "platform"
	s.attr(ev, "anthropic.role", r.Role)
	return nil
}

// messagesUsage fills ev from a Messages usage row: one API key's use of
// one model in one time bucket.
func (s *Source) messagesUsage(r *record, ev *schemas.Event) error {
	start, ok := srcjson.AsString(r.StartingAt)
	if !ok && len(bytes.TrimSpace(r.StartingAt)) > 0 && string(bytes.TrimSpace(r.StartingAt)) != "null" {
		return ingest.Invalid("starting_at", "%s is not a time", srcjson.Clip(string(r.StartingAt), 40, ""))
	}
	t, err := parseTime("starting_at", start, s.now())
	if err != nil {
		return err
	}
	if r.APIKeyID == "" {
		return ingest.Invalid("api_key_id", "missing: the row is not per API key (group the report by api_key_id; Console usage has none)")
	}
	ev.Time = t
	ev.Source.Project = r.WorkspaceID
	id := &ev.Identity
	id.ID = "anthropic:" + s.org + ":key/" + r.APIKeyID
	id.Kind, id.Type, id.AccountType = schemas.KindService, "api_key", schemas.AccountCorporate
	id.UID, id.Name, id.CredentialID = r.APIKeyID, r.APIKeyID, r.APIKeyID
	ev.Session.CredentialType = schemas.CredentialAPIKey
	ev.Action = schemas.Action{Name: "usage_report.messages", Service: "messages", Verb: schemas.VerbInvoke, Category: schemas.CategoryModelInference}
	ev.Outcome = schemas.OutcomeSuccess
	ev.AI.Service, ev.AI.Model = "api", r.Model
	if r.Model != "" {
		ev.Target = schemas.Target{Type: "model", ID: r.Model, Name: r.Model}
	}
	counts := []struct {
		field string
		raw   json.RawMessage
		n     int64
	}{
		{field: "uncached_input_tokens", raw: r.UncachedInputTokens},
		{field: "cache_read_input_tokens", raw: r.CacheReadTokens},
		{field: "output_tokens", raw: r.OutputTokens},
		{field: "cache_creation.ephemeral_1h_input_tokens"},
		{field: "cache_creation.ephemeral_5m_input_tokens"},
		{field: "server_tool_use.web_search_requests"},
	}
	if cc := r.CacheCreation; cc != nil {
		counts[3].raw, counts[4].raw = cc.Ephemeral1h, cc.Ephemeral5m
	}
	if st := r.ServerToolUse; st != nil {
		counts[5].raw = st.WebSearchRequests
	}
	for i := range counts {
		if counts[i].n, err = count(counts[i].field, counts[i].raw); err != nil {
			return err
		}
	}
	cacheCreated := counts[3].n + counts[4].n
	ev.Volume.TokensIn = counts[0].n + counts[1].n + cacheCreated
	ev.Volume.TokensOut = counts[2].n
	ev.AI.Prompt.Tokens = ev.Volume.TokensIn
	s.attr(ev, "anthropic.bucket_end", r.EndingAt)
	s.attr(ev, "anthropic.service_tier", r.ServiceTier)
	s.attr(ev, "anthropic.context_window", r.ContextWindow)
	for _, c := range []struct {
		key string
		n   int64
	}{{"anthropic.cache_read_input_tokens", counts[1].n}, {"anthropic.cache_creation_input_tokens", cacheCreated}, {"anthropic.web_search_requests", counts[5].n}} {
		if c.n > 0 {
			s.attr(ev, c.key, strconv.FormatInt(c.n, 10))
		}
	}
	return nil
}

// claudeCodeUsage fills ev from a Claude Code usage row: one user's or
// key's day of Claude Code.
func (s *Source) claudeCodeUsage(r *record, ev *schemas.Event) error {
	t, err := parseTime("date", r.Date, s.now())
	if err != nil {
		return err
	}
	ev.Time = t
	a := r.Actor
	if a == nil {
		return ingest.Missing("actor")
	}
	id := &ev.Identity
	id.Type, id.AccountType = a.Type, schemas.AccountCorporate
	switch a.Type {
	case "user_actor":
		if a.EmailAddress == "" {
			return ingest.Missing("actor.email_address")
		}
		id.ID = s.userID(a.EmailAddress, "")
		id.Kind, id.Name, id.Email = schemas.KindHuman, a.EmailAddress, a.EmailAddress
		if r.CustomerType == "subscription" {
			ev.Session.CredentialType = schemas.CredentialOAuthToken
		}
	case "api_actor":
		if a.APIKeyName == "" {
			return ingest.Missing("actor.api_key_name")
		}
		// The report names the key, not its id.
		id.ID = "anthropic:" + s.org + ":key_name/" + a.APIKeyName
		id.Kind, id.Name, id.DisplayName = schemas.KindService, a.APIKeyName, a.APIKeyName
		ev.Session.CredentialType = schemas.CredentialAPIKey
	case "":
		return ingest.Missing("actor.type")
	default:
		return ingest.Invalid("actor.type", "unknown actor type %q", a.Type)
	}
	ev.Action = schemas.Action{Name: "usage_report.claude_code", Service: "claude_code", Verb: schemas.VerbInvoke, Category: schemas.CategoryModelInference}
	ev.Outcome = schemas.OutcomeSuccess
	ev.AI.Service = "claude-code"
	var most, cost int64
	var models []string
	for i, m := range r.ModelBreak {
		field := fmt.Sprintf("model_breakdown[%d]", i)
		var in, out, read, created, amount int64
		for _, c := range []struct {
			name string
			raw  json.RawMessage
			dst  *int64
		}{
			{".tokens.input", m.Tokens.Input, &in}, {".tokens.output", m.Tokens.Output, &out},
			{".tokens.cache_read", m.Tokens.CacheRead, &read}, {".tokens.cache_creation", m.Tokens.CacheCreation, &created},
			{".estimated_cost.amount", m.EstimatedCost.Amount, &amount},
		} {
			if *c.dst, err = count(field+c.name, c.raw); err != nil {
				return err
			}
		}
		ev.Volume.TokensIn += in + read + created
		ev.Volume.TokensOut += out
		cost += amount
		if total := in + read + created + out; total > most || ev.AI.Model == "" {
			most, ev.AI.Model = total, m.Model
		}
		models = append(models, m.Model)
	}
	ev.AI.Prompt.Tokens = ev.Volume.TokensIn
	var cm struct {
		NumSessions json.RawMessage `json:"num_sessions"`
		Lines       struct {
			Added   json.RawMessage `json:"added"`
			Removed json.RawMessage `json:"removed"`
		} `json:"lines_of_code"`
		Commits json.RawMessage `json:"commits_by_claude_code"`
		PRs     json.RawMessage `json:"pull_requests_by_claude_code"`
	}
	if err := json.Unmarshal(r.CoreMetrics, &cm); err != nil {
		return ingest.Invalid("core_metrics", "not an object of counts")
	}
	for _, c := range []struct {
		field, key string
		raw        json.RawMessage
	}{
		{"core_metrics.num_sessions", "anthropic.sessions", cm.NumSessions},
		{"core_metrics.lines_of_code.added", "anthropic.lines_added", cm.Lines.Added},
		{"core_metrics.lines_of_code.removed", "anthropic.lines_removed", cm.Lines.Removed},
		{"core_metrics.commits_by_claude_code", "anthropic.commits", cm.Commits},
		{"core_metrics.pull_requests_by_claude_code", "anthropic.pull_requests", cm.PRs},
	} {
		n, err := count(c.field, c.raw)
		if err != nil {
			return err
		}
		if c.key == "anthropic.sessions" {
			ev.Volume.Records = n
		}
		s.attr(ev, c.key, strconv.FormatInt(n, 10))
	}
	s.attr(ev, "anthropic.customer_type", r.CustomerType)
	s.attr(ev, "anthropic.terminal_type", r.TerminalType)
	s.attr(ev, "anthropic.models", strings.Join(models, ","))
	if cost > 0 {
		currency := "USD"
		if len(r.ModelBreak) > 0 && r.ModelBreak[0].EstimatedCost.Currency != "" {
			currency = r.ModelBreak[0].EstimatedCost.Currency
		}
		s.attr(ev, "anthropic.estimated_cost_minor_units", strconv.FormatInt(cost, 10)+" "+currency)
	}
	return nil
}

func (s *Source) attr(ev *schemas.Event, k, v string) {
	if v == "" {
		return
	}
	if ev.Attributes == nil {
		ev.Attributes = make(map[string]string, 4)
	}
	ev.Attributes[k] = v
}

// kind is the normalized meaning of an activity type.
type kind struct {
	verb     schemas.Verb
	category schemas.Category
}

// activityKinds maps the activity types that matter most to detection;
// activityKind derives the others from their names.
var activityKinds = map[string]kind{
	"sso_login_initiated":                                  {schemas.VerbAuthenticate, schemas.CategoryAuthentication},
	"sso_login_succeeded":                                  {schemas.VerbAuthenticate, schemas.CategoryAuthentication},
	"sso_login_failed":                                     {schemas.VerbAuthenticate, schemas.CategoryAuthentication},
	"magic_link_login_initiated":                           {schemas.VerbAuthenticate, schemas.CategoryAuthentication},
	"magic_link_login_succeeded":                           {schemas.VerbAuthenticate, schemas.CategoryAuthentication},
	"magic_link_login_failed":                              {schemas.VerbAuthenticate, schemas.CategoryAuthentication},
	"social_login_succeeded":                               {schemas.VerbAuthenticate, schemas.CategoryAuthentication},
	"anonymous_mobile_login_attempted":                     {schemas.VerbAuthenticate, schemas.CategoryAuthentication},
	"step_up_authentication_succeeded":                     {schemas.VerbAuthenticate, schemas.CategoryAuthentication},
	"step_up_authentication_failed":                        {schemas.VerbAuthenticate, schemas.CategoryAuthentication},
	"user_logged_out":                                      {schemas.VerbOther, schemas.CategoryAuthentication},
	"session_revoked":                                      {schemas.VerbRevoke, schemas.CategoryAuthentication},
	"api_key_created":                                      {schemas.VerbCreate, schemas.CategorySecretAccess},
	"admin_api_key_created":                                {schemas.VerbCreate, schemas.CategorySecretAccess},
	"admin_api_key_updated":                                {schemas.VerbUpdate, schemas.CategorySecretAccess},
	"admin_api_key_deleted":                                {schemas.VerbDelete, schemas.CategorySecretAccess},
	"platform_api_key_created":                             {schemas.VerbCreate, schemas.CategorySecretAccess},
	"platform_api_key_updated":                             {schemas.VerbUpdate, schemas.CategorySecretAccess},
	"scoped_api_key_updated":                               {schemas.VerbUpdate, schemas.CategorySecretAccess},
	"scoped_api_key_deleted":                               {schemas.VerbDelete, schemas.CategorySecretAccess},
	"claude_code_credential_revoked":                       {schemas.VerbRevoke, schemas.CategorySecretAccess},
	"org_user_invite_sent":                                 {schemas.VerbCreate, schemas.CategoryIAMChange},
	"org_user_invite_accepted":                             {schemas.VerbUpdate, schemas.CategoryIAMChange},
	"org_user_deleted":                                     {schemas.VerbDelete, schemas.CategoryIAMChange},
	"claude_user_role_updated":                             {schemas.VerbGrant, schemas.CategoryIAMChange},
	"platform_workspace_member_added":                      {schemas.VerbGrant, schemas.CategoryIAMChange},
	"platform_workspace_member_removed":                    {schemas.VerbRevoke, schemas.CategoryIAMChange},
	"platform_workspace_member_updated":                    {schemas.VerbUpdate, schemas.CategoryIAMChange},
	"rbac_role_assigned":                                   {schemas.VerbGrant, schemas.CategoryIAMChange},
	"rbac_role_unassigned":                                 {schemas.VerbRevoke, schemas.CategoryIAMChange},
	"role_assignment_granted":                              {schemas.VerbGrant, schemas.CategoryIAMChange},
	"role_assignment_revoked":                              {schemas.VerbRevoke, schemas.CategoryIAMChange},
	"primary_owner_transferred":                            {schemas.VerbGrant, schemas.CategoryIAMChange},
	"claude_chat_created":                                  {schemas.VerbInvoke, schemas.CategoryModelInference},
	"ccr_session_created":                                  {schemas.VerbInvoke, schemas.CategoryModelInference},
	"claude_file_uploaded":                                 {schemas.VerbCreate, schemas.CategoryDataAccess},
	"claude_file_exported":                                 {schemas.VerbExport, schemas.CategoryDataAccess},
	"claude_artifact_published":                            {schemas.VerbExport, schemas.CategoryDataAccess},
	"claude_chat_snapshot_created":                         {schemas.VerbExport, schemas.CategoryDataAccess},
	"audit_log_export_started":                             {schemas.VerbExport, schemas.CategoryDataAccess},
	"audit_log_export_accessed":                            {schemas.VerbRead, schemas.CategoryDataAccess},
	"org_data_export_started":                              {schemas.VerbExport, schemas.CategoryDataAccess},
	"org_members_exported":                                 {schemas.VerbExport, schemas.CategoryDataAccess},
	"compliance_api_accessed":                              {schemas.VerbRead, schemas.CategoryDataAccess},
	"org_compliance_api_settings_updated":                  {schemas.VerbUpdate, schemas.CategoryLoggingChange},
	"platform_workspace_inference_data_retention_disabled": {schemas.VerbDisable, schemas.CategoryLoggingChange},
	"platform_workspace_inference_data_retention_enabled":  {schemas.VerbEnable, schemas.CategoryLoggingChange},
}

// activityPrefixes give the category of the activity types not in
// activityKinds, by the start of their names.
var activityPrefixes = []struct {
	prefix   string
	category schemas.Category
}{
	{"claude_chat_", schemas.CategoryDataAccess},
	{"claude_file_", schemas.CategoryDataAccess},
	{"claude_project_", schemas.CategoryDataAccess},
	{"claude_artifact_", schemas.CategoryDataAccess},
	{"claude_published_artifact_", schemas.CategoryDataAccess},
	{"design_project_", schemas.CategoryDataAccess},
	{"platform_file_", schemas.CategoryDataAccess},
	{"platform_memory_", schemas.CategoryDataAccess},
	{"session_share_", schemas.CategoryDataAccess},
	{"admin_api_key_", schemas.CategorySecretAccess},
	{"platform_api_key_", schemas.CategorySecretAccess},
	{"scoped_api_key_", schemas.CategorySecretAccess},
	{"service_key_", schemas.CategorySecretAccess},
	{"tunnel_token_", schemas.CategorySecretAccess},
	{"ccr_agent_proxy_credential_", schemas.CategorySecretAccess},
	{"platform_signing_key_", schemas.CategorySecretAccess},
	{"org_external_key_", schemas.CategorySecretAccess},
	{"org_user_", schemas.CategoryIAMChange},
	{"org_invite", schemas.CategoryIAMChange},
	{"org_join_", schemas.CategoryIAMChange},
	{"group_", schemas.CategoryIAMChange},
	{"rbac_role_", schemas.CategoryIAMChange},
	{"scim_user_", schemas.CategoryIAMChange},
	{"platform_service_account_", schemas.CategoryIAMChange},
	{"platform_workspace_member", schemas.CategoryIAMChange},
	{"platform_federation_", schemas.CategoryIAMChange},
	{"org_sso_", schemas.CategoryIAMChange},
	{"org_directory_sync_", schemas.CategoryIAMChange},
	{"sso_", schemas.CategoryAuthentication},
	{"trusted_device_", schemas.CategoryAuthentication},
	{"platform_agent_", schemas.CategoryModelManagement},
	{"ccr_agent_", schemas.CategoryModelManagement},
	{"platform_skill_", schemas.CategoryModelManagement},
	{"claude_skill_", schemas.CategoryModelManagement},
	{"ccr_session_", schemas.CategoryModelInference},
	{"org_", schemas.CategoryAdmin},
	{"platform_workspace_", schemas.CategoryAdmin},
	{"claude_organization_", schemas.CategoryAdmin},
	{"mcp_server_", schemas.CategoryAdmin},
	{"claude_code_", schemas.CategoryAdmin},
	{"tunnel_", schemas.CategoryAdmin},
}

// activitySuffixes give the verb of the activity types not in
// activityKinds, by the end of their names.
var activitySuffixes = []struct {
	suffix string
	verb   schemas.Verb
}{
	{"_created", schemas.VerbCreate}, {"_uploaded", schemas.VerbCreate}, {"_added", schemas.VerbCreate},
	{"_minted", schemas.VerbCreate}, {"_generated", schemas.VerbCreate}, {"_updated", schemas.VerbUpdate},
	{"_replaced", schemas.VerbUpdate}, {"_rotated", schemas.VerbUpdate}, {"_toggled", schemas.VerbUpdate},
	{"_deleted", schemas.VerbDelete}, {"_removed", schemas.VerbDelete}, {"_archived", schemas.VerbDisable},
	{"_viewed", schemas.VerbRead}, {"_accessed", schemas.VerbRead}, {"_downloaded", schemas.VerbRead},
	{"_listed", schemas.VerbList}, {"_exported", schemas.VerbExport}, {"_published", schemas.VerbExport},
	{"_enabled", schemas.VerbEnable}, {"_activated", schemas.VerbEnable}, {"_disabled", schemas.VerbDisable},
	{"_deactivated", schemas.VerbDisable}, {"_revoked", schemas.VerbRevoke}, {"_granted", schemas.VerbGrant},
	{"_assigned", schemas.VerbGrant}, {"_unassigned", schemas.VerbRevoke},
}

// activityKind returns the verb and category of an activity type: from
// activityKinds, else from its name's prefix and suffix; other when
// neither tells.
func activityKind(t string) kind {
	if k, ok := activityKinds[t]; ok {
		return k
	}
	k := kind{verb: schemas.VerbOther, category: schemas.CategoryOther}
	for _, p := range activityPrefixes {
		if strings.HasPrefix(t, p.prefix) {
			k.category = p.category
			break
		}
	}
	if k.category == schemas.CategoryOther {
		return k // an unknown family: its verb would be a guess
	}
	for _, s := range activitySuffixes {
		if strings.HasSuffix(t, s.suffix) {
			k.verb = s.verb
			break
		}
	}
	return k
}

// parseTime reads an RFC 3339 time or a date (YYYY-MM-DD, midnight UTC) and
// refuses times before 2000 or more than a day after now.
func parseTime(field, v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, ingest.Missing(field)
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, v); err != nil {
			return time.Time{}, ingest.Invalid(field, "%q is not a time", v)
		}
	}
	t = t.UTC()
	if srcjson.Implausible(t, now) != "" {
		return time.Time{}, ingest.Invalid(field, "%s is not a plausible event time", t.Format(time.RFC3339Nano))
	}
	return t, nil
}

// count parses a non-negative count: a JSON number, or a string holding
// one.
func count(field string, raw json.RawMessage) (int64, error) {
	v := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if v == "" || v == "null" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 1e15 || f != float64(int64(f)) {
		return 0, ingest.Invalid(field, "%s is not a count", srcjson.Clip(strings.TrimSpace(string(raw)), 40, ""))
	}
	return int64(f), nil
}
