package rightsize

import (
	"regexp"
	"strings"
)

// Action is one kind of successful action of an identity, as the events
// table groups it: the source product, the service and action names the
// normalizer kept, and for Google Cloud the permissions the audit entry
// says were checked.
type Action struct {
	Product string
	Service string
	Name    string
	// GCPPermissions is the gcp.permissions attribute: the permissions
	// Google Cloud checked and granted, comma-separated.
	GCPPermissions string
	// TargetType is the type of the resources acted on (events.target_type).
	TargetType string
}

// Permissions returns the permissions an action exercises, in the terms
// permission_grants uses for its provider, or nil when the mapping does
// not know the action (it is then counted as unmapped, never guessed):
//
//   - CloudTrail: the IAM action <prefix>:<eventName>, the prefix the first
//     label of eventSource (bedrock of bedrock.amazonaws.com), with the
//     documented exceptions of awsSourcePrefix and awsActionExceptions
//     (ListObjectsV2 needs s3:ListBucket, Converse bedrock:InvokeModel,
//     Lambda's dated event names, ...); sign-ins and GetCallerIdentity need
//     no permission.
//   - Google Cloud audit logs: the permissions the entry says were granted
//     (authorizationInfo), else gcpMethods.
//   - Kubernetes audit: the verb on the resource, <resource>[.<group>]:<verb>.
//   - Okta and Entra: app:<application id> for a sign-in to an application.
//   - GitHub: the classic scope and the fine-grained permission the audit
//     action needs (githubActions); an identity holds one or the other.
func Permissions(a Action) []string {
	switch a.Product {
	case "aws.cloudtrail":
		if p := awsPermission(a.Service, a.Name); p != "" {
			return []string{p}
		}
	case "gcp.audit":
		if a.GCPPermissions != "" {
			var out []string
			for _, p := range strings.Split(a.GCPPermissions, ",") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
			return out
		}
		if p, ok := gcpMethods[a.Name]; ok {
			return []string{p}
		}
	case "k8s.audit":
		verb, resource, ok := strings.Cut(a.Name, " ")
		if !ok || verb == "" || resource == "" {
			return nil
		}
		group := a.Service
		if group == "core" {
			group = ""
		}
		return []string{k8sPermission(group, resource, verb)}
	case "okta":
		if a.TargetType == "application" && a.Name == "user.authentication.sso" {
			return []string{appPermission}
		}
	case "entra":
		if strings.HasPrefix(a.Name, "signIn.") && a.TargetType == "application" {
			return []string{appPermission}
		}
	case "github":
		return githubActions[a.Name]
	}
	return nil
}

// needsNoPermission reports whether an action needs no permission of its
// caller (a console sign-in, sts:GetCallerIdentity): it is neither usage
// nor unmapped.
func needsNoPermission(a Action) bool {
	if a.Product != "aws.cloudtrail" {
		return false
	}
	label, _, _ := strings.Cut(a.Service, ".")
	return awsNoPermission[label+":"+a.Name]
}

// appPermission stands for app:<the event's target id>: an application
// sign-in exercises the assignment to the application it names.
const appPermission = "app:"

// awsSourcePrefix maps CloudTrail eventSources whose first label is not
// the IAM service prefix to the prefix.
var awsSourcePrefix = map[string]string{
	"monitoring.amazonaws.com":            "cloudwatch",
	"email.amazonaws.com":                 "ses",
	"tagging.amazonaws.com":               "tag",
	"bedrock-runtime.amazonaws.com":       "bedrock",
	"bedrock-agent-runtime.amazonaws.com": "bedrock",
	"runtime.sagemaker.amazonaws.com":     "sagemaker",
	"api.sagemaker.amazonaws.com":         "sagemaker",
	"runtime.lex.amazonaws.com":           "lex",
	"models.lex.amazonaws.com":            "lex",
	"elasticloadbalancing.amazonaws.com":  "elasticloadbalancing",
}

// awsNoPermission are events that need no IAM permission of the caller.
var awsNoPermission = map[string]bool{
	"signin:ConsoleLogin": true, "signin:CheckMfa": true, "signin:SwitchRole": true,
	"sts:GetCallerIdentity": true, "sso:Federate": true, "sso:Authenticate": true,
	// The IAM Identity Center portal API authenticates with the portal's
	// token, not IAM.
	"sso:GetRoleCredentials": true, "sso:ListAccounts": true, "sso:ListAccountRoles": true, "sso:Logout": true,
}

// awsActionExceptions are CloudTrail events whose IAM action has another
// name, from the AWS Service Authorization Reference.
var awsActionExceptions = map[string]string{
	"s3:ListObjects":                             "s3:ListBucket",
	"s3:ListObjectsV2":                           "s3:ListBucket",
	"s3:ListObjectVersions":                      "s3:ListBucketVersions",
	"s3:HeadBucket":                              "s3:ListBucket",
	"s3:HeadObject":                              "s3:GetObject",
	"s3:SelectObjectContent":                     "s3:GetObject",
	"s3:CreateMultipartUpload":                   "s3:PutObject",
	"s3:UploadPart":                              "s3:PutObject",
	"s3:UploadPartCopy":                          "s3:PutObject",
	"s3:CompleteMultipartUpload":                 "s3:PutObject",
	"s3:CopyObject":                              "s3:PutObject",
	"s3:DeleteObjects":                           "s3:DeleteObject",
	"s3:ListBuckets":                             "s3:ListAllMyBuckets",
	"s3:GetBucketLifecycle":                      "s3:GetLifecycleConfiguration",
	"s3:PutBucketLifecycle":                      "s3:PutLifecycleConfiguration",
	"bedrock:Converse":                           "bedrock:InvokeModel",
	"bedrock:ConverseStream":                     "bedrock:InvokeModelWithResponseStream",
	"lambda:Invoke":                              "lambda:InvokeFunction",
	"sagemaker:InvokeEndpointWithResponseStream": "sagemaker:InvokeEndpoint",
	"dynamodb:BatchExecuteStatement":             "dynamodb:PartiQLSelect",
}

// lambdaDated matches the API version Lambda appends to its event names
// (CreateFunction20150331, UpdateFunctionCode20150331v2).
var lambdaDated = regexp.MustCompile(`20\d{6}(v\d+)?$`)

func awsPermission(source, name string) string {
	if source == "" || name == "" {
		return ""
	}
	label, _, _ := strings.Cut(source, ".")
	if p, ok := awsSourcePrefix[source]; ok {
		label = p
	}
	if label == "lambda" {
		name = lambdaDated.ReplaceAllString(name, "")
	}
	perm := label + ":" + name
	if awsNoPermission[perm] {
		return ""
	}
	if p, ok := awsActionExceptions[perm]; ok {
		return p
	}
	return perm
}

// gcpMethods maps audit methodNames to the permission they need, for
// entries without authorizationInfo.
var gcpMethods = map[string]string{
	"google.cloud.aiplatform.v1.PredictionService.Predict":                   "aiplatform.endpoints.predict",
	"google.cloud.aiplatform.v1.PredictionService.RawPredict":                "aiplatform.endpoints.predict",
	"google.cloud.aiplatform.v1.PredictionService.GenerateContent":           "aiplatform.endpoints.predict",
	"google.cloud.aiplatform.v1.PredictionService.StreamGenerateContent":     "aiplatform.endpoints.predict",
	"google.cloud.aiplatform.v1.EndpointService.DeployModel":                 "aiplatform.endpoints.deploy",
	"google.cloud.aiplatform.v1.EndpointService.UndeployModel":               "aiplatform.endpoints.undeploy",
	"google.cloud.aiplatform.v1.ModelService.UploadModel":                    "aiplatform.models.upload",
	"google.cloud.aiplatform.v1.ModelService.DeleteModel":                    "aiplatform.models.delete",
	"google.cloud.aiplatform.v1.JobService.CreateCustomJob":                  "aiplatform.customJobs.create",
	"google.cloud.aiplatform.v1.PipelineService.CreateTrainingPipeline":      "aiplatform.trainingPipelines.create",
	"google.cloud.aiplatform.v1.DatasetService.CreateDataset":                "aiplatform.datasets.create",
	"google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion": "secretmanager.versions.access",
	"google.iam.admin.v1.CreateServiceAccount":                               "iam.serviceAccounts.create",
	"google.iam.admin.v1.CreateServiceAccountKey":                            "iam.serviceAccountKeys.create",
	"GenerateAccessToken":                           "iam.serviceAccounts.getAccessToken",
	"SetIamPolicy":                                  "resourcemanager.projects.setIamPolicy",
	"storage.objects.get":                           "storage.objects.get",
	"storage.objects.list":                          "storage.objects.list",
	"storage.objects.create":                        "storage.objects.create",
	"storage.objects.delete":                        "storage.objects.delete",
	"google.logging.v2.ConfigServiceV2.DeleteSink":  "logging.sinks.delete",
	"google.logging.v2.ConfigServiceV2.UpdateSink":  "logging.sinks.update",
	"jobservice.insert":                             "bigquery.jobs.create",
	"google.cloud.bigquery.v2.JobService.InsertJob": "bigquery.jobs.create",
}

// k8sPermission names a Kubernetes permission as the RBAC import does:
// <resource>[.<group>]:<verb>, <resource>.<group>/<subresource>:<verb>
// for a subresource of a group, <url>:<verb> for a non-resource URL.
func k8sPermission(group, resource, verb string) string {
	if group == "" {
		return resource + ":" + verb
	}
	if sub := strings.IndexByte(resource, '/'); sub >= 0 {
		return resource[:sub] + "." + group + resource[sub:] + ":" + verb
	}
	return resource + "." + group + ":" + verb
}

// githubActions maps GitHub audit-log actions to the classic scope and
// the fine-grained permission they need (GitHub's "Permissions required
// for fine-grained personal access tokens" and "Scopes for OAuth apps").
var githubActions = map[string][]string{
	"git.clone":                      {"scope:repo", "contents:read"},
	"git.fetch":                      {"scope:repo", "contents:read"},
	"git.push":                       {"scope:repo", "contents:write"},
	"repo.create":                    {"scope:repo", "administration:write"},
	"repo.destroy":                   {"scope:delete_repo", "administration:write"},
	"repo.access":                    {"scope:repo", "administration:write"},
	"repo.archived":                  {"scope:repo", "administration:write"},
	"repo.rename":                    {"scope:repo", "administration:write"},
	"repo.transfer":                  {"scope:repo", "administration:write"},
	"repo.create_actions_secret":     {"scope:repo", "secrets:write"},
	"repo.update_actions_secret":     {"scope:repo", "secrets:write"},
	"repo.remove_actions_secret":     {"scope:repo", "secrets:write"},
	"org.create_actions_secret":      {"scope:admin:org", "organization_secrets:write"},
	"org.update_actions_secret":      {"scope:admin:org", "organization_secrets:write"},
	"org.remove_actions_secret":      {"scope:admin:org", "organization_secrets:write"},
	"org.add_member":                 {"scope:admin:org", "members:write"},
	"org.remove_member":              {"scope:admin:org", "members:write"},
	"org.update_member":              {"scope:admin:org", "members:write"},
	"org.invite_member":              {"scope:admin:org", "members:write"},
	"team.add_member":                {"scope:admin:org", "members:write"},
	"team.remove_member":             {"scope:admin:org", "members:write"},
	"protected_branch.create":        {"scope:repo", "administration:write"},
	"protected_branch.update":        {"scope:repo", "administration:write"},
	"protected_branch.destroy":       {"scope:repo", "administration:write"},
	"public_key.create":              {"scope:write:public_key"},
	"public_key.delete":              {"scope:admin:public_key"},
	"pull_request.create":            {"scope:repo", "pull_requests:write"},
	"pull_request.merge":             {"scope:repo", "contents:write"},
	"hook.create":                    {"scope:admin:repo_hook", "repository_hooks:write"},
	"hook.destroy":                   {"scope:admin:repo_hook", "repository_hooks:write"},
	"workflows.created_workflow_run": {"scope:workflow", "actions:write"},
}
