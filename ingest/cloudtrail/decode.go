package cloudtrail

import (
	stdjson "encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/srcjson"
)

// decode unmarshals data into v with srcjson.Unmarshal: goccy/go-json,
// the fast path, and the standard library over the same bytes when goccy
// fails (goccy reports type mismatches with Go field names, and some of
// them as syntax errors). The standard library's type errors carry the
// JSON path, which becomes a *ingest.FieldError under prefix; its syntax
// errors are wrapped as they are. When the standard library accepts what
// goccy refused, v holds its result and decode returns nil. Neither
// decoder rejects invalid UTF-8 (goccy keeps the bytes, the standard
// library replaces them with U+FFFD): the caller checks its key fields.
func decode(data []byte, v any, prefix string) error {
	err := srcjson.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	var typeErr *stdjson.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := joinField(prefix, typeErr.Field)
		if field == "" {
			field = "record"
		}
		return ingest.Invalid(field, "%s, want %s", typeErr.Value, srcjson.Kind(typeErr.Type))
	}
	if prefix != "" {
		return fmt.Errorf("decode %s: %w", prefix, err)
	}
	return fmt.Errorf("decode json: %w", err)
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
