package gcpaudit

import (
	json "github.com/goccy/go-json"

	"github.com/aitdr/aitdr/ingest/srcjson"
)

// logEntry is the part of a Cloud Logging LogEntry carrying a Cloud Audit
// Logs AuditLog that normalization reads.
// https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry
type logEntry struct {
	InsertID     string    `json:"insertId"`
	LogName      string    `json:"logName"`
	Timestamp    string    `json:"timestamp"`
	Severity     string    `json:"severity"`
	Resource     resource  `json:"resource"`
	ProtoPayload *auditLog `json:"protoPayload"`
}

// resource is the monitored resource of an entry; its labels are strings.
type resource struct {
	Type   string `json:"type"`
	Labels struct {
		ProjectID string `json:"project_id"`
		Location  string `json:"location"`
		Region    string `json:"region"`
		Zone      string `json:"zone"`
		EmailID   string `json:"email_id"`
	} `json:"labels"`
}

// auditLog is the part of google.cloud.audit.AuditLog that normalization
// reads. request, response, metadata and serviceData are free-form structs
// whose shape depends on the method; they are read best-effort.
// https://cloud.google.com/logging/docs/reference/audit/auditlog/rest/Shared.Types/AuditLog
type auditLog struct {
	Type             string `json:"@type"`
	ServiceName      string `json:"serviceName"`
	MethodName       string `json:"methodName"`
	ResourceName     string `json:"resourceName"`
	ResourceLocation struct {
		CurrentLocations []string `json:"currentLocations"`
	} `json:"resourceLocation"`
	NumResponseItems   json.Number         `json:"numResponseItems"`
	Status             rpcStatus           `json:"status"`
	AuthenticationInfo authenticationInfo  `json:"authenticationInfo"`
	AuthorizationInfo  []authorizationInfo `json:"authorizationInfo"`
	RequestMetadata    struct {
		CallerIP                string `json:"callerIp"`
		CallerSuppliedUserAgent string `json:"callerSuppliedUserAgent"`
	} `json:"requestMetadata"`
	Request     request  `json:"request"`
	Response    response `json:"response"`
	Metadata    metadata `json:"metadata"`
	ServiceData metadata `json:"serviceData"`
}

type rpcStatus struct {
	Code    json.Number `json:"code"`
	Message string      `json:"message"`
}

type authenticationInfo struct {
	PrincipalEmail               string       `json:"principalEmail"`
	PrincipalSubject             string       `json:"principalSubject"`
	ServiceAccountKeyName        string       `json:"serviceAccountKeyName"`
	ServiceAccountDelegationInfo []delegation `json:"serviceAccountDelegationInfo"`
}

// delegation is one step of the identity delegation chain of an
// impersonated service account, the original caller first.
type delegation struct {
	FirstPartyPrincipal struct {
		PrincipalEmail string `json:"principalEmail"`
	} `json:"firstPartyPrincipal"`
	PrincipalSubject string `json:"principalSubject"`
}

type authorizationInfo struct {
	Permission string `json:"permission"`
	Granted    bool   `json:"granted"`
}

// request holds the request fields normalization reads, under the names
// the services log them with (proto field names or their JSON forms).
type request struct {
	Name      srcjson.Text `json:"name"`
	Endpoint  srcjson.Text `json:"endpoint"`
	Model     srcjson.Text `json:"model"`
	AccountID srcjson.Text `json:"account_id"`
	Lifetime  srcjson.Text `json:"lifetime"`
	Setup     struct {
		Model srcjson.Text `json:"model"`
	} `json:"setup"`
	DeployedModel struct {
		Model srcjson.Text `json:"model"`
	} `json:"deployedModel"`
	TrainingPipeline struct {
		DisplayName srcjson.Text `json:"displayName"`
	} `json:"trainingPipeline"`
	CustomJob struct {
		DisplayName srcjson.Text `json:"displayName"`
	} `json:"customJob"`
}

// UnmarshalJSON reads a request best-effort: one of another shape reads as
// empty.
func (r *request) UnmarshalJSON(b []byte) error {
	type plain request
	return lenientObject(b, (*plain)(r))
}

type response struct {
	Name  srcjson.Text `json:"name"`
	Email srcjson.Text `json:"email"`
}

// UnmarshalJSON reads a response best-effort: one of another shape reads as
// empty.
func (r *response) UnmarshalJSON(b []byte) error {
	type plain response
	return lenientObject(b, (*plain)(r))
}

// metadata is what normalization reads of metadata and serviceData: the
// IAM AuditData policy delta, and the delegation chain IAM Credentials logs.
type metadata struct {
	PolicyDelta struct {
		BindingDeltas []struct {
			Action srcjson.Text `json:"action"`
			Role   srcjson.Text `json:"role"`
			Member srcjson.Text `json:"member"`
		} `json:"bindingDeltas"`
		AuditConfigDeltas []struct {
			Action  srcjson.Text `json:"action"`
			Service srcjson.Text `json:"service"`
			LogType srcjson.Text `json:"logType"`
		} `json:"auditConfigDeltas"`
	} `json:"policyDelta"`
	IdentityDelegationChain []srcjson.Text `json:"identityDelegationChain"`
}

// UnmarshalJSON reads metadata best-effort: one of another shape reads as
// empty.
func (m *metadata) UnmarshalJSON(b []byte) error {
	type plain metadata
	return lenientObject(b, (*plain)(m))
}

// lenientObject decodes the JSON object b into v, leaving v zero when b is
// not an object of the expected shape.
func lenientObject[T any](b []byte, v *T) error {
	*v = *new(T)
	if len(b) == 0 || b[0] != '{' {
		return nil
	}
	var x T
	if err := json.Unmarshal(b, &x); err == nil {
		*v = x
	}
	return nil
}
