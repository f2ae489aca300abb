package clickhouse

import "strings"

// splitStatements splits SQL text into statements at the semicolons that
// end them, the way ClickHouse's lexer sees the text: a semicolon inside a
// quoted string ('...'), a quoted identifier ("..." or `...`) or a comment
// (-- or "# " to the end of the line, /* ... */ nested) does not end a
// statement. Within quotes a backslash escapes the next character and a
// doubled quote stands for itself. Comments are kept as written; statements
// that hold nothing but white space and comments are dropped. Each statement
// is returned trimmed, without its semicolon.
func splitStatements(text string) []string {
	var out []string
	start := 0
	hasCode := false // the current statement has something besides comments
	emit := func(end int) {
		if hasCode {
			out = append(out, strings.TrimSpace(text[start:end]))
		}
		start, hasCode = end+1, false
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == ';':
			emit(i)
		case c == '\'' || c == '"' || c == '`':
			hasCode = true
			i = skipQuoted(text, i)
		case c == '-' && i+1 < len(text) && text[i+1] == '-',
			c == '#' && i+1 < len(text) && (text[i+1] == ' ' || text[i+1] == '!'):
			i = skipLine(text, i)
		case c == '/' && i+1 < len(text) && text[i+1] == '*':
			i = skipBlock(text, i)
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
		default:
			hasCode = true
		}
	}
	if start < len(text) {
		emit(len(text))
	}
	return out
}

// skipQuoted returns the index of the quote closing the quoted text that
// starts at i, or the last index when it is not closed.
func skipQuoted(text string, i int) int {
	q := text[i]
	for j := i + 1; j < len(text); j++ {
		switch text[j] {
		case '\\':
			j++
		case q:
			if j+1 < len(text) && text[j+1] == q {
				j++ // a doubled quote
				continue
			}
			return j
		}
	}
	return len(text) - 1
}

// skipLine returns the index of the newline ending the comment at i, or the
// last index.
func skipLine(text string, i int) int {
	if j := strings.IndexByte(text[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(text) - 1
}

// skipBlock returns the index of the slash closing the block comment at i
// (ClickHouse allows them nested), or the last index.
func skipBlock(text string, i int) int {
	depth := 0
	for j := i; j+1 < len(text); j++ {
		switch {
		case text[j] == '/' && text[j+1] == '*':
			depth++
			j++
		case text[j] == '*' && text[j+1] == '/':
			depth--
			j++
			if depth == 0 {
				return j
			}
		}
	}
	return len(text) - 1
}
