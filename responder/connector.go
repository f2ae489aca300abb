// Package responder contains identities an alert is about: it consumes
// alerts from NATS JetStream, selects playbooks, runs connector steps with
// guardrails, and records every decision for audit and time to respond.
package responder

import (
	"context"
	"strconv"
	"time"
)

// ActionKind is a provider-level containment step a playbook orders, finer
// than the alert-level ocsf.ResponseKind it reports as (see Kind.Response).
type ActionKind string

// Containment steps. Each connector documents which it supports and the
// provider API call behind each.
const (
	// ActionDisableAccount disables the principal: Okta suspend, Entra
	// accountEnabled=false, an AWS deny-all inline policy for a role.
	ActionDisableAccount ActionKind = "disable_account"
	// ActionRevokeSessions ends the principal's active sessions: Okta clear
	// sessions, Entra revokeSignInSessions, an AWS deny on
	// aws:TokenIssueTime older than now.
	ActionRevokeSessions ActionKind = "revoke_sessions"
	// ActionRevokeKeys deactivates or revokes the principal's long-lived
	// credentials: AWS access keys, Okta API and OAuth tokens, GitHub PATs,
	// Kubernetes service-account token secrets.
	ActionRevokeKeys ActionKind = "revoke_keys"
	// ActionDenyAll attaches an inline deny-all policy (AWS).
	ActionDenyAll ActionKind = "deny_all"
	// ActionDeleteLoginProfile removes console access (AWS IAM user).
	ActionDeleteLoginProfile ActionKind = "delete_login_profile"
	// ActionQuarantineTag tags the principal as quarantined.
	ActionQuarantineTag ActionKind = "quarantine_tag"
	// ActionRemoveRoleBindings removes a Kubernetes service account's role
	// bindings.
	ActionRemoveRoleBindings ActionKind = "remove_role_bindings"
	// ActionRemoveCollaborator removes an outside collaborator (GitHub).
	ActionRemoveCollaborator ActionKind = "remove_collaborator"
	// ActionWebhook calls a configured HTTP endpoint with the alert.
	ActionWebhook ActionKind = "webhook"
	// ActionNotify notifies the SOC or the owner through the feed outputs.
	ActionNotify ActionKind = "notify"
)

// Principal is the identity a containment step acts on, as the provider
// names it. The responder fills it from the alert: the aitdr identity id
// "<provider>:<account>:<native id>", the OCSF actor and the evidence.
type Principal struct {
	// ID is the aitdr identity id.
	ID string `json:"id"`
	// Provider is aws, okta, entra, gcp, github, kubernetes, openai,
	// anthropic.
	Provider string `json:"provider,omitempty"`
	// Account is the provider account or tenant: AWS account id, Okta org
	// domain, Entra tenant id, GitHub organization or enterprise,
	// Kubernetes cluster.
	Account string `json:"account,omitempty"`
	// NativeID is the provider-native id part of ID: "role/bedrock-agent",
	// an Okta user id, an Entra object id, a GitHub login,
	// "system:serviceaccount:ns:name".
	NativeID string `json:"native_id,omitempty"`
	// Type is the provider-native principal type (IAMUser, AssumedRole,
	// ServicePrincipal, ServiceAccount, User).
	Type string `json:"type,omitempty"`
	// Name is the login or user name.
	Name string `json:"name,omitempty"`
	// Email is the e-mail address, when known.
	Email string `json:"email,omitempty"`
	// CredentialIDs are the credentials seen in the evidence: AWS access
	// key ids, token ids.
	CredentialIDs []string `json:"credential_ids,omitempty"`
	// SessionIDs are the sessions seen in the evidence.
	SessionIDs []string `json:"session_ids,omitempty"`
}

// Request is one containment step to run.
type Request struct {
	// ActionID identifies the step; it is the idempotency key, stable across
	// redeliveries of the alert.
	ActionID string `json:"action_id"`
	// AlertID is the alert the step answers.
	AlertID string `json:"alert_id"`
	// Kind is the step.
	Kind ActionKind `json:"kind"`
	// Principal is what it is done to.
	Principal Principal `json:"principal"`
	// Params are the playbook's parameters of the step (a webhook name, a
	// policy name, a tag key).
	Params map[string]string `json:"params,omitempty"`
	// DryRun asks the connector to report what it would do and change
	// nothing.
	DryRun bool `json:"dry_run,omitempty"`
	// Rollback is true when the step undoes an earlier one (RollbackOf in
	// the audit): re-enable, reactivate.
	Rollback bool `json:"rollback,omitempty"`
	// Alert is the alert as published (OCSF Detection Finding JSON), for
	// connectors that forward it, such as the webhook; nil when unknown.
	Alert []byte `json:"-"`
}

// Result is what a connector did.
type Result struct {
	// Changes name each change made (or, in a dry run, that would be made),
	// such as "iam:UpdateAccessKey AKIA... Inactive".
	Changes []string
	// Rollback is the request that undoes the step, when the provider
	// allows it; nil otherwise.
	Rollback *Request
	// Completed is when the provider confirmed the step.
	Completed time.Time
}

// Connector runs containment steps against one provider's own API.
//
// Do must be idempotent for a given Request.ActionID and safe to retry:
// the responder retries with backoff on errors that ProviderError marks
// retryable and records the rest as failed. A connector never acts on a
// principal of another provider.
type Connector interface {
	// Name is the connector's name in playbooks and the audit: aws, okta,
	// entra, github, kubernetes, webhook.
	Name() string
	// Supports reports whether the connector can run kind.
	Supports(kind ActionKind) bool
	// Do runs req.
	Do(ctx context.Context, req Request) (Result, error)
}

// ProviderError is a provider's refusal or failure, with its own code.
type ProviderError struct {
	// Connector is the connector's name.
	Connector string
	// Op is the provider operation, such as "iam:UpdateAccessKey".
	Op string
	// Status is the HTTP status, 0 when none.
	Status int
	// Code is the provider's error code, such as "NoSuchEntity" or
	// "E0000007".
	Code string
	// Message is the provider's message.
	Message string
	// Retryable is true for throttling, timeouts and 5xx answers.
	Retryable bool
}

func (e *ProviderError) Error() string {
	s := e.Connector + " " + e.Op + ": "
	if e.Status != 0 {
		s += "HTTP " + strconv.Itoa(e.Status) + " "
	}
	return s + e.Code + ": " + e.Message
}
