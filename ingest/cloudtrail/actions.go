package cloudtrail

import (
	"strings"

	"github.com/aitdr/aitdr/schemas"
)

// Event sources of the services with known events.
const (
	srcIAM            = "iam.amazonaws.com"
	srcSTS            = "sts.amazonaws.com"
	srcSignin         = "signin.amazonaws.com"
	srcSSO            = "sso.amazonaws.com"
	srcS3             = "s3.amazonaws.com"
	srcBedrock        = "bedrock.amazonaws.com"
	srcSageMaker      = "sagemaker.amazonaws.com"
	srcCloudTrail     = "cloudtrail.amazonaws.com"
	srcLogs           = "logs.amazonaws.com"
	srcGuardDuty      = "guardduty.amazonaws.com"
	srcConfig         = "config.amazonaws.com"
	srcSecretsManager = "secretsmanager.amazonaws.com"
	srcKMS            = "kms.amazonaws.com"
	srcSSM            = "ssm.amazonaws.com"
)

// targetKind says where the target of an event is found.
type targetKind uint8

const (
	targetNone           targetKind = iota
	targetIAM                       // roleName, userName, groupName or policyArn, the first present
	targetIAMUser                   // requestParameters.userName, or the calling IAM user
	targetIAMRole                   // requestParameters.roleName
	targetIAMGroup                  // requestParameters.groupName
	targetIAMPolicy                 // requestParameters.policyArn or policyName
	targetRoleARN                   // requestParameters.roleArn (STS)
	targetFederatedUser             // requestParameters.name (GetFederationToken)
	targetSSORole                   // requestParameters.roleName and accountId (IAM Identity Center)
	targetS3                        // requestParameters.bucketName, the object key as an attribute
	targetModel                     // requestParameters.modelId or modelIdentifier (Bedrock)
	targetCustomization             // requestParameters.jobName, base model baseModelIdentifier (Bedrock)
	targetAgent                     // requestParameters.agentId (Bedrock agents)
	targetTrainingJob               // requestParameters.trainingJobName (SageMaker)
	targetSageMakerModel            // requestParameters.modelName (SageMaker)
	targetModelPackage              // requestParameters.modelPackageGroupName, modelPackageName or modelPackageArn
	targetEndpoint                  // requestParameters.endpointName (SageMaker)
	targetTrail                     // requestParameters.name or trailName (CloudTrail)
	targetLogGroup                  // requestParameters.logGroupName (CloudWatch Logs)
	targetDetector                  // requestParameters.detectorId (GuardDuty)
	targetRecorder                  // requestParameters.configurationRecorderName (AWS Config)
	targetSecret                    // requestParameters.secretId (Secrets Manager)
	targetKMSKey                    // requestParameters.keyId or the AWS::KMS::Key resource
	targetParameter                 // requestParameters.name (SSM Parameter Store)
)

// rule is what the table knows of one event.
type rule struct {
	verb     schemas.Verb
	category schemas.Category
	target   targetKind
	// response is set for events whose responseElements are read: the
	// console sign-in result, issued credentials, created resources.
	response bool
}

// eventKey names an event: its eventSource and eventName.
type eventKey struct{ source, name string }

// Shorter names for the table.
const (
	vCreate = schemas.VerbCreate
	vRead   = schemas.VerbRead
	vUpdate = schemas.VerbUpdate
	vDelete = schemas.VerbDelete
	vList   = schemas.VerbList
	vInvoke = schemas.VerbInvoke
	vAuth   = schemas.VerbAuthenticate
	vAssume = schemas.VerbAssume
	vGrant  = schemas.VerbGrant
	vRevoke = schemas.VerbRevoke
	vEnable = schemas.VerbEnable
	vOff    = schemas.VerbDisable
	vOther  = schemas.VerbOther

	cAuthn    = schemas.CategoryAuthentication
	cAuthz    = schemas.CategoryAuthorization
	cIAM      = schemas.CategoryIAMChange
	cData     = schemas.CategoryDataAccess
	cInfer    = schemas.CategoryModelInference
	cModel    = schemas.CategoryModelManagement
	cTraining = schemas.CategoryTrainingPipeline
	cSecret   = schemas.CategorySecretAccess
	cAdmin    = schemas.CategoryAdmin
	cLogging  = schemas.CategoryLoggingChange
	cOther    = schemas.CategoryOther
)

// rules maps the events detection relies on to their verb, category and
// target. Events not listed are classified by their service (services) and
// the AWS naming convention of their name (verbOf).
var rules = map[eventKey]rule{
	// IAM users, groups, roles, policies and keys.
	{srcIAM, "CreateUser"}:                    {vCreate, cIAM, targetIAMUser, false},
	{srcIAM, "DeleteUser"}:                    {vDelete, cIAM, targetIAMUser, false},
	{srcIAM, "UpdateUser"}:                    {vUpdate, cIAM, targetIAMUser, false},
	{srcIAM, "CreateLoginProfile"}:            {vCreate, cIAM, targetIAMUser, false},
	{srcIAM, "UpdateLoginProfile"}:            {vUpdate, cIAM, targetIAMUser, false},
	{srcIAM, "DeleteLoginProfile"}:            {vDelete, cIAM, targetIAMUser, false},
	{srcIAM, "CreateAccessKey"}:               {vCreate, cIAM, targetIAMUser, true},
	{srcIAM, "UpdateAccessKey"}:               {vUpdate, cIAM, targetIAMUser, false},
	{srcIAM, "DeleteAccessKey"}:               {vDelete, cIAM, targetIAMUser, false},
	{srcIAM, "EnableMFADevice"}:               {vEnable, cIAM, targetIAMUser, false},
	{srcIAM, "DeactivateMFADevice"}:           {vOff, cIAM, targetIAMUser, false},
	{srcIAM, "AttachUserPolicy"}:              {vGrant, cIAM, targetIAMUser, false},
	{srcIAM, "DetachUserPolicy"}:              {vRevoke, cIAM, targetIAMUser, false},
	{srcIAM, "PutUserPolicy"}:                 {vGrant, cIAM, targetIAMUser, false},
	{srcIAM, "DeleteUserPolicy"}:              {vRevoke, cIAM, targetIAMUser, false},
	{srcIAM, "CreateGroup"}:                   {vCreate, cIAM, targetIAMGroup, false},
	{srcIAM, "DeleteGroup"}:                   {vDelete, cIAM, targetIAMGroup, false},
	{srcIAM, "AddUserToGroup"}:                {vGrant, cIAM, targetIAMGroup, false},
	{srcIAM, "RemoveUserFromGroup"}:           {vRevoke, cIAM, targetIAMGroup, false},
	{srcIAM, "AttachGroupPolicy"}:             {vGrant, cIAM, targetIAMGroup, false},
	{srcIAM, "DetachGroupPolicy"}:             {vRevoke, cIAM, targetIAMGroup, false},
	{srcIAM, "PutGroupPolicy"}:                {vGrant, cIAM, targetIAMGroup, false},
	{srcIAM, "DeleteGroupPolicy"}:             {vRevoke, cIAM, targetIAMGroup, false},
	{srcIAM, "CreateRole"}:                    {vCreate, cIAM, targetIAMRole, false},
	{srcIAM, "DeleteRole"}:                    {vDelete, cIAM, targetIAMRole, false},
	{srcIAM, "UpdateRole"}:                    {vUpdate, cIAM, targetIAMRole, false},
	{srcIAM, "UpdateAssumeRolePolicy"}:        {vUpdate, cIAM, targetIAMRole, false},
	{srcIAM, "AttachRolePolicy"}:              {vGrant, cIAM, targetIAMRole, false},
	{srcIAM, "DetachRolePolicy"}:              {vRevoke, cIAM, targetIAMRole, false},
	{srcIAM, "PutRolePolicy"}:                 {vGrant, cIAM, targetIAMRole, false},
	{srcIAM, "DeleteRolePolicy"}:              {vRevoke, cIAM, targetIAMRole, false},
	{srcIAM, "PutRolePermissionsBoundary"}:    {vUpdate, cIAM, targetIAMRole, false},
	{srcIAM, "DeleteRolePermissionsBoundary"}: {vGrant, cIAM, targetIAMRole, false},
	{srcIAM, "AddRoleToInstanceProfile"}:      {vGrant, cIAM, targetIAMRole, false},
	{srcIAM, "CreatePolicy"}:                  {vCreate, cIAM, targetIAMPolicy, false},
	{srcIAM, "DeletePolicy"}:                  {vDelete, cIAM, targetIAMPolicy, false},
	{srcIAM, "CreatePolicyVersion"}:           {vUpdate, cIAM, targetIAMPolicy, false},
	{srcIAM, "SetDefaultPolicyVersion"}:       {vUpdate, cIAM, targetIAMPolicy, false},
	{srcIAM, "DeletePolicyVersion"}:           {vDelete, cIAM, targetIAMPolicy, false},

	// STS: role assumption, federation and session tokens.
	{srcSTS, "AssumeRole"}:                {vAssume, cAuthz, targetRoleARN, true},
	{srcSTS, "AssumeRoleWithSAML"}:        {vAssume, cAuthn, targetRoleARN, true},
	{srcSTS, "AssumeRoleWithWebIdentity"}: {vAssume, cAuthn, targetRoleARN, true},
	{srcSTS, "GetSessionToken"}:           {vAuth, cAuthn, targetNone, true},
	{srcSTS, "GetFederationToken"}:        {vAuth, cAuthn, targetFederatedUser, true},
	{srcSTS, "GetCallerIdentity"}:         {vRead, cOther, targetNone, false},

	// Console sign-in and IAM Identity Center.
	{srcSignin, "ConsoleLogin"}:         {vAuth, cAuthn, targetNone, true},
	{srcSignin, "CheckMfa"}:             {vAuth, cAuthn, targetNone, false},
	{srcSignin, "GetSigninToken"}:       {vAuth, cAuthn, targetNone, false},
	{srcSignin, "SwitchRole"}:           {vAssume, cAuthz, targetNone, false},
	{srcSignin, "ExitRole"}:             {vOther, cAuthz, targetNone, false},
	{srcSSO, "GetRoleCredentials"}:      {vAssume, cAuthz, targetSSORole, false},
	{srcSSO, "Federate"}:                {vAssume, cAuthz, targetSSORole, false},
	{srcSSO, "ListAccountRoles"}:        {vList, cAuthz, targetNone, false},
	{srcSSO, "ListAccounts"}:            {vList, cAuthz, targetNone, false},
	{srcSSO, "CreateAccountAssignment"}: {vGrant, cIAM, targetNone, false},
	{srcSSO, "DeleteAccountAssignment"}: {vRevoke, cIAM, targetNone, false},

	// S3 data events and bucket access control.
	{srcS3, "GetObject"}:                     {vRead, cData, targetS3, false},
	{srcS3, "HeadObject"}:                    {vRead, cData, targetS3, false},
	{srcS3, "SelectObjectContent"}:           {vRead, cData, targetS3, false},
	{srcS3, "PutObject"}:                     {vCreate, cData, targetS3, false},
	{srcS3, "CopyObject"}:                    {vCreate, cData, targetS3, false},
	{srcS3, "DeleteObject"}:                  {vDelete, cData, targetS3, false},
	{srcS3, "DeleteObjects"}:                 {vDelete, cData, targetS3, false},
	{srcS3, "ListObjects"}:                   {vList, cData, targetS3, false},
	{srcS3, "ListObjectsV2"}:                 {vList, cData, targetS3, false},
	{srcS3, "ListObjectVersions"}:            {vList, cData, targetS3, false},
	{srcS3, "PutBucketPolicy"}:               {vUpdate, cIAM, targetS3, false},
	{srcS3, "DeleteBucketPolicy"}:            {vDelete, cIAM, targetS3, false},
	{srcS3, "PutBucketAcl"}:                  {vUpdate, cIAM, targetS3, false},
	{srcS3, "PutObjectAcl"}:                  {vUpdate, cIAM, targetS3, false},
	{srcS3, "PutBucketPublicAccessBlock"}:    {vUpdate, cIAM, targetS3, false},
	{srcS3, "DeleteBucketPublicAccessBlock"}: {vDelete, cIAM, targetS3, false},
	{srcS3, "PutBucketLogging"}:              {vUpdate, cLogging, targetS3, false},

	// Amazon Bedrock: inference, model access, customization, logging.
	{srcBedrock, "InvokeModel"}:                               {vInvoke, cInfer, targetModel, false},
	{srcBedrock, "InvokeModelWithResponseStream"}:             {vInvoke, cInfer, targetModel, false},
	{srcBedrock, "Converse"}:                                  {vInvoke, cInfer, targetModel, false},
	{srcBedrock, "ConverseStream"}:                            {vInvoke, cInfer, targetModel, false},
	{srcBedrock, "CreateModelInvocationJob"}:                  {vCreate, cInfer, targetModel, false},
	{srcBedrock, "InvokeAgent"}:                               {vInvoke, cInfer, targetAgent, false},
	{srcBedrock, "RetrieveAndGenerate"}:                       {vInvoke, cInfer, targetNone, false},
	{srcBedrock, "Retrieve"}:                                  {vRead, cData, targetNone, false},
	{srcBedrock, "GetFoundationModelAvailability"}:            {vRead, cModel, targetModel, false},
	{srcBedrock, "GetFoundationModel"}:                        {vRead, cModel, targetModel, false},
	{srcBedrock, "ListFoundationModels"}:                      {vList, cModel, targetNone, false},
	{srcBedrock, "ListFoundationModelAgreementOffers"}:        {vList, cModel, targetModel, false},
	{srcBedrock, "CreateFoundationModelAgreement"}:            {vEnable, cModel, targetModel, false},
	{srcBedrock, "PutUseCaseForModelAccess"}:                  {vEnable, cModel, targetNone, false},
	{srcBedrock, "CreateModelCustomizationJob"}:               {vCreate, cTraining, targetCustomization, true},
	{srcBedrock, "StopModelCustomizationJob"}:                 {vOff, cTraining, targetCustomization, false},
	{srcBedrock, "CreateProvisionedModelThroughput"}:          {vCreate, cModel, targetModel, false},
	{srcBedrock, "GetModelInvocationLoggingConfiguration"}:    {vRead, cLogging, targetNone, false},
	{srcBedrock, "PutModelInvocationLoggingConfiguration"}:    {vUpdate, cLogging, targetNone, false},
	{srcBedrock, "DeleteModelInvocationLoggingConfiguration"}: {vDelete, cLogging, targetNone, false},

	// Amazon SageMaker: training, models, the model registry, endpoints.
	{srcSageMaker, "CreateTrainingJob"}:                {vCreate, cTraining, targetTrainingJob, false},
	{srcSageMaker, "StopTrainingJob"}:                  {vOff, cTraining, targetTrainingJob, false},
	{srcSageMaker, "CreateHyperParameterTuningJob"}:    {vCreate, cTraining, targetNone, false},
	{srcSageMaker, "CreateProcessingJob"}:              {vCreate, cTraining, targetNone, false},
	{srcSageMaker, "CreatePipeline"}:                   {vCreate, cTraining, targetNone, false},
	{srcSageMaker, "UpdatePipeline"}:                   {vUpdate, cTraining, targetNone, false},
	{srcSageMaker, "StartPipelineExecution"}:           {vInvoke, cTraining, targetNone, false},
	{srcSageMaker, "CreateModel"}:                      {vCreate, cModel, targetSageMakerModel, false},
	{srcSageMaker, "DeleteModel"}:                      {vDelete, cModel, targetSageMakerModel, false},
	{srcSageMaker, "CreateModelPackage"}:               {vCreate, cModel, targetModelPackage, true},
	{srcSageMaker, "UpdateModelPackage"}:               {vUpdate, cModel, targetModelPackage, false},
	{srcSageMaker, "DeleteModelPackage"}:               {vDelete, cModel, targetModelPackage, false},
	{srcSageMaker, "CreateModelPackageGroup"}:          {vCreate, cModel, targetModelPackage, false},
	{srcSageMaker, "DeleteModelPackageGroup"}:          {vDelete, cModel, targetModelPackage, false},
	{srcSageMaker, "CreateEndpoint"}:                   {vCreate, cModel, targetEndpoint, false},
	{srcSageMaker, "UpdateEndpoint"}:                   {vUpdate, cModel, targetEndpoint, false},
	{srcSageMaker, "DeleteEndpoint"}:                   {vDelete, cModel, targetEndpoint, false},
	{srcSageMaker, "CreateEndpointConfig"}:             {vCreate, cModel, targetNone, false},
	{srcSageMaker, "InvokeEndpoint"}:                   {vInvoke, cInfer, targetEndpoint, false},
	{srcSageMaker, "InvokeEndpointAsync"}:              {vInvoke, cInfer, targetEndpoint, false},
	{srcSageMaker, "InvokeEndpointWithResponseStream"}: {vInvoke, cInfer, targetEndpoint, false},

	// Audit logging: CloudTrail, CloudWatch Logs, GuardDuty, Config.
	{srcCloudTrail, "StopLogging"}:                 {vOff, cLogging, targetTrail, false},
	{srcCloudTrail, "StartLogging"}:                {vEnable, cLogging, targetTrail, false},
	{srcCloudTrail, "DeleteTrail"}:                 {vDelete, cLogging, targetTrail, false},
	{srcCloudTrail, "UpdateTrail"}:                 {vUpdate, cLogging, targetTrail, false},
	{srcCloudTrail, "CreateTrail"}:                 {vCreate, cLogging, targetTrail, false},
	{srcCloudTrail, "PutEventSelectors"}:           {vUpdate, cLogging, targetTrail, false},
	{srcCloudTrail, "PutInsightSelectors"}:         {vUpdate, cLogging, targetTrail, false},
	{srcCloudTrail, "DeleteEventDataStore"}:        {vDelete, cLogging, targetNone, false},
	{srcCloudTrail, "StopEventDataStoreIngestion"}: {vOff, cLogging, targetNone, false},
	{srcLogs, "DeleteLogGroup"}:                    {vDelete, cLogging, targetLogGroup, false},
	{srcLogs, "DeleteLogStream"}:                   {vDelete, cLogging, targetLogGroup, false},
	{srcLogs, "PutRetentionPolicy"}:                {vUpdate, cLogging, targetLogGroup, false},
	{srcGuardDuty, "DeleteDetector"}:               {vDelete, cLogging, targetDetector, false},
	{srcGuardDuty, "UpdateDetector"}:               {vUpdate, cLogging, targetDetector, false},
	{srcConfig, "StopConfigurationRecorder"}:       {vOff, cLogging, targetRecorder, false},
	{srcConfig, "DeleteConfigurationRecorder"}:     {vDelete, cLogging, targetRecorder, false},
	{srcConfig, "DeleteDeliveryChannel"}:           {vDelete, cLogging, targetNone, false},

	// Secrets and keys.
	{srcSecretsManager, "GetSecretValue"}:      {vRead, cSecret, targetSecret, false},
	{srcSecretsManager, "BatchGetSecretValue"}: {vRead, cSecret, targetNone, false},
	{srcSecretsManager, "PutSecretValue"}:      {vUpdate, cSecret, targetSecret, false},
	{srcSecretsManager, "CreateSecret"}:        {vCreate, cSecret, targetSecret, false},
	{srcSecretsManager, "DeleteSecret"}:        {vDelete, cSecret, targetSecret, false},
	{srcKMS, "Decrypt"}:                        {vRead, cSecret, targetKMSKey, false},
	{srcKMS, "GenerateDataKey"}:                {vCreate, cSecret, targetKMSKey, false},
	{srcKMS, "ScheduleKeyDeletion"}:            {vDelete, cAdmin, targetKMSKey, false},
	{srcKMS, "DisableKey"}:                     {vOff, cAdmin, targetKMSKey, false},
	{srcKMS, "PutKeyPolicy"}:                   {vUpdate, cIAM, targetKMSKey, false},
	{srcSSM, "GetParameter"}:                   {vRead, cSecret, targetParameter, false},
	{srcSSM, "GetParameters"}:                  {vRead, cSecret, targetNone, false},
	{srcSSM, "GetParametersByPath"}:            {vRead, cSecret, targetNone, false},
}

// service is what classifies the events of a service that the table does
// not list.
type service struct {
	// change, read, data and invoke are the categories of its mutating
	// events, read-only management events, data events and invocations;
	// empty means other.
	change, read, data, invoke schemas.Category
	// target is where its events name their target.
	target targetKind
	// aiProvider and aiService are the AI context of every event of the
	// service.
	aiProvider, aiService string
	// additional is set when additionalEventData is read: sign-in MFA,
	// S3 bytes, Bedrock tokens.
	additional bool
}

var services = map[string]service{
	srcIAM:                        {change: cIAM, target: targetIAM},
	srcSTS:                        {change: cAuthz},
	srcSignin:                     {change: cAuthn, read: cAuthn, additional: true},
	srcSSO:                        {change: cAdmin},
	"identitystore.amazonaws.com": {change: cIAM},
	"organizations.amazonaws.com": {change: cAdmin},
	srcS3:                         {change: cAdmin, data: cData, target: targetS3, additional: true},
	srcBedrock:                    {change: cModel, read: cModel, invoke: cInfer, data: cInfer, target: targetModel, aiProvider: "aws.bedrock", aiService: "bedrock", additional: true},
	srcSageMaker:                  {change: cModel, read: cModel, invoke: cInfer, aiProvider: "aws.sagemaker", aiService: "sagemaker"},
	srcCloudTrail:                 {change: cLogging, target: targetTrail},
	srcSecretsManager:             {change: cSecret, read: cSecret, target: targetSecret},
	srcKMS:                        {change: cAdmin, target: targetKMSKey},
}

// verbPrefixes are the verbs of the AWS API naming convention, by the first
// word of the operation name.
var verbPrefixes = [...]struct {
	prefix string
	verb   schemas.Verb
}{
	{"Get", vRead}, {"BatchGet", vRead}, {"Describe", vRead}, {"Head", vRead}, {"Lookup", vRead},
	{"Search", vRead}, {"Retrieve", vRead}, {"Download", vRead}, {"Select", vRead},
	{"List", vList},
	{"Create", vCreate}, {"Register", vCreate}, {"Import", vCreate}, {"Upload", vCreate},
	{"Generate", vCreate}, {"Allocate", vCreate}, {"Copy", vCreate}, {"Run", vCreate},
	{"Delete", vDelete}, {"BatchDelete", vDelete}, {"Deregister", vDelete}, {"Remove", vDelete},
	{"Terminate", vDelete}, {"Purge", vDelete}, {"Release", vDelete},
	{"Update", vUpdate}, {"Put", vUpdate}, {"Modify", vUpdate}, {"Set", vUpdate}, {"Change", vUpdate},
	{"Replace", vUpdate}, {"Reset", vUpdate}, {"Rotate", vUpdate}, {"Restore", vUpdate},
	{"Tag", vUpdate}, {"Untag", vUpdate}, {"Attach", vUpdate}, {"Detach", vUpdate},
	{"Associate", vUpdate}, {"Disassociate", vUpdate}, {"Add", vUpdate},
	{"Invoke", vInvoke}, {"Converse", vInvoke},
	{"Enable", vEnable}, {"Activate", vEnable},
	{"Disable", vOff}, {"Deactivate", vOff},
	{"Grant", vGrant}, {"Authorize", vGrant},
	{"Revoke", vRevoke},
	{"Export", schemas.VerbExport},
	{"Assume", vAssume},
	{"Authenticate", vAuth}, {"Login", vAuth},
}

// verbOf derives the verb of an operation from its first word: "Get…" and
// "Describe…" read, "List…" lists, "Create…" creates, and so on; other
// names give other.
func verbOf(name string) schemas.Verb {
	for _, p := range verbPrefixes {
		rest, ok := strings.CutPrefix(name, p.prefix)
		if ok && (rest == "" || rest[0] >= 'A' && rest[0] <= 'Z') {
			return p.verb
		}
	}
	return vOther
}

// infer classifies an event the table does not list: the verb from its
// name, the category from its service and whether it changed anything.
func infer(r *record, svc service) rule {
	verb := verbOf(r.EventName)
	readOnly := verb == vRead || verb == vList
	if r.ReadOnly != nil {
		readOnly = *r.ReadOnly
	}
	var category schemas.Category
	switch {
	case verb == vInvoke && svc.invoke != "":
		category = svc.invoke
	case r.EventCategory == "Data" && svc.data != "":
		category = svc.data
	case readOnly:
		category = svc.read
	default:
		category = svc.change
	}
	if category == "" {
		category = cOther
	}
	return rule{verb: verb, category: category, target: svc.target}
}
