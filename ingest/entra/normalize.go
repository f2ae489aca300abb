// Package entra normalizes Microsoft Entra ID sign-in and audit logs into
// the event contract. It reads both shapes the logs are delivered in:
//
//   - Microsoft Graph resources, as GET /auditLogs/signIns and
//     /auditLogs/directoryAudits return them ({"value": [...]} pages of signIn
//     and directoryAudit objects);
//   - Azure Monitor diagnostic records ({"records": [...]} exports to a
//     storage account or an event hub, and Log Analytics), an envelope with
//     time, category (SignInLogs, NonInteractiveUserSignInLogs,
//     ServicePrincipalSignInLogs, ManagedIdentitySignInLogs, AuditLogs),
//     tenantId and callerIpAddress around the same fields in "properties".
//
// Sign-ins of users are human identities; service principal and managed
// identity sign-ins are services. Identity ids are
// "entra:<tenant>:<object id>": the user's home tenant and object id, or
// the tenant and id of the service principal. A cross-tenant sign-in (home
// tenant differs from resource tenant) keeps the home tenant as the
// identity's Account and the resource tenant as Target.Tenant.
package entra

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/aiapps"
	"github.com/aitdr/aitdr/ingest/srcjson"
	"github.com/aitdr/aitdr/schemas"
)

// Provider is the identity provider name of Entra principals.
const Provider = "entra"

// Source normalizes Entra ID sign-in and audit records. It is safe for
// concurrent use.
type Source struct {
	tenant string
	now    func() time.Time
}

var (
	_ ingest.Source   = (*Source)(nil)
	_ ingest.Splitter = (*Source)(nil)
)

// Option configures a Source.
type Option func(*Source)

// WithTenant sets the tenant id of records that do not carry one: Graph
// directoryAudit objects, and signIn objects of API versions without
// resourceTenantId. Azure Monitor records carry their tenantId and ignore
// it. The default is empty.
func WithTenant(id string) Option { return func(s *Source) { s.tenant = id } }

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

// Product returns schemas.ProductEntra.
func (s *Source) Product() schemas.Product { return schemas.ProductEntra }

// Detect reports whether record looks like an Entra record: an Azure
// Monitor record of the Microsoft.aadiam provider or of an Entra log
// category, a Graph directoryAudit (activityDisplayName and initiatedBy) or a
// Graph signIn (createdDateTime, appId and status).
func (s *Source) Detect(record []byte) bool {
	switch {
	case bytes.Contains(record, []byte("Microsoft.aadiam")), bytes.Contains(record, []byte("microsoft.aadiam")),
		bytes.Contains(record, []byte("MICROSOFT.AADIAM")):
		return true
	case bytes.Contains(record, []byte(`"properties"`)):
		return bytes.Contains(record, []byte(`SignInLogs"`)) || bytes.Contains(record, []byte(`"AuditLogs"`))
	case bytes.Contains(record, []byte(`"activityDisplayName"`)):
		return bytes.Contains(record, []byte(`"initiatedBy"`))
	case bytes.Contains(record, []byte(`"createdDateTime"`)):
		return bytes.Contains(record, []byte(`"appId"`)) && bytes.Contains(record, []byte(`"status"`))
	}
	return false
}

// Split splits a Graph page ({"value": [...]}), an Azure Monitor export
// ({"records": [...]}) or a JSON array into its records, and reports false
// for a single record.
func (s *Source) Split(delivery []byte, emit func(record []byte) error) (bool, error) {
	if ok, err := srcjson.SplitArray("split entra delivery", delivery, emit); ok {
		return ok, err
	}
	if !bytes.Contains(delivery, []byte(`"value"`)) && !bytes.Contains(delivery, []byte(`"records"`)) {
		return false, nil
	}
	var c struct {
		Value   srcjson.RawArray `json:"value"`
		Records srcjson.RawArray `json:"records"`
	}
	if err := srcjson.Decode(delivery, &c); err != nil {
		// Not a container this source can read; Normalize reports why.
		return false, nil
	}
	switch {
	case c.Records != nil:
		return srcjson.SplitArray("split entra delivery", c.Records, emit)
	case c.Value != nil:
		return srcjson.SplitArray("split entra delivery", c.Value, emit)
	}
	return false, nil
}

// Normalize fills ev from one Entra record of either shape. It returns an
// error naming the field when the record has no time (or an absurd one), no
// principal, or a field of the wrong type; unknown audit activities and log
// categories normalize with the verb and category "other".
func (s *Source) Normalize(_ context.Context, record []byte, ev *schemas.Event) error {
	v := view{tenant: s.tenant}
	body := record
	if bytes.Contains(record, []byte(`"properties"`)) {
		var env envelope
		if err := srcjson.Decode(record, &env); err != nil {
			return fmt.Errorf("normalize entra record: %w", err)
		}
		if len(env.Properties) == 0 || string(env.Properties) == "null" {
			return fmt.Errorf("normalize entra record: %w", ingest.Missing("properties"))
		}
		v = view{
			prefix: "properties.", category: env.Category, tenant: env.TenantID, time: env.Time,
			callerIP: env.CallerIPAddress, operation: env.OperationName, resultType: string(env.ResultType),
			monitor: true,
		}
		body = env.Properties
	}
	var (
		id  string
		err error
	)
	switch v.mode(body) {
	case modeAudit:
		var e audit
		if err := decodeAt(v.prefix, body, &e); err != nil {
			return fmt.Errorf("normalize entra record: %w", err)
		}
		id, err = e.ID, s.audit(&v, &e, ev)
	case modeSignIn:
		var e signIn
		if err := decodeAt(v.prefix, body, &e); err != nil {
			return fmt.Errorf("normalize entra record: %w", err)
		}
		id, err = e.ID, s.signIn(&v, &e, ev)
	default:
		var e other
		if err := decodeAt(v.prefix, body, &e); err != nil {
			return fmt.Errorf("normalize entra record: %w", err)
		}
		id, err = string(e.ID), s.other(&v, &e, ev)
	}
	if err != nil {
		if id != "" {
			return fmt.Errorf("normalize entra record %s: %w", srcjson.Excerpt(id), err)
		}
		return fmt.Errorf("normalize entra record: %w", err)
	}
	return nil
}

// decodeAt decodes the object at path prefix of a record into v, naming
// fields by their path in the record.
func decodeAt[T any](prefix string, b []byte, v *T) error {
	err := srcjson.Decode(b, v)
	var fe *ingest.FieldError
	if err != nil && prefix != "" && errors.As(err, &fe) {
		field := prefix + fe.Field
		if fe.Field == "record" {
			field = strings.TrimSuffix(prefix, ".")
			return ingest.Invalid(field, "%s", strings.Replace(fe.Problem, "not a JSON object", "not an object", 1))
		}
		return ingest.Invalid(field, "%s", fe.Problem)
	}
	return err
}

// view is what the Azure Monitor envelope of a record adds to the Graph
// resource, or the configured tenant for a Graph record.
type view struct {
	prefix     string // path of the Graph fields in the record
	category   string // Azure Monitor category, "" for Graph records
	tenant     string
	time       string
	callerIP   string
	operation  string
	resultType string
	monitor    bool
}

type mode int

const (
	modeOther mode = iota
	modeSignIn
	modeAudit
)

// mode tells sign-ins from audits: by the Azure Monitor category when there
// is one, by the fields present in a Graph resource otherwise.
func (v *view) mode(body []byte) mode {
	switch v.category {
	case categorySignIn, categoryNonInteractiveSignIn, categoryServicePrincipal, categoryManagedIdentity, categoryADFSSignIn:
		return modeSignIn
	case categoryAudit:
		return modeAudit
	}
	switch {
	case bytes.Contains(body, []byte(`"activityDisplayName"`)):
		return modeAudit
	case !v.monitor:
		return modeSignIn
	}
	return modeOther
}

// signInKind is the kind of a sign-in: from signInEventTypes, the Azure
// Monitor category, or the principal fields present.
func (v *view) signInKind(e *signIn) string {
	for _, t := range e.SignInEventTypes {
		switch t {
		case kindServicePrincipal, kindManagedIdentity, kindNonInteractiveUser, kindInteractiveUser:
			return t
		}
	}
	switch v.category {
	case categoryServicePrincipal:
		return kindServicePrincipal
	case categoryManagedIdentity:
		return kindManagedIdentity
	case categoryNonInteractiveSignIn:
		return kindNonInteractiveUser
	case categorySignIn, categoryADFSSignIn:
		return kindInteractiveUser
	}
	if e.UserID == "" && e.ServicePrincipalID != "" {
		if mi := e.ManagedIdentityType; mi != "" && mi != "none" {
			return kindManagedIdentity
		}
		return kindServicePrincipal
	}
	if !e.IsInteractive {
		return kindNonInteractiveUser
	}
	return kindInteractiveUser
}

// recordTenant is the tenant the record was logged in: the envelope's, the
// resource tenant of a sign-in, or the configured one.
func (v *view) recordTenant(resourceTenant string) string {
	switch {
	case v.monitor && v.tenant != "":
		return v.tenant
	case resourceTenant != "":
		return resourceTenant
	}
	return v.tenant
}

// eventTime parses the Graph time field, or the envelope's time when the
// properties have none.
func (s *Source) eventTime(v *view, field, value string) (time.Time, error) {
	if value == "" && v.time != "" {
		return srcjson.ParseTime("time", v.time, s.now())
	}
	return srcjson.ParseTime(v.prefix+field, value, s.now())
}

// signIn maps a sign-in of any kind.
func (s *Source) signIn(v *view, e *signIn, ev *schemas.Event) error {
	t, err := s.eventTime(v, "createdDateTime", e.CreatedDateTime)
	if err != nil {
		return err
	}
	eventID, err := srcjson.Key(v.prefix+"id", e.ID)
	if err != nil {
		return err
	}
	kind := v.signInKind(e)
	tenant := v.recordTenant(e.ResourceTenantID)
	home := cmp.Or(e.HomeTenantID, tenant)
	resourceTenant := cmp.Or(e.ResourceTenantID, tenant)
	result, errDetail := signInOutcome(string(e.Status.ErrorCode), e.Status.FailureReason, v.resultType)
	a := &attrs{}

	ev.Time = t
	ev.Source = schemas.Source{Product: schemas.ProductEntra, EventID: eventID, Tenant: tenant}
	switch kind {
	case kindServicePrincipal, kindManagedIdentity:
		ev.Identity, err = servicePrincipal(v.prefix, e, kind, tenant, a)
	default:
		ev.Identity, err = user(v.prefix, e.UserID, e.UserPrincipalName, e.UserDisplayName, home)
	}
	if err != nil {
		return err
	}
	ev.Session = signInSession(e, kind, result, t)
	ev.Action = schemas.Action{Name: "signIn." + kind, Verb: schemas.VerbAuthenticate, Category: schemas.CategoryAuthentication}

	target := schemas.Target{Type: "application", ID: srcjson.Clean(e.ResourceID), Name: srcjson.Clean(e.ResourceDisplayName), Tenant: resourceTenant}
	if target.ID == "" && target.Name == "" {
		target.ID, target.Name = srcjson.Clean(e.AppID), srcjson.Clean(e.AppDisplayName)
	}
	ev.Target = target
	ev.AI = schemas.AIContext{}
	if app, ok := aiapps.Lookup(e.AppDisplayName); ok {
		ev.AI = schemas.AIContext{Provider: app.Provider, Service: app.Service}
	} else if app, ok := aiapps.Lookup(e.ResourceDisplayName); ok {
		ev.AI = schemas.AIContext{Provider: app.Provider, Service: app.Service}
	}
	ev.Outcome, ev.Error = result, errDetail
	ev.Network = schemas.Network{
		UserAgent: srcjson.Clean(e.UserAgent),
		Country:   countryCode(e.Location.CountryOrRegion),
	}
	setIP(&ev.Network, a, e.IPAddress, v.callerIP)
	if asn, err := e.AutonomousSystemNumber.Int64(); err == nil && asn > 0 && asn <= 1<<32-1 {
		ev.Network.ASN = uint32(asn)
	}
	ev.Volume = schemas.Volume{}

	a.set("entra.correlation_id", e.CorrelationID)
	a.set("entra.app_id", e.AppID)
	a.set("entra.app_display_name", e.AppDisplayName)
	a.set("entra.client_app_used", e.ClientAppUsed)
	a.set("entra.user_type", e.UserType)
	a.set("entra.cross_tenant_access_type", e.CrossTenantAccessType)
	a.set("entra.authentication_requirement", e.AuthenticationRequirement)
	a.set("entra.conditional_access_status", e.ConditionalAccessStatus)
	a.set("entra.mfa_method", e.MFADetail.AuthMethod)
	a.setKnown("entra.risk_level_during_sign_in", e.RiskLevelDuringSignIn)
	a.setKnown("entra.risk_state", e.RiskState)
	a.setKnown("entra.incoming_token_type", e.IncomingTokenType)
	a.setKnown("entra.authentication_protocol", e.AuthenticationProtocol)
	a.set("entra.device_id", e.DeviceDetail.DeviceID)
	a.set("entra.device_os", e.DeviceDetail.OperatingSystem)
	if e.DeviceDetail.IsCompliant {
		a.set("entra.device_compliant", "true")
	}
	if e.DeviceDetail.IsManaged {
		a.set("entra.device_managed", "true")
	}
	ev.Attributes = a.m
	return nil
}

// user maps a user principal: its object id in its home tenant.
func user(prefix, userID, upn, displayName, home string) (schemas.Principal, error) {
	id, err := srcjson.Key(prefix+"userId", userID)
	if err != nil {
		return schemas.Principal{}, err
	}
	if id == "" {
		return schemas.Principal{}, ingest.Missing(prefix + "userId")
	}
	if upn, err = srcjson.Key(prefix+"userPrincipalName", upn); err != nil {
		return schemas.Principal{}, err
	}
	p := schemas.Principal{
		ID:          Provider + ":" + home + ":" + id,
		Kind:        schemas.KindHuman,
		Provider:    Provider,
		Account:     home,
		AccountType: userAccountType(upn, home),
		Type:        "User",
		UID:         id,
		Name:        upn,
		DisplayName: srcjson.Clean(displayName),
	}
	if strings.Contains(upn, "@") && !strings.Contains(upn, "#EXT#") {
		p.Email = upn
	}
	return p, nil
}

// userAccountType is personal for personal Microsoft accounts and for
// consumer mail domains, corporate otherwise.
func userAccountType(upn, home string) schemas.AccountType {
	if home == msaTenant || personalDomain(upnDomain(upn)) {
		return schemas.AccountPersonal
	}
	return schemas.AccountCorporate
}

// servicePrincipal maps the service principal or managed identity of a
// sign-in.
func servicePrincipal(prefix string, e *signIn, kind, tenant string, a *attrs) (schemas.Principal, error) {
	id, err := srcjson.Key(prefix+"servicePrincipalId", e.ServicePrincipalID)
	if err != nil {
		return schemas.Principal{}, err
	}
	if id == "" {
		return schemas.Principal{}, ingest.Missing(prefix + "servicePrincipalId")
	}
	typ := "ServicePrincipal"
	if kind == kindManagedIdentity {
		typ = "ManagedIdentity"
		a.setKnown("entra.managed_identity_type", e.ManagedIdentityType)
	}
	return schemas.Principal{
		ID:           Provider + ":" + tenant + ":" + id,
		Kind:         schemas.KindService,
		Provider:     Provider,
		Account:      tenant,
		AccountType:  schemas.AccountCorporate,
		Type:         typ,
		UID:          id,
		Name:         srcjson.Clean(cmp.Or(e.ServicePrincipalName, e.AppDisplayName)),
		DisplayName:  srcjson.Clean(e.AppDisplayName),
		CredentialID: srcjson.Clean(cmp.Or(e.ServicePrincipalCredentialKeyID, e.ServicePrincipalCredentialThumbprint)),
	}, nil
}

// signInSession maps the session of a sign-in.
func signInSession(e *signIn, kind string, result schemas.Outcome, t time.Time) schemas.Session {
	sess := schemas.Session{
		ID:     srcjson.Clean(cmp.Or(e.SessionID, e.UniqueTokenIdentifier)),
		Issuer: srcjson.Clean(cmp.Or(e.TokenIssuerName, e.TokenIssuerType)),
	}
	if result == schemas.OutcomeSuccess {
		sess.IssuedAt = t
		sess.MFA = strings.EqualFold(e.AuthenticationRequirement, "multiFactorAuthentication") ||
			e.MFADetail.AuthMethod != ""
	}
	switch kind {
	case kindServicePrincipal, kindManagedIdentity:
		sess.CredentialType = clientCredentialType(e.ClientCredentialType)
		switch {
		case sess.CredentialType != "":
		case kind == kindManagedIdentity:
			sess.CredentialType = schemas.CredentialWorkloadIdentity
		case e.ServicePrincipalCredentialThumbprint != "":
			sess.CredentialType = schemas.CredentialCertificate
		default:
			sess.CredentialType = schemas.CredentialUnknown
		}
		return sess
	}
	switch {
	case e.TokenIssuerType != "" && !strings.EqualFold(e.TokenIssuerType, "AzureAD"):
		sess.CredentialType = schemas.CredentialSSO
	case kind == kindNonInteractiveUser && strings.Contains(strings.ToLower(e.IncomingTokenType), "refreshtoken"):
		sess.CredentialType = schemas.CredentialSessionToken
	case len(e.AuthenticationDetails) > 0:
		sess.CredentialType = authMethodCredential(e.AuthenticationDetails[0].AuthenticationMethod)
	}
	return sess
}

// signInOutcome maps status.errorCode (0 is success) or, without a status,
// the Azure Monitor resultType.
func signInOutcome(code, reason, resultType string) (schemas.Outcome, schemas.ErrorDetail) {
	if code == "" {
		code = resultType
	}
	switch code {
	case "":
		return schemas.OutcomeUnknown, schemas.ErrorDetail{}
	case "0":
		return schemas.OutcomeSuccess, schemas.ErrorDetail{}
	}
	return schemas.OutcomeFailure, schemas.ErrorDetail{Code: srcjson.Clean(code), Message: srcjson.Clean(reason)}
}

// audit maps a directory audit record.
func (s *Source) audit(v *view, e *audit, ev *schemas.Event) error {
	t, err := s.eventTime(v, "activityDateTime", e.ActivityDateTime)
	if err != nil {
		return err
	}
	eventID, err := srcjson.Key(v.prefix+"id", e.ID)
	if err != nil {
		return err
	}
	name, err := srcjson.Key(v.prefix+"activityDisplayName", strings.TrimSpace(e.ActivityDisplayName))
	if err != nil {
		return err
	}
	if name == "" {
		name = strings.TrimSpace(srcjson.Clean(v.operation))
	}
	if name == "" {
		return ingest.Missing(v.prefix + "activityDisplayName")
	}
	tenant := v.recordTenant("")
	act, ok := auditActivities[activityKey(name)]
	if !ok {
		act = auditFallback(e.OperationType, e.Category)
	}
	a := &attrs{}

	ev.Time = t
	ev.Source = schemas.Source{Product: schemas.ProductEntra, EventID: eventID, Tenant: tenant}
	ev.Identity, err = initiator(v.prefix, &e.InitiatedBy, tenant, a)
	if err != nil {
		return err
	}
	ev.Session = schemas.Session{}
	ev.Action = schemas.Action{Name: name, Service: srcjson.Clean(e.LoggedByService), Verb: act.verb, Category: act.category}
	ev.Target = auditTarget(e.TargetResources, act.targets, tenant, a)
	ev.AI = schemas.AIContext{}
	if ev.Target.Type == "application" || ev.Target.Type == "service_principal" {
		if app, ok := aiapps.Lookup(ev.Target.Name); ok {
			ev.AI = schemas.AIContext{Provider: app.Provider, Service: app.Service}
		}
	}
	switch strings.ToLower(e.Result) {
	case "success":
		ev.Outcome, ev.Error = schemas.OutcomeSuccess, schemas.ErrorDetail{}
	case "failure", "timeout":
		ev.Outcome = schemas.OutcomeFailure
		ev.Error = schemas.ErrorDetail{Code: srcjson.Clean(e.Result), Message: srcjson.Clean(e.ResultReason)}
	default:
		ev.Outcome, ev.Error = schemas.OutcomeUnknown, schemas.ErrorDetail{}
	}
	ev.Network = schemas.Network{}
	userIP := ""
	if e.InitiatedBy.User != nil {
		userIP = e.InitiatedBy.User.IPAddress
	}
	setIP(&ev.Network, a, userIP, v.callerIP)
	for _, d := range e.AdditionalDetails {
		if strings.EqualFold(d.Key, "User-Agent") {
			ev.Network.UserAgent = srcjson.Clean(d.Value)
		}
	}
	ev.Volume = schemas.Volume{}

	a.set("entra.correlation_id", e.CorrelationID)
	a.set("entra.audit_category", e.Category)
	a.set("entra.operation_type", e.OperationType)
	ev.Attributes = a.m
	return nil
}

// initiator maps the initiatedBy of an audit record: a user (human) or an
// app's service principal (service).
func initiator(prefix string, by *initiatedBy, tenant string, a *attrs) (schemas.Principal, error) {
	if u := by.User; u != nil && u.ID != "" {
		p, err := user(prefix+"initiatedBy.user.", u.ID, u.UserPrincipalName, u.DisplayName, cmp.Or(u.HomeTenantID, tenant))
		if err != nil {
			var fe *ingest.FieldError
			if errors.As(err, &fe) && fe.Field == prefix+"initiatedBy.user.userId" {
				fe.Field = prefix + "initiatedBy.user.id"
			}
		}
		return p, err
	}
	if app := by.App; app != nil {
		field := prefix + "initiatedBy.app.ServicePrincipalId"
		id := app.ServicePrincipalID
		if id == "" {
			id, field = app.AppID, prefix+"initiatedBy.app.appId"
		}
		if id == "" {
			id, field = app.DisplayName, prefix+"initiatedBy.app.displayName"
		}
		id, err := srcjson.Key(field, id)
		if err != nil {
			return schemas.Principal{}, err
		}
		if id != "" {
			a.set("entra.app_id", app.AppID)
			return schemas.Principal{
				ID:          Provider + ":" + tenant + ":" + id,
				Kind:        schemas.KindService,
				Provider:    Provider,
				Account:     tenant,
				AccountType: schemas.AccountCorporate,
				Type:        "ServicePrincipal",
				UID:         id,
				Name:        srcjson.Clean(cmp.Or(app.ServicePrincipalName, app.DisplayName)),
				DisplayName: srcjson.Clean(app.DisplayName),
			}, nil
		}
	}
	return schemas.Principal{}, ingest.Missing(prefix + "initiatedBy")
}

// auditTarget picks the primary target resource and keeps the details of
// the change detection reads: the role, app role or permissions granted,
// and a user target that is not the primary one.
func auditTarget(resources []targetResource, prefer []string, tenant string, a *attrs) schemas.Target {
	if len(resources) == 0 {
		return schemas.Target{}
	}
	primary := -1
	for _, want := range prefer {
		for i := range resources {
			if resources[i].Type == want {
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
	for i := range resources {
		r := &resources[i]
		if i != primary && r.Type == "User" {
			a.set("entra.target_user", cmp.Or(r.UserPrincipalName, r.DisplayName))
		}
		for _, p := range r.ModifiedProperties {
			switch p.DisplayName {
			case "Role.DisplayName":
				a.set("entra.role", unquoteValue(p.NewValue))
			case "AppRole.Value":
				a.set("entra.app_role", unquoteValue(p.NewValue))
			case "ConsentAction.Permissions":
				a.set("entra.consent_permissions", unquoteValue(p.NewValue))
			case "ConsentContext.IsAdminConsent":
				a.set("entra.admin_consent", unquoteValue(p.NewValue))
			case "KeyDescription":
				a.set("entra.key_description", unquoteValue(p.NewValue))
			case "Group.DisplayName":
				a.set("entra.group", unquoteValue(p.NewValue))
			}
		}
	}
	r := &resources[primary]
	return schemas.Target{
		Type:   targetType(srcjson.Clean(r.Type)),
		ID:     srcjson.Clean(r.ID),
		Name:   srcjson.Clean(cmp.Or(r.DisplayName, r.UserPrincipalName)),
		Tenant: tenant,
	}
}

// other maps a record of an Azure Monitor category this source does not
// know: its operation, time and principal, with verb and category "other".
func (s *Source) other(v *view, e *other, ev *schemas.Event) error {
	t, err := s.eventTime(v, "createdDateTime", string(e.CreatedDateTime))
	if err != nil {
		return err
	}
	eventID, err := srcjson.Key(v.prefix+"id", string(e.ID))
	if err != nil {
		return err
	}
	name := srcjson.Clean(cmp.Or(v.operation, v.category))
	if name == "" {
		return ingest.Missing("operationName")
	}
	tenant := v.recordTenant("")
	a := &attrs{}
	ev.Time = t
	ev.Source = schemas.Source{Product: schemas.ProductEntra, EventID: eventID, Tenant: tenant}
	if e.UserID == "" && e.ServicePrincipalID != "" {
		id, err := srcjson.Key(v.prefix+"servicePrincipalId", string(e.ServicePrincipalID))
		if err != nil {
			return err
		}
		ev.Identity = schemas.Principal{
			ID: Provider + ":" + tenant + ":" + id, Kind: schemas.KindService, Provider: Provider,
			Account: tenant, AccountType: schemas.AccountCorporate, Type: "ServicePrincipal", UID: id,
		}
		a.set("entra.app_id", string(e.AppID))
	} else {
		ev.Identity, err = user(v.prefix, string(e.UserID), string(e.UserPrincipalName), "", tenant)
		if err != nil {
			return err
		}
	}
	ev.Session = schemas.Session{}
	ev.Action = schemas.Action{Name: name, Verb: schemas.VerbOther, Category: schemas.CategoryOther}
	ev.Target = schemas.Target{}
	ev.AI = schemas.AIContext{}
	ev.Outcome, ev.Error = signInOutcome("", "", v.resultType)
	ev.Network = schemas.Network{UserAgent: srcjson.Clean(string(e.UserAgent))}
	setIP(&ev.Network, a, string(e.IPAddress), v.callerIP)
	ev.Volume = schemas.Volume{}
	a.set("entra.log_category", v.category)
	a.set("entra.correlation_id", string(e.CorrelationID))
	ev.Attributes = a.m
	return nil
}

// setIP sets the source address from the first of ips that is an address,
// and keeps a value that is not one as an attribute.
func setIP(n *schemas.Network, a *attrs, ips ...string) {
	for _, ip := range ips {
		if c, ok := srcjson.CanonicalIP(ip); ok {
			n.SourceIP = c
			return
		}
	}
	for _, ip := range ips {
		if ip != "" {
			a.set("entra.ip_address", ip)
			return
		}
	}
}

// unquoteValue strips the JSON quoting Entra puts around modified property
// values ("\"Global Administrator\"") and bounds their length.
func unquoteValue(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	const max = 512
	if len(s) > max {
		s = s[:max]
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

// setKnown records k=v unless v is empty or one of the values Entra writes
// for "nothing" ("none", "unknownFutureValue").
func (a *attrs) setKnown(k, v string) {
	switch v {
	case "none", "None", "unknownFutureValue":
		return
	}
	a.set(k, v)
}

// countryCode returns countryOrRegion when it is an ISO 3166-1 alpha-2 code.
func countryCode(c string) string {
	if len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' {
		return c
	}
	return ""
}
