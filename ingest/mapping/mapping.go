// Package mapping normalizes JSON records of sources aitdr does not ship
// with a declarative mapping file: event fields from JSON paths, templates
// and constants, and the category and verb from first-match rules.
//
//	product: acme.audit                              # the source's product name
//	detect: {field: "$.schema", equals: "acme.v1"}   # optional: how Detect knows a record
//	split: "$.events"                                # optional: deliveries holding an array of records
//	fields:
//	  time: {path: "$.ts", format: unix_ms}          # rfc3339 (default), unix, unix_ms
//	  identity.id: {template: "acme:{{$.tenant}}:{{$.user.id}}"}
//	  identity.email: {path: "$.user.email"}
//	  action.name: "$.event"                         # short for {path: "$.event"}
//	  outcome: {path: "$.result", map: {ok: success, denied: failure}, unmapped: unknown}
//	  attributes.acme.request_id: {path: "$.request_id"}
//	constants: {identity.provider: acme, identity.kind: human}
//	categories:                                      # the first rule that matches wins
//	  - {when: {field: "$.event", prefix: "login"}, category: authentication, verb: authenticate}
//	  - {when: {field: "$.event", in: [model.call]}, category: model_inference, verb: invoke}
//
// Paths are a small JSONPath subset (see Path). A field spec has a path or
// a template, and may have: format (time fields), map (translates source
// values), unmapped (the value of a source value map does not list; without
// it such a value passes unchanged), default (the value when the path is
// missing or empty) and required (a record missing a required field is
// rejected). time,
// action.name and identity.id are required; when identity.id is not
// mapped it is derived as "<identity.provider>:<identity.account>:<uid,
// name or email>". Without a mapped outcome, a record with an error code or
// message is a failure and any other is unknown.
//
// The first category rule that matches a record sets its category, and its
// verb when the rule has one, over any mapped action.category and
// action.verb; without a matching rule those fields apply, and without
// them the category and verb are other.
//
// Load validates a file completely and reports every problem with its
// file:line:col; Check reports what a sample record maps to.
package mapping

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/aitdr/aitdr/schemas"
	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Mapping is a loaded and validated mapping file. It is immutable and safe
// for concurrent use.
type Mapping struct {
	file       string
	product    schemas.Product
	detect     *condition
	split      *Path
	fields     []*field
	categories []categoryRule
	// mapped holds the targets set by fields or constants.
	mapped map[string]*field
}

// Product returns the product the mapping names.
func (m *Mapping) Product() schemas.Product { return m.product }

// File returns the name the mapping was loaded from.
func (m *Mapping) File() string { return m.file }

// field is one target of the mapping: from a path, a template or a
// constant.
type field struct {
	target   target
	path     *Path
	template *template
	// constant is set for constants, with its converted value.
	constant *value
	text     string // the constant as written
	format   timeFormat
	valueMap map[string]string
	unmapped *string
	def      *string
	required bool
}

// source describes where a field comes from, for reports.
func (f *field) source() string {
	switch {
	case f.constant != nil:
		return "constant " + f.text
	case f.template != nil:
		return "template " + f.template.text
	case f.target.kind == kindTime && f.format != formatRFC3339:
		return "path " + f.path.text + " (" + string(f.format) + ")"
	}
	return "path " + f.path.text
}

// categoryRule sets the category and verb of the records it matches.
type categoryRule struct {
	when     condition
	category schemas.Category
	verb     schemas.Verb
}

// Error is a problem in a mapping file, at a line and column.
type Error struct {
	File         string
	Line, Column int
	Message      string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Message)
}

// Load reads and validates the mapping file at path. An invalid file fails
// with every problem found, each an *Error with its line and column, joined
// with errors.Join.
func Load(path string) (*Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load mapping: %w", err)
	}
	return Parse(path, data)
}

// Parse validates the mapping in data; name is the file name errors carry.
func Parse(name string, data []byte) (*Mapping, error) {
	l := &loader{file: name}
	m := l.load(data)
	if len(l.errs) > 0 {
		slices.SortStableFunc(l.errs, func(a, b *Error) int {
			return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
		})
		errs := make([]error, len(l.errs))
		for i, e := range l.errs {
			errs[i] = e
		}
		return nil, errors.Join(errs...)
	}
	return m, nil
}

// loader reads a mapping file from its YAML syntax tree, so that every
// problem carries its position, and collects the problems.
type loader struct {
	file string
	errs []*Error
	// unknownKeys counts the unknown keys reported so far, so that a
	// misspelt key is not reported a second time as a missing one.
	unknownKeys int
	// seen holds the targets named in fields, valid or not, so that a
	// target whose spec has a problem is not also reported as unmapped.
	seen map[string]bool
}

func (l *loader) errorAt(p token.Position, format string, args ...any) {
	l.errs = append(l.errs, &Error{File: l.file, Line: p.Line, Column: p.Column, Message: fmt.Sprintf(format, args...)})
}

func (l *loader) errorf(n ast.Node, format string, args ...any) {
	l.errorAt(position(n), format, args...)
}

// position is where a node starts: the first key of a block mapping, the
// node's own token otherwise.
func position(n ast.Node) token.Position {
	switch v := n.(type) {
	case *ast.MappingNode:
		if len(v.Values) > 0 && !v.IsFlowStyle {
			return position(v.Values[0])
		}
	case *ast.MappingValueNode:
		return position(v.Key)
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return *tk.Position
	}
	return token.Position{Line: 1, Column: 1}
}

// unwrap removes anchors and tags around a node.
func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
}

// entry is a key and value of a YAML mapping.
type entry struct {
	key   string
	node  *ast.MappingValueNode
	value ast.Node
}

// entries returns the entries of a mapping node, reporting anything else.
func (l *loader) entries(n ast.Node, what string) ([]entry, bool) {
	n = unwrap(n)
	var values []*ast.MappingValueNode
	switch v := n.(type) {
	case *ast.MappingNode:
		values = v.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{v}
	default:
		l.errorf(n, "%s: want a mapping, not %s", what, nodeKind(n))
		return nil, false
	}
	out := make([]entry, 0, len(values))
	for _, v := range values {
		key := v.Key.GetToken().Value
		out = append(out, entry{key: key, node: v, value: v.Value})
	}
	return out, true
}

// fieldsOf returns the entries of a mapping node by key, reporting keys
// that are not allowed.
func (l *loader) fieldsOf(n ast.Node, what string, allowed ...string) (map[string]entry, bool) {
	es, ok := l.entries(n, what)
	if !ok {
		return nil, false
	}
	m := make(map[string]entry, len(es))
	for _, e := range es {
		if !slices.Contains(allowed, e.key) {
			l.errorf(e.node, "%s: unknown key %q (want %s)", what, e.key, strings.Join(allowed, ", "))
			l.unknownKeys++
			continue
		}
		m[e.key] = e
	}
	return m, true
}

func nodeKind(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.NullNode, nil:
		return "null"
	case *ast.AliasNode:
		return "an alias"
	}
	return "a scalar"
}

// text returns the string of a string node (quoted or not, or a block
// literal).
func (l *loader) text(n ast.Node, what string) (string, bool) {
	switch v := unwrap(n).(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return v.Value.Value, true
	}
	l.errorf(n, "%s: want a string, not %s", what, nodeKind(unwrap(n)))
	return "", false
}

// scalar returns the text of any scalar node: a string, a number or a
// boolean as written.
func (l *loader) scalar(n ast.Node, what string) (string, bool) {
	switch v := unwrap(n).(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return v.GetToken().Value, true
	}
	l.errorf(n, "%s: want a scalar, not %s", what, nodeKind(unwrap(n)))
	return "", false
}

func (l *loader) boolean(n ast.Node, what string) (bool, bool) {
	switch v := unwrap(n).(type) {
	case *ast.BoolNode:
		return v.Value, true
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode:
		l.errorf(n, "%s: want true or false, not %q", what, v.GetToken().Value)
	default:
		l.errorf(n, "%s: want true or false, not %s", what, nodeKind(v))
	}
	return false, false
}

func (l *loader) path(n ast.Node, what string) *Path {
	s, ok := l.text(n, what)
	if !ok {
		return nil
	}
	p, err := ParsePath(s)
	if err != nil {
		l.errorf(n, "%s: %s", what, err.Error())
		return nil
	}
	return &p
}

// Field-spec and condition keys.
var (
	topKeys       = []string{"product", "detect", "split", "fields", "constants", "categories"}
	fieldKeys     = []string{"path", "template", "format", "map", "unmapped", "default", "required"}
	conditionKeys = []string{"field", "equals", "prefix", "suffix", "contains", "in", "exists"}
	ruleKeys      = []string{"when", "category", "verb"}
)

// requiredTargets are the fields every event needs: a mapping must set
// them, and a record that lacks one is rejected.
var requiredTargets = []string{"time", "action.name", "identity.id"}

func (l *loader) load(data []byte) *Mapping {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil && ye.GetToken().Position != nil {
			l.errorAt(*ye.GetToken().Position, "%s", ye.GetMessage())
		} else {
			l.errorAt(token.Position{Line: 1, Column: 1}, "%s", err.Error())
		}
		return nil
	}
	if len(file.Docs) == 0 || file.Docs[0].Body == nil {
		l.errorAt(token.Position{Line: 1, Column: 1}, "empty mapping file")
		return nil
	}
	if len(file.Docs) > 1 {
		l.errorf(file.Docs[1], "more than one YAML document")
	}
	top, ok := l.fieldsOf(file.Docs[0].Body, "mapping", topKeys...)
	if !ok {
		return nil
	}
	m := &Mapping{file: l.file, mapped: map[string]*field{}}
	l.seen = map[string]bool{}
	start := position(file.Docs[0].Body)

	if e, ok := top["product"]; ok {
		if s, ok := l.text(e.value, "product"); ok {
			switch {
			case !schemas.Product(s).Valid():
				l.errorf(e.value, "product: %q is not a product name (up to 64 lower-case letters, digits, '.', '_', '-')", s)
			case schemas.Product(s).IsBuiltin():
				l.errorf(e.value, "product: %q is a source aitdr ships; name this source's own product", s)
			default:
				m.product = schemas.Product(s)
			}
		}
	} else {
		l.errorAt(start, "mapping: product is missing")
	}
	if e, ok := top["detect"]; ok {
		m.detect = l.condition(e.value, "detect")
	}
	if e, ok := top["split"]; ok {
		m.split = l.path(e.value, "split")
	}
	fieldsPos := start
	fieldsOK := false
	if e, ok := top["fields"]; ok {
		fieldsPos = position(e.node)
		fieldsOK = l.fields(e.value, m)
	} else {
		l.errorAt(start, "mapping: fields is missing")
	}
	if e, ok := top["constants"]; ok {
		l.constants(e.value, m)
	}
	if e, ok := top["categories"]; ok {
		l.categories(e.value, m)
	}
	if fieldsOK {
		for _, name := range requiredTargets {
			if name == "identity.id" && (m.mapped["identity.uid"] != nil || m.mapped["identity.name"] != nil || m.mapped["identity.email"] != nil) {
				continue
			}
			if m.mapped[name] == nil && !l.seen[name] {
				if name == "identity.id" {
					if l.seen["identity.uid"] || l.seen["identity.name"] || l.seen["identity.email"] {
						continue
					}
					l.errorAt(fieldsPos, "fields: identity.id is not mapped, and neither is identity.uid, identity.name or identity.email to derive it from")
					continue
				}
				l.errorAt(fieldsPos, "fields: %s is not mapped", name)
			}
		}
	}
	for _, f := range m.mapped {
		m.fields = append(m.fields, f)
	}
	// Constants first, then the record's fields, each in target order: a
	// stable order for reports.
	slices.SortFunc(m.fields, func(a, b *field) int {
		if (a.constant != nil) != (b.constant != nil) {
			if a.constant != nil {
				return -1
			}
			return 1
		}
		return strings.Compare(a.target.name, b.target.name)
	})
	return m
}

// fields reads the fields section; it reports false when the section is
// not a mapping.
func (l *loader) fields(n ast.Node, m *Mapping) bool {
	es, ok := l.entries(n, "fields")
	if !ok {
		return false
	}
	for _, e := range es {
		what := "fields." + e.key
		t, ok := lookupTarget(e.key)
		if !ok {
			l.errorf(e.node, "fields: unknown target field %q%s", e.key, suggest(e.key))
			continue
		}
		l.seen[e.key] = true
		f := &field{target: t, format: formatRFC3339, required: slices.Contains(requiredTargets, e.key)}
		switch v := unwrap(e.value).(type) {
		case *ast.StringNode:
			// Short form: a path, or a template when it has placeholders.
			if strings.Contains(v.Value, "{{") {
				l.template(v, what, f)
			} else {
				f.path = l.path(v, what)
			}
		default:
			unknown := l.unknownKeys
			spec, ok := l.fieldsOf(e.value, what, fieldKeys...)
			if !ok {
				continue
			}
			l.fieldSpec(spec, e, what, f, l.unknownKeys > unknown)
		}
		if f.path == nil && f.template == nil {
			continue
		}
		m.mapped[e.key] = f
	}
	return true
}

func (l *loader) template(n ast.Node, what string, f *field) {
	s, ok := l.text(n, what)
	if !ok {
		return
	}
	t, err := parseTemplate(s)
	if err != nil {
		l.errorf(n, "%s: %s", what, err.Error())
		return
	}
	f.template = &t
}

// fieldSpec reads a field's spec mapping.
func (l *loader) fieldSpec(spec map[string]entry, e entry, what string, f *field, misspelt bool) {
	p, hasPath := spec["path"]
	t, hasTemplate := spec["template"]
	switch {
	case hasPath && hasTemplate:
		l.errorf(t.node, "%s: has both path and template", what)
		return
	case hasPath:
		f.path = l.path(p.value, what+".path")
	case hasTemplate:
		l.template(t.value, what+".template", f)
	default:
		if !misspelt {
			l.errorf(e.node, "%s: want path or template", what)
		}
		return
	}
	if fe, ok := spec["format"]; ok {
		if s, ok := l.text(fe.value, what+".format"); ok {
			switch {
			case f.target.kind != kindTime:
				l.errorf(fe.node, "%s.format: only time fields have a format", what)
			case !slices.Contains(timeFormats, timeFormat(s)):
				l.errorf(fe.value, "%s.format: %q is not one of rfc3339, unix, unix_ms", what, s)
			default:
				f.format = timeFormat(s)
			}
		}
	}
	if me, ok := spec["map"]; ok {
		if es, ok := l.entries(me.value, what+".map"); ok {
			f.valueMap = make(map[string]string, len(es))
			for _, kv := range es {
				v, ok := l.scalar(kv.value, what+".map")
				if !ok {
					continue
				}
				if _, problem := f.target.convert(v, f.format); problem != "" {
					l.errorf(kv.value, "%s.map: %s", what, problem)
					continue
				}
				f.valueMap[kv.key] = v
			}
		}
	}
	for _, opt := range []struct {
		key string
		dst **string
	}{{"unmapped", &f.unmapped}, {"default", &f.def}} {
		e, ok := spec[opt.key]
		if !ok {
			continue
		}
		if v, ok := l.scalar(e.value, what+"."+opt.key); ok {
			if _, problem := f.target.convert(v, f.format); problem != "" {
				l.errorf(e.value, "%s.%s: %s", what, opt.key, problem)
			} else {
				*opt.dst = &v
			}
		}
	}
	if re, ok := spec["required"]; ok {
		if b, ok := l.boolean(re.value, what+".required"); ok {
			if !b && f.required {
				l.errorf(re.value, "%s.required: %s is always required", what, f.target.name)
			}
			f.required = b
		}
	}
}

// constants reads the constants section.
func (l *loader) constants(n ast.Node, m *Mapping) {
	es, ok := l.entries(n, "constants")
	if !ok {
		return
	}
	for _, e := range es {
		what := "constants." + e.key
		t, ok := lookupTarget(e.key)
		if !ok {
			l.errorf(e.node, "constants: unknown target field %q%s", e.key, suggest(e.key))
			continue
		}
		if t.kind == kindTime {
			l.errorf(e.node, "constants: %s must come from the record", e.key)
			continue
		}
		if m.mapped[e.key] != nil || l.seen[e.key] {
			l.errorf(e.node, "constants: %s is also mapped in fields", e.key)
			continue
		}
		s, ok := l.scalar(e.value, what)
		if !ok {
			continue
		}
		v, problem := t.convert(s, formatRFC3339)
		if problem != "" {
			l.errorf(e.value, "%s: %s", what, problem)
			continue
		}
		m.mapped[e.key] = &field{target: t, constant: &v, text: s}
	}
}

// categories reads the category rules.
func (l *loader) categories(n ast.Node, m *Mapping) {
	seq, ok := unwrap(n).(*ast.SequenceNode)
	if !ok {
		l.errorf(n, "categories: want a list, not %s", nodeKind(unwrap(n)))
		return
	}
	for i, item := range seq.Values {
		what := fmt.Sprintf("categories[%d]", i)
		spec, ok := l.fieldsOf(item, what, ruleKeys...)
		if !ok {
			continue
		}
		var r categoryRule
		valid := true
		if e, ok := spec["when"]; ok {
			c := l.condition(e.value, what+".when")
			if c == nil {
				valid = false
			} else {
				r.when = *c
			}
		} else {
			l.errorf(item, "%s: when is missing", what)
			valid = false
		}
		if e, ok := spec["category"]; ok {
			if s, ok := l.text(e.value, what+".category"); ok {
				if !schemas.Category(s).Valid() {
					l.errorf(e.value, "%s.category: %q is not one of %s", what, s, joinEnum(schemas.Categories()))
					valid = false
				}
				r.category = schemas.Category(s)
			}
		} else {
			l.errorf(item, "%s: category is missing", what)
			valid = false
		}
		if e, ok := spec["verb"]; ok {
			if s, ok := l.text(e.value, what+".verb"); ok {
				if !schemas.Verb(s).Valid() {
					l.errorf(e.value, "%s.verb: %q is not one of %s", what, s, joinEnum(schemas.Verbs()))
					valid = false
				}
				r.verb = schemas.Verb(s)
			}
		}
		if valid {
			m.categories = append(m.categories, r)
		}
	}
}

func joinEnum[T ~string](values []T) string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// suggest returns ` (did you mean "x"?)` for the target name closest to
// name, when one is close.
func suggest(name string) string {
	best, bestDist := "", 3+len(name)/6
	for _, t := range Targets() {
		if d := distance(name, t); d < bestDist {
			best, bestDist = t, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
