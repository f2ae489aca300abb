package sigma

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing/fstest"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/aitdr/aitdr/rules"
)

// Outcome is what became of one Sigma rule.
type Outcome struct {
	// Sigma names the Sigma rule: file, document and title.
	Sigma string `json:"sigma"`
	// SigmaID is the Sigma rule's id.
	SigmaID string `json:"sigma_id,omitempty"`
	// Converted is true when the rule became an aitdr rule (or the part of
	// a correlation that uses it).
	Converted bool `json:"converted"`
	// RuleID is the aitdr rule's id; empty for a rule only a correlation
	// uses.
	RuleID string `json:"rule_id,omitempty"`
	// Reason says why the rule was not converted, or how it was used.
	Reason string `json:"reason,omitempty"`
}

// String is one report line.
func (o Outcome) String() string {
	status := "skipped  "
	if o.Converted {
		status = "converted"
	}
	s := status + " " + o.Sigma
	if o.RuleID != "" {
		s += " -> " + o.RuleID
	}
	if o.Reason != "" {
		s += ": " + o.Reason
	}
	return s
}

// Result is the conversion of a set of Sigma rules.
type Result struct {
	// Files are the aitdr rule files, by the Sigma file their rules came
	// from; a file none of whose rules converted is absent.
	Files map[string][]byte
	// Outcomes are one per Sigma rule, in input order.
	Outcomes []Outcome
}

// Report writes the outcomes, one line each, and a summary.
func (r *Result) Report(w io.Writer) {
	n := 0
	for _, o := range r.Outcomes {
		fmt.Fprintln(w, o)
		if o.Converted {
			n++
		}
	}
	fmt.Fprintf(w, "%d of %d Sigma rules converted\n", n, len(r.Outcomes))
}

// base is a compiled Sigma detection rule.
type base struct {
	rule *Rule
	src  *Source
	cond node
	err  error
	// usedBy is the correlation that uses the rule without generating
	// its own alerts (Sigma's generate: false).
	usedBy *Rule
}

// Convert converts Sigma rules (detections and correlations; a
// correlation may reference rules of any of the inputs by id or name).
// Every converted rule carries a generated test that fires and a near miss
// that does not, and is accepted only when it loads and both tests pass
// in the rules engine. It is safe for concurrent use.
func Convert(docs []*Rule) *Result {
	bases := map[*Rule]*base{}
	byRef := map[string]*Rule{}
	for _, d := range docs {
		if d.ID != "" {
			byRef[d.ID] = d
		}
		if d.Name != "" {
			byRef[d.Name] = d
		}
		if d.Correlation != nil {
			continue
		}
		b := &base{rule: d}
		b.src = LookupSource(d.LogSource)
		if b.src == nil {
			b.err = unsupported("unsupported logsource product=%q service=%q category=%q: no aitdr source normalizes it",
				d.LogSource.Product, d.LogSource.Service, d.LogSource.Category)
		} else {
			b.cond, b.err = detection(d, b.src)
		}
		bases[d] = b
	}
	ruleOf := map[*Rule]*outRule{}
	reasons := map[*Rule]string{}
	for _, d := range docs {
		var r *outRule
		var err error
		if d.Correlation != nil {
			r, err = convertCorrelation(d, bases, byRef)
		} else if b := bases[d]; b.err != nil {
			err = b.err
		} else {
			r, err = convertMatch(b)
		}
		if err != nil {
			reasons[d] = err.Error()
			continue
		}
		ruleOf[d] = r
	}
	res := &Result{Files: map[string][]byte{}}
	byFile := map[string][]*outRule{}
	var files []string
	for _, d := range docs {
		o := Outcome{Sigma: d.String(), SigmaID: d.ID}
		r := ruleOf[d]
		b := bases[d]
		switch {
		case r == nil:
			o.Reason = reasons[d]
		case b != nil && b.usedBy != nil:
			o.Converted = true
			o.Reason = fmt.Sprintf("used by correlation %s (generate: false), not a rule of its own", b.usedBy.String())
		default:
			if err := verify(r); err != nil {
				o.Reason = err.Error()
				break
			}
			o.Converted, o.RuleID = true, r.ID
			if !slices.Contains(files, d.File) {
				files = append(files, d.File)
			}
			byFile[d.File] = append(byFile[d.File], r)
		}
		res.Outcomes = append(res.Outcomes, o)
	}
	for _, f := range files {
		data, err := marshal(byFile[f])
		if err != nil {
			continue // verify marshalled every rule already
		}
		res.Files[f] = data
	}
	return res
}

// outRule is an aitdr rule as written to YAML, fields in the format's
// order.
type outRule struct {
	ID          string        `yaml:"id"`
	Title       string        `yaml:"title"`
	Description string        `yaml:"description"`
	Severity    string        `yaml:"severity"`
	Status      string        `yaml:"status"`
	Sources     []string      `yaml:"sources"`
	ATLAS       []string      `yaml:"atlas,omitempty"`
	Attack      []string      `yaml:"attack,omitempty"`
	Tags        []string      `yaml:"tags,omitempty"`
	References  []string      `yaml:"references,omitempty"`
	Type        string        `yaml:"type"`
	Condition   string        `yaml:"condition,omitempty"`
	Threshold   *outThreshold `yaml:"threshold,omitempty"`
	Sequence    *outSequence  `yaml:"sequence,omitempty"`
	Tests       []outTest     `yaml:"tests"`
}

type outThreshold struct {
	Function string   `yaml:"function"`
	Field    string   `yaml:"field,omitempty"`
	GroupBy  []string `yaml:"group_by"`
	Window   string   `yaml:"window"`
	GTE      int      `yaml:"gte"`
}

type outSequence struct {
	GroupBy []string  `yaml:"group_by"`
	Window  string    `yaml:"window"`
	Ordered bool      `yaml:"ordered"`
	Steps   []outStep `yaml:"steps"`
}

type outStep struct {
	Name      string `yaml:"name"`
	Condition string `yaml:"condition"`
}

type outTest struct {
	Name   string           `yaml:"name"`
	Events []map[string]any `yaml:"events"`
	Expect outExpect        `yaml:"expect"`
}

type outExpect struct {
	Alerts int `yaml:"alerts"`
}

func marshal(rs []*outRule) ([]byte, error) {
	data, err := yaml.MarshalWithOptions(struct {
		Rules []*outRule `yaml:"rules"`
	}{rs}, yaml.UseLiteralStyleIfMultiline(true))
	if err != nil {
		return nil, fmt.Errorf("marshal rules: %w", err)
	}
	return append([]byte("# Converted from Sigma by aitdr rules import-sigma.\n"), data...), nil
}

// verify loads r alone and runs its tests through the rules engine.
func verify(r *outRule) error {
	data, err := marshal([]*outRule{r})
	if err != nil {
		return err
	}
	set, err := rules.NewLoader().AddFS(fstest.MapFS{"rule.yaml": {Data: data}}, "sigma").Load()
	if err != nil {
		return fmt.Errorf("the converted rule does not load: %s", oneLine(err.Error()))
	}
	for _, t := range rules.RunTests(set) {
		if !t.Passed {
			return fmt.Errorf("the generated test %q fails in the engine: %s", t.Test, strings.Join(t.Failures, "; "))
		}
	}
	return nil
}

var idPattern = regexp.MustCompile(`[^a-z0-9]+`)

// ruleID is "sigma-" and the Sigma id (or name, or title) made fit for an
// aitdr id.
func ruleID(d *Rule) string {
	s := d.ID
	if s == "" {
		s = d.Name
	}
	if s == "" {
		s = d.Title
	}
	return "sigma-" + strings.Trim(idPattern.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// header fills the fields every converted rule has.
func header(d *Rule, sources []string) (*outRule, error) {
	sev, ok := severities[strings.ToLower(d.Level)]
	if !ok {
		return nil, unsupported("level %q is not a Sigma level", d.Level)
	}
	r := &outRule{ID: ruleID(d), Title: d.Title, Severity: sev, Status: "experimental", Sources: sources}
	if r.Title == "" {
		return nil, unsupported("no title")
	}
	if d.Status == "stable" {
		r.Status = "stable"
	}
	var desc []string
	if s := strings.TrimSpace(d.Description); s != "" {
		desc = append(desc, s)
	} else {
		desc = append(desc, d.Title+".")
	}
	if len(d.FalsePositives) > 0 {
		desc = append(desc, "False positives: "+strings.TrimSuffix(strings.Join(d.FalsePositives, "; "), ".")+".")
	}
	if d.Author != "" {
		desc = append(desc, "Sigma rule by "+d.Author+".")
	}
	if d.ID != "" {
		desc = append(desc, "Sigma id "+d.ID+".")
	}
	r.Description = strings.Join(desc, "\n\n")
	attackID := regexp.MustCompile(`^t\d{4}(\.\d{3})?$`)
	for _, t := range d.Tags {
		lt := strings.ToLower(t)
		if id, ok := strings.CutPrefix(lt, "attack."); ok && attackID.MatchString(id) {
			tech := strings.ToUpper(id)
			r.Attack = append(r.Attack, tech)
			parent, _, _ := strings.Cut(tech, ".")
			if a, ok := attackToATLAS[parent]; ok && !slices.Contains(r.ATLAS, a) {
				r.ATLAS = append(r.ATLAS, a)
			}
			continue
		}
		r.Tags = append(r.Tags, lt)
	}
	r.References = d.References
	return r, nil
}

func convertMatch(b *base) (*outRule, error) {
	r, err := header(b.rule, []string{b.src.Product})
	if err != nil {
		return nil, err
	}
	r.Type = "match"
	r.Condition = b.cond.expr()
	fire, ok := firing(b.cond)
	if !ok {
		return nil, unsupported("could not generate an event the detection matches")
	}
	miss, ok := nearMiss(b.cond, fire)
	if !ok {
		return nil, unsupported("could not generate a near miss: the detection matches every event")
	}
	r.Tests = []outTest{
		{Name: "fires on an event the Sigma detection matches", Events: []map[string]any{event(fire, nil, 0)}, Expect: outExpect{1}},
		{Name: "near miss - one field differs", Events: []map[string]any{event(miss, nil, 0)}, Expect: outExpect{0}},
	}
	return r, nil
}

// testEpoch is the time of generated events.
var testEpoch = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// event builds a test event from field values (by Target.key) and extra
// values, at offset after the epoch (none when zero).
func event(values, extra map[string]string, offset time.Duration) map[string]any {
	ev := map[string]any{}
	set := func(k, v string) {
		path := strings.Split(k, "/")
		m := ev
		for _, p := range path[:len(path)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[path[len(path)-1]] = v
	}
	for k, v := range values {
		set(k, v)
	}
	for k, v := range extra {
		set(k, v)
	}
	if offset > 0 {
		ev["time"] = testEpoch.Add(offset).Format(time.RFC3339)
	}
	return ev
}

// convertCorrelation converts an event_count, value_count, temporal or
// temporal_ordered correlation of base rules.
func convertCorrelation(d *Rule, bases map[*Rule]*base, byRef map[string]*Rule) (*outRule, error) {
	c := d.Correlation
	if len(c.Aliases) > 0 {
		return nil, unsupported("correlation aliases are not supported")
	}
	if len(c.Rules) == 0 {
		return nil, unsupported("correlation names no rules")
	}
	var refs []*base
	var products []string
	for _, ref := range c.Rules {
		target, ok := byRef[ref]
		if !ok {
			return nil, unsupported("correlation references rule %q, which is not among the inputs", ref)
		}
		b := bases[target]
		if b == nil {
			return nil, unsupported("correlation references correlation %q: nested correlations are not supported", ref)
		}
		if b.err != nil {
			return nil, unsupported("referenced rule %q is not convertible: %s", ref, b.err.Error())
		}
		refs = append(refs, b)
		if !slices.Contains(products, b.src.Product) {
			products = append(products, b.src.Product)
		}
	}
	r, err := header(d, products)
	if err != nil {
		return nil, err
	}
	window, err := rules.ParseDuration(c.Timespan)
	if err != nil {
		return nil, unsupported("timespan %q: %s", c.Timespan, err.Error())
	}
	// Group-by fields map through every referenced rule's source; they
	// must agree.
	var groupBy []Target
	for _, g := range c.GroupBy {
		var t Target
		for i, b := range refs {
			bt, ok := b.src.Fields[g]
			if !ok {
				return nil, unsupported("group-by field %q is unmapped for %s", g, b.src.Product)
			}
			if i > 0 && bt.Expr != t.Expr {
				return nil, unsupported("group-by field %q maps to %s and %s in the referenced rules", g, t.Expr, bt.Expr)
			}
			t = bt
		}
		groupBy = append(groupBy, t)
	}
	groupExprs := []string{"identity.id"}
	groupValues := map[string]string{}
	if len(groupBy) > 0 {
		groupExprs = nil
		for _, t := range groupBy {
			groupExprs = append(groupExprs, t.Expr)
			groupValues[t.key()] = "group-1"
		}
	}
	switch c.Type {
	case "event_count", "value_count":
		gte, err := countCondition(c.Condition)
		if err != nil {
			return nil, err
		}
		var alts orNode
		for _, b := range refs {
			alts = append(alts, b.cond)
		}
		var cond node = alts
		if len(alts) == 1 {
			cond = alts[0]
		}
		r.Type = "threshold"
		r.Condition = cond.expr()
		r.Threshold = &outThreshold{Function: "count", GroupBy: groupExprs, Window: c.Timespan, GTE: gte}
		var distinct *Target
		if c.Type == "value_count" {
			f, _ := c.Condition["field"].(string)
			if f == "" {
				return nil, unsupported("value_count without condition.field")
			}
			t, ok := refs[0].src.Fields[f]
			if !ok {
				return nil, unsupported("value_count field %q is unmapped for %s", f, refs[0].src.Product)
			}
			r.Threshold.Function, r.Threshold.Field = "distinct_count", t.Expr
			distinct = &t
		}
		fire, ok := firing(cond)
		if !ok {
			return nil, unsupported("could not generate an event the referenced rules match")
		}
		miss, ok := nearMiss(cond, fire)
		if !ok {
			return nil, unsupported("could not generate a near miss for the referenced rules")
		}
		step := spacing(window, gte)
		var fires, misses []map[string]any
		for i := range gte {
			extra := mapsClone(groupValues)
			if distinct != nil {
				extra[distinct.key()] = fmt.Sprintf("value-%d", i)
			}
			ev := event(fire, extra, time.Duration(i+1)*step)
			fires = append(fires, ev)
			if i < gte-1 {
				misses = append(misses, ev)
			} else {
				misses = append(misses, event(miss, extra, time.Duration(i+1)*step))
			}
		}
		r.Tests = []outTest{
			{Name: fmt.Sprintf("fires on %d matching events within %s", gte, c.Timespan), Events: fires, Expect: outExpect{1}},
			{Name: fmt.Sprintf("near miss - %d matching events and one that differs", gte-1), Events: misses, Expect: outExpect{0}},
		}
	case "temporal", "temporal_ordered":
		if len(refs) < 2 {
			return nil, unsupported("a %s correlation needs at least two rules", c.Type)
		}
		r.Type = "sequence"
		r.Sequence = &outSequence{GroupBy: groupExprs, Window: c.Timespan, Ordered: c.Type == "temporal_ordered"}
		step := spacing(window, len(refs))
		var fires, misses []map[string]any
		for i, b := range refs {
			name := idPattern.ReplaceAllString(strings.ToLower(c.Rules[i]), "_")
			r.Sequence.Steps = append(r.Sequence.Steps, outStep{Name: strings.Trim(name, "_"), Condition: b.cond.expr()})
			fire, ok := firing(b.cond)
			if !ok {
				return nil, unsupported("could not generate an event rule %q matches", c.Rules[i])
			}
			ev := event(fire, groupValues, time.Duration(i+1)*step)
			fires = append(fires, ev)
			if i < len(refs)-1 {
				misses = append(misses, ev)
			}
		}
		r.Tests = []outTest{
			{Name: "fires on one event of each rule within " + c.Timespan, Events: fires, Expect: outExpect{1}},
			{Name: "near miss - the last rule's event is missing", Events: misses, Expect: outExpect{0}},
		}
	default:
		return nil, unsupported("correlation type %q is not supported", c.Type)
	}
	for _, b := range refs {
		if !c.Generate && b.usedBy == nil {
			b.usedBy = d
		}
	}
	return r, nil
}

func mapsClone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// spacing spreads n events well within window.
func spacing(window time.Duration, n int) time.Duration {
	return max(min(window/time.Duration(2*n+2), time.Minute), time.Second)
}

// countCondition returns the count a correlation's condition reaches.
func countCondition(cond map[string]any) (int, error) {
	for k := range cond {
		switch k {
		case "gte", "gt", "field":
		case "eq", "lt", "lte", "neq":
			return 0, unsupported("correlation condition %s: a streaming rule fires when a count is reached, not when it stays low or equal", k)
		default:
			return 0, unsupported("correlation condition %q is not supported", k)
		}
	}
	n, err := 0, error(nil)
	if v, ok := cond["gte"]; ok {
		n, err = whole(v)
	} else if v, ok := cond["gt"]; ok {
		n, err = whole(v)
		n++
	} else {
		return 0, unsupported("correlation condition has neither gte nor gt")
	}
	if err == nil && (n < 1 || n > 10000) {
		err = unsupported("correlation count %d is out of range 1..10000", n)
	}
	return n, err
}

func whole(v any) (int, error) {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	case uint64:
		n = int64(min(x, 1<<31))
	default:
		return 0, unsupported("correlation count %v is not a whole number", v)
	}
	if n < 0 || n > 10000 {
		return 0, unsupported("correlation count %d is out of range", n)
	}
	return int(n), nil
}
