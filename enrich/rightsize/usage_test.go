package rightsize_test

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/enrich/rightsize"
)

// TestPermissions shows the action-to-permission mapping of each source,
// with the documented exceptions.
func TestPermissions(t *testing.T) {
	for _, c := range []struct {
		name string
		a    rightsize.Action
		want []string
	}{
		{"cloudtrail as named", rightsize.Action{Product: "aws.cloudtrail", Service: "bedrock.amazonaws.com", Name: "InvokeModel"}, []string{"bedrock:InvokeModel"}},
		{"cloudtrail list objects", rightsize.Action{Product: "aws.cloudtrail", Service: "s3.amazonaws.com", Name: "ListObjectsV2"}, []string{"s3:ListBucket"}},
		{"cloudtrail multipart upload", rightsize.Action{Product: "aws.cloudtrail", Service: "s3.amazonaws.com", Name: "CompleteMultipartUpload"}, []string{"s3:PutObject"}},
		{"cloudtrail converse", rightsize.Action{Product: "aws.cloudtrail", Service: "bedrock.amazonaws.com", Name: "ConverseStream"}, []string{"bedrock:InvokeModelWithResponseStream"}},
		{"cloudtrail lambda dated", rightsize.Action{Product: "aws.cloudtrail", Service: "lambda.amazonaws.com", Name: "UpdateFunctionCode20150331v2"}, []string{"lambda:UpdateFunctionCode"}},
		{"cloudtrail other prefix", rightsize.Action{Product: "aws.cloudtrail", Service: "monitoring.amazonaws.com", Name: "PutMetricData"}, []string{"cloudwatch:PutMetricData"}},
		{"cloudtrail sagemaker runtime", rightsize.Action{Product: "aws.cloudtrail", Service: "runtime.sagemaker.amazonaws.com", Name: "InvokeEndpoint"}, []string{"sagemaker:InvokeEndpoint"}},
		{"console sign-in needs none", rightsize.Action{Product: "aws.cloudtrail", Service: "signin.amazonaws.com", Name: "ConsoleLogin"}, nil},
		{"gcp checked permissions", rightsize.Action{Product: "gcp.audit", Service: "aiplatform.googleapis.com", Name: "x", GCPPermissions: "aiplatform.endpoints.predict, aiplatform.endpoints.explain"},
			[]string{"aiplatform.endpoints.predict", "aiplatform.endpoints.explain"}},
		{"gcp method", rightsize.Action{Product: "gcp.audit", Name: "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion"}, []string{"secretmanager.versions.access"}},
		{"gcp unknown method", rightsize.Action{Product: "gcp.audit", Name: "google.cloud.new.v1.Thing.Do"}, nil},
		{"k8s core", rightsize.Action{Product: "k8s.audit", Service: "core", Name: "get secrets"}, []string{"secrets:get"}},
		{"k8s group", rightsize.Action{Product: "k8s.audit", Service: "apps", Name: "update deployments"}, []string{"deployments.apps:update"}},
		{"k8s subresource", rightsize.Action{Product: "k8s.audit", Service: "core", Name: "create pods/exec"}, []string{"pods/exec:create"}},
		{"okta sso", rightsize.Action{Product: "okta", Name: "user.authentication.sso", TargetType: "application"}, []string{"app:"}},
		{"okta other", rightsize.Action{Product: "okta", Name: "user.session.start"}, nil},
		{"entra sign-in", rightsize.Action{Product: "entra", Name: "signIn.interactiveUser", TargetType: "application"}, []string{"app:"}},
		{"github push", rightsize.Action{Product: "github", Service: "git", Name: "git.push"}, []string{"scope:repo", "contents:write"}},
		{"github unknown", rightsize.Action{Product: "github", Name: "discussion.destroy"}, nil},
		{"anthropic", rightsize.Action{Product: "anthropic", Name: "api_key_created"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := rightsize.Permissions(c.a); !slices.Equal(got, c.want) {
				t.Fatalf("Permissions = %v, want %v", got, c.want)
			}
		})
	}
}

// TestCloudTrailGoldensMapToCatalogActions maps every successful
// CloudTrail golden event and checks the permission is an action of the
// shipped AWS catalog (read as a file: stages do not import each other),
// spelled as the catalog spells it.
func TestCloudTrailGoldensMapToCatalogActions(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "ingest", "grants", "aws", "data", "actions.tsv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]bool{}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if fields := strings.Split(sc.Text(), "\t"); fields[0] == "A" {
			actions[fields[1]+":"+fields[2]] = true
		}
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "ingest", "cloudtrail", "testdata", "*.golden.json"))
	mapped := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var evs []struct {
			Action  struct{ Name, Service string }
			Outcome string
		}
		if data[0] == '[' {
			err = json.Unmarshal(data, &evs)
		} else {
			evs = make([]struct {
				Action  struct{ Name, Service string }
				Outcome string
			}, 1)
			err = json.Unmarshal(data, &evs[0])
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, e := range evs {
			if e.Action.Name == "" {
				continue
			}
			perms := rightsize.Permissions(rightsize.Action{Product: "aws.cloudtrail", Service: e.Action.Service, Name: e.Action.Name})
			if len(perms) == 0 {
				if e.Action.Service != "signin.amazonaws.com" && e.Action.Service != "sso.amazonaws.com" {
					t.Errorf("%s: %s %s maps to nothing", filepath.Base(file), e.Action.Service, e.Action.Name)
				}
				continue
			}
			for _, p := range perms {
				if !actions[p] {
					t.Errorf("%s: %s %s maps to %s, not a catalog action", filepath.Base(file), e.Action.Service, e.Action.Name, p)
				}
			}
			mapped++
		}
	}
	if mapped < 30 {
		t.Fatalf("mapped only %d golden events", mapped)
	}
	for src, perm := range map[string]string{
		"s3.amazonaws.com ListObjectsV2": "s3:ListBucket", "s3.amazonaws.com HeadObject": "s3:GetObject",
		"bedrock.amazonaws.com Converse": "bedrock:InvokeModel", "lambda.amazonaws.com Invoke": "lambda:InvokeFunction",
		"s3.amazonaws.com ListBuckets": "s3:ListAllMyBuckets",
	} {
		svc, name, _ := strings.Cut(src, " ")
		got := rightsize.Permissions(rightsize.Action{Product: "aws.cloudtrail", Service: svc, Name: name})
		if len(got) != 1 || got[0] != perm || !actions[perm] {
			t.Errorf("%s maps to %v, want the catalog action %s", src, got, perm)
		}
	}
}
