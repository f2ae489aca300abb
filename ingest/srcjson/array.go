package srcjson

import (
	stdjson "encoding/json"
	"fmt"

	json "github.com/goccy/go-json"
)

// SplitArray calls emit with each element of delivery when delivery is a
// JSON array, and reports true; it reports false, calling nothing, for
// anything else. Its errors start with op, the operation of the caller
// ("split okta page"): a malformed array is "<op>: invalid JSON at offset
// N: ...", an error of emit "<op>: record <i>: ...".
func SplitArray(op string, delivery []byte, emit func([]byte) error) (bool, error) {
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
			return true, fmt.Errorf("%s: %w", op, fieldError(serr))
		}
		items = items[:0]
		for _, r := range std {
			items = append(items, json.RawMessage(r))
		}
	}
	for i, item := range items {
		if err := emit(item); err != nil {
			return true, fmt.Errorf("%s: record %d: %w", op, i, err)
		}
	}
	return true, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// RawArray keeps a JSON array as it is, a copy of it, and reads anything
// else as nil: the member of a container that holds its records.
type RawArray []byte

// UnmarshalJSON implements json.Unmarshaler.
func (r *RawArray) UnmarshalJSON(b []byte) error {
	*r = nil
	if len(b) > 0 && b[0] == '[' {
		*r = append(RawArray(nil), b...)
	}
	return nil
}
