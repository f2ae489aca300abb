package simulate

import (
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// Microsoft Entra ID sign-in logs as Azure Monitor diagnostic records:
// the envelope (time, category, tenantId) around the Microsoft Graph
// signIn resource in properties. The envelope carries the tenant, so
// several tenants share one ingest source.

type entraRecord struct {
	Time            string      `json:"time"`
	ResourceID      string      `json:"resourceId"`
	OperationName   string      `json:"operationName"`
	OperationVer    string      `json:"operationVersion"`
	Category        string      `json:"category"`
	TenantID        string      `json:"tenantId"`
	ResultType      string      `json:"resultType"`
	ResultSignature string      `json:"resultSignature"`
	DurationMs      int         `json:"durationMs"`
	CallerIPAddress string      `json:"callerIpAddress,omitempty"`
	CorrelationID   string      `json:"correlationId"`
	Identity        string      `json:"identity,omitempty"`
	Level           int         `json:"Level"`
	Location        string      `json:"location,omitempty"`
	Properties      entraSignIn `json:"properties"`
}

type entraSignIn struct {
	ID                              string        `json:"id"`
	CreatedDateTime                 string        `json:"createdDateTime"`
	UserDisplayName                 string        `json:"userDisplayName,omitempty"`
	UserPrincipalName               string        `json:"userPrincipalName,omitempty"`
	UserID                          *string       `json:"userId"`
	AppID                           string        `json:"appId"`
	AppDisplayName                  string        `json:"appDisplayName"`
	IPAddress                       string        `json:"ipAddress"`
	Status                          entraStatus   `json:"status"`
	ClientAppUsed                   string        `json:"clientAppUsed,omitempty"`
	UserAgent                       string        `json:"userAgent,omitempty"`
	DeviceDetail                    *entraDevice  `json:"deviceDetail,omitempty"`
	Location                        entraLocation `json:"location"`
	MFADetail                       *entraMFA     `json:"mfaDetail,omitempty"`
	CorrelationID                   string        `json:"correlationId"`
	ConditionalAccessStatus         string        `json:"conditionalAccessStatus"`
	IsInteractive                   bool          `json:"isInteractive"`
	TokenIssuerType                 string        `json:"tokenIssuerType"`
	RiskDetail                      string        `json:"riskDetail"`
	RiskLevelDuringSignIn           string        `json:"riskLevelDuringSignIn"`
	RiskState                       string        `json:"riskState"`
	ResourceDisplayName             string        `json:"resourceDisplayName"`
	ResourceID                      string        `json:"resourceId"`
	ResourceTenantID                string        `json:"resourceTenantId,omitempty"`
	HomeTenantID                    string        `json:"homeTenantId,omitempty"`
	AuthenticationRequirement       string        `json:"authenticationRequirement,omitempty"`
	SignInEventTypes                []string      `json:"signInEventTypes,omitempty"`
	ServicePrincipalName            string        `json:"servicePrincipalName,omitempty"`
	ServicePrincipalID              string        `json:"servicePrincipalId"`
	ServicePrincipalCredentialKeyID string        `json:"servicePrincipalCredentialKeyId,omitempty"`
	ClientCredentialType            string        `json:"clientCredentialType,omitempty"`
	ManagedIdentityType             string        `json:"managedIdentityType,omitempty"`
	UserType                        string        `json:"userType,omitempty"`
	AutonomousSystemNumber          int           `json:"autonomousSystemNumber,omitempty"`
	CrossTenantAccessType           string        `json:"crossTenantAccessType"`
	SessionID                       string        `json:"sessionId,omitempty"`
	UniqueTokenIdentifier           string        `json:"uniqueTokenIdentifier"`
	IncomingTokenType               string        `json:"incomingTokenType"`
	AuthenticationProtocol          string        `json:"authenticationProtocol"`
}

type entraStatus struct {
	ErrorCode int `json:"errorCode"`
}

type entraDevice struct {
	DeviceID        string `json:"deviceId"`
	OperatingSystem string `json:"operatingSystem"`
	Browser         string `json:"browser"`
	IsCompliant     bool   `json:"isCompliant"`
	IsManaged       bool   `json:"isManaged"`
}

type entraLocation struct {
	City            string `json:"city"`
	CountryOrRegion string `json:"countryOrRegion"`
}

type entraMFA struct {
	AuthMethod string `json:"authMethod"`
}

// Well-known resources of Microsoft's first-party applications.
const (
	entraGraph        = "00000003-0000-0000-c000-000000000000"
	entraKeyVault     = "cfa8b339-82a2-471a-a3c9-0fc0be7a4093"
	entraCognitive    = "7d312290-28c8-473c-a0ed-8e53749b6d6d" // Azure Cognitive Services, which serves Azure OpenAI
	entraOffice       = "4765445b-32c6-49b0-83e6-1d93765276ca"
	entraCopilotAppID = "fb8d773d-7ef8-4ec0-a117-179f88add510"
)

// countryCode is the ISO code of a time zone's country.
func countryCode(zone string) string {
	switch countryOf(zone) {
	case "Brazil":
		return "BR"
	case "United Kingdom":
		return "GB"
	case "Germany":
		return "DE"
	case "France":
		return "FR"
	case "Poland":
		return "PL"
	case "United Arab Emirates":
		return "AE"
	case "India":
		return "IN"
	case "Singapore":
		return "SG"
	case "Japan":
		return "JP"
	case "Australia":
		return "AU"
	}
	return "US"
}

// entraTime is the time format of Entra records, seven fraction digits.
const entraTime = "2006-01-02T15:04:05.0000000Z"

func (g *engine) entraEnvelope(r rng, t time.Time, tenant, category, ip, who string, props entraSignIn) entraRecord {
	corr := r.uuid()
	props.CorrelationID = corr
	return entraRecord{
		Time:            t.UTC().Format(entraTime),
		ResourceID:      "/tenants/" + tenant + "/providers/Microsoft.aadiam",
		OperationName:   "Sign-in activity",
		OperationVer:    "1.0",
		Category:        category,
		TenantID:        tenant,
		ResultType:      "0",
		ResultSignature: "None",
		CallerIPAddress: ip,
		CorrelationID:   corr,
		Identity:        who,
		Level:           4,
		Properties:      props,
	}
}

// entraUserSignIn is a person signing in interactively to app.
func (g *engine) entraUserSignIn(r rng, t time.Time, p *person, app, appID, resource, resourceID string) Record {
	ip, asn, _ := p.network(r, t)
	uid := p.entraID
	tenant := p.entra.ID
	props := entraSignIn{
		ID:                        r.uuid(),
		CreatedDateTime:           t.UTC().Format("2006-01-02T15:04:05.0000000+00:00"),
		UserDisplayName:           p.display,
		UserPrincipalName:         p.email,
		UserID:                    &uid,
		AppID:                     appID,
		AppDisplayName:            app,
		IPAddress:                 ip,
		ClientAppUsed:             "Browser",
		UserAgent:                 p.browser,
		DeviceDetail:              &entraDevice{DeviceID: stableUUID(g.cfg.Seed, "device:"+p.id), OperatingSystem: "Windows10", Browser: "Edge 124.0.0", IsCompliant: true, IsManaged: true},
		Location:                  entraLocation{CountryOrRegion: countryCode(p.rhythm.zone)},
		MFADetail:                 &entraMFA{AuthMethod: "Mobile app notification"},
		ConditionalAccessStatus:   "success",
		IsInteractive:             true,
		TokenIssuerType:           "AzureAD",
		RiskDetail:                "none",
		RiskLevelDuringSignIn:     "none",
		RiskState:                 "none",
		ResourceDisplayName:       resource,
		ResourceID:                resourceID,
		ResourceTenantID:          tenant,
		HomeTenantID:              tenant,
		AuthenticationRequirement: "multiFactorAuthentication",
		SignInEventTypes:          []string{"interactiveUser"},
		UserType:                  "Member",
		AutonomousSystemNumber:    asn,
		CrossTenantAccessType:     "none",
		SessionID:                 stableUUID(g.cfg.Seed, "session:"+p.id+":"+t.Format("2006-01-02")),
		UniqueTokenIdentifier:     r.chars(base62, 44),
		IncomingTokenType:         "none",
		AuthenticationProtocol:    "none",
	}
	rec := g.entraEnvelope(r, t, tenant, "SignInLogs", ip, p.display, props)
	rec.Location = countryCode(p.rhythm.zone)
	return g.record(schemas.ProductEntra, t, t, props.ID, p.idpIdentity(&g.cfg.Tenants), schemas.CategoryAuthentication, rec)
}

// entraServiceSignIn is a service principal getting a token for a
// resource with its client secret.
func (g *engine) entraServiceSignIn(r rng, t time.Time, c *credential, name, ip, resource, resourceID string) Record {
	props := entraSignIn{
		ID:                              r.uuid(),
		CreatedDateTime:                 t.UTC().Format("2006-01-02T15:04:05.0000000+00:00"),
		AppID:                           c.appID,
		AppDisplayName:                  name,
		IPAddress:                       ip,
		Location:                        entraLocation{CountryOrRegion: "US"},
		ConditionalAccessStatus:         "notApplied",
		TokenIssuerType:                 "AzureAD",
		RiskDetail:                      "none",
		RiskLevelDuringSignIn:           "none",
		RiskState:                       "none",
		ResourceDisplayName:             resource,
		ResourceID:                      resourceID,
		ServicePrincipalName:            name,
		ServicePrincipalID:              c.spID,
		ServicePrincipalCredentialKeyID: c.credentialKey,
		ClientCredentialType:            "clientSecret",
		CrossTenantAccessType:           "none",
		UniqueTokenIdentifier:           r.chars(base62, 44),
		IncomingTokenType:               "none",
		AuthenticationProtocol:          "none",
	}
	rec := g.entraEnvelope(r, t, c.tenant.ID, "ServicePrincipalSignInLogs", ip, "", props)
	return g.record(schemas.ProductEntra, t, t, props.ID, c.identity, schemas.CategoryAuthentication, rec)
}

// entraManagedIdentitySignIn is a managed identity getting a token.
func (g *engine) entraManagedIdentitySignIn(r rng, t time.Time, s *service) Record {
	props := entraSignIn{
		ID:                      r.uuid(),
		CreatedDateTime:         t.UTC().Format("2006-01-02T15:04:05.0000000+00:00"),
		AppID:                   s.appID,
		AppDisplayName:          s.name,
		Location:                entraLocation{},
		ConditionalAccessStatus: "notApplied",
		TokenIssuerType:         "AzureAD",
		RiskDetail:              "none",
		RiskLevelDuringSignIn:   "none",
		RiskState:               "none",
		ResourceDisplayName:     "Azure Key Vault",
		ResourceID:              entraKeyVault,
		ServicePrincipalName:    s.name,
		ServicePrincipalID:      s.clientID,
		ManagedIdentityType:     "userAssigned",
		CrossTenantAccessType:   "none",
		UniqueTokenIdentifier:   r.chars(base62, 44),
		IncomingTokenType:       "none",
		AuthenticationProtocol:  "none",
	}
	rec := g.entraEnvelope(r, t, s.tenant.ID, "ManagedIdentitySignInLogs", "", "", props)
	return g.record(schemas.ProductEntra, t, t, props.ID, s.identity, schemas.CategoryAuthentication, rec)
}

// stableUUID returns a UUID that depends on the seed and name only.
func stableUUID(seed int64, name string) string {
	h := uint64(1469598103934665603)
	for i := range len(name) {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	return newRNG(seed, h).uuid()
}
