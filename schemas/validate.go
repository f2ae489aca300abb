package schemas

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// FieldError is one problem Validate found in a value, at the JSON path of
// the field.
type FieldError struct {
	// Field is the JSON path of the field, such as "identity.kind" or
	// "ai.findings[2].confidence".
	Field string
	// Problem says what is wrong, such as `unknown value "robot"`.
	Problem string
}

// Error returns "<field>: <problem>".
func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// validator collects field errors.
type validator struct{ errs []error }

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

func (v *validator) required(field, value string) {
	if value == "" {
		v.add(field, "required")
	}
}

// enum checks an optional enum field: empty is fine, anything else must be known.
func enum[T interface {
	~string
	Valid() bool
}](v *validator, field string, value T) {
	if value != "" && !value.Valid() {
		v.add(field, "unknown value %q", string(value))
	}
}

func (v *validator) nonNegative(field string, n int64) {
	if n < 0 {
		v.add(field, "negative: %d", n)
	}
}

// finite checks that f is a finite number. The field path is prefix+name,
// joined only when reporting: Validate runs on every ingested event.
func (v *validator) finite(prefix, name string, f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		v.add(prefix+name, "not a finite number")
	}
}

func (v *validator) unit(field string, f float64) {
	if !(f >= 0 && f <= 1) {
		v.add(field, "%v is outside [0, 1]", f)
	}
}

// Validate reports every way e breaks the contract, as *FieldError values
// joined with errors.Join, or nil: required fields (id, schema_version,
// time, observed_time, source.product, action.name, outcome) present, the
// schema version supported, every enum value known, counts not negative,
// confidences within [0, 1], finding locations within MaxFindingLocations
// and every feature a finite number (JSON cannot carry NaN or infinities). Ingest validates before producing; a failing
// event goes to the dead-letter topic with the error as reason.
func (e *Event) Validate() error {
	var v validator
	v.required("id", e.ID)
	if e.SchemaVersion < 1 || e.SchemaVersion > EventSchemaVersion {
		v.add("schema_version", "%d is not a supported version (1 to %d)", e.SchemaVersion, EventSchemaVersion)
	}
	if e.Time.IsZero() {
		v.add("time", "required")
	}
	if e.ObservedTime.IsZero() {
		v.add("observed_time", "required")
	}
	v.required("source.product", string(e.Source.Product))
	enum(&v, "source.product", e.Source.Product)
	enum(&v, "identity.kind", e.Identity.Kind)
	enum(&v, "identity.account_type", e.Identity.AccountType)
	enum(&v, "session.credential_type", e.Session.CredentialType)
	v.required("action.name", e.Action.Name)
	enum(&v, "action.verb", e.Action.Verb)
	enum(&v, "action.category", e.Action.Category)
	enum(&v, "target.environment", e.Target.Environment)
	enum(&v, "target.sensitivity", e.Target.Sensitivity)
	v.required("outcome", string(e.Outcome))
	enum(&v, "outcome", e.Outcome)
	v.nonNegative("volume.bytes_in", e.Volume.BytesIn)
	v.nonNegative("volume.bytes_out", e.Volume.BytesOut)
	v.nonNegative("volume.records", e.Volume.Records)
	v.nonNegative("volume.tokens_in", e.Volume.TokensIn)
	v.nonNegative("volume.tokens_out", e.Volume.TokensOut)
	v.nonNegative("ai.prompt.length", e.AI.Prompt.Length)
	v.nonNegative("ai.prompt.tokens", e.AI.Prompt.Tokens)
	v.nonNegative("ai.prompt.attachments", int64(e.AI.Prompt.Attachments))
	for i, f := range e.AI.Findings {
		field := fmt.Sprintf("ai.findings[%d]", i)
		v.required(field+".type", string(f.Type))
		v.nonNegative(field+".count", int64(f.Count))
		v.unit(field+".confidence", f.Confidence)
		if len(f.Locations) > MaxFindingLocations {
			v.add(field+".locations", "%d entries, more than %d", len(f.Locations), MaxFindingLocations)
		}
	}
	enum(&v, "enrichment.class", e.Enrichment.Class)
	v.unit("enrichment.class_confidence", e.Enrichment.ClassConfidence)
	enum(&v, "enrichment.environment", e.Enrichment.Environment)
	enum(&v, "enrichment.data_sensitivity", e.Enrichment.DataSensitivity)
	enum(&v, "enrichment.ai_service_status", e.Enrichment.AIServiceStatus)
	enum(&v, "raw.format", e.Raw.Format)
	e.Features.validate(&v, "features.")
	return errors.Join(v.errs...)
}

func (f *Features) validate(v *validator, prefix string) {
	v.nonNegative(prefix+"baseline_events", f.BaselineEvents)
	for _, h := range []struct {
		name string
		h    Horizons
	}{
		{"rate_ratio", f.RateRatio}, {"rate_z", f.RateZ},
		{"bytes_ratio", f.BytesRatio}, {"bytes_z", f.BytesZ},
		{"records_ratio", f.RecordsRatio}, {"records_z", f.RecordsZ},
		{"tokens_ratio", f.TokensRatio}, {"tokens_z", f.TokensZ},
		{"category_rate_ratio", f.CategoryRateRatio},
		{"window_events", f.WindowEvents}, {"window_bytes", f.WindowBytes},
		{"window_records", f.WindowRecords}, {"window_tokens", f.WindowTokens},
		{"category_rate_z", f.CategoryRateZ}, {"category_bytes_ratio", f.CategoryBytesRatio},
	} {
		v.finite(prefix, h.name+".5m", h.h.M5)
		v.finite(prefix, h.name+".1h", h.h.H1)
		v.finite(prefix, h.name+".1d", h.h.D1)
	}
	v.finite(prefix, "volume_percentile", f.VolumePercentile)
	v.finite(prefix, "hour_typicality", f.HourTypicality)
	v.finite(prefix, "peer_rate_ratio", f.PeerRateRatio)
	v.finite(prefix, "peer_volume_ratio", f.PeerVolumeRatio)
	v.finite(prefix, "idle_days", f.IdleDays)
	d := f.DaysSinceFirstSeen
	days := prefix + "days_since_first_seen."
	for _, a := range []struct {
		name string
		days float64
	}{
		{"action", d.Action}, {"resource", d.Resource}, {"source_ip", d.SourceIP}, {"asn", d.ASN},
		{"country", d.Country}, {"user_agent", d.UserAgent}, {"model", d.Model},
		{"ai_service", d.AIService}, {"tenant", d.Tenant}, {"environment", d.Environment},
	} {
		v.finite(days, a.name, a.days)
	}
}

// Validate reports every way id breaks the inventory contract, as *FieldError
// values joined with errors.Join, or nil: an id, first and last seen times in
// order, known enum values, a class confidence within [0, 1], counts not
// negative, and lists within MaxIdentityTargets and MaxIdentityList.
func (id *Identity) Validate() error {
	var v validator
	v.required("id", id.ID)
	if id.FirstSeen.IsZero() {
		v.add("first_seen", "required")
	}
	if id.LastSeen.IsZero() {
		v.add("last_seen", "required")
	}
	if id.LastSeen.Before(id.FirstSeen) {
		v.add("last_seen", "%s is before first_seen %s", id.LastSeen.Format(time.RFC3339), id.FirstSeen.Format(time.RFC3339))
	}
	enum(&v, "kind", id.Kind)
	enum(&v, "class", id.Class)
	v.unit("class_confidence", id.ClassConfidence)
	enum(&v, "account_type", id.AccountType)
	v.nonNegative("events", id.Events)
	v.nonNegative("failures", id.Failures)
	v.nonNegative("targets_total", id.TargetsTotal)
	if len(id.Targets) > MaxIdentityTargets {
		v.add("targets", "%d entries, more than %d", len(id.Targets), MaxIdentityTargets)
	}
	for _, l := range []struct {
		field string
		n     int
	}{
		{"class_evidence", len(id.ClassEvidence)}, {"providers", len(id.Providers)},
		{"accounts", len(id.Accounts)}, {"ai_services", len(id.AIServices)},
		{"tenants", len(id.Tenants)}, {"environments", len(id.Environments)},
		{"credential_types", len(id.CredentialTypes)},
	} {
		if l.n > MaxIdentityList {
			v.add(l.field, "%d entries, more than %d", l.n, MaxIdentityList)
		}
	}
	for i, a := range id.Accounts {
		field := fmt.Sprintf("accounts[%d]", i)
		v.required(field+".id", a.ID)
		enum(&v, field+".type", a.Type)
	}
	for i, s := range id.AIServices {
		field := fmt.Sprintf("ai_services[%d]", i)
		v.required(field+".service", s.Service)
		enum(&v, field+".status", s.Status)
		if len(s.Models) > MaxIdentityList {
			v.add(field+".models", "%d entries, more than %d", len(s.Models), MaxIdentityList)
		}
	}
	for i, t := range id.Targets {
		field := fmt.Sprintf("targets[%d]", i)
		v.required(field+".id", t.ID)
		enum(&v, field+".environment", t.Environment)
		enum(&v, field+".sensitivity", t.Sensitivity)
	}
	for i, e := range id.Environments {
		enum(&v, fmt.Sprintf("environments[%d]", i), e)
	}
	for i, c := range id.CredentialTypes {
		enum(&v, fmt.Sprintf("credential_types[%d]", i), c)
	}
	return errors.Join(v.errs...)
}
