// Package gcpaudit normalizes Google Cloud audit logs (Cloud Audit Logs
// LogEntry records whose protoPayload is a google.cloud.audit.AuditLog) into
// the event contract: Admin Activity, Data Access, System Event and Policy
// Denied logs of every service, with IAM policy and service account changes,
// service account keys and impersonation (IAM Credentials), Vertex AI
// inference, model management and training, Cloud Storage object reads,
// Secret Manager access and Cloud Logging sink changes mapped for detection.
// A Cloud Storage call targets its bucket (type "gcs_bucket"), as an S3
// data event does; the object is the attribute "gcp.gcs.object".
//
// Identity ids are "gcp:<account>:<principal>": a service account's account
// is the project (or project number) its e-mail names, a user's the
// configured organization (WithOrg) or, without one, the domain of their
// e-mail; a federated workload's is the project of its identity pool. The
// same principal gets the same id whatever project its events come from,
// so that cross-project access shows as Identity.Account differing from
// Target.Tenant.
package gcpaudit

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/srcjson"
	"github.com/aitdr/aitdr/schemas"
)

// Provider is the identity provider name of Google Cloud principals.
const Provider = "gcp"

// auditLogType is the @type of the protoPayload of audit log entries.
const auditLogType = "type.googleapis.com/google.cloud.audit.AuditLog"

// Source normalizes Cloud Audit Logs entries. It is safe for concurrent use.
type Source struct {
	org string
	now func() time.Time
}

var (
	_ ingest.Source   = (*Source)(nil)
	_ ingest.Splitter = (*Source)(nil)
)

// Option configures a Source.
type Option func(*Source)

// WithOrg sets the Google Cloud organization id of the events: the
// Source.Org of events from project logs, and the account of user
// identities ("gcp:<org>:<email>"). The default is empty: user identities
// then take the domain of their e-mail as account.
func WithOrg(id string) Option { return func(s *Source) { s.org = id } }

// WithClock sets the clock that bounds event times: an event more than a day
// after now is rejected as absurd. The default is time.Now.
func WithClock(now func() time.Time) Option { return func(s *Source) { s.now = now } }

// New returns a Source configured by opts.
func New(opts ...Option) *Source {
	s := &Source{now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Product returns schemas.ProductGCPAudit.
func (s *Source) Product() schemas.Product { return schemas.ProductGCPAudit }

// Detect reports whether record is a LogEntry with an AuditLog payload: a
// protoPayload with the AuditLog type, or with an audit log name.
func (s *Source) Detect(record []byte) bool {
	return bytes.Contains(record, []byte(`"protoPayload"`)) &&
		(bytes.Contains(record, []byte("google.cloud.audit.AuditLog")) ||
			bytes.Contains(record, []byte("cloudaudit.googleapis.com")))
}

// Split splits a JSON array of entries, or an entries.list response
// ({"entries": [...]}), and reports false for a single entry.
func (s *Source) Split(delivery []byte, emit func(record []byte) error) (bool, error) {
	if ok, err := srcjson.SplitArray("split gcp audit delivery", delivery, emit); ok {
		return ok, err
	}
	if !bytes.Contains(delivery, []byte(`"entries"`)) {
		return false, nil
	}
	var page struct {
		Entries srcjson.RawArray `json:"entries"`
	}
	if err := srcjson.Decode(delivery, &page); err != nil || page.Entries == nil {
		return false, nil
	}
	return srcjson.SplitArray("split gcp audit delivery", page.Entries, emit)
}

// Normalize fills ev from one audit log entry. It returns an error naming
// the field when the entry has no AuditLog payload, no timestamp (or an
// absurd one), no principal (except System Event entries, which Google
// writes without one), or a field of the wrong type; methods this source
// does not map normalize by their verb, or with the verb and category
// "other".
func (s *Source) Normalize(_ context.Context, record []byte, ev *schemas.Event) error {
	var le logEntry
	if err := srcjson.Decode(record, &le); err != nil {
		return fmt.Errorf("normalize gcp audit entry: %w", err)
	}
	if err := s.fill(&le, ev); err != nil {
		if le.InsertID != "" {
			return fmt.Errorf("normalize gcp audit entry %s: %w", srcjson.Excerpt(le.InsertID), err)
		}
		return fmt.Errorf("normalize gcp audit entry: %w", err)
	}
	return nil
}

// fill maps a decoded entry onto ev.
func (s *Source) fill(le *logEntry, ev *schemas.Event) error {
	p := le.ProtoPayload
	if p == nil {
		return ingest.Missing("protoPayload")
	}
	if p.Type != "" && p.Type != auditLogType {
		return ingest.Invalid("protoPayload.@type", "not an AuditLog: %q", srcjson.Excerpt(p.Type))
	}
	t, err := srcjson.ParseTime("timestamp", le.Timestamp, s.now())
	if err != nil {
		return err
	}
	insertID, err := srcjson.Key("insertId", le.InsertID)
	if err != nil {
		return err
	}
	methodName, err := srcjson.Key("protoPayload.methodName", p.MethodName)
	if err != nil {
		return err
	}
	if methodName == "" {
		return ingest.Missing("protoPayload.methodName")
	}
	service, err := srcjson.Key("protoPayload.serviceName", p.ServiceName)
	if err != nil {
		return err
	}
	resourceName, err := srcjson.Key("protoPayload.resourceName", p.ResourceName)
	if err != nil {
		return err
	}
	lt := logType(le.LogName)
	a := &attrs{}

	project, org := le.Resource.Labels.ProjectID, s.org
	switch {
	case strings.HasPrefix(le.LogName, "projects/"):
		project = cmp.Or(project, segment(le.LogName, 1))
	case strings.HasPrefix(le.LogName, "organizations/"):
		org = segment(le.LogName, 1)
	case strings.HasPrefix(le.LogName, "folders/"):
		a.set("gcp.folder", segment(le.LogName, 1))
	}
	ev.Time = t
	ev.Source = schemas.Source{
		Product: schemas.ProductGCPAudit,
		EventID: insertID,
		Org:     org,
		Project: srcjson.Clean(project),
		Region:  srcjson.Clean(region(le, resourceName)),
	}

	ev.Identity, ev.Session, err = s.principal(&p.AuthenticationInfo, project, a)
	if err != nil {
		if lt != "system_event" || !isMissing(err) {
			return err
		}
		ev.Identity, ev.Session = schemas.Principal{}, schemas.Session{}
		a.set("gcp.principal", "none")
	}

	c := classify(service, methodName, lt)
	verb := c.verb
	if c.category == schemas.CategoryIAMChange && strings.EqualFold(lastSegment(methodName), "SetIamPolicy") {
		verb = bindingChanges(p, a)
		if len(p.ServiceData.PolicyDelta.AuditConfigDeltas) > 0 || len(p.Metadata.PolicyDelta.AuditConfigDeltas) > 0 {
			c.category = schemas.CategoryLoggingChange
		}
	}
	ev.Action = schemas.Action{Name: methodName, Service: service, Verb: verb, Category: c.category}
	ev.Target = target(le, p, service, methodName, resourceName, project)
	ev.AI = schemas.AIContext{}
	if c.ai {
		ev.AI = aiContext(service, resourceName, &p.Request, a)
		if ev.AI.Model == "" && ev.Target.Type == "model" {
			ev.AI.Model = ev.Target.Name
		}
	}
	if service == serviceStorage {
		a.set(AttrGCSObject, storageObject(resourceName))
	}
	if sa := segmentAfter(ev.Target.ID, "serviceAccounts/"); sa != "" && ev.Target.Type == "service_account_key" {
		a.set("gcp.service_account", sa)
	}
	if service == serviceIAMCredentials {
		a.set("gcp.token_lifetime", string(p.Request.Lifetime))
		a.set("gcp.identity_delegation_chain", joinText(p.Metadata.IdentityDelegationChain))
	}

	ev.Outcome, ev.Error = schemas.OutcomeSuccess, schemas.ErrorDetail{}
	if code := string(p.Status.Code); code != "" && code != "0" {
		ev.Outcome = schemas.OutcomeFailure
		ev.Error = schemas.ErrorDetail{Code: grpcCode(srcjson.Clean(code)), Message: srcjson.Clean(p.Status.Message)}
	}
	ev.Network = schemas.Network{UserAgent: userAgent(p.RequestMetadata.CallerSuppliedUserAgent)}
	if ip, ok := srcjson.CanonicalIP(p.RequestMetadata.CallerIP); ok {
		ev.Network.SourceIP = ip
	} else {
		a.set("gcp.caller_ip", p.RequestMetadata.CallerIP)
	}
	ev.Volume = schemas.Volume{}
	if n, err := p.NumResponseItems.Int64(); err == nil && n > 0 {
		ev.Volume.Records = n
	}

	a.set("gcp.log_type", lt)
	a.set("gcp.severity", le.Severity)
	a.set("gcp.resource_type", le.Resource.Type)
	permissions(p.AuthorizationInfo, a)
	ev.Attributes = a.m
	return nil
}

// principal maps authenticationInfo to the identity and its session: a
// service account (by its key or through impersonation), a user, or a
// federated workload or workforce identity.
func (s *Source) principal(ai *authenticationInfo, project string, a *attrs) (schemas.Principal, schemas.Session, error) {
	email, err := srcjson.Key("protoPayload.authenticationInfo.principalEmail", ai.PrincipalEmail)
	if err != nil {
		return schemas.Principal{}, schemas.Session{}, err
	}
	subject, err := srcjson.Key("protoPayload.authenticationInfo.principalSubject", ai.PrincipalSubject)
	if err != nil {
		return schemas.Principal{}, schemas.Session{}, err
	}
	if email == "" {
		email = strings.TrimPrefix(strings.TrimPrefix(subject, "serviceAccount:"), "user:")
		if strings.HasPrefix(email, "principal:") || strings.HasPrefix(email, "principalSet:") {
			email = ""
		}
	}
	p := schemas.Principal{Provider: Provider}
	var sess schemas.Session
	switch {
	case strings.HasSuffix(email, ".gserviceaccount.com"):
		p.Kind, p.Type = schemas.KindService, "ServiceAccount"
		p.Account = serviceAccountProject(email)
		p.AccountType = schemas.AccountCorporate
		p.UID, p.Name, p.Email = email, email, email
	case strings.HasPrefix(email, "system:"):
		// A Kubernetes principal in GKE audit entries.
		p.Kind, p.Type = schemas.KindService, "KubernetesUser"
		if email == "system:anonymous" {
			p.Kind = schemas.KindUnknown
		} else if strings.HasPrefix(email, "system:serviceaccount:") {
			p.Type = "KubernetesServiceAccount"
		}
		p.Account = project
		p.UID, p.Name = email, email
	case strings.Contains(email, "@"):
		p.Kind, p.Type = schemas.KindHuman, "User"
		_, domain, _ := strings.Cut(email, "@")
		domain = strings.ToLower(domain)
		p.Account = cmp.Or(s.org, domain)
		p.AccountType = schemas.AccountCorporate
		if consumerDomains[domain] {
			p.AccountType = schemas.AccountPersonal
		}
		p.UID, p.Name, p.Email = email, email, email
	case strings.Contains(subject, "/workloadIdentityPools/"):
		p.Kind, p.Type = schemas.KindService, "WorkloadIdentity"
		p.Account = segmentAfter(subject, "/projects/")
		p.AccountType = schemas.AccountCorporate
		p.UID, p.Name = subject, rest(subject, "/subject/")
		sess.CredentialType = schemas.CredentialWorkloadIdentity
	case strings.Contains(subject, "/workforcePools/"):
		p.Kind, p.Type = schemas.KindHuman, "WorkforceIdentity"
		p.Account = cmp.Or(s.org, segmentAfter(subject, "/workforcePools/"))
		p.AccountType = schemas.AccountCorporate
		p.UID, p.Name = subject, rest(subject, "/subject/")
		sess.CredentialType = schemas.CredentialSSO
	case email != "" || subject != "":
		p.Kind, p.Type = schemas.KindUnknown, "Principal"
		p.Account = project
		p.UID = cmp.Or(email, subject)
		p.Name = p.UID
	default:
		return schemas.Principal{}, schemas.Session{}, ingest.Missing("protoPayload.authenticationInfo.principalEmail")
	}
	p.ID = Provider + ":" + p.Account + ":" + p.UID

	if k := ai.ServiceAccountKeyName; k != "" {
		sess.CredentialType = schemas.CredentialAccessKey
		p.CredentialID = srcjson.Clean(k)
		if i := strings.LastIndex(k, "/keys/"); i >= 0 {
			p.CredentialID = srcjson.Clean(k[i+len("/keys/"):])
		}
	}
	var chain []string
	for _, d := range ai.ServiceAccountDelegationInfo {
		if who := cmp.Or(d.FirstPartyPrincipal.PrincipalEmail, d.PrincipalSubject); who != "" {
			chain = append(chain, who)
		}
	}
	if len(chain) > 0 {
		sess.Issuer = srcjson.Clean(chain[0])
		if sess.CredentialType == "" {
			sess.CredentialType = schemas.CredentialSessionToken
		}
		a.set("gcp.delegation_chain", strings.Join(chain, ","))
	}
	if subject != "" && subject != "serviceAccount:"+email && subject != "user:"+email && p.UID != subject {
		a.set("gcp.principal_subject", subject)
	}
	return p, sess, nil
}

// bindingChanges records the role bindings a SetIamPolicy added and
// removed, and returns grant when it added any, revoke when it only removed,
// update otherwise.
func bindingChanges(p *auditLog, a *attrs) schemas.Verb {
	var added, removed []string
	for _, md := range []*metadata{&p.ServiceData, &p.Metadata} {
		for _, d := range md.PolicyDelta.BindingDeltas {
			b := string(d.Role) + "=" + string(d.Member)
			switch strings.ToUpper(string(d.Action)) {
			case "ADD":
				added = append(added, b)
			case "REMOVE":
				removed = append(removed, b)
			}
		}
		for _, d := range md.PolicyDelta.AuditConfigDeltas {
			a.set("gcp.iam.audit_config_delta", string(d.Action)+" "+string(d.Service)+" "+string(d.LogType))
		}
	}
	a.set("gcp.iam.bindings_added", strings.Join(added, ","))
	a.set("gcp.iam.bindings_removed", strings.Join(removed, ","))
	switch {
	case len(added) > 0:
		return schemas.VerbGrant
	case len(removed) > 0:
		return schemas.VerbRevoke
	}
	return schemas.VerbUpdate
}

// target maps the resource of the call. Methods whose resourceName is a
// collection or an opaque id name their real target in the request or the
// response: the service account a token or key is for, the new service
// account, the model deployed.
func target(le *logEntry, p *auditLog, service, methodName, resourceName, project string) schemas.Target {
	name := resourceName
	op := lastSegment(methodName)
	switch {
	case service == serviceIAMCredentials:
		name = cmp.Or(string(p.Request.Name), resourceName)
		if email := le.Resource.Labels.EmailID; email != "" && !strings.Contains(name, "@") {
			name = "projects/-/serviceAccounts/" + email
		}
	case service == serviceIAM && op == "CreateServiceAccount":
		if email := string(p.Response.Email); email != "" {
			name = "projects/" + cmp.Or(segment(resourceName, 1), project) + "/serviceAccounts/" + email
		} else if id := string(p.Request.AccountID); id != "" {
			name = resourceName + "/serviceAccounts/" + id
		}
	case service == serviceIAM && op == "CreateServiceAccountKey":
		name = cmp.Or(string(p.Response.Name), resourceName)
	case service == serviceAIPlatform && (strings.HasPrefix(op, "Create") || op == "UploadModel"):
		// The resource name is the parent location; the response names
		// what was created (or the operation creating it).
		if created := string(p.Response.Name); created != "" {
			if i := strings.Index(created, "/operations/"); i >= 0 {
				created = created[:i]
			}
			if t := targetOf(created); t.Type != "" && t.Type != "location" {
				name = created
			}
		}
	}
	t := targetOf(name)
	if t.Type == "" {
		t.Type = singular(snakeResource(le.Resource.Type))
	}
	if (t.Type == "location" || t.Type == "project") && strings.HasPrefix(op, "Create") && len(op) > len("Create") {
		// A create whose result is not named: type it after the method
		// ("CreateCustomJob" creates a custom_job).
		t.Type = singular(op[len("Create"):])
		t.Name = srcjson.Clean(cmp.Or(string(p.Request.TrainingPipeline.DisplayName), string(p.Request.CustomJob.DisplayName), t.Name))
	}
	t.Tenant = project
	if rp := cmp.Or(resourceProject(name), resourceProject(resourceName)); rp != "" && (project == "" || !isNumber(rp)) {
		// A project number cannot be compared with a project id: only a
		// project id tells a cross-project target.
		t.Tenant = rp
	}
	if service == serviceStorage {
		t = storageTarget(t, name)
	}
	return t
}

// TargetTypeGCSBucket is the target type of Cloud Storage calls: the
// bucket, as CloudTrail's S3 data events name the bucket ("s3_bucket");
// the object of an object call is the attribute AttrGCSObject, as the S3
// key is "aws.s3.key". A store is what has an owner, a classification and
// a usual set of readers; its objects come and go.
const TargetTypeGCSBucket = "gcs_bucket"

// AttrGCSObject is the attribute holding the object name of a Cloud
// Storage object call ("exports/2025-05/tickets-0001.jsonl").
const AttrGCSObject = "gcp.gcs.object"

// storageTarget makes the target of a Cloud Storage call its bucket
// ("projects/_/buckets/<bucket>"); a call on something else (a project's
// HMAC keys, a notification config) keeps its target.
func storageTarget(t schemas.Target, name string) schemas.Target {
	path := strings.TrimPrefix(name, "//storage.googleapis.com/")
	i := strings.Index(path, "buckets/")
	if i < 0 {
		return t
	}
	bucket := path[i+len("buckets/"):]
	if j := strings.IndexByte(bucket, '/'); j >= 0 {
		rest := bucket[j+1:]
		bucket = bucket[:j]
		if !strings.HasPrefix(rest, "objects/") {
			return t // a bucket's ACL, notification or other sub-resource
		}
	}
	if bucket == "" {
		return t
	}
	t.Type = TargetTypeGCSBucket
	t.ID = srcjson.Clean(path[:i] + "buckets/" + bucket)
	t.Name = srcjson.Clean(bucket)
	return t
}

// storageObject returns the object a Cloud Storage resource name names
// ("projects/_/buckets/b/objects/o" is "o"), or "".
func storageObject(name string) string {
	i := strings.Index(name, "/objects/")
	if i < 0 || !strings.Contains(name[:i], "buckets/") {
		return ""
	}
	return name[i+len("/objects/"):]
}

// isNumber reports whether s is all digits.
func isNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// targetOf maps a resource name ("projects/p/secrets/s/versions/3") to a
// target: the type of its last collection, the full name as id and the
// last id as name. Keys and versions are typed after their parent
// ("service_account_key", "secret_version").
func targetOf(name string) schemas.Target {
	if name == "" {
		return schemas.Target{}
	}
	t := schemas.Target{ID: srcjson.Clean(name)}
	path := strings.TrimPrefix(name, "//")
	if i := strings.Index(path, "/objects/"); i >= 0 && strings.Contains(path[:i], "buckets/") {
		t.Type, t.Name = "storage_object", srcjson.Clean(path[i+len("/objects/"):])
		return t
	}
	parts := strings.Split(path, "/")
	if len(parts) >= 2 && strings.Contains(parts[0], ".") {
		parts = parts[1:] // a service host prefix
	}
	if len(parts)%2 != 0 {
		t.Name = srcjson.Clean(parts[len(parts)-1])
		return t
	}
	n := len(parts)
	collection, id := parts[n-2], parts[n-1]
	t.Type, t.Name = singular(collection), srcjson.Clean(id)
	if (collection == "keys" || collection == "versions") && n >= 4 {
		t.Type = singular(parts[n-4]) + "_" + t.Type
		if collection == "versions" {
			// A secret version is known by its secret.
			t.Name = srcjson.Clean(parts[n-3])
		}
	}
	return t
}

// aiContext maps the model a Vertex AI or Gemini API call used or managed:
// a publisher model ("publishers/google/models/gemini-2.0-flash"), a model
// of the registry ("models/123"), or the model a deployment names.
func aiContext(service, resourceName string, r *request, a *attrs) schemas.AIContext {
	ai := schemas.AIContext{Provider: "google.vertex", Service: "vertex_ai"}
	if service == serviceGenerativeLang {
		ai = schemas.AIContext{Provider: "google", Service: "gemini_api"}
	}
	for _, name := range []string{resourceName, string(r.Model), string(r.Setup.Model), string(r.DeployedModel.Model), string(r.Endpoint)} {
		if m := segmentAfter(name, "models/"); m != "" {
			ai.Model = srcjson.Clean(m)
			if pub := segmentAfter(name, "publishers/"); pub != "" {
				a.set("gcp.model_publisher", pub)
			}
			break
		}
	}
	if ai.Model == "" {
		a.set("gcp.endpoint", segmentAfter(resourceName, "endpoints/"))
	}
	a.set("gcp.job_display_name", cmp.Or(string(r.TrainingPipeline.DisplayName), string(r.CustomJob.DisplayName)))
	return ai
}

// permissions records the permissions checked for the call: those granted
// (the permissions the principal used, for rightsizing) and those denied.
func permissions(infos []authorizationInfo, a *attrs) {
	var granted, denied []string
	for _, ai := range infos {
		if ai.Permission == "" {
			continue
		}
		list := &denied
		if ai.Granted {
			list = &granted
		}
		dup := false
		for _, p := range *list {
			if p == ai.Permission {
				dup = true
				break
			}
		}
		if !dup {
			*list = append(*list, ai.Permission)
		}
	}
	a.set("gcp.permissions", strings.Join(granted, ","))
	a.set("gcp.permissions_denied", strings.Join(denied, ","))
}

// region is the location of the call: the resource's labels, a location
// in the resource name, or the resource location.
func region(le *logEntry, resourceName string) string {
	l := &le.Resource.Labels
	if r := cmp.Or(l.Region, l.Location); r != "" && r != "global" {
		return r
	}
	if z := l.Zone; z != "" {
		if i := strings.LastIndexByte(z, '-'); i > 0 {
			return z[:i]
		}
		return z
	}
	for _, key := range []string{"locations/", "regions/"} {
		if r := segmentAfter(resourceName, key); r != "" && r != "global" && r != "-" {
			return r
		}
	}
	if z := segmentAfter(resourceName, "zones/"); z != "" {
		if i := strings.LastIndexByte(z, '-'); i > 0 {
			return z[:i]
		}
	}
	if locs := le.ProtoPayload.ResourceLocation.CurrentLocations; len(locs) > 0 && locs[0] != "global" {
		return locs[0]
	}
	return cmp.Or(l.Region, l.Location)
}

// serviceAccountProject returns the project, or project number, a service
// account e-mail names: "<name>@<project>.iam.gserviceaccount.com",
// "<project>@appspot.gserviceaccount.com",
// "<number>-compute@developer.gserviceaccount.com" and the Google-managed
// "service-<number>@gcp-sa-<service>.iam.gserviceaccount.com".
func serviceAccountProject(email string) string {
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

// resourceProject returns the project a resource name starts with, unless
// it is a wildcard ("_", "-").
func resourceProject(name string) string {
	p := segmentAfter(name, "projects/")
	if p == "_" || p == "-" {
		return ""
	}
	return p
}

// segmentAfter returns the path segment that follows key in name.
func segmentAfter(name, key string) string {
	i := strings.Index(name, key)
	if i < 0 {
		return ""
	}
	rest := name[i+len(key):]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// rest returns what follows key in name, or "".
func rest(name, key string) string {
	if i := strings.Index(name, key); i >= 0 {
		return name[i+len(key):]
	}
	return ""
}

// segment returns the i-th "/"-separated segment of name.
func segment(name string, i int) string {
	for ; i > 0; i-- {
		j := strings.IndexByte(name, '/')
		if j < 0 {
			return ""
		}
		name = name[j+1:]
	}
	if j := strings.IndexByte(name, '/'); j >= 0 {
		return name[:j]
	}
	return name
}

// lastSegment returns what follows the last "." of a method name.
func lastSegment(methodName string) string {
	return methodName[strings.LastIndexByte(methodName, '.')+1:]
}

// snakeResource turns a monitored resource type ("gce_instance") into a
// target type, dropping the product prefix.
func snakeResource(t string) string {
	switch t {
	case "", "audited_resource", "api":
		return ""
	}
	for _, prefix := range []string{"gce_", "gcs_", "gke_"} {
		t = strings.TrimPrefix(t, prefix)
	}
	return t
}

// userAgent drops the ",gzip(gfe)" suffixes Google's front ends append.
func userAgent(ua string) string {
	for strings.HasSuffix(ua, ",gzip(gfe)") {
		ua = strings.TrimSuffix(ua, ",gzip(gfe)")
	}
	return srcjson.Clean(ua)
}

// joinText joins non-empty values with commas.
func joinText(values []srcjson.Text) string {
	var b strings.Builder
	for _, v := range values {
		if v == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(string(v))
	}
	return b.String()
}

// isMissing reports whether err is a FieldError for a missing field.
func isMissing(err error) bool {
	var fe *ingest.FieldError
	return errors.As(err, &fe) && fe.Problem == "missing"
}

// attrs collects event attributes, allocating the map on first use.
type attrs struct{ m map[string]string }

// set records k=v unless v is empty.
func (a *attrs) set(k, v string) {
	if v == "" {
		return
	}
	if a.m == nil {
		a.m = make(map[string]string, 8)
	}
	a.m[k] = srcjson.Clean(v)
}
