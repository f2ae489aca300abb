package ocsf

import (
	"slices"

	"github.com/aitdr/aitdr/schemas"
)

// ExtensionVersion is the version of the Extension object. It changes only on
// an incompatible change; adding a field keeps it.
const ExtensionVersion = 1

// Extension is the aitdr context of an alert that OCSF has no attribute for,
// found under "unmapped": {"aitdr": {...}} so that OCSF consumers keep it
// without a schema change. It names the identity and its class, the baseline
// the identity broke, the evidence events, the ATLAS techniques, the rule and
// the response taken or recommended.
type Extension struct {
	// Version is the version of the extension object, ExtensionVersion.
	Version int `json:"version"`
	// Identity is the identity the alert is about.
	Identity IdentityContext `json:"identity"`
	// Rule is the rule that fired.
	Rule Rule `json:"rule"`
	// Baselines are the baseline features the evidence broke.
	Baselines []BaselineBreak `json:"baselines,omitempty"`
	// EvidenceEventIDs are the ids of the evidence events, oldest first.
	EvidenceEventIDs []string `json:"evidence_event_ids,omitempty"`
	// ATLASTechniques are the MITRE ATLAS technique ids of the rule, such as
	// "AML.T0048".
	ATLASTechniques []string `json:"atlas_techniques,omitempty"`
	// Response are the containment actions, recommended or taken.
	Response []ResponseAction `json:"response,omitempty"`
	// Playbook is the response playbook the rule recommends, such as
	// "contain-agent"; the responder defines the playbooks.
	Playbook string `json:"playbook,omitempty"`
	// DedupKey is the key the rule fired for: the values of its
	// suppression key (by default the identity id) or of its group. The
	// alert id derives from the rule id, this key and the first evidence
	// event id, so a replayed firing gets the same alert id.
	DedupKey string `json:"dedup_key,omitempty"`
	// SuppressedCount is the number of firings of the rule for the same
	// DedupKey that suppression held back since the previous alert for it;
	// they are counted here rather than dropped.
	SuppressedCount int64 `json:"suppressed_count,omitempty"`
}

// IdentityContext is the identity an alert is about.
type IdentityContext struct {
	// ID is the aitdr identity id.
	ID string `json:"id"`
	// Class is the identity class.
	Class schemas.IdentityClass `json:"class,omitzero"`
	// Kind is human, service or agent.
	Kind schemas.IdentityKind `json:"kind,omitzero"`
	// Owner is the person responsible for the identity.
	Owner string `json:"owner,omitempty"`
	// Team is the owning team.
	Team string `json:"team,omitempty"`
	// AccountType is corporate or personal.
	AccountType schemas.AccountType `json:"account_type,omitzero"`
}

// Rule is the rule that fired.
type Rule struct {
	// ID is the rule id.
	ID string `json:"id"`
	// Version is the rule version.
	Version string `json:"version,omitempty"`
}

// BaselineBreak is one baseline feature an evidence event broke.
type BaselineBreak struct {
	// Feature is the feature name as rules see it, such as
	// "tokens_ratio.5m" or "is_new_model".
	Feature string `json:"feature"`
	// Observed is the value the identity showed.
	Observed float64 `json:"observed"`
	// Baseline is the identity's normal value (or its peers' while it learns).
	Baseline float64 `json:"baseline"`
	// Ratio is Observed / Baseline, 0 when the baseline is 0.
	Ratio float64 `json:"ratio,omitempty"`
}

// ResponseKind is a containment action.
type ResponseKind string

// Containment actions.
const (
	ResponseDisableAccount ResponseKind = "disable_account"
	ResponseRevokeSessions ResponseKind = "revoke_sessions"
	ResponseRevokeKeys     ResponseKind = "revoke_keys"
	ResponseNotifyOwner    ResponseKind = "notify_owner"
	ResponseNotifySOC      ResponseKind = "notify_soc"
)

var responseKinds = []ResponseKind{
	ResponseDisableAccount, ResponseRevokeSessions, ResponseRevokeKeys, ResponseNotifyOwner, ResponseNotifySOC,
}

// ResponseKinds returns every containment action.
func ResponseKinds() []ResponseKind { return slices.Clone(responseKinds) }

// Valid reports whether k is one of the ResponseKind constants.
func (k ResponseKind) Valid() bool { return slices.Contains(responseKinds, k) }

// ResponseStatus is where a containment action stands.
type ResponseStatus string

// Containment action statuses.
const (
	// ResponseRecommended is proposed to the SOC, not run.
	ResponseRecommended ResponseStatus = "recommended"
	// ResponsePending was requested from the responder.
	ResponsePending ResponseStatus = "pending"
	// ResponseSucceeded was run and confirmed.
	ResponseSucceeded ResponseStatus = "succeeded"
	// ResponseFailed was run and failed; Detail says why.
	ResponseFailed ResponseStatus = "failed"
)

var responseStatuses = []ResponseStatus{ResponseRecommended, ResponsePending, ResponseSucceeded, ResponseFailed}

// ResponseStatuses returns every containment action status.
func ResponseStatuses() []ResponseStatus { return slices.Clone(responseStatuses) }

// Valid reports whether s is one of the ResponseStatus constants.
func (s ResponseStatus) Valid() bool { return slices.Contains(responseStatuses, s) }

// ResponseAction is one containment action of an alert.
type ResponseAction struct {
	// Action is what is done.
	Action ResponseKind `json:"action"`
	// Target is what it is done to: the identity id, a key or session id.
	Target string `json:"target,omitempty"`
	// Status is recommended, pending, succeeded or failed.
	Status ResponseStatus `json:"status"`
	// Time is when the status was reached, in ms.
	Time int64 `json:"time,omitempty"`
	// Detail is a human-readable detail, such as the error of a failure.
	Detail string `json:"detail,omitempty"`
}
