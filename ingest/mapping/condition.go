package mapping

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// condition tests one value of a record: equals, prefix, suffix, contains,
// in (any of a list) or exists.
type condition struct {
	path   Path
	op     string
	values []string
	exists bool
	// needles are byte strings every matching record contains, for a
	// cheap Detect: the quoted last member name of the path and, when it
	// needs no JSON escaping, the value.
	needles [][]byte
}

// Condition operators.
var conditionOps = []string{"equals", "prefix", "suffix", "contains", "in", "exists"}

// condition reads a condition mapping.
func (l *loader) condition(n ast.Node, what string) *condition {
	spec, ok := l.fieldsOf(n, what, conditionKeys...)
	if !ok {
		return nil
	}
	c := &condition{}
	fe, ok := spec["field"]
	if !ok {
		l.errorf(n, "%s: field is missing", what)
		return nil
	}
	p := l.path(fe.value, what+".field")
	if p == nil {
		return nil
	}
	c.path = *p
	var ops []string
	for _, op := range conditionOps {
		if _, ok := spec[op]; ok {
			ops = append(ops, op)
		}
	}
	switch len(ops) {
	case 0:
		l.errorf(n, "%s: want one of %s", what, strings.Join(conditionOps, ", "))
		return nil
	case 1:
	default:
		l.errorf(spec[ops[1]].node, "%s: has both %s and %s", what, ops[0], ops[1])
		return nil
	}
	c.op = ops[0]
	e := spec[c.op]
	switch c.op {
	case "exists":
		b, ok := l.boolean(e.value, what+".exists")
		if !ok {
			return nil
		}
		c.exists = b
	case "in":
		seq, ok := unwrap(e.value).(*ast.SequenceNode)
		if !ok || len(seq.Values) == 0 {
			l.errorf(e.value, "%s.in: want a non-empty list", what)
			return nil
		}
		for _, item := range seq.Values {
			s, ok := l.scalar(item, what+".in")
			if !ok {
				return nil
			}
			c.values = append(c.values, s)
		}
	default:
		s, ok := l.scalar(e.value, what+"."+c.op)
		if !ok {
			return nil
		}
		c.values = []string{s}
	}
	if name := c.path.lastName(); name != "" && plain(name) && (c.op != "exists" || c.exists) {
		c.needles = append(c.needles, []byte(`"`+name+`"`))
	}
	if (c.op == "equals" || c.op == "prefix" || c.op == "suffix" || c.op == "contains") && plain(c.values[0]) {
		c.needles = append(c.needles, []byte(c.values[0]))
	}
	return c
}

// plain reports whether s appears in JSON text as it is: printable ASCII
// without quotes or backslashes.
func plain(s string) bool {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// match reports whether the record root satisfies c.
func (c *condition) match(root any) bool {
	v, ok := c.path.eval(root)
	if c.op == "exists" {
		return ok == c.exists
	}
	if !ok {
		return false
	}
	s, ok := scalar(v)
	if !ok {
		return false
	}
	switch c.op {
	case "equals":
		return s == c.values[0]
	case "prefix":
		return strings.HasPrefix(s, c.values[0])
	case "suffix":
		return strings.HasSuffix(s, c.values[0])
	case "contains":
		return strings.Contains(s, c.values[0])
	case "in":
		return slices.Contains(c.values, s)
	}
	return false
}

// String describes c, for reports: `$.event prefix "login"`.
func (c *condition) String() string {
	switch c.op {
	case "exists":
		if c.exists {
			return c.path.text + " exists"
		}
		return c.path.text + " does not exist"
	case "in":
		q := make([]string, len(c.values))
		for i, v := range c.values {
			q[i] = strconv.Quote(v)
		}
		return fmt.Sprintf("%s in [%s]", c.path.text, strings.Join(q, ", "))
	}
	return fmt.Sprintf("%s %s %q", c.path.text, c.op, c.values[0])
}
