package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/responder/connectors/webhook"
)

// containmentTarget is the webhook target the eval's playbooks send
// containment steps to.
const containmentTarget = "containment"

// containmentEndpoint is an in-house containment service on loopback as
// the responder's webhook connector reaches one: it reads each step's
// JSON, checks it names an action and an alert, and acknowledges it with
// 200. The eval, the bench and run --simulate run it so that containment
// of the simulated organization completes without a cloud account or
// identity provider; what the eval measures stops at the service's
// acknowledgement (docs/eval.md).
type containmentEndpoint struct {
	srv      *http.Server
	ln       net.Listener
	accepted atomic.Int64
	rejected atomic.Int64
}

// startContainmentEndpoint listens on a free loopback port.
func startContainmentEndpoint() (*containmentEndpoint, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("containment endpoint: %w", err)
	}
	e := &containmentEndpoint{ln: ln}
	e.srv = &http.Server{Handler: http.HandlerFunc(e.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = e.srv.Serve(ln) }() // ErrServerClosed once closed
	return e, nil
}

// URL is where the webhook connector posts.
func (e *containmentEndpoint) URL() string { return "http://" + e.ln.Addr().String() + "/contain" }

func (e *containmentEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		e.rejected.Add(1)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	var p webhook.Payload
	if err := json.NewDecoder(io.LimitReader(r.Body, 8<<20)).Decode(&p); err != nil || p.ActionID == "" || p.AlertID == "" {
		e.rejected.Add(1)
		http.Error(w, "not a webhook step", http.StatusBadRequest)
		return
	}
	e.accepted.Add(1)
	w.WriteHeader(http.StatusOK)
}

// Close stops the endpoint.
func (e *containmentEndpoint) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("containment endpoint: %w", err)
	}
	return nil
}

// evalPlaybook is the YAML shape of a playbook (written as JSON, which
// YAML reads).
type evalPlaybook struct {
	ID          string         `json:"id"`
	Title       string         `json:"title,omitempty"`
	Description string         `json:"description,omitempty"`
	Priority    int            `json:"priority"`
	Enabled     bool           `json:"enabled"`
	Match       evalMatch      `json:"match"`
	Steps       []evalStepSpec `json:"steps"`
}

type evalMatch struct {
	Rules        []string `json:"rules,omitempty"`
	Severities   []string `json:"severities,omitempty"`
	MinSeverity  string   `json:"min_severity,omitempty"`
	Classes      []string `json:"classes,omitempty"`
	Tags         []string `json:"tags,omitempty"`
	Environments []string `json:"environments,omitempty"`
}

type evalStepSpec struct {
	ID        string            `json:"id"`
	Action    string            `json:"action"`
	Connector string            `json:"connector,omitempty"`
	Params    map[string]string `json:"params,omitempty"`
	Approval  string            `json:"approval,omitempty"`
}

// evalPlaybooks returns the default playbooks with every containment
// step sent to the containment service through the webhook connector
// (the step's own action in the param "action"): the same selection,
// steps and approvals, on a connector the eval can complete.
func evalPlaybooks() ([]byte, error) {
	set, err := responder.LoadPlaybooks(nil, true)
	if err != nil {
		return nil, fmt.Errorf("default playbooks: %w", err)
	}
	var file struct {
		Playbooks []evalPlaybook `json:"playbooks"`
	}
	for _, p := range set.All() {
		ep := evalPlaybook{ID: p.ID, Title: p.Title, Description: p.Description, Priority: p.Priority, Enabled: p.Enabled,
			Match: evalMatch{Rules: p.Match.Rules, Tags: p.Match.Tags, Environments: p.Match.Environments}}
		for _, s := range p.Match.Severities {
			ep.Match.Severities = append(ep.Match.Severities, s.String())
		}
		if p.Match.MinSeverity != responder.SeverityUnknown {
			ep.Match.MinSeverity = p.Match.MinSeverity.String()
		}
		for _, c := range p.Match.Classes {
			ep.Match.Classes = append(ep.Match.Classes, string(c))
		}
		for _, s := range p.Steps {
			st := evalStepSpec{ID: s.ID, Action: string(s.Action), Connector: s.Connector, Params: s.Params}
			if s.ApprovalRequired {
				st.Approval = responder.ApprovalRequired
			}
			if s.Action.Contains() && s.Action != responder.ActionWebhook {
				params := map[string]string{"action": string(s.Action)}
				for k, v := range s.Params {
					params[k] = v
				}
				params[webhook.ParamTarget] = containmentTarget
				st.Action, st.Connector, st.Params = string(responder.ActionWebhook), webhook.Name, params
			}
			ep.Steps = append(ep.Steps, st)
		}
		file.Playbooks = append(file.Playbooks, ep)
	}
	b, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode the eval playbooks: %w", err)
	}
	return b, nil
}

// containmentPlaybooksFile is where useContainmentEndpoint writes its
// playbooks, under data_dir.
const containmentPlaybooksFile = "containment-playbooks.yaml"

// useContainmentEndpoint makes the responder of cfg contain through the
// endpoint, for a simulated organization (aitdr eval, bench and run
// --simulate): the default playbooks sent to the endpoint (written under
// data_dir) instead of the default set, live (not a dry run, so each step
// is a real request), and no blast-radius limits, which count steps per
// wall-clock minute while a simulation plays days in minutes. A
// configuration that names its own playbooks or provider connectors keeps
// them; used reports whether the endpoint is used.
func useContainmentEndpoint(cfg *config.Config, e *containmentEndpoint) (used bool, err error) {
	r := &cfg.Respond
	r.Limits = responder.Limits{Window: r.Limits.Window}
	if c := r.Connectors; len(r.Playbooks) > 0 || c.AWS != nil || c.Okta != nil || c.Entra != nil || c.GitHub != nil || c.Kubernetes != nil {
		return false, nil
	}
	b, err := evalPlaybooks()
	if err != nil {
		return false, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return false, fmt.Errorf("containment playbooks: %w", err)
	}
	path := filepath.Join(cfg.DataDir, containmentPlaybooksFile)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return false, fmt.Errorf("containment playbooks: %w", err)
	}
	r.Playbooks = []string{path}
	r.DefaultPlaybooks = false
	r.DryRun = false
	if r.Webhooks == nil {
		r.Webhooks = map[string]responder.WebhookTarget{}
	}
	r.Webhooks[containmentTarget] = responder.WebhookTarget{URL: e.URL(), Timeout: 5 * time.Second}
	return true, nil
}
