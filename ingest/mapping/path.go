package mapping

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Path is a JSONPath of the small subset mappings use: the root "$"
// followed by steps, each a member name after a dot ($.user.id), a quoted
// member name in brackets ($.headers["x-request-id"], $['a.b']) or an
// array index in brackets ($.events[0]). Wildcards, slices, filters and
// recursive descent are not supported. A Path is immutable and safe for
// concurrent use.
type Path struct {
	text  string
	steps []step
}

// step is one step of a Path: a member name, or an array index when index
// is not negative.
type step struct {
	name  string
	index int
}

// Limits of a path, so that a mapping cannot ask for absurd work.
const (
	maxPathLen   = 1024
	maxPathSteps = 64
	maxIndex     = 1_000_000
)

// PathError is a path that does not parse.
type PathError struct {
	// Path is the text that was parsed.
	Path string
	// Offset is the byte offset of the problem in Path.
	Offset int
	// Problem says what is wrong.
	Problem string
}

func (e *PathError) Error() string {
	return fmt.Sprintf("path %q: offset %d: %s", e.Path, e.Offset, e.Problem)
}

// ParsePath parses s, such as `$.user.id`, `$.events[0].type` or
// `$.headers["x-request-id"]`.
func ParsePath(s string) (Path, error) {
	p := Path{text: s}
	fail := func(offset int, format string, args ...any) (Path, error) {
		return Path{}, &PathError{Path: s, Offset: offset, Problem: fmt.Sprintf(format, args...)}
	}
	if len(s) > maxPathLen {
		return fail(maxPathLen, "longer than %d bytes", maxPathLen)
	}
	if !strings.HasPrefix(s, "$") {
		return fail(0, "want $ at the start")
	}
	i := 1
	for i < len(s) {
		if len(p.steps) == maxPathSteps {
			return fail(i, "more than %d steps", maxPathSteps)
		}
		switch s[i] {
		case '.':
			start := i + 1
			j := start
			for j < len(s) && nameByte(s[j]) {
				j++
			}
			if j == start {
				if j < len(s) {
					return fail(j, "unexpected %q after '.'", s[j])
				}
				return fail(j, "want a member name after '.'")
			}
			p.steps = append(p.steps, step{name: s[start:j], index: -1})
			i = j
		case '[':
			j := i + 1
			if j >= len(s) {
				return fail(j, "want an index or a quoted name after '['")
			}
			switch c := s[j]; {
			case c == '"' || c == '\'':
				name, end, problem := quoted(s, j)
				if problem != "" {
					return fail(end, "%s", problem)
				}
				if end >= len(s) || s[end] != ']' {
					return fail(end, "want ']' after the quoted name")
				}
				p.steps = append(p.steps, step{name: name, index: -1})
				i = end + 1
			case c >= '0' && c <= '9':
				k := j
				for k < len(s) && s[k] >= '0' && s[k] <= '9' {
					k++
				}
				n, err := strconv.Atoi(s[j:k])
				if err != nil || n > maxIndex {
					return fail(j, "index %s is larger than %d", s[j:k], maxIndex)
				}
				if k >= len(s) || s[k] != ']' {
					return fail(k, "want ']' after the index")
				}
				p.steps = append(p.steps, step{index: n})
				i = k + 1
			default:
				return fail(j, "want an index or a quoted name after '[', not %q", c)
			}
		default:
			return fail(i, "unexpected %q, want '.' or '['", s[i])
		}
	}
	return p, nil
}

// nameByte reports whether c may appear in a member name after a dot:
// anything but the path's own punctuation, quotes, braces (which delimit
// template placeholders), spaces and control characters.
func nameByte(c byte) bool {
	switch c {
	case '.', '[', ']', '"', '\'', '{', '}', ' ':
		return false
	}
	return c > 0x1f && c != 0x7f
}

// quoted reads the quoted name that starts at s[start], a quote character;
// a backslash escapes the character after it. It returns the name and the
// offset after the closing quote, or a problem and its offset.
func quoted(s string, start int) (name string, end int, problem string) {
	q := s[start]
	var b strings.Builder
	for i := start + 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 >= len(s) {
				return "", i, "unterminated quoted name"
			}
			i++
			b.WriteByte(s[i])
		case q:
			return b.String(), i + 1, ""
		default:
			b.WriteByte(c)
		}
	}
	return "", len(s), "unterminated quoted name"
}

// String returns the path as written.
func (p Path) String() string { return p.text }

// lastName is the last member name of the path, "" when it ends with an
// index or is the root.
func (p Path) lastName() string {
	if len(p.steps) == 0 || p.steps[len(p.steps)-1].index >= 0 {
		return ""
	}
	return p.steps[len(p.steps)-1].name
}

// eval returns the value at p in a decoded JSON value (maps, slices,
// strings, json.Number, booleans and nil), and false when the path does not
// exist. A JSON null counts as absent.
func (p Path) eval(root any) (any, bool) {
	v := root
	for _, st := range p.steps {
		if st.index >= 0 {
			a, ok := v.([]any)
			if !ok || st.index >= len(a) {
				return nil, false
			}
			v = a[st.index]
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[st.name]; !ok {
			return nil, false
		}
	}
	return v, v != nil
}

// scalar returns the text of a JSON scalar: a string as it is, a number as
// written, a boolean as "true" or "false". Objects and arrays are not
// scalars.
func scalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return string(v), true
	case bool:
		if v {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

// jsonKind names the JSON type of a decoded value, for messages.
func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
