package cloudtrail

import (
	stdjson "encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/aitdr/aitdr/ingest"
	json "github.com/goccy/go-json"
)

// decode unmarshals data into v with goccy/go-json, the fast path. goccy
// reports type mismatches with Go field names (and some of them as syntax
// errors), so on any error decode runs the standard library over the same
// bytes: its type errors carry the JSON path, which becomes a
// *ingest.FieldError under prefix; its syntax errors are wrapped as they
// are. When the standard library accepts what goccy refused, v holds its
// result and decode returns nil. Neither decoder rejects invalid UTF-8
// (goccy keeps the bytes, the standard library replaces them with U+FFFD):
// the caller checks its key fields.
func decode(data []byte, v any, prefix string) error {
	if fastDecode(data, v) == nil {
		return nil
	}
	// Start again from zero: goccy may have filled part of v.
	reflect.ValueOf(v).Elem().SetZero()
	err := stdjson.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	var typeErr *stdjson.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := joinField(prefix, typeErr.Field)
		if field == "" {
			field = "record"
		}
		return ingest.Invalid(field, "%s, want %s", typeErr.Value, kindName(typeErr.Type))
	}
	if prefix != "" {
		return fmt.Errorf("decode %s: %w", prefix, err)
	}
	return fmt.Errorf("decode json: %w", err)
}

// fastDecode is goccy's Unmarshal, with a panic inside the decoder turned
// into an error so that the slow path takes over.
func fastDecode(data []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("goccy/go-json panicked: %v", r)
		}
	}()
	return json.Unmarshal(data, v)
}

func joinField(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	}
	return prefix + "." + field
}

// kindName names a Go type the way a JSON reader thinks of it.
func kindName(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	if t == reflect.TypeFor[json.Number]() {
		return "number"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "object"
	}
	return t.String()
}

// isNull reports whether raw is absent or the JSON null.
func isNull(raw []byte) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// count parses a JSON number as a non-negative count; fractional counts
// (S3 logs 0.0) are truncated.
func count(n num, field string) (int64, error) {
	if n == "" {
		return 0, nil
	}
	if v, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		if v < 0 {
			return 0, ingest.Invalid(field, "negative: %d", v)
		}
		return v, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, ingest.Invalid(field, "%q is not a number", clip(string(n)))
	}
	if f < 0 {
		return 0, ingest.Invalid(field, "negative: %s", n)
	}
	if f >= math.MaxInt64 {
		return 0, ingest.Invalid(field, "%s is too large", n)
	}
	return int64(f), nil
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "…"
}
