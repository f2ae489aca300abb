package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Format is an output format of the report.
type Format string

// Formats.
const (
	// FormatTable is aligned text for a terminal.
	FormatTable Format = "table"
	// FormatJSON is the Report as indented JSON.
	FormatJSON Format = "json"
	// FormatCSV is one row per number or list item (see WriteCSV).
	FormatCSV Format = "csv"
	// FormatHTML is a self-contained page with charts.
	FormatHTML Format = "html"
)

// ParseFormat returns the format named s.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatTable, FormatJSON, FormatCSV, FormatHTML:
		return f, nil
	}
	return "", fmt.Errorf("format %q: want table, json, csv or html", s)
}

// Write renders r to w in format f.
func (r *Report) Write(w io.Writer, f Format) error {
	switch f {
	case FormatTable:
		return r.WriteTable(w)
	case FormatJSON:
		return r.WriteJSON(w)
	case FormatCSV:
		return r.WriteCSV(w)
	case FormatHTML:
		return r.WriteHTML(w)
	}
	return fmt.Errorf("write report: unknown format %q", f)
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write report json: %w", err)
	}
	return nil
}

// Window says which time the report covers.
func (r *Report) Window() string {
	if r.Since.IsZero() {
		return "all time"
	}
	return "since " + formatTime(r.Since)
}

// formatTime formats a time as the table, CSV and HTML show it.
func formatTime(t time.Time) string {
	if t.IsZero() || t.Unix() == 0 {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// joinList joins a list for a cell.
func joinList(s []string) string { return strings.Join(s, ", ") }

// yesNo shows a flag.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// capitalize returns s with its first letter upper case.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
