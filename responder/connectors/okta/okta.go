// Package okta is the responder's Okta connector: it suspends users,
// clears their sessions and revokes their OAuth refresh tokens and API
// tokens through the Okta Management API, with an SSWS API token.
//
// Supported steps, each idempotent (docs/response-connectors.md):
//
//	disable_account   POST /api/v1/users/{id}/lifecycle/suspend       rollback: .../lifecycle/unsuspend
//	revoke_sessions   DELETE /api/v1/users/{id}/sessions?oauthTokens=true
//	revoke_keys       DELETE /api/v1/users/{id}/clients/{clientId}/tokens for each client with tokens,
//	                  DELETE /api/v1/api-tokens/{tokenId} for each API token of the user
//
// A 429 answer is retryable after the X-Rate-Limit-Reset time.
package okta

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
	"time"

	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/responder/connectors/internal/principal"
	"github.com/aitdr/aitdr/responder/connectors/internal/rest"
)

// Name is the connector's name in playbooks and the audit.
const Name = "okta"

// Params of the steps.
const (
	// ParamOAuthTokens is "false" to clear sessions without revoking the
	// OAuth tokens issued in them (revoke_sessions). Default "true".
	ParamOAuthTokens = "oauth_tokens"
	// ParamClientID limits revoke_keys' OAuth part to one client id.
	ParamClientID = "client_id"
	// ParamScope limits revoke_keys to "oauth" or "api" tokens. Default
	// both.
	ParamScope = "scope"
)

// Okta user statuses that matter here.
const (
	statusSuspended     = "SUSPENDED"
	statusDeprovisioned = "DEPROVISIONED"
)

// Option sets an optional dependency of the connector.
type Option = rest.Option

// WithHTTPClient sets the HTTP client. Default a client with the
// configured timeout.
var WithHTTPClient = rest.WithHTTPClient

// WithClock sets the clock of Result.Completed and rate-limit waits.
// Default time.Now.
var WithClock = rest.WithClock

// WithLookupEnv sets how token environment variables are read. Default
// os.LookupEnv.
var WithLookupEnv = rest.WithLookupEnv

// Connector runs containment steps against Okta orgs. It is safe for
// concurrent use.
type Connector struct {
	orgs map[string]*rest.Client
	now  func() time.Time
}

var _ responder.Connector = (*Connector)(nil)

// New validates cfg and reads the API tokens.
func New(cfg Config, opts ...Option) (*Connector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("okta connector config: %w", err)
	}
	o := rest.NewOptions(cmp.Or(cfg.Timeout, DefaultTimeout), opts)
	c := &Connector{orgs: map[string]*rest.Client{}, now: o.Now}
	for i, org := range cfg.Orgs {
		token, err := org.Token.Read(o.LookupEnv)
		if err != nil {
			return nil, fmt.Errorf("okta connector config: orgs[%d].token: %w", i, err)
		}
		base := strings.TrimSuffix(cmp.Or(org.URL, "https://"+org.Domain), "/")
		c.orgs[org.Domain] = &rest.Client{
			Connector: Name,
			BaseURL:   base,
			HTTP:      o.HTTP,
			Header:    http.Header{"Accept": {"application/json"}, "User-Agent": {"aitdr-responder"}},
			Authorize: func(_ context.Context, r *http.Request) error {
				r.Header.Set("Authorization", "SSWS "+token)
				return nil
			},
			ErrorCode: errorCode,
			Throttled: throttled,
			Now:       o.Now,
		}
	}
	return c, nil
}

// Name returns "okta".
func (c *Connector) Name() string { return Name }

// Supports reports whether kind is disable_account, revoke_sessions or
// revoke_keys.
func (c *Connector) Supports(kind responder.ActionKind) bool {
	switch kind {
	case responder.ActionDisableAccount, responder.ActionRevokeSessions, responder.ActionRevokeKeys:
		return true
	}
	return false
}

// Do runs req against the org of its principal.
func (c *Connector) Do(ctx context.Context, req responder.Request) (responder.Result, error) {
	domain, user, err := principal.Native(req.Principal, Name)
	if err != nil {
		return responder.Result{}, fmt.Errorf("okta %s: %w", req.Kind, err)
	}
	api, ok := c.orgs[domain]
	if !ok {
		return responder.Result{}, fmt.Errorf("okta %s: org %q of principal %q is not configured", req.Kind, domain, req.Principal.ID)
	}
	// Okta user ids start with 00u; apps (0oa) and others are not users.
	if !strings.HasPrefix(user, "00u") {
		return responder.Result{}, fmt.Errorf("okta %s: principal %q is not an Okta user (ids start with 00u): %w",
			req.Kind, req.Principal.ID, errors.ErrUnsupported)
	}
	if req.Rollback && req.Kind != responder.ActionDisableAccount {
		return responder.Result{}, fmt.Errorf("okta %s: no rollback: %w", req.Kind, errors.ErrUnsupported)
	}
	s := step{api: api, req: req, user: url.PathEscape(user)}
	switch req.Kind {
	case responder.ActionDisableAccount:
		if req.Rollback {
			err = s.unsuspend(ctx)
		} else {
			err = s.suspend(ctx)
		}
	case responder.ActionRevokeSessions:
		err = s.clearSessions(ctx)
	case responder.ActionRevokeKeys:
		err = s.revokeTokens(ctx)
	default:
		err = fmt.Errorf("okta: step %q: %w", req.Kind, errors.ErrUnsupported)
	}
	if err != nil {
		return responder.Result{}, err
	}
	s.res.Completed = c.now()
	return s.res, nil
}

// step is one run of a request.
type step struct {
	api  *rest.Client
	req  responder.Request
	user string
	res  responder.Result
}

// change runs call unless the step is a dry run, and records it.
func (s *step) change(ctx context.Context, call rest.Call) error {
	desc := call.Op + " " + call.Method + " " + call.Path
	if len(call.Query) > 0 {
		desc += "?" + call.Query.Encode()
	}
	if s.req.DryRun {
		s.res.Changes = append(s.res.Changes, "would "+desc)
		return nil
	}
	if _, err := s.api.Do(ctx, call); err != nil {
		return err
	}
	s.res.Changes = append(s.res.Changes, desc)
	return nil
}

type user struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

func (s *step) status(ctx context.Context) (string, error) {
	var u user
	if _, err := s.api.Do(ctx, rest.Call{Op: "okta:GetUser", Method: http.MethodGet, Path: "/api/v1/users/" + s.user, Out: &u}); err != nil {
		return "", err
	}
	return u.Status, nil
}

// suspend suspends an active user. A user already suspended or
// deprovisioned is left alone: the step is done, and since aitdr did not
// suspend it, there is nothing for aitdr to roll back.
func (s *step) suspend(ctx context.Context) error {
	st, err := s.status(ctx)
	if err != nil {
		return err
	}
	if st == statusSuspended || st == statusDeprovisioned {
		return nil
	}
	if err := s.change(ctx, rest.Call{Op: "okta:SuspendUser", Method: http.MethodPost,
		Path: "/api/v1/users/" + s.user + "/lifecycle/suspend"}); err != nil {
		return err
	}
	s.res.Rollback = &responder.Request{
		ActionID: s.req.ActionID + "/rollback", AlertID: s.req.AlertID, Kind: s.req.Kind,
		Principal: s.req.Principal, Rollback: true,
	}
	return nil
}

// unsuspend unsuspends a suspended user; any other status is left alone.
func (s *step) unsuspend(ctx context.Context) error {
	st, err := s.status(ctx)
	if err != nil {
		return err
	}
	if st != statusSuspended {
		return nil
	}
	return s.change(ctx, rest.Call{Op: "okta:UnsuspendUser", Method: http.MethodPost,
		Path: "/api/v1/users/" + s.user + "/lifecycle/unsuspend"})
}

func (s *step) clearSessions(ctx context.Context) error {
	q := url.Values{"oauthTokens": {"true"}}
	if s.req.Params[ParamOAuthTokens] == "false" {
		q = nil
	}
	return s.change(ctx, rest.Call{Op: "okta:RevokeUserSessions", Method: http.MethodDelete,
		Path: "/api/v1/users/" + s.user + "/sessions", Query: q})
}

type client struct {
	ClientID string `json:"client_id"`
}

type apiToken struct {
	ID     string `json:"id"`
	UserID string `json:"userId"`
}

func (s *step) revokeTokens(ctx context.Context) error {
	scope := s.req.Params[ParamScope]
	if scope != "" && scope != "oauth" && scope != "api" {
		return fmt.Errorf("okta revoke_keys: param %s %q is not oauth or api", ParamScope, scope)
	}
	if scope != "api" {
		clients, err := list[client](ctx, s.api, "okta:ListUserClients", "/api/v1/users/"+s.user+"/clients")
		if err != nil {
			return err
		}
		for _, cl := range clients {
			if only := s.req.Params[ParamClientID]; only != "" && cl.ClientID != only {
				continue
			}
			if err := s.change(ctx, rest.Call{Op: "okta:RevokeTokensForUserAndClient", Method: http.MethodDelete,
				Path: "/api/v1/users/" + s.user + "/clients/" + url.PathEscape(cl.ClientID) + "/tokens"}); err != nil {
				return err
			}
		}
	}
	if scope != "oauth" {
		tokens, err := list[apiToken](ctx, s.api, "okta:ListApiTokens", "/api/v1/api-tokens")
		if err != nil {
			return err
		}
		userID, _ := url.PathUnescape(s.user)
		for _, t := range tokens {
			if t.UserID != userID && !slices.Contains(s.req.Principal.CredentialIDs, t.ID) {
				continue
			}
			call := rest.Call{Op: "okta:RevokeApiToken", Method: http.MethodDelete,
				Path: "/api/v1/api-tokens/" + url.PathEscape(t.ID), Also: []int{http.StatusNotFound}}
			if err := s.change(ctx, call); err != nil {
				return err
			}
		}
	}
	return nil
}

// list reads every page of a list, following the Link rel="next" header.
func list[T any](ctx context.Context, api *rest.Client, op, path string) ([]T, error) {
	var all []T
	call := rest.Call{Op: op, Method: http.MethodGet, Path: path}
	for page := 0; page < 1000; page++ {
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
	return nil, fmt.Errorf("okta %s: more than 1000 pages", op)
}

// errorCode decodes an Okta error object.
func errorCode(body []byte) (code, message string) {
	var e struct {
		ErrorCode    string `json:"errorCode"`
		ErrorSummary string `json:"errorSummary"`
		ErrorCauses  []struct {
			ErrorSummary string `json:"errorSummary"`
		} `json:"errorCauses"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	message = e.ErrorSummary
	for _, c := range e.ErrorCauses {
		message += "; " + c.ErrorSummary
	}
	return e.ErrorCode, message
}

// throttled reads Okta's rate-limit headers: a 429 answer carries
// X-Rate-Limit-Reset, the epoch second when the limit resets.
func throttled(status int, h http.Header, now time.Time) (time.Duration, bool) {
	if status != http.StatusTooManyRequests {
		return 0, false
	}
	return rest.UntilUnix(h.Get("X-Rate-Limit-Reset"), now), true
}
