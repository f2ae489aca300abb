package input

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrNotObject is the reason, wrapped, of a record that is valid JSON but
// not an object: every source record is one.
var ErrNotObject = errors.New("not a JSON object")

// Errors of a whole request body, wrapped in the reason of a 400 answer.
var (
	// ErrEmptyBody is returned for a body with no record: empty, or only
	// white space.
	ErrEmptyBody = errors.New("empty body")
	// ErrNoJSON is returned for an NDJSON body none of whose lines is a
	// JSON object.
	ErrNoJSON = errors.New("no line of the body is a JSON object")
)

// format is the framing of a request body or a file.
type format int

// Formats.
const (
	// formatJSON is one JSON document: an array of records, or one object
	// (a record, or a container such as a CloudTrail log file).
	formatJSON format = iota + 1
	// formatNDJSON is one JSON object per line (newline-delimited JSON,
	// JSON Lines); blank lines are skipped.
	formatNDJSON
)

func (f format) String() string {
	switch f {
	case formatJSON:
		return "json"
	case formatNDJSON:
		return "ndjson"
	}
	return fmt.Sprintf("format(%d)", int(f))
}

// item is one delivery of a body or a file for the pipeline: a JSON object,
// or a record rejected before the pipeline with err.
type item struct {
	// data is the record, trimmed of white space.
	data []byte
	// index is the 0-based position of the item in the body: the element
	// of an array, the record line of NDJSON (blank lines not counted).
	index int
	// line is the 1-based line of an NDJSON record or of the start of a
	// document or element in a file; 0 for the elements of an array in a
	// request.
	line int
	// element is true for the elements of an array.
	element bool
	// err is why the item is rejected before the pipeline; nil for a
	// JSON object.
	err error
}

// splitBody splits a request body into its items. An error means the body
// as a whole is not of format f (an answer 400); the items are then those
// found, each with its reason (for ErrNoJSON). Records that are not JSON
// objects in a body that is otherwise fine come back as items with an err.
func splitBody(body []byte, f format) ([]item, error) {
	if f == formatNDJSON {
		return splitLines(body)
	}
	i := skipBOM(body)
	i = skipSpace(body, i)
	if i >= len(body) {
		return nil, ErrEmptyBody
	}
	switch body[i] {
	case '[':
		return splitArray(body, i)
	case '{':
		end, err := scanValue(body, i, true)
		if err != nil {
			return nil, locate(err, body, 0)
		}
		if j := skipSpace(body, end); j < len(body) {
			return nil, locate(syntaxAt(j, "data after the JSON object: send several records as a JSON array, or as NDJSON (Content-Type application/x-ndjson)"), body, 0)
		}
		return []item{{data: body[i:end]}}, nil
	}
	if _, err := scanValue(body, i, true); err != nil {
		return nil, locate(err, body, 0)
	}
	return nil, fmt.Errorf("%w: the body is %s, want an object or an array of objects", ErrNotObject, kind(body[i]))
}

// splitArray splits the JSON array at body[i] == '[' into its elements.
func splitArray(body []byte, i int) ([]item, error) {
	var items []item
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == ']' {
		i++
	} else {
		for {
			start := skipSpace(body, i)
			end, err := scanValue(body, start, true)
			if err != nil {
				return nil, locate(err, body, 0)
			}
			it := item{data: body[start:end], index: len(items), element: true}
			if body[start] != '{' {
				it.err = fmt.Errorf("%w: found %s", ErrNotObject, kind(body[start]))
			}
			items = append(items, it)
			i = skipSpace(body, end)
			if i >= len(body) {
				return nil, locate(syntaxAt(i, "unexpected end of input in array"), body, 0)
			}
			if body[i] == ']' {
				i++
				break
			}
			if body[i] != ',' {
				return nil, locate(syntaxAt(i, "unexpected character %s after an array element, want ',' or ']'", quoteByte(body[i])), body, 0)
			}
			i++
		}
	}
	if j := skipSpace(body, i); j < len(body) {
		return nil, locate(syntaxAt(j, "data after the JSON array"), body, 0)
	}
	return items, nil
}

// splitLines splits an NDJSON body into its lines. It fails with
// ErrEmptyBody when no line holds anything, and with ErrNoJSON, returning
// the lines with their reasons, when no line holds a JSON object.
func splitLines(body []byte) ([]item, error) {
	var items []item
	good := 0
	line := 0
	rest := body[skipBOM(body):]
	for len(rest) > 0 {
		line++
		var text []byte
		if nl := bytes.IndexByte(rest, '\n'); nl >= 0 {
			text, rest = rest[:nl], rest[nl+1:]
		} else {
			text, rest = rest, nil
		}
		it, ok := lineItem(text, line)
		if !ok {
			continue
		}
		it.index = len(items)
		if it.err == nil {
			good++
		}
		items = append(items, it)
	}
	switch {
	case len(items) == 0:
		return nil, ErrEmptyBody
	case good == 0:
		return items, ErrNoJSON
	}
	return items, nil
}

// lineItem returns the item of one NDJSON line (without its newline); ok
// is false for a blank line.
func lineItem(text []byte, line int) (it item, ok bool) {
	start := skipSpace(text, 0)
	if start == len(text) {
		return item{}, false
	}
	end := len(text)
	for end > start && space[text[end-1]] {
		end--
	}
	it = item{data: text[start:end], line: line}
	if err := checkObject(it.data); err != nil {
		it.err = locateLine(err, line, start)
	}
	return it, true
}

// checkObject checks that rec, trimmed of white space, is one JSON object.
// A syntax error has an Offset into rec.
func checkObject(rec []byte) error {
	end, err := scanValue(rec, 0, true)
	if err != nil {
		return err
	}
	if j := skipSpace(rec, end); j < len(rec) {
		return syntaxAt(j, "data after the JSON value")
	}
	if rec[0] != '{' {
		return fmt.Errorf("%w: found %s", ErrNotObject, kind(rec[0]))
	}
	return nil
}

// kind names the kind of the JSON value that starts with c, with its
// article.
func kind(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// skipBOM returns 3 when b starts with a UTF-8 byte order mark, else 0.
func skipBOM(b []byte) int {
	if bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		return 3
	}
	return 0
}

// locate sets the line and column of a *SyntaxError in err whose Offset is
// an index of text, text starting at byte base of the input and on line 1.
// Other errors are returned as they are.
func locate(err error, text []byte, base int64) error {
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line > 0 {
		return err
	}
	off := min(max(int(se.Offset), 0), len(text))
	se.Line = 1 + bytes.Count(text[:off], []byte{'\n'})
	se.Column = off + 1
	if nl := bytes.LastIndexByte(text[:off], '\n'); nl >= 0 {
		se.Column = off - nl
	}
	se.Offset = base + int64(off)
	return err
}

// locateLine sets the line and column of a *SyntaxError in err whose Offset
// is an index of a record that starts at column start+1 of line. Other
// errors are returned as they are.
func locateLine(err error, line, start int) error {
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line > 0 {
		return err
	}
	se.Line = line
	se.Column = start + int(se.Offset) + 1
	se.Offset = -1
	return err
}
