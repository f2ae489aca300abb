// Package entra is the responder's Microsoft Entra ID connector: it
// disables users and service principals and revokes users' sign-in
// sessions through Microsoft Graph v1.0, authenticated with the OAuth 2.0
// client credentials grant of an app registration.
//
// Supported steps, each idempotent (docs/response-connectors.md):
//
//	disable_account   PATCH /users/{id} or /servicePrincipals/{id} {"accountEnabled": false}
//	                  rollback: the same with true
//	revoke_sessions   POST /users/{id}/revokeSignInSessions
//
// Graph's error object becomes a ProviderError with its code; 429 and 503
// answers are retryable after their Retry-After.
package entra

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/responder/connectors/internal/principal"
	"github.com/aitdr/aitdr/responder/connectors/internal/rest"
)

// Name is the connector's name in playbooks and the audit.
const Name = "entra"

// Option sets an optional dependency of the connector.
type Option = rest.Option

// WithHTTPClient sets the HTTP client of the token and Graph requests.
// Default a client with the configured timeout.
var WithHTTPClient = rest.WithHTTPClient

// WithClock sets the clock of Result.Completed and token expiry. Default
// time.Now.
var WithClock = rest.WithClock

// WithLookupEnv sets how secret environment variables are read. Default
// os.LookupEnv.
var WithLookupEnv = rest.WithLookupEnv

// Connector runs containment steps against Entra tenants. It is safe for
// concurrent use.
type Connector struct {
	tenants map[string]*rest.Client
	now     func() time.Time
}

var _ responder.Connector = (*Connector)(nil)

// New validates cfg and reads the client secrets; it asks for no token
// until the first step.
func New(cfg Config, opts ...Option) (*Connector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("entra connector config: %w", err)
	}
	o := rest.NewOptions(cmp.Or(cfg.Timeout, DefaultTimeout), opts)
	c := &Connector{tenants: map[string]*rest.Client{}, now: o.Now}
	for i, t := range cfg.Tenants {
		sec, err := t.ClientSecret.Read(o.LookupEnv)
		if err != nil {
			return nil, fmt.Errorf("entra connector config: tenants[%d].client_secret: %w", i, err)
		}
		graph := strings.TrimSuffix(cmp.Or(t.GraphURL, DefaultGraphURL), "/")
		tok := &tokenSource{
			client:   o.HTTP,
			now:      o.Now,
			endpoint: strings.TrimSuffix(cmp.Or(t.AuthorityURL, DefaultAuthorityURL), "/") + "/" + url.PathEscape(t.TenantID) + "/oauth2/v2.0/token",
			form: url.Values{
				"client_id":     {t.ClientID},
				"client_secret": {sec},
				"scope":         {graph + "/.default"},
				"grant_type":    {"client_credentials"},
			},
		}
		c.tenants[t.TenantID] = &rest.Client{
			Connector: Name,
			BaseURL:   graph + "/v1.0",
			HTTP:      o.HTTP,
			Header:    http.Header{"Accept": {"application/json"}, "User-Agent": {"aitdr-responder"}},
			Authorize: tok.authorize,
			ErrorCode: errorCode,
			Now:       o.Now,
		}
	}
	return c, nil
}

// Name returns "entra".
func (c *Connector) Name() string { return Name }

// Supports reports whether kind is disable_account or revoke_sessions.
func (c *Connector) Supports(kind responder.ActionKind) bool {
	return kind == responder.ActionDisableAccount || kind == responder.ActionRevokeSessions
}

// Object types the steps act on, as Graph's @odata.type names them.
const (
	typeUser             = "#microsoft.graph.user"
	typeServicePrincipal = "#microsoft.graph.servicePrincipal"
)

// Do runs req against the tenant of its principal.
func (c *Connector) Do(ctx context.Context, req responder.Request) (responder.Result, error) {
	tenant, id, err := principal.Native(req.Principal, Name)
	if err != nil {
		return responder.Result{}, fmt.Errorf("entra %s: %w", req.Kind, err)
	}
	api, ok := c.tenants[tenant]
	if !ok {
		return responder.Result{}, fmt.Errorf("entra %s: tenant %q of principal %q is not configured", req.Kind, tenant, req.Principal.ID)
	}
	if !c.Supports(req.Kind) || (req.Rollback && req.Kind != responder.ActionDisableAccount) {
		return responder.Result{}, fmt.Errorf("entra: step %q (rollback %v): %w", req.Kind, req.Rollback, errors.ErrUnsupported)
	}
	s := step{api: api, req: req, id: url.PathEscape(id)}
	typ, err := s.objectType(ctx)
	if err != nil {
		return responder.Result{}, err
	}
	switch {
	case req.Kind == responder.ActionDisableAccount && typ == typeUser:
		err = s.setEnabled(ctx, "/users/", "entra:UpdateUser", req.Rollback)
	case req.Kind == responder.ActionDisableAccount && typ == typeServicePrincipal:
		err = s.setEnabled(ctx, "/servicePrincipals/", "entra:UpdateServicePrincipal", req.Rollback)
	case req.Kind == responder.ActionRevokeSessions && typ == typeUser:
		err = s.change(ctx, rest.Call{Op: "entra:RevokeSignInSessions", Method: http.MethodPost,
			Path: "/users/" + s.id + "/revokeSignInSessions"})
	default:
		err = fmt.Errorf("entra %s: principal %q is a %s: %w", req.Kind, req.Principal.ID, typ, errors.ErrUnsupported)
	}
	if err != nil {
		return responder.Result{}, err
	}
	s.res.Completed = c.now()
	return s.res, nil
}

// step is one run of a request.
type step struct {
	api *rest.Client
	req responder.Request
	id  string
	res responder.Result
}

// objectType returns the Graph type of the principal: from the type the
// events gave it, else from Graph's directoryObjects.
func (s *step) objectType(ctx context.Context) (string, error) {
	switch s.req.Principal.Type {
	case "User", "user", "Member", "Guest":
		return typeUser, nil
	case "ServicePrincipal", "service_principal", "ManagedIdentity", "Application":
		return typeServicePrincipal, nil
	}
	var obj struct {
		Type string `json:"@odata.type"`
	}
	if _, err := s.api.Do(ctx, rest.Call{Op: "entra:GetDirectoryObject", Method: http.MethodGet,
		Path: "/directoryObjects/" + s.id, Out: &obj}); err != nil {
		return "", err
	}
	return obj.Type, nil
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
	if _, err := s.api.Do(ctx, call); err != nil {
		return err
	}
	s.res.Changes = append(s.res.Changes, desc)
	return nil
}

// setEnabled sets accountEnabled of a user or service principal when it
// differs. Disabling offers a rollback only when it changed the account:
// an account someone else disabled is not aitdr's to re-enable.
func (s *step) setEnabled(ctx context.Context, collection, op string, enabled bool) error {
	var obj struct {
		AccountEnabled *bool `json:"accountEnabled"`
	}
	if _, err := s.api.Do(ctx, rest.Call{Op: strings.Replace(op, "Update", "Get", 1), Method: http.MethodGet,
		Path: collection + s.id, Query: url.Values{"$select": {"id,accountEnabled"}}, Out: &obj}); err != nil {
		return err
	}
	if obj.AccountEnabled != nil && *obj.AccountEnabled == enabled {
		return nil
	}
	if err := s.change(ctx, rest.Call{Op: op, Method: http.MethodPatch, Path: collection + s.id,
		Body: map[string]bool{"accountEnabled": enabled}}); err != nil {
		return err
	}
	if !enabled {
		s.res.Rollback = &responder.Request{
			ActionID: s.req.ActionID + "/rollback", AlertID: s.req.AlertID, Kind: s.req.Kind,
			Principal: s.req.Principal, Rollback: true,
		}
	}
	return nil
}

// errorCode decodes Graph's error object.
func errorCode(body []byte) (code, message string) {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	return e.Error.Code, e.Error.Message
}

// tokenSource gets and caches an app-only access token with the client
// credentials grant. It is safe for concurrent use.
type tokenSource struct {
	client   *http.Client
	now      func() time.Time
	endpoint string
	form     url.Values

	mu      sync.Mutex
	token   string
	expires time.Time
}

// tokenMargin renews a token this long before it expires, so that no
// request carries one that expires on the way.
const tokenMargin = 5 * time.Minute

func (ts *tokenSource) authorize(ctx context.Context, r *http.Request) error {
	tok, err := ts.get(ctx)
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

func (ts *tokenSource) get(ctx context.Context) (string, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.token != "" && ts.now().Before(ts.expires) {
		return ts.token, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.endpoint, strings.NewReader(ts.form.Encode()))
	if err != nil {
		return "", fmt.Errorf("entra token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := ts.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("entra token: %w", ctx.Err())
		}
		return "", &responder.ProviderError{Connector: Name, Op: "entra:token", Code: "transport", Message: err.Error(), Retryable: true}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var t struct {
		AccessToken      string `json:"access_token"`
		ExpiresIn        int64  `json:"expires_in"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &t)
	if resp.StatusCode != http.StatusOK || t.AccessToken == "" {
		s := resp.StatusCode
		return "", &responder.ProviderError{
			Connector: Name, Op: "entra:token", Status: s, Code: cmp.Or(t.Error, "no_token"),
			Message: t.ErrorDescription, Retryable: s == http.StatusTooManyRequests || s >= 500,
		}
	}
	ts.token = t.AccessToken
	ts.expires = ts.now().Add(time.Duration(t.ExpiresIn)*time.Second - tokenMargin)
	return ts.token, nil
}
