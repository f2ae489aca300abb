// Package sources lists every source normalizer aitdr ships, configured for
// a deployment, in the order they are tried when a record does not name its
// source.
package sources

import (
	"errors"
	"fmt"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/aigateway"
	"github.com/aitdr/aitdr/ingest/anthropic"
	"github.com/aitdr/aitdr/ingest/cloudtrail"
	"github.com/aitdr/aitdr/ingest/entra"
	"github.com/aitdr/aitdr/ingest/gcpaudit"
	"github.com/aitdr/aitdr/ingest/github"
	"github.com/aitdr/aitdr/ingest/k8saudit"
	"github.com/aitdr/aitdr/ingest/mapping"
	"github.com/aitdr/aitdr/ingest/okta"
	"github.com/aitdr/aitdr/ingest/openai"
)

// Config is what the sources need to know about the deployment. Every field
// is optional.
type Config struct {
	// OktaOrg is the Okta org domain (acme.okta.com); Okta records do not
	// carry it, and it is part of their identity ids.
	OktaOrg string `yaml:"okta_org"`
	// EntraTenant is the Entra tenant id for audit records that do not
	// carry it.
	EntraTenant string `yaml:"entra_tenant"`
	// GCPOrg is the Google Cloud organization that user identities belong to.
	GCPOrg string `yaml:"gcp_org"`
	// K8sCluster names the cluster of Kubernetes audit records that carry no
	// cluster annotation. Default "default".
	K8sCluster string `yaml:"k8s_cluster"`
	// AIGateway names the AI gateway whose logs are ingested (its AI service
	// becomes "gateway:<name>").
	AIGateway string `yaml:"ai_gateway"`
	// OpenAIOrg is the OpenAI organization id of the audit logs.
	OpenAIOrg string `yaml:"openai_org"`
	// AnthropicOrg is the Anthropic organization id of the admin and usage
	// records.
	AnthropicOrg string `yaml:"anthropic_org"`
	// Mappings are declarative mapping files (see ingest/mapping) for JSON
	// sources aitdr does not ship; they are tried before the built-in ones.
	Mappings []string `yaml:"mappings"`
}

// Build returns every shipped source, configured, in detection order: the
// deployment's own mappings first (they are the most specific), then the
// built-in sources, most distinctive shapes first.
func Build(cfg Config) ([]ingest.Source, error) {
	var out []ingest.Source
	var errs []error
	for _, path := range cfg.Mappings {
		m, err := mapping.Load(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, mapping.New(m))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("load source mappings: %w", errors.Join(errs...))
	}
	var k8sOpts []k8saudit.Option
	if cfg.K8sCluster != "" {
		k8sOpts = append(k8sOpts, k8saudit.WithCluster(cfg.K8sCluster))
	}
	var openaiOpts []openai.Option
	if cfg.OpenAIOrg != "" {
		openaiOpts = append(openaiOpts, openai.WithOrganization(cfg.OpenAIOrg))
	}
	var anthropicOpts []anthropic.Option
	if cfg.AnthropicOrg != "" {
		anthropicOpts = append(anthropicOpts, anthropic.WithOrganization(cfg.AnthropicOrg))
	}
	var gatewayOpts []aigateway.Option
	if cfg.AIGateway != "" {
		gatewayOpts = append(gatewayOpts, aigateway.WithGateway(cfg.AIGateway))
	}
	return append(out,
		k8saudit.New(k8sOpts...),
		gcpaudit.New(gcpaudit.WithOrg(cfg.GCPOrg)),
		cloudtrail.New(),
		okta.New(okta.WithOrg(cfg.OktaOrg)),
		entra.New(entra.WithTenant(cfg.EntraTenant)),
		github.New(),
		openai.New(openaiOpts...),
		anthropic.New(anthropicOpts...),
		aigateway.New(gatewayOpts...),
	), nil
}
