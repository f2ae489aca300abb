package github

import (
	"strings"

	"github.com/aitdr/aitdr/schemas"
)

// targetKind says which fields of a record name the target of its action.
type targetKind uint8

const (
	// targetDefault is the repository when the record names one, else the
	// organization, else the enterprise.
	targetDefault targetKind = iota
	targetRepo
	targetUser
	targetOrg
	targetBusiness
	targetToken
	targetSecret
	targetApp
	targetOAuthApp
	targetKey
	targetWorkflow
	targetBranch
	targetTeam
)

// class is how an action normalizes. A zero verb means "derive it from the
// operation": the action's own suffix, then operation_type.
type class struct {
	verb   schemas.Verb
	cat    schemas.Category
	target targetKind
}

// actions maps the actions detection cares most about to their class. The
// names and meanings are those of GitHub's "Audit log events for your
// organization" and "... for your enterprise" references.
var actions = map[string]class{
	// Fine-grained personal access tokens. The actor is the owner who asked
	// or the admin who approved; the target is the token.
	"personal_access_token.access_granted":     {schemas.VerbGrant, schemas.CategoryIAMChange, targetToken},
	"personal_access_token.access_revoked":     {schemas.VerbRevoke, schemas.CategoryIAMChange, targetToken},
	"personal_access_token.credential_revoked": {schemas.VerbRevoke, schemas.CategoryIAMChange, targetToken},
	"personal_access_token.request_created":    {schemas.VerbCreate, schemas.CategoryIAMChange, targetToken},
	"personal_access_token.request_denied":     {schemas.VerbRevoke, schemas.CategoryIAMChange, targetToken},
	"personal_access_token.request_cancelled":  {schemas.VerbDelete, schemas.CategoryIAMChange, targetToken},

	// OAuth apps and their grants.
	"oauth_authorization.create":  {schemas.VerbGrant, schemas.CategoryIAMChange, targetOAuthApp},
	"oauth_authorization.destroy": {schemas.VerbRevoke, schemas.CategoryIAMChange, targetOAuthApp},
	"oauth_access.create":         {schemas.VerbCreate, schemas.CategoryIAMChange, targetOAuthApp},
	"oauth_access.destroy":        {schemas.VerbDelete, schemas.CategoryIAMChange, targetOAuthApp},

	// Memberships and roles.
	"org.add_member":                           {schemas.VerbGrant, schemas.CategoryIAMChange, targetUser},
	"org.invite_member":                        {schemas.VerbGrant, schemas.CategoryIAMChange, targetUser},
	"org.remove_member":                        {schemas.VerbRevoke, schemas.CategoryIAMChange, targetUser},
	"org.update_member":                        {schemas.VerbUpdate, schemas.CategoryIAMChange, targetUser},
	"org.add_outside_collaborator":             {schemas.VerbGrant, schemas.CategoryIAMChange, targetUser},
	"org.remove_outside_collaborator":          {schemas.VerbRevoke, schemas.CategoryIAMChange, targetUser},
	"org.add_billing_manager":                  {schemas.VerbGrant, schemas.CategoryIAMChange, targetUser},
	"org.remove_billing_manager":               {schemas.VerbRevoke, schemas.CategoryIAMChange, targetUser},
	"org.update_default_repository_permission": {schemas.VerbUpdate, schemas.CategoryIAMChange, targetOrg},
	"org.oauth_app_access_approved":            {schemas.VerbGrant, schemas.CategoryIAMChange, targetOAuthApp},
	"org.oauth_app_access_denied":              {schemas.VerbRevoke, schemas.CategoryIAMChange, targetOAuthApp},
	"team.add_member":                          {schemas.VerbGrant, schemas.CategoryIAMChange, targetUser},
	"team.remove_member":                       {schemas.VerbRevoke, schemas.CategoryIAMChange, targetUser},
	"team.add_repository":                      {schemas.VerbGrant, schemas.CategoryIAMChange, targetRepo},
	"team.remove_repository":                   {schemas.VerbRevoke, schemas.CategoryIAMChange, targetRepo},
	"repo.add_member":                          {schemas.VerbGrant, schemas.CategoryIAMChange, targetUser},
	"repo.remove_member":                       {schemas.VerbRevoke, schemas.CategoryIAMChange, targetUser},
	"repo.update_member":                       {schemas.VerbUpdate, schemas.CategoryIAMChange, targetUser},
	"business.add_admin":                       {schemas.VerbGrant, schemas.CategoryIAMChange, targetUser},
	"business.invite_admin":                    {schemas.VerbGrant, schemas.CategoryIAMChange, targetUser},
	"business.remove_admin":                    {schemas.VerbRevoke, schemas.CategoryIAMChange, targetUser},
	"business.add_member":                      {schemas.VerbGrant, schemas.CategoryIAMChange, targetUser},
	"business.remove_member":                   {schemas.VerbRevoke, schemas.CategoryIAMChange, targetUser},
	"business.set_actions_retention_limit":     {schemas.VerbUpdate, schemas.CategoryAdmin, targetBusiness},

	// Sign-ins. SAML responses tie the GitHub account to the corporate
	// identity; user.* sign-ins appear for Enterprise Managed Users.
	"org.sso_response":      {schemas.VerbAuthenticate, schemas.CategoryAuthentication, targetOrg},
	"business.sso_response": {schemas.VerbAuthenticate, schemas.CategoryAuthentication, targetBusiness},
	"user.login":            {schemas.VerbAuthenticate, schemas.CategoryAuthentication, targetUser},
	"user.failed_login":     {schemas.VerbAuthenticate, schemas.CategoryAuthentication, targetUser},
	"user.logout":           {schemas.VerbOther, schemas.CategoryAuthentication, targetUser},

	// Repositories.
	"repo.create":       {schemas.VerbCreate, schemas.CategoryAdmin, targetRepo},
	"repo.destroy":      {schemas.VerbDelete, schemas.CategoryAdmin, targetRepo},
	"repo.access":       {schemas.VerbUpdate, schemas.CategoryAdmin, targetRepo},
	"repo.transfer":     {schemas.VerbUpdate, schemas.CategoryAdmin, targetRepo},
	"repo.download_zip": {schemas.VerbRead, schemas.CategoryDataAccess, targetRepo},

	"protected_branch.create":              {schemas.VerbEnable, schemas.CategoryAdmin, targetBranch},
	"protected_branch.destroy":             {schemas.VerbDisable, schemas.CategoryAdmin, targetBranch},
	"protected_branch.policy_override":     {schemas.VerbOther, schemas.CategoryAdmin, targetBranch},
	"protected_branch.rejected_ref_update": {schemas.VerbUpdate, schemas.CategoryDataAccess, targetBranch},

	// Git operations (enterprise streams, when Git events are enabled).
	"git.clone": {schemas.VerbRead, schemas.CategoryDataAccess, targetRepo},
	"git.fetch": {schemas.VerbRead, schemas.CategoryDataAccess, targetRepo},
	"git.push":  {schemas.VerbUpdate, schemas.CategoryDataAccess, targetRepo},

	// GitHub Actions runs: pipeline executions, neither administration nor
	// model training as far as the record tells (see the package doc).
	"workflows.created_workflow_run":   {schemas.VerbInvoke, schemas.CategoryOther, targetWorkflow},
	"workflows.completed_workflow_run": {schemas.VerbInvoke, schemas.CategoryOther, targetWorkflow},
	"workflows.rerun_workflow_run":     {schemas.VerbInvoke, schemas.CategoryOther, targetWorkflow},
	"workflows.prepared_workflow_job":  {schemas.VerbInvoke, schemas.CategoryOther, targetWorkflow},

	// Copilot seats: administration of an AI service.
	"copilot.cfb_seat_added":                 {schemas.VerbGrant, schemas.CategoryAdmin, targetUser},
	"copilot.cfb_seat_assignment_created":    {schemas.VerbGrant, schemas.CategoryAdmin, targetUser},
	"copilot.cfb_seat_assignment_reused":     {schemas.VerbGrant, schemas.CategoryAdmin, targetUser},
	"copilot.cfb_seat_assignment_refreshed":  {schemas.VerbGrant, schemas.CategoryAdmin, targetUser},
	"copilot.cfb_seat_assignment_unassigned": {schemas.VerbRevoke, schemas.CategoryAdmin, targetUser},
	"copilot.cfb_seat_cancelled":             {schemas.VerbRevoke, schemas.CategoryAdmin, targetUser},
	"copilot.cfb_seat_cancelled_by_staff":    {schemas.VerbRevoke, schemas.CategoryAdmin, targetUser},

	// Audit log exports read the log itself.
	"org.audit_log_export":      {schemas.VerbExport, schemas.CategoryDataAccess, targetOrg},
	"business.audit_log_export": {schemas.VerbExport, schemas.CategoryDataAccess, targetBusiness},

	// API requests (enterprise streams with API request events enabled):
	// the verb comes from the HTTP method.
	"api.request": {"", schemas.CategoryDataAccess, targetDefault},
}

// categories maps an action's category (the part before the first dot) to
// the class of the actions the actions table does not list.
var categories = map[string]class{
	"personal_access_token":                       {"", schemas.CategoryIAMChange, targetToken},
	"auto_approve_personal_access_token_requests": {"", schemas.CategoryIAMChange, targetOrg},
	"oauth_authorization":                         {"", schemas.CategoryIAMChange, targetOAuthApp},
	"oauth_access":                                {"", schemas.CategoryIAMChange, targetOAuthApp},
	"oauth_application":                           {"", schemas.CategoryIAMChange, targetOAuthApp},
	"public_key":                                  {"", schemas.CategoryIAMChange, targetKey},
	"deploy_key":                                  {"", schemas.CategoryIAMChange, targetKey},
	"ssh_certificate_authority":                   {"", schemas.CategoryIAMChange, targetOrg},
	"org_credential_authorization":                {"", schemas.CategoryIAMChange, targetUser},
	"two_factor_authentication":                   {"", schemas.CategoryIAMChange, targetUser},
	"integration_installation":                    {"", schemas.CategoryIAMChange, targetApp},
	"integration":                                 {"", schemas.CategoryIAMChange, targetApp},
	"team":                                        {"", schemas.CategoryIAMChange, targetTeam},
	"role":                                        {"", schemas.CategoryIAMChange, targetOrg},
	"enterprise_role":                             {"", schemas.CategoryIAMChange, targetUser},
	"user":                                        {"", schemas.CategoryIAMChange, targetUser},
	"external_identity":                           {"", schemas.CategoryIAMChange, targetUser},
	"org":                                         {"", schemas.CategoryAdmin, targetOrg},
	"business":                                    {"", schemas.CategoryAdmin, targetBusiness},
	"enterprise":                                  {"", schemas.CategoryAdmin, targetBusiness},
	"repo":                                        {"", schemas.CategoryAdmin, targetRepo},
	"repository_ruleset":                          {"", schemas.CategoryAdmin, targetRepo},
	"protected_branch":                            {"", schemas.CategoryAdmin, targetBranch},
	"hook":                                        {"", schemas.CategoryAdmin, targetDefault},
	"environment":                                 {"", schemas.CategoryAdmin, targetRepo},
	"ip_allow_list":                               {"", schemas.CategoryAdmin, targetDefault},
	"ip_allow_list_entry":                         {"", schemas.CategoryAdmin, targetDefault},
	"codespaces":                                  {"", schemas.CategoryAdmin, targetDefault},
	"secret_scanning":                             {"", schemas.CategoryAdmin, targetDefault},
	"secret_scanning_push_protection":             {"", schemas.CategoryAdmin, targetDefault},
	"workflows":                                   {"", schemas.CategoryAdmin, targetWorkflow},
	"copilot":                                     {"", schemas.CategoryAdmin, targetDefault},
	"git":                                         {"", schemas.CategoryDataAccess, targetRepo},
	"audit_log_streaming":                         {"", schemas.CategoryLoggingChange, targetBusiness},
}

// classify returns the class of action.
func classify(action string) class {
	if c, ok := actions[action]; ok {
		return c
	}
	prefix, _, _ := strings.Cut(action, ".")
	c, known := categories[prefix]
	// Secrets of every kind (Actions, Dependabot and Codespaces secrets of
	// repositories, environments and organizations, OAuth app client
	// secrets) are secret access, whatever category they are filed under.
	if strings.Contains(action, "secret") && !strings.Contains(action, "secret_scanning") {
		c.cat = schemas.CategorySecretAccess
		c.target = targetSecret
		return c
	}
	if !known {
		c.cat = schemas.CategoryOther
	}
	return c
}

// verbOf returns the verb of an action whose class leaves it open: from the
// action's own operation (the part after the last dot) when it says more
// than GitHub's coarse operation_type, else from operation_type, else other.
func verbOf(action, operationType string) schemas.Verb {
	op := action
	if i := strings.LastIndexByte(action, '.'); i >= 0 {
		op = action[i+1:]
	}
	if v := verbOfOperation(op); v != "" {
		return v
	}
	switch operationType {
	case "create":
		return schemas.VerbCreate
	case "modify":
		return schemas.VerbUpdate
	case "remove":
		return schemas.VerbDelete
	case "access":
		return schemas.VerbRead
	case "transfer":
		return schemas.VerbUpdate
	case "authentication":
		return schemas.VerbAuthenticate
	}
	return schemas.VerbOther
}

// verbOfOperation maps the operation part of an action name, such as
// "create_actions_secret" or "advanced_security_enabled", to a verb, or
// returns "" when the name says nothing clear.
func verbOfOperation(op string) schemas.Verb {
	has := func(prefixes ...string) bool {
		for _, p := range prefixes {
			if op == p || strings.HasPrefix(op, p+"_") {
				return true
			}
		}
		return false
	}
	ends := func(suffixes ...string) bool {
		for _, s := range suffixes {
			if op == s || strings.HasSuffix(op, "_"+s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("enable") || ends("enabled", "enable"):
		return schemas.VerbEnable
	case has("disable") || ends("disabled", "disable"):
		return schemas.VerbDisable
	case has("grant", "approve") || ends("granted", "approved"):
		return schemas.VerbGrant
	case has("revoke", "deauthorize") || ends("revoked", "deauthorized"):
		return schemas.VerbRevoke
	case has("create", "add", "register", "generate") || ends("created", "added"):
		return schemas.VerbCreate
	case has("destroy", "delete", "remove", "unregister") || ends("deleted", "destroyed", "removed"):
		return schemas.VerbDelete
	case has("update", "change", "rename", "set", "reset", "edit") || ends("updated", "changed"):
		return schemas.VerbUpdate
	case has("clone", "fetch", "download", "export"):
		return schemas.VerbRead
	case has("login"):
		return schemas.VerbAuthenticate
	}
	return ""
}

// verbOfMethod maps the HTTP method of an api.request event to a verb.
func verbOfMethod(method string) schemas.Verb {
	switch strings.ToUpper(method) {
	case "GET", "HEAD":
		return schemas.VerbRead
	case "POST":
		return schemas.VerbCreate
	case "PUT", "PATCH":
		return schemas.VerbUpdate
	case "DELETE":
		return schemas.VerbDelete
	}
	return schemas.VerbOther
}

// credentialOf maps programmatic_access_type to a credential type. GitHub
// names: "Personal access token (classic)", "Fine-grained personal access
// token", "OAuth access token", "GitHub App user-to-server token", "GitHub
// App server-to-server token", "Public Key (User/Deploy)". An App
// server-to-server (installation) token is a one-hour token minted from the
// App's private key, so it is a session token; an SSH key has no credential
// type of its own and stays unknown (the attribute keeps the name).
func credentialOf(accessType string) schemas.CredentialType {
	t := strings.ToLower(accessType)
	switch {
	case t == "":
		return schemas.CredentialUnknown
	case strings.Contains(t, "personal access token"):
		return schemas.CredentialPersonalAccessToken
	case strings.Contains(t, "server-to-server"):
		return schemas.CredentialSessionToken
	case strings.Contains(t, "user-to-server"), strings.Contains(t, "oauth"):
		return schemas.CredentialOAuthToken
	}
	return schemas.CredentialUnknown
}

// isAppToken reports whether accessType is a GitHub App's own token, which
// only a non-human (the App installation) holds.
func isAppToken(accessType string) bool {
	return strings.Contains(strings.ToLower(accessType), "server-to-server")
}
