package input

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// SyntaxError is a JSON syntax error in a request body or a file.
type SyntaxError struct {
	// Line and Column locate the error, both 1-based (the column counts
	// bytes); 0 when unknown.
	Line, Column int
	// Offset is the byte offset of the error in the body or the file
	// (after decompression); -1 when unknown.
	Offset int64
	// Problem says what is wrong, such as "unexpected end of input" or
	// "unexpected character 'x' looking for a value".
	Problem string
}

func (e *SyntaxError) Error() string {
	switch {
	case e.Line > 0 && e.Offset >= 0:
		return fmt.Sprintf("invalid JSON at line %d column %d (byte %d): %s", e.Line, e.Column, e.Offset, e.Problem)
	case e.Line > 0:
		return fmt.Sprintf("invalid JSON at line %d column %d: %s", e.Line, e.Column, e.Problem)
	}
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Problem)
}

// errIncomplete is returned by scanValue when the input ends inside the
// value and more input may follow.
var errIncomplete = errors.New("unexpected end of input")

// maxDepth bounds the nesting of arrays and objects, like encoding/json.
const maxDepth = 10000

// space reports the JSON white space bytes.
var space = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

// skipSpace returns the index of the first byte of b at or after i that is
// not JSON white space, or len(b).
func skipSpace(b []byte, i int) int {
	for i < len(b) && space[b[i]] {
		i++
	}
	return i
}

// syntaxAt returns a *SyntaxError at offset i.
func syntaxAt(i int, format string, args ...any) error {
	return &SyntaxError{Offset: int64(i), Problem: fmt.Sprintf(format, args...)}
}

// scanValue checks the JSON value that starts at b[i] (white space before it
// is skipped) against the JSON grammar (RFC 8259), and returns the index just
// past it. It does not check that strings are valid UTF-8: the sources name
// the field that holds invalid UTF-8.
//
// When b ends inside the value, scanValue returns errIncomplete if atEOF is
// false (more input may follow: read more and scan again from the same i)
// and a *SyntaxError if it is true. Any other problem is a *SyntaxError
// whose Offset is an index of b.
func scanValue(b []byte, i int, atEOF bool) (int, error) {
	end := func(i int) (int, error) {
		if atEOF {
			return i, syntaxAt(i, "unexpected end of input")
		}
		return i, errIncomplete
	}
	// stack holds the open containers, '{' or '['.
	var stack []byte
	var err error
	for {
		// A value, or the opening of a container.
		i = skipSpace(b, i)
		if i >= len(b) {
			return end(i)
		}
		opened := false
		switch c := b[i]; c {
		case '{', '[':
			if len(stack) >= maxDepth {
				return i, syntaxAt(i, "nested deeper than %d", maxDepth)
			}
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			j := skipSpace(b, i+1)
			if j >= len(b) {
				return end(j)
			}
			if b[j] == closer {
				i = j + 1
				break
			}
			stack = append(stack, c)
			i = j
			if c == '{' {
				if i, err = scanKey(b, i, atEOF); err != nil {
					return i, err
				}
			}
			opened = true
		case '"':
			if i, err = scanString(b, i, atEOF); err != nil {
				return i, err
			}
		case 't':
			if i, err = scanLiteral(b, i, "true", atEOF); err != nil {
				return i, err
			}
		case 'f':
			if i, err = scanLiteral(b, i, "false", atEOF); err != nil {
				return i, err
			}
		case 'n':
			if i, err = scanLiteral(b, i, "null", atEOF); err != nil {
				return i, err
			}
		default:
			if c == '-' || c >= '0' && c <= '9' {
				if i, err = scanNumber(b, i, atEOF); err != nil {
					return i, err
				}
				break
			}
			return i, syntaxAt(i, "unexpected character %s looking for a value", quoteByte(c))
		}
		if opened {
			continue
		}
		// A value ended at i: close containers until one wants another
		// value after a comma.
		for {
			if len(stack) == 0 {
				return i, nil
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return end(i)
			}
			top, c := stack[len(stack)-1], b[i]
			if c == ',' {
				i++
				if top == '{' {
					if i, err = scanKey(b, skipSpace(b, i), atEOF); err != nil {
						return i, err
					}
				}
				break
			}
			if top == '{' && c == '}' || top == '[' && c == ']' {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			want := "',' or ']'"
			if top == '{' {
				want = "',' or '}'"
			}
			return i, syntaxAt(i, "unexpected character %s after a value, want %s", quoteByte(c), want)
		}
	}
}

// scanKey checks an object key and its colon at b[i] and returns the index
// past the colon.
func scanKey(b []byte, i int, atEOF bool) (int, error) {
	if i >= len(b) {
		if atEOF {
			return i, syntaxAt(i, "unexpected end of input")
		}
		return i, errIncomplete
	}
	if b[i] != '"' {
		return i, syntaxAt(i, "unexpected character %s looking for an object key", quoteByte(b[i]))
	}
	i, err := scanString(b, i, atEOF)
	if err != nil {
		return i, err
	}
	i = skipSpace(b, i)
	if i >= len(b) {
		if atEOF {
			return i, syntaxAt(i, "unexpected end of input")
		}
		return i, errIncomplete
	}
	if b[i] != ':' {
		return i, syntaxAt(i, "unexpected character %s after an object key, want ':'", quoteByte(b[i]))
	}
	return i + 1, nil
}

// plain reports the bytes that a JSON string holds as they are.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanString checks the string at b[i] == '"' and returns the index past
// its closing quote.
func scanString(b []byte, i int, atEOF bool) (int, error) {
	start := i
	i++
	for {
		// Eight bytes at a time while none is a quote, a backslash or a
		// control character.
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			if hasZero(x^quotes)|hasZero(x^backslashes)|hasLess(x, 0x20) != 0 {
				break
			}
			i += 8
		}
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			if atEOF {
				return i, syntaxAt(start, "string not terminated")
			}
			return i, errIncomplete
		}
		switch c := b[i]; c {
		case '"':
			return i + 1, nil
		case '\\':
			if i+1 >= len(b) {
				if atEOF {
					return i, syntaxAt(start, "string not terminated")
				}
				return i, errIncomplete
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for k := 2; k < 6; k++ {
					if i+k >= len(b) {
						if atEOF {
							return i, syntaxAt(start, "string not terminated")
						}
						return i, errIncomplete
					}
					if !isHex(b[i+k]) {
						return i + k, syntaxAt(i+k, "invalid character %s in \\u escape", quoteByte(b[i+k]))
					}
				}
				i += 6
			default:
				return i + 1, syntaxAt(i+1, "invalid escape %s in string", quoteByte(b[i+1]))
			}
		default:
			return i, syntaxAt(i, "control character %s in string", quoteByte(c))
		}
	}
}

// Byte masks of the eight-byte string scan.
const (
	ones        = 0x0101010101010101
	highs       = 0x8080808080808080
	quotes      = '"' * ones
	backslashes = '\\' * ones
)

// hasZero is not 0 when a byte of x is 0.
func hasZero(x uint64) uint64 { return (x - ones) & ^x & highs }

// hasLess is not 0 when a byte of x is less than n (n <= 128).
func hasLess(x uint64, n byte) uint64 { return (x - ones*uint64(n)) & ^x & highs }

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// scanLiteral checks the literal lit (true, false, null) at b[i].
func scanLiteral(b []byte, i int, lit string, atEOF bool) (int, error) {
	for k := 0; k < len(lit); k++ {
		if i+k >= len(b) {
			if atEOF {
				return i + k, syntaxAt(i+k, "unexpected end of input in literal %s", lit)
			}
			return i, errIncomplete
		}
		if b[i+k] != lit[k] {
			return i + k, syntaxAt(i+k, "invalid character %s in literal %s", quoteByte(b[i+k]), lit)
		}
	}
	return i + len(lit), nil
}

// scanNumber checks the number at b[i]. A number that runs to the end of b
// is incomplete unless atEOF: more digits may follow.
func scanNumber(b []byte, i int, atEOF bool) (int, error) {
	more := func(i int) (int, error) {
		if atEOF {
			return i, syntaxAt(i, "unexpected end of input in number")
		}
		return i, errIncomplete
	}
	if b[i] == '-' {
		i++
		if i >= len(b) {
			return more(i)
		}
	}
	switch {
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return i, syntaxAt(i, "invalid character %s in number", quoteByte(b[i]))
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) {
			return more(i)
		}
		if !isDigit(b[i]) {
			return i, syntaxAt(i, "invalid character %s after decimal point in number", quoteByte(b[i]))
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) {
			return more(i)
		}
		if !isDigit(b[i]) {
			return i, syntaxAt(i, "invalid character %s in exponent of number", quoteByte(b[i]))
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i >= len(b) && !atEOF {
		return i, errIncomplete
	}
	return i, nil
}

// quoteByte formats c for an error message.
func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", rune(c))
	}
	return fmt.Sprintf("0x%02x", c)
}
