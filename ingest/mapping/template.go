package mapping

import (
	"fmt"
	"strings"
)

// template is a string with path placeholders, "acme:{{$.tenant}}:{{$.user.id}}".
type template struct {
	text  string
	parts []part
}

// part is a literal, or a placeholder when path is set.
type part struct {
	literal string
	path    *Path
}

// parseTemplate parses s; a placeholder is "{{" path "}}", with optional
// spaces inside the braces.
func parseTemplate(s string) (template, error) {
	t := template{text: s}
	rest := s
	offset := 0
	for rest != "" {
		open := strings.Index(rest, "{{")
		if open < 0 {
			t.parts = append(t.parts, part{literal: rest})
			break
		}
		if open > 0 {
			t.parts = append(t.parts, part{literal: rest[:open]})
		}
		end := strings.Index(rest[open+2:], "}}")
		if end < 0 {
			return template{}, fmt.Errorf("template %q: offset %d: \"{{\" without \"}}\"", s, offset+open)
		}
		inner := strings.TrimSpace(rest[open+2 : open+2+end])
		if inner == "" {
			return template{}, fmt.Errorf("template %q: offset %d: empty placeholder", s, offset+open)
		}
		p, err := ParsePath(inner)
		if err != nil {
			return template{}, fmt.Errorf("template %q: %w", s, err)
		}
		t.parts = append(t.parts, part{path: &p})
		consumed := open + 2 + end + 2
		rest = rest[consumed:]
		offset += consumed
	}
	if len(t.parts) == 0 || !t.hasPath() {
		return template{}, fmt.Errorf("template %q has no {{path}} placeholder; use a constant", s)
	}
	return t, nil
}

func (t template) hasPath() bool {
	for _, p := range t.parts {
		if p.path != nil {
			return true
		}
	}
	return false
}

// paths lists the placeholders' paths.
func (t template) paths() []*Path {
	var ps []*Path
	for _, p := range t.parts {
		if p.path != nil {
			ps = append(ps, p.path)
		}
	}
	return ps
}

// eval fills the placeholders from root. It returns the paths that are
// missing (the result is then incomplete and not used), or the first path
// whose value is not a scalar.
func (t template) eval(root any) (s string, missing []string, notScalar *Path) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.path == nil {
			b.WriteString(p.literal)
			continue
		}
		v, ok := p.path.eval(root)
		if !ok {
			missing = append(missing, p.path.text)
			continue
		}
		text, ok := scalar(v)
		if !ok {
			if notScalar == nil {
				notScalar = p.path
			}
			continue
		}
		if text == "" {
			missing = append(missing, p.path.text)
			continue
		}
		b.WriteString(text)
	}
	return b.String(), missing, notScalar
}
