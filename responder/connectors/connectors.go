// Package connectors builds the responder's provider connectors (AWS,
// Okta, Entra ID, GitHub, Kubernetes) from their configuration section;
// each connector lives in its own package.
package connectors

import (
	"context"
	"errors"
	"fmt"

	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/responder/connectors/aws"
	"github.com/aitdr/aitdr/responder/connectors/entra"
	"github.com/aitdr/aitdr/responder/connectors/github"
	"github.com/aitdr/aitdr/responder/connectors/kubernetes"
	"github.com/aitdr/aitdr/responder/connectors/okta"
)

// Config holds the configuration of each provider connector; a provider
// left out has no connector, and steps naming it fail as unknown.
//
//	connectors:
//	  aws: {accounts: [{id: "123456789012"}]}
//	  okta: {orgs: [{domain: acme.okta.com, token: {env: AITDR_OKTA_TOKEN}}]}
type Config struct {
	// AWS configures the aws connector.
	AWS *aws.Config `yaml:"aws"`
	// Okta configures the okta connector.
	Okta *okta.Config `yaml:"okta"`
	// Entra configures the entra connector.
	Entra *entra.Config `yaml:"entra"`
	// GitHub configures the github connector.
	GitHub *github.Config `yaml:"github"`
	// Kubernetes configures the kubernetes connector.
	Kubernetes *kubernetes.Config `yaml:"kubernetes"`
}

// Validate returns every problem of the configured connectors, each
// naming its field path under the connector's key ("okta.orgs[0].token:
// ..."), joined with errors.Join, or nil.
func (c Config) Validate() error {
	var errs []error
	check := func(key string, err error) {
		var joined interface{ Unwrap() []error }
		if errors.As(err, &joined) {
			for _, e := range joined.Unwrap() {
				errs = append(errs, fmt.Errorf("%s.%w", key, e))
			}
		} else if err != nil {
			errs = append(errs, fmt.Errorf("%s.%w", key, err))
		}
	}
	if c.AWS != nil {
		check("aws", c.AWS.Validate())
	}
	if c.Okta != nil {
		check("okta", c.Okta.Validate())
	}
	if c.Entra != nil {
		check("entra", c.Entra.Validate())
	}
	if c.GitHub != nil {
		check("github", c.GitHub.Validate())
	}
	if c.Kubernetes != nil {
		check("kubernetes", c.Kubernetes.Validate())
	}
	return errors.Join(errs...)
}

// Build returns the connectors of c, reading their secrets and loading the
// AWS SDK's configuration; it calls no provider API.
func Build(ctx context.Context, c Config) ([]responder.Connector, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("connectors: %w", err)
	}
	var out []responder.Connector
	add := func(conn responder.Connector, err error) error {
		if err != nil {
			return err
		}
		out = append(out, conn)
		return nil
	}
	var err error
	if c.AWS != nil {
		err = errors.Join(err, add(aws.New(ctx, *c.AWS)))
	}
	if c.Okta != nil {
		err = errors.Join(err, add(okta.New(*c.Okta)))
	}
	if c.Entra != nil {
		err = errors.Join(err, add(entra.New(*c.Entra)))
	}
	if c.GitHub != nil {
		err = errors.Join(err, add(github.New(*c.GitHub)))
	}
	if c.Kubernetes != nil {
		err = errors.Join(err, add(kubernetes.New(*c.Kubernetes)))
	}
	if err != nil {
		return nil, fmt.Errorf("connectors: %w", err)
	}
	return out, nil
}
