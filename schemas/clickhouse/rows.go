package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// The tables other stages write: their rows as Go structs and Insert. Every
// column is documented by its COMMENT in the migrations.

// ResponseAction is one version of a row of response_actions: a containment
// action the responder requested or ran. Write a new version (a later
// UpdatedAt) when its status changes.
type ResponseAction struct {
	ActionID    string
	AlertID     string
	IdentityID  string
	Connector   string
	Action      string
	Target      string
	Status      string
	DryRun      bool
	RequestedAt time.Time
	// CompletedAt is zero while the action is pending.
	CompletedAt time.Time
	DurationMS  int64
	Error       string
	RollbackOf  string
	Approver    string
	UpdatedAt   time.Time
}

// PermissionGrant is a row of permission_grants: one permission an identity
// holds in a policy snapshot.
type PermissionGrant struct {
	SnapshotTime time.Time
	IdentityID   string
	Provider     string
	// Permission is service:action, such as bedrock:InvokeModel.
	Permission string
	Resource   string
	GrantedVia string
	Policy     string
	// Scope is what the snapshot covers, such as aws:123456789012.
	Scope string
	// GrantedAs is the pattern as the policy writes it, when it differs.
	GrantedAs string
	// Condition is the grant's condition, or "".
	Condition   string
	AccessLevel string
	// Sensitive is the permission's sensitive class, or "".
	Sensitive string
}

// BaselineSnapshot is a row of baseline_snapshots: one measure of an
// identity's baseline at a time.
type BaselineSnapshot struct {
	IdentityID   string
	SnapshotTime time.Time
	PeerGroup    string
	Learning     bool
	Metric       string
	Horizon      string
	Mean         float64
	Variance     float64
	Samples      int64
	// HourOfWeek is the activity share per hour of the week, 168 values
	// from Monday 00:00 UTC, or empty.
	HourOfWeek []float32
}

// AlertDisposition is a row of alert_dispositions: an analyst's verdict on
// an alert; the latest per alert wins.
type AlertDisposition struct {
	AlertID string
	// Disposition is true_positive, false_positive or benign.
	Disposition string
	Analyst     string
	Note        string
	Time        time.Time
}

// ResponseTime is one version of a row of response_times: the responder's
// time to respond to one alert, from its first evidence event to
// containment done.
type ResponseTime struct {
	AlertID         string
	RuleID          string
	IdentityID      string
	IdentityClass   string
	Severity        string
	Playbook        string
	DryRun          bool
	Approved        bool
	FirstEvidenceAt time.Time
	AlertAt         time.Time
	ContainedAt     time.Time
	TimeToRespondMS int64
	Actions         int64
	UpdatedAt       time.Time
}

// RightsizeIdentity is a row of rightsize_identities: one identity's
// granted against used permissions in one rightsizing run.
type RightsizeIdentity struct {
	RunTime          time.Time
	IdentityID       string
	Provider         string
	Class            string
	Priority         int64
	Granted          int64
	Used             int64
	Unused           int64
	UnusedShare      float64
	SensitiveGranted int64
	SensitiveUnused  int64
	Removable        int64
	UsedNotGranted   int64
	Events           int64
	ObservedDays     float64
	WindowStart      time.Time
	Trusted          bool
	UntrustedReason  string
	Recommendation   string
}

// RightsizePermission is a row of rightsize_permissions: one permission of
// one identity in one rightsizing run.
type RightsizePermission struct {
	RunTime          time.Time
	IdentityID       string
	Provider         string
	Permission       string
	Granted          bool
	Used             bool
	Uses             int64
	LastUsed         time.Time // zero when unused
	Sensitive        string
	AccessLevel      string
	Kept             bool
	GrantedResources []string
	UsedResources    []string
	GrantedVia       []string
	Policies         []string
}

// Dispositions an analyst gives an alert.
const (
	DispositionTruePositive  = "true_positive"
	DispositionFalsePositive = "false_positive"
	DispositionBenign        = "benign"
)

var responseActionsTable = &table[ResponseAction]{
	name: "response_actions",
	check: func(r *ResponseAction) error {
		var errs []error
		if r.ActionID == "" {
			errs = append(errs, errors.New("action id is missing"))
		}
		return errors.Join(append(errs,
			checkRequiredTime("requested_at", r.RequestedAt),
			checkTime("completed_at", r.CompletedAt),
			checkRequiredTime("updated_at", r.UpdatedAt))...)
	},
	columns: []column[ResponseAction]{
		col("action_id", tString, func(r *ResponseAction) string { return r.ActionID }),
		col("alert_id", tString, func(r *ResponseAction) string { return r.AlertID }),
		col("identity_id", tString, func(r *ResponseAction) string { return r.IdentityID }),
		col("connector", tLC, func(r *ResponseAction) string { return r.Connector }),
		col("action", tLC, func(r *ResponseAction) string { return r.Action }),
		col("target", tString, func(r *ResponseAction) string { return r.Target }),
		col("status", tLC, func(r *ResponseAction) string { return r.Status }),
		col("dry_run", tBool, func(r *ResponseAction) bool { return r.DryRun }),
		col("requested_at", tTime, func(r *ResponseAction) time.Time { return r.RequestedAt }),
		col("completed_at", tTime, func(r *ResponseAction) time.Time { return ts(r.CompletedAt) }),
		col("duration_ms", tInt64, func(r *ResponseAction) int64 { return r.DurationMS }),
		col("error", tString, func(r *ResponseAction) string { return r.Error }),
		col("rollback_of", tString, func(r *ResponseAction) string { return r.RollbackOf }),
		col("approver", tString, func(r *ResponseAction) string { return r.Approver }),
		col("updated_at", tTime, func(r *ResponseAction) time.Time { return r.UpdatedAt }),
	},
}

var permissionGrantsTable = &table[PermissionGrant]{
	name: "permission_grants",
	check: func(r *PermissionGrant) error {
		var errs []error
		if r.IdentityID == "" || r.Permission == "" {
			errs = append(errs, errors.New("identity id and permission are required"))
		}
		return errors.Join(append(errs, checkRequiredTime("snapshot_time", r.SnapshotTime))...)
	},
	columns: []column[PermissionGrant]{
		col("snapshot_time", tTime, func(r *PermissionGrant) time.Time { return r.SnapshotTime }),
		col("identity_id", tString, func(r *PermissionGrant) string { return r.IdentityID }),
		col("provider", tLC, func(r *PermissionGrant) string { return r.Provider }),
		col("permission", tString, func(r *PermissionGrant) string { return r.Permission }),
		col("resource", tString, func(r *PermissionGrant) string { return r.Resource }),
		col("granted_via", tString, func(r *PermissionGrant) string { return r.GrantedVia }),
		col("policy", tString, func(r *PermissionGrant) string { return r.Policy }),
		col("scope", tLC, func(r *PermissionGrant) string { return r.Scope }),
		col("granted_as", tString, func(r *PermissionGrant) string { return r.GrantedAs }),
		col("grant_condition", tString, func(r *PermissionGrant) string { return r.Condition }),
		col("access_level", tLC, func(r *PermissionGrant) string { return r.AccessLevel }),
		col("sensitive", tLC, func(r *PermissionGrant) string { return r.Sensitive }),
	},
}

var baselineSnapshotsTable = &table[BaselineSnapshot]{
	name: "baseline_snapshots",
	check: func(r *BaselineSnapshot) error {
		var errs []error
		if r.IdentityID == "" || r.Metric == "" {
			errs = append(errs, errors.New("identity id and metric are required"))
		}
		return errors.Join(append(errs, checkRequiredTime("snapshot_time", r.SnapshotTime))...)
	},
	columns: []column[BaselineSnapshot]{
		col("identity_id", tString, func(r *BaselineSnapshot) string { return r.IdentityID }),
		col("snapshot_time", tTime, func(r *BaselineSnapshot) time.Time { return r.SnapshotTime }),
		col("peer_group", tLC, func(r *BaselineSnapshot) string { return r.PeerGroup }),
		col("learning", tBool, func(r *BaselineSnapshot) bool { return r.Learning }),
		col("metric", tLC, func(r *BaselineSnapshot) string { return r.Metric }),
		col("horizon", tLC, func(r *BaselineSnapshot) string { return r.Horizon }),
		col("mean", "Float64", func(r *BaselineSnapshot) float64 { return r.Mean }),
		col("variance", "Float64", func(r *BaselineSnapshot) float64 { return r.Variance }),
		col("samples", tInt64, func(r *BaselineSnapshot) int64 { return r.Samples }),
		col("hour_of_week", "Array(Float32)", func(r *BaselineSnapshot) []float32 { return orEmpty(r.HourOfWeek) }),
	},
}

var alertDispositionsTable = &table[AlertDisposition]{
	name: "alert_dispositions",
	check: func(r *AlertDisposition) error {
		var errs []error
		if r.AlertID == "" {
			errs = append(errs, errors.New("alert id is missing"))
		}
		switch r.Disposition {
		case DispositionTruePositive, DispositionFalsePositive, DispositionBenign:
		default:
			errs = append(errs, fmt.Errorf("disposition %q is not %s, %s or %s",
				r.Disposition, DispositionTruePositive, DispositionFalsePositive, DispositionBenign))
		}
		return errors.Join(append(errs, checkRequiredTime("time", r.Time))...)
	},
	columns: []column[AlertDisposition]{
		col("alert_id", tString, func(r *AlertDisposition) string { return r.AlertID }),
		col("disposition", tLC, func(r *AlertDisposition) string { return r.Disposition }),
		col("analyst", tString, func(r *AlertDisposition) string { return r.Analyst }),
		col("note", tString, func(r *AlertDisposition) string { return r.Note }),
		col("time", tTime, func(r *AlertDisposition) time.Time { return r.Time }),
	},
}

var responseTimesTable = &table[ResponseTime]{
	name: "response_times",
	check: func(r *ResponseTime) error {
		var errs []error
		if r.AlertID == "" {
			errs = append(errs, errors.New("alert id is missing"))
		}
		return errors.Join(append(errs,
			checkTime("first_evidence_at", r.FirstEvidenceAt),
			checkRequiredTime("alert_at", r.AlertAt),
			checkRequiredTime("contained_at", r.ContainedAt),
			checkRequiredTime("updated_at", r.UpdatedAt))...)
	},
	columns: []column[ResponseTime]{
		col("alert_id", tString, func(r *ResponseTime) string { return r.AlertID }),
		col("rule_id", tLC, func(r *ResponseTime) string { return r.RuleID }),
		col("identity_id", tString, func(r *ResponseTime) string { return r.IdentityID }),
		col("identity_class", tLC, func(r *ResponseTime) string { return r.IdentityClass }),
		col("severity", tLC, func(r *ResponseTime) string { return r.Severity }),
		col("playbook", tLC, func(r *ResponseTime) string { return r.Playbook }),
		col("dry_run", tBool, func(r *ResponseTime) bool { return r.DryRun }),
		col("approved", tBool, func(r *ResponseTime) bool { return r.Approved }),
		col("first_evidence_at", tTime, func(r *ResponseTime) time.Time { return ts(r.FirstEvidenceAt) }),
		col("alert_at", tTime, func(r *ResponseTime) time.Time { return r.AlertAt }),
		col("contained_at", tTime, func(r *ResponseTime) time.Time { return r.ContainedAt }),
		col("time_to_respond_ms", tInt64, func(r *ResponseTime) int64 { return r.TimeToRespondMS }),
		col("actions", tInt64, func(r *ResponseTime) int64 { return r.Actions }),
		col("updated_at", tTime, func(r *ResponseTime) time.Time { return r.UpdatedAt }),
	},
}

var rightsizeIdentitiesTable = &table[RightsizeIdentity]{
	name: "rightsize_identities",
	check: func(r *RightsizeIdentity) error {
		var errs []error
		if r.IdentityID == "" {
			errs = append(errs, errors.New("identity id is missing"))
		}
		return errors.Join(append(errs, checkRequiredTime("run_time", r.RunTime), checkTime("window_start", r.WindowStart))...)
	},
	columns: []column[RightsizeIdentity]{
		col("run_time", tTime, func(r *RightsizeIdentity) time.Time { return r.RunTime }),
		col("identity_id", tString, func(r *RightsizeIdentity) string { return r.IdentityID }),
		col("provider", tLC, func(r *RightsizeIdentity) string { return r.Provider }),
		col("class", tLC, func(r *RightsizeIdentity) string { return r.Class }),
		col("priority", tInt64, func(r *RightsizeIdentity) int64 { return r.Priority }),
		col("granted", tInt64, func(r *RightsizeIdentity) int64 { return r.Granted }),
		col("used", tInt64, func(r *RightsizeIdentity) int64 { return r.Used }),
		col("unused", tInt64, func(r *RightsizeIdentity) int64 { return r.Unused }),
		col("unused_share", "Float64", func(r *RightsizeIdentity) float64 { return r.UnusedShare }),
		col("sensitive_granted", tInt64, func(r *RightsizeIdentity) int64 { return r.SensitiveGranted }),
		col("sensitive_unused", tInt64, func(r *RightsizeIdentity) int64 { return r.SensitiveUnused }),
		col("removable", tInt64, func(r *RightsizeIdentity) int64 { return r.Removable }),
		col("used_not_granted", tInt64, func(r *RightsizeIdentity) int64 { return r.UsedNotGranted }),
		col("events", tInt64, func(r *RightsizeIdentity) int64 { return r.Events }),
		col("observed_days", "Float64", func(r *RightsizeIdentity) float64 { return r.ObservedDays }),
		col("window_start", tTime, func(r *RightsizeIdentity) time.Time { return ts(r.WindowStart) }),
		col("trusted", tBool, func(r *RightsizeIdentity) bool { return r.Trusted }),
		col("untrusted_reason", tString, func(r *RightsizeIdentity) string { return r.UntrustedReason }),
		col("recommendation", tString, func(r *RightsizeIdentity) string { return r.Recommendation }),
	},
}

var rightsizePermissionsTable = &table[RightsizePermission]{
	name: "rightsize_permissions",
	check: func(r *RightsizePermission) error {
		var errs []error
		if r.IdentityID == "" || r.Permission == "" {
			errs = append(errs, errors.New("identity id and permission are required"))
		}
		return errors.Join(append(errs, checkRequiredTime("run_time", r.RunTime), checkTime("last_used", r.LastUsed))...)
	},
	columns: []column[RightsizePermission]{
		col("run_time", tTime, func(r *RightsizePermission) time.Time { return r.RunTime }),
		col("identity_id", tString, func(r *RightsizePermission) string { return r.IdentityID }),
		col("provider", tLC, func(r *RightsizePermission) string { return r.Provider }),
		col("permission", tString, func(r *RightsizePermission) string { return r.Permission }),
		col("granted", tBool, func(r *RightsizePermission) bool { return r.Granted }),
		col("used", tBool, func(r *RightsizePermission) bool { return r.Used }),
		col("uses", tInt64, func(r *RightsizePermission) int64 { return r.Uses }),
		col("last_used", tTime, func(r *RightsizePermission) time.Time { return ts(r.LastUsed) }),
		col("sensitive", tLC, func(r *RightsizePermission) string { return r.Sensitive }),
		col("access_level", tLC, func(r *RightsizePermission) string { return r.AccessLevel }),
		col("kept", tBool, func(r *RightsizePermission) bool { return r.Kept }),
		col("granted_resources", tStrArray, func(r *RightsizePermission) []string { return orEmpty(r.GrantedResources) }),
		col("used_resources", tStrArray, func(r *RightsizePermission) []string { return orEmpty(r.UsedResources) }),
		col("granted_via", tStrArray, func(r *RightsizePermission) []string { return orEmpty(r.GrantedVia) }),
		col("policies", tStrArray, func(r *RightsizePermission) []string { return orEmpty(r.Policies) }),
	},
}

// Row is a row type that Insert writes.
type Row interface {
	ResponseAction | PermissionGrant | BaselineSnapshot | AlertDisposition | ResponseTime |
		RightsizeIdentity | RightsizePermission
}

// tableOf returns the table of rows of type R.
func tableOf[R Row]() *table[R] {
	var t any
	switch any((*R)(nil)).(type) {
	case *ResponseAction:
		t = responseActionsTable
	case *PermissionGrant:
		t = permissionGrantsTable
	case *BaselineSnapshot:
		t = baselineSnapshotsTable
	case *AlertDisposition:
		t = alertDispositionsTable
	case *ResponseTime:
		t = responseTimesTable
	case *RightsizeIdentity:
		t = rightsizeIdentitiesTable
	case *RightsizePermission:
		t = rightsizePermissionsTable
	}
	return t.(*table[R])
}

// Insert writes rows into their table in db as one insert, once: ClickHouse
// drops an insert whose token it has seen among the table's recent inserts
// (an empty token deduplicates identical inserts by their data). Rows that
// cannot be stored (a missing id, a time DateTime64 cannot hold) fail the
// whole insert, naming the row. It makes one attempt; retrying with the
// same token is safe.
func Insert[R Row](ctx context.Context, conn driver.Conn, db, token string, rows []R) error {
	t := tableOf[R]()
	if len(rows) == 0 {
		return nil
	}
	p := newPending(t)
	for i := range rows {
		if err := p.batch.add(&rows[i], 0); err != nil {
			return fmt.Errorf("insert into %s.%s: row %d: %w", db, t.name, i, err)
		}
	}
	if err := p.insert(ctx, conn, db, token, 0, len(rows)); err != nil {
		return fmt.Errorf("insert %d rows into %s.%s: %w", len(rows), db, t.name, err)
	}
	return nil
}
