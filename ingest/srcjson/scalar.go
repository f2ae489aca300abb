package srcjson

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	json "github.com/goccy/go-json"
)

// Text is a JSON value read as text: a string as it is, a number as its
// literal, anything else (null, booleans, objects, arrays) as empty. It is
// for fields whose type varies between records or is not documented.
type Text string

// UnmarshalJSON implements json.Unmarshaler.
func (t *Text) UnmarshalJSON(b []byte) error {
	*t = ""
	if len(b) == 0 {
		return nil
	}
	switch c := b[0]; {
	case c == '"':
		s, err := Unquote(b)
		if err != nil {
			return err
		}
		*t = Text(s)
	case c == '-' || (c >= '0' && c <= '9'):
		*t = Text(b)
	}
	return nil
}

// Number is a JSON number that may also arrive as a numeric string or as
// null (then 0); a fraction is truncated toward zero. Anything else fails
// to decode.
type Number int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *Number) UnmarshalJSON(b []byte) error {
	*n = 0
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		s = strings.Trim(s, `"`)
	}
	if s == "" || s == "null" {
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != f || f < -1<<63 || f >= 1<<63 {
			return fmt.Errorf("not a number: %q", Excerpt(s))
		}
		v = int64(f)
	}
	*n = Number(v)
	return nil
}

// Unquote decodes the JSON string literal b, without allocating twice for
// the common literal without escapes.
func Unquote(b []byte) (string, error) {
	if len(b) >= 2 && b[len(b)-1] == '"' {
		inner := b[1 : len(b)-1]
		plain := true
		for _, c := range inner {
			if c == '\\' || c == '"' || c < 0x20 {
				plain = false
				break
			}
		}
		if plain {
			return string(inner), nil
		}
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return "", err
	}
	return s, nil
}

// AsString returns the string raw holds, and false when raw (surrounding
// white space aside) is not a JSON string.
func AsString(raw []byte) (string, bool) {
	v := bytes.TrimSpace(raw)
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}
