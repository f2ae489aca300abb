// Package snapshot is what every permission-snapshot parser of
// ingest/grants returns: the permissions each identity holds, with how it
// holds them, and the problems met on the way. A parser reports a bad part
// of its input (a malformed policy document, a role missing from the
// catalog) as a Problem naming the file and the JSON path or line, skips
// it, and goes on with the rest.
package snapshot

import (
	"fmt"
	"sort"
	"strings"
)

// Providers of grants, as in permission_grants.provider and
// events.identity_provider.
const (
	ProviderAWS        = "aws"
	ProviderGCP        = "gcp"
	ProviderKubernetes = "kubernetes"
	ProviderOkta       = "okta"
	ProviderEntra      = "entra"
	ProviderGitHub     = "github"
)

// Sensitive classes of a permission: what an attacker holding it unused
// could do that matters most. The empty class is not sensitive.
const (
	// SensitiveIAM changes identities, roles, policies and their bindings
	// (privilege escalation): AWS "Permissions management" actions, IAM
	// and role-binding writes, setIamPolicy.
	SensitiveIAM = "iam_change"
	// SensitiveSecret reads secrets or uses or manages keys and credentials.
	SensitiveSecret = "secret_access"
	// SensitiveDelete deletes data: objects, buckets, tables, datasets.
	SensitiveDelete = "data_deletion"
	// SensitiveModelDeploy deploys or replaces models where they serve
	// traffic: endpoints, inference services.
	SensitiveModelDeploy = "model_deployment"
	// SensitiveLogging turns off or redirects audit logging.
	SensitiveLogging = "logging_change"
)

// SensitiveClasses lists every sensitive class, in report order.
var SensitiveClasses = []string{SensitiveIAM, SensitiveSecret, SensitiveDelete, SensitiveModelDeploy, SensitiveLogging}

// Grant is one permission an identity holds on one resource through one
// attachment.
type Grant struct {
	// IdentityID is the aitdr identity id, "<provider>:<account>:<native
	// id>", as the event normalizers derive it.
	IdentityID string
	// Permission is the permission in the provider's own terms, expanded:
	// an AWS action (s3:GetObject), a Google Cloud permission
	// (aiplatform.endpoints.predict), a Kubernetes verb on a resource
	// (secrets:get, deployments.apps:update), app:<id> for an Okta or Entra
	// application, a GitHub scope or permission (scope:repo, contents:write).
	Permission string
	// Resource is the resource the grant covers; * for any.
	Resource string
	// GrantedVia is how the identity holds it: the user or role itself,
	// group/<name>, binding/<name>, token/<id>.
	GrantedVia string
	// Policy is the policy, role or assignment that grants it.
	Policy string
	// GrantedAs is the pattern as written in the policy when it differs
	// from Permission: s3:Get*, NotAction iam:*, *.
	GrantedAs string
	// Condition is the condition the grant is subject to, compact JSON or
	// a CEL expression; empty when unconditional.
	Condition string
	// AccessLevel is the provider's access level of the permission: List,
	// Read, Write, Permissions management, Tagging (AWS, from the
	// catalog), or read, write, admin for the others.
	AccessLevel string
	// Sensitive is the permission's sensitive class, or empty.
	Sensitive string
}

// Problem is one part of an input that could not be used.
type Problem struct {
	// File is the input file.
	File string
	// Path locates the part: a JSON path ($.Policies[3].PolicyVersionList[0].Document)
	// or, in YAML, document N and line L.
	Path string
	// Cause says what is wrong.
	Cause string
}

func (p Problem) Error() string {
	if p.Path == "" {
		return p.File + ": " + p.Cause
	}
	return p.File + ": " + p.Path + ": " + p.Cause
}

// Snapshot is what one input file grants.
type Snapshot struct {
	// File is the input file.
	File string
	// Provider is the provider of every grant.
	Provider string
	// Format names the input shape, such as aws-authorization-details.
	Format string
	// Scope is what the snapshot covers (an AWS account, a GCP resource, a
	// Kubernetes cluster, an Okta org, an Entra tenant, a GitHub account):
	// the latest snapshot of each identity and scope is its current grants.
	Scope string
	// Grants are the permissions held, deduplicated.
	Grants []Grant
	// Problems are the parts of the input skipped.
	Problems []Problem
	// Unknown lists what the catalogs do not know and was therefore not
	// expanded (AWS actions and patterns, Google Cloud roles): listed, not
	// guessed.
	Unknown []Unknown
	// Unattributed counts grants to principals that are no identity of
	// their own (groups, domains, allUsers), which are not stored.
	Unattributed int
}

// Unknown is something the catalogs do not know.
type Unknown struct {
	// What is the action, pattern or role as written.
	What string
	// Path is where it was met: the file and the policy or JSON path.
	Path string
}

// Problemf records a problem of the snapshot's file at path.
func (s *Snapshot) Problemf(path, format string, args ...any) {
	s.Problems = append(s.Problems, Problem{File: s.File, Path: path, Cause: fmt.Sprintf(format, args...)})
}

// AddUnknown records what a catalog does not know, once per path.
func (s *Snapshot) AddUnknown(what, path string) {
	s.Unknown = append(s.Unknown, Unknown{What: what, Path: path})
}

// Identities returns the distinct identity ids of the grants, sorted.
func (s *Snapshot) Identities() []string {
	seen := map[string]bool{}
	var out []string
	for _, g := range s.Grants {
		if !seen[g.IdentityID] {
			seen[g.IdentityID] = true
			out = append(out, g.IdentityID)
		}
	}
	sort.Strings(out)
	return out
}

// Dedup removes repeated grants and sorts them by identity, permission,
// resource, attachment and policy, so that equal inputs give equal
// snapshots.
func (s *Snapshot) Dedup() {
	sort.Slice(s.Grants, func(i, j int) bool { return less(&s.Grants[i], &s.Grants[j]) })
	out := s.Grants[:0]
	for i, g := range s.Grants {
		if i > 0 && g == s.Grants[i-1] {
			continue
		}
		out = append(out, g)
	}
	s.Grants = out
	sort.SliceStable(s.Unknown, func(i, j int) bool {
		if s.Unknown[i].What != s.Unknown[j].What {
			return s.Unknown[i].What < s.Unknown[j].What
		}
		return s.Unknown[i].Path < s.Unknown[j].Path
	})
	u := s.Unknown[:0]
	for i, x := range s.Unknown {
		if i > 0 && x == s.Unknown[i-1] {
			continue
		}
		u = append(u, x)
	}
	s.Unknown = u
}

func less(a, b *Grant) bool {
	for _, p := range [][2]string{
		{a.IdentityID, b.IdentityID}, {a.Permission, b.Permission}, {a.Resource, b.Resource},
		{a.GrantedVia, b.GrantedVia}, {a.Policy, b.Policy}, {a.GrantedAs, b.GrantedAs}, {a.Condition, b.Condition},
	} {
		if p[0] != p[1] {
			return p[0] < p[1]
		}
	}
	return false
}

// JSONPath appends a key or index to a JSON path: a name for a key that is
// an identifier, ["key"] otherwise, [i] for an int.
func JSONPath(base string, elem any) string {
	switch e := elem.(type) {
	case int:
		return fmt.Sprintf("%s[%d]", base, e)
	case string:
		if isIdent(e) {
			return base + "." + e
		}
		return base + "[" + fmt.Sprintf("%q", e) + "]"
	}
	return base
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) < 0
}
