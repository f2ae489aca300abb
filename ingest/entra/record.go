package entra

import (
	json "github.com/goccy/go-json"

	"github.com/aitdr/aitdr/ingest/srcjson"
)

// signIn is the part of a Microsoft Graph signIn resource that
// normalization reads. The Graph API returns it at the top level of a
// record; Azure Monitor wraps the same properties in the "properties" object
// of an envelope. Numbers that some exports write as strings are read as
// json.Number.
// https://learn.microsoft.com/en-us/graph/api/resources/signin
type signIn struct {
	ID                                   string       `json:"id"`
	CorrelationID                        string       `json:"correlationId"`
	CreatedDateTime                      string       `json:"createdDateTime"`
	UserID                               string       `json:"userId"`
	UserPrincipalName                    string       `json:"userPrincipalName"`
	UserDisplayName                      string       `json:"userDisplayName"`
	UserType                             string       `json:"userType"`
	AppID                                string       `json:"appId"`
	AppDisplayName                       string       `json:"appDisplayName"`
	IPAddress                            string       `json:"ipAddress"`
	ClientAppUsed                        string       `json:"clientAppUsed"`
	Status                               status       `json:"status"`
	IsInteractive                        bool         `json:"isInteractive"`
	SignInEventTypes                     []string     `json:"signInEventTypes"`
	ServicePrincipalID                   string       `json:"servicePrincipalId"`
	ServicePrincipalName                 string       `json:"servicePrincipalName"`
	ServicePrincipalCredentialKeyID      string       `json:"servicePrincipalCredentialKeyId"`
	ServicePrincipalCredentialThumbprint string       `json:"servicePrincipalCredentialThumbprint"`
	ClientCredentialType                 string       `json:"clientCredentialType"`
	ManagedIdentityType                  string       `json:"managedIdentityType"`
	HomeTenantID                         string       `json:"homeTenantId"`
	ResourceTenantID                     string       `json:"resourceTenantId"`
	CrossTenantAccessType                string       `json:"crossTenantAccessType"`
	AuthenticationRequirement            string       `json:"authenticationRequirement"`
	MFADetail                            mfaDetail    `json:"mfaDetail"`
	AuthenticationDetails                []authDetail `json:"authenticationDetails"`
	ConditionalAccessStatus              string       `json:"conditionalAccessStatus"`
	ResourceDisplayName                  string       `json:"resourceDisplayName"`
	ResourceID                           string       `json:"resourceId"`
	Location                             location     `json:"location"`
	DeviceDetail                         deviceDetail `json:"deviceDetail"`
	UserAgent                            string       `json:"userAgent"`
	RiskLevelDuringSignIn                string       `json:"riskLevelDuringSignIn"`
	RiskState                            string       `json:"riskState"`
	TokenIssuerType                      string       `json:"tokenIssuerType"`
	TokenIssuerName                      string       `json:"tokenIssuerName"`
	IncomingTokenType                    string       `json:"incomingTokenType"`
	UniqueTokenIdentifier                string       `json:"uniqueTokenIdentifier"`
	SessionID                            string       `json:"sessionId"`
	AutonomousSystemNumber               json.Number  `json:"autonomousSystemNumber"`
	AuthenticationProtocol               string       `json:"authenticationProtocol"`
}

type status struct {
	ErrorCode     json.Number `json:"errorCode"`
	FailureReason string      `json:"failureReason"`
}

type mfaDetail struct {
	AuthMethod string `json:"authMethod"`
}

type authDetail struct {
	AuthenticationMethod string `json:"authenticationMethod"`
	Succeeded            bool   `json:"succeeded"`
}

type location struct {
	City            string `json:"city"`
	CountryOrRegion string `json:"countryOrRegion"`
}

type deviceDetail struct {
	DeviceID        string `json:"deviceId"`
	OperatingSystem string `json:"operatingSystem"`
	IsCompliant     bool   `json:"isCompliant"`
	IsManaged       bool   `json:"isManaged"`
}

// audit is the part of a Microsoft Graph directoryAudit resource that
// normalization reads.
// https://learn.microsoft.com/en-us/graph/api/resources/directoryaudit
type audit struct {
	ID                  string           `json:"id"`
	CorrelationID       string           `json:"correlationId"`
	ActivityDateTime    string           `json:"activityDateTime"`
	ActivityDisplayName string           `json:"activityDisplayName"`
	Category            string           `json:"category"`
	OperationType       string           `json:"operationType"`
	Result              string           `json:"result"`
	ResultReason        string           `json:"resultReason"`
	LoggedByService     string           `json:"loggedByService"`
	InitiatedBy         initiatedBy      `json:"initiatedBy"`
	TargetResources     []targetResource `json:"targetResources"`
	AdditionalDetails   []keyValue       `json:"additionalDetails"`
}

type initiatedBy struct {
	User *auditUser `json:"user"`
	App  *auditApp  `json:"app"`
}

type auditUser struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName"`
	UserPrincipalName string `json:"userPrincipalName"`
	IPAddress         string `json:"ipAddress"`
	HomeTenantID      string `json:"homeTenantId"`
}

type auditApp struct {
	AppID                string `json:"appId"`
	DisplayName          string `json:"displayName"`
	ServicePrincipalID   string `json:"servicePrincipalId"`
	ServicePrincipalName string `json:"servicePrincipalName"`
}

type targetResource struct {
	ID                 string             `json:"id"`
	DisplayName        string             `json:"displayName"`
	Type               string             `json:"type"`
	UserPrincipalName  string             `json:"userPrincipalName"`
	ModifiedProperties []modifiedProperty `json:"modifiedProperties"`
}

type modifiedProperty struct {
	DisplayName string `json:"displayName"`
	NewValue    string `json:"newValue"`
}

type keyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// other is what normalization reads from the properties of an Azure
// Monitor category it does not map: the principal and the client, read
// leniently since every category has a schema of its own.
type other struct {
	ID                 srcjson.Text `json:"id"`
	CorrelationID      srcjson.Text `json:"correlationId"`
	CreatedDateTime    srcjson.Text `json:"createdDateTime"`
	UserID             srcjson.Text `json:"userId"`
	UserPrincipalName  srcjson.Text `json:"userPrincipalName"`
	ServicePrincipalID srcjson.Text `json:"servicePrincipalId"`
	AppID              srcjson.Text `json:"appId"`
	IPAddress          srcjson.Text `json:"ipAddress"`
	UserAgent          srcjson.Text `json:"userAgent"`
}

// envelope is an Azure Monitor / Log Analytics diagnostic record of the
// Entra ID log categories, as exported by a diagnostic setting to a storage
// account or an event hub ({"records": [...]}); Properties holds the Graph
// resource, decoded once the category is known.
// https://learn.microsoft.com/en-us/azure/azure-monitor/essentials/resource-logs-schema
type envelope struct {
	Time            string          `json:"time"`
	Category        string          `json:"category"`
	TenantID        string          `json:"tenantId"`
	OperationName   string          `json:"operationName"`
	ResultType      srcjson.Text    `json:"resultType"`
	CallerIPAddress string          `json:"callerIpAddress"`
	Properties      json.RawMessage `json:"properties"`
}
