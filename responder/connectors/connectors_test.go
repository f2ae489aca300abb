package connectors_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/aitdr/aitdr/responder/connectors"
)

// decode reads YAML as the aitdr configuration does: strictly, unknown
// keys being errors.
func decode(t *testing.T, text string) (connectors.Config, error) {
	t.Helper()
	var c connectors.Config
	err := yaml.NewDecoder(bytes.NewReader([]byte(text)), yaml.Strict(), yaml.DisallowUnknownField()).Decode(&c)
	return c, err
}

// TestBuild shows a configuration of every connector decodes strictly,
// validates, and builds one connector per provider under its name.
func TestBuild(t *testing.T) {
	t.Setenv("TEST_OKTA_TOKEN", "00test-okta-token")
	c, err := decode(t, `
aws:
  endpoint: http://127.0.0.1:5000
  accounts:
    - id: "123456789012"
    - {id: "210987654321", role_arn: "arn:aws:iam::210987654321:role/aitdr-responder", external_id: x}
okta:
  orgs: [{domain: acme.okta.com, token: {env: TEST_OKTA_TOKEN}}]
entra:
  tenants: [{tenant_id: t1, client_id: c1, client_secret: plain-secret-value}]
github:
  token: {value: github_pat_x}
  orgs: [{name: acme-corp, saml_sso: true}]
kubernetes:
  clusters: [{name: ml-prod, server: "https://127.0.0.1:6443", token: {value: k8s-token}}]
`)
	if err != nil {
		t.Fatal(err)
	}
	conns, err := connectors.Build(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, cn := range conns {
		names = append(names, cn.Name())
	}
	if strings.Join(names, ",") != "aws,okta,entra,github,kubernetes" {
		t.Errorf("connectors %v", names)
	}
}

// TestValidate shows problems name their path under the connector's key,
// and unknown keys are refused at decoding.
func TestValidate(t *testing.T) {
	c, err := decode(t, `
okta: {orgs: [{domain: ""}]}
kubernetes: {clusters: []}
`)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	for _, want := range []string{"okta.orgs[0].domain: must not be empty", "okta.orgs[0].token:", "kubernetes.clusters: at least one"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
	if _, err := decode(t, "okta: {orgs: [{domain: a, tokn: x}]}"); err == nil {
		t.Error("an unknown key was accepted")
	}
}
