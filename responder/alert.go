package responder

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// Severity is an alert severity as playbooks and the class policy compare
// them, from SeverityInfo to SeverityCritical.
type Severity int

// Severities, in increasing order.
const (
	SeverityUnknown Severity = iota
	SeverityInfo
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
	// severityNever is above every severity: a class policy of "never".
	severityNever
)

var severityNames = []string{"unknown", "info", "low", "medium", "high", "critical", "never"}

// String returns the name of s as rules and playbooks write it: info, low,
// medium, high or critical.
func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return "unknown"
	}
	return severityNames[s]
}

// ParseSeverity returns the severity named s (info, low, medium, high,
// critical; "informational" is info).
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(s) {
	case "info", "informational":
		return SeverityInfo, nil
	case "low":
		return SeverityLow, nil
	case "medium":
		return SeverityMedium, nil
	case "high":
		return SeverityHigh, nil
	case "critical":
		return SeverityCritical, nil
	}
	return SeverityUnknown, fmt.Errorf("severity %q is not one of info, low, medium, high, critical", s)
}

// severityOf maps the OCSF severity of an alert; Fatal counts as critical.
func severityOf(id ocsf.SeverityID) Severity {
	switch id {
	case ocsf.SeverityInformational:
		return SeverityInfo
	case ocsf.SeverityLow:
		return SeverityLow
	case ocsf.SeverityMedium:
		return SeverityMedium
	case ocsf.SeverityHigh:
		return SeverityHigh
	case ocsf.SeverityCritical, ocsf.SeverityFatal:
		return SeverityCritical
	}
	return SeverityUnknown
}

// maxEvidenceValues bounds the source addresses and models an Alert keeps
// from its evidence, for exception proposals.
const maxEvidenceValues = 10

// Alert is what the responder reads from an alert (an OCSF Detection
// Finding with the aitdr extension) to choose and run a playbook.
type Alert struct {
	// ID is the alert id (finding_info.uid).
	ID string
	// Activity is Create, Update or Close.
	Activity ocsf.ActivityID
	// RuleID and RuleTitle name the rule that fired.
	RuleID, RuleTitle string
	// Severity is the alert severity.
	Severity Severity
	// Class is the identity class; unknown when the alert has none.
	Class schemas.IdentityClass
	// Tags are the rule's tags (metadata.labels) and the finding types.
	Tags []string
	// Environments are the environments of the targeted resources.
	Environments []string
	// Playbook is the playbook the rule recommends, or "".
	Playbook string
	// Principal is the identity the alert is about, as connectors need it.
	Principal Principal
	// Unresolved says why Principal names no provider and native id; ""
	// when it does. Containment of an unresolved identity waits for a human.
	Unresolved string
	// Tenant is the provider and account of the principal, for the
	// per-tenant blast-radius limit.
	Tenant string
	// Owner is the person responsible for the identity.
	Owner string
	// Created is when the alert was created.
	Created time.Time
	// FirstEvidence is the event time of the earliest evidence event, the
	// start of the time to respond; Created when the alert has none.
	FirstEvidence time.Time
	// SourceIPs and Models are distinct values seen in the evidence, at most
	// maxEvidenceValues each.
	SourceIPs, Models []string
	// Raw is the alert as published.
	Raw []byte
}

// ParseAlert reads an alert published on the alert subjects. An alert that
// is not JSON, has no id or an invalid finding is an error; an alert whose
// identity cannot be resolved is not (Unresolved says why).
func ParseAlert(data []byte) (*Alert, error) {
	var f ocsf.DetectionFinding
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("decode alert: %w", err)
	}
	if f.FindingInfo.UID == "" {
		return nil, errors.New("decode alert: finding_info.uid is missing")
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("alert %s: %w", f.FindingInfo.UID, err)
	}
	ext := f.Unmapped.AITDR
	a := &Alert{
		ID:        f.FindingInfo.UID,
		Activity:  f.ActivityID,
		RuleID:    firstOf(ext.Rule.ID, f.FindingInfo.Analytic.UID),
		RuleTitle: f.FindingInfo.Title,
		Severity:  severityOf(f.SeverityID),
		Class:     ext.Identity.Class,
		Playbook:  ext.Playbook,
		Owner:     ext.Identity.Owner,
		Created:   msTime(firstNonZero(f.FindingInfo.CreatedTime, f.Time)),
		Raw:       data,
	}
	if !a.Class.Valid() {
		a.Class = schemas.ClassUnknown
	}
	a.FirstEvidence = msTime(firstNonZero(f.StartTime, f.FindingInfo.FirstSeenTime))
	if a.FirstEvidence.IsZero() {
		a.FirstEvidence = a.Created
	}
	a.Tags = appendUnique(a.Tags, f.Metadata.Labels...)
	a.Tags = appendUnique(a.Tags, f.FindingInfo.Types...)
	for _, r := range f.Resources {
		for _, l := range r.Labels {
			if env, ok := strings.CutPrefix(l, "environment:"); ok {
				a.Environments = appendUnique(a.Environments, env)
			}
		}
	}
	a.Principal, a.Unresolved = principalOf(&f)
	switch {
	case a.Principal.Provider != "" && a.Principal.Account != "":
		a.Tenant = a.Principal.Provider + ":" + a.Principal.Account
	case f.Cloud.Account.UID != "":
		a.Tenant = strings.ToLower(f.Cloud.Provider) + ":" + f.Cloud.Account.UID
	}
	for _, e := range f.Evidences {
		if ip := e.SrcEndpoint.IP; ip != "" && len(a.SourceIPs) < maxEvidenceValues {
			a.SourceIPs = appendUnique(a.SourceIPs, ip)
		}
		if m := e.Data.Model; m != "" && len(a.Models) < maxEvidenceValues {
			a.Models = appendUnique(a.Models, m)
		}
	}
	return a, nil
}

// principalOf fills the principal from the extension's identity, the actor
// and the evidence; the reason is "" when the identity id names a provider,
// an account and a native id.
func principalOf(f *ocsf.DetectionFinding) (Principal, string) {
	user := f.Actor.User
	p := Principal{
		ID:    firstOf(f.Unmapped.AITDR.Identity.ID, user.UID),
		Name:  user.Name,
		Email: user.EmailAddr,
	}
	addSession := func(s ocsf.Session) {
		if s.CredentialUID != "" {
			p.CredentialIDs = appendUnique(p.CredentialIDs, s.CredentialUID)
		}
		if s.UID != "" {
			p.SessionIDs = appendUnique(p.SessionIDs, s.UID)
		}
	}
	addSession(f.Actor.Session)
	for _, e := range f.Evidences {
		if e.Actor.User.UID == "" || e.Actor.User.UID == p.ID {
			addSession(e.Actor.Session)
		}
	}
	if p.ID == "" {
		return p, "the alert names no identity"
	}
	provider, rest, ok1 := strings.Cut(p.ID, ":")
	account, native, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || provider == "" || account == "" || native == "" {
		return p, fmt.Sprintf("identity %q is not <provider>:<account>:<native id>", p.ID)
	}
	p.Provider, p.Account, p.NativeID = provider, account, native
	return p, ""
}

func msTime(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func firstNonZero(v ...int64) int64 {
	for _, x := range v {
		if x != 0 {
			return x
		}
	}
	return 0
}

func firstOf(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

func appendUnique(dst []string, vals ...string) []string {
	for _, v := range vals {
		if v != "" && !slices.Contains(dst, v) {
			dst = append(dst, v)
		}
	}
	return dst
}
