// Package gcp reads Google Cloud IAM policy snapshots: a resource's
// getIamPolicy response (`gcloud projects get-iam-policy PROJECT
// --format=json`), the same wrapped with its resource ({"resource": ...,
// "policy": ...}), or Cloud Asset Inventory's search results (`gcloud asset
// search-all-iam-policies --format=json`). Each binding's role is expanded
// to its permissions through the shipped role catalog (DefaultCatalog); a
// role the catalog does not have is listed, not guessed.
//
// Members become the identity ids of the audit-log normalizer
// (ingest/gcpaudit): gcp:<project>:<email> for service accounts,
// gcp:<org or mail domain>:<email> for users, gcp:<project number>:<principal>
// for workload identities. Groups, domains, allUsers and
// allAuthenticatedUsers are no identity of their own: they are counted
// (Unattributed), not stored.
package gcp

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aitdr/aitdr/ingest/grants/snapshot"
)

// Format is the name of the input shape Parse reads.
const Format = "gcp-iam-policy"

type policy struct {
	Version  int       `json:"version"`
	Bindings []binding `json:"bindings"`
}

type binding struct {
	Role      string     `json:"role"`
	Members   []string   `json:"members"`
	Condition *condition `json:"condition"`
}

type condition struct {
	Title      string `json:"title"`
	Expression string `json:"expression"`
}

// asset is one policy with its resource (Cloud Asset search result or the
// wrapped form).
type asset struct {
	Resource string          `json:"resource"`
	Policy   json.RawMessage `json:"policy"`
}

// Detect reports whether data looks like an IAM policy or a list of them.
func Detect(data []byte) bool {
	head := data[:min(len(data), 4096)]
	return bytes.Contains(head, []byte(`"bindings"`)) && (bytes.Contains(head, []byte(`"role"`)) || bytes.Contains(head, []byte(`"members"`)))
}

// Parser reads IAM policies.
type Parser struct {
	catalog *Catalog
	org     string
}

// Option configures a Parser.
type Option func(*Parser)

// WithCatalog expands roles through c instead of DefaultCatalog.
func WithCatalog(c *Catalog) Option { return func(p *Parser) { p.catalog = c } }

// WithOrg names the organization user identities belong to, as the audit
// normalizer's gcp_org setting does ("gcp:<org>:<email>"); without it a
// user's account is the domain of its e-mail address.
func WithOrg(org string) Option { return func(p *Parser) { p.org = org } }

// NewParser returns a Parser.
func NewParser(opts ...Option) *Parser {
	p := &Parser{catalog: DefaultCatalog()}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Parse reads the policies in data, read from file. It fails only when
// data is none of the accepted shapes; a bad binding or member is recorded
// in the snapshot's Problems and skipped.
func (p *Parser) Parse(file string, data []byte) (*snapshot.Snapshot, error) {
	s := &snapshot.Snapshot{File: file, Provider: snapshot.ProviderGCP, Format: Format}
	trimmed := bytes.TrimSpace(data)
	var assets []asset
	var paths []string
	switch {
	case len(trimmed) > 0 && trimmed[0] == '[':
		if err := json.Unmarshal(trimmed, &assets); err != nil {
			return nil, fmt.Errorf("parse %s as google cloud iam policies: %w", file, err)
		}
		for i := range assets {
			paths = append(paths, snapshot.JSONPath("$", i)+".policy")
		}
	default:
		var top struct {
			asset
			Results  []asset   `json:"results"`
			Bindings []binding `json:"bindings"`
		}
		if err := json.Unmarshal(trimmed, &top); err != nil {
			return nil, fmt.Errorf("parse %s as a google cloud iam policy: %w", file, err)
		}
		switch {
		case top.Results != nil:
			assets = top.Results
			for i := range assets {
				paths = append(paths, snapshot.JSONPath("$.results", i)+".policy")
			}
		case top.Policy != nil:
			assets, paths = []asset{top.asset}, []string{"$.policy"}
		case top.Bindings != nil:
			assets, paths = []asset{{Policy: trimmed}}, []string{"$"}
		default:
			return nil, fmt.Errorf("parse %s as a google cloud iam policy: no bindings, policy or results", file)
		}
	}
	for i, a := range assets {
		var pol policy
		if err := json.Unmarshal(a.Policy, &pol); err != nil {
			s.Problemf(paths[i], "not an IAM policy: %s; skipped", strings.TrimPrefix(err.Error(), "json: "))
			continue
		}
		resource := resourceName(a.Resource)
		scope := "gcp:" + cmp.Or(resource, "file/"+filepath.Base(file))
		if s.Scope == "" {
			s.Scope = scope
		} else if s.Scope != scope {
			s.Scope = "gcp:file/" + filepath.Base(file) // several resources: the file is the scope
		}
		for j, b := range pol.Bindings {
			p.binding(s, b, cmp.Or(resource, "*"), snapshot.JSONPath(paths[i]+".bindings", j))
		}
	}
	s.Dedup()
	return s, nil
}

// resourceName returns a Cloud Asset full resource name without its
// service host (//cloudresourcemanager.googleapis.com/projects/p ->
// projects/p).
func resourceName(r string) string {
	if rest, ok := strings.CutPrefix(r, "//"); ok {
		if _, name, ok := strings.Cut(rest, "/"); ok {
			return name
		}
	}
	return r
}

func (p *Parser) binding(s *snapshot.Snapshot, b binding, resource, path string) {
	if b.Role == "" {
		s.Problemf(path+".role", "binding without a role; skipped")
		return
	}
	role, ok := p.catalog.Role(b.Role)
	if !ok {
		s.AddUnknown(b.Role, s.File+": "+path+".role")
		return
	}
	cond := ""
	if b.Condition != nil {
		cond = b.Condition.Expression
	}
	for k, m := range b.Members {
		id, ok, err := p.identity(m)
		if err != nil {
			s.Problemf(snapshot.JSONPath(path+".members", k), "%s; skipped", err.Error())
			continue
		}
		if !ok {
			s.Unattributed++
			continue
		}
		for _, perm := range role.Permissions {
			s.Grants = append(s.Grants, snapshot.Grant{
				IdentityID: id, Permission: perm, Resource: resource, GrantedVia: "binding/" + b.Role,
				Policy: b.Role, GrantedAs: b.Role, Condition: cond,
				AccessLevel: AccessLevel(perm), Sensitive: Sensitive(perm),
			})
		}
	}
}

// identity returns the identity id of a member, false for members that
// are no single identity (groups, domains, the public, deleted
// principals).
func (p *Parser) identity(member string) (string, bool, error) {
	kind, value, ok := strings.Cut(member, ":")
	switch {
	case member == "allUsers" || member == "allAuthenticatedUsers":
		return "", false, nil
	case !ok || value == "":
		if strings.HasPrefix(member, "principal://") || strings.HasPrefix(member, "principalSet://") {
			break
		}
		return "", false, fmt.Errorf("member %q is not kind:value", member)
	}
	switch kind {
	case "serviceAccount":
		return "gcp:" + ServiceAccountProject(value) + ":" + value, true, nil
	case "user":
		_, domain, found := strings.Cut(value, "@")
		if !found {
			return "", false, fmt.Errorf("user member %q has no e-mail domain", member)
		}
		return "gcp:" + cmp.Or(p.org, strings.ToLower(domain)) + ":" + value, true, nil
	case "principal":
		if strings.Contains(member, "/workloadIdentityPools/") {
			return "gcp:" + segmentAfter(member, "/projects/") + ":" + member, true, nil
		}
		if strings.Contains(member, "/workforcePools/") {
			return "gcp:" + cmp.Or(p.org, segmentAfter(member, "/workforcePools/")) + ":" + member, true, nil
		}
		return "", false, fmt.Errorf("principal %q is neither a workload nor a workforce identity", member)
	case "group", "domain", "principalSet", "deleted":
		return "", false, nil
	}
	return "", false, fmt.Errorf("member %q is of unknown kind %q", member, kind)
}

// ServiceAccountProject returns the project of a service account e-mail,
// as the audit normalizer derives it: <name>@<project>.iam.gserviceaccount.com,
// <number>-compute@developer.gserviceaccount.com, <project>@appspot.gserviceaccount.com,
// and service-<number>@gcp-sa-<service>.iam.gserviceaccount.com for
// service agents.
func ServiceAccountProject(email string) string {
	local, domain, _ := strings.Cut(email, "@")
	sub := strings.TrimSuffix(domain, ".gserviceaccount.com")
	switch {
	case strings.HasSuffix(sub, ".iam"):
		p := strings.TrimSuffix(sub, ".iam")
		if strings.HasPrefix(p, "gcp-sa-") && strings.HasPrefix(local, "service-") {
			return strings.TrimPrefix(local, "service-")
		}
		return p
	case sub == "developer":
		return strings.TrimSuffix(local, "-compute")
	case sub == "appspot":
		return local
	}
	return strings.TrimPrefix(local, "service-")
}

// segmentAfter returns the path segment after marker.
func segmentAfter(s, marker string) string {
	i := strings.Index(s, marker)
	if i < 0 {
		return ""
	}
	rest := s[i+len(marker):]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		return rest[:j]
	}
	return rest
}
