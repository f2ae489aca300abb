package filefmt

import (
	"errors"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// YAML reads one YAML file's syntax tree and records every problem with its
// position in Errors. Its methods return ok=false after recording a
// problem, so callers skip what they could not read and go on, reporting
// every problem of the file at once.
type YAML struct {
	Errors
}

// NewYAML returns a reader of the file named name.
func NewYAML(name string) *YAML { return &YAML{Errors: Errors{File: name}} }

// Parse returns the body of the single document in data, or ok=false
// after recording a syntax error (or an empty file, or several documents).
func (y *YAML) Parse(data []byte) (ast.Node, bool) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil && ye.GetToken().Position != nil {
			p := ye.GetToken().Position
			y.At(p.Line, p.Column, "%s", ye.GetMessage())
		} else {
			y.At(1, 1, "%s", err.Error())
		}
		return nil, false
	}
	var docs []*ast.DocumentNode
	for _, d := range file.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		y.At(1, 1, "empty file")
		return nil, false
	}
	if len(docs) > 1 {
		y.Node(docs[1].Body, "more than one YAML document")
		return nil, false
	}
	return docs[0].Body, true
}

// Node records a problem at node n.
func (y *YAML) Node(n ast.Node, format string, args ...any) {
	p := Position(n)
	y.At(p.Line, p.Column, format, args...)
}

// Position is where a node starts: the first key of a block mapping, the
// node's own token otherwise.
func Position(n ast.Node) token.Position {
	switch v := n.(type) {
	case nil:
		return token.Position{Line: 1, Column: 1}
	case *ast.MappingNode:
		if len(v.Values) > 0 && !v.IsFlowStyle {
			return Position(v.Values[0])
		}
	case *ast.MappingValueNode:
		return Position(v.Key)
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return *tk.Position
	}
	return token.Position{Line: 1, Column: 1}
}

// Field is one key and value of a YAML mapping.
type Field struct {
	Key   string
	Node  *ast.MappingValueNode
	Value ast.Node
}

// Map returns the fields of a mapping node in file order, or ok=false after
// recording that n is not a mapping. A repeated key is recorded as a
// problem, and only its first value kept.
func (y *YAML) Map(n ast.Node, what string) ([]Field, bool) {
	n = unwrap(n)
	var values []*ast.MappingValueNode
	switch v := n.(type) {
	case *ast.MappingNode:
		values = v.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{v}
	default:
		y.Node(n, "%s: want a mapping, not %s", what, Kind(n))
		return nil, false
	}
	out := make([]Field, 0, len(values))
	seen := make(map[string]bool, len(values))
	for _, v := range values {
		key := v.Key.GetToken().Value
		if seen[key] {
			y.Node(v, "%s: key %q repeated", what, key)
			continue
		}
		seen[key] = true
		out = append(out, Field{Key: key, Node: v, Value: v.Value})
	}
	return out, true
}

// Fields returns the fields of a mapping node by key, recording keys not in
// allowed as problems.
func (y *YAML) Fields(n ast.Node, what string, allowed ...string) (map[string]Field, bool) {
	fs, ok := y.Map(n, what)
	if !ok {
		return nil, false
	}
	m := make(map[string]Field, len(fs))
	for _, f := range fs {
		if !slices.Contains(allowed, f.Key) {
			y.Node(f.Node, "%s: unknown key %q (want one of %s)", what, f.Key, strings.Join(allowed, ", "))
			continue
		}
		m[f.Key] = f
	}
	return m, true
}

// List returns the items of a sequence node, or ok=false after recording
// that n is not one. A null value is an empty list.
func (y *YAML) List(n ast.Node, what string) ([]ast.Node, bool) {
	switch v := unwrap(n).(type) {
	case *ast.SequenceNode:
		return v.Values, true
	case *ast.NullNode:
		return nil, true
	}
	y.Node(n, "%s: want a list, not %s", what, Kind(unwrap(n)))
	return nil, false
}

// String returns the text of a scalar node: a string, or a number or a
// boolean as written (so that an account id such as 123456789012 reads as
// written).
func (y *YAML) String(n ast.Node, what string) (string, bool) {
	switch v := unwrap(n).(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return v.GetToken().Value, true
	}
	y.Node(n, "%s: want a string, not %s", what, Kind(unwrap(n)))
	return "", false
}

// Strings returns a list of strings; a single string is a list of one.
func (y *YAML) Strings(n ast.Node, what string) ([]string, bool) {
	if _, ok := unwrap(n).(*ast.SequenceNode); !ok {
		if _, null := unwrap(n).(*ast.NullNode); null {
			return nil, true
		}
		s, ok := y.String(n, what)
		if !ok {
			return nil, false
		}
		return []string{s}, true
	}
	items, _ := y.List(n, what)
	out := make([]string, 0, len(items))
	ok := true
	for _, it := range items {
		s, good := y.String(it, what)
		if !good {
			ok = false
			continue
		}
		out = append(out, s)
	}
	return out, ok
}

// Bool returns the value of a boolean node.
func (y *YAML) Bool(n ast.Node, what string) (bool, bool) {
	switch v := unwrap(n).(type) {
	case *ast.BoolNode:
		return v.Value, true
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode:
		y.Node(n, "%s: want true or false, not %q", what, v.GetToken().Value)
		return false, false
	}
	y.Node(n, "%s: want true or false, not %s", what, Kind(unwrap(n)))
	return false, false
}

// Kind names the kind of a node for messages.
func Kind(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.NullNode, nil:
		return "null"
	case *ast.AliasNode:
		return "an alias"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.IntegerNode, *ast.FloatNode:
		return "a number"
	}
	return "a scalar"
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
