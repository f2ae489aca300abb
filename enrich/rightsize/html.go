package rightsize

import (
	_ "embed"
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"strings"
)

//go:embed report.html.tmpl
var htmlTemplateText string

var htmlTemplate = template.Must(template.New("rightsize").Funcs(template.FuncMap{
	"day": day,
	"pct": pct,
	"num": func(name string, v any) template.HTML {
		s := html.EscapeString(fmt.Sprint(v))
		return template.HTML(`<td class="num" data-measure="` + html.EscapeString(name) + `" data-value="` + s + `">` + s + `</td>`)
	},
	"join": func(l []string) string { return strings.Join(l, ", ") },
}).Parse(htmlTemplateText))

// maxChartIdentities bounds the identities the granted-versus-used chart
// draws (the first in priority order).
const maxChartIdentities = 40

// WriteHTML writes the report as one self-contained HTML page: inline CSS
// and SVG charts (granted against used per identity, reduction per class),
// no script and no link, so that it opens anywhere without a network.
// Every number carries data-measure and data-value, so that tools can read
// the page back.
func (r *Report) WriteHTML(w io.Writer) error {
	view := struct {
		*Report
		Headline                  string
		IdentityChart, ClassChart template.HTML
	}{Report: r, Headline: r.Headline(), IdentityChart: r.identityChart(), ClassChart: r.classChart()}
	if err := htmlTemplate.Execute(w, view); err != nil {
		return fmt.Errorf("write rightsizing report html: %w", err)
	}
	return nil
}

// Chart geometry, in SVG user units.
const (
	barWidth  = 420
	barHeight = 14
	barGap    = 6
	charWidth = 7
)

// identityChart draws, per identity, its granted permissions as a bar and
// the used ones inside it, on a logarithmic scale (an administrator holds
// thousands, an agent uses a handful).
func (r *Report) identityChart() template.HTML {
	ids := r.Identities
	if len(ids) > maxChartIdentities {
		ids = ids[:maxChartIdentities]
	}
	if len(ids) == 0 {
		return ""
	}
	peak := 1
	label := 40
	for i := range ids {
		peak = max(peak, ids[i].Granted)
		label = max(label, charWidth*min(len(ids[i].ID), 60)+12)
	}
	scale := func(v int) int {
		if v <= 0 {
			return 0
		}
		return max(2, int(math.Round(math.Log10(float64(v)+1)/math.Log10(float64(peak)+1)*barWidth)))
	}
	height := len(ids)*(barHeight+barGap) + 30
	width := label + barWidth + 120
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart" role="img" aria-label="granted and used permissions per identity" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`,
		width, height, width, height)
	y := 4
	for i := range ids {
		id := &ids[i]
		name := id.ID
		if len(name) > 60 {
			name = name[:57] + "..."
		}
		fmt.Fprintf(&s, `<text class="label" x="%d" y="%d" text-anchor="end">%s</text>`, label-8, y+barHeight-3, html.EscapeString(name))
		fmt.Fprintf(&s, `<rect class="granted" x="%d" y="%d" width="%d" height="%d" data-measure="identity.granted" data-identity="%s" data-value="%d"><title>granted: %d</title></rect>`,
			label, y, scale(id.Granted), barHeight, html.EscapeString(id.ID), id.Granted, id.Granted)
		fmt.Fprintf(&s, `<rect class="used" x="%d" y="%d" width="%d" height="%d" data-measure="identity.used" data-identity="%s" data-value="%d"><title>used: %d</title></rect>`,
			label, y+3, scale(id.Used), barHeight-6, html.EscapeString(id.ID), id.Used, id.Used)
		fmt.Fprintf(&s, `<text class="value" x="%d" y="%d">%d / %d</text>`, label+scale(id.Granted)+6, y+barHeight-3, id.Used, id.Granted)
		y += barHeight + barGap
	}
	fmt.Fprintf(&s, `<rect class="granted" x="%d" y="%d" width="12" height="12"/><text class="legend" x="%d" y="%d">granted</text>`, label, y+4, label+16, y+14)
	fmt.Fprintf(&s, `<rect class="used" x="%d" y="%d" width="12" height="12"/><text class="legend" x="%d" y="%d">used (log scale)</text>`, label+90, y+4, label+106, y+14)
	s.WriteString(`</svg>`)
	return template.HTML(s.String()) // built from escaped values
}

// classChart draws, per class, the granted permissions and the share the
// recommendations remove.
func (r *Report) classChart() template.HTML {
	if len(r.Classes) == 0 {
		return ""
	}
	const label = 110
	height := len(r.Classes)*(2*barHeight+barGap+8) + 30
	width := label + barWidth + 140
	var peak int64 = 1
	for _, c := range r.Classes {
		peak = max(peak, c.Granted)
	}
	w := func(v int64) int {
		if v <= 0 {
			return 0
		}
		return max(2, int(math.Round(float64(v)/float64(peak)*barWidth)))
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart" role="img" aria-label="attack-surface reduction per class" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`,
		width, height, width, height)
	y := 4
	for _, c := range r.Classes {
		fmt.Fprintf(&s, `<text class="label" x="%d" y="%d" text-anchor="end">%s</text>`, label-8, y+barHeight+4, html.EscapeString(c.Class))
		fmt.Fprintf(&s, `<rect class="granted" x="%d" y="%d" width="%d" height="%d" data-measure="class.%s.granted" data-value="%d"><title>granted: %d</title></rect>`,
			label, y, w(c.Granted), barHeight, html.EscapeString(c.Class), c.Granted, c.Granted)
		fmt.Fprintf(&s, `<text class="value" x="%d" y="%d">%d granted</text>`, label+w(c.Granted)+6, y+barHeight-3, c.Granted)
		y += barHeight + 2
		fmt.Fprintf(&s, `<rect class="removable" x="%d" y="%d" width="%d" height="%d" data-measure="class.%s.removable" data-value="%d"><title>removable: %d</title></rect>`,
			label, y, w(c.Removable), barHeight, html.EscapeString(c.Class), c.Removable, c.Removable)
		fmt.Fprintf(&s, `<text class="value" x="%d" y="%d" data-measure="class.%s.reduction" data-value="%s">%s%% removable</text>`,
			label+w(c.Removable)+6, y+barHeight-3, html.EscapeString(c.Class), pct(c.Reduction), pct(c.Reduction))
		y += barHeight + barGap + 8
	}
	fmt.Fprintf(&s, `<rect class="granted" x="%d" y="%d" width="12" height="12"/><text class="legend" x="%d" y="%d">granted</text>`, label, y+4, label+16, y+14)
	fmt.Fprintf(&s, `<rect class="removable" x="%d" y="%d" width="12" height="12"/><text class="legend" x="%d" y="%d">removed by the recommendations</text>`, label+90, y+4, label+106, y+14)
	s.WriteString(`</svg>`)
	return template.HTML(s.String()) // built from escaped values
}
