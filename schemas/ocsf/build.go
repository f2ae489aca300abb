package ocsf

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// ProductName is the product and vendor name in the metadata of every alert.
const ProductName = "aitdr"

// Millis returns t as an OCSF timestamp: milliseconds since the Unix epoch,
// 0 for the zero time.
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// New returns a Detection Finding with id uid and title, created at t: the
// fixed category, class and type uids and captions, activity Create, status
// New, severity sev with its risk level, metadata naming aitdr and the OCSF
// Version, the analytic type Unknown, and the extension version set. The caller adds the rule
// (FindingInfo.Analytic, Unmapped.AITDR.Rule), the evidence (AddEvidence)
// and the response.
func New(uid, title string, t time.Time, sev SeverityID) *DetectionFinding {
	f := &DetectionFinding{
		CategoryUID:  CategoryUID,
		CategoryName: CategoryName,
		ClassUID:     ClassUID,
		ClassName:    ClassName,
		Time:         Millis(t),
		Metadata: Metadata{
			Product: Product{Name: ProductName, VendorName: ProductName},
			Version: Version,
			UID:     uid,
		},
		FindingInfo: FindingInfo{
			UID: uid, Title: title, CreatedTime: Millis(t),
			Analytic: Analytic{TypeID: AnalyticUnknown, Type: AnalyticUnknown.String()},
		},
		Unmapped: Unmapped{AITDR: Extension{Version: ExtensionVersion}},
	}
	f.SetActivity(ActivityCreate)
	f.SetStatus(StatusNew)
	f.SetSeverity(sev)
	return f
}

// SetActivity sets the activity with its caption, type uid and type name.
func (f *DetectionFinding) SetActivity(a ActivityID) {
	f.ActivityID = a
	f.ActivityName = a.String()
	f.TypeUID = TypeUID(a)
	f.TypeName = TypeName(a)
}

// SetSeverity sets the severity with its caption, and the risk level that
// follows from it.
func (f *DetectionFinding) SetSeverity(s SeverityID) {
	f.SeverityID = s
	f.Severity = s.String()
	f.RiskLevelID = s.RiskLevel()
	f.RiskLevel = f.RiskLevelID.String()
}

// SetStatus sets the status with its caption.
func (f *DetectionFinding) SetStatus(s StatusID) {
	f.StatusID = s
	f.Status = s.String()
}

// SetConfidence sets the confidence score, clamped to 0..100, and its bucket:
// Low under 40, Medium under 70, High from 70.
func (f *DetectionFinding) SetConfidence(score int) {
	score = min(max(score, 0), 100)
	f.ConfidenceScore = score
	switch {
	case score < 40:
		f.ConfidenceID = ConfidenceLow
	case score < 70:
		f.ConfidenceID = ConfidenceMedium
	default:
		f.ConfidenceID = ConfidenceHigh
	}
	f.Confidence = f.ConfidenceID.String()
}

// SetAnalytic sets the rule that produced the finding, in finding_info and
// in the extension, and the correlation uid (rule id and identity id, once
// the identity is known).
func (f *DetectionFinding) SetAnalytic(ruleID, name, version string, typ AnalyticTypeID) {
	f.FindingInfo.Analytic = Analytic{
		UID: ruleID, Name: name, Version: version, TypeID: typ, Type: typ.String(),
	}
	f.Unmapped.AITDR.Rule = Rule{ID: ruleID, Version: version}
	f.correlate()
}

func (f *DetectionFinding) correlate() {
	rule, id := f.Unmapped.AITDR.Rule.ID, f.Unmapped.AITDR.Identity.ID
	if rule != "" && id != "" {
		f.Metadata.CorrelationUID = rule + "/" + id
	}
}

// AddAttack adds a technique with its tactic to finding_info.attacks, and an
// ATLAS technique id (one starting with "AML.") to the extension too.
func (f *DetectionFinding) AddAttack(technique Technique, tactic Tactic, version string) {
	f.FindingInfo.Attacks = append(f.FindingInfo.Attacks, Attack{Technique: technique, Tactic: tactic, Version: version})
	if len(technique.UID) > 4 && technique.UID[:4] == "AML." &&
		!slices.Contains(f.Unmapped.AITDR.ATLASTechniques, technique.UID) {
		f.Unmapped.AITDR.ATLASTechniques = append(f.Unmapped.AITDR.ATLASTechniques, technique.UID)
	}
}

// AddEvidence adds e as an evidence event: an evidence artifact, a related
// event, its id in the extension, its target in resources (once per id) and
// its product in data sources, and widens start/end and first/last seen
// times to its event time. The first event sets the actor, the cloud context
// and the extension's identity (id, class, kind, owner, team, account type).
func (f *DetectionFinding) AddEvidence(e *schemas.Event) {
	actor := actorOf(e)
	if f.Count == 0 {
		f.Actor = actor
		f.Cloud = cloudOf(e)
		if f.Cloud.Provider != "" && !slices.Contains(f.Metadata.Profiles, "cloud") {
			f.Metadata.Profiles = append(f.Metadata.Profiles, "cloud")
		}
		f.Unmapped.AITDR.Identity = IdentityContext{
			ID:          e.Identity.ID,
			Class:       e.Enrichment.Class,
			Kind:        e.Identity.Kind,
			Owner:       firstNonEmpty(e.Enrichment.Owner, e.Identity.Owner),
			Team:        e.Enrichment.Team,
			AccountType: e.Identity.AccountType,
		}
		f.correlate()
	}
	f.Count++
	f.Evidences = append(f.Evidences, Evidence{
		Actor: actor,
		API:   API{Operation: e.Action.Name, Service: Service{Name: e.Action.Service}},
		SrcEndpoint: Endpoint{
			IP:               e.Network.SourceIP,
			Location:         Location{Country: e.Network.Country},
			AutonomousSystem: AutonomousSystem{Number: int64(e.Network.ASN), Name: e.Network.ASOrg},
		},
		Data: EvidenceData{
			EventID:  e.ID,
			Time:     e.Time.UTC().Format(time.RFC3339Nano),
			Outcome:  string(e.Outcome),
			Category: string(e.Action.Category),
			Model:    e.AI.Model,
		},
	})
	f.FindingInfo.RelatedEvents = append(f.FindingInfo.RelatedEvents, RelatedEvent{
		UID: e.ID, ProductUID: string(e.Source.Product), Type: e.Action.Name,
	})
	f.Unmapped.AITDR.EvidenceEventIDs = append(f.Unmapped.AITDR.EvidenceEventIDs, e.ID)
	if p := string(e.Source.Product); p != "" && !slices.Contains(f.FindingInfo.DataSources, p) {
		f.FindingInfo.DataSources = append(f.FindingInfo.DataSources, p)
	}
	if t := e.Target; t.ID != "" && !slices.ContainsFunc(f.Resources, func(r Resource) bool { return r.UID == t.ID }) {
		f.Resources = append(f.Resources, resourceOf(e))
	}
	ms := Millis(e.Time)
	if ms != 0 {
		if f.StartTime == 0 || ms < f.StartTime {
			f.StartTime = ms
			f.FindingInfo.FirstSeenTime = ms
		}
		if ms > f.EndTime {
			f.EndTime = ms
			f.FindingInfo.LastSeenTime = ms
		}
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func actorOf(e *schemas.Event) Actor {
	id := e.Identity
	u := User{
		UID:       id.ID,
		Name:      id.Name,
		FullName:  id.DisplayName,
		EmailAddr: id.Email,
		Account:   Account{UID: id.Account, Type: accountType(id.AccountType)},
	}
	switch id.Kind {
	case schemas.KindHuman:
		u.TypeID, u.Type = UserRegular, UserRegular.String()
	case schemas.KindService:
		u.TypeID, u.Type = UserOther, "Service"
	case schemas.KindAgent:
		u.TypeID, u.Type = UserOther, "AI Agent"
	default:
		u.TypeID, u.Type = UserUnknown, UserUnknown.String()
	}
	return Actor{
		User: u,
		Session: Session{
			UID:           e.Session.ID,
			CreatedTime:   Millis(e.Session.IssuedAt),
			IsMFA:         e.Session.MFA,
			Issuer:        e.Session.Issuer,
			CredentialUID: id.CredentialID,
		},
	}
}

func accountType(t schemas.AccountType) string {
	switch t {
	case schemas.AccountCorporate:
		return "Corporate"
	case schemas.AccountPersonal:
		return "Personal"
	}
	return ""
}

// cloudProviders maps source products to OCSF cloud provider names.
var cloudProviders = map[schemas.Product]string{
	schemas.ProductAWSCloudTrail: "AWS",
	schemas.ProductGCPAudit:      "GCP",
	schemas.ProductEntra:         "Azure",
}

func cloudOf(e *schemas.Event) Cloud {
	p, ok := cloudProviders[e.Source.Product]
	if !ok {
		return Cloud{}
	}
	return Cloud{Provider: p, Region: e.Source.Region, Account: Account{UID: e.Source.Account}}
}

func resourceOf(e *schemas.Event) Resource {
	t := e.Target
	r := Resource{UID: t.ID, Name: t.Name, Type: t.Type, Region: e.Source.Region}
	if t.Environment != "" {
		r.Labels = append(r.Labels, "environment:"+string(t.Environment))
	}
	if t.Sensitivity != "" {
		r.Labels = append(r.Labels, "sensitivity:"+string(t.Sensitivity))
	}
	if t.Tenant != "" {
		r.Labels = append(r.Labels, "tenant:"+t.Tenant)
	}
	return r
}

// Validate reports every way f breaks the alert contract, joined with
// errors.Join, or nil: the fixed category and class, a type uid and captions
// that match the ids, the required finding uid, title, time and metadata,
// and a known extension version, response action and status.
func (f *DetectionFinding) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if f.CategoryUID != CategoryUID || f.CategoryName != CategoryName {
		bad("category_uid", "%d %q, want %d %q", f.CategoryUID, f.CategoryName, CategoryUID, CategoryName)
	}
	if f.ClassUID != ClassUID || f.ClassName != ClassName {
		bad("class_uid", "%d %q, want %d %q", f.ClassUID, f.ClassName, ClassUID, ClassName)
	}
	if f.TypeUID != TypeUID(f.ActivityID) || f.TypeName != TypeName(f.ActivityID) {
		bad("type_uid", "%d %q does not match activity_id %d", f.TypeUID, f.TypeName, f.ActivityID)
	}
	for _, c := range []struct {
		field, got, want string
	}{
		{"activity_name", f.ActivityName, f.ActivityID.String()},
		{"severity", f.Severity, f.SeverityID.String()},
		{"status", f.Status, f.StatusID.String()},
		{"risk_level", f.RiskLevel, f.RiskLevelID.String()},
		{"finding_info.analytic.type", f.FindingInfo.Analytic.Type, f.FindingInfo.Analytic.TypeID.String()},
	} {
		if c.got != c.want {
			bad(c.field, "%q, want %q", c.got, c.want)
		}
	}
	if f.ConfidenceScore != 0 && f.Confidence != f.ConfidenceID.String() {
		bad("confidence", "%q, want %q", f.Confidence, f.ConfidenceID.String())
	}
	if f.Time <= 0 {
		bad("time", "required")
	}
	if f.FindingInfo.UID == "" {
		bad("finding_info.uid", "required")
	}
	if f.FindingInfo.Title == "" {
		bad("finding_info.title", "required")
	}
	if f.Metadata.Product.Name == "" {
		bad("metadata.product.name", "required")
	}
	if f.Metadata.Version == "" {
		bad("metadata.version", "required")
	}
	ext := f.Unmapped.AITDR
	if ext.Version < 1 || ext.Version > ExtensionVersion {
		bad("unmapped.aitdr.version", "%d is not a supported version (1 to %d)", ext.Version, ExtensionVersion)
	}
	for i, r := range ext.Response {
		if !r.Action.Valid() {
			bad(fmt.Sprintf("unmapped.aitdr.response[%d].action", i), "unknown value %q", r.Action)
		}
		if !r.Status.Valid() {
			bad(fmt.Sprintf("unmapped.aitdr.response[%d].status", i), "unknown value %q", r.Status)
		}
	}
	return errors.Join(errs...)
}
