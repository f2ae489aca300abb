package report

import (
	_ "embed"
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
)

//go:embed report.html.tmpl
var htmlTemplateText string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"time":    formatTime,
	"join":    joinList,
	"yesno":   yesNo,
	"share":   formatShare,
	"percent": formatPercent,
	"cap":     capitalize,
	"cell":    func(name string, v int) template.HTML { return measureCell(name, int64(v)) },
	"cell64":  measureCell,
	"count":   func(name string, n int) template.HTML { return measureSpan(name, int64(n)) },
}).Parse(htmlTemplateText))

// WriteHTML writes r as one self-contained HTML page: inline CSS and SVG
// charts, no script and no link, so that it opens anywhere without a
// network. Every number carries data-measure (its Measures name) and
// data-value; every list row carries data-list and data-identity (or
// data-entry), so that tools can read the page back.
func (r *Report) WriteHTML(w io.Writer) error {
	view := struct {
		*Report
		Donut, ClassChart, GapChart, ShadowChart, RiskChart template.HTML
	}{
		Report:      r,
		Donut:       r.donut(),
		ClassChart:  r.classChart(),
		GapChart:    r.gapChart(),
		ShadowChart: r.shadowChart(),
		RiskChart:   r.riskChart(),
	}
	if err := htmlTemplate.Execute(w, view); err != nil {
		return fmt.Errorf("write report html: %w", err)
	}
	return nil
}

// bar is one bar of a chart.
type bar struct {
	series  string // CSS class and legend name
	measure string // the Measures name it shows
	value   int64
}

// barGroup is the bars of one label.
type barGroup struct {
	label string
	bars  []bar
}

// Chart geometry, in SVG user units: two class charts side by side fit the
// page.
const (
	chartBarWidth  = 300
	chartBarHeight = 16
	chartBarGap    = 3
	chartGroupGap  = 12
	chartCharWidth = 7 // of a 12px label, generously
)

// barChart draws groups as horizontal bars scaled to the largest value,
// each with its value at its end and a legend of series below.
func barChart(title string, groups []barGroup, legend []string) template.HTML {
	var peak int64 = 1
	bars := 0
	for _, g := range groups {
		for _, b := range g.bars {
			peak = max(peak, b.value)
			bars++
		}
	}
	labelWidth := 40
	for _, g := range groups {
		labelWidth = max(labelWidth, chartCharWidth*len(g.label)+12)
	}
	legendWidth := 0
	for _, l := range legend {
		legendWidth += 16 + chartCharWidth*len(l) + 16
	}
	height := bars*(chartBarHeight+chartBarGap) + len(groups)*chartGroupGap + 8
	if len(legend) > 0 {
		height += 22
	}
	width := labelWidth + max(chartBarWidth+40, legendWidth)
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart" role="img" aria-label="%s" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`,
		html.EscapeString(title), width, height, width, height)
	y := 4
	for _, g := range groups {
		groupTop := y
		for _, b := range g.bars {
			w := int(math.Round(float64(b.value) / float64(peak) * chartBarWidth))
			if b.value > 0 {
				w = max(w, 2)
			}
			fmt.Fprintf(&s, `<rect class="%s" x="%d" y="%d" width="%d" height="%d" data-measure="%s" data-value="%d"><title>%s %s: %d</title></rect>`,
				b.series, labelWidth, y, w, chartBarHeight, html.EscapeString(b.measure), b.value,
				html.EscapeString(g.label), html.EscapeString(strings.ReplaceAll(b.series, "-", " ")), b.value)
			fmt.Fprintf(&s, `<text class="value" x="%d" y="%d">%d</text>`, labelWidth+w+4, y+chartBarHeight-4, b.value)
			y += chartBarHeight + chartBarGap
		}
		fmt.Fprintf(&s, `<text class="label" x="%d" y="%d" text-anchor="end">%s</text>`,
			labelWidth-8, (groupTop+y)/2+4, html.EscapeString(g.label))
		y += chartGroupGap
	}
	x := labelWidth
	for _, l := range legend {
		fmt.Fprintf(&s, `<rect class="%s" x="%d" y="%d" width="12" height="12"/><text class="legend" x="%d" y="%d">%s</text>`,
			l, x, y, x+16, y+10, html.EscapeString(strings.ReplaceAll(l, "-", " ")))
		x += 16 + chartCharWidth*len(l) + 16
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String()) // built from escaped values
}

// donut draws the share of observed AI identities the assumed inventory
// knew.
func (r *Report) donut() template.HTML {
	const size, radius, stroke = 180, 70, 26
	circumference := 2 * math.Pi * radius
	known := 0.0
	if r.Headline.ObservedAI > 0 {
		known = float64(r.Headline.KnownAI) / float64(r.Headline.ObservedAI)
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="donut" role="img" aria-label="share of AI identities known" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`,
		size, size, size, size)
	fmt.Fprintf(&s, `<circle class="unknown-ring" cx="90" cy="90" r="%d" stroke-width="%d"/>`, radius, stroke)
	fmt.Fprintf(&s, `<circle class="known-ring" cx="90" cy="90" r="%d" stroke-width="%d" stroke-dasharray="%.2f %.2f" transform="rotate(-90 90 90)"/>`,
		radius, stroke, known*circumference, circumference)
	fmt.Fprintf(&s, `<text class="donut-value" x="90" y="96" text-anchor="middle" data-measure="headline.known_percent" data-value="%s">%s%%</text>`,
		formatPercent(r.Headline.KnownPercent), formatPercent(r.Headline.KnownPercent))
	s.WriteString(`</svg>`)
	return template.HTML(s.String()) // numbers only
}

func (r *Report) classChart() template.HTML {
	var groups []barGroup
	for _, c := range r.Classes {
		groups = append(groups, barGroup{label: c.Class, bars: []bar{
			{"observed", "class." + c.Class + ".observed", int64(c.Observed)},
			{"assumed", "class." + c.Class + ".assumed", int64(c.Assumed)},
			{"matched", "class." + c.Class + ".matched", int64(c.Matched)},
		}})
	}
	return barChart("observed, assumed and matched identities per class", groups, []string{"observed", "assumed", "matched"})
}

func (r *Report) gapChart() template.HTML {
	var groups []barGroup
	for _, c := range r.Classes {
		groups = append(groups, barGroup{label: c.Class, bars: []bar{
			{"observed-not-assumed", "class." + c.Class + ".observed_not_assumed", int64(c.ObservedNotAssumed)},
			{"assumed-not-seen", "class." + c.Class + ".assumed_not_seen", int64(c.AssumedNotSeen)},
		}})
	}
	return barChart("the gap per class", groups, []string{"observed-not-assumed", "assumed-not-seen"})
}

func (r *Report) shadowChart() template.HTML {
	if len(r.ShadowAI.Services) == 0 {
		return ""
	}
	var groups []barGroup
	for _, s := range r.ShadowAI.Services {
		p := shadowServicePrefix + s.Service + "."
		groups = append(groups, barGroup{label: s.Service, bars: []bar{
			{"identities", p + "identities", s.Identities},
			{"personal", p + "personal_identities", s.PersonalIdentities},
		}})
	}
	return barChart("identities per unsanctioned AI service", groups, []string{"identities", "personal"})
}

func (r *Report) riskChart() template.HTML {
	groups := []barGroup{
		{"personal accounts, sensitive data", []bar{{"risk", "high_risk.personal_accounts_sensitive_data", int64(len(r.HighRisk.PersonalSensitive))}}},
		{"agents on shared credentials", []bar{{"risk", "high_risk.agents_on_shared_credentials", int64(len(r.HighRisk.SharedCredentialAgents))}}},
		{"dev/test reaching production", []bar{{"risk", "high_risk.dev_identities_reaching_prod", int64(len(r.HighRisk.DevToProd))}}},
		{"agents, broad permissions", []bar{{"risk", "high_risk.agents_with_broad_permissions", int64(len(r.HighRisk.BroadPermissionAgents))}}},
	}
	return barChart("identities per high-risk pattern", groups, nil)
}

// measureSpan is a number in text, marked as measureCell marks cells.
func measureSpan(name string, v int64) template.HTML {
	n := strconv.FormatInt(v, 10)
	return template.HTML(`<span class="num" data-measure="` + html.EscapeString(name) + `" data-value="` + n + `">` + n + `</span>`)
}

// measureCell is a table cell for the template: a number and its name.
func measureCell(name string, v int64) template.HTML {
	return template.HTML(`<td class="num" data-measure="` + html.EscapeString(name) + `" data-value="` +
		strconv.FormatInt(v, 10) + `">` + strconv.FormatInt(v, 10) + `</td>`)
}
