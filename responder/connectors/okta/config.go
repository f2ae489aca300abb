package okta

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aitdr/aitdr/internal/secret"
)

// DefaultTimeout bounds one API request when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Config configures the Okta connector: the orgs it may act in, each with
// an API token.
//
//	okta:
//	  orgs:
//	    - domain: acme.okta.com
//	      token: {env: AITDR_OKTA_TOKEN}
type Config struct {
	// Orgs are the Okta orgs the connector acts in; a principal of
	// another org is refused.
	Orgs []Org `yaml:"orgs"`
	// Timeout bounds one API request. Default DefaultTimeout.
	Timeout time.Duration `yaml:"timeout"`
}

// Org is one Okta org.
type Org struct {
	// Domain is the org's domain as identity ids name it
	// ("okta:<domain>:<user id>"), such as "acme.okta.com".
	Domain string `yaml:"domain"`
	// URL is the org's base URL. Default "https://" + Domain.
	URL string `yaml:"url"`
	// Token is an Okta API token (Authorization: SSWS), of an admin with
	// the permissions docs/response-connectors.md lists.
	Token secret.Secret `yaml:"token"`
}

// Validate returns every problem of c, each naming its field path, joined
// with errors.Join, or nil. It does not read the tokens: New does.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.Orgs) == 0 {
		bad("orgs: at least one org is needed")
	}
	seen := map[string]bool{}
	for i, o := range c.Orgs {
		switch {
		case o.Domain == "":
			bad("orgs[%d].domain: must not be empty", i)
		case strings.ContainsAny(o.Domain, ":/ "):
			bad("orgs[%d].domain: %q is a domain such as acme.okta.com, not a URL", i, o.Domain)
		case seen[o.Domain]:
			bad("orgs[%d].domain: %q is listed twice", i, o.Domain)
		}
		seen[o.Domain] = true
		if o.URL != "" {
			if u, err := url.Parse(o.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				bad("orgs[%d].url: %q is not an http(s) URL", i, o.URL)
			}
		}
		if !o.Token.IsSet() {
			bad("orgs[%d].token: must name the API token (env, file or value)", i)
		} else if err := o.Token.Validate(); err != nil {
			bad("orgs[%d].token: %w", i, err)
		}
	}
	if c.Timeout < 0 {
		bad("timeout: %s is negative", c.Timeout)
	}
	return errors.Join(errs...)
}
