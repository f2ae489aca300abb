package rules

import (
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/aitdr/aitdr/rules/atlas"
	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/ocsf"

	"github.com/aitdr/aitdr/internal/glob"
)

// Type is the kind of a rule.
type Type string

// Rule types.
const (
	// TypeMatch fires on one event (Sigma's plain detection).
	TypeMatch Type = "match"
	// TypeThreshold fires when an aggregate of a group's events reaches a
	// value within a sliding window (Sigma event_count, value_count).
	TypeThreshold Type = "threshold"
	// TypeSequence fires when a group's events show steps within a window
	// (Sigma temporal_ordered, or temporal when unordered).
	TypeSequence Type = "sequence"
	// TypeNewTerms fires on a value not seen for the group within a
	// history horizon.
	TypeNewTerms Type = "new_terms"
	// TypeAnomaly fires on a condition over baseline features.
	TypeAnomaly Type = "anomaly"
)

var ruleTypes = []Type{TypeMatch, TypeThreshold, TypeSequence, TypeNewTerms, TypeAnomaly}

// Severity is how bad what a rule detects is.
type Severity string

// Severities, lowest first.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

var severities = []Severity{SeverityInfo, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Valid reports whether s is one of the Severity constants.
func (s Severity) Valid() bool { return slices.Contains(severities, s) }

// OCSF returns the OCSF severity id of s.
func (s Severity) OCSF() ocsf.SeverityID {
	switch s {
	case SeverityInfo:
		return ocsf.SeverityInformational
	case SeverityLow:
		return ocsf.SeverityLow
	case SeverityMedium:
		return ocsf.SeverityMedium
	case SeverityHigh:
		return ocsf.SeverityHigh
	case SeverityCritical:
		return ocsf.SeverityCritical
	}
	return ocsf.SeverityUnknown
}

// Playbooks are the response playbook ids a rule may recommend; the
// responder defines them.
var Playbooks = []string{
	"notify-soc", "contain-agent", "contain-builder", "contain-user", "revoke-credential", "disable-model-access",
}

// Rule is a compiled rule: its expressions compiled once, its state keys
// and index known. A Rule is immutable and safe for concurrent use.
type Rule struct {
	// ID is the rule's id.
	ID string
	// Title is the rule's title.
	Title string
	// Description is the rule's description.
	Description string
	// Severity is the rule's severity (severity_expr may raise or lower it
	// per alert).
	Severity Severity
	// Status is experimental or stable.
	Status string
	// Type is the rule's type.
	Type Type
	// Enabled is false for a rule turned off in its file.
	Enabled bool
	// Pos is where the rule is defined.
	Pos Pos
	// Version is a digest of the rule's compiled definition (with the
	// macros and lists it uses): it changes when what the rule does
	// changes, and alerts carry it.
	Version string
	// Spec is the rule as written.
	Spec RuleSpec

	// ATLAS and ATTACK are the technique mappings.
	ATLAS  []atlas.Technique
	ATTACK []string

	// refs are the macros and lists the rule uses.
	refs map[string]bool
	// exceptionPos and testPos are where the rule's exceptions and tests
	// are written, for lint and test reports.
	exceptionPos, testPos []Pos

	sources    []schemas.Product
	classes    []schemas.IdentityClass
	categories []schemas.Category
	actions    []string

	cond         *vm.Program
	severityExpr *vm.Program
	exceptions   []*exception
	suppress     *suppression
	title        template
	summary      template
	features     []featureRef

	threshold *thresholdBody
	sequence  *sequenceBody
	newTerms  *newTermsBody
	anomaly   *anomalyBody

	// stateDigest and suppressDigest identify what the rule's window and
	// suppression state mean: state restored or kept across a reload is
	// dropped when they change.
	stateDigest, suppressDigest string

	// errLogged is set once an evaluation error of the rule was logged.
	errLogged atomic.Bool
}

// keyExpr is an expression whose value forms part of a key (group_by,
// suppress.key, new_terms.fields). identityID marks the common
// identity.id, read without running a program.
type keyExpr struct {
	src        string
	prog       *vm.Program
	identityID bool
}

type thresholdBody struct {
	function string // count, sum or distinct_count
	field    *vm.Program
	groupBy  []keyExpr
	window   time.Duration
	gte      float64
}

type sequenceBody struct {
	groupBy []keyExpr
	window  time.Duration
	ordered bool
	steps   []step
	// positive are the indexes of the steps that are not absent.
	positive []int
}

type step struct {
	name   string
	cond   *vm.Program
	absent bool
	// keys are the index keys the step's condition implies, one per
	// alternative; an event none of them admits skips the step without
	// running its condition.
	keys []indexKeys
}

// admits reports whether ev has the values one of the step's alternatives
// requires.
func (s *step) admits(ev *schemas.Event) bool {
	for _, k := range s.keys {
		if k.admits(ev) {
			return true
		}
	}
	return len(s.keys) == 0
}

type newTermsBody struct {
	fields  []keyExpr
	groupBy []keyExpr
	history time.Duration
	// baseline, when the rule's one field has a first-seen feature and the
	// group is the identity, reads whether the baseline finds the value new.
	baseline func(*schemas.Features) bool
	// baselineName is that feature's name ("is_new_source_ip").
	baselineName string
}

type anomalyBody struct {
	requireBaseline bool
}

type suppression struct {
	keys   []keyExpr
	window time.Duration
}

// exception is a compiled exceptions entry.
type exception struct {
	name   string
	until  time.Time // zero: never expires
	fields []exceptionField
}

type exceptionField struct {
	src    string
	prog   *vm.Program
	values []valueMatcher
}

// valueMatcher is one allowed value of an exception field.
type valueMatcher struct {
	text   string
	glob   bool
	prefix netip.Prefix
	cidr   bool
}

func (m valueMatcher) match(v string) bool {
	switch {
	case m.cidr:
		return prefixesContain([]netip.Prefix{m.prefix}, v)
	case m.glob:
		return glob.Match(m.text, v)
	}
	return m.text == v
}

// template is an output template: literal text and {{ expression }}
// placeholders.
type template struct {
	parts []templatePart
}

type templatePart struct {
	text string
	prog *vm.Program
}

// matchesFilters reports whether ev passes the rule's sources,
// identity_classes, categories and actions lists.
func (r *Rule) matchesFilters(ev *schemas.Event) bool {
	if len(r.sources) > 0 && !slices.Contains(r.sources, ev.Source.Product) {
		return false
	}
	if len(r.classes) > 0 && !slices.Contains(r.classes, ev.Enrichment.Class) {
		return false
	}
	if len(r.categories) > 0 && !slices.Contains(r.categories, ev.Action.Category) {
		return false
	}
	if len(r.actions) > 0 && !slices.Contains(r.actions, ev.Action.Name) {
		return false
	}
	return true
}

// String returns the rule's id and where it is defined.
func (r *Rule) String() string { return r.ID + " (" + r.Pos.String() + ")" }

// analyticType is the OCSF analytic type of the rule's alerts.
func (r *Rule) analyticType() ocsf.AnalyticTypeID {
	switch r.Type {
	case TypeThreshold:
		return ocsf.AnalyticStatistical
	case TypeAnomaly, TypeNewTerms:
		return ocsf.AnalyticBehavioral
	}
	return ocsf.AnalyticRule
}
