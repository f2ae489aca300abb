// Package openai normalizes OpenAI organization records: the audit logs of
// the Admin API (/v1/organization/audit_logs: API keys, invites, logins,
// projects, service accounts, users, rate limits, roles, ...) and the rows
// of the organization usage API (/v1/organization/usage/*) when they are
// grouped by API key or user, so that they carry an identity.
//
// The records do not name the organization; WithOrganization sets it for
// Source.Org and the identity ids, "openai:<org>:user/<user id>",
// "openai:<org>:service_account/<id>", "openai:<org>:key/<key id>". Without
// it the account part is empty: OpenAI's user, service-account and key ids
// are global, so the ids stay unique.
package openai

import (
	"bytes"
	"cmp"
	"context"
	"errors"
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

// Source normalizes OpenAI audit logs and usage rows. It is safe for
// concurrent use.
type Source struct {
	org string
	now func() time.Time
}

// Option configures a Source.
type Option func(*Source)

// WithOrganization sets the OpenAI organization id (org-...) the records
// come from. Default empty.
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

// Product returns schemas.ProductOpenAI.
func (s *Source) Product() schemas.Product { return schemas.ProductOpenAI }

// Detect reports an audit log (an effective_at and an actor), a list of
// them, or a usage page, bucket or row.
func (s *Source) Detect(record []byte) bool {
	return detectEffectiveAt.In(record) && detectActor.In(record) || detectUsage.In(record)
}

var (
	detectEffectiveAt = srcjson.NewNeedle(`"effective_at"`)
	detectActor       = srcjson.NewNeedle(`"actor"`)
	detectUsage       = srcjson.NewNeedle(`"organization.usage.`)
)

// Split emits the records of an audit-log list ({"object": "list",
// "data": [...]}) and the rows of a usage page ({"object": "page", "data":
// [buckets]}) or bucket ({"object": "bucket", "results": [...]}). A usage
// row is emitted with its bucket's start_time and end_time added in front,
// so that it stands alone.
func (s *Source) Split(delivery []byte, emit func(record []byte) error) (bool, error) {
	d := bytes.TrimSpace(delivery)
	if len(d) == 0 || d[0] != '{' {
		return false, nil
	}
	var c container
	if err := json.Unmarshal(d, &c); err != nil {
		if bytes.Contains(d, []byte(`"object"`)) && (bytes.Contains(d, []byte(`"list"`)) || bytes.Contains(d, []byte(`"page"`))) {
			return true, ingest.Invalid("data", "malformed page: %v", err)
		}
		return false, nil // not a container we can read: Normalize says why
	}
	switch c.Object {
	case "list":
		items, err := array("data", c.Data)
		if err != nil {
			return true, err
		}
		for i, it := range items {
			if err := emit(it); err != nil {
				return true, fmt.Errorf("data[%d]: %w", i, err)
			}
		}
		return true, nil
	case "page":
		buckets, err := array("data", c.Data)
		if err != nil {
			return true, err
		}
		for i, b := range buckets {
			var bc container
			if err := json.Unmarshal(b, &bc); err != nil || bc.Object != "bucket" {
				return true, ingest.Invalid(fmt.Sprintf("data[%d]", i), "not a usage bucket")
			}
			if err := splitBucket(fmt.Sprintf("data[%d].results", i), &bc, emit); err != nil {
				return true, err
			}
		}
		return true, nil
	case "bucket":
		return true, splitBucket("results", &c, emit)
	}
	return false, nil
}

type container struct {
	Object    string          `json:"object"`
	Data      json.RawMessage `json:"data"`
	Results   json.RawMessage `json:"results"`
	StartTime json.RawMessage `json:"start_time"`
	EndTime   json.RawMessage `json:"end_time"`
}

func array(field string, raw json.RawMessage) ([]json.RawMessage, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, ingest.Invalid(field, "not an array of records")
	}
	return items, nil
}

func splitBucket(field string, b *container, emit func([]byte) error) error {
	rows, err := array(field, b.Results)
	if err != nil {
		return err
	}
	for i, row := range rows {
		r := bytes.TrimSpace(row)
		if len(r) < 2 || r[0] != '{' {
			return ingest.Invalid(fmt.Sprintf("%s[%d]", field, i), "not an object")
		}
		rec := make([]byte, 0, len(r)+64)
		rec = append(rec, `{"start_time":`...)
		rec = append(rec, nullIfEmpty(b.StartTime)...)
		rec = append(rec, `,"end_time":`...)
		rec = append(rec, nullIfEmpty(b.EndTime)...)
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

func nullIfEmpty(raw json.RawMessage) []byte {
	if len(bytes.TrimSpace(raw)) == 0 {
		return []byte("null")
	}
	return raw
}

// auditLog is an audit log object; the type-specific object, keyed by the
// type itself, is read separately.
type auditLog struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	EffectiveAt json.RawMessage `json:"effective_at"`
	Object      string          `json:"object"`
	Project     *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"project"`
	Actor *struct {
		Type    string `json:"type"`
		Session *struct {
			User      user   `json:"user"`
			IPAddress string `json:"ip_address"`
			UserAgent string `json:"user_agent"`
			IPDetails *struct {
				Country string          `json:"country"`
				ASN     json.RawMessage `json:"asn"`
			} `json:"ip_address_details"`
		} `json:"session"`
		APIKey *struct {
			ID             string `json:"id"`
			Type           string `json:"type"`
			User           *user  `json:"user"`
			ServiceAccount *struct {
				ID string `json:"id"`
			} `json:"service_account"`
		} `json:"api_key"`
	} `json:"actor"`
}

type user struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

// details is the part of a type-specific object aitdr reads.
type details struct {
	ID               string          `json:"id"`
	Data             json.RawMessage `json:"data"`
	ChangesRequested json.RawMessage `json:"changes_requested"`
	ErrorCode        string          `json:"error_code"`
	ErrorMessage     string          `json:"error_message"`
	Name             string          `json:"name"`
	Email            string          `json:"email"`
}

// Normalize fills ev from one audit log or usage row.
func (s *Source) Normalize(_ context.Context, raw []byte, ev *schemas.Event) error {
	if !utf8.Valid(raw) {
		return srcjson.InvalidUTF8(raw)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return srcjson.Explain(raw, &top, err)
	}
	if obj, _ := srcjson.AsString(top["object"]); strings.HasPrefix(obj, "organization.usage.") {
		return s.usage(raw, obj, ev)
	}
	var a auditLog
	if err := json.Unmarshal(raw, &a); err != nil {
		return srcjson.Explain(raw, &a, err)
	}
	if a.Type == "" {
		return ingest.Missing("type")
	}
	t, err := unixTime("effective_at", a.EffectiveAt, s.now())
	if err != nil {
		return err
	}
	ev.Time = t
	ev.Source = schemas.Source{Product: schemas.ProductOpenAI, EventID: a.ID, Org: s.org}
	if a.Project != nil {
		ev.Source.Project = a.Project.ID
	}
	if err := s.actor(&a, ev); err != nil {
		return err
	}

	k := kinds[a.Type]
	if k.verb == "" {
		k = kind{verb: schemas.VerbOther, category: schemas.CategoryOther}
	}
	service, _, _ := strings.Cut(a.Type, ".")
	ev.Action = schemas.Action{Name: a.Type, Service: service, Verb: k.verb, Category: k.category}
	ev.Outcome = schemas.OutcomeSuccess
	if strings.HasSuffix(a.Type, ".failed") {
		ev.Outcome = schemas.OutcomeFailure
	}
	ev.AI.Provider, ev.AI.Service = "openai", "platform"

	// The type-specific object.
	var d details
	if obj, ok := top[a.Type]; ok && len(obj) > 0 && obj[0] == '{' {
		if err := json.Unmarshal(obj, &d); err != nil {
			var fe *ingest.FieldError
			if errors.As(srcjson.Explain(obj, &d, err), &fe) && fe.Field != "record" {
				return ingest.Invalid(a.Type+"."+fe.Field, "%s", fe.Problem)
			}
			return ingest.Invalid(a.Type, "malformed: %v", err)
		}
	}
	ev.Error = schemas.ErrorDetail{Code: d.ErrorCode, Message: srcjson.Clip(d.ErrorMessage, 512, "")}
	if ev.Error.Code != "" {
		ev.Outcome = schemas.OutcomeFailure
	}
	var data struct {
		Name   string   `json:"name"`
		Title  string   `json:"title"`
		Email  string   `json:"email"`
		Role   string   `json:"role"`
		Scopes []string `json:"scopes"`
		// checkpoint.permission.*: the project the checkpoint is shared with.
		ProjectID  string `json:"project_id"`
		Checkpoint string `json:"fine_tuned_model_checkpoint"`
	}
	for _, part := range []json.RawMessage{d.Data, d.ChangesRequested} {
		if len(part) > 0 && part[0] == '{' {
			_ = json.Unmarshal(part, &data) // optional details; a type mismatch keeps what was read
		}
	}
	if k.target != noTarget && (d.ID != "" || k.target != "") {
		targetType := k.target
		if targetType == "" {
			targetType = service
		}
		ev.Target = schemas.Target{Type: targetType, ID: d.ID, Name: cmp.Or(data.Name, d.Name, data.Email, d.Email, data.Title, data.Checkpoint),
			Tenant: data.ProjectID}
		if targetType == "project" && ev.Target.ID == "" && a.Project != nil {
			ev.Target.ID, ev.Target.Name = a.Project.ID, cmp.Or(ev.Target.Name, a.Project.Name)
		}
	}
	attr := func(key, v string) {
		if v == "" {
			return
		}
		if ev.Attributes == nil {
			ev.Attributes = make(map[string]string, 4)
		}
		ev.Attributes[key] = v
	}
	if a.Project != nil {
		attr("openai.project_name", a.Project.Name)
	}
	attr("openai.role", data.Role)
	attr("openai.scopes", strings.Join(data.Scopes, ","))
	if len(d.ChangesRequested) > 0 && d.ChangesRequested[0] == '{' {
		var buf bytes.Buffer
		if json.Compact(&buf, d.ChangesRequested) == nil {
			attr("openai.changes_requested", srcjson.Clip(buf.String(), 1024, ""))
		}
	}
	return nil
}

// actor fills the identity, session and network of an audit log.
func (s *Source) actor(a *auditLog, ev *schemas.Event) error {
	act := a.Actor
	if act == nil {
		return ingest.Missing("actor")
	}
	id := &ev.Identity
	id.Provider, id.Account = "openai", s.org
	switch act.Type {
	case "session":
		if act.Session == nil {
			return ingest.Missing("actor.session")
		}
		u := act.Session.User
		if u.ID == "" {
			return ingest.Missing("actor.session.user.id")
		}
		s.human(id, u)
		if ip := act.Session.IPAddress; ip != "" {
			canonical, ok := srcjson.CanonicalIP(ip)
			if !ok {
				return ingest.Invalid("actor.session.ip_address", "%q is not an IP address", ip)
			}
			ev.Network.SourceIP = canonical
		}
		ev.Network.UserAgent = act.Session.UserAgent
		if d := act.Session.IPDetails; d != nil {
			ev.Network.Country = d.Country
			if asn, err := strconv.ParseUint(strings.TrimPrefix(strings.Trim(string(d.ASN), `"`), "AS"), 10, 32); err == nil {
				ev.Network.ASN = uint32(asn)
			}
		}
	case "api_key":
		k := act.APIKey
		if k == nil {
			return ingest.Missing("actor.api_key")
		}
		ev.Session.CredentialType = schemas.CredentialAPIKey
		id.CredentialID = k.ID
		switch {
		case k.Type == "user" || (k.Type == "" && k.User != nil):
			if k.User == nil || k.User.ID == "" {
				return ingest.Missing("actor.api_key.user.id")
			}
			s.human(id, *k.User)
		case k.Type == "service_account" || (k.Type == "" && k.ServiceAccount != nil):
			if k.ServiceAccount == nil || k.ServiceAccount.ID == "" {
				return ingest.Missing("actor.api_key.service_account.id")
			}
			id.ID = "openai:" + s.org + ":service_account/" + k.ServiceAccount.ID
			id.Kind, id.Type = schemas.KindService, "service_account"
			id.UID, id.Name = k.ServiceAccount.ID, k.ServiceAccount.ID
			id.AccountType = schemas.AccountCorporate
		default:
			return ingest.Invalid("actor.api_key.type", "unknown key type %q", k.Type)
		}
	case "":
		return ingest.Missing("actor.type")
	default:
		return ingest.Invalid("actor.type", "unknown actor type %q", act.Type)
	}
	return nil
}

func (s *Source) human(id *schemas.Principal, u user) {
	id.ID = "openai:" + s.org + ":user/" + u.ID
	id.Kind, id.Type = schemas.KindHuman, "user"
	id.UID, id.Name, id.Email = u.ID, cmp.Or(u.Email, u.ID), u.Email
	id.AccountType = schemas.AccountCorporate
}

// kind is the normalized meaning of an audit log type.
type kind struct {
	verb     schemas.Verb
	category schemas.Category
	target   string // target type when it differs from the type's prefix; noTarget for none
}

// noTarget marks the types that act on no resource.
const noTarget = "-"

// kinds maps the documented audit log types. API keys and external keys
// are secret_access; users, invites, service accounts, groups and roles
// iam_change; projects, the organization, rate limits, certificates,
// allowlists and tunnels admin; sharing fine-tuned checkpoints
// model_management.
var kinds = map[string]kind{
	"api_key.created":                 {schemas.VerbCreate, schemas.CategorySecretAccess, ""},
	"api_key.updated":                 {schemas.VerbUpdate, schemas.CategorySecretAccess, ""},
	"api_key.deleted":                 {schemas.VerbDelete, schemas.CategorySecretAccess, ""},
	"certificate.created":             {schemas.VerbCreate, schemas.CategoryAdmin, ""},
	"certificate.updated":             {schemas.VerbUpdate, schemas.CategoryAdmin, ""},
	"certificate.deleted":             {schemas.VerbDelete, schemas.CategoryAdmin, ""},
	"certificates.activated":          {schemas.VerbEnable, schemas.CategoryAdmin, "certificate"},
	"certificates.deactivated":        {schemas.VerbDisable, schemas.CategoryAdmin, "certificate"},
	"checkpoint.permission.created":   {schemas.VerbGrant, schemas.CategoryModelManagement, "checkpoint_permission"},
	"checkpoint.permission.deleted":   {schemas.VerbRevoke, schemas.CategoryModelManagement, "checkpoint_permission"},
	"external_key.registered":         {schemas.VerbCreate, schemas.CategorySecretAccess, ""},
	"external_key.removed":            {schemas.VerbDelete, schemas.CategorySecretAccess, ""},
	"group.created":                   {schemas.VerbCreate, schemas.CategoryIAMChange, ""},
	"group.updated":                   {schemas.VerbUpdate, schemas.CategoryIAMChange, ""},
	"group.deleted":                   {schemas.VerbDelete, schemas.CategoryIAMChange, ""},
	"invite.sent":                     {schemas.VerbCreate, schemas.CategoryIAMChange, ""},
	"invite.accepted":                 {schemas.VerbUpdate, schemas.CategoryIAMChange, ""},
	"invite.deleted":                  {schemas.VerbDelete, schemas.CategoryIAMChange, ""},
	"ip_allowlist.created":            {schemas.VerbCreate, schemas.CategoryAdmin, ""},
	"ip_allowlist.updated":            {schemas.VerbUpdate, schemas.CategoryAdmin, ""},
	"ip_allowlist.deleted":            {schemas.VerbDelete, schemas.CategoryAdmin, ""},
	"ip_allowlist.config.activated":   {schemas.VerbEnable, schemas.CategoryAdmin, ""},
	"ip_allowlist.config.deactivated": {schemas.VerbDisable, schemas.CategoryAdmin, ""},
	"login.succeeded":                 {schemas.VerbAuthenticate, schemas.CategoryAuthentication, noTarget},
	"login.failed":                    {schemas.VerbAuthenticate, schemas.CategoryAuthentication, noTarget},
	"logout.succeeded":                {schemas.VerbOther, schemas.CategoryAuthentication, noTarget},
	"logout.failed":                   {schemas.VerbOther, schemas.CategoryAuthentication, noTarget},
	"organization.updated":            {schemas.VerbUpdate, schemas.CategoryAdmin, ""},
	"project.created":                 {schemas.VerbCreate, schemas.CategoryAdmin, ""},
	"project.updated":                 {schemas.VerbUpdate, schemas.CategoryAdmin, ""},
	"project.archived":                {schemas.VerbDisable, schemas.CategoryAdmin, ""},
	"project.deleted":                 {schemas.VerbDelete, schemas.CategoryAdmin, ""},
	"rate_limit.updated":              {schemas.VerbUpdate, schemas.CategoryAdmin, ""},
	"rate_limit.deleted":              {schemas.VerbDelete, schemas.CategoryAdmin, ""},
	"resource.deleted":                {schemas.VerbDelete, schemas.CategoryAdmin, ""},
	"role.created":                    {schemas.VerbCreate, schemas.CategoryIAMChange, ""},
	"role.updated":                    {schemas.VerbUpdate, schemas.CategoryIAMChange, ""},
	"role.deleted":                    {schemas.VerbDelete, schemas.CategoryIAMChange, ""},
	"role.assignment.created":         {schemas.VerbGrant, schemas.CategoryIAMChange, "role_assignment"},
	"role.assignment.deleted":         {schemas.VerbRevoke, schemas.CategoryIAMChange, "role_assignment"},
	"scim.enabled":                    {schemas.VerbEnable, schemas.CategoryIAMChange, noTarget},
	"scim.disabled":                   {schemas.VerbDisable, schemas.CategoryIAMChange, noTarget},
	"service_account.created":         {schemas.VerbCreate, schemas.CategoryIAMChange, ""},
	"service_account.updated":         {schemas.VerbUpdate, schemas.CategoryIAMChange, ""},
	"service_account.deleted":         {schemas.VerbDelete, schemas.CategoryIAMChange, ""},
	"tunnel.created":                  {schemas.VerbCreate, schemas.CategoryAdmin, ""},
	"tunnel.updated":                  {schemas.VerbUpdate, schemas.CategoryAdmin, ""},
	"tunnel.deleted":                  {schemas.VerbDelete, schemas.CategoryAdmin, ""},
	"user.added":                      {schemas.VerbCreate, schemas.CategoryIAMChange, ""},
	"user.updated":                    {schemas.VerbUpdate, schemas.CategoryIAMChange, ""},
	"user.deleted":                    {schemas.VerbDelete, schemas.CategoryIAMChange, ""},
}

// usageRow is a row of the organization usage API, with its bucket's times
// in front (see Split).
type usageRow struct {
	StartTime         json.RawMessage `json:"start_time"`
	EndTime           json.RawMessage `json:"end_time"`
	InputTokens       json.RawMessage `json:"input_tokens"`
	OutputTokens      json.RawMessage `json:"output_tokens"`
	InputCachedTokens json.RawMessage `json:"input_cached_tokens"`
	NumModelRequests  json.RawMessage `json:"num_model_requests"`
	ProjectID         string          `json:"project_id"`
	UserID            string          `json:"user_id"`
	APIKeyID          string          `json:"api_key_id"`
	Model             string          `json:"model"`
	Batch             *bool           `json:"batch"`
	ServiceTier       string          `json:"service_tier"`
}

// usage fills ev from a usage row: the API key's or user's usage of one
// model in one time bucket.
func (s *Source) usage(raw []byte, object string, ev *schemas.Event) error {
	var u usageRow
	if err := json.Unmarshal(raw, &u); err != nil {
		return srcjson.Explain(raw, &u, err)
	}
	t, err := unixTime("start_time", u.StartTime, s.now())
	if err != nil {
		return err
	}
	ev.Time = t
	ev.Source = schemas.Source{Product: schemas.ProductOpenAI, Org: s.org, Project: u.ProjectID}
	id := &ev.Identity
	id.Provider, id.Account, id.AccountType = "openai", s.org, schemas.AccountCorporate
	id.CredentialID = u.APIKeyID
	switch {
	case u.UserID != "":
		s.human(id, user{ID: u.UserID})
	case u.APIKeyID != "":
		id.ID = "openai:" + s.org + ":key/" + u.APIKeyID
		id.Kind, id.Type, id.UID, id.Name = schemas.KindService, "api_key", u.APIKeyID, u.APIKeyID
	default:
		return ingest.Invalid("api_key_id", "missing: the row is an aggregate (group the usage by api_key_id or user_id)")
	}
	if u.APIKeyID != "" {
		ev.Session.CredentialType = schemas.CredentialAPIKey
	}
	name := "usage." + strings.TrimSuffix(strings.TrimPrefix(object, "organization.usage."), ".result")
	ev.Action = schemas.Action{Name: name, Service: "usage", Verb: schemas.VerbInvoke, Category: schemas.CategoryModelInference}
	switch name {
	case "usage.vector_stores", "usage.code_interpreter_sessions":
		ev.Action.Verb, ev.Action.Category = schemas.VerbOther, schemas.CategoryOther
	}
	ev.Outcome = schemas.OutcomeSuccess
	ev.AI = schemas.AIContext{Provider: "openai", Service: "api", Model: u.Model}
	if u.Model != "" {
		ev.Target = schemas.Target{Type: "model", ID: u.Model, Name: u.Model}
	}
	for _, c := range []struct {
		field string
		raw   json.RawMessage
		dst   *int64
	}{
		{"input_tokens", u.InputTokens, &ev.Volume.TokensIn},
		{"output_tokens", u.OutputTokens, &ev.Volume.TokensOut},
		{"num_model_requests", u.NumModelRequests, &ev.Volume.Records},
	} {
		if *c.dst, err = count(c.field, c.raw); err != nil {
			return err
		}
	}
	cached, err := count("input_cached_tokens", u.InputCachedTokens)
	if err != nil {
		return err
	}
	ev.Attributes = map[string]string{}
	if v := strings.TrimSpace(string(u.EndTime)); v != "" && v != "null" {
		end, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return ingest.Invalid("end_time", "%s is not Unix seconds", srcjson.Clip(v, 40, ""))
		}
		ev.Attributes["openai.bucket_end"] = time.Unix(end, 0).UTC().Format(time.RFC3339)
	}
	if cached > 0 {
		ev.Attributes["openai.input_cached_tokens"] = strconv.FormatInt(cached, 10)
	}
	if u.Batch != nil {
		ev.Attributes["openai.batch"] = strconv.FormatBool(*u.Batch)
	}
	if u.ServiceTier != "" {
		ev.Attributes["openai.service_tier"] = u.ServiceTier
	}
	if len(ev.Attributes) == 0 {
		ev.Attributes = nil
	}
	return nil
}

// unixTime reads Unix seconds (an integer or a fraction) and refuses times
// before 2000 or more than a day after now.
func unixTime(field string, raw json.RawMessage, now time.Time) (time.Time, error) {
	v := strings.TrimSpace(string(raw))
	if v == "" || v == "null" {
		return time.Time{}, ingest.Missing(field)
	}
	f, err := strconv.ParseFloat(strings.Trim(v, `"`), 64)
	if err != nil {
		return time.Time{}, ingest.Invalid(field, "%s is not Unix seconds", v)
	}
	sec := int64(f)
	t := time.Unix(sec, int64((f-float64(sec))*1e9)).UTC().Round(time.Millisecond)
	if srcjson.Implausible(t, now) != "" {
		return time.Time{}, ingest.Invalid(field, "%s is not a plausible event time", t.Format(time.RFC3339Nano))
	}
	return t, nil
}

// count parses a non-negative count.
func count(field string, raw json.RawMessage) (int64, error) {
	v := strings.TrimSpace(string(raw))
	if v == "" || v == "null" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, ingest.Invalid(field, "%s is not a count", srcjson.Clip(v, 40, ""))
	}
	return n, nil
}
