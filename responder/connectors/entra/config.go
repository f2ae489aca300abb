package entra

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/aitdr/aitdr/internal/secret"
)

// Defaults of the Config fields left at their zero value.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultAuthorityURL = "https://login.microsoftonline.com"
	DefaultGraphURL     = "https://graph.microsoft.com"
)

// Config configures the Microsoft Entra ID connector: the tenants it may
// act in, each with an app registration's client credentials.
//
//	entra:
//	  tenants:
//	    - tenant_id: 3f2a9c1e-5b7d-4e8f-a1c2-6d4b8e0f2a13
//	      client_id: 6a8c0e2b-4d6f-4a8c-9e0b-2d4f6a8c0e31
//	      client_secret: {env: AITDR_ENTRA_CLIENT_SECRET}
type Config struct {
	// Tenants are the Entra tenants the connector acts in; a principal of
	// another tenant is refused.
	Tenants []Tenant `yaml:"tenants"`
	// Timeout bounds one request. Default DefaultTimeout.
	Timeout time.Duration `yaml:"timeout"`
}

// Tenant is one Entra tenant and the app that acts in it.
type Tenant struct {
	// TenantID is the tenant id as identity ids name it
	// ("entra:<tenant id>:<object id>").
	TenantID string `yaml:"tenant_id"`
	// ClientID is the application (client) id of the app registration
	// granted the Graph application permissions docs/response-connectors.md
	// lists.
	ClientID string `yaml:"client_id"`
	// ClientSecret is the app's client secret.
	ClientSecret secret.Secret `yaml:"client_secret"`
	// AuthorityURL is the Microsoft identity platform endpoint. Default
	// DefaultAuthorityURL; national clouds have their own.
	AuthorityURL string `yaml:"authority_url"`
	// GraphURL is the Microsoft Graph endpoint. Default DefaultGraphURL.
	GraphURL string `yaml:"graph_url"`
}

// Validate returns every problem of c, each naming its field path, joined
// with errors.Join, or nil. It does not read the secrets: New does.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.Tenants) == 0 {
		bad("tenants: at least one tenant is needed")
	}
	seen := map[string]bool{}
	for i, t := range c.Tenants {
		switch {
		case t.TenantID == "":
			bad("tenants[%d].tenant_id: must not be empty", i)
		case seen[t.TenantID]:
			bad("tenants[%d].tenant_id: %q is listed twice", i, t.TenantID)
		}
		seen[t.TenantID] = true
		if t.ClientID == "" {
			bad("tenants[%d].client_id: must not be empty", i)
		}
		if !t.ClientSecret.IsSet() {
			bad("tenants[%d].client_secret: must name the client secret (env, file or value)", i)
		} else if err := t.ClientSecret.Validate(); err != nil {
			bad("tenants[%d].client_secret: %w", i, err)
		}
		for _, f := range [...]struct{ field, v string }{{"authority_url", t.AuthorityURL}, {"graph_url", t.GraphURL}} {
			field, v := f.field, f.v
			if v == "" {
				continue
			}
			if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				bad("tenants[%d].%s: %q is not an http(s) URL", i, field, v)
			}
		}
	}
	if c.Timeout < 0 {
		bad("timeout: %s is negative", c.Timeout)
	}
	return errors.Join(errs...)
}
