package contextmap_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/enrich/contextmap"
	"github.com/aitdr/aitdr/enrich/internal/filefmt"
	"github.com/aitdr/aitdr/schemas"
)

func load(t *testing.T) *contextmap.Map {
	t.Helper()
	m, err := contextmap.Load([]string{"testdata/environments.yaml"},
		[]string{"testdata/classification.yaml", "testdata/classification.csv"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestTargetEnvironment shows the environment of a target comes from the
// most specific entry: the resource, its namespace, its project, its
// tenant, then where the event was recorded.
func TestTargetEnvironment(t *testing.T) {
	m := load(t)
	tests := []struct {
		name string
		ev   schemas.Event
		want schemas.Environment
	}{
		{"resource pattern", schemas.Event{Target: schemas.Target{ID: "arn:aws:s3:::acme-ml-test", Tenant: "123456789012"}}, schemas.EnvTest},
		{"tenant account", schemas.Event{Target: schemas.Target{ID: "arn:aws:s3:::acme-customer-exports", Tenant: "123456789012"}}, schemas.EnvProduction},
		{"kubernetes namespace", schemas.Event{
			Source: schemas.Source{Product: schemas.ProductK8sAudit, Account: "ml-prod"},
			Target: schemas.Target{ID: "serving.kserve.io/namespaces/ml-serving/inferenceservices/llama", Tenant: "ml-prod"},
		}, schemas.EnvProduction},
		{"namespace pattern from the attribute", schemas.Event{
			Source:     schemas.Source{Product: schemas.ProductK8sAudit, Account: "ml-dev"},
			Target:     schemas.Target{ID: "pods/x"},
			Attributes: map[string]string{"k8s.namespace": "sandbox-priya"},
		}, schemas.EnvDevelopment},
		{"project in the resource id", schemas.Event{Target: schemas.Target{ID: "projects/acme-ml-prod/locations/us-central1/endpoints/1"}}, schemas.EnvProduction},
		{"project pattern, first match wins", schemas.Event{Target: schemas.Target{Tenant: "acme-ml-dev", ID: "x"}}, schemas.EnvDevelopment},
		{"project pattern", schemas.Event{Target: schemas.Target{Tenant: "acme-ml-sandbox", ID: "x"}}, schemas.EnvStaging},
		{"subscription in the resource id", schemas.Event{Target: schemas.Target{ID: "/subscriptions/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e/resourceGroups/rg"}}, schemas.EnvProduction},
		{"recorded in a project", schemas.Event{Source: schemas.Source{Project: "acme-data-prod"}, Target: schemas.Target{ID: "projects/_/buckets/b"}}, schemas.EnvProduction},
		{"recorded in an account", schemas.Event{Source: schemas.Source{Account: "111122223333"}}, schemas.EnvDevelopment},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := m.TargetEnvironment(&tt.ev)
			if !ok || got != tt.want {
				t.Errorf("TargetEnvironment = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
	if got, ok := m.TargetEnvironment(&schemas.Event{Source: schemas.Source{Account: "555"}}); ok {
		t.Errorf("unknown account has environment %q", got)
	}
}

// TestIdentityEnvironment shows an identity's environment is its service
// account namespace's, else its account's or project's.
func TestIdentityEnvironment(t *testing.T) {
	m := load(t)
	tests := []struct {
		p    schemas.Principal
		want schemas.Environment
	}{
		{schemas.Principal{Provider: "kubernetes", Account: "ml-prod", Name: "system:serviceaccount:ml-train:trainer"}, schemas.EnvStaging},
		{schemas.Principal{Provider: "aws", Account: "111122223333"}, schemas.EnvDevelopment},
		{schemas.Principal{Provider: "gcp", Account: "acme-ml-prod"}, schemas.EnvProduction},
		{schemas.Principal{Provider: "entra", Account: "3f2a9c1e-5b7d-4e8f-a1c2-6d4b8e0f2a13"}, schemas.EnvProduction},
	}
	for _, tt := range tests {
		if got, ok := m.IdentityEnvironment(&tt.p); !ok || got != tt.want {
			t.Errorf("IdentityEnvironment(%+v) = %q, %v; want %q", tt.p, got, ok, tt.want)
		}
	}
}

// TestSensitivity shows typed entries win, then ids and names are matched,
// from YAML and CSV catalogs alike.
func TestSensitivity(t *testing.T) {
	m := load(t)
	tests := []struct {
		t    schemas.Target
		want schemas.Sensitivity
	}{
		{schemas.Target{Type: "s3_bucket", ID: "arn:aws:s3:::acme-customer-exports"}, schemas.SensitivityRestricted},
		{schemas.Target{Type: "s3_bucket", ID: "arn:aws:s3:::acme-public-site"}, schemas.SensitivityPublic},
		{schemas.Target{Type: "secret", ID: "arn:aws:secretsmanager:us-east-1:1:secret:x"}, schemas.SensitivityRestricted},
		{schemas.Target{Type: "secret_version", ID: "projects/p/secrets/openai-api-key/versions/3"}, schemas.SensitivityRestricted},
		{schemas.Target{Type: "storage_object", ID: "projects/_/buckets/acme-support-tickets/objects/x.jsonl"}, schemas.SensitivityConfidential},
		{schemas.Target{Type: "model", ID: "arn:aws:bedrock:us-east-1::foundation-model/x", Name: "anthropic.claude-3-5-sonnet"}, schemas.SensitivityInternal},
		{schemas.Target{Type: "s3_bucket", ID: "arn:aws:s3:::other"}, ""},
	}
	for _, tt := range tests {
		if got, _ := m.Sensitivity(&tt.t); got != tt.want {
			t.Errorf("Sensitivity(%+v) = %q, want %q", tt.t, got, tt.want)
		}
	}
	envs, classes := m.Entries()
	if envs != 12 || classes != 6 {
		t.Errorf("Entries = %d, %d; want 12, 6", envs, classes)
	}
	var empty *contextmap.Map
	if _, ok := empty.Sensitivity(&schemas.Target{ID: "x"}); ok {
		t.Error("a nil map classified something")
	}
}

// TestBadFiles shows malformed files are rejected with each problem at its
// file:line:col, and a key mapped twice across files names both places.
func TestBadFiles(t *testing.T) {
	tests := []struct {
		envs, classes []string
		want          []string
	}{
		{[]string{"environments.bad.yaml"}, nil, []string{
			`testdata/environments.bad.yaml:3:19: accounts: "999999999999": environment "live" is not one of prod, staging, dev, test, unknown`,
			`testdata/environments.bad.yaml:4:1: environment map: unknown key "clusters" (want one of accounts, projects, subscriptions, namespaces, resources)`,
			`testdata/environments.bad.yaml:7:3: namespaces: "ml-serving": want <cluster>/<namespace> ("*/ml-serving" for every cluster)`,
			`testdata/environments.bad.yaml:8:11: projects: want a mapping, not a list`,
		}},
		{nil, []string{"classification.bad.yaml"}, []string{
			`testdata/classification.bad.yaml:3:18: classification entry "arn:aws:s3:::x": sensitivity "secret" is not one of public, internal, confidential, restricted, unknown`,
			`testdata/classification.bad.yaml:4:5: classification entry: resource is missing`,
			`testdata/classification.bad.yaml:5:5: classification entry "arn:aws:s3:::y": sensitivity is missing`,
		}},
		{nil, []string{"classification.bad.csv"}, []string{
			`testdata/classification.bad.csv:2:16: resource "arn:aws:s3:::a": sensitivity "top-secret" is not one of public, internal, confidential, restricted, unknown`,
			`testdata/classification.bad.csv:3:1: empty resource`,
		}},
		{[]string{"environments.yaml", "duplicate_account.yaml"}, nil, []string{
			`testdata/duplicate_account.yaml:2:3: accounts "123456789012" already mapped at testdata/environments.yaml:3`,
		}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append(tt.envs, tt.classes...), "+"), func(t *testing.T) {
			prefix := func(fs []string) []string {
				var out []string
				for _, f := range fs {
					out = append(out, filepath.Join("testdata", f))
				}
				return out
			}
			_, err := contextmap.Load(prefix(tt.envs), prefix(tt.classes))
			if err == nil {
				t.Fatal("loaded without error")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Errorf("%d problems, want %d:\n%s", len(lines), len(tt.want), err)
			}
			for i, w := range tt.want {
				if i >= len(lines) || lines[i] != w {
					got := ""
					if i < len(lines) {
						got = lines[i]
					}
					t.Errorf("problem %d:\n got %q\nwant %q", i, got, w)
				}
			}
		})
	}
}

func seeds(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata", pattern))
	if len(files) == 0 {
		f.Fatalf("no seeds %s", pattern)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

func positioned(t *testing.T, err error) {
	if err == nil {
		return
	}
	var fe *filefmt.Error
	if !errors.As(err, &fe) {
		t.Fatalf("error without position: %v", err)
	}
}

func FuzzParseEnvironments(f *testing.F) {
	seeds(f, "environments*.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := contextmap.ParseEnvironments("fuzz.yaml", data)
		positioned(t, err)
		for _, e := range entries {
			if !e.Environment.Valid() || e.Key == "" || e.Line < 1 {
				t.Fatalf("bad entry %+v", e)
			}
		}
	})
}

func FuzzParseClassification(f *testing.F) {
	seeds(f, "classification*.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := contextmap.ParseClassification("fuzz.yaml", data)
		positioned(t, err)
		for _, e := range entries {
			if !e.Sensitivity.Valid() || e.Resource == "" {
				t.Fatalf("bad entry %+v", e)
			}
		}
	})
}

func FuzzParseClassificationCSV(f *testing.F) {
	seeds(f, "classification*.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := contextmap.ParseClassification("fuzz.csv", data)
		positioned(t, err)
		for _, e := range entries {
			if !e.Sensitivity.Valid() || e.Resource == "" {
				t.Fatalf("bad entry %+v", e)
			}
		}
	})
}
