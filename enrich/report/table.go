package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteTable writes r as aligned text for a terminal: the headline, the
// counts per class, then every list and pattern, each under its title with
// its length.
func (r *Report) WriteTable(w io.Writer) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	table := func(header []string, rows [][]string) {
		if len(rows) == 0 {
			p("  none\n")
			return
		}
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  "+strings.Join(header, "\t"))
		for _, row := range rows {
			for i, c := range row {
				if c == "" {
					row[i] = "-"
				}
			}
			fmt.Fprintln(tw, "  "+strings.Join(row, "\t"))
		}
		_ = tw.Flush()
	}
	n := func(v int64) string { return strconv.FormatInt(v, 10) }

	p("aitdr visibility report, %s, %s\n", formatTime(r.GeneratedAt), r.Window())
	p("%s.\n\n", capitalize(r.Headline.Text))

	if r.Assumed.File == "" {
		p("Assumed inventory: none given\n")
	} else {
		p("Assumed inventory: %s, %d entries used, %d bad rows skipped", r.Assumed.File, r.Assumed.Entries, len(r.Assumed.BadRows))
		if len(r.Assumed.IgnoredColumns) > 0 {
			p(", ignored columns: %s", joinList(r.Assumed.IgnoredColumns))
		}
		p("\n")
		for _, b := range r.Assumed.BadRows {
			p("  %s\n", b.Error())
		}
	}
	p("\n")

	var rows [][]string
	for _, c := range append(r.Classes, r.Total) {
		rows = append(rows, []string{c.Class, strconv.Itoa(c.Observed), strconv.Itoa(c.Assumed), strconv.Itoa(c.Matched),
			strconv.Itoa(c.ObservedNotAssumed), strconv.Itoa(c.AssumedNotSeen)})
	}
	table([]string{"CLASS", "OBSERVED", "ASSUMED", "MATCHED", "OBSERVED NOT ASSUMED", "ASSUMED NOT SEEN"}, rows)

	p("\nObserved, not assumed (%d)\n", len(r.ObservedNotAssumed))
	rows = nil
	for _, g := range r.ObservedNotAssumed {
		rows = append(rows, []string{g.Class, g.IdentityID, g.Name, g.Owner, g.Team, g.AccountType, joinList(g.AIServices), n(g.Events), formatTime(g.LastSeen)})
	}
	table([]string{"CLASS", "IDENTITY", "NAME", "OWNER", "TEAM", "ACCOUNT", "AI SERVICES", "EVENTS", "LAST SEEN"}, rows)

	p("\nAssumed, not seen (%d)\n", len(r.AssumedNotSeen))
	rows = nil
	for _, e := range r.AssumedNotSeen {
		rows = append(rows, []string{string(e.Class), e.Label(), e.Source, e.Owner, strconv.Itoa(e.Line)})
	}
	table([]string{"CLASS", "ENTRY", "SOURCE", "OWNER", "LINE"}, rows)

	p("\nMatches (%d)\n", len(r.Matches))
	rows = nil
	for _, m := range r.Matches {
		rows = append(rows, []string{m.ObservedClass, m.IdentityID, m.Key + "=" + m.Value, m.AssumedClass, strconv.Itoa(m.Line)})
	}
	table([]string{"CLASS", "IDENTITY", "MATCHED ON", "ASSUMED CLASS", "LINE"}, rows)

	p("\nShadow AI: unsanctioned AI services (%d)\n", len(r.ShadowAI.Services))
	rows = nil
	for _, s := range r.ShadowAI.Services {
		rows = append(rows, []string{s.Service, joinList(s.Providers), n(s.Identities), n(s.PersonalIdentities), n(s.Events), n(s.Tokens)})
	}
	table([]string{"SERVICE", "PROVIDERS", "IDENTITIES", "PERSONAL", "EVENTS", "TOKENS"}, rows)

	p("\nShadow AI: identities using unsanctioned AI services (%d)\n", len(r.ShadowAI.Identities))
	rows = nil
	for _, s := range r.ShadowAI.Identities {
		rows = append(rows, []string{s.IdentityID, s.Class, s.AccountType, joinList(s.Services), n(s.Events), yesNo(s.Known)})
	}
	table([]string{"IDENTITY", "CLASS", "ACCOUNT", "SERVICES", "EVENTS", "KNOWN"}, rows)

	p("\nShadow AI: personal accounts using AI (%d)\n", len(r.ShadowAI.PersonalAccounts))
	rows = nil
	for _, s := range r.ShadowAI.PersonalAccounts {
		rows = append(rows, []string{s.IdentityID, s.Class, joinList(s.Services), n(s.Events), yesNo(s.Known)})
	}
	table([]string{"IDENTITY", "CLASS", "SERVICES", "EVENTS", "KNOWN"}, rows)

	p("\nHigh risk: personal accounts reaching sensitive data (%d)\n", len(r.HighRisk.PersonalSensitive))
	rows = nil
	for _, h := range r.HighRisk.PersonalSensitive {
		rows = append(rows, []string{h.IdentityID, h.Class, h.HighestSensitivity, joinList(h.FindingTypes), n(h.Findings),
			joinList(h.AIServices), n(h.Events), yesNo(h.Known)})
	}
	table([]string{"IDENTITY", "CLASS", "SENSITIVITY", "FINDING TYPES", "FINDINGS", "AI SERVICES", "EVENTS", "KNOWN"}, rows)

	p("\nHigh risk: agents on shared credentials (%d)\n", len(r.HighRisk.SharedCredentialAgents))
	rows = nil
	for _, h := range r.HighRisk.SharedCredentialAgents {
		rows = append(rows, []string{h.IdentityID, h.Owner, h.Team, joinList(h.SharedCredentials), joinList(h.SharedWith), yesNo(h.InventoryFlag),
			n(h.Events), yesNo(h.Known)})
	}
	table([]string{"IDENTITY", "OWNER", "TEAM", "CREDENTIALS", "SHARED WITH", "INVENTORY FLAG", "EVENTS", "KNOWN"}, rows)

	p("\nHigh risk: dev and test identities reaching production (%d)\n", len(r.HighRisk.DevToProd))
	rows = nil
	for _, h := range r.HighRisk.DevToProd {
		rows = append(rows, []string{h.IdentityID, h.Class, joinList(h.Environments), joinList(h.Models), joinList(h.Targets),
			n(h.Events), yesNo(h.Known)})
	}
	table([]string{"IDENTITY", "CLASS", "ENVIRONMENTS", "PROD MODELS", "PROD TARGETS", "EVENTS", "KNOWN"}, rows)

	p("\nHigh risk: agents with broad permissions (%d)\n", len(r.HighRisk.BroadPermissionAgents))
	if !r.HighRisk.PermissionSnapshots {
		p("  no permission snapshots yet\n")
	} else {
		rows = nil
		for _, h := range r.HighRisk.BroadPermissionAgents {
			rows = append(rows, []string{h.IdentityID, n(h.Granted), n(h.UsedGrants), formatShare(h.UnusedShare),
				joinList(h.WildcardGrants), yesNo(h.Known)})
		}
		table([]string{"IDENTITY", "GRANTED", "USED", "UNUSED SHARE", "WILDCARD GRANTS", "KNOWN"}, rows)
	}

	if len(r.Notes) > 0 {
		p("\nNotes\n")
		for _, note := range r.Notes {
			p("  - %s\n", note)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write report table: %w", err)
	}
	return nil
}

// formatShare formats a share from 0 to 1 as every format shows it.
func formatShare(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }
