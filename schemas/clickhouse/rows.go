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

// Row is a row type that Insert writes.
type Row interface {
	ResponseAction | PermissionGrant | BaselineSnapshot | AlertDisposition
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
