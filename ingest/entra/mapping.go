package entra

import (
	"strings"

	"github.com/aitdr/aitdr/schemas"
)

// Sign-in kinds, named after the values of the signIn resource's
// signInEventTypes. They are the suffix of Action.Name ("signIn.<kind>").
const (
	kindInteractiveUser    = "interactiveUser"
	kindNonInteractiveUser = "nonInteractiveUser"
	kindServicePrincipal   = "servicePrincipal"
	kindManagedIdentity    = "managedIdentity"
)

// Azure Monitor log categories of Entra ID.
const (
	categorySignIn               = "SignInLogs"
	categoryNonInteractiveSignIn = "NonInteractiveUserSignInLogs"
	categoryServicePrincipal     = "ServicePrincipalSignInLogs"
	categoryManagedIdentity      = "ManagedIdentitySignInLogs"
	categoryADFSSignIn           = "ADFSSignInLogs"
	categoryAudit                = "AuditLogs"
)

// msaTenant is the tenant of personal Microsoft accounts (outlook.com,
// live.com): a sign-in whose home tenant is this one is a personal account.
const msaTenant = "9188040d-6c67-4c5b-b112-36a304b66dad"

// auditAction is how a directory audit activity normalizes. targets lists
// the target resource types to take the primary target from, in order of
// preference (the first target resource when none matches).
type auditAction struct {
	verb     schemas.Verb
	category schemas.Category
	targets  []string
}

var (
	appTargets   = []string{"Application", "ServicePrincipal"}
	spTargets    = []string{"ServicePrincipal", "Application"}
	userTargets  = []string{"User"}
	groupTargets = []string{"Group"}
)

// auditActivities maps the activityDisplayName of the Entra audit
// activities that detection relies on
// (https://learn.microsoft.com/en-us/entra/identity/monitoring-health/reference-audit-activities).
// Keys are normalized by activityKey. Other activities fall back to their
// operationType and category (auditFallback).
var auditActivities = map[string]auditAction{
	// Applications and service principals: new non-human identities, their
	// credentials, owners and permissions.
	"add application":    {schemas.VerbCreate, schemas.CategoryIAMChange, appTargets},
	"update application": {schemas.VerbUpdate, schemas.CategoryIAMChange, appTargets},
	"delete application": {schemas.VerbDelete, schemas.CategoryIAMChange, appTargets},
	"update application - certificates and secrets management": {schemas.VerbCreate, schemas.CategoryIAMChange, appTargets},
	"add service principal":                             {schemas.VerbCreate, schemas.CategoryIAMChange, spTargets},
	"update service principal":                          {schemas.VerbUpdate, schemas.CategoryIAMChange, spTargets},
	"remove service principal":                          {schemas.VerbDelete, schemas.CategoryIAMChange, spTargets},
	"add service principal credentials":                 {schemas.VerbCreate, schemas.CategoryIAMChange, spTargets},
	"remove service principal credentials":              {schemas.VerbDelete, schemas.CategoryIAMChange, spTargets},
	"add owner to application":                          {schemas.VerbGrant, schemas.CategoryIAMChange, appTargets},
	"add owner to service principal":                    {schemas.VerbGrant, schemas.CategoryIAMChange, spTargets},
	"remove owner from application":                     {schemas.VerbRevoke, schemas.CategoryIAMChange, appTargets},
	"add app role assignment to service principal":      {schemas.VerbGrant, schemas.CategoryIAMChange, spTargets},
	"remove app role assignment from service principal": {schemas.VerbRevoke, schemas.CategoryIAMChange, spTargets},
	"add app role assignment grant to user":             {schemas.VerbGrant, schemas.CategoryIAMChange, spTargets},
	"add delegated permission grant":                    {schemas.VerbGrant, schemas.CategoryIAMChange, spTargets},
	"remove delegated permission grant":                 {schemas.VerbRevoke, schemas.CategoryIAMChange, spTargets},
	"consent to application":                            {schemas.VerbGrant, schemas.CategoryIAMChange, spTargets},
	"add federated identity credential":                 {schemas.VerbCreate, schemas.CategoryIAMChange, appTargets},

	// Directory roles and groups.
	"add member to role":                              {schemas.VerbGrant, schemas.CategoryIAMChange, userTargets},
	"add eligible member to role":                     {schemas.VerbGrant, schemas.CategoryIAMChange, userTargets},
	"add member to role in pim requested (permanent)": {schemas.VerbGrant, schemas.CategoryIAMChange, userTargets},
	"remove member from role":                         {schemas.VerbRevoke, schemas.CategoryIAMChange, userTargets},
	"add member to group":                             {schemas.VerbGrant, schemas.CategoryIAMChange, groupTargets},
	"remove member from group":                        {schemas.VerbRevoke, schemas.CategoryIAMChange, groupTargets},
	"add owner to group":                              {schemas.VerbGrant, schemas.CategoryIAMChange, groupTargets},

	// Users.
	"add user":                               {schemas.VerbCreate, schemas.CategoryIAMChange, userTargets},
	"update user":                            {schemas.VerbUpdate, schemas.CategoryIAMChange, userTargets},
	"delete user":                            {schemas.VerbDelete, schemas.CategoryIAMChange, userTargets},
	"disable account":                        {schemas.VerbDisable, schemas.CategoryIAMChange, userTargets},
	"enable account":                         {schemas.VerbEnable, schemas.CategoryIAMChange, userTargets},
	"reset user password":                    {schemas.VerbUpdate, schemas.CategoryIAMChange, userTargets},
	"change user password":                   {schemas.VerbUpdate, schemas.CategoryIAMChange, userTargets},
	"revoke sign in sessions":                {schemas.VerbRevoke, schemas.CategoryIAMChange, userTargets},
	"invalidate all refresh tokens for user": {schemas.VerbRevoke, schemas.CategoryIAMChange, userTargets},
	"user registered security info":          {schemas.VerbCreate, schemas.CategoryIAMChange, userTargets},
	"user deleted security info":             {schemas.VerbDelete, schemas.CategoryIAMChange, userTargets},

	// Tenant-wide trust and policy.
	"set federation settings on domain":                      {schemas.VerbUpdate, schemas.CategoryAdmin, nil},
	"set domain authentication":                              {schemas.VerbUpdate, schemas.CategoryAdmin, nil},
	"add conditional access policy":                          {schemas.VerbCreate, schemas.CategoryAdmin, nil},
	"update conditional access policy":                       {schemas.VerbUpdate, schemas.CategoryAdmin, nil},
	"delete conditional access policy":                       {schemas.VerbDelete, schemas.CategoryAdmin, nil},
	"add a partner to cross-tenant access setting":           {schemas.VerbCreate, schemas.CategoryAdmin, nil},
	"update a partner cross-tenant access setting":           {schemas.VerbUpdate, schemas.CategoryAdmin, nil},
	"update a partner cross-tenant identity sync setting":    {schemas.VerbUpdate, schemas.CategoryAdmin, nil},
	"update the company default cross-tenant access setting": {schemas.VerbUpdate, schemas.CategoryAdmin, nil},
}

var dashes = strings.NewReplacer("\u2013", "-", "\u2014", "-")

// activityKey normalizes an activityDisplayName for lookup: trimmed, lower
// case, dashes as "-" (the portal writes "Update application – Certificates
// and secrets management " with an en dash and a trailing space).
func activityKey(name string) string {
	return strings.ToLower(dashes.Replace(strings.TrimSpace(name)))
}

// auditFallback maps an activity the table does not know by its
// operationType and audit category; what neither tells is other.
func auditFallback(operationType, category string) auditAction {
	a := auditAction{verb: schemas.VerbOther, category: schemas.CategoryOther}
	switch strings.ToLower(operationType) {
	case "add":
		a.verb = schemas.VerbCreate
	case "update":
		a.verb = schemas.VerbUpdate
	case "delete":
		a.verb = schemas.VerbDelete
	case "assign":
		a.verb = schemas.VerbGrant
	case "unassign":
		a.verb = schemas.VerbRevoke
	}
	if a.verb == schemas.VerbOther {
		return a
	}
	switch category {
	case "UserManagement", "GroupManagement", "RoleManagement", "ApplicationManagement",
		"UserAuthenticationMethod", "EntitlementManagement":
		a.category = schemas.CategoryIAMChange
	case "Policy", "DirectoryManagement", "Authentication", "Authorization":
		a.category = schemas.CategoryAdmin
	}
	return a
}

// targetType maps an Entra target resource type to a lower-case target
// type.
func targetType(t string) string {
	switch t {
	case "User":
		return "user"
	case "ServicePrincipal":
		return "service_principal"
	case "Application":
		return "application"
	case "Group":
		return "group"
	case "Role":
		return "directory_role"
	case "Policy":
		return "policy"
	case "Device":
		return "device"
	case "Directory":
		return "directory"
	case "Domain":
		return "domain"
	case "":
		return ""
	}
	return strings.ToLower(t)
}

// clientCredentialType maps the signIn clientCredentialType of a service
// principal or managed identity sign-in.
func clientCredentialType(t string) schemas.CredentialType {
	switch strings.ToLower(t) {
	case "":
		return ""
	case "clientsecret":
		return schemas.CredentialAPIKey
	case "clientassertion", "certificate":
		return schemas.CredentialCertificate
	case "federatedidentitycredential", "managedidentity":
		return schemas.CredentialWorkloadIdentity
	case "none":
		return ""
	}
	return schemas.CredentialUnknown
}

// authMethodCredential maps the authenticationMethod of the first
// authentication step of a user sign-in.
func authMethodCredential(m string) schemas.CredentialType {
	switch strings.ToLower(m) {
	case "password", "password hash sync", "pass-through authentication":
		return schemas.CredentialPassword
	case "x.509 certificate", "certificate-based authentication":
		return schemas.CredentialCertificate
	case "previously satisfied":
		return schemas.CredentialSessionToken
	case "federated single sign-on", "federation":
		return schemas.CredentialSSO
	}
	return ""
}

// consumerDomains are e-mail domains of personal mailboxes: a user principal
// name under one of them (a guest invited with a personal address) is a
// personal account.
var consumerDomains = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "outlook.com": true, "hotmail.com": true,
	"live.com": true, "msn.com": true, "yahoo.com": true, "ymail.com": true,
	"icloud.com": true, "me.com": true, "mac.com": true, "aol.com": true,
	"proton.me": true, "protonmail.com": true, "pm.me": true, "gmx.com": true,
	"gmx.de": true, "gmx.net": true, "web.de": true, "mail.com": true,
	"yandex.com": true, "yandex.ru": true, "mail.ru": true, "qq.com": true,
	"163.com": true, "126.com": true, "zoho.com": true, "fastmail.com": true,
}

var consumerPrefixes = []string{"hotmail.", "outlook.", "yahoo.", "live.", "gmx."}

// upnDomain returns the mail domain of a user principal name, resolving the
// guest form "name_domain#EXT#@tenant.onmicrosoft.com" to the guest's own
// domain.
func upnDomain(upn string) string {
	if local, _, ok := strings.Cut(upn, "#EXT#"); ok {
		if i := strings.LastIndexByte(local, '_'); i >= 0 {
			return strings.ToLower(local[i+1:])
		}
		return ""
	}
	if _, domain, ok := strings.Cut(upn, "@"); ok {
		return strings.ToLower(domain)
	}
	return ""
}

// personalDomain reports whether domain is a consumer mail domain.
func personalDomain(domain string) bool {
	if consumerDomains[domain] {
		return true
	}
	for _, p := range consumerPrefixes {
		if strings.HasPrefix(domain, p) {
			return true
		}
	}
	return false
}
