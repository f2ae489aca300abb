// Package ocsf is the alert contract of aitdr: an OCSF Detection Finding
// (class_uid 2004, category_uid 2, OCSF Version) as JSON, with the aitdr
// context that OCSF has no attribute for under unmapped.aitdr (Extension).
//
// Alerts travel on the alerts topic and the NATS alert subjects with the
// content type ContentType and are forwarded to SIEMs as they are. Build one
// with New, add its evidence events with AddEvidence and check it with
// Validate; encode it with encoding/json. Times are OCSF timestamp_t:
// milliseconds since the Unix epoch. docs/events.md shows a full alert.
package ocsf

// DetectionFinding is an OCSF 1.3 Detection Finding. Only the attributes
// aitdr fills are declared; every one keeps its OCSF name and meaning. A
// DetectionFinding is not safe for concurrent mutation.
type DetectionFinding struct {
	// ActivityID is the finding activity: Create for a new alert, Update
	// when evidence is added, Close when it is resolved.
	ActivityID ActivityID `json:"activity_id"`
	// ActivityName is the caption of ActivityID.
	ActivityName string `json:"activity_name"`
	// CategoryUID is always 2 (Findings).
	CategoryUID int `json:"category_uid" jsonschema:"const=2"`
	// CategoryName is always "Findings".
	CategoryName string `json:"category_name" jsonschema:"const=Findings"`
	// ClassUID is always 2004 (Detection Finding).
	ClassUID int `json:"class_uid" jsonschema:"const=2004"`
	// ClassName is always "Detection Finding".
	ClassName string `json:"class_name" jsonschema:"const=Detection Finding"`
	// TypeUID is ClassUID * 100 + ActivityID, such as 200401.
	TypeUID int `json:"type_uid"`
	// TypeName is "Detection Finding: " and the activity caption.
	TypeName string `json:"type_name"`
	// Time is when the finding was created or last changed, in milliseconds
	// since the Unix epoch.
	Time int64 `json:"time"`
	// StartTime is the event time of the earliest evidence event, in ms.
	StartTime int64 `json:"start_time,omitempty"`
	// EndTime is the event time of the latest evidence event, in ms.
	EndTime int64 `json:"end_time,omitempty"`
	// Count is the number of evidence events.
	Count int `json:"count,omitempty"`
	// Message is a one-line summary for humans.
	Message string `json:"message,omitempty"`
	// SeverityID is the normalized severity.
	SeverityID SeverityID `json:"severity_id"`
	// Severity is the caption of SeverityID.
	Severity string `json:"severity"`
	// StatusID is the finding lifecycle status.
	StatusID StatusID `json:"status_id"`
	// Status is the caption of StatusID.
	Status string `json:"status"`
	// ConfidenceID is the confidence bucket of ConfidenceScore.
	ConfidenceID ConfidenceID `json:"confidence_id,omitempty"`
	// Confidence is the caption of ConfidenceID.
	Confidence string `json:"confidence,omitempty"`
	// ConfidenceScore is the rule's confidence from 0 to 100.
	ConfidenceScore int `json:"confidence_score,omitempty"`
	// RiskLevelID is the risk level, by default derived from the severity.
	RiskLevelID RiskLevelID `json:"risk_level_id"`
	// RiskLevel is the caption of RiskLevelID.
	RiskLevel string `json:"risk_level"`
	// RiskScore is the rule's risk score from 0 to 100.
	RiskScore int `json:"risk_score,omitempty"`
	// Metadata names the product and the OCSF version.
	Metadata Metadata `json:"metadata"`
	// FindingInfo describes the finding and the analytic (rule) behind it.
	FindingInfo FindingInfo `json:"finding_info"`
	// Actor is the identity that performed the evidence events.
	Actor Actor `json:"actor,omitzero"`
	// Cloud is the cloud account and region of the first evidence event,
	// for cloud sources.
	Cloud Cloud `json:"cloud,omitzero"`
	// Evidences are the evidence events, one artifact each.
	Evidences []Evidence `json:"evidences,omitempty"`
	// Resources are the resources the evidence events targeted.
	Resources []Resource `json:"resources,omitempty"`
	// Remediation is the recommended containment, for humans.
	Remediation Remediation `json:"remediation,omitzero"`
	// Unmapped carries the aitdr extension.
	Unmapped Unmapped `json:"unmapped"`
}

// Metadata is the OCSF metadata object.
type Metadata struct {
	// Product is the product that reported the finding: aitdr.
	Product Product `json:"product"`
	// Version is the OCSF schema version, Version.
	Version string `json:"version"`
	// UID is the alert id, equal to FindingInfo.UID.
	UID string `json:"uid,omitempty"`
	// CorrelationUID groups the alerts of one incident: the rule id and the
	// identity id, so that repeated alerts of a rule for an identity group.
	CorrelationUID string `json:"correlation_uid,omitempty"`
	// Labels are the rule's tags.
	Labels []string `json:"labels,omitempty"`
	// Profiles are the OCSF profiles the finding uses ("cloud" when Cloud is
	// set).
	Profiles []string `json:"profiles,omitempty"`
}

// Product is the OCSF product object.
type Product struct {
	// Name is "aitdr".
	Name string `json:"name"`
	// VendorName is "aitdr".
	VendorName string `json:"vendor_name"`
	// Version is the aitdr build version.
	Version string `json:"version,omitempty"`
}

// FindingInfo is the OCSF finding_info object.
type FindingInfo struct {
	// UID is the alert id: stable for one rule firing on one set of
	// evidence, so a re-published alert deduplicates.
	UID string `json:"uid"`
	// Title is the rule's title.
	Title string `json:"title"`
	// Desc is the description of this finding.
	Desc string `json:"desc,omitempty"`
	// Types are the finding types: the rule's kind and tags.
	Types []string `json:"types,omitempty"`
	// CreatedTime is when the finding was created, in ms.
	CreatedTime int64 `json:"created_time,omitempty"`
	// FirstSeenTime is the event time of the earliest evidence, in ms.
	FirstSeenTime int64 `json:"first_seen_time,omitempty"`
	// LastSeenTime is the event time of the latest evidence, in ms.
	LastSeenTime int64 `json:"last_seen_time,omitempty"`
	// Analytic is the rule that produced the finding.
	Analytic Analytic `json:"analytic"`
	// Attacks are the MITRE ATT&CK and ATLAS techniques and tactics of the
	// rule; ATLAS entries have uids starting with "AML.".
	Attacks []Attack `json:"attacks,omitempty"`
	// RelatedEvents are the evidence events by id.
	RelatedEvents []RelatedEvent `json:"related_events,omitempty"`
	// DataSources are the source products of the evidence events.
	DataSources []string `json:"data_sources,omitempty"`
}

// Analytic is the OCSF analytic object: the rule.
type Analytic struct {
	// UID is the rule id.
	UID string `json:"uid,omitempty"`
	// Name is the rule name.
	Name string `json:"name,omitempty"`
	// TypeID is the kind of rule: Rule for a single-event match, Behavioral
	// for a baseline anomaly, Statistical for thresholds.
	TypeID AnalyticTypeID `json:"type_id"`
	// Type is the caption of TypeID.
	Type string `json:"type,omitempty"`
	// Version is the rule version.
	Version string `json:"version,omitempty"`
	// Category is the rule's category, such as "llmjacking".
	Category string `json:"category,omitempty"`
}

// Attack is the OCSF attack object: one technique and its tactic.
type Attack struct {
	// Technique is the technique, such as AML.T0048 or T1078.004.
	Technique Technique `json:"technique,omitzero"`
	// Tactic is the tactic, such as AML.TA0011 or TA0001.
	Tactic Tactic `json:"tactic,omitzero"`
	// Version is the matrix and version the ids come from, such as
	// "ATLAS 4.7" or "ATT&CK 15".
	Version string `json:"version,omitempty"`
}

// Technique is an ATT&CK or ATLAS technique.
type Technique struct {
	// UID is the technique id.
	UID string `json:"uid"`
	// Name is the technique name.
	Name string `json:"name,omitempty"`
}

// Tactic is an ATT&CK or ATLAS tactic.
type Tactic struct {
	// UID is the tactic id.
	UID string `json:"uid"`
	// Name is the tactic name.
	Name string `json:"name,omitempty"`
}

// RelatedEvent is the OCSF related_event object: one evidence event.
type RelatedEvent struct {
	// UID is the aitdr event id.
	UID string `json:"uid"`
	// ProductUID is the source product of the event, such as "aws.cloudtrail".
	ProductUID string `json:"product_uid,omitempty"`
	// Type is the source's action name, such as "InvokeModel".
	Type string `json:"type,omitempty"`
}

// Evidence is the OCSF evidences object: what one evidence event shows.
type Evidence struct {
	// Actor is the identity and session of the event.
	Actor Actor `json:"actor,omitzero"`
	// API is the action of the event.
	API API `json:"api,omitzero"`
	// SrcEndpoint is where the event's request came from.
	SrcEndpoint Endpoint `json:"src_endpoint,omitzero"`
	// Data holds the event's id, time and outcome.
	Data EvidenceData `json:"data,omitzero"`
}

// EvidenceData is the data of one Evidence.
type EvidenceData struct {
	// EventID is the aitdr event id.
	EventID string `json:"event_id"`
	// Time is the event time, RFC 3339.
	Time string `json:"time,omitempty"`
	// Outcome is success, failure or unknown.
	Outcome string `json:"outcome,omitempty"`
	// Category is the event's action category.
	Category string `json:"category,omitempty"`
	// Model is the model used, for AI events.
	Model string `json:"model,omitempty"`
}

// Actor is the OCSF actor object.
type Actor struct {
	// User is the identity.
	User User `json:"user,omitzero"`
	// Session is its session.
	Session Session `json:"session,omitzero"`
}

// User is the OCSF user object.
type User struct {
	// UID is the aitdr identity id.
	UID string `json:"uid,omitempty"`
	// Name is the login or user name.
	Name string `json:"name,omitempty"`
	// FullName is the display name.
	FullName string `json:"full_name,omitempty"`
	// EmailAddr is the e-mail address.
	EmailAddr string `json:"email_addr,omitempty"`
	// TypeID is User for people, Other for services and agents.
	TypeID UserTypeID `json:"type_id"`
	// Type is the caption of TypeID, or "Service" or "AI Agent" with Other.
	Type string `json:"type,omitempty"`
	// Account is the account the identity belongs to.
	Account Account `json:"account,omitzero"`
}

// Account is the OCSF account object.
type Account struct {
	// UID is the account id.
	UID string `json:"uid,omitempty"`
	// Name is the account name.
	Name string `json:"name,omitempty"`
	// Type is the provider's account type or "Personal"/"Corporate".
	Type string `json:"type,omitempty"`
}

// Session is the OCSF session object.
type Session struct {
	// UID is the session id.
	UID string `json:"uid,omitempty"`
	// CreatedTime is when the session was created, in ms.
	CreatedTime int64 `json:"created_time,omitempty"`
	// IsMFA is true for a multi-factor session.
	IsMFA bool `json:"is_mfa,omitempty"`
	// Issuer is the session issuer.
	Issuer string `json:"issuer,omitempty"`
	// CredentialUID is the id of the credential used.
	CredentialUID string `json:"credential_uid,omitempty"`
}

// API is the OCSF api object.
type API struct {
	// Operation is the source's action name.
	Operation string `json:"operation"`
	// Service is the source's service.
	Service Service `json:"service,omitzero"`
}

// Service is the OCSF service object.
type Service struct {
	// Name is the service name, such as "bedrock.amazonaws.com".
	Name string `json:"name,omitempty"`
}

// Endpoint is the OCSF network endpoint object.
type Endpoint struct {
	// IP is the address.
	IP string `json:"ip,omitempty"`
	// Location is where the address is.
	Location Location `json:"location,omitzero"`
	// AutonomousSystem is the network of the address.
	AutonomousSystem AutonomousSystem `json:"autonomous_system,omitzero"`
}

// Location is the OCSF location object.
type Location struct {
	// Country is the ISO 3166-1 alpha-2 country code.
	Country string `json:"country,omitempty"`
}

// AutonomousSystem is the OCSF autonomous_system object.
type AutonomousSystem struct {
	// Number is the AS number.
	Number int64 `json:"number,omitempty"`
	// Name is the AS organization.
	Name string `json:"name,omitempty"`
}

// Resource is the OCSF resource_details object.
type Resource struct {
	// UID is the resource id.
	UID string `json:"uid,omitempty"`
	// Name is the resource name.
	Name string `json:"name,omitempty"`
	// Type is the resource type.
	Type string `json:"type,omitempty"`
	// Region is the cloud region.
	Region string `json:"region,omitempty"`
	// Labels are "environment:<env>", "sensitivity:<level>" and
	// "tenant:<id>" when known.
	Labels []string `json:"labels,omitempty"`
}

// Cloud is the OCSF cloud object (cloud profile).
type Cloud struct {
	// Provider is the cloud provider: AWS, GCP, Azure.
	Provider string `json:"provider"`
	// Region is the region.
	Region string `json:"region,omitempty"`
	// Account is the account the events were recorded in.
	Account Account `json:"account,omitzero"`
}

// Remediation is the OCSF remediation object.
type Remediation struct {
	// Desc is the recommended containment, for humans.
	Desc string `json:"desc"`
	// References are links to runbooks.
	References []string `json:"references,omitempty"`
}

// Unmapped is the OCSF unmapped object; aitdr puts its extension under the
// single key "aitdr".
type Unmapped struct {
	// AITDR is the aitdr extension.
	AITDR Extension `json:"aitdr"`
}
