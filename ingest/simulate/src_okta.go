package simulate

import (
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// Okta System Log events (LogEvent objects of the System Log API).

type oktaEvent struct {
	Version               string         `json:"version"`
	Severity              string         `json:"severity"`
	Client                oktaClient     `json:"client"`
	Actor                 oktaActorRef   `json:"actor"`
	Outcome               oktaOutcome    `json:"outcome"`
	UUID                  string         `json:"uuid"`
	Published             string         `json:"published"`
	EventType             string         `json:"eventType"`
	DisplayMessage        string         `json:"displayMessage"`
	Transaction           oktaTxn        `json:"transaction"`
	DebugContext          oktaDebug      `json:"debugContext"`
	AuthenticationContext oktaAuthCtx    `json:"authenticationContext"`
	SecurityContext       oktaSecurity   `json:"securityContext"`
	Target                []oktaActorRef `json:"target"`
}

type oktaClient struct {
	ID                  string        `json:"id,omitempty"`
	Zone                string        `json:"zone,omitempty"`
	Device              string        `json:"device,omitempty"`
	UserAgent           oktaUserAgent `json:"userAgent"`
	IPAddress           string        `json:"ipAddress"`
	GeographicalContext oktaGeo       `json:"geographicalContext"`
}

type oktaUserAgent struct {
	OS           string `json:"os,omitempty"`
	Browser      string `json:"browser,omitempty"`
	RawUserAgent string `json:"rawUserAgent"`
}

type oktaGeo struct {
	City    string `json:"city,omitempty"`
	Country string `json:"country"`
}

type oktaActorRef struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	AlternateID string `json:"alternateId"`
	DisplayName string `json:"displayName"`
}

type oktaOutcome struct {
	Result string `json:"result"`
	Reason string `json:"reason,omitempty"`
}

type oktaTxn struct {
	Type   string   `json:"type"`
	ID     string   `json:"id"`
	Detail struct{} `json:"detail"`
}

type oktaDebug struct {
	DebugData map[string]string `json:"debugData"`
}

type oktaAuthCtx struct {
	AuthenticationStep     int    `json:"authenticationStep"`
	ExternalSessionID      string `json:"externalSessionId"`
	AuthenticationProvider string `json:"authenticationProvider,omitempty"`
	CredentialType         string `json:"credentialType,omitempty"`
}

type oktaSecurity struct {
	ASNumber int    `json:"asNumber"`
	ASOrg    string `json:"asOrg"`
	ISP      string `json:"isp"`
	IsProxy  bool   `json:"isProxy"`
}

// countryOf names the country of a time zone for Okta's geographical
// context.
func countryOf(zone string) string {
	switch zone {
	case "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York":
		return "United States"
	case "America/Sao_Paulo":
		return "Brazil"
	case "Europe/London":
		return "United Kingdom"
	case "Europe/Berlin":
		return "Germany"
	case "Europe/Paris":
		return "France"
	case "Europe/Warsaw":
		return "Poland"
	case "Asia/Dubai":
		return "United Arab Emirates"
	case "Asia/Kolkata":
		return "India"
	case "Asia/Singapore":
		return "Singapore"
	case "Asia/Tokyo":
		return "Japan"
	case "Australia/Sydney":
		return "Australia"
	}
	return "United States"
}

// oktaNetwork is where a person is: the office or home.
func (p *person) network(r rng, t time.Time) (ip string, asn int, asOrg string) {
	if p.rhythm.working(t) && r.chance(0.7) {
		return p.officeIP, asnOffice, "acme office network"
	}
	return p.homeIP, p.homeASN, "residential isp " + itoa(p.homeASN-asnHomeFirst+1)
}

// oktaUser returns a LogEvent of the person p as actor.
func (g *engine) oktaUser(r rng, t time.Time, p *person, eventType, message string, target []oktaActorRef, debug map[string]string, credential string, category schemas.Category) Record {
	ip, asn, asOrg := p.network(r, t)
	txn := r.chars(base62, 27)
	if debug == nil {
		debug = map[string]string{}
	}
	debug["requestId"] = txn
	debug["threatSuspected"] = "false"
	ev := oktaEvent{
		Version:  "0",
		Severity: "INFO",
		Client: oktaClient{
			Zone: "null", Device: "Computer",
			UserAgent:           oktaUserAgent{RawUserAgent: p.browser},
			IPAddress:           ip,
			GeographicalContext: oktaGeo{Country: countryOf(p.rhythm.zone)},
		},
		Actor:                 oktaActorRef{ID: p.oktaID, Type: "User", AlternateID: p.email, DisplayName: p.display},
		Outcome:               oktaOutcome{Result: "SUCCESS"},
		UUID:                  r.uuid(),
		Published:             t.UTC().Format("2006-01-02T15:04:05.000Z"),
		EventType:             eventType,
		DisplayMessage:        message,
		Transaction:           oktaTxn{Type: "WEB", ID: txn},
		DebugContext:          oktaDebug{DebugData: debug},
		AuthenticationContext: oktaAuthCtx{ExternalSessionID: "102" + r.chars(base62, 22), CredentialType: credential},
		SecurityContext:       oktaSecurity{ASNumber: asn, ASOrg: asOrg, ISP: asOrg},
		Target:                target,
	}
	if credential != "" {
		ev.AuthenticationContext.AuthenticationProvider = "OKTA_AUTHENTICATION_PROVIDER"
	}
	return g.record(schemas.ProductOkta, t, t, ev.UUID, p.idpIdentity(&g.cfg.Tenants), category, ev)
}

// oktaSession is a person signing in to Okta.
func (g *engine) oktaSession(r rng, t time.Time, p *person) Record {
	return g.oktaUser(r, t, p, "user.session.start", "User login to Okta",
		nil, map[string]string{"requestUri": "/idp/idx/identify"}, "PASSWORD", schemas.CategoryAuthentication)
}

// oktaSSO is a person signing in to an application through Okta.
func (g *engine) oktaSSO(r rng, t time.Time, p *person, app string) Record {
	slug := slugOf(app)
	appID := "0oa" + stableID(g.cfg.Seed, "okta-app:"+app, 17)
	return g.oktaUser(r, t, p, "user.authentication.sso", "User single sign on to app",
		[]oktaActorRef{
			{ID: appID, Type: "AppInstance", AlternateID: app, DisplayName: app},
			{ID: "0ua" + r.chars(base62, 17), Type: "AppUser", AlternateID: p.email, DisplayName: p.display},
		},
		map[string]string{"requestUri": "/app/" + slug + "/exk" + r.chars(base62, 17) + "/sso/saml", "signOnMode": "SAML 2.0"},
		"", schemas.CategoryAuthentication)
}

// oktaClientGrant is an OAuth client getting a token on its own.
func (g *engine) oktaClientGrant(r rng, t time.Time, s *service) Record {
	txn := r.chars(base62, 27)
	ev := oktaEvent{
		Version:  "0",
		Severity: "INFO",
		Client: oktaClient{
			ID:                  s.clientID,
			UserAgent:           oktaUserAgent{RawUserAgent: "python-requests/2.31.0"},
			IPAddress:           r.ipv4(netOfficeAmericas, 200, 210),
			GeographicalContext: oktaGeo{Country: "United States"},
		},
		Actor:          oktaActorRef{ID: s.clientID, Type: "PublicClientApp", AlternateID: s.name, DisplayName: s.name},
		Outcome:        oktaOutcome{Result: "SUCCESS"},
		UUID:           r.uuid(),
		Published:      t.UTC().Format("2006-01-02T15:04:05.000Z"),
		EventType:      "app.oauth2.as.token.grant",
		DisplayMessage: "OAuth2 token granted",
		Transaction:    oktaTxn{Type: "WEB", ID: txn},
		DebugContext: oktaDebug{DebugData: map[string]string{
			"requestId": txn, "grantType": "client_credentials", "grantedScopes": "okta.users.read, okta.groups.read",
		}},
		AuthenticationContext: oktaAuthCtx{ExternalSessionID: "unknown"},
		SecurityContext:       oktaSecurity{ASNumber: asnCloud, ASOrg: "acme cloud egress", ISP: "acme cloud egress"},
		Target: []oktaActorRef{
			{ID: "aus" + stableID(g.cfg.Seed, "okta-as", 17), Type: "AuthorizationServer", AlternateID: "Default", DisplayName: "Default"},
		},
	}
	return g.record(schemas.ProductOkta, t, t, ev.UUID, s.identity, schemas.CategoryAuthentication, ev)
}

// slugOf turns an app name into the lower-case slug of its URLs.
func slugOf(name string) string {
	b := make([]byte, 0, len(name))
	for i := range len(name) {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b = append(b, c)
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		}
	}
	return string(b)
}

// stableID returns n base62 characters that depend on the seed and name
// only, for ids several actors share (an application, a resource).
func stableID(seed int64, name string, n int) string { return stableChars(seed, name, base62, n) }

// stableChars returns n characters of alphabet that depend on the seed and
// name only.
func stableChars(seed int64, name, alphabet string, n int) string {
	h := uint64(1469598103934665603)
	for i := range len(name) {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	return newRNG(seed, h).chars(alphabet, n)
}
