package simulate

import (
	"strings"
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// Google Cloud audit log entries: a LogEntry with an AuditLog payload, as
// Cloud Logging exports them.

type gcpEntry struct {
	ProtoPayload     gcpAuditLog `json:"protoPayload"`
	InsertID         string      `json:"insertId"`
	Resource         gcpResource `json:"resource"`
	Timestamp        string      `json:"timestamp"`
	Severity         string      `json:"severity"`
	LogName          string      `json:"logName"`
	ReceiveTimestamp string      `json:"receiveTimestamp"`
}

type gcpAuditLog struct {
	Type               string         `json:"@type"`
	Status             gcpStatus      `json:"status"`
	AuthenticationInfo gcpAuthn       `json:"authenticationInfo"`
	RequestMetadata    gcpRequestMeta `json:"requestMetadata"`
	ServiceName        string         `json:"serviceName"`
	MethodName         string         `json:"methodName"`
	AuthorizationInfo  []gcpAuthz     `json:"authorizationInfo"`
	ResourceName       string         `json:"resourceName"`
	Request            any            `json:"request,omitempty"`
	Response           any            `json:"response,omitempty"`
	ServiceData        any            `json:"serviceData,omitempty"`
}

type gcpStatus struct {
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

type gcpAuthn struct {
	PrincipalEmail        string `json:"principalEmail"`
	ServiceAccountKeyName string `json:"serviceAccountKeyName,omitempty"`
	PrincipalSubject      string `json:"principalSubject,omitempty"`
}

type gcpRequestMeta struct {
	CallerIP                string   `json:"callerIp"`
	CallerSuppliedUserAgent string   `json:"callerSuppliedUserAgent"`
	RequestAttributes       gcpAttrs `json:"requestAttributes"`
	DestinationAttributes   struct{} `json:"destinationAttributes"`
}

type gcpAttrs struct {
	Time string   `json:"time"`
	Auth struct{} `json:"auth"`
}

type gcpAuthz struct {
	Resource       string `json:"resource"`
	Permission     string `json:"permission"`
	Granted        bool   `json:"granted"`
	PermissionType string `json:"permissionType,omitempty"`
}

type gcpResource struct {
	Type   string            `json:"type"`
	Labels map[string]string `json:"labels"`
}

// gcpPrincipal is who makes a Google Cloud call.
type gcpPrincipal struct {
	email    string
	keyName  string // a service account key, when used
	identity string
	ip, ua   string
}

// gcpCall is one audited call.
type gcpCall struct {
	project, service, method, resource, permission, permType string
	dataAccess                                               bool // logged in the data_access log
	resourceType                                             string
	labels                                                   map[string]string
	request, response, serviceData                           any
	denied                                                   bool
	category                                                 schemas.Category
}

func (g *engine) gcpAudit(r rng, t time.Time, p *gcpPrincipal, c gcpCall) Record {
	log := "activity"
	severity := "NOTICE"
	if c.dataAccess {
		log, severity = "data_access", "INFO"
	}
	authn := gcpAuthn{PrincipalEmail: p.email, ServiceAccountKeyName: p.keyName}
	if strings.HasSuffix(p.email, ".gserviceaccount.com") {
		authn.PrincipalSubject = "serviceAccount:" + p.email
	} else {
		authn.PrincipalSubject = "user:" + p.email
	}
	status := gcpStatus{}
	if c.denied {
		status = gcpStatus{Code: 7, Message: "Permission '" + c.permission + "' denied on resource (or it may not exist)."}
		severity = "ERROR"
	}
	labels := map[string]string{"project_id": c.project}
	for k, v := range c.labels {
		labels[k] = v
	}
	resourceType := c.resourceType
	if resourceType == "" {
		resourceType = "audited_resource"
		labels["service"], labels["method"] = c.service, c.method
	}
	e := gcpEntry{
		ProtoPayload: gcpAuditLog{
			Type:               "type.googleapis.com/google.cloud.audit.AuditLog",
			Status:             status,
			AuthenticationInfo: authn,
			RequestMetadata: gcpRequestMeta{
				CallerIP: p.ip, CallerSuppliedUserAgent: p.ua,
				RequestAttributes: gcpAttrs{Time: t.UTC().Format(time.RFC3339Nano)},
			},
			ServiceName:       c.service,
			MethodName:        c.method,
			AuthorizationInfo: []gcpAuthz{{Resource: c.resource, Permission: c.permission, Granted: !c.denied, PermissionType: c.permType}},
			ResourceName:      c.resource,
			Request:           c.request,
			Response:          c.response,
			ServiceData:       c.serviceData,
		},
		InsertID:         r.chars(lowerAlnum, 12),
		Resource:         gcpResource{Type: resourceType, Labels: labels},
		Timestamp:        t.UTC().Format(time.RFC3339Nano),
		Severity:         severity,
		LogName:          "projects/" + c.project + "/logs/cloudaudit.googleapis.com%2F" + log,
		ReceiveTimestamp: t.Add(time.Duration(800+r.IntN(1500)) * time.Millisecond).UTC().Format(time.RFC3339Nano),
	}
	return g.record(schemas.ProductGCPAudit, t, t, e.InsertID, p.identity, c.category, e)
}

const vertexRegion = "us-central1"

func vertexGenerate(project, model string) gcpCall {
	res := "projects/" + project + "/locations/" + vertexRegion + "/publishers/google/models/" + model
	return gcpCall{
		project: project, service: "aiplatform.googleapis.com",
		method:   "google.cloud.aiplatform.v1.PredictionService.GenerateContent",
		resource: res, permission: "aiplatform.endpoints.predict", permType: "DATA_READ", dataAccess: true,
		request:  m{"@type": "type.googleapis.com/google.cloud.aiplatform.v1.GenerateContentRequest", "model": res},
		category: schemas.CategoryModelInference,
	}
}

func gcsGet(project, bucket, object string) gcpCall {
	res := "projects/_/buckets/" + bucket + "/objects/" + object
	return gcpCall{
		project: project, service: "storage.googleapis.com", method: "storage.objects.get",
		resource: res, permission: "storage.objects.get", dataAccess: true,
		resourceType: "gcs_bucket", labels: map[string]string{"bucket_name": bucket, "location": vertexRegion},
		category: schemas.CategoryDataAccess,
	}
}

func gcsCreate(project, bucket, object string) gcpCall {
	c := gcsGet(project, bucket, object)
	c.method, c.permission = "storage.objects.create", "storage.objects.create"
	return c
}

func vertexJob(project, name string) gcpCall {
	parent := "projects/" + project + "/locations/" + vertexRegion
	return gcpCall{
		project: project, service: "aiplatform.googleapis.com",
		method:   "google.cloud.aiplatform.v1.JobService.CreateCustomJob",
		resource: parent, permission: "aiplatform.customJobs.create", permType: "ADMIN_WRITE",
		request: m{"@type": "type.googleapis.com/google.cloud.aiplatform.v1.CreateCustomJobRequest", "parent": parent,
			"customJob": m{"displayName": name}},
		category: schemas.CategoryTrainingPipeline,
	}
}

func vertexUpload(project, model, artifact string) gcpCall {
	parent := "projects/" + project + "/locations/" + vertexRegion
	return gcpCall{
		project: project, service: "aiplatform.googleapis.com",
		method:   "google.cloud.aiplatform.v1.ModelService.UploadModel",
		resource: parent, permission: "aiplatform.models.upload", permType: "ADMIN_WRITE",
		request: m{"@type": "type.googleapis.com/google.cloud.aiplatform.v1.UploadModelRequest", "parent": parent,
			"model": m{"displayName": model, "artifactUri": artifact}},
		category: schemas.CategoryModelManagement,
	}
}

func vertexDeploy(project, endpoint, model string) gcpCall {
	res := "projects/" + project + "/locations/" + vertexRegion + "/endpoints/" + endpoint
	return gcpCall{
		project: project, service: "aiplatform.googleapis.com",
		method:   "google.cloud.aiplatform.v1.EndpointService.DeployModel",
		resource: res, permission: "aiplatform.endpoints.deploy", permType: "ADMIN_WRITE",
		request: m{"@type": "type.googleapis.com/google.cloud.aiplatform.v1.DeployModelRequest", "endpoint": res,
			"deployedModel": m{"model": "projects/" + project + "/locations/" + vertexRegion + "/models/" + model}},
		category: schemas.CategoryModelManagement,
	}
}

func gcpCreateServiceAccount(project, accountID, display string) gcpCall {
	email := accountID + "@" + project + ".iam.gserviceaccount.com"
	return gcpCall{
		project: project, service: "iam.googleapis.com", method: "google.iam.admin.v1.CreateServiceAccount",
		resource: "projects/" + project, permission: "iam.serviceAccounts.create", permType: "ADMIN_WRITE",
		resourceType: "service_account", labels: map[string]string{"email_id": email},
		request: m{"@type": "type.googleapis.com/google.iam.admin.v1.CreateServiceAccountRequest", "name": "projects/" + project,
			"account_id": accountID, "service_account": m{"display_name": display}},
		response: m{"@type": "type.googleapis.com/google.iam.admin.v1.ServiceAccount", "email": email,
			"name": "projects/" + project + "/serviceAccounts/" + email, "project_id": project, "display_name": display},
		category: schemas.CategoryIAMChange,
	}
}

func gcpCreateKey(project, email string) gcpCall {
	res := "projects/-/serviceAccounts/" + email
	return gcpCall{
		project: project, service: "iam.googleapis.com", method: "google.iam.admin.v1.CreateServiceAccountKey",
		resource: res, permission: "iam.serviceAccountKeys.create", permType: "ADMIN_WRITE",
		request:  m{"@type": "type.googleapis.com/google.iam.admin.v1.CreateServiceAccountKeyRequest", "name": res},
		category: schemas.CategoryIAMChange,
	}
}

func gcpGrant(project, member, role string) gcpCall {
	binding := m{"members": []string{member}, "role": role}
	return gcpCall{
		project: project, service: "cloudresourcemanager.googleapis.com", method: "SetIamPolicy",
		resource: "projects/" + project, permission: "resourcemanager.projects.setIamPolicy", permType: "ADMIN_WRITE",
		resourceType: "project",
		request: m{"@type": "type.googleapis.com/google.iam.v1.SetIamPolicyRequest", "resource": project,
			"policy": m{"bindings": []m{binding}}},
		serviceData: m{"@type": "type.googleapis.com/google.iam.v1.logging.AuditData",
			"policyDelta": m{"bindingDeltas": []m{{"action": "ADD", "member": member, "role": role}}}},
		category: schemas.CategoryIAMChange,
	}
}
