package cloudtrail

import (
	"cmp"
	"errors"
	"strings"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/srcjson"
	"github.com/aitdr/aitdr/schemas"
)

// request holds the requestParameters that name targets and their
// details, across the known APIs. Every field is lenient (str): a value of
// another type is ignored, never failing the record.
type request struct {
	UserName                  str `json:"userName"`
	RoleName                  str `json:"roleName"`
	GroupName                 str `json:"groupName"`
	PolicyARN                 str `json:"policyArn"`
	PolicyName                str `json:"policyName"`
	AccessKeyID               str `json:"accessKeyId"`
	RoleARN                   str `json:"roleArn"`
	RoleSessionName           str `json:"roleSessionName"`
	SerialNumber              str `json:"serialNumber"`
	Name                      str `json:"name"`
	TrailName                 str `json:"trailName"`
	AccountID                 str `json:"accountId"`
	BucketName                str `json:"bucketName"`
	Key                       str `json:"key"`
	ModelID                   str `json:"modelId"`
	ModelIdentifier           str `json:"modelIdentifier"`
	JobName                   str `json:"jobName"`
	CustomModelName           str `json:"customModelName"`
	BaseModelIdentifier       str `json:"baseModelIdentifier"`
	AgentID                   str `json:"agentId"`
	AgentAliasID              str `json:"agentAliasId"`
	TrainingJobName           str `json:"trainingJobName"`
	ModelName                 str `json:"modelName"`
	ModelPackageGroupName     str `json:"modelPackageGroupName"`
	ModelPackageName          str `json:"modelPackageName"`
	ModelPackageARN           str `json:"modelPackageArn"`
	ModelApprovalStatus       str `json:"modelApprovalStatus"`
	EndpointName              str `json:"endpointName"`
	EndpointConfigName        str `json:"endpointConfigName"`
	LogGroupName              str `json:"logGroupName"`
	DetectorID                str `json:"detectorId"`
	ConfigurationRecorderName str `json:"configurationRecorderName"`
	SecretID                  str `json:"secretId"`
	KeyID                     str `json:"keyId"`
}

// response holds the responseElements of the events that have response
// set in the table.
type response struct {
	ConsoleLogin str `json:"ConsoleLogin"`
	Credentials  struct {
		AccessKeyID str `json:"accessKeyId"`
	} `json:"credentials"`
	AccessKey struct {
		AccessKeyID str `json:"accessKeyId"`
	} `json:"accessKey"`
	AssumedRoleUser struct {
		ARN str `json:"arn"`
	} `json:"assumedRoleUser"`
	FederatedUser struct {
		ARN str `json:"arn"`
	} `json:"federatedUser"`
	Issuer                      str `json:"issuer"`
	Provider                    str `json:"provider"`
	SubjectFromWebIdentityToken str `json:"subjectFromWebIdentityToken"`
	JobARN                      str `json:"jobArn"`
	ModelPackageARN             str `json:"modelPackageArn"`
}

// additional holds the additionalEventData of console sign-ins, S3 and
// Bedrock.
type additional struct {
	MFAUsed      str `json:"MFAUsed"`
	LoginTo      str `json:"LoginTo"`
	BytesIn      num `json:"bytesTransferredIn"`
	BytesOut     num `json:"bytesTransferredOut"`
	InputTokens  num `json:"inputTokenCount"`
	OutputTokens num `json:"outputTokenCount"`
}

// sub decodes a service-specific part of the record. Such a part that does
// not decode (an object where the known API has a string, say) is noted in
// aws.invalid_fields and left out, rather than failing the event.
func (n *normalizer) sub(raw []byte, v any, field string) {
	if isNull(raw) {
		return
	}
	if err := decode(raw, v, field); err != nil {
		if fe := (*ingest.FieldError)(nil); errors.As(err, &fe) {
			field = fe.Field
		}
		n.invalid = append(n.invalid, field)
	}
}

// action classifies the event and reads its target, volume and the details
// of its family.
func (n *normalizer) action() {
	r, ev := n.r, n.ev
	svc := services[r.EventSource]
	rl, known := rules[eventKey{r.EventSource, r.EventName}]
	if !known {
		rl = infer(r, svc)
	}
	n.rule = rl
	ev.Action.Verb, ev.Action.Category = rl.verb, rl.category

	if rl.target != targetNone || r.EventSource == srcSTS {
		n.sub(r.RequestParameters, &n.req, "requestParameters")
	}
	if rl.response {
		var resp response
		n.sub(r.ResponseElements, &resp, "responseElements")
		n.resp = resp
	}
	var add additional
	if svc.additional {
		n.sub(r.AdditionalEventData, &add, "additionalEventData")
	}
	if svc.aiProvider != "" {
		ev.AI.Provider, ev.AI.Service = svc.aiProvider, svc.aiService
	}

	n.target(rl.target)
	if ev.Target.IsZero() && len(r.Resources) > 0 {
		res := r.Resources[0]
		ev.Target = schemas.Target{
			Type:   resourceType(res.Type),
			ID:     srcjson.Clean(res.ARN),
			Name:   srcjson.Clean(arnName(res.ARN)),
			Tenant: cmp.Or(res.AccountID, parseARN(res.ARN).account),
		}
	}
	n.tenant()

	q, resp := &n.req, &n.resp
	if r.EventCategory == "Data" && rl.target == targetS3 && q.Key != "" {
		ev.Volume.Records = 1
	}
	ev.Volume.BytesIn = n.count(add.BytesIn, "additionalEventData.bytesTransferredIn")
	ev.Volume.BytesOut = n.count(add.BytesOut, "additionalEventData.bytesTransferredOut")
	ev.Volume.TokensIn = n.count(add.InputTokens, "additionalEventData.inputTokenCount")
	ev.Volume.TokensOut = n.count(add.OutputTokens, "additionalEventData.outputTokenCount")

	if r.EventName == "ConsoleLogin" {
		if add.MFAUsed == "Yes" {
			ev.Session.MFA = true
		}
		n.attr("aws.login_to", string(add.LoginTo))
	}
	if v := cmp.Or(string(resp.Issuer), string(resp.Provider)); v != "" {
		ev.Session.Issuer = srcjson.Clean(v)
	}
	n.attr("aws.issued_access_key_id", cmp.Or(string(resp.Credentials.AccessKeyID), string(resp.AccessKey.AccessKeyID)))
	n.attr("aws.assumed_role_user_arn", string(resp.AssumedRoleUser.ARN))
	n.attr("aws.web_identity_subject", string(resp.SubjectFromWebIdentityToken))
	n.attr("aws.role_session_name", string(q.RoleSessionName))
	if r.EventSource == srcSTS && q.SerialNumber != "" {
		// The caller passed an MFA device and code to STS.
		ev.Session.MFA = true
		n.attr("aws.mfa_serial_number", string(q.SerialNumber))
	}
	n.attr("aws.policy_arn", string(q.PolicyARN))
	n.attr("aws.policy_name", string(q.PolicyName))
	if rl.target == targetIAMUser || rl.target == targetIAM {
		n.attr("aws.access_key_id", string(q.AccessKeyID))
	}
}

// count parses a volume count; an unusable one is noted and left zero.
func (n *normalizer) count(v num, field string) int64 {
	c, err := count(v, field)
	if err != nil {
		n.invalid = append(n.invalid, field)
	}
	return c
}

// tenant sets Target.Tenant: the owner of the target when it has one, the
// account the event was recorded in otherwise; an event without a target
// gets a tenant only when its account is not the identity's (cross-account
// access).
func (n *normalizer) tenant() {
	ev := n.ev
	t := &ev.Target
	if !t.IsZero() {
		if t.Tenant == "" {
			t.Tenant = ev.Source.Account
		}
		return
	}
	if a := ev.Source.Account; isAccountID(a) && isAccountID(ev.Identity.Account) && a != ev.Identity.Account {
		t.Tenant = a
	}
}

// isAccountID reports whether s is a 12-digit AWS account id.
func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// target reads the target of the event from its request parameters.
func (n *normalizer) target(kind targetKind) {
	r, q, ev := n.r, &n.req, n.ev
	t := &ev.Target
	account := ev.Source.Account
	set := func(typ, id, name string) {
		t.Type, t.ID, t.Name = typ, srcjson.Clean(id), srcjson.Clean(name)
	}
	switch kind {
	case targetIAM:
		switch {
		case q.RoleName != "":
			n.target(targetIAMRole)
		case q.UserName != "":
			n.target(targetIAMUser)
		case q.GroupName != "":
			n.target(targetIAMGroup)
		case q.PolicyARN != "" || q.PolicyName != "":
			n.target(targetIAMPolicy)
		}

	case targetIAMUser:
		name := string(q.UserName)
		if name == "" && ev.Identity.Type == typeIAMUser {
			name = ev.Identity.Name // the caller acting on itself
		}
		if name != "" {
			set("iam_user", n.iamARN("user/", name), name)
		}

	case targetIAMRole:
		if q.RoleName != "" {
			set("iam_role", n.iamARN("role/", string(q.RoleName)), string(q.RoleName))
		}

	case targetIAMGroup:
		if q.GroupName != "" {
			set("iam_group", n.iamARN("group/", string(q.GroupName)), string(q.GroupName))
			n.attr("aws.member_user_name", string(q.UserName))
		}

	case targetIAMPolicy:
		switch {
		case q.PolicyARN != "":
			set("iam_policy", string(q.PolicyARN), lastSegment(string(q.PolicyARN)))
			t.Tenant = parseARN(string(q.PolicyARN)).account
		case q.PolicyName != "":
			set("iam_policy", n.iamARN("policy/", string(q.PolicyName)), string(q.PolicyName))
		}

	case targetRoleARN:
		if q.RoleARN != "" {
			a := parseARN(string(q.RoleARN))
			set("iam_role", string(q.RoleARN), cmp.Or(lastSegment(a.resource), string(q.RoleARN)))
			t.Tenant = a.account
		}

	case targetFederatedUser:
		if q.Name != "" {
			id := cmp.Or(string(n.resp.FederatedUser.ARN), "arn:"+n.partition()+":sts::"+account+":federated-user/"+string(q.Name))
			set("federated_user", id, string(q.Name))
		}

	case targetSSORole:
		if q.RoleName != "" {
			id := string(q.RoleName)
			if q.AccountID != "" {
				id = string(q.AccountID) + "/" + id
			}
			set("permission_set", id, string(q.RoleName))
			t.Tenant = srcjson.Clean(string(q.AccountID))
		}

	case targetS3:
		if q.BucketName != "" {
			set("s3_bucket", "arn:"+n.partition()+":s3:::"+string(q.BucketName), string(q.BucketName))
			for _, res := range r.Resources {
				if res.Type == "AWS::S3::Bucket" {
					t.Tenant = srcjson.Clean(res.AccountID)
				}
			}
			n.attr("aws.s3.key", string(q.Key))
		}

	case targetModel:
		id := cmp.Or(string(q.ModelID), string(q.ModelIdentifier))
		if id == "" {
			return
		}
		model := modelName(id)
		if !strings.HasPrefix(id, "arn:") {
			id = cmp.Or(n.resourceARN("AWS::Bedrock::"), id)
		}
		set("model", id, model)
		ev.AI.Model = t.Name

	case targetCustomization:
		if q.JobName != "" {
			set("training_job", cmp.Or(string(n.resp.JobARN), string(q.JobName)), string(q.JobName))
		}
		if q.BaseModelIdentifier != "" {
			ev.AI.Model = srcjson.Clean(modelName(string(q.BaseModelIdentifier)))
		}
		n.attr("aws.bedrock.custom_model_name", string(q.CustomModelName))

	case targetAgent:
		if q.AgentID != "" {
			set("agent", cmp.Or(n.resourceARN("AWS::Bedrock::"), string(q.AgentID)), string(q.AgentID))
			n.attr("aws.bedrock.agent_alias_id", string(q.AgentAliasID))
		}

	case targetTrainingJob:
		if q.TrainingJobName != "" {
			set("training_job", n.sageMakerARN("training-job/", string(q.TrainingJobName)), string(q.TrainingJobName))
		}

	case targetSageMakerModel:
		if q.ModelName != "" {
			set("model", n.sageMakerARN("model/", string(q.ModelName)), string(q.ModelName))
			ev.AI.Model = t.Name
		}

	case targetModelPackage:
		n.modelPackage()

	case targetEndpoint:
		if q.EndpointName != "" {
			set("endpoint", n.sageMakerARN("endpoint/", string(q.EndpointName)), string(q.EndpointName))
			n.attr("aws.sagemaker.endpoint_config_name", string(q.EndpointConfigName))
		}

	case targetTrail:
		name := cmp.Or(string(q.Name), string(q.TrailName))
		if name == "" {
			return
		}
		if a := parseARN(name); a.resource != "" {
			set("trail", name, strings.TrimPrefix(a.resource, "trail/"))
			t.Tenant = a.account
			return
		}
		set("trail", "arn:"+n.partition()+":cloudtrail:"+r.AWSRegion+":"+account+":trail/"+name, name)

	case targetLogGroup:
		if q.LogGroupName != "" {
			set("log_group", "arn:"+n.partition()+":logs:"+r.AWSRegion+":"+account+":log-group:"+string(q.LogGroupName), string(q.LogGroupName))
		}

	case targetDetector:
		if q.DetectorID != "" {
			set("guardduty_detector", string(q.DetectorID), string(q.DetectorID))
		}

	case targetRecorder:
		if q.ConfigurationRecorderName != "" {
			set("config_recorder", string(q.ConfigurationRecorderName), string(q.ConfigurationRecorderName))
		}

	case targetSecret:
		id := cmp.Or(string(q.SecretID), string(q.Name))
		if id == "" {
			return
		}
		name := id
		if a := parseARN(id); a.resource != "" {
			name = strings.TrimPrefix(a.resource, "secret:")
			t.Tenant = a.account
		}
		set("secret", id, name)

	case targetKMSKey:
		id := cmp.Or(n.resourceARN("AWS::KMS::Key"), string(q.KeyID))
		if id == "" {
			return
		}
		name := id
		if a := parseARN(id); a.resource != "" {
			name = strings.TrimPrefix(a.resource, "key/")
			t.Tenant = a.account
		}
		set("kms_key", id, name)

	case targetParameter:
		if q.Name != "" {
			name := string(q.Name)
			sep := "/"
			if strings.HasPrefix(name, "/") {
				sep = ""
			}
			set("ssm_parameter", "arn:"+n.partition()+":ssm:"+r.AWSRegion+":"+account+":parameter"+sep+name, name)
		}
	}
}

// modelPackage sets the target of a SageMaker model registry event: the
// model package (a version) or its group.
func (n *normalizer) modelPackage() {
	q, t := &n.req, &n.ev.Target
	id := cmp.Or(string(n.resp.ModelPackageARN), string(q.ModelPackageARN))
	name := string(q.ModelPackageGroupName)
	if a := parseARN(string(q.ModelPackageName)); a.resource != "" {
		id = cmp.Or(id, string(q.ModelPackageName))
	} else if name == "" {
		name = string(q.ModelPackageName)
	}
	if id == "" && name != "" {
		id = n.sageMakerARN("model-package-group/", name)
	}
	if name == "" {
		// model-package/<group>/<version>
		rest := strings.TrimPrefix(parseARN(id).resource, "model-package/")
		name, _, _ = strings.Cut(rest, "/")
	}
	if id == "" {
		return
	}
	t.Type, t.ID, t.Name = "model_package", srcjson.Clean(id), srcjson.Clean(name)
	n.attr("aws.sagemaker.model_approval_status", string(q.ModelApprovalStatus))
}

// partition is the AWS partition of the caller ("aws", "aws-cn",
// "aws-us-gov"), for the ARNs of targets.
func (n *normalizer) partition() string {
	if p := parseARN(n.r.UserIdentity.ARN).partition; p != "" {
		return p
	}
	return "aws"
}

// iamARN is the ARN of an IAM user, role, group or policy of the account
// the event was recorded in. IAM paths are not in the requests that name
// the entity, so the ARN has none: the same entity gets the same target id
// from every event.
func (n *normalizer) iamARN(kind, name string) string {
	return "arn:" + n.partition() + ":iam::" + n.ev.Source.Account + ":" + kind + name
}

// sageMakerARN is the ARN of a SageMaker resource, whose names SageMaker
// lower-cases in ARNs.
func (n *normalizer) sageMakerARN(kind, name string) string {
	return "arn:" + n.partition() + ":sagemaker:" + n.r.AWSRegion + ":" + n.ev.Source.Account + ":" + kind + strings.ToLower(name)
}

// resourceARN returns the ARN of the first resource whose type starts with
// prefix.
func (n *normalizer) resourceARN(prefix string) string {
	for _, res := range n.r.Resources {
		if strings.HasPrefix(res.Type, prefix) && res.ARN != "" {
			return res.ARN
		}
	}
	return ""
}

// modelName is the model of a Bedrock model id or ARN: the id itself, or
// what follows "foundation-model/", "inference-profile/" or the like.
func modelName(id string) string {
	if a := parseARN(id); a.resource != "" {
		if _, name, ok := strings.Cut(a.resource, "/"); ok {
			return name
		}
		return a.resource
	}
	return id
}

// arnName is the name of a resource ARN: its last path segment, or the
// resource itself.
func arnName(s string) string {
	a := parseARN(s)
	if name := lastSegment(a.resource); name != "" {
		return name
	}
	return a.resource
}

// resourceType turns a CloudFormation-style type, "AWS::S3::Bucket", into
// a target type, "s3_bucket".
func resourceType(t string) string {
	t = strings.TrimPrefix(t, "AWS::")
	return srcjson.Clean(strings.ToLower(strings.ReplaceAll(t, "::", "_")))
}
