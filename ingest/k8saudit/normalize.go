// Package k8saudit normalizes Kubernetes API server audit events
// (audit.k8s.io/v1 Event, as the log and webhook backends write them, and
// the EventList batches of the webhook backend).
//
// # Identity and cluster
//
// The principal is "kubernetes:<cluster>:<username>". An audit event does
// not name its cluster, so the cluster comes from, in order: an annotation
// of the event added by the shipper or an admission webhook
// ("aitdr.io/cluster", "cluster", "cluster-name" or "cluster_name"), the
// WithCluster option, and "default". Set WithCluster per input (one raw
// topic or endpoint per cluster) so that two clusters' "kubernetes-admin"
// stay two identities.
//
// When the request impersonated another user (kubectl --as), the
// impersonated user is the identity: it is whose permissions acted. The
// authenticated user who impersonated is Session.Issuer, and the
// credential is theirs.
//
// Service accounts (system:serviceaccount:<ns>:<name>), nodes, control-plane
// components (system:*) and EKS service users (eks:*) are services; users
// named by e-mail are humans; others (kubernetes-admin, IAM role ARNs,
// certificate common names) are unknown. A bound service account token
// (extra authentication.kubernetes.io/credential-id "JTI=...") is a session
// token, a client certificate ("X509SHA256=...") a certificate, an EKS IAM
// access key (extra accessKeyId) an access key or a session token by its
// prefix.
//
// # Stages and event ids
//
// Every stage normalizes; "k8s.stage" in the attributes tells them apart so
// that rules can keep only ResponseComplete. Source.EventID is the auditID
// for the final stages (ResponseComplete, Panic) and "<auditID>/<stage>" for
// RequestReceived and ResponseStarted, so that the stages of one request do
// not collapse into one event id when a policy records several. The event
// time is requestReceivedTimestamp, the same for every stage of a request.
//
// # Categories
//
// Secrets (any verb) are secret_access; writes to Roles, RoleBindings,
// ClusterRoles, ClusterRoleBindings, ServiceAccounts (including TokenRequest,
// serviceaccounts/token create) and CertificateSigningRequests are
// iam_change; access reviews are authorization and token reviews
// authentication; pods/exec, attach, portforward and proxy requests are
// admin with Verb invoke, the subresource kept in Target.Type; KServe,
// Seldon and KubeRay serving resources are model_management; Kubeflow
// training jobs, Katib, Kubeflow Pipelines, Argo Workflows and KubeRay jobs
// are training_pipeline; ConfigMaps are data_access; other writes are admin
// and other reads other. A response with an error status (403 and 401
// included) is a failure with the status reason ("Forbidden") as error code.
//
// # Content
//
// At the Request and RequestResponse levels an event carries the request and
// response objects. For Secrets, TokenRequests and TokenReviews those hold
// credentials, so RedactContent replaces them before the raw record is kept;
// the other objects are left to the audit policy.
package k8saudit

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	json "github.com/goccy/go-json"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/srcjson"
	"github.com/aitdr/aitdr/schemas"
)

// Provider is the identity provider name of Kubernetes principals.
const Provider = "kubernetes"

// DefaultCluster is the cluster of events when neither the event nor the
// WithCluster option names one.
const DefaultCluster = "default"

// Audit stages.
const (
	stageRequestReceived  = "RequestReceived"
	stageResponseStarted  = "ResponseStarted"
	stageResponseComplete = "ResponseComplete"
	stagePanic            = "Panic"
)

// Source normalizes Kubernetes audit events. It is safe for concurrent use.
type Source struct {
	cluster string
}

var (
	_ ingest.Source   = (*Source)(nil)
	_ ingest.Splitter = (*Source)(nil)
)

// Option configures a Source.
type Option func(*Source)

// WithCluster sets the cluster name of events that do not name theirs in
// an annotation. The default is DefaultCluster.
func WithCluster(name string) Option {
	return func(s *Source) {
		if name != "" {
			s.cluster = name
		}
	}
}

// New returns a Kubernetes audit source.
func New(opts ...Option) *Source {
	s := &Source{cluster: DefaultCluster}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Product returns schemas.ProductK8sAudit.
func (*Source) Product() schemas.Product { return schemas.ProductK8sAudit }

var (
	keyAuditID    = []byte(`"auditID"`)
	keyAPIVersion = []byte(`"audit.k8s.io/`)
	keyStage      = []byte(`"stage"`)
	keyEventList  = []byte(`"EventList"`)
)

// Detect reports whether record looks like an audit event or an EventList:
// an "auditID" key beside the audit.k8s.io API version or a "stage" key.
func (*Source) Detect(record []byte) bool {
	return bytes.Contains(record, keyAuditID) &&
		(bytes.Contains(record, keyAPIVersion) || bytes.Contains(record, keyStage))
}

// eventList is an audit.k8s.io EventList, the batch the webhook backend
// posts.
type eventList struct {
	Kind       string            `json:"kind"`
	APIVersion string            `json:"apiVersion"`
	Items      []json.RawMessage `json:"items"`
}

// Split splits an EventList into its events. It reports false for anything
// else, a single Event included.
func (*Source) Split(delivery []byte, emit func(record []byte) error) (bool, error) {
	if !bytes.Contains(delivery, keyEventList) {
		return false, nil
	}
	d := bytes.TrimLeft(delivery, " \t\r\n")
	if len(d) == 0 || d[0] != '{' {
		return false, nil
	}
	var l eventList
	if err := decode(d, &l); err != nil {
		// A list whose kind could not be read may not be an audit list.
		if l.Kind != "EventList" {
			return false, nil
		}
		return true, fmt.Errorf("split kubernetes audit event list: %w", err)
	}
	if l.Kind != "EventList" || (l.APIVersion != "" && !strings.HasPrefix(l.APIVersion, "audit.k8s.io/")) {
		return false, nil
	}
	for i, item := range l.Items {
		if err := emit(item); err != nil {
			return true, fmt.Errorf("split kubernetes audit event list: items[%d]: %w", i, err)
		}
	}
	return true, nil
}

// Normalize fills ev from one audit Event.
func (s *Source) Normalize(_ context.Context, b []byte, ev *schemas.Event) error {
	var e event
	if err := decode(b, &e); err != nil {
		return err
	}
	if err := check(b, &e); err != nil {
		return err
	}
	t, err := eventTime(&e)
	if err != nil {
		return err
	}
	ev.Time = t

	cluster := e.Annotations.cluster()
	if cluster == "" {
		cluster = s.cluster
	}
	ev.Source = schemas.Source{Product: schemas.ProductK8sAudit, EventID: eventID(&e), Account: cluster}

	attrs := make(map[string]string, 16)
	actor, issuer := &e.User, ""
	if e.ImpersonatedUser.set() {
		actor, issuer = &e.ImpersonatedUser, e.User.Username
	}
	ev.Identity = principal(actor, cluster)
	ev.Session = session(&e.User.Extra, issuer)
	if c := first(e.User.Extra.CredentialID); c != "" {
		ev.Identity.CredentialID = c
	} else if k := first(e.User.Extra.AccessKeyID); k != "" {
		ev.Identity.CredentialID = k
	}

	ev.Action = schemas.Action{
		Name:     actionName(&e),
		Verb:     verbOf(e.Verb, e.ObjectRef.Subresource),
		Category: categoryOf(e.Verb, ref(&e)),
	}
	if e.ObjectRef.Resource != "" {
		ev.Action.Service = e.ObjectRef.APIGroup
		if ev.Action.Service == "" {
			ev.Action.Service = "core"
		}
		if w, ok := aiWorkloadOf(e.ObjectRef.APIGroup, e.ObjectRef.Resource); ok && w.service != "" {
			ev.AI = schemas.AIContext{Service: w.service}
		}
	}
	ev.Target = target(&e, cluster)
	ev.Outcome, ev.Error = outcome(&e)
	ev.Network = network(&e, attrs)
	attributes(&e, actor, attrs)
	if len(attrs) > 0 {
		ev.Attributes = attrs
	}
	return nil
}

// check checks the fields that identify the event, its actor and its
// action: present, of the right kind, valid UTF-8. The decoder replaces
// invalid bytes by U+FFFD, so a key field holding U+FFFD in a record that is
// not valid UTF-8 had invalid bytes.
func check(b []byte, e *event) error {
	if e.Kind != "" && e.Kind != "Event" {
		return ingest.Invalid("kind", "%q is not an audit Event", srcjson.Clip(e.Kind, maxQuoted, "..."))
	}
	if e.APIVersion != "" && !strings.HasPrefix(e.APIVersion, "audit.k8s.io/") {
		return ingest.Invalid("apiVersion", "%q is not an audit.k8s.io version", srcjson.Clip(e.APIVersion, maxQuoted, "..."))
	}
	if e.User.Username == "" {
		return ingest.Missing("user.username")
	}
	if e.ImpersonatedUser.set() && e.ImpersonatedUser.Username == "" {
		return ingest.Missing("impersonatedUser.username")
	}
	if e.Verb == "" {
		return ingest.Missing("verb")
	}
	fields := [...]struct{ name, value string }{
		{"auditID", e.AuditID}, {"verb", e.Verb}, {"stage", e.Stage}, {"user.username", e.User.Username},
		{"impersonatedUser.username", e.ImpersonatedUser.Username}, {"objectRef.resource", e.ObjectRef.Resource},
		{"objectRef.namespace", e.ObjectRef.Namespace}, {"objectRef.name", e.ObjectRef.Name},
		{"objectRef.subresource", e.ObjectRef.Subresource}, {"objectRef.apiGroup", e.ObjectRef.APIGroup},
	}
	for _, f := range fields {
		if strings.ContainsRune(f.value, utf8.RuneError) && !utf8.Valid(b) {
			return ingest.Invalid(f.name, "invalid UTF-8")
		}
	}
	return nil
}

// ref returns the event's object reference, or nil for a non-resource
// request.
func ref(e *event) *objectRef {
	if e.ObjectRef.Resource == "" {
		return nil
	}
	return &e.ObjectRef
}

// maxQuoted is how much of a bad value an error quotes.
const maxQuoted = 64

// eventTime returns requestReceivedTimestamp, else stageTimestamp, else the
// v1beta1 timestamp.
func eventTime(e *event) (time.Time, error) {
	field, v := "requestReceivedTimestamp", e.RequestReceivedTimestamp
	if v == "" {
		field, v = "stageTimestamp", e.StageTimestamp
	}
	if v == "" {
		field, v = "timestamp", e.Timestamp
	}
	if v == "" {
		return time.Time{}, ingest.Missing("requestReceivedTimestamp")
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, ingest.Invalid(field, "%q is not an RFC 3339 time", srcjson.Clip(v, maxQuoted, "..."))
	}
	t = t.UTC()
	if why := srcjson.Implausible(t, time.Now()); why != "" {
		return time.Time{}, ingest.Invalid(field, "%s is %s", t.Format(time.RFC3339Nano), why)
	}
	return t, nil
}

// eventID returns the source event id: the auditID for the final stages,
// "<auditID>/<stage>" for the others.
func eventID(e *event) string {
	if e.AuditID == "" {
		return ""
	}
	switch e.Stage {
	case "", stageResponseComplete, stagePanic:
		return e.AuditID
	}
	return e.AuditID + "/" + e.Stage
}

// first returns the first value of an extra key, or "".
func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// principal returns the identity of user in cluster.
func principal(u *userInfo, cluster string) schemas.Principal {
	kind, typ := principalKind(u.Username, u.Groups)
	p := schemas.Principal{
		ID:       "kubernetes:" + cluster + ":" + u.Username,
		Kind:     kind,
		Provider: Provider,
		Account:  cluster,
		Type:     typ,
		UID:      u.Username,
		Name:     u.Username,
	}
	switch typ {
	case "ServiceAccount":
		if rest, ok := strings.CutPrefix(u.Username, "system:serviceaccount:"); ok {
			if ns, name, ok := strings.Cut(rest, ":"); ok {
				p.Name, p.DisplayName = name, ns+"/"+name
			}
		}
	case "Node":
		p.Name = strings.TrimPrefix(u.Username, "system:node:")
	}
	if kind == schemas.KindHuman {
		p.Email = u.Username
	}
	return p
}

// session returns the session of the authenticated user's credential;
// issuer is who impersonated, if anyone.
func session(x *extra, issuer string) schemas.Session {
	s := schemas.Session{CredentialType: schemas.CredentialUnknown, Issuer: issuer}
	if c := first(x.CredentialID); c != "" {
		switch {
		case strings.HasPrefix(c, "JTI="):
			s.CredentialType = schemas.CredentialSessionToken
			s.ID = strings.TrimPrefix(c, "JTI=")
		case strings.HasPrefix(c, "X509SHA256="):
			s.CredentialType = schemas.CredentialCertificate
		}
		return s
	}
	if k := first(x.AccessKeyID); k != "" {
		switch {
		case strings.HasPrefix(k, "AKIA"):
			s.CredentialType = schemas.CredentialAccessKey
		case strings.HasPrefix(k, "ASIA"):
			s.CredentialType = schemas.CredentialSessionToken
		}
		s.ID = first(x.SessionName)
	}
	return s
}

// resourcePath returns "<resource>[/<subresource>]".
func resourcePath(r *objectRef) string {
	if r.Subresource == "" {
		return r.Resource
	}
	return r.Resource + "/" + r.Subresource
}

// requestPath returns the request URI without its query.
func requestPath(uri string) string {
	path, _, _ := strings.Cut(uri, "?")
	return path
}

// actionName returns "<verb> <resource>[/<subresource>]" for resource
// requests and "<verb> <path>" for non-resource requests, such as
// "create pods/exec" or "get /healthz".
func actionName(e *event) string {
	if e.ObjectRef.Resource != "" {
		return e.Verb + " " + resourcePath(&e.ObjectRef)
	}
	if p := requestPath(e.RequestURI); p != "" {
		return e.Verb + " " + p
	}
	return e.Verb
}

// target returns the object of the request: its type is the resource (with
// the subresource), its id "<group>/namespaces/<ns>/<resource>/<name>"
// ("core" for the core group, without the namespace part for cluster-scoped
// objects, without the name for collections).
func target(e *event, cluster string) schemas.Target {
	r := &e.ObjectRef
	if r.Resource == "" {
		if p := requestPath(e.RequestURI); p != "" {
			return schemas.Target{Type: "non_resource_url", ID: p, Name: p, Tenant: cluster}
		}
		return schemas.Target{}
	}
	group := r.APIGroup
	if group == "" {
		group = "core"
	}
	var id strings.Builder
	id.Grow(len(group) + len(r.Namespace) + len(r.Resource) + len(r.Name) + 16)
	id.WriteString(group)
	if r.Namespace != "" {
		id.WriteString("/namespaces/")
		id.WriteString(r.Namespace)
	}
	id.WriteByte('/')
	id.WriteString(r.Resource)
	if r.Name != "" {
		id.WriteByte('/')
		id.WriteString(r.Name)
	}
	return schemas.Target{Type: resourcePath(r), ID: id.String(), Name: r.Name, Tenant: cluster}
}

// outcome returns the outcome and error from the response status; before a
// response (RequestReceived) the outcome is unknown.
func outcome(e *event) (schemas.Outcome, schemas.ErrorDetail) {
	if st := &e.ResponseStatus; st.Code != 0 {
		if st.Code < 400 {
			return schemas.OutcomeSuccess, schemas.ErrorDetail{}
		}
		reason := st.Reason
		if reason == "" {
			reason = httpReason(st.Code)
		}
		return schemas.OutcomeFailure, schemas.ErrorDetail{Code: reason, Message: st.Message}
	}
	switch {
	case e.Stage == stagePanic:
		return schemas.OutcomeFailure, schemas.ErrorDetail{Code: "InternalError", Message: "panic while serving the request"}
	case e.Annotations.Decision == "forbid":
		return schemas.OutcomeFailure, schemas.ErrorDetail{Code: "Forbidden", Message: e.Annotations.Reason}
	}
	return schemas.OutcomeUnknown, schemas.ErrorDetail{}
}

// network returns the client address (the first of sourceIPs: the
// X-Forwarded-For client when a proxy set it, which the client can forge)
// and user agent; an address that does not parse is kept as an attribute.
func network(e *event, attrs map[string]string) schemas.Network {
	n := schemas.Network{UserAgent: e.UserAgent}
	if len(e.SourceIPs) > 0 {
		if ip, ok := srcjson.CanonicalIP(e.SourceIPs[0]); ok {
			n.SourceIP = ip
		} else {
			attrs["k8s.source_ip"] = e.SourceIPs[0]
		}
		if len(e.SourceIPs) > 1 {
			attrs["k8s.source_ips"] = strings.Join(e.SourceIPs, ",")
		}
	}
	return n
}

// attributes adds the extras worth keeping.
func attributes(e *event, actor *userInfo, attrs map[string]string) {
	add := func(k, v string) {
		if v != "" {
			attrs[k] = v
		}
	}
	add("k8s.stage", e.Stage)
	add("k8s.level", e.Level)
	add("k8s.request_uri", e.RequestURI)
	add("k8s.namespace", e.ObjectRef.Namespace)
	add("k8s.api_version", e.ObjectRef.APIVersion)
	add("k8s.user.uid", actor.UID)
	if len(actor.Groups) > 0 {
		attrs["k8s.user.groups"] = strings.Join(actor.Groups, ",")
	}
	x := &e.User.Extra
	add("k8s.user.pod_name", first(x.PodName))
	add("k8s.user.node_name", first(x.NodeName))
	add("k8s.user.arn", first(x.ARN))
	add("k8s.authz.decision", e.Annotations.Decision)
	add("k8s.authz.reason", e.Annotations.Reason)
	add("k8s.pod_security.enforce_policy", e.Annotations.PodSecurityEnforce)
	add("k8s.pod_security.audit_violations", e.Annotations.PodSecurityViolation)
	add("k8s.pod_security.exempt", e.Annotations.PodSecurityExempt)
}
