// Package github reads GitHub token grants of an organization: the
// fine-grained personal access tokens it approved (`GET
// /orgs/{org}/personal-access-tokens`, each with its owner and
// permissions) and the classic tokens authorized for its SAML single
// sign-on (`GET /orgs/{org}/credential-authorizations`, each with its
// login and scopes).
//
// A classic scope grants scope:<scope> and every scope it includes
// (repo includes public_repo, admin:org includes write:org and read:org,
// ...: Scopes); a fine-grained permission grants <permission>:<level> and
// the lower levels (contents:write grants contents:read). Token owners
// become the GitHub normalizer's identity ids, github:<account>:<login>,
// where the account (the enterprise or organization the audit log names)
// comes from WithAccount.
package github

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aitdr/aitdr/ingest/grants/snapshot"
)

// Format is the name of the input shape Parse reads.
const Format = "github-token-grants"

// ErrNoAccount is returned by Parse when no account was given.
var ErrNoAccount = errors.New("the GitHub account (enterprise or organization) is not in the token lists: set grants.github_account (or --github-account)")

// includes is what each classic scope includes, after GitHub's "Scopes for
// OAuth apps" documentation.
var includes = map[string][]string{
	"repo":                      {"repo:status", "repo_deployment", "public_repo", "repo:invite", "security_events"},
	"admin:repo_hook":           {"write:repo_hook", "read:repo_hook"},
	"write:repo_hook":           {"read:repo_hook"},
	"admin:org":                 {"write:org", "read:org", "manage_runners:org"},
	"write:org":                 {"read:org"},
	"admin:public_key":          {"write:public_key", "read:public_key"},
	"write:public_key":          {"read:public_key"},
	"user":                      {"read:user", "user:email", "user:follow"},
	"write:packages":            {"read:packages"},
	"admin:gpg_key":             {"write:gpg_key", "read:gpg_key"},
	"write:gpg_key":             {"read:gpg_key"},
	"admin:enterprise":          {"manage_runners:enterprise", "manage_billing:enterprise", "read:enterprise"},
	"manage_billing:enterprise": {"read:enterprise"},
	"project":                   {"read:project"},
	"audit_log":                 {"read:audit_log"},
	"admin:ssh_signing_key":     {"write:ssh_signing_key", "read:ssh_signing_key"},
	"write:ssh_signing_key":     {"read:ssh_signing_key"},
	"codespace":                 {"codespace:secrets"},
	"copilot":                   {"manage_billing:copilot"},
}

// Scopes returns the classic scopes a granted scope amounts to: itself and
// everything it includes, sorted.
func Scopes(scope string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(s string) {
		if seen[s] {
			return
		}
		seen[s] = true
		for _, in := range includes[s] {
			walk(in)
		}
	}
	walk(scope)
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Levels returns the fine-grained levels a granted level amounts to.
func Levels(level string) []string {
	switch level {
	case "admin":
		return []string{"read", "write", "admin"}
	case "write":
		return []string{"read", "write"}
	case "read":
		return []string{"read"}
	}
	return nil
}

type fineGrained struct {
	ID    json.Number `json:"id"`
	Owner struct {
		Login string `json:"login"`
	} `json:"owner"`
	TokenName           string                       `json:"token_name"`
	RepositorySelection string                       `json:"repository_selection"`
	Permissions         map[string]map[string]string `json:"permissions"`
	TokenExpired        bool                         `json:"token_expired"`
}

type classic struct {
	Login          string      `json:"login"`
	CredentialID   json.Number `json:"credential_id"`
	CredentialType string      `json:"credential_type"`
	Scopes         []string    `json:"scopes"`
	Title          string      `json:"authorized_credential_title"`
}

// Detect reports whether data looks like one of the two token lists.
func Detect(data []byte) bool {
	head := data[:min(len(data), 8192)]
	return (bytes.Contains(head, []byte(`"credential_type"`)) && bytes.Contains(head, []byte(`"login"`))) ||
		(bytes.Contains(head, []byte(`"repository_selection"`)) && bytes.Contains(head, []byte(`"permissions"`)))
}

// Parser reads token lists.
type Parser struct{ account string }

// NewParser returns a Parser for the GitHub account (enterprise or
// organization slug) of the identity ids.
func NewParser(account string) *Parser { return &Parser{account: account} }

// Parse reads the tokens in data, read from file. It fails when data is
// not a JSON list or no account was given; a bad token is recorded in
// Problems and skipped, and expired tokens and SSH keys grant nothing.
func (p *Parser) Parse(file string, data []byte) (*snapshot.Snapshot, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, fmt.Errorf("parse %s as github token grants: %w", file, err)
	}
	if p.account == "" {
		return nil, fmt.Errorf("parse %s: %w", file, ErrNoAccount)
	}
	s := &snapshot.Snapshot{File: file, Provider: snapshot.ProviderGitHub, Format: Format, Scope: "github:" + p.account}
	for i, raw := range items {
		where := snapshot.JSONPath("$", i)
		switch {
		case bytes.Contains(raw, []byte(`"credential_type"`)):
			var c classic
			if err := json.Unmarshal(raw, &c); err != nil {
				s.Problemf(where, "not a credential authorization: %s; skipped", strings.TrimPrefix(err.Error(), "json: "))
				continue
			}
			if c.Login == "" {
				s.Problemf(where, "credential authorization without a login; skipped")
				continue
			}
			if !strings.Contains(strings.ToLower(c.CredentialType), "token") {
				continue // an SSH key: no scopes
			}
			id := "github:" + p.account + ":" + c.Login
			for _, sc := range c.Scopes {
				for _, in := range Scopes(sc) {
					p.add(s, id, "scope:"+in, "*", "token/"+c.CredentialID.String(), "classic token "+c.Title, asIf(in, sc))
				}
			}
		case bytes.Contains(raw, []byte(`"permissions"`)):
			var f fineGrained
			if err := json.Unmarshal(raw, &f); err != nil {
				s.Problemf(where, "not a fine-grained token: %s; skipped", strings.TrimPrefix(err.Error(), "json: "))
				continue
			}
			if f.Owner.Login == "" {
				s.Problemf(where, "fine-grained token without an owner login; skipped")
				continue
			}
			if f.TokenExpired {
				continue
			}
			resource := "*"
			if f.RepositorySelection == "subset" {
				resource = "repositories:selected"
			}
			id := "github:" + p.account + ":" + f.Owner.Login
			kinds := make([]string, 0, len(f.Permissions))
			for k := range f.Permissions {
				kinds = append(kinds, k)
			}
			sort.Strings(kinds)
			for _, kind := range kinds {
				res := resource
				if kind != "repository" {
					res = "*"
				}
				names := make([]string, 0, len(f.Permissions[kind]))
				for n := range f.Permissions[kind] {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, name := range names {
					level := f.Permissions[kind][name]
					ls := Levels(level)
					if ls == nil {
						s.Problemf(snapshot.JSONPath(snapshot.JSONPath(where+".permissions", kind), name), "level %q is not read, write or admin; skipped", level)
						continue
					}
					for _, l := range ls {
						as := ""
						if l != level {
							as = name + ":" + level
						}
						p.add(s, id, name+":"+l, res, "token/"+f.ID.String(), "fine-grained token "+f.TokenName, as)
					}
				}
			}
		default:
			s.Problemf(where, "neither a credential authorization nor a fine-grained token; skipped")
		}
	}
	s.Dedup()
	return s, nil
}

func asIf(scope, granted string) string {
	if scope == granted {
		return ""
	}
	return "scope:" + granted
}

func (p *Parser) add(s *snapshot.Snapshot, id, perm, resource, via, policy, as string) {
	s.Grants = append(s.Grants, snapshot.Grant{
		IdentityID: id, Permission: perm, Resource: resource, GrantedVia: via, Policy: strings.TrimSpace(policy),
		GrantedAs: as, AccessLevel: AccessLevel(perm), Sensitive: Sensitive(perm),
	})
}

// AccessLevel returns the access level of a GitHub permission in the AWS
// catalog's terms.
func AccessLevel(perm string) string {
	switch {
	case strings.HasPrefix(perm, "scope:admin:"), strings.HasSuffix(perm, ":admin"),
		perm == "members:write", perm == "organization_administration:write", perm == "administration:write":
		return "Permissions management"
	case strings.HasSuffix(perm, ":read"), strings.HasPrefix(perm, "scope:read:"):
		return "Read"
	}
	return "Write"
}

// Sensitive returns the sensitive class of a GitHub permission, or "":
// organization, enterprise and repository administration and membership
// (iam_change); secrets and keys (secret_access); deleting repositories and
// packages (data_deletion); changing workflows and deployments, which ship
// code and models (model_deployment). docs/protect.md lists the rules.
func Sensitive(perm string) string {
	switch perm {
	case "scope:admin:org", "scope:admin:enterprise", "scope:write:org", "scope:admin:org_hook",
		"administration:write", "administration:admin", "members:write", "organization_administration:write",
		"organization_administration:admin", "organization_user_blocking:write":
		return snapshot.SensitiveIAM
	case "secrets:read", "secrets:write", "organization_secrets:read", "organization_secrets:write",
		"scope:admin:public_key", "scope:write:public_key", "scope:codespace:secrets", "environments:write",
		"dependabot_secrets:read", "dependabot_secrets:write", "organization_personal_access_tokens:write":
		return snapshot.SensitiveSecret
	case "scope:delete_repo", "scope:delete:packages":
		return snapshot.SensitiveDelete
	case "scope:workflow", "workflows:write", "deployments:write", "scope:repo_deployment", "actions:write":
		return snapshot.SensitiveModelDeploy
	case "scope:audit_log":
		return snapshot.SensitiveLogging
	}
	return ""
}
