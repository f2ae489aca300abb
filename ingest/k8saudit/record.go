package k8saudit

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"

	json "github.com/goccy/go-json"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/srcjson"
)

// event holds the fields of an audit.k8s.io/v1 Event that normalization
// reads; requestObject and responseObject (Request and RequestResponse
// levels) are skipped by the decoder.
type event struct {
	Kind                     string    `json:"kind"`
	APIVersion               string    `json:"apiVersion"`
	Level                    string    `json:"level"`
	AuditID                  string    `json:"auditID"`
	Stage                    string    `json:"stage"`
	RequestURI               string    `json:"requestURI"`
	Verb                     string    `json:"verb"`
	User                     userInfo  `json:"user"`
	ImpersonatedUser         userInfo  `json:"impersonatedUser"`
	SourceIPs                []string  `json:"sourceIPs"`
	UserAgent                string    `json:"userAgent"`
	ObjectRef                objectRef `json:"objectRef"`
	ResponseStatus           status    `json:"responseStatus"`
	RequestReceivedTimestamp string    `json:"requestReceivedTimestamp"`
	StageTimestamp           string    `json:"stageTimestamp"`
	// Timestamp is the event time of audit.k8s.io/v1beta1 events.
	Timestamp   string      `json:"timestamp"`
	Annotations annotations `json:"annotations"`
}

// userInfo is authentication/v1 UserInfo. Sub-objects of an event are
// decoded as values, not pointers, to save allocations; an absent one is
// the zero value.
type userInfo struct {
	Username string   `json:"username"`
	UID      string   `json:"uid"`
	Groups   []string `json:"groups"`
	Extra    extra    `json:"extra"`
}

// extra holds the UserInfo extra keys detection uses: the credential and
// pod of a bound service account token (Kubernetes 1.30+), and what the AWS
// IAM authenticator of EKS adds.
type extra struct {
	CredentialID []string `json:"authentication.kubernetes.io/credential-id"`
	PodName      []string `json:"authentication.kubernetes.io/pod-name"`
	NodeName     []string `json:"authentication.kubernetes.io/node-name"`
	AccessKeyID  []string `json:"accessKeyId"`
	ARN          []string `json:"arn"`
	SessionName  []string `json:"sessionName"`
}

// set reports whether the user info is present.
func (u *userInfo) set() bool { return u.Username != "" || u.UID != "" || len(u.Groups) > 0 }

// objectRef is the object a request was for; its Resource is empty for
// non-resource requests (/healthz, /version).
type objectRef struct {
	Resource    string `json:"resource"`
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	UID         string `json:"uid"`
	APIGroup    string `json:"apiGroup"`
	APIVersion  string `json:"apiVersion"`
	Subresource string `json:"subresource"`
}

// status is the meta/v1 Status of the response.
type status struct {
	Code    int32  `json:"code"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// annotations holds the annotations detection uses, and the cluster hints
// this package accepts.
type annotations struct {
	Decision             string `json:"authorization.k8s.io/decision"`
	Reason               string `json:"authorization.k8s.io/reason"`
	PodSecurityEnforce   string `json:"pod-security.kubernetes.io/enforce-policy"`
	PodSecurityViolation string `json:"pod-security.kubernetes.io/audit-violations"`
	PodSecurityExempt    string `json:"pod-security.kubernetes.io/exempt"`
	AitdrCluster         string `json:"aitdr.io/cluster"`
	Cluster              string `json:"cluster"`
	ClusterName          string `json:"cluster-name"`
	ClusterNameUnder     string `json:"cluster_name"`
}

// cluster returns the cluster the annotations name, or "".
func (a *annotations) cluster() string {
	for _, c := range [...]string{a.AitdrCluster, a.Cluster, a.ClusterName, a.ClusterNameUnder} {
		if c != "" {
			return c
		}
	}
	return ""
}

// errEmpty is returned for an empty record.
var errEmpty = errors.New("decode kubernetes audit event: empty record")

// decode decodes one audit event (or an EventList, for v) from b.
// goccy/go-json does the work; when it fails, b is decoded once more with
// encoding/json, whose type errors carry the JSON path of the field, so that
// the error names it.
func decode[T any](b []byte, v *T) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errEmpty
	}
	err := json.Unmarshal(b, v)
	if err == nil {
		return nil
	}
	var std T
	var te *stdjson.UnmarshalTypeError
	if errors.As(stdjson.Unmarshal(b, &std), &te) {
		if te.Field == "" {
			return fmt.Errorf("decode kubernetes audit event: not a JSON object (got %s)", te.Value)
		}
		return ingest.Invalid(te.Field, "not %s (got %s)", srcjson.KindName(te.Type), te.Value)
	}
	return fmt.Errorf("decode kubernetes audit event: %w", err)
}
