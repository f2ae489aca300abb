package responder

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxRequestBody bounds an API request body.
const maxRequestBody = 64 << 10

// apiServer serves the HTTP API on Config.HTTP.Listen.
type apiServer struct {
	r      *Responder
	listen string
}

// httpServer returns the API server, or nil when it is off: no listen
// address or no token.
func (r *Responder) httpServer() *apiServer {
	if r.cfg.HTTP.Listen == "" {
		return nil
	}
	if len(r.cfg.HTTP.Tokens) == 0 {
		r.o.log.Warn("responder: HTTP API not served: respond.http.tokens names no token", "listen", r.cfg.HTTP.Listen)
		return nil
	}
	return &apiServer{r: r, listen: r.cfg.HTTP.Listen}
}

func (s *apiServer) run(ctx context.Context) error {
	h, err := s.r.Handler(ctx)
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.listen)
	if err != nil {
		return fmt.Errorf("responder http: listen on %s: %w", s.listen, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	s.r.o.log.Info("responder HTTP API serving", "addr", ln.Addr().String())
	select {
	case err := <-done:
		return fmt.Errorf("responder http: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	<-done
	return nil
}

// Handler returns the HTTP API: approvals, rollbacks, status and
// dispositions, each request authenticated by a bearer token of
// Config.HTTP.Tokens, whose name is recorded as the approver or analyst.
//
//	GET  /v1/respond/status?recent=N&days=D
//	GET  /v1/respond/pending
//	GET  /v1/respond/actions/{id}
//	POST /v1/respond/actions/{id}/approve    {"note": "..."}
//	POST /v1/respond/actions/{id}/deny       {"note": "..."}
//	POST /v1/respond/actions/{id}/rollback   {"note": "..."}
//	GET  /v1/alerts/{id}
//	POST /v1/alerts/{id}/ack      {"disposition": "...", "note": "..."}
//	POST /v1/alerts/{id}/resolve  {"disposition": "...", "note": "...", "propose_exception": true}
//
// approve and deny take an action id or an alert id (every pending action
// of the alert).
func (r *Responder) Handler(ctx context.Context) (http.Handler, error) {
	store, err := r.Store(ctx)
	if err != nil {
		return nil, err
	}
	tokens := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(r.cfg.HTTP.Tokens)) {
		tok, err := r.cfg.HTTP.Tokens[name].Read(nil)
		if err != nil {
			return nil, fmt.Errorf("respond.http.tokens.%s: %w", name, err)
		}
		tokens[name] = tok
	}
	dispositions := NewDispositions(store, r.o.audit, r.exceptionsDir(), r.o.now)
	api := &api{store: store, dispositions: dispositions, tokens: tokens}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/respond/status", api.auth(api.status))
	mux.HandleFunc("GET /v1/respond/pending", api.auth(api.pending))
	mux.HandleFunc("GET /v1/respond/actions/{id}", api.auth(api.action))
	mux.HandleFunc("POST /v1/respond/actions/{id}/{verb}", api.auth(api.decide))
	mux.HandleFunc("GET /v1/alerts/{id}", api.auth(api.alert))
	mux.HandleFunc("POST /v1/alerts/{id}/{verb}", api.auth(api.dispose))
	return mux, nil
}

func (r *Responder) exceptionsDir() string {
	if r.cfg.ExceptionsDir != "" {
		return r.cfg.ExceptionsDir
	}
	return r.o.exceptionsDir
}

type api struct {
	store        *Store
	dispositions *Dispositions
	tokens       map[string]string
}

type handlerFunc func(w http.ResponseWriter, req *http.Request, who string) (any, error)

// errBadRequest marks errors of the request itself.
var errBadRequest = errors.New("bad request")

// auth authenticates the bearer token (in constant time against every
// token) and writes the handler's answer as JSON.
func (a *api) auth(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		got, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
		who := ""
		for _, name := range slices.Sorted(maps.Keys(a.tokens)) {
			if subtle.ConstantTimeCompare([]byte(got), []byte(a.tokens[name])) == 1 && ok {
				who = name
			}
		}
		if who == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="aitdr responder"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "a valid bearer token is required"})
			return
		}
		req.Body = http.MaxBytesReader(w, req.Body, maxRequestBody)
		out, err := h(w, req, who)
		switch {
		case err == nil:
			writeJSON(w, http.StatusOK, out)
		case errors.Is(err, ErrNotFound):
			writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
		case errors.Is(err, ErrConflict):
			writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
		case errors.Is(err, errBadRequest):
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		case errors.Is(err, ErrNoAudit):
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		default:
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// decodeBody reads an optional JSON body into v.
func decodeBody(req *http.Request, v any) error {
	data, err := io.ReadAll(req.Body)
	if err != nil {
		return fmt.Errorf("%w: read body: %w", errBadRequest, err)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: body: %w", errBadRequest, err)
	}
	return nil
}

func (a *api) status(_ http.ResponseWriter, req *http.Request, _ string) (any, error) {
	recent, days := 20, 30
	for _, p := range []struct {
		name string
		v    *int
	}{{"recent", &recent}, {"days", &days}} {
		if s := req.URL.Query().Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%w: %s=%q is not a count", errBadRequest, p.name, s)
			}
			*p.v = n
		}
	}
	return a.store.Status(req.Context(), recent, time.Now().AddDate(0, 0, -days))
}

func (a *api) pending(_ http.ResponseWriter, req *http.Request, _ string) (any, error) {
	return a.store.Pending(req.Context())
}

func (a *api) action(_ http.ResponseWriter, req *http.Request, _ string) (any, error) {
	return a.store.Action(req.Context(), req.PathValue("id"))
}

func (a *api) alert(_ http.ResponseWriter, req *http.Request, _ string) (any, error) {
	return a.store.Alert(req.Context(), req.PathValue("id"))
}

func (a *api) decide(_ http.ResponseWriter, req *http.Request, who string) (any, error) {
	var body struct {
		Note string `json:"note"`
	}
	if err := decodeBody(req, &body); err != nil {
		return nil, err
	}
	id := req.PathValue("id")
	switch req.PathValue("verb") {
	case "approve":
		return a.store.Approve(req.Context(), id, who, body.Note)
	case "deny":
		return a.store.Deny(req.Context(), id, who, body.Note)
	case "rollback":
		return a.store.RequestRollback(req.Context(), id, who, body.Note)
	}
	return nil, fmt.Errorf("%w: %q is not approve, deny or rollback", ErrNotFound, req.PathValue("verb"))
}

func (a *api) dispose(_ http.ResponseWriter, req *http.Request, who string) (any, error) {
	var body struct {
		Disposition      string `json:"disposition"`
		Note             string `json:"note"`
		ProposeException *bool  `json:"propose_exception"`
	}
	if err := decodeBody(req, &body); err != nil {
		return nil, err
	}
	d := Disposition{AlertID: req.PathValue("id"), Verdict: body.Disposition, Analyst: who, Note: body.Note}
	switch req.PathValue("verb") {
	case "ack":
	case "resolve":
		d.Resolve = true
		d.ProposeException = body.ProposeException == nil || *body.ProposeException
	default:
		return nil, fmt.Errorf("%w: %q is not ack or resolve", ErrNotFound, req.PathValue("verb"))
	}
	res, err := a.dispositions.Record(req.Context(), d)
	if errors.Is(err, ErrInvalidDisposition) {
		return nil, fmt.Errorf("%w: %w", errBadRequest, err)
	}
	return res, err
}
