// Package github normalizes the GitHub audit log: the organization and
// enterprise audit logs as the REST API returns them (a JSON array per page)
// and as audit log streaming delivers them (one JSON object per event).
//
// # Identity
//
// The actor is identified as "github:<account>:<login>", where the account
// is the enterprise (business) when the record names one, else the
// organization, else "github.com" (user-level events outside any
// organization). The enterprise comes first so that one person keeps one
// identity across all the organizations of an enterprise; the organization
// stays in Source.Org. Principal.UID is the numeric actor_id, which survives
// renames.
//
// The actor is an agent when actor_is_agent is true, a service when
// actor_is_bot is true, the login ends in "[bot]" or the request used a
// GitHub App server-to-server token, and a human otherwise. A human's
// account is corporate when the record carries the linked SAML/SCIM
// identity (external_identity_nameid); otherwise it is unknown: a GitHub
// account without a linked identity may be personal or not, and the record
// does not say.
//
// # Categories
//
// Fine-grained and classic token grants, OAuth grants, SSH and deploy keys,
// App installations, memberships and roles are iam_change; secrets of every
// kind are secret_access; SAML responses and Enterprise Managed User
// sign-ins are authentication; Git clone, fetch and push, archive downloads
// and API requests are data_access; audit log streaming changes are
// logging_change; other organization, enterprise and repository settings are
// admin. GitHub Actions runs (workflows.created_workflow_run,
// completed_workflow_run, prepared_workflow_job) are pipeline executions,
// Verb invoke and Category other: the record does not tell a training
// pipeline from any CI job, and a run is not an administrative change.
// Copilot events are admin with the AI context provider "github", service
// "copilot", and so are the actions of the Copilot coding agent (an actor
// with actor_is_agent whose login names Copilot). Actions of a category this package does not know keep a verb
// derived from their name or operation_type and get Category other.
//
// # Content
//
// The request_body of api.request entries (file contents, issue text,
// sometimes credentials) is content: RedactContent replaces it before the
// raw record is kept.
package github

import (
	"bytes"
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

// Provider is the identity provider name of GitHub principals.
const Provider = "github"

// globalAccount is the account of actors of events outside any
// organization or enterprise (a login is unique on github.com).
const globalAccount = "github.com"

// Source normalizes GitHub audit log records. It is safe for concurrent use.
type Source struct{}

var (
	_ ingest.Source   = (*Source)(nil)
	_ ingest.Splitter = (*Source)(nil)
)

// New returns a GitHub audit log source.
func New() *Source { return &Source{} }

// Product returns schemas.ProductGitHub.
func (*Source) Product() schemas.Product { return schemas.ProductGitHub }

var (
	keyDocumentID = []byte(`"_document_id"`)
	keyAction     = []byte(`"action"`)
	keyActor      = []byte(`"actor"`)
	keyCreatedAt  = []byte(`"created_at"`)
	keyTimestamp  = []byte(`"@timestamp"`)
)

// Detect reports whether record looks like a GitHub audit log entry (or a
// page of them): an "action" key with either GitHub's "_document_id", or an
// "actor" whose value is a string (other sources' actors are objects) beside
// "@timestamp" or "created_at".
func (*Source) Detect(record []byte) bool {
	if !bytes.Contains(record, keyAction) {
		return false
	}
	if bytes.Contains(record, keyDocumentID) {
		return true
	}
	return (bytes.Contains(record, keyTimestamp) || bytes.Contains(record, keyCreatedAt)) &&
		stringValued(record, keyActor)
}

// stringValued reports whether the first occurrence of key in b is followed
// by a colon and a JSON string.
func stringValued(b, key []byte) bool {
	i := bytes.Index(b, key)
	if i < 0 {
		return false
	}
	rest := bytes.TrimLeft(b[i+len(key):], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return false
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	return len(rest) > 0 && rest[0] == '"'
}

// Split splits a page of the audit log REST API (a JSON array of entries)
// into its entries. It reports false for a JSON object and for an array
// that does not look like GitHub entries; an empty array is an empty page.
func (s *Source) Split(delivery []byte, emit func(record []byte) error) (bool, error) {
	d := bytes.TrimLeft(delivery, " \t\r\n")
	if len(d) == 0 || d[0] != '[' {
		return false, nil
	}
	inner := bytes.TrimLeft(d[1:], " \t\r\n")
	empty := len(inner) > 0 && inner[0] == ']'
	if !empty && !s.Detect(d) {
		return false, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(d, &items); err != nil {
		return true, fmt.Errorf("split github audit log page: %w", err)
	}
	for i, item := range items {
		if err := emit(item); err != nil {
			return true, fmt.Errorf("split github audit log page: entry %d: %w", i, err)
		}
	}
	return true, nil
}

// Normalize fills ev from one audit log entry.
func (*Source) Normalize(_ context.Context, b []byte, ev *schemas.Event) error {
	var r record
	if err := decodeRecord(b, &r); err != nil {
		return err
	}
	if err := checkKeyFields(b, &r); err != nil {
		return err
	}

	t, err := eventTime(&r)
	if err != nil {
		return err
	}
	ev.Time = t

	account := r.Business
	if account == "" {
		account = r.Org
	}
	if account == "" {
		account = globalAccount
	}
	ev.Source = schemas.Source{
		Product: schemas.ProductGitHub,
		EventID: r.DocumentID,
		Account: r.Business,
		Org:     r.Org,
	}

	c := classify(r.Action)
	attrs := make(map[string]string, 8)
	ev.Identity = principal(&r, account)
	ev.Session = session(&r)
	ev.Action = schemas.Action{
		Name:     r.Action,
		Service:  service(r.Action),
		Verb:     c.verb,
		Category: c.cat,
	}
	if r.Action == "api.request" {
		ev.Action.Verb = verbOfMethod(r.RequestMethod)
	} else if ev.Action.Verb == "" {
		ev.Action.Verb = verbOf(r.Action, r.OperationType)
	}
	ev.Target = target(&r, c.target, account)
	ev.Outcome, ev.Error = outcome(&r)
	ev.Network = network(&r, attrs)
	if isCopilot(r.Action) || (r.ActorIsAgent && isCopilot(strings.ToLower(r.Actor))) {
		ev.AI = schemas.AIContext{Provider: Provider, Service: "copilot"}
	}
	attributes(&r, attrs)
	if len(attrs) > 0 {
		ev.Attributes = attrs
	}
	return nil
}

// checkKeyFields checks the fields that identify the event and its actor:
// present, and valid UTF-8. The decoder replaces invalid bytes by U+FFFD, so
// a key field holding U+FFFD in a record that is not valid UTF-8 had
// invalid bytes.
func checkKeyFields(b []byte, r *record) error {
	if r.Action == "" {
		return ingest.Missing("action")
	}
	if r.Actor == "" {
		return ingest.Missing("actor")
	}
	for _, f := range [...]struct{ name, value string }{
		{"action", r.Action}, {"actor", r.Actor}, {"org", r.Org},
		{"business", r.Business}, {"user", r.User}, {"repo", r.Repo},
		{"_document_id", r.DocumentID},
	} {
		if strings.ContainsRune(f.value, utf8.RuneError) && !utf8.Valid(b) {
			return ingest.Invalid(f.name, "invalid UTF-8")
		}
	}
	return nil
}

// eventTime returns the event time: @timestamp, else created_at (older
// REST API entries), both epoch milliseconds.
func eventTime(r *record) (time.Time, error) {
	field, ts := "@timestamp", r.Timestamp
	if ts.bad != "" {
		return time.Time{}, ingest.Invalid(field, "%s", ts.bad)
	}
	if !ts.set {
		field, ts = "created_at", r.CreatedAt
		if ts.bad != "" {
			return time.Time{}, ingest.Invalid(field, "%s", ts.bad)
		}
		if !ts.set {
			return time.Time{}, ingest.Missing("@timestamp")
		}
	}
	if why := srcjson.Implausible(ts.t, time.Now()); why != "" {
		return time.Time{}, ingest.Invalid(field, "%s is %s", ts.t.Format(time.RFC3339Nano), why)
	}
	return ts.t, nil
}

// principal returns the actor.
func principal(r *record, account string) schemas.Principal {
	p := schemas.Principal{
		ID:       "github:" + account + ":" + r.Actor,
		Provider: Provider,
		Account:  account,
		UID:      r.ActorID.String(),
		Name:     r.Actor,
	}
	switch {
	case r.ActorIsAgent:
		p.Kind, p.Type = schemas.KindAgent, "Bot"
	case r.ActorIsBot || strings.HasSuffix(r.Actor, "[bot]") || isAppToken(r.ProgrammaticAccessType):
		p.Kind, p.Type = schemas.KindService, "Bot"
	default:
		p.Kind, p.Type = schemas.KindHuman, "User"
	}
	p.AccountType = schemas.AccountUnknown
	if r.ExternalIdentityNameID != "" {
		p.AccountType = schemas.AccountCorporate
		for _, s := range [...]string{r.ExternalIdentityNameID, r.ExternalIdentityUsername} {
			if strings.Contains(s, "@") {
				p.Email = s
				break
			}
		}
	}
	if r.TokenID != "" {
		p.CredentialID = r.TokenID.String()
	} else if r.HashedToken != "" {
		p.CredentialID = r.HashedToken
	}
	return p
}

// session returns the session: the credential type of a programmatic
// request, SSO for SAML responses, unknown for web sessions.
func session(r *record) schemas.Session {
	s := schemas.Session{CredentialType: credentialOf(r.ProgrammaticAccessType)}
	if strings.HasSuffix(r.Action, ".sso_response") {
		s.CredentialType = schemas.CredentialSSO
		s.Issuer = r.Issuer
	}
	return s
}

// service returns the category part of an action name ("repo" of
// "repo.create").
func service(action string) string {
	prefix, _, _ := strings.Cut(action, ".")
	return prefix
}

// repoName returns the repository the record names, "owner/name".
func repoName(r *record) string {
	if r.Repo != "" {
		return r.Repo
	}
	return r.Repository
}

// target returns the target of the action.
func target(r *record, kind targetKind, account string) schemas.Target {
	repo := repoName(r)
	switch kind {
	case targetUser:
		if r.User != "" {
			return schemas.Target{Type: "user", ID: r.UserID.String(), Name: r.User, Tenant: account}
		}
	case targetToken:
		if r.UserProgrammaticAccessID != "" || r.UserProgrammaticAccessName != "" {
			return schemas.Target{Type: "personal_access_token", ID: r.UserProgrammaticAccessID.String(),
				Name: r.UserProgrammaticAccessName, Tenant: account}
		}
	case targetSecret:
		if r.Key != "" {
			scope := repo
			if scope == "" {
				scope = r.Org
			}
			if scope == "" {
				scope = r.Business
			}
			return schemas.Target{Type: "secret", ID: scope + "/secrets/" + r.Key, Name: r.Key, Tenant: repoTenant(repo, r.Org, account)}
		}
	case targetApp:
		name := r.Integration
		if name == "" {
			name = r.Name
		}
		if name != "" || r.InstallationID != "" {
			return schemas.Target{Type: "github_app", ID: r.InstallationID.String(), Name: name, Tenant: account}
		}
	case targetOAuthApp:
		if r.OAuthApplicationID != "" || r.OAuthApplicationName != "" {
			return schemas.Target{Type: "oauth_application", ID: r.OAuthApplicationID.String(),
				Name: r.OAuthApplicationName, Tenant: account}
		}
	case targetKey:
		fp := r.Fingerprint
		if fp == "" {
			fp = r.DeployKeyFingerprint
		}
		if fp != "" || r.Title != "" {
			return schemas.Target{Type: "ssh_key", ID: fp, Name: r.Title, Tenant: repoTenant(repo, r.Org, account)}
		}
	case targetWorkflow:
		if repo != "" && (r.WorkflowID != "" || r.Name != "") {
			id := r.JobWorkflowRef
			if r.WorkflowID != "" {
				id = repo + "/workflows/" + r.WorkflowID.String()
			}
			return schemas.Target{Type: "workflow", ID: id, Name: r.Name, Tenant: repoTenant(repo, r.Org, account)}
		}
	case targetBranch:
		branch := r.Name
		if branch == "" {
			branch = r.Branch
		}
		if repo != "" && branch != "" {
			return schemas.Target{Type: "branch", ID: repo + "/branches/" + branch, Name: branch, Tenant: repoTenant(repo, r.Org, account)}
		}
	case targetTeam:
		if r.Team != "" {
			return schemas.Target{Type: "team", ID: r.Team, Name: r.Team, Tenant: account}
		}
	case targetOrg:
		if r.Org != "" {
			return schemas.Target{Type: "organization", ID: r.OrgID.String(), Name: r.Org, Tenant: account}
		}
	case targetBusiness:
		if r.Business != "" {
			return schemas.Target{Type: "enterprise", ID: r.BusinessID.String(), Name: r.Business, Tenant: account}
		}
	}
	switch {
	case repo != "":
		return schemas.Target{Type: "repository", ID: r.RepoID.String(), Name: repo, Tenant: repoTenant(repo, r.Org, account)}
	case r.Org != "":
		return schemas.Target{Type: "organization", ID: r.OrgID.String(), Name: r.Org, Tenant: account}
	case r.Business != "":
		return schemas.Target{Type: "enterprise", ID: r.BusinessID.String(), Name: r.Business, Tenant: account}
	case r.User != "":
		return schemas.Target{Type: "user", ID: r.UserID.String(), Name: r.User, Tenant: account}
	}
	return schemas.Target{}
}

// repoTenant returns the tenant of a repository: the actor's account when
// the repository belongs to the record's organization (or names no owner),
// else its owner, so that a repository outside the organization shows as
// cross-tenant.
func repoTenant(repo, org, account string) string {
	owner, _, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || org == "" || strings.EqualFold(owner, org) {
		return account
	}
	return owner
}

// outcome returns the outcome and error. Audit entries record actions that
// happened; the failures are failed sign-ins, rejected pushes, API
// requests with an error status and failed workflow runs.
func outcome(r *record) (schemas.Outcome, schemas.ErrorDetail) {
	switch {
	case r.Action == "protected_branch.rejected_ref_update":
		return schemas.OutcomeFailure, schemas.ErrorDetail{Code: "rejected_ref_update", Message: r.Reason}
	case isFailure(r.Action):
		return schemas.OutcomeFailure, schemas.ErrorDetail{Code: r.Action[strings.LastIndexByte(r.Action, '.')+1:], Message: r.Reason}
	case r.StatusCode != "":
		code, err := strconv.Atoi(r.StatusCode.String())
		if err == nil && code >= 400 {
			return schemas.OutcomeFailure, schemas.ErrorDetail{Code: r.StatusCode.String()}
		}
	case r.Conclusion != "":
		switch r.Conclusion {
		case "success", "neutral", "skipped":
		default:
			return schemas.OutcomeFailure, schemas.ErrorDetail{Code: r.Conclusion}
		}
	}
	return schemas.OutcomeSuccess, schemas.ErrorDetail{}
}

// network returns where the request came from; an address that does not
// parse is kept in the attributes instead.
func network(r *record, attrs map[string]string) schemas.Network {
	n := schemas.Network{UserAgent: r.UserAgent, Country: strings.ToUpper(r.ActorLoc.CountryCode)}
	if r.ActorIP != "" {
		if ip, ok := srcjson.CanonicalIP(r.ActorIP); ok {
			n.SourceIP = ip
		} else {
			attrs["github.actor_ip"] = r.ActorIP
		}
	}
	return n
}

// isCopilot reports whether action concerns GitHub Copilot: the copilot
// category, or a Copilot setting filed under another one.
func isCopilot(action string) bool { return strings.Contains(action, "copilot") }

// isFailure reports whether action records a failure by its name, such as
// user.failed_login or two_factor_authentication.challenge_failure.
func isFailure(action string) bool {
	op := action[strings.LastIndexByte(action, '.')+1:]
	return strings.HasPrefix(op, "failed") || strings.HasSuffix(op, "_failed") || strings.HasSuffix(op, "failure")
}

// attributes adds the extras worth keeping.
func attributes(r *record, attrs map[string]string) {
	add := func(k, v string) {
		if v != "" {
			attrs[k] = v
		}
	}
	add("github.request_id", r.RequestID)
	add("github.operation_type", r.OperationType)
	add("github.programmatic_access_type", r.ProgrammaticAccessType)
	add("github.hashed_token", r.HashedToken)
	add("github.token_scopes", r.TokenScopes)
	add("github.external_identity_nameid", r.ExternalIdentityNameID)
	add("github.external_identity_username", r.ExternalIdentityUsername)
	add("github.org_id", r.OrgID.String())
	add("github.visibility", r.Visibility)
	add("github.previous_visibility", r.PreviousVisibility)
	add("github.permission", r.Permission)
	add("github.old_permission", r.OldPermission)
	add("github.repository_selection", r.RepositorySelection)
	add("github.transport_protocol", r.TransportProtocolName)
	add("github.team", r.Team)
	add("github.workflow_run_id", r.WorkflowRunID.String())
	add("github.job_workflow_ref", r.JobWorkflowRef)
	add("github.head_branch", r.HeadBranch)
	add("github.event", r.TriggerEvent)
	add("github.conclusion", r.Conclusion)
	add("github.route", r.Route)
	add("github.request_method", r.RequestMethod)
	add("github.status_code", r.StatusCode.String())
	if r.User != "" && r.User != r.Actor {
		add("github.user", r.User)
	}
}
