package aws

import (
	"strings"

	"github.com/aitdr/aitdr/ingest/grants/snapshot"
)

// loggingActions turn off, delete or redirect audit and invocation logs.
var loggingActions = set(
	"cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors",
	"cloudtrail:DeleteEventDataStore", "cloudtrail:StopEventDataStoreIngestion",
	"logs:DeleteLogGroup", "logs:DeleteLogStream", "logs:PutRetentionPolicy", "logs:DeleteSubscriptionFilter",
	"bedrock:DeleteModelInvocationLoggingConfiguration", "bedrock:PutModelInvocationLoggingConfiguration",
	"guardduty:DeleteDetector", "guardduty:UpdateDetector", "guardduty:DisassociateFromMasterAccount",
	"config:StopConfigurationRecorder", "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel",
	"sagemaker:DeleteMonitoringSchedule", "sagemaker:StopMonitoringSchedule",
)

// secretActions read secrets, use keys to decrypt, or mint credentials.
var secretActions = set(
	"secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue",
	"ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
	"kms:Decrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyPair", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom",
	"iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
	"iam:CreateServiceSpecificCredential", "iam:ResetServiceSpecificCredential",
	"sts:GetFederationToken", "sts:GetSessionToken", "ecr:GetAuthorizationToken",
	"bedrock:CallWithBearerToken",
	"lambda:GetFunction", // returns the function's environment, where keys live
)

// modelDeployActions put models where they serve traffic or replace what
// serves.
var modelDeployActions = set(
	"sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint", "sagemaker:CreateEndpointConfig",
	"sagemaker:UpdateEndpointWeightsAndCapacities", "sagemaker:CreateInferenceComponent", "sagemaker:UpdateInferenceComponent",
	"sagemaker:UpdateModelPackage", "sagemaker:CreateModel",
	"bedrock:CreateProvisionedModelThroughput", "bedrock:UpdateProvisionedModelThroughput",
	"bedrock:CreateAgentAlias", "bedrock:UpdateAgentAlias", "bedrock:PrepareAgent", "bedrock:UpdateAgent",
	"bedrock:CreateCustomModelDeployment", "bedrock:CreateModelImportJob",
)

// dataServices hold customer data: their Delete actions destroy it.
var dataServices = set(
	"s3", "s3express", "s3tables", "dynamodb", "rds", "glue", "athena", "redshift", "redshift-data",
	"elasticfilesystem", "fsx", "backup", "bedrock", "sagemaker", "kendra", "es", "aoss", "timestream",
	"neptune-db", "kinesis", "firehose", "secretsmanager", "ecr", "lakeformation", "qbusiness", "q",
)

// Sensitive returns the sensitive class of an AWS action, or "": the
// documented lists first (logging, secrets, model deployment), then IAM
// and STS role assumption and every action the catalog rates
// "Permissions management" (IAM changes, resource policies), then
// Delete*, BatchDelete* and Purge* actions of data services and KMS key
// deletion (data deletion). docs/protect.md lists the rules.
func Sensitive(a Action) string {
	name := a.String()
	switch {
	case loggingActions[name]:
		return snapshot.SensitiveLogging
	case secretActions[name]:
		return snapshot.SensitiveSecret
	case modelDeployActions[name]:
		return snapshot.SensitiveModelDeploy
	case strings.Contains(a.Levels, "P"),
		a.Service == "iam" && strings.ContainsAny(a.Levels, "WT"),
		a.Service == "sts" && strings.HasPrefix(a.Name, "AssumeRole"):
		return snapshot.SensitiveIAM
	case name == "kms:ScheduleKeyDeletion" || name == "kms:DisableKey":
		return snapshot.SensitiveDelete
	case dataServices[a.Service] && strings.Contains(a.Levels, "W") &&
		(strings.HasPrefix(a.Name, "Delete") || strings.HasPrefix(a.Name, "BatchDelete") || strings.HasPrefix(a.Name, "Purge")):
		return snapshot.SensitiveDelete
	}
	return ""
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
