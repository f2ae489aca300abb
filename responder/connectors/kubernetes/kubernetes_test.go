package kubernetes_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/secret"
	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/responder/connectors/internal/vendortest"
	"github.com/aitdr/aitdr/responder/connectors/kubernetes"
)

const (
	token = "test-k8s-bearer-token-0123456789"
	rbac  = "/apis/rbac.authorization.k8s.io/v1"
	saID  = "kubernetes:ml-prod:system:serviceaccount:ml-serving:prod-model-pusher"
)

// apiServer is a Kubernetes API server served over TLS by httptest from
// the documented exchanges: it keeps the RoleBindings, ClusterRoleBindings
// and token secrets of the fixtures, checks resourceVersion on replace
// and answers with the stored objects.
type apiServer struct {
	t       *testing.T
	srv     *httptest.Server
	caFile  string
	journal vendortest.Journal

	mu      sync.Mutex
	objects map[string]map[string]any // by path
	rv      int
	fail    map[string]string
}

func newAPIServer(t *testing.T) *apiServer {
	a := &apiServer{t: t, objects: map[string]map[string]any{}, rv: 50000, fail: map[string]string{}}
	for _, f := range []struct{ exchange, kind string }{
		{"list_rolebindings", "RoleBinding"}, {"list_clusterrolebindings", "ClusterRoleBinding"}, {"list_token_secrets", "Secret"},
	} {
		var list struct{ Items []map[string]any }
		vendortest.Load(t, f.exchange).JSON(t, &list)
		for _, it := range list.Items {
			a.objects[pathOf(f.kind, it)] = it
		}
	}
	a.srv = httptest.NewTLSServer(a.journal.Wrap(http.HandlerFunc(a.serve)))
	t.Cleanup(a.srv.Close)
	a.caFile = filepath.Join(t.TempDir(), "ca.crt")
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.srv.Certificate().Raw})
	if err := os.WriteFile(a.caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	return a
}

func meta(o map[string]any, k string) string {
	m, _ := o["metadata"].(map[string]any)
	s, _ := m[k].(string)
	return s
}

func pathOf(kind string, o map[string]any) string {
	switch kind {
	case "RoleBinding":
		return rbac + "/namespaces/" + meta(o, "namespace") + "/rolebindings/" + meta(o, "name")
	case "ClusterRoleBinding":
		return rbac + "/clusterrolebindings/" + meta(o, "name")
	}
	return "/api/v1/namespaces/" + meta(o, "namespace") + "/secrets/" + meta(o, "name")
}

func (a *apiServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	defer a.mu.Unlock()
	if name, ok := a.fail[r.Method+" "+r.URL.Path]; ok {
		vendortest.Load(a.t, name).Write(w)
		return
	}
	check := func(x *vendortest.Exchange, ids ...string) {
		if d := x.Match(r, body, ids...); d != "" {
			a.t.Errorf("%s %s does not follow %s: %s", r.Method, r.URL, x.Name, d)
		}
	}
	list := func(exchange, prefix, match string) {
		x := vendortest.Load(a.t, exchange)
		check(x)
		var doc map[string]any
		x.JSON(a.t, &doc)
		var keys []string
		for p := range a.objects {
			if strings.HasPrefix(p, prefix) && strings.Contains(p, match) {
				keys = append(keys, p)
			}
		}
		slices.Sort(keys)
		items := []any{}
		for _, k := range keys {
			items = append(items, a.objects[k])
		}
		doc["items"] = items
		b, _ := json.Marshal(doc)
		x.WriteBody(w, b)
	}
	writeObj := func(x *vendortest.Exchange, o map[string]any) {
		b, _ := json.Marshal(o)
		x.WriteBody(w, b)
	}
	p := r.URL.Path
	cur, exists := a.objects[p]
	switch {
	case r.Method == http.MethodGet && p == rbac+"/rolebindings":
		list("list_rolebindings", rbac+"/namespaces/", "/rolebindings/")
	case r.Method == http.MethodGet && p == rbac+"/clusterrolebindings":
		list("list_clusterrolebindings", rbac+"/clusterrolebindings/", "")
	case r.Method == http.MethodGet && strings.HasSuffix(p, "/secrets"):
		list("list_token_secrets", p+"/", "")
	case r.Method == http.MethodGet && strings.HasPrefix(p, rbac):
		if !exists {
			vendortest.Load(a.t, "not_found").Write(w)
			return
		}
		writeObj(vendortest.Load(a.t, "read_rolebinding"), cur)
	case r.Method == http.MethodPut:
		name := "replace_rolebinding"
		if strings.Contains(p, "/clusterrolebindings/") {
			name = "replace_clusterrolebinding"
		}
		x := vendortest.Load(a.t, name)
		parts := strings.Split(p, "/")
		if name == "replace_rolebinding" {
			check(x, "ml-serving", parts[5], "model-pusher", parts[7])
		} else {
			check(x, "pusher-node-reader", parts[5])
		}
		var o map[string]any
		if err := json.Unmarshal(body, &o); err != nil || !exists {
			vendortest.Load(a.t, "not_found").Write(w)
			return
		}
		if meta(o, "resourceVersion") != meta(cur, "resourceVersion") {
			vendortest.Load(a.t, "conflict").Write(w)
			return
		}
		a.store(p, o)
		writeObj(x, o)
	case r.Method == http.MethodPost:
		x := vendortest.Load(a.t, "create_rolebinding")
		check(x, "ml-serving", strings.Split(p, "/")[5])
		var o map[string]any
		_ = json.Unmarshal(body, &o)
		path := p + "/" + meta(o, "name")
		if _, ok := a.objects[path]; ok || meta(o, "resourceVersion") != "" {
			vendortest.Load(a.t, "conflict").Write(w)
			return
		}
		a.store(path, o)
		writeObj(x, o)
	case r.Method == http.MethodDelete && strings.Contains(p, "/secrets/"):
		x := vendortest.Load(a.t, "delete_secret")
		check(x, "prod-model-pusher-token", p[strings.LastIndex(p, "/")+1:])
		if !exists {
			vendortest.Load(a.t, "not_found").Write(w)
			return
		}
		delete(a.objects, p)
		x.Write(w)
	default:
		a.t.Errorf("undocumented request %s %s", r.Method, r.URL)
		vendortest.Load(a.t, "not_found").Write(w)
	}
}

// store keeps o under path with a new resourceVersion, as the server
// does, and without kind and apiVersion, as lists show items.
func (a *apiServer) store(path string, o map[string]any) {
	a.rv++
	md, _ := o["metadata"].(map[string]any)
	md["resourceVersion"] = strconv.Itoa(a.rv)
	delete(o, "kind")
	delete(o, "apiVersion")
	a.objects[path] = o
}

// subjects returns the "kind name" of each subject of the binding at path.
func (a *apiServer) subjects(path string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	o, ok := a.objects[path]
	if !ok {
		return nil
	}
	subs, _ := o["subjects"].([]any)
	out := []string{}
	for _, s := range subs {
		m := s.(map[string]any)
		name, _ := m["name"].(string)
		if ns, _ := m["namespace"].(string); ns != "" {
			name = ns + "/" + name
		}
		out = append(out, m["kind"].(string)+" "+name)
	}
	slices.Sort(out)
	return out
}

func (a *apiServer) connector(t *testing.T) *kubernetes.Connector {
	c, err := kubernetes.New(kubernetes.Config{Clusters: []kubernetes.Cluster{{
		Name: "ml-prod", Server: a.srv.URL, CAFile: a.caFile, Token: secret.Secret{Value: token},
	}}}, kubernetes.WithClock(func() time.Time { return time.Unix(1741944500, 0) }))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func request(kind responder.ActionKind) responder.Request {
	return responder.Request{ActionID: "act-1", AlertID: "alert-1", Kind: kind,
		Principal: responder.Principal{ID: saID, Provider: "kubernetes", Type: "ServiceAccount"}}
}

var (
	modelPusher  = rbac + "/namespaces/ml-serving/rolebindings/model-pusher"
	registry     = rbac + "/namespaces/ml-registry/rolebindings/pusher-reads-registry"
	nodeReader   = rbac + "/clusterrolebindings/pusher-node-reader"
	argo         = rbac + "/namespaces/argo/rolebindings/argo-server"
	pusherSecret = "/api/v1/namespaces/ml-serving/secrets/prod-model-pusher-token"
)

// TestRemoveRoleBindings shows the service account is taken out of every
// binding that names it (as ServiceAccount or as its User name) and of
// no other, that a second run changes nothing, that a dry run writes
// nothing, and that the rollback puts the subjects back, re-creating a
// binding deleted meanwhile.
func TestRemoveRoleBindings(t *testing.T) {
	a := newAPIServer(t)
	c := a.connector(t)
	ctx := context.Background()
	before := map[string][]string{}
	for _, p := range []string{modelPusher, registry, nodeReader, argo} {
		before[p] = a.subjects(p)
	}

	dry := request(responder.ActionRemoveRoleBindings)
	dry.DryRun = true
	res, err := c.Do(ctx, dry)
	if err != nil {
		t.Fatal(err)
	}
	if w := a.journal.Writes(); len(w) != 0 || len(res.Changes) != 3 || res.Rollback != nil {
		t.Errorf("dry run: writes %v, changes %q, rollback %v", w, res.Changes, res.Rollback)
	}

	res, err = c.Do(ctx, request(responder.ActionRemoveRoleBindings))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"kubernetes:ReplaceRoleBinding PUT " + registry + " (without ServiceAccount ml-serving/prod-model-pusher)",
		"kubernetes:ReplaceRoleBinding PUT " + modelPusher + " (without ServiceAccount ml-serving/prod-model-pusher)",
		"kubernetes:ReplaceClusterRoleBinding PUT " + nodeReader + " (without User system:serviceaccount:ml-serving:prod-model-pusher)",
	}
	if !slices.Equal(res.Changes, want) {
		t.Errorf("changes\n%q, want\n%q", res.Changes, want)
	}
	for p, subs := range map[string][]string{
		modelPusher: {"User alice@acme.example"},
		registry:    {},
		nodeReader:  {},
		argo:        before[argo],
	} {
		if got := a.subjects(p); !slices.Equal(got, subs) {
			t.Errorf("%s subjects %q, want %q", p, got, subs)
		}
	}
	if res.Rollback == nil || res.Rollback.Params[kubernetes.ParamBindings] == "" || !res.Rollback.Rollback {
		t.Fatalf("rollback %+v", res.Rollback)
	}

	writes := len(a.journal.Writes())
	if again, err := c.Do(ctx, request(responder.ActionRemoveRoleBindings)); err != nil || len(again.Changes) != 0 || again.Rollback != nil {
		t.Errorf("second run: %q, %v", again.Changes, err)
	}
	if len(a.journal.Writes()) != writes {
		t.Error("second run wrote")
	}

	// Someone deletes a binding before the rollback.
	a.mu.Lock()
	delete(a.objects, registry)
	a.mu.Unlock()

	rb, err := c.Do(ctx, *res.Rollback)
	if err != nil {
		t.Fatal(err)
	}
	wantRB := []string{
		"kubernetes:CreateRoleBinding POST " + rbac + "/namespaces/ml-registry/rolebindings (pusher-reads-registry)",
		"kubernetes:ReplaceRoleBinding PUT " + modelPusher + " (with ServiceAccount ml-serving/prod-model-pusher)",
		"kubernetes:ReplaceClusterRoleBinding PUT " + nodeReader + " (with User system:serviceaccount:ml-serving:prod-model-pusher)",
	}
	if !slices.Equal(rb.Changes, wantRB) {
		t.Errorf("rollback changes\n%q, want\n%q", rb.Changes, wantRB)
	}
	for p, subs := range before {
		if got := a.subjects(p); !slices.Equal(got, subs) {
			t.Errorf("after rollback %s subjects %q, want %q", p, got, subs)
		}
	}
	if again, err := c.Do(ctx, *res.Rollback); err != nil || len(again.Changes) != 0 {
		t.Errorf("second rollback: %q, %v", again.Changes, err)
	}
}

// TestRevokeKeys shows only the service account's token secrets are
// deleted, and a second run deletes nothing.
func TestRevokeKeys(t *testing.T) {
	a := newAPIServer(t)
	c := a.connector(t)
	res, err := c.Do(context.Background(), request(responder.ActionRevokeKeys))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"kubernetes:DeleteSecret DELETE " + pusherSecret}; !slices.Equal(res.Changes, want) || res.Rollback != nil {
		t.Errorf("changes %q rollback %v, want %q and none", res.Changes, res.Rollback, want)
	}
	a.mu.Lock()
	_, kept := a.objects["/api/v1/namespaces/ml-serving/secrets/batch-scorer-token"]
	_, gone := a.objects[pusherSecret]
	a.mu.Unlock()
	if !kept || gone {
		t.Errorf("batch-scorer token kept %v, prod-model-pusher token still there %v", kept, gone)
	}
	if again, err := c.Do(context.Background(), request(responder.ActionRevokeKeys)); err != nil || len(again.Changes) != 0 {
		t.Errorf("second run: %q, %v", again.Changes, err)
	}
}

// TestErrors shows the API server's Status answers become ProviderErrors
// with their reason: a conflict and 429 retryable, Forbidden not.
func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		kind      responder.ActionKind
		fail      string
		exchange  string
		status    int
		code      string
		retryable bool
		wait      time.Duration
	}{
		{"conflict", responder.ActionRemoveRoleBindings, "PUT " + registry, "conflict", 409, "Conflict", true, 0},
		{"forbidden", responder.ActionRemoveRoleBindings, "GET " + rbac + "/rolebindings", "forbidden", 403, "Forbidden", false, 0},
		{"too many requests", responder.ActionRevokeKeys, "GET /api/v1/namespaces/ml-serving/secrets", "too_many_requests", 429, "TooManyRequests", true, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAPIServer(t)
			a.fail[tc.fail] = tc.exchange
			_, err := a.connector(t).Do(context.Background(), request(tc.kind))
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

// TestRefuses shows principals that are not service accounts of a
// configured cluster, and steps the connector cannot do, are refused
// without a request.
func TestRefuses(t *testing.T) {
	a := newAPIServer(t)
	c := a.connector(t)
	for _, req := range []responder.Request{
		{Kind: responder.ActionRevokeKeys, Principal: responder.Principal{ID: "kubernetes:ml-prod:alice@acme.example"}},
		{Kind: responder.ActionRevokeKeys, Principal: responder.Principal{ID: "kubernetes:other:system:serviceaccount:a:b"}},
		{Kind: responder.ActionDisableAccount, Principal: responder.Principal{ID: saID}},
		{Kind: responder.ActionRevokeKeys, Principal: responder.Principal{ID: saID}, Rollback: true},
		{Kind: responder.ActionRemoveRoleBindings, Principal: responder.Principal{ID: saID}, Rollback: true,
			Params: map[string]string{kubernetes.ParamBindings: "not json"}},
	} {
		if _, err := c.Do(context.Background(), req); err == nil {
			t.Errorf("%s of %s (rollback %v): no error", req.Kind, req.Principal.ID, req.Rollback)
		}
	}
	if r := a.journal.Requests(); len(r) != 0 {
		t.Errorf("sent %d requests", len(r))
	}
}

// TestInCluster shows in_cluster takes the API server from the pod's
// environment, and fails outside a pod.
func TestInCluster(t *testing.T) {
	a := newAPIServer(t)
	host, port, _ := strings.Cut(strings.TrimPrefix(a.srv.URL, "https://"), ":")
	env := map[string]string{"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg := kubernetes.Config{Clusters: []kubernetes.Cluster{{Name: "ml-prod", InCluster: true, CAFile: a.caFile,
		Token: secret.Secret{Value: token}}}}
	c, err := kubernetes.New(cfg, kubernetes.WithLookupEnv(lookup))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(context.Background(), request(responder.ActionRevokeKeys)); err != nil {
		t.Fatal(err)
	}
	if _, err := kubernetes.New(cfg, kubernetes.WithLookupEnv(func(string) (string, bool) { return "", false })); err == nil ||
		!strings.Contains(err.Error(), "not running in a pod") {
		t.Errorf("outside a pod: %v", err)
	}
	if err := (kubernetes.Config{Clusters: []kubernetes.Cluster{{Name: "x"}, {Name: "x", Server: "ftp://a"}}}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "clusters[0].server: must be set") || !strings.Contains(err.Error(), "clusters[1].name: \"x\" is listed twice") ||
		!strings.Contains(err.Error(), "clusters[1].server: \"ftp://a\"") {
		t.Errorf("validate: %v", err)
	}
}
