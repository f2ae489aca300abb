package pack_test

// These tests check the shipped rule pack on its own terms, independently of
// the rules engine: every file parses strictly, every rule is complete,
// stable, mapped to ATLAS techniques that exist in the embedded ATLAS table
// and tested both ways, the pack covers the threats the product promises,
// and docs/rule-pack.md lists exactly the pack's rules. The engine's own
// `aitdr rules test` runs the inline tests; these tests keep the pack honest
// even when the engine changes.

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/aitdr/aitdr/schemas"
)

var update = flag.Bool("update", false, "rewrite the rule table of docs/rule-pack.md from the pack")

// Paths relative to this package's directory, where go test runs.
const (
	packDir       = "."
	atlasTable    = "../atlas/techniques.tsv"
	rulePackDoc   = "../../docs/rule-pack.md"
	tableBegin    = "<!-- rule-table:begin -->"
	tableEnd      = "<!-- rule-table:end -->"
	minRules      = 50
	minTestEvents = 1
)

// packFile mirrors the rule-file format of rulespec (rules, macros, lists),
// decoded strictly so that a misspelt key fails here too.
type packFile struct {
	Rules  []packRule  `yaml:"rules"`
	Macros []packMacro `yaml:"macros"`
	Lists  []packList  `yaml:"lists"`
}

type packRule struct {
	ID              string          `yaml:"id"`
	Title           string          `yaml:"title"`
	Description     string          `yaml:"description"`
	Severity        string          `yaml:"severity"`
	SeverityExpr    string          `yaml:"severity_expr"`
	Status          string          `yaml:"status"`
	IdentityClasses []string        `yaml:"identity_classes"`
	Sources         []string        `yaml:"sources"`
	Categories      []string        `yaml:"categories"`
	Actions         []string        `yaml:"actions"`
	ATLAS           []string        `yaml:"atlas"`
	ATTACK          []string        `yaml:"attack"`
	Tags            []string        `yaml:"tags"`
	References      []string        `yaml:"references"`
	Runbook         string          `yaml:"runbook"`
	Response        string          `yaml:"response"`
	Type            string          `yaml:"type"`
	Condition       string          `yaml:"condition"`
	Threshold       *packThreshold  `yaml:"threshold"`
	Sequence        *packSequence   `yaml:"sequence"`
	NewTerms        *packNewTerms   `yaml:"new_terms"`
	Anomaly         *packAnomaly    `yaml:"anomaly"`
	Exceptions      []packException `yaml:"exceptions"`
	Suppress        *packSuppress   `yaml:"suppress"`
	Output          packOutput      `yaml:"output"`
	Enabled         *bool           `yaml:"enabled"`
	Tests           []packTest      `yaml:"tests"`
}

type packThreshold struct {
	Function string   `yaml:"function"`
	Field    string   `yaml:"field"`
	GroupBy  []string `yaml:"group_by"`
	Window   string   `yaml:"window"`
	GTE      float64  `yaml:"gte"`
}

type packSequence struct {
	GroupBy []string   `yaml:"group_by"`
	Window  string     `yaml:"window"`
	Ordered *bool      `yaml:"ordered"`
	Steps   []packStep `yaml:"steps"`
}

type packStep struct {
	Name      string `yaml:"name"`
	Condition string `yaml:"condition"`
	Absent    bool   `yaml:"absent"`
}

type packNewTerms struct {
	Fields  []string `yaml:"fields"`
	GroupBy []string `yaml:"group_by"`
	History string   `yaml:"history"`
}

type packAnomaly struct {
	RequireBaseline *bool `yaml:"require_baseline"`
}

type packException struct {
	Name    string              `yaml:"name"`
	Reason  string              `yaml:"reason"`
	Expires string              `yaml:"expires"`
	Match   map[string][]string `yaml:"match"`
}

type packSuppress struct {
	Key    []string `yaml:"key"`
	Window string   `yaml:"window"`
}

type packOutput struct {
	Title   string `yaml:"title"`
	Summary string `yaml:"summary"`
}

type packTest struct {
	Name   string           `yaml:"name"`
	Events []map[string]any `yaml:"events"`
	Expect packExpect       `yaml:"expect"`
}

type packExpect struct {
	Alerts     *int   `yaml:"alerts"`
	Severity   string `yaml:"severity"`
	Evidence   []int  `yaml:"evidence"`
	Suppressed *int   `yaml:"suppressed"`
}

type packMacro struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Condition   string `yaml:"condition"`
}

type packList struct {
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Items       []string `yaml:"items"`
}

// loadedRule is a rule with the file it came from.
type loadedRule struct {
	packRule
	file string
}

// rulePack is the whole loaded pack.
type rulePack struct {
	rules  []loadedRule
	macros map[string]packMacro
	lists  map[string]packList
}

// loadPack reads every rule file of the pack, failing the test on any file
// that does not decode strictly or on a duplicate macro or list name.
func loadPack(t *testing.T) *rulePack {
	t.Helper()
	var paths []string
	for _, pattern := range []string{"*.yaml", "*.yml"} {
		m, err := filepath.Glob(filepath.Join(packDir, pattern))
		if err != nil {
			t.Fatalf("list pack files: %v", err)
		}
		paths = append(paths, m...)
	}
	sort.Strings(paths)
	if len(paths) == 0 {
		t.Fatalf("no rule files in %s", packDir)
	}
	p := &rulePack{macros: map[string]packMacro{}, lists: map[string]packList{}}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		var f packFile
		if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict()); err != nil {
			t.Fatalf("decode %s: %v", path, err)
		}
		if len(f.Rules)+len(f.Macros)+len(f.Lists) == 0 {
			t.Errorf("%s holds no rules, macros or lists", path)
		}
		for _, r := range f.Rules {
			p.rules = append(p.rules, loadedRule{packRule: r, file: filepath.Base(path)})
		}
		for _, m := range f.Macros {
			if _, dup := p.macros[m.Name]; dup {
				t.Errorf("%s: macro %q defined twice", path, m.Name)
			}
			p.macros[m.Name] = m
		}
		for _, l := range f.Lists {
			if _, dup := p.lists[l.Name]; dup {
				t.Errorf("%s: list %q defined twice", path, l.Name)
			}
			if _, clash := p.macros[l.Name]; clash {
				t.Errorf("%s: list %q has the name of a macro", path, l.Name)
			}
			p.lists[l.Name] = l
		}
	}
	return p
}

var (
	ruleIDPattern   = regexp.MustCompile(`^aitdr-[a-z0-9]+(-[a-z0-9]+)+$`)
	namePattern     = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	attackIDPattern = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	atlasIDPattern  = regexp.MustCompile(`^AML\.T\d{4}(\.\d{3})?$`)
	durationPattern = regexp.MustCompile(`^\d+(s|m|h|d|w)$`)
	severities      = []string{"info", "low", "medium", "high", "critical"}
	ruleTypes       = []string{"match", "threshold", "sequence", "new_terms", "anomaly"}
	playbooks       = []string{"notify-soc", "contain-agent", "contain-builder", "contain-user", "revoke-credential", "disable-model-access"}
	functions       = []string{"count", "sum", "distinct_count"}
)

func (r loadedRule) kind() string {
	if r.Type == "" {
		return "match"
	}
	return r.Type
}

func TestPackRulesAreComplete(t *testing.T) {
	p := loadPack(t)
	seen := map[string]string{}
	for _, r := range p.rules {
		where := r.file + ": " + r.ID
		if !ruleIDPattern.MatchString(r.ID) {
			t.Errorf("%s: id is not of the form aitdr-<words> in [a-z0-9-]", where)
		}
		if prev, dup := seen[r.ID]; dup {
			t.Errorf("%s: id also used in %s", where, prev)
		}
		seen[r.ID] = r.file
		if r.Status != "stable" {
			t.Errorf("%s: status %q, want stable", where, r.Status)
		}
		for field, v := range map[string]string{
			"title": r.Title, "description": r.Description, "runbook": r.Runbook,
			"output.title": r.Output.Title, "output.summary": r.Output.Summary,
		} {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %s is empty", where, field)
			}
		}
		if len(r.Description) < 120 {
			t.Errorf("%s: description is %d characters; say why the behaviour matters", where, len(r.Description))
		}
		if len(r.Runbook) < 120 {
			t.Errorf("%s: runbook is %d characters; say what to check and how to contain", where, len(r.Runbook))
		}
		if !slices.Contains(severities, r.Severity) {
			t.Errorf("%s: severity %q not one of %v", where, r.Severity, severities)
		}
		if !slices.Contains(playbooks, r.Response) {
			t.Errorf("%s: response %q not one of %v", where, r.Response, playbooks)
		}
		if !strings.Contains(r.Output.Title, "{{") {
			t.Errorf("%s: output.title names no event field", where)
		}
		checkEnums(t, where, r)
		checkTypeBody(t, where, r)
		checkTests(t, where, r)
	}
}

// checkEnums checks the index lists against the schemas' enums.
func checkEnums(t *testing.T, where string, r loadedRule) {
	t.Helper()
	for _, c := range r.IdentityClasses {
		if !schemas.IdentityClass(c).Valid() {
			t.Errorf("%s: identity class %q unknown", where, c)
		}
	}
	for _, s := range r.Sources {
		if !schemas.Product(s).IsBuiltin() {
			t.Errorf("%s: source %q is not a built-in source product", where, s)
		}
	}
	for _, c := range r.Categories {
		if !schemas.Category(c).Valid() {
			t.Errorf("%s: category %q unknown", where, c)
		}
	}
	for _, tag := range r.Tags {
		if !namePattern.MatchString(tag) {
			t.Errorf("%s: tag %q is not snake_case", where, tag)
		}
	}
}

// checkTypeBody checks that the rule's type has its body and nothing else.
func checkTypeBody(t *testing.T, where string, r loadedRule) {
	t.Helper()
	kind := r.kind()
	if !slices.Contains(ruleTypes, kind) {
		t.Errorf("%s: type %q not one of %v", where, kind, ruleTypes)
		return
	}
	bodies := map[string]bool{
		"threshold": r.Threshold != nil, "sequence": r.Sequence != nil,
		"new_terms": r.NewTerms != nil, "anomaly": r.Anomaly != nil,
	}
	for body, present := range bodies {
		if present && body != kind {
			t.Errorf("%s: type %s has a %s body", where, kind, body)
		}
	}
	if kind != "sequence" && strings.TrimSpace(r.Condition) == "" {
		t.Errorf("%s: condition is empty", where)
	}
	switch kind {
	case "threshold":
		th := r.Threshold
		if th == nil {
			t.Errorf("%s: threshold rule without a threshold body", where)
			return
		}
		fn := th.Function
		if fn == "" {
			fn = "count"
		}
		if !slices.Contains(functions, fn) {
			t.Errorf("%s: threshold function %q not one of %v", where, fn, functions)
		}
		if fn != "count" && strings.TrimSpace(th.Field) == "" {
			t.Errorf("%s: threshold %s needs a field", where, fn)
		}
		if th.GTE <= 0 {
			t.Errorf("%s: threshold gte %v must be positive", where, th.GTE)
		}
		checkDuration(t, where, "threshold.window", th.Window)
	case "sequence":
		sq := r.Sequence
		if sq == nil {
			t.Errorf("%s: sequence rule without a sequence body", where)
			return
		}
		checkDuration(t, where, "sequence.window", sq.Window)
		present, names := 0, map[string]bool{}
		for i, s := range sq.Steps {
			if s.Name == "" || names[s.Name] {
				t.Errorf("%s: step %d has an empty or repeated name %q", where, i, s.Name)
			}
			names[s.Name] = true
			if strings.TrimSpace(s.Condition) == "" {
				t.Errorf("%s: step %q has no condition", where, s.Name)
			}
			if !s.Absent {
				present++
			}
			if s.Absent && (i == 0 || i == len(sq.Steps)-1) {
				t.Errorf("%s: absent step %q must sit between two steps", where, s.Name)
			}
		}
		if present < 2 {
			t.Errorf("%s: a sequence needs at least two steps that are not absent, has %d", where, present)
		}
	case "new_terms":
		nt := r.NewTerms
		if nt == nil {
			t.Errorf("%s: new_terms rule without a new_terms body", where)
			return
		}
		if len(nt.Fields) == 0 {
			t.Errorf("%s: new_terms without fields", where)
		}
		checkDuration(t, where, "new_terms.history", nt.History)
	}
	if r.Suppress != nil && r.Suppress.Window != "" {
		checkDuration(t, where, "suppress.window", r.Suppress.Window)
	}
	for _, e := range r.Exceptions {
		if e.Name == "" || e.Reason == "" || len(e.Match) == 0 {
			t.Errorf("%s: exception %q needs a name, a reason and match fields", where, e.Name)
		}
	}
}

func checkDuration(t *testing.T, where, field, v string) {
	t.Helper()
	if !durationPattern.MatchString(v) {
		t.Errorf("%s: %s %q is not a duration such as 10m, 2h or 30d", where, field, v)
	}
}

// checkTests checks that a rule is tested both ways: at least one test that
// fires and one near miss that does not, each with events that name an
// action and an outcome.
func checkTests(t *testing.T, where string, r loadedRule) {
	t.Helper()
	if len(r.Tests) < 2 {
		t.Errorf("%s: %d inline tests, want at least 2", where, len(r.Tests))
	}
	fires, quiet := false, false
	names := map[string]bool{}
	for _, tc := range r.Tests {
		tw := fmt.Sprintf("%s: test %q", where, tc.Name)
		if tc.Name == "" || names[tc.Name] {
			t.Errorf("%s: empty or repeated test name", tw)
		}
		names[tc.Name] = true
		if tc.Expect.Alerts == nil {
			t.Errorf("%s: expect.alerts is missing", tw)
			continue
		}
		switch n := *tc.Expect.Alerts; {
		case n >= 1:
			fires = true
		case n == 0:
			quiet = true
		default:
			t.Errorf("%s: expect.alerts %d is negative", tw, n)
		}
		if tc.Expect.Severity != "" && !slices.Contains(severities, tc.Expect.Severity) {
			t.Errorf("%s: expect.severity %q unknown", tw, tc.Expect.Severity)
		}
		if len(tc.Events) < minTestEvents {
			t.Errorf("%s: no events", tw)
		}
		for _, i := range tc.Expect.Evidence {
			if i < 0 || i >= len(tc.Events) {
				t.Errorf("%s: evidence index %d outside the %d events", tw, i, len(tc.Events))
			}
		}
		for i, ev := range tc.Events {
			action, _ := ev["action"].(map[string]any)
			if name, _ := action["name"].(string); name == "" {
				t.Errorf("%s: event %d has no action.name", tw, i)
			}
			if _, ok := ev["outcome"]; !ok {
				t.Errorf("%s: event %d has no outcome", tw, i)
			}
			source, _ := ev["source"].(map[string]any)
			if product, _ := source["product"].(string); product == "" && len(r.Sources) == 0 {
				t.Errorf("%s: event %d has no source.product and the rule no sources to default it from", tw, i)
			}
		}
	}
	if !fires {
		t.Errorf("%s: no test expects an alert", where)
	}
	if !quiet {
		t.Errorf("%s: no near-miss test expects no alert", where)
	}
}

// atlasTechniques reads the ids of the embedded ATLAS table.
func atlasTechniques(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(atlasTable)
	if err != nil {
		t.Fatalf("read the ATLAS table the engine embeds: %v", err)
	}
	ids := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 0; sc.Scan(); line++ {
		if line == 0 {
			continue // header: id, name, tactic_ids
		}
		id, name, _ := strings.Cut(sc.Text(), "\t")
		name, _, _ = strings.Cut(name, "\t")
		if !atlasIDPattern.MatchString(id) {
			t.Fatalf("%s:%d: %q is not an ATLAS technique id", atlasTable, line+1, id)
		}
		ids[id] = name
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", atlasTable, err)
	}
	if len(ids) < 100 {
		t.Fatalf("%s holds %d techniques; the table looks truncated", atlasTable, len(ids))
	}
	return ids
}

func TestPackTechniqueMappings(t *testing.T) {
	p := loadPack(t)
	atlas := atlasTechniques(t)
	for _, r := range p.rules {
		where := r.file + ": " + r.ID
		if len(r.ATLAS) == 0 {
			t.Errorf("%s: no ATLAS technique", where)
		}
		for _, id := range r.ATLAS {
			if _, ok := atlas[id]; !ok {
				t.Errorf("%s: ATLAS technique %q is not in ATLAS 5.6.0", where, id)
			}
		}
		for _, id := range r.ATTACK {
			if !attackIDPattern.MatchString(id) {
				t.Errorf("%s: ATT&CK id %q is not of the form T1234 or T1234.001", where, id)
			}
		}
		if distinct := slices.Compact(slices.Sorted(slices.Values(r.ATLAS))); len(distinct) != len(r.ATLAS) {
			t.Errorf("%s: ATLAS ids repeat", where)
		}
	}
}

// themes are the threats the pack must cover (issue: the rule pack), each by
// the tag its rules carry.
var themes = []struct{ tag, what string }{
	{"confidential_data_in_prompt", "confidential data in prompts"},
	{"personal_account_ai", "personal-account use of AI services"},
	{"shadow_ai", "unsanctioned AI services"},
	{"unusual_prompt_pattern", "unusual prompt patterns of AI users"},
	{"data_volume_spike", "sudden data-volume spikes of AI users"},
	{"after_hours_model_change", "after-hours model-weight changes by builders"},
	{"new_prod_service_account", "new service accounts with production access"},
	{"dev_to_prod_model", "dev accounts reaching production models"},
	{"pipeline_compromise", "pipeline compromise"},
	{"training_data_poisoning", "training-data poisoning"},
	{"model_poisoning", "model poisoning"},
	{"agent_data_access_10x", "10x normal data access by agents"},
	{"agent_privilege_escalation", "privilege escalation by agents"},
	{"cross_tenant_auth", "cross-tenant authentication by agents"},
	{"shared_credentials", "agents on shared credentials"},
	{"llmjacking", "LLMjacking"},
	{"model_access_enumeration", "model-access enumeration"},
	{"model_access_enabled", "model access enabling"},
	{"stolen_key_invocation", "invocation from new networks with stolen keys"},
	{"invocation_logging_disabled", "invocation logging disabled"},
	{"service_access_key", "access keys created for service identities"},
	{"logging_tampering", "logging tampering"},
	{"guardrail_tampering", "guardrail tampering"},
}

func TestPackCoversThreats(t *testing.T) {
	p := loadPack(t)
	if len(p.rules) < minRules {
		t.Errorf("the pack has %d rules, want at least %d", len(p.rules), minRules)
	}
	byTag := map[string][]loadedRule{}
	types := map[string]int{}
	for _, r := range p.rules {
		for _, tag := range r.Tags {
			byTag[tag] = append(byTag[tag], r)
		}
		types[r.kind()]++
	}
	for _, th := range themes {
		if len(byTag[th.tag]) == 0 {
			t.Errorf("no rule tagged %s covers %s", th.tag, th.what)
		}
	}
	for _, kind := range ruleTypes {
		if types[kind] == 0 {
			t.Errorf("no rule of type %s", kind)
		}
	}
	// The issue names one correlation explicitly: model weights changed
	// after hours, then a new production service account by the same
	// builder within two hours.
	found := false
	for _, r := range byTag["after_hours_model_change"] {
		if r.kind() == "sequence" && slices.Contains(r.Tags, "new_prod_service_account") &&
			slices.Contains(r.IdentityClasses, "ai_builder") && r.Sequence.Window == "2h" {
			found = true
		}
	}
	if !found {
		t.Error("no builder sequence rule ties an after-hours model change to a new production service account within 2h")
	}
	// Privilege escalation by agents: policy attachment, role creation and
	// pass-role each need a rule.
	for _, needle := range []string{"AttachRolePolicy", "CreateRole", "PassRole"} {
		if !p.mentions(needle, "agent_privilege_escalation") {
			t.Errorf("no agent privilege-escalation rule or list covers %s", needle)
		}
	}
	// LLMjacking names specific Bedrock calls.
	for _, needle := range []string{"ListFoundationModels", "GetFoundationModelAvailability", "PutFoundationModelEntitlement", "DeleteModelInvocationLoggingConfiguration"} {
		if !p.mentions(needle, "llmjacking") {
			t.Errorf("no LLMjacking rule or list covers %s", needle)
		}
	}
	for _, needle := range []string{"StopLogging", "DeleteTrail", "DeleteGuardrail", "DeleteSink", "conditional access"} {
		if !p.mentions(needle, "") {
			t.Errorf("no tampering rule or list covers %s", needle)
		}
	}
}

// mentions reports whether a rule tagged tag (any rule when tag is empty)
// names needle in its expressions or index, uses a list or macro that names
// it, or has a firing test on an event of that action.
func (p *rulePack) mentions(needle, tag string) bool {
	lower := strings.ToLower(needle)
	for _, r := range p.rules {
		if tag != "" && !slices.Contains(r.Tags, tag) {
			continue
		}
		for _, e := range r.expressions() {
			if strings.Contains(strings.ToLower(p.expand(e, 0)), lower) {
				return true
			}
		}
		for _, a := range r.Actions {
			if strings.EqualFold(a, needle) {
				return true
			}
		}
		for _, tc := range r.Tests {
			if tc.Expect.Alerts == nil || *tc.Expect.Alerts == 0 {
				continue
			}
			for _, ev := range tc.Events {
				action, _ := ev["action"].(map[string]any)
				if name, _ := action["name"].(string); strings.Contains(strings.ToLower(name), lower) {
					return true
				}
			}
		}
	}
	return false
}

// expand returns expression e with the macros and lists it uses appended,
// recursively, so that a search sees what the expression means.
func (p *rulePack) expand(e string, depth int) string {
	if depth > 8 {
		return e
	}
	var b strings.Builder
	b.WriteString(e)
	for _, word := range identifiers(e) {
		if m, ok := p.macros[word]; ok {
			b.WriteString(" ")
			b.WriteString(p.expand(m.Condition, depth+1))
		}
		if l, ok := p.lists[word]; ok {
			b.WriteString(" ")
			b.WriteString(strings.Join(l.Items, " "))
		}
	}
	// in_list("name") refers to a list by a string.
	for name, l := range p.lists {
		if strings.Contains(e, `"`+name+`"`) {
			b.WriteString(" ")
			b.WriteString(strings.Join(l.Items, " "))
		}
	}
	return b.String()
}

var identifierPattern = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)

func identifiers(e string) []string { return identifierPattern.FindAllString(e, -1) }

// expressions returns every expression of the rule.
func (r loadedRule) expressions() []string {
	out := []string{r.Condition, r.SeverityExpr, r.Output.Title, r.Output.Summary}
	if th := r.Threshold; th != nil {
		out = append(out, th.Field)
		out = append(out, th.GroupBy...)
	}
	if sq := r.Sequence; sq != nil {
		out = append(out, sq.GroupBy...)
		for _, s := range sq.Steps {
			out = append(out, s.Condition)
		}
	}
	if nt := r.NewTerms; nt != nil {
		out = append(out, nt.Fields...)
		out = append(out, nt.GroupBy...)
	}
	if s := r.Suppress; s != nil {
		out = append(out, s.Key...)
	}
	for _, e := range r.Exceptions {
		for k := range e.Match {
			out = append(out, k)
		}
	}
	return out
}

func TestPackMacrosAndListsAreUsed(t *testing.T) {
	p := loadPack(t)
	used := map[string]bool{}
	var exprs []string
	for _, r := range p.rules {
		exprs = append(exprs, r.expressions()...)
	}
	for _, m := range p.macros {
		exprs = append(exprs, m.Condition)
	}
	for _, e := range exprs {
		for _, word := range identifiers(e) {
			used[word] = true
		}
		for name := range p.lists {
			if strings.Contains(e, `"`+name+`"`) {
				used[name] = true
			}
		}
	}
	for name, m := range p.macros {
		if !namePattern.MatchString(name) {
			t.Errorf("macro %q is not a snake_case name", name)
		}
		if strings.TrimSpace(m.Condition) == "" || strings.TrimSpace(m.Description) == "" {
			t.Errorf("macro %q needs a condition and a description", name)
		}
		if !used[name] {
			t.Errorf("macro %q is used by no rule or macro", name)
		}
	}
	for name, l := range p.lists {
		if !namePattern.MatchString(name) {
			t.Errorf("list %q is not a snake_case name", name)
		}
		if len(l.Items) == 0 || strings.TrimSpace(l.Description) == "" {
			t.Errorf("list %q needs items and a description", name)
		}
		if !used[name] {
			t.Errorf("list %q is used by no rule or macro", name)
		}
		seen := map[string]bool{}
		for _, it := range l.Items {
			if seen[strings.ToLower(it)] {
				t.Errorf("list %q repeats %q", name, it)
			}
			seen[strings.ToLower(it)] = true
		}
	}
}

// ruleTable renders the table of docs/rule-pack.md from the pack, one row per
// rule in file then id order.
func ruleTable(p *rulePack) string {
	rules := slices.Clone(p.rules)
	slices.SortFunc(rules, func(a, b loadedRule) int {
		return strings.Compare(a.file+"\x00"+a.ID, b.file+"\x00"+b.ID)
	})
	var b strings.Builder
	b.WriteString("| id | title | class | type | severity | ATLAS | ATT&CK | response |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rules {
		class := "any"
		if len(r.IdentityClasses) > 0 {
			class = strings.Join(r.IdentityClasses, ", ")
		}
		severity := r.Severity
		if r.SeverityExpr != "" {
			severity += " †"
		}
		attack := strings.Join(r.ATTACK, ", ")
		if attack == "" {
			attack = "–"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n",
			r.ID, strings.ReplaceAll(r.Title, "|", `\|`), class, r.kind(), severity,
			strings.Join(r.ATLAS, ", "), attack, r.Response)
	}
	return b.String()
}

func TestPackDocsListEveryRule(t *testing.T) {
	p := loadPack(t)
	doc, err := os.ReadFile(rulePackDoc)
	if err != nil {
		t.Fatalf("read %s: %v", rulePackDoc, err)
	}
	text := string(doc)
	begin, end := strings.Index(text, tableBegin), strings.Index(text, tableEnd)
	if begin < 0 || end < begin {
		t.Fatalf("%s has no %s ... %s section", rulePackDoc, tableBegin, tableEnd)
	}
	want := ruleTable(p)
	got := strings.TrimPrefix(text[begin+len(tableBegin):end], "\n")
	if *update {
		text = text[:begin+len(tableBegin)] + "\n" + want + text[end:]
		if err := os.WriteFile(rulePackDoc, []byte(text), 0o644); err != nil {
			t.Fatalf("write %s: %v", rulePackDoc, err)
		}
		return
	}
	// Rules missing from or extra in the document are reported by id.
	docIDs := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(aitdr-[a-z0-9-]+)` \\|").FindAllStringSubmatch(got, -1) {
		docIDs[m[1]] = true
	}
	for _, r := range p.rules {
		if !docIDs[r.ID] {
			t.Errorf("%s does not list rule %s", rulePackDoc, r.ID)
		}
		delete(docIDs, r.ID)
	}
	for id := range docIDs {
		t.Errorf("%s lists %s, which is not in the pack", rulePackDoc, id)
	}
	if got != want {
		t.Errorf("%s rule table is out of date with the pack; run go test ./rules/pack -run TestPackDocsListEveryRule -update", rulePackDoc)
	}
}
