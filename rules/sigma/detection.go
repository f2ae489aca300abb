package sigma

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// node is a detection in aitdr's terms: a boolean tree over field tests.
type node interface {
	// expr returns the node as an expr expression.
	expr() string
	// eval reports whether an event with these field values (by
	// Target.key; absent fields are "") matches.
	eval(values map[string]string) bool
}

type andNode []node
type orNode []node
type notNode struct{ n node }

// leaf tests one field against values: any of them, or all with |all.
type leaf struct {
	target Target
	op     string // eq, glob, contains, startswith, endswith, re, cidr, exists
	values []string
	all    bool
	cased  bool
	// regexps and prefixes are compiled values of re and cidr leaves.
	regexps  []*regexp.Regexp
	prefixes []netip.Prefix
}

func (n andNode) expr() string { return join(n, " && ") }
func (n orNode) expr() string  { return join(n, " || ") }
func (n notNode) expr() string { return "!" + paren(n.n) }

func join[N ~[]node](ns N, sep string) string {
	parts := make([]string, len(ns))
	for i, c := range ns {
		parts[i] = paren(c)
	}
	return strings.Join(parts, sep)
}

// paren wraps compound expressions in parentheses.
func paren(n node) string {
	switch c := n.(type) {
	case andNode:
		if len(c) > 1 {
			return "(" + n.expr() + ")"
		}
	case orNode:
		if len(c) > 1 {
			return "(" + n.expr() + ")"
		}
	case *leaf:
		if len(c.values) > 1 && c.op != "cidr" && !(c.op == "eq" && !c.all) || c.op == "cidr" && c.all && len(c.values) > 1 {
			return "(" + n.expr() + ")"
		}
	}
	return n.expr()
}

func (n andNode) eval(v map[string]string) bool {
	for _, c := range n {
		if !c.eval(v) {
			return false
		}
	}
	return true
}

func (n orNode) eval(v map[string]string) bool {
	for _, c := range n {
		if c.eval(v) {
			return true
		}
	}
	return false
}

func (n notNode) eval(v map[string]string) bool { return !n.n.eval(v) }

func (l *leaf) expr() string {
	f := l.target.Expr
	q := strconv.Quote
	switch l.op {
	case "exists":
		if l.values[0] == "true" {
			return f + ` != ""`
		}
		return f + ` == ""`
	case "cidr":
		if !l.all {
			args := []string{f}
			for _, v := range l.values {
				args = append(args, q(v))
			}
			return "cidr(" + strings.Join(args, ", ") + ")"
		}
	case "eq":
		if !l.all {
			if len(l.values) == 1 {
				return f + " == " + q(l.values[0])
			}
			quoted := make([]string, len(l.values))
			for i, v := range l.values {
				quoted[i] = q(v)
			}
			return f + " in [" + strings.Join(quoted, ", ") + "]"
		}
	}
	parts := make([]string, len(l.values))
	for i, v := range l.values {
		switch l.op {
		case "eq":
			parts[i] = f + " == " + q(v)
		case "glob":
			parts[i] = "glob(" + f + ", " + q(v) + ")"
		case "contains":
			parts[i] = cased(l.cased, "icontains("+f+", "+q(v)+")", f+" contains "+q(v))
		case "startswith":
			parts[i] = cased(l.cased, "istarts("+f+", "+q(v)+")", f+" startsWith "+q(v))
		case "endswith":
			parts[i] = cased(l.cased, "iends("+f+", "+q(v)+")", f+" endsWith "+q(v))
		case "re":
			parts[i] = "regex(" + f + ", " + q(v) + ")"
		case "cidr":
			parts[i] = "cidr(" + f + ", " + q(v) + ")"
		}
	}
	if l.all {
		return strings.Join(parts, " && ")
	}
	return strings.Join(parts, " || ")
}

func cased(c bool, insensitive, sensitive string) string {
	if c {
		return sensitive
	}
	return insensitive
}

func (l *leaf) eval(values map[string]string) bool {
	s := values[l.target.key()]
	if l.op == "exists" {
		return (s != "") == (l.values[0] == "true")
	}
	for i, v := range l.values {
		ok := l.match(i, v, s)
		if l.all && !ok {
			return false
		}
		if !l.all && ok {
			return true
		}
	}
	return l.all
}

func (l *leaf) match(i int, v, s string) bool {
	fold := func(x string) string {
		if l.cased {
			return x
		}
		return strings.ToLower(x)
	}
	switch l.op {
	case "eq":
		return s == v
	case "glob":
		return globMatch(v, s)
	case "contains":
		return strings.Contains(fold(s), fold(v))
	case "startswith":
		return strings.HasPrefix(fold(s), fold(v))
	case "endswith":
		return strings.HasSuffix(fold(s), fold(v))
	case "re":
		return l.regexps[i].MatchString(s)
	case "cidr":
		a, err := netip.ParseAddr(s)
		return err == nil && l.prefixes[i].Contains(a.Unmap())
	}
	return false
}

// globMatch matches s against a pattern of * and ? like the engine's glob.
func globMatch(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	ok, _ := regexp.MatchString("(?s)"+re, s)
	return ok
}

// Unsupported is why a Sigma rule cannot be converted.
type Unsupported struct{ Reason string }

func (u *Unsupported) Error() string { return u.Reason }

func unsupported(format string, args ...any) error {
	return &Unsupported{Reason: fmt.Sprintf(format, args...)}
}

// detection compiles the detection section of r for src into a node.
func detection(r *Rule, src *Source) (node, error) {
	if len(r.Detection) == 0 {
		return nil, unsupported("no detection")
	}
	sels := map[string]node{}
	for name, body := range r.Detection {
		if name == "condition" || name == "timeframe" {
			continue
		}
		n, err := selection(name, body, src)
		if err != nil {
			return nil, err
		}
		sels[name] = n
	}
	if _, ok := r.Detection["timeframe"]; ok {
		return nil, unsupported("timeframe (an aggregation window): write a correlation rule instead")
	}
	var conds []string
	switch c := r.Detection["condition"].(type) {
	case string:
		conds = []string{c}
	case []any:
		for _, x := range c {
			s, ok := x.(string)
			if !ok {
				return nil, unsupported("condition list holds %T, not a string", x)
			}
			conds = append(conds, s)
		}
	case nil:
		return nil, unsupported("detection has no condition")
	default:
		return nil, unsupported("condition is %T, not a string", c)
	}
	var alts orNode
	for _, c := range conds {
		n, err := parseCondition(c, sels)
		if err != nil {
			return nil, err
		}
		alts = append(alts, n)
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return alts, nil
}

// selection compiles one named selection: a map (every field matches) or
// a list of maps (any of them matches).
func selection(name string, body any, src *Source) (node, error) {
	switch b := body.(type) {
	case map[string]any:
		return fieldMap(name, b, src)
	case []any:
		var alts orNode
		for _, item := range b {
			m, ok := item.(map[string]any)
			if !ok {
				return nil, unsupported("selection %s: keyword search (values without a field) is not supported: aitdr rules test fields", name)
			}
			n, err := fieldMap(name, m, src)
			if err != nil {
				return nil, err
			}
			alts = append(alts, n)
		}
		if len(alts) == 1 {
			return alts[0], nil
		}
		return alts, nil
	}
	return nil, unsupported("selection %s: want a map of fields or a list of them, got %T", name, body)
}

func fieldMap(name string, m map[string]any, src *Source) (node, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var and andNode
	for _, k := range keys {
		l, err := fieldTest(k, m[k], src)
		if err != nil {
			return nil, fmt.Errorf("selection %s: %w", name, err)
		}
		and = append(and, l)
	}
	if len(and) == 1 {
		return and[0], nil
	}
	if len(and) == 0 {
		return nil, unsupported("selection %s is empty", name)
	}
	return and, nil
}

// fieldTest compiles "field|mod|mod: value(s)".
func fieldTest(key string, value any, src *Source) (*leaf, error) {
	parts := strings.Split(key, "|")
	name := parts[0]
	target, ok := src.Fields[name]
	if !ok {
		return nil, unsupported("unmapped field %q: the %s normalizer does not keep it", name, src.Product)
	}
	l := &leaf{target: target, op: "eq"}
	reFlags := ""
	for _, mod := range parts[1:] {
		switch mod {
		case "contains", "startswith", "endswith", "re", "cidr", "exists":
			if l.op != "eq" {
				return nil, unsupported("field %q: modifiers %s and %s together", name, l.op, mod)
			}
			l.op = mod
		case "all":
			l.all = true
		case "cased":
			l.cased = true
		case "i", "ignorecase":
			reFlags += "i"
		case "m", "multiline":
			reFlags += "m"
		case "s", "dotall":
			reFlags += "s"
		default:
			return nil, unsupported("unsupported modifier %q on field %q", mod, name)
		}
	}
	var raw []any
	if list, ok := value.([]any); ok {
		raw = list
	} else {
		raw = []any{value}
	}
	if len(raw) == 0 {
		return nil, unsupported("field %q has an empty list of values", name)
	}
	for _, v := range raw {
		s, err := scalar(name, v)
		if err != nil {
			return nil, err
		}
		l.values = append(l.values, s)
	}
	switch l.op {
	case "exists":
		if len(l.values) != 1 || (l.values[0] != "true" && l.values[0] != "false") {
			return nil, unsupported("field %q: exists wants true or false", name)
		}
	case "re":
		for i, v := range l.values {
			if reFlags != "" {
				v = "(?" + reFlags + ")" + v
				l.values[i] = v
			}
			re, err := regexp.Compile(v)
			if err != nil {
				return nil, unsupported("field %q: regular expression %q: %s", name, v, err.Error())
			}
			l.regexps = append(l.regexps, re)
		}
	case "cidr":
		for _, v := range l.values {
			p, err := netip.ParsePrefix(v)
			if err != nil {
				return nil, unsupported("field %q: %q is not a CIDR range", name, v)
			}
			l.prefixes = append(l.prefixes, p.Masked())
		}
	case "eq":
		if slices.ContainsFunc(l.values, hasWildcard) {
			l.op = "glob"
		}
	case "contains", "startswith", "endswith":
		if slices.ContainsFunc(l.values, hasWildcard) {
			return nil, unsupported("field %q: wildcards inside a %s value", name, l.op)
		}
	}
	if reFlags != "" && l.op != "re" {
		return nil, unsupported("field %q: regular expression flags without |re", name)
	}
	for _, v := range l.values {
		if strings.Contains(v, `\`) && l.op != "re" {
			return nil, unsupported("field %q: escaped characters in %q", name, v)
		}
	}
	return l, nil
}

func hasWildcard(s string) bool { return strings.ContainsAny(s, "*?") }

// scalar turns a YAML value into the text the event field holds.
func scalar(field string, v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	}
	return "", unsupported("field %q: value of type %T", field, v)
}
