package rules

import (
	"reflect"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/aitdr/aitdr/schemas"
)

// index finds the rules an event can match without looking at the others.
// Each enabled rule is filed, for each alternative way to match it, under
// one dimension, the most selective it restricts: its actions, else its
// categories, else its sources, else its identity classes, else "any". An event gathers the rules filed under its
// action name, its category, its source product, its class and "any", so
// the cost per event grows with the rules that may match it, not with the
// size of the set; the rule's other lists are checked after.
type index struct {
	byAction   map[string][]int32
	byCategory map[schemas.Category][]int32
	bySource   map[schemas.Product][]int32
	byClass    map[schemas.IdentityClass][]int32
	any        []int32
}

func buildIndex(rules []*Rule) *index {
	x := &index{
		byAction:   map[string][]int32{},
		byCategory: map[schemas.Category][]int32{},
		bySource:   map[schemas.Product][]int32{},
		byClass:    map[schemas.IdentityClass][]int32{},
	}
	for i, r := range rules {
		if !r.Enabled {
			continue
		}
		n := int32(i)
		keys := r.indexKeys()
		anywhere := false
		for _, k := range keys {
			if k.empty() {
				anywhere = true
			}
		}
		if anywhere {
			x.any = append(x.any, n)
			continue
		}
		// A rule with several alternatives (sequence steps, a top-level
		// or) is filed under each; candidates drops the repeats.
		for _, k := range keys {
			switch {
			case len(k.actions) > 0:
				for _, a := range uniq(k.actions) {
					x.byAction[a] = appendOnce(x.byAction[a], n)
				}
			case len(k.categories) > 0:
				for _, c := range uniq(k.categories) {
					x.byCategory[c] = appendOnce(x.byCategory[c], n)
				}
			case len(k.sources) > 0:
				for _, s := range uniq(k.sources) {
					x.bySource[s] = appendOnce(x.bySource[s], n)
				}
			default:
				for _, c := range uniq(k.classes) {
					x.byClass[c] = appendOnce(x.byClass[c], n)
				}
			}
		}
	}
	return x
}

func appendOnce(l []int32, n int32) []int32 {
	if len(l) > 0 && l[len(l)-1] == n {
		return l
	}
	return append(l, n)
}

// indexKeys are the values of the indexed dimensions an event must have
// to match a rule (one alternative of it); an empty list is no
// restriction.
type indexKeys struct {
	actions    []string
	categories []schemas.Category
	sources    []schemas.Product
	classes    []schemas.IdentityClass
}

// admits reports whether ev has values k allows on every dimension.
func (k indexKeys) admits(ev *schemas.Event) bool {
	return (len(k.actions) == 0 || slices.Contains(k.actions, ev.Action.Name)) &&
		(len(k.categories) == 0 || slices.Contains(k.categories, ev.Action.Category)) &&
		(len(k.sources) == 0 || slices.Contains(k.sources, ev.Source.Product)) &&
		(len(k.classes) == 0 || slices.Contains(k.classes, ev.Enrichment.Class))
}

// impliedKeys returns the index keys a compiled condition implies, one
// per alternative.
func impliedKeys(p *vm.Program) []indexKeys {
	var out []indexKeys
	for _, implied := range impliedBy(p.Node()) {
		var k indexKeys
		k.actions = implied[dimAction]
		for _, v := range implied[dimCategory] {
			k.categories = append(k.categories, schemas.Category(v))
		}
		for _, v := range implied[dimSource] {
			k.sources = append(k.sources, schemas.Product(v))
		}
		for _, v := range implied[dimClass] {
			k.classes = append(k.classes, schemas.IdentityClass(v))
		}
		if k.empty() {
			return nil // an unrestricted alternative: every event may match
		}
		out = append(out, k)
	}
	return out
}

func (k indexKeys) empty() bool {
	return len(k.actions) == 0 && len(k.categories) == 0 && len(k.sources) == 0 && len(k.classes) == 0
}

// maxAlternatives bounds the alternatives a rule is filed under; past it
// the rule is filed under "any".
const maxAlternatives = 16

// indexKeys returns the rule's index keys, one per alternative way to
// match it: its sources, identity_classes, categories and actions lists,
// and, for a dimension the rule does not list, the values its condition
// requires. A condition whose top-level conjunction holds
// action.category == "iam_change" or action.name in [...] can only match
// events with those values, so the rule is filed under them as if it
// listed them: authors need not repeat in the lists what the condition
// says for the index to work. A top-level or, and the steps of a
// sequence, are alternatives.
func (r *Rule) indexKeys() []indexKeys {
	alts := []impliedValues{{}}
	if r.cond != nil {
		alts = impliedBy(r.cond.Node())
	}
	if r.sequence != nil {
		var steps []impliedValues
		for _, st := range r.sequence.steps {
			if st.cond == nil {
				steps = append(steps, impliedValues{})
				continue
			}
			steps = append(steps, impliedBy(st.cond.Node())...)
		}
		alts = and(alts, steps)
	}
	var out []indexKeys
	for _, implied := range alts {
		k := indexKeys{actions: r.actions, categories: r.categories, sources: r.sources, classes: r.classes}
		if len(k.actions) == 0 {
			k.actions = implied[dimAction]
		}
		if len(k.categories) == 0 {
			for _, v := range implied[dimCategory] {
				k.categories = append(k.categories, schemas.Category(v))
			}
		}
		if len(k.sources) == 0 {
			for _, v := range implied[dimSource] {
				k.sources = append(k.sources, schemas.Product(v))
			}
		}
		if len(k.classes) == 0 {
			for _, v := range implied[dimClass] {
				k.classes = append(k.classes, schemas.IdentityClass(v))
			}
		}
		out = append(out, k)
	}
	return out
}

// Indexed dimensions, by the member path that reads them.
const (
	dimAction   = "action.name"
	dimCategory = "action.category"
	dimSource   = "source.product"
	dimClass    = "enrichment.class"
)

// impliedValues maps a dimension to the values a condition requires of it.
type impliedValues map[string][]string

// and combines two sets of alternatives that must both hold: each pair of
// alternatives, with the requirements of both (on a dimension both
// restrict, the values both allow). Past maxAlternatives it gives one
// unrestricted alternative.
func and(a, b []impliedValues) []impliedValues {
	if len(a)*len(b) > maxAlternatives {
		return []impliedValues{{}}
	}
	var out []impliedValues
	for _, x := range a {
		for _, y := range b {
			m := impliedValues{}
			for dim, v := range x {
				m[dim] = v
			}
			for dim, v := range y {
				if prev, ok := m[dim]; ok {
					v = slices.DeleteFunc(slices.Clone(v), func(s string) bool { return !slices.Contains(prev, s) })
				}
				m[dim] = v
			}
			out = append(out, m)
		}
	}
	return out
}

// impliedBy returns the alternatives of the compiled condition root: for
// each way it can hold (the sides of a top-level or), the values each
// indexed dimension must have, from the terms of the conjunction that
// compare the dimension with a constant or a constant set.
func impliedBy(root ast.Node) []impliedValues {
	b, ok := root.(*ast.BinaryNode)
	if !ok {
		return []impliedValues{{}}
	}
	switch b.Operator {
	case "&&", "and":
		return and(impliedBy(b.Left), impliedBy(b.Right))
	case "||", "or":
		alts := append(impliedBy(b.Left), impliedBy(b.Right)...)
		if len(alts) > maxAlternatives {
			return []impliedValues{{}}
		}
		return alts
	case "==", "in":
	default:
		return []impliedValues{{}}
	}
	path := strings.Join(memberPath(b.Left), ".")
	if path != dimAction && path != dimCategory && path != dimSource && path != dimClass {
		return []impliedValues{{}}
	}
	var values []string
	switch r := b.Right.(type) {
	case *ast.StringNode:
		if b.Operator == "==" {
			values = []string{r.Value}
		}
	case *ast.ConstantNode:
		values = constantStrings(r.Value, b.Operator == "in")
	}
	if values == nil {
		return []impliedValues{{}}
	}
	return []impliedValues{{path: values}}
}

// constantStrings returns the strings a constant holds: a string-kinded
// value, or (set) the string-kinded keys of a map.
func constantStrings(v any, set bool) []string {
	rv := reflect.ValueOf(v)
	switch {
	case !set && rv.Kind() == reflect.String:
		return []string{rv.String()}
	case set && rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String:
		out := make([]string, 0, rv.Len())
		for _, k := range rv.MapKeys() {
			out = append(out, k.String())
		}
		slices.Sort(out)
		return out
	}
	return nil
}

func uniq[T comparable](s []T) []T {
	var out []T
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// candidates appends to dst the indexes of the rules ev may match, in rule
// order, each once.
func (x *index) candidates(ev *schemas.Event, dst []int32) []int32 {
	lists := 0
	add := func(l []int32) {
		if len(l) > 0 {
			lists++
			dst = append(dst, l...)
		}
	}
	add(x.byAction[ev.Action.Name])
	add(x.byCategory[ev.Action.Category])
	add(x.bySource[ev.Source.Product])
	add(x.byClass[ev.Enrichment.Class])
	add(x.any)
	if lists > 1 {
		slices.Sort(dst)
		dst = slices.Compact(dst)
	}
	return dst
}
