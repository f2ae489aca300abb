package clickhouse

import (
	"errors"
	"time"
	"unsafe"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/aitdr/aitdr/schemas"
)

// Types of the columns, as DESCRIBE TABLE prints them.
const (
	tString   = "String"
	tLC       = "LowCardinality(String)"
	tTime     = "DateTime64(3, 'UTC')"
	tBool     = "Bool"
	tInt64    = "Int64"
	tLCArray  = "Array(LowCardinality(String))"
	tStrArray = "Array(String)"
	tTimeArr  = "Array(DateTime64(3, 'UTC'))"
)

// eventsTable is the events table: one row per schemas.Event, every column
// documented by its COMMENT in migrations/0001_events.sql (DESCRIBE TABLE
// events shows them). Zero times are stored as 1970-01-01; an event whose
// times DateTime64 cannot hold, or without an id, is refused.
var eventsTable = &table[schemas.Event]{
	name:  "events",
	check: checkEvent,
	// A batch may span many days of event time (a backfill, a late
	// source): one part per day, beyond the default limit of 100.
	settings: ch.Settings{"max_partitions_per_insert_block": 0},
	columns: []column[schemas.Event]{
		col("event_id", tString, func(e *schemas.Event) string { return e.ID }),
		col("schema_version", "UInt16", func(e *schemas.Event) uint16 { return uint16(e.SchemaVersion) }),
		col("time", tTime, func(e *schemas.Event) time.Time { return e.Time }),
		col("observed_time", tTime, func(e *schemas.Event) time.Time { return ts(e.ObservedTime) }),
		col("product", tLC, func(e *schemas.Event) string { return string(e.Source.Product) }),
		col("source_event_id", tString, func(e *schemas.Event) string { return e.Source.EventID }),
		col("source_account", tLC, func(e *schemas.Event) string { return e.Source.Account }),
		col("source_tenant", tLC, func(e *schemas.Event) string { return e.Source.Tenant }),
		col("source_org", tLC, func(e *schemas.Event) string { return e.Source.Org }),
		col("source_project", tLC, func(e *schemas.Event) string { return e.Source.Project }),
		col("region", tLC, func(e *schemas.Event) string { return e.Source.Region }),
		col("identity_id", tString, func(e *schemas.Event) string { return e.Identity.ID }),
		col("identity_kind", tLC, func(e *schemas.Event) string { return string(e.Identity.Kind) }),
		col("identity_provider", tLC, func(e *schemas.Event) string { return e.Identity.Provider }),
		col("identity_account", tLC, func(e *schemas.Event) string { return e.Identity.Account }),
		col("identity_account_type", tLC, func(e *schemas.Event) string { return string(e.Identity.AccountType) }),
		col("identity_type", tLC, func(e *schemas.Event) string { return e.Identity.Type }),
		col("identity_uid", tString, func(e *schemas.Event) string { return e.Identity.UID }),
		col("identity_name", tString, func(e *schemas.Event) string { return e.Identity.Name }),
		col("identity_display_name", tString, func(e *schemas.Event) string { return e.Identity.DisplayName }),
		col("identity_email", tString, func(e *schemas.Event) string { return e.Identity.Email }),
		col("identity_owner", tString, func(e *schemas.Event) string { return e.Identity.Owner }),
		col("credential_id", tString, func(e *schemas.Event) string { return e.Identity.CredentialID }),
		col("session_id", tString, func(e *schemas.Event) string { return e.Session.ID }),
		col("session_mfa", tBool, func(e *schemas.Event) bool { return e.Session.MFA }),
		col("session_issued_at", tTime, func(e *schemas.Event) time.Time { return ts(e.Session.IssuedAt) }),
		col("session_credential_type", tLC, func(e *schemas.Event) string { return string(e.Session.CredentialType) }),
		col("session_issuer", tString, func(e *schemas.Event) string { return e.Session.Issuer }),
		col("action_name", tLC, func(e *schemas.Event) string { return e.Action.Name }),
		col("action_service", tLC, func(e *schemas.Event) string { return e.Action.Service }),
		col("verb", tLC, func(e *schemas.Event) string { return string(e.Action.Verb) }),
		col("category", tLC, func(e *schemas.Event) string { return string(e.Action.Category) }),
		col("target_type", tLC, func(e *schemas.Event) string { return e.Target.Type }),
		col("target_id", tString, func(e *schemas.Event) string { return e.Target.ID }),
		col("target_name", tString, func(e *schemas.Event) string { return e.Target.Name }),
		col("target_environment", tLC, func(e *schemas.Event) string { return string(e.Target.Environment) }),
		col("target_sensitivity", tLC, func(e *schemas.Event) string { return string(e.Target.Sensitivity) }),
		col("target_tenant", tLC, func(e *schemas.Event) string { return e.Target.Tenant }),
		col("outcome", tLC, func(e *schemas.Event) string { return string(e.Outcome) }),
		col("error_code", tLC, func(e *schemas.Event) string { return e.Error.Code }),
		col("error_message", tString, func(e *schemas.Event) string { return e.Error.Message }),
		col("source_ip", tString, func(e *schemas.Event) string { return e.Network.SourceIP }),
		col("user_agent", tString, func(e *schemas.Event) string { return e.Network.UserAgent }),
		col("asn", "UInt32", func(e *schemas.Event) uint32 { return e.Network.ASN }),
		col("as_org", tLC, func(e *schemas.Event) string { return e.Network.ASOrg }),
		col("country", tLC, func(e *schemas.Event) string { return e.Network.Country }),
		col("bytes_in", tInt64, func(e *schemas.Event) int64 { return e.Volume.BytesIn }),
		col("bytes_out", tInt64, func(e *schemas.Event) int64 { return e.Volume.BytesOut }),
		col("records", tInt64, func(e *schemas.Event) int64 { return e.Volume.Records }),
		col("tokens_in", tInt64, func(e *schemas.Event) int64 { return e.Volume.TokensIn }),
		col("tokens_out", tInt64, func(e *schemas.Event) int64 { return e.Volume.TokensOut }),
		col("ai_provider", tLC, func(e *schemas.Event) string { return e.AI.Provider }),
		col("ai_service", tLC, func(e *schemas.Event) string { return e.AI.Service }),
		col("ai_model", tLC, func(e *schemas.Event) string { return e.AI.Model }),
		col("ai_tool", tLC, func(e *schemas.Event) string { return e.AI.Tool }),
		col("prompt_length", tInt64, func(e *schemas.Event) int64 { return e.AI.Prompt.Length }),
		col("prompt_tokens", tInt64, func(e *schemas.Event) int64 { return e.AI.Prompt.Tokens }),
		col("prompt_hash", tString, func(e *schemas.Event) string { return e.AI.Prompt.Hash }),
		col("prompt_language", tLC, func(e *schemas.Event) string { return e.AI.Prompt.Language }),
		col("prompt_attachments", "Int32", func(e *schemas.Event) int32 { return e.AI.Prompt.Attachments }),
		col("prompt_text", tString, func(e *schemas.Event) string { return e.AI.Prompt.Text }),
		col("findings.type", tLCArray, func(e *schemas.Event) []string {
			return mapSlice(e.AI.Findings, func(f schemas.DataFinding) string { return string(f.Type) })
		}),
		col("findings.count", "Array(Int32)", func(e *schemas.Event) []int32 {
			return mapSlice(e.AI.Findings, func(f schemas.DataFinding) int32 { return f.Count })
		}),
		col("findings.confidence", "Array(Float64)", func(e *schemas.Event) []float64 {
			return mapSlice(e.AI.Findings, func(f schemas.DataFinding) float64 { return f.Confidence })
		}),
		col("identity_class", tLC, func(e *schemas.Event) string { return string(e.Enrichment.Class) }),
		col("class_confidence", "Float64", func(e *schemas.Event) float64 { return e.Enrichment.ClassConfidence }),
		col("class_evidence", tStrArray, func(e *schemas.Event) []string { return orEmpty(e.Enrichment.ClassEvidence) }),
		col("owner", tString, func(e *schemas.Event) string { return e.Enrichment.Owner }),
		col("team", tLC, func(e *schemas.Event) string { return e.Enrichment.Team }),
		col("peer_group", tLC, func(e *schemas.Event) string { return e.Enrichment.PeerGroup }),
		col("environment", tLC, func(e *schemas.Event) string { return string(e.Enrichment.Environment) }),
		col("data_sensitivity", tLC, func(e *schemas.Event) string { return string(e.Enrichment.DataSensitivity) }),
		col("ai_service_status", tLC, func(e *schemas.Event) string { return string(e.Enrichment.AIServiceStatus) }),
		col("registered", tBool, func(e *schemas.Event) bool { return e.Enrichment.Registered }),
		col("off_hours", tBool, func(e *schemas.Event) bool { return e.Enrichment.OffHours }),
		col("credential_workloads", "Int32", func(e *schemas.Event) int32 { return e.Enrichment.CredentialWorkloads }),
		col("identity_first_seen", tTime, func(e *schemas.Event) time.Time { return ts(e.Enrichment.IdentityFirstSeen) }),
		col("features_available", tBool, func(e *schemas.Event) bool { return e.Features.Available }),
		col("learning", tBool, func(e *schemas.Event) bool { return e.Features.Learning }),
		col("features_unavailable_reason", tLC, func(e *schemas.Event) string { return e.Features.UnavailableReason }),
		col("features", "Map(LowCardinality(String), Float64)", func(e *schemas.Event) *featureRow { return features(&e.Features) }),
		col("labels", "Map(LowCardinality(String), String)", func(e *schemas.Event) map[string]string { return e.Labels }),
		col("attributes", "Map(LowCardinality(String), String)", func(e *schemas.Event) map[string]string { return e.Attributes }),
		col("raw_format", tLC, func(e *schemas.Event) string { return string(e.Raw.Format) }),
		// The sink decodes every event's raw record into a new buffer that
		// nothing writes to afterwards (see Sink.addEvent): no copy.
		col("raw", tString, func(e *schemas.Event) string {
			return unsafe.String(unsafe.SliceData(e.Raw.Data), len(e.Raw.Data))
		}),
	},
}

// checkEvent returns why e cannot be stored, or nil.
func checkEvent(e *schemas.Event) error {
	var errs []error
	if e.ID == "" {
		errs = append(errs, errors.New("id is missing"))
	}
	errs = append(errs,
		checkRequiredTime("time", e.Time),
		checkTime("observed_time", e.ObservedTime),
		checkTime("session.issued_at", e.Session.IssuedAt),
		checkTime("enrichment.identity_first_seen", e.Enrichment.IdentityFirstSeen),
	)
	return errors.Join(errs...)
}

// mapSlice returns f of every element of s; an empty (not nil) slice when s
// is empty, as clickhouse-go's arrays want.
func mapSlice[S, T any](s []S, f func(S) T) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}

// orEmpty returns s, or an empty slice for nil.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
