package gcp

import (
	"strings"

	"github.com/aitdr/aitdr/ingest/grants/snapshot"
)

// secretPermissions read secrets or mint credentials and tokens.
var secretPermissions = map[string]bool{
	"secretmanager.versions.access":           true,
	"iam.serviceAccountKeys.create":           true,
	"iam.serviceAccounts.getAccessToken":      true,
	"iam.serviceAccounts.getOpenIdToken":      true,
	"iam.serviceAccounts.implicitDelegation":  true,
	"iam.serviceAccounts.signBlob":            true,
	"iam.serviceAccounts.signJwt":             true,
	"cloudkms.cryptoKeyVersions.useToDecrypt": true,
	"apikeys.keys.getKeyString":               true,
	"iam.serviceAccountApiKeyBindings.create": true,
	"storage.hmacKeys.create":                 true,
}

// modelDeployPermissions put models where they serve traffic.
var modelDeployPermissions = map[string]bool{
	"aiplatform.endpoints.deploy":      true,
	"aiplatform.endpoints.undeploy":    true,
	"aiplatform.endpoints.update":      true,
	"aiplatform.indexEndpoints.deploy": true,
	"ml.versions.create":               true,
	"ml.versions.setDefault":           true,
	"ml.versions.update":               true,
}

// dataServices hold data: their delete permissions destroy it.
var dataServices = map[string]bool{
	"storage": true, "bigquery": true, "aiplatform": true, "ml": true, "spanner": true, "datastore": true,
	"bigtable": true, "cloudsql": true, "secretmanager": true, "dataplex": true, "notebooks": true,
}

// Sensitive returns the sensitive class of a Google Cloud permission, or
// "": logging sinks, buckets and exclusions changed (logging_change);
// setIamPolicy, role changes, service-account creation and actAs
// (iam_change); secret access and credential minting (secret_access);
// model deployment (model_deployment); delete and destroy in data services
// (data_deletion). docs/protect.md lists the rules.
func Sensitive(perm string) string {
	service, rest, _ := strings.Cut(perm, ".")
	verb := perm[strings.LastIndexByte(perm, '.')+1:]
	switch {
	case service == "logging" && (verb == "delete" || verb == "update" || verb == "create") &&
		(strings.HasPrefix(rest, "sinks.") || strings.HasPrefix(rest, "buckets.") || strings.HasPrefix(rest, "exclusions.") || strings.HasPrefix(rest, "logs.")):
		return snapshot.SensitiveLogging
	case secretPermissions[perm]:
		return snapshot.SensitiveSecret
	case verb == "setIamPolicy",
		service == "iam" && strings.HasPrefix(rest, "roles.") && verb != "get" && verb != "list",
		perm == "iam.serviceAccounts.create" || perm == "iam.serviceAccounts.actAs" || perm == "iam.serviceAccounts.update",
		service == "orgpolicy" && verb == "set":
		return snapshot.SensitiveIAM
	case modelDeployPermissions[perm]:
		return snapshot.SensitiveModelDeploy
	case dataServices[service] && (verb == "delete" || verb == "destroy" || verb == "deleteFeatureValues"):
		return snapshot.SensitiveDelete
	}
	return ""
}

// AccessLevel returns the access level of a Google Cloud permission, in
// the AWS catalog's terms: List for list, Read for get, read and
// getIamPolicy kinds, Permissions management for setIamPolicy, Write for
// the rest.
func AccessLevel(perm string) string {
	verb := perm[strings.LastIndexByte(perm, '.')+1:]
	switch {
	case verb == "list" || strings.HasPrefix(verb, "list"):
		return "List"
	case verb == "setIamPolicy":
		return "Permissions management"
	case verb == "get" || strings.HasPrefix(verb, "get") || strings.HasPrefix(verb, "read") || verb == "access" ||
		strings.HasPrefix(verb, "query") || strings.HasPrefix(verb, "search") || verb == "export" || strings.HasPrefix(verb, "fetch") ||
		verb == "predict" || verb == "explain" || verb == "batchRead" || verb == "streamingReadFeatureValues":
		return "Read"
	}
	return "Write"
}
