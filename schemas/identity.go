package schemas

import "time"

// MessagePack code generation for the types of this file (identity_gen.go),
// with the same conventions as event.go.
//
//msgp:tag json
//msgp:newtime
//msgp:timezone utc
//msgp:limit arrays:100000 maps:100000

// Bounds of the lists of an Identity. The enrich stage keeps the most recent
// entries and counts the rest, so that an inventory row stays small.
const (
	// MaxIdentityTargets bounds Identity.Targets.
	MaxIdentityTargets = 100
	// MaxIdentityList bounds every other list of an Identity.
	MaxIdentityList = 32
)

// Identity is one row of the identity inventory that the enrich stage keeps
// from the events (Discover): every identity seen, its class, owner, accounts,
// the AI services it uses and the data it reaches. It travels keyed by ID on
// the identity changelog topic and is stored in ClickHouse.
type Identity struct {
	// ID is the stable aitdr identity id (see Principal.ID).
	ID string `json:"id"`
	// Kind is human, service or agent.
	Kind IdentityKind `json:"kind,omitzero"`
	// Class is the class the classifier gave the identity.
	Class IdentityClass `json:"class,omitzero"`
	// ClassConfidence is the classifier's confidence in Class, from 0 to 1.
	ClassConfidence float64 `json:"class_confidence,omitempty"`
	// ClassEvidence are short reasons for Class.
	ClassEvidence []string `json:"class_evidence,omitempty"`
	// Providers are the identity providers the identity was seen through.
	Providers []string `json:"providers,omitempty"`
	// Accounts are the accounts the identity was seen with.
	Accounts []IdentityAccount `json:"accounts,omitempty"`
	// AccountType is personal when any of its accounts is personal,
	// corporate when all are corporate, unknown otherwise.
	AccountType AccountType `json:"account_type,omitzero"`
	// CredentialTypes are the kinds of credential the identity was seen
	// using (sso, access_key, api_key, ...), in the order first seen.
	CredentialTypes []CredentialType `json:"credential_types,omitempty"`
	// DisplayName is the human-readable name.
	DisplayName string `json:"display_name,omitempty"`
	// Email is the e-mail address.
	Email string `json:"email,omitempty"`
	// Owner is the person responsible for the identity.
	Owner string `json:"owner,omitempty"`
	// Team is the owning team.
	Team string `json:"team,omitempty"`
	// PeerGroup is the group the identity is compared with.
	PeerGroup string `json:"peer_group,omitempty"`
	// AIServices are the AI services the identity used.
	AIServices []AIServiceUse `json:"ai_services,omitempty"`
	// Targets are the resources the identity reached, most recent first, at
	// most MaxIdentityTargets.
	Targets []TargetUse `json:"targets,omitempty"`
	// TargetsTotal is the number of distinct targets ever reached, which
	// may exceed len(Targets).
	TargetsTotal int64 `json:"targets_total,omitempty"`
	// Tenants are the tenants and accounts the identity reached.
	Tenants []string `json:"tenants,omitempty"`
	// Environments are the environments the identity reached.
	Environments []Environment `json:"environments,omitempty"`
	// FirstSeen is the event time of the identity's first event.
	FirstSeen time.Time `json:"first_seen"`
	// LastSeen is the event time of the identity's latest event.
	LastSeen time.Time `json:"last_seen"`
	// Events is the number of events seen.
	Events int64 `json:"events,omitempty"`
	// Failures is the number of events with outcome failure.
	Failures int64 `json:"failures,omitempty"`
	// EventsByCategory counts events per action category.
	EventsByCategory map[string]int64 `json:"events_by_category,omitempty"`
	// SharedCredential is true when one of the identity's credentials was
	// used by several principals or from unrelated clients at once.
	SharedCredential bool `json:"shared_credential,omitempty"`
	// Registered is true when the identity is on the customer's assumed
	// inventory (licence or registration list).
	Registered bool `json:"registered,omitempty"`
}

// IdentityAccount is one account an identity was seen with.
type IdentityAccount struct {
	// Provider is the identity provider of the account.
	Provider string `json:"provider"`
	// ID is the account, tenant or organization id.
	ID string `json:"id"`
	// Type is corporate or personal.
	Type AccountType `json:"type,omitzero"`
}

// AIServiceUse is one AI service an identity used.
type AIServiceUse struct {
	// Provider is the model provider.
	Provider string `json:"provider,omitempty"`
	// Service is the AI service or application.
	Service string `json:"service"`
	// Status is sanctioned or shadow.
	Status AIServiceStatus `json:"status,omitzero"`
	// Models are the models used through the service.
	Models []string `json:"models,omitempty"`
	// FirstSeen is when the identity first used the service.
	FirstSeen time.Time `json:"first_seen"`
	// LastSeen is when the identity last used the service.
	LastSeen time.Time `json:"last_seen"`
	// Events is the number of events through the service.
	Events int64 `json:"events,omitempty"`
}

// TargetUse is one resource an identity reached.
type TargetUse struct {
	// Type is the resource type (see Target.Type).
	Type string `json:"type,omitempty"`
	// ID is the resource's unique id.
	ID string `json:"id"`
	// Environment is the resource's environment.
	Environment Environment `json:"environment,omitzero"`
	// Sensitivity is the classification of the resource's data.
	Sensitivity Sensitivity `json:"sensitivity,omitzero"`
	// Tenant is the account or tenant owning the resource.
	Tenant string `json:"tenant,omitempty"`
	// LastSeen is when the identity last reached the resource.
	LastSeen time.Time `json:"last_seen"`
	// Events is the number of events on the resource.
	Events int64 `json:"events,omitempty"`
}
