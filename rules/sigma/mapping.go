package sigma

import (
	"strconv"
	"strings"
)

// Target is where a Sigma field lives in aitdr's normalized event.
type Target struct {
	// Expr reads the field in a rule expression: "action.name",
	// `attr("aws.policy_arn")`.
	Expr string
	// Path is the field in an event's JSON, for generated tests:
	// ["action", "name"], ["attributes", "aws.policy_arn"].
	Path []string
}

// key is the path joined by "/", for maps.
func (t Target) key() string { return strings.Join(t.Path, "/") }

func field(path string) Target {
	return Target{Expr: path, Path: strings.Split(path, ".")}
}

func attribute(key string) Target {
	return Target{Expr: "attr(" + strconv.Quote(key) + ")", Path: []string{"attributes", key}}
}

// Source is a Sigma logsource aitdr has a normalizer for: the product its
// events carry and how Sigma's field names map to them.
type Source struct {
	// Product is the aitdr source product (source.product).
	Product string
	// Fields maps Sigma field names to event fields. Fields a normalizer
	// keeps only as attributes map to attr(...); a field no normalizer
	// keeps has no entry, and a rule using it is not converted.
	Fields map[string]Target
}

// logSources maps "product/service" of a Sigma logsource to its source.
var logSources = map[string]*Source{
	"aws/cloudtrail": {Product: "aws.cloudtrail", Fields: map[string]Target{
		"eventName":                field("action.name"),
		"eventSource":              field("action.service"),
		"eventID":                  field("source.event_id"),
		"awsRegion":                field("source.region"),
		"recipientAccountId":       field("source.account"),
		"sourceIPAddress":          field("network.source_ip"),
		"userAgent":                field("network.user_agent"),
		"errorCode":                field("error.code"),
		"errorMessage":             field("error.message"),
		"userIdentity.arn":         field("identity.uid"),
		"userIdentity.type":        field("identity.type"),
		"userIdentity.accountId":   field("identity.account"),
		"userIdentity.userName":    field("identity.name"),
		"userIdentity.accessKeyId": field("identity.credential_id"),
		"userIdentity.principalId": attribute("aws.principal_id"),
		"userIdentity.invokedBy":   attribute("aws.invoked_by"),
		"userIdentity.sessionContext.sourceIdentity":    attribute("aws.source_identity"),
		"userIdentity.sessionContext.sessionIssuer.arn": field("session.issuer"),
		"eventType":                              attribute("aws.event_type"),
		"eventCategory":                          attribute("aws.event_category"),
		"readOnly":                               attribute("aws.read_only"),
		"managementEvent":                        attribute("aws.management_event"),
		"requestID":                              attribute("aws.request_id"),
		"sharedEventID":                          attribute("aws.shared_event_id"),
		"vpcEndpointId":                          attribute("aws.vpc_endpoint_id"),
		"requestParameters.policyArn":            attribute("aws.policy_arn"),
		"requestParameters.policyName":           attribute("aws.policy_name"),
		"requestParameters.roleSessionName":      attribute("aws.role_session_name"),
		"responseElements.accessKey.accessKeyId": attribute("aws.issued_access_key_id"),
	}},
	"azure/signinlogs": {Product: "entra", Fields: map[string]Target{
		"ResultType":                   field("error.code"),
		"Status.errorCode":             field("error.code"),
		"ResultDescription":            field("error.message"),
		"Status.failureReason":         field("error.message"),
		"UserPrincipalName":            field("identity.name"),
		"UserId":                       field("identity.uid"),
		"UserDisplayName":              field("identity.display_name"),
		"IPAddress":                    field("network.source_ip"),
		"UserAgent":                    field("network.user_agent"),
		"AppDisplayName":               attribute("entra.app_display_name"),
		"AppId":                        attribute("entra.app_id"),
		"ClientAppUsed":                attribute("entra.client_app_used"),
		"AuthenticationRequirement":    attribute("entra.authentication_requirement"),
		"ConditionalAccessStatus":      attribute("entra.conditional_access_status"),
		"RiskState":                    attribute("entra.risk_state"),
		"RiskLevelDuringSignIn":        attribute("entra.risk_level_during_sign_in"),
		"UserType":                     attribute("entra.user_type"),
		"CrossTenantAccessType":        attribute("entra.cross_tenant_access_type"),
		"DeviceDetail.operatingSystem": attribute("entra.device_os"),
		"DeviceDetail.isCompliant":     attribute("entra.device_compliant"),
		"DeviceDetail.deviceId":        attribute("entra.device_id"),
	}},
	"azure/auditlogs": {Product: "entra", Fields: map[string]Target{
		"OperationName":                      field("action.name"),
		"ActivityDisplayName":                field("action.name"),
		"LoggedByService":                    field("action.service"),
		"Category":                           attribute("entra.audit_category"),
		"CorrelationId":                      attribute("entra.correlation_id"),
		"InitiatedBy.user.userPrincipalName": field("identity.name"),
		"InitiatedBy.user.ipAddress":         field("network.source_ip"),
		"InitiatedBy.app.displayName":        field("identity.display_name"),
	}},
	"gcp/gcp.audit": {Product: "gcp.audit", Fields: map[string]Target{
		"gcp.audit.method_name":                                field("action.name"),
		"methodName":                                           field("action.name"),
		"data.protoPayload.methodName":                         field("action.name"),
		"gcp.audit.service_name":                               field("action.service"),
		"serviceName":                                          field("action.service"),
		"data.protoPayload.serviceName":                        field("action.service"),
		"gcp.audit.resource_name":                              field("target.id"),
		"resourceName":                                         field("target.id"),
		"gcp.audit.principal_email":                            field("identity.email"),
		"protoPayload.authenticationInfo.principalEmail":       field("identity.email"),
		"data.protoPayload.authenticationInfo.principalEmail":  field("identity.email"),
		"protoPayload.requestMetadata.callerIp":                field("network.source_ip"),
		"protoPayload.requestMetadata.callerSuppliedUserAgent": field("network.user_agent"),
		"severity":      attribute("gcp.severity"),
		"resource.type": attribute("gcp.resource_type"),
	}},
	"okta/okta": {Product: "okta", Fields: map[string]Target{
		"eventType":                              field("action.name"),
		"actor.alternateId":                      field("identity.name"),
		"actor.id":                               field("identity.uid"),
		"actor.displayName":                      field("identity.display_name"),
		"client.ipAddress":                       field("network.source_ip"),
		"client.userAgent.rawUserAgent":          field("network.user_agent"),
		"outcome.result":                         attribute("okta.outcome_result"),
		"securityContext.isProxy":                attribute("okta.is_proxy"),
		"securityContext.isp":                    attribute("okta.isp"),
		"authenticationContext.credentialType":   attribute("okta.credential_type"),
		"debugContext.debugData.threatSuspected": attribute("okta.threat_suspected"),
		"debugContext.debugData.behaviors":       attribute("okta.behaviors"),
		"debugContext.debugData.risk":            attribute("okta.risk"),
		"transaction.id":                         attribute("okta.transaction_id"),
		"severity":                               attribute("okta.severity"),
	}},
	"github/audit": {Product: "github", Fields: map[string]Target{
		"action":                     field("action.name"),
		"actor":                      field("identity.name"),
		"actor_ip":                   field("network.source_ip"),
		"user_agent":                 field("network.user_agent"),
		"org":                        field("source.org"),
		"business":                   field("source.account"),
		"repo":                       field("target.name"),
		"repository":                 field("target.name"),
		"user":                       attribute("github.user"),
		"team":                       attribute("github.team"),
		"visibility":                 attribute("github.visibility"),
		"previous_visibility":        attribute("github.previous_visibility"),
		"permission":                 attribute("github.permission"),
		"old_permission":             attribute("github.old_permission"),
		"operation_type":             attribute("github.operation_type"),
		"programmatic_access_type":   attribute("github.programmatic_access_type"),
		"hashed_token":               attribute("github.hashed_token"),
		"head_branch":                attribute("github.head_branch"),
		"conclusion":                 attribute("github.conclusion"),
		"transport_protocol_name":    attribute("github.transport_protocol"),
		"external_identity_nameid":   attribute("github.external_identity_nameid"),
		"external_identity_username": attribute("github.external_identity_username"),
		"token_scopes":               attribute("github.token_scopes"),
		"workflow_run_id":            attribute("github.workflow_run_id"),
	}},
}

// sourceAliases are other names Sigma rules use for the same log sources.
var sourceAliases = map[string]string{
	"aws/":             "aws/cloudtrail",
	"azure/signinlogs": "azure/signinlogs",
	"azure/auditlogs":  "azure/auditlogs",
	"gcp/":             "gcp/gcp.audit",
	"gcp/audit":        "gcp/gcp.audit",
	"okta/":            "okta/okta",
	"github/":          "github/audit",
}

// LookupSource returns the source of a Sigma logsource, or nil when no
// aitdr normalizer reads it.
func LookupSource(ls LogSource) *Source {
	k := strings.ToLower(ls.Product) + "/" + strings.ToLower(ls.Service)
	if a, ok := sourceAliases[k]; ok {
		k = a
	}
	return logSources[k]
}

// attackToATLAS maps ATT&CK techniques to the ATLAS technique that is the
// same behaviour against AI systems, where there is one.
var attackToATLAS = map[string]string{
	"T1078": "AML.T0012", // Valid Accounts
}

// severities maps Sigma levels to aitdr severities.
var severities = map[string]string{
	"informational": "info", "low": "low", "medium": "medium", "high": "high", "critical": "critical",
}
