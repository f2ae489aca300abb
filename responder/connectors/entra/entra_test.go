package entra_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/secret"
	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/responder/connectors/entra"
	"github.com/aitdr/aitdr/responder/connectors/internal/vendortest"
)

const (
	tenantID = "3f2a9c1e-5b7d-4e8f-a1c2-6d4b8e0f2a13"
	clientID = "6a8c0e2b-4d6f-4a8c-9e0b-2d4f6a8c0e31"
	userID   = "b029d485-a308-4311-8720-fb3192e5284e"
	spID     = "6a8c0e2b-4d6f-4a8c-9e0b-2d4f6a8c0e31"
	secretV  = "test-client-secret-value"
)

// tenant is an Entra tenant served by two httptest servers from the
// documented exchanges: the identity platform's token endpoint and Graph,
// with the state the steps change.
type tenant struct {
	t              *testing.T
	login, graph   *httptest.Server
	journal        vendortest.Journal
	mu             sync.Mutex
	userEnabled    bool
	spEnabled      bool
	revocations    int
	tokensIssued   int
	fail           map[string]string // "METHOD path" -> exchange answered instead
	badCredentials bool
}

func newTenant(t *testing.T) *tenant {
	tn := &tenant{t: t, userEnabled: true, spEnabled: true, fail: map[string]string{}}
	tn.login = httptest.NewServer(http.HandlerFunc(tn.serveToken))
	tn.graph = httptest.NewServer(tn.journal.Wrap(http.HandlerFunc(tn.serveGraph)))
	t.Cleanup(tn.login.Close)
	t.Cleanup(tn.graph.Close)
	return tn
}

func (tn *tenant) serveToken(w http.ResponseWriter, r *http.Request) {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	x := vendortest.Load(tn.t, "token")
	if r.Method != x.Method || r.URL.Path != x.Target || r.Header.Get("Content-Type") != x.Header.Get("Content-Type") {
		tn.t.Errorf("token request %s %s %s does not follow %s", r.Method, r.URL.Path, r.Header.Get("Content-Type"), x.Name)
	}
	_ = r.ParseForm()
	want := url.Values{"client_id": {clientID}, "client_secret": {secretV},
		"scope": {tn.graph.URL + "/.default"}, "grant_type": {"client_credentials"}}
	for k, v := range want {
		if r.PostForm.Get(k) != v[0] {
			tn.t.Errorf("token request %s %q, want %q", k, r.PostForm.Get(k), v[0])
		}
	}
	if tn.badCredentials {
		vendortest.Load(tn.t, "token_invalid_client").Write(w)
		return
	}
	tn.tokensIssued++
	x.Write(w)
}

func (tn *tenant) serveGraph(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	tn.mu.Lock()
	defer tn.mu.Unlock()
	if name, ok := tn.fail[r.Method+" "+r.URL.Path]; ok {
		vendortest.Load(tn.t, name).Write(w)
		return
	}
	check := func(x *vendortest.Exchange) {
		if d := x.Match(r, body); d != "" {
			tn.t.Errorf("%s %s does not follow %s: %s", r.Method, r.URL, x.Name, d)
		}
	}
	patch := func(enabled *bool, on, off string) {
		var b struct{ AccountEnabled bool }
		_ = json.Unmarshal(body, &b)
		x := vendortest.Load(tn.t, off)
		if b.AccountEnabled {
			x = vendortest.Load(tn.t, on)
		}
		check(x)
		*enabled = b.AccountEnabled
		x.Write(w)
	}
	get := func(name string, enabled bool) {
		x := vendortest.Load(tn.t, name)
		check(x)
		var obj map[string]any
		x.JSON(tn.t, &obj)
		obj["accountEnabled"] = enabled
		b, _ := json.Marshal(obj)
		x.WriteBody(w, b)
	}
	switch p := r.URL.Path; {
	case r.Method == http.MethodGet && p == "/v1.0/users/"+userID:
		get("get_user", tn.userEnabled)
	case r.Method == http.MethodPatch && p == "/v1.0/users/"+userID:
		patch(&tn.userEnabled, "enable_user", "disable_user")
	case p == "/v1.0/users/"+userID+"/revokeSignInSessions":
		x := vendortest.Load(tn.t, "revoke_sessions")
		check(x)
		tn.revocations++
		x.Write(w)
	case r.Method == http.MethodGet && p == "/v1.0/servicePrincipals/"+spID:
		get("get_service_principal", tn.spEnabled)
	case r.Method == http.MethodPatch && p == "/v1.0/servicePrincipals/"+spID:
		patch(&tn.spEnabled, "enable_service_principal", "disable_service_principal")
	case p == "/v1.0/directoryObjects/"+spID:
		x := vendortest.Load(tn.t, "directory_object")
		check(x)
		x.Write(w)
	default:
		tn.t.Errorf("undocumented request %s %s", r.Method, r.URL)
		vendortest.Load(tn.t, "not_found").Write(w)
	}
}

func (tn *tenant) connector(t *testing.T) *entra.Connector {
	c, err := entra.New(entra.Config{Tenants: []entra.Tenant{{
		TenantID: tenantID, ClientID: clientID, ClientSecret: secret.Secret{Value: secretV},
		AuthorityURL: tn.login.URL, GraphURL: tn.graph.URL,
	}}}, entra.WithClock(func() time.Time { return time.Unix(1741944500, 0) }))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func request(kind responder.ActionKind, id, typ string) responder.Request {
	return responder.Request{ActionID: "act-1", AlertID: "alert-1", Kind: kind,
		Principal: responder.Principal{ID: "entra:" + tenantID + ":" + id, Provider: "entra", Type: typ}}
}

// TestSteps shows each step sends the documented Graph requests with the
// client-credentials token, changes the tenant, changes nothing when run
// again, sends no write in a dry run, and rolls back where Graph allows.
func TestSteps(t *testing.T) {
	for _, tc := range []struct {
		name     string
		req      responder.Request
		changes  []string
		state    func(tn *tenant) bool
		rollback []string
	}{
		{
			name:     "disable user",
			req:      request(responder.ActionDisableAccount, userID, "User"),
			changes:  []string{`entra:UpdateUser PATCH /users/` + userID + ` {"accountEnabled":false}`},
			state:    func(tn *tenant) bool { return !tn.userEnabled },
			rollback: []string{`entra:UpdateUser PATCH /users/` + userID + ` {"accountEnabled":true}`},
		},
		{
			name:    "revoke sign-in sessions",
			req:     request(responder.ActionRevokeSessions, userID, "User"),
			changes: []string{"entra:RevokeSignInSessions POST /users/" + userID + "/revokeSignInSessions"},
			state:   func(tn *tenant) bool { return tn.revocations > 0 },
		},
		{
			name:     "disable service principal named by its type",
			req:      request(responder.ActionDisableAccount, spID, "ServicePrincipal"),
			changes:  []string{`entra:UpdateServicePrincipal PATCH /servicePrincipals/` + spID + ` {"accountEnabled":false}`},
			state:    func(tn *tenant) bool { return !tn.spEnabled },
			rollback: []string{`entra:UpdateServicePrincipal PATCH /servicePrincipals/` + spID + ` {"accountEnabled":true}`},
		},
		{
			name:     "disable service principal found in the directory",
			req:      request(responder.ActionDisableAccount, spID, ""),
			changes:  []string{`entra:UpdateServicePrincipal PATCH /servicePrincipals/` + spID + ` {"accountEnabled":false}`},
			state:    func(tn *tenant) bool { return !tn.spEnabled },
			rollback: []string{`entra:UpdateServicePrincipal PATCH /servicePrincipals/` + spID + ` {"accountEnabled":true}`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tn := newTenant(t)
			c := tn.connector(t)
			ctx := context.Background()

			dry := tc.req
			dry.DryRun = true
			res, err := c.Do(ctx, dry)
			if err != nil {
				t.Fatal(err)
			}
			if w := tn.journal.Writes(); len(w) != 0 {
				t.Errorf("dry run sent %v", w)
			}
			if len(res.Changes) != 1 || res.Changes[0] != "would "+tc.changes[0] {
				t.Errorf("dry run changes %q", res.Changes)
			}

			res, err = c.Do(ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Changes, tc.changes) {
				t.Errorf("changes %q, want %q", res.Changes, tc.changes)
			}
			tn.mu.Lock()
			if !tc.state(tn) {
				t.Error("the tenant did not change")
			}
			tn.mu.Unlock()

			again, err := c.Do(ctx, tc.req)
			if err != nil {
				t.Fatalf("second run: %v", err)
			}
			if tc.req.Kind == responder.ActionDisableAccount && len(again.Changes) != 0 {
				t.Errorf("second run changed %q", again.Changes)
			}
			if tn.tokensIssued != 1 {
				t.Errorf("%d tokens issued, want 1 (cached)", tn.tokensIssued)
			}

			if (res.Rollback != nil) != (tc.rollback != nil) {
				t.Fatalf("rollback %+v, want %q", res.Rollback, tc.rollback)
			}
			if res.Rollback == nil {
				return
			}
			rb, err := c.Do(ctx, *res.Rollback)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rb.Changes, tc.rollback) {
				t.Errorf("rollback changes %q, want %q", rb.Changes, tc.rollback)
			}
			if !tn.userEnabled || !tn.spEnabled {
				t.Error("rollback did not re-enable the account")
			}
		})
	}
}

// TestErrors shows Graph's and the token endpoint's errors become
// ProviderErrors with their codes, retryable after Retry-After for 429 and
// 503.
func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		kind      responder.ActionKind
		fail      string
		exchange  string
		badCreds  bool
		op        string
		status    int
		code      string
		retryable bool
		wait      time.Duration
	}{
		{"throttled", responder.ActionDisableAccount, "PATCH /v1.0/users/" + userID, "throttled", false, "entra:UpdateUser", 429, "TooManyRequests", true, 17 * time.Second},
		{"unavailable", responder.ActionRevokeSessions, "POST /v1.0/users/" + userID + "/revokeSignInSessions", "unavailable", false, "entra:RevokeSignInSessions", 503, "serviceNotAvailable", true, 5 * time.Second},
		{"forbidden", responder.ActionDisableAccount, "PATCH /v1.0/users/" + userID, "forbidden", false, "entra:UpdateUser", 403, "Authorization_RequestDenied", false, 0},
		{"not found", responder.ActionDisableAccount, "GET /v1.0/users/" + userID, "not_found", false, "entra:GetUser", 404, "Request_ResourceNotFound", false, 0},
		{"invalid client", responder.ActionDisableAccount, "", "", true, "entra:token", 401, "invalid_client", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tn := newTenant(t)
			tn.fail[tc.fail] = tc.exchange
			tn.badCredentials = tc.badCreds
			_, err := tn.connector(t).Do(context.Background(), request(tc.kind, userID, "User"))
			var pe *responder.ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a ProviderError", err)
			}
			if pe.Op != tc.op || pe.Status != tc.status || pe.Code != tc.code || pe.Retryable != tc.retryable || pe.Message == "" {
				t.Errorf("got %+v, want op %s status %d code %s retryable %v", pe, tc.op, tc.status, tc.code, tc.retryable)
			}
			var ra interface{ RetryAfter() time.Duration }
			if got := errors.As(err, &ra); got != (tc.wait > 0) || (got && ra.RetryAfter() != tc.wait) {
				t.Errorf("retry after of %v, want %v", err, tc.wait)
			}
			if !tn.userEnabled {
				t.Error("the user was disabled despite the failure")
			}
		})
	}
}

// TestRefuses shows steps Graph cannot do and principals of other tenants
// are refused before any Graph request.
func TestRefuses(t *testing.T) {
	tn := newTenant(t)
	c := tn.connector(t)
	for _, req := range []responder.Request{
		request(responder.ActionRevokeSessions, spID, "ServicePrincipal"),
		request(responder.ActionRevokeKeys, userID, "User"),
		{Kind: responder.ActionDisableAccount, Principal: responder.Principal{ID: "entra:other-tenant:" + userID}},
		{Kind: responder.ActionDisableAccount, Principal: responder.Principal{ID: "okta:acme.okta.com:00u1"}},
		func() responder.Request {
			r := request(responder.ActionRevokeSessions, userID, "User")
			r.Rollback = true
			return r
		}(),
	} {
		if _, err := c.Do(context.Background(), req); err == nil {
			t.Errorf("%s of %s: no error", req.Kind, req.Principal.ID)
		}
	}
	if w := tn.journal.Writes(); len(w) != 0 {
		t.Errorf("sent %v", w)
	}
}

// TestConfigValidate shows every problem is reported with its field path.
func TestConfigValidate(t *testing.T) {
	err := entra.Config{Tenants: []entra.Tenant{{GraphURL: "graph"}, {TenantID: "a", ClientID: "b", ClientSecret: secret.Secret{Env: "X"}}, {TenantID: "a"}}}.Validate()
	for _, want := range []string{"tenants[0].tenant_id: must not be empty", "tenants[0].client_id", "tenants[0].client_secret",
		"tenants[0].graph_url", "tenants[2].tenant_id: \"a\" is listed twice"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "tenants[1]") {
		t.Errorf("error %v names a good tenant", err)
	}
}
