package report_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/aitdr/aitdr/enrich/report"
)

// page is what a reader gets back from the HTML report.
type page struct {
	measures map[string][]string // data-measure → every data-value shown for it
	texts    map[string][]string // data-measure → every text shown for it
	lists    map[string][]string // data-list → data-identity (or data-entry, data-line, data-service) in order
	headline string
	external []string // src, href and url() references: a self-contained page has none
	scripts  int
}

// readPage parses an HTML document the way a browser does and collects the
// numbers and list rows it marks.
func readPage(t *testing.T, doc []byte) page {
	t.Helper()
	root, err := html.Parse(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("parse the HTML report: %v", err)
	}
	p := page{measures: map[string][]string{}, texts: map[string][]string{}, lists: map[string][]string{}}
	for n := range root.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		attrs := map[string]string{}
		for _, a := range n.Attr {
			attrs[a.Key] = a.Val
		}
		if n.Data == "script" {
			p.scripts++
		}
		for _, k := range []string{"src", "href", "xlink:href"} {
			if v, ok := attrs[k]; ok {
				p.external = append(p.external, n.Data+" "+k+"="+v)
			}
		}
		if n.Data == "style" && n.FirstChild != nil && strings.Contains(n.FirstChild.Data, "url(") {
			p.external = append(p.external, "style url()")
		}
		if m, ok := attrs["data-measure"]; ok {
			p.measures[m] = append(p.measures[m], attrs["data-value"])
			p.texts[m] = append(p.texts[m], textOf(n))
		}
		if l, ok := attrs["data-list"]; ok {
			id := cmpOr(attrs["data-identity"], attrs["data-entry"], attrs["data-service"], attrs["data-line"])
			p.lists[l] = append(p.lists[l], id)
		}
		if h, ok := attrs["data-headline"]; ok {
			p.headline = h
		}
	}
	return p
}

func cmpOr(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// textOf returns the text inside n.
func textOf(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode && (d.Parent == nil || d.Parent.Data != "title") {
			b.WriteString(d.Data)
		}
	}
	return strings.TrimSpace(b.String())
}

// checkHTML checks that the HTML report shows every number of r, each with
// the value r has wherever it appears (tables, charts, headline), the same
// list rows in the same order, and nothing fetched from elsewhere.
func checkHTML(t *testing.T, doc []byte, r *report.Report) {
	t.Helper()
	p := readPage(t, doc)
	want := measureMap(r.Measures())
	for name, v := range want {
		got := p.measures[name]
		if len(got) == 0 {
			t.Errorf("the HTML does not show %s", name)
		}
		for _, g := range got {
			if g != v {
				t.Errorf("the HTML shows %s = %s, the report has %s", name, g, v)
			}
		}
		// Numbers in text (not bars) read as the value; the percentage
		// may carry its sign.
		for _, text := range p.texts[name] {
			if text != "" && strings.TrimSuffix(text, "%") != v {
				t.Errorf("the HTML reads %q for %s = %s", text, name, v)
			}
		}
	}
	for name := range p.measures {
		if _, ok := want[name]; !ok {
			t.Errorf("the HTML shows %s, which the report has not", name)
		}
	}
	if p.headline != r.Headline.Text {
		t.Errorf("HTML headline %q, report %q", p.headline, r.Headline.Text)
	}
	lists := map[string][]string{}
	add := func(name string, ids ...string) { lists[name] = append(lists[name], ids...) }
	for _, g := range r.ObservedNotAssumed {
		add("observed_not_assumed", g.IdentityID)
	}
	for _, e := range r.AssumedNotSeen {
		add("assumed_not_seen", e.Label())
	}
	for _, m := range r.Matches {
		add("matches", m.IdentityID)
	}
	for _, b := range r.Assumed.BadRows {
		add("bad_rows", strconv.Itoa(b.Line))
	}
	for _, s := range r.ShadowAI.Services {
		add("shadow_services", s.Service)
	}
	for _, s := range r.ShadowAI.Identities {
		add("shadow_identities", s.IdentityID)
	}
	for _, s := range r.ShadowAI.PersonalAccounts {
		add("personal_accounts", s.IdentityID)
	}
	for _, h := range r.HighRisk.PersonalSensitive {
		add("personal_accounts_sensitive_data", h.IdentityID)
	}
	for _, h := range r.HighRisk.SharedCredentialAgents {
		add("agents_on_shared_credentials", h.IdentityID)
	}
	for _, h := range r.HighRisk.DevToProd {
		add("dev_identities_reaching_prod", h.IdentityID)
	}
	for _, h := range r.HighRisk.BroadPermissionAgents {
		add("agents_with_broad_permissions", h.IdentityID)
	}
	if !maps.EqualFunc(p.lists, lists, slices.Equal) {
		t.Errorf("HTML lists differ from the report's:\nhtml:   %v\nreport: %v", p.lists, lists)
	}
	if len(p.external) > 0 || p.scripts > 0 {
		t.Errorf("the HTML report is not self-contained: %d scripts, references %v", p.scripts, p.external)
	}
}

// TestHTMLInChromium opens the HTML report in headless Chromium: the DOM it
// builds shows the report's numbers, and a screenshot of the page has the
// charts drawn. It skips when Chromium is not installed.
func TestHTMLInChromium(t *testing.T) {
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Skip("no Chromium (chromium, chromium-browser, google-chrome) on PATH: the HTML report is checked by parsing only (apt-get install chromium to run this test)")
	}
	r := buildCase(t, time.Time{}, true)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	chrome := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
			"--user-data-dir=" + filepath.Join(dir, "profile"), "--window-size=1200,4000"}
		cmd := exec.CommandContext(ctx, browser, append(base, append(args, "file://"+page)...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", browser, args, err, stderr.String())
		}
		return out
	}

	dom := chrome("--dump-dom")
	checkHTML(t, dom, r)

	shot := filepath.Join(dir, "report.png")
	chrome("--screenshot=" + shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode the screenshot: %v", err)
	}
	if got := img.Bounds().Dx(); got != 1200 {
		t.Errorf("screenshot %d pixels wide, want 1200", got)
	}
	// The bars' colours are on the page: the charts were drawn.
	for name, c := range map[string]color.RGBA{
		"observed bars": {0x2f, 0x6f, 0xd0, 0xff},
		"matched bars":  {0x2e, 0x9d, 0x62, 0xff},
		"gap bars":      {0xd1, 0x48, 0x3b, 0xff},
	} {
		if n := countColor(img, c); n < 100 {
			t.Errorf("the screenshot has %d pixels of the %s' colour, want at least 100", n, name)
		}
	}
	t.Logf("screenshot of the HTML report: %s", shot)
}

// countColor counts the pixels of img within a few levels of c.
func countColor(img image.Image, c color.RGBA) int {
	near := func(a uint32, b uint8) bool { d := int(a>>8) - int(b); return d >= -3 && d <= 3 }
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if near(r, c.R) && near(g, c.G) && near(b, c.B) {
				n++
			}
		}
	}
	return n
}
