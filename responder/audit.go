package responder

import (
	"context"
	"errors"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

// AuditSink stores what the responder decided and did for analysts: a
// row version per action status change, the time to respond per contained
// alert, and the analysts' dispositions. Each write carries a token; a
// write retried with the same token is stored once. The responder runs
// without one (nil): its key-value store keeps the trail and the
// aitdr.actions.* subjects carry it.
type AuditSink interface {
	// WriteActions stores versions of response_actions rows.
	WriteActions(ctx context.Context, token string, rows []chschema.ResponseAction) error
	// WriteResponseTimes stores response_times rows.
	WriteResponseTimes(ctx context.Context, token string, rows []chschema.ResponseTime) error
	// WriteDispositions stores alert_dispositions rows.
	WriteDispositions(ctx context.Context, token string, rows []chschema.AlertDisposition) error
}

// ErrNoAudit is returned for dispositions when no AuditSink is configured:
// analysts' verdicts live in ClickHouse.
var ErrNoAudit = errors.New("no ClickHouse configured: dispositions are stored in ClickHouse")

// ClickHouseAudit is the AuditSink of a ClickHouse database migrated by
// schemas/clickhouse. It is safe for concurrent use.
type ClickHouseAudit struct {
	conn driver.Conn
	db   string
}

var _ AuditSink = (*ClickHouseAudit)(nil)

// NewClickHouseAudit returns the sink writing to database over conn
// (chschema.DefaultDatabase when database is empty).
func NewClickHouseAudit(conn driver.Conn, database string) *ClickHouseAudit {
	if database == "" {
		database = chschema.DefaultDatabase
	}
	return &ClickHouseAudit{conn: conn, db: database}
}

// WriteActions implements AuditSink.
func (c *ClickHouseAudit) WriteActions(ctx context.Context, token string, rows []chschema.ResponseAction) error {
	return chschema.Insert(ctx, c.conn, c.db, token, rows)
}

// WriteResponseTimes implements AuditSink.
func (c *ClickHouseAudit) WriteResponseTimes(ctx context.Context, token string, rows []chschema.ResponseTime) error {
	return chschema.Insert(ctx, c.conn, c.db, token, rows)
}

// WriteDispositions implements AuditSink.
func (c *ClickHouseAudit) WriteDispositions(ctx context.Context, token string, rows []chschema.AlertDisposition) error {
	return chschema.Insert(ctx, c.conn, c.db, token, rows)
}

// LookupAlert returns the rule and identity of an alert the sink stored in
// the alerts table, for alerts the responder never saw; ErrNotFound when
// the table does not hold it.
func (c *ClickHouseAudit) LookupAlert(ctx context.Context, alertID string) (ruleID, identityID string, err error) {
	rows, err := c.conn.Query(ctx, "SELECT rule_id, identity_id FROM "+c.db+".alerts FINAL WHERE alert_id = ? LIMIT 1", alertID)
	if err != nil {
		return "", "", fmt.Errorf("look up alert %s: %w", alertID, err)
	}
	defer func() { _ = rows.Close() }()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return "", "", fmt.Errorf("look up alert %s: %w", alertID, err)
		}
		return "", "", fmt.Errorf("alert %s in %s.alerts: %w", alertID, c.db, ErrNotFound)
	}
	if err := rows.Scan(&ruleID, &identityID); err != nil {
		return "", "", fmt.Errorf("look up alert %s: %w", alertID, err)
	}
	return ruleID, identityID, nil
}

// actionRow is the response_actions row version of transition i of a.
func actionRow(a *Action, i int) chschema.ResponseAction {
	tr := a.History[i]
	row := chschema.ResponseAction{
		ActionID:    a.ID,
		AlertID:     a.AlertID,
		IdentityID:  a.Principal.ID,
		Connector:   a.Connector,
		Action:      string(a.Kind),
		Target:      firstOf(a.Principal.ID, a.Principal.NativeID),
		Status:      string(tr.Status),
		DryRun:      a.DryRun,
		RequestedAt: a.RequestedAt,
		Error:       tr.Error,
		RollbackOf:  a.RollbackOf,
		Approver:    a.Approver,
		UpdatedAt:   tr.At,
	}
	if tr.Status == StatusSucceeded || tr.Status == StatusFailed {
		row.CompletedAt = tr.At
		row.DurationMS = tr.At.Sub(a.RequestedAt).Milliseconds()
	}
	if tr.Status == StatusPending || tr.Status == StatusSkipped || tr.Status == StatusRecommended {
		row.Error = tr.Reason
	}
	return row
}

// responseTimeRow is the response_times row of a contained alert.
func responseTimeRow(r *AlertRecord) chschema.ResponseTime {
	return chschema.ResponseTime{
		AlertID:         r.ID,
		RuleID:          r.RuleID,
		IdentityID:      r.IdentityID,
		IdentityClass:   string(r.Class),
		Severity:        r.Severity,
		Playbook:        r.Playbook,
		DryRun:          r.ContainmentDryRun,
		Approved:        r.ContainmentApproved,
		FirstEvidenceAt: r.FirstEvidence,
		AlertAt:         firstTime(r.Created, r.ReceivedAt),
		ContainedAt:     r.ContainedAt,
		TimeToRespondMS: r.TimeToRespond.Milliseconds(),
		Actions:         int64(r.ContainmentSteps),
		UpdatedAt:       r.ContainedAt,
	}
}
