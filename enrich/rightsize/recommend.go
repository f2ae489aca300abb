package rightsize

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/aitdr/aitdr/internal/glob"
)

// Recommendation is the least-privilege change of one identity: the
// artefact to apply and its difference from what is granted.
type Recommendation struct {
	// Kind is aws-iam-policy, kubernetes-role, gcp-custom-role,
	// app-assignments or github-token.
	Kind string `json:"kind"`
	// Format of Artifact: json, yaml or text.
	Format string `json:"format"`
	// Artifact is the policy, role or instructions to apply; empty when
	// nothing granted was used (remove every attachment instead).
	Artifact string `json:"artifact"`
	// Keep and Remove are the granted permissions the change keeps and
	// removes.
	Keep   []string `json:"keep"`
	Remove []string `json:"remove"`
	// Narrowed are kept permissions whose resources the events narrow.
	Narrowed []Narrowing `json:"narrowed,omitempty"`
	// Attachments are the policies, roles, bindings or assignments that
	// grant what is removed: what to detach or edit.
	Attachments []string `json:"attachments,omitempty"`
	// Diff is the change as text: - removed, ~ narrowed, = kept.
	Diff string `json:"diff"`
	// Notes say what the artefact cannot carry.
	Notes []string `json:"notes,omitempty"`
}

// Narrowing is a kept permission's resources, before and after.
type Narrowing struct {
	Permission string   `json:"permission"`
	From       []string `json:"from"`
	To         []string `json:"to"`
}

// maxDiffRemoved bounds the removed permissions the diff lists one by one
// (rightsize_permissions has them all).
const maxDiffRemoved = 200

func recommend(id *Identity) Recommendation {
	var rec Recommendation
	var attach []string
	for i := range id.Permissions {
		p := &id.Permissions[i]
		if !p.Granted {
			continue
		}
		if p.Kept {
			rec.Keep = append(rec.Keep, p.Name)
		} else {
			rec.Remove = append(rec.Remove, p.Name)
			attach = union(attach, p.Policies)
		}
	}
	rec.Attachments = attach
	switch id.Provider {
	case "aws":
		awsPolicy(id, &rec)
	case "kubernetes":
		k8sRoles(id, &rec)
	case "gcp":
		gcpRole(id, &rec)
	case "okta", "entra":
		appAssignments(id, &rec)
	case "github":
		githubToken(id, &rec)
	default:
		rec.Kind, rec.Format = "permissions", "text"
		rec.Artifact = "keep only:\n  " + strings.Join(rec.Keep, "\n  ") + "\n"
	}
	if len(rec.Keep) == 0 {
		rec.Artifact = ""
		rec.Notes = append(rec.Notes, "no granted permission was used in the window: remove every attachment listed")
	}
	rec.Diff = diff(id, &rec)
	return rec
}

// diff renders the change: removed, narrowed and kept permissions.
func diff(id *Identity, rec *Recommendation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "--- granted: %d permissions\n+++ recommended: %d permissions\n", id.Granted, len(rec.Keep))
	narrowed := map[string]Narrowing{}
	for _, n := range rec.Narrowed {
		narrowed[n.Permission] = n
	}
	removed := 0
	for i := range id.Permissions {
		p := &id.Permissions[i]
		if !p.Granted || p.Kept {
			continue
		}
		removed++
		if removed > maxDiffRemoved {
			continue
		}
		fmt.Fprintf(&b, "- %s", p.Name)
		if p.Sensitive != "" {
			fmt.Fprintf(&b, " [%s]", p.Sensitive)
		}
		fmt.Fprintf(&b, "  (%s)\n", strings.Join(p.Policies, ", "))
	}
	if removed > maxDiffRemoved {
		fmt.Fprintf(&b, "- ... and %d more (rightsize_permissions lists them)\n", removed-maxDiffRemoved)
	}
	for i := range id.Permissions {
		p := &id.Permissions[i]
		if !p.Kept {
			continue
		}
		if n, ok := narrowed[p.Name]; ok {
			fmt.Fprintf(&b, "~ %s  %s -> %s\n", p.Name, strings.Join(n.From, ", "), strings.Join(n.To, ", "))
			continue
		}
		fmt.Fprintf(&b, "= %s\n", p.Name)
	}
	return b.String()
}

// awsStatement is a statement of a recommended IAM policy.
type awsStatement struct {
	Sid      string `json:"Sid"`
	Effect   string `json:"Effect"`
	Action   any    `json:"Action"`
	Resource any    `json:"Resource"`
}

// awsPolicy writes an IAM policy of the used actions, one statement per
// set of resources, the resources narrowed to those the events show where
// they show any (and all of them: fewer than maxTargets) and the grants
// cover them.
func awsPolicy(id *Identity, rec *Recommendation) {
	rec.Kind, rec.Format = "aws-iam-policy", "json"
	groups := map[string][]string{}
	resources := map[string][]string{}
	conditional := false
	for i := range id.Permissions {
		p := &id.Permissions[i]
		if !p.Kept {
			continue
		}
		res := awsResources(p)
		granted := grantedForPolicy(p.GrantedResources)
		if !equal(res, granted) {
			rec.Narrowed = append(rec.Narrowed, Narrowing{Permission: p.Name, From: p.GrantedResources, To: res})
		}
		for _, g := range p.GrantedResources {
			if strings.HasPrefix(g, "* except ") {
				conditional = true
			}
		}
		key := strings.Join(res, "\x00")
		groups[key] = append(groups[key], p.Name)
		resources[key] = res
	}
	if conditional {
		rec.Notes = append(rec.Notes, "a kept grant was written with NotResource: the policy grants it on * instead")
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	// Statements in the order of their first action.
	sort.Slice(keys, func(i, j int) bool { return groups[keys[i]][0] < groups[keys[j]][0] })
	var sts []awsStatement
	used := map[string]int{}
	for _, k := range keys {
		actions := groups[k]
		sort.Strings(actions)
		sid := sidOf(actions)
		used[sid]++
		if used[sid] > 1 {
			sid = fmt.Sprintf("%s%d", sid, used[sid])
		}
		sts = append(sts, awsStatement{Sid: sid, Effect: "Allow", Action: oneOrMany(actions), Resource: oneOrMany(resources[k])})
	}
	if len(sts) == 0 {
		return
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(struct {
		Version   string         `json:"Version"`
		Statement []awsStatement `json:"Statement"`
	}{"2012-10-17", sts}) // strings and slices only: cannot fail
	rec.Artifact = b.String()
}

// awsResources returns the resources the recommendation grants a kept
// permission on: the ARNs the events show when there are some, all of
// them are listed and every one is within the grants; else the granted
// resources. S3 object actions get the objects of the buckets the events
// name (arn:aws:s3:::bucket/*), since CloudTrail names the bucket.
func awsResources(p *Permission) []string {
	granted := grantedForPolicy(p.GrantedResources)
	if p.ManyResources {
		return granted
	}
	service, action, _ := strings.Cut(p.Name, ":")
	objectAction := service == "s3" && strings.Contains(action, "Object")
	var arns []string
	for _, r := range p.UsedResources {
		if !strings.HasPrefix(r, "arn:") {
			continue
		}
		if objectAction && strings.HasPrefix(r, "arn:aws:s3:::") && !strings.Contains(strings.TrimPrefix(r, "arn:aws:s3:::"), "/") {
			r += "/*"
		}
		arns = append(arns, r)
	}
	if len(arns) == 0 {
		return granted
	}
	for _, a := range arns {
		covered := false
		for _, g := range granted {
			if g == "*" || glob.Match(g, a) {
				covered = true
				break
			}
		}
		if !covered {
			return granted
		}
	}
	return union(nil, arns)
}

// grantedForPolicy is the granted resources as an Allow can write them:
// a NotResource grant ("* except ...") becomes *.
func grantedForPolicy(rs []string) []string {
	var out []string
	for _, r := range rs {
		if strings.HasPrefix(r, "* except ") {
			r = "*"
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return []string{"*"}
	}
	out = union(nil, out)
	for _, r := range out {
		if r == "*" {
			return []string{"*"}
		}
	}
	return out
}

// sidOf names a statement after the services of its actions.
func sidOf(actions []string) string {
	var b strings.Builder
	seen := map[string]bool{}
	for _, a := range actions {
		svc, _, _ := strings.Cut(a, ":")
		if seen[svc] {
			continue
		}
		seen[svc] = true
		for _, part := range strings.FieldsFunc(svc, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	s := b.String()
	if s == "" || len(s) > 60 {
		return "UsedActions"
	}
	return s
}

func oneOrMany(l []string) any {
	if len(l) == 1 {
		return l[0]
	}
	return l
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// k8sRule is a rule of a recommended Role.
type k8sRule struct {
	APIGroups     []string `yaml:"apiGroups"`
	Resources     []string `yaml:"resources"`
	ResourceNames []string `yaml:"resourceNames,omitempty"`
	Verbs         []string `yaml:"verbs"`
}

type k8sRole struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace,omitempty"`
	} `yaml:"metadata"`
	Rules []k8sRule `yaml:"rules"`
}

// k8sRoles writes a Role per namespace the identity used its permissions
// in (a ClusterRole for those used cluster-wide), each rule a resource
// with the verbs used, narrowed to the resource names the events show for
// the verbs that take names.
func k8sRoles(id *Identity, rec *Recommendation) {
	rec.Kind, rec.Format = "kubernetes-role", "yaml"
	type ruleKey struct{ ns, group, resource, names string }
	verbs := map[ruleKey][]string{}
	for i := range id.Permissions {
		p := &id.Permissions[i]
		if !p.Kept {
			continue
		}
		group, resource, verb := splitK8s(p.Name)
		byNS := map[string][]string{} // namespace ("" cluster) -> names used
		for _, t := range p.UsedResources {
			ns, name := k8sTarget(t)
			byNS[ns] = append(byNS[ns], name)
		}
		if len(byNS) == 0 {
			for _, g := range p.GrantedResources {
				ns, name := k8sGranted(g)
				byNS[ns] = append(byNS[ns], name)
			}
		}
		namedVerb := verb == "get" || verb == "update" || verb == "patch" || verb == "delete"
		for ns, names := range byNS {
			names = union(nil, nonEmpty(names))
			key := ruleKey{ns: ns, group: group, resource: resource}
			if namedVerb && len(names) > 0 && !p.ManyResources && !strings.HasPrefix(resource, "/") {
				key.names = strings.Join(names, "\x00")
			}
			verbs[key] = union(verbs[key], []string{verb})
		}
		if len(byNS) == 0 {
			key := ruleKey{group: group, resource: resource}
			verbs[key] = union(verbs[key], []string{verb})
		}
	}
	keys := make([]ruleKey, 0, len(verbs))
	for k := range verbs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.ns != b.ns {
			return a.ns < b.ns
		}
		if a.group != b.group {
			return a.group < b.group
		}
		if a.resource != b.resource {
			return a.resource < b.resource
		}
		return a.names < b.names
	})
	name := k8sName(id.ID)
	roles := map[string]*k8sRole{}
	var order []string
	for _, k := range keys {
		r := roles[k.ns]
		if r == nil {
			r = &k8sRole{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"}
			r.Metadata.Name, r.Metadata.Namespace = name, k.ns
			if k.ns == "" {
				r.Kind = "ClusterRole"
			}
			roles[k.ns] = r
			order = append(order, k.ns)
		}
		rule := k8sRule{APIGroups: []string{k.group}, Resources: []string{k.resource}, Verbs: verbs[k]}
		if strings.HasPrefix(k.resource, "/") {
			rule = k8sRule{Verbs: verbs[k]}
		}
		if k.names != "" {
			rule.ResourceNames = strings.Split(k.names, "\x00")
		}
		r.Rules = append(r.Rules, rule)
	}
	var docs []string
	for _, ns := range order {
		b, err := yaml.MarshalWithOptions(roles[ns], yaml.IndentSequence(true))
		if err != nil {
			rec.Notes = append(rec.Notes, "the role does not marshal: "+err.Error())
			return
		}
		docs = append(docs, string(b))
	}
	if len(docs) > 0 {
		rec.Artifact = "# Bind in place of: " + strings.Join(rec.Attachments, ", ") + "\n" + strings.Join(docs, "---\n")
		if len(rec.Attachments) == 0 {
			rec.Artifact = strings.Join(docs, "---\n")
		}
	}
	for _, k := range keys {
		if strings.HasPrefix(k.resource, "/") {
			rec.Notes = append(rec.Notes, "non-resource URLs are cluster-scoped: bind the ClusterRole with a ClusterRoleBinding")
			break
		}
	}
}

// splitK8s splits <resource>[.<group>][/sub]:<verb>.
func splitK8s(perm string) (group, resource, verb string) {
	i := strings.LastIndexByte(perm, ':')
	if i < 0 {
		return "", perm, ""
	}
	res, verb := perm[:i], perm[i+1:]
	if strings.HasPrefix(res, "/") {
		return "", res, verb
	}
	sub := ""
	if j := strings.IndexByte(res, '/'); j >= 0 {
		res, sub = res[:j], res[j:]
	}
	if k := strings.IndexByte(res, '.'); k >= 0 {
		return res[k+1:], res[:k] + sub, verb
	}
	return "", res + sub, verb
}

// k8sTarget reads an audit target id, <group>/namespaces/<ns>/<resource>/<name>
// or <group>/<resource>[/<name>], into its namespace and name.
func k8sTarget(t string) (ns, name string) {
	parts := strings.Split(t, "/")
	if len(parts) >= 3 && parts[1] == "namespaces" {
		ns = parts[2]
		if len(parts) >= 5 {
			name = parts[4]
		} else if len(parts) == 3 && parts[0] == "core" {
			return "", parts[2] // the namespace itself
		}
		return ns, name
	}
	if len(parts) >= 3 {
		return "", parts[2]
	}
	return "", ""
}

// k8sGranted reads a granted resource, namespaces/<ns>[/<name>] or *[/<name>].
func k8sGranted(g string) (ns, name string) {
	if rest, ok := strings.CutPrefix(g, "namespaces/"); ok {
		ns, name, _ = strings.Cut(rest, "/")
		return ns, name
	}
	_, name, _ = strings.Cut(g, "/")
	return "", name
}

// k8sName names the recommended role after the identity.
func k8sName(id string) string {
	native := id
	if parts := strings.SplitN(id, ":", 3); len(parts) == 3 {
		native = parts[2]
	}
	if rest, ok := strings.CutPrefix(native, "system:serviceaccount:"); ok {
		_, native, _ = strings.Cut(rest, ":")
	}
	return dnsName(native) + "-rightsized"
}

// dnsName lowers s to a DNS-1123 label.
func dnsName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
				b.WriteByte('-')
			}
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 50 {
		out = strings.Trim(out[:50], "-")
	}
	if out == "" {
		return "identity"
	}
	return out
}

// gcpRole writes a Google Cloud custom role of the used permissions, in
// the YAML `gcloud iam roles create --file` reads.
func gcpRole(id *Identity, rec *Recommendation) {
	rec.Kind, rec.Format = "gcp-custom-role", "yaml"
	if len(rec.Keep) == 0 {
		return
	}
	parts := strings.SplitN(id.ID, ":", 3)
	account, member := "", id.ID
	if len(parts) == 3 {
		account, member = parts[1], parts[2]
	}
	local, _, _ := strings.Cut(member, "@")
	roleID := strings.ReplaceAll(dnsName(local), "-", "_") + "_rightsized"
	role := struct {
		Title               string   `yaml:"title"`
		Description         string   `yaml:"description"`
		Stage               string   `yaml:"stage"`
		IncludedPermissions []string `yaml:"includedPermissions"`
	}{
		Title:               truncate(member+" (rightsized)", 100),
		Description:         truncate("The permissions "+member+" used; replaces "+strings.Join(rec.Attachments, ", "), 256),
		Stage:               "GA",
		IncludedPermissions: rec.Keep,
	}
	b, err := yaml.MarshalWithOptions(role, yaml.IndentSequence(true))
	if err != nil {
		rec.Notes = append(rec.Notes, "the role does not marshal: "+err.Error())
		return
	}
	rec.Artifact = fmt.Sprintf("# gcloud iam roles create %s --project=%s --file=ROLE.yaml\n%s", roleID, account, b)
	rec.Notes = append(rec.Notes, "bind the custom role to "+member+" on the resources it used, then remove the bindings of "+strings.Join(rec.Attachments, ", "))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// appAssignments lists the application assignments to remove.
func appAssignments(id *Identity, rec *Recommendation) {
	rec.Kind, rec.Format = "app-assignments", "text"
	var b strings.Builder
	if len(rec.Remove) > 0 {
		fmt.Fprintf(&b, "remove the assignments of %s to:\n", id.ID)
		for _, r := range rec.Remove {
			fmt.Fprintf(&b, "  %s\n", r)
		}
	}
	if len(rec.Keep) > 0 {
		fmt.Fprintf(&b, "keep:\n")
		for _, k := range rec.Keep {
			fmt.Fprintf(&b, "  %s\n", k)
		}
	}
	rec.Artifact = b.String()
}

// githubToken describes the token that replaces the identity's tokens.
func githubToken(id *Identity, rec *Recommendation) {
	rec.Kind, rec.Format = "github-token", "text"
	var classic, fine []string
	for _, k := range rec.Keep {
		if s, ok := strings.CutPrefix(k, "scope:"); ok {
			classic = append(classic, s)
		} else {
			fine = append(fine, k)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "replace the tokens of %s (%s) with one granting only:\n", id.ID, strings.Join(rec.Attachments, ", "))
	if len(classic) > 0 {
		fmt.Fprintf(&b, "  classic scopes: %s\n", strings.Join(classic, " "))
	}
	if len(fine) > 0 {
		fmt.Fprintf(&b, "  fine-grained permissions: %s\n", strings.Join(fine, " "))
	}
	rec.Artifact = b.String()
}
