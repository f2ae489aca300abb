package okta_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/secret"
	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/responder/connectors/internal/vendortest"
	"github.com/aitdr/aitdr/responder/connectors/okta"
)

const (
	userID = "00u1a2b3c4D5e6F7g8h9"
	token  = "00test-okta-api-token-0123456789"
)

// now is the test clock: 60 s before the X-Rate-Limit-Reset of
// testdata/rate_limited.http.
var now = time.Unix(1741944500, 0)

// org is an Okta org served by httptest from the documented exchanges,
// with the state the steps change: the user's status, the clients holding
// tokens, the API tokens.
type org struct {
	t       *testing.T
	srv     *httptest.Server
	journal vendortest.Journal

	mu        sync.Mutex
	status    string
	clients   []string // client ids still holding tokens
	apiTokens []string
	sessions  int               // session revocations
	fail      map[string]string // "METHOD path" -> exchange answered instead
}

func newOrg(t *testing.T) *org {
	o := &org{t: t, status: "ACTIVE", fail: map[string]string{}}
	var clients []struct {
		ClientID string `json:"client_id"`
	}
	vendortest.Load(t, "list_user_clients").JSON(t, &clients)
	for _, c := range clients {
		o.clients = append(o.clients, c.ClientID)
	}
	var tokens []struct {
		ID string `json:"id"`
	}
	vendortest.Load(t, "list_api_tokens").JSON(t, &tokens)
	for _, tk := range tokens {
		o.apiTokens = append(o.apiTokens, tk.ID)
	}
	o.srv = httptest.NewServer(o.journal.Wrap(http.HandlerFunc(o.serve)))
	t.Cleanup(o.srv.Close)
	return o
}

// check fails the test when r is not the documented request of x.
func (o *org) check(x *vendortest.Exchange, r *http.Request, body []byte, ids ...string) {
	if d := x.Match(r, body, ids...); d != "" {
		o.t.Errorf("%s %s does not follow %s: %s", r.Method, r.URL, x.Name, d)
	}
}

func (o *org) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	o.mu.Lock()
	defer o.mu.Unlock()
	if name, ok := o.fail[r.Method+" "+r.URL.Path]; ok {
		vendortest.Load(o.t, name).Write(w)
		return
	}
	if r.Header.Get("Authorization") != "SSWS "+token {
		vendortest.Load(o.t, "invalid_token").Write(w)
		return
	}
	user := "/api/v1/users/" + userID
	switch {
	case r.Method == http.MethodGet && r.URL.Path == user:
		x := vendortest.Load(o.t, "get_user")
		o.check(x, r, body)
		var u map[string]any
		x.JSON(o.t, &u)
		u["status"] = o.status
		b, _ := json.Marshal(u)
		x.WriteBody(w, b)
	case r.URL.Path == user+"/lifecycle/suspend":
		x := vendortest.Load(o.t, "suspend_user")
		o.check(x, r, body)
		if o.status != "ACTIVE" {
			vendortest.Load(o.t, "suspend_not_active").Write(w)
			return
		}
		o.status = "SUSPENDED"
		x.Write(w)
	case r.URL.Path == user+"/lifecycle/unsuspend":
		x := vendortest.Load(o.t, "unsuspend_user")
		o.check(x, r, body)
		if o.status != "SUSPENDED" {
			vendortest.Load(o.t, "unsuspend_not_suspended").Write(w)
			return
		}
		o.status = "ACTIVE"
		x.Write(w)
	case r.URL.Path == user+"/sessions":
		x := vendortest.Load(o.t, "revoke_user_sessions")
		if r.URL.Query().Get("oauthTokens") == "" {
			x.Target = strings.TrimSuffix(x.Target, "?oauthTokens=true")
		}
		o.check(x, r, body)
		o.sessions++
		x.Write(w)
	case r.URL.Path == user+"/clients":
		x := vendortest.Load(o.t, "list_user_clients")
		o.check(x, r, body)
		var all []map[string]any
		x.JSON(o.t, &all)
		all = slices.DeleteFunc(all, func(c map[string]any) bool { return !slices.Contains(o.clients, c["client_id"].(string)) })
		b, _ := json.Marshal(all)
		x.WriteBody(w, b)
	case strings.HasPrefix(r.URL.Path, user+"/clients/") && strings.HasSuffix(r.URL.Path, "/tokens"):
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, user+"/clients/"), "/tokens")
		x := vendortest.Load(o.t, "revoke_client_tokens")
		o.check(x, r, body, "0oabskvc6442nkvQO0h7", id)
		o.clients = slices.DeleteFunc(o.clients, func(c string) bool { return c == id })
		x.Write(w)
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/api-tokens":
		x := vendortest.Load(o.t, "list_api_tokens")
		o.check(x, r, body)
		var all []map[string]any
		x.JSON(o.t, &all)
		all = slices.DeleteFunc(all, func(tk map[string]any) bool { return !slices.Contains(o.apiTokens, tk["id"].(string)) })
		b, _ := json.Marshal(all)
		x.WriteBody(w, b)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/api/v1/api-tokens/"):
		id := strings.TrimPrefix(r.URL.Path, "/api/v1/api-tokens/")
		x := vendortest.Load(o.t, "revoke_api_token")
		o.check(x, r, body, "00Tabcdefg1234567890", id)
		if !slices.Contains(o.apiTokens, id) {
			vendortest.Load(o.t, "not_found").Write(w)
			return
		}
		o.apiTokens = slices.DeleteFunc(o.apiTokens, func(s string) bool { return s == id })
		x.Write(w)
	default:
		o.t.Errorf("undocumented request %s %s", r.Method, r.URL)
		vendortest.Load(o.t, "not_found").Write(w)
	}
}

func (o *org) connector(t *testing.T) *okta.Connector {
	c, err := okta.New(okta.Config{Orgs: []okta.Org{{
		Domain: "acme.okta.com", URL: o.srv.URL, Token: secret.Secret{Env: "OKTA_TEST_TOKEN"},
	}}}, okta.WithClock(func() time.Time { return now }),
		okta.WithLookupEnv(func(k string) (string, bool) { return token, k == "OKTA_TEST_TOKEN" }))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func request(kind responder.ActionKind) responder.Request {
	return responder.Request{
		ActionID: "act-1", AlertID: "alert-1", Kind: kind,
		Principal: responder.Principal{ID: "okta:acme.okta.com:" + userID, Provider: "okta", Type: "User"},
	}
}

// TestSteps shows each step sends the documented requests, changes the
// org, and can run twice: the second run changes nothing.
func TestSteps(t *testing.T) {
	for _, tc := range []struct {
		name        string
		kind        responder.ActionKind
		params      map[string]string
		credentials []string
		wantChanges []string
		wantState   func(t *testing.T, o *org)
		rollback    bool
	}{
		{
			name:        "suspend",
			kind:        responder.ActionDisableAccount,
			wantChanges: []string{"okta:SuspendUser POST /api/v1/users/" + userID + "/lifecycle/suspend"},
			wantState: func(t *testing.T, o *org) {
				if o.status != "SUSPENDED" {
					t.Errorf("status %s, want SUSPENDED", o.status)
				}
			},
			rollback: true,
		},
		{
			name:        "clear sessions and OAuth tokens",
			kind:        responder.ActionRevokeSessions,
			wantChanges: []string{"okta:RevokeUserSessions DELETE /api/v1/users/" + userID + "/sessions?oauthTokens=true"},
			wantState: func(t *testing.T, o *org) {
				if o.sessions == 0 {
					t.Error("sessions were not revoked")
				}
			},
		},
		{
			name:        "clear sessions only",
			kind:        responder.ActionRevokeSessions,
			params:      map[string]string{okta.ParamOAuthTokens: "false"},
			wantChanges: []string{"okta:RevokeUserSessions DELETE /api/v1/users/" + userID + "/sessions"},
		},
		{
			name: "revoke OAuth and API tokens of the user",
			kind: responder.ActionRevokeKeys,
			wantChanges: []string{
				"okta:RevokeTokensForUserAndClient DELETE /api/v1/users/" + userID + "/clients/0oabskvc6442nkvQO0h7/tokens",
				"okta:RevokeTokensForUserAndClient DELETE /api/v1/users/" + userID + "/clients/0oa2agentgw9XkvQO0h8/tokens",
				"okta:RevokeApiToken DELETE /api/v1/api-tokens/00Tabcdefg1234567890",
			},
			wantState: func(t *testing.T, o *org) {
				if len(o.clients) != 0 || !slices.Equal(o.apiTokens, []string{"00Tzzzzzzz9999999999"}) {
					t.Errorf("clients %v and API tokens %v left, want none and the admin's", o.clients, o.apiTokens)
				}
			},
		},
		{
			name:        "revoke one client's tokens",
			kind:        responder.ActionRevokeKeys,
			params:      map[string]string{okta.ParamScope: "oauth", okta.ParamClientID: "0oa2agentgw9XkvQO0h8"},
			wantChanges: []string{"okta:RevokeTokensForUserAndClient DELETE /api/v1/users/" + userID + "/clients/0oa2agentgw9XkvQO0h8/tokens"},
		},
		{
			name:        "revoke an API token seen in the evidence",
			kind:        responder.ActionRevokeKeys,
			params:      map[string]string{okta.ParamScope: "api"},
			credentials: []string{"00Tzzzzzzz9999999999"},
			wantChanges: []string{
				"okta:RevokeApiToken DELETE /api/v1/api-tokens/00Tabcdefg1234567890",
				"okta:RevokeApiToken DELETE /api/v1/api-tokens/00Tzzzzzzz9999999999",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOrg(t)
			c := o.connector(t)
			req := request(tc.kind)
			req.Params = tc.params
			req.Principal.CredentialIDs = tc.credentials

			dry := req
			dry.DryRun = true
			res, err := c.Do(context.Background(), dry)
			if err != nil {
				t.Fatal(err)
			}
			if w := o.journal.Writes(); len(w) != 0 {
				t.Errorf("dry run sent writes %v", w)
			}
			for i, ch := range res.Changes {
				if i >= len(tc.wantChanges) || ch != "would "+tc.wantChanges[i] {
					t.Errorf("dry run change %d %q, want %q", i, ch, "would "+tc.wantChanges[min(i, len(tc.wantChanges)-1)])
				}
			}

			res, err = c.Do(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Changes, tc.wantChanges) {
				t.Errorf("changes\n%q, want\n%q", res.Changes, tc.wantChanges)
			}
			if !res.Completed.Equal(now) {
				t.Errorf("completed %v, want %v", res.Completed, now)
			}
			if tc.wantState != nil {
				o.mu.Lock()
				tc.wantState(t, o)
				o.mu.Unlock()
			}
			if (res.Rollback != nil) != tc.rollback {
				t.Fatalf("rollback %+v, want one: %v", res.Rollback, tc.rollback)
			}

			// Again: the same request is fine and, except for the session
			// revocation Okta repeats harmlessly, changes nothing.
			writes := len(o.journal.Writes())
			again, err := c.Do(context.Background(), req)
			if err != nil {
				t.Fatalf("second run: %v", err)
			}
			if tc.kind != responder.ActionRevokeSessions && (len(again.Changes) != 0 || len(o.journal.Writes()) != writes) {
				t.Errorf("second run changed %q", again.Changes)
			}

			if res.Rollback != nil {
				rb, err := c.Do(context.Background(), *res.Rollback)
				if err != nil {
					t.Fatal(err)
				}
				if want := []string{"okta:UnsuspendUser POST /api/v1/users/" + userID + "/lifecycle/unsuspend"}; !slices.Equal(rb.Changes, want) {
					t.Errorf("rollback changes %q, want %q", rb.Changes, want)
				}
				if o.status != "ACTIVE" {
					t.Errorf("status after rollback %s, want ACTIVE", o.status)
				}
				if rb, err = c.Do(context.Background(), *res.Rollback); err != nil || len(rb.Changes) != 0 {
					t.Errorf("second rollback: %q, %v; want no change", rb.Changes, err)
				}
			}
		})
	}
}

// TestErrors shows Okta's error answers become ProviderErrors with Okta's
// code, retryable for throttling and server errors, and that a 429 carries
// the wait until X-Rate-Limit-Reset.
func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fail      string // "METHOD path"
		exchange  string
		status    int
		code      string
		retryable bool
		wait      time.Duration
	}{
		{"rate limited", "POST /api/v1/users/" + userID + "/lifecycle/suspend", "rate_limited", 429, "E0000047", true, 60 * time.Second},
		{"user not found", "GET /api/v1/users/" + userID, "not_found", 404, "E0000007", false, 0},
		{"invalid token", "GET /api/v1/users/" + userID, "invalid_token", 401, "E0000011", false, 0},
		{"server error", "GET /api/v1/users/" + userID, "internal_error", 500, "E0000009", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOrg(t)
			o.fail[tc.fail] = tc.exchange
			_, err := o.connector(t).Do(context.Background(), request(responder.ActionDisableAccount))
			var pe *responder.ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a ProviderError", err)
			}
			if pe.Connector != "okta" || pe.Status != tc.status || pe.Code != tc.code || pe.Retryable != tc.retryable || pe.Message == "" {
				t.Errorf("got %+v, want status %d code %s retryable %v", pe, tc.status, tc.code, tc.retryable)
			}
			var ra interface{ RetryAfter() time.Duration }
			if errors.As(err, &ra) != (tc.wait > 0) || (tc.wait > 0 && ra.RetryAfter() != tc.wait) {
				t.Errorf("retry after: %v, want %v", err, tc.wait)
			}
			if o.status != "ACTIVE" {
				t.Errorf("status %s after a failure, want ACTIVE", o.status)
			}
		})
	}
}

// TestRefusesOtherPrincipals shows principals the connector must not act on
// are refused before any request.
func TestRefusesOtherPrincipals(t *testing.T) {
	o := newOrg(t)
	c := o.connector(t)
	for _, tc := range []struct {
		name string
		p    responder.Principal
		kind responder.ActionKind
	}{
		{"other provider", responder.Principal{ID: "entra:t:" + userID, Provider: "entra"}, responder.ActionDisableAccount},
		{"other org", responder.Principal{ID: "okta:other.okta.com:" + userID}, responder.ActionDisableAccount},
		{"an app", responder.Principal{ID: "okta:acme.okta.com:0oaservice12345abcde"}, responder.ActionDisableAccount},
		{"unsupported step", request("").Principal, responder.ActionDenyAll},
		{"rollback of sessions", request("").Principal, responder.ActionRevokeSessions},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := responder.Request{ActionID: "a", Kind: tc.kind, Principal: tc.p, Rollback: tc.name == "rollback of sessions"}
			if _, err := c.Do(context.Background(), req); err == nil {
				t.Fatal("no error")
			}
		})
	}
	if r := o.journal.Requests(); len(r) != 0 {
		t.Errorf("sent %d requests", len(r))
	}
	if c.Supports(responder.ActionDenyAll) || !c.Supports(responder.ActionRevokeKeys) {
		t.Error("Supports is wrong")
	}
}

// TestConfigValidate shows every problem is reported with its field path.
func TestConfigValidate(t *testing.T) {
	err := okta.Config{Orgs: []okta.Org{
		{Domain: "https://acme.okta.com"},
		{Domain: "b.okta.com", URL: "ftp://x", Token: secret.Secret{Env: "A", File: "b"}},
	}, Timeout: -1}.Validate()
	for _, want := range []string{
		"orgs[0].domain: \"https://acme.okta.com\" is a domain",
		"orgs[0].token: must name",
		"orgs[1].url:",
		"orgs[1].token: set only one",
		"timeout: -1ns is negative",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}
