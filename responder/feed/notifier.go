package feed

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// NotifierName is the Notifier's connector name, the responder's default
// notify connector.
const NotifierName = "feed"

// Params of notify steps.
const (
	// ParamTo is "soc" (the default: the feed's outputs) or "owner" (the
	// same, with the owner's e-mail address added to e-mail outputs).
	ParamTo = "to"
	// ParamReason is the note of the notification.
	ParamReason = "reason"
)

// AlertLookup returns the alert of an id, for a notify step whose request
// does not carry the alert (Request.Alert).
type AlertLookup func(ctx context.Context, alertID string) (*ocsf.DetectionFinding, error)

// Notifier is the responder connector of notify steps: it publishes a
// notification message (the alert, the step's reason, the owner as a
// recipient) to a Feed. It is safe for concurrent use.
type Notifier struct {
	feed   *Feed
	lookup AlertLookup
	now    func() time.Time
}

var _ responder.Connector = (*Notifier)(nil)

// NewNotifier returns the notify connector over f; lookup finds the alert
// of a step (nil: the message carries the alert id only).
func NewNotifier(f *Feed, lookup AlertLookup) *Notifier {
	return &Notifier{feed: f, lookup: lookup, now: time.Now}
}

// Name returns "feed".
func (n *Notifier) Name() string { return NotifierName }

// Supports reports whether kind is notify.
func (n *Notifier) Supports(kind responder.ActionKind) bool { return kind == responder.ActionNotify }

// Do publishes the notification of req. A dry run publishes it too,
// marked as such: a notification changes nothing.
func (n *Notifier) Do(ctx context.Context, req responder.Request) (responder.Result, error) {
	if req.Kind != responder.ActionNotify || req.Rollback {
		return responder.Result{}, fmt.Errorf("feed: step %q (rollback %v): %w", req.Kind, req.Rollback, errors.ErrUnsupported)
	}
	to := cmp.Or(req.Params[ParamTo], "soc")
	if to != "soc" && to != "owner" {
		return responder.Result{}, fmt.Errorf("feed notify: param %s %q is not soc or owner", ParamTo, to)
	}
	var alert *ocsf.DetectionFinding
	if len(req.Alert) > 0 {
		var a ocsf.DetectionFinding
		if err := json.Unmarshal(req.Alert, &a); err != nil {
			return responder.Result{}, fmt.Errorf("feed notify: alert %s: %w", req.AlertID, err)
		}
		alert = &a
	} else if n.lookup != nil && req.AlertID != "" {
		a, err := n.lookup(ctx, req.AlertID)
		if err != nil {
			return responder.Result{}, fmt.Errorf("feed notify: alert %s: %w", req.AlertID, err)
		}
		alert = a
	}
	if alert == nil {
		alert = &ocsf.DetectionFinding{FindingInfo: ocsf.FindingInfo{UID: req.AlertID}}
		alert.Unmapped.AITDR.Identity.ID = req.Principal.ID
	}
	m := Message{ID: req.AlertID + "/" + req.ActionID, Kind: KindNotification, Time: n.now().UTC(), Alert: alert,
		Note: req.Params[ParamReason]}
	if req.DryRun {
		m.Note = strings.TrimSpace("[dry run] " + m.Note)
	}
	if to == "owner" {
		for _, addr := range []string{req.Principal.Email, alert.Unmapped.AITDR.Identity.Owner} {
			if a, err := mail.ParseAddress(addr); err == nil {
				m.To = append(m.To, a.Address)
				break
			}
		}
		if len(m.To) == 0 {
			return responder.Result{}, fmt.Errorf("feed notify: principal %q has no owner e-mail address", req.Principal.ID)
		}
	}
	if err := n.feed.Publish(ctx, m); err != nil {
		return responder.Result{}, fmt.Errorf("feed notify: %w", err)
	}
	changes := []string{"feed: notification to " + to + " queued for " + strings.Join(n.feed.Outputs(), ", ")}
	return responder.Result{Changes: changes, Completed: n.now()}, nil
}
