package schemas

import (
	"time"
)

// MessagePack code generation for the types of this file (event_gen.go): the
// JSON tags name the map keys, zero values are omitted, times use the
// standard timestamp extension in UTC, and decoding refuses absurd lengths.
//
//msgp:tag json
//msgp:newtime
//msgp:timezone utc
//msgp:limit arrays:100000 maps:100000
//msgp:textappend as:string Product
//msgp:textappend as:string IdentityKind
//msgp:textappend as:string AccountType
//msgp:textappend as:string CredentialType
//msgp:textappend as:string Verb
//msgp:textappend as:string Category
//msgp:textappend as:string Outcome
//msgp:textappend as:string Environment
//msgp:textappend as:string Sensitivity
//msgp:textappend as:string IdentityClass
//msgp:textappend as:string AIServiceStatus
//msgp:textappend as:string RawFormat
//msgp:textappend as:string DataType

// EventSchemaVersion is the version of the Event contract this package
// writes. It changes only on an incompatible change (a field removed,
// renamed or given another meaning or type); adding a field keeps it. A
// reader refuses events of a newer version (see ErrSchemaVersion).
const EventSchemaVersion = 1

// Event is one normalized audit event: who (Identity, Session) did what
// (Action) to what (Target), from where (Network), how much (Volume), with
// which AI (AI), and with what result (Outcome, Error). Ingest fills the
// source-derived parts; the enrich stage fills Enrichment and the baseline
// stage fills Features, each on its own topic.
//
// Sub-objects are values, not pointers: an absent part is its zero value, so
// rule expressions read any field without nil checks, and decoding does not
// allocate per part. An Event is not safe for concurrent mutation.
//
// The expr tags name every field in rule expressions (package rules) by its
// JSON name, so that a rule reads action.name as the JSON shows it.
type Event struct {
	// ID is the stable event id and the dedup key end to end (Kafka, NATS
	// message ids, ClickHouse). See EventID for how it is derived.
	ID string `json:"id" expr:"id"`
	// SchemaVersion is the EventSchemaVersion the event was written with.
	SchemaVersion int `json:"schema_version" expr:"schema_version"`
	// Time is when the action happened, as the source reports it (event time).
	Time time.Time `json:"time" expr:"time"`
	// ObservedTime is when aitdr ingested the event.
	ObservedTime time.Time `json:"observed_time" expr:"observed_time"`
	// Source is the product and tenancy the event came from.
	Source Source `json:"source" expr:"source"`
	// Identity is the principal that performed the action. Its ID keys the
	// event on every topic. Empty when the source names no principal.
	Identity Principal `json:"identity" expr:"identity"`
	// Session is the authenticated session the action ran in, when known.
	Session Session `json:"session,omitzero" expr:"session"`
	// Action is what was done.
	Action Action `json:"action" expr:"action"`
	// Target is the primary resource the action was done to, when there is one.
	Target Target `json:"target,omitzero" expr:"target"`
	// Outcome is whether the action succeeded.
	Outcome Outcome `json:"outcome" expr:"outcome"`
	// Error is the source's error code and message when the action failed.
	Error ErrorDetail `json:"error,omitzero" expr:"error"`
	// Network is where the request came from.
	Network Network `json:"network,omitzero" expr:"network"`
	// Volume counts the data and tokens the action moved.
	Volume Volume `json:"volume,omitzero" expr:"volume"`
	// AI is the AI context of model and AI-platform events.
	AI AIContext `json:"ai,omitzero" expr:"ai"`
	// Enrichment is filled by the enrich stage; zero before it.
	Enrichment Enrichment `json:"enrichment,omitzero" expr:"enrichment"`
	// Features is filled by the baseline stage; zero before it.
	Features Features `json:"features,omitzero" expr:"features"`
	// Labels are deployment-provided tags of the event's input, such as
	// "pipeline": "prod-eu". Keys are lower-case.
	Labels map[string]string `json:"labels,omitempty" expr:"labels"`
	// Attributes hold source-specific extras that have no field, under
	// dotted keys named after the source, such as "aws.request_id".
	Attributes map[string]string `json:"attributes,omitempty" expr:"attributes"`
	// Raw is the source record the event was normalized from.
	Raw Raw `json:"raw,omitzero" expr:"raw"`
}

// Source is where an event came from.
type Source struct {
	// Product is the source product, such as "aws.cloudtrail".
	Product Product `json:"product" expr:"product"`
	// EventID is the source's own id of the record (CloudTrail eventID, Okta
	// uuid), empty when it has none.
	EventID string `json:"event_id,omitempty" expr:"event_id"`
	// Account is the account the event was recorded in: AWS account id,
	// Azure subscription, GitHub enterprise.
	Account string `json:"account,omitempty" expr:"account"`
	// Tenant is the directory tenant: Entra tenant id, Okta org domain.
	Tenant string `json:"tenant,omitempty" expr:"tenant"`
	// Org is the organization: AWS organization id, GCP organization,
	// GitHub or OpenAI organization.
	Org string `json:"org,omitempty" expr:"org"`
	// Project is the project or workspace: GCP project, OpenAI project,
	// Anthropic workspace.
	Project string `json:"project,omitempty" expr:"project"`
	// Region is the cloud region the event was recorded in, such as "us-east-1".
	Region string `json:"region,omitempty" expr:"region"`
}

// Principal is the identity that performed an event's action, as the source
// reports it. The enrich stage adds what the inventory knows in Enrichment.
type Principal struct {
	// ID is the stable aitdr identity id, "<provider>:<account>:<native id>"
	// (for example "aws:123456789012:role/bedrock-agent" for every session of
	// that role, "okta:acme.okta.com:00u1a2b3c4"). It is the Kafka key.
	ID string `json:"id,omitempty" expr:"id"`
	// Kind is human, service or agent, as far as the source tells.
	Kind IdentityKind `json:"kind,omitzero" expr:"kind"`
	// Provider is the system that issued the identity: aws, okta, entra,
	// gcp, github, kubernetes, openai, anthropic.
	Provider string `json:"provider,omitempty" expr:"provider"`
	// Account is the account the identity belongs to, which differs from
	// Source.Account on cross-account access.
	Account string `json:"account,omitempty" expr:"account"`
	// AccountType is corporate or personal.
	AccountType AccountType `json:"account_type,omitzero" expr:"account_type"`
	// Type is the provider-native principal type: IAMUser, AssumedRole,
	// AWSService, User, ServiceAccount, App.
	Type string `json:"type,omitempty" expr:"type"`
	// UID is the provider-native unique id: an ARN, an Okta or Entra object
	// id, a Kubernetes username.
	UID string `json:"uid,omitempty" expr:"uid"`
	// Name is the login or user name.
	Name string `json:"name,omitempty" expr:"name"`
	// DisplayName is the human-readable name.
	DisplayName string `json:"display_name,omitempty" expr:"display_name"`
	// Email is the e-mail address, when the source has one.
	Email string `json:"email,omitempty" expr:"email"`
	// Owner is the person responsible for a non-human identity, when the
	// source names one (a tag, the creator of the key).
	Owner string `json:"owner,omitempty" expr:"owner"`
	// CredentialID identifies the credential used: access key id, API key
	// id or its redacted form, token id. Never the secret itself.
	CredentialID string `json:"credential_id,omitempty" expr:"credential_id"`
}

// Session is the authenticated session an action ran in.
type Session struct {
	// ID is the session id: Okta session id, the STS session name, the
	// token's jti.
	ID string `json:"id,omitempty" expr:"id"`
	// MFA is true when the session was established with multi-factor
	// authentication.
	MFA bool `json:"mfa,omitempty" expr:"mfa"`
	// IssuedAt is when the session or its token was issued.
	IssuedAt time.Time `json:"issued_at,omitzero" expr:"issued_at"`
	// CredentialType is the kind of credential the session used.
	CredentialType CredentialType `json:"credential_type,omitzero" expr:"credential_type"`
	// Issuer is who issued the session: the role or user that was assumed
	// from, or the identity provider of a federated login.
	Issuer string `json:"issuer,omitempty" expr:"issuer"`
}

// Action is what an event did.
type Action struct {
	// Name is the source's own name of the action: "InvokeModel",
	// "user.session.start", "repo.create".
	Name string `json:"name" expr:"name"`
	// Service is the source's service namespace, such as
	// "bedrock.amazonaws.com" (CloudTrail eventSource), when it has one.
	Service string `json:"service,omitempty" expr:"service"`
	// Verb is the normalized operation.
	Verb Verb `json:"verb,omitzero" expr:"verb"`
	// Category is the security-relevant class of the action.
	Category Category `json:"category,omitzero" expr:"category"`
}

// Target is the primary resource an action was done to.
type Target struct {
	// Type is a lower-case resource type: model, s3_bucket, iam_role,
	// secret, repository, application, dataset, pipeline.
	Type string `json:"type,omitempty" expr:"type"`
	// ID is the resource's unique id, such as an ARN.
	ID string `json:"id,omitempty" expr:"id"`
	// Name is the resource's name.
	Name string `json:"name,omitempty" expr:"name"`
	// Environment is the resource's environment.
	Environment Environment `json:"environment,omitzero" expr:"environment"`
	// Sensitivity is the classification of the resource's data.
	Sensitivity Sensitivity `json:"sensitivity,omitzero" expr:"sensitivity"`
	// Tenant is the account or tenant that owns the resource; it differs
	// from the identity's account on cross-tenant access.
	Tenant string `json:"tenant,omitempty" expr:"tenant"`
}

// ErrorDetail is the source's error of a failed action.
type ErrorDetail struct {
	// Code is the source's error code, such as "AccessDenied".
	Code string `json:"code,omitempty" expr:"code"`
	// Message is the source's error message.
	Message string `json:"message,omitempty" expr:"message"`
}

// Network is where a request came from.
type Network struct {
	// SourceIP is the client address, IPv4 or IPv6, in canonical text form.
	SourceIP string `json:"source_ip,omitempty" expr:"source_ip"`
	// UserAgent is the client's user agent.
	UserAgent string `json:"user_agent,omitempty" expr:"user_agent"`
	// ASN is the autonomous system number of SourceIP, when known.
	ASN uint32 `json:"asn,omitempty" expr:"asn"`
	// ASOrg is the organization of the autonomous system.
	ASOrg string `json:"as_org,omitempty" expr:"as_org"`
	// Country is the ISO 3166-1 alpha-2 country code of SourceIP.
	Country string `json:"country,omitempty" expr:"country"`
}

// Volume counts what an action moved. Counts are zero when unknown.
type Volume struct {
	// BytesIn is the bytes sent to the service (request, upload, prompt).
	BytesIn int64 `json:"bytes_in,omitempty" expr:"bytes_in"`
	// BytesOut is the bytes returned by the service (response, download).
	BytesOut int64 `json:"bytes_out,omitempty" expr:"bytes_out"`
	// Records is the number of records, objects or rows touched.
	Records int64 `json:"records,omitempty" expr:"records"`
	// TokensIn is the model input (prompt) tokens.
	TokensIn int64 `json:"tokens_in,omitempty" expr:"tokens_in"`
	// TokensOut is the model output (completion) tokens.
	TokensOut int64 `json:"tokens_out,omitempty" expr:"tokens_out"`
}

// AIContext is the AI context of an event that used a model or an AI platform.
type AIContext struct {
	// Provider is the model provider: openai, anthropic, aws.bedrock,
	// azure.openai, google.vertex.
	Provider string `json:"provider,omitempty" expr:"provider"`
	// Service is the AI service or application: chatgpt, claude, bedrock,
	// copilot, a gateway route.
	Service string `json:"service,omitempty" expr:"service"`
	// Model is the model id as the provider names it.
	Model string `json:"model,omitempty" expr:"model"`
	// Tool is the tool or function an agent called, when the event is a
	// tool call.
	Tool string `json:"tool,omitempty" expr:"tool"`
	// Prompt is metadata about the prompt; never its text unless capture
	// was enabled for the source.
	Prompt Prompt `json:"prompt,omitzero" expr:"prompt"`
	// Findings are the sensitive data a detector found in the prompt or
	// payload, one entry per data type.
	Findings []DataFinding `json:"findings,omitempty" expr:"findings"`
}

// Prompt describes a prompt without keeping it.
type Prompt struct {
	// Length is the prompt length in characters.
	Length int64 `json:"length,omitempty" expr:"length"`
	// Tokens is the prompt length in tokens, when the source counts them.
	Tokens int64 `json:"tokens,omitempty" expr:"tokens"`
	// Hash is the hex HMAC-SHA256 of the prompt text under the deployment's
	// prompt-hash key, to match repeated prompts without keeping them (a
	// keyed hash, so that short or guessable prompts cannot be confirmed
	// by hashing candidates).
	Hash string `json:"hash,omitempty" expr:"hash"`
	// Language is the BCP 47 tag of the prompt's natural language.
	Language string `json:"language,omitempty" expr:"language"`
	// Attachments is the number of files or images attached.
	Attachments int32 `json:"attachments,omitempty" expr:"attachments"`
	// Text is the prompt itself. It is empty unless prompt capture was
	// explicitly enabled for the source; aitdr never keeps it by default.
	Text string `json:"text,omitempty" expr:"text"`
}

// DataFinding is one kind of sensitive data found in a prompt or payload.
type DataFinding struct {
	// Type is the kind of data, such as "credit_card".
	Type DataType `json:"type" expr:"type"`
	// Count is the number of occurrences.
	Count int32 `json:"count,omitempty" expr:"count"`
	// Confidence is the detector's confidence, from 0 to 1.
	Confidence float64 `json:"confidence,omitempty" expr:"confidence"`
	// Locations are where the data was found, at most MaxFindingLocations
	// distinct entries in the order found: field paths in the source
	// record, in the source's own names (such as "messages[2].content"),
	// or "ai.prompt.text" when the detector only saw the prompt text.
	Locations []string `json:"locations,omitempty" expr:"locations"`
}

// MaxFindingLocations bounds DataFinding.Locations; Count keeps counting
// every occurrence beyond it.
const MaxFindingLocations = 8

// Enrichment is what the enrich stage adds to an event from the identity
// inventory and the customer's context.
type Enrichment struct {
	// Class is the identity's class.
	Class IdentityClass `json:"class,omitzero" expr:"class"`
	// ClassConfidence is the classifier's confidence in Class, from 0 to 1.
	ClassConfidence float64 `json:"class_confidence,omitempty" expr:"class_confidence"`
	// ClassEvidence are short reasons for Class, such as
	// "invokes bedrock models" or "no interactive sign-in".
	ClassEvidence []string `json:"class_evidence,omitempty" expr:"class_evidence"`
	// Owner is the person responsible for the identity.
	Owner string `json:"owner,omitempty" expr:"owner"`
	// Team is the owning team.
	Team string `json:"team,omitempty" expr:"team"`
	// PeerGroup is the group the identity is compared with when it has no
	// history of its own (by default "<class>/<team>").
	PeerGroup string `json:"peer_group,omitempty" expr:"peer_group"`
	// Environment is the environment the identity belongs to (from its
	// account), beside Target.Environment: a dev identity reaching a prod
	// model shows as the two differing.
	Environment Environment `json:"environment,omitzero" expr:"environment"`
	// DataSensitivity is the sensitivity of the data the event touched,
	// resolved from the data catalog and the prompt findings.
	DataSensitivity Sensitivity `json:"data_sensitivity,omitzero" expr:"data_sensitivity"`
	// AIServiceStatus is sanctioned or shadow for events that used an AI
	// service, empty otherwise.
	AIServiceStatus AIServiceStatus `json:"ai_service_status,omitzero" expr:"ai_service_status"`
	// Registered is true when the identity is on the customer's assumed
	// inventory (licence or registration list).
	Registered bool `json:"registered,omitempty" expr:"registered"`
	// IdentityFirstSeen is when the identity was first seen by aitdr.
	IdentityFirstSeen time.Time `json:"identity_first_seen,omitzero" expr:"identity_first_seen"`
	// OffHours is true when the event falls outside the working hours of
	// the person the identity belongs to, in the person's time zone: the
	// directory's working hours for the person, else the deployment's
	// default working day. It is false for identities that are not a
	// person's own account (an agent's hours are not its owner's) and when
	// the person's time zone is unknown.
	OffHours bool `json:"off_hours,omitempty" expr:"off_hours"`
	// CredentialWorkloads is the number of distinct workloads (a source
	// address with a client) using the event's credential at once: each
	// used it within the shared-credential window of this event and has
	// been using it for at least that long. 0 when the event names no
	// credential or no source address; 2 or more is one credential run by
	// several workloads.
	CredentialWorkloads int32 `json:"credential_workloads,omitempty" expr:"credential_workloads"`
}

// Raw is the source record an event was normalized from, kept for
// investigation and re-processing.
//
// In JSON, Raw is {"format": ..., "data": "<text>"} when the record is valid
// UTF-8 (a JSON record appears as an escaped string, byte for byte), and
// {"format": ..., "data_base64": "..."} otherwise.
type Raw struct {
	// Format is the record's format.
	Format RawFormat `json:"format,omitzero" expr:"format"`
	// Data is the record exactly as received.
	Data []byte `json:"data,omitempty" expr:"data"`
}

// IsZero reports whether s is the zero Session.
func (s Session) IsZero() bool { return s == Session{} }

// IsZero reports whether t is the zero Target.
func (t Target) IsZero() bool { return t == Target{} }

// IsZero reports whether e is the zero ErrorDetail.
func (e ErrorDetail) IsZero() bool { return e == ErrorDetail{} }

// IsZero reports whether n is the zero Network.
func (n Network) IsZero() bool { return n == Network{} }

// IsZero reports whether v is the zero Volume.
func (v Volume) IsZero() bool { return v == Volume{} }

// IsZero reports whether p is the zero Prompt.
func (p Prompt) IsZero() bool { return p == Prompt{} }

// IsZero reports whether a has no AI context.
func (a AIContext) IsZero() bool {
	return a.Provider == "" && a.Service == "" && a.Model == "" && a.Tool == "" &&
		a.Prompt.IsZero() && len(a.Findings) == 0
}

// IsZero reports whether e has no enrichment.
func (e Enrichment) IsZero() bool {
	return e.Class == "" && e.ClassConfidence == 0 && len(e.ClassEvidence) == 0 &&
		e.Owner == "" && e.Team == "" && e.PeerGroup == "" && e.Environment == "" &&
		e.DataSensitivity == "" && e.AIServiceStatus == "" && !e.Registered &&
		e.IdentityFirstSeen.IsZero() && !e.OffHours && e.CredentialWorkloads == 0
}

// IsZero reports whether r holds no record.
func (r Raw) IsZero() bool { return r.Format == "" && len(r.Data) == 0 }
