package rules

import (
	"fmt"
	"slices"
	"strings"
)

// Set is a compiled rule set: the rules of the files that loaded, their
// macros and lists, and the index. A Set is immutable and safe for
// concurrent use.
type Set struct {
	rules  []*Rule
	byID   map[string]*Rule
	index  *index
	env    *exprEnv
	macros map[string]Pos
	lists  map[string]Pos
	// files are the files the set was built from; previous are those
	// served from their last good version because the current one has
	// problems.
	files, previous []string
}

func emptySet() *Set {
	return newSet(nil, newExprEnv(nil, nil, nil), nil, nil)
}

func newSet(rules []*Rule, env *exprEnv, macros, lists map[string]Pos) *Set {
	s := &Set{rules: rules, byID: make(map[string]*Rule, len(rules)), env: env, macros: macros, lists: lists}
	for _, r := range rules {
		s.byID[r.ID] = r
	}
	s.index = buildIndex(rules)
	return s
}

// Rules returns the rules of the set in load order, disabled ones
// included.
func (s *Set) Rules() []*Rule { return slices.Clone(s.rules) }

// Rule returns the rule with id, or nil.
func (s *Set) Rule(id string) *Rule { return s.byID[id] }

// Len returns the number of rules, disabled ones included.
func (s *Set) Len() int { return len(s.rules) }

// Enabled returns the number of enabled rules.
func (s *Set) Enabled() int {
	n := 0
	for _, r := range s.rules {
		if r.Enabled {
			n++
		}
	}
	return n
}

// Files returns the files the set was built from.
func (s *Set) Files() []string { return slices.Clone(s.files) }

// Previous returns the files whose current version has problems and whose
// last good version the set holds instead.
func (s *Set) Previous() []string { return slices.Clone(s.previous) }

// Only returns a set of the rules with the given ids (and the same macros
// and lists), for running one rule on its own.
func (s *Set) Only(ids ...string) *Set {
	var rules []*Rule
	for _, r := range s.rules {
		if slices.Contains(ids, r.ID) {
			rules = append(rules, r)
		}
	}
	out := newSet(rules, s.env, s.macros, s.lists)
	out.files = s.files
	return out
}

// String summarizes the set: rules by type, macros, lists.
func (s *Set) String() string {
	counts := map[Type]int{}
	for _, r := range s.rules {
		if r.Enabled {
			counts[r.Type]++
		}
	}
	var parts []string
	for _, t := range ruleTypes {
		if counts[t] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[t], t))
		}
	}
	return fmt.Sprintf("%d rules enabled of %d (%s), %d macros, %d lists, %d files",
		s.Enabled(), len(s.rules), strings.Join(parts, ", "), len(s.macros), len(s.lists), len(s.files))
}
