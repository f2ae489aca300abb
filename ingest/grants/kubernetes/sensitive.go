package kubernetes

import (
	"strings"

	"github.com/aitdr/aitdr/ingest/grants/snapshot"
)

// deployResources serve workloads and models: writing them deploys.
var deployResources = map[string]bool{
	"apps/deployments": true, "apps/statefulsets": true, "apps/daemonsets": true, "apps/replicasets": true,
	"serving.kserve.io/inferenceservices": true, "serving.kserve.io/servingruntimes": true,
	"machinelearning.seldon.io/seldondeployments": true, "serving.knative.dev/services": true,
	"ray.io/rayservices": true,
}

// dataResources hold data: deleting them destroys it.
var dataResources = map[string]bool{
	"/persistentvolumeclaims": true, "/persistentvolumes": true, "/namespaces": true,
	"snapshot.storage.k8s.io/volumesnapshots": true,
}

func isWrite(verb string) bool {
	switch verb {
	case "create", "update", "patch", "delete", "deletecollection":
		return true
	}
	return false
}

// Sensitive returns the sensitive class of a Kubernetes permission, or "":
// RBAC writes, bind, escalate and impersonate, certificate approval and
// admission webhook changes (iam_change); reading secrets and minting
// service-account tokens (secret_access); writing deployments, stateful
// sets and model-serving resources (model_deployment); deleting volumes,
// claims and namespaces (data_deletion). docs/protect.md lists the rules.
func Sensitive(group, resource, verb string) string {
	key := group + "/" + resource
	switch {
	case verb == "impersonate" || verb == "bind" || verb == "escalate",
		group == "rbac.authorization.k8s.io" && isWrite(verb),
		group == "certificates.k8s.io" && strings.HasSuffix(resource, "/approval") && isWrite(verb),
		group == "admissionregistration.k8s.io" && isWrite(verb):
		return snapshot.SensitiveIAM
	case group == "" && resource == "secrets" && (verb == "get" || verb == "list" || verb == "watch"),
		group == "" && resource == "serviceaccounts/token" && verb == "create":
		return snapshot.SensitiveSecret
	case deployResources[key] && (verb == "create" || verb == "update" || verb == "patch"):
		return snapshot.SensitiveModelDeploy
	case dataResources[key] && (verb == "delete" || verb == "deletecollection"):
		return snapshot.SensitiveDelete
	}
	return ""
}

// AccessLevel returns the access level of a Kubernetes permission in the
// AWS catalog's terms: List for list and watch, Read for get, Permissions
// management for RBAC writes, bind, escalate and impersonate, Write for
// the rest.
func AccessLevel(group, resource, verb string) string {
	switch {
	case verb == "list" || verb == "watch":
		return "List"
	case verb == "get" || verb == "head" || verb == "options":
		return "Read"
	case verb == "impersonate" || verb == "bind" || verb == "escalate" || group == "rbac.authorization.k8s.io" && isWrite(verb):
		return "Permissions management"
	}
	return "Write"
}
