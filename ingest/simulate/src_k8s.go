package simulate

import (
	"strings"
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// Kubernetes audit events (audit.k8s.io/v1 Event at the Metadata level),
// each annotated with its cluster as the log shipper adds it, so that one
// ingest source reads every cluster.

type k8sEvent struct {
	Kind                     string            `json:"kind"`
	APIVersion               string            `json:"apiVersion"`
	Level                    string            `json:"level"`
	AuditID                  string            `json:"auditID"`
	Stage                    string            `json:"stage"`
	RequestURI               string            `json:"requestURI"`
	Verb                     string            `json:"verb"`
	User                     k8sUser           `json:"user"`
	SourceIPs                []string          `json:"sourceIPs"`
	UserAgent                string            `json:"userAgent"`
	ObjectRef                k8sObjectRef      `json:"objectRef"`
	ResponseStatus           k8sStatus         `json:"responseStatus"`
	RequestReceivedTimestamp string            `json:"requestReceivedTimestamp"`
	StageTimestamp           string            `json:"stageTimestamp"`
	Annotations              map[string]string `json:"annotations"`
}

type k8sUser struct {
	Username string              `json:"username"`
	UID      string              `json:"uid,omitempty"`
	Groups   []string            `json:"groups"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

type k8sObjectRef struct {
	Resource   string `json:"resource"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name,omitempty"`
	APIGroup   string `json:"apiGroup,omitempty"`
	APIVersion string `json:"apiVersion"`
}

type k8sStatus struct {
	Metadata struct{} `json:"metadata"`
	Code     int      `json:"code"`
}

// k8sCall is one API request.
type k8sCall struct {
	verb, resource, group, version, namespace, name string
	category                                        schemas.Category
}

// k8sPrincipal is who calls the API server.
type k8sPrincipal struct {
	username, uid string
	groups        []string
	pod, ip, ua   string
	identity      string
}

const k8sTime = "2006-01-02T15:04:05.000000Z"

func (g *engine) k8sAudit(r rng, t time.Time, cluster string, p *k8sPrincipal, c k8sCall) Record {
	path := "/api/" + c.version
	if c.group != "" {
		path = "/apis/" + c.group + "/" + c.version
	}
	if c.namespace != "" {
		path += "/namespaces/" + c.namespace
	}
	path += "/" + c.resource
	if c.name != "" {
		path += "/" + c.name
	}
	code := 200
	if c.verb == "create" {
		code = 201
	}
	u := k8sUser{Username: p.username, UID: p.uid, Groups: p.groups}
	if p.pod != "" {
		u.Extra = map[string][]string{
			"authentication.kubernetes.io/credential-id": {"JTI=" + r.uuid()},
			"authentication.kubernetes.io/pod-name":      {p.pod},
		}
	}
	e := k8sEvent{
		Kind: "Event", APIVersion: "audit.k8s.io/v1", Level: "Metadata",
		AuditID:    r.uuid(),
		Stage:      "ResponseComplete",
		RequestURI: path,
		Verb:       c.verb,
		User:       u,
		SourceIPs:  []string{p.ip},
		UserAgent:  p.ua,
		ObjectRef: k8sObjectRef{Resource: c.resource, Namespace: c.namespace, Name: c.name,
			APIGroup: c.group, APIVersion: c.version},
		ResponseStatus:           k8sStatus{Code: code},
		RequestReceivedTimestamp: t.UTC().Format(k8sTime),
		StageTimestamp:           t.Add(time.Duration(2+r.IntN(30)) * time.Millisecond).UTC().Format(k8sTime),
		Annotations: map[string]string{
			"aitdr.io/cluster":                cluster,
			"authorization.k8s.io/decision":   "allow",
			"authorization.k8s.io/reason":     "RBAC: allowed by RoleBinding",
			"pod-security.kubernetes.io/mode": "enforce",
		},
	}
	return g.record(schemas.ProductK8sAudit, t, t, e.AuditID, p.identity, c.category, e)
}

// serviceAccountPrincipal is the principal of a pod's service account.
func serviceAccountPrincipal(cluster, namespace, name, pod, ip, ua string) *k8sPrincipal {
	return &k8sPrincipal{
		username: "system:serviceaccount:" + namespace + ":" + name,
		groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"},
		pod:      pod, ip: ip, ua: ua,
		identity: "kubernetes:" + cluster + ":system:serviceaccount:" + namespace + ":" + name,
	}
}

// personPrincipal is a person using kubectl, signed in through the
// cluster's OIDC provider under their e-mail.
func personPrincipal(cluster string, p *person) *k8sPrincipal {
	return &k8sPrincipal{
		username: p.email,
		groups:   []string{"oidc:" + strings.ReplaceAll(p.team, "_", "-"), "system:authenticated"},
		ip:       p.officeIP,
		ua:       "kubectl/v1.31.2 (darwin/arm64) kubernetes/5864a46",
		identity: p.k8sIdentity(cluster),
	}
}
