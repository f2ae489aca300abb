package k8saudit

import (
	"strconv"
	"strings"

	"github.com/aitdr/aitdr/schemas"
)

// verbOf maps a Kubernetes verb (or, for non-resource requests, the
// lower-case HTTP method) to a verb. Exec, attach, port-forward and proxy
// requests run something inside the cluster: invoke.
func verbOf(verb, subresource string) schemas.Verb {
	switch subresource {
	case "exec", "attach", "portforward", "proxy":
		return schemas.VerbInvoke
	}
	switch verb {
	case "get", "head":
		return schemas.VerbRead
	case "list", "watch":
		return schemas.VerbList
	case "create", "post":
		return schemas.VerbCreate
	case "update", "patch", "put":
		return schemas.VerbUpdate
	case "delete", "deletecollection":
		return schemas.VerbDelete
	case "impersonate":
		return schemas.VerbAssume
	case "bind", "escalate", "approve":
		return schemas.VerbGrant
	}
	return schemas.VerbOther
}

// writes reports whether verb changes the object.
func writes(verb string) bool {
	switch verb {
	case "create", "update", "patch", "delete", "deletecollection", "bind", "escalate", "approve":
		return true
	}
	return false
}

// aiWorkload is what a custom resource of an ML platform is.
type aiWorkload struct {
	cat     schemas.Category
	service string
}

// aiGroups maps the API groups whose every resource is an ML workload.
var aiGroups = map[string]aiWorkload{
	// KServe: InferenceService, ServingRuntime, TrainedModel,
	// InferenceGraph, LocalModelCache.
	"serving.kserve.io": {schemas.CategoryModelManagement, "kserve"},
	// Seldon Core v1 (SeldonDeployment) and v2 (Model, Server, Pipeline,
	// Experiment).
	"machinelearning.seldon.io": {schemas.CategoryModelManagement, "seldon"},
	"mlops.seldon.io":           {schemas.CategoryModelManagement, "seldon"},
	// Kubeflow Trainer v2 (TrainJob, TrainingRuntime) and Kubeflow
	// Pipelines (ScheduledWorkflow).
	"trainer.kubeflow.org":   {schemas.CategoryTrainingPipeline, "kubeflow"},
	"pipelines.kubeflow.org": {schemas.CategoryTrainingPipeline, "kubeflow"},
}

// aiResources maps "<resource>.<group>" of ML resources in groups that hold
// other resources too.
var aiResources = map[string]aiWorkload{
	// Kubeflow Training Operator jobs and Katib tuning.
	"pytorchjobs.kubeflow.org": {schemas.CategoryTrainingPipeline, "kubeflow"},
	"tfjobs.kubeflow.org":      {schemas.CategoryTrainingPipeline, "kubeflow"},
	"mpijobs.kubeflow.org":     {schemas.CategoryTrainingPipeline, "kubeflow"},
	"xgboostjobs.kubeflow.org": {schemas.CategoryTrainingPipeline, "kubeflow"},
	"paddlejobs.kubeflow.org":  {schemas.CategoryTrainingPipeline, "kubeflow"},
	"jaxjobs.kubeflow.org":     {schemas.CategoryTrainingPipeline, "kubeflow"},
	"experiments.kubeflow.org": {schemas.CategoryTrainingPipeline, "kubeflow"},
	"trials.kubeflow.org":      {schemas.CategoryTrainingPipeline, "kubeflow"},
	// Argo Workflows (not Argo CD applications). Not every workflow
	// trains a model, so there is no AI service.
	"workflows.argoproj.io":                {schemas.CategoryTrainingPipeline, ""},
	"cronworkflows.argoproj.io":            {schemas.CategoryTrainingPipeline, ""},
	"workflowtemplates.argoproj.io":        {schemas.CategoryTrainingPipeline, ""},
	"clusterworkflowtemplates.argoproj.io": {schemas.CategoryTrainingPipeline, ""},
	// KubeRay.
	"rayjobs.ray.io":     {schemas.CategoryTrainingPipeline, "ray"},
	"rayclusters.ray.io": {schemas.CategoryTrainingPipeline, "ray"},
	"rayservices.ray.io": {schemas.CategoryModelManagement, "ray"},
}

// aiWorkloadOf returns the ML workload a resource is, if it is one.
func aiWorkloadOf(group, resource string) (aiWorkload, bool) {
	if w, ok := aiGroups[group]; ok {
		return w, true
	}
	w, ok := aiResources[resource+"."+group]
	return w, ok
}

// rbacResources are the RBAC objects whose changes are IAM changes.
var rbacResources = map[string]bool{
	"roles": true, "rolebindings": true, "clusterroles": true, "clusterrolebindings": true,
}

// categoryOf returns the category of a request for ref with verb; ref is
// nil for non-resource requests (/healthz, /version, /metrics).
func categoryOf(verb string, ref *objectRef) schemas.Category {
	if ref == nil {
		return schemas.CategoryOther
	}
	group, res, sub := ref.APIGroup, ref.Resource, ref.Subresource
	core := group == ""
	switch {
	case core && res == "secrets":
		return schemas.CategorySecretAccess
	case group == "rbac.authorization.k8s.io" && rbacResources[res]:
		if writes(verb) {
			return schemas.CategoryIAMChange
		}
		return schemas.CategoryOther
	case core && res == "serviceaccounts":
		// TokenRequest (serviceaccounts/token create) mints a credential.
		if writes(verb) {
			return schemas.CategoryIAMChange
		}
		return schemas.CategoryOther
	case group == "certificates.k8s.io" && res == "certificatesigningrequests":
		// An approved CSR is a client certificate: a new credential.
		if writes(verb) {
			return schemas.CategoryIAMChange
		}
		return schemas.CategoryOther
	case group == "authorization.k8s.io":
		// SubjectAccessReview and the self reviews of "kubectl auth can-i".
		return schemas.CategoryAuthorization
	case group == "authentication.k8s.io":
		// TokenReview and SelfSubjectReview.
		return schemas.CategoryAuthentication
	case verb == "impersonate":
		return schemas.CategoryAuthorization
	case sub == "exec" || sub == "attach" || sub == "portforward" || sub == "proxy":
		return schemas.CategoryAdmin
	case core && res == "configmaps":
		return schemas.CategoryDataAccess
	}
	if w, ok := aiWorkloadOf(group, res); ok {
		return w.cat
	}
	if writes(verb) {
		return schemas.CategoryAdmin
	}
	return schemas.CategoryOther
}

// httpReason is the meta/v1 StatusReason of an HTTP status code, for
// responses that carry only the code.
func httpReason(code int32) string {
	switch code {
	case 400:
		return "BadRequest"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "NotFound"
	case 405:
		return "MethodNotAllowed"
	case 406:
		return "NotAcceptable"
	case 409:
		return "Conflict"
	case 410:
		return "Expired"
	case 413:
		return "RequestEntityTooLarge"
	case 415:
		return "UnsupportedMediaType"
	case 422:
		return "Invalid"
	case 429:
		return "TooManyRequests"
	case 500:
		return "InternalError"
	case 503:
		return "ServiceUnavailable"
	case 504:
		return "Timeout"
	}
	return "HTTP" + strconv.Itoa(int(code))
}

// principalKind returns the kind and native type of a Kubernetes user, as
// far as the username and groups tell.
func principalKind(username string, groups []string) (schemas.IdentityKind, string) {
	switch {
	case strings.HasPrefix(username, "system:serviceaccount:"):
		return schemas.KindService, "ServiceAccount"
	case strings.HasPrefix(username, "system:node:"):
		return schemas.KindService, "Node"
	case username == "system:anonymous":
		return schemas.KindUnknown, "Anonymous"
	case strings.HasPrefix(username, "system:"), strings.HasPrefix(username, "eks:"):
		// Control-plane components and managed-service users
		// (system:kube-controller-manager, eks:node-manager).
		return schemas.KindService, "System"
	case strings.HasSuffix(username, ".gserviceaccount.com"):
		// A Google service account on GKE.
		return schemas.KindService, "ServiceAccount"
	}
	for _, g := range groups {
		if g == "system:serviceaccounts" || g == "system:nodes" {
			return schemas.KindService, "System"
		}
	}
	if strings.Contains(username, "@") {
		// An OIDC or cloud IAM user named by e-mail.
		return schemas.KindHuman, "User"
	}
	// kubernetes-admin, an IAM role session ARN, a certificate CN: the
	// record does not tell a person from a pipeline.
	return schemas.KindUnknown, "User"
}
