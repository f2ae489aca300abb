// Package kubernetes is the responder's Kubernetes connector: it takes a
// service account out of every RoleBinding and ClusterRoleBinding (keeping
// a copy for rollback) and deletes its token secrets, with plain HTTPS
// calls to the API server, a bearer token and the cluster's CA.
//
// Supported steps (docs/response-connectors.md):
//
//	remove_role_bindings  PUT each binding naming the service account without it
//	                      rollback: the subjects put back (the binding re-created if deleted since)
//	revoke_keys           DELETE /api/v1/namespaces/{ns}/secrets/{name} for each secret of type
//	                      kubernetes.io/service-account-token bound to the service account
//
// A subject is the service account when it is the ServiceAccount itself or
// the User "system:serviceaccount:<ns>:<name>". Groups such as
// "system:serviceaccounts:<ns>" name every service account of a namespace
// and are left alone. Bound (projected) tokens cannot be revoked by the API
// before they expire; removing the bindings takes their permissions away.
package kubernetes

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aitdr/aitdr/internal/secret"
	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/responder/connectors/internal/principal"
	"github.com/aitdr/aitdr/responder/connectors/internal/rest"
)

// Name is the connector's name in playbooks and the audit.
const Name = "kubernetes"

// ParamBindings is the rollback parameter of remove_role_bindings: the
// JSON list of the bindings changed, the subjects taken out of each and
// the binding as it was.
const ParamBindings = "bindings"

// Kinds of binding and their API paths.
const (
	kindRoleBinding        = "RoleBinding"
	kindClusterRoleBinding = "ClusterRoleBinding"
	rbacAPI                = "/apis/rbac.authorization.k8s.io/v1"
	rbacVersion            = "rbac.authorization.k8s.io/v1"
	tokenSecretType        = "kubernetes.io/service-account-token"
	saNameAnnotation       = "kubernetes.io/service-account.name"
	saUserPrefix           = "system:serviceaccount:"
)

// Option sets an optional dependency of the connector.
type Option = rest.Option

// WithHTTPClient sets the HTTP client of every cluster, replacing the one
// made from the CA file. Default a client trusting ca_file, with the
// configured timeout.
var WithHTTPClient = rest.WithHTTPClient

// WithClock sets the clock of Result.Completed. Default time.Now.
var WithClock = rest.WithClock

// WithLookupEnv sets how environment variables are read (the token and
// the in-cluster host). Default os.LookupEnv.
var WithLookupEnv = rest.WithLookupEnv

// Connector runs containment steps against Kubernetes clusters. It is safe
// for concurrent use.
type Connector struct {
	clusters map[string]*rest.Client
	now      func() time.Time
}

var _ responder.Connector = (*Connector)(nil)

// New validates cfg, reads the CA files and checks that each token can be
// read.
func New(cfg Config, opts ...Option) (*Connector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("kubernetes connector config: %w", err)
	}
	// No timeout: each cluster gets a client of its own, trusting its CA.
	o := rest.NewOptions(0, opts)
	c := &Connector{clusters: map[string]*rest.Client{}, now: o.Now}
	for i, cl := range cfg.Clusters {
		fail := func(field string, err error) error {
			return fmt.Errorf("kubernetes connector config: clusters[%d].%s: %w", i, field, err)
		}
		server, caFile, token := cl.Server, cl.CAFile, cl.Token
		if cl.InCluster {
			if server == "" {
				host, okH := o.LookupEnv(inClusterHostEnv)
				port, okP := o.LookupEnv(inClusterPortEnv)
				if !okH || !okP {
					return nil, fail("in_cluster", fmt.Errorf("%s and %s are not set: not running in a pod", inClusterHostEnv, inClusterPortEnv))
				}
				server = "https://" + net.JoinHostPort(host, port)
			}
			caFile = cmp.Or(caFile, InClusterCAFile)
			if !token.IsSet() {
				token = secret.Secret{File: InClusterToken}
			}
		}
		if _, err := token.Read(o.LookupEnv); err != nil {
			return nil, fail("token", err)
		}
		hc := o.HTTP
		if hc == nil {
			tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
			if caFile != "" {
				pem, err := os.ReadFile(caFile)
				if err != nil {
					return nil, fail("ca_file", err)
				}
				tlsConf.RootCAs = x509.NewCertPool()
				if !tlsConf.RootCAs.AppendCertsFromPEM(pem) {
					return nil, fail("ca_file", fmt.Errorf("%s holds no PEM certificate", caFile))
				}
			}
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.TLSClientConfig = tlsConf
			hc = &http.Client{Timeout: cmp.Or(cfg.Timeout, DefaultTimeout), Transport: tr}
		}
		lookup := o.LookupEnv
		c.clusters[cl.Name] = &rest.Client{
			Connector: Name,
			BaseURL:   strings.TrimSuffix(server, "/"),
			HTTP:      hc,
			Header:    http.Header{"Accept": {"application/json"}, "User-Agent": {"aitdr-responder"}},
			Authorize: func(_ context.Context, r *http.Request) error {
				tok, err := token.Read(lookup)
				if err != nil {
					return fmt.Errorf("kubernetes: %w", err)
				}
				r.Header.Set("Authorization", "Bearer "+tok)
				return nil
			},
			ErrorCode: errorCode,
			Throttled: conflict,
			Now:       o.Now,
		}
	}
	return c, nil
}

// Name returns "kubernetes".
func (c *Connector) Name() string { return Name }

// Supports reports whether kind is remove_role_bindings or revoke_keys.
func (c *Connector) Supports(kind responder.ActionKind) bool {
	return kind == responder.ActionRemoveRoleBindings || kind == responder.ActionRevokeKeys
}

// Do runs req in the cluster of its principal, a service account.
func (c *Connector) Do(ctx context.Context, req responder.Request) (responder.Result, error) {
	cluster, native, err := principal.Native(req.Principal, Name)
	if err != nil {
		return responder.Result{}, fmt.Errorf("kubernetes %s: %w", req.Kind, err)
	}
	api, ok := c.clusters[cluster]
	if !ok {
		return responder.Result{}, fmt.Errorf("kubernetes %s: cluster %q of principal %q is not configured", req.Kind, cluster, req.Principal.ID)
	}
	saPart, ok := strings.CutPrefix(native, saUserPrefix)
	ns, name, ok2 := strings.Cut(saPart, ":")
	if !ok || !ok2 || ns == "" || name == "" || strings.Contains(name, ":") {
		return responder.Result{}, fmt.Errorf("kubernetes %s: principal %q is not a service account (system:serviceaccount:<ns>:<name>): %w",
			req.Kind, req.Principal.ID, errors.ErrUnsupported)
	}
	if !c.Supports(req.Kind) || (req.Rollback && req.Kind != responder.ActionRemoveRoleBindings) {
		return responder.Result{}, fmt.Errorf("kubernetes: step %q (rollback %v): %w", req.Kind, req.Rollback, errors.ErrUnsupported)
	}
	s := step{api: api, req: req, ns: ns, name: name}
	switch {
	case req.Kind == responder.ActionRemoveRoleBindings && req.Rollback:
		err = s.restoreBindings(ctx)
	case req.Kind == responder.ActionRemoveRoleBindings:
		err = s.removeBindings(ctx)
	default:
		err = s.deleteTokenSecrets(ctx)
	}
	if err != nil {
		return responder.Result{}, err
	}
	s.res.Completed = c.now()
	return s.res, nil
}

// step is one run of a request.
type step struct {
	api      *rest.Client
	req      responder.Request
	ns, name string
	res      responder.Result
}

// object is a Kubernetes object as JSON, so that a round trip keeps every
// field, known to this package or not.
type object = map[string]any

// saved is a binding changed by remove_role_bindings, for its rollback.
type saved struct {
	Kind      string   `json:"kind"`
	Namespace string   `json:"namespace,omitempty"`
	Name      string   `json:"name"`
	Removed   []object `json:"removed"`
	Object    object   `json:"object"`
}

func bindingPath(kind, ns, name string) string {
	if kind == kindClusterRoleBinding {
		return rbacAPI + "/clusterrolebindings/" + url.PathEscape(name)
	}
	return rbacAPI + "/namespaces/" + url.PathEscape(ns) + "/rolebindings/" + url.PathEscape(name)
}

func collectionPath(kind, ns string) string {
	if kind == kindClusterRoleBinding {
		return rbacAPI + "/clusterrolebindings"
	}
	return rbacAPI + "/namespaces/" + url.PathEscape(ns) + "/rolebindings"
}

func str(m object, keys ...string) string {
	for _, k := range keys[:len(keys)-1] {
		m, _ = m[k].(object)
	}
	s, _ := m[keys[len(keys)-1]].(string)
	return s
}

// isServiceAccount reports whether a subject of a binding in bindingNS
// names the service account.
func (s *step) isServiceAccount(sub object, bindingNS string) bool {
	switch str(sub, "kind") {
	case "ServiceAccount":
		return str(sub, "name") == s.name && cmp.Or(str(sub, "namespace"), bindingNS) == s.ns
	case "User":
		return str(sub, "name") == saUserPrefix+s.ns+":"+s.name
	}
	return false
}

func (s *step) removeBindings(ctx context.Context) error {
	var changed []saved
	for _, kind := range []string{kindRoleBinding, kindClusterRoleBinding} {
		path := rbacAPI + "/rolebindings"
		if kind == kindClusterRoleBinding {
			path = rbacAPI + "/clusterrolebindings"
		}
		items, err := listAll(ctx, s.api, "kubernetes:List"+kind+"s", path, nil)
		if err != nil {
			return err
		}
		for _, b := range items {
			ns, name := str(b, "metadata", "namespace"), str(b, "metadata", "name")
			subjects, _ := b["subjects"].([]any)
			keep := []any{}
			var removed []object
			for _, sub := range subjects {
				if m, ok := sub.(object); ok && s.isServiceAccount(m, ns) {
					removed = append(removed, m)
					continue
				}
				keep = append(keep, sub)
			}
			if len(removed) == 0 {
				continue
			}
			before := cleanCopy(b)
			before["apiVersion"], before["kind"] = rbacVersion, kind
			b["apiVersion"], b["kind"] = rbacVersion, kind
			b["subjects"] = keep
			desc := fmt.Sprintf("kubernetes:Replace%s PUT %s (without %s)", kind, bindingPath(kind, ns, name), s.subjectsText(removed))
			if err := s.change(ctx, desc, rest.Call{Op: "kubernetes:Replace" + kind, Method: http.MethodPut,
				Path: bindingPath(kind, ns, name), Body: b}); err != nil {
				return err
			}
			changed = append(changed, saved{Kind: kind, Namespace: ns, Name: name, Removed: removed, Object: before})
		}
	}
	if len(changed) == 0 || s.req.DryRun {
		return nil
	}
	b, err := json.Marshal(changed)
	if err != nil {
		return fmt.Errorf("kubernetes remove_role_bindings: record rollback: %w", err)
	}
	s.res.Rollback = &responder.Request{
		ActionID: s.req.ActionID + "/rollback", AlertID: s.req.AlertID, Kind: s.req.Kind,
		Principal: s.req.Principal, Rollback: true, Params: map[string]string{ParamBindings: string(b)},
	}
	return nil
}

func (s *step) subjectsText(subs []object) string {
	var parts []string
	for _, sub := range subs {
		p := str(sub, "kind") + " " + str(sub, "name")
		if ns := str(sub, "namespace"); ns != "" {
			p = str(sub, "kind") + " " + ns + "/" + str(sub, "name")
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// restoreBindings puts the removed subjects back into each binding that
// lacks them, re-creating a binding deleted since.
func (s *step) restoreBindings(ctx context.Context) error {
	var changed []saved
	if err := json.Unmarshal([]byte(s.req.Params[ParamBindings]), &changed); err != nil {
		return fmt.Errorf("kubernetes remove_role_bindings rollback: param %s: %w", ParamBindings, err)
	}
	for _, sv := range changed {
		if sv.Kind != kindRoleBinding && sv.Kind != kindClusterRoleBinding {
			return fmt.Errorf("kubernetes remove_role_bindings rollback: kind %q is not a binding", sv.Kind)
		}
		path := bindingPath(sv.Kind, sv.Namespace, sv.Name)
		var cur object
		_, err := s.api.Do(ctx, rest.Call{Op: "kubernetes:Read" + sv.Kind, Method: http.MethodGet, Path: path, Out: &cur})
		if rest.IsStatus(err, http.StatusNotFound) {
			desc := fmt.Sprintf("kubernetes:Create%s POST %s (%s)", sv.Kind, collectionPath(sv.Kind, sv.Namespace), sv.Name)
			if err := s.change(ctx, desc, rest.Call{Op: "kubernetes:Create" + sv.Kind, Method: http.MethodPost,
				Path: collectionPath(sv.Kind, sv.Namespace), Body: sv.Object}); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		subjects, _ := cur["subjects"].([]any)
		var added []object
		for _, r := range sv.Removed {
			if !slices.ContainsFunc(subjects, func(x any) bool { m, _ := x.(object); return sameSubject(m, r) }) {
				subjects = append(subjects, r)
				added = append(added, r)
			}
		}
		if len(added) == 0 {
			continue
		}
		cur["apiVersion"], cur["kind"] = rbacVersion, sv.Kind
		cur["subjects"] = subjects
		desc := fmt.Sprintf("kubernetes:Replace%s PUT %s (with %s)", sv.Kind, path, s.subjectsText(added))
		if err := s.change(ctx, desc, rest.Call{Op: "kubernetes:Replace" + sv.Kind, Method: http.MethodPut, Path: path, Body: cur}); err != nil {
			return err
		}
	}
	return nil
}

func sameSubject(a, b object) bool {
	for _, k := range []string{"kind", "name", "namespace", "apiGroup"} {
		if str(a, k) != str(b, k) {
			return false
		}
	}
	return true
}

// cleanCopy returns a deep copy of a binding without the fields the server
// sets, ready to be created again.
func cleanCopy(b object) object {
	raw, _ := json.Marshal(b)
	var c object
	_ = json.Unmarshal(raw, &c)
	if md, ok := c["metadata"].(object); ok {
		for _, k := range []string{"resourceVersion", "uid", "creationTimestamp", "managedFields", "generation", "selfLink"} {
			delete(md, k)
		}
	}
	return c
}

func (s *step) deleteTokenSecrets(ctx context.Context) error {
	q := url.Values{"fieldSelector": {"type=" + tokenSecretType}}
	items, err := listAll(ctx, s.api, "kubernetes:ListSecrets", "/api/v1/namespaces/"+url.PathEscape(s.ns)+"/secrets", q)
	if err != nil {
		return err
	}
	for _, sec := range items {
		if str(sec, "type") != tokenSecretType || str(sec, "metadata", "annotations", saNameAnnotation) != s.name {
			continue
		}
		path := "/api/v1/namespaces/" + url.PathEscape(s.ns) + "/secrets/" + url.PathEscape(str(sec, "metadata", "name"))
		if err := s.change(ctx, "kubernetes:DeleteSecret DELETE "+path, rest.Call{Op: "kubernetes:DeleteSecret",
			Method: http.MethodDelete, Path: path, Also: []int{http.StatusNotFound}}); err != nil {
			return err
		}
	}
	return nil
}

// change runs call unless the step is a dry run, and records desc.
func (s *step) change(ctx context.Context, desc string, call rest.Call) error {
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

// listPage bounds the items of one list request.
const listPage = "500"

// listAll reads every page of a list, following metadata.continue.
func listAll(ctx context.Context, api *rest.Client, op, path string, q url.Values) ([]object, error) {
	var all []object
	cont := ""
	for range 10000 {
		qq := url.Values{"limit": {listPage}}
		for k, v := range q {
			qq[k] = v
		}
		if cont != "" {
			qq.Set("continue", cont)
		}
		var list struct {
			Metadata struct {
				Continue string `json:"continue"`
			} `json:"metadata"`
			Items []object `json:"items"`
		}
		if _, err := api.Do(ctx, rest.Call{Op: op, Method: http.MethodGet, Path: path, Query: qq, Out: &list}); err != nil {
			return nil, err
		}
		all = append(all, list.Items...)
		if cont = list.Metadata.Continue; cont == "" {
			return all, nil
		}
	}
	return nil, fmt.Errorf("kubernetes %s: more than 10000 pages", op)
}

// errorCode decodes the API server's Status object: its reason and
// message.
func errorCode(body []byte) (code, message string) {
	var st struct {
		Kind    string `json:"kind"`
		Reason  string `json:"reason"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &st) != nil || st.Kind != "Status" {
		return "", ""
	}
	return st.Reason, st.Message
}

// conflict makes a 409 retryable: the object changed between the read
// and the write (or a binding being restored was re-created meanwhile),
// and the next attempt reads it again.
func conflict(status int, h http.Header, now time.Time) (time.Duration, bool) {
	return 0, status == http.StatusConflict
}
