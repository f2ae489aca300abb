package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/aitdr/aitdr/rules/atlas"
	"github.com/aitdr/aitdr/schemas"
)

var (
	idPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	attackPattern = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
)

// defaultSuppressWindow is the suppression window when suppress gives none.
const defaultSuppressWindow = time.Hour

// ruleCompiler compiles the rules of one file against an environment.
type ruleCompiler struct {
	pf   *parsedFile
	env  *exprEnv
	errs Problems
}

func (c *ruleCompiler) errorf(path, format string, args ...any) {
	c.errs = append(c.errs, c.pf.errorf(path, format, args...))
}

// expr compiles the expression src found at path, or records why not.
func (c *ruleCompiler) expr(path, src string, want result) (*vm.Program, *exprInfo) {
	prog, info, err := c.env.compile(src, want)
	if err != nil {
		c.errs = append(c.errs, c.pf.exprError(path, 0, err)...)
		return nil, nil
	}
	return prog, info
}

// keys compiles key expressions (group_by, suppress.key, fields); none
// gives def.
func (c *ruleCompiler) keys(path string, srcs []string, def []string, refs map[string]bool) []keyExpr {
	if len(srcs) == 0 {
		srcs = def
	}
	out := make([]keyExpr, 0, len(srcs))
	for i, src := range srcs {
		if normalizeExpr(src) == "identity.id" {
			out = append(out, keyExpr{src: src, identityID: true})
			continue
		}
		prog, info := c.expr(fmt.Sprintf("%s[%d]", path, i), src, resultAny)
		if info != nil {
			mergeRefs(refs, info.refs)
		}
		out = append(out, keyExpr{src: src, prog: prog})
	}
	return out
}

// normalizeExpr drops spaces and an event. prefix, to recognise simple
// field expressions.
func normalizeExpr(src string) string {
	s := strings.Join(strings.Fields(src), "")
	return strings.TrimPrefix(s, "event.")
}

func mergeRefs(dst, src map[string]bool) {
	for k := range src {
		dst[k] = true
	}
}

// duration parses the duration at path; required says whether it may be
// empty (then def).
func (c *ruleCompiler) duration(path, text string, required bool, def time.Duration) time.Duration {
	if text == "" {
		if required {
			c.errorf(path, "required: a duration such as 10m, 2h or 30d")
		}
		return def
	}
	d, err := ParseDuration(text)
	if err != nil {
		c.errorf(path, "%v", err)
		return def
	}
	if d <= 0 {
		c.errorf(path, "%s must be positive", text)
		return def
	}
	return d
}

// compileRule compiles rule i of the file.
func (c *ruleCompiler) compileRule(i int) *Rule {
	spec := c.pf.spec.Rules[i]
	path := fmt.Sprintf("rules[%d]", i)
	p := func(field string) string { return path + "." + field }
	r := &Rule{
		ID:          spec.ID,
		Title:       strings.TrimSpace(spec.Title),
		Description: strings.TrimSpace(spec.Description),
		Severity:    Severity(spec.Severity),
		Status:      spec.Status,
		Type:        Type(spec.Type),
		Enabled:     spec.Enabled == nil || *spec.Enabled,
		Pos:         c.pf.itemPos(path, "id"),
		Spec:        spec,
		refs:        map[string]bool{},
	}
	switch {
	case spec.ID == "":
		c.errorf(p("id"), "required")
	case !idPattern.MatchString(spec.ID):
		c.errorf(p("id"), "%q must be lower-case letters, digits and dashes, such as aitdr-agent-iam-policy-attach", spec.ID)
	}
	if r.Title == "" {
		c.errorf(p("title"), "required")
	}
	if r.Description == "" {
		c.errorf(p("description"), "required")
	}
	if !r.Severity.Valid() {
		if spec.Severity == "" {
			c.errorf(p("severity"), "required: one of info, low, medium, high, critical")
		} else {
			c.errorf(p("severity"), "%q is not one of info, low, medium, high, critical", spec.Severity)
		}
	}
	switch spec.Status {
	case "":
		r.Status = "experimental"
	case "experimental", "stable":
	default:
		c.errorf(p("status"), "%q is not one of experimental, stable", spec.Status)
	}
	if spec.Type == "" {
		r.Type = TypeMatch
	} else if !slices.Contains(ruleTypes, r.Type) {
		c.errorf(p("type"), "%q is not one of match, threshold, sequence, new_terms, anomaly", spec.Type)
	}
	for j, v := range spec.IdentityClasses {
		if !schemas.IdentityClass(v).Valid() {
			c.errorf(fmt.Sprintf("%s[%d]", p("identity_classes"), j), "%q is not an identity class (ai_user, ai_builder, ai_agent, human, service, unknown)", v)
		}
		r.classes = append(r.classes, schemas.IdentityClass(v))
	}
	for j, v := range spec.Sources {
		if !schemas.Product(v).Valid() {
			c.errorf(fmt.Sprintf("%s[%d]", p("sources"), j), "%q is not a source product such as aws.cloudtrail", v)
		}
		r.sources = append(r.sources, schemas.Product(v))
	}
	for j, v := range spec.Categories {
		if !schemas.Category(v).Valid() {
			c.errorf(fmt.Sprintf("%s[%d]", p("categories"), j), "%q is not an action category (%s)", v, joinValues(schemas.Categories()))
		}
		r.categories = append(r.categories, schemas.Category(v))
	}
	for j, v := range spec.Actions {
		if v == "" {
			c.errorf(fmt.Sprintf("%s[%d]", p("actions"), j), "empty action name")
		}
		r.actions = append(r.actions, v)
	}
	for j, id := range spec.ATLAS {
		t, ok := atlas.Lookup(id)
		if !ok {
			c.errorf(fmt.Sprintf("%s[%d]", p("atlas"), j), "%q is not a technique of MITRE ATLAS %s", id, atlas.Version)
			continue
		}
		r.ATLAS = append(r.ATLAS, t)
	}
	for j, id := range spec.ATTACK {
		if !attackPattern.MatchString(id) {
			c.errorf(fmt.Sprintf("%s[%d]", p("attack"), j), "%q is not a MITRE ATT&CK technique id such as T1078 or T1098.003", id)
			continue
		}
		r.ATTACK = append(r.ATTACK, id)
	}
	if spec.Response != "" && !slices.Contains(Playbooks, spec.Response) {
		c.errorf(p("response"), "%q is not a response playbook (%s)", spec.Response, strings.Join(Playbooks, ", "))
	}

	// The type body must be the type's own.
	bodies := []struct {
		typ     Type
		field   string
		present bool
	}{
		{TypeThreshold, "threshold", spec.Threshold != nil},
		{TypeSequence, "sequence", spec.Sequence != nil},
		{TypeNewTerms, "new_terms", spec.NewTerms != nil},
		{TypeAnomaly, "anomaly", spec.Anomaly != nil},
	}
	for _, b := range bodies {
		if b.present && b.typ != r.Type {
			c.errorf(p(b.field), "only a rule of type %s has a %s body (this rule's type is %s)", b.typ, b.field, r.Type)
		}
	}

	var digest []string // what the state means
	if spec.Condition != "" {
		prog, info := c.expr(p("condition"), spec.Condition, resultBool)
		r.cond = prog
		if info != nil {
			mergeRefs(r.refs, info.refs)
			r.features = append(r.features, info.features...)
		}
	} else if r.Type == TypeMatch || r.Type == TypeAnomaly {
		c.errorf(p("condition"), "required for a %s rule", r.Type)
	}
	if r.cond != nil {
		digest = append(digest, "condition:"+r.cond.Node().String())
	}
	digest = append(digest, "type:"+string(r.Type), "filters:"+strings.Join(spec.Sources, ",")+"|"+
		strings.Join(spec.IdentityClasses, ",")+"|"+strings.Join(spec.Categories, ",")+"|"+strings.Join(spec.Actions, ","))

	switch r.Type {
	case TypeThreshold:
		r.threshold = c.thresholdBody(p("threshold"), spec.Threshold, r)
	case TypeSequence:
		r.sequence = c.sequenceBody(p("sequence"), spec.Sequence, r)
	case TypeNewTerms:
		r.newTerms = c.newTermsBody(p("new_terms"), spec.NewTerms, r)
	case TypeAnomaly:
		r.anomaly = &anomalyBody{requireBaseline: true}
		if spec.Anomaly != nil && spec.Anomaly.RequireBaseline != nil {
			r.anomaly.requireBaseline = *spec.Anomaly.RequireBaseline
		}
	}
	digest = append(digest, r.bodyDigest())

	if spec.SeverityExpr != "" {
		prog, info := c.expr(p("severity_expr"), spec.SeverityExpr, resultString)
		r.severityExpr = prog
		if info != nil {
			mergeRefs(r.refs, info.refs)
		}
	}
	for j, ex := range spec.Exceptions {
		r.exceptionPos = append(r.exceptionPos, c.pf.itemPos(fmt.Sprintf("%s[%d]", p("exceptions"), j), "name"))
		if e := c.exception(fmt.Sprintf("%s[%d]", p("exceptions"), j), ex, r); e != nil {
			r.exceptions = append(r.exceptions, e)
		}
	}
	for j := range spec.Exceptions {
		for k := range j {
			if spec.Exceptions[j].Name != "" && spec.Exceptions[k].Name == spec.Exceptions[j].Name {
				c.errorf(fmt.Sprintf("%s[%d].name", p("exceptions"), j), "duplicate exception name %q", spec.Exceptions[j].Name)
			}
		}
	}
	if spec.Suppress != nil {
		r.suppress = &suppression{
			keys:   c.keys(p("suppress.key"), spec.Suppress.Key, []string{"identity.id"}, r.refs),
			window: c.duration(p("suppress.window"), spec.Suppress.Window, false, defaultSuppressWindow),
		}
		r.suppressDigest = fmt.Sprintf("%s|%s", keySources(r.suppress.keys), r.suppress.window)
	}
	r.title = c.template(p("output.title"), spec.Output.Title, r)
	r.summary = c.template(p("output.summary"), spec.Output.Summary, r)
	c.tests(path, spec, r)

	r.stateDigest = digestOf(digest...)
	canonical, _ := json.Marshal(spec) // pointers followed, map keys sorted
	r.Version = digestOf(append(digest, r.suppressDigest, string(canonical))...)[:12]
	return r
}

// bodyDigest is the canonical text of the compiled type body.
func (r *Rule) bodyDigest() string {
	switch {
	case r.threshold != nil:
		t := r.threshold
		field := ""
		if t.field != nil {
			field = t.field.Node().String()
		}
		return fmt.Sprintf("threshold:%s|%s|%s|%s|%g", t.function, field, keySources(t.groupBy), t.window, t.gte)
	case r.sequence != nil:
		s := r.sequence
		var b strings.Builder
		fmt.Fprintf(&b, "sequence:%s|%s|%v", keySources(s.groupBy), s.window, s.ordered)
		for _, st := range s.steps {
			cond := ""
			if st.cond != nil {
				cond = st.cond.Node().String()
			}
			fmt.Fprintf(&b, "|%s:%v:%s", st.name, st.absent, cond)
		}
		return b.String()
	case r.newTerms != nil:
		n := r.newTerms
		return fmt.Sprintf("new_terms:%s|%s|%s", keySources(n.fields), keySources(n.groupBy), n.history)
	}
	return ""
}

func keySources(keys []keyExpr) string {
	var parts []string
	for _, k := range keys {
		if k.prog != nil {
			parts = append(parts, k.prog.Node().String())
		} else {
			parts = append(parts, normalizeExpr(k.src))
		}
	}
	return strings.Join(parts, ",")
}

func digestOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func joinValues[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func (c *ruleCompiler) thresholdBody(path string, spec *ThresholdSpec, r *Rule) *thresholdBody {
	if spec == nil {
		c.errorf(path, "required for a threshold rule: function, group_by, window and gte")
		return nil
	}
	t := &thresholdBody{function: spec.Function, gte: spec.GTE}
	if t.function == "" {
		t.function = "count"
	}
	switch t.function {
	case "count":
		if spec.Field != "" {
			c.errorf(path+".field", "count takes no field (use distinct_count to count distinct values)")
		}
	case "sum", "distinct_count":
		if spec.Field == "" {
			c.errorf(path+".field", "required for %s", t.function)
			break
		}
		want := resultAny
		if t.function == "sum" {
			want = resultNumber
		}
		prog, info := c.expr(path+".field", spec.Field, want)
		t.field = prog
		if info != nil {
			mergeRefs(r.refs, info.refs)
		}
	default:
		c.errorf(path+".function", "%q is not one of count, sum, distinct_count", spec.Function)
	}
	t.groupBy = c.keys(path+".group_by", spec.GroupBy, []string{"identity.id"}, r.refs)
	t.window = c.duration(path+".window", spec.Window, true, time.Minute)
	if spec.GTE <= 0 {
		c.errorf(path+".gte", "required: a positive number the aggregate must reach")
	}
	return t
}

func (c *ruleCompiler) sequenceBody(path string, spec *SequenceSpec, r *Rule) *sequenceBody {
	if spec == nil {
		c.errorf(path, "required for a sequence rule: window and steps")
		return nil
	}
	s := &sequenceBody{ordered: spec.Ordered == nil || *spec.Ordered}
	s.groupBy = c.keys(path+".group_by", spec.GroupBy, []string{"identity.id"}, r.refs)
	s.window = c.duration(path+".window", spec.Window, true, time.Hour)
	names := map[string]bool{}
	for i, st := range spec.Steps {
		sp := fmt.Sprintf("%s.steps[%d]", path, i)
		if st.Name == "" {
			c.errorf(sp+".name", "required")
		} else if names[st.Name] {
			c.errorf(sp+".name", "duplicate step name %q", st.Name)
		}
		names[st.Name] = true
		var prog *vm.Program
		if st.Condition == "" {
			c.errorf(sp+".condition", "required")
		} else {
			var info *exprInfo
			prog, info = c.expr(sp+".condition", st.Condition, resultBool)
			if info != nil {
				mergeRefs(r.refs, info.refs)
				if !st.Absent {
					r.features = appendFeatures(r.features, info.features)
				}
			}
		}
		if st.Absent {
			switch {
			case !s.ordered:
				c.errorf(sp+".absent", "an absent step needs an ordered sequence (ordered: true)")
			case i == 0 || i == len(spec.Steps)-1:
				c.errorf(sp+".absent", "an absent step must lie between two steps: it must not occur between the previous and the next one")
			}
		} else {
			s.positive = append(s.positive, i)
		}
		var keys []indexKeys
		if prog != nil {
			keys = impliedKeys(prog)
		}
		s.steps = append(s.steps, step{name: st.Name, cond: prog, absent: st.Absent, keys: keys})
	}
	if len(s.positive) < 2 {
		c.errorf(path+".steps", "a sequence needs at least two steps that are not absent (use a match rule for one)")
	}
	if len(spec.Steps) > maxSequenceSteps {
		c.errorf(path+".steps", "%d steps is over the limit of %d", len(spec.Steps), maxSequenceSteps)
	}
	return s
}

// maxSequenceSteps bounds the steps of a sequence.
const maxSequenceSteps = 16

func appendFeatures(dst, src []featureRef) []featureRef {
	for _, f := range src {
		if !slices.ContainsFunc(dst, func(g featureRef) bool { return g.name == f.name }) {
			dst = append(dst, f)
		}
	}
	return dst
}

// baselineFeatures maps a new_terms field to the baseline's first-seen
// feature for it.
var baselineFeatures = map[string]struct {
	name string
	get  func(*schemas.Features) bool
}{
	"network.source_ip":  {"is_new_source_ip", func(f *schemas.Features) bool { return f.IsNewSourceIP }},
	"network.asn":        {"is_new_asn", func(f *schemas.Features) bool { return f.IsNewASN }},
	"network.country":    {"is_new_country", func(f *schemas.Features) bool { return f.IsNewCountry }},
	"network.user_agent": {"is_new_user_agent", func(f *schemas.Features) bool { return f.IsNewUserAgent }},
	"ai.model":           {"is_new_model", func(f *schemas.Features) bool { return f.IsNewModel }},
	"ai.service":         {"is_new_ai_service", func(f *schemas.Features) bool { return f.IsNewAIService }},
	"action.name":        {"is_new_action", func(f *schemas.Features) bool { return f.IsNewAction }},
	"target.id":          {"is_new_resource", func(f *schemas.Features) bool { return f.IsNewResource }},
	"target.tenant":      {"is_new_tenant", func(f *schemas.Features) bool { return f.IsNewTenant }},
	"target.environment": {"is_new_environment", func(f *schemas.Features) bool { return f.IsNewEnvironment }},
}

func (c *ruleCompiler) newTermsBody(path string, spec *NewTermsSpec, r *Rule) *newTermsBody {
	if spec == nil {
		c.errorf(path, "required for a new_terms rule: fields and history")
		return nil
	}
	n := &newTermsBody{}
	if len(spec.Fields) == 0 {
		c.errorf(path+".fields", "required: the expressions whose values form the term")
	}
	n.fields = c.keys(path+".fields", spec.Fields, nil, r.refs)
	n.groupBy = c.keys(path+".group_by", spec.GroupBy, []string{"identity.id"}, r.refs)
	n.history = c.duration(path+".history", spec.History, true, 30*24*time.Hour)
	// The baseline's first-seen sets are per identity and per field.
	if len(n.fields) == 1 && len(n.groupBy) == 1 && n.groupBy[0].identityID {
		if bf, ok := baselineFeatures[normalizeExpr(n.fields[0].src)]; ok {
			n.baseline, n.baselineName = bf.get, bf.name
		}
	}
	return n
}

// exception compiles one exceptions entry.
func (c *ruleCompiler) exception(path string, spec ExceptionSpec, r *Rule) *exception {
	e := &exception{name: spec.Name}
	if spec.Name == "" {
		c.errorf(path+".name", "required")
	}
	if strings.TrimSpace(spec.Reason) == "" {
		c.errorf(path+".reason", "required: say why the behaviour is allowed")
	}
	if spec.Expires != "" {
		day, err := time.Parse(time.DateOnly, spec.Expires)
		if err != nil {
			c.errorf(path+".expires", "%q is not a date such as 2027-06-30", spec.Expires)
		} else {
			e.until = day.AddDate(0, 0, 1) // the whole day, UTC
		}
	}
	if len(spec.Match) == 0 {
		c.errorf(path+".match", "required: the fields and values the exception allows")
	}
	for _, field := range sortedKeys(spec.Match) {
		fp := joinPath(path+".match", field)
		f := exceptionField{src: field}
		if normalizeExpr(field) != "identity.id" {
			prog, info, err := c.env.compile(field, resultAny)
			if err != nil {
				c.errorf(fp, "%v", err)
				continue
			}
			f.prog = prog
			mergeRefs(r.refs, info.refs)
		}
		values := spec.Match[field]
		if len(values) == 0 {
			c.errorf(fp, "no values: list the allowed values")
		}
		for k, v := range values {
			m := valueMatcher{text: v}
			switch {
			case strings.Contains(v, "/") && looksLikeCIDR(v):
				prefix, err := parsePrefix(v)
				if err != nil {
					c.errorf(fmt.Sprintf("%s[%d]", fp, k), "%v", err)
					continue
				}
				m.prefix, m.cidr = prefix, true
			case strings.ContainsAny(v, "*?"):
				m.glob = true
			}
			f.values = append(f.values, m)
		}
		e.fields = append(e.fields, f)
	}
	return e
}

// looksLikeCIDR reports whether v is meant as a CIDR range: an address
// part of digits, dots, colons and hex, then a prefix length.
func looksLikeCIDR(v string) bool {
	addr, bits, ok := strings.Cut(v, "/")
	if !ok || addr == "" || bits == "" {
		return false
	}
	if _, err := strconv.Atoi(bits); err != nil {
		return false
	}
	return strings.Trim(addr, "0123456789abcdefABCDEF.:") == ""
}

// template compiles an output template.
func (c *ruleCompiler) template(path, text string, r *Rule) template {
	var t template
	rest, offset := text, 0
	for rest != "" {
		open := strings.Index(rest, "{{")
		if open < 0 {
			t.parts = append(t.parts, templatePart{text: rest})
			break
		}
		if open > 0 {
			t.parts = append(t.parts, templatePart{text: rest[:open]})
		}
		end := strings.Index(rest[open+2:], "}}")
		if end < 0 {
			c.errs = append(c.errs, c.pf.exprError(path, 0, &exprError{offset: runeOffset(text, offset+open), msg: "{{ has no closing }}"})...)
			return template{}
		}
		src := rest[open+2 : open+2+end]
		prog, info, err := c.env.compile(src, resultAny)
		if err != nil {
			c.errs = append(c.errs, c.pf.exprError(path, runeOffset(text, offset+open+2), err)...)
		} else {
			mergeRefs(r.refs, info.refs)
			t.parts = append(t.parts, templatePart{prog: prog})
		}
		consumed := open + 2 + end + 2
		rest, offset = rest[consumed:], offset+consumed
	}
	return t
}

// runeOffset converts a byte offset of s into a rune offset.
func runeOffset(s string, byteOffset int) int {
	return len([]rune(s[:min(byteOffset, len(s))]))
}

// tests checks the structure of the rule's inline tests.
func (c *ruleCompiler) tests(path string, spec RuleSpec, r *Rule) {
	for i, t := range spec.Tests {
		tp := fmt.Sprintf("%s.tests[%d]", path, i)
		r.testPos = append(r.testPos, c.pf.itemPos(tp, "name"))
		if strings.TrimSpace(t.Name) == "" {
			c.errorf(tp+".name", "required: say what the test shows")
		}
		if t.Expect.Alerts == nil {
			c.errorf(tp+".expect.alerts", "required: the number of alerts the events raise")
		} else if *t.Expect.Alerts < 0 {
			c.errorf(tp+".expect.alerts", "must not be negative")
		}
		if t.Expect.Severity != "" && !Severity(t.Expect.Severity).Valid() {
			c.errorf(tp+".expect.severity", "%q is not one of info, low, medium, high, critical", t.Expect.Severity)
		}
		for j, idx := range t.Expect.Evidence {
			if idx < 0 || idx >= len(t.Events) {
				c.errorf(fmt.Sprintf("%s.expect.evidence[%d]", tp, j), "event index %d is out of range: the test's events are 0 to %d", idx, len(t.Events)-1)
			}
		}
		if len(t.Events) == 0 {
			c.errorf(tp+".events", "required: at least one event")
		}
	}
}
