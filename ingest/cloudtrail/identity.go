package cloudtrail

import (
	"cmp"
	"strings"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/schemas"
)

// userIdentity is CloudTrail's userIdentity element
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).
type userIdentity struct {
	Type             string         `json:"type"`
	PrincipalID      string         `json:"principalId"`
	ARN              string         `json:"arn"`
	AccountID        string         `json:"accountId"`
	AccessKeyID      string         `json:"accessKeyId"`
	UserName         string         `json:"userName"`
	InvokedBy        string         `json:"invokedBy"`
	IdentityProvider string         `json:"identityProvider"`
	CredentialID     string         `json:"credentialId"`
	SessionContext   sessionContext `json:"sessionContext"`
	OnBehalfOf       onBehalfOf     `json:"onBehalfOf"`
}

type sessionContext struct {
	SessionIssuer       sessionIssuer       `json:"sessionIssuer"`
	WebIDFederationData webIDFederationData `json:"webIdFederationData"`
	Attributes          sessionAttributes   `json:"attributes"`
	SourceIdentity      string              `json:"sourceIdentity"`
}

type sessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

type webIDFederationData struct {
	FederatedProvider string `json:"federatedProvider"`
}

type sessionAttributes struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

type onBehalfOf struct {
	UserID           string `json:"userId"`
	IdentityStoreARN string `json:"identityStoreArn"`
}

// userIdentity types.
const (
	typeIAMUser            = "IAMUser"
	typeAssumedRole        = "AssumedRole"
	typeFederatedUser      = "FederatedUser"
	typeRoot               = "Root"
	typeAWSService         = "AWSService"
	typeAWSAccount         = "AWSAccount"
	typeIdentityCenterUser = "IdentityCenterUser"
	typeSAMLUser           = "SAMLUser"
	typeWebIdentityUser    = "WebIdentityUser"
)

// Role name prefixes that tell what kind of principal uses a role: AWS
// creates AWSReservedSSO_* roles for IAM Identity Center permission sets,
// assumed only by people, and AmazonBedrockExecutionRoleForAgents_* roles
// for Amazon Bedrock agents.
const (
	ssoRolePrefix   = "AWSReservedSSO_"
	agentRolePrefix = "AmazonBedrockExecutionRoleForAgents_"
)

// identity sets Identity and Session from userIdentity.
//
// Identity ids, "aws:<account>:<native id>":
//
//	IAMUser             aws:<account>:user/<userName>
//	AssumedRole         aws:<role account>:role/<role name>  (every session of the role)
//	FederatedUser       aws:<account>:federated-user/<name>
//	Root                aws:<account>:root
//	AWSService          aws:<recipient account>:service/<invokedBy>
//	AWSAccount          aws:<account>:principal/<principalId without session>, or aws:<account>:account
//	IdentityCenterUser  aws:<identity store id>:identitycenter-user/<userId>
//	SAMLUser            aws:<recipient account>:saml-user/<identityProvider>/<userName>
//	WebIdentityUser     aws:<recipient account>:web-identity-user/<identityProvider>/<userName>
//	other types         aws:<account>:<ARN resource>, or aws:<account>:principal/<principalId>
func (n *normalizer) identity() error {
	u, r, ev := n.r.UserIdentity, n.r, n.ev
	p, s := &ev.Identity, &ev.Session
	p.Provider = Provider
	p.Type = u.Type
	p.UID = u.ARN
	p.CredentialID = u.AccessKeyID
	s.CredentialType = credentialType(u.AccessKeyID)
	arn := parseARN(u.ARN)
	account := cmp.Or(u.AccountID, arn.account, r.RecipientAccountID)

	sc := &u.SessionContext
	console := r.EventName == "ConsoleLogin" || r.SessionCredentialFromConsole == "true"

	typ := u.Type
	if typ == "" && u.InvokedBy != "" {
		typ = typeAWSService
	}
	switch typ {
	case typeIAMUser:
		name := cmp.Or(u.UserName, lastSegment(arn.resource))
		if name == "" {
			return ingest.Missing("userIdentity.userName")
		}
		if account == "" {
			return ingest.Missing("userIdentity.accountId")
		}
		p.ID = "aws:" + account + ":user/" + name
		p.Account, p.Name = account, name
		p.Kind = schemas.KindUnknown
		if console {
			p.Kind = schemas.KindHuman
		}
		if r.EventName == "ConsoleLogin" {
			s.CredentialType = schemas.CredentialPassword
		}

	case typeAssumedRole:
		issuer := sc.SessionIssuer
		roleARN := parseARN(issuer.ARN)
		role, session := assumedRole(arn.resource)
		role = cmp.Or(issuer.UserName, lastSegment(roleARN.resource), role)
		if role == "" {
			return ingest.Missing("userIdentity.sessionContext.sessionIssuer.userName")
		}
		account = cmp.Or(issuer.AccountID, roleARN.account, account)
		if account == "" {
			return ingest.Missing("userIdentity.accountId")
		}
		if session == "" {
			_, session, _ = strings.Cut(u.PrincipalID, ":")
		}
		p.ID = "aws:" + account + ":role/" + role
		p.Account, p.Name = account, role
		s.ID, s.Issuer = session, issuer.ARN
		switch {
		case strings.HasPrefix(role, ssoRolePrefix):
			p.Kind = schemas.KindHuman
		case strings.HasPrefix(role, agentRolePrefix):
			p.Kind = schemas.KindAgent
		default:
			p.Kind = schemas.KindService
		}
		if w := sc.WebIDFederationData; w.FederatedProvider != "" {
			s.CredentialType = schemas.CredentialWorkloadIdentity
			n.attr("aws.web_identity_provider", w.FederatedProvider)
		}
		if r.EventName == "ConsoleLogin" {
			s.CredentialType = schemas.CredentialSSO
		}

	case typeFederatedUser:
		name := ""
		if rest, ok := strings.CutPrefix(arn.resource, "federated-user/"); ok {
			name = rest
		}
		if name == "" {
			_, name, _ = strings.Cut(u.PrincipalID, ":")
		}
		if name == "" {
			return ingest.Missing("userIdentity.arn")
		}
		if account == "" {
			return ingest.Missing("userIdentity.accountId")
		}
		p.ID = "aws:" + account + ":federated-user/" + name
		p.Account, p.Name = account, name
		p.Kind = schemas.KindHuman
		s.ID, s.Issuer = name, sc.SessionIssuer.ARN
		if r.EventName == "ConsoleLogin" {
			s.CredentialType = schemas.CredentialSSO
		}

	case typeRoot:
		if account == "" {
			return ingest.Missing("userIdentity.accountId")
		}
		p.ID = "aws:" + account + ":root"
		p.Account, p.Name = account, cmp.Or(u.UserName, "root")
		p.Kind = schemas.KindHuman
		if r.EventName == "ConsoleLogin" {
			s.CredentialType = schemas.CredentialPassword
		}

	case typeAWSService:
		if u.InvokedBy == "" {
			return ingest.Missing("userIdentity.invokedBy")
		}
		account = cmp.Or(r.RecipientAccountID, u.AccountID)
		p.ID = "aws:" + account + ":service/" + u.InvokedBy
		p.Account, p.Name, p.UID = account, u.InvokedBy, cmp.Or(u.ARN, u.InvokedBy)
		p.Kind = schemas.KindService

	case typeAWSAccount:
		if u.AccountID == "" {
			return ingest.Missing("userIdentity.accountId")
		}
		account = u.AccountID
		principal, _, _ := strings.Cut(u.PrincipalID, ":")
		if principal != "" {
			p.ID = "aws:" + account + ":principal/" + principal
		} else {
			p.ID = "aws:" + account + ":account"
		}
		p.Account, p.UID = account, cmp.Or(u.ARN, u.PrincipalID)
		p.Kind = schemas.KindUnknown
		if strings.HasPrefix(principal, "AROA") {
			p.Kind = schemas.KindService
		}

	case typeIdentityCenterUser:
		o := u.OnBehalfOf
		if o.UserID == "" {
			return ingest.Missing("userIdentity.onBehalfOf.userId")
		}
		store := cmp.Or(lastSegment(parseARN(o.IdentityStoreARN).resource), u.AccountID, r.RecipientAccountID)
		p.ID = "aws:" + store + ":identitycenter-user/" + o.UserID
		p.Account, p.UID = store, o.UserID
		p.Kind = schemas.KindHuman
		p.AccountType = schemas.AccountCorporate
		p.CredentialID = cmp.Or(u.CredentialID, u.AccessKeyID)
		s.CredentialType = schemas.CredentialSSO
		s.Issuer = o.IdentityStoreARN

	case typeSAMLUser, typeWebIdentityUser:
		if u.UserName == "" {
			return ingest.Missing("userIdentity.userName")
		}
		account = cmp.Or(r.RecipientAccountID, u.AccountID)
		native := "saml-user/"
		if typ == typeWebIdentityUser {
			native = "web-identity-user/"
		}
		if u.IdentityProvider != "" {
			native += u.IdentityProvider + "/"
		}
		p.ID = "aws:" + account + ":" + native + u.UserName
		p.Account, p.Name, p.UID = account, u.UserName, cmp.Or(u.ARN, u.PrincipalID)
		s.Issuer = u.IdentityProvider
		switch {
		case typ == typeSAMLUser:
			p.Kind = schemas.KindHuman
			p.AccountType = schemas.AccountCorporate
			s.CredentialType = schemas.CredentialSSO
		case consumerIdP(u.IdentityProvider):
			p.Kind = schemas.KindHuman
			p.AccountType = schemas.AccountUnknown
			s.CredentialType = schemas.CredentialSSO
		default:
			p.Kind = schemas.KindService
			p.AccountType = schemas.AccountUnknown
			s.CredentialType = schemas.CredentialWorkloadIdentity
		}

	default:
		if account == "" {
			return ingest.Missing("userIdentity.accountId")
		}
		principal, _, _ := strings.Cut(u.PrincipalID, ":")
		switch {
		case arn.resource != "":
			p.ID = "aws:" + account + ":" + arn.resource
		case principal != "":
			p.ID = "aws:" + account + ":principal/" + principal
		case u.Type == "":
			return ingest.Missing("userIdentity.type")
		default:
			return ingest.Missing("userIdentity.principalId")
		}
		p.Account, p.Name = account, u.UserName
		p.UID = cmp.Or(u.ARN, u.PrincipalID)
		p.Kind = schemas.KindUnknown
	}

	// A principal of the account the event was recorded in is the
	// customer's; one of another account may be a partner's or an
	// attacker's.
	switch {
	case p.AccountType != "", typ == typeAWSService:
	case p.Account != "" && p.Account == ev.Source.Account:
		p.AccountType = schemas.AccountCorporate
	case p.Account != "":
		p.AccountType = schemas.AccountUnknown
	}

	if sc.Attributes.MFAAuthenticated == "true" {
		s.MFA = true
	}
	if d := sc.Attributes.CreationDate; d != "" {
		if t, ok := sessionTime(d); ok {
			s.IssuedAt = t
		} else {
			n.invalid = append(n.invalid, "userIdentity.sessionContext.attributes.creationDate")
		}
	}
	n.attr("aws.principal_id", u.PrincipalID)
	if typ != typeAWSService {
		n.attr("aws.invoked_by", u.InvokedBy)
	}
	n.attr("aws.source_identity", sc.SourceIdentity)
	if typ != typeIdentityCenterUser {
		n.attr("aws.on_behalf_of.user_id", u.OnBehalfOf.UserID)
		n.attr("aws.on_behalf_of.identity_store_arn", u.OnBehalfOf.IdentityStoreARN)
	}
	if typ == typeWebIdentityUser {
		n.attr("aws.web_identity_provider", u.IdentityProvider)
	}
	return nil
}

// credentialType tells a long-lived access key (AKIA…) from a temporary one
// issued by STS (ASIA…).
func credentialType(keyID string) schemas.CredentialType {
	switch {
	case strings.HasPrefix(keyID, "AKIA"):
		return schemas.CredentialAccessKey
	case strings.HasPrefix(keyID, "ASIA"):
		return schemas.CredentialSessionToken
	}
	return ""
}

// consumerIdP reports whether a web identity provider signs in people
// (Amazon Cognito, Login with Amazon, Facebook, Google) rather than
// workloads (EKS, GitHub Actions and other OIDC issuers).
func consumerIdP(provider string) bool {
	switch provider {
	case "cognito-identity.amazonaws.com", "www.amazon.com", "graph.facebook.com", "accounts.google.com":
		return true
	}
	return false
}

// assumedRole splits the resource of an assumed-role ARN,
// "assumed-role/<role>/<session>".
func assumedRole(resource string) (role, session string) {
	rest, ok := strings.CutPrefix(resource, "assumed-role/")
	if !ok {
		return "", ""
	}
	role, session, _ = strings.Cut(rest, "/")
	return role, session
}

// arn is an ARN split into its parts; the resource keeps its colons and
// slashes.
type arn struct {
	partition, service, region, account, resource string
}

// parseARN splits s, "arn:<partition>:<service>:<region>:<account>:<resource>";
// anything else gives the zero arn.
func parseARN(s string) arn {
	rest, found := strings.CutPrefix(s, "arn:")
	if !found {
		return arn{}
	}
	var a arn
	var ok1, ok2, ok3, ok4 bool
	a.partition, rest, ok1 = strings.Cut(rest, ":")
	a.service, rest, ok2 = strings.Cut(rest, ":")
	a.region, rest, ok3 = strings.Cut(rest, ":")
	a.account, rest, ok4 = strings.Cut(rest, ":")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return arn{}
	}
	a.resource = rest
	return a
}

// lastSegment returns what follows the last slash of s, or "" when s has no
// slash ("user/path/Alice" gives "Alice").
func lastSegment(s string) string {
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return ""
	}
	return s[i+1:]
}
