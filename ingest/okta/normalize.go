// Package okta normalizes Okta System Log events (the LogEvent objects of
// GET /api/v1/logs, of log streaming and of event hooks) into the event
// contract: sign-ins and sessions, MFA, app access through SSO (including AI
// SaaS applications such as ChatGPT Enterprise), user lifecycle and
// privileges, API tokens and OAuth 2.0 clients and token grants.
//
// An Okta event does not name the org it was recorded in, so the org domain
// (such as "acme.okta.com") comes from configuration (WithOrg): it is the
// account part of every identity id, "okta:<org>:<actor.id>", and the
// event's Source.Tenant.
package okta

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/aiapps"
	"github.com/aitdr/aitdr/ingest/srcjson"
	"github.com/aitdr/aitdr/schemas"
)

// Provider is the identity provider name of Okta principals.
const Provider = "okta"

// Source normalizes Okta System Log events. It is safe for concurrent use.
type Source struct {
	org string
	now func() time.Time
}

var (
	_ ingest.Source   = (*Source)(nil)
	_ ingest.Splitter = (*Source)(nil)
)

// Option configures a Source.
type Option func(*Source)

// WithOrg sets the Okta org domain the events come from, such as
// "acme.okta.com". It becomes Source.Tenant, the identities' Account and the
// middle part of their ids. The default is empty, which gives ids of the form
// "okta::<actor.id>" (Okta object ids are unique across orgs).
func WithOrg(domain string) Option { return func(s *Source) { s.org = domain } }

// WithClock sets the clock that bounds event times: an event more than a day
// after now is rejected as absurd. The default is time.Now.
func WithClock(now func() time.Time) Option { return func(s *Source) { s.now = now } }

// New returns a Source configured by opts.
func New(opts ...Option) *Source {
	s := &Source{now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Product returns schemas.ProductOkta.
func (s *Source) Product() schemas.Product { return schemas.ProductOkta }

// Detect reports whether record has the keys every Okta LogEvent has:
// eventType, published and actor.
func (s *Source) Detect(record []byte) bool {
	return bytes.Contains(record, []byte(`"eventType"`)) &&
		bytes.Contains(record, []byte(`"published"`)) &&
		bytes.Contains(record, []byte(`"actor"`))
}

// Split splits a page of the System Log API, a JSON array of LogEvents, and
// reports false for a single event.
func (s *Source) Split(delivery []byte, emit func(record []byte) error) (bool, error) {
	return srcjson.SplitArray("split okta page", delivery, emit)
}

// Normalize fills ev from one Okta LogEvent. It returns an error naming the
// field when the event has no eventType, no published time (or an absurd
// one), no actor id, or a field of the wrong type; unknown event types
// normalize with the verb and category "other".
func (s *Source) Normalize(_ context.Context, record []byte, ev *schemas.Event) error {
	var le logEvent
	if err := srcjson.Decode(record, &le); err != nil {
		return fmt.Errorf("normalize okta event: %w", err)
	}
	if err := s.fill(&le, ev); err != nil {
		if le.UUID != "" {
			return fmt.Errorf("normalize okta event %s: %w", srcjson.Excerpt(le.UUID), err)
		}
		return fmt.Errorf("normalize okta event: %w", err)
	}
	return nil
}

// fill maps a decoded LogEvent onto ev.
func (s *Source) fill(le *logEvent, ev *schemas.Event) error {
	eventType, err := srcjson.Key("eventType", le.EventType)
	if err != nil {
		return err
	}
	if eventType == "" {
		return ingest.Missing("eventType")
	}
	t, err := srcjson.ParseTime("published", le.Published, s.now())
	if err != nil {
		return err
	}
	actorID, err := srcjson.Key("actor.id", le.Actor.ID)
	if err != nil {
		return err
	}
	if actorID == "" {
		return ingest.Missing("actor.id")
	}
	uuid, err := srcjson.Key("uuid", le.UUID)
	if err != nil {
		return err
	}
	login, err := srcjson.Key("actor.alternateId", known(le.Actor.AlternateID))
	if err != nil {
		return err
	}
	act, _ := actionOf(eventType)
	result := outcomeOf(le.Outcome.Result)
	a := &attrs{}

	ev.Time = t
	ev.Source = schemas.Source{Product: schemas.ProductOkta, EventID: uuid, Tenant: s.org}

	kind := identityKind(le.Actor.Type)
	email := ""
	if kind == schemas.KindHuman && strings.Contains(login, "@") {
		email = login
	}
	apiToken := srcjson.Clean(le.Transaction.Detail.RequestAPITokenID)
	ev.Identity = schemas.Principal{
		ID:           Provider + ":" + s.org + ":" + actorID,
		Kind:         kind,
		Provider:     Provider,
		Account:      s.org,
		AccountType:  accountType(login),
		Type:         srcjson.Clean(le.Actor.Type),
		UID:          actorID,
		Name:         login,
		DisplayName:  srcjson.Clean(known(le.Actor.DisplayName)),
		Email:        email,
		CredentialID: apiToken,
	}

	ev.Session = s.session(le, eventType, kind, apiToken, result, t)
	ev.Action = schemas.Action{Name: eventType, Verb: act.verb, Category: act.category}
	ev.Target, ev.AI = s.target(le, act, a)
	ev.Outcome = result
	ev.Error = schemas.ErrorDetail{}
	if result == schemas.OutcomeFailure {
		reason := srcjson.Clean(le.Outcome.Reason)
		code := srcjson.Clean(le.Outcome.Result)
		if reason != "" && !strings.ContainsRune(reason, ' ') {
			code = reason
		}
		if reason == code {
			reason = ""
		}
		ev.Error = schemas.ErrorDetail{Code: code, Message: reason}
	}
	ev.Network = network(le, a)
	ev.Volume = schemas.Volume{}

	a.set("okta.severity", le.Severity)
	a.set("okta.transaction_id", le.Transaction.ID)
	if string(le.DebugContext.DebugData.RequestID) != le.Transaction.ID {
		a.set("okta.request_id", string(le.DebugContext.DebugData.RequestID))
	}
	if result != schemas.OutcomeSuccess {
		a.set("okta.outcome_result", le.Outcome.Result)
	}
	if strings.EqualFold(string(le.DebugContext.DebugData.ThreatSuspected), "true") {
		a.set("okta.threat_suspected", "true")
	}
	a.set("okta.risk", string(le.DebugContext.DebugData.Risk))
	a.set("okta.behaviors", string(le.DebugContext.DebugData.Behaviors))
	a.set("okta.grant_type", string(le.DebugContext.DebugData.GrantType))
	a.set("okta.granted_scopes", string(le.DebugContext.DebugData.GrantedScopes))
	a.set("okta.privilege_granted", string(le.DebugContext.DebugData.PrivilegeGranted))
	a.set("okta.factor", string(le.DebugContext.DebugData.Factor))
	a.set("okta.client_id", known(le.Client.ID))
	a.set("okta.auth_provider", le.AuthenticationContext.AuthenticationProvider)
	a.set("okta.credential_type", le.AuthenticationContext.CredentialType)
	ev.Attributes = a.m
	return nil
}

// session maps the authentication context.
func (s *Source) session(le *logEvent, eventType string, kind schemas.IdentityKind, apiToken string, result schemas.Outcome, t time.Time) schemas.Session {
	ac := &le.AuthenticationContext
	sess := schemas.Session{
		ID:             srcjson.Clean(known(ac.ExternalSessionID)),
		CredentialType: credentialType(ac.CredentialType),
		Issuer:         srcjson.Clean(ac.Issuer.ID),
	}
	switch {
	case apiToken != "":
		sess.CredentialType = schemas.CredentialAPIKey
	case sess.CredentialType != "":
	case eventType == "user.authentication.sso":
		sess.CredentialType = schemas.CredentialSSO
	case strings.HasPrefix(eventType, "app.oauth2.") && strings.Contains(eventType, ".token."),
		kind == schemas.KindService && strings.HasPrefix(le.Actor.Type, "PublicClientApp"):
		sess.CredentialType = schemas.CredentialOAuthToken
	}
	if result == schemas.OutcomeSuccess {
		switch eventType {
		case "user.authentication.auth_via_mfa", "user.authentication.verify":
			sess.MFA = true
		case "user.session.start":
			sess.IssuedAt = t
		}
	}
	return sess
}

// target picks the primary target and the AI context of an application
// target, and records a user target that is not the primary one.
func (s *Source) target(le *logEvent, act action, a *attrs) (schemas.Target, schemas.AIContext) {
	if len(le.Target) == 0 {
		return schemas.Target{}, schemas.AIContext{}
	}
	primary := -1
	for _, want := range act.targets {
		for i := range le.Target {
			if le.Target[i].Type == want {
				primary = i
				break
			}
		}
		if primary >= 0 {
			break
		}
	}
	if primary < 0 {
		primary = 0
	}
	tg := &le.Target[primary]
	name := known(tg.DisplayName)
	if tg.Type == "User" && known(tg.AlternateID) != "" {
		name = tg.AlternateID
	}
	out := schemas.Target{
		Type:   targetType(srcjson.Clean(tg.Type)),
		ID:     srcjson.Clean(tg.ID),
		Name:   srcjson.Clean(name),
		Tenant: s.org,
	}
	for i := range le.Target {
		if i != primary && le.Target[i].Type == "User" {
			a.set("okta.target_user", known(le.Target[i].AlternateID))
			break
		}
	}
	var ai schemas.AIContext
	if tg.Type == "AppInstance" {
		app, ok := aiapps.Lookup(tg.DisplayName)
		if !ok {
			app, ok = aiapps.Lookup(tg.AlternateID)
		}
		if ok {
			ai = schemas.AIContext{Provider: app.Provider, Service: app.Service}
		}
	}
	return out, ai
}

// network maps the client and the security context.
func network(le *logEvent, a *attrs) schemas.Network {
	n := schemas.Network{
		UserAgent: srcjson.Clean(known(le.Client.UserAgent.RawUserAgent)),
		ASOrg:     srcjson.Clean(le.SecurityContext.ASOrg),
		Country:   countryCode(le.Client.GeographicalContext.Country),
	}
	if ip, ok := srcjson.CanonicalIP(le.Client.IPAddress); ok {
		n.SourceIP = ip
	} else {
		a.set("okta.client_ip", known(le.Client.IPAddress))
	}
	if asn := le.SecurityContext.ASNumber; asn > 0 && asn <= 1<<32-1 {
		n.ASN = uint32(asn)
	}
	if le.SecurityContext.IsProxy {
		a.set("okta.is_proxy", "true")
	}
	a.set("okta.isp", le.SecurityContext.ISP)
	return n
}

// known returns s, or "" for the placeholders Okta writes for unknown
// values.
func known(s string) string {
	switch s {
	case "unknown", "UNKNOWN", "null", "Unknown":
		return ""
	}
	return s
}

// attrs collects event attributes, allocating the map on first use.
type attrs struct{ m map[string]string }

// set records k=v unless v is empty.
func (a *attrs) set(k, v string) {
	if v == "" {
		return
	}
	if a.m == nil {
		a.m = make(map[string]string, 8)
	}
	a.m[k] = srcjson.Clean(v)
}
