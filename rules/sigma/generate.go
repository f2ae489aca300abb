package sigma

import (
	"maps"
	"regexp/syntax"
	"slices"
	"strings"
)

// Test events are generated from a detection: field values that make it
// match (the firing event), and the same values with one field changed so
// that it does not (the near miss). Every candidate is checked with the
// node's own evaluation; the converted rule's tests then run through the
// real engine before the rule is accepted.

// firing returns field values (by Target.key) on which n matches.
func firing(n node) (map[string]string, bool) {
	v := solve(n, true)
	if v == nil || !n.eval(v) {
		return nil, false
	}
	return v, true
}

// nearMiss returns fire with one field changed so that n does not match.
func nearMiss(n node, fire map[string]string) (map[string]string, bool) {
	for _, k := range slices.Sorted(maps.Keys(fire)) {
		for _, alt := range []string{"aitdr-near-miss", "", "0.0.0.1"} {
			v := maps.Clone(fire)
			v[k] = alt
			if !n.eval(v) {
				return v, true
			}
		}
	}
	v := solve(n, false)
	if v != nil && !n.eval(v) {
		return v, true
	}
	return nil, false
}

// solve returns values that make n evaluate to want, or nil.
func solve(n node, want bool) map[string]string {
	switch c := n.(type) {
	case notNode:
		return solve(c.n, !want)
	case andNode:
		if want {
			return solveAll(c, true)
		}
		return solveAny(c, false, n)
	case orNode:
		if want {
			return solveAny(c, true, n)
		}
		return solveAll(c, false)
	case *leaf:
		return solveLeaf(c, want)
	}
	return nil
}

// solveAll makes every child evaluate to want.
func solveAll(children []node, want bool) map[string]string {
	out := map[string]string{}
	for _, c := range children {
		v := solve(c, want)
		if v == nil {
			return nil
		}
		for k, x := range v {
			if old, ok := out[k]; ok && old != x {
				x = old + x // e.g. two contains on one field
			}
			out[k] = x
		}
	}
	for _, c := range children {
		if c.eval(out) != want {
			return nil
		}
	}
	return out
}

// solveAny makes one child evaluate to want, so that whole does too.
func solveAny(children []node, want bool, whole node) map[string]string {
	for _, c := range children {
		if v := solve(c, want); v != nil && whole.eval(v) == want {
			return v
		}
	}
	return nil
}

func solveLeaf(l *leaf, want bool) map[string]string {
	k := l.target.key()
	if l.op == "exists" {
		if (l.values[0] == "true") == want {
			return map[string]string{k: "present"}
		}
		return map[string]string{k: ""}
	}
	if !want {
		for _, alt := range []string{"aitdr-near-miss", "", "0.0.0.1"} {
			if v := map[string]string{k: alt}; !l.eval(v) {
				return v
			}
		}
		return nil
	}
	var s string
	if l.all {
		var b strings.Builder
		for i, v := range l.values {
			b.WriteString(example(l, v, i))
		}
		s = b.String()
	} else {
		s = example(l, l.values[0], 0)
	}
	return map[string]string{k: s}
}

// example returns a value the leaf's i-th value matches.
func example(l *leaf, v string, i int) string {
	switch l.op {
	case "glob":
		return strings.NewReplacer("*", "x", "?", "x").Replace(v)
	case "contains":
		return "x" + v + "x"
	case "startswith":
		return v + "x"
	case "endswith":
		return "x" + v
	case "re":
		re, err := syntax.Parse(v, syntax.Perl)
		if err != nil {
			return v
		}
		return regexExample(re.Simplify())
	case "cidr":
		p := l.prefixes[i]
		a := p.Addr()
		if n := a.Next(); p.Contains(n) {
			a = n
		}
		return a.String()
	}
	return v
}

// regexExample returns a string re matches (with re unanchored, any
// string containing it matches too).
func regexExample(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpLiteral:
		return string(re.Rune)
	case syntax.OpCharClass:
		if len(re.Rune) > 0 {
			return string(re.Rune[0])
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return "a"
	case syntax.OpCapture, syntax.OpPlus:
		return regexExample(re.Sub[0])
	case syntax.OpRepeat:
		return strings.Repeat(regexExample(re.Sub[0]), re.Min)
	case syntax.OpConcat:
		var b strings.Builder
		for _, s := range re.Sub {
			b.WriteString(regexExample(s))
		}
		return b.String()
	case syntax.OpAlternate:
		return regexExample(re.Sub[0])
	}
	return ""
}
