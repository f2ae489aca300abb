package clickhouse

import (
	"errors"
	"fmt"
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// identityRow is one version of an identity as the sink writes it: the
// inventory row and when the enrich stage published it.
type identityRow struct {
	id      schemas.Identity
	updated time.Time
}

// identitiesTable is the identities table: one row per version of a
// schemas.Identity, every column documented by its COMMENT in
// migrations/0002_identities.sql.
var identitiesTable = &table[identityRow]{
	name:  "identities",
	check: checkIdentity,
	columns: []column[identityRow]{
		col("identity_id", tString, func(r *identityRow) string { return r.id.ID }),
		col("kind", tLC, func(r *identityRow) string { return string(r.id.Kind) }),
		col("class", tLC, func(r *identityRow) string { return string(r.id.Class) }),
		col("class_confidence", "Float64", func(r *identityRow) float64 { return r.id.ClassConfidence }),
		col("class_evidence", tStrArray, func(r *identityRow) []string { return orEmpty(r.id.ClassEvidence) }),
		col("providers", tLCArray, func(r *identityRow) []string { return orEmpty(r.id.Providers) }),
		col("accounts.provider", tLCArray, func(r *identityRow) []string {
			return mapSlice(r.id.Accounts, func(a schemas.IdentityAccount) string { return a.Provider })
		}),
		col("accounts.id", tStrArray, func(r *identityRow) []string {
			return mapSlice(r.id.Accounts, func(a schemas.IdentityAccount) string { return a.ID })
		}),
		col("accounts.type", tLCArray, func(r *identityRow) []string {
			return mapSlice(r.id.Accounts, func(a schemas.IdentityAccount) string { return string(a.Type) })
		}),
		col("account_type", tLC, func(r *identityRow) string { return string(r.id.AccountType) }),
		col("display_name", tString, func(r *identityRow) string { return r.id.DisplayName }),
		col("email", tString, func(r *identityRow) string { return r.id.Email }),
		col("owner", tString, func(r *identityRow) string { return r.id.Owner }),
		col("team", tLC, func(r *identityRow) string { return r.id.Team }),
		col("peer_group", tLC, func(r *identityRow) string { return r.id.PeerGroup }),
		col("ai_services.provider", tLCArray, func(r *identityRow) []string {
			return mapSlice(r.id.AIServices, func(s schemas.AIServiceUse) string { return s.Provider })
		}),
		col("ai_services.service", tLCArray, func(r *identityRow) []string {
			return mapSlice(r.id.AIServices, func(s schemas.AIServiceUse) string { return s.Service })
		}),
		col("ai_services.status", tLCArray, func(r *identityRow) []string {
			return mapSlice(r.id.AIServices, func(s schemas.AIServiceUse) string { return string(s.Status) })
		}),
		col("ai_services.models", "Array(Array(LowCardinality(String)))", func(r *identityRow) [][]string {
			return mapSlice(r.id.AIServices, func(s schemas.AIServiceUse) []string { return orEmpty(s.Models) })
		}),
		col("ai_services.first_seen", tTimeArr, func(r *identityRow) []time.Time {
			return mapSlice(r.id.AIServices, func(s schemas.AIServiceUse) time.Time { return ts(s.FirstSeen) })
		}),
		col("ai_services.last_seen", tTimeArr, func(r *identityRow) []time.Time {
			return mapSlice(r.id.AIServices, func(s schemas.AIServiceUse) time.Time { return ts(s.LastSeen) })
		}),
		col("ai_services.events", "Array(Int64)", func(r *identityRow) []int64 {
			return mapSlice(r.id.AIServices, func(s schemas.AIServiceUse) int64 { return s.Events })
		}),
		col("targets.type", tLCArray, func(r *identityRow) []string {
			return mapSlice(r.id.Targets, func(t schemas.TargetUse) string { return t.Type })
		}),
		col("targets.id", tStrArray, func(r *identityRow) []string {
			return mapSlice(r.id.Targets, func(t schemas.TargetUse) string { return t.ID })
		}),
		col("targets.environment", tLCArray, func(r *identityRow) []string {
			return mapSlice(r.id.Targets, func(t schemas.TargetUse) string { return string(t.Environment) })
		}),
		col("targets.sensitivity", tLCArray, func(r *identityRow) []string {
			return mapSlice(r.id.Targets, func(t schemas.TargetUse) string { return string(t.Sensitivity) })
		}),
		col("targets.tenant", tLCArray, func(r *identityRow) []string {
			return mapSlice(r.id.Targets, func(t schemas.TargetUse) string { return t.Tenant })
		}),
		col("targets.last_seen", tTimeArr, func(r *identityRow) []time.Time {
			return mapSlice(r.id.Targets, func(t schemas.TargetUse) time.Time { return ts(t.LastSeen) })
		}),
		col("targets.events", "Array(Int64)", func(r *identityRow) []int64 {
			return mapSlice(r.id.Targets, func(t schemas.TargetUse) int64 { return t.Events })
		}),
		col("targets_total", tInt64, func(r *identityRow) int64 { return r.id.TargetsTotal }),
		col("tenants", tStrArray, func(r *identityRow) []string { return orEmpty(r.id.Tenants) }),
		col("environments", tLCArray, func(r *identityRow) []string {
			return mapSlice(r.id.Environments, func(e schemas.Environment) string { return string(e) })
		}),
		col("first_seen", tTime, func(r *identityRow) time.Time { return ts(r.id.FirstSeen) }),
		col("last_seen", tTime, func(r *identityRow) time.Time { return ts(r.id.LastSeen) }),
		col("events", tInt64, func(r *identityRow) int64 { return r.id.Events }),
		col("failures", tInt64, func(r *identityRow) int64 { return r.id.Failures }),
		col("events_by_category", "Map(LowCardinality(String), Int64)", func(r *identityRow) map[string]int64 { return r.id.EventsByCategory }),
		col("shared_credential", tBool, func(r *identityRow) bool { return r.id.SharedCredential }),
		col("registered", tBool, func(r *identityRow) bool { return r.id.Registered }),
		col("updated_at", tTime, func(r *identityRow) time.Time { return ts(r.updated) }),
	},
}

// checkIdentity returns why r cannot be stored, or nil.
func checkIdentity(r *identityRow) error {
	var errs []error
	if r.id.ID == "" {
		errs = append(errs, errors.New("id is missing"))
	}
	errs = append(errs,
		checkTime("first_seen", r.id.FirstSeen),
		checkTime("last_seen", r.id.LastSeen),
		checkTime("updated_at (the record timestamp)", r.updated),
	)
	for i, s := range r.id.AIServices {
		errs = append(errs,
			checkTime(fmt.Sprintf("ai_services[%d].first_seen", i), s.FirstSeen),
			checkTime(fmt.Sprintf("ai_services[%d].last_seen", i), s.LastSeen))
	}
	for i, t := range r.id.Targets {
		errs = append(errs, checkTime(fmt.Sprintf("targets[%d].last_seen", i), t.LastSeen))
	}
	return errors.Join(errs...)
}
