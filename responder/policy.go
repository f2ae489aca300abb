package responder

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aitdr/aitdr/schemas"

	"github.com/aitdr/aitdr/internal/glob"
)

// Policy says, per identity class, from which alert severity containment
// steps run without a human: the mission's order of disruption risk puts
// agents first (always automatic), builders next (automatic for high and
// critical), users last (never automatic). A class it does not name waits
// for approval. It is immutable and safe for concurrent use.
type Policy struct {
	autoFrom map[schemas.IdentityClass]Severity
}

// DefaultPolicy returns the policy of a new install, as Config.Policy
// writes it: ai_agent info, service high, ai_builder high, ai_user never,
// human never, unknown never.
func DefaultPolicy() map[string]string {
	return map[string]string{
		string(schemas.ClassAIAgent):   "info",
		string(schemas.ClassService):   "high",
		string(schemas.ClassAIBuilder): "high",
		string(schemas.ClassAIUser):    "never",
		string(schemas.ClassHuman):     "never",
		string(schemas.ClassUnknown):   "never",
	}
}

// ParsePolicy reads a policy of class name to the lowest severity that
// runs automatically, or "never". Unknown classes and severities are
// errors naming the class.
func ParsePolicy(m map[string]string) (Policy, error) {
	p := Policy{autoFrom: make(map[schemas.IdentityClass]Severity, len(m))}
	var errs []error
	for _, class := range slices.Sorted(maps.Keys(m)) {
		c := schemas.IdentityClass(class)
		if !c.Valid() {
			errs = append(errs, fmt.Errorf("%s: not an identity class (ai_user, ai_builder, ai_agent, human, service, unknown)", class))
			continue
		}
		if strings.EqualFold(m[class], "never") {
			p.autoFrom[c] = severityNever
			continue
		}
		s, err := ParseSeverity(m[class])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w, or never", class, err))
			continue
		}
		p.autoFrom[c] = s
	}
	return p, errors.Join(errs...)
}

// Automatic reports whether a containment step for an identity of class
// runs without approval on an alert of severity sev.
func (p Policy) Automatic(class schemas.IdentityClass, sev Severity) bool {
	from, ok := p.autoFrom[class]
	return ok && sev != SeverityUnknown && sev >= from
}

// describe says what the policy of class is, for the reason of a pending
// step.
func (p Policy) describe(class schemas.IdentityClass) string {
	from, ok := p.autoFrom[class]
	switch {
	case !ok || from == severityNever:
		return fmt.Sprintf("policy: containment of %s identities waits for approval", class)
	default:
		return fmt.Sprintf("policy: containment of %s identities runs automatically from %s severity", class, from)
	}
}

// Protected is the list of identities the responder never touches
// (break-glass accounts, allowlisted automation). A pattern is a glob ('*'
// any run of characters, '?' one) over the aitdr identity id, or, with the
// prefix "email:" or "name:", over the identity's e-mail address or name;
// matching is case-insensitive. It is safe for concurrent use.
type Protected struct {
	patterns []string
}

// NewProtected returns the protected list of patterns; an empty pattern
// is an error.
func NewProtected(patterns []string) (Protected, error) {
	var errs []error
	for i, p := range patterns {
		if _, v := protectedField(p); strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("[%d]: empty pattern", i))
		}
	}
	return Protected{patterns: slices.Clone(patterns)}, errors.Join(errs...)
}

func protectedField(pattern string) (field, glob string) {
	for _, f := range []string{"email:", "name:"} {
		if v, ok := strings.CutPrefix(pattern, f); ok {
			return strings.TrimSuffix(f, ":"), v
		}
	}
	return "id", pattern
}

// Match returns the first pattern that protects p, or "".
func (l Protected) Match(p Principal) string {
	for _, pattern := range l.patterns {
		field, want := protectedField(pattern)
		value := p.ID
		switch field {
		case "email":
			value = p.Email
		case "name":
			value = p.Name
		}
		if value != "" && glob.Match(strings.ToLower(want), strings.ToLower(value)) {
			return pattern
		}
	}
	return ""
}
