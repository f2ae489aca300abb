// Package accounts tells corporate accounts from personal ones: e-mail
// domains (a shipped list of consumer mail domains plus the deployment's,
// and the company's own domains), tenants (managed, unmanaged, and the
// consumer tenants of identity providers), and GitHub accounts (enterprise
// managed users and members linked to the company's SSO or directory,
// versus personal GitHub accounts).
package accounts

import (
	"bufio"
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"github.com/aitdr/aitdr/internal/glob"
	"github.com/aitdr/aitdr/schemas"
)

//go:embed consumer_domains.txt
var shippedConsumerDomains []byte

// consumerTenants are identity-provider tenants that hold personal
// accounts only: Entra's tenant of Microsoft accounts (MSA).
var consumerTenants = map[string]string{
	"9188040d-6c67-4c5b-b112-36a304b66dad": "the Microsoft consumer (MSA) tenant",
}

// Config is what the deployment tells about its accounts.
type Config struct {
	// CorporateDomains are the company's e-mail domains ("acme.example",
	// or a pattern such as "*.acme.example"): an address there is a
	// corporate account.
	CorporateDomains []string `yaml:"corporate_domains"`
	// ConsumerDomains are added to the shipped list of consumer mail
	// domains: an address there is a personal account.
	ConsumerDomains []string `yaml:"consumer_domains"`
	// CorporateTenants are tenants, organizations and accounts the company
	// manages (Entra tenant ids, Okta orgs, GitHub organizations and
	// enterprises, cloud accounts, AI platform organizations); patterns
	// allowed. An identity of one is a corporate account.
	CorporateTenants []string `yaml:"corporate_tenants"`
	// UnmanagedTenants are tenants known not to be the company's (an
	// employee's own Entra tenant, a personal OpenAI organization): an
	// identity of one is a personal account.
	UnmanagedTenants []string `yaml:"unmanaged_tenants"`
	// GitHubEMUShortcodes are the short codes of the company's GitHub
	// Enterprise Managed Users: a login ending in "_<shortcode>" is a
	// corporate account.
	GitHubEMUShortcodes []string `yaml:"github_emu_shortcodes"`
}

// Validate returns every problem of the config, each naming its field.
func (c Config) Validate() error {
	var errs []error
	check := func(field string, list []string, what func(string) string) {
		for i, v := range list {
			if p := what(v); p != "" {
				errs = append(errs, fmt.Errorf("%s[%d]: %q %s", field, i, v, p))
			}
		}
	}
	domain := func(v string) string {
		if v == "" || strings.ContainsAny(v, "@/: ") || !strings.Contains(v, ".") {
			return "is not a mail domain such as acme.example"
		}
		return ""
	}
	nonEmpty := func(v string) string {
		if strings.TrimSpace(v) == "" {
			return "is empty"
		}
		return ""
	}
	check("corporate_domains", c.CorporateDomains, domain)
	check("consumer_domains", c.ConsumerDomains, domain)
	check("corporate_tenants", c.CorporateTenants, nonEmpty)
	check("unmanaged_tenants", c.UnmanagedTenants, nonEmpty)
	check("github_emu_shortcodes", c.GitHubEMUShortcodes, func(v string) string {
		if v == "" || strings.ContainsAny(v, "_ @/") {
			return "is not a short code (no '_', spaces or '@')"
		}
		return ""
	})
	for _, d := range c.CorporateDomains {
		for _, cd := range c.ConsumerDomains {
			if strings.EqualFold(d, cd) {
				errs = append(errs, fmt.Errorf("corporate_domains: %q is also in consumer_domains", d))
			}
		}
	}
	for _, t := range c.CorporateTenants {
		for _, u := range c.UnmanagedTenants {
			if t == u {
				errs = append(errs, fmt.Errorf("corporate_tenants: %q is also in unmanaged_tenants", t))
			}
		}
	}
	return errors.Join(errs...)
}

// Resolver decides the account type of principals. It is immutable and
// safe for concurrent use.
type Resolver struct {
	consumer  map[string]bool
	corporate glob.Table[bool]
	managed   glob.Table[bool]
	unmanaged glob.Table[bool]
	emu       []string
}

// New returns the Resolver of cfg over the shipped consumer domains.
func New(cfg Config) (*Resolver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &Resolver{consumer: map[string]bool{}}
	sc := bufio.NewScanner(bytes.NewReader(shippedConsumerDomains))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line != "" {
			r.consumer[strings.ToLower(line)] = true
		}
	}
	for _, d := range cfg.ConsumerDomains {
		r.consumer[strings.ToLower(d)] = true
	}
	for _, d := range cfg.CorporateDomains {
		r.corporate.Add(strings.ToLower(d), true)
	}
	for _, t := range cfg.CorporateTenants {
		r.managed.Add(t, true)
	}
	for _, t := range cfg.UnmanagedTenants {
		r.unmanaged.Add(t, true)
	}
	for _, s := range cfg.GitHubEMUShortcodes {
		r.emu = append(r.emu, "_"+strings.ToLower(s))
	}
	return r, nil
}

// ConsumerDomains returns the number of consumer mail domains known.
func (r *Resolver) ConsumerDomains() int { return len(r.consumer) }

// Decision is an account type and why.
type Decision struct {
	// Type is corporate, personal or unknown.
	Type schemas.AccountType
	// Reason says what decided it, such as "consumer mail domain gmail.com".
	Reason string
}

// Resolve returns the account type of p. linked is true when the
// customer's directory lists the account as one of a person's. attrs are
// the event's attributes (GitHub SSO links are read from them). Explicit
// personal evidence (a consumer mail domain, an unmanaged or consumer
// tenant, a GitHub account neither managed nor linked) wins over the
// source's "corporate"; the source's own "personal" is kept.
func (r *Resolver) Resolve(p *schemas.Principal, linked bool, attrs map[string]string) Decision {
	if p.AccountType == schemas.AccountPersonal {
		return Decision{schemas.AccountPersonal, "source reports a personal account"}
	}
	if domain := mailDomain(p.Email, p.Name); domain != "" {
		if r.consumer[domain] {
			return Decision{schemas.AccountPersonal, "consumer mail domain " + domain}
		}
		if _, ok := r.corporate.Lookup(domain); ok {
			return Decision{schemas.AccountCorporate, "corporate mail domain " + domain}
		}
	}
	if p.Account != "" {
		if why, ok := consumerTenants[p.Account]; ok {
			return Decision{schemas.AccountPersonal, "account of " + why}
		}
		if _, ok := r.unmanaged.Lookup(p.Account); ok {
			return Decision{schemas.AccountPersonal, "unmanaged tenant " + p.Account}
		}
	}
	if p.Provider == "github" && (p.Type == "User" || p.Type == "user") {
		login := strings.ToLower(p.Name)
		for _, suffix := range r.emu {
			if strings.HasSuffix(login, suffix) {
				return Decision{schemas.AccountCorporate, "GitHub enterprise managed user"}
			}
		}
		if attrs["github.external_identity_nameid"] != "" || attrs["github.external_identity_username"] != "" {
			return Decision{schemas.AccountCorporate, "GitHub account linked to the company's SSO"}
		}
		if linked {
			return Decision{schemas.AccountCorporate, "GitHub account linked in the directory"}
		}
		if p.AccountType != schemas.AccountCorporate {
			return Decision{schemas.AccountPersonal, "personal GitHub account: not enterprise-managed nor linked to the company's SSO or directory"}
		}
	}
	if p.Account != "" {
		if _, ok := r.managed.Lookup(p.Account); ok {
			return Decision{schemas.AccountCorporate, "corporate tenant " + p.Account}
		}
	}
	if p.AccountType == schemas.AccountCorporate {
		return Decision{schemas.AccountCorporate, "source reports a corporate account"}
	}
	if linked {
		return Decision{schemas.AccountCorporate, "linked to a person in the directory"}
	}
	return Decision{schemas.AccountUnknown, ""}
}

// mailDomain returns the lower-case domain of the first of the values
// that is an e-mail address, or "".
func mailDomain(values ...string) string {
	for _, v := range values {
		if at := strings.LastIndexByte(v, '@'); at > 0 && at < len(v)-1 {
			d := v[at+1:]
			if strings.IndexByte(d, '.') < 0 {
				continue
			}
			return strings.ToLower(d)
		}
	}
	return ""
}
