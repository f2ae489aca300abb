package rightsize

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Format is an output format of the report.
type Format string

// Formats of the report.
const (
	FormatTable Format = "table"
	FormatJSON  Format = "json"
	FormatCSV   Format = "csv"
	FormatHTML  Format = "html"
)

// ParseFormat returns the format named s.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case FormatTable, FormatJSON, FormatCSV, FormatHTML:
		return f, nil
	}
	return "", fmt.Errorf("%q is not table, json, csv or html", s)
}

// Write renders the report in format f.
func (r *Report) Write(w io.Writer, f Format) error {
	switch f {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("write rightsizing report json: %w", err)
		}
		return nil
	case FormatCSV:
		return r.WriteCSV(w)
	case FormatHTML:
		return r.WriteHTML(w)
	}
	return r.WriteTable(w)
}

// Headline is the report's first line: the attack surface the
// recommendations remove from the AI identities.
func (r *Report) Headline() string {
	t := r.AI
	return fmt.Sprintf("AI identities: %d (%d trusted), %d permissions granted, %d used (%s%% unused); "+
		"applying the recommendations removes %d (%s%% attack-surface reduction), %d of %d sensitive",
		t.Identities, t.Trusted, t.Granted, t.Used, pct(t.UnusedShare), t.Removable, pct(t.Reduction), t.SensitiveRemovable, t.SensitiveGranted)
}

// pct formats a share as a percentage with one decimal.
func pct(share float64) string { return strconv.FormatFloat(share*100, 'f', 1, 64) }

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// WriteTable writes the report as terminal tables: the headline, the
// totals per class, then every identity in priority order.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "aitdr permission rightsizing: usage %s to %s; a recommendation is trusted after %d days and %d events\n",
		day(r.WindowStart), day(r.WindowEnd), r.MinDays, r.MinEvents)
	fmt.Fprintln(tw, r.Headline())
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "CLASS\tIDENTITIES\tTRUSTED\tGRANTED\tUSED\tUNUSED %\tSENSITIVE UNUSED\tREMOVABLE\tREDUCTION %")
	row := func(name string, t Totals) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%d/%d\t%d\t%s\n", name, t.Identities, t.Trusted, t.Granted, t.Used,
			pct(t.UnusedShare), t.SensitiveUnused, t.SensitiveGranted, t.Removable, pct(t.Reduction))
	}
	for _, c := range r.Classes {
		row(c.Class, c.Totals)
	}
	row("total", r.Overall)
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "#\tCLASS\tIDENTITY\tGRANTED\tUSED\tUNUSED %\tSENSITIVE UNUSED\tEVENTS\tDAYS\tTRUSTED\tREMOVABLE\tRECOMMENDATION")
	for i := range r.Identities {
		id := &r.Identities[i]
		trusted := "yes"
		if !id.Trusted {
			trusted = "no: " + id.UntrustedReason
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%s\t%d\t%d\t%.1f\t%s\t%d\t%s\n", id.Priority, id.Class, id.ID, id.Granted, id.Used,
			pct(id.UnusedShare), id.SensitiveUnused, id.Events, id.ObservedDays, trusted, id.Removable, id.Recommendation.Kind)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write rightsizing report: %w", err)
	}
	return nil
}

// csvHeader are the columns of WriteCSV.
var csvHeader = []string{
	"priority", "identity_id", "provider", "class", "granted", "used", "unused", "unused_share",
	"sensitive_granted", "sensitive_unused", "removable", "used_not_granted", "events", "unmapped_events",
	"observed_days", "trusted", "untrusted_reason", "recommendation", "keep", "sensitive_unused_permissions",
}

// WriteCSV writes one row per identity, in priority order.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(csvHeader)
	itoa := strconv.Itoa
	for i := range r.Identities {
		id := &r.Identities[i]
		_ = cw.Write([]string{
			itoa(id.Priority), id.ID, id.Provider, id.Class, itoa(id.Granted), itoa(id.Used), itoa(id.Unused),
			strconv.FormatFloat(id.UnusedShare, 'f', 3, 64), itoa(id.SensitiveGranted), itoa(id.SensitiveUnused),
			itoa(id.Removable), itoa(id.UsedNotGranted), strconv.FormatInt(id.Events, 10), strconv.FormatInt(id.UnmappedEvents, 10),
			strconv.FormatFloat(id.ObservedDays, 'f', 1, 64), strconv.FormatBool(id.Trusted), id.UntrustedReason,
			id.Recommendation.Kind, strings.Join(id.Recommendation.Keep, " "), strings.Join(id.SensitiveUnusedList, " "),
		})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write rightsizing report csv: %w", err)
	}
	return nil
}

// WriteArtifacts writes each identity's recommended artefact and diff to
// dir, as <priority>-<identity>.<json|yaml|txt> and .diff, and returns the
// files written.
func (r *Report) WriteArtifacts(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("write recommendations: %w", err)
	}
	var files []string
	for i := range r.Identities {
		id := &r.Identities[i]
		base := fmt.Sprintf("%03d-%s", id.Priority, dnsName(id.ID))
		ext := map[string]string{"json": ".json", "yaml": ".yaml"}[id.Recommendation.Format]
		if ext == "" {
			ext = ".txt"
		}
		for _, f := range []struct{ name, body string }{
			{base + ext, id.Recommendation.Artifact}, {base + ".diff", id.Recommendation.Diff},
		} {
			if f.body == "" {
				continue
			}
			path := filepath.Join(dir, f.name)
			if err := os.WriteFile(path, []byte(f.body), 0o644); err != nil {
				return files, fmt.Errorf("write recommendations: %w", err)
			}
			files = append(files, path)
		}
	}
	return files, nil
}
