// Package feed is the responder's SOC feed: every alert and every
// containment action goes out, with its full context (the identity, its
// class and owner, the baseline it broke, the evidence events, the ATLAS
// techniques, the recommended containment and what was done), to the
// outputs a deployment configures: syslog (RFC 5424 with a CEF payload,
// over UDP, TCP or TLS), an HTTP event collector, a Slack-compatible chat
// webhook, e-mail over SMTP and a PagerDuty Events v2 style paging API.
//
// A Feed fans each Message out to one bounded queue per output; a worker
// per output sends with retries and backoff. What an output cannot take
// (its queue is full, its retries ran out, it refused the message) is
// counted and written to a spill file under the spill directory, replayed
// at start and periodically: nothing is dropped silently. Only a spill
// file over its size bound drops, and that is counted and logged.
package feed

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aitdr/aitdr/schemas/ocsf"
)

// Kind is what a Message reports.
type Kind string

// Message kinds.
const (
	// KindAlert is a new alert.
	KindAlert Kind = "alert"
	// KindAction is the outcome of containment steps of an alert.
	KindAction Kind = "action"
	// KindNotification is a notify step of a playbook: the alert again,
	// with a note, to the SOC or the identity's owner.
	KindNotification Kind = "notification"
)

// Message is one item of the feed: an OCSF alert and, for actions, the
// outcomes of its containment steps.
type Message struct {
	// ID identifies the message; outputs that deduplicate use it, and
	// paging uses the alert id as its dedup key.
	ID string `json:"id"`
	// Kind is alert, action or notification.
	Kind Kind `json:"kind"`
	// Time is when the message was made.
	Time time.Time `json:"time"`
	// Alert is the alert, as the rules stage published it.
	Alert *ocsf.DetectionFinding `json:"alert,omitempty"`
	// Actions are the containment steps the message reports.
	Actions []Action `json:"actions,omitempty"`
	// Note is a notification's text, such as why a human must decide.
	Note string `json:"note,omitempty"`
	// To are extra e-mail recipients of a notification (the owner).
	To []string `json:"to,omitempty"`
}

// Action is the outcome of one containment step.
type Action struct {
	// ID is the step's idempotency key.
	ID string `json:"id"`
	// Kind is the step, such as "revoke_sessions".
	Kind string `json:"kind"`
	// Connector ran (or would run) the step, such as "aws".
	Connector string `json:"connector,omitempty"`
	// Target is what the step acts on: the identity id.
	Target string `json:"target,omitempty"`
	// Status is where the step stands, in the responder's words:
	// planned, pending_approval, approved, denied, succeeded, failed,
	// rolled_back, skipped.
	Status string `json:"status"`
	// DryRun is true when the step only reported what it would do.
	DryRun bool `json:"dry_run,omitempty"`
	// Changes are the provider changes made or, in a dry run, planned.
	Changes []string `json:"changes,omitempty"`
	// Error is the provider's error of a failed step.
	Error string `json:"error,omitempty"`
	// Time is when the status was reached.
	Time time.Time `json:"time,omitzero"`
	// RollbackOf is the step this one undoes.
	RollbackOf string `json:"rollback_of,omitempty"`
}

// NewMessage returns the message of alert: KindAlert without actions, its
// id the alert id and its time the alert's; KindAction with actions, its
// id the alert id and each step's id and status, its time the latest
// step's.
func NewMessage(alert *ocsf.DetectionFinding, actions ...Action) Message {
	m := Message{Kind: KindAlert, Alert: alert, Actions: actions}
	if alert != nil {
		m.ID = alert.FindingInfo.UID
		m.Time = time.UnixMilli(alert.Time).UTC()
	}
	if len(actions) == 0 {
		return m
	}
	m.Kind = KindAction
	parts := []string{m.ID}
	for _, a := range actions {
		parts = append(parts, a.ID+":"+a.Status)
		if a.Time.After(m.Time) {
			m.Time = a.Time
		}
	}
	m.ID = strings.Join(parts, "/")
	return m
}

// alertID returns the alert's id, or "".
func (m *Message) alertID() string {
	if m.Alert == nil {
		return ""
	}
	return m.Alert.FindingInfo.UID
}

// severity returns the alert's severity id, raised to high for a failed
// containment step: a step that did not contain must reach a human.
func (m *Message) severity() ocsf.SeverityID {
	s := ocsf.SeverityUnknown
	if m.Alert != nil {
		s = m.Alert.SeverityID
	}
	for _, a := range m.Actions {
		if a.Status == "failed" && s < ocsf.SeverityHigh {
			s = ocsf.SeverityHigh
		}
	}
	return s
}

// view is the flat context every output renders.
type view struct {
	AlertID, Title, Summary, Desc        string
	Severity                             string
	RuleID, RuleName, RuleCategory       string
	IdentityID, Class, Kind, Owner, Team string
	AccountType, Name, Email             string
	Baselines                            []string
	Evidence                             []string
	EvidenceIDs                          []string
	SourceIP                             string
	ATLAS                                []string
	Recommended                          []string
	Done                                 []string
	Start, End                           time.Time
	Labels                               []string
}

// view builds the context of m.
func (m *Message) view() view {
	v := view{Severity: m.severity().String()}
	f := m.Alert
	if f == nil {
		f = &ocsf.DetectionFinding{}
	}
	ext := f.Unmapped.AITDR
	v.AlertID, v.Title, v.Desc = f.FindingInfo.UID, f.FindingInfo.Title, f.FindingInfo.Desc
	v.Summary = cmp.Or(f.Message, f.FindingInfo.Title)
	v.RuleID = cmp.Or(ext.Rule.ID, f.FindingInfo.Analytic.UID)
	v.RuleName, v.RuleCategory = f.FindingInfo.Analytic.Name, f.FindingInfo.Analytic.Category
	id := ext.Identity
	v.IdentityID, v.Class, v.Kind = cmp.Or(id.ID, f.Actor.User.UID), string(id.Class), string(id.Kind)
	v.Owner, v.Team, v.AccountType = id.Owner, id.Team, string(id.AccountType)
	v.Name, v.Email = f.Actor.User.Name, f.Actor.User.EmailAddr
	v.Labels = f.Metadata.Labels
	for _, b := range ext.Baselines {
		s := fmt.Sprintf("%s observed %s, baseline %s", b.Feature, num(b.Observed), num(b.Baseline))
		if b.Ratio != 0 {
			s += fmt.Sprintf(" (%sx)", num(b.Ratio))
		}
		v.Baselines = append(v.Baselines, s)
	}
	for _, e := range f.Evidences {
		s := strings.TrimSpace(e.Data.Time + " " + e.API.Operation)
		if e.API.Service.Name != "" {
			s += " on " + e.API.Service.Name
		}
		if e.SrcEndpoint.IP != "" {
			s += " from " + e.SrcEndpoint.IP
			if v.SourceIP == "" {
				v.SourceIP = e.SrcEndpoint.IP
			}
		}
		if e.Data.Model != "" {
			s += " model " + e.Data.Model
		}
		if e.Data.Outcome != "" {
			s += " (" + e.Data.Outcome + ")"
		}
		v.Evidence = append(v.Evidence, s+" ["+e.Data.EventID+"]")
	}
	v.EvidenceIDs = ext.EvidenceEventIDs
	for _, a := range f.FindingInfo.Attacks {
		if strings.HasPrefix(a.Technique.UID, "AML.") {
			v.ATLAS = append(v.ATLAS, strings.TrimSpace(a.Technique.UID+" "+a.Technique.Name))
		}
	}
	for _, t := range ext.ATLASTechniques {
		if !slices.ContainsFunc(v.ATLAS, func(s string) bool { return strings.HasPrefix(s, t) }) {
			v.ATLAS = append(v.ATLAS, t)
		}
	}
	if f.Remediation.Desc != "" {
		v.Recommended = append(v.Recommended, f.Remediation.Desc)
	}
	for _, r := range ext.Response {
		s := string(r.Action)
		if r.Target != "" {
			s += " " + r.Target
		}
		if r.Status == ocsf.ResponseRecommended {
			v.Recommended = append(v.Recommended, s)
			continue
		}
		s += ": " + string(r.Status)
		if r.Detail != "" {
			s += " (" + r.Detail + ")"
		}
		v.Done = append(v.Done, s)
	}
	for _, a := range m.Actions {
		v.Done = append(v.Done, a.text())
	}
	if f.StartTime != 0 {
		v.Start = time.UnixMilli(f.StartTime).UTC()
	}
	if f.EndTime != 0 {
		v.End = time.UnixMilli(f.EndTime).UTC()
	}
	return v
}

// text is one line about the step.
func (a Action) text() string {
	s := a.Kind
	if a.Connector != "" {
		s = a.Connector + " " + s
	}
	if a.Target != "" {
		s += " " + a.Target
	}
	s += ": " + a.Status
	if a.DryRun {
		s += " (dry run)"
	}
	if a.RollbackOf != "" {
		s += " (rollback of " + a.RollbackOf + ")"
	}
	if len(a.Changes) > 0 {
		s += " [" + strings.Join(a.Changes, "; ") + "]"
	}
	if a.Error != "" {
		s += " error: " + a.Error
	}
	return s
}

// headline is the one-line subject of m.
func (m *Message) headline(v view) string {
	switch m.Kind {
	case KindAction:
		var st []string
		for _, a := range m.Actions {
			st = append(st, a.Kind+" "+a.Status)
		}
		return fmt.Sprintf("%s: %s on %s", v.Severity, strings.Join(st, ", "), v.IdentityID)
	case KindNotification:
		return fmt.Sprintf("%s: %s (%s)", v.Severity, cmp.Or(m.Note, v.Title), v.IdentityID)
	}
	return fmt.Sprintf("%s: %s (%s)", v.Severity, v.Title, v.IdentityID)
}

// num formats a float without needless decimals.
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// Lines returns m's full context as labelled lines for humans: what chat,
// e-mail and paging outputs show.
func (m *Message) lines(v view) [][2]string {
	var out [][2]string
	add := func(label, value string) {
		if value != "" {
			out = append(out, [2]string{label, value})
		}
	}
	add("Alert", v.AlertID)
	add("Severity", v.Severity)
	add("Rule", strings.TrimSpace(v.RuleID+" "+paren(v.RuleName)))
	add("Identity", v.IdentityID)
	add("Class", v.Class)
	add("Owner", strings.TrimSpace(v.Owner+" "+paren(v.Team)))
	add("Account type", v.AccountType)
	add("Note", m.Note)
	add("Summary", v.Summary)
	add("Description", v.Desc)
	add("Baseline broken", strings.Join(v.Baselines, "\n"))
	add("ATLAS", strings.Join(v.ATLAS, ", "))
	add("Evidence", strings.Join(v.Evidence, "\n"))
	add("Recommended containment", strings.Join(v.Recommended, "\n"))
	add("Done", strings.Join(v.Done, "\n"))
	return out
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}
