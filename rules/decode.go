package rules

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// decoder turns a YAML node tree into Go values strictly: unknown keys,
// duplicate keys and values of the wrong type are errors at their line and
// column, every one of them reported, not only the first. It records the
// value node of every path it decodes so that later checks (expressions,
// ids) can point at the exact place in the file.
//
// Struct fields of this package's types are named by their yaml tags, and
// those of other packages (the schemas.Event of a test) by their json tags;
// a field without the tag is not decodable.
type decoder struct {
	file  string
	nodes map[string]ast.Node
	// keys are the key nodes of struct fields by path, to point at the key
	// of a section whose required field is missing.
	keys map[string]ast.Node
	errs []error
}

// rulesPkg is this package's import path.
var rulesPkg = reflect.TypeFor[File]().PkgPath()

// errorf records a problem at node.
func (d *decoder) errorf(node ast.Node, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	d.errs = append(d.errs, &Error{Pos: nodePos(d.file, node), Msg: msg})
}

// nodePos returns the position of node in file.
func nodePos(file string, node ast.Node) Pos {
	if node == nil || node.GetToken() == nil {
		return Pos{File: file}
	}
	p := node.GetToken().Position
	return Pos{File: file, Line: p.Line, Col: max(p.Column, 1)}
}

// unwrap returns the value inside anchor and tag nodes.
func unwrap(node ast.Node) ast.Node {
	for {
		switch n := node.(type) {
		case *ast.AnchorNode:
			node = n.Value
		case *ast.TagNode:
			node = n.Value
		default:
			return node
		}
	}
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[time.Duration]()
	bytesType    = reflect.TypeFor[[]byte]()
)

// decode sets v from node; path names v in messages ("rules[2].severity").
func (d *decoder) decode(node ast.Node, v reflect.Value, path string) {
	node = unwrap(node)
	if d.nodes != nil {
		d.nodes[path] = node
	}
	if _, ok := node.(*ast.AliasNode); ok {
		d.errorf(node, path, "aliases (*name) are not supported in rule files; repeat the value or use a macro or list")
		return
	}
	if _, ok := node.(*ast.NullNode); ok || node == nil {
		return // null leaves the zero value
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(node, v.Elem(), path)
		return
	}
	switch {
	case v.Type() == timeType:
		d.decodeTime(node, v, path)
		return
	case v.Type() == durationType:
		text, ok := scalarText(node)
		if !ok {
			d.errorf(node, path, "want a duration such as 10m, 2h or 30d, got %s", describe(node))
			return
		}
		dur, err := ParseDuration(text)
		if err != nil {
			d.errorf(node, path, "%v", err)
			return
		}
		v.SetInt(int64(dur))
		return
	case v.Type() == bytesType:
		text, ok := scalarText(node)
		if !ok {
			d.errorf(node, path, "want a string, got %s", describe(node))
			return
		}
		v.SetBytes([]byte(text))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(node, v, path)
	case reflect.Slice:
		seq, ok := node.(*ast.SequenceNode)
		if !ok {
			d.errorf(node, path, "want a list, got %s", describe(node))
			return
		}
		out := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
		for i, item := range seq.Values {
			d.decode(item, out.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(out)
	case reflect.Map:
		d.decodeMap(node, v, path)
	case reflect.String:
		text, ok := scalarText(node)
		if !ok {
			d.errorf(node, path, "want a string, got %s", describe(node))
			return
		}
		v.SetString(text)
	case reflect.Bool:
		b, ok := node.(*ast.BoolNode)
		if !ok {
			d.errorf(node, path, "want true or false, got %s", describe(node))
			return
		}
		v.SetBool(b.Value)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := node.(*ast.IntegerNode)
		if !ok {
			d.errorf(node, path, "want an integer, got %s", describe(node))
			return
		}
		i, ok := intValue(n)
		if !ok || v.OverflowInt(i) {
			d.errorf(node, path, "%s does not fit in %s", n.GetToken().Value, v.Type())
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := node.(*ast.IntegerNode)
		if !ok {
			d.errorf(node, path, "want a non-negative integer, got %s", describe(node))
			return
		}
		i, ok := intValue(n)
		if !ok || i < 0 || v.OverflowUint(uint64(i)) {
			d.errorf(node, path, "%s does not fit in %s", n.GetToken().Value, v.Type())
			return
		}
		v.SetUint(uint64(i))
	case reflect.Float32, reflect.Float64:
		switch n := node.(type) {
		case *ast.IntegerNode:
			i, ok := intValue(n)
			if !ok {
				d.errorf(node, path, "%s is not a number", n.GetToken().Value)
				return
			}
			v.SetFloat(float64(i))
		case *ast.FloatNode:
			v.SetFloat(n.Value)
		default:
			d.errorf(node, path, "want a number, got %s", describe(node))
		}
	case reflect.Interface:
		d.errorf(node, path, "cannot decode into %s", v.Type())
	default:
		d.errorf(node, path, "cannot decode into %s", v.Type())
	}
}

func intValue(n *ast.IntegerNode) (int64, bool) {
	switch x := n.Value.(type) {
	case int64:
		return x, true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case int:
		return int64(x), true
	}
	i, err := strconv.ParseInt(n.GetToken().Value, 0, 64)
	return i, err == nil
}

// decodeTime reads an RFC 3339 time, or a date (midnight UTC).
func (d *decoder) decodeTime(node ast.Node, v reflect.Value, path string) {
	text, ok := scalarText(node)
	if !ok {
		d.errorf(node, path, "want a time such as 2026-03-02T02:00:00Z, got %s", describe(node))
		return
	}
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		if day, derr := time.Parse(time.DateOnly, text); derr == nil {
			t, err = day, nil
		}
	}
	if err != nil {
		d.errorf(node, path, "%q is not a time such as 2026-03-02T02:00:00Z", text)
		return
	}
	v.Set(reflect.ValueOf(t.UTC()))
}

// fieldIndex maps the tag names of struct type t to field indexes.
func (d *decoder) fieldIndex(t reflect.Type) (map[string]int, []string) {
	idx := map[string]int{}
	var names []string
	tag := "json"
	if t.PkgPath() == rulesPkg {
		tag = "yaml"
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
		if name == "" || name == "-" {
			continue
		}
		idx[name] = i
		names = append(names, name)
	}
	return idx, names
}

func (d *decoder) decodeStruct(node ast.Node, v reflect.Value, path string) {
	m, ok := node.(ast.MapNode)
	if !ok {
		d.errorf(node, path, "want a mapping of fields, got %s", describe(node))
		return
	}
	idx, names := d.fieldIndex(v.Type())
	seen := map[string]bool{}
	for it := m.MapRange(); it.Next(); {
		keyNode := it.Key()
		key, ok := scalarText(keyNode)
		if !ok {
			d.errorf(keyNode, path, "a key must be a plain name, got %s", describe(keyNode))
			continue
		}
		fieldPath := joinPath(path, key)
		if seen[key] {
			d.errorf(keyNode, fieldPath, "duplicate key")
			continue
		}
		seen[key] = true
		i, ok := idx[key]
		if !ok {
			d.errorf(keyNode, path, "unknown field %q%s", key, suggest(key, names))
			continue
		}
		if d.keys != nil {
			d.keys[fieldPath] = keyNode
		}
		d.decode(it.Value(), v.Field(i), fieldPath)
	}
}

func (d *decoder) decodeMap(node ast.Node, v reflect.Value, path string) {
	m, ok := node.(ast.MapNode)
	if !ok {
		d.errorf(node, path, "want a mapping, got %s", describe(node))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.errorf(node, path, "cannot decode into %s", v.Type())
		return
	}
	out := reflect.MakeMap(v.Type())
	for it := m.MapRange(); it.Next(); {
		keyNode := it.Key()
		key, ok := scalarText(keyNode)
		if !ok {
			d.errorf(keyNode, path, "a key must be a scalar, got %s", describe(keyNode))
			continue
		}
		kv := reflect.ValueOf(key).Convert(v.Type().Key())
		if out.MapIndex(kv).IsValid() {
			d.errorf(keyNode, joinPath(path, key), "duplicate key")
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(it.Value(), elem, joinPath(path, key))
		out.SetMapIndex(kv, elem)
	}
	v.Set(out)
}

// joinPath appends key to path the way messages show it: dotted, or quoted
// in brackets when the key has dots itself ("match[\"identity.id\"]").
func joinPath(path, key string) string {
	if strings.ContainsAny(key, ". []\"") {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// scalarText returns the text of a scalar node as written (a number keeps
// its digits), and whether node is a scalar.
func scalarText(node ast.Node) (string, bool) {
	switch n := unwrap(node).(type) {
	case *ast.StringNode:
		return n.Value, true
	case *ast.LiteralNode:
		return n.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value, true
	}
	return "", false
}

// describe names the kind of a node for messages.
func describe(node ast.Node) string {
	switch n := unwrap(node).(type) {
	case nil, *ast.NullNode:
		return "null"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode:
		return "the integer " + n.GetToken().Value
	case *ast.FloatNode:
		return "the number " + n.GetToken().Value
	case *ast.BoolNode:
		return "the boolean " + n.GetToken().Value
	case *ast.SequenceNode:
		return "a list"
	case ast.MapNode:
		return "a mapping"
	}
	return "a " + strings.ToLower(node.Type().String())
}

// suggest returns ` (did you mean "x"?)` for the closest of names to key,
// or "".
func suggest(key string, names []string) string {
	best, bestDist := "", 3
	for _, n := range names {
		if d := editDistance(key, n); d < bestDist {
			best, bestDist = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
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

// ParseDuration parses a duration as Go does (90s, 15m, 2h45m), with two
// more units for long horizons: d (24h) and w (7d), such as 30d.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration; want one such as 10m, 2h or 30d")
	}
	// Rewrite whole-number d and w components into hours.
	var b strings.Builder
	num := ""
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9' || r == '.':
			num += string(r)
		case r == 'd' || r == 'w':
			n, err := strconv.ParseFloat(num, 64)
			if err != nil || num == "" {
				return 0, fmt.Errorf("%q is not a duration such as 10m, 2h or 30d", s)
			}
			hours := n * 24
			if r == 'w' {
				hours *= 7
			}
			b.WriteString(strconv.FormatFloat(hours, 'f', -1, 64) + "h")
			num = ""
		default:
			b.WriteString(num)
			b.WriteRune(r)
			num = ""
		}
	}
	b.WriteString(num)
	d, err := time.ParseDuration(b.String())
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 10m, 2h or 30d", s)
	}
	return d, nil
}

// FormatDuration formats d the way rule files write it: the largest of d,
// h, m, s that divides it (30d, 2h, 90s), else Go's form.
func FormatDuration(d time.Duration) string {
	for _, u := range []struct {
		unit string
		size time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if d > 0 && d%u.size == 0 {
			return strconv.FormatInt(int64(d/u.size), 10) + u.unit
		}
	}
	return d.String()
}

// exprOffsetPos returns the file position of the rune at offset in the
// string value of node, following how YAML writes the scalar: quoted or
// plain on one line, or a literal (|) or folded (>) block on the lines
// below its indicator. The result is exact for the common forms and falls
// back to the scalar's own position.
func exprOffsetPos(file string, src []byte, node ast.Node, offset int) Pos {
	node = unwrap(node)
	base := nodePos(file, node)
	if node == nil || node.GetToken() == nil {
		return base
	}
	lines := strings.Split(string(src), "\n")
	tk := node.GetToken()
	switch node.(type) {
	case *ast.LiteralNode:
		// The content starts on the line after the indicator; its
		// indentation is that of the first non-empty line.
		start := tk.Position.Line // 1-based line of the indicator; content from start+1
		indent := -1
		for l := start; l < len(lines); l++ {
			if strings.TrimSpace(lines[l]) == "" {
				continue
			}
			indent = len(lines[l]) - len(strings.TrimLeft(lines[l], " "))
			break
		}
		if indent < 0 {
			return base
		}
		remaining := offset
		for l := start; l < len(lines); l++ {
			line := lines[l]
			if strings.TrimSpace(line) != "" && len(line)-len(strings.TrimLeft(line, " ")) < indent {
				break // the block ended
			}
			content := ""
			if len(line) >= indent {
				content = line[indent:]
			}
			runes := []rune(content)
			if remaining <= len(runes) {
				col := indent + len(string(runes[:remaining])) + 1
				return Pos{File: file, Line: l + 1, Col: col}
			}
			remaining -= len(runes) + 1 // the newline or the folding space
		}
		return base
	default:
		col := tk.Position.Column
		if tk.Type == token.SingleQuoteType || tk.Type == token.DoubleQuoteType {
			col++ // past the opening quote
		}
		return Pos{File: file, Line: tk.Position.Line, Col: col + offset}
	}
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
