// Package aws is the responder's AWS connector: it contains IAM users and
// roles through the IAM API (aws-sdk-go-v2), in the accounts it is
// configured for, directly or through an assumed role per account.
//
// Supported steps (docs/response-connectors.md), on "user/NAME" and
// "role/NAME" principals ("assumed-role/ROLE/SESSION" acts on the role):
//
//	revoke_keys           iam:UpdateAccessKey Inactive for each active key of a user; rollback: Active
//	delete_login_profile  iam:DeleteLoginProfile of a user (no rollback: the password is gone)
//	deny_all              iam:PutUserPolicy / iam:PutRolePolicy of an inline deny-all policy; rollback: delete it
//	disable_account       the same as deny_all: IAM has no switch to disable a principal
//	revoke_sessions       an inline policy denying everything to credentials issued before now
//	                      (aws:TokenIssueTime), the IAM console's "revoke active sessions";
//	                      rollback: the previous policy of that name back, or none
//	quarantine_tag        iam:TagUser / iam:TagRole; rollback: the previous value back, or untag
//
// Every step is idempotent: a second run finds the change made and changes
// nothing (revoke_sessions moves the cut-off to the new now).
package aws

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/responder/connectors/internal/principal"
)

// Name is the connector's name in playbooks and the audit.
const Name = "aws"

// Params of the steps.
const (
	// ParamKeys "evidence" limits revoke_keys to the access keys seen in
	// the alert's evidence (Principal.CredentialIDs). Default every active
	// key of the user.
	ParamKeys = "keys"
	// ParamAccessKeyIDs is the rollback parameter of revoke_keys: the
	// space-separated keys to make active again.
	ParamAccessKeyIDs = "access_key_ids"
	// ParamPolicyName overrides the inline policy name of deny_all,
	// disable_account and revoke_sessions.
	ParamPolicyName = "policy_name"
	// ParamPreviousPolicy is the rollback parameter of revoke_sessions:
	// the policy document to put back ("" deletes the policy).
	ParamPreviousPolicy = "previous_policy"
	// ParamTagKey overrides the tag key of quarantine_tag.
	ParamTagKey = "tag_key"
	// ParamTagValue overrides the tag value of quarantine_tag. Default the
	// alert id.
	ParamTagValue = "tag_value"
	// ParamPreviousValue is the rollback parameter of quarantine_tag: the
	// value to put back; absent, the tag is removed.
	ParamPreviousValue = "previous_value"
)

// DenyAllPolicy is the inline policy of deny_all: an explicit deny of every
// action, which no allow overrides.
const DenyAllPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"AitdrQuarantineDenyAll","Effect":"Deny","Action":"*","Resource":"*"}]}`

// RevokeSessionsPolicy returns the inline policy of revoke_sessions: deny
// every action to temporary credentials issued before t (the document the
// IAM console attaches to revoke a role's active sessions).
func RevokeSessionsPolicy(t time.Time) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"AitdrRevokeOlderSessions","Effect":"Deny","Action":["*"],"Resource":["*"],` +
		`"Condition":{"DateLessThan":{"aws:TokenIssueTime":"` + t.UTC().Format("2006-01-02T15:04:05Z") + `"}}}]}`
}

// Option sets an optional dependency of the connector.
type Option func(*options)

type options struct {
	now     func() time.Time
	loadOpt []func(*awsconfig.LoadOptions) error
}

// WithClock sets the clock of Result.Completed and of the revoke_sessions
// cut-off. Default time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLoadOptions adds options of the SDK's configuration loading (static
// credentials, a custom HTTP client). Default none.
func WithLoadOptions(opts ...func(*awsconfig.LoadOptions) error) Option {
	return func(o *options) { o.loadOpt = append(o.loadOpt, opts...) }
}

// Connector runs containment steps in AWS accounts. It is safe for
// concurrent use.
type Connector struct {
	cfg      Config
	now      func() time.Time
	base     sdk.Config
	accounts map[string]*account
}

// account is the IAM client of one account; verified once its credentials
// were seen to belong to the account.
type account struct {
	cfg Account
	iam *iam.Client
	sts *sts.Client

	mu       sync.Mutex
	verified bool
}

var _ responder.Connector = (*Connector)(nil)

// New validates cfg and loads the SDK's configuration and default
// credentials chain; it calls no AWS API until the first step.
func New(ctx context.Context, cfg Config, opts ...Option) (*Connector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("aws connector config: %w", err)
	}
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	cfg.Region = cmp.Or(cfg.Region, DefaultRegion)
	cfg.DenyPolicyName = cmp.Or(cfg.DenyPolicyName, DefaultDenyPolicyName)
	cfg.RevokePolicyName = cmp.Or(cfg.RevokePolicyName, DefaultRevokePolicyName)
	cfg.TagKey = cmp.Or(cfg.TagKey, DefaultTagKey)
	load := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(cfg.Region),
		awsconfig.WithRetryMaxAttempts(cmp.Or(cfg.MaxAttempts, DefaultMaxAttempts)),
		awsconfig.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(cmp.Or(cfg.Timeout, DefaultTimeout))),
	}
	if cfg.Profile != "" {
		load = append(load, awsconfig.WithSharedConfigProfile(cfg.Profile))
	}
	base, err := awsconfig.LoadDefaultConfig(ctx, append(load, o.loadOpt...)...)
	if err != nil {
		return nil, fmt.Errorf("aws connector: load SDK configuration: %w", err)
	}
	c := &Connector{cfg: cfg, now: o.now, base: base, accounts: map[string]*account{}}
	endpoint := func(e **string) {
		if cfg.Endpoint != "" {
			*e = sdk.String(cfg.Endpoint)
		}
	}
	baseSTS := sts.NewFromConfig(base, func(o *sts.Options) { endpoint(&o.BaseEndpoint) })
	for _, a := range cfg.Accounts {
		ac := base.Copy()
		if a.RoleARN != "" {
			prov := stscreds.NewAssumeRoleProvider(baseSTS, a.RoleARN, func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = cmp.Or(a.SessionName, DefaultSessionName)
				if a.ExternalID != "" {
					o.ExternalID = sdk.String(a.ExternalID)
				}
			})
			ac.Credentials = sdk.NewCredentialsCache(prov)
		}
		c.accounts[a.ID] = &account{
			cfg: a,
			iam: iam.NewFromConfig(ac, func(o *iam.Options) { endpoint(&o.BaseEndpoint) }),
			sts: sts.NewFromConfig(ac, func(o *sts.Options) { endpoint(&o.BaseEndpoint) }),
		}
	}
	return c, nil
}

// Name returns "aws".
func (c *Connector) Name() string { return Name }

// Supports reports whether kind is one of the IAM steps.
func (c *Connector) Supports(kind responder.ActionKind) bool {
	switch kind {
	case responder.ActionRevokeKeys, responder.ActionDeleteLoginProfile, responder.ActionDenyAll,
		responder.ActionDisableAccount, responder.ActionRevokeSessions, responder.ActionQuarantineTag:
		return true
	}
	return false
}

// principal kinds.
const (
	kindUser = "user"
	kindRole = "role"
)

// target splits a native id into user or role and its name.
func target(native string) (kind, name string, ok bool) {
	switch {
	case strings.HasPrefix(native, "user/"):
		kind, name = kindUser, strings.TrimPrefix(native, "user/")
	case strings.HasPrefix(native, "role/"):
		kind, name = kindRole, strings.TrimPrefix(native, "role/")
	case strings.HasPrefix(native, "assumed-role/"):
		kind = kindRole
		name, _, _ = strings.Cut(strings.TrimPrefix(native, "assumed-role/"), "/")
	default:
		return "", "", false
	}
	// Paths are not part of the identity id; the name is the last part.
	name = name[strings.LastIndex(name, "/")+1:]
	return kind, name, name != ""
}

// Do runs req in the account of its principal.
func (c *Connector) Do(ctx context.Context, req responder.Request) (responder.Result, error) {
	acct, native, err := principal.Native(req.Principal, Name)
	if err != nil {
		return responder.Result{}, fmt.Errorf("aws %s: %w", req.Kind, err)
	}
	a, ok := c.accounts[acct]
	if !ok {
		return responder.Result{}, fmt.Errorf("aws %s: account %q of principal %q is not configured", req.Kind, acct, req.Principal.ID)
	}
	kind, name, ok := target(native)
	if !ok {
		return responder.Result{}, fmt.Errorf("aws %s: principal %q is not an IAM user or role: %w", req.Kind, req.Principal.ID, errors.ErrUnsupported)
	}
	if !c.Supports(req.Kind) {
		return responder.Result{}, fmt.Errorf("aws: step %q: %w", req.Kind, errors.ErrUnsupported)
	}
	if err := a.verify(ctx); err != nil {
		return responder.Result{}, err
	}
	s := &step{c: c, a: a, req: req, kind: kind, name: name}
	switch req.Kind {
	case responder.ActionRevokeKeys:
		err = s.revokeKeys(ctx)
	case responder.ActionDeleteLoginProfile:
		err = s.deleteLoginProfile(ctx)
	case responder.ActionDenyAll, responder.ActionDisableAccount:
		err = s.denyAll(ctx)
	case responder.ActionRevokeSessions:
		err = s.revokeSessions(ctx)
	case responder.ActionQuarantineTag:
		err = s.tag(ctx)
	}
	if err != nil {
		return responder.Result{}, err
	}
	s.res.Completed = c.now()
	return s.res, nil
}

// verify checks once that the account's credentials belong to it, so that
// a user or role of the same name in another account is never touched.
func (a *account) verify(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.verified {
		return nil
	}
	out, err := a.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return providerError("sts:GetCallerIdentity", err)
	}
	if got := sdk.ToString(out.Account); got != a.cfg.ID {
		return fmt.Errorf("aws: the credentials for account %s belong to account %s (%s); set role_arn", a.cfg.ID, got, sdk.ToString(out.Arn))
	}
	a.verified = true
	return nil
}

// step is one run of a request.
type step struct {
	c          *Connector
	a          *account
	req        responder.Request
	kind, name string
	res        responder.Result
}

// change runs fn unless the step is a dry run, and records desc.
func (s *step) change(desc string, fn func() error) error {
	if s.req.DryRun {
		s.res.Changes = append(s.res.Changes, "would "+desc)
		return nil
	}
	if err := fn(); err != nil {
		return err
	}
	s.res.Changes = append(s.res.Changes, desc)
	return nil
}

func (s *step) rollback(params map[string]string) {
	if s.req.DryRun {
		return
	}
	s.res.Rollback = &responder.Request{
		ActionID: s.req.ActionID + "/rollback", AlertID: s.req.AlertID, Kind: s.req.Kind,
		Principal: s.req.Principal, Params: params, Rollback: true,
	}
}

func (s *step) needUser() error {
	if s.kind != kindUser {
		return fmt.Errorf("aws %s: %s/%s is a role, which has no access keys or password: %w", s.req.Kind, s.kind, s.name, errors.ErrUnsupported)
	}
	return nil
}

func (s *step) revokeKeys(ctx context.Context) error {
	if err := s.needUser(); err != nil {
		return err
	}
	if s.req.Rollback {
		for _, id := range strings.Fields(s.req.Params[ParamAccessKeyIDs]) {
			if err := s.change("iam:UpdateAccessKey "+id+" Active", func() error {
				_, err := s.a.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{
					UserName: sdk.String(s.name), AccessKeyId: sdk.String(id), Status: types.StatusTypeActive})
				return providerError("iam:UpdateAccessKey", err)
			}); err != nil {
				return err
			}
		}
		return nil
	}
	var changed []string
	pages := iam.NewListAccessKeysPaginator(s.a.iam, &iam.ListAccessKeysInput{UserName: sdk.String(s.name)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return providerError("iam:ListAccessKeys", err)
		}
		for _, k := range page.AccessKeyMetadata {
			id := sdk.ToString(k.AccessKeyId)
			if k.Status != types.StatusTypeActive ||
				(s.req.Params[ParamKeys] == "evidence" && !slices.Contains(s.req.Principal.CredentialIDs, id)) {
				continue
			}
			if err := s.change("iam:UpdateAccessKey "+id+" Inactive", func() error {
				_, err := s.a.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{
					UserName: sdk.String(s.name), AccessKeyId: sdk.String(id), Status: types.StatusTypeInactive})
				return providerError("iam:UpdateAccessKey", err)
			}); err != nil {
				return err
			}
			changed = append(changed, id)
		}
	}
	if len(changed) > 0 {
		s.rollback(map[string]string{ParamAccessKeyIDs: strings.Join(changed, " ")})
	}
	return nil
}

func (s *step) deleteLoginProfile(ctx context.Context) error {
	if err := s.needUser(); err != nil {
		return err
	}
	if s.req.Rollback {
		return fmt.Errorf("aws delete_login_profile: no rollback, the password cannot be restored: %w", errors.ErrUnsupported)
	}
	if _, err := s.a.iam.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: sdk.String(s.name)}); err != nil {
		if isCode(err, "NoSuchEntity") {
			return nil // no console password: nothing to delete
		}
		return providerError("iam:GetLoginProfile", err)
	}
	return s.change("iam:DeleteLoginProfile "+s.name, func() error {
		_, err := s.a.iam.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: sdk.String(s.name)})
		if isCode(err, "NoSuchEntity") {
			return nil
		}
		return providerError("iam:DeleteLoginProfile", err)
	})
}

// inlinePolicy returns the document of the principal's inline policy name,
// "" when there is none.
func (s *step) inlinePolicy(ctx context.Context, name string) (string, error) {
	var doc *string
	var err error
	op := "iam:GetUserPolicy"
	if s.kind == kindUser {
		var out *iam.GetUserPolicyOutput
		if out, err = s.a.iam.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: sdk.String(s.name), PolicyName: sdk.String(name)}); err == nil {
			doc = out.PolicyDocument
		}
	} else {
		op = "iam:GetRolePolicy"
		var out *iam.GetRolePolicyOutput
		if out, err = s.a.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: sdk.String(s.name), PolicyName: sdk.String(name)}); err == nil {
			doc = out.PolicyDocument
		}
	}
	if isCode(err, "NoSuchEntity") {
		return "", nil
	}
	if err != nil {
		return "", providerError(op, err)
	}
	// IAM answers the document URL-encoded (RFC 3986).
	d, uerr := url.QueryUnescape(sdk.ToString(doc))
	if uerr != nil {
		return sdk.ToString(doc), nil
	}
	return d, nil
}

func (s *step) putPolicy(ctx context.Context, name, doc string) error {
	if s.kind == kindUser {
		return s.change("iam:PutUserPolicy "+s.name+" "+name, func() error {
			_, err := s.a.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: sdk.String(s.name), PolicyName: sdk.String(name), PolicyDocument: sdk.String(doc)})
			return providerError("iam:PutUserPolicy", err)
		})
	}
	return s.change("iam:PutRolePolicy "+s.name+" "+name, func() error {
		_, err := s.a.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: sdk.String(s.name), PolicyName: sdk.String(name), PolicyDocument: sdk.String(doc)})
		return providerError("iam:PutRolePolicy", err)
	})
}

func (s *step) deletePolicy(ctx context.Context, name string) error {
	if s.kind == kindUser {
		return s.change("iam:DeleteUserPolicy "+s.name+" "+name, func() error {
			_, err := s.a.iam.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: sdk.String(s.name), PolicyName: sdk.String(name)})
			if isCode(err, "NoSuchEntity") {
				return nil
			}
			return providerError("iam:DeleteUserPolicy", err)
		})
	}
	return s.change("iam:DeleteRolePolicy "+s.name+" "+name, func() error {
		_, err := s.a.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: sdk.String(s.name), PolicyName: sdk.String(name)})
		if isCode(err, "NoSuchEntity") {
			return nil
		}
		return providerError("iam:DeleteRolePolicy", err)
	})
}

// denyAll attaches the deny-all policy, unless it is there already.
func (s *step) denyAll(ctx context.Context) error {
	name := cmp.Or(s.req.Params[ParamPolicyName], s.c.cfg.DenyPolicyName)
	cur, err := s.inlinePolicy(ctx, name)
	if err != nil {
		return err
	}
	if s.req.Rollback {
		if cur == "" {
			return nil
		}
		return s.deletePolicy(ctx, name)
	}
	if sameJSON(cur, DenyAllPolicy) {
		return nil
	}
	if cur != "" {
		return fmt.Errorf("aws %s: %s/%s has an inline policy %q that is not aitdr's deny-all; set param %s",
			s.req.Kind, s.kind, s.name, name, ParamPolicyName)
	}
	if err := s.putPolicy(ctx, name, DenyAllPolicy); err != nil {
		return err
	}
	s.rollback(map[string]string{ParamPolicyName: name})
	return nil
}

// revokeSessions puts the revoke-older-sessions policy with the cut-off
// now; its rollback puts back what was there before.
func (s *step) revokeSessions(ctx context.Context) error {
	name := cmp.Or(s.req.Params[ParamPolicyName], s.c.cfg.RevokePolicyName)
	if s.req.Rollback {
		prev := s.req.Params[ParamPreviousPolicy]
		if prev == "" {
			return s.deletePolicy(ctx, name)
		}
		return s.putPolicy(ctx, name, prev)
	}
	prev, err := s.inlinePolicy(ctx, name)
	if err != nil {
		return err
	}
	// Round the cut-off up to the next second: the condition compares
	// seconds, and a session issued in this second must end too.
	cutoff := s.c.now().Truncate(time.Second).Add(time.Second)
	if err := s.putPolicy(ctx, name, RevokeSessionsPolicy(cutoff)); err != nil {
		return err
	}
	s.rollback(map[string]string{ParamPolicyName: name, ParamPreviousPolicy: prev})
	return nil
}

// tag sets the quarantine tag; its rollback restores the previous value.
func (s *step) tag(ctx context.Context) error {
	key := cmp.Or(s.req.Params[ParamTagKey], s.c.cfg.TagKey)
	value := cmp.Or(s.req.Params[ParamTagValue], s.req.AlertID, "quarantined")
	if s.req.Rollback {
		prev, had := s.req.Params[ParamPreviousValue]
		if had {
			return s.putTag(ctx, key, prev)
		}
		return s.untag(ctx, key)
	}
	cur, had, err := s.currentTag(ctx, key)
	if err != nil {
		return err
	}
	if had && cur == value {
		return nil
	}
	if err := s.putTag(ctx, key, value); err != nil {
		return err
	}
	params := map[string]string{ParamTagKey: key}
	if had {
		params[ParamPreviousValue] = cur
	}
	s.rollback(params)
	return nil
}

func (s *step) currentTag(ctx context.Context, key string) (string, bool, error) {
	var tags []types.Tag
	if s.kind == kindUser {
		p := iam.NewListUserTagsPaginator(s.a.iam, &iam.ListUserTagsInput{UserName: sdk.String(s.name)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return "", false, providerError("iam:ListUserTags", err)
			}
			tags = append(tags, page.Tags...)
		}
	} else {
		p := iam.NewListRoleTagsPaginator(s.a.iam, &iam.ListRoleTagsInput{RoleName: sdk.String(s.name)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return "", false, providerError("iam:ListRoleTags", err)
			}
			tags = append(tags, page.Tags...)
		}
	}
	for _, t := range tags {
		if sdk.ToString(t.Key) == key {
			return sdk.ToString(t.Value), true, nil
		}
	}
	return "", false, nil
}

func (s *step) putTag(ctx context.Context, key, value string) error {
	tags := []types.Tag{{Key: sdk.String(key), Value: sdk.String(value)}}
	if s.kind == kindUser {
		return s.change("iam:TagUser "+s.name+" "+key+"="+value, func() error {
			_, err := s.a.iam.TagUser(ctx, &iam.TagUserInput{UserName: sdk.String(s.name), Tags: tags})
			return providerError("iam:TagUser", err)
		})
	}
	return s.change("iam:TagRole "+s.name+" "+key+"="+value, func() error {
		_, err := s.a.iam.TagRole(ctx, &iam.TagRoleInput{RoleName: sdk.String(s.name), Tags: tags})
		return providerError("iam:TagRole", err)
	})
}

func (s *step) untag(ctx context.Context, key string) error {
	if _, had, err := s.currentTag(ctx, key); err != nil || !had {
		return err
	}
	if s.kind == kindUser {
		return s.change("iam:UntagUser "+s.name+" "+key, func() error {
			_, err := s.a.iam.UntagUser(ctx, &iam.UntagUserInput{UserName: sdk.String(s.name), TagKeys: []string{key}})
			return providerError("iam:UntagUser", err)
		})
	}
	return s.change("iam:UntagRole "+s.name+" "+key, func() error {
		_, err := s.a.iam.UntagRole(ctx, &iam.UntagRoleInput{RoleName: sdk.String(s.name), TagKeys: []string{key}})
		return providerError("iam:UntagRole", err)
	})
}

// sameJSON reports whether two JSON documents are equal as values.
func sameJSON(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return false
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return string(ja) == string(jb)
}

func isCode(err error, code string) bool {
	var ae smithy.APIError
	return err != nil && errors.As(err, &ae) && ae.ErrorCode() == code
}

// retryableCodes are the AWS error codes of throttling and transient
// failures.
var retryableCodes = []string{
	"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "RequestLimitExceeded",
	"TooManyRequestsException", "ServiceUnavailable", "InternalFailure", "RequestTimeout", "RequestTimeoutException",
	"ConcurrentModification", "PriorRequestNotComplete", "IDPCommunicationError",
}

// providerError maps an SDK error to a ProviderError with the AWS error
// code and HTTP status; nil stays nil, and a context error stays itself.
func providerError(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("aws %s: %w", op, err)
	}
	pe := &responder.ProviderError{Connector: Name, Op: op}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) {
		pe.Status = status.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		pe.Code, pe.Message = ae.ErrorCode(), ae.ErrorMessage()
		pe.Retryable = slices.Contains(retryableCodes, pe.Code) || pe.Status == http.StatusTooManyRequests || pe.Status >= 500
		return pe
	}
	// No answer from AWS: a transport failure, worth another attempt.
	pe.Code, pe.Message, pe.Retryable = "transport", err.Error(), true
	return pe
}
