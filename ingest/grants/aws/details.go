// Package aws reads AWS IAM permission snapshots: the output of `aws iam
// get-account-authorization-details` (users, groups, roles, their inline
// and attached managed policies with each policy's default version,
// permission boundaries and group membership). It computes each user's and
// role's effective identity-based permissions, with wildcards and NotAction
// expanded against the shipped action catalog (DefaultCatalog), explicit
// denies and permission boundaries applied, and classifies each permission
// (Sensitive).
//
// Identity ids are the CloudTrail normalizer's: aws:<account>:user/<name>
// and aws:<account>:role/<name>, without IAM paths.
package aws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aitdr/aitdr/ingest/grants/snapshot"

	"github.com/aitdr/aitdr/internal/glob"
)

// Format is the name of the input shape Parse reads.
const Format = "aws-authorization-details"

// details is the response of GetAccountAuthorizationDetails.
type details struct {
	UserDetailList  []userDetail    `json:"UserDetailList"`
	GroupDetailList []groupDetail   `json:"GroupDetailList"`
	RoleDetailList  []roleDetail    `json:"RoleDetailList"`
	Policies        []managedPolicy `json:"Policies"`
}

type inlinePolicy struct {
	PolicyName     string          `json:"PolicyName"`
	PolicyDocument json.RawMessage `json:"PolicyDocument"`
}

type attachedPolicy struct {
	PolicyName string `json:"PolicyName"`
	PolicyArn  string `json:"PolicyArn"`
}

type boundary struct {
	PermissionsBoundaryType string `json:"PermissionsBoundaryType"`
	PermissionsBoundaryArn  string `json:"PermissionsBoundaryArn"`
}

type userDetail struct {
	UserName                string           `json:"UserName"`
	Arn                     string           `json:"Arn"`
	UserPolicyList          []inlinePolicy   `json:"UserPolicyList"`
	GroupList               []string         `json:"GroupList"`
	AttachedManagedPolicies []attachedPolicy `json:"AttachedManagedPolicies"`
	PermissionsBoundary     *boundary        `json:"PermissionsBoundary"`
}

type groupDetail struct {
	GroupName               string           `json:"GroupName"`
	Arn                     string           `json:"Arn"`
	GroupPolicyList         []inlinePolicy   `json:"GroupPolicyList"`
	AttachedManagedPolicies []attachedPolicy `json:"AttachedManagedPolicies"`
}

type roleDetail struct {
	RoleName                string           `json:"RoleName"`
	Arn                     string           `json:"Arn"`
	RolePolicyList          []inlinePolicy   `json:"RolePolicyList"`
	AttachedManagedPolicies []attachedPolicy `json:"AttachedManagedPolicies"`
	PermissionsBoundary     *boundary        `json:"PermissionsBoundary"`
}

type managedPolicy struct {
	PolicyName        string          `json:"PolicyName"`
	Arn               string          `json:"Arn"`
	DefaultVersionID  string          `json:"DefaultVersionId"`
	PolicyVersionList []policyVersion `json:"PolicyVersionList"`
}

type policyVersion struct {
	Document         json.RawMessage `json:"Document"`
	VersionID        string          `json:"VersionId"`
	IsDefaultVersion bool            `json:"IsDefaultVersion"`
}

// Detect reports whether data looks like GetAccountAuthorizationDetails
// output.
func Detect(data []byte) bool {
	head := data[:min(len(data), 4096)]
	return bytes.Contains(head, []byte(`"UserDetailList"`)) || bytes.Contains(head, []byte(`"RoleDetailList"`)) ||
		bytes.Contains(head, []byte(`"GroupDetailList"`)) || (bytes.Contains(head, []byte(`"Policies"`)) && bytes.Contains(head, []byte(`"PolicyVersionList"`)))
}

// Parser reads authorization details against a catalog.
type Parser struct {
	catalog *Catalog
}

// NewParser returns a Parser expanding against c (DefaultCatalog when nil).
func NewParser(c *Catalog) *Parser {
	if c == nil {
		c = DefaultCatalog()
	}
	return &Parser{catalog: c}
}

// Parse reads the authorization details in data, read from file. It fails
// only when data is not such a document at all; a malformed policy
// document, a dangling policy reference or an action the catalog does not
// know is recorded in the snapshot (Problems, Unknown) and skipped.
func (p *Parser) Parse(file string, data []byte) (*snapshot.Snapshot, error) {
	var d details
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("parse %s as aws iam get-account-authorization-details: %w", file, describeJSON(data, err))
	}
	s := &snapshot.Snapshot{File: file, Provider: snapshot.ProviderAWS, Format: Format}
	e := &evaluator{catalog: p.catalog, snap: s, managed: map[string]*namedPolicy{}}

	for i, mp := range d.Policies {
		path := snapshot.JSONPath("$.Policies", i)
		if mp.Arn == "" {
			s.Problemf(path, "policy without an Arn")
			continue
		}
		e.managed[mp.Arn] = e.defaultVersion(mp, path)
	}
	groups := map[string][]attachment{}
	for i, g := range d.GroupDetailList {
		path := snapshot.JSONPath("$.GroupDetailList", i)
		if g.GroupName == "" {
			s.Problemf(path, "group without a GroupName")
			continue
		}
		via := "group/" + g.GroupName
		groups[g.GroupName] = e.attachments(via, g.GroupPolicyList, g.AttachedManagedPolicies, path+".GroupPolicyList", path+".AttachedManagedPolicies")
	}
	for i, u := range d.UserDetailList {
		path := snapshot.JSONPath("$.UserDetailList", i)
		account := arnAccount(u.Arn)
		if u.UserName == "" || account == "" {
			s.Problemf(path, "user without a UserName or an Arn with an account")
			continue
		}
		s.Scope = firstSet(s.Scope, "aws:"+account)
		via := "user/" + u.UserName
		atts := e.attachments(via, u.UserPolicyList, u.AttachedManagedPolicies, path+".UserPolicyList", path+".AttachedManagedPolicies")
		for j, g := range u.GroupList {
			ga, ok := groups[g]
			if !ok {
				s.Problemf(snapshot.JSONPath(path+".GroupList", j), "group %q is not in GroupDetailList: its policies are not counted", g)
				continue
			}
			atts = append(atts, ga...)
		}
		e.principal("aws:"+account+":user/"+u.UserName, atts, e.boundary(u.PermissionsBoundary, path+".PermissionsBoundary"))
	}
	for i, r := range d.RoleDetailList {
		path := snapshot.JSONPath("$.RoleDetailList", i)
		account := arnAccount(r.Arn)
		if r.RoleName == "" || account == "" {
			s.Problemf(path, "role without a RoleName or an Arn with an account")
			continue
		}
		s.Scope = firstSet(s.Scope, "aws:"+account)
		via := "role/" + r.RoleName
		atts := e.attachments(via, r.RolePolicyList, r.AttachedManagedPolicies, path+".RolePolicyList", path+".AttachedManagedPolicies")
		e.principal("aws:"+account+":role/"+r.RoleName, atts, e.boundary(r.PermissionsBoundary, path+".PermissionsBoundary"))
	}
	s.Dedup()
	return s, nil
}

// namedPolicy is a parsed policy and the name grants cite it by.
type namedPolicy struct {
	name   string
	policy *Policy // nil when the document is malformed (already reported)
}

// attachment is a policy as one principal holds it.
type attachment struct {
	via string
	*namedPolicy
}

// evaluator computes effective permissions.
type evaluator struct {
	catalog *Catalog
	snap    *snapshot.Snapshot
	managed map[string]*namedPolicy
}

// defaultVersion parses the default version of a managed policy.
func (e *evaluator) defaultVersion(mp managedPolicy, path string) *namedPolicy {
	np := &namedPolicy{name: mp.Arn}
	for j, v := range mp.PolicyVersionList {
		if !v.IsDefaultVersion && (mp.DefaultVersionID == "" || v.VersionID != mp.DefaultVersionID) {
			continue
		}
		vpath := snapshot.JSONPath(path+".PolicyVersionList", j) + ".Document"
		np.policy = e.parse(v.Document, vpath)
		return np
	}
	e.snap.Problemf(path, "managed policy %s has no default version in PolicyVersionList", mp.Arn)
	return np
}

// parse parses a policy document, reporting a malformed one.
func (e *evaluator) parse(doc json.RawMessage, path string) *Policy {
	if len(bytes.TrimSpace(doc)) == 0 || string(bytes.TrimSpace(doc)) == "null" {
		e.snap.Problemf(path, "no policy document")
		return nil
	}
	p, err := ParsePolicy(doc)
	if err != nil {
		var pe *PolicyError
		if errors.As(err, &pe) {
			e.snap.Problemf(path+strings.TrimPrefix(pe.Path, "$"), "malformed policy document: %s; the policy is skipped", pe.Cause)
		} else {
			e.snap.Problemf(path, "malformed policy document: %s; the policy is skipped", err.Error())
		}
		return nil
	}
	return p
}

// attachments returns the inline and managed policies of a user, group or
// role.
func (e *evaluator) attachments(via string, inline []inlinePolicy, attached []attachedPolicy, inlinePath, attachedPath string) []attachment {
	var out []attachment
	for i, ip := range inline {
		path := snapshot.JSONPath(inlinePath, i)
		out = append(out, attachment{via: via, namedPolicy: &namedPolicy{
			name:   "inline:" + ip.PolicyName,
			policy: e.parse(ip.PolicyDocument, path+".PolicyDocument"),
		}})
	}
	for i, ap := range attached {
		np, ok := e.managed[ap.PolicyArn]
		if !ok {
			e.snap.Problemf(snapshot.JSONPath(attachedPath, i), "managed policy %s is not in Policies: its permissions are not counted", ap.PolicyArn)
			continue
		}
		out = append(out, attachment{via: via, namedPolicy: np})
	}
	return out
}

// boundary returns the permission boundary's policy, or nil when there is
// none. A boundary whose document is missing is reported and not applied
// (the identity's permissions are then over-, not under-stated).
func (e *evaluator) boundary(b *boundary, path string) *namedPolicy {
	if b == nil || b.PermissionsBoundaryArn == "" {
		return nil
	}
	np, ok := e.managed[b.PermissionsBoundaryArn]
	if !ok || np.policy == nil {
		e.snap.Problemf(path, "permission boundary %s has no usable document in Policies: it is not applied", b.PermissionsBoundaryArn)
		return nil
	}
	return np
}

// candidate is one allowed action on one resource before denies.
type candidate struct {
	action   Action
	resource string
	via      string
	policy   string
	as       string
	cond     string
}

// principal computes and records the effective permissions of one identity:
// every action an Allow statement of its policies grants, less those an
// unconditional Deny of its policies or boundary covers, and, with a
// boundary, only those the boundary also allows.
func (e *evaluator) principal(id string, atts []attachment, bound *namedPolicy) {
	var cands []candidate
	var denies []*Statement
	for _, a := range atts {
		if a.policy == nil {
			continue
		}
		for i := range a.policy.Statements {
			st := &a.policy.Statements[i]
			if st.Deny {
				denies = append(denies, st)
				continue
			}
			for _, m := range e.expand(st, a.name) {
				for _, r := range resourcesOf(st) {
					cands = append(cands, candidate{action: m.action, resource: r, via: a.via, policy: a.name, as: m.as, cond: st.Condition})
				}
			}
		}
	}
	var boundAllows []*Statement
	if bound != nil {
		for i := range bound.policy.Statements {
			st := &bound.policy.Statements[i]
			if st.Deny {
				denies = append(denies, st)
			} else {
				boundAllows = append(boundAllows, st)
			}
		}
	}
	for _, c := range cands {
		if deniedBy(denies, c) {
			continue
		}
		if bound != nil && !allowedBy(boundAllows, c.action) {
			continue
		}
		e.snap.Grants = append(e.snap.Grants, snapshot.Grant{
			IdentityID: id, Permission: c.action.String(), Resource: c.resource,
			GrantedVia: c.via, Policy: c.policy, GrantedAs: c.as, Condition: c.cond,
			AccessLevel: c.action.AccessLevel(), Sensitive: Sensitive(c.action),
		})
	}
}

// match is an action a statement grants and the pattern it was granted as
// (empty when it was named exactly).
type match struct {
	action Action
	as     string
}

// expand returns the catalog actions a statement's Action or NotAction
// covers; patterns the catalog does not know are listed, not guessed.
func (e *evaluator) expand(st *Statement, policy string) []match {
	if st.NotAction {
		excluded := map[string]bool{}
		for _, p := range st.Actions {
			ms := e.catalog.Match(p)
			if len(ms) == 0 && p != "*" {
				e.snap.AddUnknown(p, e.snap.File+": "+policy+": NotAction")
			}
			for _, a := range ms {
				excluded[a.String()] = true
			}
		}
		as := "NotAction " + strings.Join(st.Actions, ",")
		var out []match
		for _, a := range e.catalog.All() {
			if !excluded[a.String()] {
				out = append(out, match{a, as})
			}
		}
		return out
	}
	seen := map[string]bool{}
	var out []match
	for _, p := range st.Actions {
		ms := e.catalog.Match(p)
		if len(ms) == 0 {
			e.snap.AddUnknown(p, e.snap.File+": "+policy)
			continue
		}
		for _, a := range ms {
			if seen[a.String()] {
				continue
			}
			seen[a.String()] = true
			as := p
			if strings.EqualFold(p, a.String()) {
				as = ""
			}
			out = append(out, match{a, as})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].action.String() < out[j].action.String() })
	return out
}

// resourcesOf returns the statement's resources as grants record them: each
// Resource, or for NotResource one "* except a, b".
func resourcesOf(st *Statement) []string {
	if st.NotResource {
		return []string{"* except " + strings.Join(st.Resources, ", ")}
	}
	return st.Resources
}

// actionMatches reports whether a statement's Action or NotAction covers a.
func actionMatches(st *Statement, a Action) bool {
	name := strings.ToLower(a.String())
	hit := false
	for _, p := range st.Actions {
		if glob.Match(strings.ToLower(p), name) {
			hit = true
			break
		}
	}
	return hit != st.NotAction
}

// deniedBy reports whether an unconditional Deny covers the candidate's
// action on all of its resource. A conditional Deny may not apply, and a
// Deny of part of the resource leaves the rest granted: both keep the
// grant (the snapshot then overstates, never understates, what is held).
func deniedBy(denies []*Statement, c candidate) bool {
	for _, st := range denies {
		if st.Condition != "" || !actionMatches(st, c.action) {
			continue
		}
		if resourceCovers(st, c.resource) {
			return true
		}
	}
	return false
}

// resourceCovers reports whether a Deny statement's resources cover the
// whole of a granted resource (a pattern itself, compared literally).
func resourceCovers(st *Statement, resource string) bool {
	if st.NotResource {
		if resource == "*" || strings.HasPrefix(resource, "* except ") {
			return false
		}
		for _, p := range st.Resources {
			if glob.Match(p, resource) {
				return false
			}
		}
		return true
	}
	for _, p := range st.Resources {
		if p == "*" || glob.Match(p, resource) {
			return true
		}
	}
	return false
}

// allowedBy reports whether an Allow statement of a boundary covers a
// (conditional allows count: they may apply).
func allowedBy(allows []*Statement, a Action) bool {
	for _, st := range allows {
		if actionMatches(st, a) {
			return true
		}
	}
	return false
}

// arnAccount returns the account of an ARN, arn:partition:service:region:account:resource.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

func firstSet(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// describeJSON adds the line and column of a JSON syntax or type error.
func describeJSON(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}
