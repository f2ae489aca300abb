// Package srcjson reads the JSON records of the sources below ingest: a
// fast decode whose errors name the field by its JSON path, lenient scalars
// for fields whose type varies between records, the bounds of a plausible
// event time, canonical IP addresses, values clipped for error messages,
// the JSON arrays deliveries come in, and the needles Detect looks for. It
// holds what the source packages share; each keeps what is particular to
// its source, its error texts included.
//
// Everything here is safe for concurrent use.
package srcjson

import (
	stdjson "encoding/json"
	"errors"
	"fmt"
	"reflect"

	json "github.com/goccy/go-json"

	"github.com/aitdr/aitdr/ingest"
)

// UnmarshalFast decodes data into v with goccy/go-json, turning a panic
// inside the decoder into an error.
func UnmarshalFast(data []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("goccy/go-json panicked: %v", r)
		}
	}()
	return json.Unmarshal(data, v)
}

// Unmarshal decodes data into v, a pointer, with goccy/go-json, the fast
// path. When that fails it zeroes v, which goccy may have filled in part,
// and decodes again with encoding/json, which either succeeds (goccy
// rejects a few valid inputs; v then holds its result) or returns its
// error: a *json.UnmarshalTypeError naming the field by its JSON path, a
// *json.SyntaxError, or another encoding/json error. The slow path runs
// only for bad records. Neither decoder rejects invalid UTF-8 (goccy keeps
// the bytes, encoding/json replaces them with U+FFFD): callers check the
// fields that key an event.
func Unmarshal(data []byte, v any) error {
	if UnmarshalFast(data, v) == nil {
		return nil
	}
	reflect.ValueOf(v).Elem().SetZero()
	return stdjson.Unmarshal(data, v)
}

// Decode is Unmarshal with its error as a *ingest.FieldError where a field
// had the wrong kind of value ("actor.id: not a string (number)"; a record
// that is not an object is "record: not a JSON object (array)"), and as
// "invalid JSON at offset N: ..." for a syntax error.
func Decode(data []byte, v any) error {
	if err := Unmarshal(data, v); err != nil {
		return fieldError(err)
	}
	return nil
}

// fieldError turns an encoding/json error into one naming the field.
func fieldError(err error) error {
	var ute *stdjson.UnmarshalTypeError
	if errors.As(err, &ute) {
		if ute.Field == "" {
			return ingest.Invalid("record", "not a JSON object (%s)", ute.Value)
		}
		return ingest.Invalid(ute.Field, "not %s (%s)", KindName(ute.Type), ute.Value)
	}
	var se *stdjson.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at offset %d: %w", se.Offset, err)
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

// Explain returns why data did not decode into v, a pointer, with
// goccy/go-json, whose error was fast: it decodes data again into v with
// encoding/json, whose errors name the field by its JSON path, and returns
// a *ingest.FieldError, "<field>: <value>, want <kind>" ("user: number,
// want a string"; the field of a record that is not an object is
// "record"), or "record: malformed JSON ..." for a syntax error. The
// fast decoder's verdict stands: when encoding/json accepts data, the
// error quotes fast.
func Explain(data []byte, v any, fast error) error {
	err := stdjson.Unmarshal(data, v)
	var te *stdjson.UnmarshalTypeError
	var se *stdjson.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "record"
		}
		return ingest.Invalid(field, "%s, want %s", te.Value, KindName(te.Type))
	case errors.As(err, &se):
		return ingest.Invalid("record", "malformed JSON at offset %d: %s", se.Offset, se.Error())
	case err != nil:
		return ingest.Invalid("record", "malformed JSON: %s", err.Error())
	}
	return ingest.Invalid("record", "malformed JSON: %s", fast.Error())
}

// Kind names the kind of JSON value that decodes into the Go type t:
// "string", "boolean", "number", "array" or "object" (for structs, maps
// and pointers); other types by their Go name. It goes by the kind of t,
// so a json.Number is a "string".
func Kind(t reflect.Type) string {
	if t == nil {
		return "value"
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

// KindName is Kind with its indefinite article, as an error message reads
// it: "a string", "an array".
func KindName(t reflect.Type) string {
	switch k := Kind(t); k {
	case "array", "object":
		return "an " + k
	default:
		return "a " + k
	}
}
