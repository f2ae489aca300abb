package accounts_test

import (
	"strings"
	"testing"

	"github.com/aitdr/aitdr/enrich/accounts"
	"github.com/aitdr/aitdr/schemas"
)

// TestResolve shows how an account's type is decided: explicit personal
// evidence first (the source's, a consumer mail domain, a consumer or
// unmanaged tenant, a GitHub account neither managed nor linked), then
// corporate evidence (a corporate domain, a managed tenant, the source),
// then unknown.
func TestResolve(t *testing.T) {
	r, err := accounts.New(accounts.Config{
		CorporateDomains:    []string{"acme.example", "*.acme.example"},
		ConsumerDomains:     []string{"mail.example"},
		CorporateTenants:    []string{"acme.okta.com", "org-Acme*"},
		UnmanagedTenants:    []string{"org-PrivateStuff"},
		GitHubEMUShortcodes: []string{"acme"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.ConsumerDomains() < 50 {
		t.Errorf("only %d consumer domains", r.ConsumerDomains())
	}
	tests := []struct {
		name   string
		p      schemas.Principal
		linked bool
		attrs  map[string]string
		want   schemas.AccountType
		reason string
	}{
		{"source personal", schemas.Principal{AccountType: schemas.AccountPersonal, Email: "x@acme.example"}, false, nil,
			schemas.AccountPersonal, "source reports a personal account"},
		{"gmail beats the source", schemas.Principal{AccountType: schemas.AccountCorporate, Email: "Sam.Ortiz.Dev@GMAIL.com"}, false, nil,
			schemas.AccountPersonal, "consumer mail domain gmail.com"},
		{"deployment consumer domain", schemas.Principal{Name: "joe@mail.example"}, false, nil,
			schemas.AccountPersonal, "consumer mail domain mail.example"},
		{"corporate domain", schemas.Principal{Email: "priya@acme.example"}, false, nil,
			schemas.AccountCorporate, "corporate mail domain acme.example"},
		{"corporate subdomain pattern", schemas.Principal{Email: "ops@eu.acme.example"}, false, nil,
			schemas.AccountCorporate, "corporate mail domain eu.acme.example"},
		{"Microsoft consumer tenant", schemas.Principal{Provider: "entra", Account: "9188040d-6c67-4c5b-b112-36a304b66dad"}, false, nil,
			schemas.AccountPersonal, "account of the Microsoft consumer (MSA) tenant"},
		{"unmanaged tenant", schemas.Principal{Provider: "openai", Account: "org-PrivateStuff", AccountType: schemas.AccountCorporate}, false, nil,
			schemas.AccountPersonal, "unmanaged tenant org-PrivateStuff"},
		{"managed tenant pattern", schemas.Principal{Provider: "openai", Account: "org-AcmeCorp"}, false, nil,
			schemas.AccountCorporate, "corporate tenant org-AcmeCorp"},
		{"GitHub managed user", schemas.Principal{Provider: "github", Type: "User", Name: "jdoe_acme", Account: "acme-corp"}, false, nil,
			schemas.AccountCorporate, "GitHub enterprise managed user"},
		{"GitHub account linked by SSO", schemas.Principal{Provider: "github", Type: "User", Name: "maria-okafor"}, false,
			map[string]string{"github.external_identity_nameid": "maria@acme.example"},
			schemas.AccountCorporate, "GitHub account linked to the company's SSO"},
		{"GitHub account linked in the directory", schemas.Principal{Provider: "github", Type: "User", Name: "dev-jkim"}, true, nil,
			schemas.AccountCorporate, "GitHub account linked in the directory"},
		{"personal GitHub account", schemas.Principal{Provider: "github", Type: "User", Name: "ml-contractor-7", AccountType: schemas.AccountUnknown}, false, nil,
			schemas.AccountPersonal, "personal GitHub account: not enterprise-managed nor linked to the company's SSO or directory"},
		{"GitHub bot is not a personal account", schemas.Principal{Provider: "github", Type: "Bot", Name: "release[bot]"}, false, nil,
			schemas.AccountUnknown, ""},
		{"source corporate", schemas.Principal{Provider: "aws", Account: "123456789012", AccountType: schemas.AccountCorporate}, false, nil,
			schemas.AccountCorporate, "source reports a corporate account"},
		{"linked elsewhere", schemas.Principal{Provider: "aws", Account: "123456789012"}, true, nil,
			schemas.AccountCorporate, "linked to a person in the directory"},
		{"nothing known", schemas.Principal{Provider: "aws", Account: "123456789012"}, false, nil,
			schemas.AccountUnknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := r.Resolve(&tt.p, tt.linked, tt.attrs)
			if d.Type != tt.want || d.Reason != tt.reason {
				t.Errorf("Resolve = %q (%q), want %q (%q)", d.Type, d.Reason, tt.want, tt.reason)
			}
		})
	}
}

// TestConfigValidate shows every problem of the accounts settings is
// named with its field.
func TestConfigValidate(t *testing.T) {
	err := accounts.Config{
		CorporateDomains:    []string{"acme.example", "not a domain", "gmail.com"},
		ConsumerDomains:     []string{"gmail.com", "@x"},
		CorporateTenants:    []string{"t1", ""},
		UnmanagedTenants:    []string{"t1"},
		GitHubEMUShortcodes: []string{"ac_me"},
	}.Validate()
	want := []string{
		`corporate_domains[1]: "not a domain" is not a mail domain such as acme.example`,
		`consumer_domains[1]: "@x" is not a mail domain such as acme.example`,
		`corporate_tenants[1]: "" is empty`,
		`github_emu_shortcodes[0]: "ac_me" is not a short code (no '_', spaces or '@')`,
		`corporate_domains: "gmail.com" is also in consumer_domains`,
		`corporate_tenants: "t1" is also in unmanaged_tenants`,
	}
	if err == nil {
		t.Fatal("no error")
	}
	if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Validate =\n%s\nwant\n%s", err, strings.Join(want, "\n"))
	}
	if _, err := accounts.New(accounts.Config{ConsumerDomains: []string{"x"}}); err == nil {
		t.Error("New accepted a bad config")
	}
}
