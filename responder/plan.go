package responder

import (
	"fmt"
	"time"
)

// EscalationStep is the id of the notify step the planner adds when a
// containment step waits for a human and the playbook notifies no one.
const EscalationStep = "escalate"

// Planner turns an alert into a plan: the playbook it selects and, for
// each step, whether it runs now (planned), waits for a human (pending),
// is never done (skipped: protected identity) or cannot be done here
// (recommended: no connector). It holds no state of its own and is safe
// for concurrent use.
type Planner struct {
	// Playbooks are the playbooks to select from.
	Playbooks *PlaybookSet
	// Policy decides which containment steps run without approval.
	Policy Policy
	// Protected lists the identities never touched.
	Protected Protected
	// Registry holds the connectors steps can run on.
	Registry *Registry
	// DryRun makes every containment step a dry run.
	DryRun bool
	// MaxAlertAge makes containment of an older alert wait for approval;
	// zero leaves it off.
	MaxAlertAge time.Duration
	// NotifyConnector runs notify steps that name no connector.
	NotifyConnector string
	// StepTimeout and StepRetries apply to steps that set none.
	StepTimeout time.Duration
	StepRetries int
}

// Plan selects the playbook for a and decides each of its steps at now.
// The plan is what the responder stores before acting: a redelivery of the
// alert runs the same plan even after the playbooks changed.
func (p *Planner) Plan(a *Alert, now time.Time) *AlertRecord {
	rec := &AlertRecord{
		ID: a.ID, RuleID: a.RuleID, RuleTitle: a.RuleTitle, Severity: a.Severity.String(), Class: a.Class,
		IdentityID: a.Principal.ID, Owner: a.Owner, Unresolved: a.Unresolved,
		Created: a.Created, FirstEvidence: a.FirstEvidence, ReceivedAt: now,
		SourceIPs: a.SourceIPs, Models: a.Models, Finding: a.Raw,
	}
	pb, why := p.Playbooks.Select(a)
	rec.PlaybookReason = why
	if pb == nil {
		return rec
	}
	rec.Playbook = pb.ID
	waiting, notifies := false, false
	for i, st := range pb.Steps {
		act := p.action(a, pb.ID, st.ID, i, st.Action, st.Connector, st.Params, now)
		if st.Timeout > 0 {
			act.Timeout = st.Timeout
		}
		if st.Retries >= 0 {
			act.Retries = st.Retries
		}
		status, reason := p.decide(a, &act, st.ApprovalRequired, now)
		if act.Kind.Contains() {
			act.DryRun = p.DryRun || pb.DryRun
		}
		act.transition(status, now, "responder", reason, "")
		waiting = waiting || status == StatusPending
		notifies = notifies || act.Kind == ActionNotify
		rec.Plan = append(rec.Plan, act)
	}
	if waiting && !notifies {
		reason := "containment waits for approval"
		if a.Unresolved != "" {
			reason = "unknown identity: " + a.Unresolved
		}
		act := p.action(a, pb.ID, EscalationStep, len(pb.Steps), ActionNotify, "", map[string]string{"to": "soc", "reason": reason}, now)
		status, why := p.decide(a, &act, false, now)
		act.transition(status, now, "responder", why, "")
		rec.Plan = append(rec.Plan, act)
	}
	return rec
}

func (p *Planner) action(a *Alert, playbook, step string, index int, kind ActionKind, connector string, params map[string]string, now time.Time) Action {
	if connector == "" {
		connector = a.Principal.Provider
		if kind == ActionNotify {
			connector = p.NotifyConnector
		}
	}
	return Action{
		ID: ActionID(a.ID, playbook, step), AlertID: a.ID, RuleID: a.RuleID, Severity: a.Severity.String(),
		Class: a.Class, Playbook: playbook, Step: step, Index: index, Connector: connector, Kind: kind,
		Principal: a.Principal, Tenant: a.Tenant, Params: params, Timeout: p.StepTimeout, Retries: p.StepRetries,
		RequestedAt: now,
	}
}

// decide returns the first status of act and why.
func (p *Planner) decide(a *Alert, act *Action, approvalRequired bool, now time.Time) (ActionStatus, string) {
	if act.Kind.Contains() {
		if pattern := p.Protected.Match(a.Principal); pattern != "" {
			return StatusSkipped, fmt.Sprintf("protected identity (matches %q): never touched", pattern)
		}
		if a.Unresolved != "" {
			return StatusPending, "unknown identity, escalated to a human: " + a.Unresolved
		}
	}
	c, ok := p.Registry.Lookup(act.Connector)
	switch {
	case act.Connector == "":
		return StatusRecommended, "no connector named for " + string(act.Kind)
	case !ok:
		return StatusRecommended, fmt.Sprintf("connector %q is not configured", act.Connector)
	case !c.Supports(act.Kind):
		return StatusRecommended, fmt.Sprintf("connector %q does not support %s", act.Connector, act.Kind)
	}
	if !act.Kind.Contains() {
		return StatusPlanned, ""
	}
	switch {
	case approvalRequired:
		return StatusPending, "playbook step requires approval"
	case !p.Policy.Automatic(a.Class, a.Severity):
		return StatusPending, p.Policy.describe(a.Class)
	case p.MaxAlertAge > 0 && now.Sub(a.Created) > p.MaxAlertAge:
		return StatusPending, fmt.Sprintf("alert is %s old, older than max_alert_age %s", now.Sub(a.Created).Round(time.Second), p.MaxAlertAge)
	}
	return StatusPlanned, ""
}
