package clickhouse

import (
	"strings"
	"unicode/utf8"
)

// This file reads just enough of ClickHouse SQL to route a statement: its
// first word and its FORMAT clause, outside strings, quoted identifiers and
// comments. Parsing proper is the engine's job.

// tokenKind classifies a token of sqlScanner.
type tokenKind int

const (
	tokEOF    tokenKind = iota
	tokWord             // keyword or bare identifier
	tokQuoted           // `identifier` or "identifier"
	tokString           // 'string literal'
	tokOther            // number or punctuation, one byte at a time
)

// sqlScanner walks the tokens of a ClickHouse statement.
type sqlScanner struct {
	src []byte
	pos int
	// start is where the last token returned by next begins.
	start int
}

// next returns the next token's kind and text (for quoted identifiers, the
// unquoted text); comments and whitespace are skipped.
func (s *sqlScanner) next() (tokenKind, string) {
	s.skipSpaceAndComments()
	s.start = s.pos
	if s.pos >= len(s.src) {
		return tokEOF, ""
	}
	c := s.src[s.pos]
	switch {
	case isWordStart(c):
		start := s.pos
		for s.pos < len(s.src) && isWordByte(s.src[s.pos]) {
			s.pos++
		}
		return tokWord, string(s.src[start:s.pos])
	case c == '\'':
		s.skipQuoted('\'')
		return tokString, ""
	case c == '`' || c == '"':
		start := s.pos + 1
		s.skipQuoted(c)
		end := max(start, s.pos-1)
		return tokQuoted, string(s.src[start:end])
	}
	s.pos++
	return tokOther, string(c)
}

// skipQuoted moves past a quoted token opened by q at s.pos, honouring
// backslash escapes and doubled quotes; an unterminated one runs to the end.
func (s *sqlScanner) skipQuoted(q byte) {
	s.pos++
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case c == '\\':
			s.pos += 2
		case c == q && s.pos+1 < len(s.src) && s.src[s.pos+1] == q:
			s.pos += 2
		case c == q:
			s.pos++
			return
		default:
			s.pos++
		}
	}
	s.pos = len(s.src)
}

// skipSpaceAndComments moves past whitespace, -- and # comments to the end
// of the line, and /* */ comments (nested, as ClickHouse's lexer allows).
func (s *sqlScanner) skipSpaceAndComments() {
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			s.pos++
		case c == '-' && s.peek(1) == '-', c == '#' && (s.peek(1) == ' ' || s.peek(1) == '!'):
			for s.pos < len(s.src) && s.src[s.pos] != '\n' {
				s.pos++
			}
		case c == '/' && s.peek(1) == '*':
			s.skipBlockComment()
		default:
			return
		}
	}
}

// skipBlockComment moves past the /* */ comment at s.pos, nested ones
// included; an unterminated one runs to the end.
func (s *sqlScanner) skipBlockComment() {
	depth := 0
	for s.pos < len(s.src) {
		switch {
		case s.src[s.pos] == '/' && s.peek(1) == '*':
			depth++
			s.pos += 2
		case s.src[s.pos] == '*' && s.peek(1) == '/':
			depth--
			s.pos += 2
			if depth == 0 {
				return
			}
		default:
			s.pos++
		}
	}
}

// peek returns the byte at s.pos+off, or 0 past the end.
func (s *sqlScanner) peek(off int) byte {
	if s.pos+off < len(s.src) {
		return s.src[s.pos+off]
	}
	return 0
}

func isWordStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isWordByte(c byte) bool {
	return isWordStart(c) || (c >= '0' && c <= '9') || c == '$'
}

// leadingKeyword returns the statement's first word in upper case ("" when
// it does not start with a word) and the text after it.
func leadingKeyword(sql []byte) (string, []byte) {
	s := sqlScanner{src: sql}
	kind, word := s.next()
	if kind != tokWord {
		return "", nil
	}
	return strings.ToUpper(word), sql[s.pos:]
}

// maxFormatScan bounds how much of a statement outputFormat reads; ClickHouse
// parses at most max_query_size (256 KiB by default) anyway.
const maxFormatScan = 1 << 20

// outputFormat returns the format named by the statement's last top-level
// FORMAT clause, or "" when it has none. INSERT statements have no output:
// their FORMAT names the input data, and "" is returned.
func outputFormat(sql []byte) string {
	if len(sql) > maxFormatScan {
		sql = sql[:maxFormatScan]
	}
	s := sqlScanner{src: sql}
	depth := 0
	format := ""
	first := true
	for {
		kind, text := s.next()
		switch kind {
		case tokEOF:
			return format
		case tokWord:
			if first && strings.EqualFold(text, "INSERT") {
				return ""
			}
			if depth == 0 && strings.EqualFold(text, "FORMAT") {
				if k, name := s.next(); k == tokWord || k == tokQuoted {
					format = name
				}
			}
		case tokOther:
			switch text {
			case "(", "[":
				depth++
			case ")", "]":
				depth = max(0, depth-1)
			}
		}
		first = false
	}
}

// splitInsert splits an INSERT that carries its data inline into the
// statement without FORMAT clause or data (head), the data's format and the
// data, as chDB's streaming INSERT takes them. "INSERT ... VALUES (1), (2)"
// becomes format Values with data "(1), (2)". ok is false for any other
// statement, INSERT ... SELECT included. Data starts as ClickHouse's parser
// says: after the format name, spaces and tabs, then one line break.
func splitInsert(sql []byte) (head []byte, format string, data []byte, ok bool) {
	s := sqlScanner{src: sql}
	if kind, word := s.next(); kind != tokWord || !strings.EqualFold(word, "INSERT") {
		return nil, "", nil, false
	}
	depth := 0
	for {
		kind, text := s.next()
		switch kind {
		case tokEOF:
			return nil, "", nil, false
		case tokOther:
			switch text {
			case "(", "[":
				depth++
			case ")", "]":
				depth = max(0, depth-1)
			}
		case tokWord:
			if depth > 0 {
				continue
			}
			switch strings.ToUpper(text) {
			case "SELECT", "WITH":
				return nil, "", nil, false
			case "VALUES":
				return sql[:s.start], "Values", sql[s.pos:], true
			case "FORMAT":
				formatStart := s.start
				k, name := s.next()
				if k != tokWord && k != tokQuoted {
					return nil, "", nil, false
				}
				i := s.pos
				for i < len(sql) && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\f') {
					i++
				}
				if i < len(sql) && sql[i] == '\r' {
					i++
				}
				if i < len(sql) && sql[i] == '\n' {
					i++
				}
				return sql[:formatStart], name, sql[i:], true
			}
		}
	}
}

// quoteString renders s as a ClickHouse string literal.
func quoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// quoteIdent renders s as a back-quoted ClickHouse identifier.
func quoteIdent(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('`')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '`':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('`')
	return b.String()
}

// validSettingName reports whether name can be a ClickHouse setting name:
// a letter or underscore, then letters, digits and underscores.
func validSettingName(name string) bool {
	if name == "" || len(name) > 256 || !isWordStart(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !isWordStart(c) && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// printable shortens client text for an error message and replaces control
// characters and invalid UTF-8, so that it cannot break the message layout.
func printable(s string) string {
	const limit = 128
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == limit {
			b.WriteString("...")
			break
		}
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			r = '?'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
