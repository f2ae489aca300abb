package simulate

import (
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// CloudTrail records, in the shape of the CloudTrail record contents
// reference: one record per API call, as a log file or EventBridge holds
// it, sent one record per line.

type ctRecord struct {
	EventVersion        string       `json:"eventVersion"`
	UserIdentity        ctIdentity   `json:"userIdentity"`
	EventTime           string       `json:"eventTime"`
	EventSource         string       `json:"eventSource"`
	EventName           string       `json:"eventName"`
	AWSRegion           string       `json:"awsRegion"`
	SourceIPAddress     string       `json:"sourceIPAddress"`
	UserAgent           string       `json:"userAgent"`
	ErrorCode           string       `json:"errorCode,omitempty"`
	ErrorMessage        string       `json:"errorMessage,omitempty"`
	RequestParameters   any          `json:"requestParameters"`
	ResponseElements    any          `json:"responseElements"`
	AdditionalEventData any          `json:"additionalEventData,omitempty"`
	RequestID           string       `json:"requestID"`
	EventID             string       `json:"eventID"`
	ReadOnly            bool         `json:"readOnly"`
	Resources           []ctResource `json:"resources,omitempty"`
	EventType           string       `json:"eventType"`
	ManagementEvent     bool         `json:"managementEvent"`
	RecipientAccountID  string       `json:"recipientAccountId"`
	SharedEventID       string       `json:"sharedEventID,omitempty"`
	EventCategory       string       `json:"eventCategory"`
	TLSDetails          *ctTLS       `json:"tlsDetails,omitempty"`
}

type ctIdentity struct {
	Type           string            `json:"type"`
	PrincipalID    string            `json:"principalId"`
	ARN            string            `json:"arn"`
	AccountID      string            `json:"accountId"`
	AccessKeyID    string            `json:"accessKeyId,omitempty"`
	UserName       string            `json:"userName,omitempty"`
	SessionContext *ctSessionContext `json:"sessionContext,omitempty"`
	InvokedBy      string            `json:"invokedBy,omitempty"`
}

type ctSessionContext struct {
	SessionIssuer       *ctIssuer      `json:"sessionIssuer,omitempty"`
	WebIDFederationData *struct{}      `json:"webIdFederationData,omitempty"`
	Attributes          ctSessionAttrs `json:"attributes"`
}

type ctIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

type ctSessionAttrs struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

type ctResource struct {
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
}

type ctTLS struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}

// awsPrincipal is who makes an AWS call.
type awsPrincipal struct {
	account string
	// An IAM user: userName and userID (AIDA…), with accessKey (AKIA…
	// for a long-term key, ASIA… for a console session).
	userName, userID string
	// A role session: roleName, roleID (AROA…), session and its key.
	roleName, roleID, rolePath, session string
	sessionStart                        time.Time
	invokedBy                           string // an AWS service acting for the role
	accessKey                           string
	mfa                                 bool
	identity                            string // the aitdr identity id
}

// element returns the userIdentity element of p.
func (p *awsPrincipal) element() ctIdentity {
	if p.userName != "" {
		id := ctIdentity{
			Type: "IAMUser", PrincipalID: p.userID, ARN: "arn:aws:iam::" + p.account + ":user/" + p.userName,
			AccountID: p.account, AccessKeyID: p.accessKey, UserName: p.userName,
		}
		if !p.sessionStart.IsZero() {
			id.SessionContext = &ctSessionContext{Attributes: ctSessionAttrs{
				CreationDate: p.sessionStart.UTC().Format(time.RFC3339), MFAAuthenticated: boolText(p.mfa),
			}}
		}
		return id
	}
	return ctIdentity{
		Type:        "AssumedRole",
		PrincipalID: p.roleID + ":" + p.session,
		ARN:         "arn:aws:sts::" + p.account + ":assumed-role/" + p.roleName + "/" + p.session,
		AccountID:   p.account,
		AccessKeyID: p.accessKey,
		SessionContext: &ctSessionContext{
			SessionIssuer: &ctIssuer{
				Type: "Role", PrincipalID: p.roleID, ARN: "arn:aws:iam::" + p.account + ":role/" + p.rolePath + p.roleName,
				AccountID: p.account, UserName: p.roleName,
			},
			WebIDFederationData: &struct{}{},
			Attributes: ctSessionAttrs{
				CreationDate: p.sessionStart.UTC().Format(time.RFC3339), MFAAuthenticated: boolText(p.mfa),
			},
		},
		InvokedBy: p.invokedBy,
	}
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// awsCall is one API call.
type awsCall struct {
	source, name, region string
	readOnly, data       bool // data is a data event (S3 objects), not management
	req, resp, extra     any
	resources            []ctResource
	errCode, errMessage  string
	recipient            string // the account it is recorded in; default the caller's
	sharedEventID        string
	ip, userAgent        string
	category             schemas.Category // what aitdr makes of it
}

// cloudTrail returns the record of call by p at t.
func (g *engine) cloudTrail(r rng, at time.Time, p *awsPrincipal, c awsCall) Record {
	t := at.Truncate(time.Second)
	recipient := c.recipient
	if recipient == "" {
		recipient = p.account
	}
	region := c.region
	if region == "" {
		region = awsRegions[0]
	}
	category, eventType := "Management", "AwsApiCall"
	if c.data {
		category = "Data"
	}
	host := c.source
	switch c.source {
	case "bedrock.amazonaws.com":
		host = "bedrock-runtime." + region + ".amazonaws.com"
	case "iam.amazonaws.com", "sts.amazonaws.com":
	default:
		if c.source != "" {
			host = c.source[:len(c.source)-len(".amazonaws.com")] + "." + region + ".amazonaws.com"
		}
	}
	rec := ctRecord{
		EventVersion:        "1.10",
		UserIdentity:        p.element(),
		EventTime:           t.UTC().Format(time.RFC3339),
		EventSource:         c.source,
		EventName:           c.name,
		AWSRegion:           region,
		SourceIPAddress:     c.ip,
		UserAgent:           c.userAgent,
		ErrorCode:           c.errCode,
		ErrorMessage:        c.errMessage,
		RequestParameters:   c.req,
		ResponseElements:    c.resp,
		AdditionalEventData: c.extra,
		RequestID:           r.uuid(),
		EventID:             r.uuid(),
		ReadOnly:            c.readOnly,
		Resources:           c.resources,
		EventType:           eventType,
		ManagementEvent:     !c.data,
		RecipientAccountID:  recipient,
		SharedEventID:       c.sharedEventID,
		EventCategory:       category,
		TLSDetails:          &ctTLS{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ClientProvidedHostHeader: host},
	}
	if p.invokedBy != "" {
		rec.TLSDetails = nil
	}
	return g.record(schemas.ProductAWSCloudTrail, at, t, rec.EventID, p.identity, c.category, rec)
}

// Calls the simulation makes, with their parameters as CloudTrail records
// them.

type m = map[string]any

func bedrockInvoke(model, region string, tokensIn, tokensOut int, converse bool) awsCall {
	name := "InvokeModel"
	if converse {
		name = "Converse"
	}
	return awsCall{
		source: "bedrock.amazonaws.com", name: name, region: region, readOnly: true,
		req:       m{"modelId": model, "accept": "application/json", "contentType": "application/json"},
		extra:     m{"inputTokenCount": tokensIn, "outputTokenCount": tokensOut},
		resources: []ctResource{{Type: "AWS::Bedrock::Model", ARN: "arn:aws:bedrock:" + region + "::foundation-model/" + model}},
		category:  schemas.CategoryModelInference,
	}
}

func s3Object(name, bucket, key, account string, bytesOut, bytesIn int64) awsCall {
	c := awsCall{
		source: "s3.amazonaws.com", name: name, data: true, readOnly: name == "GetObject",
		req: m{"bucketName": bucket, "Host": bucket + ".s3.us-east-1.amazonaws.com", "key": key},
		extra: m{
			"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "AuthenticationMethod": "AuthHeader",
			"bytesTransferredIn": bytesIn, "bytesTransferredOut": bytesOut,
		},
		resources: []ctResource{
			{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::" + bucket + "/" + key},
			{AccountID: account, Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + bucket},
		},
		category: schemas.CategoryDataAccess,
	}
	return c
}

func s3List(bucket, prefix, account string) awsCall {
	return awsCall{
		source: "s3.amazonaws.com", name: "ListObjectsV2", data: true, readOnly: true,
		req:       m{"bucketName": bucket, "Host": bucket + ".s3.us-east-1.amazonaws.com", "list-type": "2", "prefix": prefix},
		extra:     m{"SignatureVersion": "SigV4", "bytesTransferredIn": 0, "bytesTransferredOut": 4312},
		resources: []ctResource{{AccountID: account, Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + bucket}},
		category:  schemas.CategoryDataAccess,
	}
}

func iamCall(name string, req any, category schemas.Category) awsCall {
	return awsCall{source: "iam.amazonaws.com", name: name, req: req, category: category}
}

// accessDenied makes c a call IAM refused to p.
func accessDenied(c awsCall, p *awsPrincipal, action, resource string) awsCall {
	c.errCode = "AccessDenied"
	who := "arn:aws:iam::" + p.account + ":user/" + p.userName
	if p.roleName != "" {
		who = "arn:aws:sts::" + p.account + ":assumed-role/" + p.roleName + "/" + p.session
	}
	c.errMessage = "User: " + who + " is not authorized to perform: " + action + " on resource: " + resource + " because no identity-based policy allows the " + action + " action"
	c.resp = nil
	return c
}
