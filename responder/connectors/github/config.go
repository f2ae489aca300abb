package github

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aitdr/aitdr/internal/secret"
)

// Defaults of the Config fields left at their zero value.
const (
	DefaultTimeout = 10 * time.Second
	DefaultAPIURL  = "https://api.github.com"
)

// Config configures the GitHub connector: the API (GitHub.com or a GitHub
// Enterprise Server), how it authenticates (a token, or a GitHub App and
// its installation in each organization) and the organizations it may act
// in.
//
//	github:
//	  app: {app_id: "123456", private_key: {file: /run/secrets/github-app.pem}}
//	  orgs:
//	    - {name: acme-corp, installation_id: 4567890, saml_sso: true}
type Config struct {
	// APIURL is the REST API's base URL. Default DefaultAPIURL; a GitHub
	// Enterprise Server's is "https://HOST/api/v3".
	APIURL string `yaml:"api_url"`
	// EnterpriseServer is true for a GitHub Enterprise Server, whose site
	// administrators can suspend users (disable_account). GitHub.com has
	// no suspension API for organization members.
	EnterpriseServer bool `yaml:"enterprise_server"`
	// Token is a token to authenticate with: an organization owner's
	// fine-grained or classic token, or a site administrator's on a GitHub
	// Enterprise Server. Set Token or App, not both.
	Token secret.Secret `yaml:"token"`
	// App authenticates as a GitHub App installed in each organization;
	// the fine-grained token endpoints accept only GitHub Apps.
	App App `yaml:"app"`
	// Orgs are the organizations the connector acts in; a principal of
	// another organization is refused.
	Orgs []Org `yaml:"orgs"`
	// Timeout bounds one request. Default DefaultTimeout.
	Timeout time.Duration `yaml:"timeout"`
}

// App is a GitHub App.
type App struct {
	// AppID is the App's id (or client id), the issuer of its JWTs.
	AppID string `yaml:"app_id"`
	// PrivateKey is the App's PEM private key.
	PrivateKey secret.Secret `yaml:"private_key"`
}

// Org is one organization.
type Org struct {
	// Name is the organization's login as identity ids name it
	// ("github:<org>:<login>").
	Name string `yaml:"name"`
	// InstallationID is the App's installation in the organization;
	// required with App.
	InstallationID int64 `yaml:"installation_id"`
	// SAMLSSO is true when the organization enforces SAML single sign-on:
	// revoke_keys then also removes the user's credential authorizations,
	// which cuts classic tokens and SSH keys off the organization.
	SAMLSSO bool `yaml:"saml_sso"`
}

// Validate returns every problem of c, each naming its field path, joined
// with errors.Join, or nil. It does not read the secrets: New does.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.APIURL != "" {
		if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("api_url: %q is not an http(s) URL", c.APIURL)
		}
	}
	app := c.App.AppID != "" || c.App.PrivateKey.IsSet()
	switch {
	case c.Token.IsSet() && app:
		bad("token: set token or app, not both")
	case !c.Token.IsSet() && !app:
		bad("token: set token or app to authenticate")
	}
	if err := c.Token.Validate(); err != nil {
		bad("token: %w", err)
	}
	if app {
		if c.App.AppID == "" {
			bad("app.app_id: must not be empty")
		}
		if !c.App.PrivateKey.IsSet() {
			bad("app.private_key: must name the App's private key (env, file or value)")
		} else if err := c.App.PrivateKey.Validate(); err != nil {
			bad("app.private_key: %w", err)
		}
	}
	if len(c.Orgs) == 0 {
		bad("orgs: at least one organization is needed")
	}
	seen := map[string]bool{}
	for i, o := range c.Orgs {
		name := strings.ToLower(o.Name)
		switch {
		case o.Name == "":
			bad("orgs[%d].name: must not be empty", i)
		case strings.ContainsAny(o.Name, "/: "):
			bad("orgs[%d].name: %q is not an organization login", i, o.Name)
		case seen[name]:
			bad("orgs[%d].name: %q is listed twice", i, o.Name)
		}
		seen[name] = true
		if app && o.InstallationID <= 0 {
			bad("orgs[%d].installation_id: must be set with app", i)
		}
		if !app && o.InstallationID != 0 {
			bad("orgs[%d].installation_id: is set but app is not", i)
		}
	}
	if c.Timeout < 0 {
		bad("timeout: %s is negative", c.Timeout)
	}
	return errors.Join(errs...)
}
