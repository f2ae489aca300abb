package kubernetes

import "strings"

// CatalogVersion names the built-in resource catalog: the API resources of
// a Kubernetes 1.31 cluster (`kubectl api-resources -o wide`), without
// custom resources.
const CatalogVersion = "kubernetes 1.31 built-in API resources"

// Standard verbs of a resource with the full REST surface.
var standardVerbs = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

// builtin lists the built-in resources per API group ("" is the core
// group) with their verbs; nil means standardVerbs. `*` in a rule expands
// against this list; custom resources are covered only where a rule names
// them.
var builtin = map[string]map[string][]string{
	"": {
		"bindings": {"create"}, "componentstatuses": {"get", "list"}, "configmaps": nil, "endpoints": nil,
		"events": nil, "limitranges": nil, "namespaces": {"create", "delete", "get", "list", "patch", "update", "watch"},
		"nodes": nil, "persistentvolumeclaims": nil, "persistentvolumes": nil, "pods": nil,
		"pods/attach": {"create", "get"}, "pods/eviction": {"create"}, "pods/exec": {"create", "get"},
		"pods/log": {"get"}, "pods/portforward": {"create", "get"}, "pods/proxy": {"create", "delete", "get", "patch", "update"},
		"podtemplates": nil, "replicationcontrollers": nil, "resourcequotas": nil, "secrets": nil,
		"serviceaccounts": nil, "serviceaccounts/token": {"create"}, "services": nil,
		"services/proxy": {"create", "delete", "get", "patch", "update"},
		"users":          {"impersonate"}, "groups": {"impersonate"},
	},
	"apps": {
		"controllerrevisions": nil, "daemonsets": nil, "deployments": nil, "deployments/scale": {"get", "patch", "update"},
		"replicasets": nil, "statefulsets": nil, "statefulsets/scale": {"get", "patch", "update"},
	},
	"batch":                        {"cronjobs": nil, "jobs": nil},
	"autoscaling":                  {"horizontalpodautoscalers": nil},
	"policy":                       {"poddisruptionbudgets": nil},
	"networking.k8s.io":            {"ingresses": nil, "ingressclasses": nil, "networkpolicies": nil},
	"discovery.k8s.io":             {"endpointslices": nil},
	"coordination.k8s.io":          {"leases": nil},
	"scheduling.k8s.io":            {"priorityclasses": nil},
	"node.k8s.io":                  {"runtimeclasses": nil},
	"storage.k8s.io":               {"csidrivers": nil, "csinodes": nil, "csistoragecapacities": nil, "storageclasses": nil, "volumeattachments": nil},
	"apiextensions.k8s.io":         {"customresourcedefinitions": nil},
	"admissionregistration.k8s.io": {"mutatingwebhookconfigurations": nil, "validatingwebhookconfigurations": nil, "validatingadmissionpolicies": nil, "validatingadmissionpolicybindings": nil},
	"certificates.k8s.io":          {"certificatesigningrequests": nil, "certificatesigningrequests/approval": {"get", "patch", "update"}},
	"authentication.k8s.io":        {"tokenreviews": {"create"}, "selfsubjectreviews": {"create"}, "userextras": {"impersonate"}},
	"authorization.k8s.io": {
		"localsubjectaccessreviews": {"create"}, "selfsubjectaccessreviews": {"create"},
		"selfsubjectrulesreviews": {"create"}, "subjectaccessreviews": {"create"},
	},
	"rbac.authorization.k8s.io": {
		"clusterrolebindings": nil, "rolebindings": nil,
		"clusterroles": append([]string{"bind", "escalate"}, standardVerbs...),
		"roles":        append([]string{"bind", "escalate"}, standardVerbs...),
	},
}

// Permission is a Kubernetes permission as grants name it:
// <resource>[.<group>]:<verb>, the form `kubectl auth can-i` takes
// (secrets:get, deployments.apps:update, pods/exec:create), or
// <url>:<verb> for a non-resource URL (/healthz:get).
func Permission(group, resource, verb string) string {
	if group == "" || group == "core" {
		return resource + ":" + verb
	}
	if sub := strings.IndexByte(resource, '/'); sub >= 0 {
		// pods/exec of a group: the group follows the resource, before the subresource.
		return resource[:sub] + "." + group + resource[sub:] + ":" + verb
	}
	return resource + "." + group + ":" + verb
}

// SplitPermission returns the group, resource and verb of a permission.
func SplitPermission(perm string) (group, resource, verb string) {
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

// verbsOf returns the verbs of a built-in resource, and whether it is one.
func verbsOf(group, resource string) ([]string, bool) {
	res, ok := builtin[group]
	if !ok {
		return nil, false
	}
	v, ok := res[resource]
	if !ok {
		return nil, false
	}
	if v == nil {
		return standardVerbs, true
	}
	return v, true
}
