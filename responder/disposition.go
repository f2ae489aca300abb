package responder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

// exceptionExpiry is how long a proposed exception is valid from its
// proposal: exceptions that never expire outlive the reason for them.
const exceptionExpiry = 90 * 24 * time.Hour

// ErrInvalidDisposition is returned for a disposition that lacks an alert
// id or an analyst, or whose verdict is not one of the three.
var ErrInvalidDisposition = errors.New("invalid disposition")

// Disposition is an analyst's verdict on an alert.
type Disposition struct {
	// AlertID is the alert judged.
	AlertID string `json:"alert_id"`
	// Verdict is true_positive, false_positive or benign.
	Verdict string `json:"disposition"`
	// Analyst is who judged it.
	Analyst string `json:"analyst"`
	// Note is the analyst's note; it becomes the reason of a proposed
	// exception.
	Note string `json:"note,omitempty"`
	// Resolve closes the alert (resolve); false only acknowledges it (ack).
	Resolve bool `json:"resolve,omitempty"`
	// ProposeException writes a proposed exception for the rule when a
	// false positive is resolved.
	ProposeException bool `json:"propose_exception,omitempty"`
}

// DispositionResult is what recording a disposition did.
type DispositionResult struct {
	// Denied are the actions of the alert that waited for approval and
	// were denied because it was resolved as a false positive or benign.
	Denied []string `json:"denied,omitempty"`
	// ExceptionFile is the proposed exception written for review, if any.
	ExceptionFile string `json:"exception_file,omitempty"`
	// ExceptionNote says why no exception was proposed, when one was asked.
	ExceptionNote string `json:"exception_note,omitempty"`
}

// Dispositions records analysts' verdicts: in ClickHouse (alert_dispositions,
// from which the false-positive rate per rule is computed), on the alert's
// record, and, for a false positive resolved, as a proposed rule
// exception written to a file for review — rule files are never changed.
// It is safe for concurrent use.
type Dispositions struct {
	store *Store
	audit AuditSink
	dir   string
	now   func() time.Time
}

// NewDispositions returns the recorder writing verdicts to audit, alert
// records to store and proposed exceptions under dir. now is time.Now when
// nil.
func NewDispositions(store *Store, audit AuditSink, dir string, now func() time.Time) *Dispositions {
	if now == nil {
		now = time.Now
	}
	return &Dispositions{store: store, audit: audit, dir: dir, now: now}
}

// Record stores d. Resolving an alert as false_positive or benign denies
// its actions still waiting for approval.
func (ds *Dispositions) Record(ctx context.Context, d Disposition) (DispositionResult, error) {
	var res DispositionResult
	switch d.Verdict {
	case chschema.DispositionTruePositive, chschema.DispositionFalsePositive, chschema.DispositionBenign:
	default:
		return res, fmt.Errorf("%w: %q is not %s, %s or %s", ErrInvalidDisposition, d.Verdict,
			chschema.DispositionTruePositive, chschema.DispositionFalsePositive, chschema.DispositionBenign)
	}
	if strings.TrimSpace(d.AlertID) == "" {
		return res, fmt.Errorf("%w: alert id is missing", ErrInvalidDisposition)
	}
	if strings.TrimSpace(d.Analyst) == "" {
		return res, fmt.Errorf("%w: analyst is missing", ErrInvalidDisposition)
	}
	if ds.audit == nil {
		return res, ErrNoAudit
	}
	now := ds.now().UTC().Truncate(time.Millisecond)
	row := chschema.AlertDisposition{AlertID: d.AlertID, Disposition: d.Verdict, Analyst: d.Analyst, Note: d.Note, Time: now}
	token := fmt.Sprintf("disposition/%s/%s/%d", d.AlertID, d.Analyst, now.UnixMilli())
	if err := ds.audit.WriteDispositions(ctx, token, []chschema.AlertDisposition{row}); err != nil {
		return res, fmt.Errorf("store disposition of alert %s: %w", d.AlertID, err)
	}
	rec, err := ds.store.updateAlert(ctx, d.AlertID, func(r *AlertRecord) error {
		r.Disposition, r.Analyst, r.Note, r.DispositionAt = d.Verdict, d.Analyst, d.Note, now
		r.Resolved = d.Resolve
		return nil
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return res, err
	}
	if d.Resolve && d.Verdict != chschema.DispositionTruePositive && rec != nil {
		denied, err := ds.store.Deny(ctx, d.AlertID, d.Analyst, "alert resolved as "+d.Verdict+": "+d.Note)
		if err != nil && !errors.Is(err, ErrConflict) {
			return res, err
		}
		for _, a := range denied {
			res.Denied = append(res.Denied, a.ID)
		}
	}
	if d.Resolve && d.ProposeException && d.Verdict == chschema.DispositionFalsePositive {
		res.ExceptionFile, res.ExceptionNote, err = ds.propose(ctx, d, rec, now)
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// propose writes a proposed exception for the alert's rule and identity.
func (ds *Dispositions) propose(ctx context.Context, d Disposition, rec *AlertRecord, now time.Time) (file, note string, err error) {
	var ruleID, identity string
	var ips, models []string
	if rec != nil {
		ruleID, identity, ips, models = rec.RuleID, rec.IdentityID, rec.SourceIPs, rec.Models
	} else if l, ok := ds.audit.(interface {
		LookupAlert(context.Context, string) (string, string, error)
	}); ok {
		ruleID, identity, err = l.LookupAlert(ctx, d.AlertID)
		if errors.Is(err, ErrNotFound) {
			return "", fmt.Sprintf("alert %s is unknown to the responder and to ClickHouse: no exception proposed", d.AlertID), nil
		}
		if err != nil {
			return "", "", err
		}
	}
	if ruleID == "" || identity == "" {
		return "", fmt.Sprintf("alert %s names no rule or identity: no exception proposed", d.AlertID), nil
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	list := func(vs []string) string {
		qs := make([]string, len(vs))
		for i, v := range vs {
			qs[i] = q(v)
		}
		return "[" + strings.Join(qs, ", ") + "]"
	}
	reason := d.Note
	if reason == "" {
		reason = "false positive, resolved by " + d.Analyst
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Proposed exception for rule %s: NOT APPLIED.\n", ruleID)
	fmt.Fprintf(&b, "# Alert %s was resolved as false_positive by %s at %s.\n", d.AlertID, d.Analyst, now.Format(time.RFC3339))
	b.WriteString("# Review it, narrow or widen the match, and add it under the rule's\n")
	b.WriteString("# exceptions: in its rule file through a reviewed change (docs/rules.md).\n")
	fmt.Fprintf(&b, "rule: %s\n", q(ruleID))
	b.WriteString("exceptions:\n")
	fmt.Fprintf(&b, "  - name: %s\n", q("fp-"+shortID(d.AlertID)))
	fmt.Fprintf(&b, "    reason: %s\n", q(reason))
	fmt.Fprintf(&b, "    expires: %s\n", now.Add(exceptionExpiry).Format(time.DateOnly))
	b.WriteString("    match:\n")
	fmt.Fprintf(&b, "      identity.id: %s\n", list([]string{identity}))
	if len(ips) > 0 {
		fmt.Fprintf(&b, "      # network.source_ip: %s\n", list(ips))
	}
	if len(models) > 0 {
		fmt.Fprintf(&b, "      # ai.model: %s\n", list(models))
	}
	dir := filepath.Join(ds.dir, safeName(ruleID))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("propose exception: %w", err)
	}
	file = filepath.Join(dir, safeName(d.AlertID)+".yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		return "", "", fmt.Errorf("propose exception: %w", err)
	}
	return file, "", nil
}

func shortID(id string) string {
	s := safeName(id)
	return s[:min(len(s), 12)]
}

// safeName keeps letters, digits, '-', '_' and '.' of s (not leading
// dots), so that an id cannot name a path outside the directory.
func safeName(s string) string {
	out := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
	out = strings.TrimLeft(out, ".")
	if out == "" {
		return "_"
	}
	return out
}
