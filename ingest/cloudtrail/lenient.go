package cloudtrail

import (
	"bytes"
	stdjson "encoding/json"
)

// str is a string field of a service-specific part of a record
// (requestParameters, responseElements, additionalEventData). Those parts
// vary by service and API version, so a value of another type is ignored
// rather than failing the record: str is then empty.
type str string

// UnmarshalJSON keeps b when it is a JSON string and ignores anything else.
func (s *str) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' {
		return nil
	}
	if bytes.IndexByte(b, '\\') < 0 {
		*s = str(b[1 : len(b)-1])
		return nil
	}
	var v string
	if stdjson.Unmarshal(b, &v) == nil {
		*s = str(v)
	}
	return nil
}

// num is a number field of a service-specific part of a record, kept as
// its text; a JSON string holding a number is accepted too, and anything
// else is ignored.
type num string

// UnmarshalJSON keeps b when it is a JSON number or a string, and ignores
// anything else; count reports a string that does not hold a number.
func (n *num) UnmarshalJSON(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	switch c := b[0]; {
	case c == '-' || c >= '0' && c <= '9':
		*n = num(b)
	case c == '"':
		var s str
		_ = s.UnmarshalJSON(b)
		*n = num(s)
	}
	return nil
}

// raw is a service-specific part of a record kept undecoded until its
// event is known. Unlike json.RawMessage it does not copy: goccy hands
// UnmarshalJSON a copy of its own, and the standard library's fallback
// hands it the record itself, which outlives the normalization that reads
// raw.
type raw []byte

// UnmarshalJSON keeps b.
func (r *raw) UnmarshalJSON(b []byte) error {
	*r = b
	return nil
}
