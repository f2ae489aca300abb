package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// CSVHeader is the header of the report's CSV.
var CSVHeader = []string{"section", "class", "identity_id", "name", "item", "detail", "measure", "value", "owner", "team"}

// WriteCSV writes r as CSV in long form, one number or list item per row,
// so that a spreadsheet can pivot it. The section says what a row is;
// measure names the number in value. Every number of Measures is one row:
// section headline, assumed, class (with class, or total), list,
// shadow_ai, high_risk, and shadow_service (with the service in item); its
// measure name is section.measure, class.<class>.measure or
// shadow_ai.service.<item>.measure. The owner and team columns are the
// identity's owner and team where the directory or the CMDB gives them
// (observed_not_assumed, shared_credential_agent). The list items follow:
//
//   - observed_not_assumed: class, identity_id, name, item the AI services,
//     detail the account type; measure events.
//   - assumed_not_seen: class, name the entry, item the source, detail the
//     owner; measure line.
//   - match: class (observed), identity_id, name the entry, item key=value,
//     detail the assumed class; measure line.
//   - shadow_identity: class, identity_id, item the services, detail the
//     account type and known or unknown; measure events.
//   - personal_ai: class, identity_id, item the services, detail known or
//     unknown; measure events.
//   - personal_sensitive_data: class, identity_id, item the finding types,
//     detail the highest sensitivity; measure events, then findings.
//   - shared_credential_agent: class, identity_id, item the credentials,
//     detail the identities sharing them; measure shared_with.
//   - dev_reaching_prod: class, identity_id, item the production models,
//     detail the production targets; measure events, then model_events.
//   - broad_permission_agent: class, identity_id, item the wildcard grants,
//     detail the unused permissions; measure granted, used_grants, then
//     unused_share.
//   - bad_row: item file:line, detail the cause.
//   - note: detail the note.
//
// List cells join their values with "; ".
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	rows := [][]string{CSVHeader}
	addOwned := func(section, class, id, name, item, detail, measure, value, owner, team string) {
		rows = append(rows, []string{section, class, id, name, item, detail, measure, value, owner, team})
	}
	add := func(section, class, id, name, item, detail, measure, value string) {
		addOwned(section, class, id, name, item, detail, measure, value, "", "")
	}
	num := func(v int64) string { return strconv.FormatInt(v, 10) }
	list := func(s []string) string { return strings.Join(s, "; ") }
	known := func(b bool) string {
		if b {
			return "known"
		}
		return "unknown"
	}

	for _, m := range r.Measures() {
		switch section, rest, _ := strings.Cut(m.Name, "."); {
		case section == "class":
			class, measure, _ := strings.Cut(rest, ".")
			add(section, class, "", "", "", "", measure, m.Value)
		case strings.HasPrefix(m.Name, shadowServicePrefix):
			rest = strings.TrimPrefix(m.Name, shadowServicePrefix)
			i := strings.LastIndexByte(rest, '.')
			add("shadow_service", "", "", "", rest[:i], "", rest[i+1:], m.Value)
		case m.Name == "headline.observed_ai":
			add(section, "", "", "", "", r.Headline.Text, rest, m.Value)
		case section == "assumed":
			add(section, "", "", "", r.Assumed.File, "", rest, m.Value)
		default:
			add(section, "", "", "", "", "", rest, m.Value)
		}
	}
	for _, g := range r.ObservedNotAssumed {
		addOwned("observed_not_assumed", g.Class, g.IdentityID, g.Name, list(g.AIServices), g.AccountType, "events", num(g.Events), g.Owner, g.Team)
	}
	for _, e := range r.AssumedNotSeen {
		add("assumed_not_seen", string(e.Class), "", e.Label(), e.Source, e.Owner, "line", strconv.Itoa(e.Line))
	}
	for _, m := range r.Matches {
		add("match", m.ObservedClass, m.IdentityID, m.Entry, m.Key+"="+m.Value, m.AssumedClass, "line", strconv.Itoa(m.Line))
	}
	for _, s := range r.ShadowAI.Identities {
		add("shadow_identity", s.Class, s.IdentityID, "", list(s.Services), s.AccountType+"; "+known(s.Known), "events", num(s.Events))
	}
	for _, s := range r.ShadowAI.PersonalAccounts {
		add("personal_ai", s.Class, s.IdentityID, "", list(s.Services), known(s.Known), "events", num(s.Events))
	}
	for _, h := range r.HighRisk.PersonalSensitive {
		add("personal_sensitive_data", h.Class, h.IdentityID, "", list(h.FindingTypes), h.HighestSensitivity, "events", num(h.Events))
		add("personal_sensitive_data", h.Class, h.IdentityID, "", list(h.FindingTypes), h.HighestSensitivity, "findings", num(h.Findings))
	}
	for _, h := range r.HighRisk.SharedCredentialAgents {
		addOwned("shared_credential_agent", h.Class, h.IdentityID, "", list(h.SharedCredentials), list(h.SharedWith), "shared_with", strconv.Itoa(len(h.SharedWith)), h.Owner, h.Team)
	}
	for _, h := range r.HighRisk.DevToProd {
		add("dev_reaching_prod", h.Class, h.IdentityID, "", list(h.Models), list(h.Targets), "events", num(h.Events))
		add("dev_reaching_prod", h.Class, h.IdentityID, "", list(h.Models), list(h.Targets), "model_events", num(h.ModelEvents))
	}
	for _, h := range r.HighRisk.BroadPermissionAgents {
		add("broad_permission_agent", h.Class, h.IdentityID, "", list(h.WildcardGrants), list(h.UnusedPermissions), "granted", num(h.Granted))
		add("broad_permission_agent", h.Class, h.IdentityID, "", list(h.WildcardGrants), list(h.UnusedPermissions), "used_grants", num(h.UsedGrants))
		add("broad_permission_agent", h.Class, h.IdentityID, "", list(h.WildcardGrants), list(h.UnusedPermissions), "unused_share", formatShare(h.UnusedShare))
	}
	for _, b := range r.Assumed.BadRows {
		add("bad_row", "", "", "", b.File+":"+strconv.Itoa(b.Line), b.Cause, "", "")
	}
	for _, n := range r.Notes {
		add("note", "", "", "", "", n, "", "")
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write report csv: %w", err)
	}
	return nil
}
