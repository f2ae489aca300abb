package sigma

import (
	"path"
	"slices"
	"strings"
)

// parseCondition parses a Sigma condition: selection names, and, or, not,
// parentheses, "1 of pattern", "all of pattern", "1 of them", "all of
// them". Aggregations (| count() ...) and near are not supported: write a
// correlation rule.
func parseCondition(text string, sels map[string]node) (node, error) {
	p := &condParser{toks: tokenize(text), sels: sels, text: text}
	if len(p.toks) == 0 {
		return nil, unsupported("empty condition")
	}
	if slices.Contains(p.toks, "|") {
		return nil, unsupported("aggregation in the condition (| ...): write a correlation rule instead")
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, unsupported("condition %q: unexpected %q", text, p.toks[p.pos])
	}
	return n, nil
}

func tokenize(s string) []string {
	var out []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch r {
		case ' ', '\t', '\n', '\r':
			flush()
		case '(', ')', '|':
			flush()
			out = append(out, string(r))
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return out
}

type condParser struct {
	toks []string
	pos  int
	sels map[string]node
	text string
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) {
		return strings.ToLower(p.toks[p.pos])
	}
	return ""
}

func (p *condParser) or() (node, error) {
	first, err := p.and()
	if err != nil {
		return nil, err
	}
	alts := orNode{first}
	for p.peek() == "or" {
		p.pos++
		n, err := p.and()
		if err != nil {
			return nil, err
		}
		alts = append(alts, n)
	}
	if len(alts) == 1 {
		return first, nil
	}
	return alts, nil
}

func (p *condParser) and() (node, error) {
	first, err := p.not()
	if err != nil {
		return nil, err
	}
	all := andNode{first}
	for p.peek() == "and" {
		p.pos++
		n, err := p.not()
		if err != nil {
			return nil, err
		}
		all = append(all, n)
	}
	if len(all) == 1 {
		return first, nil
	}
	return all, nil
}

func (p *condParser) not() (node, error) {
	if p.peek() == "not" {
		p.pos++
		n, err := p.not()
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	}
	return p.primary()
}

func (p *condParser) primary() (node, error) {
	tok := p.peek()
	switch tok {
	case "":
		return nil, unsupported("condition %q ends early", p.text)
	case "(":
		p.pos++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, unsupported("condition %q: missing )", p.text)
		}
		p.pos++
		return n, nil
	case "|":
		return nil, unsupported("aggregation in the condition (| ...): write a correlation rule instead")
	case "near":
		return nil, unsupported("near in the condition: write a temporal correlation rule instead")
	case "1", "any", "all":
		if p.pos+2 < len(p.toks) && strings.EqualFold(p.toks[p.pos+1], "of") {
			pattern := p.toks[p.pos+2]
			p.pos += 3
			return p.quantified(tok == "all", pattern)
		}
	case ")", "and", "or", "of":
		return nil, unsupported("condition %q: unexpected %q", p.text, tok)
	}
	name := p.toks[p.pos]
	p.pos++
	n, ok := p.sels[name]
	if !ok {
		return nil, unsupported("condition %q names %q, which is not a selection", p.text, name)
	}
	return n, nil
}

// quantified is "1 of pattern" (all false) or "all of pattern".
func (p *condParser) quantified(all bool, pattern string) (node, error) {
	var names []string
	for name := range p.sels {
		if pattern == "them" {
			if !strings.HasPrefix(name, "_") {
				names = append(names, name)
			}
			continue
		}
		if ok, err := path.Match(pattern, name); err != nil {
			return nil, unsupported("condition %q: pattern %q: %s", p.text, pattern, err.Error())
		} else if ok {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, unsupported("condition %q: no selection matches %q", p.text, pattern)
	}
	slices.Sort(names)
	nodes := make([]node, len(names))
	for i, n := range names {
		nodes[i] = p.sels[n]
	}
	if len(nodes) == 1 {
		return nodes[0], nil
	}
	if all {
		return andNode(nodes), nil
	}
	return orNode(nodes), nil
}
