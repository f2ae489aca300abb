package okta

import (
	stdjson "encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	json "github.com/goccy/go-json"

	"github.com/aitdr/aitdr/ingest"
)

// decode decodes record into v with goccy/go-json, the fast path. When that
// fails it decodes again with encoding/json, which either succeeds (goccy
// rejects a few valid inputs) or names the field that failed by its JSON
// path; the slow path runs only for bad records.
func decode[T any](record []byte, v *T) error {
	if err := json.Unmarshal(record, v); err == nil {
		return nil
	}
	*v = *new(T)
	err := stdjson.Unmarshal(record, v)
	if err == nil {
		return nil
	}
	return decodeError(err)
}

// decodeError turns an encoding/json error into one naming the field.
func decodeError(err error) error {
	var ute *stdjson.UnmarshalTypeError
	if errors.As(err, &ute) {
		if ute.Field == "" {
			return ingest.Invalid("record", "not a JSON object (%s)", ute.Value)
		}
		return ingest.Invalid(ute.Field, "not %s (%s)", kindName(ute.Type), ute.Value)
	}
	var se *stdjson.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at offset %d: %w", se.Offset, err)
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

// kindName names a Go type the way a JSON reader would.
func kindName(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + t.Kind().String()
}

// text is a JSON value read as text: a string as it is, a number as its
// literal, anything else (null, booleans, objects, arrays) as empty. It is
// for fields whose type varies between records or is not documented.
type text string

// UnmarshalJSON implements json.Unmarshaler.
func (t *text) UnmarshalJSON(b []byte) error {
	*t = ""
	if len(b) == 0 {
		return nil
	}
	switch c := b[0]; {
	case c == '"':
		s, err := unquote(b)
		if err != nil {
			return err
		}
		*t = text(s)
	case c == '-' || (c >= '0' && c <= '9'):
		*t = text(b)
	}
	return nil
}

// unquote decodes a JSON string literal, without allocating twice for the
// common literal without escapes.
func unquote(b []byte) (string, error) {
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

// number is a JSON number that may also arrive as a numeric string or as
// null (Okta writes "asNumber": null when it has no ASN).
type number int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *number) UnmarshalJSON(b []byte) error {
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
			return fmt.Errorf("not a number: %q", truncate(s))
		}
		v = int64(f)
	}
	*n = number(v)
	return nil
}

// Timestamps outside [minTime, now+maxSkew] are absurd and rejected.
var minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

const maxSkew = 24 * time.Hour

// parseTime parses the timestamp s of field: RFC 3339 with or without the
// zone (then UTC), with a "T" or a space between date and time. It rejects
// timestamps before 2000 or more than a day after now.
func parseTime(field, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, ingest.Missing(field)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
			if t, err = time.Parse(layout, s); err == nil {
				break
			}
		}
		if err != nil {
			return time.Time{}, ingest.Invalid(field, "not a timestamp: %q", truncate(s))
		}
	}
	t = t.UTC()
	if t.Before(minTime) {
		return time.Time{}, ingest.Invalid(field, "absurd timestamp %s: before 2000", t.Format(time.RFC3339))
	}
	if t.After(now.Add(maxSkew)) {
		return time.Time{}, ingest.Invalid(field, "absurd timestamp %s: more than 24h in the future", t.Format(time.RFC3339))
	}
	return t, nil
}

// canonicalIP returns s in canonical text form, IPv4-mapped IPv6 addresses
// as IPv4, and false when s is not an IP address.
func canonicalIP(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", false
	}
	a = a.Unmap()
	if c := a.String(); c != s {
		return c, true
	}
	return s, true
}

// key returns s when it is valid UTF-8 and an error naming field otherwise;
// it is for the fields that identify an event or its principal.
func key(field, s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", ingest.Invalid(field, "invalid UTF-8")
	}
	return s, nil
}

// clean returns s with invalid UTF-8 replaced, for descriptive fields.
func clean(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// truncate shortens s for an error message.
func truncate(s string) string {
	const max = 100
	if len(s) <= max {
		return clean(s)
	}
	return clean(s[:max]) + "…"
}

// splitArray splits a JSON array delivery into its elements, calling emit
// with each; it reports false for anything but an array.
func splitArray(delivery []byte, emit func([]byte) error) (bool, error) {
	i := 0
	for i < len(delivery) && isSpace(delivery[i]) {
		i++
	}
	if i == len(delivery) || delivery[i] != '[' {
		return false, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(delivery, &items); err != nil {
		var std []stdjson.RawMessage
		if serr := stdjson.Unmarshal(delivery, &std); serr != nil {
			return true, fmt.Errorf("split okta page: %w", decodeError(serr))
		}
		items = items[:0]
		for _, r := range std {
			items = append(items, json.RawMessage(r))
		}
	}
	for i, item := range items {
		if err := emit(item); err != nil {
			return true, fmt.Errorf("split okta page: record %d: %w", i, err)
		}
	}
	return true, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
