package github_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/secret"
	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/responder/connectors/github"
	"github.com/aitdr/aitdr/responder/connectors/internal/vendortest"
)

const (
	installationToken = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
	appID             = "123456"
	installationID    = 4567890
)

// now is the test clock: 120 s before the reset of testdata/rate_limited.http.
var now = time.Unix(1741944500, 0)

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
)

// appKey returns an RSA key for the test App, made once per run.
func appKey(t *testing.T) *rsa.PrivateKey {
	keyOnce.Do(func() {
		var err error
		if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
	})
	return key
}

// ghServer is GitHub served by httptest from the documented exchanges, with
// the state the steps change.
type ghServer struct {
	t       *testing.T
	srv     *httptest.Server
	journal vendortest.Journal
	pub     *rsa.PublicKey

	mu            sync.Mutex
	collaborators []string
	grants        []int64
	credentials   []int64
	suspended     bool
	tokensIssued  int
	fail          map[string]string
}

func newServer(t *testing.T) *ghServer {
	g := &ghServer{t: t, pub: &appKey(t).PublicKey, collaborators: []string{"ml-contractor-7"},
		grants: []int64{25381, 25382}, credentials: []int64{161195, 161196}, fail: map[string]string{}}
	g.srv = httptest.NewServer(g.journal.Wrap(http.HandlerFunc(g.serve)))
	t.Cleanup(g.srv.Close)
	return g
}

// checkJWT fails the test unless h carries an RS256 JWT of the test App,
// signed with its key and valid now.
func (g *ghServer) checkJWT(h string) {
	parts := strings.Split(strings.TrimPrefix(h, "Bearer "), ".")
	if len(parts) != 3 {
		g.t.Errorf("authorization %q is not a JWT", h)
		return
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(g.pub, crypto.SHA256, sum[:], sig); err != nil {
		g.t.Errorf("JWT signature: %v", err)
	}
	var claims struct {
		Iat, Exp int64
		Iss      string
	}
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	_ = json.Unmarshal(b, &claims)
	if claims.Iss != appID || claims.Iat > now.Unix() || claims.Exp <= now.Unix() || claims.Exp-claims.Iat > 600 {
		g.t.Errorf("JWT claims %+v do not hold now", claims)
	}
}

func (g *ghServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	defer g.mu.Unlock()
	check := func(x *vendortest.Exchange, ids ...string) {
		if d := x.Match(r, body, ids...); d != "" {
			g.t.Errorf("%s %s does not follow %s: %s", r.Method, r.URL, x.Name, d)
		}
	}
	if r.URL.Path == "/app/installations/4567890/access_tokens" {
		x := vendortest.Load(g.t, "installation_token")
		check(x)
		g.checkJWT(r.Header.Get("Authorization"))
		g.tokensIssued++
		x.Write(w)
		return
	}
	if name, ok := g.fail[r.Method+" "+r.URL.Path]; ok {
		vendortest.Load(g.t, name).Write(w)
		return
	}
	writeList := func(x *vendortest.Exchange, keep func(map[string]any) bool) {
		var all []map[string]any
		x.JSON(g.t, &all)
		all = slices.DeleteFunc(all, func(m map[string]any) bool { return !keep(m) })
		b, _ := json.Marshal(all)
		x.WriteBody(w, b)
	}
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/orgs/acme-corp/outside_collaborators/"):
		login := strings.TrimPrefix(p, "/orgs/acme-corp/outside_collaborators/")
		if login == "dev-jkim" {
			vendortest.Load(g.t, "remove_member_as_collaborator").Write(w)
			return
		}
		x := vendortest.Load(g.t, "remove_outside_collaborator")
		check(x)
		g.collaborators = slices.DeleteFunc(g.collaborators, func(s string) bool { return s == login })
		x.Write(w)
	case r.Method == http.MethodGet && p == "/orgs/acme-corp/personal-access-tokens":
		x := vendortest.Load(g.t, "list_pat_grants")
		check(x)
		writeList(x, func(m map[string]any) bool { return slices.Contains(g.grants, int64(m["id"].(float64))) })
	case r.Method == http.MethodPost && p == "/orgs/acme-corp/personal-access-tokens":
		x := vendortest.Load(g.t, "revoke_pat_grants")
		var req struct {
			Action string  `json:"action"`
			PatIDs []int64 `json:"pat_ids"`
		}
		_ = json.Unmarshal(body, &req)
		if len(req.PatIDs) == 2 {
			check(x)
		} else if req.Action != "revoke" {
			g.t.Errorf("action %q, want revoke", req.Action)
		}
		g.grants = slices.DeleteFunc(g.grants, func(id int64) bool { return slices.Contains(req.PatIDs, id) })
		x.Write(w)
	case r.Method == http.MethodGet && p == "/orgs/acme-corp/credential-authorizations":
		x := vendortest.Load(g.t, "list_credential_authorizations")
		check(x)
		writeList(x, func(m map[string]any) bool {
			return slices.Contains(g.credentials, int64(m["credential_id"].(float64)))
		})
	case r.Method == http.MethodDelete && strings.HasPrefix(p, "/orgs/acme-corp/credential-authorizations/"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(p, "/orgs/acme-corp/credential-authorizations/"), 10, 64)
		x := vendortest.Load(g.t, "remove_credential_authorization")
		check(x, "161195", strconv.FormatInt(id, 10))
		g.credentials = slices.DeleteFunc(g.credentials, func(c int64) bool { return c == id })
		x.Write(w)
	case p == "/users/dev-jkim":
		x := vendortest.Load(g.t, "get_user")
		check(x)
		var u map[string]any
		x.JSON(g.t, &u)
		if g.suspended {
			u["suspended_at"] = "2025-03-14T09:31:00Z"
		}
		b, _ := json.Marshal(u)
		x.WriteBody(w, b)
	case r.Method == http.MethodPut && p == "/users/dev-jkim/suspended":
		x := vendortest.Load(g.t, "suspend_user")
		check(x)
		g.suspended = true
		x.Write(w)
	case r.Method == http.MethodDelete && p == "/users/dev-jkim/suspended":
		x := vendortest.Load(g.t, "unsuspend_user")
		check(x)
		g.suspended = false
		x.Write(w)
	default:
		g.t.Errorf("undocumented request %s %s", r.Method, r.URL)
		vendortest.Load(g.t, "not_found").Write(w)
	}
}

// appConnector authenticates as the test App.
func (g *ghServer) appConnector(t *testing.T, enterprise, saml bool) *github.Connector {
	der := x509.MarshalPKCS1PrivateKey(appKey(t))
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der}))
	c, err := github.New(github.Config{
		APIURL: g.srv.URL, EnterpriseServer: enterprise,
		App:  github.App{AppID: appID, PrivateKey: secret.Secret{Value: pemText}},
		Orgs: []github.Org{{Name: "acme-corp", InstallationID: installationID, SAMLSSO: saml}},
	}, github.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func request(kind responder.ActionKind, login string) responder.Request {
	return responder.Request{ActionID: "act-1", AlertID: "alert-1", Kind: kind,
		Principal: responder.Principal{ID: "github:acme-corp:" + login, Provider: "github", Type: "User"}}
}

// TestSteps shows each step sends the documented requests, changes the
// organization, changes nothing when run again, sends no write in a dry
// run, and rolls back a suspension.
func TestSteps(t *testing.T) {
	for _, tc := range []struct {
		name       string
		req        responder.Request
		enterprise bool
		saml       bool
		changes    []string
		state      func(g *ghServer) bool
		rollback   []string
		repeats    bool // the second run sends the same request again
	}{
		{
			name:    "remove outside collaborator",
			req:     request(responder.ActionRemoveCollaborator, "ml-contractor-7"),
			changes: []string{"github:RemoveOutsideCollaborator DELETE /orgs/acme-corp/outside_collaborators/ml-contractor-7"},
			state:   func(g *ghServer) bool { return len(g.collaborators) == 0 },
			repeats: true,
		},
		{
			name:    "revoke fine-grained tokens",
			req:     request(responder.ActionRevokeKeys, "dev-jkim"),
			changes: []string{`github:UpdatePatAccesses POST /orgs/acme-corp/personal-access-tokens {"action":"revoke","pat_ids":[25381,25382]}`},
			state:   func(g *ghServer) bool { return len(g.grants) == 0 && len(g.credentials) == 2 },
		},
		{
			name: "revoke the evidence token only",
			req: func() responder.Request {
				r := request(responder.ActionRevokeKeys, "dev-jkim")
				r.Params = map[string]string{github.ParamScope: "evidence"}
				r.Principal.CredentialIDs = []string{"98717"}
				return r
			}(),
			changes: []string{`github:UpdatePatAccesses POST /orgs/acme-corp/personal-access-tokens {"action":"revoke","pat_ids":[25382]}`},
			state:   func(g *ghServer) bool { return slices.Equal(g.grants, []int64{25381}) },
		},
		{
			name: "revoke tokens and SAML credential authorizations",
			req:  request(responder.ActionRevokeKeys, "dev-jkim"),
			saml: true,
			changes: []string{
				`github:UpdatePatAccesses POST /orgs/acme-corp/personal-access-tokens {"action":"revoke","pat_ids":[25381,25382]}`,
				"github:RemoveSamlSsoAuthorization DELETE /orgs/acme-corp/credential-authorizations/161195",
				"github:RemoveSamlSsoAuthorization DELETE /orgs/acme-corp/credential-authorizations/161196",
			},
			state: func(g *ghServer) bool { return len(g.grants) == 0 && len(g.credentials) == 0 },
		},
		{
			name:       "suspend on Enterprise Server",
			req:        request(responder.ActionDisableAccount, "dev-jkim"),
			enterprise: true,
			changes:    []string{`github:SuspendUser PUT /users/dev-jkim/suspended {"reason":"aitdr alert alert-1"}`},
			state:      func(g *ghServer) bool { return g.suspended },
			rollback:   []string{`github:UnsuspendUser DELETE /users/dev-jkim/suspended {"reason":"aitdr alert alert-1"}`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newServer(t)
			c := g.appConnector(t, tc.enterprise, tc.saml)
			ctx := context.Background()

			dry := tc.req
			dry.DryRun = true
			res, err := c.Do(ctx, dry)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range g.journal.Writes() {
				if !strings.HasSuffix(w, "/access_tokens") {
					t.Errorf("dry run sent %s; only the installation token request may be sent", w)
				}
			}
			if len(res.Changes) != len(tc.changes) || !strings.HasPrefix(res.Changes[0], "would "+tc.changes[0]) {
				t.Errorf("dry run changes %q", res.Changes)
			}

			res, err = c.Do(ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Changes, tc.changes) {
				t.Errorf("changes\n%q, want\n%q", res.Changes, tc.changes)
			}
			g.mu.Lock()
			if !tc.state(g) {
				t.Error("the organization did not change as wanted")
			}
			g.mu.Unlock()

			writes := len(g.journal.Writes())
			again, err := c.Do(ctx, tc.req)
			if err != nil {
				t.Fatalf("second run: %v", err)
			}
			if !tc.repeats && (len(again.Changes) != 0 || len(g.journal.Writes()) != writes) {
				t.Errorf("second run changed %q", again.Changes)
			}
			if g.tokensIssued != 1 {
				t.Errorf("%d installation tokens issued, want 1 (cached)", g.tokensIssued)
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
			if !slices.Equal(rb.Changes, tc.rollback) || g.suspended {
				t.Errorf("rollback changes %q (suspended %v), want %q", rb.Changes, g.suspended, tc.rollback)
			}
		})
	}
}

// TestErrors shows GitHub's error answers become ProviderErrors: primary
// and secondary rate limits and 5xx retryable with their waits, a 403 of
// permissions and a 422 not.
func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		req       responder.Request
		fail      string
		exchange  string
		status    int
		code      string
		retryable bool
		wait      time.Duration
	}{
		{"primary rate limit", request(responder.ActionRemoveCollaborator, "ml-contractor-7"),
			"DELETE /orgs/acme-corp/outside_collaborators/ml-contractor-7", "rate_limited", 403, "forbidden", true, 120 * time.Second},
		{"secondary rate limit", request(responder.ActionRemoveCollaborator, "ml-contractor-7"),
			"DELETE /orgs/acme-corp/outside_collaborators/ml-contractor-7", "secondary_rate_limited", 403, "forbidden", true, time.Minute},
		{"server error", request(responder.ActionRemoveCollaborator, "ml-contractor-7"),
			"DELETE /orgs/acme-corp/outside_collaborators/ml-contractor-7", "server_error", 502, "bad_gateway", true, 0},
		{"not accessible", request(responder.ActionRevokeKeys, "dev-jkim"),
			"POST /orgs/acme-corp/personal-access-tokens", "forbidden", 403, "forbidden", false, 0},
		{"member, not a collaborator", request(responder.ActionRemoveCollaborator, "dev-jkim"),
			"", "", 422, "unprocessable_entity", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newServer(t)
			g.fail[tc.fail] = tc.exchange
			_, err := g.appConnector(t, false, false).Do(context.Background(), tc.req)
			var pe *responder.ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a ProviderError", err)
			}
			if pe.Status != tc.status || pe.Code != tc.code || pe.Retryable != tc.retryable || pe.Message == "" {
				t.Errorf("got %+v, want status %d code %s retryable %v", pe, tc.status, tc.code, tc.retryable)
			}
			var ra interface{ RetryAfter() time.Duration }
			if got := errors.As(err, &ra); got != (tc.wait > 0) || (got && ra.RetryAfter() != tc.wait) {
				t.Errorf("retry after of %v, want %v", err, tc.wait)
			}
		})
	}
}

// TestTokenAuth shows a configured token is sent as it is, and that
// suspension is refused on GitHub.com.
func TestTokenAuth(t *testing.T) {
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c, err := github.New(github.Config{APIURL: srv.URL, Token: secret.Secret{Env: "GH_TOKEN"},
		Orgs: []github.Org{{Name: "Acme-Corp"}}},
		github.WithLookupEnv(func(string) (string, bool) { return "github_pat_test", true }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(context.Background(), request(responder.ActionRemoveCollaborator, "ml-contractor-7")); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(auth, []string{"Bearer github_pat_test"}) {
		t.Errorf("authorization %q", auth)
	}
	if c.Supports(responder.ActionDisableAccount) {
		t.Error("GitHub.com supports disable_account")
	}
	if _, err := c.Do(context.Background(), request(responder.ActionDisableAccount, "dev-jkim")); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("suspension on GitHub.com: %v, want ErrUnsupported", err)
	}
	if _, err := c.Do(context.Background(), responder.Request{Kind: responder.ActionRevokeKeys,
		Principal: responder.Principal{ID: "github:other-org:dev-jkim"}}); err == nil {
		t.Error("a principal of another organization was not refused")
	}
	if len(auth) != 1 {
		t.Errorf("%d requests, want 1", len(auth))
	}
}

// TestConfigValidate shows every problem is reported with its field path.
func TestConfigValidate(t *testing.T) {
	err := github.Config{
		APIURL: "api.github.com",
		Token:  secret.Secret{Value: "x"},
		App:    github.App{AppID: "1"},
		Orgs:   []github.Org{{Name: "a/b"}, {Name: "ok"}},
	}.Validate()
	for _, want := range []string{"api_url:", "token: set token or app, not both", "app.private_key:",
		"orgs[0].name:", "orgs[1].installation_id: must be set with app"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
	if err := (github.Config{Orgs: []github.Org{{Name: "x"}}}).Validate(); err == nil || !strings.Contains(err.Error(), "set token or app") {
		t.Errorf("no auth: %v", err)
	}
}
