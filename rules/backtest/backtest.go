// Package backtest replays stored events through a candidate rule set in
// process (the real rules engine, stateful rule types included) and
// reports, per rule, the alerts it would raise, on which identities, and
// the share of the rule's past alerts analysts marked false positive.
package backtest

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/metric/noop"

	"github.com/aitdr/aitdr/rules"
	"github.com/aitdr/aitdr/schemas"
)

// DefaultMaxFalsePositiveShare is the share of false positives above
// which a rule is flagged: the product's target is under 10%.
const DefaultMaxFalsePositiveShare = 0.10

// IdentityCount is how many alerts a rule raised on one identity.
type IdentityCount struct {
	Identity string `json:"identity"`
	Alerts   int    `json:"alerts"`
}

// History is what analysts judged of a rule's past alerts.
type History struct {
	Judged         int `json:"judged"`
	FalsePositives int `json:"false_positives"`
}

// Share is the false-positive share of the judged alerts (0 without any).
func (h History) Share() float64 {
	if h.Judged == 0 {
		return 0
	}
	return float64(h.FalsePositives) / float64(h.Judged)
}

// RuleResult is the backtest of one rule.
type RuleResult struct {
	Rule  string `json:"rule"`
	Title string `json:"title"`
	Type  string `json:"type"`
	// Alerts are the alerts the rule would have raised.
	Alerts int `json:"alerts"`
	// Identities is the number of distinct identities alerted on; Top
	// lists the most alerted, most first.
	Identities int             `json:"identities"`
	Top        []IdentityCount `json:"top_identities,omitempty"`
	// History is the analysts' verdicts on the rule's past alerts; nil
	// when none were asked for or the rule has none.
	History *History `json:"history,omitempty"`
	// FalsePositiveShare is History's share.
	FalsePositiveShare float64 `json:"false_positive_share"`
	// Flagged is true when that share exceeds the maximum.
	Flagged bool `json:"flagged"`
}

// Report is a backtest.
type Report struct {
	Events int          `json:"events"`
	Rules  []RuleResult `json:"rules"`
}

// Options tune a backtest; the zero value uses the defaults.
type Options struct {
	// TopN is how many identities each rule lists; default 5.
	TopN int
	// MaxFalsePositiveShare flags rules above it; default 0.10.
	MaxFalsePositiveShare float64
	// History are the past verdicts by rule id (see LoadHistory).
	History map[string]History
}

// Run replays events through set, in event-time order (stable, so events
// of one time keep their order), on one engine as the rules stage runs
// them, and reports every enabled rule of the set, those that would raise
// nothing included. It sorts events in place.
func Run(ctx context.Context, set *rules.Set, events []*schemas.Event, opts Options) (*Report, error) {
	if opts.TopN <= 0 {
		opts.TopN = 5
	}
	if opts.MaxFalsePositiveShare <= 0 {
		opts.MaxFalsePositiveShare = DefaultMaxFalsePositiveShare
	}
	slices.SortStableFunc(events, func(a, b *schemas.Event) int { return a.Time.Compare(b.Time) })
	rep := &Report{Events: len(events)}
	e := rules.NewEngine(set,
		rules.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		rules.WithMeterProvider(noop.NewMeterProvider()))
	byRule := map[string]map[string]int{}
	var alerts []*rules.Alert
	for i, ev := range events {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("backtest: %w", err)
			}
		}
		alerts = e.Process(ev, rules.Position{Offset: int64(i)}, alerts[:0])
		for _, a := range alerts {
			m := byRule[a.Rule.ID]
			if m == nil {
				m = map[string]int{}
				byRule[a.Rule.ID] = m
			}
			m[ev.Identity.ID]++
		}
	}
	for _, r := range set.Rules() {
		if !r.Enabled {
			continue
		}
		res := RuleResult{Rule: r.ID, Title: r.Title, Type: string(r.Type)}
		ids := byRule[r.ID]
		res.Identities = len(ids)
		for _, id := range slices.Collect(maps.Keys(ids)) {
			res.Alerts += ids[id]
			res.Top = append(res.Top, IdentityCount{Identity: id, Alerts: ids[id]})
		}
		slices.SortFunc(res.Top, func(a, b IdentityCount) int {
			return cmp.Or(cmp.Compare(b.Alerts, a.Alerts), strings.Compare(a.Identity, b.Identity))
		})
		res.Top = res.Top[:min(len(res.Top), opts.TopN)]
		if h, ok := opts.History[r.ID]; ok {
			res.History = &h
			res.FalsePositiveShare = h.Share()
			res.Flagged = res.FalsePositiveShare > opts.MaxFalsePositiveShare
		}
		rep.Rules = append(rep.Rules, res)
	}
	slices.SortStableFunc(rep.Rules, func(a, b RuleResult) int {
		return cmp.Or(cmp.Compare(b.Alerts, a.Alerts), strings.Compare(a.Rule, b.Rule))
	})
	return rep, nil
}

// Flagged returns the rules whose false-positive share exceeds the
// maximum.
func (r *Report) Flagged() []RuleResult {
	var out []RuleResult
	for _, x := range r.Rules {
		if x.Flagged {
			out = append(out, x)
		}
	}
	return out
}

// WriteTable writes the report as a table: one line per rule with its
// alerts, identities, past false-positive share and flag, and the top
// identities.
func (r *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "%-48s %7s %10s %9s  %s\n", "RULE", "ALERTS", "IDENTITIES", "FP SHARE", "TOP IDENTITIES")
	for _, x := range r.Rules {
		fp := "-"
		if x.History != nil {
			fp = fmt.Sprintf("%.1f%%", 100*x.FalsePositiveShare)
			if x.Flagged {
				fp += " !"
			}
		}
		var top []string
		for _, t := range x.Top {
			top = append(top, fmt.Sprintf("%s (%d)", t.Identity, t.Alerts))
		}
		fmt.Fprintf(w, "%-48s %7d %10d %9s  %s\n", x.Rule, x.Alerts, x.Identities, fp, strings.Join(top, ", "))
	}
	total := 0
	for _, x := range r.Rules {
		total += x.Alerts
	}
	fmt.Fprintf(w, "%d events, %d alerts, %d rules over the false-positive maximum\n", r.Events, total, len(r.Flagged()))
}
