package okta

import (
	"strings"

	"github.com/aitdr/aitdr/schemas"
)

// action is how an Okta event type normalizes: its verb and category, and
// the Okta target types to take the primary target from, in order of
// preference (the first target when none matches).
type action struct {
	verb     schemas.Verb
	category schemas.Category
	targets  []string
}

var (
	userTarget   = []string{"User"}
	appTarget    = []string{"AppInstance"}
	groupTarget  = []string{"UserGroup"}
	tokenTarget  = []string{"Token"}
	clientTarget = []string{"PublicClientApp", "AppInstance"}
)

// eventTypes maps the Okta event types of the event type catalog
// (https://developer.okta.com/docs/reference/api/event-types/) that
// detection relies on. Other event types fall back to familyAction and then
// to other/other.
var eventTypes = map[string]action{
	// Sign-in, sessions, MFA.
	"user.session.start":                  {schemas.VerbAuthenticate, schemas.CategoryAuthentication, nil},
	"user.session.end":                    {schemas.VerbOther, schemas.CategoryAuthentication, nil},
	"user.session.clear":                  {schemas.VerbRevoke, schemas.CategoryIAMChange, userTarget},
	"user.authentication.sso":             {schemas.VerbAuthenticate, schemas.CategoryAuthentication, appTarget},
	"user.authentication.auth_via_mfa":    {schemas.VerbAuthenticate, schemas.CategoryAuthentication, nil},
	"user.authentication.verify":          {schemas.VerbAuthenticate, schemas.CategoryAuthentication, nil},
	"user.authentication.authenticate":    {schemas.VerbAuthenticate, schemas.CategoryAuthentication, nil},
	"user.authentication.auth_via_IDP":    {schemas.VerbAuthenticate, schemas.CategoryAuthentication, nil},
	"user.authentication.auth_via_social": {schemas.VerbAuthenticate, schemas.CategoryAuthentication, nil},
	"user.account.lock":                   {schemas.VerbDisable, schemas.CategoryAuthentication, userTarget},
	"policy.evaluate_sign_on":             {schemas.VerbOther, schemas.CategoryAuthorization, []string{"PolicyEntity"}},
	"user.mfa.factor.activate":            {schemas.VerbEnable, schemas.CategoryIAMChange, userTarget},
	"user.mfa.factor.deactivate":          {schemas.VerbDisable, schemas.CategoryIAMChange, userTarget},
	"user.mfa.factor.suspend":             {schemas.VerbDisable, schemas.CategoryIAMChange, userTarget},
	"user.mfa.factor.reset_all":           {schemas.VerbDelete, schemas.CategoryIAMChange, userTarget},

	// User lifecycle and privileges.
	"user.lifecycle.create":           {schemas.VerbCreate, schemas.CategoryIAMChange, userTarget},
	"user.lifecycle.activate":         {schemas.VerbEnable, schemas.CategoryIAMChange, userTarget},
	"user.lifecycle.reactivate":       {schemas.VerbEnable, schemas.CategoryIAMChange, userTarget},
	"user.lifecycle.unsuspend":        {schemas.VerbEnable, schemas.CategoryIAMChange, userTarget},
	"user.lifecycle.suspend":          {schemas.VerbDisable, schemas.CategoryIAMChange, userTarget},
	"user.lifecycle.deactivate":       {schemas.VerbDisable, schemas.CategoryIAMChange, userTarget},
	"user.lifecycle.delete.initiated": {schemas.VerbDelete, schemas.CategoryIAMChange, userTarget},
	"user.lifecycle.delete.completed": {schemas.VerbDelete, schemas.CategoryIAMChange, userTarget},
	"user.account.privilege.grant":    {schemas.VerbGrant, schemas.CategoryIAMChange, userTarget},
	"user.account.privilege.revoke":   {schemas.VerbRevoke, schemas.CategoryIAMChange, userTarget},
	"user.account.reset_password":     {schemas.VerbUpdate, schemas.CategoryIAMChange, userTarget},
	"user.account.update_password":    {schemas.VerbUpdate, schemas.CategoryIAMChange, userTarget},
	"group.privilege.grant":           {schemas.VerbGrant, schemas.CategoryIAMChange, groupTarget},
	"group.privilege.revoke":          {schemas.VerbRevoke, schemas.CategoryIAMChange, groupTarget},
	"group.user_membership.add":       {schemas.VerbGrant, schemas.CategoryIAMChange, groupTarget},
	"group.user_membership.remove":    {schemas.VerbRevoke, schemas.CategoryIAMChange, groupTarget},

	// Applications, API tokens and OAuth clients.
	"application.user_membership.add":    {schemas.VerbGrant, schemas.CategoryIAMChange, appTarget},
	"application.user_membership.remove": {schemas.VerbRevoke, schemas.CategoryIAMChange, appTarget},
	"application.lifecycle.create":       {schemas.VerbCreate, schemas.CategoryAdmin, appTarget},
	"application.lifecycle.delete":       {schemas.VerbDelete, schemas.CategoryAdmin, appTarget},
	"system.api_token.create":            {schemas.VerbCreate, schemas.CategoryIAMChange, tokenTarget},
	"system.api_token.revoke":            {schemas.VerbRevoke, schemas.CategoryIAMChange, tokenTarget},
	"app.oauth2.client.lifecycle.create": {schemas.VerbCreate, schemas.CategoryIAMChange, clientTarget},
	"app.oauth2.client.lifecycle.delete": {schemas.VerbDelete, schemas.CategoryIAMChange, clientTarget},
	"app.oauth2.as.consent.grant":        {schemas.VerbGrant, schemas.CategoryIAMChange, appTarget},
	"app.oauth2.admin.consent.grant":     {schemas.VerbGrant, schemas.CategoryIAMChange, appTarget},

	// Audit log streaming.
	"system.log_stream.lifecycle.create":     {schemas.VerbCreate, schemas.CategoryLoggingChange, nil},
	"system.log_stream.lifecycle.activate":   {schemas.VerbEnable, schemas.CategoryLoggingChange, nil},
	"system.log_stream.lifecycle.deactivate": {schemas.VerbDisable, schemas.CategoryLoggingChange, nil},
	"system.log_stream.lifecycle.delete":     {schemas.VerbDelete, schemas.CategoryLoggingChange, nil},
}

// tokenGrant is the action of the OAuth 2.0 token grant family
// (app.oauth2.as.token.grant, app.oauth2.token.grant.access_token, ...): a
// token exchange, so authentication.
var tokenGrant = action{schemas.VerbAuthenticate, schemas.CategoryAuthentication, []string{"AuthorizationServer", "AppInstance"}}

// tokenRevoke is the action of the OAuth 2.0 token revocation family.
var tokenRevoke = action{schemas.VerbRevoke, schemas.CategoryAuthentication, []string{"AuthorizationServer", "AppInstance"}}

// actionOf returns how eventType normalizes and whether it is known.
func actionOf(eventType string) (action, bool) {
	if a, ok := eventTypes[eventType]; ok {
		return a, true
	}
	if strings.HasPrefix(eventType, "app.oauth2.") {
		switch {
		case strings.Contains(eventType, ".token.grant"):
			return tokenGrant, true
		case strings.Contains(eventType, ".token.revoke"):
			return tokenRevoke, true
		}
	}
	return action{schemas.VerbOther, schemas.CategoryOther, nil}, false
}

// identityKind maps an Okta actor type. People are "User"; OAuth clients,
// the Okta system principal and app instances acting on their own are
// services.
func identityKind(actorType string) schemas.IdentityKind {
	switch actorType {
	case "User":
		return schemas.KindHuman
	case "PublicClientApp", "PublicClientAppEntity", "SystemPrincipal", "AppInstance", "Client", "Application":
		return schemas.KindService
	}
	return schemas.KindUnknown
}

// targetType maps an Okta target type to a lower-case target type.
func targetType(oktaType string) string {
	switch oktaType {
	case "User":
		return "user"
	case "AppInstance":
		return "application"
	case "AppUser":
		return "app_user"
	case "UserGroup", "Group":
		return "group"
	case "Token":
		return "api_token"
	case "PublicClientApp", "PublicClientAppEntity":
		return "oauth_client"
	case "AuthorizationServer":
		return "authorization_server"
	case "PolicyEntity":
		return "policy"
	case "PolicyRule":
		return "policy_rule"
	case "Factor":
		return "mfa_factor"
	}
	return snake(oktaType)
}

// snake converts a CamelCase name to snake_case.
func snake(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			if i > 0 && s[i-1] != '_' {
				b.WriteByte('_')
			}
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// credentialType maps authenticationContext.credentialType.
func credentialType(t string) schemas.CredentialType {
	switch strings.ToUpper(t) {
	case "":
		return ""
	case "PASSWORD":
		return schemas.CredentialPassword
	case "ASSERTION", "SAML", "IWA", "FEDERATION", "OIDC":
		return schemas.CredentialSSO
	case "OAUTH2", "OAUTH", "ACCESS_TOKEN", "JWT":
		return schemas.CredentialOAuthToken
	case "API_TOKEN", "SSWS":
		return schemas.CredentialAPIKey
	case "CERTIFICATE", "X509", "SMART_CARD":
		return schemas.CredentialCertificate
	case "OTP", "TOTP", "SMS", "EMAIL", "VOICE", "PUSH", "OKTA_VERIFY", "U2F", "WEBAUTHN", "SECURITY_QUESTION":
		// A second factor, not the credential the session was opened with.
		return ""
	}
	return schemas.CredentialUnknown
}

// outcomeOf maps outcome.result: ALLOW and SUCCESS succeed, DENY and
// FAILURE fail; CHALLENGE, SKIPPED and UNKNOWN say neither.
func outcomeOf(result string) schemas.Outcome {
	switch strings.ToUpper(result) {
	case "SUCCESS", "ALLOW":
		return schemas.OutcomeSuccess
	case "FAILURE", "DENY":
		return schemas.OutcomeFailure
	}
	return schemas.OutcomeUnknown
}

// consumerDomains are e-mail domains of personal mailboxes: an Okta login
// under one of them is a personal account, not a corporate one.
var consumerDomains = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "outlook.com": true, "hotmail.com": true,
	"live.com": true, "msn.com": true, "yahoo.com": true, "ymail.com": true,
	"rocketmail.com": true, "icloud.com": true, "me.com": true, "mac.com": true,
	"aol.com": true, "proton.me": true, "protonmail.com": true, "pm.me": true,
	"gmx.com": true, "gmx.de": true, "gmx.net": true, "web.de": true, "mail.com": true,
	"yandex.com": true, "yandex.ru": true, "mail.ru": true, "qq.com": true,
	"163.com": true, "126.com": true, "zoho.com": true, "fastmail.com": true,
	"tutanota.com": true, "hey.com": true,
}

// consumerPrefixes match the national variants of the large consumer
// domains (hotmail.co.uk, yahoo.fr, outlook.de).
var consumerPrefixes = []string{"hotmail.", "outlook.", "yahoo.", "live.", "gmx."}

// accountType tells a personal login (a consumer mail domain) from a
// corporate one.
func accountType(login string) schemas.AccountType {
	_, domain, ok := strings.Cut(login, "@")
	if !ok {
		return schemas.AccountCorporate
	}
	domain = strings.ToLower(domain)
	if consumerDomains[domain] {
		return schemas.AccountPersonal
	}
	for _, p := range consumerPrefixes {
		if strings.HasPrefix(domain, p) {
			return schemas.AccountPersonal
		}
	}
	return schemas.AccountCorporate
}
