package gcpaudit

import (
	"strings"

	"github.com/aitdr/aitdr/schemas"
)

// Services whose methods normalize to categories of their own.
const (
	serviceIAM             = "iam.googleapis.com"
	serviceIAMCredentials  = "iamcredentials.googleapis.com"
	serviceSTS             = "sts.googleapis.com"
	serviceAIPlatform      = "aiplatform.googleapis.com"
	serviceGenerativeLang  = "generativelanguage.googleapis.com"
	serviceStorage         = "storage.googleapis.com"
	serviceSecretManager   = "secretmanager.googleapis.com"
	serviceKMS             = "cloudkms.googleapis.com"
	serviceLogging         = "logging.googleapis.com"
	serviceResourceManager = "cloudresourcemanager.googleapis.com"
)

// method splits a methodName into the service interface and the operation:
// "google.cloud.aiplatform.v1.PredictionService.Predict" is
// ("PredictionService", "Predict"), "v1.compute.instances.insert" is
// ("instances", "insert"), "SetIamPolicy" is ("", "SetIamPolicy").
func method(name string) (iface, op string) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return "", name
	}
	op = name[i+1:]
	rest := name[:i]
	if j := strings.LastIndexByte(rest, '.'); j >= 0 {
		return rest[j+1:], op
	}
	return rest, op
}

// verbOf maps an operation name to a verb by its leading word.
func verbOf(op string) schemas.Verb {
	lower := strings.ToLower(op)
	for _, p := range verbPrefixes {
		if strings.HasPrefix(lower, p.prefix) {
			return p.verb
		}
	}
	return schemas.VerbOther
}

// verbPrefixes are checked in order; longer prefixes that would match a
// shorter one's verb wrongly come first.
var verbPrefixes = []struct {
	prefix string
	verb   schemas.Verb
}{
	{"undeploy", schemas.VerbDelete},
	{"undelete", schemas.VerbEnable},
	{"aggregatedlist", schemas.VerbList},
	{"list", schemas.VerbList},
	{"search", schemas.VerbList},
	{"get", schemas.VerbRead},
	{"read", schemas.VerbRead},
	{"access", schemas.VerbRead},
	{"lookup", schemas.VerbRead},
	{"fetch", schemas.VerbRead},
	{"testiampermissions", schemas.VerbRead},
	{"counttokens", schemas.VerbRead},
	{"computetokens", schemas.VerbRead},
	{"predict", schemas.VerbInvoke},
	{"rawpredict", schemas.VerbInvoke},
	{"streamrawpredict", schemas.VerbInvoke},
	{"directpredict", schemas.VerbInvoke},
	{"directrawpredict", schemas.VerbInvoke},
	{"serverstreamingpredict", schemas.VerbInvoke},
	{"streamingpredict", schemas.VerbInvoke},
	{"explain", schemas.VerbInvoke},
	{"generatecontent", schemas.VerbInvoke},
	{"streamgeneratecontent", schemas.VerbInvoke},
	{"bidigeneratecontent", schemas.VerbInvoke},
	{"embedcontent", schemas.VerbInvoke},
	{"batchembedcontents", schemas.VerbInvoke},
	{"chatcompletions", schemas.VerbInvoke},
	{"query", schemas.VerbRead},
	{"streamquery", schemas.VerbRead},
	{"create", schemas.VerbCreate},
	{"insert", schemas.VerbCreate},
	{"add", schemas.VerbCreate},
	{"upload", schemas.VerbCreate},
	{"import", schemas.VerbCreate},
	{"copy", schemas.VerbCreate},
	{"deploy", schemas.VerbCreate},
	{"update", schemas.VerbUpdate},
	{"patch", schemas.VerbUpdate},
	{"set", schemas.VerbUpdate},
	{"modify", schemas.VerbUpdate},
	{"replace", schemas.VerbUpdate},
	{"merge", schemas.VerbUpdate},
	{"move", schemas.VerbUpdate},
	{"attach", schemas.VerbUpdate},
	{"resize", schemas.VerbUpdate},
	{"delete", schemas.VerbDelete},
	{"remove", schemas.VerbDelete},
	{"destroy", schemas.VerbDelete},
	{"purge", schemas.VerbDelete},
	{"detach", schemas.VerbDelete},
	{"enable", schemas.VerbEnable},
	{"start", schemas.VerbEnable},
	{"resume", schemas.VerbEnable},
	{"restore", schemas.VerbEnable},
	{"disable", schemas.VerbDisable},
	{"stop", schemas.VerbDisable},
	{"suspend", schemas.VerbDisable},
	{"cancel", schemas.VerbDisable},
	{"export", schemas.VerbExport},
	{"download", schemas.VerbExport},
}

// classification is how a method normalizes.
type classification struct {
	verb     schemas.Verb
	category schemas.Category
	ai       bool // the method uses or manages a model
}

// classify maps a call to a verb and category, from the service, the
// method and the audit log it was written to.
func classify(service, methodName, logType string) classification {
	iface, op := method(methodName)
	verb := verbOf(op)
	mutates := verb == schemas.VerbCreate || verb == schemas.VerbUpdate || verb == schemas.VerbDelete ||
		verb == schemas.VerbEnable || verb == schemas.VerbDisable
	lowerOp := strings.ToLower(op)

	switch {
	case lowerOp == "setiampolicy" || lowerOp == "setiampermissions":
		return classification{verb: schemas.VerbUpdate, category: schemas.CategoryIAMChange}
	case service == serviceIAMCredentials:
		// GenerateAccessToken, GenerateIdToken, SignBlob, SignJwt: acting
		// as another service account.
		return classification{verb: schemas.VerbAssume, category: schemas.CategoryAuthorization}
	case service == serviceSTS:
		return classification{verb: schemas.VerbAuthenticate, category: schemas.CategoryAuthentication}
	case service == serviceIAM:
		if mutates {
			return classification{verb: verb, category: schemas.CategoryIAMChange}
		}
		return classification{verb: verb, category: schemas.CategoryOther}
	case service == serviceAIPlatform:
		return classifyVertex(iface, verb)
	case service == serviceGenerativeLang:
		if verb == schemas.VerbInvoke || lowerOp == "counttokens" {
			return classification{verb: verb, category: schemas.CategoryModelInference, ai: true}
		}
		if strings.Contains(strings.ToLower(iface), "tun") {
			return classification{verb: verb, category: schemas.CategoryTrainingPipeline, ai: true}
		}
		return classification{verb: verb, category: schemas.CategoryModelManagement, ai: true}
	case service == serviceSecretManager:
		return classification{verb: verb, category: schemas.CategorySecretAccess}
	case service == serviceKMS && (strings.HasSuffix(lowerOp, "decrypt") || lowerOp == "macverify"):
		return classification{verb: schemas.VerbRead, category: schemas.CategorySecretAccess}
	case service == serviceLogging:
		switch {
		case mutates && (iface == "ConfigServiceV2" || strings.Contains(lowerOp, "sink") || strings.Contains(lowerOp, "exclusion") ||
			strings.Contains(lowerOp, "bucket") || strings.Contains(lowerOp, "settings")):
			return classification{verb: verb, category: schemas.CategoryLoggingChange}
		case lowerOp == "deletelog":
			return classification{verb: schemas.VerbDelete, category: schemas.CategoryLoggingChange}
		}
		return classification{verb: verb, category: schemas.CategoryOther}
	case service == serviceStorage && strings.HasPrefix(methodName, "storage.objects."):
		return classification{verb: verb, category: schemas.CategoryDataAccess}
	}
	switch {
	case mutates && logType == "activity":
		return classification{verb: verb, category: schemas.CategoryAdmin}
	case (verb == schemas.VerbRead || verb == schemas.VerbList) && logType == "data_access" &&
		dataServices[service]:
		return classification{verb: verb, category: schemas.CategoryDataAccess}
	}
	return classification{verb: verb, category: schemas.CategoryOther}
}

// dataServices hold business data: their Data Access reads are data access,
// where other services' reads are configuration reads.
var dataServices = map[string]bool{
	serviceStorage:                   true,
	"bigquery.googleapis.com":        true,
	"bigquerystorage.googleapis.com": true,
	"spanner.googleapis.com":         true,
	"datastore.googleapis.com":       true,
	"firestore.googleapis.com":       true,
	"bigtable.googleapis.com":        true,
	"bigtableadmin.googleapis.com":   true,
	"sqladmin.googleapis.com":        true,
	"pubsub.googleapis.com":          true,
}

// classifyVertex maps a Vertex AI method by its service interface:
// prediction is inference, model and endpoint services manage models,
// pipeline, job and dataset services train.
func classifyVertex(iface string, verb schemas.Verb) classification {
	c := classification{verb: verb, ai: true}
	switch iface {
	case "PredictionService", "LlmBidiService", "LlmUtilityService", "GenAiCacheService", "ReasoningEngineExecutionService":
		c.category = schemas.CategoryModelInference
		if verb != schemas.VerbRead || iface == "ReasoningEngineExecutionService" {
			// Predict, GenerateContent, QueryReasoningEngine; CountTokens
			// stays a read.
			c.verb = schemas.VerbInvoke
		}
	case "ModelService", "EndpointService", "ModelGardenService", "ReasoningEngineService", "DeploymentResourcePoolService":
		c.category = schemas.CategoryModelManagement
	case "PipelineService", "JobService", "DatasetService", "GenAiTuningService", "FeaturestoreService",
		"FeatureOnlineStoreAdminService", "FeatureRegistryService", "TensorboardService", "VizierService":
		c.category = schemas.CategoryTrainingPipeline
	default:
		c.category = schemas.CategoryOther
	}
	return c
}

// grpcCodes names the google.rpc.Code values of status.code.
var grpcCodes = [...]string{
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
	"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
	"UNAUTHENTICATED",
}

// grpcCode names code, or returns it as it is when it is not a known code.
func grpcCode(code string) string {
	if len(code) <= 2 {
		n := 0
		for _, c := range code {
			if c < '0' || c > '9' {
				return code
			}
			n = n*10 + int(c-'0')
		}
		if n < len(grpcCodes) {
			return grpcCodes[n]
		}
	}
	return code
}

// logType is the kind of audit log an entry was written to: activity,
// data_access, system_event or policy, from its logName
// ("projects/p/logs/cloudaudit.googleapis.com%2Factivity").
func logType(logName string) string {
	i := strings.LastIndex(logName, "cloudaudit.googleapis.com")
	if i < 0 {
		return ""
	}
	t := logName[i+len("cloudaudit.googleapis.com"):]
	t = strings.TrimPrefix(t, "%2F")
	t = strings.TrimPrefix(t, "%2f")
	return strings.TrimPrefix(t, "/")
}

// consumerDomains are mail domains of personal Google accounts.
var consumerDomains = map[string]bool{"gmail.com": true, "googlemail.com": true}

// singular turns a resource collection name ("serviceAccounts",
// "trainingPipelines", "policies") into a snake_case singular type
// ("service_account", "training_pipeline", "policy").
func singular(collection string) string {
	switch {
	case strings.HasSuffix(collection, "ies"):
		collection = collection[:len(collection)-3] + "y"
	case strings.HasSuffix(collection, "sses"):
		collection = collection[:len(collection)-2]
	case strings.HasSuffix(collection, "s"):
		collection = collection[:len(collection)-1]
	}
	var b strings.Builder
	b.Grow(len(collection) + 4)
	for i := 0; i < len(collection); i++ {
		c := collection[i]
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}
