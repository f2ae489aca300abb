package rules

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/aitdr/aitdr/schemas"
)

// The expression environment is the schemas.Event itself: its fields carry
// expr tags with their JSON names, so action.name reads Event.Action.Name
// directly and the environment costs nothing to set up per event. What the
// rule format adds on top (event.x, class, macros, lists, the functions that
// read the event) is rewritten into that environment at compile time by the
// namer below, and enum-typed values are turned into plain strings by the
// enum patcher so that they compare with string literals and lists.

// envNames are the top-level names of the environment: the Event's fields
// by their expr names, and the shortcuts.
var envNames = func() []string {
	names := []string{"event", "class"}
	t := reflect.TypeFor[schemas.Event]()
	for i := range t.NumField() {
		if name := t.Field(i).Tag.Get("expr"); name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}()

// Function names of the rule language (documented in docs/rules.md).
var functionNames = []string{
	"cidr", "glob", "regex", "icontains", "istarts", "iends", "in_list",
	"has_finding", "finding_count", "has_sensitive_finding", "attr", "label", "domain",
}

// reservedWords are the operators and literals of the expr language.
var reservedWords = []string{
	"in", "not", "and", "or", "matches", "contains", "startsWith", "endsWith",
	"let", "nil", "true", "false", "if", "else",
}

// namePattern is the form of macro and list names.
var namePattern = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// reservedName reports whether name is taken by the environment, a
// function, a builtin of expr or a keyword, and by what.
func reservedName(name string) string {
	switch {
	case slices.Contains(envNames, name):
		return "a field of the event environment"
	case slices.Contains(functionNames, name):
		return "a function of the rule language"
	case slices.Contains(builtin.Names, name), strings.HasPrefix(name, "_"):
		return "a builtin function"
	case slices.Contains(reservedWords, name):
		return "a keyword"
	}
	return ""
}

// macroDef is a macro of the loaded set.
type macroDef struct {
	name, source, file string
}

// listDef is a list of the loaded set.
type listDef struct {
	name, file string
	items      []string
	// lower is the set of the items in lower case, for in_list.
	lower map[string]struct{}
}

// exprEnv compiles the expressions of one rule set: it knows the set's
// macros and lists, and the names of those defined in rejected files (to
// say so when a rule uses one).
type exprEnv struct {
	macros   map[string]*macroDef
	lists    map[string]*listDef
	rejected map[string]string // name → file that defined it and was rejected
}

// result is the type an expression must have.
type result int

const (
	resultAny result = iota
	resultBool
	resultString
	resultNumber
)

// exprInfo is what compiling an expression found out.
type exprInfo struct {
	// refs are the macros and lists used, directly or through macros.
	refs map[string]bool
	// features are the baseline features read, as "bytes_ratio.1h".
	features []featureRef
}

// exprError is a compile error at a rune offset of the expression source.
type exprError struct {
	offset int
	msg    string
}

func (e *exprError) Error() string { return e.msg }

// exprErrors are several problems of one expression.
type exprErrors []*exprError

func (e exprErrors) Error() string {
	msgs := make([]string, len(e))
	for i, x := range e {
		msgs[i] = x.msg
	}
	return strings.Join(msgs, "; ")
}

// compile compiles src to a program of the wanted result type. A problem is
// returned as an *exprError with the offset it is at.
func (x *exprEnv) compile(src string, want result) (*vm.Program, *exprInfo, error) {
	if strings.TrimSpace(src) == "" {
		return nil, nil, &exprError{msg: "empty expression"}
	}
	n := &namer{env: x, refs: map[string]bool{}}
	handled := map[ast.Node]bool{}
	opts := append(slices.Clip(baseOptions), expr.Patch(n), expr.Patch(enumComparer{handled}), expr.Patch(enumPatcher{handled}))
	switch want {
	case resultBool:
		opts = append(opts, expr.AsBool())
	case resultString:
		opts = append(opts, expr.AsKind(reflect.String))
	case resultNumber:
		opts = append(opts, expr.AsFloat64())
	}
	prog, err := expr.Compile(src, opts...)
	// The namer's own findings say more than the checker's consequences.
	if len(n.errs) == 1 {
		return nil, nil, n.errs[0]
	}
	if len(n.errs) > 1 {
		return nil, nil, n.errs
	}
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			return nil, nil, &exprError{offset: fe.From, msg: fe.Message}
		}
		return nil, nil, &exprError{msg: err.Error()}
	}
	info := &exprInfo{refs: n.refs, features: featuresRead(prog.Node())}
	return prog, info, nil
}

// namer rewrites the rule language's names into the environment:
//
//   - event.x becomes x, and a bare event the environment itself;
//   - class becomes enrichment.class;
//   - a macro becomes its condition, itself rewritten (macros may use
//     macros and lists; a cycle is an error);
//   - a list becomes an array of its items;
//   - in_list(s, "name") becomes a lookup in the list's lower-case set;
//   - regex, glob and cidr with literal patterns get them compiled once;
//   - the functions that read the event (has_finding, attr, ...) get the
//     environment as their first argument.
type namer struct {
	env   *exprEnv
	refs  map[string]bool
	stack []string
	errs  exprErrors
	// at, while a macro is being inlined, is the location of the macro's
	// name in the expression, given to every inlined node so that anything
	// reported about them points at the macro's use.
	at *file.Location
	// inlined counts the nodes macros added, against maxInlinedNodes.
	inlined int
}

// maxInlinedNodes bounds what macros may add to one expression: macros
// using macros twice over would otherwise grow it exponentially.
const maxInlinedNodes = 20000

func (n *namer) errorf(node ast.Node, format string, args ...any) {
	loc := node.Location()
	if n.at != nil {
		loc = *n.at
	}
	n.errs = append(n.errs, &exprError{offset: loc.From, msg: fmt.Sprintf(format, args...)})
}

func (n *namer) replace(node *ast.Node, with ast.Node) {
	loc := (*node).Location()
	if n.at != nil {
		loc = *n.at
	}
	with.SetLocation(loc)
	*node = with
}

// Visit implements ast.Visitor.
func (n *namer) Visit(node *ast.Node) {
	if n.at != nil {
		(*node).SetLocation(*n.at)
	}
	switch v := (*node).(type) {
	case *ast.IdentifierNode:
		n.identifier(node, v)
	case *ast.MemberNode:
		// event.x (now $env.x) reads the field x of the environment.
		if id, ok := v.Node.(*ast.IdentifierNode); ok && id.Value == "$env" {
			if prop, ok := v.Property.(*ast.StringNode); ok && !v.Optional {
				n.replace(node, &ast.IdentifierNode{Value: prop.Value})
			}
		}
	case *ast.CallNode:
		n.call(node, v)
	}
}

func (n *namer) identifier(node *ast.Node, id *ast.IdentifierNode) {
	name := id.Value
	switch {
	case name == "event":
		n.replace(node, &ast.IdentifierNode{Value: "$env"})
	case name == "class":
		n.replace(node, &ast.MemberNode{
			Node:     &ast.IdentifierNode{Value: "enrichment"},
			Property: &ast.StringNode{Value: "class"},
		})
	case n.env.macros[name] != nil:
		n.inline(node, n.env.macros[name])
	case n.env.lists[name] != nil:
		n.refs[name] = true
		items := n.env.lists[name].items
		arr := &ast.ArrayNode{Nodes: make([]ast.Node, len(items))}
		for i, item := range items {
			s := &ast.StringNode{Value: item}
			s.SetLocation(id.Location())
			arr.Nodes[i] = s
		}
		n.replace(node, arr)
	case n.env.rejected[name] != "":
		n.errorf(id, "unknown name %s: it is defined in %s, which was rejected", name, n.env.rejected[name])
	}
}

// inline replaces node with macro m's condition.
func (n *namer) inline(node *ast.Node, m *macroDef) {
	n.refs[m.name] = true
	if i := slices.Index(n.stack, m.name); i >= 0 {
		n.errorf(*node, "macro %s uses itself (%s)", m.name, strings.Join(append(n.stack[i:], m.name), " → "))
		return
	}
	if n.inlined > maxInlinedNodes {
		return // reported once, below
	}
	tree, err := parser.Parse(m.source)
	if err != nil {
		n.errorf(*node, "macro %s does not parse: %v", m.name, err)
		return
	}
	size := 0
	ast.Find(tree.Node, func(ast.Node) bool { size++; return false })
	n.inlined += size
	if n.inlined > maxInlinedNodes {
		n.errorf(*node, "macros expand this expression past %d nodes (macro %s); simplify the macros it uses", maxInlinedNodes, m.name)
		return
	}
	loc := (*node).Location()
	if n.at != nil {
		loc = *n.at
	}
	saved := n.at
	n.at = &loc
	n.stack = append(n.stack, m.name)
	ast.Walk(&tree.Node, n)
	n.stack = n.stack[:len(n.stack)-1]
	n.at = saved
	tree.Node.SetLocation(loc)
	*node = tree.Node
}

// call rewrites the functions that need compile-time work or the event.
func (n *namer) call(node *ast.Node, c *ast.CallNode) {
	callee, ok := c.Callee.(*ast.IdentifierNode)
	if !ok {
		return
	}
	env := func() ast.Node {
		e := &ast.IdentifierNode{Value: "$env"}
		e.SetLocation(c.Location())
		return e
	}
	switch callee.Value {
	case "has_finding", "finding_count", "has_sensitive_finding", "attr", "label":
		c.Arguments = append([]ast.Node{env()}, c.Arguments...)
	case "in_list":
		if len(c.Arguments) != 2 {
			n.errorf(c, "in_list takes a string and a list name, such as in_list(domain(identity.email), \"consumer_mail_domains\")")
			return
		}
		lit, ok := c.Arguments[1].(*ast.StringNode)
		if !ok {
			n.errorf(c.Arguments[1], "in_list: the list name must be a string literal")
			return
		}
		l := n.env.lists[lit.Value]
		if l == nil {
			if f := n.env.rejected[lit.Value]; f != "" {
				n.errorf(lit, "in_list: list %q is defined in %s, which was rejected", lit.Value, f)
			} else {
				n.errorf(lit, "in_list: unknown list %q", lit.Value)
			}
			return
		}
		n.refs[lit.Value] = true
		n.replace(node, internalCall("_in_set", c.Arguments[0], &ast.ConstantNode{Value: l.lower}))
	case "regex":
		if len(c.Arguments) != 2 {
			n.errorf(c, "regex takes a string and a pattern")
			return
		}
		lit, ok := c.Arguments[1].(*ast.StringNode)
		if !ok {
			n.errorf(c.Arguments[1], "regex: the pattern must be a string literal (it is compiled once, at load)")
			return
		}
		re, err := regexp.Compile(lit.Value)
		if err != nil {
			n.errorf(lit, "regex: %v", err)
			return
		}
		n.replace(node, internalCall("_regex", c.Arguments[0], &ast.ConstantNode{Value: newCachedRegexp(re)}))
	case "glob":
		if len(c.Arguments) != 2 {
			return // the checker reports the arity
		}
		if lit, ok := c.Arguments[1].(*ast.StringNode); ok {
			n.replace(node, internalCall("_glob", c.Arguments[0], &ast.ConstantNode{Value: globPattern{Pattern: lit.Value}}))
		}
	case "cidr":
		if len(c.Arguments) < 2 {
			n.errorf(c, "cidr takes an address and at least one CIDR range, such as cidr(network.source_ip, \"10.0.0.0/8\")")
			return
		}
		var prefixes []netip.Prefix
		for _, a := range c.Arguments[1:] {
			lit, ok := a.(*ast.StringNode)
			if !ok {
				return // not all literal: parsed at run time
			}
			p, err := parsePrefix(lit.Value)
			if err != nil {
				n.errorf(lit, "cidr: %v", err)
				return
			}
			prefixes = append(prefixes, p)
		}
		n.replace(node, internalCall("_cidr", c.Arguments[0], &ast.ConstantNode{Value: prefixes}))
	}
}

func internalCall(name string, args ...ast.Node) *ast.CallNode {
	return &ast.CallNode{Callee: &ast.IdentifierNode{Value: name}, Arguments: args}
}

// enumComparer makes comparisons of enum-typed values (the schemas enums:
// Outcome, Category, ...) with string literals work as rule authors
// expect, at no cost per event: in outcome == "failure" and action.verb in
// ["create", "update"] the literals become constants of the enum's type,
// so the comparison needs no conversion at run time. The operands it
// handles are recorded for the enumPatcher to leave alone.
type enumComparer struct{ handled map[ast.Node]bool }

// Visit implements ast.Visitor.
func (c enumComparer) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BinaryNode)
	if !ok {
		return
	}
	switch b.Operator {
	case "==", "!=":
		if t := enumType(b.Left); t != nil {
			if lit, ok := b.Right.(*ast.StringNode); ok {
				b.Right = enumConstant(lit, t)
				c.handled[b.Left] = true
			}
		} else if t := enumType(b.Right); t != nil {
			if lit, ok := b.Left.(*ast.StringNode); ok {
				b.Left = enumConstant(lit, t)
				c.handled[b.Right] = true
			}
		}
	case "in":
		t := enumType(b.Left)
		arr, ok := b.Right.(*ast.ArrayNode)
		if t == nil || !ok || len(arr.Nodes) == 0 {
			return
		}
		set := reflect.MakeMapWithSize(reflect.MapOf(t, reflect.TypeFor[struct{}]()), len(arr.Nodes))
		for _, item := range arr.Nodes {
			lit, ok := item.(*ast.StringNode)
			if !ok {
				return
			}
			set.SetMapIndex(reflect.ValueOf(lit.Value).Convert(t), reflect.ValueOf(struct{}{}))
		}
		k := &ast.ConstantNode{Value: set.Interface()}
		k.SetLocation(arr.Location())
		b.Right = k
		c.handled[b.Left] = true
	}
}

// enumType returns the named string type of node, or nil.
func enumType(node ast.Node) reflect.Type {
	t := node.Type()
	if t == nil || t.Kind() != reflect.String || t == stringType {
		return nil
	}
	return t
}

func enumConstant(lit *ast.StringNode, t reflect.Type) ast.Node {
	k := &ast.ConstantNode{Value: reflect.ValueOf(lit.Value).Convert(t).Interface()}
	k.SetLocation(lit.Location())
	return k
}

// enumPatcher turns every other value of a named string type into a plain
// string, so that enums work wherever strings do: as function arguments,
// in concatenations, against lists and other fields.
type enumPatcher struct{ handled map[ast.Node]bool }

// Visit implements ast.Visitor.
func (p enumPatcher) Visit(node *ast.Node) {
	if enumType(*node) == nil || p.handled[*node] {
		return
	}
	if _, ok := (*node).(*ast.ConstantNode); ok {
		return // a literal enumComparer made
	}
	if id, ok := (*node).(*ast.IdentifierNode); ok && strings.HasPrefix(id.Value, "$") {
		return
	}
	call := internalCall("_str", *node)
	call.SetLocation((*node).Location())
	*node = call
}

var stringType = reflect.TypeFor[string]()

// featureRef is a baseline feature an expression reads.
type featureRef struct {
	// name is the feature as alerts name it: "bytes_ratio.1h", "is_new_model".
	name string
	// index is the field index path within schemas.Features.
	index []int
}

var featuresType = reflect.TypeFor[schemas.Features]()

// featureFlags are the fields of Features that say whether features can be
// trusted rather than measure anything; alerts do not list them.
var featureFlags = map[string]bool{"available": true, "learning": true, "unavailable_reason": true, "baseline_events": true}

// featuresRead returns the features.x[.y] paths an expression tree reads,
// once each, in order of appearance.
func featuresRead(root ast.Node) []featureRef {
	var out []featureRef
	seen := map[string]bool{}
	ast.Find(root, func(node ast.Node) bool {
		path := memberPath(node)
		if len(path) < 2 || path[0] != "features" {
			return false
		}
		ref, ok := featureByPath(path[1:])
		if ok && !seen[ref.name] && !featureFlags[ref.name] {
			seen[ref.name] = true
			out = append(out, ref)
		}
		return false
	})
	return out
}

// memberPath returns the names of a chain of member accesses on an
// identifier (features.bytes_ratio.h1 → [features bytes_ratio h1]), or nil.
func memberPath(node ast.Node) []string {
	switch n := node.(type) {
	case *ast.IdentifierNode:
		return []string{n.Value}
	case *ast.MemberNode:
		prop, ok := n.Property.(*ast.StringNode)
		if !ok {
			return nil
		}
		base := memberPath(n.Node)
		if base == nil {
			return nil
		}
		return append(base, prop.Value)
	}
	return nil
}

// featureByPath resolves expr names under Features to a featureRef named
// with the JSON names.
func featureByPath(path []string) (featureRef, bool) {
	t := featuresType
	var index []int
	var names []string
	for _, p := range path {
		if t.Kind() != reflect.Struct {
			break
		}
		found := false
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Tag.Get("expr") == p {
				index = append(index, i)
				jsonName, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				names = append(names, jsonName)
				t = f.Type
				found = true
				break
			}
		}
		if !found {
			return featureRef{}, false
		}
	}
	if len(index) == 0 || t.Kind() == reflect.Struct {
		return featureRef{}, false // a whole sub-struct is not one feature
	}
	return featureRef{name: strings.Join(names, "."), index: index}, true
}

// value returns the feature's value in f as a number (booleans as 0 or 1).
func (r featureRef) value(f *schemas.Features) float64 {
	v := reflect.ValueOf(f).Elem().FieldByIndex(r.index)
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			return 1
		}
		return 0
	case reflect.Float32, reflect.Float64:
		return v.Float()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(v.Int())
	}
	return 0
}

// newExprEnv returns an environment with the given macros and lists.
func newExprEnv(macros map[string]*macroDef, lists map[string]*listDef, rejected map[string]string) *exprEnv {
	return &exprEnv{macros: macros, lists: lists, rejected: maps.Clone(rejected)}
}
