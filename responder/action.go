package responder

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// ActionStatus is where an action stands. Every change is a Transition in
// the action's history, written to the audit and published on
// aitdr.actions.<status>.
type ActionStatus string

// Action statuses.
const (
	// StatusPlanned: the playbook step will run without a human.
	StatusPlanned ActionStatus = "planned"
	// StatusPending: the step waits for a human's approval (class policy,
	// playbook, blast-radius limit, unknown identity, stale alert).
	StatusPending ActionStatus = "pending"
	// StatusApproved: a human approved it; it runs next.
	StatusApproved ActionStatus = "approved"
	// StatusDenied: a human denied it, or resolved its alert as a false
	// positive or benign. Final.
	StatusDenied ActionStatus = "denied"
	// StatusRunning: a responder is running it (kept in the store only).
	StatusRunning ActionStatus = "running"
	// StatusSucceeded: the connector confirmed it (or, in a dry run,
	// reported what it would do). Final unless rolled back.
	StatusSucceeded ActionStatus = "succeeded"
	// StatusFailed: the connector refused it, or retries ran out. Final.
	StatusFailed ActionStatus = "failed"
	// StatusSkipped: the identity is protected; nothing was done. Final.
	StatusSkipped ActionStatus = "skipped"
	// StatusRecommended: no configured connector can run it; it is
	// proposed to the SOC. Final.
	StatusRecommended ActionStatus = "recommended"
	// StatusRolledBack: a rollback undid it. Final.
	StatusRolledBack ActionStatus = "rolled_back"
)

// Final reports whether s is an end state no responder moves on from
// (rolled back aside).
func (s ActionStatus) Final() bool {
	switch s {
	case StatusDenied, StatusSucceeded, StatusFailed, StatusSkipped, StatusRecommended, StatusRolledBack:
		return true
	}
	return false
}

// Transition is one change of an action's status.
type Transition struct {
	// Status is the status reached.
	Status ActionStatus `json:"status"`
	// At is when.
	At time.Time `json:"at"`
	// By is who decided: "responder", or the analyst who approved, denied
	// or asked for a rollback.
	By string `json:"by,omitempty"`
	// Reason says why, such as the policy that made a step wait.
	Reason string `json:"reason,omitempty"`
	// Error is the error of a failure, with the provider's code.
	Error string `json:"error,omitempty"`
}

// Action is one playbook step for one alert, as the responder keeps it in
// the JetStream key-value store: the idempotency record of the step (its
// ID derives from the alert id, the playbook and the step) and its audit
// trail. It is also the body of the aitdr.actions.* messages.
type Action struct {
	// ID is the action id, the connector's idempotency key.
	ID string `json:"id"`
	// AlertID is the alert the action answers.
	AlertID string `json:"alert_id"`
	// RuleID is the rule that raised the alert.
	RuleID string `json:"rule_id,omitempty"`
	// Severity is the alert's severity.
	Severity string `json:"severity,omitempty"`
	// Class is the identity's class.
	Class schemas.IdentityClass `json:"class,omitzero"`
	// Playbook and Step name the playbook step; Index is its place.
	Playbook string `json:"playbook,omitempty"`
	Step     string `json:"step,omitempty"`
	Index    int    `json:"index"`
	// Connector runs the action.
	Connector string `json:"connector"`
	// Kind is the containment step.
	Kind ActionKind `json:"kind"`
	// Principal is what it is done to.
	Principal Principal `json:"principal"`
	// Tenant is the principal's provider account, for the blast-radius
	// limit per tenant.
	Tenant string `json:"tenant,omitempty"`
	// Params are the step's parameters.
	Params map[string]string `json:"params,omitempty"`
	// DryRun asks the connector to change nothing.
	DryRun bool `json:"dry_run,omitempty"`
	// Timeout bounds one attempt; Retries are the retries on retryable
	// provider errors.
	Timeout time.Duration `json:"timeout"`
	Retries int           `json:"retries"`
	// Status is the current status; Reason why it is pending, skipped or
	// recommended ("" in the other statuses; History keeps every reason).
	Status ActionStatus `json:"status"`
	Reason string       `json:"reason,omitempty"`
	// Attempts counts the connector calls.
	Attempts int `json:"attempts,omitempty"`
	// RequestedAt is when the action was planned.
	RequestedAt time.Time `json:"requested_at"`
	// StartedAt is when it first ran; CompletedAt when it succeeded or
	// failed.
	StartedAt   time.Time `json:"started_at,omitzero"`
	CompletedAt time.Time `json:"completed_at,omitzero"`
	// LeaseUntil is until when the responder running it owns it; after
	// that another may take it over (the connector call is idempotent).
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	// ProviderTime is the time spent in connector calls.
	ProviderTime time.Duration `json:"provider_time,omitempty"`
	// AlertPublishedAt is when the alert reached the alert stream, the
	// start of the alert-to-action latency.
	AlertPublishedAt time.Time `json:"alert_published_at,omitzero"`
	// Changes are what the connector changed (or would have).
	Changes []string `json:"changes,omitempty"`
	// Error and ErrorCode are the last failure and the provider's code.
	Error     string `json:"error,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
	// Undo is the request that rolls the action back, when the connector
	// returned one.
	Undo *Request `json:"undo,omitempty"`
	// RollbackOf is the action this one undoes; RolledBackBy the rollback
	// action that undid this one.
	RollbackOf   string `json:"rollback_of,omitempty"`
	RolledBackBy string `json:"rolled_back_by,omitempty"`
	// Approver is who approved (or denied) it; Note their note.
	Approver string `json:"approver,omitempty"`
	Note     string `json:"note,omitempty"`
	// History is every status change, oldest first.
	History []Transition `json:"history"`
	// Emitted counts the transitions already written to the audit and
	// published.
	Emitted int `json:"emitted"`
}

// transition moves a to status at t, by whom and why.
func (a *Action) transition(status ActionStatus, at time.Time, by, reason, errText string) {
	a.Status = status
	a.Reason = ""
	if status == StatusPending || status == StatusSkipped || status == StatusRecommended {
		a.Reason = reason
	}
	a.History = append(a.History, Transition{Status: status, At: at, By: by, Reason: reason, Error: errText})
}

// request is the connector request of a.
func (a *Action) request(alert []byte) Request {
	return Request{
		ActionID:  a.ID,
		AlertID:   a.AlertID,
		Kind:      a.Kind,
		Principal: a.Principal,
		Params:    a.Params,
		DryRun:    a.DryRun,
		Rollback:  a.RollbackOf != "",
		Alert:     alert,
	}
}

// clone returns a deep enough copy of a for a read-modify-write.
func (a *Action) clone() *Action {
	c := *a
	c.History = slices.Clone(a.History)
	c.Changes = slices.Clone(a.Changes)
	return &c
}

// ActionID returns the id of step of playbook for alert: a hex SHA-256
// prefix, the same on every delivery of the alert.
func ActionID(alertID, playbook, step string) string {
	h := sha256.New()
	for _, s := range []string{alertID, playbook, step} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// rollbackID returns the id of the rollback of action id.
func rollbackID(id string) string { return ActionID(id, "", "rollback") }

// AlertRecord is what the responder keeps per alert: the plan it made (so
// that a redelivery after a playbook reload runs the same steps), the
// containment outcome and time to respond, and the analyst's disposition.
type AlertRecord struct {
	// ID is the alert id.
	ID string `json:"id"`
	// RuleID, RuleTitle, Severity and Class describe the alert.
	RuleID    string                `json:"rule_id,omitempty"`
	RuleTitle string                `json:"rule_title,omitempty"`
	Severity  string                `json:"severity,omitempty"`
	Class     schemas.IdentityClass `json:"class,omitzero"`
	// IdentityID is the identity the alert is about; Owner its owner.
	IdentityID string `json:"identity_id,omitempty"`
	Owner      string `json:"owner,omitempty"`
	// Unresolved says why the identity could not be resolved.
	Unresolved string `json:"unresolved,omitempty"`
	// Playbook is the playbook chosen ("" when none matched) and
	// PlaybookReason why.
	Playbook       string `json:"playbook,omitempty"`
	PlaybookReason string `json:"playbook_reason,omitempty"`
	// Created is the alert's creation time; FirstEvidence the event time
	// of its earliest evidence; PublishedAt when it reached the stream;
	// ReceivedAt when the responder first read it.
	Created       time.Time `json:"created"`
	FirstEvidence time.Time `json:"first_evidence"`
	PublishedAt   time.Time `json:"published_at,omitzero"`
	ReceivedAt    time.Time `json:"received_at"`
	// SourceIPs and Models are from the evidence, for exception proposals.
	SourceIPs []string `json:"source_ips,omitempty"`
	Models    []string `json:"models,omitempty"`
	// Plan are the actions as planned, in step order.
	Plan []Action `json:"plan"`
	// Rollbacks are the ids of rollback actions asked for later.
	Rollbacks []string `json:"rollbacks,omitempty"`
	// Contained is true once every containment step ended and at least
	// one succeeded with none failed; ContainedAt when the last one
	// succeeded; TimeToRespond from FirstEvidence to ContainedAt.
	Contained     bool          `json:"contained,omitempty"`
	ContainedAt   time.Time     `json:"contained_at,omitzero"`
	TimeToRespond time.Duration `json:"time_to_respond,omitempty"`
	// ContainmentDryRun is true when the containment was a dry run;
	// ContainmentApproved when a step of it waited for approval;
	// ContainmentSteps the steps that succeeded.
	ContainmentDryRun   bool `json:"containment_dry_run,omitempty"`
	ContainmentApproved bool `json:"containment_approved,omitempty"`
	ContainmentSteps    int  `json:"containment_steps,omitempty"`
	// ResponseTimeEmitted is true once the time to respond is in the audit.
	ResponseTimeEmitted bool `json:"response_time_emitted,omitempty"`
	// Disposition is the analyst's verdict; Analyst, Note and
	// DispositionAt go with it; Resolved is true after resolve (false
	// after ack).
	Disposition   string    `json:"disposition,omitempty"`
	Analyst       string    `json:"analyst,omitempty"`
	Note          string    `json:"note,omitempty"`
	DispositionAt time.Time `json:"disposition_at,omitzero"`
	Resolved      bool      `json:"resolved,omitempty"`
	// Finding is the alert as published.
	Finding json.RawMessage `json:"finding,omitempty"`
}

// actionIDs returns the ids of the planned actions and the rollbacks.
func (r *AlertRecord) actionIDs() []string {
	ids := make([]string, 0, len(r.Plan)+len(r.Rollbacks))
	for i := range r.Plan {
		ids = append(ids, r.Plan[i].ID)
	}
	return append(ids, r.Rollbacks...)
}
