// Package github is the responder's GitHub connector: it removes outside
// collaborators, revokes the organization access of a user's fine-grained
// personal access tokens (and, in organizations with SAML single sign-on,
// the user's credential authorizations), and, on GitHub Enterprise Server,
// suspends users, through the GitHub REST API.
//
// Supported steps (docs/response-connectors.md):
//
//	remove_collaborator  DELETE /orgs/{org}/outside_collaborators/{username}
//	revoke_keys          POST /orgs/{org}/personal-access-tokens {"action": "revoke", "pat_ids": [...]}
//	                     DELETE /orgs/{org}/credential-authorizations/{credential_id} (SAML SSO orgs)
//	disable_account      PUT /users/{username}/suspended (Enterprise Server only)
//	                     rollback: DELETE /users/{username}/suspended
//
// GitHub.com offers no API to suspend an organization member (Enterprise
// Managed Users are suspended through SCIM, which this connector does not
// drive), nor to revoke a classic token by id: an organization can only cut
// it off through SAML credential authorizations.
package github

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/responder/connectors/internal/principal"
	"github.com/aitdr/aitdr/responder/connectors/internal/rest"
)

// Name is the connector's name in playbooks and the audit.
const Name = "github"

// Params of the steps.
const (
	// ParamScope "evidence" limits revoke_keys to the tokens seen in the
	// alert's evidence (Principal.CredentialIDs, GitHub token ids).
	// Default every fine-grained token of the user with access to the
	// organization.
	ParamScope = "scope"
	// ParamReason is the suspension reason recorded by GitHub Enterprise
	// Server. Default "aitdr alert <alert id>".
	ParamReason = "reason"
)

// apiVersion is the REST API version the requests follow.
const apiVersion = "2022-11-28"

// Option sets an optional dependency of the connector.
type Option = rest.Option

// WithHTTPClient sets the HTTP client. Default a client with the
// configured timeout.
var WithHTTPClient = rest.WithHTTPClient

// WithClock sets the clock of Result.Completed, App JWTs and rate-limit
// waits. Default time.Now.
var WithClock = rest.WithClock

// WithLookupEnv sets how secret environment variables are read. Default
// os.LookupEnv.
var WithLookupEnv = rest.WithLookupEnv

// Connector runs containment steps against GitHub organizations. It is
// safe for concurrent use.
type Connector struct {
	orgs       map[string]org // by lower-case name
	enterprise bool
	now        func() time.Time
}

type org struct {
	name string
	api  *rest.Client
	saml bool
}

var _ responder.Connector = (*Connector)(nil)

// New validates cfg and reads the token or the App's private key.
func New(cfg Config, opts ...Option) (*Connector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("github connector config: %w", err)
	}
	o := rest.NewOptions(cmp.Or(cfg.Timeout, DefaultTimeout), opts)
	base := strings.TrimSuffix(cmp.Or(cfg.APIURL, DefaultAPIURL), "/")
	newClient := func(auth func(context.Context, *http.Request) error) *rest.Client {
		return &rest.Client{
			Connector: Name, BaseURL: base, HTTP: o.HTTP, Authorize: auth, Now: o.Now,
			Header: http.Header{
				"Accept": {"application/vnd.github+json"}, "X-Github-Api-Version": {apiVersion},
				"User-Agent": {"aitdr-responder"},
			},
			ErrorCode: errorCode,
			Throttled: throttled,
		}
	}
	c := &Connector{orgs: map[string]org{}, enterprise: cfg.EnterpriseServer, now: o.Now}
	var tokens *installationTokens
	var static string
	if cfg.Token.IsSet() {
		var err error
		if static, err = cfg.Token.Read(o.LookupEnv); err != nil {
			return nil, fmt.Errorf("github connector config: token: %w", err)
		}
	} else {
		pemText, err := cfg.App.PrivateKey.Read(o.LookupEnv)
		if err != nil {
			return nil, fmt.Errorf("github connector config: app.private_key: %w", err)
		}
		key, err := parsePrivateKey(pemText)
		if err != nil {
			return nil, fmt.Errorf("github connector config: app.private_key: %w", err)
		}
		appID := cfg.App.AppID
		tokens = &installationTokens{now: o.Now, cache: map[int64]cachedToken{}}
		tokens.api = newClient(func(_ context.Context, r *http.Request) error {
			jwt, err := appJWT(key, appID, o.Now())
			if err != nil {
				return err
			}
			r.Header.Set("Authorization", "Bearer "+jwt)
			return nil
		})
	}
	for _, oc := range cfg.Orgs {
		auth := func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+static)
			return nil
		}
		if tokens != nil {
			installation := oc.InstallationID
			auth = func(ctx context.Context, r *http.Request) error {
				tok, err := tokens.get(ctx, installation)
				if err != nil {
					return err
				}
				r.Header.Set("Authorization", "Bearer "+tok)
				return nil
			}
		}
		c.orgs[strings.ToLower(oc.Name)] = org{name: oc.Name, api: newClient(auth), saml: oc.SAMLSSO}
	}
	return c, nil
}

// Name returns "github".
func (c *Connector) Name() string { return Name }

// Supports reports whether kind is remove_collaborator or revoke_keys, or
// disable_account on a GitHub Enterprise Server.
func (c *Connector) Supports(kind responder.ActionKind) bool {
	switch kind {
	case responder.ActionRemoveCollaborator, responder.ActionRevokeKeys:
		return true
	case responder.ActionDisableAccount:
		return c.enterprise
	}
	return false
}

// Do runs req in the organization of its principal.
func (c *Connector) Do(ctx context.Context, req responder.Request) (responder.Result, error) {
	orgName, login, err := principal.Native(req.Principal, Name)
	if err != nil {
		return responder.Result{}, fmt.Errorf("github %s: %w", req.Kind, err)
	}
	o, ok := c.orgs[strings.ToLower(orgName)]
	if !ok {
		return responder.Result{}, fmt.Errorf("github %s: organization %q of principal %q is not configured", req.Kind, orgName, req.Principal.ID)
	}
	if !c.Supports(req.Kind) {
		if req.Kind == responder.ActionDisableAccount {
			return responder.Result{}, fmt.Errorf("github disable_account: GitHub.com has no API to suspend an organization member (set enterprise_server for a GitHub Enterprise Server): %w", errors.ErrUnsupported)
		}
		return responder.Result{}, fmt.Errorf("github: step %q: %w", req.Kind, errors.ErrUnsupported)
	}
	if req.Rollback && req.Kind != responder.ActionDisableAccount {
		return responder.Result{}, fmt.Errorf("github %s: no rollback: %w", req.Kind, errors.ErrUnsupported)
	}
	s := step{org: o, req: req, login: login}
	switch req.Kind {
	case responder.ActionRemoveCollaborator:
		err = s.change(ctx, rest.Call{Op: "github:RemoveOutsideCollaborator", Method: http.MethodDelete,
			Path: "/orgs/" + url.PathEscape(o.name) + "/outside_collaborators/" + url.PathEscape(login)})
	case responder.ActionRevokeKeys:
		err = s.revokeTokens(ctx)
	case responder.ActionDisableAccount:
		err = s.suspend(ctx)
	}
	if err != nil {
		return responder.Result{}, err
	}
	s.res.Completed = c.now()
	return s.res, nil
}

// step is one run of a request.
type step struct {
	org   org
	req   responder.Request
	login string
	res   responder.Result
}

// change runs call unless the step is a dry run, and records it.
func (s *step) change(ctx context.Context, call rest.Call) error {
	desc := call.Op + " " + call.Method + " " + call.Path
	if call.Body != nil {
		b, _ := json.Marshal(call.Body)
		desc += " " + string(b)
	}
	if s.req.DryRun {
		s.res.Changes = append(s.res.Changes, "would "+desc)
		return nil
	}
	if _, err := s.org.api.Do(ctx, call); err != nil {
		return err
	}
	s.res.Changes = append(s.res.Changes, desc)
	return nil
}

// grant is a fine-grained token's access to the organization.
type grant struct {
	ID    int64 `json:"id"`
	Owner struct {
		Login string `json:"login"`
	} `json:"owner"`
	TokenID   int64  `json:"token_id"`
	TokenName string `json:"token_name"`
}

// credentialAuthorization is a credential authorized for SAML SSO.
type credentialAuthorization struct {
	Login          string `json:"login"`
	CredentialID   int64  `json:"credential_id"`
	CredentialType string `json:"credential_type"`
}

func (s *step) revokeTokens(ctx context.Context) error {
	orgPath := "/orgs/" + url.PathEscape(s.org.name)
	evidenceOnly := s.req.Params[ParamScope] == "evidence"
	grants, err := list[grant](ctx, s.org.api, "github:ListPatGrants", orgPath+"/personal-access-tokens",
		url.Values{"owner[]": {s.login}, "per_page": {"100"}})
	if err != nil {
		return err
	}
	var ids []int64
	for _, g := range grants {
		if !strings.EqualFold(g.Owner.Login, s.login) {
			continue
		}
		if evidenceOnly && !slices.Contains(s.req.Principal.CredentialIDs, strconv.FormatInt(g.TokenID, 10)) {
			continue
		}
		ids = append(ids, g.ID)
	}
	if len(ids) > 0 {
		if err := s.change(ctx, rest.Call{Op: "github:UpdatePatAccesses", Method: http.MethodPost,
			Path: orgPath + "/personal-access-tokens",
			Body: map[string]any{"action": "revoke", "pat_ids": ids}}); err != nil {
			return err
		}
	}
	if !s.org.saml {
		return nil
	}
	auths, err := list[credentialAuthorization](ctx, s.org.api, "github:ListSamlSsoAuthorizations",
		orgPath+"/credential-authorizations", url.Values{"login": {s.login}, "per_page": {"100"}})
	if err != nil {
		return err
	}
	for _, a := range auths {
		if !strings.EqualFold(a.Login, s.login) {
			continue
		}
		if evidenceOnly && !slices.Contains(s.req.Principal.CredentialIDs, strconv.FormatInt(a.CredentialID, 10)) {
			continue
		}
		if err := s.change(ctx, rest.Call{Op: "github:RemoveSamlSsoAuthorization", Method: http.MethodDelete,
			Path: orgPath + "/credential-authorizations/" + strconv.FormatInt(a.CredentialID, 10),
			Also: []int{http.StatusNotFound}}); err != nil {
			return err
		}
	}
	return nil
}

// suspend suspends (or, as a rollback, unsuspends) a user of a GitHub
// Enterprise Server. Suspending offers a rollback only when it changed the
// user.
func (s *step) suspend(ctx context.Context) error {
	userPath := "/users/" + url.PathEscape(s.login)
	var u struct {
		SuspendedAt *string `json:"suspended_at"`
	}
	if _, err := s.org.api.Do(ctx, rest.Call{Op: "github:GetUser", Method: http.MethodGet, Path: userPath, Out: &u}); err != nil {
		return err
	}
	suspended := u.SuspendedAt != nil && *u.SuspendedAt != ""
	reason := cmp.Or(s.req.Params[ParamReason], "aitdr alert "+s.req.AlertID)
	if s.req.Rollback {
		if !suspended {
			return nil
		}
		return s.change(ctx, rest.Call{Op: "github:UnsuspendUser", Method: http.MethodDelete,
			Path: userPath + "/suspended", Body: map[string]string{"reason": reason}})
	}
	if suspended {
		return nil
	}
	if err := s.change(ctx, rest.Call{Op: "github:SuspendUser", Method: http.MethodPut,
		Path: userPath + "/suspended", Body: map[string]string{"reason": reason}}); err != nil {
		return err
	}
	s.res.Rollback = &responder.Request{
		ActionID: s.req.ActionID + "/rollback", AlertID: s.req.AlertID, Kind: s.req.Kind,
		Principal: s.req.Principal, Rollback: true,
	}
	return nil
}

// list reads every page of a list, following the Link rel="next" header.
func list[T any](ctx context.Context, api *rest.Client, op, path string, q url.Values) ([]T, error) {
	var all []T
	call := rest.Call{Op: op, Method: http.MethodGet, Path: path, Query: q}
	for range 1000 {
		var items []T
		call.Out = &items
		resp, err := api.Do(ctx, call)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		next := rest.NextLink(resp.Header)
		if next == "" {
			return all, nil
		}
		call = rest.Call{Op: op, Method: http.MethodGet, URL: next}
	}
	return nil, fmt.Errorf("github %s: more than 1000 pages", op)
}

// errorCode decodes GitHub's error object: the first validation error's
// code when there is one, and the message.
func errorCode(body []byte) (code, message string) {
	var e struct {
		Message string `json:"message"`
		Errors  []struct {
			Code    string `json:"code"`
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	message = e.Message
	for i, v := range e.Errors {
		if i == 0 {
			code = v.Code
		}
		message += "; " + strings.TrimSpace(v.Field+" "+cmp.Or(v.Message, v.Code))
	}
	return code, message
}

// throttled reads GitHub's rate-limit answers: a 403 or 429 with
// Retry-After (secondary limits) or with x-ratelimit-remaining 0 (primary
// limit, until x-ratelimit-reset).
func throttled(status int, h http.Header, now time.Time) (time.Duration, bool) {
	if status != http.StatusForbidden && status != http.StatusTooManyRequests {
		return 0, false
	}
	if w := rest.RetryAfterHeader(h, now); w > 0 {
		return w, true
	}
	if h.Get("X-Ratelimit-Remaining") == "0" {
		return rest.UntilUnix(h.Get("X-Ratelimit-Reset"), now), true
	}
	return 0, status == http.StatusTooManyRequests
}
