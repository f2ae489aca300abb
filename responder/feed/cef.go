package feed

import (
	"strconv"
	"strings"
	"time"

	"github.com/aitdr/aitdr/schemas/ocsf"
)

// CEF (ArcSight Common Event Format, version 0): a header of seven
// pipe-separated fields and an extension of key=value pairs.
//
//	CEF:0|aitdr|aitdr|<version>|<rule id>|<title>|<severity 0-10>|rt=... suid=... cs1Label=identityClass cs1=ai_agent ...
//
// Escaping follows the CEF specification: in the header a backslash and a
// pipe are escaped with a backslash; in extension values a backslash and
// an equals sign are, and a line feed and a carriage return are written
// \n and \r. Header fields cannot hold line breaks, which become spaces.

// escapeHeader escapes a CEF header field.
func escapeHeader(s string) string {
	if !strings.ContainsAny(s, "\\|\r\n") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '|':
			b.WriteString(`\|`)
		case '\r', '\n':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// escapeValue escapes a CEF extension value.
func escapeValue(s string) string {
	if !strings.ContainsAny(s, "\\=\r\n") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '=':
			b.WriteString(`\=`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cefSeverity maps an OCSF severity to CEF's 0-10 scale: Low 0-3, Medium
// 4-6, High 7-8, Very-High 9-10.
func cefSeverity(s ocsf.SeverityID) int {
	switch s {
	case ocsf.SeverityInformational:
		return 1
	case ocsf.SeverityLow:
		return 3
	case ocsf.SeverityMedium:
		return 5
	case ocsf.SeverityHigh:
		return 8
	case ocsf.SeverityCritical, ocsf.SeverityFatal:
		return 10
	}
	return 0
}

// cefField is one extension pair.
type cefField struct{ key, value string }

// cefFields returns m's extension, most important first, each key from the
// CEF dictionary (custom strings labelled with their csNLabel).
func cefFields(m *Message, v view) []cefField {
	var fs []cefField
	add := func(k, val string) {
		if val != "" {
			fs = append(fs, cefField{k, val})
		}
	}
	labelled := func(k, label, val string) {
		if val != "" {
			fs = append(fs, cefField{k + "Label", label}, cefField{k, val})
		}
	}
	if !m.Time.IsZero() {
		add("rt", strconv.FormatInt(m.Time.UnixMilli(), 10))
	}
	add("externalId", v.AlertID)
	add("suid", v.IdentityID)
	add("suser", v.Name)
	labelled("cs1", "identityClass", v.Class)
	labelled("cs2", "owner", v.Owner)
	labelled("flexString1", "ruleId", v.RuleID)
	add("cat", v.RuleCategory)
	if m.Kind == KindAction && len(m.Actions) > 0 {
		var kinds, statuses, errs []string
		for _, a := range m.Actions {
			kinds = append(kinds, a.Kind)
			statuses = append(statuses, a.Status)
			if a.Error != "" {
				errs = append(errs, a.Error)
			}
		}
		add("act", strings.Join(kinds, ","))
		add("outcome", strings.Join(statuses, ","))
		add("duid", m.Actions[0].Target)
		add("reason", strings.Join(errs, "; "))
	}
	labelled("cs3", "atlasTechniques", strings.Join(v.ATLAS, ","))
	labelled("cs4", "baseline", strings.Join(v.Baselines, "; "))
	labelled("cs6", "recommendedContainment", strings.Join(v.Recommended, "; "))
	labelled("flexString2", "responseTaken", strings.Join(v.Done, "; "))
	add("src", v.SourceIP)
	if !v.Start.IsZero() {
		add("start", strconv.FormatInt(v.Start.UnixMilli(), 10))
	}
	if !v.End.IsZero() {
		add("end", strconv.FormatInt(v.End.UnixMilli(), 10))
	}
	if n := len(v.EvidenceIDs); n > 0 {
		fs = append(fs, cefField{"cn1Label", "evidenceCount"}, cefField{"cn1", strconv.Itoa(n)})
	}
	labelled("cs5", "evidenceEventIds", strings.Join(v.EvidenceIDs, ","))
	add("msg", strings.TrimSpace(v.Summary+" "+m.Note))
	return fs
}

// formatCEF returns m as a CEF line of at most limit bytes: extension
// pairs that do not fit are left out, least important first, and never
// cut in the middle (labels go with their values).
func formatCEF(m *Message, version string, limit int) string {
	v := m.view()
	sig, name := v.RuleID, v.Title
	switch m.Kind {
	case KindAction:
		sig, name = "aitdr.action", m.headline(v)
	case KindNotification:
		sig, name = "aitdr.notification", m.headline(v)
	}
	var b strings.Builder
	b.WriteString("CEF:0|aitdr|aitdr|")
	b.WriteString(escapeHeader(version))
	b.WriteByte('|')
	b.WriteString(escapeHeader(cmpOr(sig, "aitdr.alert")))
	b.WriteByte('|')
	b.WriteString(escapeHeader(cmpOr(name, "aitdr alert")))
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(cefSeverity(m.severity())))
	b.WriteByte('|')
	fields := cefFields(m, v)
	first := true
	for i := 0; i < len(fields); i++ {
		pair := fields[i].key + "=" + escapeValue(fields[i].value)
		if strings.HasSuffix(fields[i].key, "Label") && i+1 < len(fields) {
			pair += " " + fields[i+1].key + "=" + escapeValue(fields[i+1].value)
			i++
		}
		sep := 0
		if !first {
			sep = 1
		}
		if limit > 0 && b.Len()+sep+len(pair) > limit {
			continue
		}
		if !first {
			b.WriteByte(' ')
		}
		b.WriteString(pair)
		first = false
	}
	return b.String()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// rfc5424Time is the TIMESTAMP of RFC 5424: RFC 3339 with at most six
// fractional digits.
const rfc5424Time = "2006-01-02T15:04:05.000000Z07:00"

// formatTime formats t for a syslog header, "-" when zero.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(rfc5424Time)
}
