// Package glob matches the wildcard patterns of aitdr's files and rules:
// resource ids, account names, hosts, action names, IAM actions and
// resources, rule ids, where "*" stands for any run of characters (none
// included, slashes and colons too) and "?" for one character; every other
// character stands for itself, compared as it is (callers lower-case both
// sides for case-insensitive matching). A Table holds exact keys and
// patterns together, so that the common exact lookup costs one map access.
package glob

import (
	"strings"
	"unicode/utf8"
)

// IsPattern reports whether s holds a wildcard.
func IsPattern(s string) bool { return strings.ContainsAny(s, "*?") }

// Match reports whether s matches pattern. "?" matches one character (a
// whole UTF-8 sequence).
func Match(pattern, s string) bool {
	// Iterative matching with backtracking to the last star: linear in
	// practice, and no recursion on hostile patterns.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == '?':
			_, size := utf8.DecodeRuneInString(s[i:])
			p++
			i += size
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			_, size := utf8.DecodeRuneInString(s[mark:])
			p = star + 1
			mark += size
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// Table maps keys to values: exact keys through a map, patterns in the order
// they were added, the first matching one winning. The zero value is an
// empty table. A Table is safe for concurrent reads once built.
type Table[V any] struct {
	exact    map[string]V
	patterns []entry[V]
}

type entry[V any] struct {
	pattern string
	value   V
}

// Add adds key (exact or a pattern) with its value. An exact key added
// twice keeps the first value and returns false; so does a pattern.
func (t *Table[V]) Add(key string, v V) bool {
	if IsPattern(key) {
		for _, e := range t.patterns {
			if e.pattern == key {
				return false
			}
		}
		t.patterns = append(t.patterns, entry[V]{key, v})
		return true
	}
	if t.exact == nil {
		t.exact = make(map[string]V)
	}
	if _, dup := t.exact[key]; dup {
		return false
	}
	t.exact[key] = v
	return true
}

// Lookup returns the value of the exact key s, else of the first pattern
// matching s.
func (t *Table[V]) Lookup(s string) (V, bool) {
	if v, ok := t.exact[s]; ok {
		return v, true
	}
	for _, e := range t.patterns {
		if Match(e.pattern, s) {
			return e.value, true
		}
	}
	var zero V
	return zero, false
}

// Len returns the number of keys and patterns.
func (t *Table[V]) Len() int { return len(t.exact) + len(t.patterns) }
