package clickhouse

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aitdr/aitdr/schemas/ocsf"
)

// alertRow is one alert as the sink writes it: the decoded finding and the
// JSON it came from.
type alertRow struct {
	f    ocsf.DetectionFinding
	json string
}

// created is when the alert was created: finding_info.created_time, or
// the finding's time when it has none.
func (a *alertRow) created() time.Time {
	if a.f.FindingInfo.CreatedTime != 0 {
		return millis(a.f.FindingInfo.CreatedTime)
	}
	return millis(a.f.Time)
}

// alertsTable is the alerts table: one row per version of an OCSF Detection
// Finding, every column documented by its COMMENT in
// migrations/0003_alerts.sql.
var alertsTable = &table[alertRow]{
	name:  "alerts",
	check: checkAlert,
	columns: []column[alertRow]{
		col("alert_id", tString, func(a *alertRow) string { return a.f.FindingInfo.UID }),
		col("time", tTime, func(a *alertRow) time.Time { return a.created() }),
		col("updated_at", tTime, func(a *alertRow) time.Time { return millis(a.f.Time) }),
		col("activity", tLC, func(a *alertRow) string { return a.f.ActivityName }),
		col("rule_id", tLC, func(a *alertRow) string {
			return firstNonEmpty(a.f.Unmapped.AITDR.Rule.ID, a.f.FindingInfo.Analytic.UID)
		}),
		col("rule_name", tLC, func(a *alertRow) string { return a.f.FindingInfo.Analytic.Name }),
		col("rule_version", tLC, func(a *alertRow) string {
			return firstNonEmpty(a.f.Unmapped.AITDR.Rule.Version, a.f.FindingInfo.Analytic.Version)
		}),
		col("analytic_type", tLC, func(a *alertRow) string { return a.f.FindingInfo.Analytic.Type }),
		col("title", tString, func(a *alertRow) string { return a.f.FindingInfo.Title }),
		col("description", tString, func(a *alertRow) string { return a.f.FindingInfo.Desc }),
		col("message", tString, func(a *alertRow) string { return a.f.Message }),
		col("finding_types", tLCArray, func(a *alertRow) []string { return orEmpty(a.f.FindingInfo.Types) }),
		col("severity", tLC, func(a *alertRow) string { return a.f.Severity }),
		col("severity_id", "UInt8", func(a *alertRow) uint8 { return clampUint8(int(a.f.SeverityID)) }),
		col("status", tLC, func(a *alertRow) string { return a.f.Status }),
		col("status_id", "UInt8", func(a *alertRow) uint8 { return clampUint8(int(a.f.StatusID)) }),
		col("confidence_score", "UInt8", func(a *alertRow) uint8 { return clampUint8(a.f.ConfidenceScore) }),
		col("risk_level", tLC, func(a *alertRow) string { return a.f.RiskLevel }),
		col("risk_score", "UInt8", func(a *alertRow) uint8 { return clampUint8(a.f.RiskScore) }),
		col("start_time", tTime, func(a *alertRow) time.Time { return ts(millis(a.f.StartTime)) }),
		col("end_time", tTime, func(a *alertRow) time.Time { return ts(millis(a.f.EndTime)) }),
		col("evidence_count", "UInt32", func(a *alertRow) uint32 { return uint32(max(a.f.Count, 0)) }),
		col("identity_id", tString, func(a *alertRow) string { return a.f.Unmapped.AITDR.Identity.ID }),
		col("identity_class", tLC, func(a *alertRow) string { return string(a.f.Unmapped.AITDR.Identity.Class) }),
		col("identity_kind", tLC, func(a *alertRow) string { return string(a.f.Unmapped.AITDR.Identity.Kind) }),
		col("identity_owner", tString, func(a *alertRow) string { return a.f.Unmapped.AITDR.Identity.Owner }),
		col("identity_team", tLC, func(a *alertRow) string { return a.f.Unmapped.AITDR.Identity.Team }),
		col("identity_account_type", tLC, func(a *alertRow) string { return string(a.f.Unmapped.AITDR.Identity.AccountType) }),
		col("correlation_id", tString, func(a *alertRow) string { return a.f.Metadata.CorrelationUID }),
		col("atlas_techniques", tLCArray, func(a *alertRow) []string { return orEmpty(a.f.Unmapped.AITDR.ATLASTechniques) }),
		col("attack_techniques", tLCArray, func(a *alertRow) []string { return attackTechniques(&a.f) }),
		col("tactics", tLCArray, func(a *alertRow) []string { return tactics(&a.f) }),
		col("evidence_event_ids", tStrArray, func(a *alertRow) []string { return orEmpty(a.f.Unmapped.AITDR.EvidenceEventIDs) }),
		col("data_sources", tLCArray, func(a *alertRow) []string { return orEmpty(a.f.FindingInfo.DataSources) }),
		col("resources", tStrArray, func(a *alertRow) []string {
			return mapSlice(a.f.Resources, func(r ocsf.Resource) string { return r.UID })
		}),
		col("cloud_provider", tLC, func(a *alertRow) string { return a.f.Cloud.Provider }),
		col("cloud_region", tLC, func(a *alertRow) string { return a.f.Cloud.Region }),
		col("cloud_account", tLC, func(a *alertRow) string { return a.f.Cloud.Account.UID }),
		col("baselines.feature", tLCArray, func(a *alertRow) []string {
			return mapSlice(a.f.Unmapped.AITDR.Baselines, func(b ocsf.BaselineBreak) string { return b.Feature })
		}),
		col("baselines.observed", "Array(Float64)", func(a *alertRow) []float64 {
			return mapSlice(a.f.Unmapped.AITDR.Baselines, func(b ocsf.BaselineBreak) float64 { return b.Observed })
		}),
		col("baselines.baseline", "Array(Float64)", func(a *alertRow) []float64 {
			return mapSlice(a.f.Unmapped.AITDR.Baselines, func(b ocsf.BaselineBreak) float64 { return b.Baseline })
		}),
		col("baselines.ratio", "Array(Float64)", func(a *alertRow) []float64 {
			return mapSlice(a.f.Unmapped.AITDR.Baselines, func(b ocsf.BaselineBreak) float64 { return b.Ratio })
		}),
		col("response.action", tLCArray, func(a *alertRow) []string {
			return mapSlice(a.f.Unmapped.AITDR.Response, func(r ocsf.ResponseAction) string { return string(r.Action) })
		}),
		col("response.target", tStrArray, func(a *alertRow) []string {
			return mapSlice(a.f.Unmapped.AITDR.Response, func(r ocsf.ResponseAction) string { return r.Target })
		}),
		col("response.status", tLCArray, func(a *alertRow) []string {
			return mapSlice(a.f.Unmapped.AITDR.Response, func(r ocsf.ResponseAction) string { return string(r.Status) })
		}),
		col("response.time", tTimeArr, func(a *alertRow) []time.Time {
			return mapSlice(a.f.Unmapped.AITDR.Response, func(r ocsf.ResponseAction) time.Time { return ts(millis(r.Time)) })
		}),
		col("response.detail", tStrArray, func(a *alertRow) []string {
			return mapSlice(a.f.Unmapped.AITDR.Response, func(r ocsf.ResponseAction) string { return r.Detail })
		}),
		col("remediation", tString, func(a *alertRow) string { return a.f.Remediation.Desc }),
		col("finding", tString, func(a *alertRow) string { return a.json }),
	},
}

// checkAlert returns why a cannot be stored, or nil.
func checkAlert(a *alertRow) error {
	var errs []error
	if a.f.FindingInfo.UID == "" {
		errs = append(errs, errors.New("finding_info.uid is missing"))
	}
	if a.f.Time <= 0 {
		errs = append(errs, fmt.Errorf("time %d is missing or negative", a.f.Time))
	}
	errs = append(errs,
		checkTime("time", millis(a.f.Time)),
		checkTime("finding_info.created_time", millis(a.f.FindingInfo.CreatedTime)),
		checkTime("start_time", millis(a.f.StartTime)),
		checkTime("end_time", millis(a.f.EndTime)),
	)
	for i, r := range a.f.Unmapped.AITDR.Response {
		errs = append(errs, checkTime(fmt.Sprintf("unmapped.aitdr.response[%d].time", i), millis(r.Time)))
	}
	return errors.Join(errs...)
}

// attackTechniques returns the MITRE ATT&CK technique ids of f: those of its
// attacks that are not ATLAS ids (AML.*), once each.
func attackTechniques(f *ocsf.DetectionFinding) []string {
	out := []string{}
	for _, a := range f.FindingInfo.Attacks {
		if id := a.Technique.UID; id != "" && !strings.HasPrefix(id, "AML.") && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// tactics returns the tactic ids of f's attacks, once each.
func tactics(f *ocsf.DetectionFinding) []string {
	out := []string{}
	for _, a := range f.FindingInfo.Attacks {
		if id := a.Tactic.UID; id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func clampUint8(n int) uint8 { return uint8(min(max(n, 0), 255)) }
