// Package kubernetes reads Kubernetes RBAC snapshots: Roles, ClusterRoles,
// RoleBindings and ClusterRoleBindings as YAML (several documents, or a
// List as `kubectl get roles,clusterroles,rolebindings,clusterrolebindings
// -A -o yaml` writes it; JSON too). Each binding's subjects get the rules of
// the role it names, wildcards expanded against the built-in resources of
// Kubernetes (CatalogVersion); custom resources count where a rule names
// them.
//
// Subjects become the audit normalizer's identity ids:
// kubernetes:<cluster>:<user name> and
// kubernetes:<cluster>:system:serviceaccount:<namespace>:<name>. Groups are
// counted (Unattributed), not stored. The cluster is not in RBAC objects:
// it comes from WithCluster, as the audit source's k8s_cluster setting.
package kubernetes

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"

	"github.com/aitdr/aitdr/ingest/grants/snapshot"
)

// Format is the name of the input shape Parse reads.
const Format = "kubernetes-rbac"

// DefaultCluster is the cluster name when none is given, as the audit
// normalizer's.
const DefaultCluster = "default"

type object struct {
	APIVersion string    `yaml:"apiVersion"`
	Kind       string    `yaml:"kind"`
	Metadata   metadata  `yaml:"metadata"`
	Rules      []rule    `yaml:"rules"`
	RoleRef    roleRef   `yaml:"roleRef"`
	Subjects   []subject `yaml:"subjects"`
	Items      []object  `yaml:"items"`
}

type metadata struct {
	Name      string `yaml:"name"`
	Namespace string `yaml:"namespace"`
}

type rule struct {
	APIGroups       []string `yaml:"apiGroups"`
	Resources       []string `yaml:"resources"`
	Verbs           []string `yaml:"verbs"`
	ResourceNames   []string `yaml:"resourceNames"`
	NonResourceURLs []string `yaml:"nonResourceURLs"`
}

type roleRef struct {
	APIGroup string `yaml:"apiGroup"`
	Kind     string `yaml:"kind"`
	Name     string `yaml:"name"`
}

type subject struct {
	Kind      string `yaml:"kind"`
	Name      string `yaml:"name"`
	Namespace string `yaml:"namespace"`
}

// Detect reports whether data looks like RBAC objects.
func Detect(data []byte) bool {
	head := data[:min(len(data), 8192)]
	for _, k := range []string{"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"} {
		if bytes.Contains(head, []byte("kind: "+k+"\n")) || bytes.Contains(head, []byte(`"kind": "`+k+`"`)) ||
			bytes.Contains(head, []byte(`"kind":"`+k+`"`)) || bytes.Contains(head, []byte("kind: "+k+"\r\n")) {
			return true
		}
	}
	return false
}

// Parser reads RBAC objects of one cluster.
type Parser struct {
	cluster string
}

// Option configures a Parser.
type Option func(*Parser)

// WithCluster names the cluster the objects are of (DefaultCluster when
// empty).
func WithCluster(name string) Option {
	return func(p *Parser) {
		if name != "" {
			p.cluster = name
		}
	}
}

// NewParser returns a Parser.
func NewParser(opts ...Option) *Parser {
	p := &Parser{cluster: DefaultCluster}
	for _, o := range opts {
		o(p)
	}
	return p
}

// located is an object and where it was read.
type located struct {
	object
	where string
}

// Parse reads the RBAC objects in data, read from file. It fails when the
// YAML does not parse; an object that breaks the RBAC shape, or a binding
// naming a role the file lacks, is recorded in Problems (document and
// line) and skipped.
func (p *Parser) Parse(file string, data []byte) (*snapshot.Snapshot, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fmt.Errorf("parse %s as kubernetes rbac yaml: %s", file, yaml.FormatError(err, false, false))
	}
	s := &snapshot.Snapshot{File: file, Provider: snapshot.ProviderKubernetes, Format: Format, Scope: "kubernetes:" + p.cluster}
	var objs []located
	for i, doc := range f.Docs {
		if doc.Body == nil {
			continue
		}
		where := fmt.Sprintf("document %d (line %d)", i+1, doc.Body.GetToken().Position.Line)
		var o object
		if err := yaml.NodeToValue(doc.Body, &o); err != nil {
			s.Problemf(where, "not a Kubernetes object: %s; skipped", firstLine(yaml.FormatError(err, false, false)))
			continue
		}
		if o.Kind == "List" || strings.HasSuffix(o.Kind, "List") {
			for j, it := range o.Items {
				objs = append(objs, located{it, fmt.Sprintf("%s: items[%d]", where, j)})
			}
			continue
		}
		objs = append(objs, located{o, where})
	}
	roles := map[string]located{} // Role/<ns>/<name>, ClusterRole/<name>
	for _, o := range objs {
		switch o.Kind {
		case "Role":
			roles["Role/"+o.Metadata.Namespace+"/"+o.Metadata.Name] = o
		case "ClusterRole":
			roles["ClusterRole/"+o.Metadata.Name] = o
		}
	}
	for _, o := range objs {
		switch o.Kind {
		case "RoleBinding", "ClusterRoleBinding":
			p.binding(s, o, roles)
		case "Role", "ClusterRole":
			if o.Metadata.Name == "" {
				s.Problemf(o.where, "%s without a name; skipped", o.Kind)
			}
		case "":
			s.Problemf(o.where, "object without a kind; skipped")
		}
	}
	s.Dedup()
	return s, nil
}

func (p *Parser) binding(s *snapshot.Snapshot, b located, roles map[string]located) {
	ns := b.Metadata.Namespace
	if b.Kind == "RoleBinding" && ns == "" {
		s.Problemf(b.where, "RoleBinding %s without a namespace; skipped", b.Metadata.Name)
		return
	}
	if b.Kind == "ClusterRoleBinding" {
		ns = ""
	}
	key := ""
	switch b.RoleRef.Kind {
	case "Role":
		if b.Kind == "ClusterRoleBinding" {
			s.Problemf(b.where, "ClusterRoleBinding %s refers to a Role; skipped", b.Metadata.Name)
			return
		}
		key = "Role/" + ns + "/" + b.RoleRef.Name
	case "ClusterRole":
		key = "ClusterRole/" + b.RoleRef.Name
	default:
		s.Problemf(b.where, "%s %s: roleRef kind %q is neither Role nor ClusterRole; skipped", b.Kind, b.Metadata.Name, b.RoleRef.Kind)
		return
	}
	role, ok := roles[key]
	if !ok {
		s.Problemf(b.where, "%s %s refers to %s %q, which is not in the file; skipped", b.Kind, b.Metadata.Name, b.RoleRef.Kind, b.RoleRef.Name)
		return
	}
	via := "binding/" + b.Metadata.Name
	if ns != "" {
		via = "binding/" + ns + "/" + b.Metadata.Name
	}
	policy := strings.ToLower(b.RoleRef.Kind[:1]) + b.RoleRef.Kind[1:] + "/" + b.RoleRef.Name
	for k, subj := range b.Subjects {
		id, ok, err := p.identity(subj, ns)
		if err != nil {
			s.Problemf(fmt.Sprintf("%s: subjects[%d]", b.where, k), "%s; skipped", err.Error())
			continue
		}
		if !ok {
			s.Unattributed++
			continue
		}
		for r, ru := range role.Rules {
			p.rule(s, id, ru, ns, via, policy, fmt.Sprintf("%s: rules[%d]", role.where, r))
		}
	}
}

// identity returns the identity id of a subject, false for groups.
func (p *Parser) identity(subj subject, bindingNS string) (string, bool, error) {
	switch subj.Kind {
	case "User":
		if subj.Name == "" {
			return "", false, errors.New("a User subject without a name")
		}
		return "kubernetes:" + p.cluster + ":" + subj.Name, true, nil
	case "ServiceAccount":
		ns := subj.Namespace
		if ns == "" {
			ns = bindingNS
		}
		if subj.Name == "" || ns == "" {
			return "", false, fmt.Errorf("ServiceAccount subject %q without a name or namespace", subj.Name)
		}
		return "kubernetes:" + p.cluster + ":system:serviceaccount:" + ns + ":" + subj.Name, true, nil
	case "Group":
		return "", false, nil
	}
	return "", false, fmt.Errorf("subject kind %q is not User, Group or ServiceAccount", subj.Kind)
}

// rule records the permissions one rule grants an identity in ns (""
// for cluster-wide).
func (p *Parser) rule(s *snapshot.Snapshot, id string, ru rule, ns, via, policy, where string) {
	scope := "*"
	if ns != "" {
		scope = "namespaces/" + ns
	}
	resources := []string{scope}
	if len(ru.ResourceNames) > 0 {
		resources = nil
		for _, n := range ru.ResourceNames {
			resources = append(resources, scope+"/"+n)
		}
	}
	add := func(perm, as string) {
		group, res, verb := SplitPermission(perm)
		for _, r := range resources {
			s.Grants = append(s.Grants, snapshot.Grant{
				IdentityID: id, Permission: perm, Resource: r, GrantedVia: via, Policy: policy, GrantedAs: as,
				AccessLevel: AccessLevel(group, res, verb), Sensitive: Sensitive(group, res, verb),
			})
		}
	}
	for _, url := range ru.NonResourceURLs {
		for _, v := range ru.Verbs {
			if v == "*" {
				for _, sv := range []string{"get", "head", "options", "post", "put", "patch", "delete"} {
					add(url+":"+sv, url+":*")
				}
				continue
			}
			add(url+":"+strings.ToLower(v), "")
		}
	}
	if len(ru.Resources) == 0 {
		return
	}
	groups := ru.APIGroups
	if len(groups) == 0 {
		groups = []string{""}
	}
	for _, g := range groups {
		var targets []string
		for _, res := range ru.Resources {
			switch {
			case g == "*" && res == "*":
				for gg := range builtin {
					for r := range builtin[gg] {
						targets = append(targets, gg+"\x00"+r)
					}
				}
			case g == "*":
				found := false
				for gg := range builtin {
					if _, ok := builtin[gg][res]; ok {
						targets = append(targets, gg+"\x00"+res)
						found = true
					}
				}
				if !found {
					s.AddUnknown("*/"+res, s.File+": "+where)
				}
			case res == "*":
				if _, ok := builtin[g]; !ok {
					s.AddUnknown(g+"/*", s.File+": "+where)
					continue
				}
				for r := range builtin[g] {
					targets = append(targets, g+"\x00"+r)
				}
			default:
				if known, isBuiltin := builtin[g]; isBuiltin {
					if _, ok := known[res]; !ok {
						// Not a resource of a built-in group: the rule grants nothing.
						s.AddUnknown(groupName(g)+"/"+res, s.File+": "+where)
						continue
					}
				}
				targets = append(targets, g+"\x00"+res)
			}
		}
		sort.Strings(targets)
		for _, t := range targets {
			tg, tr, _ := strings.Cut(t, "\x00")
			for _, v := range ru.Verbs {
				if v != "*" {
					add(Permission(tg, tr, strings.ToLower(v)), asWritten(g, ru, v))
					continue
				}
				verbs, ok := verbsOf(tg, tr)
				if !ok {
					verbs = standardVerbs // a custom resource named in the rule
				}
				for _, vv := range verbs {
					add(Permission(tg, tr, vv), asWritten(g, ru, v))
				}
			}
		}
	}
}

// asWritten is the rule's wildcard form when it has one.
func asWritten(group string, ru rule, verb string) string {
	if group != "*" && verb != "*" && !contains(ru.Resources, "*") {
		return ""
	}
	return fmt.Sprintf("apiGroups=%s resources=%s verbs=%s", group, strings.Join(ru.Resources, ","), verb)
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// groupName is the API group as errors name it: core for "".
func groupName(g string) string {
	if g == "" {
		return "core"
	}
	return g
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
