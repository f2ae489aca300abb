package rules

import (
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// File is one rule file: rules, macros and lists, each kind optional. The
// YAML keys are the `yaml` tags; docs/rules.md documents every field and
// rules/schema/rule.schema.json is its JSON Schema.
type File struct {
	// Rules are the detection rules of the file.
	Rules []RuleSpec `yaml:"rules"`
	// Macros are named boolean conditions that any rule of the loaded set
	// may use as an identifier.
	Macros []MacroSpec `yaml:"macros"`
	// Lists are named lists of strings that any rule of the loaded set may
	// use as a []string identifier or through in_list.
	Lists []ListSpec `yaml:"lists"`
}

// RuleSpec is one rule as written in a rule file.
type RuleSpec struct {
	// ID is the rule's unique id, lower-case letters, digits and dashes,
	// such as "aitdr-agent-iam-policy-attach". Required.
	ID string `yaml:"id"`
	// Title is a one-line name of what the rule detects. Required.
	Title string `yaml:"title"`
	// Description says why the behaviour matters. Required.
	Description string `yaml:"description"`
	// Severity is info, low, medium, high or critical. Required.
	Severity string `yaml:"severity"`
	// SeverityExpr is an expression of string result that picks the
	// severity per alert, such as `features.bytes_ratio.h1 >= 50 ?
	// "critical" : "high"`; Severity applies when it yields anything else.
	SeverityExpr string `yaml:"severity_expr"`
	// Status is experimental or stable. Default experimental.
	Status string `yaml:"status"`
	// IdentityClasses restricts the rule to events whose enrichment.class is
	// listed: ai_user, ai_builder, ai_agent, human, service, unknown.
	IdentityClasses []string `yaml:"identity_classes"`
	// Sources restricts the rule to events of these source products, such
	// as aws.cloudtrail.
	Sources []string `yaml:"sources"`
	// Categories restricts the rule to events of these action categories,
	// such as iam_change; it is also the rule's index.
	Categories []string `yaml:"categories"`
	// Actions restricts the rule to events of these action names, such as
	// AttachRolePolicy; it is also the rule's index.
	Actions []string `yaml:"actions"`
	// ATLAS are the MITRE ATLAS technique ids of the behaviour, such as
	// AML.T0012, checked against the embedded ATLAS release.
	ATLAS []string `yaml:"atlas"`
	// ATTACK are the MITRE ATT&CK technique ids where they fit, such as
	// T1098.003.
	ATTACK []string `yaml:"attack"`
	// Tags are free labels, such as privilege_escalation.
	Tags []string `yaml:"tags"`
	// References are links about the behaviour.
	References []string `yaml:"references"`
	// Runbook tells the analyst what to check and how to contain.
	Runbook string `yaml:"runbook"`
	// Response is the recommended response playbook: notify-soc,
	// contain-agent, contain-builder, contain-user, revoke-credential or
	// disable-model-access.
	Response string `yaml:"response"`
	// Type is match, threshold, sequence, new_terms or anomaly. Default
	// match.
	Type string `yaml:"type"`
	// Condition is the boolean expression that selects the events the rule
	// fires on (match, anomaly) or that count (threshold, new_terms); for a
	// sequence it is ANDed into every step.
	Condition string `yaml:"condition"`
	// Threshold is the body of a threshold rule.
	Threshold *ThresholdSpec `yaml:"threshold"`
	// Sequence is the body of a sequence rule.
	Sequence *SequenceSpec `yaml:"sequence"`
	// NewTerms is the body of a new_terms rule.
	NewTerms *NewTermsSpec `yaml:"new_terms"`
	// Anomaly is the body of an anomaly rule.
	Anomaly *AnomalySpec `yaml:"anomaly"`
	// Exceptions are allowlisted events the rule never fires on or counts.
	Exceptions []ExceptionSpec `yaml:"exceptions"`
	// Suppress holds back repeated alerts of the rule for the same key
	// within a window, counting them on the next alert.
	Suppress *SuppressSpec `yaml:"suppress"`
	// Output are templates of the alert's message and summary.
	Output OutputSpec `yaml:"output"`
	// Enabled turns the rule off when false. Default true.
	Enabled *bool `yaml:"enabled"`
	// Tests are the rule's inline tests, run by aitdr rules test.
	Tests []TestSpec `yaml:"tests"`
}

// ThresholdSpec is the body of a threshold rule: an aggregate of the
// matching events of a group over a sliding event-time window (Sigma
// event_count and value_count).
type ThresholdSpec struct {
	// Function is count, sum or distinct_count. Default count.
	Function string `yaml:"function"`
	// Field is the expression summed (sum) or whose distinct values are
	// counted (distinct_count).
	Field string `yaml:"field"`
	// GroupBy are the expressions whose values form the group. Default
	// [identity.id].
	GroupBy []string `yaml:"group_by"`
	// Window is the sliding event-time window, such as 10m. Required.
	Window string `yaml:"window"`
	// GTE is the value the aggregate must reach within one window.
	// Required, positive.
	GTE float64 `yaml:"gte"`
}

// SequenceSpec is the body of a sequence rule: steps by the same group
// within a window (Sigma temporal_ordered, or temporal when unordered).
type SequenceSpec struct {
	// GroupBy are the expressions whose values form the group. Default
	// [identity.id].
	GroupBy []string `yaml:"group_by"`
	// Window is the longest event-time span from the first to the last
	// step, such as 2h. Required.
	Window string `yaml:"window"`
	// Ordered requires the steps in their order. Default true.
	Ordered *bool `yaml:"ordered"`
	// Steps are the steps, at least two that are not absent.
	Steps []StepSpec `yaml:"steps"`
}

// StepSpec is one step of a sequence.
type StepSpec struct {
	// Name names the step in alerts and messages. Required, unique.
	Name string `yaml:"name"`
	// Condition is the step's boolean expression. Required.
	Condition string `yaml:"condition"`
	// Absent makes the step one that must not occur between the previous
	// and the next step (ordered sequences only).
	Absent bool `yaml:"absent"`
}

// NewTermsSpec is the body of a new_terms rule: a value, or a tuple of
// values, not seen for the group within the history horizon.
type NewTermsSpec struct {
	// Fields are the expressions whose values form the term. Required.
	Fields []string `yaml:"fields"`
	// GroupBy are the expressions whose values form the group. Default
	// [identity.id].
	GroupBy []string `yaml:"group_by"`
	// History is how long a term stays known after it was last seen, such
	// as 30d. Required.
	History string `yaml:"history"`
}

// AnomalySpec is the body of an anomaly rule: a condition on baseline
// features.
type AnomalySpec struct {
	// RequireBaseline makes the rule skip events whose features are not
	// available or whose identity is still learning. Default true.
	RequireBaseline *bool `yaml:"require_baseline"`
}

// ExceptionSpec allowlists events: the rule neither fires on nor counts an
// event every Match field of which matches, until Expires.
type ExceptionSpec struct {
	// Name names the exception in metrics and lint. Required.
	Name string `yaml:"name"`
	// Reason says why the behaviour is allowed. Required.
	Reason string `yaml:"reason"`
	// Expires is the last day (UTC, inclusive) the exception applies, such
	// as 2027-06-30; empty never expires.
	Expires string `yaml:"expires"`
	// Match maps a field expression to its allowed values (alternatives).
	// A value with "*" or "?" is a glob; a value with "/" is a CIDR when
	// the field holds an IP address. Every field must match.
	Match map[string][]string `yaml:"match"`
}

// SuppressSpec holds back repeated alerts.
type SuppressSpec struct {
	// Key are the expressions whose values form the suppression key.
	// Default [identity.id].
	Key []string `yaml:"key"`
	// Window is how long after an alert the same key is suppressed, such
	// as 1h. Default 1h.
	Window string `yaml:"window"`
}

// OutputSpec are the alert's templates: text with {{ expression }}
// placeholders evaluated on the event that fired.
type OutputSpec struct {
	// Title is the alert's one-line message. Default the rule's title.
	Title string `yaml:"title"`
	// Summary is the alert's description. Default the rule's description.
	Summary string `yaml:"summary"`
}

// MacroSpec is a named boolean condition.
type MacroSpec struct {
	// Name is the identifier rules use, [a-z_][a-z0-9_]*. Required.
	Name string `yaml:"name"`
	// Description says what the macro means.
	Description string `yaml:"description"`
	// Condition is the boolean expression. Required.
	Condition string `yaml:"condition"`
}

// ListSpec is a named list of strings.
type ListSpec struct {
	// Name is the identifier rules use, [a-z_][a-z0-9_]*. Required.
	Name string `yaml:"name"`
	// Description says what the list holds.
	Description string `yaml:"description"`
	// Items are the strings. Required (may be empty).
	Items []string `yaml:"items"`
}

// TestSpec is one inline test of a rule: events fed in order through the
// rule's full stateful engine, and what must come out.
type TestSpec struct {
	// Name says what the test shows. Required.
	Name string `yaml:"name"`
	// Events are the events, with the JSON field names of schemas.Event.
	// Defaults: id test-<i>, time 2026-01-05T10:00:00Z plus i minutes,
	// source.product the rule's first source, enrichment.class its first
	// identity class, identity.id test:identity.
	Events []schemas.Event `yaml:"events"`
	// Expect is what the events must raise.
	Expect ExpectSpec `yaml:"expect"`
}

// ExpectSpec is what a test's events must raise.
type ExpectSpec struct {
	// Alerts is the number of alerts the whole sequence raises. Required.
	Alerts *int `yaml:"alerts"`
	// Severity, when set, is the severity of every alert.
	Severity string `yaml:"severity"`
	// Evidence, when set, are the indexes of the events that are the first
	// alert's evidence.
	Evidence []int `yaml:"evidence"`
	// Suppressed, when set, is the number of firings suppression held back
	// over the whole sequence.
	Suppressed *int `yaml:"suppressed"`
}

// testEpoch is the time of a test's first event when it gives none; each
// further event defaults to one minute later.
var testEpoch = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
