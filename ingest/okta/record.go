package okta

import "github.com/aitdr/aitdr/ingest/srcjson"

// logEvent is the part of an Okta System Log LogEvent that normalization
// reads (https://developer.okta.com/docs/reference/api/system-log/). Okta
// writes null for absent values; every field here accepts it.
type logEvent struct {
	UUID                  string          `json:"uuid"`
	Published             string          `json:"published"`
	EventType             string          `json:"eventType"`
	Severity              string          `json:"severity"`
	Actor                 actor           `json:"actor"`
	Client                client          `json:"client"`
	AuthenticationContext authContext     `json:"authenticationContext"`
	SecurityContext       securityContext `json:"securityContext"`
	Outcome               outcome         `json:"outcome"`
	Target                []target        `json:"target"`
	Transaction           transaction     `json:"transaction"`
	DebugContext          debugContext    `json:"debugContext"`
}

type actor struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	AlternateID string `json:"alternateId"`
	DisplayName string `json:"displayName"`
}

type client struct {
	ID        string `json:"id"`
	IPAddress string `json:"ipAddress"`
	UserAgent struct {
		RawUserAgent string `json:"rawUserAgent"`
	} `json:"userAgent"`
	GeographicalContext struct {
		Country string `json:"country"`
	} `json:"geographicalContext"`
}

type authContext struct {
	ExternalSessionID      string `json:"externalSessionId"`
	CredentialType         string `json:"credentialType"`
	CredentialProvider     string `json:"credentialProvider"`
	AuthenticationProvider string `json:"authenticationProvider"`
	Issuer                 struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"issuer"`
}

type securityContext struct {
	ASNumber srcjson.Number `json:"asNumber"`
	ASOrg    string         `json:"asOrg"`
	ISP      string         `json:"isp"`
	IsProxy  bool           `json:"isProxy"`
}

type outcome struct {
	Result string `json:"result"`
	Reason string `json:"reason"`
}

type target struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	AlternateID string `json:"alternateId"`
	DisplayName string `json:"displayName"`
}

type transaction struct {
	ID     string `json:"id"`
	Detail struct {
		RequestAPITokenID string `json:"requestApiTokenId"`
	} `json:"detail"`
}

// debugContext holds the debugData keys normalization keeps; their values
// are strings in Okta's samples but are read leniently.
type debugContext struct {
	DebugData struct {
		RequestID        srcjson.Text `json:"requestId"`
		RequestURI       srcjson.Text `json:"requestUri"`
		ThreatSuspected  srcjson.Text `json:"threatSuspected"`
		Risk             srcjson.Text `json:"risk"`
		Behaviors        srcjson.Text `json:"behaviors"`
		GrantType        srcjson.Text `json:"grantType"`
		GrantedScopes    srcjson.Text `json:"grantedScopes"`
		PrivilegeGranted srcjson.Text `json:"privilegeGranted"`
		Factor           srcjson.Text `json:"factor"`
	} `json:"debugData"`
}
