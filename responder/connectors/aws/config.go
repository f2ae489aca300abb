package aws

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Defaults of the Config fields left at their zero value.
const (
	DefaultRegion           = "us-east-1"
	DefaultTimeout          = 10 * time.Second
	DefaultMaxAttempts      = 3
	DefaultDenyPolicyName   = "aitdr-quarantine-deny-all"
	DefaultRevokePolicyName = "AWSRevokeOlderSessions"
	DefaultTagKey           = "aitdr:quarantine"
	DefaultSessionName      = "aitdr-responder"
)

// Config configures the AWS connector: where IAM and STS are, how it gets
// credentials, and the accounts it may act in.
//
//	aws:
//	  accounts:
//	    - id: "123456789012"                 # the default credentials' own account
//	    - id: "210987654321"                 # another account, through a role
//	      role_arn: arn:aws:iam::210987654321:role/aitdr-responder
//	      external_id: aitdr-7f3c
type Config struct {
	// Region is the region of the STS calls and the SDK's configuration;
	// IAM is global. Default DefaultRegion.
	Region string `yaml:"region"`
	// Endpoint replaces the IAM and STS endpoints: an emulator's URL in
	// tests, a VPC endpoint in production. Default the SDK's endpoints.
	Endpoint string `yaml:"endpoint"`
	// Profile is the shared-configuration profile of the default
	// credentials. Default the SDK's default chain (environment, shared
	// files, SSO, web identity, container and instance roles).
	Profile string `yaml:"profile"`
	// Accounts are the accounts the connector acts in; a principal of
	// another account is refused. Each is reached with the default
	// credentials, which must then belong to it (checked with
	// sts:GetCallerIdentity), or through its RoleARN.
	Accounts []Account `yaml:"accounts"`
	// DenyPolicyName names the inline deny-all policy of deny_all and
	// disable_account. Default DefaultDenyPolicyName.
	DenyPolicyName string `yaml:"deny_policy_name"`
	// RevokePolicyName names the inline policy of revoke_sessions.
	// Default DefaultRevokePolicyName, the name the IAM console uses.
	RevokePolicyName string `yaml:"revoke_policy_name"`
	// TagKey is the tag quarantine_tag sets. Default DefaultTagKey.
	TagKey string `yaml:"tag_key"`
	// MaxAttempts bounds the SDK's own attempts of one call (throttling
	// is retried by the SDK first, then by the responder). Default
	// DefaultMaxAttempts.
	MaxAttempts int `yaml:"max_attempts"`
	// Timeout bounds one HTTP request. Default DefaultTimeout.
	Timeout time.Duration `yaml:"timeout"`
}

// Account is one AWS account.
type Account struct {
	// ID is the 12-digit account id, as identity ids name it
	// ("aws:<account>:role/<name>").
	ID string `yaml:"id"`
	// RoleARN is a role in the account that the default credentials
	// assume to act in it. Empty: the default credentials act directly.
	RoleARN string `yaml:"role_arn"`
	// ExternalID is the external id the role's trust policy requires.
	ExternalID string `yaml:"external_id"`
	// SessionName names the assumed-role session, which CloudTrail
	// records. Default DefaultSessionName.
	SessionName string `yaml:"session_name"`
}

var (
	accountID = regexp.MustCompile(`^[0-9]{12}$`)
	roleARN   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/.+$`)
	// tagChars are the characters IAM allows in tag keys and values.
	tagChars = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// Validate returns every problem of c, each naming its field path, joined
// with errors.Join, or nil.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Endpoint != "" {
		if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("endpoint: %q is not an http(s) URL", c.Endpoint)
		}
	}
	if len(c.Accounts) == 0 {
		bad("accounts: at least one account is needed")
	}
	seen := map[string]bool{}
	for i, a := range c.Accounts {
		switch {
		case !accountID.MatchString(a.ID):
			bad("accounts[%d].id: %q is not a 12-digit account id", i, a.ID)
		case seen[a.ID]:
			bad("accounts[%d].id: %q is listed twice", i, a.ID)
		}
		seen[a.ID] = true
		if a.RoleARN != "" {
			if m := roleARN.FindStringSubmatch(a.RoleARN); m == nil {
				bad("accounts[%d].role_arn: %q is not an IAM role ARN", i, a.RoleARN)
			} else if m[1] != a.ID {
				bad("accounts[%d].role_arn: %q is in account %s, not %s", i, a.RoleARN, m[1], a.ID)
			}
		}
		if a.RoleARN == "" && (a.ExternalID != "" || a.SessionName != "") {
			bad("accounts[%d]: external_id and session_name need role_arn", i)
		}
	}
	for _, f := range [...]struct{ field, name string }{
		{"deny_policy_name", c.DenyPolicyName}, {"revoke_policy_name", c.RevokePolicyName},
	} {
		if f.name != "" && (len(f.name) > 128 || strings.ContainsFunc(f.name, func(r rune) bool {
			return !(r == '+' || r == '=' || r == ',' || r == '.' || r == '@' || r == '_' || r == '-' ||
				(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
		})) {
			bad("%s: %q is not an IAM policy name (letters, digits and +=,.@_-, at most 128)", f.field, f.name)
		}
	}
	if c.TagKey != "" && (len(c.TagKey) > 128 || !tagChars.MatchString(c.TagKey) || strings.HasPrefix(strings.ToLower(c.TagKey), "aws:")) {
		bad("tag_key: %q is not an IAM tag key", c.TagKey)
	}
	if c.MaxAttempts < 0 {
		bad("max_attempts: %d is negative", c.MaxAttempts)
	}
	if c.Timeout < 0 {
		bad("timeout: %s is negative", c.Timeout)
	}
	return errors.Join(errs...)
}
